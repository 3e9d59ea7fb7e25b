"""Thermal traces: one pole without crosstalk is the ideal exponential trace; crosstalk adds
exactly the neighbour term; the window sum equals the card's zero-order-hold response."""

from __future__ import annotations

import numpy as np
import pytest

from snn.traces import (
    ThermalKernel,
    ideal_trace,
    temperature_rise,
    temperature_rise_rows,
    thermal_trace,
)
from tests.helpers import synthetic_card
from thermal.modal import FosterNetwork


def activity(
    seed: int = 0, n_t: int = 50, n_b: int = 3, n_post: int = 5, n_pre: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    psi = np.maximum(0, rng.normal(0.05, 0.1, (n_t, n_b, n_post)))
    eps = rng.random((n_t, n_b, n_pre))
    return psi, eps


def test_one_pole_without_crosstalk_is_the_ideal_trace() -> None:
    psi, eps = activity()
    r, tau, dt, scale = 7.7e5, 2e-8, 1e-9, 1e-4
    kernel = ThermalKernel(np.array([tau]), {(0, 0): np.array([r])})
    a = np.exp(-dt / tau)
    thermal = thermal_trace(psi, eps, kernel, dt, scale)
    ideal = ideal_trace(psi, eps, a)
    np.testing.assert_allclose(thermal, scale * r * (1 - a) * ideal, rtol=1e-12)


def test_crosstalk_adds_exactly_the_neighbour_term() -> None:
    psi, eps = activity(1)
    tau, dt, scale = np.array([3e-9, 2.5e-8]), 1e-9, 1e-4
    self_r = np.array([3e5, 4e5])
    right = np.array([5e4, 2e4])  # probe one column to the right of the heater
    alone = thermal_trace(psi, eps, ThermalKernel(tau, {(0, 0): self_r}), dt, scale)
    with_x = thermal_trace(psi, eps, ThermalKernel(tau, {(0, 0): self_r, (0, 1): right}), dt, scale)
    only_x = thermal_trace(psi, eps, ThermalKernel(tau, {(0, 1): right}), dt, scale)
    np.testing.assert_allclose(with_x - alone, only_x, rtol=1e-12, atol=1e-15)
    # the neighbour term lands one column to the right of its source, and nowhere else
    source = thermal_trace(psi, eps, ThermalKernel(tau, {(0, 0): right}), dt, scale)
    np.testing.assert_allclose(only_x[:, :, 1:], source[:, :, :-1], rtol=1e-12)
    assert np.all(only_x[:, :, 0] == 0)


def test_fused_neighbour_sum_equals_the_sum_over_every_synapse() -> None:
    """The numba stencil against the definition dT_ji = sum_(dr,dc) sum_k R_k(dr,dc)
    heat_k,(j-dr)(i-dc), summed synapse by synapse; any subset of rows gives those rows."""
    rng = np.random.default_rng(4)
    tau = np.array([1e-9, 1e-8, 1e-7])
    kernel = ThermalKernel(
        tau, {(dr, dc): rng.random(3) for dr in range(-2, 3) for dc in range(-1, 3)}
    )
    heat = rng.random((3, 2, 6, 7))  # [K, streams, N_post, N_pre]
    expected = np.zeros(heat.shape[1:])
    for b, j, i in np.ndindex(*expected.shape):
        for (dr, dc), r_k in kernel.residues_k_per_w.items():
            if 0 <= j - dr < 6 and 0 <= i - dc < 7:
                expected[b, j, i] += r_k @ heat[:, b, j - dr, i - dc]
    np.testing.assert_allclose(temperature_rise(heat, kernel), expected, rtol=1e-13)
    rows = np.array([0, 5, 7, 11])  # flat (stream, row): rows 0 and 5 of stream 0, 1 and 5 of 1
    np.testing.assert_allclose(
        temperature_rise_rows(heat, kernel, rows), expected.reshape(12, 7)[rows], rtol=1e-13
    )


def test_window_sum_equals_the_card_zero_order_hold() -> None:
    """One synapse: the end-of-frame rise equals FosterNetwork.respond at the last step."""
    psi, eps = activity(2, n_b=1, n_post=1, n_pre=1)
    tau, res = np.array([1e-9, 8e-9, 3e-8]), np.array([2e5, -1e4, 5e5])
    dt, scale = 1e-9, 2e-4
    net = FosterNetwork(tau, res[None, None, :], ("p",), ("h",))
    power = scale * psi[:, 0, :] * eps[:, 0, :]
    expected = net.respond(power, dt)[-1, 0]
    got = thermal_trace(psi, eps, ThermalKernel(tau, {(0, 0): res}), dt, scale)[0, 0, 0]
    assert got == pytest.approx(expected, rel=1e-12)


def test_kernel_from_card_maps_probes_to_offsets() -> None:
    """3 x 3: offsets within one cell come from the centre heater (index 4), offsets two
    cells away from the heater nearest the centre that has them."""
    rng = np.random.default_rng(3)
    residues = rng.random((9, 9, 2))
    kernel = ThermalKernel.from_card(synthetic_card(3, 3, np.array([1e-9, 1e-8]), residues))
    assert set(kernel.residues_k_per_w) == {(r, c) for r in range(-2, 3) for c in range(-2, 3)}
    np.testing.assert_array_equal(kernel.residues_k_per_w[(0, 0)], residues[4, 4])
    np.testing.assert_array_equal(kernel.residues_k_per_w[(0, 1)], residues[5, 4])
    np.testing.assert_array_equal(kernel.residues_k_per_w[(-1, -1)], residues[0, 4])
    # (0, +2): heater (1, 0) -> probe (1, 2), the heater at distance 1 from the centre
    np.testing.assert_array_equal(kernel.residues_k_per_w[(0, 2)], residues[5, 3])
    # (+2, +2): only heater (0, 0) -> probe (2, 2) has it
    np.testing.assert_array_equal(kernel.residues_k_per_w[(2, 2)], residues[8, 0])


def test_kernel_from_card_of_an_even_array_covers_every_side() -> None:
    """2 x 2 array: the centre is cell (1, 1); the offsets it does not see (right, down) come
    from the other heaters, so crosstalk reaches neighbours on every side."""
    residues = np.arange(4 * 4 * 1, dtype=float).reshape(4, 4, 1)
    kernel = ThermalKernel.from_card(synthetic_card(2, 2, np.array([1e-9]), residues))
    assert set(kernel.residues_k_per_w) == {(r, c) for r in (-1, 0, 1) for c in (-1, 0, 1)}
    np.testing.assert_array_equal(kernel.residues_k_per_w[(0, 0)], residues[3, 3])
    np.testing.assert_array_equal(kernel.residues_k_per_w[(-1, 0)], residues[1, 3])
    # (0, +1): heater (1, 0) -> probe (1, 1), the nearest heater to the centre with it
    np.testing.assert_array_equal(kernel.residues_k_per_w[(0, 1)], residues[3, 2])
    np.testing.assert_array_equal(kernel.residues_k_per_w[(1, 1)], residues[3, 0])


def test_a_periodic_card_gives_the_centre_heaters_column_over_the_tile() -> None:
    """Periodic tile: one offset per cell, R(o) = R[centre + o, centre] (images included), so
    the kernel's sum is the all-on rise; an even tile has no centre and is refused."""
    from meshes.files import StageError

    rng = np.random.default_rng(5)
    residues = rng.random((9, 9, 2))
    kernel = ThermalKernel.from_card(
        synthetic_card(3, 3, np.array([1e-9, 1e-8]), residues, boundary="periodic")
    )
    assert set(kernel.residues_k_per_w) == {(r, c) for r in (-1, 0, 1) for c in (-1, 0, 1)}
    np.testing.assert_array_equal(kernel.residues_k_per_w[(0, 0)], residues[4, 4])
    np.testing.assert_array_equal(kernel.residues_k_per_w[(-1, 1)], residues[2, 4])
    total = sum(v for v in kernel.residues_k_per_w.values())
    np.testing.assert_allclose(total, residues[:, 4].sum(axis=0))
    with pytest.raises(StageError, match="odd rows and cols"):
        ThermalKernel.from_card(
            synthetic_card(2, 2, np.array([1e-9]), rng.random((4, 4, 1)), boundary="periodic")
        )
