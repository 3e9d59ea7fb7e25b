"""Synapse back-ends behind one small protocol: ``ideal`` (float weights, exponential trace)
and ``thermal`` (a model card: heat as the trace, conductance pairs as the weights).

Both integrate the same eligibility per frame, e_ji^s = psi_j^s eps_i^s (post pseudo-derivative
x pre trace, Bellec et al. 2020), and both apply a signed third factor (learning signal or TD
error) at the end of the frame:

* ideal:   E <- lambda^n E + sum_s lambda^(n-1-s) e^s / e_ref,  lambda = exp(-dt / tau);
           W <- W + lr * signal * E.
* thermal: heater power P_ji^s = P_heater e_ji^s / e_ref drives every Foster mode of the card
           (``snn.traces``); the cell's temperature rise dT (self + neighbours' crosstalk) is
           the trace; at the end of the frame about |signal| / signal_unit pulse pairs of the
           sign of the signal program the conductance pair with dG(T_ambient + dT) from the
           card's switching model (``snn.weights``).

e_ref = gamma / v_th (peak pseudo-derivative with one unit of presynaptic trace): a cell whose
e equals e_ref draws P_heater (the presynaptic trace can exceed one, and so can the power).
Heat never goes negative; the sign of an update comes only from the signal. A new device
model is one new class with these five methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from devicefit.card import switching_from_card
from devicefit.switching import SwitchingModel
from snn.traces import ThermalKernel, ideal_trace, modal_heat, temperature_rise
from snn.weights import PairArray, init_pairs, program_frame, programming_energy_j

FloatArray = NDArray[np.float64]


@dataclass
class Energy:
    """Energy ledger [J]: heater and programming energy, and the number of frame updates."""

    heater_j: float = 0.0
    programming_j: float = 0.0
    updates: int = 0

    def per_update_j(self) -> float:
        return (self.heater_j + self.programming_j) / max(self.updates, 1)


class SynapseBackend(Protocol):
    """What the learners need from a synapse array [N_post, N_pre]."""

    energy: Energy

    def weights(self) -> FloatArray: ...

    def accumulate(self, psi: FloatArray, eps: FloatArray) -> None:
        """Add one frame's eligibility, ``psi`` [T, N_post] x ``eps`` [T, N_pre]."""

    def trace(self) -> FloatArray:
        """The stored eligibility now (ideal: dimensionless; thermal: dT [K])."""

    def update(self, signal: float, rng: np.random.Generator) -> None:
        """End-of-frame update with the third factor ``signal``."""

    def reset_trace(self) -> None: ...


@dataclass
class IdealSynapses:
    """Float weights and an exponential eligibility filter of time constant ``tau_s``."""

    w: FloatArray
    tau_s: float
    dt_s: float
    lr: float
    e_ref: float
    energy: Energy = field(default_factory=Energy)
    _trace: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self._trace = np.zeros_like(self.w)

    def weights(self) -> FloatArray:
        return self.w

    def accumulate(self, psi: FloatArray, eps: FloatArray) -> None:
        decay = np.exp(-self.dt_s / self.tau_s)
        frame = ideal_trace(psi, eps, decay) / self.e_ref
        self._trace = decay ** len(psi) * self._trace + frame

    def trace(self) -> FloatArray:
        return self._trace

    def update(self, signal: float, rng: np.random.Generator) -> None:
        self.w = self.w + self.lr * signal * self._trace
        self.energy.updates += 1

    def reset_trace(self) -> None:
        self._trace = np.zeros_like(self.w)


