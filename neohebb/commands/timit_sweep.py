"""``neohebb timit-sweep``: TIMIT frame accuracy against conductance bits (FP, quantised, heat)."""

from __future__ import annotations

import argparse

HELP = "bit sweep on a TIMIT-format corpus: FP vs quantised vs thermal at 4/6/8 bits"
DESCRIPTION = """\
Train the TIMIT network once in floating point and once per --bits value with the quantised
back-end (2^bits levels, no heat) and, with --card, the thermal back-end (the card's heat,
crosstalk, switching and variability), each over --seeds seeds. Writes OUT/sweep.json (every
run, and a table of mean +- s.d. test frame accuracy per back-end and bits with the gap to
floating point) and OUT/bits.png. Runs are cached in OUT/.runs/: an interrupted sweep resumes.
Network settings: the [timit] table of --config (as for `neohebb timit`).
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", required=True, help="TIMIT-format corpus directory")
    parser.add_argument("--card", help="model_card.json: adds the thermal back-end")
    parser.add_argument("--bits", type=int, nargs="+", default=[4, 6, 8])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 .. N-1 per point")
    parser.add_argument("--test-set", choices=["auto", "core", "all"], default="auto")
    parser.add_argument("--features", choices=["mfcc", "fbank"], default="mfcc")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--neurons", type=int, default=None, help="total neurons (1/4 ALIF)")
    parser.add_argument("--config", help="run configuration TOML whose [timit] table is used")
    parser.add_argument("--cache-dir", default=None, help="feature cache directory")
    parser.add_argument(
        "--workers", type=int, default=0, help="runs in parallel processes (0: one per core)"
    )
    parser.add_argument("--out", "-o", required=True, help="output directory")


def handle(args: argparse.Namespace) -> int:
    from neohebb.commands.timit import default_cache_dir, timit_config
    from snn.timit.learner import TimitError
    from snn.timit.sweep import run_bit_sweep

    if args.seeds < 1:
        raise TimitError(f"--seeds: at least 1, got {args.seeds}")
    if args.workers < 0:
        raise TimitError(f"--workers: 0 (one per core) or more, got {args.workers}")
    base = timit_config(args, "ideal")
    summary = run_bit_sweep(
        args.corpus,
        args.out,
        base,
        bits=tuple(args.bits),
        seeds=tuple(range(args.seeds)),
        card_path=args.card,
        test_set=args.test_set,
        features=args.features,
        cache_dir=args.cache_dir or default_cache_dir(),
        workers=args.workers,
    )
    print(f"{summary['corpus_label']}: bit sweep over {args.seeds} seeds -> {args.out}/")
    for row in summary["table"]:
        bits = "FP" if row["bits"] is None else f"{row['bits']} bits"
        sd = f" +- {row['accuracy39_std']:.3f}" if row["accuracy39_std"] is not None else ""
        print(
            f"  {row['backend']:9s} {bits:7s} {row['accuracy39_mean']:.3f}{sd}"
            f"  ({row['gap_to_fp_points']:+.1f} points below FP)"
        )
    return 0
