"""Device spec: the parametric description of a heater + ReRAM array, and its validation.

Lengths are in nanometres (the unit of the spec file and of the Gmsh geometry); every other
stage works in SI and converts with ``LENGTH_UNIT_M``. A spec is read from TOML (see
``meshes/default_device.toml`` for every field with its meaning and source) or built from the
dataclasses; ``validate`` rejects bad specs with one message naming the field, before Gmsh runs.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from meshes.files import StageError, read_text
from meshes.materials import MATERIALS, known_materials

LENGTH_UNIT_M = 1e-9
"""Metres per spec/Gmsh length unit (the geometry is built in nm)."""


class SpecError(StageError):
    """A device spec is invalid; the message names the offending field."""


@dataclass(frozen=True)
class Layer:
    """One layer of the stack: material name and thickness [nm]."""

    material: str
    thickness_nm: float


@dataclass(frozen=True)
class Stack:
    """The layer stack, bottom-up.

    ``substrate`` and ``isolation`` span the whole domain; ``bottom_electrode``,
    ``switching_oxide`` and ``top_electrode`` form one pillar of the ReRAM footprint per cell;
    ``ild`` (inter-layer dielectric) fills the rest from the isolation oxide up to the top.
    """

    substrate: Layer
    isolation: Layer
    bottom_electrode: Layer
    switching_oxide: Layer
    top_electrode: Layer
    ild: Layer


@dataclass(frozen=True)
class Reram:
    """ReRAM cell: square footprint side [nm] and the cylindrical filament/active region.

    The filament spans the switching oxide thickness, centred in the footprint; it is the
    region whose mean temperature is the eligibility trace.
    """

    footprint_nm: float
    filament_radius_nm: float
    filament_material: str


@dataclass(frozen=True)
class Heater:
    """Resistive heater: a box ``length_nm`` (x) by ``width_nm`` (y) by ``thickness_nm`` (z).

    ``placement = "top"``: centred above the top electrode, separated from it by a spacer of
    ``gap_nm`` of ``spacer_material`` (spacer footprint = heater footprint).
    ``placement = "side"``: beside the pillar on its +x side at lateral ``gap_nm`` (filled by
    the ILD), vertically centred on the switching oxide; there ``width_nm`` is its x extent.
    """

    material: str
    length_nm: float
    width_nm: float
    thickness_nm: float
    placement: Literal["top", "side"]
    gap_nm: float
    spacer_material: str


@dataclass(frozen=True)
class Array:
    """``rows`` x ``cols`` cells at ``pitch_nm``; ``margin_nm`` of dielectric around the array.

    ``boundary = "adiabatic"``: the side walls, ``margin_nm`` beyond the outer cells, pass no
    heat (an isolated array). ``"periodic"``: the domain is exactly rows x cols pitches, its
    side walls half a pitch beyond the outer cells, and opposite walls are identified: the
    array is one tile of an infinite array, and each heater's response holds all its images
    (``margin_nm`` is not used).
    """

    rows: int
    cols: int
    pitch_nm: float
    margin_nm: float
    boundary: Literal["adiabatic", "periodic"] = "adiabatic"


@dataclass(frozen=True)
class Lines:
    """Metal lines that tie the cells together (they carry heat sideways in a real array).

    ``heater_lead_material``: each heater's leads, a line of the heater's cross-section
    continuing it along its length to the side walls: along x through each row (top heaters,
    groups ``heater_lead_r{i}``) or along y through each column (side heaters,
    ``heater_lead_c{j}``); the heater itself stays the only heat source.
    ``word_material``: a line under each row's bottom electrodes, along x, in the top
    ``word_thickness_nm`` of the isolation oxide, ``word_width_nm`` wide (``word_line_r{i}``).
    A field left out (None) leaves that line out.
    """

    heater_lead_material: str | None = None
    word_material: str | None = None
    word_width_nm: float = 60.0
    word_thickness_nm: float = 30.0


@dataclass(frozen=True)
class MeshSizes:
    """Target element sizes [nm]; all are divided by ``refine`` (2 halves every size).

    ``far_nm`` holds over the array's own block (its cells, from a pitch below the isolation
    to the top); ``bulk_nm`` (default: ``far_nm``) beyond it, reached by a linear ramp of
    slope ``BULK_GROWTH``: what lets a um-deep substrate and um-wide margins be meshed."""

    filament_nm: float
    device_nm: float
    far_nm: float
    refine: float = 1.0
    bulk_nm: float | None = None


@dataclass(frozen=True)
class DeviceSpec:
    """Complete device description (the input of ``meshes``)."""

    name: str
    stack: Stack
    reram: Reram
    heater: Heater
    array: Array
    mesh: MeshSizes
    notes: dict[str, str] = field(default_factory=dict)
    lines: Lines = field(default_factory=Lines)
    interfaces: dict[str, float] = field(default_factory=dict)
    """Thermal boundary (Kapitza) resistance [m^2 K/W] per material pair, keyed "A/B" (order
    free): the temperature jumps by R q across every face where a region of material A
    touches one of material B (``thermal.interfaces``). Pairs not listed are in perfect
    contact; the mesh does not depend on this table."""

    def with_refine(self, refine: float) -> DeviceSpec:
        """The same device with another mesh refinement factor."""
        m = self.mesh
        return replace(self, mesh=replace(m, refine=refine))

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict echo (what ``device.json`` stores under ``spec``)."""
        return asdict(self)


