"""Fit plots: compact model vs FE impedance, residuals, and the Cauer ladder."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from devicefit.foster import FosterNetwork


def plot_fit(
    t: np.ndarray,
    z: np.ndarray,
    net: FosterNetwork,
    cols: int,
    r_ladder: np.ndarray,
    c_ladder: np.ndarray,
    png: Path,
) -> None:
    """Self, nearest and diagonal terms of the centre heater: FE vs fit, residuals, ladder."""
    c = len(net.heaters) // 2
    pairs = [("self", c, "#d62728")]
    if c + 1 < len(net.heaters) and (c + 1) % cols:
        pairs.append(("nearest", c + 1, "#1f77b4"))
    if c - cols - 1 >= 0 and c % cols:
        pairs.append(("diagonal", c - cols - 1, "#2ca02c"))
    fit = net.step_response(t)
    r_self = z[-1, c, c]
    fig, (ax, ax_res, ax_lad) = plt.subplots(1, 3, figsize=(17, 5))
    for label, p, colour in pairs:
        ax.loglog(
            t,
            np.maximum(z[:, p, c], 1e-30),
            "o",
            ms=3,
            color=colour,
            alpha=0.5,
            label=f"{label}: FE",
        )
        ax.loglog(t, np.maximum(fit[:, p, c], 1e-30), "-", color=colour, label=f"{label}: fit")
        ax_res.semilogx(t, (fit[:, p, c] - z[:, p, c]) / r_self * 100, color=colour, label=label)
    ax.set_ylim(r_self * 1e-3, r_self * 2)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("Z [K/W]")
    ax.set_title(f"{len(net.tau_s)}-pole shared Foster fit, heater {net.heaters[c]}")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    worst = np.max(np.abs(fit - z) / np.diag(z[-1])[None, None, :]) * 100
    ax_res.set_title(f"residual / R_self (max over all pairs: {worst:.2f} %)")
    ax_res.set_xlabel("time [s]")
    ax_res.set_ylabel("(Z_fit - Z_FE) / R_self [%]")
    ax_res.grid(True, which="both", alpha=0.3)
    ax_res.legend(fontsize=8)
    ax_lad.step(
        np.concatenate([[0], np.cumsum(r_ladder)]),
        np.concatenate([[c_ladder[0]], np.cumsum(c_ladder)]),
        where="pre",
        color="k",
    )
    ax_lad.set_yscale("log")
    ax_lad.set_xlabel("cumulative thermal resistance from the heater node [K/W]")
    ax_lad.set_ylabel("cumulative thermal capacitance [J/K]")
    ax_lad.set_title(
        f"Cauer ladder of the self term ({len(r_ladder)} rungs)\n(cumulative structure function)"
    )
    ax_lad.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
