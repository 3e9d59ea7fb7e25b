"""``neohebb run [CONFIG.toml]``: the whole pipeline on one device."""

from __future__ import annotations

import argparse

HELP = "run the whole pipeline (mesh -> thermal -> fit) from a run configuration"
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
    from pathlib import Path

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
    return 0
