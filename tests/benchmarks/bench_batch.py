"""Agents batched across seeds (issue 13): what B agents cost against one.

Run: .venv/bin/python tests/benchmarks/bench_batch.py CARD [--agents 20] [--episodes 40]
(CARD a model_card.json, e.g. the demo's results/demo/model_card.json). For each back-end
(ideal, thermal on the card) it times the B agents of seeds 0..B-1 run one after the other
(``run_agent``) and as one batch (``run_agents``), in this process, and prints

* the cost ratio: the batch's time over the mean single run's (20 agents at <= 3x one agent
  is the issue's goal), and
* the speed-up: the B single runs' time over the batch's.

The seeds run different numbers of steps (a learner's episodes are short), so the single runs'
mean, not seed 0's alone, is the cost of "one agent". docs/benchmarks.md records the figures.

It also splits the cost into a part per frame of the simulation, o (what a batch shares), and
a part per agent and frame, m (what it cannot share), from the two measurements: the single
runs cost (o + m) per agent-frame, the batch o per frame plus m per agent-frame. Then a batch
of B agents costs at least m / (o + m) x B one-agent runs whatever its overhead, and the
ratio the batch would reach with no overhead at all is printed as the floor.
"""

from __future__ import annotations

import argparse
import time

from devicefit.card import read_card
from snn.agent import AgentConfig, run_agent, run_agents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("card")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--backends", default="ideal,thermal")
    args = parser.parse_args()
    card = read_card(args.card)
    for backend in args.backends.split(","):
        cfgs = [
            AgentConfig(backend=backend, episodes=args.episodes, seed=s) for s in range(args.agents)
        ]
        run_agent(AgentConfig(backend=backend, episodes=1), card)  # compile, warm caches
        start = time.perf_counter()
        singles = [run_agent(cfg, card) for cfg in cfgs]
        t_singles = time.perf_counter() - start
        start = time.perf_counter()
        batch = run_agents(cfgs, card)
        t_batch = time.perf_counter() - start
        same = all(a.to_json() == b.to_json() for a, b in zip(singles, batch, strict=True))
        steps = sum(sum(r.steps) for r in batch)  # agent-frames
        frames = max(sum(r.steps) for r in batch)  # the batch's frames: its slowest agent's
        t_one = t_singles / args.agents
        per_agent_frame = t_singles / steps  # o + m
        m = (t_batch - per_agent_frame * frames) / (steps - frames)  # t_batch = o F + m A
        o = per_agent_frame - m
        print(
            f"{backend}: {args.agents} agents x {args.episodes} episodes ({steps} steps): "
            f"singles {t_singles:.1f} s (one agent {t_one:.2f} s on average), batch "
            f"{t_batch:.1f} s; batch / one agent {t_batch / t_one:.1f}x, speed-up "
            f"{t_singles / t_batch:.1f}x; batch == singles: {same}\n"
            f"  per frame o = {o * 1e3:.3f} ms (shared), per agent-frame m = {m * 1e3:.3f} ms; "
            f"slowest / mean agent {frames / (steps / args.agents):.2f}; floor with no "
            f"overhead: batch / one agent >= {m * steps / t_one:.1f}x"
        )


if __name__ == "__main__":
    main()
