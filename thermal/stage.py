"""The thermal stage: DIR/device.msh + device.json -> DIR/response.npz, thermal.json, fields, plots.

Z[t, probe, heater] is the mean temperature rise of every ReRAM filament per watt of a unit
power step in every heater, from the rational-Krylov reduced FE model (``thermal.reduce``);
R[probe, heater] is its steady value. Runs serially or under ``mpiexec`` (rank 0 writes).
Three steps: ``_setup`` (read and check the device, materials, time grid), ``_solve``
(assemble, reduce, steady checks) and ``_write`` (files, staged; ``thermal.response`` reads
them back).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mpi4py import MPI

import numpy as np

from meshes.cells import array_cells, centre_cell
from meshes.files import directory_lock, stage_key, stage_record, staged_output, write_json
from meshes.info import DeviceInfo, read_device
from meshes.materials import Material
from meshes.spec import LENGTH_UNIT_M, cell_centre_nm, interface_pairs
from thermal.config import ThermalConfig, ThermalError, material_table, physical_time_range_s
from thermal.fe import (
    HeatSystem,
    assemble_device,
    solver_settings,
    steady_from_fields,
)
from thermal.heater import heater_resistor
from thermal.interfaces import check_interfaces
from thermal.modal import FosterNetwork, mean_rise_time_s
from thermal.reduce import ReducedSystem, reduce_system
from thermal.response import RESPONSE_VERSION, OperatingPointRun, operating_point_arrays

log = logging.getLogger(__name__)
THERMAL_PICTURES = ("thermal_Z.png", "thermal_map.png")
MAX_SHIFTS = 60  # factorisations a run may ask for (the default device needs 17)
LINEARITY_STEPS_PER_DOUBLING = 1  # backward-Euler steps of the operating point per doubling
MAX_MOR_ERROR = 1e-2  # refuse a reduced model whose error estimate exceeds this x R_self


def shifts_for(t_min_s: float, t_max_s: float, per_decade: float) -> np.ndarray:
    """Expansion points s = 0 and s = 1/tau, tau log-spaced over [t_min, t_max] [1/s]."""
    n = max(2, round(np.log10(t_max_s / t_min_s) * per_decade) + 1)
    return np.concatenate([[0.0], 1.0 / np.geomspace(t_min_s, t_max_s, n)])


def stage_inputs(device: DeviceInfo) -> dict[str, str]:
    """The files the thermal stage reads, with their SHA-256."""
    return {"device.json": device.json_sha256, "device.msh": device.msh_sha256}


def thermal_key(device_dir: str | Path, config: ThermalConfig) -> str:
    """The key ``thermal.json`` records for ``config`` on the device now in ``device_dir``."""
    device = read_device(device_dir, ThermalError)
    return stage_key("thermal", dataclasses.asdict(config), stage_inputs(device))


@dataclass(frozen=True)
class _Setup:
    device: DeviceInfo
    materials: dict[str, Material]
    heaters: list[str]
    probes: list[str]
    times: np.ndarray


@dataclass
class _Solution:
    system: HeatSystem
    reduced: ReducedSystem
    network: FosterNetwork
    z: np.ndarray
    r: np.ndarray
    mor_error: float
    steady_fields: list[Any]
    balance: list[float]
    steady_mismatch: float
    nonlinear: tuple[np.ndarray, list[int]] | None
    shifts: np.ndarray
    timing_s: dict[str, float]
    filament: FilamentResponse
    heater_rise: tuple[float, float]  # the centre heater's own mean and peak rise [K/W]
    linearity: LinearityRun | None = None
    linearity_skipped: str | None = None  # why the linearity run was not made


@dataclass
class LinearityRun:
    """The operating point (``thermal.response.OperatingPointRun``: solved linear with
    ``fe_transient`` and with k(T), c_p(T) with ``transient_nonlinear`` on the same steps) and
    how it was computed."""

    run: OperatingPointRun
    heater: str
    factorisations: int
    seconds: float


@dataclass
class FilamentResponse:
    """The filaments as heat sources (their own programming pulse): Z[t, probe, filament],
    R[probe, filament] [K/W], and R's relative mismatch against the exact C K^-1 C^T."""

    z: np.ndarray
    r: np.ndarray
    steady_mismatch: float
    tau_mean_s: np.ndarray  # mean time constant of each filament's own response [filament]
    mor_error: float  # max |Z - Z_half| / R_self of the filament sources (as for the heaters)


