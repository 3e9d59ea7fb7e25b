"""Spike encoders (rates, latencies, place cells) and optimisers (least-squares convergence)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from snn.encoders import place_cell_rates, poisson_spikes, ttfs_spikes
from snn.optim import SGD, Adam, make_optimiser


def test_poisson_rate_matches_rate_times_dt_within_four_sigma() -> None:
    rates = np.array([[5.0, 50.0, 200.0], [0.0, 500.0, 20.0]])
    n_steps, dt = 20_000, 1e-3
    z = poisson_spikes(rates, n_steps, dt, np.random.default_rng(7))
    assert z.shape == (n_steps, 2, 3)
    assert set(np.unique(z)) <= {0.0, 1.0}
    p = rates * dt
    sigma = np.sqrt(p * (1 - p) / n_steps)
    assert np.all(np.abs(z.mean(axis=0) - p) <= 4 * sigma + 1e-12)
    assert z[:, 1, 0].sum() == 0  # zero rate never fires


def test_poisson_is_reproducible_and_saturates() -> None:
    rates = np.full(50, 80.0)
    a = poisson_spikes(rates, 100, 1e-3, np.random.default_rng(3))
    b = poisson_spikes(rates, 100, 1e-3, np.random.default_rng(3))
    c = poisson_spikes(rates, 100, 1e-3, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(poisson_spikes([5e3], 10, 1e-3, np.random.default_rng(0)) == 1.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"dt_s": 0.0}, "dt_s"), ({"n_steps": 0}, "n_steps"), ({"rates_hz": [-1.0]}, "rates_hz")],
)
def test_poisson_rejects_bad_arguments_by_name(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"rates_hz": [1.0], "n_steps": 5, "dt_s": 1e-3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=field):
        poisson_spikes(rng=np.random.default_rng(0), **args)  # type: ignore[arg-type]


def test_ttfs_one_spike_each_and_stronger_inputs_fire_first() -> None:
    values = np.array([[0.9, 0.2, 0.5, 1.0, 0.05], [0.3, 0.7, 0.1, 0.6, 0.4]])
    z = ttfs_spikes(values, 50)
    assert z.shape == (50, 2, 5)
    np.testing.assert_array_equal(z.sum(axis=0), np.ones_like(values))
    latency = np.argmax(z, axis=0)
    np.testing.assert_array_equal(latency, np.rint((1 - values) * 49).astype(int))
    order = np.argsort(-values, axis=1, kind="stable")
    assert np.all(np.diff(np.take_along_axis(latency, order, axis=1), axis=1) >= 0)
    assert latency[0, 3] == 0


def test_ttfs_silent_at_zero_and_rejects_out_of_range_values() -> None:
    z = ttfs_spikes(np.array([0.0, 1e-9]), 10)
    assert z[:, 0].sum() == 0 and z[-1, 1] == 1
    for bad in ([1.2], [-0.1], [np.nan]):
        with pytest.raises(ValueError, match="values"):
            ttfs_spikes(np.array(bad), 10)


def test_place_cells_fire_only_for_their_state() -> None:
    r = place_cell_rates(np.array([0, 2, 2]), 3, 4, 100.0, background_hz=1.0)
    assert r.shape == (3, 12)
    expected = np.ones((3, 12))
    expected[0, 0:4] = 100.0
    expected[1:, 8:12] = 100.0
    np.testing.assert_array_equal(r, expected)
    np.testing.assert_array_equal(place_cell_rates(1, 2, 2, 50.0), [0.0, 0.0, 50.0, 50.0])
    with pytest.raises(ValueError, match="state"):
        place_cell_rates(3, 3, 2, 10.0)


def least_squares() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 5))
    b = rng.normal(size=20)
    return a, b, np.linalg.lstsq(a, b, rcond=None)[0]


@pytest.mark.parametrize(
    ("make", "steps"),
    [
        (lambda a: SGD(lr=1.0 / np.linalg.eigvalsh(a.T @ a)[-1]), 300),
        (lambda a: Adam(lr=0.03), 1000),
        (lambda a: make_optimiser("adam", 0.01), 1000),
    ],
)
def test_optimisers_reach_the_least_squares_solution(
    make: Callable[[np.ndarray], SGD | Adam], steps: int
) -> None:
    a, b, x_star = least_squares()
    opt = make(a)
    params = {"x": np.zeros(5)}
    x_id = id(params["x"])
    for _ in range(steps):
        opt.step(params, {"x": a.T @ (a @ params["x"] - b)})  # grad of 0.5 |A x - b|^2
    assert id(params["x"]) == x_id  # updated in place
    assert np.linalg.norm(params["x"] - x_star) <= 1e-6 * np.linalg.norm(x_star)


def test_adam_first_step_moves_each_coordinate_by_lr() -> None:
    opt = Adam(lr=0.05)
    params = {"w": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.zeros(3)}
    before = {k: v.copy() for k, v in params.items()}
    grads = {"w": np.array([[1e-3, -40.0], [7.0, -0.2]]), "b": np.array([2.0, -1e-2, 5.0])}
    opt.step(params, grads)
    for k in params:
        np.testing.assert_allclose(params[k] - before[k], -0.05 * np.sign(grads[k]), rtol=1e-4)
    assert opt.t == 1


def test_sgd_step_and_name_errors() -> None:
    params = {"x": np.array([1.0, 2.0])}
    SGD(lr=0.5).step(params, {"x": np.array([2.0, -2.0])})
    np.testing.assert_array_equal(params["x"], [0.0, 3.0])
    with pytest.raises(ValueError, match="'y'"):
        SGD(lr=0.5).step(params, {"y": np.zeros(2)})
    with pytest.raises(ValueError, match="shape"):
        Adam().step(params, {"x": np.zeros(3)})
    with pytest.raises(ValueError, match="adam, sgd"):
        make_optimiser("rmsprop", 0.1)
    with pytest.raises(ValueError, match="lr"):
        SGD(lr=-1.0)
    with pytest.raises(ValueError, match="beta2"):
        Adam(beta2=1.0)
