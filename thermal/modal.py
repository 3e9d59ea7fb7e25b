"""Modal (Foster) form of a linear thermal network, in numpy only (no dolfinx import).

A linear network M dT/dt + K T = B P(t) observed through probes y = C T, diagonalised by the
M-orthonormal eigenvectors of (K, M), is a set of independent first-order modes

    dy_k/dt = -lambda_k y_k + sum_h b_kh P_h(t),
    Z_ph(t) = sum_k c_pk b_kh / lambda_k (1 - e^{-lambda_k t}),

i.e. a multi-port Foster network with shared poles tau_k = 1 / lambda_k and residues
R_phk = c_pk b_kh / lambda_k [K/W] (ARCHITECTURE.md, "Heat"). ``thermal`` produces one from the
FE matrices by model-order reduction; ``devicefit`` fits lower-order ones of the same form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ModalModel:
    """Shared-pole modal model: rates ``lambda_k`` [1/s], input ``b`` [mode, heater] and output
    ``c`` [probe, mode] so that the residues are ``c_pk b_kh / lambda_k`` [K/W]."""

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

    @property
    def tau_s(self) -> FloatArray:
        """Time constants tau_k = 1 / lambda_k [s]."""
        return 1.0 / self.rate_per_s

    def residues_k_per_w(self) -> FloatArray:
        """R[probe, heater, mode] = c_pk b_kh / lambda_k [K/W]."""
        return np.einsum(
            "pk,kh->phk", self.output_matrix, self.input_matrix / self.rate_per_s[:, None]
        )

    def steady_k_per_w(self) -> FloatArray:
        """R[probe, heater] = Z(t -> infinity) = sum_k R_phk [K/W]."""
        return self.residues_k_per_w().sum(axis=2)

    def step_response(self, t_s: FloatArray) -> FloatArray:
        """Z[t, probe, heater] [K/W]: mean probe temperature rise per watt of a unit step."""
        t = np.asarray(t_s, dtype=float)
        growth = -np.expm1(-np.outer(t, self.rate_per_s))  # 1 - e^{-lambda t}, exact for small t
        return np.einsum("tk,phk->tph", growth, self.residues_k_per_w())

    def respond(self, power_w: FloatArray, dt_s: float) -> FloatArray:
        """Probe temperature rises [K] for piecewise-constant heater powers (zero-order hold).

        ``power_w[n, h]`` is held on [n dt, (n+1) dt); returns T[n, probe] at t = (n+1) dt,
        exact for the modal model:
        y_k[n+1] = a_k y_k[n] + (1 - a_k) / lambda_k (b P[n])_k,  a_k = e^{-lambda_k dt},
        evaluated for the whole window at once (``discounted_cumsum``).
        """
        p = np.atleast_2d(np.asarray(power_w, dtype=float))
        n = p.shape[0]
        decay = np.exp(-self.rate_per_s * dt_s)
        drive = p @ self.input_matrix.T * (-np.expm1(-self.rate_per_s * dt_s) / self.rate_per_s)
        modes = discounted_cumsum(drive, decay)  # y[n] after step n, [n, mode]
        out: FloatArray = modes @ self.output_matrix.T
        assert out.shape == (n, len(self.probes))
        return out


def discounted_cumsum(x: FloatArray, decay: FloatArray) -> FloatArray:
    """y[n] = decay * y[n-1] + x[n] along axis 0, one decay per column, y[-1] = 0.

    A first-order IIR filter per distinct decay (``scipy.signal.lfilter``, compiled), applied
    to all columns sharing it at once: the loop runs over modes, never over time or synapses.
    """
    x = np.asarray(x, dtype=float)
    decay = np.asarray(decay, dtype=float)
    y = np.empty_like(x)
    for a in np.unique(decay):
        cols = decay == a
        y[:, cols] = scipy.signal.lfilter([1.0], [1.0, -a], x[:, cols], axis=0)
    return y
