"""Heat flow with temperature-dependent properties, by Newton's method.

    rho c_p(T) dT/dt = div(k(T) grad T) + q,
    k(T) = k_300 (T / 300 K)^n,   c_p(T) = c_p,300 (T / 300 K)^m   per material
    (``k_exponent`` = n, ``cp_exponent`` = m in ``meshes/materials.py``),

with the boundary conditions of ``thermal.fe`` (T = T_ambient on ``heatsink``, adiabatic or
convective on ``top``) and T = T_ambient + theta.

Steady (``steady_nonlinear``): residual F(theta; v) = int k(T) grad(theta).grad(v) dx
+ int_top h theta v ds - int_heater q v dx; the Jacobian is its Gateaux derivative (UFL
``derivative``), so convergence is quadratic. For n = 0 everywhere one step reproduces the
linear solution.

Transient (``transient_nonlinear``): backward Euler on the enthalpy
H(T) = int_T0^T rho c_p(s) ds
     = rho c_p,300 300 K / (m + 1) [(T / 300 K)^(m+1) - (T0 / 300 K)^(m+1)],

    int (H(theta^{n+1}) - H(theta^n)) / dt v dx_vertex + int k(T^{n+1}) grad(theta^{n+1}).grad(v)
    + int_top h theta^{n+1} v - int_heater q^{n+1} v = 0,

which conserves energy exactly step by step (the heat stored is the enthalpy). The vertex
quadrature of the enthalpy term is the row-sum lumped mass of ``thermal.fe`` when m = 0, so
with n = m = 0 the scheme is ``thermal.transient.fe_transient`` step for step (tested).
Each step is solved by inexact Newton: the Jacobian at the current iterate is solved by GMRES
to 1e-5, preconditioned by the MUMPS LU of an earlier Jacobian; a new factorisation is made
only when GMRES needs more than MAX_KRYLOV iterations (properties and dt change slowly step
to step). On the default device (32k dofs) 22 steps take about 35 s, 6 factorisations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mpi4py import MPI

import dolfinx.fem.petsc
import numpy as np
import ufl
from dolfinx import fem
from petsc4py import PETSc

from thermal.config import ThermalError
from thermal.fe import HeatSystem, direct_solver, material_function

T_REFERENCE_K = 300.0
MAX_KRYLOV = 12  # GMRES iterations on an old factorisation before a new one


def _conductivity(domain: Any, theta: fem.Function, t_ambient_k: float) -> Any:
    """k(T) = k_300 (T / 300 K)^n per cell (UFL), T = T_ambient + theta."""
    k300 = material_function(domain, "k_w_per_m_k")
    exponent = material_function(domain, "k_exponent")
    return k300 * ((t_ambient_k + theta) / T_REFERENCE_K) ** exponent


def _forms(system: HeatSystem, residual: Any, theta: fem.Function, v: Any, du: Any) -> Any:
    """The residual with the convection on ``top`` (when h > 0) and its UFL Jacobian, compiled."""
    d = system.domain
    if system.h_top_w_per_m2k > 0:
        ds = ufl.Measure("ds", domain=d.mesh, subdomain_data=d.facet_tags)
        h = fem.Constant(d.mesh, dolfinx.default_scalar_type(system.h_top_w_per_m2k))
        residual += h * theta * v * ds(d.groups["top"][1])
    return fem.form(residual), fem.form(ufl.derivative(residual, theta, du))


def steady_nonlinear(
    system: HeatSystem,
    heater: int,
    power_w: float,
    t_ambient_k: float,
    *,
    rtol: float = 1e-10,
    max_iterations: int = 25,
) -> tuple[np.ndarray, int]:
    """Mean probe rises [K] for ``power_w`` in heater index ``heater``, and Newton iterations."""
    d = system.domain
    name = system.heater_names[heater]
    theta = fem.Function(system.space)
    v, du = ufl.TestFunction(system.space), ufl.TrialFunction(system.space)
    dx = ufl.Measure("dx", domain=d.mesh, subdomain_data=d.cell_tags)
    k = _conductivity(d, theta, t_ambient_k)
    q = fem.Constant(d.mesh, dolfinx.default_scalar_type(power_w / d.volume_m3(name)))
    residual = k * ufl.inner(ufl.grad(theta), ufl.grad(v)) * dx - q * v * dx(d.groups[name][1])
    f_form, j_form = _forms(system, residual, theta, v, du)
    bcs = [system.heatsink_bc]
    step = system.stiffness.createVecRight()
    for iteration in range(1, max_iterations + 1):
        jac = dolfinx.fem.petsc.assemble_matrix(j_form, bcs=bcs, diag=1.0)
        jac.assemble()
        res = dolfinx.fem.petsc.assemble_vector(f_form)
        res.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        dolfinx.fem.petsc.set_bc(res, bcs, alpha=0.0)  # theta already satisfies the BC
        rhs = step.duplicate()
        rhs.setArray(-res.getArray(readonly=True)[: rhs.getLocalSize()])
        ksp = direct_solver(jac, system.comm, symmetric=False)  # dk/dT makes J non-symmetric
        ksp.solve(rhs, step)
        ksp.destroy()
        jac.destroy()
        n_owned = step.getLocalSize()
        theta.x.array[:n_owned] += step.getArray(readonly=True)
        theta.x.scatter_forward()
        size = system.comm.allreduce(float(np.sum(theta.x.array[:n_owned] ** 2)), op=MPI.SUM)
        change = step.norm()
        if change <= rtol * max(np.sqrt(size), 1e-300):
            vec = system.stiffness.createVecRight()
            vec.setArray(theta.x.array[:n_owned].copy())  # type: ignore[arg-type]
            return np.array([p.dot(vec) for p in system.probes]), iteration
    raise ThermalError(
        f"thermal.nonlinear_power_w: Newton did not converge in {max_iterations} iterations "
        f"at {power_w} W (heater {name}); lower the power"
    )


def transient_nonlinear(
    system: HeatSystem,
    heater: int,
    steps_s: np.ndarray,
    power_w: Callable[[float], float],
    t_ambient_k: float,
    *,
    rtol: float = 1e-7,
    atol_k: float = 1e-9,
    max_iterations: int = 30,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Backward-Euler enthalpy solve from theta = 0 with k(T) and c_p(T) (module docstring);
    ``power_w(t)`` is the power [W] in heater index ``heater`` at the end of each step. A step
    has converged when the Newton correction's norm is below rtol |theta| + atol_k sqrt(dofs)
    (the absolute part: a decayed field's enthalpy difference carries round-off of 1e-14 K).

    Returns (times [n+1] including 0, probe rises [n+1, probe] [K], factorisations used).
    P1 only: the vertex quadrature that lumps the enthalpy, and the one-point rule for k(T),
    are exact only for linear elements.
    """
    if system.space.element.basix_element.degree != 1:
        raise ThermalError(
            "thermal.degree: the nonlinear transient (thermal.linearity_power_w) needs "
            "degree 1; set linearity_power_w = 0 with degree 2"
        )
    d = system.domain
    name = system.heater_names[heater]
    theta, theta_old = fem.Function(system.space), fem.Function(system.space)
    v, du = ufl.TestFunction(system.space), ufl.TrialFunction(system.space)
    dx = ufl.Measure("dx", domain=d.mesh, subdomain_data=d.cell_tags)
    dx_vertex = ufl.Measure(
        "dx", domain=d.mesh, metadata={"quadrature_rule": "vertex", "quadrature_degree": 1}
    )
    # k(T) grad(theta).grad(v): UFL would pick a high degree for the power law; with P1,
    # grad(theta) is constant in a cell and k(T) at its centroid (degree 1, the midpoint
    # rule) is second-order accurate like the element itself
    dx_k = ufl.Measure("dx", domain=d.mesh, metadata={"quadrature_degree": 1})
    c300 = material_function(d, "cp_j_per_kg_k")
    rho = material_function(d, "rho_kg_per_m3")
    m_c = material_function(d, "cp_exponent")
    t_ref = T_REFERENCE_K

    def enthalpy(rise: ufl.core.expr.Expr) -> ufl.core.expr.Expr:
        return (
            rho
            * c300
            * t_ref
            / (m_c + 1)
            * (((t_ambient_k + rise) / t_ref) ** (m_c + 1) - (t_ambient_k / t_ref) ** (m_c + 1))
        )

    k = _conductivity(d, theta, t_ambient_k)
    dt = fem.Constant(d.mesh, dolfinx.default_scalar_type(1.0))
    q = fem.Constant(d.mesh, dolfinx.default_scalar_type(0.0))
    volume = d.volume_m3(name)
    residual = (
        (enthalpy(theta) - enthalpy(theta_old)) / dt * v * dx_vertex
        + k * ufl.inner(ufl.grad(theta), ufl.grad(v)) * dx_k
        - q * v * dx(d.groups[name][1])
    )
    f_form, j_form = _forms(system, residual, theta, v, du)
    bcs = [system.heatsink_bc]
    step = system.stiffness.createVecRight()
    rhs = step.duplicate()
    probe_vec = step.duplicate()
    n_owned = step.getLocalSize()
    floor = atol_k * np.sqrt(step.getSize())
    times = np.concatenate([[0.0], np.cumsum(steps_s)])
    out = np.zeros((len(times), len(system.probes)))
    factorisations = 0
    # GMRES on the exact Jacobian, preconditioned by the LU of an earlier one: Newton steps
    # with few factorisations (refactorised when GMRES needs more than MAX_KRYLOV iterations)
    ksp = PETSc.KSP().create(system.comm)  # type: ignore[arg-type]  # stubs omit mpi4py comms
    ksp.setType("gmres")
    ksp.setTolerances(rtol=1e-5, atol=0.0, max_it=MAX_KRYLOV)
    ksp.getPC().setType("lu")
    ksp.getPC().setFactorSolverType("mumps")
    ksp.getPC().setReusePreconditioner(True)
    factor: PETSc.Mat | None = None
    jac = dolfinx.fem.petsc.create_matrix(j_form)
    try:
        for n, h_s in enumerate(steps_s):
            dt.value = float(h_s)  # type: ignore[assignment]  # stubs: ndarray only
            q.value = float(power_w(float(times[n + 1]))) / volume  # type: ignore[assignment]
            theta_old.x.array[:] = theta.x.array
            for _ in range(max_iterations):
                jac.zeroEntries()  # Newton: the Jacobian at the current iterate
                dolfinx.fem.petsc.assemble_matrix(jac, j_form, bcs=bcs, diag=1.0)  # type: ignore[arg-type,misc]
                jac.assemble()
                res = dolfinx.fem.petsc.assemble_vector(f_form)
                res.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
                dolfinx.fem.petsc.set_bc(res, bcs, alpha=0.0)  # theta already satisfies the BC
                rhs.setArray(-res.getArray(readonly=True)[:n_owned])
                res.destroy()
                solved = False
                if factor is not None:
                    ksp.setOperators(jac, factor)
                    step.set(0.0)
                    ksp.solve(rhs, step)
                    solved = ksp.getConvergedReason() > 0  # type: ignore[operator]  # int enum
                if not solved:
                    if factor is not None:
                        factor.destroy()
                    factor = jac.copy()
                    ksp.setOperators(jac, factor)
                    ksp.getPC().setReusePreconditioner(False)
                    ksp.setUp()
                    ksp.getPC().setReusePreconditioner(True)
                    factorisations += 1
                    step.set(0.0)
                    ksp.solve(rhs, step)
                    if ksp.getConvergedReason() <= 0:  # type: ignore[operator]  # int enum
                        raise ThermalError(
                            f"thermal.linearity_power_w: the Newton system at t = "
                            f"{times[n + 1]:.3g} s could not be solved (KSP reason "
                            f"{ksp.getConvergedReason()}); lower the power"
                        )
                theta.x.array[:n_owned] += step.getArray(readonly=True)
                theta.x.scatter_forward()
                size = system.comm.allreduce(
                    float(np.sum(theta.x.array[:n_owned] ** 2)), op=MPI.SUM
                )
                if step.norm() <= rtol * np.sqrt(size) + floor:
                    break
            else:
                raise ThermalError(
                    f"thermal.linearity_power_w: the nonlinear transient did not converge at "
                    f"t = {times[n + 1]:.3g} s ({power_w(float(times[n + 1])):g} W in {name}); "
                    "lower the power"
                )
            probe_vec.setArray(theta.x.array[:n_owned].copy())  # type: ignore[arg-type]
            out[n + 1] = [p.dot(probe_vec) for p in system.probes]
            if progress is not None:
                progress(1)
    finally:
        for obj in (ksp, jac, factor, step, rhs, probe_vec):
            if obj is not None:
                obj.destroy()
    return times, out, factorisations
