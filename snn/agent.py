"""Reward-based e-prop: a spiking actor-critic that learns a grid task online.

Each environment step is one dataframe of ``steps_per_frame`` network steps:

1. place-cell encoding: ``cells_per_state`` Poisson neurons tuned to the current state;
2. spiking policy: one layer of LIF neurons, ``neurons_per_action`` per action, driven through
   the synapse array W [N_post, N_pre]; action logits = ``policy_gain`` x the mean spike count
   of each action population, the action is sampled from the softmax;
3. eligibility: the chosen action's neurons heat their synapses with psi_j^s eps_i^s (pre
   trace x post pseudo-derivative, the non-negative part of the policy-gradient eligibility
   (1[a = k] - pi_k) psi eps; the -pi_k part averages out against the critic's baseline);
   the back-end keeps it as a decaying trace across frames (ideal exponential or heat);
4. critic: V(s) = w_v . phi(s), phi the place-cell spike counts per expected count; TD error
   delta = r + discount V(s') (1 - terminal) - V(s), w_v += lr_v delta phi(s) (TD(0));
5. third factor: the back-end applies delta to the trace at the end of the frame.

Reward-based e-prop, Bellec et al. 2020 (Methods, "Reward-based e-prop"): the actor's
eligibility filtered across steps with the discount and gated by the TD error. Here the
filter is the trace decay of the synapse: exp(-frame / tau) per step, so tau / frame is the
decay the sweep varies.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from devicefit.card import ModelCard
from meshes.files import StageError
from snn.backends import backend_kind
from snn.encoders import feature_cell_rates, place_cell_rates, poisson_spikes
from snn.eprop import NeuronParams, Weights, eligibility_traces, forward
from snn.ideal_synapses import IdealSettings
from snn.maze import TransitionTable, make_task, neighbour_view, task_grid, transition_table
from snn.recurrent import RecurrentActor, build_actor
from snn.synapses import AgentStreams, BuildContext, FrameTiming, SynapseBackend
from snn.thermal_synapses import ThermalSynapses

FloatArray = NDArray[np.float64]
CRITERION_SUCCESS = 0.9
CRITERION_WINDOW = 20


class AgentError(StageError):
    """An agent or task setting is invalid; the message names the field."""


@dataclass(frozen=True)
class AgentConfig:
    """Everything a maze run depends on (with the model card and the seed).

    ``synapses`` holds the settings of ``backend`` (``snn.ideal_synapses.IdealSettings``,
    ``snn.thermal_synapses.ThermalSettings``, ...); None means that back-end's defaults.
    """

    task: str = "maze"
    backend: str = "ideal"
    episodes: int = 300
    max_steps: int = 100
    seed: int = 0
    # network and encoding (network time step dt_net_s for the encoder rates)
    steps_per_frame: int = 20
    dt_net_s: float = 1e-3
    cells_per_state: int = 4
    place_rate_hz: float = 100.0
    background_rate_hz: float = 2.0
    neurons_per_action: int = 8
    tau_m_steps: float = 20.0
    w_init: float = 0.3
    bias: float = 0.0  # constant input current per step: v rests at bias / (1 - alpha)
    policy_gain: float = 1.0
    # learning
    decay_ratio: float = 1.0  # trace time constant / frame duration
    discount: float = 0.95  # TD discount of the critic
    critic_lr: float = 0.2
    # "nonnegative": the chosen action's psi eps only (what heat can store); "signed": the
    # exact policy-gradient eligibility (1[a = k] - pi_k) psi eps (ideal back-end only)
    eligibility: str = "nonnegative"
    # what the agent sees: "place" (place cells of its state) or "neighbours" (its 4
    # neighbouring cells only, ``snn.maze.neighbour_view``: a partially observed maze)
    observation: str = "place"
    # "feedforward": one layer of action neurons; "recurrent": an LSNN hidden layer trained by
    # reward-based e-prop with a readout to the actions (``snn.recurrent``; the ideal back-end,
    # eligibility "signed")
    network: str = "feedforward"
    hidden_neurons: int = 64  # recurrent: LIF + ALIF neurons
    alif_fraction: float = 0.5  # recurrent: the share of them that adapt
    tau_adapt_steps: float = 200.0  # recurrent: adaptation time constant [network steps]
    adapt_beta: float = 0.05  # recurrent: threshold rise per unit of adaptation
    hidden_input_scale: float = 0.6  # recurrent: W_in ~ N(0, scale^2)
    recurrent_lr: float = 0.003  # recurrent: the actor's learning rate (W += lr delta E)
    entropy_bonus: float = 0.1  # recurrent: c_H, the weight of the policy's entropy gradient
    # recurrent: False resets the hidden state and the e-prop carries at every frame (the same
    # actor without memory: a control for what the memory contributes)
    memory: bool = True
    synapses: Any = None

    def settings(self) -> Any:
        """The back-end's settings (its defaults when ``synapses`` is None)."""
        kind = backend_kind(self.backend, AgentError)
        return kind.settings_type() if self.synapses is None else self.synapses

    def validate(self) -> None:
        kind = backend_kind(self.backend, AgentError)
        if self.synapses is not None and not isinstance(self.synapses, kind.settings_type):
            raise AgentError(
                f"synapses: {type(self.synapses).__name__} given for back-end {self.backend!r}, "
                f"which takes {kind.settings_type.__name__}"
            )
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise AgentError(f"{f.name}: must be finite, got {value}")
        for name in POSITIVE_INTS:
            if int(getattr(self, name)) < 1:
                raise AgentError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.seed < 0:
            raise AgentError(f"seed: must be an integer >= 0, got {self.seed}")
        for name in POSITIVE_FLOATS:
            if not float(getattr(self, name)) > 0:
                raise AgentError(f"{name}: must be > 0, got {getattr(self, name)}")
        if not 0 <= self.discount <= 1:
            raise AgentError(f"discount: must be in [0, 1], got {self.discount}")
        for name in ("background_rate_hz", "bias", "adapt_beta", "entropy_bonus"):
            if not float(getattr(self, name)) >= 0:
                raise AgentError(f"{name}: must be >= 0, got {getattr(self, name)}")
        if self.observation not in OBSERVATIONS:
            raise AgentError(
                f"observation: expected one of {', '.join(OBSERVATIONS)}, got {self.observation!r}"
            )
        if self.network not in NETWORKS:
            raise AgentError(
                f"network: expected one of {', '.join(NETWORKS)}, got {self.network!r}"
            )
        for name in ("tau_m_steps", "tau_adapt_steps"):  # a decay factor exp(-1/tau) < 1
            if not math.exp(-1.0 / float(getattr(self, name))) < 1.0:
                raise AgentError(f"{name}: too long to resolve in float, got {getattr(self, name)}")
        other = RECURRENT_ONLY if self.network == "feedforward" else FEEDFORWARD_ONLY
        default = AgentConfig()
        for name in other:
            if getattr(self, name) != getattr(default, name):
                uses = "recurrent" if other is RECURRENT_ONLY else "feedforward"
                raise AgentError(
                    f"{name}: only the {uses} network uses it, and network = {self.network!r}"
                )
        if not 0 <= self.alif_fraction <= 1:
            raise AgentError(f"alif_fraction: must be in [0, 1], got {self.alif_fraction}")
        if self.network == "recurrent" and self.backend != "ideal":
            raise AgentError(
                f"network: 'recurrent' needs the ideal back-end, got {self.backend!r} (the "
                "hidden layer's learning signal has both signs: heat cannot store its trace)"
            )
        if self.eligibility not in ELIGIBILITIES:
            raise AgentError(
                f"eligibility: expected one of {', '.join(ELIGIBILITIES)}, got {self.eligibility!r}"
            )
        if self.eligibility == "signed" and self.backend != "ideal":
            raise AgentError(
                f"eligibility: 'signed' needs the ideal back-end (a {self.backend} trace is "
                "heat, which cannot be negative)"
            )
        if self.network == "recurrent" and self.synapses not in (None, IdealSettings()):
            raise AgentError(
                "synapses: a recurrent network keeps its own weights (learning rate "
                "recurrent_lr); leave the ideal back-end's settings at their defaults"
            )
        if self.network == "recurrent" and self.eligibility != "signed":
            raise AgentError(
                "eligibility: a recurrent network learns with the exact policy-gradient "
                "eligibility; set eligibility = 'signed'"
            )
        self.settings().validate("synapses", AgentError)


