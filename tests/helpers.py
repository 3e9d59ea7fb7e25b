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


def synthetic_card(rows: int, cols: int, tau_s: np.ndarray, residues: np.ndarray) -> Any:
    """A ``ModelCard`` of a rows x cols array with the given poles and residues [probe,
    heater, pole] and default switching and variability: for tests of what snn/ reads."""
    from devicefit.card import (
        DEFAULT_VARIABILITY,
        CardGeometry,
        CardSwitching,
        CardThermal,
        ModelCard,
    )
    from devicefit.switching import EQUATION, SwitchingModel, linearity_window
    from meshes.cells import array_cells
    from thermal.modal import FosterNetwork

    cells = array_cells(rows, cols)
    network = FosterNetwork(
        np.asarray(tau_s, float),
        np.asarray(residues, float),
        tuple(c.reram for c in cells),
        tuple(c.heater for c in cells),
    )
    model = SwitchingModel()
    return ModelCard(
        geometry=CardGeometry(rows, cols, 200e-9),
        thermal=CardThermal(network, 300.0, 0.0, False, True, None, None),
        derived={},
        switching=CardSwitching(
            model,
            EQUATION,
            None,
            (),
            None,
            "test",
            False,
            linearity_window(model, t_ambient_k=300.0),
        ),
        variability=DEFAULT_VARIABILITY,
        provenance={},
        stage={},
    )
