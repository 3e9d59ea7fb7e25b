"""Build a device mesh from a spec and write the ``meshes/`` stage outputs.

``DIR/device.msh`` (Gmsh 4.1, coordinates in nm, named physical groups), ``DIR/device.json``
(``meshes.info``: spec echo, group table with nominal volumes in m^3, stage record) and
``DIR/device.png``.

Gmsh runs in a child process (``python -m meshes.device``): its C++ mesher does not return
to Python until it is done, so in-process meshing could not be interrupted; the child is
killed on Ctrl-C (or any error) and nothing is written. A size guard refuses specs whose
estimated mesh is too large (``meshes.spec.estimated_tetrahedra``) before Gmsh starts,
unless ``force``.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from meshes.files import check_output_dir, stage_record, staged_output, write_json
from meshes.info import DEVICE_JSON_VERSION, Group, mesh_settings
from meshes.spec import (
    LENGTH_UNIT_M,
    MAX_TETRAHEDRA,
    DeviceSpec,
    SpecError,
    estimated_tetrahedra,
    spec_from_dict,
    validate,
)

log = logging.getLogger(__name__)


def check_size(spec: DeviceSpec, *, force: bool = False) -> int:
    """The estimated tetrahedron count; ``SpecError`` above ``MAX_TETRAHEDRA`` unless forced."""
    estimate = estimated_tetrahedra(spec)
    if estimate > MAX_TETRAHEDRA and not force:
        raise SpecError(
            f"mesh: about {estimate:,} tetrahedra estimated ({spec.array.rows} x "
            f"{spec.array.cols} cells, sizes {spec.mesh.filament_nm:g}/{spec.mesh.device_nm:g}/"
            f"{spec.mesh.far_nm:g} nm / refine {spec.mesh.refine:g}), above the "
            f"{MAX_TETRAHEDRA:,} limit (several GB in the FE stage); coarsen mesh.* or force it "
            "(--force, or [mesh] force = true in a run configuration)"
        )
    return estimate


def build_device(
    spec: DeviceSpec, out_dir: str | Path, *, picture: bool = True, force: bool = False
) -> Path:
    """Validate ``spec``, mesh it and write device.msh/json(/png) into ``out_dir``.

    Nothing is written when validation or meshing fails or is interrupted; the outputs of the
    later stages in ``out_dir`` (response, card, learning) are removed, since they belong to
    the device this one replaces. Returns ``out_dir``.
    """
    validate(spec)
    estimate = check_size(spec, force=force)
    out = check_output_dir(out_dir, SpecError)
    with staged_output(out, stage="mesh", error=SpecError) as scratch:
        msh = scratch / "device.msh"
        log.info(
            "meshing %s (%d x %d cells, refine %g, about %d tetrahedra)",
            spec.name,
            spec.array.rows,
            spec.array.cols,
            spec.mesh.refine,
            estimate,
        )
        groups, stats = _mesh_in_child(spec, msh)
        if picture:
            from meshes.picture import render_device

            render_device(msh, groups, scratch / "device.png", title=spec.name)
        record = stage_record(
            "mesh",
            mesh_settings(spec),
            {},
            {"device.msh": msh},
            pictures=("device.png",) if picture else (),
        )
        info: dict[str, Any] = {
            "schema_version": DEVICE_JSON_VERSION,
            "length_unit_m": LENGTH_UNIT_M,
            "spec": spec.to_dict(),
            "groups": [asdict(g) for g in groups],
            "mesh": stats,
            "stage": record,
        }
        write_json(scratch / "device.json", info)
    log.info("wrote %s", out)
    return out


def _mesh_in_child(spec: DeviceSpec, msh: Path) -> tuple[list[Group], dict[str, Any]]:
    """Run ``_mesh_to_file`` in a child ``python -m meshes.device`` (the spec as JSON on its
    stdin, groups and statistics as JSON on its stdout); kill it on any exception here."""
    child = subprocess.Popen(
        [sys.executable, "-m", "meshes.device", str(msh)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(json.dumps(spec.to_dict()))
    except BaseException:
        child.kill()
        child.wait()
        raise
    if child.returncode != 0:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        raise SpecError(
            f"mesh: Gmsh failed on {spec.name} (exit code {child.returncode}): "
            f"{lines[-1] if lines else 'no message'}"
        )
    result = json.loads(out)
    return [Group(**g) for g in result["groups"]], result["stats"]


def _main() -> None:
    """Child process entry: mesh the spec read from stdin into argv[1]."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides, and kills us on Ctrl-C
    spec = spec_from_dict(json.loads(sys.stdin.read()))
    groups, stats = _mesh_to_file(spec, Path(sys.argv[1]))
    sys.stdout.write(json.dumps({"groups": [asdict(g) for g in groups], "stats": stats}))


def _mesh_to_file(spec: DeviceSpec, msh: Path) -> tuple[list[Group], dict[str, Any]]:
    """Mesh in this process's own Gmsh session and write ``msh``."""
    import gmsh

    from meshes.geometry import (
        CURVE_SEGMENTS_PER_TURN,
        build_geometry,
        generate_mesh,
        set_mesh_sizes,
    )

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
        stats = {
            "n_nodes": len(node_tags),
            "n_tetrahedra": int(sum(len(t) for t in tet_tags)),
            "curve_segments_per_turn": round(CURVE_SEGMENTS_PER_TURN * spec.mesh.refine),
            "gmsh_version": gmsh.__version__,
        }
    finally:
        gmsh.finalize()
    return groups, stats


if __name__ == "__main__":
    _main()