def _heater_json(setup: _Setup, solution: _Solution, centre: int) -> dict[str, Any] | None:
    """The centre heater as a resistor (``thermal.heater``) with its own steady mean and
    hottest-point rise per watt: what ``devicefit`` needs for the drive and the limits."""
    name = setup.heaters[centre]
    resistor = heater_resistor(setup.device.spec, setup.materials[name])
    if resistor is None:
        return None
    return {
        **dataclasses.asdict(resistor),
        "resistance_ohm": resistor.resistance_ohm,
        "mean_rise_k_per_w": solution.heater_rise[0],
        "peak_rise_k_per_w": solution.heater_rise[1],
        "heater": name,
    }


def _heater_rise(system: HeatSystem, field: Any, heater: int) -> tuple[float, float]:
    """A heater's own steady mean rise b_h . theta_h and its hottest point (the largest dof
    value on its cells) per watt (collective)."""
    mean = float(system.loads[heater].dot(field))
    domain = system.domain
    name = system.heater_names[heater]
    cells = domain.cell_tags.find(domain.groups[name][1])
    n_owned = system.space.dofmap.index_map.size_local
    dofs = np.unique(system.space.dofmap.list[cells])
    dofs = dofs[dofs < n_owned]
    values = system.values_in(field, domain.materials[name].name, dofs)
    local = float(values.max()) if values.size else -np.inf
    return mean, float(system.comm.allreduce(local, op=MPI.MAX))


def _filament_sources(
    system: HeatSystem, reduced: ReducedSystem, times: np.ndarray
) -> FilamentResponse:
    """The reduced model driven by power in the filaments (``ModalModel.filament_sources``):
    no new solves, as the basis already spans K_s^-1 c for every probe. The exact steady
    matrix C K^-1 C^T comes from the s = 0 probe solves."""
    network = reduced.model.filament_sources().network()
    z, r = network.step_response(times), network.steady_k_per_w()
    z_half = reduced.model_half.filament_sources().network().step_response(times)
    mor_error = float(np.max(np.abs(z - z_half) / np.diag(r)[None, None, :]))
    assert reduced.steady_columns is not None  # shifts_for includes s = 0
    psi = reduced.steady_columns[:, len(system.loads) :]  # K^-1 c_f, owned rows
    rows = np.column_stack([c.getArray(readonly=True) for c in system.probes])
    exact = system.comm.allreduce(rows.T @ psi, op=MPI.SUM)
    mismatch = float(np.max(np.abs(exact - r)) / np.max(np.abs(exact)))
    tau_mean = np.array(
        [mean_rise_time_s(network.tau_s, network.residues_k_per_w[f, f]) for f in range(len(r))]
    )
    return FilamentResponse(z, r, mismatch, tau_mean, mor_error)


def run_thermal(
    device_dir: str | Path,
    config: ThermalConfig | None = None,
    *,
    comm: MPI.Comm = MPI.COMM_WORLD,
    plots: bool = True,
    progress: bool = True,
) -> Path:
    """Solve the thermal stage on a device directory and write its outputs there."""
    cfg = config or ThermalConfig()
    ddir = Path(device_dir)
    with directory_lock(ddir, ThermalError) if comm.rank == 0 else nullcontext():
        setup = _setup(ddir, cfg, comm)
        solution = _solve(setup, cfg, comm, progress and comm.rank == 0)
        _write(ddir, setup, solution, cfg, comm, plots)
    if comm.rank == 0:
        c = _centre_index(setup)
        log.info(
            "R self %.4g K/W, model order %d, MOR error %.2g",
            solution.r[c, c],
            len(solution.network.tau_s),
            solution.mor_error,
        )
    return ddir


