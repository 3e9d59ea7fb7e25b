"""Metal lines carry heat sideways: Cu heater leads along x couple the cells of a row far more
than the cells of a column, and a Cu word line under the pillars drains the filament's heat
(R_self falls); energy stays conserved."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from meshes.device import build_device
from meshes.spec import Array, Lines, default_spec
from thermal.screen import screen_device


def two_by_two(lines: Lines, out: Path):  # type: ignore[no-untyped-def]
    spec = default_spec()
    spec = replace(spec, name="lines", array=Array(2, 2, 200.0, 60.0), lines=lines)
    build_device(spec, out, picture=False)
    return screen_device(out)


def test_leads_couple_a_row_and_a_word_line_drains_the_cell(tmp_path: Path) -> None:
    plain = two_by_two(Lines(), tmp_path / "plain")
    leads = two_by_two(Lines(heater_lead_material="Cu"), tmp_path / "leads")
    word = two_by_two(Lines(word_material="Cu"), tmp_path / "word")
    for f in (plain, leads, word):
        assert f.heatsink_balance == pytest.approx(1.0, abs=5e-3)
    row, col = leads.crosstalk_nearest, leads.crosstalk_nearest_column
    plain_row, plain_col = plain.crosstalk_nearest, plain.crosstalk_nearest_column
    # the 100 x 40 nm heater already couples the row a little more than the column
    assert plain_row == pytest.approx(plain_col, rel=0.15)
    # Cu leads along x: the row neighbour gains much more than the column neighbour
    assert row > 1.3 * plain_row
    assert row / col > 1.3 * plain_row / plain_col
    # heat leaves the heater along its leads: the heater runs cooler
    assert leads.heater_rise_k_per_w < 0.9 * plain.heater_rise_k_per_w
    # a Cu line under the bottom electrodes takes the filament's heat: R_self falls
    assert word.r_self_k_per_w < 0.85 * plain.r_self_k_per_w
