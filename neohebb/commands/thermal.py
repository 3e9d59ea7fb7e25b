"""``neohebb thermal DIR``: transient FE heat flow -> thermal impedance and crosstalk."""

from __future__ import annotations

import argparse

HELP = "solve heat flow on DIR/device.msh -> DIR/response.npz (Z[t, probe, heater], R)"
DESCRIPTION = """\
Read DIR/device.msh + device.json (from `neohebb mesh`), solve the transient heat equation
with dolfinx (T = T_ambient on `heatsink`, adiabatic elsewhere unless h_top_w_per_m2k > 0) and
write into DIR:
  response.npz   t [s], Z [t, probe, heater] [K/W], R [probe, heater] [K/W], probes, heaters,
                 and the reduced modal model (rate_per_s, input_matrix, output_matrix)
  thermal.json   materials used per group, boundary conditions, element, time grid, solver,
                 energy balance (heatsink flux / heater power) and model-reduction error
  fields.xdmf    temperature rise per watt of the centre heater at a few times (ParaView)
  thermal_Z.png, thermal_map.png

Settings come from the [thermal] table of a run configuration (--config; see
`neohebb run --print-default`). Under MPI: `mpiexec -n 2 neohebb thermal DIR`.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="directory holding device.msh and device.json")
    parser.add_argument("--config", help="run configuration TOML whose [thermal] table is used")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG pictures")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def handle(args: argparse.Namespace) -> int:
    from mpi4py import MPI

    from neohebb.config import config_table
    from thermal.config import thermal_config_from_dict
    from thermal.stage import run_thermal

    config = thermal_config_from_dict(config_table(args.config, "thermal"))
    out = run_thermal(args.dir, config, plots=not args.no_plots, progress=not args.quiet)
    if MPI.COMM_WORLD.rank == 0:
        print(
            f"thermal response written to {out}/ (response.npz, thermal.json, fields.xdmf"
            f"{'' if args.no_plots else ', thermal_Z.png, thermal_map.png'})"
        )
    return 0
