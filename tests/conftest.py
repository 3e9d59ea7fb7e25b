"""Shared fixtures: meshes built once per session (Gmsh is the slow part)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import meshio
import numpy as np
import pytest

from meshes.device import build_device
from meshes.spec import Array, DeviceSpec, default_spec


@dataclass
class BuiltDevice:
    spec: DeviceSpec
    out: Path
    info: dict[str, Any]
    mesh: meshio.Mesh

    def tets(self) -> tuple[np.ndarray, np.ndarray]:
        """(tetrahedra [n, 4] node indices, physical tag per tetrahedron)."""
        return _cells(self.mesh, "tetra")

    def triangles(self) -> tuple[np.ndarray, np.ndarray]:
        return _cells(self.mesh, "triangle")


def _cells(mesh: meshio.Mesh, kind: str) -> tuple[np.ndarray, np.ndarray]:
    blocks = [
        (c.data, d)
        for c, d in zip(mesh.cells, mesh.cell_data["gmsh:physical"], strict=True)
        if c.type == kind
    ]
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])


def build(spec: DeviceSpec, out: Path) -> BuiltDevice:
    build_device(spec, out, picture=False)
    return BuiltDevice(
        spec, out, json.loads((out / "device.json").read_text()), meshio.read(out / "device.msh")
    )


def small_spec(placement: str = "top") -> DeviceSpec:
    """A 1 x 2 array of the default cell: quick to mesh, still has a neighbour."""
    spec = default_spec()
    spec = replace(spec, name=f"small-{placement}", array=Array(1, 2, 200.0, 60.0))
    if placement == "side":
        spec = replace(
            spec,
            heater=replace(
                spec.heater, placement="side", width_nm=30.0, length_nm=80.0, gap_nm=15.0
            ),
        )
    return spec


@pytest.fixture(scope="session")
def default_device(tmp_path_factory: pytest.TempPathFactory) -> BuiltDevice:
    return build(default_spec(), tmp_path_factory.mktemp("default") / "dev")


@pytest.fixture(scope="session")
def side_device(tmp_path_factory: pytest.TempPathFactory) -> BuiltDevice:
    return build(small_spec("side"), tmp_path_factory.mktemp("side") / "dev")


def lines_spec(placement: str = "top") -> DeviceSpec:
    """The small device with Cu heater leads and (top heaters) Cu word lines."""
    from meshes.spec import Lines

    word = "Cu" if placement == "top" else None
    lines = Lines(heater_lead_material="Cu", word_material=word)
    return replace(small_spec(placement), name=f"lines-{placement}", lines=lines)


@pytest.fixture(scope="session")
def lines_device(tmp_path_factory: pytest.TempPathFactory) -> BuiltDevice:
    return build(lines_spec("top"), tmp_path_factory.mktemp("lines") / "dev")


@pytest.fixture(scope="session")
def side_lines_device(tmp_path_factory: pytest.TempPathFactory) -> BuiltDevice:
    return build(lines_spec("side"), tmp_path_factory.mktemp("side_lines") / "dev")


@pytest.fixture(scope="session")
def default_thermal(default_device: BuiltDevice) -> Path:
    """The default device with the thermal stage run on it (serial, in-process)."""
    from thermal.config import ThermalConfig
    from thermal.stage import run_thermal

    # the operating point's k(T) run (a minute here) is tested on a small device
    return run_thermal(default_device.out, ThermalConfig(linearity_power_w=0.0), progress=False)


@pytest.fixture(scope="session")
def default_card(default_thermal: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default device's model card (thermal stage + fit), path to model_card.json."""
    import shutil

    from devicefit.stage import run_fit

    out = tmp_path_factory.mktemp("card") / "dev"
    shutil.copytree(default_thermal, out)
    run_fit(out, plots=False)
    return out / "model_card.json"
