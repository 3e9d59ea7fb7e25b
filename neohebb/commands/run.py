"""``neohebb run [CONFIG.toml]``: the whole pipeline on one device."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run the whole pipeline (mesh -> thermal -> fit -> maze -> sweep) from a run configuration"
DESCRIPTION = """\
Run every stage in order on one device, each writing its files into the run's output
directory. A stage whose outputs are up to date (same settings, same inputs, same code) is
skipped, so a second run recomputes nothing; after a change, the changed stage and every
stage after it run again. Without CONFIG the embedded default run is used (default device,
results/demo).
`neohebb run --print-default > run.toml` prints it as a starting point.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", help="run configuration TOML (default: embedded)")
    parser.add_argument("--out", "-o", default=None, help="override the output directory")
    parser.add_argument(
        "--print-default", action="store_true", help="print the embedded default run TOML and exit"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="mesh even above the size guard's limit (as [mesh] force = true)",
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
    if args.force:
        config = replace(config, mesh=replace(config.mesh, force=True))
    outcomes = run_pipeline(config)
    out = config.out_dir
    print(f"pipeline results in {out}/")
    for o in outcomes:
        print(f"  {o.stage:<8} {o.status}")
    if (out / "model_card.json").is_file():
        from neohebb.commands.fit import print_card_summary

        print_card_summary(out / "model_card.json")
    done = {o.stage for o in outcomes if o.status != "disabled"}
    print_learning_summary(out, maze="maze" in done, sweep="sweep" in done)
    return 0


def print_learning_summary(out: Path, *, maze: bool, sweep: bool) -> None:
    """The maze run's and the sweep's headline figures, for the stages of this run."""
    import json

    results = out / "maze" / "results.json"
    if maze and results.is_file():
        r = json.loads(results.read_text())
        c = r["config"]
        energy = r["energy_per_synapse_update_j"]
        print(
            f"maze ({c['task']}, {c['backend']} synapses, tau/frame {c['decay_ratio']:.3g}): "
            f"episodes to criterion {r['episodes_to_criterion'] or 'not reached'} of "
            f"{c['episodes']}, final success {r['final_success_rate']:.2f}"
            + (f", {energy * 1e12:.3g} pJ per synapse update" if energy is not None else "")
        )
    table = out / "sweep" / "sweep.json"
    if sweep and table.is_file():
        from neohebb.commands.sweep import print_sweep_summary

        print_sweep_summary(table)