def _setup(ddir: Path, cfg: ThermalConfig, comm: MPI.Comm) -> _Setup:
    """Read and check device.json on rank 0 (broadcast), materials, cells, output times."""
    device = read_device(ddir, ThermalError) if comm.rank == 0 else None
    device = comm.bcast(device, root=0)
    assert device is not None
    materials = material_table(device.groups, cfg.materials)
    cells = array_cells(device.spec.array.rows, device.spec.array.cols)
    t_min, t_max = physical_time_range_s(device.spec, materials)
    t_min = cfg.t_min_s or t_min
    t_max = cfg.t_max_s or t_max
    if t_min >= t_max:
        raise ThermalError(
            f"thermal.t_min_s: {t_min:g} s must be below t_max = {t_max:g} s (set both)"
        )
    n_shifts = len(shifts_for(t_min, t_max, cfg.shifts_per_decade))
    if n_shifts > MAX_SHIFTS:
        raise ThermalError(
            f"thermal.t_max_s: {t_min:g} to {t_max:g} s spans {np.log10(t_max / t_min):.1f} "
            f"decades: {n_shifts} factorisations at {cfg.shifts_per_decade:g} per decade, "
            f"above the {MAX_SHIFTS} accepted; narrow t_min_s / t_max_s"
        )
    n = max(2, round(np.log10(t_max / t_min) * cfg.points_per_decade) + 1)
    return _Setup(
        device,
        materials,
        [c.heater for c in cells],
        [c.reram for c in cells],
        np.geomspace(t_min, t_max, n),
    )


def _centre_index(setup: _Setup) -> int:
    spec = setup.device.spec
    return setup.heaters.index(centre_cell(spec.array.rows, spec.array.cols).heater)


def _solve(setup: _Setup, cfg: ThermalConfig, comm: MPI.Comm, show: bool) -> _Solution:
    """Assemble once, reduce, evaluate Z, and check against an exact steady solve."""
    clock = time.perf_counter()
    spec = setup.device.spec
    periodic = spec.array.boundary == "periodic"
    interfaces = interface_pairs(spec.interfaces)
    with_interfaces = any(r > 0 for r in interfaces.values())
    if cfg.nonlinear_power_w and (periodic or with_interfaces):
        raise ThermalError(
            "thermal.nonlinear_power_w: the k(T) solve is not available for a periodic array "
            "(array.boundary) or with interface resistances (interfaces)"
        )
    system = assemble_device(
        setup.device.msh,
        setup.materials,
        setup.heaters,
        setup.probes,
        periodic=periodic,
        degree=cfg.degree,
        h_top_w_per_m2k=cfg.h_top_w_per_m2k,
        lumped_mass=cfg.mass_matrix == "lumped",
        comm=comm,
        interfaces=interfaces,
    )
    check_interfaces(spec.interfaces, system.interface_area_m2, ThermalError)
    assembled = time.perf_counter()
    shifts = shifts_for(setup.times[0], setup.times[-1], cfg.shifts_per_decade)
    reduced = _reduce_with_progress(system, shifts, show)
    reduced_at = time.perf_counter()
    network = reduced.model.network()
    z = network.step_response(setup.times)
    r = network.steady_k_per_w()
    z_half = reduced.model_half.network().step_response(setup.times)
    mor_error = float(np.max(np.abs(z - z_half) / np.diag(r)[None, None, :]))
    if mor_error > MAX_MOR_ERROR:
        raise ThermalError(
            f"thermal.shifts_per_decade: the reduced model's error estimate is "
            f"{mor_error:.2g} of R_self (above {MAX_MOR_ERROR:g}); raise shifts_per_decade "
            f"({cfg.shifts_per_decade:g})"
        )
    # shifts_for always includes s = 0: its solves are the exact steady fields K^-1 b
    assert reduced.steady_columns is not None
    filament = _filament_sources(system, reduced, setup.times)
    fields = []
    for column in reduced.steady_columns[:, : len(system.loads)].T:
        vec = system.stiffness.createVecRight()
        vec.setArray(np.ascontiguousarray(column))  # type: ignore[arg-type]  # stubs: Sequence
        fields.append(vec)
    r_exact, steady_fields, balance = steady_from_fields(system, fields)
    linearity, skipped = None, None
    if cfg.linearity_power_w > 0 and (periodic or with_interfaces):
        skipped = "not available for a periodic array or with interface resistances"
    elif cfg.linearity_power_w > 0 and (cfg.degree != 1 or cfg.mass_matrix != "lumped"):
        # the enthalpy scheme lumps by vertex quadrature: P1 with the lumped mass only
        skipped = "needs thermal.degree = 1 and thermal.mass_matrix = 'lumped'"
    elif cfg.linearity_power_w > 0:
        linearity = _linearity(system, setup, z, cfg, show)
    else:
        skipped = "thermal.linearity_power_w = 0"
    return _Solution(
        system,
        reduced,
        network,
        z,
        r,
        mor_error,
        steady_fields,
        balance,
        float(np.max(np.abs(r_exact - r)) / np.max(r_exact)),
        _nonlinear(system, cfg) if cfg.nonlinear_power_w else None,
        shifts,
        {"assemble": assembled - clock, "reduce": reduced_at - assembled},
        filament,
        _heater_rise(system, steady_fields[_centre_index(setup)], _centre_index(setup)),
        linearity,
        skipped,
    )


