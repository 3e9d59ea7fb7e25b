"""Benchmark: one e-prop training step vs the forward pass alone, measured in one run.

A training step = forward pass + learning signal + e-prop gradients (W_in, W_rec) + readout
gradient + Adam step. Sizes: the issue's 400 recurrent neurons (all LIF, and 300 LIF + 100
ALIF), 100 inputs, batch 32, 1000 steps; and the two sizes at which ChFrenkel/eprop-PyTorch
was measured on this machine kind (17.5 s and 274 s per training step, 9.25 GB peak).
Synaptic updates per second = N (N + N_in) x batch x T weight-gradient terms / step time.
Peak memory by tracemalloc (numpy allocations) during the training step.

    .venv/bin/python tests/benchmarks/bench_eprop.py
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from snn.eprop import (
    NeuronParams,
    Weights,
    eprop_gradients,
    forward,
    learning_signal,
    readout_gradient,
)
from snn.optim import Adam

ANCHORS = {  # ChFrenkel/eprop-PyTorch on this machine kind (issue 5): seconds, GB
    (40, 100, 500, 8): (17.5, None),
    (100, 200, 1000, 8): (274.0, 9.25),
}


def case(n_in: int, n: int, n_t: int, n_b: int, n_alif: int, repeats: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    beta = np.zeros(n)
    beta[n - n_alif :] = 1.7
    p = NeuronParams(beta=beta)
    params = {
        "w_in": rng.normal(0, 1.5 / np.sqrt(n_in), (n, n_in)),
        "w_rec": rng.normal(0, 0.5 / np.sqrt(n), (n, n)),
        "w_out": rng.normal(0, 1 / np.sqrt(n), (10, n)),
    }
    x = (rng.random((n_t, n_b, n_in)) < 0.02).astype(float)
    target = rng.normal(size=(n_t, n_b, 10))
    opt = Adam(lr=1e-3)

    def weights() -> Weights:
        return Weights(params["w_in"], params["w_rec"], params["w_out"])

    def train_step() -> None:
        traj = forward(weights(), x, p)
        err = traj.y - target
        signal = learning_signal(err, params["w_out"].T, p)
        g_in, g_rec = eprop_gradients(traj, signal, p)
        g_out = readout_gradient(err, traj.z, p)
        opt.step(params, {"w_in": g_in, "w_rec": g_rec, "w_out": g_out})

    fwd, step = [], []
    for _ in range(repeats):  # interleaved so both see the same machine state
        t0 = time.perf_counter()
        traj = forward(weights(), x, p)
        fwd.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        train_step()
        step.append(time.perf_counter() - t0)
    tracemalloc.start()
    train_step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t_fwd, t_step = min(fwd), min(step)
    return {
        "forward_s": t_fwd,
        "step_s": t_step,
        "ratio": t_step / t_fwd,
        "updates_per_s": n * (n + n_in) * n_b * n_t / t_step,
        "peak_mb": peak / 1e6,
        "rate_hz": float(traj.z.mean()) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [
        ("400 LIF", (100, 400, 1000, 32, 0)),
        ("300 LIF + 100 ALIF", (100, 400, 1000, 32, 100)),
        ("anchor 1: 100 LIF", (40, 100, 500, 8, 0)),
        ("anchor 2: 200 LIF", (100, 200, 1000, 8, 0)),
    ]
    print(
        f"{'case':<20} {'N_in':>4} {'N':>4} {'T':>5} {'B':>3} {'fwd s':>7} {'step s':>7} "
        f"{'ratio':>6} {'upd/s':>9} {'peak MB':>8} {'rate Hz':>7} {'vs anchor':>10}"
    )
    for name, (n_in, n, n_t, n_b, n_alif) in rows:
        r = case(n_in, n, n_t, n_b, n_alif, args.repeats)
        anchor = ANCHORS.get((n_in, n, n_t, n_b))
        speedup = f"{anchor[0] / r['step_s']:.0f}x" if anchor else "-"
        print(
            f"{name:<20} {n_in:>4} {n:>4} {n_t:>5} {n_b:>3} {r['forward_s']:>7.3f} "
            f"{r['step_s']:>7.3f} {r['ratio']:>6.2f} {r['updates_per_s']:>9.2e} "
            f"{r['peak_mb']:>8.1f} {r['rate_hz']:>7.1f} {speedup:>10}"
        )
    print("memory model: weights N^2 + states/traces B N T (x8 bytes, several arrays)")
    for n in (100, 200, 400):
        r = case(100, n, 1000, 32, 0, 1)
        print(
            f"  N={n:<4} peak {r['peak_mb']:7.1f} MB"
            f"   B N T x 8 B = {32 * n * 1000 * 8 / 1e6:6.1f} MB"
            f"   B N^2 T x 8 B would be {32 * n * n * 1000 * 8 / 1e9:7.1f} GB"
        )


if __name__ == "__main__":
    main()