ELIGIBILITIES = ("nonnegative", "signed")
# the settings of one actor only: a value other than the default for the other is refused
RECURRENT_ONLY = (
    "hidden_neurons",
    "alif_fraction",
    "tau_adapt_steps",
    "adapt_beta",
    "hidden_input_scale",
    "recurrent_lr",
    "entropy_bonus",
    "memory",
)
FEEDFORWARD_ONLY = ("neurons_per_action", "w_init", "policy_gain")
OBSERVATIONS = ("place", "neighbours")
NETWORKS = ("feedforward", "recurrent")
POSITIVE_INTS: tuple[str, ...] = (
    "episodes",
    "max_steps",
    "steps_per_frame",
    "cells_per_state",
    "neurons_per_action",
    "hidden_neurons",
)
POSITIVE_FLOATS: tuple[str, ...] = (
    "dt_net_s",
    "place_rate_hz",
    "tau_m_steps",
    "decay_ratio",
    "critic_lr",
    "policy_gain",
    "tau_adapt_steps",
    "hidden_input_scale",
    "recurrent_lr",
)


def agent_config_from_dict(data: dict[str, Any]) -> AgentConfig:
    """An AgentConfig from a TOML table (``synapses`` a sub-table of the back-end's settings);
    unknown keys and wrong types name the field."""
    default = AgentConfig()
    backend = data.get("backend", default.backend)
    if not isinstance(backend, str):
        raise AgentError(f"backend: expected a string, got {backend!r}")
    kind = backend_kind(backend, AgentError)
    values = _typed_fields(AgentConfig, default, data, "", skip={"synapses"})
    table = data.get("synapses", {})
    if not isinstance(table, dict):
        raise AgentError(f"synapses: expected a table of {backend} settings, got {table!r}")
    settings = kind.settings_type()
    values["synapses"] = replace(
        settings, **_typed_fields(kind.settings_type, settings, table, "synapses.", skip=set())
    )
    cfg = replace(default, **values)
    cfg.validate()
    return cfg


