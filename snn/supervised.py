"""Supervised e-prop: the pattern-generation task of Bellec et al. 2020 (Fig. 2) in numpy.

A recurrent LIF network receives frozen Poisson input and must draw a fixed target curve
y*(t) = sum_m A_m sin(2 pi t / P_m + phi_m) with its leaky readout. Each iteration runs the
network, forms the learning signal L = B (y - y*) filtered by the readout leak (symmetric,
random or adaptive B), adds the firing-rate regulariser and applies e-prop gradients for
W_in, W_rec and the exact gradient for W_out with Adam or SGD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from snn.encoders import poisson_spikes
from snn.eprop import (
    NeuronParams,
    Weights,
    eprop_gradients,
    feedback_matrix,
    forward,
    learning_signal,
    rate_regularisation_signal,
    readout_gradient,
)
from snn.optim import make_optimiser

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PatternTask:
    """Frozen input spikes x [T, 1, N_in] and the target curve [T, 1, 1]."""

    x: FloatArray
    target: FloatArray


def pattern_task(
    *, n_in: int = 100, n_t: int = 1000, dt_s: float = 1e-3, rate_hz: float = 10.0, seed: int = 0
) -> PatternTask:
    """Sum of four sinusoids (periods 1000, 500, 333, 200 ms, random amplitudes and phases)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_t) * dt_s
    periods = np.array([1.0, 0.5, 1 / 3, 0.2])
    amp = rng.uniform(0.5, 2.0, 4)
    phase = rng.uniform(0, 2 * np.pi, 4)
    target = np.sum(amp * np.sin(2 * np.pi * t[:, None] / periods + phase), axis=1)
    x = poisson_spikes(np.full((1, n_in), rate_hz), n_t, dt_s, rng)
    return PatternTask(x, target[:, None, None])


def normalised_mse(y: FloatArray, target: FloatArray) -> float:
    """mean (y - y*)^2 / var(y*): 1 for the best constant output, 0 for a perfect fit."""
    return float(np.mean((y - target) ** 2) / np.var(target))


def train_pattern(
    task: PatternTask,
    *,
    n: int = 100,
    iterations: int = 200,
    feedback: str = "symmetric",
    optimiser: str = "adam",
    lr: float = 3e-3,
    reg_strength: float = 0.5,
    target_rate_hz: float = 10.0,
    dt_s: float = 1e-3,
    seed: int = 0,
) -> tuple[Weights, list[float]]:
    """Train with e-prop; returns the final weights and the NMSE of every iteration."""
    rng = np.random.default_rng(seed)
    n_in = task.x.shape[2]
    p = NeuronParams(beta=0.0, n_refractory=2)
    w = {
        "w_in": rng.normal(0, 1.0 / np.sqrt(n_in), (n, n_in)),
        "w_rec": rng.normal(0, 1.0 / np.sqrt(n), (n, n)) * (1 - np.eye(n)),
        "w_out": rng.normal(0, 1.0 / np.sqrt(n), (1, n)),
    }
    b = feedback_matrix(feedback, w["w_out"], rng)
    opt = make_optimiser(optimiser, lr)
    losses = []
    for _ in range(iterations):
        net = Weights(w["w_in"], w["w_rec"], w["w_out"])
        traj = forward(net, task.x, p)
        err = traj.y - task.target
        losses.append(normalised_mse(traj.y, task.target))
        signal = learning_signal(err, w["w_out"].T if feedback == "symmetric" else b, p)
        signal = signal + rate_regularisation_signal(traj.z, target_rate_hz * dt_s, reg_strength)
        g_in, g_rec = eprop_gradients(traj, signal, p)
        g_out = readout_gradient(err, traj.z, p)
        grads = {"w_in": g_in, "w_rec": g_rec * (1 - np.eye(n)), "w_out": g_out}
        old_out = w["w_out"].copy()
        opt.step(w, grads)
        if feedback == "adaptive":
            b += (w["w_out"] - old_out).T  # B follows W_out's updates (adaptive e-prop)
    return Weights(w["w_in"], w["w_rec"], w["w_out"]), losses
