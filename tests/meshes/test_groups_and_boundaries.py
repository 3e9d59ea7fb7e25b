"""Named groups: every cell has its heater and ReRAM; heatsink is the bottom, top the top."""

from __future__ import annotations

import numpy as np
import pytest

from meshes.spec import LENGTH_UNIT_M, cell_centre_nm, domain_half_widths_nm, domain_top_nm


@pytest.mark.parametrize("which", ["default_device", "side_device"])
def test_every_cell_has_heater_and_reram(which: str, request: pytest.FixtureRequest) -> None:
    dev = request.getfixturevalue(which)
    names_in_file = set(dev.mesh.field_data)
    tets, tags = dev.tets()
    by_name = {g["name"]: g for g in dev.info["groups"]}
    for i in range(dev.spec.array.rows):
        for j in range(dev.spec.array.cols):
            cx, cy = cell_centre_nm(dev.spec, i, j)
            for kind in ("heater", "reram"):
                name = f"{kind}_r{i}_c{j}"
                assert name in names_in_file and name in by_name
                centroid = dev.mesh.points[tets[tags == by_name[name]["tag"]]].mean(axis=(0, 1))
                # each group sits at its own cell: the ReRAM on the centre, the heater within
                # half a pitch of it
                dist = np.hypot(centroid[0] - cx, centroid[1] - cy)
                limit = 1.0 if kind == "reram" else dev.spec.array.pitch_nm / 2
                assert dist < limit, (name, centroid, (cx, cy))
    assert by_name["heater_r0_c0"]["material"] == dev.spec.heater.material
    assert by_name["reram_r0_c0"]["material"] == dev.spec.reram.filament_material


def test_material_groups_are_named_in_the_file(default_device) -> None:
    for name in (
        "substrate",
        "isolation",
        "bottom_electrode",
        "switching_oxide",
        "top_electrode",
        "ild",
        "heater_spacer",
        "heatsink",
        "top",
    ):
        assert name in default_device.mesh.field_data


@pytest.mark.parametrize(("name", "z_of"), [("heatsink", lambda s: 0.0), ("top", domain_top_nm)])
def test_boundary_groups_cover_bottom_and_top(name, z_of, default_device) -> None:
    dev = default_device
    tri, tags = dev.triangles()
    tag = next(g["tag"] for g in dev.info["groups"] if g["name"] == name)
    faces = dev.mesh.points[tri[tags == tag]]
    np.testing.assert_allclose(faces[:, :, 2], z_of(dev.spec), atol=1e-9)
    a, b, c = faces[:, 0], faces[:, 1], faces[:, 2]
    area_m2 = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() * LENGTH_UNIT_M**2
    hx, hy = domain_half_widths_nm(dev.spec)
    assert area_m2 == pytest.approx(4 * hx * hy * LENGTH_UNIT_M**2, rel=1e-9)
