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

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from snn.encoders import place_cell_rates, poisson_spikes
from snn.eprop import NeuronParams, Weights, eligibility_traces, forward
from snn.maze import is_success, make_task, task_grid
from snn.synapses import (
    IdealSynapses,
    SynapseBackend,
    ThermalSynapses,
    mean_delay_s,
    thermal_backend,
)
from snn.traces import ThermalKernel

FloatArray = NDArray[np.float64]
BACKENDS = ("ideal", "thermal")
CRITERION_SUCCESS = 0.9
CRITERION_WINDOW = 20


class AgentError(ValueError):
    """An agent or task setting is invalid; the message names the field."""


@dataclass(frozen=True)
class AgentConfig:
    """Everything a maze run depends on (with the model card and the seed)."""

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
    lr: float = 0.1
    critic_lr: float = 0.2
    # thermal back-end (ignored by ideal)
    w_scale: float = 3.0
    bits: int = 8
    heater_power_w: float = 4e-4
    pulse_v: float = 1.0
    reference_rise_k: float = 150.0
    levels_per_pulse: float = 1.0
    signal_unit: float = 0.05
    max_pulses: int = 8
    variability: float = 0.0  # multiplier on the card's d2d/c2c/stuck figures

    def validate(self) -> None:
        if self.backend not in BACKENDS:
            raise AgentError(f"backend: {self.backend!r} is not one of {BACKENDS}")
        for name in POSITIVE_INTS:
            if int(getattr(self, name)) < 1:
                raise AgentError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.bits > 16:
            raise AgentError(f"bits: must be <= 16, got {self.bits}")
        for name in POSITIVE_FLOATS:
            if not float(getattr(self, name)) > 0:
                raise AgentError(f"{name}: must be > 0, got {getattr(self, name)}")
        if not 0 <= self.discount <= 1:
            raise AgentError(f"discount: must be in [0, 1], got {self.discount}")
        for name in ("background_rate_hz", "variability", "bias"):
            if not float(getattr(self, name)) >= 0:
                raise AgentError(f"{name}: must be >= 0, got {getattr(self, name)}")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not np.isfinite(value):
                raise AgentError(f"{f.name}: must be finite, got {value}")


POSITIVE_INTS: tuple[str, ...] = (
    "episodes",
    "max_steps",
    "steps_per_frame",
    "cells_per_state",
    "neurons_per_action",
    "bits",
    "max_pulses",
)
POSITIVE_FLOATS: tuple[str, ...] = (
    "dt_net_s",
    "place_rate_hz",
    "tau_m_steps",
    "decay_ratio",
    "lr",
    "critic_lr",
    "heater_power_w",
    "pulse_v",
    "reference_rise_k",
    "signal_unit",
    "levels_per_pulse",
    "w_scale",
    "policy_gain",
)


def agent_config_from_dict(data: dict[str, Any]) -> AgentConfig:
    """An AgentConfig from a TOML table; unknown keys and wrong types name the field."""
    known = {f.name: f for f in fields(AgentConfig)}
    default = AgentConfig()
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise AgentError(f"{key}: unknown field (allowed: {', '.join(sorted(known))})")
        want = type(getattr(default, key))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or isinstance(value, bool) != (want is bool):
            raise AgentError(f"{key}: expected {want.__name__}, got {value!r}")
        values[key] = value
    cfg = replace(default, **values)
    cfg.validate()
    return cfg


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

    def greedy_policy(self) -> NDArray[np.int64]:
        """The most probable action of every state."""
        out: NDArray[np.int64] = np.argmax(self.policy_probabilities, axis=1)
        return out

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["config"] = asdict(self.config)
        out["criterion"] = {"success_rate": CRITERION_SUCCESS, "window": CRITERION_WINDOW}
        out["greedy_policy"] = self.greedy_policy().tolist()
        return out


def episodes_to_criterion(success: list[bool]) -> int | None:
    """First episode count n at which episodes n-19..n succeed at rate >= 0.9, else None."""
    hits = np.flatnonzero(success_window(success) >= CRITERION_SUCCESS - 1e-12)
    return int(hits[0] + CRITERION_WINDOW) if len(hits) else None


