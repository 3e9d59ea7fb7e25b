"""Property-based tests (hypothesis): any run-configuration table is read or refused with a
ConfigError naming its field (never another exception)."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from meshes.files import StageError
from neohebb.config import config_from_dict

DEFAULT: dict[str, Any] = tomllib.loads(
    resources.files("neohebb").joinpath("default_run.toml").read_text()
)
TABLES = ["mesh", "thermal", "fit", "maze", "sweep"]
KEYS = sorted({k for t in TABLES for k in DEFAULT.get(t, {})} | {"synapses", "bits", "lr"})
JUNK = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**9), 10**9),
    st.text(max_size=6),
    st.booleans(),
    st.lists(st.floats(allow_nan=True), max_size=3),
    st.dictionaries(st.sampled_from(KEYS), st.integers(-3, 3), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(TABLES), st.sampled_from(KEYS), JUNK), max_size=3))
def test_any_table_edit_is_read_or_refused_by_name(edits: list[tuple[str, str, Any]]) -> None:
    data = copy.deepcopy(DEFAULT)
    for table, key, value in edits:
        data.setdefault(table, {})[key] = value
    try:
        config_from_dict(data, base=Path.cwd())
    except StageError as exc:
        field = str(exc).split(":")[0]
        assert field.split(".")[0] in {*TABLES, "device_spec", "out_dir"}, str(exc)