def _typed_fields(
    cls: type, default: Any, data: dict[str, Any], prefix: str, skip: set[str]
) -> dict[str, Any]:
    """Values of ``data`` checked against the types of ``default``'s fields (an int is a
    valid float); errors name ``prefix + key``."""
    known = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in skip:
            continue
        if key not in known:
            raise AgentError(
                f"{prefix}{key}: unknown field (allowed: {', '.join(sorted(known - skip))})"
            )
        want = type(getattr(default, key))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or isinstance(value, bool) != (want is bool):
            raise AgentError(f"{prefix}{key}: expected {want.__name__}, got {value!r}")
        values[key] = value
    return values


@dataclass
class RunResult:
    """Per-episode record and summary of one run."""

    config: AgentConfig
    returns: list[float]
    steps: list[int]
    success: list[bool]
    episodes_to_criterion: int | None
    final_success_rate: float
    energy_per_update_j: float | None  # whole array, heater + programming, per frame update
    energy_per_synapse_update_j: float | None  # the same divided by the number of synapses
    heater_energy_per_update_j: float | None
    programming_energy_per_update_j: float | None
    frame_s: float
    trace_tau_s: float
    policy_probabilities: list[list[float]]  # pi(a | s) after training, [state][action]
    grid: list[str]
    mean_peak_rise_k: float | None
    # where the programmed |dG| went by the cells' stored rise (ThermalSynapses.selectivity)
    selectivity: dict[str, Any] | None = None
    pulse_widths_s: list[float] | None = None  # calibrated SET and RESET widths (thermal)

    def greedy_policy(self) -> NDArray[np.int64]:
        """The most probable action of every state."""
        out: NDArray[np.int64] = np.argmax(self.policy_probabilities, axis=1)
        return out

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["config"] = config_to_json(self.config)
        out["criterion"] = {"success_rate": CRITERION_SUCCESS, "window": CRITERION_WINDOW}
        out["greedy_policy"] = self.greedy_policy().tolist()
        return out


