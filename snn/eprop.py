"""Recurrent LIF/ALIF networks, e-prop eligibility traces and a BPTT reference (numpy).

Dynamics (Bellec et al., Nat Commun 11, 3625 (2020); docs/architecture.md). Arrays are
**time first**: inputs x [T, B, N_in], states v, a, z, psi [T, B, N], outputs y [T, B, N_out];
a wrong shape is refused with ``EpropError`` naming the array.

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

import numba
import numpy as np
from numpy.typing import NDArray

from meshes.files import StageError
from thermal.modal import leaky_filter

FloatArray = NDArray[np.float64]


class EpropError(StageError):
    """Arrays or parameters that do not fit together; the message names them."""


@dataclass(frozen=True)
class NeuronParams:
    """LIF/ALIF constants (dt-discretised): alpha = exp(-dt/tau_m), rho = exp(-dt/tau_a).

    ``beta`` is one value for every neuron or one per neuron (kept as a tuple, so two
    parameter sets compare by value); 0 = LIF.
    """

    alpha: float = float(np.exp(-1 / 20))
    rho: float = float(np.exp(-1 / 200))
    beta: tuple[float, ...] | float = 0.0
    v_th: float = 1.0
    gamma: float = 0.3
    kappa: float = float(np.exp(-1 / 20))  # readout leak
    n_refractory: int = 0  # steps after a spike with z = 0 and psi = 0

    def __post_init__(self) -> None:
        beta = np.asarray(self.beta, dtype=float)
        if beta.ndim > 1 or not np.all(np.isfinite(beta)) or np.any(beta < 0):
            raise EpropError(f"beta: must be >= 0, one value or one per neuron, got {self.beta}")
        object.__setattr__(self, "beta", float(beta) if beta.ndim == 0 else tuple(beta.tolist()))
        for name in ("alpha", "rho", "kappa"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise EpropError(f"{name}: a decay factor in [0, 1), got {value}")
        if not (np.isfinite(self.v_th) and self.v_th > 0):
            raise EpropError(f"v_th: must be > 0, got {self.v_th}")
        if not (np.isfinite(self.gamma) and self.gamma > 0):
            raise EpropError(f"gamma: must be > 0, got {self.gamma}")
        n = self.n_refractory
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise EpropError(f"n_refractory: must be an integer >= 0, got {n!r}")

    def beta_array(self, n: int) -> FloatArray:
        """beta for each of ``n`` neurons."""
        beta = np.asarray(self.beta, dtype=float)
        if beta.ndim == 1 and len(beta) != n:
            raise EpropError(f"beta: {len(beta)} values for {n} neurons")
        out: FloatArray = np.broadcast_to(beta, (n,))
        return out


@dataclass(frozen=True)
class Weights:
    w_in: FloatArray  # [N, N_in], or [B, N, N_in]: one per stream (``forward`` only)
    w_rec: FloatArray  # [N, N], or [B, N, N]: one per stream (``forward`` only)
    w_out: FloatArray  # [N_out, N]


@dataclass(frozen=True)
class NetworkState:
    """The network at the end of a run, [B, N] (``y`` [B, N_out]): where the next chunk of
    input continues from (``forward(..., state=)``), so a sequence run chunk by chunk with
    the same weights is the same trajectory as the sequence run whole."""

    v: FloatArray
    a: FloatArray
    z: FloatArray
    y: FloatArray
    refractory: NDArray[np.int64]


@dataclass(frozen=True)
class Trajectory:
    """Forward pass, time first: x [T, B, N_in], v/a/z/psi [T, B, N], y [T, B, N_out], and
    the parameters it was made with (the gradient functions check them)."""

    x: FloatArray
    v: FloatArray
    a: FloatArray
    z: FloatArray
    psi: FloatArray
    y: FloatArray
    params: NeuronParams
    final: NetworkState | None = None

    def check(self, p: NeuronParams) -> None:
        if p != self.params:
            raise EpropError("params: differ from the NeuronParams the trajectory was run with")


def check_shapes(w: Weights, x: FloatArray, bias: FloatArray | float = 0.0) -> None:
    """Raise ``EpropError`` unless the weights and inputs x [T, B, N_in] fit together."""
    n = w.w_rec.shape[-1] if w.w_rec.ndim in (2, 3) else -1
    if w.w_rec.shape[-2:] != (n, n):
        raise EpropError(
            f"w_rec: shape {w.w_rec.shape}, must be square [N, N] (or one per stream, [B, N, N])"
        )
    if w.w_rec.ndim == 3 and (np.ndim(x) != 3 or np.shape(x)[1] != w.w_rec.shape[0]):
        raise EpropError(
            f"w_rec: {w.w_rec.shape[0]} streams' recurrent weights for x of shape {np.shape(x)}"
        )
    if w.w_in.ndim not in (2, 3) or w.w_in.shape[-2] != n:
        raise EpropError(
            f"w_in: shape {w.w_in.shape}, must be [N, N_in] (or one per stream, [B, N, N_in]) "
            f"with N = {n}"
        )
    if w.w_in.ndim == 3 and (np.ndim(x) != 3 or np.shape(x)[1] != w.w_in.shape[0]):
        raise EpropError(
            f"w_in: {w.w_in.shape[0]} streams' input weights for x of shape {np.shape(x)}"
        )
    if w.w_out.ndim != 2 or w.w_out.shape[1] != n:
        raise EpropError(f"w_out: shape {w.w_out.shape}, must be [N_out, N] with N = {n}")
    if np.ndim(x) != 3 or np.shape(x)[2] != w.w_in.shape[-1]:
        raise EpropError(
            f"x: shape {np.shape(x)}, must be time first [T, B, N_in] with "
            f"N_in = {w.w_in.shape[-1]}"
        )
    if np.ndim(bias) > 1 or (np.ndim(bias) == 1 and np.shape(bias) != (n,)):
        raise EpropError(f"bias: shape {np.shape(bias)}, must be a scalar or [N] with N = {n}")


def _check_time_major(name: str, value: FloatArray, like: FloatArray, last: int) -> None:
    expected = (*like.shape[:2], last)
    if np.shape(value) != expected:
        raise EpropError(f"{name}: shape {np.shape(value)}, expected [T, B, {last}] = {expected}")


def forward(
    w: Weights,
    x: FloatArray,
    p: NeuronParams,
    bias: FloatArray | float = 0.0,
    state: NetworkState | None = None,
) -> Trajectory:
    """Run the network on inputs x [T, B, N_in] from ``state`` (None: from rest, v = a = z = 0
    before t = 0); ``bias`` is a constant input current added to v every step (per neuron or
    scalar). The trajectory's ``final`` is the state to continue from."""
    check_shapes(w, x, bias)
    n_t, n_b, _ = x.shape
    n = w.w_rec.shape[-1]
    n_out = w.w_out.shape[0]
    beta = p.beta_array(n)
    v = np.zeros((n_t, n_b, n))
    a = np.zeros_like(v)
    z = np.zeros_like(v)
    psi = np.zeros_like(v)
    y = np.zeros((n_t, n_b, n_out))
    if state is None:
        state = rest_state(n_b, n, n_out)
    elif state.v.shape != (n_b, n) or state.y.shape != (n_b, n_out):
        raise EpropError(
            f"state: v {state.v.shape}, y {state.y.shape}; expected [B, N] = {(n_b, n)} and "
            f"[B, N_out] = {(n_b, n_out)}"
        )
    v_prev, a_prev, z_prev, y_prev = state.v, state.a, state.z, state.y
    refractory = state.refractory  # steps left
    if w.w_in.ndim == 3:  # each stream its own input weights (a batch of agents)
        per_stream = np.matmul(x.transpose(1, 0, 2), w.w_in.transpose(0, 2, 1))  # [B, T, N]
        inputs = per_stream.transpose(1, 0, 2) + bias
    else:
        inputs = x @ w.w_in.T + bias  # [T, B, N], all time steps at once
    # terms that are exactly zero are skipped (a feed-forward layer, no readout, LIF, no
    # refractory period): the same numbers, a third of the work for the maze's agent
    recurrent, readout, adaptive = bool(np.any(w.w_rec)), bool(np.any(w.w_out)), bool(beta.any())
    if not (recurrent or readout or adaptive or p.n_refractory):
        # a feed-forward LIF layer: the same steps compiled (the maze agent's every frame)
        v_prev, a_prev, z_prev, y_prev = _lif_layer(
            np.ascontiguousarray(inputs), v_prev, a_prev, z_prev, y_prev, p.alpha, p.rho,
            p.v_th, p.gamma, p.kappa, v, a, z, psi, y,
        )  # fmt: skip
        final = NetworkState(v_prev, a_prev, z_prev, y_prev, refractory)
        return Trajectory(x, v, a, z, psi, y, p, final)
    per_stream_rec = w.w_rec.ndim == 3
    for t in range(n_t):
        if recurrent and per_stream_rec:  # each stream its own W_rec: [B, N, N] @ [B, N, 1]
            rec = np.matmul(w.w_rec, z_prev[:, :, None])[:, :, 0]
            v_t = p.alpha * v_prev + rec + inputs[t] - p.v_th * z_prev
        elif recurrent:
            v_t = p.alpha * v_prev + z_prev @ w.w_rec.T + inputs[t] - p.v_th * z_prev
        else:
            v_t = p.alpha * v_prev + inputs[t] - p.v_th * z_prev
        a_t = p.rho * a_prev + z_prev
        threshold = p.v_th + beta * a_t if adaptive else p.v_th
        if p.n_refractory:
            free = refractory == 0
            z_t = ((v_t > threshold) & free).astype(float)
            psi[t] = free * pseudo_derivative(v_t, threshold, p)
            refractory = np.where(z_t > 0, p.n_refractory, np.maximum(refractory - 1, 0))
        else:
            z_t = (v_t > threshold).astype(float)
            psi[t] = pseudo_derivative(v_t, threshold, p)
        v[t], a[t], z[t] = v_t, a_t, z_t
        y_prev = p.kappa * y_prev + z_t @ w.w_out.T if readout else p.kappa * y_prev
        y[t] = y_prev
        v_prev, a_prev, z_prev = v_t, a_t, z_t
    final = NetworkState(v_prev, a_prev, z_prev, y_prev, refractory)
    return Trajectory(x, v, a, z, psi, y, p, final)


