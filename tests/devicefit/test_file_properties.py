"""Property-based tests (hypothesis): random corruptions of a model card, a switching CSV and
a response.npz never escape as anything but the stage's named error."""

from __future__ import annotations

import copy
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicefit.card import card_from_json, read_card
from devicefit.errors import CardError
from devicefit.switching import read_switching_csv
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


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into nested dicts and lists (lists: their first two items)."""
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data[:2]):
            out += paths(v, (*prefix, i))
    return out


_DELETE = object()


def edited(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


@pytest.fixture(scope="module")
def card_json(default_card: Path) -> dict[str, Any]:
    return json.loads(default_card.read_text())


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_corrupted_card_is_read_or_refused_by_name(card_json: dict[str, Any], data) -> None:
    all_paths = paths(card_json)
    edits = data.draw(
        st.lists(
            st.tuples(st.sampled_from(all_paths), st.one_of(JUNK, st.just(_DELETE))),
            min_size=1,
            max_size=3,
        )
    )
    card = card_json
    for path, value in edits:
        try:
            card = edited(card, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced the parent
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


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cut=st.integers(0, 4000), flip=st.integers(0, 255))
def test_a_corrupted_response_is_refused_by_name(
    default_thermal: Path, tmp_path_factory: pytest.TempPathFactory, cut: int, flip: int
) -> None:
    d = tmp_path_factory.mktemp("resp") / "dev"
    d.mkdir()
    for name in ("device.json", "device.msh", "thermal.json", "response.npz"):
        shutil.copy(default_thermal / name, d / name)
    blob = bytearray((d / "response.npz").read_bytes())
    blob[cut % len(blob)] ^= flip or 1
    (d / "response.npz").write_bytes(bytes(blob))
    with pytest.raises(CardError, match=r"response\.npz"):
        read_response(d, CardError)


def test_the_card_fixture_reads(default_card: Path) -> None:
    """The unedited card passes: the properties above start from a valid card."""
    read_card(default_card)
