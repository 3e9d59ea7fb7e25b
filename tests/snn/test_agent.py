"""The spiking actor-critic reaches the criterion (success >= 0.9 over 20 episodes) on the
maze and on Gymnasium's FrozenLake-v1 within a fixed budget for fixed seeds, with ideal and
with thermal synapses on the default device's model card; settings are validated."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from devicefit.card import read_card
from snn.agent import (
    AgentConfig,
    AgentError,
    agent_config_from_dict,
    episodes_to_criterion,
    run_agent,
    run_agents,
    td_error,
)


def test_criterion_is_the_first_full_window_at_ninety_percent() -> None:
    assert episodes_to_criterion([True] * 19) is None
    assert episodes_to_criterion([True] * 20) == 20
    s = [False] * 30 + [True] * 17 + [False] + [True] * 2 + [True] * 5
    # episodes 30..49 (indices 29..48) hold 18 successes = 0.9; the window before holds 17
    assert episodes_to_criterion(s) == 49
    assert episodes_to_criterion([True, False] * 40) is None


@pytest.mark.parametrize(
    ("task", "backend", "budget", "seeds"),
    [
        ("maze", "ideal", 200, 3),
        ("maze", "thermal", 200, 5),
        ("frozenlake", "ideal", 300, 6),
        ("frozenlake", "thermal", 300, 6),
    ],
)
def test_agent_learns_the_task(
    task: str, backend: str, budget: int, seeds: int, default_card: Path
) -> None:
    """Over seeds 0.. (3 for the ideal maze, 5 for the thermal maze, 6 for the cheaper
    FrozenLake): with ideal synapses a majority (at least 2) reach the criterion within the
    budget and the median success rate over the last 50 episodes is at least 0.4; with the
    thermal array on the default card (electro-thermal programming) at least one seed reaches
    it and the median is at least 0.15. Not luck: a uniformly random policy succeeds in 5 %
    (maze) or 1.7 % (FrozenLake) of episodes, so 18 of 20 by chance has a probability below
    1e-18, and a median of 0.15 over 50 episodes in 3 of 5 runs below 1e-6. Single RL runs
    are chaotic in the seed; docs/learning.md gives the distribution over seeds."""
    card = read_card(default_card) if backend == "thermal" else None
    results = run_agents(
        [AgentConfig(task=task, backend=backend, seed=s, episodes=budget) for s in range(seeds)],
        card,
    )
    reached = [r.episodes_to_criterion for r in results]
    final = [float(np.mean(r.success[-50:])) for r in results]
    if backend == "ideal":
        assert sum(e is not None for e in reached) >= max(2, (seeds + 1) // 2), reached
        assert np.median(final) >= 0.4, final
    else:
        # Under the electro-thermal model (issue 12: the pulse's own heat, published
        # barriers) the default card learns less reliably: 2-3 of 5 maze seeds and 1 of 6
        # FrozenLake seeds reach the criterion (docs/learning.md section 4). What must hold is
        # learning far above chance: a seed reaches the criterion and the median success
        # over the last 50 episodes is at least 3x (maze) or 8x (FrozenLake) a random policy's.
        assert any(e is not None for e in reached), reached
        assert np.median(final) >= 0.15, final
    if backend == "thermal":
        assert card is not None
        bound = peak_rise_bound_k(card, AgentConfig(backend="thermal"))
        for result in results:
            e, heater = result.energy_per_update_j, result.heater_energy_per_update_j
            prog = result.programming_energy_per_update_j
            assert e is not None and heater is not None and prog is not None
            assert e == pytest.approx(heater + prog) and heater > 0 and prog > 0
            assert result.mean_peak_rise_k is not None
            assert 0 < result.mean_peak_rise_k <= bound, (result.mean_peak_rise_k, bound)


def peak_rise_bound_k(card, cfg: AgentConfig) -> float:
    """No cell can be hotter than every heater of the array held at its largest power for
    ever: psi <= e_ref and the presynaptic trace eps <= 1 / (1 - alpha) (one spike per step),
    so P <= P_heater / (1 - alpha) per cell, and by superposition the rise is at most that
    times the sum of the steady kernel over every offset (crosstalk included)."""
    from snn.traces import ThermalKernel

    kernel = ThermalKernel.from_card(card)
    steady = sum(float(np.sum(r)) for r in kernel.residues_k_per_w.values())
    alpha = np.exp(-1 / cfg.tau_m_steps)
    return cfg.settings().heater_power_w / (1 - alpha) * steady


def test_td_error_bootstraps_except_after_termination() -> None:
    assert td_error(1.0, 0.2, 5.0, True, 0.9) == pytest.approx(0.8)  # V(terminal) = 0
    assert td_error(-0.01, 0.2, 0.5, False, 0.9) == pytest.approx(-0.01 + 0.45 - 0.2)
    # a time-out is a truncation: not terminal, so it bootstraps like any other step
    assert td_error(-0.01, 0.2, 0.5, False, 0.9) != td_error(-0.01, 0.2, 0.5, True, 0.9)


def test_thermal_runs_with_variability_are_reproducible(default_card: Path) -> None:
    from snn.thermal_synapses import ThermalSettings

    card = read_card(default_card)
    cfg = AgentConfig(
        task="frozenlake",
        backend="thermal",
        episodes=6,
        seed=2,
        synapses=ThermalSettings(variability=2.0),
    )
    a, b = run_agent(cfg, card), run_agent(cfg, card)
    assert a.returns == b.returns and a.energy_per_update_j == b.energy_per_update_j
    assert a.policy_probabilities == b.policy_probabilities


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
    with pytest.raises(AgentError, match="seed"):
        agent_config_from_dict({"seed": -1})
    with pytest.raises(AgentError, match="gama: unknown field"):
        agent_config_from_dict({"gama": 0.9})
    with pytest.raises(AgentError, match=r"synapses\.lr: expected float"):
        agent_config_from_dict({"synapses": {"lr": "fast"}})
    with pytest.raises(AgentError, match=r"synapses\.bits"):
        agent_config_from_dict({"backend": "thermal", "synapses": {"bits": 40}})
    with pytest.raises(AgentError, match=r"synapses\.levels_per_pulse"):
        agent_config_from_dict({"backend": "thermal", "synapses": {"bits": 1}})
    with pytest.raises(AgentError, match=r"synapses\.bits: unknown field"):
        agent_config_from_dict({"backend": "ideal", "synapses": {"bits": 4}})
    with pytest.raises(AgentError, match="decay_ratio: must be finite"):
        agent_config_from_dict({"decay_ratio": float("inf")})
    with pytest.raises(AgentError, match="discount"):
        agent_config_from_dict({"discount": 1.5})
    assert agent_config_from_dict({"synapses": {"lr": 1}}).settings().lr == 1.0
    with pytest.raises(AgentError, match="eligibility: expected one of"):
        agent_config_from_dict({"eligibility": "exact"})
    with pytest.raises(AgentError, match="eligibility: 'signed' needs the ideal"):
        agent_config_from_dict({"backend": "thermal", "eligibility": "signed"})


def test_signed_eligibility_is_the_policy_gradient_factor_of_every_population() -> None:
    """psi_j (1[a = k(j)] - pi_k(j)): the chosen population's psi (1 - pi_a), every other
    population's -psi pi_k; the non-negative default keeps the chosen part at psi alone. The
    same random stream gives the same action in both."""
    from snn.agent import _make_batch, action_probabilities
    from snn.eprop import Weights, forward

    cfg = AgentConfig(episodes=1, seed=4, w_init=0.5)
    signed, plain = (
        _make_batch([replace(cfg, eligibility="signed")], None),
        _make_batch([cfg], None),
    )
    state = np.array([3])
    x, _ = plain.encode(np.arange(1), state)
    signed.encode(np.arange(1), state)  # keep the streams in step
    a_plain, psi_plain, eps_plain, _ = plain.act_feedforward(x)
    a_signed, psi_signed, eps_signed, _ = signed.act_feedforward(x)
    assert a_plain[0] == a_signed[0]
    np.testing.assert_array_equal(eps_plain, eps_signed)
    w = plain.backend.weights()[0]
    n = w.shape[0]
    traj = forward(
        Weights(w, np.zeros((n, n)), np.zeros((1, n))), x.transpose(1, 0, 2), plain.params, cfg.bias
    )
    pi = action_probabilities(traj.z[:, 0].sum(0), cfg)
    psi = traj.psi[:, 0]
    chosen = plain.population == a_plain[0]
    assert np.abs(psi).sum() > 0 and 0 < pi[a_plain[0]] < 1
    np.testing.assert_array_equal(psi_plain[:, 0], psi * chosen)
    np.testing.assert_allclose(psi_signed[:, 0], psi * (chosen - pi[plain.population]), rtol=1e-12)
    assert np.all(psi_signed[:, 0, ~chosen] <= 0) and np.all(psi_signed[:, 0, chosen] >= 0)


def test_without_crosstalk_a_hot_cell_heats_only_itself(default_card: Path) -> None:
    """ThermalSettings(crosstalk=False): the trace kernel keeps the card's self term only
    and the pulses heat no neighbour."""
    from snn.agent import _make_batch
    from snn.thermal_synapses import ThermalSettings, ThermalSynapses

    card = read_card(default_card)
    runs = []
    for crosstalk in (True, False):
        cfg = AgentConfig(
            backend="thermal", episodes=1, synapses=ThermalSettings(crosstalk=crosstalk)
        )
        backend = _make_batch([cfg], card).backend
        assert isinstance(backend, ThermalSynapses)
        psi = np.zeros((20, 1, backend.pairs.g_plus.shape[1]))
        eps = np.zeros((20, 1, backend.pairs.g_plus.shape[2]))
        psi[:, 0, 5], eps[:, 0, 40] = 0.3, 1.0  # one hot cell (5, 40)
        backend.accumulate(psi, eps)
        runs.append(backend)
    with_x, without = (b.trace()[0] for b in runs)
    assert with_x[5, 40] == pytest.approx(without[5, 40], rel=1e-12) and with_x[5, 40] > 10
    assert with_x[4, 40] > 0.03 * with_x[5, 40]  # the nearest neighbour (8 % in one frame)
    assert np.count_nonzero(without) == 1
    assert runs[1].filament_kernels is None and runs[0].filament_kernels is not None
