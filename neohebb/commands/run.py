"""``neohebb run [CONFIG.toml]``: the whole pipeline on one device."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run the whole pipeline (mesh -> thermal -> fit -> maze -> sweep) from a run configuration"
DESCRIPTION = """\
Run every stage in order on one device, each writing its files into the run's output
directory. Without CONFIG the embedded default run is used (default device, results/demo).
`neohebb run --print-default > run.toml` prints it as a starting point.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", help="run configuration TOML (default: embedded)")
    parser.add_argument("--out", "-o", default=None, help="override the output directory")
    parser.add_argument(
        "--print-default", action="store_true", help="print the embedded default run TOML and exit"
    )


def handle(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from importlib import resources

    from neohebb.config import load_run_config
    from neohebb.pipeline import run_pipeline

    if args.print_default:
        print(resources.files("neohebb").joinpath("default_run.toml").read_text(), end="")
        return 0
    config = load_run_config(args.config)
    if args.out is not None:
        config = replace(config, out_dir=Path(args.out))
    out = run_pipeline(config)
    print(f"pipeline results in {out}/")
    for f in sorted(out.iterdir()):
        print(f"  {f.name}")
    if (out / "model_card.json").is_file():
        from neohebb.commands.fit import print_card_summary

        print_card_summary(out / "model_card.json")
    print_learning_summary(out)
    return 0


def print_learning_summary(out: Path) -> None:
    """The maze run's and the sweep's headline figures, if the stages ran."""
    import json

    maze = out / "maze" / "results.json"
    if maze.is_file():
        r = json.loads(maze.read_text())
        c = r["config"]
        energy = r["energy_per_synapse_update_j"]
        print(
            f"maze ({c['task']}, {c['backend']} synapses, tau/frame {c['decay_ratio']:.3g}): "
            f"episodes to criterion {r['episodes_to_criterion'] or 'not reached'} of "
            f"{c['episodes']}, final success {r['final_success_rate']:.2f}"
            + (f", {energy * 1e12:.3g} pJ per synapse update" if energy is not None else "")
        )
    sweep = out / "sweep" / "sweep.json"
    if sweep.is_file():
        from neohebb.commands.sweep import print_sweep_summary

        print_sweep_summary(sweep)