def _linearity(
    system: HeatSystem, setup: _Setup, solution_z: np.ndarray, cfg: ThermalConfig, show: bool
) -> LinearityRun:
    """The operating point, linear and nonlinear, on steps doubling from the time the centre
    filament's linear rise reaches 0.1 % of its steady value to the time it is within 0.1 %
    of it (t_off, from the linear Z), with the power on; then as long again with it off
    (``LinearityRun``)."""
    from thermal.nonlinear import transient_nonlinear
    from thermal.transient import fe_transient, step_sizes_geometric

    clock = time.perf_counter()
    centre = _centre_index(setup)
    z_self = solution_z[:, centre, centre]
    first = float(setup.times[np.argmax(z_self >= 1e-3 * z_self[-1])])
    t_off = float(setup.times[np.argmax(z_self >= 0.999 * z_self[-1])])
    half = step_sizes_geometric(t_off, min(first, t_off / 8), LINEARITY_STEPS_PER_DOUBLING)
    steps = np.concatenate([half, half])
    power = cfg.linearity_power_w

    def at(t: float) -> float:
        return power if t <= t_off * (1 + 1e-9) else 0.0

    def powers(t: float) -> np.ndarray:
        out = np.zeros(len(system.loads))
        out[centre] = at(t)
        return out

    bar_context: Any = nullcontext()
    if show:
        from tqdm import tqdm

        bar_context = tqdm(
            total=2 * len(steps), desc="thermal: operating point, linear + k(T)", unit="step"
        )
    with bar_context as bar:
        update = None if bar is None else bar.update
        times, linear = fe_transient(system, steps, powers, progress=update)
        _, nonlinear, factorisations = transient_nonlinear(
            system, centre, steps, at, cfg.t_ambient_k, progress=update
        )
    return LinearityRun(
        OperatingPointRun(times, linear, nonlinear, power, t_off),
        setup.heaters[centre],
        factorisations,
        time.perf_counter() - clock,
    )


def _write(
    ddir: Path,
    setup: _Setup,
    solution: _Solution,
    cfg: ThermalConfig,
    comm: MPI.Comm,
    plots: bool,
) -> None:
    """Fields (collective), then response.npz, thermal.json and plots on rank 0, staged."""
    centre = _centre_index(setup)
    field_times = _field_times(cfg, setup.times)
    if comm.rank == 0:
        with staged_output(ddir, stage="thermal", error=ThermalError) as scratch:
            _write_collective(scratch, setup, solution, centre, field_times, comm, plots)
            _write_rank0(scratch, setup, solution, cfg, centre, field_times, plots)
    else:
        _write_collective(None, setup, solution, centre, field_times, comm, plots)


def _write_collective(
    scratch: Path | None,
    setup: _Setup,
    solution: _Solution,
    centre: int,
    field_times: list[float],
    comm: MPI.Comm,
    plots: bool,
) -> None:
    """The parts every rank takes part in (field file and the section plot)."""
    scratch = comm.bcast(scratch, root=0)
    assert scratch is not None
    _write_fields(
        solution.system,
        solution.reduced,
        solution.steady_fields[centre],
        centre,
        field_times,
        scratch / "fields.xdmf",
    )
    if plots:
        from thermal.plots import plot_temperature_map

        spec = setup.device.spec
        cell = centre_cell(spec.array.rows, spec.array.cols)
        y_cut = cell_centre_nm(spec, cell.row, cell.col)[1] * LENGTH_UNIT_M
        plot_temperature_map(
            solution.system,
            solution.steady_fields[centre],
            y_cut,
            scratch / "thermal_map.png",
            title=f"steady rise per watt in {setup.heaters[centre]} [K/W], "
            f"section y = {y_cut * 1e9:.0f} nm",
        )
    comm.barrier()


