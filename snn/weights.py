"""Weights as differential ReRAM conductance pairs, programmed once per frame.

W_ji = w_scale (G+_ji - G-_ji) / (G_max - G_min). ``program_frame`` sends one pulse pair to
every synapse whose learning signal is non-zero (docs/architecture.md: SET or RESET by the
sign of the signal; the thermal back-end calls it once per pulse pair of a frame's update):
signal > 0 SETs G+ and RESETs G-, signal < 0 the reverse, so the pair moves W without a
common-mode drift to G_max. Each device's change is the card's switching model
(``devicefit.switching``) at the cell's temperature during the pulse: T_ambient + the stored
rise dT_ji (the thermal eligibility trace) + the pulse's own Joule heat in the filament + the
heat of the neighbours pulsed at the same time, with every rate times m = exp(sigma_d2d n),
a fixed per-device factor (device-to-device variability).
Conductances live on 2^bits equally spaced levels in [G_min, G_max] (nearest or stochastic
rounding after each pulse); cycle-to-cycle noise multiplies dG; stuck devices never move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from devicefit.switching import NO_HEATING, PulseHeating, SwitchingModel
from snn.synapses import Rng

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


def quantise(g: FloatArray, model: SwitchingModel, bits: int, rng: Rng | None = None) -> FloatArray:
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
    rng: Rng,
) -> PairArray:
    """Pairs around mid-range whose quantised weights approximate ``w_init`` [N_post, N_pre]
    (or [B, N_post, N_pre], a batch of agents' arrays with their ``AgentStreams``)."""
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
    rng: Rng,
    pulse_v: float = 1.0,
    pulse_s: float = 1e-7,
    reset_pulse_s: float | None = None,
    reset_pulse_v: float | None = None,
    c2c_sigma_rel: float = 0.0,
    stochastic_rounding: bool = False,
    heating: PulseHeating = NO_HEATING,
    reset_heating: PulseHeating | None = None,
    neighbour_rise: Callable[[FloatArray, bool], FloatArray] | None = None,
    reset_rise_k: FloatArray | None = None,
    set_only: bool = False,
) -> PairArray:
    """One end-of-frame pulse pair per synapse with a non-zero signal (vectorised).

    The pair is two phases: every SET pulse of the frame at once (G+ where signal > 0, G-
    where < 0), then every RESET pulse. During a phase a device sits at T_ambient + its
    cell's stored rise (``rise_k``; ``reset_rise_k`` for the RESET phase, default the same:
    the stored heat decays under a long pulse) + its own pulse's heat (``heating``,
    ``reset_heating``: the SET's and the RESET's, inside the switching model) + the heat of
    the phase's other pulses,
    ``neighbour_rise(P, set_phase)`` of the pulse powers P = V_cell^2 G0 of every pulsed
    cell [W] (None: no neighbour heat).

    ``stochastic_rounding``: a change of a fraction of a level lands on the next level with
    that probability (unbiased: E[dG] follows the switching model), else nearest level, which
    drops every change below half a level. ``reset_pulse_s`` / ``reset_pulse_v`` (default
    the SET's): RESET pulses may have their own width and voltage. ``set_only``: no RESET
    phase (signal > 0 SETs G+, < 0 SETs G-; ``refresh`` restores the common mode).
    """
    active = (signal != 0) & ~pairs.stuck
    up = np.asarray(signal > 0)
    rounding = rng if stochastic_rounding else None
    g_set = np.where(up, pairs.g_plus, pairs.g_minus)
    g_reset = np.where(up, pairs.g_minus, pairs.g_plus)
    rate_set = np.where(up, pairs.rate_plus, pairs.rate_minus)
    rate_reset = np.where(up, pairs.rate_minus, pairs.rate_plus)
    phases = (
        (g_set, True, pulse_v, pulse_s, rate_set, heating, rise_k),
        (
            g_reset,
            False,
            pulse_v if reset_pulse_v is None else reset_pulse_v,
            pulse_s if reset_pulse_s is None else reset_pulse_s,
            rate_reset,
            heating if reset_heating is None else reset_heating,
            rise_k if reset_rise_k is None else reset_rise_k,
        ),
    )
    out = []
    for g, polarity, v, width, rate, heat, rise in phases[:1] if set_only else phases:
        temperature = t_ambient_k + np.asarray(rise, float)
        if neighbour_rise is not None:
            power = np.where(active, heat.power_w(g, v), 0.0)
            temperature = temperature + neighbour_rise(power, polarity)
        dg = model.delta_g_s(temperature, g, polarity, v, width, rate, heating=heat)
        if c2c_sigma_rel > 0:
            dg = dg * np.maximum(0.0, 1.0 + c2c_sigma_rel * rng.standard_normal(dg.shape))
        out.append(np.where(active, quantise(g + dg, model, bits, rounding), g))
    new_set, new_reset = out if len(out) == 2 else (out[0], g_reset)
    return PairArray(
        np.where(up, new_set, new_reset),
        np.where(up, new_reset, new_set),
        pairs.stuck,
        pairs.rate_plus,
        pairs.rate_minus,
    )


def refresh(pairs: PairArray, model: SwitchingModel, bits: int, threshold: float) -> PairArray:
    """Restore the common mode of every pair whose lower device has climbed above
    ``threshold`` of the window (SET-only programming only ever raises G): both devices are
    re-programmed around mid-range, keeping G+ - G- (to the nearest level); stuck devices
    keep their conductance. An ideal program-and-verify: its energy is not booked."""
    low = model.g_min_s + threshold * (model.g_max_s - model.g_min_s)
    due = (np.minimum(pairs.g_plus, pairs.g_minus) > low) & ~pairs.stuck
    if not due.any():
        return pairs
    mid = 0.5 * (model.g_min_s + model.g_max_s)
    half = 0.5 * (pairs.g_plus - pairs.g_minus)
    return PairArray(
        np.where(due, quantise(mid + half, model, bits), pairs.g_plus),
        np.where(due, quantise(mid - half, model, bits), pairs.g_minus),
        pairs.stuck,
        pairs.rate_plus,
        pairs.rate_minus,
    )


def programming_energy_j(
    pairs: PairArray,
    signal: FloatArray,
    *,
    pulse_v: float,
    set_s: float,
    reset_s: float,
    reset_v: float | None = None,
    heating: PulseHeating = NO_HEATING,
) -> float | FloatArray:
    """Joule energy sum V_cell^2 G t_p dissipated in the cells by the pulse pairs sent to
    synapses with a non-zero signal (signal > 0: SET on G+, RESET on G-; signal < 0 the
    reverse); V_cell is the pulse after the series resistance (``heating``). One number for
    an array [N_post, N_pre], one per agent [B] for a batch [B, N_post, N_pre]."""
    up, down = signal > 0, signal < 0
    active = up | down
    g_set = np.where(up, pairs.g_plus, pairs.g_minus)
    g_reset = np.where(up, pairs.g_minus, pairs.g_plus)
    v_reset = pulse_v if reset_v is None else reset_v
    total = set_s * _cell_sums(np.where(active, heating.power_w(g_set, pulse_v), 0.0)) + (
        reset_s * _cell_sums(np.where(active, heating.power_w(g_reset, v_reset), 0.0))
    )
    return float(total) if np.ndim(total) == 0 else total


def _cell_sums(x: FloatArray) -> FloatArray:
    """The sum over each array's cells (the last two axes), contiguously."""
    flat = np.ascontiguousarray(x).reshape(*np.shape(x)[:-2], -1)
    out: FloatArray = flat.sum(-1)
    return out
