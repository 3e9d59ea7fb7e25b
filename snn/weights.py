"""Weights as differential ReRAM conductance pairs, programmed once per frame.

W_ji = w_scale (G+_ji - G-_ji) / (G_max - G_min). At the end of a frame every synapse whose
learning signal is non-zero gets one fixed SET pulse on G+ (signal > 0) or on G- (signal < 0);
its conductance change is the card's switching model dG(T_ambient + dT_ji, G0) at the cell's
stored temperature rise dT_ji (the thermal eligibility trace). Conductances live on 2^bits
equally spaced levels in [G_min, G_max] (nearest-level rounding after each pulse);
cycle-to-cycle noise multiplies dG; stuck devices never move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from devicefit.switching import SwitchingModel

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PairArray:
    """Conductances [S] of the + and - devices and the stuck-device mask, [N_post, N_pre]."""

    g_plus: FloatArray
    g_minus: FloatArray
    stuck: NDArray[np.bool_]

    def weights(self, model: SwitchingModel, w_scale: float) -> FloatArray:
        return w_scale * (self.g_plus - self.g_minus) / (model.g_max_s - model.g_min_s)


def levels(model: SwitchingModel, bits: int) -> FloatArray:
    """The 2^bits allowed conductances [S]."""
    return np.linspace(model.g_min_s, model.g_max_s, 2**bits)


def quantise(g: FloatArray, model: SwitchingModel, bits: int) -> FloatArray:
    """Nearest allowed level, clipped to [G_min, G_max]."""
    step = (model.g_max_s - model.g_min_s) / (2**bits - 1)
    k = np.clip(np.rint((g - model.g_min_s) / step), 0, 2**bits - 1)
    out: FloatArray = model.g_min_s + k * step
    return out


def program_frame(
    pairs: PairArray,
    rise_k: FloatArray,
    signal: FloatArray,
    model: SwitchingModel,
    *,
    bits: int,
    t_ambient_k: float = 300.0,
    pulse_v: float = 1.0,
    pulse_s: float = 1e-7,
    c2c_sigma_rel: float = 0.0,
    rng: np.random.Generator | None = None,
) -> PairArray:
    """One end-of-frame SET pulse per synapse with a non-zero signal (vectorised)."""
    temperature = t_ambient_k + rise_k
    target_plus = signal > 0
    g0 = np.where(target_plus, pairs.g_plus, pairs.g_minus)
    dg = model.delta_g_s(temperature, g0, True, pulse_v, pulse_s)
    if c2c_sigma_rel > 0:
        gen = rng if rng is not None else np.random.default_rng()
        dg = dg * np.maximum(0.0, 1.0 + c2c_sigma_rel * gen.standard_normal(dg.shape))
    dg = np.where((signal != 0) & ~pairs.stuck, dg, 0.0)
    g_plus = np.where(target_plus, quantise(pairs.g_plus + dg, model, bits), pairs.g_plus)
    g_minus = np.where(~target_plus, quantise(pairs.g_minus + dg, model, bits), pairs.g_minus)
    return PairArray(g_plus, g_minus, pairs.stuck)
