"""e-prop with the true learning signal equals BPTT (reset gradient stopped in both), the
numerical verification of Bellec et al. 2020 and their reference code."""

from __future__ import annotations

import numpy as np
import pytest

from snn.eprop import (
    NeuronParams,
    Weights,
    bptt_gradients,
    eprop_gradients,
    forward,
    readout_error_signal,
)


def network(
    seed: int, n_in: int = 7, n: int = 12, n_out: int = 3, recurrent: bool = True
) -> Weights:
    rng = np.random.default_rng(seed)
    return Weights(
        w_in=rng.normal(0, 1.2, (n, n_in)),
        w_rec=rng.normal(0, 0.5, (n, n)) * recurrent,
        w_out=rng.normal(0, 1.0, (n_out, n)),
    )


def data(
    seed: int, n_t: int = 60, n_b: int = 4, n_in: int = 7, n_out: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 100)
    x = (rng.random((n_t, n_b, n_in)) < 0.2).astype(float)
    return x, rng.normal(size=(n_t, n_b, n_out))


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("kind", ["LIF", "ALIF", "ALIF+refractory"])
@pytest.mark.parametrize("seed", [0, 1])
def test_eprop_with_true_learning_signal_equals_bptt(kind: str, seed: int) -> None:
    n = 12
    beta = np.zeros(n) if kind == "LIF" else np.where(np.arange(n) % 2 == 0, 1.7, 0.0)
    p = NeuronParams(beta=beta, n_refractory=2 if "refractory" in kind else 0)
    w = network(seed)
    x, target = data(seed)
    traj = forward(w, x, p)
    assert 0.02 < traj.z.mean() < 0.5  # the network spikes: the test exercises real dynamics
    assert np.count_nonzero(traj.psi) > 0.1 * traj.psi.size
    grad_in, grad_rec, learning = bptt_gradients(traj, w, target, p)
    eprop_in, eprop_rec = eprop_gradients(traj, learning, p)
    assert relative(eprop_in, grad_in) < 1e-10
    assert relative(eprop_rec, grad_rec) < 1e-10


def test_without_recurrence_the_readout_signal_is_exact_for_input_weights() -> None:
    """No W_rec: the symmetric-feedback learning signal B = W_out^T is the true dE/dz."""
    p = NeuronParams(beta=0.0)
    w = network(3, recurrent=False)
    x, target = data(3)
    traj = forward(w, x, p)
    grad_in, _, _ = bptt_gradients(traj, w, target, p)
    eprop_in, _ = eprop_gradients(traj, readout_error_signal(traj, w, target, p), p)
    assert relative(eprop_in, grad_in) < 1e-10


def test_with_recurrence_the_readout_signal_alone_is_only_an_approximation() -> None:
    """The exactness above is not automatic: dropping the recurrent part of dE/dz (what
    online e-prop does) changes the recurrent-weight gradient visibly."""
    p = NeuronParams(beta=0.0)
    w = network(4)
    x, target = data(4)
    traj = forward(w, x, p)
    _, grad_rec, _ = bptt_gradients(traj, w, target, p)
    _, approx_rec = eprop_gradients(traj, readout_error_signal(traj, w, target, p), p)
    assert relative(approx_rec, grad_rec) > 1e-3


def test_refractory_neurons_are_silent_and_not_plastic() -> None:
    p = NeuronParams(n_refractory=3)
    w = network(5)
    x, _ = data(5)
    traj = forward(w, x, p)
    t_spk, b_spk, j_spk = np.nonzero(traj.z[:-3])
    assert len(t_spk) > 20
    for lag in (1, 2, 3):
        assert not traj.z[t_spk + lag, b_spk, j_spk].any()
        assert not traj.psi[t_spk + lag, b_spk, j_spk].any()


def test_readout_gradient_matches_finite_differences() -> None:
    """W_out does not change the spikes, so E is quadratic in it: central differences are
    exact up to round-off."""
    from snn.eprop import readout_gradient

    p = NeuronParams()
    w = network(6)
    x, target = data(6)
    traj = forward(w, x, p)
    grad = readout_gradient(traj.y - target, traj.z, p)
    h = 1e-4
    for k, j in [(0, 0), (1, 5), (2, 11)]:
        energies = []
        for sign in (1, -1):
            w_out = w.w_out.copy()
            w_out[k, j] += sign * h
            y = forward(Weights(w.w_in, w.w_rec, w_out), x, p).y
            energies.append(0.5 * np.sum((y - target) ** 2))
        assert (energies[0] - energies[1]) / (2 * h) == pytest.approx(grad[k, j], rel=1e-7)
