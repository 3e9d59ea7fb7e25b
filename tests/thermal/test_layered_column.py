"""A two-material column against its exact solution: series thermal resistance at steady
state, and the eigenvalues of the composite slab, with the observed order of convergence.

Column 0 < x < L of cross-section A: SiO2 (k1, C1 = rho c_p) on the heatsink side up to x = a,
HfO2 (k2, C2) above, T = 0 at x = 0, adiabatic elsewhere, power P uniform in the HfO2 layer.
Steady (series resistances): the mean rise of the SiO2 layer is P a / (2 A k1), of the HfO2
layer P a / (A k1) + P b / (3 A k2), b = L - a. Modes: theta = sin(beta1 x) in SiO2 and
B cos(beta2 (L - x)) in HfO2, beta_i = sqrt(lambda C_i / k_i); continuity of theta and of
k theta' at x = a gives (Carslaw & Jaeger, sec. 3.7, composite slab)

    k1 beta1 cos(beta1 a) cos(beta2 b) - k2 beta2 sin(beta1 a) sin(beta2 b) = 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import eigh
from scipy.optimize import brentq

from meshes.materials import MATERIALS
from tests.thermal.test_slab_analytic import L, W, bar_domain
from thermal.fe import assemble_heat_system, steady_state

A = W * W
CUT = 0.4 * L
LOW, HIGH = MATERIALS["SiO2"], MATERIALS["HfO2"]


def column(n_x: int):  # type: ignore[no-untyped-def]
    domain = bar_domain(n_x, cuts=(CUT,))
    materials = {"left": LOW, "right": HIGH}
    domain = type(domain)(
        domain.mesh, domain.cell_tags, domain.facet_tags, domain.groups, materials
    )
    return assemble_heat_system(domain, ["right"], ["left", "right"])


def exact_eigenvalues(count: int) -> np.ndarray:
    """The ``count`` smallest roots lambda [1/s] of the composite-slab equation."""
    k1, c1 = LOW.k_w_per_m_k, LOW.rho_kg_per_m3 * LOW.cp_j_per_kg_k
    k2, c2 = HIGH.k_w_per_m_k, HIGH.rho_kg_per_m3 * HIGH.cp_j_per_kg_k
    a, b = CUT, L - CUT

    def f(lam: float) -> float:
        b1, b2 = np.sqrt(lam * c1 / k1), np.sqrt(lam * c2 / k2)
        return k1 * b1 * np.cos(b1 * a) * np.cos(b2 * b) - k2 * b2 * np.sin(b1 * a) * np.sin(b2 * b)

    scale = k1 / (c1 * L**2)
    grid = np.geomspace(1e-3, 400, 200_000) * scale
    values = np.array([f(x) for x in grid])
    roots = [
        brentq(f, grid[i], grid[i + 1], xtol=1e-14 * scale)
        for i in np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))
    ]
    return np.array(roots[:count])


def fe_eigenvalues(system, count: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Smallest eigenvalues of K x = lambda M x (the heatsink rows, identity in K and zero in
    M, are dropped)."""

    def dense(mat):  # type: ignore[no-untyped-def]
        indptr, indices, data = mat.getValuesCSR()
        n = mat.getSize()[0]
        out = np.zeros((n, n))
        for row in range(n):
            out[row, indices[indptr[row] : indptr[row + 1]]] = data[indptr[row] : indptr[row + 1]]
        return out

    k, m = dense(system.stiffness), dense(system.mass)
    free = np.diag(m) > 0
    return eigh(k[np.ix_(free, free)], m[np.ix_(free, free)], eigvals_only=True)[:count]


def test_steady_rise_is_the_series_resistance_at_second_order() -> None:
    k1, k2 = LOW.k_w_per_m_k, HIGH.k_w_per_m_k
    b = L - CUT
    exact = np.array([CUT / (2 * A * k1), CUT / (A * k1) + b / (3 * A * k2)])  # [low, high]
    errors = []
    for n_x in (25, 50, 100):
        r, _, balance = steady_state(column(n_x))
        errors.append(np.abs(r[:, 0] - exact) / exact)
        assert balance[0] == pytest.approx(1.0, abs=1e-4)  # energy in = heat out
    errors_arr = np.array(errors)  # [mesh, probe]
    assert np.all(errors_arr[-1] < 1e-4), errors_arr
    order = np.log2(errors_arr[:-1] / errors_arr[1:])
    assert np.all((order > 1.8) & (order < 2.2)), order


def test_eigenvalues_converge_to_the_composite_slab_at_second_order() -> None:
    exact = exact_eigenvalues(3)
    assert np.all(np.diff(exact) > 0)
    errors = []
    for n_x in (25, 50, 100):
        fe = fe_eigenvalues(column(n_x), 3)
        errors.append(np.abs(fe - exact) / exact)
    errors_arr = np.array(errors)  # [mesh, mode]
    assert np.all(errors_arr[-1] < 1e-3), errors_arr
    order = np.log2(errors_arr[:-1] / errors_arr[1:])
    assert np.all((order > 1.8) & (order < 2.2)), order
