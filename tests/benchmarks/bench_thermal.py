"""Benchmark: Z[t, probe, heater] of the default device, project method vs tutorial approach.

Both on the same mesh and the same log-spaced output time grid (thermal/ stage defaults):

* project: assemble K, M once; rational-Krylov reduction (one MUMPS factorisation per shift,
  all heaters as right-hand sides); Z evaluated in closed form at every grid time;
* tutorial: the FEniCSx heat-equation tutorial pattern, one backward-Euler step per grid
  interval, each step a new ``LinearProblem`` (assemble + factorise + solve, MUMPS too), one
  run per heater.

Accuracy of both against a fine reference for the centre heater: backward Euler with 40 and
80 equal sub-steps in every grid interval, Richardson-extrapolated (2 Z_80 - Z_40).

    .venv/bin/python tests/benchmarks/bench_thermal.py [--heaters N] [--out DIR]

``--heaters`` limits the tutorial to the first N heaters and scales its time by 9 / N (the
runs are independent and cost the same); the printed table says which was done.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from mpi4py import MPI

import numpy as np
import ufl
from dolfinx import fem
from dolfinx.fem.petsc import LinearProblem

from meshes.cells import array_cells, centre_cell
from meshes.device import build_device
from meshes.info import read_device
from meshes.spec import LENGTH_UNIT_M, default_spec
from thermal.config import ThermalConfig, material_table, physical_time_range_s
from thermal.fe import Domain, HeatSystem, assemble_heat_system, material_function, read_device_mesh
from thermal.reduce import reduce_system
from thermal.stage import shifts_for
from thermal.transient import fe_transient


def project_method(
    domain: Domain, heaters: list[str], probes: list[str], times: np.ndarray, shifts: np.ndarray
) -> tuple[np.ndarray, float, HeatSystem]:
    start = time.perf_counter()
    system = assemble_heat_system(domain, heaters, probes)
    reduced = reduce_system(system, shifts)
    z = reduced.model.network().step_response(times)
    return z, time.perf_counter() - start, system


def tutorial_method(
    domain: Domain, heater: str, probes: list[str], times: np.ndarray
) -> tuple[np.ndarray, float]:
    """One LinearProblem per backward-Euler step (re-assembled and re-factorised)."""
    start = time.perf_counter()
    mesh = domain.mesh
    space = fem.functionspace(mesh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(space), ufl.TestFunction(space)
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=domain.cell_tags)
    k = material_function(domain, "k_w_per_m_k")
    rho_cp = fem.Function(k.function_space)
    rho_cp.x.array[:] = (
        material_function(domain, "rho_kg_per_m3").x.array
        * material_function(domain, "cp_j_per_kg_k").x.array
    )
    mesh.topology.create_connectivity(2, 3)
    sink = fem.locate_dofs_topological(
        space, 2, domain.facet_tags.find(domain.groups["heatsink"][1])
    )
    bc = fem.dirichletbc(0.0, sink, space)
    dt = fem.Constant(mesh, 1.0)
    q = fem.Constant(mesh, 1.0 / domain.volume_m3(heater))
    u_old = fem.Function(space)
    a = rho_cp * u * v * dx + dt * k * ufl.inner(ufl.grad(u), ufl.grad(v)) * dx
    rhs = rho_cp * u_old * v * dx + dt * q * v * dx(domain.groups[heater][1])
    probe_forms = [(fem.form(u_old * dx(domain.groups[p][1])), domain.volume_m3(p)) for p in probes]
    out = np.zeros((len(times), len(probes)))
    t_prev = 0.0
    for n, t in enumerate(times):
        dt.value = t - t_prev
        problem = LinearProblem(
            a,
            rhs,
            bcs=[bc],
            petsc_options_prefix=f"tutorial_{n}_",
            petsc_options={
                "ksp_type": "preonly",
                "pc_type": "lu",
                "pc_factor_mat_solver_type": "mumps",
            },
        )
        solution = problem.solve()
        assert isinstance(solution, fem.Function)
        u_old.x.array[:] = solution.x.array
        out[n] = [fem.assemble_scalar(f) / vol for f, vol in probe_forms]
        t_prev = t
    return out, time.perf_counter() - start


def reference(system: HeatSystem, heater: int, times: np.ndarray, sub: int) -> np.ndarray:
    """Backward Euler with ``sub`` equal steps inside every grid interval."""
    edges = np.concatenate([[0.0], times])
    steps = np.repeat(np.diff(edges) / sub, sub)
    unit = np.eye(len(system.loads))[heater]
    _, rises = fe_transient(system, steps, lambda t: unit)
    return rises[sub::sub]


def whole_command(plots: bool, operating_point: bool = False) -> float:
    """Wall time of `neohebb thermal DIR` as a user runs it (a fresh process: imports, mesh
    reading, solve, steady check, field file, plots) on a freshly meshed default device; the
    operating point's k(T) run only with ``operating_point`` (the Z solve is what the
    tutorial loop is compared with)."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "neohebb.cli"]
        subprocess.run(
            [*cli, "mesh", "--out", tmp, "--no-picture"], check=True, capture_output=True
        )
        config = Path(tmp) / "run.toml"
        config.write_text(f"[thermal]\nlinearity_power_w = {4e-4 if operating_point else 0.0}\n")
        start = time.perf_counter()
        extra = [] if plots else ["--no-plots"]
        subprocess.run(
            [*cli, "thermal", tmp, "--quiet", "--config", str(config), *extra],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--heaters", type=int, default=9)
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        spec = default_spec()
        build_device(spec, Path(tmp) / "dev", picture=False)
        device = read_device(Path(tmp) / "dev")
        mesh, cells, facets, groups = read_device_mesh(device.msh, LENGTH_UNIT_M, MPI.COMM_WORLD)
    materials = material_table(device.groups, {})
    domain = Domain(mesh, cells, facets, groups, materials)
    array = array_cells(spec.array.rows, spec.array.cols)
    heaters, probes = [c.heater for c in array], [c.reram for c in array]
    t_min, t_max = physical_time_range_s(spec, materials)
    times = np.geomspace(t_min, t_max, round(np.log10(t_max / t_min) * 20) + 1)
    shifts = shifts_for(t_min, t_max, ThermalConfig().shifts_per_decade)
    centre = array.index(centre_cell(spec.array.rows, spec.array.cols))

    z_project, t_project, system = project_method(domain, heaters, probes, times, shifts)
    n_tut = max(1, min(args.heaters, len(heaters)))
    order = [centre] + [h for h in range(len(heaters)) if h != centre]
    t_tutorial, z_tutorial_centre = 0.0, None
    for h in order[:n_tut]:
        z_h, seconds = tutorial_method(domain, heaters[h], probes, times)
        t_tutorial += seconds
        if h == centre:
            z_tutorial_centre = z_h
    t_tutorial_all = t_tutorial * len(heaters) / n_tut
    assert z_tutorial_centre is not None

    command_s = {plots: whole_command(plots) for plots in (True, False)}
    command_operating_s = whole_command(True, operating_point=True)
    coarse = reference(system, centre, times, 40)
    fine = reference(system, centre, times, 80)
    z_ref = 2 * fine - coarse
    r_self = z_ref[-1, centre]
    err_project = np.max(np.abs(z_project[:, :, centre] - z_ref)) / r_self
    err_tutorial = np.max(np.abs(z_tutorial_centre - z_ref)) / r_self
    err_ref = np.max(np.abs(fine - z_ref)) / r_self
    figures = {
        "n_dofs": system.space.dofmap.index_map.size_global,
        "n_times": len(times),
        "n_heaters": len(heaters),
        "project_s": t_project,
        "tutorial_s_measured": t_tutorial,
        "tutorial_heaters_run": n_tut,
        "tutorial_s_all_heaters": t_tutorial_all,
        "speedup": t_tutorial_all / t_project,
        "command_s": command_s[True],
        "command_no_plots_s": command_s[False],
        "command_with_operating_point_s": command_operating_s,
        "command_speedup": t_tutorial_all / command_s[True],
        "project_max_err_rel_rself": err_project,
        "tutorial_max_err_rel_rself": err_tutorial,
        "reference_richardson_correction_rel_rself": err_ref,
    }
    print(
        f"default device: {figures['n_dofs']} dofs, {len(times)} log-spaced times, "
        f"{len(heaters)} heaters"
    )
    print(
        f"project (assemble once + rational Krylov, all heaters): {t_project:8.1f} s   "
        f"max |Z - Z_ref| / R_self = {err_project:.2e}"
    )
    extra = "" if n_tut == len(heaters) else f" (measured {n_tut} heater(s), scaled x{9 / n_tut:g})"
    print(
        f"tutorial (LinearProblem per BE step, per heater):       {t_tutorial_all:8.1f} s   "
        f"max |Z - Z_ref| / R_self = {err_tutorial:.2e}{extra}"
    )
    print(
        f"speed-up: {figures['speedup']:.1f}x   (reference: BE 80 sub-steps/interval, "
        f"Richardson; its own correction {err_ref:.1e})"
    )
    print(
        f"whole command `neohebb thermal DIR`: {command_s[True]:.1f} s "
        f"({figures['command_speedup']:.1f}x the tutorial loop); --no-plots "
        f"{command_s[False]:.1f} s (both without the operating point's k(T) run); with it, "
        f"the default: {command_operating_s:.1f} s"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
