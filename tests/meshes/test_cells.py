"""One home for cells: names round-trip, the centre of odd and even arrays, and every stage
picks the same centre cell (the card's derived figures and snn/'s kernel)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from meshes.cells import Cell, array_cells, cell_of, centre_cell, reference_neighbours
from meshes.files import StageError
from meshes.spec import (
    MAX_TETRAHEDRA,
    TETRAHEDRA_PER_SIZE_CUBED,
    default_spec,
    estimated_tetrahedra,
)
from tests.conftest import BuiltDevice
from tests.helpers import synthetic_card


@pytest.mark.parametrize(
    ("rows", "cols", "centre"),
    [
        (1, 1, (0, 0)),
        (3, 3, (1, 1)),
        (2, 2, (1, 1)),
        (1, 4, (0, 2)),
        (4, 1, (2, 0)),
        (5, 2, (2, 1)),
    ],
)
def test_centre_cell_of_odd_and_even_arrays(rows: int, cols: int, centre: tuple) -> None:
    assert centre_cell(rows, cols) == Cell(*centre)
    assert centre_cell(rows, cols) in array_cells(rows, cols)


def test_names_round_trip_and_bad_names_are_refused() -> None:
    for cell in array_cells(3, 4):
        assert cell_of(cell.heater) == cell_of(cell.reram) == cell
    for bad in ("heater_r1", "reram_r1_c2_x", "top", "heater_ra_c1"):
        with pytest.raises(StageError, match="group name"):
            cell_of(bad)


@pytest.mark.parametrize(("rows", "cols"), [(3, 3), (2, 2), (1, 4), (2, 3)])
def test_the_card_and_snn_pick_the_same_centre(rows: int, cols: int) -> None:
    """Residues that identify their heater: the card's derived figures and snn/'s kernel must
    both describe the heater of centre_cell (on a 2 x 2 array the card used to describe
    heater_r1_c0 and snn/ heater_r1_c1)."""
    from devicefit.stage import FitConfig, derived_figures
    from snn.traces import ThermalKernel

    n = rows * cols
    residues = np.zeros((n, n, 1))
    for h in range(n):
        residues[:, h, 0] = 1.0 + h  # every probe sees heater h at 1 + h K/W
        residues[h, h, 0] = 100.0 * (1 + h)
    card = synthetic_card(rows, cols, np.array([1e-8]), residues)
    centre = centre_cell(rows, cols)
    h = array_cells(rows, cols).index(centre)
    derived = derived_figures(card.thermal.network, card.geometry, FitConfig())
    assert derived.cell == centre.heater
    assert derived.r_self_k_per_w == 100.0 * (1 + h)
    kernel = ThermalKernel.from_card(card)
    assert kernel.residues_k_per_w[(0, 0)][0] == 100.0 * (1 + h)
    _, nearest, _ = reference_neighbours(rows, cols)
    if nearest is not None:
        assert derived.crosstalk_nearest == pytest.approx((1.0 + h) / (100.0 * (1 + h)))


def test_size_estimate_is_within_a_quarter(
    default_device: BuiltDevice, side_device: BuiltDevice
) -> None:
    """The size guard's estimate against Gmsh's count on two real meshes."""
    for device in (default_device, side_device):
        actual = device.info["mesh"]["n_tetrahedra"]
        assert estimated_tetrahedra(device.spec) == pytest.approx(actual, rel=0.25)
    assert TETRAHEDRA_PER_SIZE_CUBED > 0


def test_size_estimate_grows_with_the_array_and_refinement() -> None:
    spec = default_spec()
    big = replace(spec, array=replace(spec.array, rows=200, cols=200))
    assert estimated_tetrahedra(big) > MAX_TETRAHEDRA > estimated_tetrahedra(spec)
    assert estimated_tetrahedra(spec.with_refine(2.0)) == pytest.approx(
        8 * estimated_tetrahedra(spec), rel=0.05
    )


def test_size_ramps_keep_their_slope_and_are_untouched_without_a_bulk_size() -> None:
    """Without a bulk size every box keeps its ramp (the default device's mesh does not move);
    with one, a cell box reaches the far size at the same distance (same slope) and a box at
    the far size grows at the block's slope."""
    from meshes.geometry import box_ramp_nm
    from meshes.spec import BULK_GROWTH, SizeBox

    cell = SizeBox(0, 1, 0, 1, 0, 1, 12.0, 100.0)
    line = SizeBox(0, 1, 0, 1, 0, 1, 50.0, 30.0)
    for box in (cell, line):
        assert box_ramp_nm(box, 50.0, 50.0, is_block=False) == box.ramp_nm
    ramp = box_ramp_nm(cell, 50.0, 400.0, is_block=False)
    assert (400.0 - 12.0) / ramp == pytest.approx((50.0 - 12.0) / 100.0)
    assert box_ramp_nm(line, 50.0, 400.0, is_block=False) == pytest.approx(350.0 / BULK_GROWTH)
    assert box_ramp_nm(line, 50.0, 400.0, is_block=True) == line.ramp_nm
