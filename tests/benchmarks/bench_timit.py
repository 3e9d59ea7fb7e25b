"""Benchmark: TIMIT training throughput and the projected time of one epoch of real TIMIT.

Measured in one run, serial:
* the inner kernel: ``train_epoch`` (forward pass, eligibility on the synapse array, learning
  signal, array and readout updates) in frames per second, for each back-end, at the default
  network (300 LIF + 100 ALIF, 16 streams, dataframes of 10 frames x 5 steps);
* the whole command a user runs, ``neohebb timit`` (reading the corpus, cached features,
  training, scoring test after each epoch, results.json and two pictures), 1 epoch.

Projection: real TIMIT's training set has about 1.1 M frames (3696 utterances); one epoch
takes 1.1e6 / (frames per second). The goal is <= 30 minutes on this 2-core machine.

    .venv/bin/python tests/benchmarks/bench_timit.py [--corpus DIR] [--card model_card.json]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from snn.timit.learner import DEFAULT_SYNAPSES, TimitConfig, build_network, train_epoch
from snn.timit.stage import prepare

TIMIT_TRAIN_FRAMES = 1.1e6
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "timit_fixture"


def kernel(corpus: Path, backend: str, card_path: str | None, cache: Path) -> float:
    data = prepare(corpus, cache_dir=cache)
    card = None
    if backend == "thermal":
        from devicefit.card import read_card

        card = read_card(card_path) if card_path else None
    cfg = TimitConfig(backend=backend, synapses=DEFAULT_SYNAPSES[backend](), epochs=1)
    rng = np.random.default_rng(0)
    net = build_network(cfg, data.train.x.shape[1], rng, card)
    t = time.perf_counter()
    train_epoch(net, data.train, rng)
    return data.train.n_frames / (time.perf_counter() - t)


def whole_command(corpus: Path, cache: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "neohebb.cli",
                "timit",
                "--corpus",
                str(corpus),
                "--trace",
                "ideal",
                "--epochs",
                "1",
                "--cache-dir",
                str(cache),
                "--out",
                f"{tmp}/out",
            ],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(FIXTURE))
    parser.add_argument("--card", default=None, help="adds the thermal back-end")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = Path(cache_dir)
        prepare(corpus, cache_dir=cache)  # extract once: the kernels read the cache
        backends = ["ideal", "quantised"] + (["thermal"] if args.card else [])
        print(f"corpus {corpus}")
        for backend in backends:
            fps = kernel(corpus, backend, args.card, cache)
            minutes = TIMIT_TRAIN_FRAMES / fps / 60
            print(
                f"  train_epoch {backend:9s} {fps:7.0f} frames/s -> one TIMIT epoch "
                f"(1.1 M frames) {minutes:5.1f} min"
            )
        seconds = whole_command(corpus, cache)
        print(f"  neohebb timit --trace ideal --epochs 1 (whole command): {seconds:.1f} s")


if __name__ == "__main__":
    main()
