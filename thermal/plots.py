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


def plot_temperature_map(system: Any, field: Any, y_m: float, png: Path, *, title: str) -> None:
    """Section of a dof field on the plane y = y_m (collective; rank 0 draws).

    The plane cuts each tetrahedron it crosses in a triangle or a quadrilateral whose corners
    lie on the cut edges, where the field is the linear interpolant of the edge's two vertex
    values: the exact section of a P1 field (the vertex values of a P2 one), drawn as a
    triangulation; no point location."""
    from mpi4py import MPI

    import matplotlib.tri as mtri

    mesh = system.domain.mesh
    comm = mesh.comm
    func = system.function_from(field)
    n_cells = mesh.topology.index_map(3).size_local
    corners = mesh.geometry.x[mesh.geometry.dofmaps[0][:n_cells]]  # [cell, 4, 3]
    values = func.x.array[func.function_space.dofmap.list[:n_cells, :4]]  # vertex dofs
    width = float(np.ptp(mesh.geometry.x[:, 0])) if len(mesh.geometry.x) else 1.0
    y_cut = y_m + 1e-7 * comm.allreduce(width, op=MPI.MAX)  # off any vertex plane
    points, vals, triangles = _plane_section(corners, values, y_cut)
    gathered = comm.gather((points, vals, triangles), root=0)
    if comm.rank != 0:
        return
    assert gathered is not None
    offset, tris = 0, []
    for pts, _, tri in gathered:
        tris.append(tri + offset)
        offset += len(pts)
    xz = np.concatenate([g[0] for g in gathered])
    val = np.concatenate([g[1] for g in gathered])
    triangulation = mtri.Triangulation(xz[:, 0] * 1e9, xz[:, 1] * 1e9, np.concatenate(tris))
    lo, hi = xz.min(axis=0), xz.max(axis=0)
    fig, ax = plt.subplots(figsize=(10, 10 * (hi[1] - lo[1]) / (hi[0] - lo[0]) + 1.2))
    im = ax.tripcolor(triangulation, val, shading="gouraud", cmap="inferno")
    levels = val.max() * np.array([0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8])
    ax.tricontour(triangulation, val, levels=levels, colors="white", linewidths=0.6)
    ax.set_aspect("equal")
    ax.set_xlim(lo[0] * 1e9, hi[0] * 1e9)
    ax.set_ylim(lo[1] * 1e9, hi[1] * 1e9)
    ax.set_xlabel("x [nm]")
    ax.set_ylabel("z [nm] (heatsink at z = 0)")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, label="temperature rise per watt [K/W]", shrink=0.8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def _plane_section(
    corners: np.ndarray, values: np.ndarray, y_cut: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The section of tetrahedra [cell, 4, 3] carrying vertex values [cell, 4] by the plane
    y = y_cut: points (x, z) [n, 2], values [n] and triangles [m, 3] (vectorised over cells).

    A tetrahedron with one vertex alone on its side is cut in a triangle (on the 3 edges from
    that vertex); one with two on each side in a quadrilateral, whose corners in cyclic order
    lie on the edges p-r, p-s, q-s, q-r (p, q above, r, s below): two triangles."""
    side = corners[:, :, 1] >= y_cut  # [cell, 4]
    above = side.sum(axis=1)
    order = np.argsort(~side, axis=1, kind="stable")  # the vertices above first

    def crossing(cells: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
        """Points (x, z) and values where edge (a, b) of each cell meets the plane."""
        pa, pb = corners[cells, a], corners[cells, b]
        t = (y_cut - pa[:, 1]) / (pb[:, 1] - pa[:, 1])
        point = pa + t[:, None] * (pb - pa)
        va, vb = values[cells, a], values[cells, b]
        return point[:, [0, 2]], va + t * (vb - va)

    pieces: list[tuple[list[tuple[np.ndarray, ...]], list[tuple[int, int, int]]]] = []
    lone_above = np.flatnonzero(above == 1)
    lone_below = np.flatnonzero(above == 3)
    two_two = np.flatnonzero(above == 2)
    if len(lone_above):
        c, o = lone_above, order[lone_above]
        pieces.append(([crossing(c, o[:, 0], o[:, k]) for k in (1, 2, 3)], [(0, 1, 2)]))
    if len(lone_below):
        c, o = lone_below, order[lone_below]
        pieces.append(([crossing(c, o[:, 3], o[:, k]) for k in (0, 1, 2)], [(0, 1, 2)]))
    if len(two_two):
        c, o = two_two, order[two_two]
        p, q, r, s = (o[:, k] for k in range(4))
        corners_pq = [crossing(c, p, r), crossing(c, p, s), crossing(c, q, s), crossing(c, q, r)]
        pieces.append((corners_pq, [(0, 1, 2), (0, 2, 3)]))
    points, vals, triangles, count = [], [], [], 0
    for cuts, local in pieces:
        n = len(cuts[0][1])
        for point, value in cuts:
            points.append(point)
            vals.append(value)
        for i, j, k in local:
            triangles.append(count + np.column_stack([i * n, j * n, k * n]) + np.arange(n)[:, None])
        count += len(cuts) * n
    if not points:
        return np.empty((0, 2)), np.empty(0), np.empty((0, 3), dtype=np.int64)
    return np.concatenate(points), np.concatenate(vals), np.concatenate(triangles)
