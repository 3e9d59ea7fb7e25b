"""The thermal stage: DIR/device.msh + device.json -> DIR/response.npz, thermal.json, fields, plots.

Z[t, probe, heater] is the mean temperature rise of every ReRAM filament per watt of a unit
power step in every heater, from the rational-Krylov reduced FE model (``thermal.reduce``);
R[probe, heater] is its steady value. Runs serially or under ``mpiexec`` (rank 0 writes).
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from mpi4py import MPI

import numpy as np

from meshes.files import sha256_file, staged_output, write_json
from meshes.geometry import cell_names
from meshes.spec import cell_centre_nm, spec_from_dict
from thermal.config import ThermalConfig, ThermalError, material_table, physical_time_range_s
from thermal.fe import (
    Domain,
    HeatSystem,
    assemble_heat_system,
    read_device_mesh,
    solver_settings,
    steady_state,
)
from thermal.reduce import ReducedSystem, reduce_system

log = logging.getLogger(__name__)
RESPONSE_VERSION = 1


def read_device_info(device_dir: Path) -> dict[str, Any]:
    """device.json, checked against the mesh it describes."""
    info_path, msh = device_dir / "device.json", device_dir / "device.msh"
    for p in (info_path, msh):
        if not p.is_file():
            raise ThermalError(f"{p}: missing (run `neohebb mesh --out {device_dir}` first)")
    try:
        info: dict[str, Any] = json.loads(info_path.read_text())
    except json.JSONDecodeError as exc:
        raise ThermalError(f"{info_path}: not valid JSON: {exc}") from exc
    for key in ("length_unit_m", "groups", "spec", "mesh"):
        if key not in info:
            raise ThermalError(f"{info_path}: field '{key}' missing")
    if sha256_file(msh) != info["mesh"].get("sha256"):
        raise ThermalError(f"{msh}: does not match the sha256 in device.json (stale or edited)")
    return info


def cell_groups(info: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Heater and ReRAM group names in row-major cell order (``meshes.geometry.cell_names``)."""
    cells = cell_names(spec_from_dict(info["spec"]))
    return [heater for _, _, heater, _ in cells], [reram for _, _, _, reram in cells]


