"""``neohebb mesh [SPEC] --out DIR``: build the 3D device mesh from a device spec."""

from __future__ import annotations

import argparse

HELP = "build the 3D heater + ReRAM device mesh (device.msh/json/png)"
DESCRIPTION = """\
Build a parametric 3D heater + ReRAM array with Gmsh and write DIR/device.msh (Gmsh 4.1,
coordinates in nm, named physical groups), DIR/device.json (spec echo, group table with
nominal volumes in m^3, content hash) and DIR/device.png (a cut-away picture).

SPEC is a device TOML; without it the embedded default (a 3 x 3 array, TiN heater on top of a
HfO2 ReRAM, 200 nm pitch) is used. `neohebb mesh --print-default > my.toml` gives a commented
starting point. A bad spec is refused before meshing, naming the field; nothing is written.
So is a spec whose mesh is estimated above 2 million tetrahedra, unless --force. Meshing in
an existing DIR removes the later stages' outputs there (they belong to the old device).
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", nargs="?", help="device spec TOML (default: embedded device)")
    parser.add_argument("--out", "-o", default="results/mesh", help="output directory")
    parser.add_argument(
        "--refine",
        type=float,
        default=None,
        help="mesh refinement factor: divides every mesh size (default: spec)",
    )
    parser.add_argument("--no-picture", action="store_true", help="skip device.png")
    parser.add_argument(
        "--force",
        action="store_true",
        help="mesh even when the estimated size exceeds the limit (several GB in the FE stage)",
    )
    parser.add_argument(
        "--print-default", action="store_true", help="print the embedded default spec TOML and exit"
    )


def handle(args: argparse.Namespace) -> int:
    from importlib import resources

    from meshes.device import build_device
    from meshes.spec import load_spec

    if args.print_default:
        print(resources.files("meshes").joinpath("default_device.toml").read_text(), end="")
        return 0
    spec = load_spec(args.spec)
    if args.refine is not None:
        spec = spec.with_refine(args.refine)
    out = build_device(spec, args.out, picture=not args.no_picture, force=args.force)
    print(
        f"device mesh written to {out}/ (device.msh, device.json"
        f"{'' if args.no_picture else ', device.png'})"
    )
    return 0