@numba.njit(cache=True)
def _lif_layer(
    inputs: FloatArray,
    v0: FloatArray,
    a0: FloatArray,
    z0: FloatArray,
    y0: FloatArray,
    alpha: float,
    rho: float,
    v_th: float,
    gamma: float,
    kappa: float,
    v: FloatArray,
    a: FloatArray,
    z: FloatArray,
    psi: FloatArray,
    y: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``forward``'s steps for LIF neurons without recurrence, readout or refractory period,
    element by element in the same operation order (so the same numbers): v = alpha v +
    input - v_th z, a = rho a + z, z = H(v - v_th), psi = (gamma / v_th) max(0, 1 - |(v -
    v_th) / v_th|), y = kappa y. Fills v, a, z, psi, y [T, B, N]; returns the last state."""
    n_t, n_b, n = inputs.shape
    v_prev, a_prev, z_prev, y_prev = v0.copy(), a0.copy(), z0.copy(), y0.copy()
    scale = gamma / v_th
    for t in range(n_t):
        for b in range(n_b):
            for j in range(n):
                v_t = alpha * v_prev[b, j] + inputs[t, b, j] - v_th * z_prev[b, j]
                a_t = rho * a_prev[b, j] + z_prev[b, j]
                z_t = 1.0 if v_t > v_th else 0.0
                v[t, b, j], a[t, b, j], z[t, b, j] = v_t, a_t, z_t
                psi[t, b, j] = scale * max(0.0, 1.0 - abs((v_t - v_th) / v_th))
                v_prev[b, j], a_prev[b, j], z_prev[b, j] = v_t, a_t, z_t
        for b in range(y_prev.shape[0]):
            for k in range(y_prev.shape[1]):
                y_prev[b, k] = kappa * y_prev[b, k]
                y[t, b, k] = y_prev[b, k]
    return v_prev, a_prev, z_prev, y_prev


def rest_state(n_b: int, n: int, n_out: int) -> NetworkState:
    """v = a = z = y = 0, no neuron refractory."""
    zeros = np.zeros((n_b, n))
    return NetworkState(zeros, zeros, zeros, np.zeros((n_b, n_out)), np.zeros((n_b, n), np.int64))


def pseudo_derivative(v: FloatArray, threshold: FloatArray | float, p: NeuronParams) -> FloatArray:
    """psi = (gamma / v_th) max(0, 1 - |(v - A) / v_th|)  (Bellec et al. 2020, Methods)."""
    out: FloatArray = p.gamma / p.v_th * np.maximum(0.0, 1.0 - np.abs((v - threshold) / p.v_th))
    return out


def readout_error_signal(
    traj: Trajectory, w: Weights, target: FloatArray, p: NeuronParams
) -> FloatArray:
    """dE/dz^t through the leaky readout only: W_out^T sum_{t' >= t} kappa^{t'-t}(y - y*)."""
    traj.check(p)
    _check_time_major("target", target, traj.y, traj.y.shape[2])
    return learning_signal(traj.y - target, w.w_out.T, p)


def learning_signal(error: FloatArray, feedback: FloatArray, p: NeuronParams) -> FloatArray:
    """L_j^t = sum_k B_jk sum_{t' >= t} kappa^(t'-t) (y_k^t' - y*_k^t'), [T, B, N].

    ``feedback`` B [N, N_out] is W_out^T (symmetric e-prop), fixed random, or adaptive (see
    ``feedback_matrix``). Filtering the error backwards by the readout leak is the same sum as
    Bellec et al.'s forward filtering of the eligibility trace by kappa (swap the two sums).
    """
    filtered = leaky_filter(error[::-1], p.kappa)[::-1]
    out: FloatArray = filtered @ feedback.T
    return out


def readout_gradient(error: FloatArray, z: FloatArray, p: NeuronParams) -> FloatArray:
    """dE/dW_out = sum_{t,b} (y - y*)^t (kappa-filtered z)^t, exact: [N_out, N]."""
    n_out, n = error.shape[2], z.shape[2]
    filtered = leaky_filter(z, p.kappa).reshape(-1, n)
    out: FloatArray = error.reshape(-1, n_out).T @ filtered
    return out


def feedback_matrix(
    mode: str, w_out: FloatArray, rng: np.random.Generator | None = None
) -> FloatArray:
    """B [N, N_out] for ``mode`` in FEEDBACK_MODES.

    symmetric: B = W_out^T; random: fixed Gaussian with W_out's scale (Bellec et al. 2020,
    "random e-prop"); adaptive: starts random and the trainer applies W_out's updates to it
    (Kolen-Pollack style, as in the paper's "adaptive e-prop").
    """
    if mode == "symmetric":
        return w_out.T.copy()
    if mode in ("random", "adaptive"):
        if rng is None:
            raise EpropError(f"rng: feedback {mode!r} needs a seeded numpy Generator")
        scale = float(np.std(w_out)) or 1.0 / np.sqrt(w_out.shape[1])
        out: FloatArray = rng.normal(0.0, scale, w_out.T.shape)
        return out
    raise EpropError(f"feedback: {mode!r} is not one of {FEEDBACK_MODES}")


FEEDBACK_MODES = ("symmetric", "random", "adaptive")


def rate_regularisation_signal(
    z: FloatArray, target_rate_per_step: float, strength: float
) -> FloatArray:
    """dE_reg/dz for E_reg = (c/2) sum_j (f_j - f*)^2, f_j = mean_{t,b} z_j^t: [T, B, N].

    Added to the learning signal it pulls each neuron's firing rate towards f* (per step,
    i.e. rate_hz * dt); Bellec et al. 2020 regularise to 10 Hz this way.
    """
    n_t, n_b, _ = z.shape
    per_neuron = strength * (z.mean(axis=(0, 1)) - target_rate_per_step) / (n_t * n_b)
    return np.broadcast_to(per_neuron, z.shape)


def bptt_gradients(
    traj: Trajectory, w: Weights, target: FloatArray, p: NeuronParams
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Exact gradients of E (reset path stopped) by the adjoint recursion.

    Returns (dE/dW_in, dE/dW_rec, true learning signal L [T, B, N]), where L^t is dE/dz^t
    through the readout and the recurrent weights, excluding the neuron's own adaptation.
    """
    n_t, n_b, n = traj.v.shape
    beta = p.beta_array(n)
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
    """sum_t L^t e^t for the input and recurrent weights: (dE/dW_in, dE/dW_rec).

    LIF part: sum_t (L psi)_j^t eps_v,i^t, one contraction over batch and time. ALIF part:
    -beta_j sum_t (L psi)_j^t eps_a,ji^t with eps_a^{t+1} = c_j^t eps_a^t + psi_j^t eps_v,i^t,
    c = rho - beta psi. Unrolling eps_a and swapping the two time sums gives

        sum_t (L psi)^t eps_a^t = sum_s psi_j^s q_j^s eps_v,i^s,
        q^s = (L psi)^{s+1} + c^{s+1} q^{s+1},  q^{T-1} = 0,

    a scan over [B, N] instead of over [B, N, N_pre]: the result is the same number (tested
    against BPTT to 1e-10), memory O(N (N + N_in) + B N T), never O(B N^2 T).
    """
    traj.check(p)
    _check_time_major("learning", learning, traj.v, traj.v.shape[2])
    n_t, n_b, n = traj.v.shape
    beta = p.beta_array(n)
    signal = learning * traj.psi  # (L psi)_j^t
    if np.any(beta):
        c = p.rho - beta * traj.psi
        q = np.zeros_like(signal)
        for s in range(n_t - 2, -1, -1):
            q[s] = signal[s + 1] + c[s + 1] * q[s + 1]
        signal = signal - beta * traj.psi * q
    flat = signal.reshape(n_t * n_b, n)
    eps_in, eps_rec = eligibility_traces(traj, p)
    grad_in = flat.T @ eps_in.reshape(n_t * n_b, -1)
    grad_rec = flat.T @ eps_rec.reshape(n_t * n_b, -1)
    return grad_in, grad_rec


def eligibility_traces(traj: Trajectory, p: NeuronParams) -> tuple[FloatArray, FloatArray]:
    """Presynaptic traces eps_v (input, recurrent), [T, B, N_in] and [T, B, N].

    The LIF eligibility of synapse (j, i) at step t is psi_j^t eps_v,i^t; the thermal and
    ideal synapse back-ends integrate exactly this product (``snn.synapses``).
    """
    eps_rec = np.zeros_like(traj.z)
    eps_rec[1:] = leaky_filter(traj.z[:-1], p.alpha)  # z^{t-1} enters v^t
    return leaky_filter(traj.x, p.alpha), eps_rec
