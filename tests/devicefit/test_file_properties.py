"""Property-based tests (hypothesis): random corruptions of a model card, a switching CSV and
a response.npz never escape as anything but the stage's named error."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicefit.card import card_from_json, read_card
from devicefit.errors import CardError
from devicefit.switching_fit import read_switching_csv
from meshes.files import sha256_file
from tests.helpers import DELETE, json_edited, json_paths
from thermal.response import read_response

EXAMPLE = Path(str(resources.files("devicefit").joinpath("example_switching.csv")))
JUNK = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), 10**6),
    st.text(max_size=6),
    st.booleans(),
    st.none(),
    st.lists(st.floats(allow_nan=True), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.fixture(scope="module")
def card_json(default_card: Path) -> dict[str, Any]:
    return json.loads(default_card.read_text())


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_corrupted_card_is_read_or_refused_by_name(card_json: dict[str, Any], data) -> None:
    edits = data.draw(
        st.lists(
            st.tuples(st.sampled_from(json_paths(card_json)), st.one_of(JUNK, st.just(DELETE))),
            min_size=1,
            max_size=3,
        )
    )
    card = json_edited(card_json, edits)
    try:
        parsed = card_from_json(card)
    except CardError as exc:
        assert str(exc).startswith("model card: ")
        return
    # accepted: then everything snn/ reads is there and consistent
    net = parsed.thermal.network
    assert net.residues_k_per_w.shape == (len(net.probes), len(net.heaters), len(net.tau_s))
    assert 0 <= parsed.variability.stuck_fraction <= 1


@settings(max_examples=200, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, 401),
            st.integers(0, 5),
            st.one_of(st.text(max_size=8), st.sampled_from(["nan", "-1", "1e9", "", "set"])),
        ),
        min_size=1,
        max_size=4,
    ),
    raw=st.binary(max_size=6),
)
def test_a_corrupted_csv_is_read_or_refused_by_name(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, int, str]], raw: bytes
) -> None:
    lines = EXAMPLE.read_text().splitlines()
    for line, column, text in edits:
        if line < len(lines):
            cells = lines[line].split(",")
            cells[min(column, len(cells) - 1)] = text
            lines[line] = ",".join(cells)
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    path.write_bytes("\n".join(lines).encode("utf-8", errors="surrogatepass") + raw)
    try:
        read_switching_csv(path)
    except CardError as exc:
        assert str(exc).startswith(str(path))


@pytest.fixture(scope="module")
def thermal_dir(default_thermal: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("resp") / "dev"
    d.mkdir()
    for name in ("device.json", "device.msh", "thermal.json", "response.npz"):
        shutil.copy(default_thermal / name, d / name)
    return d


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cut=st.integers(0, 4000), flip=st.integers(1, 255))
def test_a_corrupted_response_archive_is_refused_by_name(
    thermal_dir: Path, tmp_path_factory: pytest.TempPathFactory, cut: int, flip: int
) -> None:
    """Corrupt bytes in response.npz, with thermal.json's record rewritten to match them (so
    the archive reader itself meets the damage, not only the hash check)."""
    d = tmp_path_factory.mktemp("corrupt") / "dev"
    shutil.copytree(thermal_dir, d)
    blob = bytearray((d / "response.npz").read_bytes())
    blob[cut % len(blob)] ^= flip
    (d / "response.npz").write_bytes(bytes(blob))
    info = json.loads((d / "thermal.json").read_text())
    info["stage"]["outputs"]["response.npz"] = sha256_file(d / "response.npz")
    (d / "thermal.json").write_text(json.dumps(info))
    try:
        response = read_response(d, CardError)
    except CardError as exc:
        assert "response.npz" in str(exc)
        return
    # a flip in a part numpy does not read back (zip padding, comments) changes nothing
    original = read_response(thermal_dir, CardError)
    np.testing.assert_array_equal(response.z_k_per_w, original.z_k_per_w)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_corrupted_thermal_json_is_read_or_refused_by_name(
    thermal_dir: Path, tmp_path_factory: pytest.TempPathFactory, data
) -> None:
    info = json.loads((thermal_dir / "thermal.json").read_text())
    edits = data.draw(
        st.lists(
            st.tuples(st.sampled_from(json_paths(info)), st.one_of(JUNK, st.just(DELETE))),
            min_size=1,
            max_size=3,
        )
    )
    d = tmp_path_factory.mktemp("tj") / "dev"
    shutil.copytree(thermal_dir, d)
    (d / "thermal.json").write_text(json.dumps(json_edited(info, edits)))
    try:
        response = read_response(d, CardError)
    except CardError as exc:
        assert str(d) in str(exc)
        return
    assert response.array.rows >= 1 and response.t_ambient_k > 0


def test_the_card_fixture_reads(default_card: Path) -> None:
    """The unedited card passes: the properties above start from a valid card."""
    read_card(default_card)
