"""Direct FE time stepping of M dtheta/dt + K theta = B P(t): the reference the reduced model
is validated against, and the route for waveforms one wants on the full mesh.

Backward Euler, (M + dt K) theta^{n+1} = M theta^n + dt B P^{n+1}: unconditionally stable and
free of the oscillations Crank-Nicolson shows after a power step. One factorisation per
distinct step size, reused for every step and every heater.
"""

from __future__ import annotations

from collections.abc import Callable

from mpi4py import MPI  # noqa: F401

import numpy as np
from petsc4py import PETSc

from thermal.fe import HeatSystem, combine, direct_solver


def step_sizes_geometric(t_end_s: float, dt_first_s: float, steps_per_doubling: int) -> np.ndarray:
    """Steps that double every ``steps_per_doubling`` steps from ``dt_first_s`` until t_end.

    Resolves every time scale from dt_first to t_end with a handful of distinct step sizes
    (so a handful of factorisations) — the fine reference for log-spaced outputs.
    """
    steps: list[float] = []
    t, dt = 0.0, dt_first_s
    while t < t_end_s * (1 - 1e-12):
        for _ in range(steps_per_doubling):
            h = min(dt, t_end_s - t)
            steps.append(h)
            t += h
            if t >= t_end_s * (1 - 1e-12):
                break
        dt *= 2
    return np.array(steps)


def zero_order_hold(power_w: np.ndarray, dt_s: float) -> Callable[[float], np.ndarray]:
    """power_w(t) for powers ``power_w[n, heater]`` held on [n dt, (n+1) dt) — the convention
    of ``ModalModel.respond`` — for ``fe_transient``, which asks for P at each step's end."""
    last = len(power_w) - 1

    def at(t: float) -> np.ndarray:
        return power_w[min(max(int(np.ceil(t / dt_s - 1e-9)) - 1, 0), last)]

    return at


def fe_transient(
    system: HeatSystem,
    steps_s: np.ndarray,
    power_w: Callable[[float], np.ndarray],
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Backward-Euler solve from theta = 0; ``power_w(t)`` gives the heater powers [W] at t.

    Returns (times [n+1], probe rises [n+1, probe]) including t = 0.
    """
    comm = system.comm
    theta = system.stiffness.createVecRight()
    theta.set(0.0)
    rhs, mass_theta = theta.duplicate(), theta.duplicate()
    solvers: dict[float, PETSc.KSP] = {}
    times = np.concatenate([[0.0], np.cumsum(steps_s)])
    out = np.zeros((len(times), len(system.probes)))
    for n, dt in enumerate(steps_s):
        key = float(dt)
        if key not in solvers:
            solvers[key] = direct_solver(combine(system.mass, key, system.stiffness), comm)
        system.mass.mult(theta, mass_theta)
        rhs.set(0.0)
        rhs.axpy(1.0, mass_theta)
        for load, p in zip(system.loads, power_w(times[n + 1]), strict=True):
            if p != 0.0:
                rhs.axpy(key * float(p), load)
        solvers[key].solve(rhs, theta)
        out[n + 1] = [probe.dot(theta) for probe in system.probes]
        if progress is not None:
            progress(1)
    for ksp in solvers.values():
        ksp.destroy()
    return times, out