def config_to_json(cfg: AgentConfig) -> dict[str, Any]:
    """The configuration as JSON data, with the back-end's settings resolved."""
    return {**asdict(cfg), "synapses": asdict(cfg.settings())}


def episodes_to_criterion(success: list[bool]) -> int | None:
    """First episode count n at which episodes n-19..n succeed at rate >= 0.9, else None."""
    hits = np.flatnonzero(success_window(success) >= CRITERION_SUCCESS - 1e-12)
    return int(hits[0] + CRITERION_WINDOW) if len(hits) else None


def censored_episodes(reached: list[int | None], budget: int) -> list[int]:
    """Episodes to criterion with the runs that never reached it counted as the episode
    budget (right-censored: a summary of these is a lower bound on the true one)."""
    return [budget if e is None else e for e in reached]


def td_error(
    reward: FloatArray | float,
    value: FloatArray | float,
    value_next: FloatArray | float,
    terminated: NDArray[np.bool_] | bool,
    discount: float,
) -> FloatArray:
    """delta = r + discount V(s') - V(s); V(s') = 0 after a terminal step. A time-out
    (truncation) is not terminal: it bootstraps from V(s') like any other step. Elementwise
    over a batch of agents."""
    out: FloatArray = reward + np.where(terminated, 0.0, discount * np.asarray(value_next)) - value
    return out


def success_window(success: list[bool]) -> NDArray[np.float64]:
    """Success rate over each full 20-episode window (entry n: episodes n+1 .. n+20)."""
    s = np.asarray(success, dtype=float)
    if len(s) < CRITERION_WINDOW:
        return np.zeros(0)
    out: NDArray[np.float64] = np.convolve(
        s, np.ones(CRITERION_WINDOW) / CRITERION_WINDOW, mode="valid"
    )
    return out


