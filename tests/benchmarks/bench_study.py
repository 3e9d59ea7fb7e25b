"""Benchmark: co-design screening throughput, designs per hour on 1 and 2 Dask workers.

The whole command a user runs, `neohebb study --screen` (every design meshed and screened,
the table and the two plots written), on a grid of N designs of the default device at the
default mesh, once with `--workers 1` (serial, in process) and once on a LocalCluster of
`--workers 2` (one process per core). Goal (issue 11): >= 100 designs per hour on 2 cores.

    .venv/bin/python tests/benchmarks/bench_study.py [--designs 8]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def study_file(directory: Path, n: int) -> Path:
    pitches = [200 + 25 * i for i in range(n)]
    path = directory / "bench_study.toml"
    path.write_text(f'full = false\n[axes]\n"array.pitch_nm" = {pitches}\n')
    return path


def run(study: Path, out: Path, workers: int) -> float:
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "neohebb.cli",
            "study",
            str(study),
            "--out",
            str(out),
            "--workers",
            str(workers),
            "--quiet",
        ],
        check=True,
    )
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--designs", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        study = study_file(Path(tmp), args.designs)
        for workers in (1, 2):
            seconds = run(study, Path(tmp) / f"out{workers}", workers)
            print(
                f"{args.designs} designs, {workers} worker(s): {seconds:.1f} s, "
                f"{3600 * args.designs / seconds:.0f} designs per hour"
            )


if __name__ == "__main__":
    main()
