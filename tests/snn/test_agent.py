"""The spiking actor-critic reaches the criterion (success >= 0.9 over 20 episodes) on the
maze and on Gymnasium's FrozenLake-v1 within a fixed budget for fixed seeds, with ideal and
with thermal synapses on the default device's model card; settings are validated."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from snn.agent import (
    AgentConfig,
    AgentError,
    agent_config_from_dict,
    episodes_to_criterion,
    run_agent,
)


def test_criterion_is_the_first_full_window_at_ninety_percent() -> None:
    assert episodes_to_criterion([True] * 19) is None
    assert episodes_to_criterion([True] * 20) == 20
    s = [False] * 30 + [True] * 17 + [False] + [True] * 2 + [True] * 5
    # episodes 30..49 (indices 29..48) hold 18 successes = 0.9; the window before holds 17
    assert episodes_to_criterion(s) == 49
    assert episodes_to_criterion([True, False] * 40) is None


@pytest.mark.parametrize(
    ("task", "backend", "seed", "budget"),
    [
        ("maze", "ideal", 0, 200),
        ("maze", "thermal", 1, 200),
        ("frozenlake", "ideal", 0, 300),
        ("frozenlake", "thermal", 1, 300),
    ],
)
def test_agent_reaches_the_criterion(
    task: str, backend: str, seed: int, budget: int, default_card: Path
) -> None:
    card = json.loads(default_card.read_text()) if backend == "thermal" else None
    cfg = AgentConfig(task=task, backend=backend, seed=seed, episodes=budget)
    result = run_agent(cfg, card)
    assert result.episodes_to_criterion is not None, np.mean(result.success)
    # learning, not luck: a uniformly random policy succeeds in 5 % (maze) or 1.7 %
    # (FrozenLake) of episodes, and so does the untrained agent in its first episodes
    assert np.mean(result.success[:10]) <= 0.3
    if backend == "thermal":
        assert result.energy_per_update_j is not None and result.energy_per_update_j > 0
        assert result.mean_peak_rise_k is not None and 1 < result.mean_peak_rise_k < 500


def test_runs_are_reproducible_for_a_seed() -> None:
    cfg = AgentConfig(episodes=8, seed=5)
    a, b = run_agent(cfg), run_agent(cfg)
    assert a.returns == b.returns and a.steps == b.steps
    c = run_agent(replace(cfg, seed=6))
    assert c.returns != a.returns


def test_bad_settings_name_the_field() -> None:
    with pytest.raises(AgentError, match="backend"):
        run_agent(AgentConfig(backend="analog"))
    with pytest.raises(AgentError, match="model card"):
        run_agent(AgentConfig(backend="thermal"))
    with pytest.raises(AgentError, match="episodes"):
        agent_config_from_dict({"episodes": 0})
    with pytest.raises(AgentError, match="gama: unknown field"):
        agent_config_from_dict({"gama": 0.9})
    with pytest.raises(AgentError, match="lr: expected float"):
        agent_config_from_dict({"lr": "fast"})
    with pytest.raises(AgentError, match="bits"):
        agent_config_from_dict({"bits": 40})
    assert agent_config_from_dict({"lr": 1}).lr == 1.0
