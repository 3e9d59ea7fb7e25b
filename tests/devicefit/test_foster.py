"""Shared-pole Foster networks: recovery of known poles, exact discrete-time update, and the
fit of the default device's FE impedance tensor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devicefit.errors import FitError
from devicefit.foster import fit_foster, truncate_modal
from thermal.modal import FosterNetwork, ModalModel

PROBES, HEATERS = ("reram_r0_c0", "reram_r0_c1"), ("heater_r0_c0", "heater_r0_c1")


def known_network() -> FosterNetwork:
    tau = np.array([1e-9, 1e-8, 1e-7])
    residues = (
        np.array([[[3.0, 2.0, 1.0], [-0.04, 0.5, 0.6]], [[0.4, 0.3, 0.1], [1.0, 2.0, 3.0]]]) * 1e5
    )  # [probe, heater, k]; (0, 1) rises after a delay, its impulse response stays >= 0
    return FosterNetwork(tau, residues, PROBES, HEATERS)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_known_poles_are_recovered_from_noisy_data(seed: int) -> None:
    """0.1 % (of R_self) Gaussian noise: the three poles come back within 2 %."""
    net = known_network()
    t = np.geomspace(1e-11, 1e-5, 121)
    z = net.step_response(t)
    r_self = np.array([z[-1, 0, 0], z[-1, 1, 1]])
    noisy = z + 1e-3 * np.random.default_rng(seed).normal(size=z.shape) * r_self[None, None, :]
    fit = fit_foster(t, noisy, list(PROBES), list(HEATERS), rel_tol=0.004)
    assert len(fit.network.tau_s) == 3
    np.testing.assert_allclose(fit.network.tau_s, net.tau_s, rtol=0.02)
    np.testing.assert_allclose(
        fit.network.steady_k_per_w(), net.steady_k_per_w(), atol=3e-3 * r_self.max()
    )


def test_discrete_update_reproduces_the_step_response_exactly() -> None:
    net = known_network()
    dt = 2.5e-9
    steps = net.respond(np.tile([1.0, 0.0], (400, 1)), dt)
    exact = net.step_response((np.arange(400) + 1) * dt)[:, :, 0]
    np.testing.assert_allclose(steps, exact, rtol=1e-11, atol=1e-9)


def test_pulse_train_is_superposition_of_steps() -> None:
    net = known_network()
    dt, n = 1e-9, 300
    power = np.zeros((n, 2))
    power[(np.arange(n) // 10) % 3 == 0, 0] = 2e-4
    power[50:60, 1] = 1e-4
    out = net.respond(power, dt)
    jumps = np.diff(power, axis=0, prepend=0.0)
    k = n - 1
    ages = (k + 1) * dt - np.arange(k + 1) * dt
    expected = np.einsum("aph,ah->p", net.step_response(ages), jumps)
    np.testing.assert_allclose(out[k], expected, rtol=1e-9)


def test_modal_truncation_keeps_the_steady_matrix() -> None:
    net = known_network()
    cut = truncate_modal(net.tau_s, net.residues_k_per_w, 2, PROBES, HEATERS)
    assert len(cut.tau_s) == 2
    np.testing.assert_allclose(cut.steady_k_per_w(), net.steady_k_per_w(), rtol=1e-12)


def test_bad_input_is_named() -> None:
    t = np.geomspace(1e-9, 1e-6, 10)
    with pytest.raises(FitError, match="shape"):
        fit_foster(t, np.ones((9, 2, 2)), list(PROBES), list(HEATERS))
    z = np.ones((10, 2, 2))
    z[3, 0, 1] = np.nan
    with pytest.raises(FitError, match="finite"):
        fit_foster(t, z, list(PROBES), list(HEATERS))
    with pytest.raises(FitError, match="own probe"):
        fit_foster(t, np.ones((10, 2, 2)), ["reram_r5_c0", "reram_r5_c1"], list(HEATERS))


def test_default_device_fits_within_one_percent_with_at_most_twelve_poles(
    default_thermal: Path,
) -> None:
    """Issue 4: max |Z_fit - Z_FE| / R_self <= 1 % for every probe/heater pair, <= 12 poles.

    Heater -> own-filament terms are transfer impedances (the heat arrives after a diffusion
    delay), so their residues are signed; the fit reports that honestly.
    """
    data = np.load(default_thermal / "response.npz")
    t, z = data["t"], data["Z"]
    fit = fit_foster(
        t,
        z,
        list(data["probes"]),
        list(data["heaters"]),
        rel_tol=0.01,
        max_poles=12,
        self_nonnegative=False,
    )
    err = np.abs(fit.network.step_response(t) - z) / np.diag(z[-1])[None, None, :]
    assert len(fit.network.tau_s) <= 12
    assert err.max() <= 0.01
    assert err.max() == pytest.approx(fit.max_rel_error, rel=1e-9)
    # a heat kernel is positive: every fitted step response, self and crosstalk, is >= 0 and
    # non-decreasing, before, over and after the fitted time range
    dense = fit.network.step_response(np.geomspace(t[0] / 100, t[-1] * 100, 4000))
    r_self = np.diag(z[-1])[None, None, :]
    assert (dense / r_self).min() >= -1e-6
    assert (np.diff(dense, axis=0) / r_self).min() >= -1e-6
    # ... which the unconstrained fit of the same data is not (it undershoots early on)
    free = fit_foster(
        t, z, list(data["probes"]), list(data["heaters"]), self_nonnegative=False, positive=False
    ).network.step_response(np.geomspace(t[0] / 100, t[-1] * 100, 4000))
    assert (free / r_self).min() < -1e-4
    # the model-order-reduction route (truncating the FE modal model to the same order, R
    # kept exact) is clearly worse here: fitting earns its keep
    full = ModalModel.from_arrays(dict(data)).network()
    cut = truncate_modal(
        full.tau_s, full.residues_k_per_w, len(fit.network.tau_s), full.probes, full.heaters
    )
    cut_err = np.abs(cut.step_response(t) - z) / np.diag(z[-1])[None, None, :]
    assert cut_err.max() > 2 * err.max()
