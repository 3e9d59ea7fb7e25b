"""``neohebb timit``: frame-wise phone recognition with an e-prop LSNN on a TIMIT-format corpus."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snn.timit.learner import TimitConfig

HELP = "train an e-prop LSNN on frame-wise phone recognition (TIMIT-format corpus)"
DESCRIPTION = """\
Train a recurrent spiking network (LIF + ALIF) online with e-prop on frame-wise phone
classification and write OUT/results.json (39-class frame accuracy on the test and dev sets,
61-class accuracy, the majority-class baseline, accuracy per epoch, corpus counts),
OUT/learning_curve.png and OUT/confusion.png.
--corpus is a TIMIT-format tree (TRAIN|TEST/DR*/<speaker>/<utt>.WAV+.PHN): a user's LDC
TIMIT, or the synthetic corpus of `make timit-corpus` (results on it are labelled
"synthetic TIMIT-format corpus"). --test-set core uses the LDC core test and dev speakers;
all uses every TEST speaker (for corpora without the LDC speakers); auto picks.
Features are cached by content hash in --cache-dir (default ~/.cache/neohebb/timit).
Synapses: --trace ideal (float weights; with --bits B the quantised back-end: the same trace,
weights on the grid of a pair of 2^B-level devices) or --card DIR/model_card.json (thermal:
the trace is the cells' heat, conductance pairs programmed by the card's switching model;
--bits sets its levels). Other settings: the [timit] table of --config.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", required=True, help="TIMIT-format corpus directory")
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--trace", choices=["ideal"], help="ideal exponential trace, float weights")
    src.add_argument("--card", help="model_card.json (thermal synapses)")
    parser.add_argument("--bits", type=int, default=None, help="conductance levels 2^B")
    parser.add_argument("--test-set", choices=["auto", "core", "all"], default="auto")
    parser.add_argument("--features", choices=["mfcc", "fbank"], default="mfcc")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--neurons", type=int, default=None, help="total neurons (1/4 ALIF)")
    parser.add_argument("--config", help="run configuration TOML whose [timit] table is used")
    parser.add_argument("--cache-dir", default=None, help="feature cache directory")
    parser.add_argument("--out", "-o", required=True, help="output directory")
    parser.add_argument("--no-plots", action="store_true")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "neohebb" / "timit"


def timit_config(args: argparse.Namespace, backend: str) -> TimitConfig:
    """The [timit] table of --config (or defaults) for ``backend``, with --epochs, --seed and
    --neurons applied; the table's ``synapses`` only when it names the same back-end."""
    from dataclasses import replace

    from neohebb.config import config_table
    from snn.timit.learner import timit_config_from_dict
    from snn.timit.sweep import RUN_KEYS

    table = {k: v for k, v in config_table(args.config, "timit").items() if k not in RUN_KEYS}
    if table.get("backend", "ideal") != backend:
        table.pop("synapses", None)
    cfg = timit_config_from_dict({**table, "backend": backend})
    overrides: dict[str, int | None] = {"epochs": args.epochs, "seed": getattr(args, "seed", None)}
    if args.neurons is not None:
        overrides["n_alif"] = args.neurons // 4
        overrides["n_lif"] = args.neurons - args.neurons // 4
    cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    cfg.validate()
    return cfg


def handle(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from snn.timit.stage import run_timit

    backend = "thermal" if args.card else ("quantised" if args.bits is not None else "ideal")
    cfg = timit_config(args, backend)
    if args.bits is not None:
        cfg = replace(cfg, synapses=replace(cfg.settings(), bits=args.bits))
    cfg.validate()
    results = run_timit(
        args.corpus,
        args.out,
        cfg,
        test_set=args.test_set,
        features=args.features,
        cache_dir=args.cache_dir or default_cache_dir(),
        card_path=args.card,
        plots=not args.no_plots,
    )
    test = results["test"]
    print(f"{results['corpus_label']} ({results['test_set']} test set) -> {args.out}/")
    print(
        f"  test frame accuracy  {test['accuracy39']:.3f} (39 classes), "
        f"{test['accuracy61']:.3f} (61); majority class {test['majority_accuracy39']:.3f}"
    )
    if results["dev"] is not None:
        print(f"  dev frame accuracy   {results['dev']['accuracy39']:.3f} (39 classes)")
    print(f"  training             {results['train_frames_per_s']:.0f} frames/s")
    if results["energy_per_synapse_update_j"] is not None:
        print(
            f"  energy per update    {results['energy_per_update_j'] * 1e12:.3g} pJ for the "
            f"array, {results['energy_per_synapse_update_j'] * 1e15:.3g} fJ per synapse"
        )
    return 0
