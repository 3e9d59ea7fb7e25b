"""Fit plots: compact model vs FE impedance, residuals, and the Cauer ladder."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from devicefit.card import CardGeometry, CardSwitching, CauerLadder
from devicefit.linearity import Linearity
from devicefit.switching import PulseHeating
from devicefit.switching_fit import SwitchingData
from meshes.cells import reference_neighbours
from thermal.modal import FosterNetwork
from thermal.response import OperatingPointRun, Response


def plot_fit(
    response: Response,
    net: FosterNetwork,
    geometry: CardGeometry,
    cauer: CauerLadder,
    png: Path,
) -> None:
    """Self, nearest and diagonal terms of the centre heater: FE vs fit, residuals, ladder."""
    t, z = response.t_s, response.z_k_per_w
    heaters = list(net.heaters)
    centre, nearest, diagonal = reference_neighbours(geometry.rows, geometry.cols)
    c = heaters.index(centre.heater)
    pairs = [("self", c, "#d62728")]
    for label, cell, colour in (("nearest", nearest, "#1f77b4"), ("diagonal", diagonal, "#2ca02c")):
        if cell is not None:
            pairs.append((label, heaters.index(cell.heater), colour))
    r_ladder, c_ladder = np.array(cauer.r_k_per_w), np.array(cauer.c_j_per_k)
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


def plot_switching(
    switching: CardSwitching,
    data: SwitchingData | None,
    t_ambient_k: float,
    heating: PulseHeating,
    pulse_v: float,
    png: Path,
) -> None:
    """Three panels: dG of one ``pulse_v`` SET and RESET pulse (100 ns, own heat included)
    vs the cell's temperature at three G0, with the data (labelled synthetic when the card
    says so); the heat-driven part of a SET against the stored rise; the family's AIC/BIC
    (fitted cards)."""
    model = switching.model
    temps = np.linspace(t_ambient_k - 10, t_ambient_k + 250, 200)
    fig, (ax, ax_lin, ax_sel) = plt.subplots(1, 3, figsize=(18, 5))
    window = model.g_max_s - model.g_min_s
    for frac, style in ((0.25, ":"), (0.5, "-"), (0.75, "--")):
        g0 = model.g_min_s + frac * window
        for pol, colour in ((True, "#d62728"), (False, "#1f77b4")):
            dg = model.delta_g_s(temps, g0, pol, pulse_v, 1e-7, heating=heating)
            ax.semilogy(
                temps,
                np.abs(dg) / window,
                style,
                color=colour,
                label=f"{'SET' if pol else 'RESET'}, G0 = {g0 * 1e6:.0f} uS",
            )
    if data is not None:
        sel = np.isclose(data.pulse_v, pulse_v) & np.isclose(data.pulse_s, 1e-7)
        ax.semilogy(
            data.temperature_k[sel],
            np.abs(data.dg_s[sel]) / window,
            ".",
            color="0.4",
            ms=3,
            label=f"{'SYNTHETIC data' if switching.synthetic else 'data'} ({pulse_v:g} V)",
        )
    ax.set_xlabel("cell temperature before the pulse [K]")
    ax.set_ylabel(f"|dG| of one {pulse_v:g} V, 100 ns pulse / (G_max - G_min)")
    ax.set_title(
        f"{model.NAME} switching, own heat {heating.filament_r_k_per_w:.3g} K/W"
        + (" (fitted to SYNTHETIC data)" if switching.synthetic else "")
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    g0 = 0.5 * (model.g_min_s + model.g_max_s)
    rises = np.linspace(0, 100, 200)
    base = model.delta_g_s(t_ambient_k, g0, True, pulse_v, 1e-7, heating=heating)
    heat = model.delta_g_s(t_ambient_k + rises, g0, True, pulse_v, 1e-7, heating=heating) - base
    ax_lin.plot(rises, heat / window * 100, color="#d62728", label="heat-driven dG (SET)")
    for span in (25.0, 100.0):
        x, y = rises[rises <= span], heat[rises <= span]
        slope = float(x @ y / (x @ x))
        ax_lin.plot(
            rises, slope * rises / window * 100, "--", lw=1, label=f"best line over 0-{span:g} K"
        )
    ax_lin.set_xlabel(f"temperature rise above {t_ambient_k:g} K (the eligibility trace) [K]")
    ax_lin.set_ylabel("dG(T0 + dT) - dG(T0) [% of window]")
    ax_lin.set_title("is dG proportional to the stored dT?")
    ax_lin.grid(True, alpha=0.3)
    ax_lin.legend(fontsize=8)
    if switching.selection:
        names = [row["model"] for row in switching.selection]
        best = min(min(r["aic"], r["bic"]) for r in switching.selection)
        at = np.arange(len(names), dtype=float)
        for shift, key, colour in ((-0.2, "aic", "#7f7f7f"), (0.2, "bic", "#2ca02c")):
            ax_sel.bar(
                at + shift,
                [r[key] - best for r in switching.selection],
                0.4,
                color=colour,
                label=key.upper(),
            )
        ax_sel.set_xticks(at, names)
        ax_sel.set_ylabel("criterion - the lowest (lower is better)")
        ax_sel.set_title(f"model selection: {names[0]} kept (lowest BIC)")
        ax_sel.legend()
        ax_sel.grid(True, axis="y", alpha=0.3)
    else:
        ax_sel.text(0.5, 0.5, "default parameters:\nno data, no selection", ha="center")
        ax_sel.set_axis_off()
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def plot_linearity(
    run: OperatingPointRun | None,
    linearity: Linearity | None,
    centre: int,
    neighbour: int | None,
    png: Path,
) -> None:
    """The operating point with k(T), c_p(T) against linear superposition: the centre and a
    neighbouring filament's rise over time, and every probe sample's true against linear
    rise with the Kirchhoff correction and the band the error is taken over."""
    fig, (ax, ax_map) = plt.subplots(1, 2, figsize=(13, 5))
    if run is None or linearity is None:
        for a in (ax, ax_map):
            a.text(
                0.5,
                0.5,
                "no operating-point run in the thermal response\n"
                "(thermal.linearity_power_w = 0, a periodic array or interface resistances)",
                ha="center",
                va="center",
                transform=a.transAxes,
            )
            a.set_axis_off()
        fig.savefig(png, dpi=110)
        plt.close(fig)
        return
    t, lin, true = run.t_s, run.linear_k, run.nonlinear_k
    on = (t > 0) & (t <= run.t_off_s * (1 + 1e-9))
    off = t > run.t_off_s * (1 + 1e-9)
    probes = [("centre", centre, "#d62728")]
    if neighbour is not None:
        probes.append(("nearest", neighbour, "#1f77b4"))
    for label, p, colour in probes:
        for part, x, style in ((on, t[on], "-"), (off, t[off] - run.t_off_s, ":")):
            name = None if style == ":" else label
            ax.plot(
                x,
                lin[part, p],
                style,
                color=colour,
                alpha=0.45,
                label=None if name is None else f"{name}, linear",
            )
            ax.plot(
                x,
                true[part, p],
                style,
                color=colour,
                marker="o",
                ms=3,
                label=None if name is None else f"{name}, k(T), c_p(T)",
            )
    ax.set_xscale("log")
    ax.set_xlabel("time since the heater switched on (solid) / off (dotted) [s]")
    ax.set_ylabel("filament rise [K]")
    ax.set_title(f"operating point: {1e3 * run.power_w:.3g} mW in the centre heater")
    ax.legend(fontsize=8)
    keep = lin > 0.5
    ax_map.plot(lin[keep], true[keep], ".", color="0.3", ms=4, label="FE samples, every probe")
    grid = np.linspace(0.0, float(lin.max()), 200)
    ax_map.plot(grid, grid, "--", color="0.6", label="linear superposition")
    ax_map.plot(
        grid,
        linearity.kirchhoff.true_rise_k(grid),
        color="#d62728",
        label=f"Kirchhoff map, n = {linearity.kirchhoff.exponent:.3f}",
    )
    ax_map.axvspan(*linearity.band_k, color="#ffbb78", alpha=0.3, label="band of the error")
    err = linearity.max_rel_error
    after = linearity.corrected_rel_error
    ax_map.set_title(
        "error in band "
        + ("n/a" if err is None else f"{100 * err:.2g} %")
        + ", after the map "
        + ("n/a" if after is None else f"{100 * after:.2g} %")
        + (" (applied)" if linearity.apply_correction else " (not applied)")
    )
    ax_map.set_xlabel("linear rise [K]")
    ax_map.set_ylabel("rise with k(T), c_p(T) [K]")
    ax_map.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
