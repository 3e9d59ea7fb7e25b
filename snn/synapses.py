"""The synapse back-end protocol and its registry.

A back-end stores an array of synapses [N_post, N_pre]: it integrates each frame's
eligibility e_ji^s = psi_j^s eps_i^s (post pseudo-derivative x pre trace, Bellec et al. 2020)
into a decaying trace, and applies a signed third factor (learning signal or TD error) at the
end of the frame. Back-ends:

* ``ideal`` (``snn.ideal_synapses``): float weights, exponential trace;
* ``thermal`` (``snn.thermal_synapses``): a model card's heat as the trace, conductance
  pairs programmed by its switching model as the weights.

Each lives in its own file with a frozen settings dataclass and a ``BackendKind`` that the
registry (``snn.backends``) lists: a new device model is one new file and one line there,
never an edit to the learners.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from devicefit.card import ModelCard

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
        """Add one frame's eligibility, ``psi`` [T, ..., N_post] x ``eps`` [T, ..., N_pre]
        (the middle axes, e.g. a batch of streams, are kept: one trace per stream)."""

    def trace(self) -> FloatArray:
        """The stored eligibility now (ideal: dimensionless; thermal: dT [K])."""

    def update(self, signal: float | FloatArray, rng: np.random.Generator) -> None:
        """End-of-frame update with the third factor ``signal``: one number, or one per post
        neuron [..., N_post] matching the leading axes the eligibility was accumulated with."""

    def reset_trace(self) -> None: ...

    def peak_rise_k(self) -> float | None:
        """Hottest cell at the last update [K] (None for a back-end without heat)."""


@dataclass(frozen=True)
class FrameTiming:
    """Duration of one frame and the trace time constant [s] (tau / frame = decay ratio)."""

    frame_s: float
    trace_tau_s: float


@dataclass(frozen=True)
class BuildContext:
    """What every back-end is built from, besides its own settings."""

    w_init: FloatArray  # [N_post, N_pre]
    timing: FrameTiming
    steps_per_frame: int
    e_ref: float  # eligibility that draws the nominal heater power (gamma / v_th)
    card: ModelCard | None
    rng: np.random.Generator


@dataclass(frozen=True)
class BackendKind:
    """A registered back-end: its settings type and how to time and build it.

    ``timing(settings, card, decay_ratio, frame_s)`` gives the frame timing for a decay ratio
    (tau / frame), where ``frame_s`` is the network's own frame duration; ``build(settings,
    context)`` the back-end. ``settings_type`` has a ``validate(where)`` method.
    """

    name: str
    settings_type: type
    needs_card: bool
    timing: Callable[[Any, ModelCard | None, float, float], FrameTiming]
    build: Callable[[Any, BuildContext], SynapseBackend]
    description: str
