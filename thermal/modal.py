"""Foster networks and the first-order filter behind them, in numpy only (no dolfinx import).

A linear network M dT/dt + K T = B P(t) observed through probes y = C T, diagonalised by the
M-orthonormal eigenvectors of (K, M), is a set of independent first-order modes

    dy_k/dt = -lambda_k y_k + sum_h b_kh P_h(t),
    Z_ph(t) = sum_k R_phk (1 - e^{-t / tau_k}),   tau_k = 1 / lambda_k,  R_phk = c_pk b_kh tau_k,

i.e. a multi-port Foster network with shared poles (docs/architecture.md, "Heat").
``thermal`` produces one from the FE matrices by model-order reduction (``ModalModel``);
``devicefit`` fits lower-order ones; ``snn`` heats synapses with the card's. All of them
evaluate it here (``FosterNetwork``, ``zoh_weights``), and every recursion
y[n] = a y[n-1] + x[n] (a Foster mode under zero-order hold, an e-prop trace, a readout leak)
is ``leaky_filter``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def leaky_filter(
    x: FloatArray, decay: FloatArray | float, initial: FloatArray | None = None
) -> FloatArray:
    """y[t] = decay * y[t-1] + x[t] along axis 0 (time), from y[-1] = ``initial`` (0 if None:
    a filter that continues where an earlier chunk of the sequence ended).

    ``decay`` is a scalar or broadcasts against one time slice ``x[t]`` (one decay per mode,
    say). A loop over time with whole slices: contiguous, and several times faster than
    ``scipy.signal.lfilter`` along a strided axis 0; never a loop over synapses or modes.
    """
    out = np.array(x, dtype=float, copy=True)
    a = np.asarray(decay, dtype=float)
    if initial is not None:
        out[0] += a * initial
    for t in range(1, len(out)):
        out[t] += a * out[t - 1]
    return out


def window_weights(decay: FloatArray | float, n_steps: int) -> FloatArray:
    """w[s, ...] = decay^(n-1-s): the weight of step s of an n-step window in the state of
    ``leaky_filter`` at its end (the recursion unrolled over the window), [n_steps, ...]."""
    ages = np.arange(n_steps - 1, -1, -1, dtype=float)
    a = np.asarray(decay, dtype=float)
    out: FloatArray = a[None, ...] ** ages.reshape(-1, *([1] * a.ndim))
    return out


def zoh_weights(tau_s: FloatArray, dt_s: float, n_steps: int) -> FloatArray:
    """w[s, k] = (1 - a_k) a_k^(n-1-s), a_k = e^{-dt / tau_k}: the weight of the power held
    on step s in mode k's state at the end of an n-step window (exact zero-order hold,
    x_k[n] = a_k x_k[n-1] + (1 - a_k) P[n] unrolled), [n_steps, K]."""
    a = np.exp(-dt_s / np.asarray(tau_s, dtype=float))
    out: FloatArray = (1 - a)[None, :] * window_weights(a, n_steps)
    return out


def mean_rise_time_s(tau_s: FloatArray, residues: FloatArray) -> float:
    """Mean rise time of one Foster term, sum_k R_k tau_k / sum_k R_k [s]: the area above
    its normalised step response, int_0^inf (1 - Z(t) / R) dt."""
    return float(np.sum(residues * tau_s) / np.sum(residues))


@dataclass(frozen=True)
class FosterNetwork:
    """Shared poles ``tau_s`` [s] (ascending) and residues ``residues_k_per_w`` [probe, heater,
    pole] [K/W]; ``probes`` and ``heaters`` name the rows and columns."""

    tau_s: FloatArray
    residues_k_per_w: FloatArray
    probes: tuple[str, ...]
    heaters: tuple[str, ...]

    def step_response(self, t_s: FloatArray) -> FloatArray:
        """Z[t, probe, heater] [K/W]: mean probe rise per watt of a unit step in a heater."""
        growth = -np.expm1(-np.outer(np.asarray(t_s, dtype=float), 1.0 / self.tau_s))
        out: FloatArray = np.einsum("tk,phk->tph", growth, self.residues_k_per_w)
        return out

    def steady_k_per_w(self) -> FloatArray:
        """R[probe, heater] = Z(t -> infinity) = sum_k R_phk [K/W]."""
        out: FloatArray = self.residues_k_per_w.sum(axis=2)
        return out

    def decay_factors(self, dt_s: float) -> FloatArray:
        """Per-mode discrete-time decay a_k = exp(-dt / tau_k) for a step dt."""
        out: FloatArray = np.exp(-dt_s / self.tau_s)
        return out

    def respond(self, power_w: FloatArray, dt_s: float) -> FloatArray:
        """Probe rises [K] at t = (n + 1) dt for powers ``power_w[n, heater]`` held on
        [n dt, (n + 1) dt): x_kh[n] = a_k x_kh[n-1] + (1 - a_k) P_h[n] per mode,
        T_p[n] = sum_kh R_phk x_kh[n], exact (zero-order hold), the whole window at once."""
        p = np.atleast_2d(np.asarray(power_w, dtype=float))
        a = self.decay_factors(dt_s)
        drive = (1.0 - a)[None, :, None] * p[:, None, :]  # [n, K, H]
        modes = leaky_filter(drive, a[:, None])
        out: FloatArray = np.einsum("nkh,phk->np", modes, self.residues_k_per_w)
        return out


@dataclass(frozen=True)
class ModalModel:
    """Shared-pole modal model of the FE system: rates ``lambda_k`` [1/s], input ``b``
    [mode, heater] and output ``c`` [probe, mode]; its Foster form is ``network()``. The
    factored form is kept because a modal state lifts back to an FE field (thermal fields)."""

    rate_per_s: FloatArray
    input_matrix: FloatArray
    output_matrix: FloatArray
    probes: tuple[str, ...]
    heaters: tuple[str, ...]

    @classmethod
    def from_arrays(cls, arrays: dict[str, NDArray[np.generic]]) -> ModalModel:
        """The reduced model stored in a ``response.npz`` (``rate_per_s``, ``input_matrix``,
        ``output_matrix``, ``probes``, ``heaters``)."""
        return cls(
            np.asarray(arrays["rate_per_s"], dtype=float),
            np.asarray(arrays["input_matrix"], dtype=float),
            np.asarray(arrays["output_matrix"], dtype=float),
            tuple(str(p) for p in arrays["probes"]),
            tuple(str(h) for h in arrays["heaters"]),
        )

    def step_state(self, t_s: float, heater: int) -> FloatArray:
        """Modal state y_k(t) = b_kh (1 - e^{-lambda_k t}) / lambda_k after a unit power step in
        ``heater`` (lifted to an FE field by the reduction's basis)."""
        out: FloatArray = (
            self.input_matrix[:, heater] * -np.expm1(-self.rate_per_s * t_s) / self.rate_per_s
        )
        return out

    def filament_sources(self) -> ModalModel:
        """The same modes driven by power in the probed regions themselves: a filament's load
        b_f (one watt spread over its volume) equals its probe row c_f, so the input matrix is
        C^T and Z_fil[t, p, f] is the filament self-heating (f = p) and its reach to the other
        filaments. Symmetric: R_fil = C K^-1 C^T."""
        return ModalModel(
            self.rate_per_s,
            self.output_matrix.T.copy(),
            self.output_matrix,
            self.probes,
            self.probes,
        )

    def network(self) -> FosterNetwork:
        """The Foster form: tau_k = 1 / lambda_k, R_phk = c_pk b_kh / lambda_k, tau ascending."""
        order = np.argsort(-self.rate_per_s)
        rates = self.rate_per_s[order]
        residues = np.einsum(
            "pk,kh->phk", self.output_matrix[:, order], self.input_matrix[order] / rates[:, None]
        )
        return FosterNetwork(1.0 / rates, residues, self.probes, self.heaters)
