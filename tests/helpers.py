"""Helpers shared by the tests of every stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def assert_picture(png: Path, *, min_colours: int = 8, min_inked: float = 0.02) -> None:
    """``png`` is a real picture: a PNG a person can look at, with at least ``min_colours``
    distinct colours and at least ``min_inked`` of its pixels away from the background
    colour (a blank or single-colour canvas fails)."""
    import matplotlib.image

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png}: not a PNG"
    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and min(image.shape[:2]) >= 200, f"{png}: {image.shape}"
    pixels = np.round(image[..., :3].reshape(-1, 3) * 255).astype(np.uint8)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    assert len(colours) >= min_colours, f"{png}: only {len(colours)} colours"
    inked = 1.0 - counts.max() / len(pixels)
    assert inked >= min_inked, f"{png}: {100 * inked:.1f} % of pixels drawn"


def synthetic_card(
    rows: int,
    cols: int,
    tau_s: np.ndarray,
    residues: np.ndarray,
    boundary: str = "adiabatic",
    filament_r: np.ndarray | None = None,
) -> Any:
    """A ``ModelCard`` of a rows x cols array with the given poles and residues [probe,
    heater, pole], filament matrix [probe, filament] (default: 4.9e6 K/W self terms, no
    crosstalk, 0.1 ns mean rise) and default switching and variability: for tests of what
    snn/ reads."""
    from devicefit.card import (
        DEFAULT_VARIABILITY,
        CardGeometry,
        CardSwitching,
        CardThermal,
        DerivedFigures,
        FilamentTerms,
        ModelCard,
        Provenance,
    )
    from devicefit.switching import DissolutionModel, linearity_window
    from meshes.cells import array_cells
    from thermal.modal import FosterNetwork

    cells = array_cells(rows, cols)
    network = FosterNetwork(
        np.asarray(tau_s, float),
        np.asarray(residues, float),
        tuple(c.reram for c in cells),
        tuple(c.heater for c in cells),
    )
    model = DissolutionModel()
    fil = np.diag(np.full(rows * cols, 4.9e6)) if filament_r is None else filament_r
    names = tuple(c.reram for c in cells)
    filament = FilamentTerms(
        FosterNetwork(np.array([1e-10]), fil[:, :, None], names, names), 1e-10, 0.0, 0.0
    )
    return ModelCard(
        geometry=CardGeometry(rows, cols, 200e-9, boundary),
        thermal=CardThermal(network, 300.0, 0.0, False, True, None, None, filament),
        derived=DerivedFigures("heater_r0_c0", 1.0, (), (), 1.0, 1.0, 0.0, 0.0),
        switching=CardSwitching(
            model,
            None,
            (),
            None,
            (),
            "test",
            False,
            linearity_window(model, t_ambient_k=300.0),
        ),
        variability=DEFAULT_VARIABILITY,
        provenance=Provenance("0" * 64, {}, {}, "test", "now"),
        stage={},
    )


def json_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into nested JSON dicts and lists (lists: their first two items)."""
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += json_paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data[:2]):
            out += json_paths(v, (*prefix, i))
    return out


DELETE = object()


def json_edited(data: Any, edits: list[tuple[tuple[Any, ...], Any]]) -> Any:
    """A deep copy of ``data`` with each (path, value) applied (value DELETE removes the key);
    an edit whose parent an earlier edit removed or replaced is skipped."""
    import copy

    out = copy.deepcopy(data)
    for path, value in edits:
        node = out
        try:
            for key in path[:-1]:
                node = node[key]
            if value is DELETE:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    return out
