"""The ``ideal`` back-end: float weights and an exponential eligibility trace.

    E <- lambda^n E + sum_s lambda^(n-1-s) e^s / e_ref,   lambda = exp(-dt / tau),
    W <- W + lr * signal * E                                      (end of each frame)

``signal`` is one number (a TD error) or one per post neuron [..., N_post] (a learning
signal; with a batch of streams, E is [B, N_post, N_pre] and the streams' updates add up).
A batch of agents (W [B, N_post, N_pre]) takes one signal per agent [B], each agent
updating its own W.

The floating-point reference the thermal back-end is compared with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from meshes.files import StageError
from snn.synapses import BackendKind, BuildContext, Energy, FloatArray, FrameTiming, Rng
from snn.traces import ideal_trace

if TYPE_CHECKING:
    from devicefit.card import ModelCard


@dataclass(frozen=True)
class IdealSettings:
    """Settings of the ideal back-end."""

    lr: float = 0.1  # W += lr * signal * E

    def validate(self, where: str, error: type[StageError]) -> None:
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise error(f"{where}.lr: must be a finite number > 0, got {self.lr}")


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

    def update(self, signal: float | FloatArray, rng: Rng) -> None:
        self.w = self.w + weight_change(self.lr, signal, self._trace, agents=self.w.ndim == 3)
        self.energy.updates += 1

    def reset_trace(self, agents: NDArray[np.intp] | None = None) -> None:
        if agents is None:
            self._trace = np.zeros_like(self.w)
        else:  # a batch of agents: the trace is [B, N_post, N_pre] like the weights
            trace = self._trace.copy()
            trace[agents] = 0.0
            self._trace = trace

    def select(self, agents: NDArray[np.intp]) -> None:
        self.w, self._trace = self.w[agents], self._trace[agents]

    def peak_rise_k(self) -> float | None:
        return None


def weight_change(
    lr: float, signal: float | FloatArray, trace: FloatArray, *, agents: bool = False
) -> FloatArray:
    """lr * signal * E: one signal for every synapse, or one per post neuron [..., N_post]
    against traces [..., N_post, N_pre] (one per stream), the streams' changes summed; for a
    batch of ``agents`` one signal per agent [B] against their traces [B, N_post, N_pre]."""
    if agents:
        per_agent: FloatArray = lr * np.broadcast_to(signal, trace.shape[:1])[:, None, None] * trace
        return per_agent
    if np.ndim(signal) == 0:
        out: FloatArray = lr * signal * trace
        return out
    delta = lr * np.asarray(signal)[..., None] * trace
    summed: FloatArray = delta.reshape(-1, *trace.shape[-2:]).sum(0)
    return summed


def _timing(
    settings: IdealSettings, card: ModelCard | None, decay_ratio: float, frame_s: float
) -> FrameTiming:
    """The network's frame; the trace lasts ``decay_ratio`` frames."""
    return FrameTiming(frame_s, decay_ratio * frame_s)


def _build(settings: IdealSettings, ctx: BuildContext) -> IdealSynapses:
    return IdealSynapses(
        ctx.w_init.copy(),
        ctx.timing.trace_tau_s,
        ctx.timing.frame_s / ctx.steps_per_frame,
        settings.lr,
        ctx.e_ref,
    )


KIND = BackendKind(
    name="ideal",
    settings_type=IdealSettings,
    needs_card=False,
    timing=_timing,
    build=_build,
    description="float weights, exponential trace (the floating-point reference)",
)
