"""The ``quantised`` back-end: the ideal trace with weights on 2^bits conductance levels.

    E <- lambda^n E + sum_s lambda^(n-1-s) e^s / e_ref          (as ``snn.ideal_synapses``)
    W <- Q(W + lr * signal * E),   Q: the grid w_scale * k / (2^bits - 1), |k| <= 2^bits - 1

The grid is that of a differential pair of 2^bits-level devices (W = w_scale (G+ - G-) /
(G_max - G_min), ``snn.weights``), so it has the thermal back-end's resolution without its
heat or switching physics: it separates the cost of precision from the cost of heat. Q
rounds stochastically (E[Q(w)] = w) by default, or to the nearest level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from meshes.files import StageError
from snn.ideal_synapses import IdealSynapses, _timing, weight_change
from snn.synapses import BackendKind, BuildContext, FloatArray, Rng, agent_streams


@dataclass(frozen=True)
class QuantisedSettings:
    """Settings of the quantised back-end."""

    lr: float = 0.1  # W += lr * signal * E, then rounded to the grid
    bits: int = 8  # 2^bits levels per device of the pair
    w_scale: float = 3.0  # |W| <= w_scale
    stochastic_rounding: bool = True

    def validate(self, where: str, error: type[StageError]) -> None:
        for name in ("lr", "w_scale"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise error(f"{where}.{name}: must be a finite number > 0, got {value!r}")
        bits = self.bits
        if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
            raise error(f"{where}.bits: must be an integer in [1, 16], got {bits!r}")
        if not isinstance(self.stochastic_rounding, bool):
            raise error(f"{where}.stochastic_rounding: must be true or false")


def on_grid(w: FloatArray, bits: int, w_scale: float, rng: Rng | None) -> FloatArray:
    """Q(w): the nearest level (``rng`` None) or stochastic rounding between the two levels
    around w (E[Q(w)] = w), clipped to [-w_scale, w_scale]."""
    top = 2**bits - 1
    x = np.asarray(w, float) / w_scale * top
    k = np.rint(x) if rng is None else np.floor(x + rng.random(np.shape(x)))
    out: FloatArray = np.clip(k, -top, top) * w_scale / top
    return out


@dataclass
class QuantisedSynapses(IdealSynapses):
    """The ideal back-end's trace and update rule, each update's weights put on the grid of
    ``on_grid`` (``lr`` is ``settings.lr``)."""

    settings: QuantisedSettings = field(default_factory=QuantisedSettings)

    def update(self, signal: float | FloatArray, rng: Rng) -> None:
        s = self.settings
        batch = self.w.ndim == 3
        target = self.w + weight_change(s.lr, signal, self._trace, agents=batch)
        if batch and s.stochastic_rounding:
            rng = agent_streams(rng, len(self.w))
        self.w = on_grid(target, s.bits, s.w_scale, rng if s.stochastic_rounding else None)
        self.energy.updates += 1


def _build(settings: QuantisedSettings, ctx: BuildContext) -> QuantisedSynapses:
    w0 = on_grid(ctx.w_init, settings.bits, settings.w_scale, None)
    return QuantisedSynapses(
        w0,
        ctx.timing.trace_tau_s,
        ctx.timing.frame_s / ctx.steps_per_frame,
        settings.lr,
        ctx.e_ref,
        settings=settings,
    )


KIND = BackendKind(
    name="quantised",
    settings_type=QuantisedSettings,
    needs_card=False,
    timing=_timing,
    build=_build,
    description="the ideal trace, weights on 2^bits levels (precision without heat)",
)