def td_error(
    reward: float, value: float, value_next: float, terminated: bool, discount: float
) -> float:
    """delta = r + discount V(s') - V(s); V(s') = 0 after a terminal step. A time-out
    (truncation) is not terminal: it bootstraps from V(s') like any other step."""
    return reward + (0.0 if terminated else discount * value_next) - value


def success_window(success: list[bool]) -> NDArray[np.float64]:
    """Success rate over each full 20-episode window (entry n: episodes n+1 .. n+20)."""
    s = np.asarray(success, dtype=float)
    if len(s) < CRITERION_WINDOW:
        return np.zeros(0)
    out: NDArray[np.float64] = np.convolve(
        s, np.ones(CRITERION_WINDOW) / CRITERION_WINDOW, mode="valid"
    )
    return out


def run_agent(
    cfg: AgentConfig, card: dict[str, Any] | None = None, *, progress: bool = False
) -> RunResult:
    """Train the spiking actor-critic on ``cfg.task`` for ``cfg.episodes`` episodes."""
    cfg.validate()
    if cfg.backend == "thermal" and card is None:
        raise AgentError("backend: 'thermal' needs a model card (--card)")
    rng = np.random.default_rng(cfg.seed)
    env = make_task(cfg.task, max_steps=cfg.max_steps)
    n_states = int(env.observation_space.n)  # type: ignore[attr-defined]
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    n_pre = n_states * cfg.cells_per_state
    n_post = n_actions * cfg.neurons_per_action
    params = NeuronParams(alpha=float(np.exp(-1 / cfg.tau_m_steps)), beta=0.0)
    e_ref = params.gamma / params.v_th
    w0 = np.full((n_post, n_pre), cfg.w_init)

    backend: SynapseBackend
    if cfg.backend == "thermal":
        assert card is not None
        tau = mean_delay_s(ThermalKernel.from_card(card))
        frame_s = tau / cfg.decay_ratio
        backend = thermal_backend(
            _scaled_variability(card, cfg.variability),
            w0,
            dt_s=frame_s / cfg.steps_per_frame,
            bits=cfg.bits,
            w_scale=cfg.w_scale,
            heater_power_w=cfg.heater_power_w,
            e_ref=e_ref,
            pulse_v=cfg.pulse_v,
            reference_rise_k=cfg.reference_rise_k,
            levels_per_pulse=cfg.levels_per_pulse,
            signal_unit=cfg.signal_unit,
            max_pulses=cfg.max_pulses,
            variability=cfg.variability > 0,
            rng=rng,
        )
    else:
        frame_s = cfg.steps_per_frame * cfg.dt_net_s
        tau = cfg.decay_ratio * frame_s
        backend = IdealSynapses(w0.copy(), tau, frame_s / cfg.steps_per_frame, cfg.lr, e_ref)
    expected = cfg.place_rate_hz * cfg.dt_net_s * cfg.steps_per_frame * cfg.cells_per_state
    w_critic = np.zeros(n_pre)
    population = np.repeat(np.arange(n_actions), cfg.neurons_per_action)

    def encode(state: int) -> tuple[FloatArray, FloatArray]:
        """Place-cell spikes x [T, 1, N_pre] of a state and the critic's features phi."""
        rates = place_cell_rates(
            state, n_states, cfg.cells_per_state, cfg.place_rate_hz, cfg.background_rate_hz
        )
        x = poisson_spikes(rates[None, :], cfg.steps_per_frame, cfg.dt_net_s, rng)
        return x, x[:, 0].sum(0) * (cfg.cells_per_state / expected)

    def act(x: FloatArray) -> tuple[int, FloatArray, FloatArray]:
        """Run the action neurons on x with the current weights; sample the action; return
        it with the chosen population's pseudo-derivatives psi and the presynaptic traces."""
        w = backend.weights()
        traj = forward(
            Weights(w, np.zeros((n_post, n_post)), np.zeros((1, n_post))), x, params, cfg.bias
        )
        pi = action_probabilities(traj.z[:, 0].sum(0), cfg)
        action = int(rng.choice(n_actions, p=pi))
        eps, _ = eligibility_traces(traj, params)
        return action, traj.psi[:, 0] * (population == action), eps[:, 0]

    returns: list[float] = []
    steps: list[int] = []
    success: list[bool] = []
    peak_rise: list[float] = []
    episodes = range(cfg.episodes)
    if progress:
        from tqdm import tqdm

        episodes = tqdm(episodes, desc=f"{cfg.task} {cfg.backend}", unit="episode")
    for episode in episodes:
        state, _ = env.reset(seed=cfg.seed * 100_003 + episode)
        backend.reset_trace()
        total, n, done, ok = 0.0, 0, False, False
        x, phi = encode(int(state))
        while not done:
            action, psi, eps = act(x)
            backend.accumulate(psi, eps)
            state, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            n += 1
            done = bool(terminated or truncated)
            x_next, phi_next = (x, phi) if terminated else encode(int(state))
            value, value_next = float(w_critic @ phi), float(w_critic @ phi_next)
            delta = td_error(float(reward), value, value_next, bool(terminated), cfg.discount)
            w_critic += cfg.critic_lr * delta * phi / cfg.cells_per_state
            backend.update(delta, rng)
            if isinstance(backend, ThermalSynapses):
                peak_rise.append(backend.last_peak_rise_k)
            x, phi = x_next, phi_next
            if done:
                ok = is_success(float(reward), bool(terminated), info)
        returns.append(total)
        steps.append(n)
        success.append(ok)

    energy = backend.energy
    thermal = cfg.backend == "thermal"
    pi_final = learned_policy(backend.weights(), cfg, n_states, params, rng)
    return RunResult(
        config=cfg,
        returns=returns,
        steps=steps,
        success=success,
        episodes_to_criterion=episodes_to_criterion(success),
        final_success_rate=float(np.mean(success[-CRITERION_WINDOW:])),
        energy_per_update_j=energy.per_update_j() if thermal else None,
        energy_per_synapse_update_j=energy.per_update_j() / w0.size if thermal else None,
        heater_energy_per_update_j=energy.heater_j / max(energy.updates, 1) if thermal else None,
        programming_energy_per_update_j=(
            energy.programming_j / max(energy.updates, 1) if thermal else None
        ),
        frame_s=frame_s,
        trace_tau_s=tau,
        policy_probabilities=pi_final.tolist(),
        grid=list(task_grid(env)),
        mean_peak_rise_k=float(np.mean(peak_rise)) if peak_rise else None,
    )


