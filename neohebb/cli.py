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
from neohebb.commands import (
    fit,
    maze,
    mesh,
    run,
    study,
    sweep,
    sweep_compare,
    thermal,
    timit,
    timit_sweep,
)

COMMANDS: dict[str, ModuleType] = {
    "mesh": mesh,
    "thermal": thermal,
    "fit": fit,
    "maze": maze,
    "sweep": sweep,
    "timit": timit,
    "timit-sweep": timit_sweep,
    "sweep-compare": sweep_compare,
    "study": study,
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
    """Entry point; returns the exit code (0 ok, 2 bad input, 130 interrupted)."""
    from meshes.files import StageError

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.handler(args)
    except StageError as exc:
        print(f"neohebb {args.command}: error: {exc}", file=sys.stderr)
        _abort_other_ranks(code=2, show_traceback=False)
        return 2
    except KeyboardInterrupt:
        print(
            f"neohebb {args.command}: interrupted; this stage's partial outputs were removed",
            file=sys.stderr,
        )
        _abort_other_ranks(code=130, show_traceback=False)
        return 130
    except BaseException:
        _abort_other_ranks()
        raise
    return code


def _abort_other_ranks(code: int = 1, *, show_traceback: bool = True) -> None:
    """Under mpiexec a failure on one rank would leave the others waiting in a collective
    forever: abort the whole job instead (after the traceback of an unexpected error)."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.COMM_WORLD.size > 1:
        if show_traceback:
            import traceback

            traceback.print_exc()
        sys.stderr.flush()
        mpi.COMM_WORLD.Abort(code)


if __name__ == "__main__":
    sys.exit(main())
