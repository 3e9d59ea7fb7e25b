"""The Foster network (the one home of its evaluation): the waveform response is exact
superposition of its step response, the leaky filter is the recursion it names, and the
modal model's Foster form has the residues c b / lambda."""

from __future__ import annotations

import numpy as np
import pytest

from thermal.modal import ModalModel, leaky_filter, mean_rise_time_s, zoh_weights


def random_model(seed: int = 0) -> ModalModel:
    rng = np.random.default_rng(seed)
    rates = np.geomspace(1e6, 1e10, 7)
    return ModalModel(
        rates, rng.normal(size=(7, 3)), rng.normal(size=(2, 7)), ("p0", "p1"), ("h0", "h1", "h2")
    )


def test_leaky_filter_equals_the_recursion_per_column() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(700, 4))
    decay = np.array([0.0, 0.5, 0.99, 1.0])
    y, acc = leaky_filter(x, decay), np.zeros(4)
    for n in range(len(x)):
        acc = decay * acc + x[n]
        np.testing.assert_allclose(y[n], acc, rtol=1e-12, atol=1e-12)
    # a scalar decay filters every column alike
    np.testing.assert_allclose(leaky_filter(x, 0.7), leaky_filter(x, np.full(4, 0.7)))


def test_piecewise_constant_power_is_superposed_steps() -> None:
    """P(t) = sum_n (P_n - P_{n-1}) step(t - n dt) => T((n+1) dt) = sum of shifted Z."""
    net = random_model().network()
    rng = np.random.default_rng(2)
    dt, n = 3e-9, 400
    power = rng.uniform(0, 1e-4, size=(n, 3))
    out = net.respond(power, dt)
    jumps = np.diff(power, axis=0, prepend=0.0)  # [n, heater]
    t_end = (np.arange(n) + 1) * dt
    for k in (0, 17, 399):
        ages = t_end[k] - np.arange(k + 1) * dt
        z = net.step_response(ages)  # [age, probe, heater]
        expected = np.einsum("aph,ah->p", z, jumps[: k + 1])
        np.testing.assert_allclose(out[k], expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


def test_foster_form_of_the_modal_model() -> None:
    """tau ascending, R_phk = c_pk b_kh / lambda_k, steady state = sum of residues."""
    model = random_model()
    net = model.network()
    assert np.all(np.diff(net.tau_s) > 0)
    k = int(np.argmax(model.rate_per_s))  # the fastest mode comes first
    np.testing.assert_allclose(
        net.residues_k_per_w[:, :, 0],
        np.outer(model.output_matrix[:, k], model.input_matrix[k]) / model.rate_per_s[k],
    )
    np.testing.assert_allclose(net.step_response(np.array([1.0]))[0], net.steady_k_per_w())


def test_zoh_weights_are_the_unrolled_mode_update() -> None:
    """sum_s w[s, k] P[s] equals x_k after n steps of x = a x + (1 - a) P."""
    tau, dt = np.array([1e-9, 2e-8]), 1e-9
    power = np.random.default_rng(3).random(30)
    a = np.exp(-dt / tau)
    x = np.zeros(2)
    for p in power:
        x = a * x + (1 - a) * p
    np.testing.assert_allclose(zoh_weights(tau, dt, 30).T @ power, x, rtol=1e-12)


def test_mean_rise_time_of_one_pole_is_its_tau() -> None:
    assert mean_rise_time_s(np.array([5e-9]), np.array([2.0])) == pytest.approx(5e-9)
    assert mean_rise_time_s(np.array([1e-9, 3e-8]), np.array([3.0, 1.0])) == pytest.approx(
        (3e-9 + 3e-8) / 4
    )


def test_leaky_filter_continues_a_sequence_chunk_by_chunk() -> None:
    from thermal.modal import leaky_filter

    x = np.random.default_rng(3).random((40, 2, 3))
    whole = leaky_filter(x, 0.9)
    first = leaky_filter(x[:13], 0.9)
    second = leaky_filter(x[13:], 0.9, initial=first[-1])
    np.testing.assert_array_equal(np.concatenate([first, second]), whole)
    # from a non-zero start: y[t] = 0.9^(t+1) y0 + the filter from rest
    y0 = np.ones((2, 3))
    np.testing.assert_allclose(
        leaky_filter(x, 0.9, initial=y0), whole + 0.9 ** np.arange(1, 41)[:, None, None] * y0
    )
