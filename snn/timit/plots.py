"""TIMIT pictures: accuracy per epoch, and the 39-class confusion matrix of the test set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import NDArray


def _title(results: dict[str, Any]) -> str:
    cfg = results["config"]
    return (
        f"{results['corpus_label']}: {cfg['backend']} synapses, "
        f"{cfg['n_lif']} LIF + {cfg['n_alif']} ALIF, seed {cfg['seed']}"
    )


def plot_timit_curve(results: dict[str, Any], png: Path) -> None:
    """39-class frame accuracy per epoch (train, test, dev) against the majority baseline."""
    curve = results["curve"]
    epochs = [r["epoch"] for r in curve]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, colour in (("train", "#999999"), ("test", "#1f77b4"), ("dev", "#2ca02c")):
        name = f"{key}_accuracy39"
        if curve and name in curve[0]:
            ax.plot(epochs, [r[name] for r in curve], "o-", color=colour, label=key)
    ax.axhline(
        results["test"]["majority_accuracy39"],
        ls="--",
        color="k",
        lw=0.8,
        label=f"majority class ({results['majority_class39']})",
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel("frame accuracy, 39 classes")
    ax.set_ylim(0, 1)
    ax.set_title(_title(results), fontsize=9)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)


def plot_confusion(
    confusion: NDArray[np.int64], names: tuple[str, ...], results: dict[str, Any], png: Path
) -> None:
    """Row-normalised confusion matrix (true class x predicted class) of the test frames."""
    rows = confusion.sum(1, keepdims=True)
    frac = confusion / np.maximum(rows, 1)
    fig, ax = plt.subplots(figsize=(9, 8))
    im = ax.imshow(frac, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class (rows with no frames are empty)")
    acc = results["test"]["accuracy39"]
    ax.set_title(f"{_title(results)}\ntest frame accuracy {acc:.3f} (39 classes)", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction of the true class's frames")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def plot_bit_sweep(summary: dict[str, Any], png: Path) -> None:
    """Test frame accuracy (39 classes) against bits per device, mean +- s.d. over seeds, with
    the floating-point band."""
    table = summary["table"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    fp = next(r for r in table if r["backend"] == "ideal")
    sd = fp["accuracy39_std"] or 0.0
    ax.axhspan(fp["accuracy39_mean"] - sd, fp["accuracy39_mean"] + sd, color="#cccccc", alpha=0.6)
    ax.axhline(fp["accuracy39_mean"], color="k", lw=1, label="floating point (mean +- s.d.)")
    for backend, colour in (("quantised", "#1f77b4"), ("thermal", "#d62728")):
        rows = [r for r in table if r["backend"] == backend]
        if rows:
            ax.errorbar(
                [r["bits"] for r in rows],
                [r["accuracy39_mean"] for r in rows],
                yerr=[r["accuracy39_std"] or 0.0 for r in rows],
                fmt="o-",
                color=colour,
                capsize=3,
                label=backend,
            )
    majority = summary["runs"][0]["majority_accuracy39"]
    ax.axhline(majority, ls="--", color="#888888", lw=0.8, label="majority class")
    ax.set_xlabel("bits per device (2^bits conductance levels)")
    ax.set_ylabel("test frame accuracy, 39 classes")
    ax.set_xticks(summary["bits"])
    ax.set_title(f"{summary['corpus_label']}: {len(summary['seeds'])} seeds per point", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)