@dataclass
class _Batch:
    """B agents that differ only in their seeds, stepped together: every live agent takes
    one environment step (one frame) per step of the batch, each in its own episode.

    Per agent: its own random stream (``numpy.random.default_rng(seed)``, so an agent draws
    the same numbers alone or in a batch), synapse array (the back-end's [B, N_post, N_pre]
    batch), critic and place in the maze. Every batched operation is per agent (elementwise,
    a matrix product per agent, a sum over one agent's contiguous numbers), so a batch gives
    each agent the run it has alone, bit for bit. An agent that has run its episodes is
    summed up and dropped (``select``).
    """

    cfg: AgentConfig  # shared by every agent (the seeds aside)
    seeds: list[int]
    table: TransitionTable
    grid: list[str]
    n_states: int
    n_actions: int
    params: NeuronParams
    backend: SynapseBackend | RecurrentActor  # the actor's weights (recurrent: the whole actor)
    timing: FrameTiming
    population: NDArray[np.int64]
    expected_count: float
    active_cells: int  # input cells at the high rate in every observation
    view: NDArray[np.bool_] | None  # observation "neighbours": the view of every state
    generators: list[np.random.Generator]
    ids: NDArray[np.intp]  # the original index of every live agent
    state: NDArray[np.int64]
    w_critic: FloatArray  # [B, N_pre]

    def streams(self) -> AgentStreams:
        """The random streams of the live agents, in batch order."""
        return AgentStreams([self.generators[int(b)] for b in self.ids])

    def encode(
        self, which: NDArray[np.intp], states: NDArray[np.int64]
    ) -> tuple[FloatArray, FloatArray]:
        """Place-cell spikes [B', T, N_pre] (agent first) of live agents ``which`` in
        ``states``, each drawn from its own stream, and the critic's features phi [B', N_pre]
        (spike counts per expected count)."""
        cfg = self.cfg
        rates = observation_rates(states, cfg, self.n_states, self.view)
        if not len(which):
            return np.zeros((0, cfg.steps_per_frame, rates.shape[-1])), np.zeros(
                (0, rates.shape[-1])
            )
        x = np.stack(
            [
                poisson_spikes(
                    r, cfg.steps_per_frame, cfg.dt_net_s, self.generators[int(self.ids[b])]
                )
                for r, b in zip(rates, which, strict=True)
            ]
        )  # [B', T, N_pre]
        return x, x.sum(1) * (cfg.cells_per_state / self.expected_count)

    def act(self, x: FloatArray) -> tuple[NDArray[np.int64], FloatArray]:
        """Run every live agent's actor on its spikes x [B, T, N_pre] with its weights; sample
        each action from its softmax with one draw of its stream (inverse CDF, as
        ``Generator.choice``) and give the frame's eligibility to the back-end. Returns the
        actions and pi [B, n_actions]."""
        backend = self.backend
        if isinstance(backend, RecurrentActor):
            u = np.array([self.generators[int(b)].random() for b in self.ids])
            actions, pi, _ = backend.act(x, u)
            return actions, pi
        actions, psi, eps, pi = self.act_feedforward(x)
        backend.accumulate(psi, eps)
        return actions, pi

    def act_feedforward(
        self, x: FloatArray
    ) -> tuple[NDArray[np.int64], FloatArray, FloatArray, FloatArray]:
        """The feed-forward actor's frame: the actions, the postsynaptic factor of the
        eligibility [T, B, N_post] (the chosen population's pseudo-derivatives psi, or with
        ``eligibility = "signed"`` psi (1[a = k] - pi_k) for every population k), the
        presynaptic traces [T, B, N_pre] and pi [B, n_actions]."""
        w = self.backend.weights()  # [B, N_post, N_pre]
        n_post = w.shape[-2]
        traj = forward(
            Weights(w, np.zeros((n_post, n_post)), np.zeros((1, n_post))),
            x.transpose(1, 0, 2),
            self.params,
            self.cfg.bias,
        )
        pi = action_probabilities(traj.z.sum(0), self.cfg)  # [B, A]
        u = np.array([self.generators[int(b)].random() for b in self.ids])
        cdf = np.cumsum(pi, axis=-1)
        cdf /= cdf[:, -1:]
        actions = np.sum(cdf <= u[:, None], axis=-1)  # searchsorted(cdf, u, side="right")
        eps, _ = eligibility_traces(traj, self.params)
        chosen = (self.population[None, :] == actions[:, None]).astype(float)  # [B, N_post]
        if self.cfg.eligibility == "signed":  # d log pi(a) / d logit_k = 1[a = k] - pi_k
            return actions, traj.psi * (chosen - pi[:, self.population])[None], eps, pi
        return actions, traj.psi * chosen[None], eps, pi

    def keep(self, live: NDArray[np.intp]) -> None:
        """Keep live agents ``live`` (indices into the batch), in that order."""
        self.backend.select(live)
        self.ids, self.state, self.w_critic = self.ids[live], self.state[live], self.w_critic[live]


@dataclass
class _Record:
    """What one agent's run has produced so far."""

    returns: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    success: list[bool] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    # a recurrent actor: pi summed per state [S, A] and visits [S] over the current episode,
    # and the same for each of the last CRITERION_WINDOW episodes (its learned policy)
    visits: tuple[FloatArray, FloatArray] | None = None
    window: deque[tuple[FloatArray, FloatArray]] = field(
        default_factory=lambda: deque(maxlen=CRITERION_WINDOW)
    )

    def visit(self, state: int, pi: FloatArray, n_states: int) -> None:
        """Add pi [A] to the current episode's sums at ``state``."""
        if self.visits is None:
            self.visits = (np.zeros((n_states, len(pi))), np.zeros(n_states))
        self.visits[0][state] += pi
        self.visits[1][state] += 1


def run_agent(
    cfg: AgentConfig, card: ModelCard | None = None, *, progress: bool = False
) -> RunResult:
    """Train the spiking actor-critic on ``cfg.task`` for ``cfg.episodes`` episodes."""
    return run_agents([cfg], card, progress=progress)[0]


