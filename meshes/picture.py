"""Picture of a device mesh: a 3D cut-away of the array and a cross-section through one row.

Rendered off-screen with PyVista. Regions are coloured by role (stack layer, heater,
filament) and the legend names each region's material.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import meshio
import numpy as np

from meshes.geometry import Group

if TYPE_CHECKING:
    import pyvista as pv

_ROLE_COLOURS = {
    "substrate": "#9e9e9e",
    "isolation": "#cfe8f3",
    "ild": "#e8f4fa",
    "bottom_electrode": "#b08d57",
    "switching_oxide": "#7fbf7f",
    "top_electrode": "#c9a66b",
    "heater_spacer": "#f3e79b",
    "heater": "#d62728",
    "heater_lead": "#ff9896",
    "word_line": "#8c564b",
    "reram": "#1f3fbf",
}


def _role(name: str) -> str:
    if name.startswith(("heater_lead_", "word_line_")):
        return name.rsplit("_", 1)[0]
    return name.split("_r")[0] if name.startswith(("heater_r", "reram_r")) else name


def render_device(
    msh: str | Path, groups: Sequence[Group], png: str | Path, *, title: str = ""
) -> None:
    """Write a two-panel PNG of the mesh in ``msh`` (coordinates in nm)."""
    import pyvista as pv
    from vtkmodules.vtkCommonCore import vtkLogger

    # Off-screen on a machine without a display VTK first tries X and logs a "bad X server
    # connection" warning before rendering without it; the picture is unaffected.
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)

    with contextlib.redirect_stdout(io.StringIO()):  # meshio's Gmsh reader prints a blank line
        mesh = meshio.read(msh)
    tets = np.concatenate([c.data for c in mesh.cells if c.type == "tetra"])
    tags = np.concatenate(
        [
            d
            for c, d in zip(mesh.cells, mesh.cell_data["gmsh:physical"], strict=True)
            if c.type == "tetra"
        ]
    )
    by_tag = {g.tag: g for g in groups if g.dim == 3}
    roles = list(dict.fromkeys(_role(g.name) for g in groups if g.dim == 3))
    role_index = np.array([roles.index(_role(by_tag[int(t)].name)) for t in tags])
    grid = pv.UnstructuredGrid({pv.CellType.TETRA: tets}, mesh.points)
    grid.cell_data["role"] = role_index
    material = {_role(g.name): g.material for g in groups if g.dim == 3}

    centre_y = 0.5 * (mesh.points[:, 1].min() + mesh.points[:, 1].max())

    # Left: the array without the surrounding dielectrics, cut through the middle row.
    left = pv.Plotter(off_screen=True, window_size=(1000, 800))
    hidden = [roles.index(r) for r in ("ild", "heater_spacer", "isolation") if r in roles]
    cut = grid.extract_cells(~np.isin(role_index, hidden)).clip(
        normal=(0, 1, 0), origin=(0, centre_y, 0), invert=True
    )
    _add_roles(left, cut, roles, edges=False)
    left.show_bounds(font_size=10, xtitle="x [nm]", ytitle="y [nm]", ztitle="z [nm]")
    left.camera_position = "iso"
    left.camera.zoom(1.15)
    img_left = left.screenshot(return_img=True)
    left.close()

    # Right: cross-section through the middle row, with the mesh edges.
    right = pv.Plotter(off_screen=True, window_size=(1000, 800))
    _add_roles(right, grid.slice(normal=(0, 1, 0), origin=(0, centre_y, 0)), roles, edges=True)
    right.view_xz()
    right.show_bounds(font_size=10, xtitle="x [nm]", ztitle="z [nm]")
    img_right = right.screenshot(return_img=True)
    right.close()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, axes = plt.subplots(1, 2, figsize=(16, 7.4))
    for ax, img, text in (
        (
            axes[0],
            img_left,
            "3D cut-away through the middle row (SiO2 isolation, ILD and spacer hidden)",
        ),
        (axes[1], img_right, f"cross-section at y = {centre_y:.0f} nm with mesh edges"),
    ):
        ax.imshow(img)
        ax.set_title(text, fontsize=11)
        ax.axis("off")
    handles = [
        Patch(
            facecolor=_ROLE_COLOURS.get(r, "white"), edgecolor="black", label=f"{r} ({material[r]})"
        )
        for r in roles
    ]
    fig.legend(
        handles=handles, loc="lower center", ncol=min(len(handles), 5), fontsize=10, frameon=False
    )
    fig.suptitle(title, fontsize=13)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    fig.savefig(png, dpi=100)
    plt.close(fig)


def _add_roles(plotter: pv.Plotter, data: pv.DataSet, roles: list[str], *, edges: bool) -> None:
    for k, role in enumerate(roles):
        part = data.extract_cells(data.cell_data["role"] == k)
        if part.n_cells:
            plotter.add_mesh(
                part,
                color=_ROLE_COLOURS.get(role, "white"),
                show_edges=edges,
                edge_color="#555555",
                line_width=0.5,
            )
