"""The modal (Foster) model's waveform response is exact superposition of its step response."""

from __future__ import annotations

import numpy as np

from thermal.modal import ModalModel, discounted_cumsum


def random_model(seed: int = 0) -> ModalModel:
    rng = np.random.default_rng(seed)
    rates = np.geomspace(1e6, 1e10, 7)
    return ModalModel(
        rates, rng.normal(size=(7, 3)), rng.normal(size=(2, 7)), ("p0", "p1"), ("h0", "h1", "h2")
    )


def test_discounted_cumsum_equals_the_recursion() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(700, 4))  # spans several internal blocks
    decay = np.array([0.0, 0.5, 0.99, 1.0])
    y, acc = discounted_cumsum(x, decay), np.zeros(4)
    for n in range(len(x)):
        acc = decay * acc + x[n]
        np.testing.assert_allclose(y[n], acc, rtol=1e-12, atol=1e-12)


def test_piecewise_constant_power_is_superposed_steps() -> None:
    """P(t) = sum_n (P_n - P_{n-1}) step(t - n dt) => T((n+1) dt) = sum of shifted Z."""
    model = random_model()
    rng = np.random.default_rng(2)
    dt, n = 3e-9, 400
    power = rng.uniform(0, 1e-4, size=(n, 3))
    out = model.respond(power, dt)
    jumps = np.diff(power, axis=0, prepend=0.0)  # [n, heater]
    t_end = (np.arange(n) + 1) * dt
    for k in (0, 17, 399):
        ages = t_end[k] - np.arange(k + 1) * dt
        z = model.step_response(ages)  # [age, probe, heater]
        expected = np.einsum("aph,ah->p", z, jumps[: k + 1])
        np.testing.assert_allclose(out[k], expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


def test_steady_state_is_the_sum_of_residues() -> None:
    model = random_model()
    np.testing.assert_allclose(model.step_response(np.array([1.0]))[0], model.steady_k_per_w())
