"""The simulated box: with a um-deep substrate and um-wide margins (``mesh.bulk_nm`` keeps the
mesh small), R_self and the crosstalk change by less than 1 % when the Si depth or the margin
doubles; the default device's 200 nm of Si inside a 100 nm margin does not reach that."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from meshes.device import build_device
from meshes.spec import DeviceSpec, Layer, default_spec
from thermal.screen import SteadyFigures, screen_device


def boxed(si_nm: float, margin_nm: float, bulk_nm: float | None = 400.0) -> DeviceSpec:
    spec = default_spec()
    return replace(
        spec,
        stack=replace(spec.stack, substrate=Layer("Si", si_nm)),
        array=replace(spec.array, margin_nm=margin_nm),
        mesh=replace(spec.mesh, bulk_nm=bulk_nm, refine=0.8),
    )


def figures(spec: DeviceSpec, out: Path) -> SteadyFigures:
    build_device(spec, out, picture=False)
    return screen_device(out)


def test_a_um_box_is_converged_in_si_depth_and_margin(tmp_path: Path) -> None:
    base = figures(boxed(1000.0, 1000.0), tmp_path / "base")
    deeper = figures(boxed(2000.0, 1000.0), tmp_path / "deeper")
    wider = figures(boxed(1000.0, 2000.0), tmp_path / "wider")
    for other in (deeper, wider):
        for name in (
            "r_self_k_per_w",
            "crosstalk_nearest",
            "crosstalk_diagonal",
            "crosstalk_array_sum",
        ):
            assert getattr(other, name) == pytest.approx(getattr(base, name), rel=0.01), name
        # the mean time constant holds a slow share from the Si's heat capacity: 1.1 % for
        # 1 -> 2 um of Si
        assert other.tau_mean_self_s == pytest.approx(base.tau_mean_self_s, rel=0.02)
        assert other.heatsink_balance == pytest.approx(1.0, abs=5e-3)
    # the graded mesh keeps a 4x larger box about as cheap as the default's, and the size
    # guard's estimate follows it
    assert wider.n_dofs < 1.3 * base.n_dofs
    import meshio

    from meshes.spec import estimated_tetrahedra

    tets = sum(
        len(c.data)
        for c in meshio.read(tmp_path / "wider" / "device.msh").cells
        if c.type == "tetra"
    )
    assert estimated_tetrahedra(boxed(1000.0, 2000.0)) == pytest.approx(tets, rel=0.25)

    small = figures(boxed(200.0, 100.0, None), tmp_path / "small")
    # the default's adiabatic walls, 100 nm from the array, send heat back to the cells
    assert small.crosstalk_diagonal > 1.1 * base.crosstalk_diagonal
    assert small.crosstalk_nearest > 1.03 * base.crosstalk_nearest
