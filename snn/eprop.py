"""Recurrent LIF/ALIF networks, e-prop eligibility traces and a BPTT reference (numpy).

Dynamics (Bellec et al., Nat Commun 11, 3625 (2020); ARCHITECTURE.md), batch first:

    v^{t+1} = alpha v^t + W_rec z^t + W_in x^{t+1} - v_th z^t      (reset: gradient stopped)
    a^{t+1} = rho a^t + z^t,   A^t = v_th + beta a^t,   z^t = H(v^t - A^t)
    psi^t   = (gamma / v_th) max(0, 1 - |(v^t - A^t) / v_th|)          (pseudo-derivative)
    y^t     = kappa y^{t-1} + W_out z^t,   E = 1/2 sum_t |y^t - y*^t|^2

Eligibility traces (local, forward in time):

    eps_v^{t+1} = alpha eps_v^t + z_i^t            (input weights: x_i^{t+1})
    eps_a^{t+1} = (rho - beta psi_j^t) eps_a^t + psi_j^t eps_v^t
    e_ji^t      = psi_j^t (eps_v^t - beta eps_a^t)
    dE/dW_ji    = sum_t L_j^t e_ji^t

LIF neurons are ALIF with beta = 0 (eps_a drops out and e = psi eps_v, an outer product).
With the *true* learning signal L^t = dE/dz^t through the readout and the recurrent weights
(not through the neuron's own adaptation, which the trace carries), the e-prop gradient equals
BPTT exactly; ``bptt_gradients`` computes that reference by adjoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class NeuronParams:
    """LIF/ALIF constants (dt-discretised): alpha = exp(-dt/tau_m), rho = exp(-dt/tau_a)."""

    alpha: float = float(np.exp(-1 / 20))
    rho: float = float(np.exp(-1 / 200))
    beta: FloatArray | float = 0.0  # per neuron; 0 = LIF
    v_th: float = 1.0
    gamma: float = 0.3
    kappa: float = float(np.exp(-1 / 20))  # readout leak


@dataclass(frozen=True)
class Weights:
    w_in: FloatArray  # [N, N_in]
    w_rec: FloatArray  # [N, N]
    w_out: FloatArray  # [N_out, N]


@dataclass(frozen=True)
class Trajectory:
    """Forward pass, time first: x [T, B, N_in], v/a/z/psi [T, B, N], y [T, B, N_out]."""

    x: FloatArray
    v: FloatArray
    a: FloatArray
    z: FloatArray
    psi: FloatArray
    y: FloatArray


def forward(w: Weights, x: FloatArray, p: NeuronParams) -> Trajectory:
    """Run the network on inputs x [T, B, N_in] from rest (v = a = z = 0 before t = 0)."""
    n_t, n_b, _ = x.shape
    n = w.w_rec.shape[0]
    beta = np.broadcast_to(np.asarray(p.beta, dtype=float), (n,))
    v = np.zeros((n_t, n_b, n))
    a = np.zeros_like(v)
    z = np.zeros_like(v)
    psi = np.zeros_like(v)
    y = np.zeros((n_t, n_b, w.w_out.shape[0]))
    v_t, a_t, z_prev = np.zeros((n_b, n)), np.zeros((n_b, n)), np.zeros((n_b, n))
    y_prev = np.zeros((n_b, w.w_out.shape[0]))
    inputs = x @ w.w_in.T  # [T, B, N], all time steps at once
    for t in range(n_t):
        if t > 0:
            v_t = p.alpha * v[t - 1] + z_prev @ w.w_rec.T + inputs[t] - p.v_th * z_prev
            a_t = p.rho * a[t - 1] + z_prev
        else:
            v_t = inputs[0]
        threshold = p.v_th + beta * a_t
        z_t = (v_t > threshold).astype(float)
        v[t], a[t], z[t] = v_t, a_t, z_t
        psi[t] = p.gamma / p.v_th * np.maximum(0.0, 1.0 - np.abs((v_t - threshold) / p.v_th))
        y_prev = p.kappa * y_prev + z_t @ w.w_out.T
        y[t] = y_prev
        z_prev = z_t
    return Trajectory(x, v, a, z, psi, y)


def readout_error_signal(
    traj: Trajectory, w: Weights, target: FloatArray, p: NeuronParams
) -> FloatArray:
    """dE/dz^t through the leaky readout only: W_out^T sum_{t' >= t} kappa^{t'-t}(y - y*)."""
    err = traj.y - target
    filtered = np.zeros_like(err)
    acc = np.zeros(err.shape[1:])
    for t in range(len(err) - 1, -1, -1):
        acc = err[t] + p.kappa * acc
        filtered[t] = acc
    out: FloatArray = filtered @ w.w_out
    return out


def bptt_gradients(
    traj: Trajectory, w: Weights, target: FloatArray, p: NeuronParams
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Exact gradients of E (reset path stopped) by the adjoint recursion.

    Returns (dE/dW_in, dE/dW_rec, true learning signal L [T, B, N]), where L^t is dE/dz^t
    through the readout and the recurrent weights, excluding the neuron's own adaptation.
    """
    n_t, n_b, n = traj.v.shape
    beta = np.broadcast_to(np.asarray(p.beta, dtype=float), (n,))
    direct = readout_error_signal(traj, w, target, p)
    d_v_next = np.zeros((n_b, n))
    d_a_next = np.zeros((n_b, n))
    grad_in = np.zeros_like(w.w_in)
    grad_rec = np.zeros_like(w.w_rec)
    learning = np.zeros_like(traj.v)
    for t in range(n_t - 1, -1, -1):
        through_rec = d_v_next @ w.w_rec if t < n_t - 1 else np.zeros((n_b, n))
        learning[t] = direct[t] + through_rec
        total = learning[t] + (d_a_next if t < n_t - 1 else 0.0)  # dE/dz^t, all paths
        d_v = traj.psi[t] * total + p.alpha * d_v_next
        d_a = -beta * traj.psi[t] * total + p.rho * d_a_next
        grad_in += d_v.T @ traj.x[t]
        if t < n_t - 1:
            grad_rec += d_v_next.T @ traj.z[t]
        d_v_next, d_a_next = d_v, d_a
    return grad_in, grad_rec, learning


