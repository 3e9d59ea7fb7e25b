"""Learning pictures: learning curve, learned policy on the grid, sweep with error bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from snn.agent import CRITERION_SUCCESS, CRITERION_WINDOW, RunResult, success_window
from snn.maze import MOVES, greedy_path

COLOURS = {"#": "#404040", ".": "#f7f7f7", "S": "#cfe8ff", "C": "#ffd54f", "T": "#e57373"}


def plot_learning_curve(result: RunResult, png: Path) -> None:
    """Success rate over a 20-episode window, return and steps per episode."""
    cfg = result.config
    ep = np.arange(1, len(result.success) + 1)
    window = success_window(result.success)
    fig, (ax, ax_steps) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    ax.plot(ep[CRITERION_WINDOW - 1 :], window, color="#1f77b4", label="success (20-ep window)")
    ax.plot(ep, result.returns, ".", ms=3, color="#999999", label="return")
    ax.axhline(CRITERION_SUCCESS, ls="--", color="k", lw=0.8, label="criterion 0.9")
    if result.episodes_to_criterion is not None:
        ax.axvline(result.episodes_to_criterion, color="#2ca02c", lw=1.2)
        ax.text(result.episodes_to_criterion, 0.05, f" criterion at {result.episodes_to_criterion}")
    ax.set_ylabel("success rate / return")
    energy = (
        f", {result.energy_per_synapse_update_j * 1e12:.3g} pJ/synapse update"
        if result.energy_per_synapse_update_j is not None
        else ""
    )
    ax.set_title(
        f"{cfg.task}, {cfg.backend} synapses, tau/frame = {cfg.decay_ratio:.3g}, "
        f"seed {cfg.seed}{energy}"
    )
    ax.legend(loc="lower right", fontsize=8)
    ax_steps.plot(ep, result.steps, color="#d62728", lw=0.8)
    ax_steps.set_xlabel("episode")
    ax_steps.set_ylabel("steps")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)


def plot_policy(result: RunResult, png: Path) -> None:
    """The grid with the greedy action of every free cell and the greedy path from S."""
    grid = result.grid
    rows, cols = len(grid), len(grid[0])
    fig, ax = plt.subplots(figsize=(1 + 0.8 * cols, 1 + 0.8 * rows))
    for r in range(rows):
        for c in range(cols):
            ch = grid[r][c]
            ax.add_patch(plt.Rectangle((c, r), 1, 1, color=COLOURS.get(ch, "#f7f7f7"), ec="w"))
            if ch in ".S":
                pi = result.policy_probabilities[r * cols + c]
                for action, (dy, dx) in enumerate(MOVES):  # picture y runs down
                    length = 0.45 * pi[action]
                    if length > 0.06:
                        ax.arrow(
                            c + 0.5,
                            r + 0.5,
                            length * dx,
                            length * dy,
                            width=0.02,
                            head_width=0.05 + 0.2 * length,
                            head_length=0.05 + 0.2 * length,
                            color="#1f3b73",
                            length_includes_head=True,
                        )
            if ch in "SCT":
                ax.text(
                    c + 0.08, r + 0.25, {"S": "start", "C": "cheese", "T": "trap"}[ch], fontsize=7
                )
    start = next((r, c) for r in range(rows) for c in range(cols) if grid[r][c] == "S")
    path = greedy_path(tuple(grid), result.greedy_policy(), start)
    ys, xs = zip(*[(r + 0.5, c + 0.5) for r, c in path], strict=True)
    ax.plot(xs, ys, "-", color="#2ca02c", lw=3, alpha=0.6, label="most probable path")
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(
        f"learned policy: arrow length = pi(a|s); {result.config.backend} synapses, "
        f"final success {result.final_success_rate:.2f}",
        fontsize=9,
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)


def plot_sweep(sweep: dict[str, Any], out: Path) -> None:
    """Episodes to criterion over seeds (censored runs counted as the budget): the median with
    its order-statistic CI (where the runs carry one), the mean +- s.e.m. faint behind it."""
    panels = [k for k in ("decay", "variability", "pulse_v", "access_resistance") if k in sweep]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.5), squeeze=False)
    for ax, kind in zip(axes[0], panels, strict=True):
        rows = sweep[kind]
        x = np.array([r["x"] for r in rows])
        mean = np.array([r["mean"] for r in rows])
        sem = np.array([r["sem"] for r in rows])
        if all("median_ci95" in r for r in rows):
            med = np.array([r["median"] for r in rows])
            ci = np.array([r["median_ci95"] for r in rows]).T
            ax.errorbar(
                x,
                mean,
                yerr=sem,
                fmt="s:",
                capsize=2,
                color="0.6",
                alpha=0.6,
                label="mean +- s.e.m.",
            )
            ax.errorbar(
                x,
                med,
                yerr=[med - ci[0], ci[1] - med],
                fmt="o-",
                capsize=4,
                color="#1f77b4",
                label="median, CI (95 % from 6 seeds on)",
            )
            mean = med
        else:
            ax.errorbar(x, mean, yerr=sem, fmt="o-", capsize=4, color="#1f77b4")
        for xi, mi, r in zip(x, mean, rows, strict=True):
            n = len(r["episodes_to_criterion"])
            if r["reached"] < n:
                ax.annotate(
                    f"{r['reached']}/{n}",
                    (xi, mi),
                    textcoords="offset points",
                    xytext=(0, 8),
                    ha="center",
                    fontsize=7,
                    color="#d62728",
                )
        ax.axhline(
            sweep["censored_value"], ls=":", color="#d62728", lw=0.8, label="budget (not reached)"
        )
        if kind == "decay":
            ax.set_xscale("log")
            ax.set_xlabel("trace time constant / step duration (tau / frame)")
        elif kind == "variability":
            ax.set_xlabel("variability (x the card's d2d, c2c, stuck figures)")
        elif kind == "pulse_v":
            ax.set_xlabel("SET pulse amplitude [V]")
        else:
            ax.set_xlabel("access resistance [ohm]")
        shares = [[v for v in r.get("share_below_5k", []) if v is not None] for r in rows]
        if kind in ("pulse_v", "access_resistance") and all(shares):
            twin = ax.twinx()
            twin.plot(x, [100 * np.mean(v) for v in shares], "s--", color="#ff7f0e")
            twin.set_ylabel("|dG| on cells < 5 K above ambient [%]", color="#ff7f0e")
            twin.set_ylim(0, 100)
        ax.set_ylabel("episodes to criterion")
        claim = ""
        claims = sweep.get("claims") or {}
        if kind == "decay" and claims.get("u_shape"):
            claim = "; U-shape " + ("holds" if claims["u_shape"]["holds"] else "not shown")
        if kind == "variability" and claims.get("variability_trend"):
            trend = claims["variability_trend"]
            if trend["p_value"] is not None:
                claim = f"; Spearman rho {trend['spearman_rho']:.2f}, p {trend['p_value']:.2g}"
        ax.set_title(
            f"{sweep['task']}, {sweep['backend']} synapses, {sweep['seeds']} seeds{claim}",
            fontsize=9,
        )
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "sweep.png", dpi=120)
    plt.close(fig)