def run_agents(
    cfgs: Sequence[AgentConfig], card: ModelCard | None = None, *, progress: bool = False
) -> list[RunResult]:
    """Train one agent per configuration, as one batched simulation; the configurations may
    differ only in ``seed``. Each result equals ``run_agent`` of its configuration bit for
    bit (a batch is a speed-up, never a different experiment)."""
    cfgs = list(cfgs)
    if not cfgs:
        return []
    batch = _make_batch(cfgs, card)
    cfg, n_b = batch.cfg, len(cfgs)
    records = [_Record() for _ in range(n_b)]
    results: list[RunResult | None] = [None] * n_b
    bar: Any = None
    if progress:
        from tqdm import tqdm

        who = f"{n_b} agents" if n_b > 1 else f"seed {cfg.seed}"
        bar = tqdm(
            total=n_b * cfg.episodes, desc=f"{cfg.task} {cfg.backend} ({who})", unit="episode"
        )
    live = np.arange(n_b)
    x, phi = batch.encode(live, batch.state)
    steps = np.zeros(n_b, np.int64)
    total = np.zeros(n_b)
    done_episodes = np.zeros(n_b, np.int64)
    recurrent = isinstance(batch.backend, RecurrentActor)
    while len(batch.ids):
        actions, pi = batch.act(x)
        if recurrent:  # the policy a recurrent actor acts by depends on its memory: record it
            for j, agent in enumerate(batch.ids.tolist()):
                records[agent].visit(int(batch.state[j]), pi[j], batch.n_states)
        state, reward, terminated, goal = batch.table.step(batch.state, actions)
        total += reward
        steps += 1
        done = terminated | (steps >= cfg.max_steps)  # a time-out truncates (Gymnasium)
        x_next, phi_next = x.copy(), phi.copy()  # a terminal step keeps s: V(s') is unused
        go_on = np.flatnonzero(~terminated)
        x_next[go_on], phi_next[go_on] = batch.encode(go_on, state[go_on])
        value, value_next = _dot_rows(batch.w_critic, phi), _dot_rows(batch.w_critic, phi_next)
        delta = td_error(reward, value, value_next, terminated, cfg.discount)
        batch.w_critic += cfg.critic_lr * delta[:, None] * phi / batch.active_cells
        batch.backend.update(delta, batch.streams())
        peak = batch.backend.peak_rise_k()
        batch.state, x, phi = state, x_next, phi_next
        if peak is not None:
            for rec_id, hottest in zip(batch.ids, np.asarray(peak).tolist(), strict=True):
                records[rec_id].peaks.append(hottest)
        ended = np.flatnonzero(done)
        if not len(ended):
            continue
        for j in ended.tolist():
            agent = int(batch.ids[j])
            rec = records[agent]
            rec.returns.append(float(total[j]))
            rec.steps.append(int(steps[j]))
            rec.success.append(bool(goal[j]))
            if rec.visits is not None:
                rec.window.append(rec.visits)
                rec.visits = None
            done_episodes[j] += 1
            if done_episodes[j] == cfg.episodes:
                results[agent] = _result(batch, j, rec)
        if bar is not None:
            bar.update(len(ended))
        live = np.flatnonzero(done_episodes < cfg.episodes)
        if len(live) < len(batch.ids):
            batch.keep(live)
            x, phi = x[live], phi[live]
            steps, total, done_episodes = steps[live], total[live], done_episodes[live]
            done = done[live]
        restart = np.flatnonzero(done)  # a new episode: back to the start, the trace at rest
        if len(restart):
            batch.state[restart] = batch.table.start
            steps[restart], total[restart] = 0, 0.0
            batch.backend.reset_trace(restart)
            x[restart], phi[restart] = batch.encode(restart, batch.state[restart])
    if bar is not None:
        bar.close()
    return [r for r in results if r is not None]


def _dot_rows(a: FloatArray, b: FloatArray) -> FloatArray:
    """Per row, a . b (each row's products summed contiguously, whatever the batch)."""
    out: FloatArray = (a * b).sum(-1)
    return out


