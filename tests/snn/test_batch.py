"""Agents batched across seeds: a batch of B agents is B single runs, bit for bit, for every
back-end (the thermal one with crosstalk, variability, electro-thermal pulses), with episodes
ending at different times and agents leaving the batch when done; the batched task step is
Gymnasium's step; the per-agent random streams draw what each agent draws alone."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devicefit.card import read_card
from snn.agent import AgentConfig, AgentError, RunResult, run_agent, run_agents
from snn.maze import make_task, transition_table
from snn.synapses import AgentStreams
from snn.thermal_synapses import ThermalSettings


def exact(result: RunResult) -> str:
    """Every field of a run, floats to the last bit (JSON writes the shortest repr that
    round-trips)."""
    return json.dumps(result.to_json(), sort_keys=True)


def check_batch_equals_singles(cfgs: list[AgentConfig], card: Any) -> list[RunResult]:
    batch = run_agents(cfgs, card)
    assert [r.config.seed for r in batch] == [c.seed for c in cfgs]
    for cfg, got in zip(cfgs, batch, strict=True):
        assert exact(got) == exact(run_agent(cfg, card)), f"seed {cfg.seed}"
    return batch


@pytest.mark.parametrize("backend", ["ideal", "quantised"])
def test_a_batch_of_float_agents_is_the_single_runs_bit_for_bit(backend: str) -> None:
    cfgs = [AgentConfig(backend=backend, episodes=12, max_steps=40, seed=s) for s in (3, 0, 7, 1)]
    batch = check_batch_equals_singles(cfgs, None)
    # the agents ran different numbers of steps: they left the batch at different frames
    assert len({sum(r.steps) for r in batch}) > 1


def test_a_batch_of_thermal_agents_is_the_single_runs_bit_for_bit(default_card: Path) -> None:
    """With the card's crosstalk and filament heat, variability (d2d rates, c2c noise, stuck
    devices: every agent its own devices) and SET-only programming with refresh."""
    card = read_card(default_card)
    settings = ThermalSettings(variability=1.0)
    cfgs = [
        AgentConfig(backend="thermal", episodes=6, max_steps=40, seed=s, synapses=settings)
        for s in (2, 5, 0)
    ]
    batch = check_batch_equals_singles(cfgs, card)
    assert len({sum(r.steps) for r in batch}) > 1
    assert all(r.energy_per_update_j is not None and r.energy_per_update_j > 0 for r in batch)
    # different devices per agent: the same seed gives the same devices, another seed others
    assert len({exact(r) for r in batch}) == 3


def test_agents_of_a_batch_may_differ_only_in_seed() -> None:
    with pytest.raises(AgentError, match="decay_ratio: the agents of a batch may differ only"):
        run_agents([AgentConfig(seed=0), AgentConfig(seed=1, decay_ratio=2.0)])
    with pytest.raises(AgentError, match="expected AgentConfig, got dict"):
        run_agents([AgentConfig(), {"seed": 1}])  # type: ignore[list-item]
    assert run_agents([]) == []
    # the back-end's defaults spelled out are the same configuration; a generator is a list
    from snn.ideal_synapses import IdealSettings

    cfgs = (
        AgentConfig(episodes=2, seed=s, synapses=IdealSettings() if s else None) for s in (0, 1)
    )
    assert [r.config.seed for r in run_agents(cfgs)] == [0, 1]


def test_a_batch_refuses_one_generator_for_several_agents(default_card: Path) -> None:
    from snn.agent import _make_batch

    batch = _make_batch(
        [AgentConfig(backend="thermal", seed=s) for s in (0, 1)], read_card(default_card)
    )
    psi = np.full((20, 2, 32), 0.3)
    batch.backend.accumulate(psi, np.ones((20, 2, 256)))
    with pytest.raises(TypeError, match="a batch of 2 agents draws from AgentStreams of 2"):
        batch.backend.update(np.array([1.0, -1.0]), np.random.default_rng(0))


@pytest.mark.parametrize("task", ["maze", "frozenlake"])
def test_the_batched_step_is_gymnasiums_step(task: str) -> None:
    """Random walks through Gymnasium's environment and through the transition table visit
    the same states with the same rewards and ends."""
    env = make_task(task, max_steps=1000)
    table = transition_table(env)
    rng = np.random.default_rng(0)
    ends = 0
    for episode in range(30):
        state, _ = env.reset(seed=episode)
        assert state == table.start
        for action in rng.integers(0, 4, 200):
            nxt, reward, terminated, _, info = env.step(int(action))
            t_next, t_reward, t_term, t_goal = table.step(np.array([state]), np.array([action]))
            assert (t_next[0], t_reward[0], t_term[0]) == (nxt, float(reward), terminated)
            assert t_goal[0] == (terminated and (info.get("outcome") == "goal" or reward > 0))
            state = nxt
            if terminated:
                ends += 1
                break
    assert ends > 5


def test_agent_streams_draw_what_each_generator_draws_alone() -> None:
    seeds = [4, 9, 1]
    streams = AgentStreams([np.random.default_rng(s) for s in seeds])
    draws = streams.random((3, 2, 5)), streams.standard_normal((3, 4)), streams.random((3,))
    for b, s in enumerate(seeds):
        g = np.random.default_rng(s)
        np.testing.assert_array_equal(draws[0][b], g.random((2, 5)))
        np.testing.assert_array_equal(draws[1][b], g.standard_normal(4))
        assert draws[2][b] == g.random()
    sub = streams.subset(np.array([2, 0]))
    assert sub.generators == (streams.generators[2], streams.generators[0])
    with pytest.raises(ValueError, match="first axis must be the 3 agents"):
        streams.random((2, 5))


def test_a_seed_gives_the_same_run_in_any_batch() -> None:
    """Seed 5 alone, first of a batch and last of another: one run."""
    cfg = AgentConfig(episodes=8, max_steps=30, seed=5)
    alone = exact(run_agent(cfg))
    first = run_agents([cfg, replace(cfg, seed=6)])[0]
    last = run_agents([replace(cfg, seed=2), replace(cfg, seed=9), cfg])[2]
    assert exact(first) == alone == exact(last)
