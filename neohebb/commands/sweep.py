"""``neohebb sweep``: episodes to criterion vs trace decay and vs variability, over seeds."""

from __future__ import annotations

import argparse

HELP = "sweep the trace decay (tau / step) and the variability over seeds -> sweep.json/png"
DESCRIPTION = """\
Train the maze agent for every trace decay (tau / frame, 8 log-spaced values from 0.1 to 30 by
default) and, with thermal synapses, every variability multiplier (0, 1, 2, 4 x the card's
figures), each over --seeds seeds. Writes OUT/sweep.json and OUT/sweep.png (mean +- s.e.m.
of episodes to criterion; runs that never reach it count as the episode budget and are marked).
Each run is cached under OUT/.sweep-runs/, so an interrupted sweep resumes.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--card", help="model_card.json (thermal synapses)")
    src.add_argument("--trace", choices=["ideal"], help="ideal exponential trace")
    parser.add_argument("--task", choices=["maze", "frozenlake"], default=None)
    parser.add_argument("--episodes", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None, help="first seed")
    parser.add_argument("--seeds", type=int, default=4, help="seeds per point")
    parser.add_argument("--ratios", type=float, nargs="+", default=None, help="tau / frame values")
    parser.add_argument("--variabilities", type=float, nargs="+", default=None)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--config", help="run configuration TOML whose [maze] table is used")
    parser.add_argument("--out", "-o", required=True, help="output directory")


def handle(args: argparse.Namespace) -> int:
    import json

    from neohebb.commands.maze import agent_config
    from snn.stage import DEFAULT_RATIOS, DEFAULT_VARIABILITY, run_sweep

    args.tau = None
    cfg = agent_config(args, "thermal" if args.card else "ideal")
    out = run_sweep(
        cfg,
        args.out,
        card_path=args.card,
        ratios=tuple(args.ratios or DEFAULT_RATIOS),
        variabilities=tuple(args.variabilities or DEFAULT_VARIABILITY),
        seeds=args.seeds,
        workers=args.workers,
    )
    sweep = json.loads((out / "sweep.json").read_text())
    print(f"sweep -> {out}/sweep.json, sweep.png")
    for row in sweep.get("decay", []):
        print(
            f"  tau/frame {row['x']:7.3g}: {row['mean']:6.1f} +- {row['sem']:5.1f} episodes"
            f" ({row['reached']}/{len(row['episodes_to_criterion'])} reached)"
        )
    if "fastest_decay_ratio" in sweep:
        print(
            f"  fastest at tau/frame = {sweep['fastest_decay_ratio']:.3g}"
            f" (intermediate: {sweep['fastest_is_intermediate']})"
        )
    return 0
