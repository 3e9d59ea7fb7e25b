"""1D transient conduction in a bar, against the closed-form eigenfunction series.

Bar 0 < x < L, T = 0 at x = 0 (heatsink), adiabatic elsewhere, uniform power P switched on at
t = 0 in h1 < x < h2. With mu_n = (2n - 1) pi / 2 and a = k / (rho c_p) (Carslaw & Jaeger,
Conduction of Heat in Solids, 2nd ed., sec. 3.3, separation of variables):

    theta(x, t) = sum_n c_n (1 - exp(-a mu_n^2 t / L^2)) sin(mu_n x / L),
    c_n = q_n L^2 / (k mu_n^2),   q_n = (2 q0 / mu_n) (cos(mu_n h1 / L) - cos(mu_n h2 / L)),

with q0 = P / (A (h2 - h1)); a probe's mean over p1 < x < p2 averages sin(mu_n x / L) exactly.
"""

from __future__ import annotations

from mpi4py import MPI

import numpy as np
import pytest
from dolfinx.mesh import CellType, create_box, locate_entities, locate_entities_boundary, meshtags

from meshes.materials import MATERIALS
from thermal.fe import Domain, assemble_heat_system
from thermal.reduce import reduce_system
from thermal.stage import shifts_for
from thermal.transient import fe_transient, step_sizes_geometric, zero_order_hold

L, W = 1e-6, 1e-7  # bar length and square side [m]
MAT = MATERIALS["SiO2"]
DIFF = MAT.diffusivity_m2_per_s
T_SCALE = L**2 / DIFF  # slowest time constant is 4 / pi^2 of this


def series_z(
    t: np.ndarray, heat: tuple[float, float], probe: tuple[float, float], n_terms: int = 4000
) -> np.ndarray:
    """Mean probe rise per watt [K/W] at times t."""
    mu = (2 * np.arange(1, n_terms + 1) - 1) * np.pi / 2
    (h1, h2), (p1, p2) = heat, probe
    q0 = 1.0 / (W * W * (h2 - h1))
    q_n = 2 * q0 / mu * (np.cos(mu * h1 / L) - np.cos(mu * h2 / L))
    c_n = q_n * L**2 / (MAT.k_w_per_m_k * mu**2)
    mean_sin = L / (mu * (p2 - p1)) * (np.cos(mu * p1 / L) - np.cos(mu * p2 / L))
    growth = -np.expm1(-np.outer(t, DIFF * mu**2 / L**2))
    return growth @ (c_n * mean_sin)


def bar_domain(n_x: int, cuts: tuple[float, ...] = (L / 2,)) -> Domain:
    """The bar cut at ``cuts`` into regions "left", ..., "right" (one cut: the two halves;
    two cuts: "left", "middle", "right")."""
    mesh = create_box(
        MPI.COMM_WORLD, [np.zeros(3), np.array([L, W, W])], [n_x, 1, 1], CellType.tetrahedron
    )
    tdim = mesh.topology.dim
    n_cells = mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts
    values = np.full(n_cells, len(cuts) + 1, dtype=np.int32)
    for tag, cut in reversed(list(enumerate(cuts, start=1))):
        values[locate_entities(mesh, tdim, lambda x, c=cut: x[0] <= c + 1e-15)] = tag
    cell_tags = meshtags(mesh, tdim, np.arange(n_cells, dtype=np.int32), values)
    # x = 0 only: np.isclose's default atol (1e-8 m) would take in the first cell layer
    sink = locate_entities_boundary(mesh, tdim - 1, lambda x: np.abs(x[0]) < 1e-6 * L)
    facet_tags = meshtags(
        mesh, tdim - 1, np.sort(sink).astype(np.int32), np.full(len(sink), 1001, dtype=np.int32)
    )
    names = ["left", "middle", "right"] if len(cuts) == 2 else ["left", "right"]
    groups = {name: (3, tag) for tag, name in enumerate(names, start=1)}
    groups["heatsink"] = (2, 1001)
    return Domain(mesh, cell_tags, facet_tags, groups, dict.fromkeys(names, MAT))


@pytest.fixture(scope="module")
def bar() -> tuple:
    domain = bar_domain(n_x=80)
    system = assemble_heat_system(domain, ["left"], ["left", "right"])
    reduced = reduce_system(system, shifts_for(1e-4 * T_SCALE, 3 * T_SCALE, 2.0))
    return system, reduced


def test_reduced_fe_matches_series_at_all_times(bar: tuple) -> None:
    _, reduced = bar
    t = np.geomspace(1e-4, 3, 61) * T_SCALE
    z = reduced.model.network().step_response(t)  # [t, probe, heater]
    for p, probe in enumerate([(0.0, L / 2), (L / 2, L)]):
        exact = series_z(t, (0.0, L / 2), probe)
        steady = series_z(np.array([1e3 * T_SCALE]), (0.0, L / 2), probe)[0]
        assert np.max(np.abs(z[:, p, 0] - exact)) < 0.01 * steady
    # the far half lags the heated half: a real transient, not only the steady state
    assert z[5, 1, 0] < 0.1 * z[5, 0, 0]


def test_step_response_is_non_negative_and_non_decreasing(bar: tuple) -> None:
    """The heat kernel is positive: the far half's step response never dips below zero and
    never falls (lumped mass, two-sided reduction), on a grid denser than the shifts."""
    _, reduced = bar
    z = reduced.model.network().step_response(np.geomspace(1e-6, 3, 2000) * T_SCALE)
    r_self = reduced.model.network().steady_k_per_w()[0, 0]
    assert z.min() >= -1e-6 * r_self
    assert np.diff(z, axis=0).min() >= -1e-6 * r_self