def _make_batch(cfgs: list[AgentConfig], card: ModelCard | None) -> _Batch:
    cfg = cfgs[0]
    if not isinstance(cfg, AgentConfig):
        raise AgentError(f"run_agents: expected AgentConfig, got {type(cfg).__name__}")
    shared = config_to_json(replace(cfg, seed=0))  # None settings resolved to the defaults
    for other in cfgs:
        if not isinstance(other, AgentConfig):
            raise AgentError(f"run_agents: expected AgentConfig, got {type(other).__name__}")
        other.validate()
        theirs = config_to_json(replace(other, seed=0))
        if theirs != shared:
            differ = [k for k in shared if theirs[k] != shared[k]]
            raise AgentError(
                f"{', '.join(n for n in differ if n != 'seed')}: the agents of a batch may "
                "differ only in seed"
            )
    kind = backend_kind(cfg.backend, AgentError)
    if kind.needs_card and card is None:
        raise AgentError(f"backend: {cfg.backend!r} needs a model card (--card)")
    generators = [np.random.default_rng(c.seed) for c in cfgs]
    env = make_task(cfg.task, max_steps=cfg.max_steps)
    n_states = int(env.observation_space.n)  # type: ignore[attr-defined]
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    grid = list(task_grid(env))
    view = neighbour_view(tuple(grid)) if cfg.observation == "neighbours" else None
    n_features = n_states if view is None else view.shape[1]
    active = 1 if view is None else int(view.sum(1).max())  # features seen at once
    n_pre = n_features * cfg.cells_per_state
    n_post = n_actions * cfg.neurons_per_action
    params = NeuronParams(alpha=float(np.exp(-1 / cfg.tau_m_steps)), beta=0.0)
    settings = cfg.settings()
    timing = kind.timing(settings, card, cfg.decay_ratio, cfg.steps_per_frame * cfg.dt_net_s)
    n_b = len(cfgs)
    streams = AgentStreams(generators)
    backend: SynapseBackend | RecurrentActor
    if cfg.network == "recurrent":
        n_h = cfg.hidden_neurons
        n_alif = round(cfg.alif_fraction * n_h)
        params = NeuronParams(
            alpha=params.alpha,
            rho=float(np.exp(-1 / cfg.tau_adapt_steps)),
            beta=tuple([0.0] * (n_h - n_alif) + [cfg.adapt_beta] * n_alif),
        )
        backend = build_actor(
            streams,
            n_in=n_pre,
            n_hidden=n_h,
            n_actions=n_actions,
            params=params,
            bias=cfg.bias,
            input_scale=cfg.hidden_input_scale,
            lr=cfg.recurrent_lr,
            entropy_bonus=cfg.entropy_bonus,
            memory=cfg.memory,
            decay=float(np.exp(-timing.frame_s / timing.trace_tau_s)),
        )
    else:
        context = BuildContext(
            w_init=np.full((n_b, n_post, n_pre), cfg.w_init),
            timing=timing,
            steps_per_frame=cfg.steps_per_frame,
            e_ref=params.gamma / params.v_th,
            card=card,
            rng=streams,
        )
        backend = kind.build(settings, context)
    table = transition_table(env)
    return _Batch(
        cfg=cfg,
        seeds=[c.seed for c in cfgs],
        table=table,
        grid=grid,
        n_states=n_states,
        n_actions=n_actions,
        params=params,
        backend=backend,
        timing=timing,
        population=np.repeat(np.arange(n_actions), cfg.neurons_per_action),
        expected_count=cfg.place_rate_hz * cfg.dt_net_s * cfg.steps_per_frame * cfg.cells_per_state,
        active_cells=active * cfg.cells_per_state,
        view=view,
        generators=generators,
        ids=np.arange(n_b),
        state=np.full(n_b, table.start, np.int64),
        w_critic=np.zeros((n_b, n_pre)),
    )


