"""Weights as differential ReRAM conductance pairs, programmed once per frame.

W_ji = w_scale (G+_ji - G-_ji) / (G_max - G_min). ``program_frame`` sends one pulse pair to
every synapse whose learning signal is non-zero (docs/architecture.md: SET or RESET by the
sign of the signal; the thermal back-end calls it once per pulse pair of a frame's update):
signal > 0 SETs G+ and RESETs G-, signal < 0 the reverse, so the pair moves W without a
common-mode drift to G_max. Each device's change is the card's switching
model at the cell's temperature T_ambient + dT_ji (the thermal eligibility trace):

    dG = (G_max - G0)(1 - exp(-m r_set(T, V) t_p))      SET
    dG = -(G0 - G_min)(1 - exp(-m r_reset(T, V) t_p))   RESET

with m = exp(sigma_d2d n) a fixed per-device rate factor (device-to-device variability).
Conductances live on 2^bits equally spaced levels in [G_min, G_max] (nearest or stochastic
rounding after each pulse); cycle-to-cycle noise multiplies dG; stuck devices never move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from devicefit.switching import SwitchingModel

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PairArray:
    """Conductances [S] of the + and - devices, stuck mask and d2d rate factors, [N_post, N_pre]."""

    g_plus: FloatArray
    g_minus: FloatArray
    stuck: NDArray[np.bool_]
    rate_plus: FloatArray | float = 1.0
    rate_minus: FloatArray | float = 1.0

    def weights(self, model: SwitchingModel, w_scale: float) -> FloatArray:
        return w_scale * (self.g_plus - self.g_minus) / (model.g_max_s - model.g_min_s)

    def rows(self, rows: NDArray[np.intp]) -> PairArray:
        """The pairs of post rows ``rows`` only."""
        return PairArray(
            self.g_plus[rows],
            self.g_minus[rows],
            self.stuck[rows],
            _rows_of(self.rate_plus, rows),
            _rows_of(self.rate_minus, rows),
        )

    def with_rows(self, rows: NDArray[np.intp], part: PairArray) -> PairArray:
        """A copy with post rows ``rows`` replaced by ``part``'s conductances."""
        g_plus, g_minus = self.g_plus.copy(), self.g_minus.copy()
        g_plus[rows], g_minus[rows] = part.g_plus, part.g_minus
        return PairArray(g_plus, g_minus, self.stuck, self.rate_plus, self.rate_minus)


def _rows_of(rate: FloatArray | float, rows: NDArray[np.intp]) -> FloatArray | float:
    return np.asarray(rate)[rows] if np.ndim(rate) > 0 else rate


def levels(model: SwitchingModel, bits: int) -> FloatArray:
    """The 2^bits allowed conductances [S]."""
    return np.linspace(model.g_min_s, model.g_max_s, 2**bits)


def quantise(
    g: FloatArray, model: SwitchingModel, bits: int, rng: np.random.Generator | None = None
) -> FloatArray:
    """Nearest allowed level (``rng`` None) or stochastic rounding to one of the two levels
    around g with the probability that keeps E[G] = g; clipped to [G_min, G_max]."""
    step = (model.g_max_s - model.g_min_s) / (2**bits - 1)
    x = (g - model.g_min_s) / step
    k = np.rint(x) if rng is None else np.floor(x + rng.random(np.shape(x)))
    out: FloatArray = model.g_min_s + np.clip(k, 0, 2**bits - 1) * step
    return out


def init_pairs(
    w_init: FloatArray,
    model: SwitchingModel,
    *,
    bits: int,
    w_scale: float,
    d2d_sigma_ln_rate: float = 0.0,
    stuck_fraction: float = 0.0,
    rng: np.random.Generator,
) -> PairArray:
    """Pairs around mid-range whose quantised weights approximate ``w_init`` [N_post, N_pre]."""
    mid = 0.5 * (model.g_min_s + model.g_max_s)
    half_dg = 0.5 * np.clip(w_init / w_scale, -1.0, 1.0) * (model.g_max_s - model.g_min_s)
    shape = w_init.shape
    return PairArray(
        quantise(mid + half_dg, model, bits),
        quantise(mid - half_dg, model, bits),
        rng.random(shape) < stuck_fraction,
        np.exp(d2d_sigma_ln_rate * rng.standard_normal(shape)),
        np.exp(d2d_sigma_ln_rate * rng.standard_normal(shape)),
    )


def program_frame(
    pairs: PairArray,
    rise_k: FloatArray,
    signal: FloatArray,
    model: SwitchingModel,
    *,
    bits: int,
    t_ambient_k: float,
    rng: np.random.Generator,
    pulse_v: float = 1.0,
    pulse_s: float = 1e-7,
    reset_pulse_s: float | None = None,
    c2c_sigma_rel: float = 0.0,
    stochastic_rounding: bool = False,
) -> PairArray:
    """One end-of-frame pulse pair per synapse with a non-zero signal (vectorised).

    ``stochastic_rounding``: a change of a fraction of a level lands on the next level with
    that probability (unbiased: E[dG] follows the switching model), else nearest level, which
    drops every change below half a level. ``reset_pulse_s`` (default ``pulse_s``): RESET
    pulses may be given their own width to balance SET and RESET rates.
    """
    temperature = t_ambient_k + np.asarray(rise_k, float)
    active = (signal != 0) & ~pairs.stuck
    up = np.asarray(signal > 0)
    reset_s = pulse_s if reset_pulse_s is None else reset_pulse_s

    def moved(
        g: FloatArray, set_polarity: NDArray[np.bool_], rate: FloatArray | float
    ) -> FloatArray:
        width = np.where(set_polarity, pulse_s, reset_s)
        dg = model.delta_g_s(temperature, g, set_polarity, pulse_v, width, rate)
        if c2c_sigma_rel > 0:
            dg = dg * np.maximum(0.0, 1.0 + c2c_sigma_rel * rng.standard_normal(dg.shape))
        rounding = rng if stochastic_rounding else None
        return np.where(active, quantise(g + dg, model, bits, rounding), g)

    return PairArray(
        moved(pairs.g_plus, up, pairs.rate_plus),  # signal > 0: SET G+
        moved(pairs.g_minus, ~up, pairs.rate_minus),  # signal < 0: SET G-
        pairs.stuck,
        pairs.rate_plus,
        pairs.rate_minus,
    )


def programming_energy_j(
    pairs: PairArray, signal: FloatArray, *, pulse_v: float, set_s: float, reset_s: float
) -> float:
    """Ohmic energy sum V^2 G t_p of the pulse pairs sent to synapses with a non-zero signal
    (signal > 0: SET on G+, RESET on G-; signal < 0 the reverse)."""
    up, down = signal > 0, signal < 0
    g_set = np.where(up, pairs.g_plus, 0.0) + np.where(down, pairs.g_minus, 0.0)
    g_reset = np.where(up, pairs.g_minus, 0.0) + np.where(down, pairs.g_plus, 0.0)
    return float(pulse_v**2 * (set_s * np.sum(g_set) + reset_s * np.sum(g_reset)))
