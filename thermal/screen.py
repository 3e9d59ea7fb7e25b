"""Steady screening of a device: its figures of merit from one factorisation, in seconds.

For a co-design study the transient and the fit are the costly part; the steady figures
already rank designs. With K the conductance matrix (heatsink rows eliminated), b_h a
heater's unit-power load and c_p a filament probe (both ``thermal.fe``):

    theta_c = K^-1 b_c     (the centre heater on, 1 W)
    psi_c   = K^-1 c_c     (the adjoint: how each source reaches the centre filament)

give, with one Cholesky factorisation and two solves,

    R_self       = c_c . theta_c             filament rise per heater watt [K/W]
    heater rise  = b_c . theta_c             the heater's own mean rise per watt [K/W]
    crosstalk_n  = c_n . theta_c / R_self    the centre heater on a neighbour's filament (along
                                             x, and along y: ``crosstalk_nearest_column``)
    array sum    = sum_(h != c) b_h . psi_c / R_self
                                             every other heater of the array on the centre
                                             filament (all heaters at equal power)

(K is symmetric, so R[c, h] = c_c . K^-1 b_h = b_h . psi_c.) The heat leaving through the
heatsink per watt is the energy check (1 when the rest of the boundary is adiabatic).

The mean time constant of a step response Z(t) -> R is its first moment,
tau_mean = int_0^inf (1 - Z(t) / R) dt. For M dtheta/dt + K theta = b it is exact from the
same factorisation (Z(t) = c . (I - exp(-M^-1 K t)) K^-1 b, so int (R - Z) dt = c . K^-1 M K^-1 b):

    tau_mean_self    = psi_c . M theta_c / R_self
    tau_mean_nearest = psi_n . M theta_c / (c_n . theta_c),   psi_n = K^-1 c_n (a third solve)

and equals sum_i r_i tau_i / sum_i r_i of any exact modal (Foster) expansion of Z.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from mpi4py import MPI

from meshes.cells import Cell, array_cells, column_neighbour, reference_neighbours
from meshes.info import read_device
from meshes.materials import MATERIALS
from meshes.spec import DeviceSpec, interface_pairs
from thermal.config import ThermalConfig, ThermalError, material_table
from thermal.fe import assemble_device, direct_solver
from thermal.heater import heater_resistor, operating_point
from thermal.interfaces import check_interfaces


@dataclass(frozen=True)
class SteadyFigures:
    """Steady figures of merit of a device's centre cell (``meshes.cells``), SI."""

    r_self_k_per_w: float
    heater_rise_k_per_w: float
    crosstalk_nearest: float | None
    crosstalk_diagonal: float | None
    crosstalk_nearest_column: float | None
    """The nearest neighbour along y (the next row); ``crosstalk_nearest`` is along x when the
    array has one. Heater leads and word lines run along x, so the two differ."""
    crosstalk_array_sum: float
    tau_mean_self_s: float
    tau_mean_nearest_s: float | None
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
    system = assemble_device(
        device.msh,
        materials,
        [c.heater for c in cells],
        [c.reram for c in cells],
        periodic=spec.array.boundary == "periodic",
        degree=cfg.degree,
        h_top_w_per_m2k=cfg.h_top_w_per_m2k,
        lumped_mass=cfg.mass_matrix == "lumped",
        comm=comm,
        interfaces=interface_pairs(spec.interfaces),
    )
    check_interfaces(spec.interfaces, system.interface_area_m2, ThermalError)
    assembled = time.perf_counter()
    centre, nearest, diagonal = reference_neighbours(spec.array.rows, spec.array.cols)
    c = cells.index(centre)
    n = None if nearest is None else cells.index(nearest)
    ksp = direct_solver(system.stiffness, comm)
    theta = system.stiffness.createVecRight()
    psi = system.stiffness.createVecRight()
    psi_n = system.stiffness.createVecRight()
    try:
        ksp.setErrorIfNotConverged(True)  # a failed factorisation raises, never passes silently
        ksp.solve(system.loads[c], theta)
        ksp.solve(system.probes[c], psi)
        if n is not None:
            ksp.solve(system.probes[n], psi_n)
    finally:
        ksp.destroy()
    solved = time.perf_counter()
    r_self = system.probes[c].dot(theta)

    def crosstalk(cell: Cell | None) -> float | None:
        return None if cell is None else float(system.probes[cells.index(cell)].dot(theta) / r_self)

    others = sum(system.loads[h].dot(psi) for h in range(len(cells)) if h != c)
    m_theta = system.mass.createVecLeft()
    system.mass.mult(theta, m_theta)
    tau_nearest = None if n is None else float(psi_n.dot(m_theta) / system.probes[n].dot(theta))
    balance = system.heatsink_flux_w(theta)
    return SteadyFigures(
        r_self_k_per_w=float(r_self),
        heater_rise_k_per_w=float(system.loads[c].dot(theta)),
        crosstalk_nearest=crosstalk(nearest),
        crosstalk_diagonal=crosstalk(diagonal),
        crosstalk_nearest_column=crosstalk(column_neighbour(spec.array.rows, spec.array.cols)),
        crosstalk_array_sum=float(others / r_self),
        tau_mean_self_s=float(psi.dot(m_theta) / r_self),
        tau_mean_nearest_s=tau_nearest,
        heatsink_balance=float(balance),
        n_dofs=int(system.stiffness.getSize()[0]),
        seconds={"read_assemble": assembled - clock, "factorise_solve": solved - assembled},
    )


def heater_drive(
    spec: DeviceSpec, steady: SteadyFigures, target_rise_k: float
) -> dict[str, float | None]:
    """Power, current, current density and voltage of the heater for the target trace rise:
    P = dT_target / R_self, and the heater as a resistor (``thermal.heater``; its own mean
    rise stands in for its temperature in R_h(T))."""
    power = target_rise_k / steady.r_self_k_per_w
    drive: dict[str, float | None] = {
        "power_for_target_w": power,
        "heater_rise_at_target_k": power * steady.heater_rise_k_per_w,
        "heater_resistance_ohm": None,
        "current_for_target_a": None,
        "current_density_a_per_m2": None,
        "voltage_for_target_v": None,
    }
    resistor = heater_resistor(spec, MATERIALS[spec.heater.material])
    if resistor is not None:
        rise = steady.heater_rise_k_per_w
        # the drive depends on the heater's rise only, not on the ambient it rises from
        point = operating_point(resistor, power, rise, rise, 300.0)
        drive.update(
            heater_resistance_ohm=point.resistance_ohm,
            current_for_target_a=point.current_a,
            current_density_a_per_m2=point.current_density_a_per_m2,
            voltage_for_target_v=point.voltage_v,
        )
    return drive