def shifts_for(t_min_s: float, t_max_s: float, per_decade: float) -> np.ndarray:
    """Expansion points s = 0 and s = 1/tau, tau log-spaced over [t_min, t_max] [1/s]."""
    n = max(2, round(np.log10(t_max_s / t_min_s) * per_decade) + 1)
    return np.concatenate([[0.0], 1.0 / np.geomspace(t_min_s, t_max_s, n)])


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
    info = read_device_info(ddir) if comm.rank == 0 else None
    info = comm.bcast(info, root=0)
    assert info is not None
    spec = spec_from_dict(info["spec"])
    materials = material_table(info["groups"], cfg.materials)
    heaters, probes = cell_groups(info)
    t_min, t_max = physical_time_range_s(spec, materials)
    t_min = cfg.t_min_s or t_min
    t_max = cfg.t_max_s or t_max
    times = np.geomspace(
        t_min, t_max, max(2, round(np.log10(t_max / t_min) * cfg.points_per_decade) + 1)
    )

    clock = time.perf_counter()
    mesh, cell_tags, facet_tags, groups = read_device_mesh(
        ddir / "device.msh", info["length_unit_m"], comm
    )
    domain = Domain(mesh, cell_tags, facet_tags, groups, materials)
    system = assemble_heat_system(
        domain,
        heaters,
        probes,
        degree=cfg.degree,
        h_top_w_per_m2k=cfg.h_top_w_per_m2k,
        lumped_mass=cfg.mass_matrix == "lumped",
    )
    t_assembled = time.perf_counter()
    shifts = shifts_for(t_min, t_max, cfg.shifts_per_decade)
    reduced = _reduce_with_progress(system, shifts, progress and comm.rank == 0)
    t_reduced = time.perf_counter()
    model = reduced.model
    z = model.step_response(times)
    r_steady = model.steady_k_per_w()
    z_half = reduced.model_half.step_response(times)
    self_r = np.diag(r_steady)
    mor_error = float(np.max(np.abs(z - z_half) / self_r[None, None, :]))
    r_exact, steady_fields, balance = steady_state(system)
    steady_mismatch = float(np.max(np.abs(r_exact - r_steady)) / np.max(r_exact))
    n_dofs = system.space.dofmap.index_map.size_global
    nonlinear = _nonlinear(system, cfg) if cfg.nonlinear_power_w else None

    with ExitStack() as stack:
        scratch = stack.enter_context(staged_output(ddir)) if comm.rank == 0 else None
        scratch = comm.bcast(scratch, root=0)
        assert scratch is not None
        field_times = _field_times(cfg, times)
        centre = len(heaters) // 2
        _write_fields(
            system, reduced, steady_fields[centre], centre, field_times, scratch / "fields.xdmf"
        )
        if plots:
            from thermal.plots import plot_impedance, plot_temperature_map

            row, col = divmod(centre, spec.array.cols)
            y_cut = cell_centre_nm(spec, row, col)[1] * info["length_unit_m"]
            map_png = scratch / "thermal_map.png"
            plot_temperature_map(
                system,
                steady_fields[centre],
                y_cut,
                map_png,
                title=f"steady rise per watt in {heaters[centre]} [K/W], "
                f"section y = {y_cut * 1e9:.0f} nm",
            )
        if comm.rank == 0:
            arrays: dict[str, np.ndarray] = {
                "t": times,
                "Z": z,
                "R": r_steady,
                "probes": np.array(probes),
                "heaters": np.array(heaters),
                "rate_per_s": model.rate_per_s,
                "input_matrix": model.input_matrix,
                "output_matrix": model.output_matrix,
            }
            if nonlinear is not None:
                arrays["R_nonlinear"] = nonlinear[0]
            np.savez(scratch / "response.npz", **arrays)  # type: ignore[arg-type]
            if plots:
                plot_impedance(times, z, r_steady, probes, heaters, info, scratch / "thermal_Z.png")
            thermal_info = {
                "schema_version": RESPONSE_VERSION,
                "device_sha256": info["mesh"]["sha256"],
                "materials": {
                    name: {
                        "material": m.name,
                        "k_w_per_m_k": m.k_w_per_m_k,
                        "rho_kg_per_m3": m.rho_kg_per_m3,
                        "cp_j_per_kg_k": m.cp_j_per_kg_k,
                        "source": m.source,
                    }
                    for name, m in materials.items()
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
                    "n_dofs": n_dofs,
                },
                "time_grid": {
                    "t_min_s": t_min,
                    "t_max_s": t_max,
                    "n": len(times),
                    "points_per_decade": cfg.points_per_decade,
                },
                "solver": {
                    **solver_settings(),
                    "method": "rational Krylov (Galerkin) reduction",
                    "shifts_per_s": shifts.tolist(),
                    "model_order": len(model.rate_per_s),
                    "mor_rel_error_estimate": mor_error,
                    "steady_rel_mismatch": steady_mismatch,
                    "mpi_ranks": comm.size,
                },
                "energy_balance": {
                    "heatsink_flux_over_power": dict(zip(heaters, balance, strict=True))
                },
                "fields": {
                    "file": "fields.xdmf",
                    "heater": heaters[centre],
                    "times_s": [*field_times, "steady"],
                },
                "nonlinear": None
                if nonlinear is None
                else {
                    "power_w": cfg.nonlinear_power_w,
                    "model": "k(T) = k_300 (T / 300 K)^k_exponent, steady Newton",
                    "k_exponent": {m.name: m.k_exponent for m in materials.values()},
                    "newton_iterations": nonlinear[1],
                    "R_self_linear_k_per_w": np.diag(r_exact).tolist(),
                    "R_self_nonlinear_k_per_w": np.diag(nonlinear[0]).tolist(),
                },
                "timing_s": {"assemble": t_assembled - clock, "reduce": t_reduced - t_assembled},
            }
            write_json(scratch / "thermal.json", thermal_info)
        comm.barrier()
    if comm.rank == 0:
        log.info(
            "R self %.4g K/W, model order %d, MOR error %.2g",
            self_r[centre],
            len(model.rate_per_s),
            mor_error,
        )
    return ddir


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
                state = (
                    model.input_matrix[:, heater]
                    * -np.expm1(-model.rate_per_s * t)
                    / model.rate_per_s
                )
                func = system.function_from(reduced.field(state))
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
