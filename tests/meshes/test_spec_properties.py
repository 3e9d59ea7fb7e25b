"""Property-based tests (hypothesis) of spec parsing: any table either gives a valid spec or
is refused with a SpecError naming a field; random valid specs mesh."""

from __future__ import annotations

import copy
import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshes.spec import SpecError, spec_from_dict

DEFAULT: dict[str, Any] = tomllib.loads(
    resources.files("meshes").joinpath("default_device.toml").read_text()
)


def leaves(data: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        out += leaves(value, path + ".") if isinstance(value, dict) else [path]
    return out


PATHS = [p for p in leaves(DEFAULT) if not p.startswith("notes.")]
JUNK = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for p in parents:
        node = node[p]
    if value is _DELETE:
        node.pop(leaf, None)
    else:
        node[leaf] = value


_DELETE = object()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.one_of(JUNK, st.just(_DELETE))), max_size=4))
def test_any_edit_is_accepted_or_refused_by_name(edits: list[tuple[str, Any]]) -> None:
    data = copy.deepcopy(DEFAULT)
    for path, value in edits:
        set_path(data, path, value)
    try:
        spec = spec_from_dict(data)
    except SpecError as exc:
        message = str(exc)
        assert ":" in message and message.split(":")[0].strip(), message
        return
    # accepted: every number in it is finite and every size positive
    for path in PATHS:
        *parents, leaf = path.split(".")
        node: Any = spec
        for p in (*parents, leaf):
            node = getattr(node, p)
        if isinstance(node, float):
            assert math.isfinite(node)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pitch=st.floats(150.0, 400.0),
    footprint=st.floats(20.0, 100.0),
    radius=st.floats(2.0, 9.0),
    heater_len=st.floats(20.0, 100.0),
    oxide=st.floats(4.0, 20.0),
    placement=st.sampled_from(["top", "side"]),
)
@pytest.mark.parametrize("cols", [2])
def test_random_valid_specs_mesh_and_fill_the_box(
    tmp_path: Path,
    cols: int,
    pitch: float,
    footprint: float,
    radius: float,
    heater_len: float,
    oxide: float,
    placement: str,
) -> None:
    """Geometry drawn from ranges the spec rules allow (pitch > footprint + side heater,
    filament inside the footprint, everything buried in the ILD): every one meshes, and its
    tetrahedra fill the domain box exactly."""
    import meshio
    import numpy as np

    from meshes.device import build_device
    from meshes.info import read_device
    from meshes.spec import domain_half_widths_nm, domain_top_nm

    data = copy.deepcopy(DEFAULT)
    data["array"].update(rows=1, cols=cols, pitch_nm=pitch)
    data["reram"].update(footprint_nm=footprint, filament_radius_nm=radius)
    data["heater"].update(length_nm=heater_len, placement=placement, width_nm=25.0)
    data["stack"]["switching_oxide"]["thickness_nm"] = oxide
    data["mesh"].update(far_nm=80.0, device_nm=20.0, filament_nm=max(radius / 2, 3.0))
    spec = spec_from_dict(data)
    out = tmp_path / f"dev-{abs(hash((pitch, footprint, radius, heater_len, oxide)))}"
    build_device(spec, out, picture=False)
    read_device(out)  # the record checks
    mesh = meshio.read(out / "device.msh")
    tets = np.concatenate([c.data for c in mesh.cells if c.type == "tetra"])
    p = mesh.points[tets]
    volume = (
        np.abs(
            np.einsum("ij,ij->i", p[:, 1] - p[:, 0], np.cross(p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]))
        ).sum()
        / 6
    )
    hx, hy = domain_half_widths_nm(spec)
    assert volume == pytest.approx(4 * hx * hy * domain_top_nm(spec), rel=1e-9)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_corrupted_device_json_is_read_or_refused_by_name(
    side_device: Any, tmp_path_factory: pytest.TempPathFactory, data: Any
) -> None:
    """Random edits of device.json's structure: read_device accepts it or names the file."""
    import json
    import shutil

    from meshes.files import StageError
    from meshes.info import read_device
    from tests.helpers import DELETE, json_edited, json_paths

    info = side_device.info
    edits = data.draw(
        st.lists(
            st.tuples(st.sampled_from(json_paths(info)), st.one_of(JUNK, st.just(DELETE))),
            min_size=1,
            max_size=3,
        )
    )
    d = tmp_path_factory.mktemp("dj") / "dev"
    d.mkdir()
    shutil.copy(side_device.out / "device.msh", d / "device.msh")
    (d / "device.json").write_text(json.dumps(json_edited(info, edits)))
    try:
        device = read_device(d)
    except StageError as exc:
        assert "device.json" in str(exc)
        return
    assert device.spec.array.cols == 2


def test_every_film_value_has_a_range_holding_it_and_a_source() -> None:
    """The material library's thin-film values each come with the measured range of films
    (meshes/materials.py) and a source naming a journal or a stated estimate."""
    from meshes.materials import MATERIALS

    for m in MATERIALS.values():
        assert m.source, m.name
        if m.thin_film:
            assert m.k_range_w_per_m_k is not None, m.name
            low, high = m.k_range_w_per_m_k
            assert 0 < low <= m.k_w_per_m_k <= high, m.name
        assert m.diffusivity_m2_per_s > 0