# --- reading -------------------------------------------------------------------------------


def _build(cls: type, data: Any, where: str) -> Any:
    """Build dataclass ``cls`` from a dict, naming ``where`` in every error."""
    if not isinstance(data, dict):
        raise SpecError(f"{where}: expected a table, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SpecError(f"{where}.{unknown[0]}: unknown field (allowed: {', '.join(known)})")
    kwargs: dict[str, Any] = {}
    for name, f in known.items():
        path = f"{where}.{name}" if where else name
        if name not in data:
            if f.default is not MISSING or f.default_factory is not MISSING:
                continue
            raise SpecError(f"{path}: missing")
        value = data[name]
        sub = _SUBTABLES.get((cls, name))
        if sub is not None:
            kwargs[name] = _build(sub, value, path)
        else:
            kwargs[name] = _coerce(value, f.type, path)
    return cls(**kwargs)


def _coerce(value: Any, type_name: Any, path: str) -> Any:
    t = str(type_name)
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"{path}: expected an integer, got {value!r}")
        return value
    if t == "float | None" and value is None:  # JSON null: the field unset
        return None
    if t in ("float", "float | None"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if t == "str | None" and value is None:  # JSON null: the field unset
        return None
    if t in ("str", "str | None") or t.startswith("Literal"):
        if not isinstance(value, str):
            raise SpecError(f"{path}: expected a string, got {value!r}")
        return value
    if t == "dict[str, float]":
        if not isinstance(value, dict):
            raise SpecError(f"{path}: expected a table, got {value!r}")
        return {str(k): _coerce(v, "float", f"{path}.{k}") for k, v in value.items()}
    if t.startswith("dict"):
        if not isinstance(value, dict):
            raise SpecError(f"{path}: expected a table, got {value!r}")
        return {str(k): str(v) for k, v in value.items()}
    raise SpecError(f"{path}: unsupported field type {t}")  # pragma: no cover - programming error


_SUBTABLES: dict[tuple[type, str], type] = {
    (DeviceSpec, "stack"): Stack,
    (DeviceSpec, "reram"): Reram,
    (DeviceSpec, "heater"): Heater,
    (DeviceSpec, "array"): Array,
    (DeviceSpec, "mesh"): MeshSizes,
    (DeviceSpec, "lines"): Lines,
    **{(Stack, f.name): Layer for f in fields(Stack)},
}


def spec_from_dict(data: dict[str, Any]) -> DeviceSpec:
    """Build and validate a spec from a (TOML-shaped) dict."""
    spec: DeviceSpec = _build(DeviceSpec, data, "")
    validate(spec)
    return spec


def load_spec(path: str | Path | None = None) -> DeviceSpec:
    """Read and validate a device spec TOML; ``None`` gives the embedded default device."""
    if path is None:
        text = resources.files("meshes").joinpath("default_device.toml").read_text()
        where = "embedded default_device.toml"
    else:
        p = Path(path)
        text = read_text(p, SpecError, "device spec file")
        where = str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: not valid TOML: {exc}") from exc
    return spec_from_dict(data)


def default_spec() -> DeviceSpec:
    """The embedded default device (3 x 3 array, heater on top)."""
    return load_spec(None)


# --- validation ----------------------------------------------------------------------------


def _positive(path: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise SpecError(f"{path}: must be a positive number of nm, got {value!r}")


def _material(path: str, name: str) -> None:
    if name not in MATERIALS:
        raise SpecError(
            f"{path}: unknown material {name!r} (known: {', '.join(known_materials())})"
        )


def validate(spec: DeviceSpec) -> None:
    """Raise ``SpecError`` naming the first bad field; return None when the spec is buildable."""
    for f in fields(Stack):
        layer: Layer = getattr(spec.stack, f.name)
        _material(f"stack.{f.name}.material", layer.material)
        _positive(f"stack.{f.name}.thickness_nm", layer.thickness_nm)
    r, h, a, m = spec.reram, spec.heater, spec.array, spec.mesh
    _material("reram.filament_material", r.filament_material)
    _positive("reram.footprint_nm", r.footprint_nm)
    _positive("reram.filament_radius_nm", r.filament_radius_nm)
    _material("heater.material", h.material)
    _material("heater.spacer_material", h.spacer_material)
    for name in ("length_nm", "width_nm", "thickness_nm", "gap_nm"):
        _positive(f"heater.{name}", getattr(h, name))
    if h.placement not in ("top", "side"):
        raise SpecError(f"heater.placement: must be 'top' or 'side', got {h.placement!r}")
    for name in ("rows", "cols"):
        n = getattr(a, name)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise SpecError(f"array.{name}: must be an integer >= 1, got {n!r}")
    _positive("array.pitch_nm", a.pitch_nm)
    _positive("array.margin_nm", a.margin_nm)
    if a.boundary not in ("adiabatic", "periodic"):
        raise SpecError(f"array.boundary: must be 'adiabatic' or 'periodic', got {a.boundary!r}")
    for name in ("filament_nm", "device_nm", "far_nm"):
        _positive(f"mesh.{name}", getattr(m, name))
    if not (math.isfinite(m.refine) and 0.1 <= m.refine <= 16):
        raise SpecError(f"mesh.refine: must be in [0.1, 16], got {m.refine!r}")
    if m.bulk_nm is not None:
        _positive("mesh.bulk_nm", m.bulk_nm)
        if m.bulk_nm < m.far_nm:
            raise SpecError(
                f"mesh.bulk_nm: {m.bulk_nm:g} nm must be at least mesh.far_nm = {m.far_nm:g} nm "
                "(it is the size beyond the array's block)"
            )
    interface_pairs(spec.interfaces)
    _validate_lines(spec)

    if 2 * r.filament_radius_nm >= r.footprint_nm:
        raise SpecError(
            f"reram.filament_radius_nm: filament diameter {2 * r.filament_radius_nm:g} nm must be "
            f"smaller than reram.footprint_nm = {r.footprint_nm:g} nm"
        )
    if r.footprint_nm >= a.pitch_nm:
        raise SpecError(
            f"reram.footprint_nm: {r.footprint_nm:g} nm must be smaller than array.pitch_nm = "
            f"{a.pitch_nm:g} nm, or neighbouring cells overlap"
        )
    if h.placement == "top":
        for name in ("length_nm", "width_nm"):
            v = getattr(h, name)
            if v >= a.pitch_nm:
                raise SpecError(
                    f"heater.{name}: {v:g} nm must be smaller than array.pitch_nm = "
                    f"{a.pitch_nm:g} nm, or neighbouring heaters touch"
                )
    else:
        reach = r.footprint_nm / 2 + h.gap_nm + h.width_nm
        if reach + r.footprint_nm / 2 >= a.pitch_nm:
            raise SpecError(
                f"heater.width_nm: a side heater reaches {reach:g} nm from the cell centre and "
                f"overlaps the next cell's pillar (array.pitch_nm = {a.pitch_nm:g} nm)"
            )
        if a.boundary == "periodic" and reach >= a.pitch_nm / 2:
            raise SpecError(
                f"heater.width_nm: a side heater reaches {reach:g} nm from the cell centre, "
                f"across the cell's edge at array.pitch_nm / 2 = {a.pitch_nm / 2:g} nm, which "
                "a periodic array (array.boundary) does not allow"
            )
        if reach > a.pitch_nm / 2 + a.margin_nm:
            raise SpecError(
                f"array.margin_nm: {a.margin_nm:g} nm leaves the last column's side heater "
                "outside the domain"
            )
        if h.length_nm >= a.pitch_nm:
            raise SpecError(
                f"heater.length_nm: {h.length_nm:g} nm must be smaller than array.pitch_nm = "
                f"{a.pitch_nm:g} nm"
            )
        z_bottom, z_top = heater_z_range_nm(spec)
        ild_bottom = spec.stack.substrate.thickness_nm + spec.stack.isolation.thickness_nm
        if z_bottom <= ild_bottom:
            limit = (z_bottom + z_top) - 2 * ild_bottom
            raise SpecError(
                "heater.thickness_nm: a side heater is centred on the switching oxide and must "
                f"stay inside the ILD: it must be thinner than {limit:g} nm"
            )
    top_feature = (
        heater_z_range_nm(spec)[1]
        if h.placement == "top"
        else max(heater_z_range_nm(spec)[1], pillar_top_nm(spec))
    )
    domain_top = domain_top_nm(spec)
    if top_feature >= domain_top:
        need = top_feature - spec.stack.substrate.thickness_nm - spec.stack.isolation.thickness_nm
        raise SpecError(
            f"stack.ild.thickness_nm: {spec.stack.ild.thickness_nm:g} nm must exceed {need:g} nm "
            "(pillar, spacer and heater must be buried in the ILD)"
        )


def _validate_lines(spec: DeviceSpec) -> None:
    ln, a = spec.lines, spec.array
    if ln.heater_lead_material is not None:
        _material("lines.heater_lead_material", ln.heater_lead_material)
    if ln.word_material is None:
        return
    _material("lines.word_material", ln.word_material)
    _positive("lines.word_width_nm", ln.word_width_nm)
    _positive("lines.word_thickness_nm", ln.word_thickness_nm)
    if ln.word_width_nm >= a.pitch_nm:
        raise SpecError(
            f"lines.word_width_nm: {ln.word_width_nm:g} nm must be smaller than array.pitch_nm "
            f"= {a.pitch_nm:g} nm, or the word lines of neighbouring rows touch"
        )
    iso = spec.stack.isolation.thickness_nm
    if ln.word_thickness_nm >= iso:
        raise SpecError(
            f"lines.word_thickness_nm: {ln.word_thickness_nm:g} nm must be thinner than the "
            f"isolation oxide it sits in (stack.isolation.thickness_nm = {iso:g} nm)"
        )


MAX_INTERFACE_RESISTANCE_M2K_PER_W = 1e-6
"""Larger than any measured solid-solid interface (1e-6 m^2K/W is 1 um of SiO2): a typo."""


def interface_pair(key: str) -> frozenset[str]:
    """The unordered material pair an ``interfaces`` key "A/B" names (unchecked)."""
    return frozenset(n.strip() for n in key.split("/"))


def interface_pairs(table: dict[str, float]) -> dict[frozenset[str], float]:
    """The ``interfaces`` table keyed by unordered material pair; raises ``SpecError`` naming
    ``interfaces.<key>`` for a malformed key, an unknown material, a pair given twice or a
    resistance outside [0, 1e-6] m^2K/W."""
    pairs: dict[frozenset[str], float] = {}
    for key, value in table.items():
        path = f"interfaces.{key}"
        names = [n.strip() for n in key.split("/")]
        if len(names) != 2 or not all(names):
            raise SpecError(f'{path}: a key names two materials, "A/B", e.g. "TiN/SiO2"')
        for name in names:
            _material(path, name)
        if names[0] == names[1]:
            raise SpecError(f"{path}: a material has no interface with itself")
        pair = frozenset(names)
        if pair in pairs:
            raise SpecError(f"{path}: the pair is given twice (the order does not matter)")
        if not (
            isinstance(value, int | float)
            and math.isfinite(value)
            and 0 <= value <= MAX_INTERFACE_RESISTANCE_M2K_PER_W
        ):
            raise SpecError(
                f"{path}: must be a resistance in [0, {MAX_INTERFACE_RESISTANCE_M2K_PER_W:g}] "
                f"m^2K/W (measured film interfaces: 1e-9 to 1e-7), got {value!r}"
            )
        pairs[pair] = float(value)
    return pairs


# --- derived geometry (nm) shared by the builder and the nominal volumes -------------------


def pillar_top_nm(spec: DeviceSpec) -> float:
    """z of the top-electrode top surface [nm] (z = 0 is the heatsink)."""
    s = spec.stack
    return (
        s.substrate.thickness_nm
        + s.isolation.thickness_nm
        + s.bottom_electrode.thickness_nm
        + s.switching_oxide.thickness_nm
        + s.top_electrode.thickness_nm
    )


def heater_z_range_nm(spec: DeviceSpec) -> tuple[float, float]:
    """(bottom, top) z of the heater [nm]."""
    h, s = spec.heater, spec.stack
    if h.placement == "top":
        z0 = pillar_top_nm(spec) + h.gap_nm
        return z0, z0 + h.thickness_nm
    oxide_mid = (
        s.substrate.thickness_nm
        + s.isolation.thickness_nm
        + s.bottom_electrode.thickness_nm
        + s.switching_oxide.thickness_nm / 2
    )
    return oxide_mid - h.thickness_nm / 2, oxide_mid + h.thickness_nm / 2


def domain_top_nm(spec: DeviceSpec) -> float:
    """z of the top boundary [nm]."""
    s = spec.stack
    return s.substrate.thickness_nm + s.isolation.thickness_nm + s.ild.thickness_nm


def domain_half_widths_nm(spec: DeviceSpec) -> tuple[float, float]:
    """Half extents (x, y) of the domain [nm]; the array is centred on x = y = 0. A periodic
    array spans exactly its cells (``Array``)."""
    a = spec.array
    if a.boundary == "periodic":
        return a.cols * a.pitch_nm / 2, a.rows * a.pitch_nm / 2
    return (
        (a.cols - 1) / 2 * a.pitch_nm + a.pitch_nm / 2 + a.margin_nm,
        (a.rows - 1) / 2 * a.pitch_nm + a.pitch_nm / 2 + a.margin_nm,
    )


def cell_centre_nm(spec: DeviceSpec, row: int, col: int) -> tuple[float, float]:
    """(x, y) centre of cell (row, col) [nm]; row 0 is at the most negative y."""
    a = spec.array
    return ((col - (a.cols - 1) / 2) * a.pitch_nm, (row - (a.rows - 1) / 2) * a.pitch_nm)


# --- mesh sizes (nm): one home for the size boxes, used by the mesher and the size guard ----


@dataclass(frozen=True)
class SizeBox:
    """A Gmsh ``Box`` size field [nm]: ``size_nm`` inside [x0, x1] x [y0, y1] x [z0, z1],
    growing linearly to the far size over ``ramp_nm`` outside it."""

    x0: float
    x1: float
    y0: float
    y1: float
    z0: float
    z1: float
    size_nm: float
    ramp_nm: float


def size_boxes_nm(spec: DeviceSpec) -> list[SizeBox]:
    """Two boxes per cell, row-major: the filament (``mesh.filament_nm``) and the cell's
    pillar, spacer and heater (``mesh.device_nm``); all sizes divided by ``mesh.refine``."""
    m, s, r, h, a = spec.mesh, spec.stack, spec.reram, spec.heater, spec.array
    z_ild = s.substrate.thickness_nm + s.isolation.thickness_nm
    z_ox = z_ild + s.bottom_electrode.thickness_nm
    z_te = z_ox + s.switching_oxide.thickness_nm
    z_h0, z_h1 = heater_z_range_nm(spec)
    reach = max(r.footprint_nm, h.length_nm, r.footprint_nm + 2 * (h.gap_nm + h.width_nm)) / 2
    boxes = []
    for row in range(a.rows):
        for col in range(a.cols):
            cx, cy = cell_centre_nm(spec, row, col)
            for half, z0, z1, size, ramp in (
                (r.filament_radius_nm, z_ox, z_te, m.filament_nm, 3 * r.filament_radius_nm),
                (reach, min(z_ild, z_h0), max(z_te, z_h1), m.device_nm, a.pitch_nm / 2),
            ):
                boxes.append(
                    SizeBox(
                        cx - half, cx + half, cy - half, cy + half, z0, z1, size / m.refine, ramp
                    )
                )
    return boxes


def line_boxes_nm(spec: DeviceSpec) -> list[SizeBox]:
    """One box per metal line (``Lines``) at the size of its thickness (capped by the far
    size), so a thin line long through coarse regions keeps shapely elements."""
    ln, s, h, a = spec.lines, spec.stack, spec.heater, spec.array
    far = spec.mesh.far_nm / spec.mesh.refine
    hx, hy = domain_half_widths_nm(spec)
    boxes = []
    if ln.word_material is not None:
        z_ild = s.substrate.thickness_nm + s.isolation.thickness_nm
        size = min(ln.word_thickness_nm / spec.mesh.refine, far)
        for row in range(a.rows):
            cy = cell_centre_nm(spec, row, 0)[1]
            half = ln.word_width_nm / 2
            boxes.append(
                SizeBox(
                    -hx,
                    hx,
                    cy - half,
                    cy + half,
                    z_ild - ln.word_thickness_nm,
                    z_ild,
                    size,
                    ln.word_thickness_nm,
                )
            )
    if ln.heater_lead_material is not None:
        z0, z1 = heater_z_range_nm(spec)
        size = min(h.thickness_nm / spec.mesh.refine, far)
        for i in range(a.rows if h.placement == "top" else a.cols):
            if h.placement == "top":
                cy = cell_centre_nm(spec, i, 0)[1]
                box = SizeBox(
                    -hx, hx, cy - h.width_nm / 2, cy + h.width_nm / 2, z0, z1, size, h.thickness_nm
                )
            else:
                x0 = cell_centre_nm(spec, 0, i)[0] + spec.reram.footprint_nm / 2 + h.gap_nm
                box = SizeBox(x0, x0 + h.width_nm, -hy, hy, z0, z1, size, h.thickness_nm)
            boxes.append(box)
    return boxes


BULK_GROWTH = 0.4
"""Slope of the element size from ``far_nm`` at the array's block to ``bulk_nm`` beyond it."""


def array_block_nm(spec: DeviceSpec) -> SizeBox | None:
    """The array's block, meshed at ``far_nm`` and ramped to ``bulk_nm`` outside: every cell
    (half a pitch around each) from a pitch below the isolation to the top. None when
    ``bulk_nm`` is not above ``far_nm`` (one far size everywhere)."""
    m, a = spec.mesh, spec.array
    far, bulk = m.far_nm / m.refine, (m.bulk_nm or m.far_nm) / m.refine
    if bulk <= far:
        return None
    x, y = a.cols * a.pitch_nm / 2, a.rows * a.pitch_nm / 2
    z0 = max(0.0, spec.stack.substrate.thickness_nm - a.pitch_nm)
    return SizeBox(-x, x, -y, y, z0, domain_top_nm(spec), far, (bulk - far) / BULK_GROWTH)


TETRAHEDRA_PER_SIZE_CUBED = 4.9
"""Tetrahedra per h^3 of volume meshed at size h (calibrated on the default device and
variants: the estimate is within 25 % of Gmsh's count, tests/meshes)."""
MAX_TETRAHEDRA = 2_000_000
"""Above this estimated count a mesh needs ``force`` (several GB of memory in the FE stage)."""


def estimated_tetrahedra(spec: DeviceSpec) -> int:
    """Tetrahedra Gmsh will make, from the size field alone: TETRAHEDRA_PER_SIZE_CUBED x the
    integral of h(x)^-3 over the domain. Each box contributes its excess over the far size,
    int (h^-3 - far^-3) dV over the box grown by its ramp (Minkowski sum with a ball: dV/dd =
    2(AB + BC + CA) + 2 pi (A + B + C) d + 4 pi d^2); a filament's excess is taken over the
    device size, inside which it lies."""
    far = spec.mesh.far_nm / spec.mesh.refine
    hx, hy = domain_half_widths_nm(spec)
    block = array_block_nm(spec)
    if block is None:
        total = 4 * hx * hy * domain_top_nm(spec) / far**3
    else:  # the bulk size everywhere, the block's excess over it (clipped to the domain)
        bulk = (spec.mesh.bulk_nm or far) / spec.mesh.refine
        total = 4 * hx * hy * domain_top_nm(spec) / bulk**3
        total += _box_excess(block, bulk, bulk) * _inside_fraction(spec, block)
    boxes = size_boxes_nm(spec)
    for fil, dev in zip(boxes[0::2], boxes[1::2], strict=True):
        total += _box_excess(dev, far, far) + _box_excess(fil, far, dev.size_nm)
    for line in line_boxes_nm(spec):
        total += _box_excess(line, far, far)
    return int(TETRAHEDRA_PER_SIZE_CUBED * total)


def _inside_fraction(spec: DeviceSpec, box: SizeBox) -> float:
    """Rough share of a box grown by its ramp that lies inside the domain (per axis, the
    grown extent clipped to the domain's)."""
    hx, hy = domain_half_widths_nm(spec)
    top = domain_top_nm(spec)
    share = 1.0
    for lo, hi, d_lo, d_hi in (
        (box.x0, box.x1, -hx, hx),
        (box.y0, box.y1, -hy, hy),
        (box.z0, box.z1, 0.0, top),
    ):
        grown = (lo - box.ramp_nm / 2, hi + box.ramp_nm / 2)
        inside = max(0.0, min(grown[1], d_hi) - max(grown[0], d_lo))
        share *= inside / (grown[1] - grown[0])
    return share


def _box_excess(box: SizeBox, far: float, floor: float) -> float:
    """int over the grown box of (h^-3 - floor^-3)^+ dV, h = size inside, linear to ``far``
    over the ramp."""
    a, b, c = box.x1 - box.x0, box.y1 - box.y0, box.z1 - box.z0
    inner = a * b * c * max(box.size_nm**-3 - floor**-3, 0.0)
    d = [box.ramp_nm * (k + 0.5) / 64 for k in range(64)]  # midpoint rule over the ramp
    shell = 0.0
    for x in d:
        area = 2 * (a * b + b * c + c * a) + 2 * math.pi * (a + b + c) * x + 4 * math.pi * x * x
        size = box.size_nm + (far - box.size_nm) * x / box.ramp_nm
        shell += area * max(size**-3 - floor**-3, 0.0) * box.ramp_nm / 64
    return inner + shell
