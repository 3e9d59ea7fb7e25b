"""Thermal boundary resistance against the two-layer slab with an interface jump.

The column of tests/thermal/test_layered_column.py (SiO2 on the heatsink side up to x = a,
HfO2 above, power P in the HfO2) with a resistance R [m^2K/W] between the two. The flux P / A
crosses the interface, so the HfO2 side sits P R / A above the SiO2 side (Swartz & Pohl, Rev.
Mod. Phys. 61, 605 (1989)): the mean rises are P a / (2 A k1) and P a / (A k1) + P R / A +
P b / (3 A k2). Modes theta = sin(beta1 x) | B cos(beta2 (L - x)) with flux continuity and
theta2 - theta1 = R k1 theta1' at x = a give

    k1 beta1 cos(beta1 a) cos(beta2 b) - k2 beta2 sin(beta1 a) sin(beta2 b)
        - R k1 beta1 k2 beta2 cos(beta1 a) sin(beta2 b) = 0

(Carslaw & Jaeger sec. 3.7 with a contact resistance; R = 0 is the composite slab).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from meshes.spec import SpecError, default_spec, interface_pairs
from tests.thermal.test_layered_column import CUT, HIGH, LOW, A, fe_eigenvalues
from tests.thermal.test_slab_analytic import L, bar_domain
from thermal.fe import assemble_heat_system, steady_state

R_TBR = 1e-7  # m^2K/W: a third of the SiO2 layer's a / k1, so the jump is far above the mesh error
PAIR = {frozenset(("SiO2", "HfO2")): R_TBR}


def column(n_x: int, interfaces: dict[frozenset[str], float]):  # type: ignore[no-untyped-def]
    domain = bar_domain(n_x, cuts=(CUT,))
    domain = dataclasses.replace(
        domain, materials={"left": LOW, "right": HIGH}, interfaces=interfaces
    )
    return assemble_heat_system(domain, ["right"], ["left", "right"])


def exact_eigenvalues(count: int, r: float) -> np.ndarray:
    k1, c1 = LOW.k_w_per_m_k, LOW.rho_kg_per_m3 * LOW.cp_j_per_kg_k
    k2, c2 = HIGH.k_w_per_m_k, HIGH.rho_kg_per_m3 * HIGH.cp_j_per_kg_k
    a, b = CUT, L - CUT

    def f(lam: float) -> float:
        b1, b2 = np.sqrt(lam * c1 / k1), np.sqrt(lam * c2 / k2)
        return (
            k1 * b1 * np.cos(b1 * a) * np.cos(b2 * b)
            - k2 * b2 * np.sin(b1 * a) * np.sin(b2 * b)
            - r * k1 * b1 * k2 * b2 * np.cos(b1 * a) * np.sin(b2 * b)
        )

    scale = k1 / (c1 * L**2)
    grid = np.geomspace(1e-3, 400, 200_000) * scale
    values = f(grid)
    roots = [
        brentq(f, grid[i], grid[i + 1], xtol=1e-14 * scale)
        for i in np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))
    ]
    return np.array(roots[:count])


def test_steady_rise_has_the_interface_jump_at_second_order() -> None:
    k1, k2 = LOW.k_w_per_m_k, HIGH.k_w_per_m_k
    b = L - CUT
    exact = np.array([CUT / (2 * A * k1), CUT / (A * k1) + R_TBR / A + b / (3 * A * k2)])
    errors = []
    for n_x in (25, 50, 100):
        system = column(n_x, PAIR)
        r, _, balance = steady_state(system)
        errors.append(np.abs(r[:, 0] - exact) / exact)
        assert balance[0] == pytest.approx(1.0, abs=1e-4)  # energy in = heat out
        assert system.interface_area_m2 == {"HfO2/SiO2": pytest.approx(A, rel=1e-12)}
    errors_arr = np.array(errors)
    assert np.all(errors_arr[-1] < 1e-4), errors_arr
    order = np.log2(errors_arr[:-1] / errors_arr[1:])
    assert np.all((order > 1.8) & (order < 2.2)), order


def test_the_jump_is_flux_times_resistance_node_by_node() -> None:
    """The two copies of every interface node differ by about P R / A (P = 1 W; the heat goes
    in beyond a source-free HfO2 layer, where the exact rise is linear in x), and the heat the
    interface conductances carry, sum_i (a_i / R) (theta_hot - theta_cold), is exactly P."""
    domain = bar_domain(40, cuts=(CUT, 0.7 * L))
    domain = dataclasses.replace(
        domain, materials={"left": LOW, "middle": HIGH, "right": HIGH}, interfaces=PAIR
    )
    system = assemble_heat_system(domain, ["right"], ["left"])
    _, fields, _ = steady_state(system)
    theta = fields[0].getArray()
    n_mesh = system.prolongation.getSize()[0]
    assert system.stiffness.getSize()[0] == n_mesh + 4  # the 4 nodes of the cut, split
    x = system.space.tabulate_dof_coordinates()[:, 0]
    low_x = x[:n_mesh] < CUT - 1e-6 * L
    jumps, carried = [], []
    for node in np.flatnonzero(np.abs(x - CUT) < 1e-6 * L):
        copies, weights = system.prolongation.getRow(node)
        assert len(copies) == 2 and weights == pytest.approx([0.5, 0.5])
        hot = copies[np.argmax(theta[copies])]
        neighbours = system.stiffness.getRow(hot)[0]
        neighbours = neighbours[neighbours < n_mesh]  # its unsplit neighbours
        assert not low_x[neighbours].any()  # the hotter copy is the HfO2 side's
        cold = copies[np.argmin(theta[copies])]
        conductance = -system.stiffness.getValue(hot, cold)  # a_i / R, a_i: the node's area
        jumps.append(theta[hot] - theta[cold])
        carried.append(conductance * jumps[-1])
    assert np.array(jumps) == pytest.approx(np.full(4, R_TBR / A), rel=1e-4)
    assert sum(carried) == pytest.approx(1.0, rel=1e-9)


def test_eigenvalues_converge_to_the_slab_with_contact_resistance() -> None:
    exact = exact_eigenvalues(3, R_TBR)
    assert np.all(exact < exact_eigenvalues(3, 0.0))  # the resistance slows every mode
    errors = []
    for n_x in (25, 50, 100):
        fe = fe_eigenvalues(column(n_x, PAIR), 3)
        errors.append(np.abs(fe - exact) / exact)
    errors_arr = np.array(errors)
    assert np.all(errors_arr[-1] < 1e-3), errors_arr
    order = np.log2(errors_arr[:-1] / errors_arr[1:])
    assert np.all((order > 1.8) & (order < 2.2)), order


def test_zero_or_absent_pairs_leave_the_continuous_system() -> None:
    plain = column(30, {})
    for table in ({frozenset(("SiO2", "HfO2")): 0.0}, {frozenset(("TiN", "Si")): 5e-9}):
        other = column(30, table)
        assert other.prolongation is None
        assert steady_state(other)[0] == pytest.approx(steady_state(plain)[0], rel=1e-12)


def test_a_vanishing_resistance_tends_to_perfect_contact() -> None:
    plain = steady_state(column(30, {}))[0]
    tiny = steady_state(column(30, {frozenset(("SiO2", "HfO2")): 1e-14}))[0]
    assert tiny == pytest.approx(plain, rel=1e-6)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"TiN": 5e-9}, 'interfaces.TiN: a key names two materials, "A/B"'),
        ({"TiN/Unobtainium": 5e-9}, "interfaces.TiN/Unobtainium: unknown material"),
        ({"TiN/TiN": 5e-9}, "interfaces.TiN/TiN: a material has no interface with itself"),
        ({"TiN/SiO2": 5e-9, "SiO2/TiN": 1e-9}, "interfaces.SiO2/TiN: the pair is given twice"),
        ({"TiN/SiO2": -1e-9}, "interfaces.TiN/SiO2: must be a resistance in [0, 1e-06]"),
        ({"TiN/SiO2": 5.0}, "interfaces.TiN/SiO2: must be a resistance"),
    ],
)
def test_bad_interface_tables_are_refused_by_name(table: dict, message: str) -> None:
    with pytest.raises(SpecError) as err:
        interface_pairs(table)
    assert message in str(err.value)


def test_the_spec_reads_an_interface_table() -> None:
    from meshes.spec import spec_from_dict

    data = default_spec().to_dict()
    data["interfaces"] = {"TiN/SiO2": 5e-9, "HfO2/TiN": 2}  # an int is a number too
    with pytest.raises(SpecError, match=r"interfaces\.HfO2/TiN: must be a resistance"):
        spec_from_dict(data)
    data["interfaces"] = {"TiN/SiO2": 5e-9, "HfO2/TiN": "x"}
    with pytest.raises(SpecError, match=r"interfaces\.HfO2/TiN: expected a number"):
        spec_from_dict(data)
    data["interfaces"] = {"TiN/SiO2": 5e-9}
    assert spec_from_dict(data).interfaces == {"TiN/SiO2": 5e-9}


def test_a_device_with_interface_resistances_end_to_end(tmp_path: Path) -> None:
    """On a 1 x 2 device: the stage finds each interface's exact area (the oxide is covered by
    TiN above and below, 2 fp^2 per cell), the reduced model matches the split system's exact
    steady solve, heat in = heat out, screening agrees, and the resistances make the heater
    hotter and the crosstalk larger."""
    import json

    from tests.conftest import build, small_spec
    from thermal.response import read_response
    from thermal.screen import screen_device
    from thermal.stage import run_thermal

    spec = small_spec()
    table = {"TiN/SiO2": 5e-9, "HfO2/TiN": 5e-9}
    built = build(dataclasses.replace(spec, interfaces=table), tmp_path / "dev")
    run_thermal(built.out, progress=False, plots=False)
    info = json.loads((built.out / "thermal.json").read_text())
    fp = spec.reram.footprint_nm * 1e-9
    assert info["interfaces"]["area_m2"]["HfO2/TiN"] == pytest.approx(2 * 2 * fp**2, rel=1e-9)
    assert info["interfaces"]["r_m2k_per_w"] == table
    assert info["solver"]["steady_rel_mismatch"] < 1e-3
    # the heater's hottest point is read on its own side of its interfaces (mesh nodes on a
    # resistive face carry one copy per side): never below its mean
    assert info["heater"]["peak_rise_k_per_w"] > info["heater"]["mean_rise_k_per_w"]
    assert info["filament_sources"]["mor_rel_error_estimate"] < 1e-2
    balance = info["energy_balance"]["heatsink_flux_over_power"]
    assert all(b == pytest.approx(1.0, abs=5e-3) for b in balance.values())
    r = read_response(built.out).r_k_per_w
    with_tbr = screen_device(built.out)
    assert with_tbr.r_self_k_per_w == pytest.approx(r[0, 0], rel=2e-3)
    assert with_tbr.crosstalk_nearest == pytest.approx(r[1, 0] / r[0, 0], rel=5e-3)

    plain = build(spec, tmp_path / "plain")
    without = screen_device(plain.out)
    assert with_tbr.heater_rise_k_per_w > 1.1 * without.heater_rise_k_per_w
    assert with_tbr.crosstalk_nearest > without.crosstalk_nearest


def test_a_pair_that_never_touches_is_refused_by_the_stage(tmp_path: Path) -> None:
    from tests.conftest import build, small_spec
    from thermal.config import ThermalError
    from thermal.stage import run_thermal

    spec = dataclasses.replace(small_spec(), interfaces={"Si/TiN": 5e-9})
    built = build(spec, tmp_path / "dev")
    with pytest.raises(ThermalError, match=r"interfaces\.Si/TiN: no face of the mesh"):
        run_thermal(built.out, progress=False, plots=False)
    from thermal.screen import screen_device

    with pytest.raises(ThermalError, match=r"interfaces\.Si/TiN: no face of the mesh"):
        screen_device(built.out)