def test_consistent_mass_undershoots_where_lumped_does_not() -> None:
    """Why the lumped mass: with the consistent mass, a probe disjoint from the heater starts
    with slope c^T M^-1 b < 0 (M^-1 has negative entries), a non-physical dip."""
    domain = bar_domain(n_x=80, cuts=(L / 2, L / 2 + L / 80))  # one element apart
    shifts = shifts_for(1e-4 * T_SCALE, 3 * T_SCALE, 3.0)
    t = np.geomspace(1e-6, 1e-2, 400) * T_SCALE
    dips = {}
    for lumped in (False, True):
        system = assemble_heat_system(domain, ["left"], ["right"], lumped_mass=lumped)
        model = reduce_system(system, shifts).model
        net = model.network()
        dips[lumped] = net.step_response(t).min() / net.steady_k_per_w()[0, 0]
    assert dips[False] < -1e-8 and dips[True] >= -1e-12, dips


def test_slowest_mode_is_the_first_eigenvalue(bar: tuple) -> None:
    """tau_1 = 4 L^2 / (pi^2 a) for the fundamental mode of the bar."""
    _, reduced = bar
    assert reduced.model.network().tau_s.max() == pytest.approx(4 * T_SCALE / np.pi**2, rel=1e-3)


def test_backward_euler_reference_matches_series(bar: tuple) -> None:
    system, _ = bar
    steps = step_sizes_geometric(3 * T_SCALE, 1e-6 * T_SCALE, 30)
    times, rises = fe_transient(system, steps, lambda t: np.array([1.0]))
    exact = series_z(times, (0.0, L / 2), (L / 2, L))
    steady = series_z(np.array([1e3 * T_SCALE]), (0.0, L / 2), (L / 2, L))[0]
    assert np.max(np.abs(rises[:, 1] - exact)) < 0.01 * steady


def test_pulse_train_response_by_reduced_model_and_by_time_stepping_agree(bar: tuple) -> None:
    """The waveform path: exact zero-order-hold modal update vs backward Euler on the mesh."""
    system, reduced = bar
    dt = 0.01 * T_SCALE
    n = 300
    power = np.where((np.arange(n) // 20) % 2 == 0, 1e-6, 0.0)[:, None]  # 20 on, 20 off
    modal = reduced.model.network().respond(power, dt)  # [n, probe], at t = (k + 1) dt
    sub = 10  # backward Euler with 10 sub-steps per hold interval
    steps = np.full(n * sub, dt / sub)
    _, fe = fe_transient(system, steps, zero_order_hold(power, dt))
    scale = np.max(np.abs(fe))
    assert np.max(np.abs(modal - fe[sub::sub])) < 0.01 * scale


def test_quadratic_elements_match_series() -> None:
    """P2 (``thermal.degree = 2``) on a coarser bar is as accurate as P1 on the fine one."""
    system = assemble_heat_system(
        bar_domain(n_x=20), ["left"], ["left", "right"], degree=2, lumped_mass=False
    )
    reduced = reduce_system(system, shifts_for(1e-4 * T_SCALE, 3 * T_SCALE, 2.0))
    t = np.geomspace(1e-4, 3, 41) * T_SCALE
    exact = series_z(t, (0.0, L / 2), (L / 2, L))
    steady = series_z(np.array([1e3 * T_SCALE]), (0.0, L / 2), (L / 2, L))[0]
    assert np.max(np.abs(reduced.model.network().step_response(t)[:, 1, 0] - exact)) < 0.01 * steady


def test_nonlinear_conductivity_matches_kirchhoff_transform() -> None:
    """k = k0 (T / 300)^n: U = int_T0^T k/k0 dT' solves the linear problem (Kirchhoff), so
    T = T0 (1 + (n + 1) U / T0)^(1 / (n + 1)) with U the linear solution."""
    from dataclasses import replace

    from thermal.fe import steady_state
    from thermal.nonlinear import steady_nonlinear

    n, t0, power = -1.3, 300.0, 5e-6
    domain = bar_domain(n_x=200)
    domain.materials = {g: replace(MAT, k_exponent=n) for g in domain.materials}
    system = assemble_heat_system(domain, ["left"], ["left", "right"])
    r_linear, _, _ = steady_state(system)
    rises, iterations = steady_nonlinear(system, 0, power, t0)
    # no source and an adiabatic end: the far half is isothermal, so means transform exactly
    u = r_linear[1, 0] * power
    kirchhoff = t0 * (1 + (n + 1) * u / t0) ** (1 / (n + 1)) - t0
    assert u > 50  # a strong rise, where the nonlinearity matters (+22 % over linear here)
    assert rises[1] == pytest.approx(kirchhoff, rel=5e-3)
    assert rises[1] > 1.15 * u and 2 <= iterations <= 10


def test_constant_conductivity_newton_is_linear() -> None:
    from dataclasses import replace

    from thermal.fe import steady_state
    from thermal.nonlinear import steady_nonlinear

    domain = bar_domain(n_x=40)
    domain.materials = {g: replace(MAT, k_exponent=0.0) for g in domain.materials}
    system = assemble_heat_system(domain, ["left"], ["left", "right"])
    r_linear, _, _ = steady_state(system)
    rises, iterations = steady_nonlinear(system, 0, 1e-6, 300.0)
    np.testing.assert_allclose(rises, r_linear[:, 0] * 1e-6, rtol=1e-9)
    assert iterations <= 2
