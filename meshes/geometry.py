"""Gmsh OCC geometry of a heater + ReRAM array, with named physical groups and size fields.

The builder works on the current Gmsh model in nanometres (OCC is unreliable on 1e-9 sized
boxes); file output lives in ``meshes.device``. Every tetrahedron belongs to exactly one
volume group, so the groups tile the domain:

* one group per stack region: ``substrate``, ``isolation``, ``bottom_electrode``,
  ``switching_oxide`` (without the filaments), ``top_electrode``, ``ild`` and, for top
  heaters, ``heater_spacer``;
* per cell (row i, column j): ``heater_r{i}_c{j}`` and ``reram_r{i}_c{j}`` (the filament);
* with ``[lines]``: ``word_line_r{i}`` and ``heater_lead_r{i}`` (top heaters) or
  ``heater_lead_c{j}`` (side heaters), metal lines through the whole array;
* boundary groups ``heatsink`` (z = 0) and ``top`` (z = domain top).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import gmsh

from meshes.cells import array_cells
from meshes.info import Group
from meshes.spec import (
    BULK_GROWTH,
    LENGTH_UNIT_M,
    DeviceSpec,
    SizeBox,
    SpecError,
    array_block_nm,
    cell_centre_nm,
    domain_half_widths_nm,
    domain_top_nm,
    heater_z_range_nm,
    line_boxes_nm,
    size_boxes_nm,
)

VOLUME_UNIT_M3 = LENGTH_UNIT_M**3
AREA_UNIT_M2 = LENGTH_UNIT_M**2
BOUNDARY_TAGS = {"heatsink": 1001, "top": 1002}
CURVE_SEGMENTS_PER_TURN = 24
"""Elements per 2*pi on curved edges at refine = 1 (sets the filament's polygon error)."""


@dataclass(frozen=True)
class _Region:
    name: str
    material: str
    nominal_volume_nm3: float


def _regions(spec: DeviceSpec) -> list[_Region]:
    """Stack-level regions in priority order (a later region owns the overlap with an earlier)."""
    s, r, h, a = spec.stack, spec.reram, spec.heater, spec.array
    hx, hy = domain_half_widths_nm(spec)
    plan = 4 * hx * hy
    n = a.rows * a.cols
    fil = math.pi * r.filament_radius_nm**2 * s.switching_oxide.thickness_nm
    pillar = r.footprint_nm**2 * (
        s.bottom_electrode.thickness_nm
        + s.switching_oxide.thickness_nm
        + s.top_electrode.thickness_nm
    )
    heater = h.length_nm * h.width_nm * h.thickness_nm
    spacer = h.length_nm * h.width_nm * h.gap_nm if h.placement == "top" else 0.0
    ln = spec.lines
    word = 0.0 if ln.word_material is None else ln.word_width_nm * ln.word_thickness_nm * 2 * hx
    lead = 0.0
    if ln.heater_lead_material is not None:
        across = (
            2 * hx - a.cols * h.length_nm if h.placement == "top" else 2 * hy - a.rows * h.length_nm
        )
        lead = h.width_nm * h.thickness_nm * across
    n_leads = a.rows if h.placement == "top" else a.cols
    regions = [
        _Region("substrate", s.substrate.material, plan * s.substrate.thickness_nm),
        _Region("isolation", s.isolation.material, plan * s.isolation.thickness_nm - a.rows * word),
        _Region(
            "ild",
            s.ild.material,
            plan * s.ild.thickness_nm - n * (pillar + spacer + heater) - n_leads * lead,
        ),
        _Region(
            "bottom_electrode",
            s.bottom_electrode.material,
            n * r.footprint_nm**2 * s.bottom_electrode.thickness_nm,
        ),
        _Region(
            "switching_oxide",
            s.switching_oxide.material,
            n * (r.footprint_nm**2 * s.switching_oxide.thickness_nm - fil),
        ),
        _Region(
            "top_electrode",
            s.top_electrode.material,
            n * r.footprint_nm**2 * s.top_electrode.thickness_nm,
        ),
    ]
    if h.placement == "top":
        regions.append(_Region("heater_spacer", h.spacer_material, n * spacer))
    if ln.word_material is not None:
        regions += [_Region(f"word_line_r{i}", ln.word_material, word) for i in range(a.rows)]
    if ln.heater_lead_material is not None:
        axis = "r" if h.placement == "top" else "c"
        regions += [
            _Region(f"heater_lead_{axis}{i}", ln.heater_lead_material, lead) for i in range(n_leads)
        ]
    return regions


def build_geometry(spec: DeviceSpec) -> list[Group]:
    """Add the device to the current Gmsh model (nm), fragment it, name the groups.

    Returns the group table (nominal volumes/areas are the exact geometric values, in SI).
    """
    occ = gmsh.model.occ
    s, r, h = spec.stack, spec.reram, spec.heater
    hx, hy = domain_half_widths_nm(spec)
    z_iso = s.substrate.thickness_nm
    z_ild = z_iso + s.isolation.thickness_nm
    z_top = domain_top_nm(spec)
    z_ox = z_ild + s.bottom_electrode.thickness_nm
    z_te = z_ox + s.switching_oxide.thickness_nm
    z_h0, z_h1 = heater_z_range_nm(spec)
    fp = r.footprint_nm

    owners: list[str] = []  # region name of each OCC input, in priority order
    tags: list[int] = []

    def add(name: str, tag: int) -> None:
        owners.append(name)
        tags.append(tag)

    add("substrate", occ.addBox(-hx, -hy, 0.0, 2 * hx, 2 * hy, z_iso))
    add("isolation", occ.addBox(-hx, -hy, z_iso, 2 * hx, 2 * hy, z_ild - z_iso))
    ln = spec.lines
    if ln.word_material is not None:  # in the top of the isolation, under each row
        t, w = ln.word_thickness_nm, ln.word_width_nm
        for row in range(spec.array.rows):
            cy = cell_centre_nm(spec, row, 0)[1]
            add(f"word_line_r{row}", occ.addBox(-hx, cy - w / 2, z_ild - t, 2 * hx, w, t))
    add("ild", occ.addBox(-hx, -hy, z_ild, 2 * hx, 2 * hy, z_top - z_ild))
    if ln.heater_lead_material is not None:  # the heaters' own line; the heaters own their part
        if h.placement == "top":
            for row in range(spec.array.rows):
                cy = cell_centre_nm(spec, row, 0)[1]
                box = occ.addBox(-hx, cy - h.width_nm / 2, z_h0, 2 * hx, h.width_nm, z_h1 - z_h0)
                add(f"heater_lead_r{row}", box)
        else:
            for col in range(spec.array.cols):
                x0 = cell_centre_nm(spec, 0, col)[0] + fp / 2 + h.gap_nm
                box = occ.addBox(x0, -hy, z_h0, h.width_nm, 2 * hy, z_h1 - z_h0)
                add(f"heater_lead_c{col}", box)
    for cell in array_cells(spec.array.rows, spec.array.cols):
        heater_name, reram_name = cell.heater, cell.reram
        cx, cy = cell_centre_nm(spec, cell.row, cell.col)
        x0, y0 = cx - fp / 2, cy - fp / 2
        add("bottom_electrode", occ.addBox(x0, y0, z_ild, fp, fp, z_ox - z_ild))
        add("switching_oxide", occ.addBox(x0, y0, z_ox, fp, fp, z_te - z_ox))
        add("top_electrode", occ.addBox(x0, y0, z_te, fp, fp, s.top_electrode.thickness_nm))
        if h.placement == "top":
            hx0, hy0 = cx - h.length_nm / 2, cy - h.width_nm / 2
            add(
                "heater_spacer",
                occ.addBox(hx0, hy0, z_h0 - h.gap_nm, h.length_nm, h.width_nm, h.gap_nm),
            )
            add(heater_name, occ.addBox(hx0, hy0, z_h0, h.length_nm, h.width_nm, z_h1 - z_h0))
        else:
            hx0 = cx + fp / 2 + h.gap_nm
            add(
                heater_name,
                occ.addBox(hx0, cy - h.length_nm / 2, z_h0, h.width_nm, h.length_nm, z_h1 - z_h0),
            )
        add(reram_name, occ.addCylinder(cx, cy, z_ox, 0.0, 0.0, z_te - z_ox, r.filament_radius_nm))

    dimtags = [(3, t) for t in tags]
    _, children = occ.fragment(dimtags[:1], dimtags[1:])
    occ.synchronize()
    owner_of: dict[int, str] = {}
    for name, kids in zip(owners, children, strict=True):
        for dim, tag in kids:
            if dim == 3:
                owner_of[tag] = name  # later (higher-priority) inputs overwrite

    material = {reg.name: reg.material for reg in _regions(spec)}
    nominal = {reg.name: reg.nominal_volume_nm3 for reg in _regions(spec)}
    v_heater = h.length_nm * h.width_nm * h.thickness_nm
    v_fil = math.pi * r.filament_radius_nm**2 * s.switching_oxide.thickness_nm
    for cell in array_cells(spec.array.rows, spec.array.cols):
        material[cell.heater], nominal[cell.heater] = h.material, v_heater
        material[cell.reram], nominal[cell.reram] = r.filament_material, v_fil

    groups: list[Group] = []
    names = list(dict.fromkeys(owners))  # stable order of first appearance
    for tag, name in enumerate(names, start=1):
        volumes = sorted(t for t, o in owner_of.items() if o == name)
        if not volumes:
            raise SpecError(
                f"{name}: the region vanished when Gmsh fragmented the geometry (a feature "
                "smaller than Gmsh's tolerance?)"
            )
        gmsh.model.addPhysicalGroup(3, volumes, tag, name=name)
        groups.append(Group(name, 3, tag, material[name], nominal[name] * VOLUME_UNIT_M3))

    eps = 1e-6 * max(hx, hy, z_top)
    if spec.array.boundary == "periodic":
        _identify_opposite_walls(hx, hy, z_top, eps)
    for name, z in (("heatsink", 0.0), ("top", z_top)):
        faces = [
            t
            for _, t in gmsh.model.getEntitiesInBoundingBox(
                -hx - eps, -hy - eps, z - eps, hx + eps, hy + eps, z + eps, 2
            )
        ]
        gmsh.model.addPhysicalGroup(2, sorted(faces), BOUNDARY_TAGS[name], name=name)
        groups.append(
            Group(name, 2, BOUNDARY_TAGS[name], None, nominal_area_m2=4 * hx * hy * AREA_UNIT_M2)
        )
    return groups


def _identify_opposite_walls(hx: float, hy: float, z_top: float, eps: float) -> None:
    """Make the mesh of each wall face x = +hx (y = +hy) the translate of its partner at
    x = -hx (y = -hy), node for node, so the FE stage can identify them (periodic array)."""
    for axis, half in ((0, hx), (1, hy)):
        lo = [-hx - eps, -hy - eps, -eps]
        hi = [hx + eps, hy + eps, z_top + eps]
        faces = {}
        for side in (-1, 1):
            box_lo, box_hi = list(lo), list(hi)
            box_lo[axis] = box_hi[axis] = side * half
            box_lo[axis] -= eps
            box_hi[axis] += eps
            faces[side] = [t for _, t in gmsh.model.getEntitiesInBoundingBox(*box_lo, *box_hi, 2)]
        shift = [0.0, 0.0, 0.0]
        shift[axis] = 2 * half
        affine = [1, 0, 0, shift[0], 0, 1, 0, shift[1], 0, 0, 1, shift[2], 0, 0, 0, 1]
        masters = {_face_key(t, axis): t for t in faces[-1]}
        for slave in faces[1]:
            master = masters.get(_face_key(slave, axis))
            if master is None:
                raise SpecError(
                    "array.boundary: the side walls of a periodic array do not match (a "
                    "feature crosses a cell's edge?)"
                )
            gmsh.model.mesh.setPeriodic(2, [slave], [master], affine)


def _face_key(tag: int, axis: int) -> tuple[float, ...]:
    """A wall face's bounding box without its coordinate along ``axis`` (rounded, nm)."""
    box = gmsh.model.getBoundingBox(2, tag)
    return tuple(round(v, 3) for i, v in enumerate(box) if i % 3 != axis)


def set_mesh_sizes(spec: DeviceSpec) -> None:
    """Graded sizes by Gmsh Box fields (``meshes.spec.size_boxes_nm``): fine in filaments,
    medium around each cell, ``far_nm`` over the array's block, ``bulk_nm`` beyond it
    (``meshes.spec.array_block_nm``); every size divided by ``spec.mesh.refine``."""
    f = gmsh.model.mesh.field
    far = spec.mesh.far_nm / spec.mesh.refine
    fields: list[int] = []
    block = array_block_nm(spec)
    bulk = far if block is None else (spec.mesh.bulk_nm or far) / spec.mesh.refine
    boxes = size_boxes_nm(spec) + line_boxes_nm(spec) + ([] if block is None else [block])
    for b in boxes:
        ramp = box_ramp_nm(b, far, bulk, is_block=b is block)
        box = f.add("Box")
        for key, val in (
            ("XMin", b.x0),
            ("XMax", b.x1),
            ("YMin", b.y0),
            ("YMax", b.y1),
            ("ZMin", b.z0),
            ("ZMax", b.z1),
            ("VIn", b.size_nm),
            ("VOut", bulk),
            ("Thickness", ramp),
        ):
            f.setNumber(box, key, val)
        fields.append(box)
    lowest = f.add("Min")
    f.setNumbers(lowest, "FieldsList", fields)
    f.setAsBackgroundMesh(lowest)
    opt = gmsh.option.setNumber
    opt("Mesh.MeshSizeExtendFromBoundary", 0)
    opt("Mesh.MeshSizeFromPoints", 0)
    opt("Mesh.MeshSizeFromCurvature", round(CURVE_SEGMENTS_PER_TURN * spec.mesh.refine))
    opt("Mesh.MeshSizeMax", bulk)


def box_ramp_nm(box: SizeBox, far: float, bulk: float, *, is_block: bool) -> float:
    """The distance over which a size box grows to the bulk size. Every ramp ends at the bulk
    size; a cell's ramp keeps its slope (it reaches the far size at the same distance as
    without a bulk size, and inside the block the block's far size caps it); a box already at
    the far size grows at the block's slope. Without a bulk size (bulk = far) every box keeps
    its own ramp."""
    if is_block or bulk <= far:
        return box.ramp_nm
    if far > box.size_nm:
        return box.ramp_nm * (bulk - box.size_nm) / (far - box.size_nm)
    return max(box.ramp_nm, (bulk - box.size_nm) / BULK_GROWTH)


def generate_mesh() -> None:
    """Deterministic tetrahedral mesh: one thread, Delaunay 3D, fixed seed."""
    opt = gmsh.option.setNumber
    opt("General.NumThreads", 1)
    opt("Mesh.Algorithm", 6)
    opt("Mesh.Algorithm3D", 1)
    opt("Mesh.RandomSeed", 1)
    gmsh.model.mesh.generate(3)