def _result(batch: _Batch, j: int, rec: _Record) -> RunResult:
    """Live agent j's run, summed up when it has run its episodes."""
    b = int(batch.ids[j])
    cfg = replace(batch.cfg, seed=batch.seeds[b])
    backend = batch.backend
    energy = backend.energy.agent(j)
    thermal = backend if isinstance(backend, ThermalSynapses) else None
    heated = bool(rec.peaks)  # a back-end with heat books heater and programming energy
    w = backend.weights()[j]
    updates = max(energy.updates, 1)
    if isinstance(backend, RecurrentActor):
        pi_final = acted_policy(rec.window, batch.n_states, batch.n_actions)
    else:
        pi_final = learned_policy(
            w, cfg, batch.n_states, batch.params, batch.generators[b], view=batch.view
        )
    success = rec.success
    per_update = float(energy.per_update_j())
    return RunResult(
        config=cfg,
        returns=rec.returns,
        steps=rec.steps,
        success=success,
        episodes_to_criterion=episodes_to_criterion(success),
        final_success_rate=float(np.mean(success[-CRITERION_WINDOW:])),
        energy_per_update_j=per_update if heated else None,
        energy_per_synapse_update_j=per_update / w.size if heated else None,
        heater_energy_per_update_j=float(energy.heater_j) / updates if heated else None,
        programming_energy_per_update_j=float(energy.programming_j) / updates if heated else None,
        frame_s=batch.timing.frame_s,
        trace_tau_s=batch.timing.trace_tau_s,
        policy_probabilities=pi_final.tolist(),
        grid=list(batch.grid),
        mean_peak_rise_k=float(np.mean(rec.peaks)) if heated else None,
        selectivity=thermal.selectivity(j) if thermal is not None else None,
        pulse_widths_s=None if thermal is None else [thermal.set_pulse_s, thermal.reset_pulse_s],
    )


def action_probabilities(counts: FloatArray, cfg: AgentConfig) -> FloatArray:
    """Softmax policy from spike counts [..., N_post]: logits = gain x mean count of each
    action's population. Returns [..., n_actions]."""
    per_action = counts.reshape(*counts.shape[:-1], -1, cfg.neurons_per_action).mean(-1)
    logits = cfg.policy_gain * per_action
    pi = np.exp(logits - logits.max(-1, keepdims=True))
    out: FloatArray = pi / pi.sum(-1, keepdims=True)
    return out


def observation_rates(
    states: NDArray[np.int64], cfg: AgentConfig, n_states: int, view: NDArray[np.bool_] | None
) -> FloatArray:
    """The input cells' rates [Hz] [..., N_pre] in ``states``: place cells (``view`` None) or
    the cells of the neighbour view (``snn.maze.neighbour_view``)."""
    if view is None:
        return place_cell_rates(
            states, n_states, cfg.cells_per_state, cfg.place_rate_hz, cfg.background_rate_hz
        )
    return feature_cell_rates(
        view[states], cfg.cells_per_state, cfg.place_rate_hz, cfg.background_rate_hz
    )


def acted_policy(
    window: Sequence[tuple[FloatArray, FloatArray]], n_states: int, n_actions: int
) -> FloatArray:
    """A recurrent actor's policy: pi(a | s) averaged over its visits to s in the episodes of
    ``window`` (its pi depends on its memory, so it is read from how it acted); a state not
    visited there is uniform. [S, A]."""
    total, count = np.zeros((n_states, n_actions)), np.zeros(n_states)
    for pi_sum, visits in window:
        total += pi_sum
        count += visits
    out: FloatArray = np.where(
        count[:, None] > 0, total / np.maximum(count, 1)[:, None], 1.0 / n_actions
    )
    return out


def learned_policy(
    w: FloatArray,
    cfg: AgentConfig,
    n_states: int,
    params: NeuronParams,
    rng: np.random.Generator,
    repeats: int = 16,
    view: NDArray[np.bool_] | None = None,
) -> FloatArray:
    """pi(a | s) of every state, averaged over ``repeats`` frames (one batch): [S, A]; the
    feed-forward actor sees place cells, or the neighbour ``view`` of each state."""
    states = np.repeat(np.arange(n_states), repeats)
    rates = observation_rates(states, cfg, n_states, view)
    x = poisson_spikes(rates, cfg.steps_per_frame, cfg.dt_net_s, rng)
    n_post = w.shape[0]
    traj = forward(
        Weights(w, np.zeros((n_post, n_post)), np.zeros((1, n_post))), x, params, cfg.bias
    )
    pi = action_probabilities(traj.z.sum(0), cfg)  # [S * repeats, A]
    out: FloatArray = pi.reshape(n_states, repeats, -1).mean(1)
    return out
