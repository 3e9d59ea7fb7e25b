"""The ``neohebb`` command line: a thin argparse layer over the stage functions.

Library code raises; only ``main`` turns a stage error into a message and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from neohebb import __version__
from neohebb.commands import fit, maze, mesh, run, sweep, thermal

COMMANDS: dict[str, ModuleType] = {
    "mesh": mesh,
    "thermal": thermal,
    "fit": fit,
    "maze": maze,
    "sweep": sweep,
    "run": run,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neohebb",
        description="Thermal co-design of neoHebbian synapses: geometry (mesh) -> FE heat flow "
        "-> compact model card -> e-prop learning. Each stage reads the files the previous "
        "one wrote; `neohebb run` chains them.",
    )
    parser.add_argument("--version", action="version", version=f"neohebb {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each step")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=module.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_args(p)
        p.set_defaults(handler=module.handle)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input)."""
    from devicefit.card import CardError
    from meshes.spec import SpecError
    from neohebb.config import ConfigError
    from snn.agent import AgentError
    from snn.maze import MazeError
    from thermal.config import ThermalError

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.handler(args)
    except (SpecError, ConfigError, ThermalError, CardError, AgentError, MazeError) as exc:
        print(f"neohebb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BaseException:
        _abort_other_ranks()
        raise
    return code


def _abort_other_ranks() -> None:
    """Under mpiexec a failure on one rank would leave the others waiting in a collective
    forever: print the traceback and abort the whole job instead."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.COMM_WORLD.size > 1:
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        mpi.COMM_WORLD.Abort(1)


if __name__ == "__main__":
    sys.exit(main())
