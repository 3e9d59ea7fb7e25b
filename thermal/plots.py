"""Pictures of the thermal stage: Z(t) with the crosstalk map, and a temperature section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from meshes.cells import array_cells, centre_cell, neighbour_kind

_KIND_STYLE = {
    "self": ("#d62728", 2.5),
    "nearest": ("#1f77b4", 1.5),
    "diagonal": ("#2ca02c", 1.5),
    "further": ("#7f7f7f", 1.0),
}


def plot_impedance(
    times: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    rows: int,
    cols: int,
    heaters: list[str],
    png: Path,
) -> None:
    """Left: Z(t) of every probe for the centre heater (log-log). Right: steady R / R_self."""
    cells = array_cells(rows, cols)
    centre_at = centre_cell(rows, cols)
    centre = cells.index(centre_at)
    fig, (ax, ax_map) = plt.subplots(
        1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.6, 1]}
    )
    seen: set[str] = set()
    for p, cell in enumerate(cells):
        kind = neighbour_kind(cell.row - centre_at.row, cell.col - centre_at.col)
        colour, width = _KIND_STYLE[kind]
        ax.loglog(
            times,
            np.maximum(z[:, p, centre], 1e-30),
            color=colour,
            lw=width,
            label=kind if kind not in seen else None,
        )
        seen.add(kind)
    ax.axhline(r[centre, centre], color="#d62728", ls=":", lw=1)
    ax.set_ylim(r[centre, centre] * 1e-3, r[centre, centre] * 2)
    ax.set_xlabel("time after a unit power step [s]")
    ax.set_ylabel("mean filament temperature rise per watt, Z [K/W]")
    ax.set_title(f"thermal impedance, heater {heaters[centre]}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="probe (filament)")

    ratio = r[:, centre].reshape(rows, cols) / r[centre, centre]
    im = ax_map.imshow(ratio, origin="lower", cmap="magma", vmin=0, vmax=1)
    for i in range(rows):
        for j in range(cols):
            ax_map.text(
                j,
                i,
                f"{ratio[i, j]:.3f}",
                ha="center",
                va="center",
                color="white" if ratio[i, j] < 0.6 else "black",
                fontsize=11,
            )
    ax_map.set_xticks(range(cols), [f"c{j}" for j in range(cols)])
    ax_map.set_yticks(range(rows), [f"r{i}" for i in range(rows)])
    ax_map.set_title(
        f"steady R[probe, {heaters[centre]}] / R_self\nR_self = {r[centre, centre]:.4g} K/W"
    )
    fig.colorbar(im, ax=ax_map, shrink=0.8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def plot_temperature_map(
    system: Any, field: Any, y_m: float, png: Path, *, title: str, resolution: int = 400
) -> None:
    """Section of a dof field on the plane y = y_m, sampled on a grid (collective; rank 0 draws)."""
    import dolfinx.geometry

    mesh = system.domain.mesh
    comm = mesh.comm
    x = mesh.geometry.x
    lo = np.min(comm.allgather(x.min(axis=0)), axis=0)
    hi = np.max(comm.allgather(x.max(axis=0)), axis=0)
    nx = resolution
    nz = max(2, int(resolution * (hi[2] - lo[2]) / (hi[0] - lo[0])))
    xs = np.linspace(lo[0], hi[0], nx)
    zs = np.linspace(lo[2], hi[2], nz)
    gx, gz = np.meshgrid(xs, zs)
    points = np.column_stack([gx.ravel(), np.full(gx.size, y_m), gz.ravel()])
    tree = dolfinx.geometry.bb_tree(mesh, mesh.topology.dim)
    candidates = dolfinx.geometry.compute_collisions_points(tree, points)
    colliding = dolfinx.geometry.compute_colliding_cells(mesh, candidates, points)
    offsets = colliding.offsets
    has = np.diff(offsets) > 0
    idx = np.flatnonzero(has)
    cells = colliding.array[offsets[idx]]
    func = system.function_from(field)
    values = np.full(len(points), np.nan)
    if len(idx):
        values[idx] = func.eval(points[idx], cells).ravel()
    gathered = comm.gather(values, root=0)
    if comm.rank != 0:
        return
    assert gathered is not None
    merged = np.nanmax(np.vstack(gathered), axis=0).reshape(nz, nx)
    nm = 1e9
    fig, ax = plt.subplots(figsize=(10, 10 * (hi[2] - lo[2]) / (hi[0] - lo[0]) + 1.2))
    im = ax.imshow(
        merged,
        origin="lower",
        cmap="inferno",
        aspect="equal",
        extent=(lo[0] * nm, hi[0] * nm, lo[2] * nm, hi[2] * nm),
    )
    levels = np.nanmax(merged) * np.array([0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8])
    ax.contour(xs * nm, zs * nm, merged, levels=levels, colors="white", linewidths=0.6)
    ax.set_xlabel("x [nm]")
    ax.set_ylabel("z [nm] (heatsink at z = 0)")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, label="temperature rise per watt [K/W]", shrink=0.8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