def _write_rank0(
    scratch: Path,
    setup: _Setup,
    solution: _Solution,
    cfg: ThermalConfig,
    centre: int,
    field_times: list[float],
    plots: bool,
) -> None:
    model = solution.reduced.model
    arrays: dict[str, np.ndarray] = {
        "t": setup.times,
        "Z": solution.z,
        "R": solution.r,
        "probes": np.array(setup.probes),
        "heaters": np.array(setup.heaters),
        "rate_per_s": model.rate_per_s,
        "input_matrix": model.input_matrix,
        "output_matrix": model.output_matrix,
    }
    arrays["Z_filament"] = solution.filament.z
    arrays["R_filament"] = solution.filament.r
    if solution.nonlinear is not None:
        arrays["R_nonlinear"] = solution.nonlinear[0]
    if solution.linearity is not None:
        arrays.update(operating_point_arrays(solution.linearity.run))
    np.savez(scratch / "response.npz", **arrays)  # type: ignore[arg-type]
    if plots:
        from thermal.plots import plot_impedance

        plot_impedance(
            setup.times,
            solution.z,
            solution.r,
            setup.device.spec.array.rows,
            setup.device.spec.array.cols,
            setup.heaters,
            scratch / "thermal_Z.png",
        )
    info = _thermal_json(setup, solution, cfg, centre, field_times)
    info["stage"] = stage_record(
        "thermal",
        dataclasses.asdict(cfg),
        stage_inputs(setup.device),
        {"response.npz": scratch / "response.npz"},
        pictures=THERMAL_PICTURES if plots else (),
    )
    write_json(scratch / "thermal.json", info)


def _thermal_json(
    setup: _Setup, solution: _Solution, cfg: ThermalConfig, centre: int, field_times: list[float]
) -> dict[str, Any]:
    """Everything thermal.json records but the stage block."""
    spec = setup.device.spec
    nonlinear = solution.nonlinear
    return {
        "schema_version": RESPONSE_VERSION,
        "t_ambient_k": cfg.t_ambient_k,
        "array": {
            "rows": spec.array.rows,
            "cols": spec.array.cols,
            "pitch_m": spec.array.pitch_nm * LENGTH_UNIT_M,
            "boundary": spec.array.boundary,
        },
        "settings": dataclasses.asdict(cfg),
        "materials": {
            name: {
                "material": m.name,
                "k_w_per_m_k": m.k_w_per_m_k,
                "rho_kg_per_m3": m.rho_kg_per_m3,
                "cp_j_per_kg_k": m.cp_j_per_kg_k,
                "source": m.source,
            }
            for name, m in setup.materials.items()
        },
        "interfaces": {
            "model": "thermal boundary resistance: -k dT/dn = (T_A - T_B) / R_AB",
            "r_m2k_per_w": dict(spec.interfaces),
            "area_m2": solution.system.interface_area_m2,
        },
        "boundary_conditions": {
            "heatsink": f"T = T_ambient = {cfg.t_ambient_k} K (temperature rise 0)",
            "top": (
                "adiabatic"
                if cfg.h_top_w_per_m2k == 0
                else f"convective, h = {cfg.h_top_w_per_m2k} W/m^2/K to T_ambient"
            ),
            "other": "adiabatic",
        },
        "element": {
            "family": "Lagrange",
            "degree": cfg.degree,
            "mass_matrix": cfg.mass_matrix,
            "n_dofs": solution.system.stiffness.getSize()[0],
        },
        "time_grid": {
            "t_min_s": float(setup.times[0]),
            "t_max_s": float(setup.times[-1]),
            "n": len(setup.times),
            "points_per_decade": cfg.points_per_decade,
        },
        "solver": {
            **solver_settings(),
            "method": "rational Krylov (Galerkin, heater and probe directions) reduction",
            "shifts_per_s": solution.shifts.tolist(),
            "model_order": len(solution.network.tau_s),
            "mor_rel_error_estimate": solution.mor_error,
            "steady_rel_mismatch": solution.steady_mismatch,
            "mpi_ranks": solution.system.comm.size,
        },
        "heater": _heater_json(setup, solution, centre),
        "filament_sources": {
            "meaning": "Z_filament[t, probe, filament], R_filament: one watt spread over a "
            "filament (its own programming pulse), seen by every filament",
            "R_self_k_per_w": float(solution.filament.r[centre, centre]),
            "steady_rel_mismatch": solution.filament.steady_mismatch,
            "mor_rel_error_estimate": solution.filament.mor_error,
            "tau_mean_self_s": float(solution.filament.tau_mean_s[centre]),
        },
        "energy_balance": {
            "heatsink_flux_over_power": dict(zip(setup.heaters, solution.balance, strict=True))
        },
        "fields": {
            "file": "fields.xdmf",
            "heater": setup.heaters[centre],
            "times_s": [*field_times, "steady"],
        },
        "nonlinear": None
        if nonlinear is None
        else {
            "power_w": cfg.nonlinear_power_w,
            "model": "k(T) = k_300 (T / 300 K)^k_exponent, steady Newton",
            "k_exponent": {m.name: m.k_exponent for m in setup.materials.values()},
            "newton_iterations": nonlinear[1],
            "R_self_linear_k_per_w": np.diag(solution.r).tolist(),
            "R_self_nonlinear_k_per_w": np.diag(nonlinear[0]).tolist(),
        },
        "linearity": _linearity_json(setup, solution),
        "timing_s": solution.timing_s,
    }


