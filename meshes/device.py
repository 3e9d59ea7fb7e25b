"""Build a device mesh from a spec and write the ``meshes/`` stage outputs.

``DIR/device.msh`` (Gmsh 4.1, coordinates in nm, named physical groups), ``DIR/device.json``
(spec echo, group table with nominal volumes in m^3, content hashes) and ``DIR/device.png``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gmsh

from meshes.files import sha256_file, staged_output, write_json
from meshes.geometry import (
    CURVE_SEGMENTS_PER_TURN,
    Group,
    build_geometry,
    generate_mesh,
    set_mesh_sizes,
)
from meshes.spec import LENGTH_UNIT_M, DeviceSpec, validate

log = logging.getLogger(__name__)

DEVICE_JSON_VERSION = 1


def build_device(spec: DeviceSpec, out_dir: str | Path, *, picture: bool = True) -> Path:
    """Validate ``spec``, mesh it and write device.msh/json(/png) into ``out_dir``.

    Nothing is written when validation or meshing fails. Returns ``out_dir``.
    """
    validate(spec)
    out = Path(out_dir)
    with staged_output(out) as scratch:
        msh = scratch / "device.msh"
        log.info(
            "meshing %s (%d x %d cells, refine %g)",
            spec.name,
            spec.array.rows,
            spec.array.cols,
            spec.mesh.refine,
        )
        groups, stats = _mesh_to_file(spec, msh)
        info: dict[str, Any] = {
            "schema_version": DEVICE_JSON_VERSION,
            "length_unit_m": LENGTH_UNIT_M,
            "spec": spec.to_dict(),
            "groups": [asdict(g) for g in groups],
            "mesh": {
                **stats,
                "sha256": sha256_file(msh),
                "curve_segments_per_turn": round(CURVE_SEGMENTS_PER_TURN * spec.mesh.refine),
                "gmsh_version": gmsh.__version__,
            },
        }
        write_json(scratch / "device.json", info)
        if picture:
            from meshes.picture import render_device

            render_device(msh, groups, scratch / "device.png", title=spec.name)
    log.info("wrote %s", out)
    return out


def _mesh_to_file(spec: DeviceSpec, msh: Path) -> tuple[list[Group], dict[str, int]]:
    """Run Gmsh in its own session (the caller's Gmsh state is untouched when we own it)."""
    owns = not gmsh.isInitialized()
    if owns:
        gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Verbosity", 2)
        gmsh.model.add(spec.name)
        groups = build_geometry(spec)
        set_mesh_sizes(spec)
        generate_mesh()
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        gmsh.option.setNumber("Mesh.Binary", 0)
        gmsh.write(str(msh))
        node_tags, _, _ = gmsh.model.mesh.getNodes()
        _, tet_tags, _ = gmsh.model.mesh.getElements(3)
        stats = {"n_nodes": len(node_tags), "n_tetrahedra": int(sum(len(t) for t in tet_tags))}
        gmsh.model.remove()
    finally:
        if owns:
            gmsh.finalize()
    return groups, stats
