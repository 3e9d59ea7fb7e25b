"""``neohebb study STUDY.toml --out DIR``: a co-design study over device spec fields."""

from __future__ import annotations

import argparse

HELP = "co-design study: a grid of designs over spec fields -> table of figures, Pareto plot"
DESCRIPTION = """\
Evaluate every design of STUDY.toml (a base spec, and [axes] of dotted spec paths such as
"array.pitch_nm" = [200, 300, 400], or a [[points]] list): mesh, steady screening (R_self,
the heater's own rise, nearest / diagonal / whole-array crosstalk, heater power, current and
current density for target_rise_k) and, unless --screen, the transient and the fit (mean and
dominant rise time, energy per kelvin). Writes OUT/study.json, OUT/study.csv, OUT/pareto.png,
OUT/figures.png, and each design's files in OUT/designs/<key>/. Every design is checked before
any meshing. Finished designs are cached: a rerun or an interrupted study skips them; a design
that fails is recorded with its error. Designs run on Dask: a LocalCluster with --workers
processes (default one per core), or --scheduler tcp://HOST:PORT; --workers 1 runs here.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", help="study TOML file")
    parser.add_argument("--out", "-o", required=True, help="output directory")
    parser.add_argument("--screen", action="store_true", help="steady screening only")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument(
        "--workers", type=int, default=0, help="local worker processes (0: one per core)"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG pictures")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def handle(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from neohebb.study import StudyError, load_study, run_study

    if args.workers < 0:
        raise StudyError(f"--workers: 0 (one per core) or more, got {args.workers}")
    study = load_study(args.study)
    if args.screen:
        study = replace(study, full=False)
    result = run_study(
        study,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        progress=not args.quiet,
        plots=not args.no_plots,
    )
    done = len(result.rows) - result.failed
    print(f"study: {done} of {len(result.rows)} designs evaluated -> {result.out}/study.csv")
    for row in result.rows:
        if row["error"] is not None:
            print(f"  design {row['design']} failed: {row['error']}")
    return 0 if result.failed == 0 else 1