def action_probabilities(counts: FloatArray, cfg: AgentConfig) -> FloatArray:
    """Softmax policy from spike counts [..., N_post]: logits = gain x mean count of each
    action's population. Returns [..., n_actions]."""
    per_action = counts.reshape(*counts.shape[:-1], -1, cfg.neurons_per_action).mean(-1)
    logits = cfg.policy_gain * per_action
    pi = np.exp(logits - logits.max(-1, keepdims=True))
    out: FloatArray = pi / pi.sum(-1, keepdims=True)
    return out


def learned_policy(
    w: FloatArray,
    cfg: AgentConfig,
    n_states: int,
    params: NeuronParams,
    rng: np.random.Generator,
    repeats: int = 16,
) -> FloatArray:
    """pi(a | s) of every state, averaged over ``repeats`` frames (one batch): [S, A]."""
    states = np.repeat(np.arange(n_states), repeats)
    rates = place_cell_rates(
        states, n_states, cfg.cells_per_state, cfg.place_rate_hz, cfg.background_rate_hz
    )
    x = poisson_spikes(rates, cfg.steps_per_frame, cfg.dt_net_s, rng)
    n_post = w.shape[0]
    traj = forward(
        Weights(w, np.zeros((n_post, n_post)), np.zeros((1, n_post))), x, params, cfg.bias
    )
    pi = action_probabilities(traj.z.sum(0), cfg)  # [S * repeats, A]
    out: FloatArray = pi.reshape(n_states, repeats, -1).mean(1)
    return out


def _scaled_variability(card: dict[str, Any], factor: float) -> dict[str, Any]:
    """The card with its variability figures multiplied by ``factor`` (stuck capped at 1)."""
    var = dict(card["variability"])
    for key in ("d2d_sigma_ln_rate", "c2c_sigma_rel"):
        var[key] = factor * float(var.get(key, 0.0))
    var["stuck_fraction"] = min(1.0, factor * float(var.get("stuck_fraction", 0.0)))
    return {**card, "variability": var}
