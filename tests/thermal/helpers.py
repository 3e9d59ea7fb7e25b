"""Small helpers shared by thermal tests."""

from __future__ import annotations

import json
from pathlib import Path

from mpi4py import MPI

import numpy as np

from meshes.device import build_device
from meshes.spec import DeviceSpec
from thermal.config import material_table
from thermal.fe import Domain, assemble_heat_system, read_device_mesh, steady_state
from thermal.stage import cell_groups


def steady_r(spec: DeviceSpec, out: Path) -> np.ndarray:
    """Mesh ``spec`` into ``out`` and return the exact steady R[probe, heater] [K/W]."""
    build_device(spec, out, picture=False)
    info = json.loads((out / "device.json").read_text())
    mesh, cells, facets, groups = read_device_mesh(out / "device.msh", 1e-9, MPI.COMM_WORLD)
    domain = Domain(mesh, cells, facets, groups, material_table(info["groups"], {}))
    heaters, probes = cell_groups(info)
    r, _, _ = steady_state(assemble_heat_system(domain, heaters, probes))
    return r
