"""Periodic side walls (one tile of an infinite array): the mesher makes opposite walls
translates of each other, the FE solve identifies them, and the tile's response holds every
image: translation invariant, energy conserving, and equal to a large explicit array's
response summed over the images (slow)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import meshio
import numpy as np
import pytest
from scipy.spatial import cKDTree

from meshes.device import build_device
from meshes.spec import Array, SpecError, default_spec, validate


def periodic_spec(rows: int = 3, cols: int = 3, refine: float = 0.5):  # type: ignore[no-untyped-def]
    spec = default_spec()
    return replace(
        spec,
        name="periodic",
        array=Array(rows, cols, spec.array.pitch_nm, spec.array.margin_nm, "periodic"),
        mesh=replace(spec.mesh, refine=refine),
    )


def steady_columns(device_dir: Path, heaters: list[str]) -> tuple[np.ndarray, list[float]]:
    """R[probe = every filament, heater] and each heater's energy balance, by the thermal
    stage's assembly (``thermal.fe.assemble_device``) and an exact steady solve."""
    from mpi4py import MPI

    from meshes.cells import array_cells
    from meshes.info import read_device
    from thermal.config import material_table
    from thermal.fe import assemble_device, steady_state

    device = read_device(device_dir, SpecError)
    a = device.spec.array
    system = assemble_device(
        device.msh,
        material_table(device.groups, {}),
        heaters,
        [c.reram for c in array_cells(a.rows, a.cols)],
        periodic=a.boundary == "periodic",
        degree=1,
        h_top_w_per_m2k=0.0,
        lumped_mass=True,
        comm=MPI.COMM_SELF,
    )
    r, _, balance = steady_state(system)
    return r, balance


@pytest.fixture(scope="module")
def tile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_device(periodic_spec(), tmp_path_factory.mktemp("periodic") / "dev", picture=False)


def test_opposite_walls_are_meshed_node_for_node(tile: Path) -> None:
    points = meshio.read(tile / "device.msh").points
    half = 1.5 * default_spec().array.pitch_nm  # 3 cells of the pitch: the margin is unused
    for axis in (0, 1):
        assert points[:, axis].max() == pytest.approx(half)
        assert points[:, axis].min() == pytest.approx(-half)
        high = points[np.abs(points[:, axis] - half) < 1e-6]
        low = points[np.abs(points[:, axis] + half) < 1e-6]
        shifted = high.copy()
        shifted[:, axis] -= 2 * half
        distance, _ = cKDTree(low).query(shifted)
        assert len(high) == len(low) > 50 and distance.max() < 1e-9


def test_a_side_heater_may_not_cross_a_periodic_cell_edge() -> None:
    spec = periodic_spec()
    side = replace(spec, heater=replace(spec.heater, placement="side", width_nm=40.0))
    with pytest.raises(SpecError, match=r"heater\.width_nm: a side heater reaches"):
        validate(side)


def test_the_tile_response_is_translation_invariant_and_conserves_energy(tile: Path) -> None:
    """Every heater of the tile sees the same kernel R((p - h) mod 3) (each cell is the
    centre of an infinite array), and all the heat leaves through the heatsink."""
    from meshes.cells import array_cells

    cells = array_cells(3, 3)
    r, balance = steady_columns(tile, [c.heater for c in cells])
    assert np.allclose(balance, 1.0, atol=5e-3)
    kernel = {}
    for h, heater in enumerate(cells):
        for p, probe in enumerate(cells):
            offset = ((probe.row - heater.row) % 3, (probe.col - heater.col) % 3)
            kernel.setdefault(offset, []).append(r[p, h])
    for offset, values in kernel.items():
        assert np.ptp(values) < 0.01 * np.mean(values), (offset, values)
    # the infinite array heats each cell about 3 R_self with every heater on (vs 2.56 for the
    # isolated 3 x 3 array): the images are in
    all_on = r.sum(axis=1) / np.diag(r)
    assert np.all((all_on > 2.9) & (all_on < 3.3)), all_on


@pytest.mark.slow
def test_the_tile_equals_a_9x9_array_summed_over_images(tmp_path: Path) -> None:
    """R_tile(o) = sum_m R_inf(o + 3 m): the 3 x 3 periodic tile against the centre heater of
    an explicit 9 x 9 array (adiabatic walls a margin away; every image within 4 cells), each
    offset within 2 %, and the sums over the tile and over the 9 x 9 within 2 %; same mesh
    sizes. (A 7 x 7 array misses the diagonal's images 4 cells away: 6 % low.)"""
    from meshes.cells import array_cells, centre_cell

    def centre_column(spec, out: Path) -> dict[tuple[int, int], float]:  # type: ignore[no-untyped-def]
        build_device(spec, out, picture=False, force=True)
        a = spec.array
        cells = array_cells(a.rows, a.cols)
        centre = centre_cell(a.rows, a.cols)
        r, _ = steady_columns(out, [centre.heater])
        return {(c.row - centre.row, c.col - centre.col): r[i, 0] for i, c in enumerate(cells)}

    tile = centre_column(periodic_spec(refine=0.5), tmp_path / "tile")
    base = periodic_spec(refine=0.5)
    big = centre_column(
        replace(base, array=replace(base.array, rows=9, cols=9, boundary="adiabatic")),
        tmp_path / "big",
    )
    for (dr, dc), value in tile.items():
        images = sum(
            big.get((dr + 3 * m, dc + 3 * n), 0.0) for m in range(-2, 3) for n in range(-2, 3)
        )
        assert value == pytest.approx(images, rel=0.02), ((dr, dc), value, images)
    assert sum(tile.values()) == pytest.approx(sum(big.values()), rel=0.02)
