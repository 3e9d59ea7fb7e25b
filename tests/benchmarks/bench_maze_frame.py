"""One maze run's cost per frame (issue 13): what a sweep pays per agent and step.

Run: .venv/bin/python tests/benchmarks/bench_maze_frame.py CARD BACKEND EPISODES
(e.g. results/demo/model_card.json thermal 25). Runs one episode to compile, then times
``run_agent`` for seed 0 and prints seconds, frames and milliseconds per frame
(docs/benchmarks.md). Run it in two checkouts to compare them.
"""

from __future__ import annotations

import sys
import time

from devicefit.card import read_card
from snn.agent import AgentConfig, run_agent


def main() -> None:
    card = read_card(sys.argv[1])
    backend, episodes = sys.argv[2], int(sys.argv[3])
    run_agent(AgentConfig(backend=backend, episodes=1), card)
    start = time.perf_counter()
    result = run_agent(AgentConfig(backend=backend, episodes=episodes, seed=0), card)
    seconds = time.perf_counter() - start
    frames = sum(result.steps)
    print(f"{backend}: {seconds:.2f} s, {frames} frames, {seconds / frames * 1e3:.3f} ms/frame")


if __name__ == "__main__":
    main()
