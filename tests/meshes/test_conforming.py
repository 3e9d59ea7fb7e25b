"""The mesh is conforming: one node per location, and every interior face shared by two tets."""

from __future__ import annotations

import numpy as np
import pytest

from meshes.spec import domain_half_widths_nm, domain_top_nm


@pytest.mark.parametrize("which", ["default_device", "side_device"])
def test_no_duplicate_nodes(which: str, request: pytest.FixtureRequest) -> None:
    dev = request.getfixturevalue(which)
    tets, _ = dev.tets()
    used = dev.mesh.points[np.unique(tets)]
    rounded = np.round(used, 6)
    assert len(np.unique(rounded, axis=0)) == len(used)


@pytest.mark.parametrize("which", ["default_device", "side_device"])
def test_only_outer_faces_are_unshared(which: str, request: pytest.FixtureRequest) -> None:
    """A non-conforming interface would leave faces with one tetrahedron inside the box."""
    dev = request.getfixturevalue(which)
    tets, _ = dev.tets()
    faces = np.sort(
        np.concatenate(
            [tets[:, [0, 1, 2]], tets[:, [0, 1, 3]], tets[:, [0, 2, 3]], tets[:, [1, 2, 3]]]
        ),
        axis=1,
    )
    uniq, counts = np.unique(faces, axis=0, return_counts=True)
    assert counts.max() == 2
    lone = dev.mesh.points[uniq[counts == 1]].mean(axis=1)
    hx, hy = domain_half_widths_nm(dev.spec)
    on_wall = (
        (np.abs(np.abs(lone[:, 0]) - hx) < 1e-6)
        | (np.abs(np.abs(lone[:, 1]) - hy) < 1e-6)
        | (np.abs(lone[:, 2]) < 1e-6)
        | (np.abs(lone[:, 2] - domain_top_nm(dev.spec)) < 1e-6)
    )
    assert on_wall.all(), lone[~on_wall][:5]