@dataclass
class ThermalSynapses:
    """Conductance pairs heated by their cells' heaters (model card kernel and switching)."""

    pairs: PairArray
    kernel: ThermalKernel
    model: SwitchingModel
    dt_s: float
    bits: int
    w_scale: float
    heater_power_w: float
    e_ref: float
    pulse_v: float
    set_pulse_s: float
    reset_pulse_s: float
    signal_unit: float
    max_pulses: int = 4
    t_ambient_k: float = 300.0
    c2c_sigma_rel: float = 0.0
    stochastic_rounding: bool = True
    energy: Energy = field(default_factory=Energy)
    last_peak_rise_k: float = 0.0  # hottest cell at the last update
    _heat: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self._heat = np.zeros((len(self.kernel.tau_s), *self.pairs.g_plus.shape))

    def weights(self) -> FloatArray:
        return self.pairs.weights(self.model, self.w_scale)

    def accumulate(self, psi: FloatArray, eps: FloatArray) -> None:
        a = np.exp(-self.dt_s / self.kernel.tau_s)[:, None, None]
        scale = self.heater_power_w / self.e_ref
        self._heat = a ** len(psi) * self._heat + scale * modal_heat(
            psi, eps, self.kernel.tau_s, self.dt_s
        )
        # heater energy: sum_s sum_ji P_ji^s dt, the outer product summed without forming it
        self.energy.heater_j += float(scale * self.dt_s * np.sum(psi.sum(1) * eps.sum(1)))

    def trace(self) -> FloatArray:
        return temperature_rise(self._heat, self.kernel)

    def update(self, signal: float, rng: np.random.Generator) -> None:
        """round(|signal| / signal_unit) pulse pairs (stochastic rounding, capped)."""
        n = min(int(np.floor(abs(signal) / self.signal_unit + rng.random())), self.max_pulses)
        rise = self.trace()
        self.last_peak_rise_k = float(rise.max())
        sign = np.full(rise.shape, np.sign(signal))
        for _ in range(n):
            self.energy.programming_j += programming_energy_j(
                self.pairs,
                sign,
                pulse_v=self.pulse_v,
                set_s=self.set_pulse_s,
                reset_s=self.reset_pulse_s,
            )
            self.pairs = program_frame(
                self.pairs,
                rise,
                sign,
                self.model,
                bits=self.bits,
                t_ambient_k=self.t_ambient_k,
                pulse_v=self.pulse_v,
                pulse_s=self.set_pulse_s,
                reset_pulse_s=self.reset_pulse_s,
                c2c_sigma_rel=self.c2c_sigma_rel,
                stochastic_rounding=self.stochastic_rounding,
                rng=rng,
            )
        self.energy.updates += 1

    def reset_trace(self) -> None:
        self._heat = np.zeros_like(self._heat)


def mean_delay_s(kernel: ThermalKernel) -> float:
    """Thermal time constant of the self term: the mean rise time sum_k R_k tau_k / sum_k R_k
    (area above the normalised step response, int_0^inf (1 - Z(t)/R) dt)."""
    res = kernel.residues_k_per_w[(0, 0)]
    return float(np.sum(res * kernel.tau_s) / np.sum(res))


def calibrated_pulse_s(
    model: SwitchingModel,
    *,
    set_polarity: bool,
    pulse_v: float,
    rise_k: float,
    levels_per_pulse: float,
    bits: int,
    t_ambient_k: float = 300.0,
) -> float:
    """Pulse width [s] whose SET (RESET) at mid-range G and T_ambient + rise_k moves G by
    ``levels_per_pulse`` levels: t_p = -ln(1 - |dG| / (G_max - G_mid)) / r(T, V); with
    G_mid = (G_min + G_max) / 2 the same |dG| fraction holds for both polarities."""
    g_mid = 0.5 * (model.g_min_s + model.g_max_s)
    step = (model.g_max_s - model.g_min_s) / (2**bits - 1)
    fraction = levels_per_pulse * step / (model.g_max_s - g_mid)
    if not 0 < fraction < 1:
        raise ValueError(f"levels_per_pulse: {levels_per_pulse} must move 0 < dG < G_max - G_mid")
    rate = model.rate_per_s(
        np.array([t_ambient_k + rise_k]), np.array([pulse_v]), np.array([set_polarity])
    )[0]
    return float(-np.log1p(-fraction) / rate)


def thermal_backend(
    card: dict[str, Any],
    w_init: FloatArray,
    *,
    dt_s: float,
    bits: int,
    w_scale: float,
    heater_power_w: float,
    e_ref: float,
    pulse_v: float,
    reference_rise_k: float,
    levels_per_pulse: float,
    signal_unit: float,
    max_pulses: int,
    variability: bool,
    rng: np.random.Generator,
) -> ThermalSynapses:
    """A thermal array from a validated model card; ``variability`` applies the card's d2d,
    c2c and stuck-device figures."""
    model = switching_from_card(card)
    var = card["variability"] if variability else {}
    pairs = init_pairs(
        w_init,
        model,
        bits=bits,
        w_scale=w_scale,
        d2d_sigma_ln_rate=float(var.get("d2d_sigma_ln_rate", 0.0)),
        stuck_fraction=float(var.get("stuck_fraction", 0.0)),
        rng=rng,
    )
    pulse: dict[str, Any] = {
        "pulse_v": pulse_v,
        "rise_k": reference_rise_k,
        "levels_per_pulse": levels_per_pulse,
        "bits": bits,
    }
    return ThermalSynapses(
        pairs=pairs,
        kernel=ThermalKernel.from_card(card),
        model=model,
        dt_s=dt_s,
        bits=bits,
        w_scale=w_scale,
        heater_power_w=heater_power_w,
        e_ref=e_ref,
        pulse_v=pulse_v,
        set_pulse_s=calibrated_pulse_s(model, set_polarity=True, **pulse),
        reset_pulse_s=calibrated_pulse_s(model, set_polarity=False, **pulse),
        signal_unit=signal_unit,
        max_pulses=max_pulses,
        c2c_sigma_rel=float(var.get("c2c_sigma_rel", 0.0)),
    )
