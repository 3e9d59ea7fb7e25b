"""Model-order reduction of the FE heat system by rational Krylov moment matching.

The transfer function of M dtheta/dt + K theta = B P, y = C theta is H(s) = C (K + s M)^{-1} B.
The basis V spans (K + s_j M)^{-1} B *and* (K + s_j M)^{-1} C^T for shifts s_j = 0 and
s_j = 1/tau_j (tau_j log-spaced over the physical time range). K and M are symmetric, so this
one Galerkin basis (K_r = V^T K V, M_r = V^T M V) is the two-sided projection W = V, and the
reduced model matches H and dH/ds at every shift (rational interpolation; Grimme, PhD thesis
1997, thm. 3.3; Antoulas, Approximation of Large-Scale Dynamical Systems, SIAM 2005, ch. 11).
With B alone only H would match: the probes are not the heaters. Projection of symmetric
positive definite K, M keeps the reduced model stable and passive (PRIMA, Odabasioglu et al.,
IEEE TCAD 17, 645 (1998)). Its generalised eigen-decomposition K_r phi = lambda M_r phi is
the modal/Foster form of ``thermal.modal``.

One sparse factorisation per shift serves all heaters and probes; s = 0 in the basis makes
the steady matrix R = C K^{-1} B exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mpi4py import MPI

import numpy as np
import scipy.linalg
from petsc4py import PETSc

from thermal.config import ThermalError
from thermal.fe import HeatSystem, combine, direct_solver
from thermal.modal import ModalModel


@dataclass
class ReducedSystem:
    """A reduced model and the FE basis that lifts modal states back to FE fields."""

    model: ModalModel
    basis: list[PETSc.Vec]  # V, M-orthonormal modal directions: field = sum_k y_k basis[k]
    model_half: ModalModel  # built from every other shift only: a reduction-error estimate

    def field(self, modal_state: np.ndarray) -> PETSc.Vec:
        """FE dof vector sum_k y_k phi_k for a modal state y (collective)."""
        out = self.basis[0].duplicate()
        out.set(0.0)
        out.maxpy(list(modal_state), self.basis)
        return out


def reduce_system(
    system: HeatSystem,
    shifts_per_s: np.ndarray,
    *,
    progress: Callable[[int], None] | None = None,
    deflation_tol: float = 1e-10,
) -> ReducedSystem:
    """Build the rational Krylov basis for ``shifts_per_s`` and diagonalise the reduced model.

    Shifts are processed even-indexed first, so the leading columns span the basis of half
    the shifts; the model restricted to them (``model_half``) estimates the reduction error.
    """
    comm = system.comm
    shifts = np.asarray(shifts_per_s, dtype=float)
    order = np.concatenate([np.arange(0, len(shifts), 2), np.arange(1, len(shifts), 2)])
    columns: list[np.ndarray] = []  # owned parts of the orthonormal basis (Euclidean)
    n_half = 0
    template = system.stiffness.createVecRight()
    rhs_vecs = [*system.loads, *system.probes]  # input and output Krylov directions
    for count, j in enumerate(order):
        shifted = combine(system.stiffness, shifts[j], system.mass)
        ksp = direct_solver(shifted, comm)
        for b in rhs_vecs:
            x = template.duplicate()
            ksp.solve(b, x)
            _append_orthonormal(columns, x.getArray(readonly=True).copy(), comm, deflation_tol)
        ksp.destroy()
        shifted.destroy()
        if count == (len(shifts) + 1) // 2 - 1:
            n_half = len(columns)
        if progress is not None:
            progress(1)

    basis = []
    for col in columns:
        vec = template.duplicate()
        vec.setArray(col)  # type: ignore[arg-type]  # stubs want a Sequence
        basis.append(vec)
    k_red = _project(system.stiffness, basis, columns, comm)
    m_red = _project(system.mass, basis, columns, comm)
    b_red = _dots(columns, [b.getArray(readonly=True) for b in system.loads], comm)
    c_red = _dots(columns, [p.getArray(readonly=True) for p in system.probes], comm).T

    model, phi = _diagonalise(k_red, m_red, b_red, c_red, system)
    half, _ = _diagonalise(
        k_red[:n_half, :n_half], m_red[:n_half, :n_half], b_red[:n_half], c_red[:, :n_half], system
    )
    modal_basis = []
    for k in range(phi.shape[1]):
        vec = template.duplicate()
        vec.set(0.0)
        vec.maxpy(list(phi[:, k]), basis)
        modal_basis.append(vec)
    for vec in basis:
        vec.destroy()
    return ReducedSystem(model, modal_basis, half)


def _append_orthonormal(
    columns: list[np.ndarray], x: np.ndarray, comm: MPI.Comm, tol: float
) -> None:
    """Block classical Gram-Schmidt, twice (enough for orthogonality to round-off)."""
    norm0 = np.sqrt(comm.allreduce(float(x @ x), op=MPI.SUM))
    if norm0 == 0.0:
        return
    x = x / norm0
    if columns:
        basis = np.column_stack(columns)
        for _ in range(2):
            x = x - basis @ comm.allreduce(basis.T @ x, op=MPI.SUM)
    norm = np.sqrt(comm.allreduce(float(x @ x), op=MPI.SUM))
    if norm > tol:
        columns.append(x / norm)


def _project(
    matrix: PETSc.Mat, basis: list[PETSc.Vec], columns: list[np.ndarray], comm: MPI.Comm
) -> np.ndarray:
    """V^T A V (symmetrised against round-off)."""
    images = []
    for vec in basis:
        y = vec.duplicate()
        matrix.mult(vec, y)
        images.append(y.getArray(readonly=True).copy())
        y.destroy()
    reduced = _dots(columns, images, comm)
    return 0.5 * (reduced + reduced.T)


def _dots(columns: list[np.ndarray], others: list[np.ndarray], comm: MPI.Comm) -> np.ndarray:
    """[len(columns), len(others)] Euclidean products of distributed vectors."""
    local = np.column_stack(columns).T @ np.column_stack(others)
    out: np.ndarray = comm.allreduce(local, op=MPI.SUM)
    return out


def _diagonalise(
    k_red: np.ndarray, m_red: np.ndarray, b_red: np.ndarray, c_red: np.ndarray, system: HeatSystem
) -> tuple[ModalModel, np.ndarray]:
    """Generalised symmetric eigenproblem K_r phi = lambda M_r phi, phi^T M_r phi = I."""
    rates, phi = scipy.linalg.eigh(k_red, m_red)
    if rates.min() <= 0:
        raise ThermalError(
            f"thermal.shifts_per_decade: the reduced model is not stable (smallest rate "
            f"{rates.min():g} 1/s); the mesh may be degenerate or the basis ill-conditioned"
        )
    model = ModalModel(
        rate_per_s=rates,
        input_matrix=phi.T @ b_red,
        output_matrix=c_red @ phi,
        probes=system.probe_names,
        heaters=system.heater_names,
    )
    return model, phi
