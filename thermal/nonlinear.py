"""Steady heat flow with temperature-dependent conductivity, by Newton's method.

    -div(k(T) grad T) = q,   k(T) = k_300 (T / 300 K)^n   per material (``k_exponent`` = n),

with the boundary conditions of ``thermal.fe`` (T = T_ambient on ``heatsink``, adiabatic or
convective on ``top``). Residual F(theta; v) = int k(T) grad(theta).grad(v) dx
+ int_top h theta v ds - int_heater q v dx with T = T_ambient + theta; the Jacobian is its
Gateaux derivative (UFL ``derivative``), so convergence is quadratic. For n = 0 everywhere one
step reproduces the linear solution.
"""

from __future__ import annotations

from mpi4py import MPI

import dolfinx.fem.petsc
import numpy as np
import ufl
from dolfinx import fem
from petsc4py import PETSc

from thermal.config import ThermalError
from thermal.fe import HeatSystem, direct_solver, material_function

T_REFERENCE_K = 300.0


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
    ds = ufl.Measure("ds", domain=d.mesh, subdomain_data=d.facet_tags)
    k300 = material_function(d, "k_w_per_m_k")
    exponent = material_function(d, "k_exponent")
    temperature = t_ambient_k + theta
    k = k300 * (temperature / T_REFERENCE_K) ** exponent
    q = fem.Constant(d.mesh, dolfinx.default_scalar_type(power_w / d.volume_m3(name)))
    residual = k * ufl.inner(ufl.grad(theta), ufl.grad(v)) * dx - q * v * dx(d.groups[name][1])
    if system.h_top_w_per_m2k > 0:
        h = fem.Constant(d.mesh, dolfinx.default_scalar_type(system.h_top_w_per_m2k))
        residual += h * theta * v * ds(d.groups["top"][1])
    f_form = fem.form(residual)
    j_form = fem.form(ufl.derivative(residual, theta, du))
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
