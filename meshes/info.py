"""``device.json``: the record of a meshed device, written by ``meshes.device`` and read (and
checked) by every later stage through ``read_device``. No gmsh import.

device.json (schema 2): ``schema_version``, ``length_unit_m`` (1e-9: the mesh is in nm),
``spec`` (the device spec echoed), ``groups`` (name, dim, tag, material, nominal volume [m^3]
or area [m^2] of every physical group), ``mesh`` (node and tetrahedron counts, Gmsh version)
and ``stage`` (``meshes.files.stage_record``: key over the spec and code version, SHA-256 of
``device.msh``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from meshes.cells import array_cells
from meshes.files import StageError, check_record, read_json_object, sha256_file, stage_key
from meshes.spec import LENGTH_UNIT_M, DeviceSpec, SpecError, spec_from_dict

DEVICE_JSON_VERSION = 2


@dataclass(frozen=True)
class Group:
    """One named physical group of the device mesh."""

    name: str
    dim: int
    tag: int
    material: str | None
    nominal_volume_m3: float | None = None
    nominal_area_m2: float | None = None


@dataclass(frozen=True)
class DeviceInfo:
    """A checked ``device.json`` and the mesh it describes."""

    directory: Path
    spec: DeviceSpec
    groups: tuple[Group, ...]
    n_tetrahedra: int
    json_sha256: str
    msh_sha256: str

    @property
    def msh(self) -> Path:
        return self.directory / "device.msh"

    def volume_groups(self) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.dim == 3)


def mesh_settings(spec: DeviceSpec) -> dict[str, Any]:
    """What a mesh depends on besides the code: the spec and the length unit."""
    return {"spec": spec.to_dict(), "length_unit_m": LENGTH_UNIT_M}


def read_device(directory: str | Path, error: type[StageError] = StageError) -> DeviceInfo:
    """Read and check ``DIR/device.json`` against ``DIR/device.msh``; ``error`` names the file
    and field of any problem (missing, edited, stale, from another neohebb)."""
    ddir = Path(directory)
    path = ddir / "device.json"
    if not path.is_file():
        raise error(f"{path}: missing (run `neohebb mesh --out {ddir}` first)")
    data = read_json_object(path, error, "device.json")
    version = data.get("schema_version")
    if version != DEVICE_JSON_VERSION:
        raise error(
            f"{path}: schema_version {version!r} is not {DEVICE_JSON_VERSION} (written by another "
            "neohebb version); re-run `neohebb mesh`"
        )
    for key in ("length_unit_m", "spec", "groups", "mesh", "stage"):
        if key not in data:
            raise error(f"{path}: field '{key}' missing")
    if data["length_unit_m"] != LENGTH_UNIT_M:
        raise error(f"{path}: length_unit_m must be {LENGTH_UNIT_M} (the mesh is in nm)")
    try:
        spec = spec_from_dict(data["spec"])
    except SpecError as exc:
        raise error(f"{path}: spec.{exc}") from None
    groups = _groups(data["groups"], path, error)
    names = {g.name for g in groups}
    n_cells = spec.array.rows * spec.array.cols
    if sum(name.startswith("heater_r") for name in names) != n_cells:
        raise error(
            f"{path}: groups: not one heater per cell of the {spec.array.rows} x "
            f"{spec.array.cols} array"
        )
    for cell in array_cells(spec.array.rows, spec.array.cols):
        for name in (cell.heater, cell.reram):
            if name not in names:
                raise error(
                    f"{path}: groups: '{name}' missing for a {spec.array.rows} x "
                    f"{spec.array.cols} array"
                )
    for name in ("heatsink", "top"):
        if name not in names:
            raise error(f"{path}: groups: boundary group '{name}' missing")
    record = data["stage"]
    check_record(ddir, record, path, error, outputs=("device.msh",))
    if not isinstance(record, dict) or record.get("key") != stage_key(
        "mesh", mesh_settings(spec), {}
    ):
        raise error(
            f"{path}: its spec was edited after meshing, or another neohebb version meshed "
            "it; re-run `neohebb mesh`"
        )
    mesh = data["mesh"]
    if not isinstance(mesh, dict) or not isinstance(mesh.get("n_tetrahedra"), int):
        raise error(f"{path}: mesh.n_tetrahedra: missing or not an integer")
    return DeviceInfo(
        ddir,
        spec,
        groups,
        mesh["n_tetrahedra"],
        sha256_file(path),
        record["outputs"]["device.msh"],
    )


def _groups(value: Any, path: Path, error: type[StageError]) -> tuple[Group, ...]:
    if not isinstance(value, list) or not value:
        raise error(f"{path}: groups: expected a non-empty list")
    allowed = {f.name for f in fields(Group)}
    out = []
    for n, item in enumerate(value):
        where = f"{path}: groups[{n}]"
        if not isinstance(item, dict) or not {"name", "dim", "tag"} <= set(item) <= allowed:
            raise error(f"{where}: expected an object with name, dim, tag (and material, ...)")
        if not isinstance(item["name"], str) or item["dim"] not in (2, 3):
            raise error(f"{where}: name must be a string and dim 2 or 3")
        if not isinstance(item["tag"], int) or isinstance(item["tag"], bool):
            raise error(f"{where}.tag: must be an integer")
        material = item.get("material")
        if item["dim"] == 3 and not isinstance(material, str):
            raise error(f"{where}.material: a volume group needs a material name")
        out.append(Group(**item))
    return tuple(out)