def _linearity_json(setup: _Setup, solution: _Solution) -> dict[str, Any]:
    if solution.linearity is None:
        return {"skipped": solution.linearity_skipped}
    record, run = solution.linearity, solution.linearity.run
    c = _centre_index(setup)
    return {
        "meaning": "the centre heater at power_w until steady state (t_off_s), then off: "
        "probe rises with constant properties (linearity_linear) and with k(T), c_p(T) "
        "(linearity_nonlinear) on the same backward-Euler steps, in response.npz",
        "model": "k(T) = k_300 (T / 300 K)^k_exponent, c_p(T) = c_p,300 (T / 300 K)^cp_exponent; "
        "backward Euler on the enthalpy, Newton",
        "power_w": run.power_w,
        "heater": record.heater,
        "t_off_s": run.t_off_s,
        "steps": len(run.t_s) - 1,
        "k_exponent": {m.name: m.k_exponent for m in setup.materials.values()},
        "cp_exponent": {m.name: m.cp_exponent for m in setup.materials.values()},
        "self_peak_rise_linear_k": float(run.linear_k[:, c].max()),
        "self_peak_rise_nonlinear_k": float(run.nonlinear_k[:, c].max()),
        "factorisations": record.factorisations,
        "seconds": record.seconds,
    }


def _reduce_with_progress(system: HeatSystem, shifts: np.ndarray, show: bool) -> ReducedSystem:
    if not show:
        return reduce_system(system, shifts)
    from tqdm import tqdm

    with tqdm(total=len(shifts), desc="thermal: factorise + solve per shift", unit="shift") as bar:
        return reduce_system(system, shifts, progress=bar.update)


def _nonlinear(system: HeatSystem, cfg: ThermalConfig) -> tuple[np.ndarray, list[int]]:
    """R_nonlinear[probe, heater] = steady rise / power at ``cfg.nonlinear_power_w`` with k(T)."""
    from thermal.nonlinear import steady_nonlinear

    power = float(cfg.nonlinear_power_w or 0.0)
    columns, iterations = [], []
    for h in range(len(system.heater_names)):
        rises, its = steady_nonlinear(system, h, power, cfg.t_ambient_k)
        columns.append(rises / power)
        iterations.append(its)
    return np.column_stack(columns), iterations


def _field_times(cfg: ThermalConfig, times: np.ndarray) -> list[float]:
    if cfg.field_times_s is not None:
        return list(cfg.field_times_s)
    return [float(times[-1] * f) for f in (1e-3, 1e-2, 1e-1)]


def _write_fields(
    system: HeatSystem,
    reduced: ReducedSystem,
    steady: Any,
    heater: int,
    times: list[float],
    path: Path,
) -> None:
    """Temperature rise per watt of a unit step in one heater, at ``times`` and at steady state
    (the last step, stamped t = 2 t_last), as XDMF for ParaView."""
    from dolfinx.io import XDMFFile

    model = reduced.model
    with XDMFFile(system.comm, str(path), "w") as xdmf:
        xdmf.write_mesh(system.domain.mesh)
        for t in [*times, None]:
            if t is None:
                func = system.function_from(steady)
                stamp = 2 * times[-1] if times else 1.0
            else:
                func = system.function_from(reduced.field(model.step_state(t, heater)))
                stamp = t
            func.name = "temperature_rise_k_per_w"
            if system.space.element.basix_element.degree != 1:
                func = _to_p1(func)
            xdmf.write_function(func, stamp)


def _to_p1(func: Any) -> Any:
    from dolfinx import fem

    p1 = fem.Function(fem.functionspace(func.function_space.mesh, ("Lagrange", 1)))
    p1.interpolate(func)
    p1.name = func.name
    return p1