def eprop_gradients(
    traj: Trajectory, learning: FloatArray, p: NeuronParams
) -> tuple[FloatArray, FloatArray]:
    """sum_t L^t e^t for the input and recurrent weights, traces run forward in time.

    Memory is O(B N_alif (N + N_in)) (the adaptation traces of ALIF neurons only), never
    O(B N^2 T).
    """
    n_t, n_b, n = traj.v.shape
    beta = np.broadcast_to(np.asarray(p.beta, dtype=float), (n,))
    grads = []
    for pre, shift in ((traj.x, 0), (traj.z, 1)):
        # eps_v^t = sum_{s} alpha^(t-s) pre^s for s <= t - shift (pre-synaptic only)
        eps_v = np.zeros((n_t, n_b, pre.shape[2]))
        acc = np.zeros((n_b, pre.shape[2]))
        for t in range(n_t):
            src = pre[t] if shift == 0 else (pre[t - 1] if t > 0 else 0.0)
            acc = p.alpha * acc + src
            eps_v[t] = acc
        # LIF part: sum_t (L psi)_j eps_v_i, one matmul over batch and time
        grad = np.einsum("tbj,tbi->ji", learning * traj.psi, eps_v, optimize=True)
        adaptive = np.flatnonzero(beta)  # only ALIF neurons carry an adaptation trace
        if len(adaptive):
            b_a = beta[adaptive][None, :, None]
            psi_a = traj.psi[:, :, adaptive]  # [T, B, N_a]
            signal_a = learning[:, :, adaptive] * psi_a
            eps_a = np.zeros((n_b, len(adaptive), pre.shape[2]))
            grad_a = np.zeros((len(adaptive), pre.shape[2]))
            for t in range(n_t):
                grad_a -= np.einsum("bj,bji->ji", signal_a[t], b_a * eps_a, optimize=True)
                eps_a *= p.rho - b_a * psi_a[t][:, :, None]
                eps_a += psi_a[t][:, :, None] * eps_v[t][:, None, :]
            grad[adaptive] += grad_a
        grads.append(grad)
    return grads[0], grads[1]
