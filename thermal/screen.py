"""Steady screening of a device: its figures of merit from one factorisation, in seconds.

For a co-design study the transient and the fit are the costly part; the steady figures
already rank designs. With K the conductance matrix (heatsink rows eliminated), b_h a
heater's unit-power load and c_p a filament probe (both ``thermal.fe``):

    theta_c = K^-1 b_c     (the centre heater on, 1 W)
    psi_c   = K^-1 c_c     (the adjoint: how each source reaches the centre filament)

give, with one Cholesky factorisation and two solves,

    R_self       = c_c . theta_c             filament rise per heater watt [K/W]
    heater rise  = b_c . theta_c             the heater's own mean rise per watt [K/W]
    crosstalk_n  = c_n . theta_c / R_self    the centre heater on a neighbour's filament
    array sum    = sum_(h != c) b_h . psi_c / R_self
                                             every other heater of the array on the centre
                                             filament (all heaters at equal power)

(K is symmetric, so R[c, h] = c_c . K^-1 b_h = b_h . psi_c.) The heat leaving through the
heatsink per watt is the energy check (1 when the rest of the boundary is adiabatic).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from mpi4py import MPI

from meshes.cells import Cell, array_cells, reference_neighbours
from meshes.info import read_device
from meshes.spec import LENGTH_UNIT_M
from thermal.config import ThermalConfig, ThermalError, material_table
from thermal.fe import Domain, assemble_heat_system, direct_solver, read_device_mesh


@dataclass(frozen=True)
class SteadyFigures:
    """Steady figures of merit of a device's centre cell (``meshes.cells``), SI."""

    r_self_k_per_w: float
    heater_rise_k_per_w: float
    crosstalk_nearest: float | None
    crosstalk_diagonal: float | None
    crosstalk_array_sum: float
    heatsink_balance: float
    n_dofs: int
    seconds: dict[str, float]


def screen_device(
    device_dir: str | Path,
    config: ThermalConfig | None = None,
    *,
    comm: MPI.Comm = MPI.COMM_SELF,
) -> SteadyFigures:
    """The steady figures of DIR/device.msh (``neohebb mesh``); nothing is written."""
    cfg = config or ThermalConfig()
    clock = time.perf_counter()
    device = read_device(Path(device_dir), ThermalError)
    spec = device.spec
    materials = material_table(device.groups, cfg.materials)
    cells = array_cells(spec.array.rows, spec.array.cols)
    mesh, cell_tags, facet_tags, groups = read_device_mesh(device.msh, LENGTH_UNIT_M, comm)
    system = assemble_heat_system(
        Domain(mesh, cell_tags, facet_tags, groups, materials, spec.array.boundary == "periodic"),
        [c.heater for c in cells],
        [c.reram for c in cells],
        degree=cfg.degree,
        h_top_w_per_m2k=cfg.h_top_w_per_m2k,
        lumped_mass=cfg.mass_matrix == "lumped" and cfg.degree == 1,
    )
    assembled = time.perf_counter()
    centre, nearest, diagonal = reference_neighbours(spec.array.rows, spec.array.cols)
    c = cells.index(centre)
    ksp = direct_solver(system.stiffness, comm)
    theta = system.stiffness.createVecRight()
    psi = system.stiffness.createVecRight()
    try:
        ksp.setErrorIfNotConverged(True)  # a failed factorisation raises, never passes silently
        ksp.solve(system.loads[c], theta)
        ksp.solve(system.probes[c], psi)
    finally:
        ksp.destroy()
    solved = time.perf_counter()
    r_self = system.probes[c].dot(theta)

    def crosstalk(cell: Cell | None) -> float | None:
        return None if cell is None else float(system.probes[cells.index(cell)].dot(theta) / r_self)

    others = sum(system.loads[h].dot(psi) for h in range(len(cells)) if h != c)
    balance = system.heatsink_flux_w(theta)
    return SteadyFigures(
        r_self_k_per_w=float(r_self),
        heater_rise_k_per_w=float(system.loads[c].dot(theta)),
        crosstalk_nearest=crosstalk(nearest),
        crosstalk_diagonal=crosstalk(diagonal),
        crosstalk_array_sum=float(others / r_self),
        heatsink_balance=float(balance),
        n_dofs=int(system.stiffness.getSize()[0]),
        seconds={"read_assemble": assembled - clock, "factorise_solve": solved - assembled},
    )
