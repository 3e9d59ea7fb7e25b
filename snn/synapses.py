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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from devicefit.card import ModelCard

FloatArray = NDArray[np.float64]


class AgentStreams:
    """One random stream per agent of a batch: a draw of shape [B, ...] takes row b from
    agent b's own ``numpy.random.Generator``, so an agent draws the same numbers, in the same
    order, alone or in a batch (a batched run equals the single runs bit for bit). Stands in
    for a Generator wherever a back-end draws (``random``, ``standard_normal``)."""

    def __init__(self, generators: Sequence[np.random.Generator]) -> None:
        self.generators = tuple(generators)

    def __len__(self) -> int:
        return len(self.generators)

    def random(self, size: tuple[int, ...]) -> FloatArray:
        """Uniform [0, 1) draws of shape ``size`` = [B, ...], row b from stream b."""
        return self._draw(size, lambda g, shape: g.random(shape))

    def standard_normal(self, size: tuple[int, ...]) -> FloatArray:
        """Standard normal draws of shape ``size`` = [B, ...], row b from stream b."""
        return self._draw(size, lambda g, shape: g.standard_normal(shape))

    def subset(self, agents: NDArray[np.intp]) -> AgentStreams:
        """The streams of agents ``agents`` (indices into this batch), in that order."""
        return AgentStreams([self.generators[int(b)] for b in agents])

    def _draw(
        self, size: tuple[int, ...], draw: Callable[[np.random.Generator, tuple[int, ...]], Any]
    ) -> FloatArray:
        size = tuple(size)
        if not size or size[0] != len(self.generators):
            raise ValueError(f"size {size}: the first axis must be the {len(self)} agents")
        out = np.empty(size)
        for b, g in enumerate(self.generators):
            out[b] = draw(g, size[1:])
        return out


type Rng = np.random.Generator | AgentStreams


def agent_streams(rng: Rng, n_agents: int) -> AgentStreams:
    """``rng`` as the streams of a batch of ``n_agents`` agents: AgentStreams of that many
    streams, or (one agent) a Generator. Anything else is refused: one Generator shared by
    several agents would tie their runs together."""
    streams = AgentStreams([rng]) if isinstance(rng, np.random.Generator) else rng
    if not isinstance(streams, AgentStreams) or len(streams) != n_agents:
        got = f" of {len(streams)}" if isinstance(streams, AgentStreams) else ""
        raise TypeError(
            f"rng: a batch of {n_agents} agents draws from AgentStreams of {n_agents} streams, "
            f"got {type(rng).__name__}{got}"
        )
    return streams


def agent_sums(x: FloatArray) -> FloatArray:
    """Per agent, the sum of everything in x [B, ...] -> [B]: each agent's numbers summed
    contiguously (numpy's pairwise sum), the same whatever B is."""
    flat = np.ascontiguousarray(x).reshape(len(x), -1)
    out: FloatArray = flat.sum(-1)
    return out


@dataclass
class Energy:
    """Energy ledger [J]: heater and programming energy, and the number of frame updates.
    For a batch of agents the energies are arrays, one per agent."""

    heater_j: float | FloatArray = 0.0
    programming_j: float | FloatArray = 0.0
    updates: int = 0

    def per_update_j(self) -> float | FloatArray:
        return (self.heater_j + self.programming_j) / max(self.updates, 1)

    def agent(self, b: int) -> Energy:
        """Agent b's ledger (a batch's energies are per agent)."""
        return Energy(
            float(np.asarray(self.heater_j)[b]) if np.ndim(self.heater_j) else self.heater_j,
            float(np.asarray(self.programming_j)[b])
            if np.ndim(self.programming_j)
            else self.programming_j,
            self.updates,
        )

    def select(self, agents: NDArray[np.intp]) -> None:
        """Keep agents ``agents`` of a batch's per-agent energies."""
        if np.ndim(self.heater_j):
            self.heater_j = np.asarray(self.heater_j)[agents]
        if np.ndim(self.programming_j):
            self.programming_j = np.asarray(self.programming_j)[agents]


class SynapseBackend(Protocol):
    """What the learners need from a synapse array [N_post, N_pre], or from a batch of B
    agents' arrays [B, N_post, N_pre] (built from a [B, N_post, N_pre] ``w_init``, with
    ``AgentStreams``): then the eligibility has one stream per agent, ``update`` takes one
    signal per agent [B] and each agent programs its own array."""

    energy: Energy

    def weights(self) -> FloatArray: ...

    def accumulate(self, psi: FloatArray, eps: FloatArray) -> None:
        """Add one frame's eligibility, ``psi`` [T, ..., N_post] x ``eps`` [T, ..., N_pre]
        (the middle axes, e.g. a batch of streams, are kept: one trace per stream)."""

    def trace(self) -> FloatArray:
        """The stored eligibility now (ideal: dimensionless; thermal: dT [K])."""

    def update(self, signal: float | FloatArray, rng: Rng) -> None:
        """End-of-frame update with the third factor ``signal``: one number, or one per post
        neuron [..., N_post] matching the leading axes the eligibility was accumulated with;
        for a batch of agents one per agent [B] with their ``AgentStreams``."""

    def reset_trace(self, agents: NDArray[np.intp] | None = None) -> None:
        """Zero the stored eligibility (of agents ``agents`` of a batch only)."""

    def select(self, agents: NDArray[np.intp]) -> None:
        """Keep agents ``agents`` of a batch (in that order), dropping the others."""

    def peak_rise_k(self) -> float | FloatArray | None:
        """Hottest cell at the last update [K] (per agent for a batch; None for a back-end
        without heat)."""


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
    rng: Rng  # AgentStreams for a batch of agents (w_init [B, N_post, N_pre])


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
