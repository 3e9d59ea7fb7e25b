"""The crosstalk stencil on the thermal maze's grid: threaded vs serial numba, per call.

Run: .venv/bin/python tests/benchmarks/bench_stencil.py CARD (a model_card.json, e.g. the
demo's). Prints microseconds per ``temperature_rise`` call for both compiled variants on a
[5 modes, 32, 256] heat state, and their ratio (docs/benchmarks.md).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from devicefit.card import read_card
from snn.traces import ThermalKernel, _stencil_parallel, _stencil_serial


def per_call_us(fn, *args, repeats: int = 200) -> float:  # type: ignore[no-untyped-def]
    fn(*args)  # compile / load from cache
    start = time.perf_counter()
    for _ in range(repeats):
        fn(*args)
    return (time.perf_counter() - start) / repeats * 1e6


def main() -> None:
    kernel = ThermalKernel.from_card(read_card(sys.argv[1]))
    keys = list(kernel.residues_k_per_w)
    offsets = np.array(keys, dtype=np.int64)
    residues = np.array([kernel.residues_k_per_w[o] for o in keys])
    heat = np.random.default_rng(0).random((len(kernel.tau_s), 1, 32, 256))
    rows = np.arange(32, dtype=np.intp)
    out = np.zeros((1, len(rows), 256))
    serial = per_call_us(_stencil_serial, heat, residues, offsets, rows, out)
    threaded = per_call_us(_stencil_parallel, heat, residues, offsets, rows, out)
    ratio = threaded / serial
    print(f"serial {serial:.1f} us, threaded {threaded:.1f} us, threaded / serial {ratio:.2f}")


if __name__ == "__main__":
    main()
