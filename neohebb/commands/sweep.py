"""``neohebb sweep``: episodes to criterion vs trace decay and vs variability, over seeds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

HELP = "sweep the trace decay (tau / step) and the variability over seeds -> sweep.json/png"
DESCRIPTION = """\
Train the maze agent for every trace decay (tau / frame, 8 log-spaced values from 0.1 to 31.6
by default) and, with thermal synapses, every variability multiplier (0, 1, 2, 4 x the card's
figures), each over --seeds seeds (default 20). Defaults come from the [sweep] and [maze]
tables of --config when given. Writes OUT/sweep.json and OUT/sweep.png: per point the
fraction that reached the criterion, the median episodes to criterion with a bootstrap 95 %
CI (runs that never reach it count as the episode budget and are marked), the Kaplan-Meier
median, and the claims (the decay optimum against both ends, the variability trend). Runs go
to a Dask LocalCluster (--workers processes) or to --scheduler, the seeds of a point as
batches of up to --batch agents simulated together (the same runs, bit for bit, faster);
each run is cached under OUT/.sweep-runs/, so an interrupted sweep resumes.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--card", help="model_card.json (thermal synapses)")
    src.add_argument("--trace", choices=["ideal"], help="ideal exponential trace")
    parser.add_argument("--task", choices=["maze", "u-maze", "frozenlake"], default=None)
    parser.add_argument("--episodes", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None, help="first seed")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per point")
    parser.add_argument("--ratios", type=float, nargs="+", default=None, help="tau / frame values")
    parser.add_argument("--variabilities", type=float, nargs="+", default=None)
    parser.add_argument(
        "--pulse-voltages", type=float, nargs="+", default=None, help="SET pulse amplitudes [V]"
    )
    parser.add_argument(
        "--access-resistances", type=float, nargs="+", default=None, help="access R [ohm]"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="Dask LocalCluster processes (default: cores)"
    )
    parser.add_argument(
        "--scheduler", default=None, help="a Dask scheduler address (tcp://HOST:PORT) to run on"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="agents simulated together (default 20); smaller batches spread a point over "
        "more workers and lose less on an interruption (a batch is cached when it is done)",
    )
    parser.add_argument("--config", help="run configuration TOML whose [maze] table is used")
    parser.add_argument("--out", "-o", required=True, help="output directory")


def handle(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from neohebb.commands.maze import agent_config
    from neohebb.config import config_table
    from snn.stage import run_sweep, sweep_config_from_dict

    args.tau = None
    cfg = agent_config(args, "thermal" if args.card else "ideal")
    sweep = sweep_config_from_dict(config_table(args.config, "sweep"))
    overrides = {
        "seeds": args.seeds,
        "scheduler": args.scheduler,
        "ratios": tuple(args.ratios) if args.ratios else None,
        "variabilities": tuple(args.variabilities) if args.variabilities else None,
        "pulse_voltages": tuple(args.pulse_voltages) if args.pulse_voltages else None,
        "access_resistances_ohm": tuple(args.access_resistances)
        if args.access_resistances
        else None,
        "workers": args.workers,
        "batch": args.batch,
    }
    sweep = replace(sweep, **{k: v for k, v in overrides.items() if v is not None})
    sweep.validate()
    out = run_sweep(cfg, args.out, card_path=args.card, sweep=sweep)
    print_sweep_summary(out / "sweep.json")
    return 0


def _point(row: dict[str, Any]) -> str:
    """One point: median [95 % CI], mean +- s.e.m., reached, Kaplan-Meier median."""
    n = len(row["episodes_to_criterion"])
    text = f"{row['mean']:6.1f} +- {row['sem']:5.1f} episodes ({row['reached']}/{n} reached)"
    if "median_ci95" in row:
        low, high = row["median_ci95"]
        km = row["km_median"]["median"]
        coverage = row.get("median_ci_coverage", 0.95)
        level = "" if coverage >= 0.95 else f" (a {100 * coverage:.0f} % CI: too few seeds)"
        text = (
            f"median {row['median']:5.0f} [{low:.0f}, {high:.0f}]{level}, "
            + text
            + f", Kaplan-Meier median {'n/a' if km is None else f'{km:.0f}'}"
        )
    return text


def print_sweep_summary(path: Path) -> None:
    """Episodes to criterion per point, the fastest decay ratio (lowest median) and the
    claims, one line each."""
    import json

    sweep = json.loads(path.read_text())
    print(f"sweep {path} ({sweep['seeds']} seeds, budget {sweep['censored_value']} episodes):")
    for row in sweep.get("decay", []):
        print(f"  tau/frame {row['x']:7.3g}: {_point(row)}")
    if sweep.get("fastest_decay_ratio") is not None:
        print(
            f"  fastest (lowest median) at tau/frame = {sweep['fastest_decay_ratio']:.3g}"
            f" (intermediate: {sweep['fastest_is_intermediate']})"
        )
    elif "decay" in sweep:
        print("  no single fastest decay ratio (ties or no run reached the criterion)")
    for row in sweep.get("variability", []):
        print(f"  variability x{row['x']:<5g}: {_point(row)}")
    claims = sweep.get("claims") or {}
    u_shape = claims.get("u_shape")
    if u_shape is not None:
        ends = ", ".join(
            f"tau/frame {e['x']:.3g} slower by {e['median_difference']:.0f} "
            f"[{e['difference_ci95'][0]:.0f}, {e['difference_ci95'][1]:.0f}] "
            f"(Mann-Whitney p {e['mann_whitney_p']:.2g})"
            for e in u_shape["ends"]
        )
        verdict = "holds" if u_shape["holds"] else "not shown"
        print(f"  U-shape {verdict}: optimum tau/frame {u_shape['optimum_x']:.3g}; {ends}")
    trend = claims.get("variability_trend")
    if trend is not None and trend["p_value"] is not None:
        print(
            f"  variability trend: Spearman rho {trend['spearman_rho']:.2f}, p "
            f"{trend['p_value']:.2g} over {trend['runs']} runs"
            + (" (learning slows as variability grows)" if trend["increasing"] else "")
        )
    for kind, label in (("pulse_v", "SET pulse %.3g V"), ("access_resistance", "access %.3g ohm")):
        for row in sweep.get(kind, []):
            shares = [v for v in row["share_below_5k"] if v is not None]
            cold = f"{100 * sum(shares) / len(shares):4.1f} %" if shares else "  n/a"
            widths = row.get("pulse_widths_s") or [float("nan")] * 2
            print(
                f"  {label % row['x']:>18}: {row['mean']:6.1f} +- {row['sem']:5.1f} episodes"
                f" ({row['reached']}/{len(row['episodes_to_criterion'])} reached), |dG| on cells"
                f" < 5 K: {cold}, SET {widths[0]:.3g} s, RESET {widths[1]:.3g} s"
            )
