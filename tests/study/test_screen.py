"""Steady screening against the thermal stage's full steady solve on the default device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def test_screening_agrees_with_the_full_steady_response(default_thermal: Path) -> None:
    """R_self, the neighbours' crosstalk and (by reciprocity, from one adjoint solve) the
    whole-array sum equal the thermal stage's R matrix; the heat the centre heater puts in
    leaves through the heatsink."""
    from meshes.cells import array_cells, reference_neighbours
    from thermal.response import read_response
    from thermal.screen import screen_device

    figures = screen_device(default_thermal)
    response = read_response(default_thermal)
    r = response.r_k_per_w  # [probe, heater], from the reduced model (steady-checked)
    cells = array_cells(3, 3)
    centre, nearest, diagonal = reference_neighbours(3, 3)
    c, n, d = cells.index(centre), cells.index(nearest), cells.index(diagonal)
    assert figures.r_self_k_per_w == pytest.approx(r[c, c], rel=2e-3)
    assert figures.crosstalk_nearest == pytest.approx(r[n, c] / r[c, c], rel=5e-3)
    assert figures.crosstalk_diagonal == pytest.approx(r[d, c] / r[c, c], rel=5e-3)
    from meshes.cells import column_neighbour

    y = cells.index(column_neighbour(3, 3))
    assert figures.crosstalk_nearest_column == pytest.approx(r[y, c] / r[c, c], rel=5e-3)
    # the heater is 100 nm along x and 40 nm along y: the row neighbour gets more
    assert figures.crosstalk_nearest > figures.crosstalk_nearest_column
    others = np.delete(r[c], c).sum() / r[c, c]  # every other heater onto the centre filament
    assert figures.crosstalk_array_sum == pytest.approx(others, rel=5e-3)
    assert figures.heatsink_balance == pytest.approx(1.0, abs=5e-3)
    # the heater is hotter than the filament it heats through the spacer and electrode
    assert figures.heater_rise_k_per_w > 1.5 * figures.r_self_k_per_w
    # the exact first moment equals the reduced model's sum r_i tau_i / R (self and nearest)
    from thermal.modal import ModalModel, mean_rise_time_s

    net = ModalModel.from_arrays(dict(np.load(default_thermal / "response.npz"))).network()
    assert figures.tau_mean_self_s == pytest.approx(
        mean_rise_time_s(net.tau_s, net.residues_k_per_w[c, c]), rel=1e-3
    )
    assert figures.tau_mean_nearest_s == pytest.approx(
        mean_rise_time_s(net.tau_s, net.residues_k_per_w[n, c]), rel=1e-3
    )
    # heat reaches the neighbour later than the cell's own filament
    assert figures.tau_mean_nearest_s > 1.5 * figures.tau_mean_self_s


def test_heater_drive_follows_ohms_law() -> None:
    """P = dT / R_self; R_h = rho L / (W t); P = I^2 R_h = V I."""
    from meshes.materials import MATERIALS
    from meshes.spec import default_spec
    from thermal.screen import SteadyFigures, heater_drive

    spec = default_spec()
    steady = SteadyFigures(8e5, 1.7e6, 0.25, 0.14, 0.24, 1.5, 5e-9, 7e-9, 1.0, 1000, {})
    drive = heater_drive(spec, steady, 100.0)
    power = 100.0 / 8e5
    assert drive["power_for_target_w"] == pytest.approx(power)
    assert drive["heater_rise_at_target_k"] == pytest.approx(power * 1.7e6)
    rho = MATERIALS["TiN"].resistivity_ohm_m
    assert rho == pytest.approx(1.0e-6, rel=0.1)  # Wiedemann-Franz on the 7 W/m/K film
    r_h = rho * 100e-9 / (40e-9 * 20e-9)
    assert drive["heater_resistance_ohm"] == pytest.approx(r_h)
    current = drive["current_for_target_a"]
    assert current**2 * r_h == pytest.approx(power)
    assert drive["voltage_for_target_v"] * current == pytest.approx(power)
    assert drive["current_density_a_per_m2"] == pytest.approx(current / (40e-9 * 20e-9))
