"""The ``thermal`` back-end: a model card's heat is the trace, conductance pairs the weights.

Heater power P_ji^s = P_heater e_ji^s / e_ref drives every Foster mode of the card
(``snn.traces``); the cell's temperature rise dT (self + neighbours' crosstalk) is the trace.
At the end of a frame about |signal| / signal_unit pulse pairs of the sign of the signal
program the conductance pair with the card's switching model (``snn.weights``) at the
effective temperature of the pulse: T_ambient + dT + the pulse's own Joule heat in its
filament (R_fil V_cell^2 G0, V_cell after the access resistance) + the heat of the cells
pulsed with it (the card's filament crosstalk). When the card's linearity check at the
operating point exceeds its tolerance, the linear trace rise u is first mapped to the true rise
T0 ((1 + (n+1) u / T0)^(1/(n+1)) - 1) (``devicefit.linearity``: k(T) and c_p(T)); the pulse's
own heat and the neighbours' pulse heat stay linear (small-signal figures of the card).

e_ref = gamma / v_th (peak pseudo-derivative with one unit of presynaptic trace): a cell whose
e equals e_ref draws P_heater (the presynaptic trace can exceed one, and so can the power).
Heat never goes negative; the sign of an update comes only from the signal.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from devicefit.card import ModelCard
from devicefit.linearity import KirchhoffMap
from devicefit.switching import PulseHeating, SwitchingModel, mid_window_fraction
from meshes.files import StageError
from snn.synapses import (
    BackendKind,
    BuildContext,
    Energy,
    FloatArray,
    FrameTiming,
    Rng,
    agent_streams,
    agent_sums,
)
from snn.traces import (
    ThermalKernel,
    modal_heat,
    modal_rise_rows,
    rows_reached,
    temperature_rise,
    temperature_rise_rows,
)
from snn.weights import PairArray, init_pairs, program_frame, programming_energy_j, refresh

MAX_VARIABILITY = 100.0
RISE_BINS_K = np.array([0.0, 5.0, 25.0, 50.0, 100.0, 150.0, 200.0, np.inf])
MAX_SIGMA = 10.0  # the card schema's bound on the d2d and c2c spreads


@dataclass(frozen=True)
class ThermalSettings:
    """Settings of the thermal array (the device itself comes from the model card)."""

    w_scale: float = 3.0  # W = w_scale (G+ - G-) / (G_max - G_min)
    bits: int = 8  # 2^bits conductance levels per device
    heater_power_w: float = 4e-4  # heater power at e = e_ref
    pulse_v: float = 0.5  # SET pulse amplitude [V] (before the access resistance)
    reset_pulse_v: float = 1.4  # RESET pulse amplitude [V]: RESET's barrier is higher
    access_resistance_ohm: float = 5e3  # access transistor in series with each cell [ohm]
    reference_rise_k: float = 150.0  # the rise at which a pulse moves levels_per_pulse levels
    levels_per_pulse: float = 1.0
    signal_unit: float = 0.05  # |signal| per pulse pair
    max_pulses: int = 8  # pulse pairs per frame, at most
    variability: float = 0.0  # multiplier on the card's d2d / c2c / stuck figures
    # "pair": SET one device and RESET the other; "set_only": SET the device of the sign only,
    # refreshing a pair's common mode when its lower device passes refresh_threshold
    programming: str = "set_only"
    refresh_threshold: float = 0.75
    # False: the card's self terms only, no heat from the neighbours' heaters or pulses (what
    # the crosstalk costs the learning, issue 13)
    crosstalk: bool = True

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
            "reset_pulse_v",
            "reference_rise_k",
            "levels_per_pulse",
            "signal_unit",
        ):
            if not getattr(self, name) > 0:
                raise error(f"{where}.{name}: must be > 0, got {getattr(self, name)}")
        if self.programming not in ("pair", "set_only"):
            raise error(
                f"{where}.programming: expected 'pair' or 'set_only', got {self.programming!r}"
            )
        if not 0 < self.refresh_threshold < 1:
            raise error(
                f"{where}.refresh_threshold: must lie in (0, 1), got {self.refresh_threshold}"
            )
        if not 0 <= self.access_resistance_ohm < math.inf:
            raise error(
                f"{where}.access_resistance_ohm: must be >= 0, got {self.access_resistance_ohm}"
            )
        if not 0 <= self.variability <= MAX_VARIABILITY:
            raise error(
                f"{where}.variability: must be in [0, {MAX_VARIABILITY:g}] (x the card's "
                f"figures), got {self.variability}"
            )
        # a calibrated pulse moves levels_per_pulse levels of 2^bits - 1 from mid-range: it must
        # stay below half the window (the calibration in _build), whatever the card
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
    reset_pulse_v: float | None = None  # None: pulse_v
    # own heat of a SET and of a RESET pulse, with the access resistance (default: none)
    heating: PulseHeating = field(default_factory=PulseHeating)
    reset_heating: PulseHeating | None = None
    # neighbours' pulse heat during a SET and a RESET phase (None: none)
    filament_kernels: tuple[ThermalKernel, ThermalKernel] | None = None
    # per mode, the share of the stored heat a cell keeps on average under a SET and under a
    # RESET pulse (``ThermalKernel.pulse_mean_factors``; None: pulses short against the
    # trace, the stored rise itself)
    phase_factors: tuple[FloatArray, FloatArray] | None = None
    set_only: bool = False  # SET-only programming with common-mode refresh
    refresh_threshold: float = 0.75
    # the card's linear rise -> true rise map (k(T), c_p(T) at the operating point; None:
    # linear superposition is within the card's tolerance)
    true_rise: KirchhoffMap | None = None
    max_pulses: int = 4
    c2c_sigma_rel: float = 0.0
    stochastic_rounding: bool = True
    energy: Energy = field(default_factory=Energy)
    # hottest cell read at the last update: every cell for one signal for the whole array,
    # the pulsed rows' cells for a signal per post neuron (per agent for a batch of agents)
    last_peak_rise_k: float | FloatArray = 0.0
    # sum of |dG| [S] programmed into cells whose stored rise lies in each RISE_BINS_K bin
    # ([B, bins] for a batch of agents)
    dg_by_rise_s: FloatArray = field(default_factory=lambda: np.zeros(len(RISE_BINS_K) - 1))
    # the stored rise per mode [K, ..., N_post, N_pre] [K] (linear, before ``true_rise``), and
    # the per-mode heat [K, ..., N_post, N_pre] not yet passed through the crosstalk stencil,
    # with the post rows [..., N_post] that hold any
    _modes: FloatArray = field(init=False)
    _pending: FloatArray = field(init=False)
    _dirty: NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        self._zero_state(self.pairs.g_plus.shape)
        if self.agents is not None:  # a batch of agents: per-agent ledgers
            b = self.agents
            self.energy = Energy(np.zeros(b), np.zeros(b), self.energy.updates)
            self.dg_by_rise_s = np.zeros((b, len(RISE_BINS_K) - 1))
            self.last_peak_rise_k = np.zeros(b)

    def _zero_state(self, shape: tuple[int, ...]) -> None:
        self._modes = np.zeros((len(self.kernel.tau_s), *shape))
        self._pending = np.zeros_like(self._modes)
        self._dirty = np.zeros(shape[:-1], bool)

    @property
    def agents(self) -> int | None:
        """The number of agents of a batch (arrays [B, N_post, N_pre]); None: one array."""
        return self.pairs.g_plus.shape[0] if self.pairs.g_plus.ndim == 3 else None

    def weights(self) -> FloatArray:
        return self.pairs.weights(self.model, self.w_scale)

    def accumulate(self, psi: FloatArray, eps: FloatArray) -> None:
        """Add a frame's heat. The stored rise is kept per mode, each decaying as a whole
        (a_k^n), so heat goes through the crosstalk stencil once (``snn.traces.
        modal_rise_rows``), when the whole array is read (``_flush``), and only on the rows its
        heaters reach; a read of a few rows (a learning signal per post neuron) passes the
        pending heat through the stencil for those rows only."""
        scale = self.heater_power_w / self.e_ref
        heat = modal_heat(scale * psi, eps, self.kernel.tau_s, self.dt_s)  # [K, ..., N, N_pre]
        decay = np.exp(-self.dt_s / self.kernel.tau_s) ** len(psi)
        if self._modes.shape != heat.shape:  # a batch of streams, on its first frame
            grow = (len(heat), *([1] * (heat.ndim - self._modes.ndim)), *self._modes.shape[1:])
            rows = np.broadcast_to(self._dirty.reshape(grow[1:-1]), heat.shape[1:-1])
            self._modes = np.broadcast_to(self._modes.reshape(grow), heat.shape).copy()
            self._pending = np.broadcast_to(self._pending.reshape(grow), heat.shape).copy()
            self._dirty = rows.copy()
        shape = decay.reshape(-1, *([1] * (heat.ndim - 1)))
        self._modes *= shape  # in place: the state is ours
        if self._dirty.any():
            self._pending *= shape
        self._pending += heat
        heated = np.any(psi.reshape(len(psi), -1) != 0, axis=0)  # [... x N_post], flat
        self._dirty |= heated.reshape(self._dirty.shape)
        # heater energy: sum_s sum_ji P_ji^s dt, the outer product summed without forming it
        per_step = psi.sum(-1) * eps.sum(-1)  # [T, ...]
        if self.agents is None:
            self.energy.heater_j += float(scale * self.dt_s * np.sum(per_step))
        else:  # per agent: [T, B] -> [B]
            self.energy.heater_j += scale * self.dt_s * agent_sums(per_step.T)

    def _flush(self) -> None:
        """Pass the pending heat through the stencil into the per-mode rise (only the rows
        the heated rows reach)."""
        if not self._dirty.any():
            return
        k, n_post, n_pre = len(self._modes), self._modes.shape[-2], self._modes.shape[-1]
        sources = np.flatnonzero(self._dirty)
        rows = rows_reached(sources, n_post, self.kernel)
        modes = self._modes.reshape(k, -1, n_pre)  # views: the state is C-contiguous
        modes[:, rows] += modal_rise_rows(self._pending, self.kernel, rows)
        self._pending.reshape(k, -1, n_pre)[:, sources] = 0.0
        self._dirty[...] = False

    def trace(self) -> FloatArray:
        return self._rise(None)

    def _under(
        self, rise: FloatArray, rows: NDArray[np.intp] | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """The stored rise under a SET and under a RESET pulse (``phase_factors``; None: the
        stored rise itself); SET-only programming has no RESET phase to read."""
        phases = self.phase_factors
        if phases is None:
            return rise, rise
        set_rise = self._rise(phases[0], rows)
        return set_rise, set_rise if self.set_only else self._rise(phases[1], rows)

    def _rise(self, weights: FloatArray | None, rows: NDArray[np.intp] | None = None) -> FloatArray:
        """The stored rise [K], sum_k w_k dT_k (``weights`` None: every w_k = 1), of the flat
        post rows ``rows`` ([len(rows), N_pre]; None: every cell), through the card's
        Kirchhoff map when it carries one."""
        if rows is None:
            self._flush()
            modes = self._modes
        else:
            modes = self._modes.reshape(len(self._modes), -1, self._modes.shape[-1])[:, rows]
            if self._dirty.any():
                modes = modes + modal_rise_rows(self._pending, self.kernel, rows)
        linear = modes[0].copy() if weights is None else weights[0] * modes[0]
        for k in range(1, len(modes)):
            linear += modes[k] if weights is None else weights[k] * modes[k]
        return linear if self.true_rise is None else self.true_rise.true_rise_k(linear)

    def update(self, signal: float | FloatArray, rng: Rng) -> None:
        """round(|signal| / signal_unit) pulse pairs (stochastic rounding, capped).

        ``signal`` is one number for the whole array (a TD error), or one per post neuron
        [..., N_post] (a learning signal; each row gets its own count, the sign of its
        signal): with traces of several streams [B, N_post, N_pre], the streams program the
        one shared array in turn, each with its own cells' temperature. A batch of agents
        takes one signal per agent [B] with their ``AgentStreams``: each agent pulses its own
        array.
        """
        if self.agents is not None:
            self._update_agents(np.broadcast_to(np.asarray(signal, float), (self.agents,)), rng)
            self.energy.updates += 1
            return
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng: one array takes a numpy Generator (AgentStreams: a batch)")
        if np.ndim(signal) == 0:
            rise = self.trace()
            self.last_peak_rise_k = float(rise.max())
            n = min(
                int(np.floor(abs(float(signal)) / self.signal_unit + rng.random())), self.max_pulses
            )
            if n:  # the rises under the pulses only for a frame that pulses
                sign = np.full(rise.shape, np.sign(signal))
                under = self._under(rise)
                for _ in range(n):
                    self._pulse(rise, sign, rng, under=under)
        else:
            s = np.broadcast_to(np.asarray(signal, float), self._modes.shape[1:-1])
            counts = np.minimum(
                np.floor(np.abs(s) / self.signal_unit + rng.random(s.shape)), self.max_pulses
            ).reshape(-1, s.shape[-1])  # [streams, N_post]
            # only the rows that get a pulse are read: a few per cent of them in TIMIT
            todo = np.flatnonzero(counts > 0)
            rise = self._rise(None, todo)
            self.last_peak_rise_k = float(rise.max(initial=0.0))
            under = self._under(rise, todo)
            rows = s.reshape(counts.shape)
            for b, n_row in enumerate(counts):
                for k in range(int(n_row.max(initial=0))):
                    sel = np.flatnonzero(n_row > k)  # only these rows are pulsed
                    sign = np.sign(rows[b, sel])[:, None] * np.ones(rise.shape[-1])
                    at = np.searchsorted(todo, b * counts.shape[1] + sel)
                    self._pulse(rise[at], sign, rng, sel, (under[0][at], under[1][at]))
        self.energy.updates += 1

    def _update_agents(self, signal: FloatArray, rng: Rng) -> None:
        """``update`` for a batch of agents: agent b sends round(|signal_b| / signal_unit)
        pulse pairs of the sign of signal_b to its whole array; the k-th pulse of the frame
        goes to the agents with more than k, together."""
        rise = self.trace()  # [B, N_post, N_pre]
        n_b = len(rise)
        streams = agent_streams(rng, n_b)
        self.last_peak_rise_k = rise.reshape(n_b, -1).max(-1)
        counts = np.minimum(
            np.floor(np.abs(signal) / self.signal_unit + streams.random((n_b,))), self.max_pulses
        )
        pulsing = np.flatnonzero(counts > 0)
        if not len(pulsing):
            return
        n_post = rise.shape[1]
        rows = (pulsing[:, None] * n_post + np.arange(n_post)).ravel()  # the pulsing arrays
        set_rise, reset_rise = (
            x.reshape(len(pulsing), *rise.shape[1:]) for x in self._under(rise[pulsing], rows)
        )
        for k in range(int(counts.max())):
            at = np.flatnonzero(counts[pulsing] > k)  # into pulsing
            agents = pulsing[at]
            sign = np.sign(signal[agents])[:, None, None] * np.ones(rise.shape[1:])
            every = len(agents) == n_b  # every agent pulses: no subset to cut out and put back
            self._pulse(
                rise if every else rise[agents],
                sign,
                streams if every else streams.subset(agents),
                None if every else agents,
                (set_rise, reset_rise)
                if len(at) == len(pulsing)
                else (set_rise[at], reset_rise[at]),
            )

    def _pulse(
        self,
        rise: FloatArray,
        sign: FloatArray,
        rng: Rng,
        rows: NDArray[np.intp] | None = None,
        under: tuple[FloatArray, FloatArray] | None = None,
    ) -> None:
        """One pulse pair to every synapse with a non-zero ``sign``, at T_ambient + the rise
        under each pulse (``under``: the SET's and the RESET's; default the stored ``rise``,
        which also bins the change); with ``rows``, ``rise`` and ``sign`` cover only those
        post rows of the array (for a batch of agents: those agents' arrays)."""
        set_rise, reset_rise = (rise, rise) if under is None else under
        pairs = self.pairs if rows is None else self.pairs.rows(rows)
        batch = self.agents is not None
        energy = programming_energy_j(
            pairs,
            sign,
            pulse_v=self.pulse_v,
            reset_v=self.reset_pulse_v,
            set_s=self.set_pulse_s,
            reset_s=0.0 if self.set_only else self.reset_pulse_s,
            heating=self.heating,
        )
        if batch:
            programmed = np.asarray(self.energy.programming_j).copy()
            if rows is None:
                programmed += energy
            else:
                programmed[rows] += energy
            self.energy.programming_j = programmed
        else:
            self.energy.programming_j += energy
        moved = program_frame(
            pairs,
            set_rise,
            sign,
            self.model,
            bits=self.bits,
            t_ambient_k=self.t_ambient_k,
            rng=rng,
            pulse_v=self.pulse_v,
            pulse_s=self.set_pulse_s,
            reset_pulse_s=self.reset_pulse_s,
            reset_pulse_v=self.reset_pulse_v,
            c2c_sigma_rel=self.c2c_sigma_rel,
            stochastic_rounding=self.stochastic_rounding,
            heating=self.heating,
            reset_heating=self.reset_heating,
            neighbour_rise=None
            if self.filament_kernels is None
            else self._neighbours(None if batch else rows),
            reset_rise_k=reset_rise,
            set_only=self.set_only,
        )
        changed = np.abs(moved.g_plus - pairs.g_plus) + np.abs(moved.g_minus - pairs.g_minus)
        n_bins = len(RISE_BINS_K) - 1
        bins = np.digitize(rise, RISE_BINS_K[1:-1])
        if batch:  # one histogram per agent: agent a's bins offset by a * n_bins
            bins = bins + (np.arange(len(bins)) * n_bins)[:, None, None]
            hist = np.bincount(bins.ravel(), weights=changed.ravel(), minlength=len(rise) * n_bins)
            if rows is None:
                self.dg_by_rise_s += hist.reshape(len(rise), n_bins)
            else:
                self.dg_by_rise_s[rows] += hist.reshape(len(rise), n_bins)
        else:
            self.dg_by_rise_s += np.bincount(
                bins.ravel(), weights=changed.ravel(), minlength=n_bins
            )
        if self.set_only:  # after the ledger: a refresh is not a heat-gated update
            moved = refresh(moved, self.model, self.bits, self.refresh_threshold)
        self.pairs = moved if rows is None else self.pairs.with_rows(rows, moved)

    def _neighbours(
        self, rows: NDArray[np.intp] | None
    ) -> Callable[[FloatArray, bool], FloatArray]:
        """Pulse powers [W] of the pulsed cells (of post rows ``rows``) in a SET or RESET
        phase -> the mean rise [K] they cause in the other cells' filaments over the pulse."""
        kernels = self.filament_kernels
        assert kernels is not None
        shape = self.pairs.g_plus.shape

        def rise(power: FloatArray, set_phase: bool) -> FloatArray:
            kernel = kernels[0] if set_phase else kernels[1]
            if rows is None:
                return temperature_rise(power[None], kernel)
            grid = np.zeros(shape)
            grid[rows] = power
            return temperature_rise_rows(grid[None], kernel, rows)

        return rise

    def selectivity(self, agent: int | None = None) -> dict[str, Any] | None:
        """Where the programmed |dG| went (agent ``agent``'s, for a batch): its share per
        stored-rise bin, and the share on cells less than 5 K above ambient (None before any
        change)."""
        dg = self.dg_by_rise_s if agent is None else self.dg_by_rise_s[agent]
        total = float(dg.sum())
        if total <= 0:
            return None
        return {
            "rise_bins_k": [float(b) for b in RISE_BINS_K],
            "dg_share": (dg / total).tolist(),
            "share_below_5k": float(dg[0] / total),
        }

    def reset_trace(self, agents: NDArray[np.intp] | None = None) -> None:
        if agents is None:
            self._zero_state(self.pairs.g_plus.shape)
        else:  # a batch of agents: [K, B, N_post, N_pre]
            self._modes, self._pending = self._modes.copy(), self._pending.copy()
            self._modes[:, agents] = 0.0
            self._pending[:, agents] = 0.0
            self._dirty = self._dirty.copy()
            self._dirty[agents] = False

    def select(self, agents: NDArray[np.intp]) -> None:
        self.pairs = self.pairs.rows(agents)
        # copies, C-contiguous: ``_flush`` writes through reshaped views
        self._modes = np.ascontiguousarray(self._modes[:, agents])
        self._pending = np.ascontiguousarray(self._pending[:, agents])
        self._dirty = np.ascontiguousarray(self._dirty[agents])
        self.energy.select(agents)
        self.dg_by_rise_s = self.dg_by_rise_s[agents]
        self.last_peak_rise_k = np.asarray(self.last_peak_rise_k)[agents]

    def peak_rise_k(self) -> float | FloatArray | None:
        return self.last_peak_rise_k


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
    centre = card.geometry.cells().index(card.geometry.centre())

    def own_heat(width_s: float) -> PulseHeating:
        r_mean = card.thermal.filament.pulse_mean_k_per_w(width_s)[centre, centre]
        return PulseHeating(float(r_mean), settings.access_resistance_ohm)

    trace_kernel = ThermalKernel.from_card(card)
    if not settings.crosstalk:
        trace_kernel = trace_kernel.without_crosstalk()

    def pulse(set_polarity: bool) -> tuple[float, PulseHeating]:
        """The calibrated width and the own heat over it: a cell at the reference rise
        (the rise under the pulse) moves the levels asked. The own heat is its mean over the
        pulse, so the width solves moved(t_p) = the levels asked, moved = (1 - exp(-k t_p))
        (x_eq - x_mid) / (x_bound - x_mid) at mid-range G (the first root in log t_p);
        ``StageError`` when no width up to 100 s moves that far."""
        v = settings.pulse_v if set_polarity else settings.reset_pulse_v
        target = 2 * settings.levels_per_pulse / (2**settings.bits - 1)

        def moved(log_width: float) -> float:
            width = 10.0**log_width
            return (
                mid_window_fraction(
                    model,
                    set_polarity=set_polarity,
                    pulse_v=v,
                    temperature_k=t_amb + settings.reference_rise_k,
                    width_s=width,
                    heating=own_heat(width),
                )
                - target
            )

        # the first width that moves that far: moved(t_p) need not be monotonic (a pulse
        # that outlasts the trace loses the stored heat), so bracket the first crossing
        grid = np.linspace(-15.0, 2.0, 171)
        signs = np.array([moved(x) > 0 for x in grid])
        if not signs.any():
            name = "pulse_v" if set_polarity else "reset_pulse_v"
            raise StageError(
                f"synapses.{name}: no {'SET' if set_polarity else 'RESET'} pulse up to 100 s "
                f"moves {settings.levels_per_pulse:g} levels at {v:g} V through "
                f"{settings.access_resistance_ohm:g} ohm; raise the voltage"
            )
        first = int(np.argmax(signs))
        log_width = (
            grid[0]
            if first == 0
            else scipy.optimize.brentq(moved, grid[first - 1], grid[first], xtol=1e-9)
        )
        width = 10.0**log_width
        return width, own_heat(width)

    (set_s, set_heat), (reset_s, reset_heat) = pulse(True), pulse(False)
    return ThermalSynapses(
        pairs=pairs,
        kernel=trace_kernel,
        model=model,
        dt_s=ctx.timing.frame_s / ctx.steps_per_frame,
        bits=settings.bits,
        w_scale=settings.w_scale,
        heater_power_w=settings.heater_power_w,
        e_ref=ctx.e_ref,
        pulse_v=settings.pulse_v,
        set_pulse_s=set_s,
        reset_pulse_s=reset_s,
        signal_unit=settings.signal_unit,
        t_ambient_k=t_amb,
        max_pulses=settings.max_pulses,
        c2c_sigma_rel=var.c2c_sigma_rel,
        reset_pulse_v=settings.reset_pulse_v,
        heating=set_heat,
        reset_heating=reset_heat,
        filament_kernels=(
            ThermalKernel.filaments_from_card(card, set_s),
            ThermalKernel.filaments_from_card(card, reset_s),
        )
        if settings.crosstalk
        else None,
        set_only=settings.programming == "set_only",
        refresh_threshold=settings.refresh_threshold,
        true_rise=lin.kirchhoff
        if (lin := card.thermal.linearity) and lin.apply_correction
        else None,
        phase_factors=None
        if max(set_s, reset_s) < 1e-3 * float(trace_kernel.tau_s.min())
        else (trace_kernel.pulse_mean_factors(set_s), trace_kernel.pulse_mean_factors(reset_s)),
    )


KIND = BackendKind(
    name="thermal",
    settings_type=ThermalSettings,
    needs_card=True,
    timing=_timing,
    build=_build,
    description="a model card's heat as the trace, quantised conductance pairs as weights",
)
