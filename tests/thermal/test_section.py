"""The temperature map's plane section of a tetrahedral mesh is exact for a linear field and
tiles the cut: its triangles' area is the area of the convex section, with no gaps or overlaps."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import ConvexHull, Delaunay

from thermal.plots import _plane_section


@pytest.mark.parametrize("y_cut", [0.13, 0.5, 0.87])
def test_section_of_a_linear_field_is_exact_and_tiles_the_cut(y_cut: float) -> None:
    points = np.random.default_rng(1).random((500, 3))
    corners = points[Delaunay(points).simplices]  # [cell, 4, 3]
    values = 2 * corners[..., 0] + 3 * corners[..., 1] + 5 * corners[..., 2]
    xz, v, triangles = _plane_section(corners, values, y_cut)
    assert v == pytest.approx(2 * xz[:, 0] + 3 * y_cut + 5 * xz[:, 1], abs=1e-12)
    a = xz[triangles]
    area = 0.5 * np.abs(
        (a[:, 1, 0] - a[:, 0, 0]) * (a[:, 2, 1] - a[:, 0, 1])
        - (a[:, 2, 0] - a[:, 0, 0]) * (a[:, 1, 1] - a[:, 0, 1])
    )
    assert area.sum() == pytest.approx(ConvexHull(xz).volume, rel=1e-12)
    assert area.min() > 0
