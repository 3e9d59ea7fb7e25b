"""Pictures of a co-design study: the Pareto front, and each figure of merit against each axis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

# (column, label, scale to the plotted unit)
FIGURES = (
    ("r_self_k_per_w", "R_self [K/mW]", 1e-3),
    ("heater_rise_k_per_w", "heater's own rise [K/mW]", 1e-3),
    ("crosstalk_nearest", "nearest crosstalk [R/R_self]", 1.0),
    ("crosstalk_array_sum", "whole-array crosstalk [R/R_self]", 1.0),
    ("power_for_target_w", "heater power for the target rise [µW]", 1e6),
    ("current_density_a_per_m2", "heater current density [MA/cm²]", 1e-10),
    ("tau_mean_s", "mean rise time τ [ns]", 1e9),
    ("learning_episodes_median", "maze: median episodes to criterion", 1.0),
)


def pareto_front(efficiency: np.ndarray, crosstalk: np.ndarray) -> np.ndarray:
    """Indices of the designs no other design beats on both counts (higher R_self, lower
    crosstalk), ordered by crosstalk."""
    order = np.lexsort((-efficiency, crosstalk))  # by crosstalk, the best first on a tie
    front, best = [], -np.inf
    for i in order:
        if efficiency[i] > best:
            front.append(i)
            best = efficiency[i]
    return np.array(front, dtype=int)


def plot_study(summary: dict[str, Any], out: Path) -> None:
    """``pareto.png`` and ``figures.png`` in ``out`` (designs that failed are left out): each
    figure against each axis for a grid, one bar per design for a list of points."""
    rows = [r for r in summary["designs"] if r["error"] is None]
    if not rows:
        return
    _pareto(rows, out / "pareto.png")
    if summary.get("design") == "points" and len(rows) > 1:  # one-off changes: a bar each
        shown = [f for f in FIGURES if any(r.get(f[0]) is not None for r in rows)]
        _design_bars(rows, summary["axes"], shown, out / "figures.png")
    else:
        _figures(rows, summary["axes"], out / "figures.png")


def _pareto(rows: list[dict[str, Any]], png: Path) -> None:
    x = np.array([_num(r["crosstalk_nearest"]) for r in rows])
    y = np.array([r["r_self_k_per_w"] * 1e-3 for r in rows])
    tau = np.array([_num(r.get("tau_mean_s")) * 1e9 for r in rows])
    fig, ax = plt.subplots(figsize=(7, 5))
    if np.all(np.isfinite(tau)):
        sc = ax.scatter(x, y, c=tau, cmap="viridis", s=50, zorder=3)
        fig.colorbar(sc, ax=ax, label="mean rise time τ [ns]")
    else:
        ax.scatter(x, y, color="#1f77b4", s=50, zorder=3, label="design (steady screening)")
    front = pareto_front(y, np.nan_to_num(x, nan=np.inf))
    ax.plot(
        x[front],
        y[front],
        "o--",
        color="#d62728",
        mfc="none",
        ms=13,
        zorder=2,
        label="Pareto front",
    )
    for r, xi, yi in zip(rows, x, y, strict=True):
        ax.annotate(str(r["design"]), (xi, yi), textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel("nearest-neighbour crosstalk [R / R_self]")
    ax.set_ylabel("self-heating efficiency R_self [K/mW]")
    ax.set_title("co-design study: self-heating against crosstalk (centre cell)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def _figures(rows: list[dict[str, Any]], axes: list[str], png: Path) -> None:
    """One panel per (figure, axis that varies); designs that share the other axes' values are
    joined by a line, so each line shows one axis's effect with the rest held."""
    shown = [f for f in FIGURES if any(r.get(f[0]) is not None for r in rows)]
    varied = [a for a in axes if len({str(r.get(f"axis:{a}")) for r in rows}) > 1] or axes[:1]
    fig, grid = plt.subplots(
        len(shown), len(varied), figsize=(3.6 * len(varied), 2.3 * len(shown)), squeeze=False
    )
    for j, axis in enumerate(varied):
        values = [r.get(f"axis:{axis}") for r in rows]
        labels = sorted({str(v) for v in values}, key=lambda s: (_num(s), s))
        numeric = all(isinstance(v, int | float) for v in values)
        xs = np.array([v if numeric else labels.index(str(v)) for v in values], dtype=float)
        others = [a for a in varied if a != axis]
        groups: dict[str, list[int]] = {}
        for k, r in enumerate(rows):
            name = ", ".join(f"{a.split('.')[-1]}={r.get(f'axis:{a}')}" for a in others)
            groups.setdefault(name, []).append(k)
        for i, (column, label, scale) in enumerate(shown):
            ax = grid[i, j]
            ys = np.array([_num(r.get(column)) * scale for r in rows])
            for name, members in groups.items():
                order = sorted(members, key=lambda k: xs[k])
                ax.plot(xs[order], ys[order], "o-", ms=4, label=name or None)
            if not numeric:
                ax.set_xticks(range(len(labels)), labels)
            if i == len(shown) - 1:
                ax.set_xlabel(axis)
            if i == 0 and others and len(groups) <= 8:
                ax.legend(fontsize=6, loc="best")
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
            ax.grid(alpha=0.3)
    fig.suptitle("figures of merit against each axis, the other axes held (centre cell)")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def _design_bars(
    rows: list[dict[str, Any]], axes: list[str], shown: list[tuple[str, str, float]], png: Path
) -> None:
    """One panel per figure, one bar per design, labelled by the values it sets (a points
    study whose designs each change something else)."""
    labels = []
    for r in rows:
        changes = [
            f"{a.split('.')[-1]}={r[f'axis:{a}']}" for a in axes if r.get(f"axis:{a}") is not None
        ]
        labels.append(f"{r['design']}: " + ", ".join(changes)[:40])
    n = len(shown)
    cols = 2
    fig, grid = plt.subplots(
        (n + cols - 1) // cols, cols, figsize=(12, 2.6 * ((n + cols - 1) // cols)), squeeze=False
    )
    x = np.arange(len(rows))
    for k, (column, label, scale) in enumerate(shown):
        ax = grid[k // cols, k % cols]
        ax.bar(x, [_num(r.get(column)) * scale for r in rows], color="#1f77b4")
        ax.set_ylabel(label, fontsize=8)
        ax.set_xticks(x, [str(r["design"]) for r in rows])
        ax.grid(alpha=0.3, axis="y")
    for k in range(n, grid.size):
        grid[k // cols, k % cols].axis("off")
    fig.suptitle("figures of merit per design (centre cell)\n" + "; ".join(labels), fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
