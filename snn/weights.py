"""Weights as differential ReRAM conductance pairs, programmed once per frame.

W_ji = w_scale (G+_ji - G-_ji) / (G_max - G_min). At the end of a frame every synapse whose
learning signal is non-zero gets one fixed pulse pair (ARCHITECTURE.md: SET or RESET by the
sign of the signal): signal > 0 SETs G+ and RESETs G-, signal < 0 the reverse, so the pair
moves W without a common-mode drift to G_max. Each device's change is the card's switching
model at the cell's temperature T_ambient + dT_ji (the thermal eligibility trace):

    dG = (G_max - G0)(1 - exp(-m r_set(T, V) t_p))      SET
    dG = -(G0 - G_min)(1 - exp(-m r_reset(T, V) t_p))   RESET

with m = exp(sigma_d2d n) a fixed per-device rate factor (device-to-device variability).
Conductances live on 2^bits equally spaced levels in [G_min, G_max] (nearest-level rounding
after each pulse); cycle-to-cycle noise multiplies dG; stuck devices never move.
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


def levels(model: SwitchingModel, bits: int) -> FloatArray:
    """The 2^bits allowed conductances [S]."""
    return np.linspace(model.g_min_s, model.g_max_s, 2**bits)


def quantise(g: FloatArray, model: SwitchingModel, bits: int) -> FloatArray:
    """Nearest allowed level, clipped to [G_min, G_max]."""
    step = (model.g_max_s - model.g_min_s) / (2**bits - 1)
    k = np.clip(np.rint((g - model.g_min_s) / step), 0, 2**bits - 1)
    out: FloatArray = model.g_min_s + k * step
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


def pulse_dg(
    model: SwitchingModel,
    temperature_k: FloatArray,
    g0_s: FloatArray,
    set_polarity: bool,
    rate_factor: FloatArray | float,
    pulse_v: float,
    pulse_s: float,
) -> FloatArray:
    """dG [S] of one pulse with a per-device rate factor (equations in the module docstring)."""
    pol = np.full(np.shape(temperature_k), set_polarity)
    rate = model.rate_per_s(temperature_k, np.asarray(pulse_v, float), pol) * rate_factor
    moved = -np.expm1(-rate * pulse_s)
    out: FloatArray = (
        (model.g_max_s - g0_s) * moved if set_polarity else -(g0_s - model.g_min_s) * moved
    )
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
    """One end-of-frame pulse pair per synapse with a non-zero signal (vectorised)."""
    temperature = t_ambient_k + np.asarray(rise_k, float)
    gen = rng if rng is not None else np.random.default_rng()
    active = (signal != 0) & ~pairs.stuck
    up = signal > 0

    def moved(g: FloatArray, set_polarity: bool, rate: FloatArray | float) -> FloatArray:
        dg = pulse_dg(model, temperature, g, set_polarity, rate, pulse_v, pulse_s)
        if c2c_sigma_rel > 0:
            dg = dg * np.maximum(0.0, 1.0 + c2c_sigma_rel * gen.standard_normal(dg.shape))
        return np.where(active, quantise(g + dg, model, bits), g)

    set_plus = moved(pairs.g_plus, True, pairs.rate_plus)
    reset_plus = moved(pairs.g_plus, False, pairs.rate_plus)
    set_minus = moved(pairs.g_minus, True, pairs.rate_minus)
    reset_minus = moved(pairs.g_minus, False, pairs.rate_minus)
    return PairArray(
        np.where(up, set_plus, reset_plus),
        np.where(up, reset_minus, set_minus),
        pairs.stuck,
        pairs.rate_plus,
        pairs.rate_minus,
    )


def programming_energy_j(
    pairs: PairArray, signal: FloatArray, *, pulse_v: float, pulse_s: float
) -> float:
    """Ohmic energy V^2 G t_p of the pulse pairs sent to synapses with a non-zero signal."""
    g = np.where(signal != 0, pairs.g_plus + pairs.g_minus, 0.0)
    return float(pulse_v**2 * pulse_s * np.sum(g))
