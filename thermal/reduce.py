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
from thermal.fe import HeatSystem, factorised_shifts
from thermal.modal import ModalModel


@dataclass
class ReducedSystem:
    """A reduced model and the FE basis that lifts modal states back to FE fields."""

    model: ModalModel
    columns: np.ndarray  # V [owned dofs, basis]: orthonormal Krylov basis
    phi: np.ndarray  # [basis, mode]: the M-orthonormal modal directions are V phi
    template: PETSc.Vec  # a vector of the system's layout
    model_half: ModalModel  # built from every other shift only: a reduction-error estimate
    steady_columns: np.ndarray | None = None
    """K^-1 b_h for every heater, then K^-1 c_p for every probe [owned dofs, heater + probe]
    (the s = 0 solves), when s = 0 was a shift: the exact steady fields, at no extra cost."""

    def field(self, modal_state: np.ndarray) -> PETSc.Vec:
        """FE dof vector V phi y for a modal state y (collective)."""
        out = self.template.duplicate()
        out.setArray(np.ascontiguousarray(self.columns @ (self.phi @ modal_state)))  # type: ignore[arg-type]
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
    template = system.stiffness.createVecRight()
    rhs_vecs = [*system.loads, *system.probes]  # input and output Krylov directions
    basis_cols = _Basis(template.getLocalSize(), comm, deflation_tol)
    n_half = 0
    rhs, solutions = _dense_pair(rhs_vecs, template, comm)
    solvers = factorised_shifts(system.stiffness, system.mass, shifts[order], comm)
    steady = None
    for count, ksp in enumerate(solvers):
        ksp.matSolve(rhs, solutions)  # every right-hand side in one multi-RHS MUMPS solve
        solved = solutions.getDenseArray(readonly=True).copy()
        if shifts[order[count]] == 0.0:
            steady = solved
        basis_cols.extend(solved)
        if count == (len(shifts) + 1) // 2 - 1:
            n_half = basis_cols.size
        if progress is not None:
            progress(1)
    rhs.destroy()
    solutions.destroy()

    columns = basis_cols.columns()
    k_red = _project(system.stiffness, columns, template, comm)
    m_red = _project(system.mass, columns, template, comm)
    b_red = _dots(columns, [b.getArray(readonly=True) for b in system.loads], comm)
    c_red = _dots(columns, [p.getArray(readonly=True) for p in system.probes], comm).T

    model, phi = _diagonalise(k_red, m_red, b_red, c_red, system)
    half, _ = _diagonalise(
        k_red[:n_half, :n_half], m_red[:n_half, :n_half], b_red[:n_half], c_red[:, :n_half], system
    )
    return ReducedSystem(model, np.ascontiguousarray(columns), phi, template, half, steady)


def _dense_pair(
    vectors: list[PETSc.Vec], template: PETSc.Vec, comm: MPI.Comm
) -> tuple[PETSc.Mat, PETSc.Mat]:
    """A dense matrix holding ``vectors`` as columns (rows distributed like ``template``), and
    an empty one of the same layout for the solutions. A block solve through MUMPS's
    multi-right-hand-side path is about 4x faster than one solve per vector."""
    rhs = _dense(np.column_stack([v.getArray(readonly=True) for v in vectors]), template, comm)
    return rhs, rhs.duplicate()


def _dense(columns: np.ndarray, template: PETSc.Vec, comm: MPI.Comm) -> PETSc.Mat:
    """A distributed dense matrix with the owned rows ``columns`` [n_local, k]."""
    sizes = ((template.getLocalSize(), template.getSize()), (PETSc.DECIDE, columns.shape[1]))
    mat = PETSc.Mat().createDense(sizes, comm=comm)  # type: ignore[arg-type]
    mat.setUp()
    mat.getDenseArray()[:] = columns
    mat.assemble()
    return mat


class _Basis:
    """An orthonormal basis of distributed vectors (the owned rows here), grown in blocks."""

    def __init__(self, n_local: int, comm: MPI.Comm, tol: float) -> None:
        self.comm, self.tol = comm, tol
        self.data = np.empty((n_local, 64))
        self.size = 0

    def columns(self) -> np.ndarray:
        return self.data[:, : self.size]

    def _norm(self, x: np.ndarray) -> float:
        return float(np.sqrt(self.comm.allreduce(float(x @ x), op=MPI.SUM)))

    def extend(self, block: np.ndarray) -> None:
        """Add the directions of ``block`` [n_local, k] not yet spanned: each column scaled to
        unit norm, block classical Gram-Schmidt twice against the basis (enough for
        orthogonality to round-off), then the block orthonormalised within itself through
        the eigen-decomposition of its Gram matrix (Cholesky-QR style, all BLAS-3 and one
        small allreduce per step), twice. A direction whose remainder has a singular value
        below ``tol`` is dropped (deflation): the Gram matrix resolves singular values down
        to ~1e-8 of the unit columns, so ``tol`` is at least 1e-7."""
        norms = np.sqrt(self.comm.allreduce(np.sum(block * block, axis=0), op=MPI.SUM))
        block = block[:, norms > 0] / norms[norms > 0]
        for sweep, passes in enumerate((2, 1)):
            v = self.columns()
            for _ in range(passes):
                block = block - v @ self.comm.allreduce(v.T @ block, op=MPI.SUM)
            gram = self.comm.allreduce(block.T @ block, op=MPI.SUM)
            w, u = np.linalg.eigh(0.5 * (gram + gram.T))
            floor = max(self.tol, 1e-7) ** 2 if sweep == 0 else 0.25  # 2nd sweep: ~identity
            keep = w > floor
            block = block @ (u[:, keep] / np.sqrt(w[keep]))
        need = self.size + block.shape[1]
        if need > self.data.shape[1]:
            grown = np.empty((self.data.shape[0], max(need, 2 * self.data.shape[1])))
            grown[:, : self.size] = self.columns()
            self.data = grown
        self.data[:, self.size : need] = block
        self.size = need


def _project(
    matrix: PETSc.Mat, columns: np.ndarray, template: PETSc.Vec, comm: MPI.Comm
) -> np.ndarray:
    """V^T A V (symmetrised against round-off), A V as one sparse-times-dense product."""
    v = _dense(columns, template, comm)
    images = matrix.matMult(v)
    reduced = _dots(columns, list(images.getDenseArray(readonly=True).T), comm)
    v.destroy()
    images.destroy()
    return 0.5 * (reduced + reduced.T)


def _dots(columns: np.ndarray, others: list[np.ndarray], comm: MPI.Comm) -> np.ndarray:
    """[n_columns, len(others)] Euclidean products of distributed vectors."""
    local = columns.T @ np.column_stack(others)
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
