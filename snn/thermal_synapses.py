"""The ``thermal`` back-end: a model card's heat is the trace, conductance pairs the weights.

Heater power P_ji^s = P_heater e_ji^s / e_ref drives every Foster mode of the card
(``snn.traces``); the cell's temperature rise dT (self + neighbours' crosstalk) is the trace.
At the end of a frame about |signal| / signal_unit pulse pairs of the sign of the signal
program the conductance pair with dG(T_ambient + dT) from the card's switching model
(``snn.weights``), T_ambient being the card's.

e_ref = gamma / v_th (peak pseudo-derivative with one unit of presynaptic trace): a cell whose
e equals e_ref draws P_heater (the presynaptic trace can exceed one, and so can the power).
Heat never goes negative; the sign of an update comes only from the signal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray

from devicefit.card import ModelCard
from devicefit.switching import SwitchingModel
from meshes.files import StageError
from snn.synapses import BackendKind, BuildContext, Energy, FloatArray, FrameTiming
from snn.traces import ThermalKernel, modal_heat, temperature_rise, temperature_rise_rows
from snn.weights import PairArray, init_pairs, program_frame, programming_energy_j

MAX_VARIABILITY = 100.0
MAX_SIGMA = 10.0  # the card schema's bound on the d2d and c2c spreads


@dataclass(frozen=True)
class ThermalSettings:
    """Settings of the thermal array (the device itself comes from the model card)."""

    w_scale: float = 3.0  # W = w_scale (G+ - G-) / (G_max - G_min)
    bits: int = 8  # 2^bits conductance levels per device
    heater_power_w: float = 4e-4  # heater power at e = e_ref
    pulse_v: float = 1.0  # programming pulse amplitude
    reference_rise_k: float = 150.0  # the rise at which a pulse moves levels_per_pulse levels
    levels_per_pulse: float = 1.0
    signal_unit: float = 0.05  # |signal| per pulse pair
    max_pulses: int = 8  # pulse pairs per frame, at most
    variability: float = 0.0  # multiplier on the card's d2d / c2c / stuck figures

    def validate(self, where: str, error: type[StageError]) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise error(f"{where}.{f.name}: must be finite, got {value}")
        for name in ("bits", "max_pulses"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise error(f"{where}.{name}: must be an integer >= 1, got {value!r}")
        if self.bits > 16:
            raise error(f"{where}.bits: must be <= 16, got {self.bits}")
        for name in (
            "w_scale",
            "heater_power_w",
            "pulse_v",
            "reference_rise_k",
            "levels_per_pulse",
            "signal_unit",
        ):
            if not getattr(self, name) > 0:
                raise error(f"{where}.{name}: must be > 0, got {getattr(self, name)}")
        if not 0 <= self.variability <= MAX_VARIABILITY:
            raise error(
                f"{where}.variability: must be in [0, {MAX_VARIABILITY:g}] (x the card's "
                f"figures), got {self.variability}"
            )
        # a calibrated pulse moves levels_per_pulse levels of 2^bits - 1 from mid-range: it must
        # stay below half the window (calibrated_pulse_s), whatever the card
        fraction = 2 * self.levels_per_pulse / (2**self.bits - 1)
        if not fraction < 1:
            raise error(
                f"{where}.levels_per_pulse: {self.levels_per_pulse:g} levels of a {self.bits}-bit "
                "device is half the conductance window or more; use more bits or fewer levels"
            )


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
    t_ambient_k: float
    max_pulses: int = 4
    c2c_sigma_rel: float = 0.0
    stochastic_rounding: bool = True
    energy: Energy = field(default_factory=Energy)
    # hottest cell read at the last update: every cell for one signal for the whole array,
    # the pulsed rows' cells for a signal per post neuron
    last_peak_rise_k: float = 0.0
    _heat: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self._heat = np.zeros((len(self.kernel.tau_s), *self.pairs.g_plus.shape))

    def weights(self) -> FloatArray:
        return self.pairs.weights(self.model, self.w_scale)

    def accumulate(self, psi: FloatArray, eps: FloatArray) -> None:
        scale = self.heater_power_w / self.e_ref
        heat = modal_heat(scale * psi, eps, self.kernel.tau_s, self.dt_s)  # [K, ..., N, N_pre]
        a = np.exp(-self.dt_s / self.kernel.tau_s).reshape(-1, *([1] * (heat.ndim - 1)))
        old = self._heat  # [K, N, N_pre] at rest; gains the streams' axes on their first frame
        old *= a.reshape(-1, *([1] * (old.ndim - 1))) ** len(psi)  # in place: old is ours
        heat += old.reshape(old.shape[0], *([1] * (heat.ndim - old.ndim)), *old.shape[1:])
        self._heat = heat
        # heater energy: sum_s sum_ji P_ji^s dt, the outer product summed without forming it
        self.energy.heater_j += float(scale * self.dt_s * np.sum(psi.sum(-1) * eps.sum(-1)))

    def trace(self) -> FloatArray:
        return temperature_rise(self._heat, self.kernel)

    def update(self, signal: float | FloatArray, rng: np.random.Generator) -> None:
        """round(|signal| / signal_unit) pulse pairs (stochastic rounding, capped).

        ``signal`` is one number for the whole array (a TD error), or one per post neuron
        [..., N_post] (a learning signal; each row gets its own count, the sign of its
        signal): with traces of several streams [B, N_post, N_pre], the streams program the
        one shared array in turn, each with its own cells' temperature.
        """
        if np.ndim(signal) == 0:
            rise = self.trace()
            self.last_peak_rise_k = float(rise.max())
            n = min(
                int(np.floor(abs(float(signal)) / self.signal_unit + rng.random())), self.max_pulses
            )
            sign = np.full(rise.shape, np.sign(signal))
            for _ in range(n):
                self._pulse(rise, sign, rng)
        else:
            s = np.broadcast_to(np.asarray(signal, float), self._heat.shape[1:-1])
            counts = np.minimum(
                np.floor(np.abs(s) / self.signal_unit + rng.random(s.shape)), self.max_pulses
            ).reshape(-1, s.shape[-1])  # [streams, N_post]
            # only the rows that get a pulse are read: a few per cent of them in TIMIT
            todo = np.flatnonzero(counts > 0)
            rise = temperature_rise_rows(self._heat, self.kernel, todo)
            self.last_peak_rise_k = float(rise.max(initial=0.0))
            rows = s.reshape(counts.shape)
            for b, n_row in enumerate(counts):
                for k in range(int(n_row.max(initial=0))):
                    sel = np.flatnonzero(n_row > k)  # only these rows are pulsed
                    sign = np.sign(rows[b, sel])[:, None] * np.ones(rise.shape[-1])
                    at = np.searchsorted(todo, b * counts.shape[1] + sel)
                    self._pulse(rise[at], sign, rng, sel)
        self.energy.updates += 1

    def _pulse(
        self,
        rise: FloatArray,
        sign: FloatArray,
        rng: np.random.Generator,
        rows: NDArray[np.intp] | None = None,
    ) -> None:
        """One pulse pair to every synapse with a non-zero ``sign``, at T_ambient + rise;
        with ``rows``, ``rise`` and ``sign`` cover only those post rows of the array."""
        pairs = self.pairs if rows is None else self.pairs.rows(rows)
        self.energy.programming_j += programming_energy_j(
            pairs,
            sign,
            pulse_v=self.pulse_v,
            set_s=self.set_pulse_s,
            reset_s=self.reset_pulse_s,
        )
        moved = program_frame(
            pairs,
            rise,
            sign,
            self.model,
            bits=self.bits,
            t_ambient_k=self.t_ambient_k,
            rng=rng,
            pulse_v=self.pulse_v,
            pulse_s=self.set_pulse_s,
            reset_pulse_s=self.reset_pulse_s,
            c2c_sigma_rel=self.c2c_sigma_rel,
            stochastic_rounding=self.stochastic_rounding,
        )
        self.pairs = moved if rows is None else self.pairs.with_rows(rows, moved)

    def reset_trace(self) -> None:
        self._heat = np.zeros((len(self.kernel.tau_s), *self.pairs.g_plus.shape))

    def peak_rise_k(self) -> float | None:
        return self.last_peak_rise_k


def calibrated_pulse_s(
    model: SwitchingModel,
    *,
    set_polarity: bool,
    pulse_v: float,
    rise_k: float,
    levels_per_pulse: float,
    bits: int,
    t_ambient_k: float,
) -> float:
    """Pulse width [s] whose SET (RESET) at mid-range G and T_ambient + rise_k moves G by
    ``levels_per_pulse`` levels: t_p = -ln(1 - |dG| / (G_max - G_mid)) / r(T, V); with
    G_mid = (G_min + G_max) / 2 the same |dG| fraction holds for both polarities.
    (``ThermalSettings.validate`` guarantees 0 < |dG| / (G_max - G_mid) < 1.)"""
    g_mid = 0.5 * (model.g_min_s + model.g_max_s)
    step = (model.g_max_s - model.g_min_s) / (2**bits - 1)
    fraction = levels_per_pulse * step / (model.g_max_s - g_mid)
    rate = model.rate_per_s(
        np.array([t_ambient_k + rise_k]), np.array([pulse_v]), np.array([set_polarity])
    )[0]
    return float(-np.log1p(-fraction) / rate)


def _card(card: ModelCard | None) -> ModelCard:
    if card is None:
        raise StageError("backend: 'thermal' needs a model card (--card)")
    return card


def _timing(
    settings: ThermalSettings, card: ModelCard | None, decay_ratio: float, frame_s: float
) -> FrameTiming:
    """The trace lasts the card's self-term mean rise time; the frame is that / decay_ratio
    (the network's own frame duration does not enter: its steps are squeezed into it)."""
    tau = ThermalKernel.from_card(_card(card)).self_mean_delay_s()
    return FrameTiming(tau / decay_ratio, tau)


def _build(settings: ThermalSettings, ctx: BuildContext) -> ThermalSynapses:
    """A thermal array from the card; ``settings.variability`` scales its d2d, c2c and stuck
    figures (0: an ideal device)."""
    card = _card(ctx.card)
    model = card.switching.model
    var = card.variability.scaled(settings.variability)
    if max(var.d2d_sigma_ln_rate, var.c2c_sigma_rel) > MAX_SIGMA:
        raise StageError(
            f"synapses.variability: {settings.variability:g} x the card's figures gives a "
            f"spread of {max(var.d2d_sigma_ln_rate, var.c2c_sigma_rel):g}, above {MAX_SIGMA:g}"
        )
    pairs = init_pairs(
        ctx.w_init,
        model,
        bits=settings.bits,
        w_scale=settings.w_scale,
        d2d_sigma_ln_rate=var.d2d_sigma_ln_rate,
        stuck_fraction=var.stuck_fraction,
        rng=ctx.rng,
    )
    t_amb = card.thermal.t_ambient_k

    def pulse(set_polarity: bool) -> float:
        return calibrated_pulse_s(
            model,
            set_polarity=set_polarity,
            pulse_v=settings.pulse_v,
            rise_k=settings.reference_rise_k,
            levels_per_pulse=settings.levels_per_pulse,
            bits=settings.bits,
            t_ambient_k=t_amb,
        )

    return ThermalSynapses(
        pairs=pairs,
        kernel=ThermalKernel.from_card(card),
        model=model,
        dt_s=ctx.timing.frame_s / ctx.steps_per_frame,
        bits=settings.bits,
        w_scale=settings.w_scale,
        heater_power_w=settings.heater_power_w,
        e_ref=ctx.e_ref,
        pulse_v=settings.pulse_v,
        set_pulse_s=pulse(True),
        reset_pulse_s=pulse(False),
        signal_unit=settings.signal_unit,
        t_ambient_k=t_amb,
        max_pulses=settings.max_pulses,
        c2c_sigma_rel=var.c2c_sigma_rel,
    )


KIND = BackendKind(
    name="thermal",
    settings_type=ThermalSettings,
    needs_card=True,
    timing=_timing,
    build=_build,
    description="a model card's heat as the trace, quantised conductance pairs as weights",
)
