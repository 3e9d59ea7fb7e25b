"""Bad specs are refused before Gmsh runs, naming the field, and leave no output behind."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from meshes.device import build_device
from meshes.spec import SpecError, load_spec, spec_from_dict


def default_dict() -> dict[str, Any]:
    return tomllib.loads(resources.files("meshes").joinpath("default_device.toml").read_text())


def with_change(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(default_dict())
    *parents, leaf = path.split(".")
    node = data
    for p in parents:
        node = node[p]
    node[leaf] = value
    return data


BAD = [
    ("stack.switching_oxide.thickness_nm", -5.0, "stack.switching_oxide.thickness_nm"),
    ("stack.top_electrode.thickness_nm", 0.0, "stack.top_electrode.thickness_nm"),
    ("heater.width_nm", 0, "heater.width_nm"),
    ("heater.length_nm", 250.0, "heater.length_nm"),  # wider than the 200 nm pitch
    ("reram.filament_radius_nm", 60.0, "reram.filament_radius_nm"),  # larger than footprint
    ("reram.footprint_nm", 200.0, "reram.footprint_nm"),  # cells overlap at 200 nm pitch
    ("array.pitch_nm", 90.0, "reram.footprint_nm"),  # pitch below the footprint
    ("stack.ild.material", "Unobtainium", "stack.ild.material"),
    ("heater.material", "tin", "heater.material"),  # names are case-sensitive
    ("array.rows", 0, "array.rows"),
    ("array.cols", -2, "array.cols"),
    ("array.cols", 1.5, "array.cols"),
    ("heater.placement", "below", "heater.placement"),
    ("stack.ild.thickness_nm", 80.0, "stack.ild.thickness_nm"),  # heater would poke out
    ("mesh.refine", 0.0, "mesh.refine"),
    ("array.pitchnm", 200.0, "array.pitchnm"),  # typo: unknown field
]


@pytest.mark.parametrize(("path", "value", "field"), BAD, ids=[f"{p}={v}" for p, v, _ in BAD])
def test_bad_spec_names_the_field_and_writes_nothing(
    path: str, value: Any, field: str, tmp_path: Path
) -> None:
    with pytest.raises(SpecError, match=field.replace(".", r"\.")):
        spec_from_dict(with_change(path, value))
    # the same spec through a file and the builder: nothing written
    spec_file = tmp_path / "bad.toml"
    spec_file.write_text(_to_toml(with_change(path, value)))
    with pytest.raises(SpecError, match=field.replace(".", r"\.")):
        build_device(load_spec(spec_file), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_side_heater_overlapping_neighbour_is_refused() -> None:
    data = with_change("heater.placement", "side")
    data["heater"]["width_nm"] = 95.0  # reaches 50 + 10 + 95 = 155 nm > next pillar edge, 150
    with pytest.raises(SpecError, match=r"heater\.width_nm"):
        spec_from_dict(data)


def test_missing_field_is_named() -> None:
    data = default_dict()
    del data["reram"]["footprint_nm"]
    with pytest.raises(SpecError, match=r"reram\.footprint_nm: missing"):
        spec_from_dict(data)


def test_failed_mesh_leaves_existing_output_untouched(tmp_path: Path, monkeypatch) -> None:
    """A crash during meshing must not replace or truncate an earlier device in DIR."""
    import meshes.device as device

    out = tmp_path / "dev"
    out.mkdir()
    (out / "device.json").write_text("earlier")

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(device, "_mesh_in_child", boom)
    with pytest.raises(KeyboardInterrupt):
        device.build_device(load_spec(None), out, picture=False)
    assert (out / "device.json").read_text() == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev"]


def _to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """Minimal TOML writer for the nested spec dicts used here."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(lines) + "\n"
    for key, value in tables:
        name = f"{prefix}{key}"
        out += f"\n[{name}]\n" + _to_toml(value, prefix=f"{name}.")
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


@pytest.mark.parametrize(
    ("table", "value", "message"),
    [
        ("lines", {"heater_lead_material": "Copper"}, r"lines\.heater_lead_material: unknown"),
        ("lines", {"word_material": "Cu", "word_width_nm": 200.0}, r"lines\.word_width_nm: 200"),
        ("lines", {"word_material": "Cu", "word_thickness_nm": 100.0}, r"lines\.word_thickness_nm"),
        ("lines", {"word_material": "Cu", "word_width_nm": -1.0}, r"lines\.word_width_nm: must"),
        ("lines", {"word_metal": "Cu"}, r"lines\.word_metal: unknown field"),
        ("mesh", {"bulk_nm": 20.0}, r"mesh\.bulk_nm: 20 nm must be at least mesh\.far_nm"),
        ("mesh", {"bulk_nm": "big"}, r"mesh\.bulk_nm: expected a number"),
    ],
)
def test_bad_lines_and_bulk_sizes_are_named(table: str, value: dict, message: str) -> None:
    data = default_dict()
    data.setdefault(table, {}).update(value)
    with pytest.raises(SpecError, match=message):
        spec_from_dict(data)
