"""The k(T), c_p(T) transient (thermal.nonlinear.transient_nonlinear) against exact results,
and the linearity check and Kirchhoff correction built on it (devicefit.linearity)."""

from __future__ import annotations

from dataclasses import replace

from mpi4py import MPI  # noqa: F401  (before dolfinx)

import numpy as np
import pytest

from devicefit.linearity import KirchhoffMap, assess_linearity, fit_kirchhoff
from tests.thermal.test_slab_analytic import MAT, T_SCALE, bar_domain
from thermal.fe import assemble_heat_system, steady_state
from thermal.nonlinear import steady_nonlinear, transient_nonlinear
from thermal.transient import fe_transient, step_sizes_geometric

T0 = 300.0


def _bar(n_x: int, k_exponent: float, cp_exponent: float):  # type: ignore[no-untyped-def]
    domain = bar_domain(n_x=n_x)
    domain.materials = {
        g: replace(MAT, k_exponent=k_exponent, cp_exponent=cp_exponent) for g in domain.materials
    }
    return assemble_heat_system(domain, ["left"], ["left", "right"])


def test_constant_properties_reproduce_the_linear_stepper() -> None:
    """n = m = 0: the enthalpy scheme with vertex quadrature is fe_transient (lumped mass)
    step for step, heating and cooling."""
    system = _bar(40, 0.0, 0.0)
    half = step_sizes_geometric(3 * T_SCALE, 1e-4 * T_SCALE, 1)
    steps = np.concatenate([half, half])
    t_off = half.sum()
    power = 5e-6

    def at(t: float) -> float:
        return power if t <= t_off * (1 + 1e-9) else 0.0

    _, linear = fe_transient(system, steps, lambda t: np.array([at(t)]))
    _, nonlinear, factorisations = transient_nonlinear(system, 0, steps, at, T0)
    assert linear[:, 0].max() > 50  # a strong rise: the test is not a no-op
    np.testing.assert_allclose(nonlinear, linear, rtol=1e-8, atol=1e-9)
    assert factorisations < len(steps)  # the old factorisation is reused


def test_quadratic_elements_are_refused_not_solved_wrongly() -> None:
    """The vertex-quadrature lumping is P1 only: a P2 system is refused by name (the stage
    skips the run for degree 2 and records why)."""
    from thermal.config import ThermalError

    domain = bar_domain(n_x=10)
    system = assemble_heat_system(domain, ["left"], ["left", "right"], degree=2, lumped_mass=False)
    with pytest.raises(ThermalError, match=r"thermal\.degree"):
        transient_nonlinear(system, 0, np.array([1e-3 * T_SCALE]), lambda t: 1e-6, T0)


def test_heating_ends_at_the_steady_kirchhoff_solution() -> None:
    """A long heating with k ~ T^0.4, c_p ~ T^0.5 ends at the steady k(T) Newton solution, and
    the far half's mean follows the Kirchhoff transform of the linear one; fitting the
    transform to the run recovers the exponent."""
    n = 0.4
    system = _bar(120, n, 0.5)
    power = 1.5e-5
    steps = step_sizes_geometric(20 * T_SCALE, 1e-4 * T_SCALE, 2)
    _, rises, _ = transient_nonlinear(system, 0, steps, lambda t: power, T0)
    steady, _ = steady_nonlinear(system, 0, power, T0)
    np.testing.assert_allclose(rises[-1], steady, rtol=2e-4)
    r_linear, _, _ = steady_state(system)
    u = r_linear[1, 0] * power
    kirchhoff = KirchhoffMap(n, T0).true_rise_k(np.array([u]))[0]
    assert u > 200 and rises[-1, 1] < 0.9 * u  # k rising with T: cooler than linear
    assert rises[-1, 1] == pytest.approx(kirchhoff, rel=5e-3)
    # the far half is isothermal at steady state: its samples fix n exactly
    fitted = fit_kirchhoff(np.array([u]), np.array([rises[-1, 1]]), T0)
    assert fitted.exponent == pytest.approx(n, abs=0.02)


def test_heat_capacity_rising_with_temperature_slows_the_early_heating() -> None:
    """Before heat leaves the heated half (t << L^2 / a), its mean enthalpy is P t / V:
    the c_p(T) run's rise is H^-1(P t / V), the linear run's P t / (V rho c_p); their
    ratio is fixed by m alone (the leak is the same small share in both)."""
    m = 0.8
    linear_system, system = _bar(80, 0.0, 0.0), _bar(80, 0.0, m)
    power = 6e-4
    steps = step_sizes_geometric(2e-3 * T_SCALE, 1e-5 * T_SCALE, 4)
    _, linear = fe_transient(linear_system, steps, lambda t: np.array([power]))
    _, hot, _ = transient_nonlinear(system, 0, steps, lambda t: power, T0)
    u = linear[-1, 0]  # linear rise: H / (rho c_p,300)
    assert u > 100
    # invert H(theta) = rho c_p,300 T0 / (m + 1) ((1 + theta / T0)^(m+1) - 1) (T0 = 300 K)
    expected = T0 * ((1 + (m + 1) * u / T0) ** (1 / (m + 1)) - 1)
    assert hot[-1, 0] == pytest.approx(expected, rel=3e-3)
    assert hot[-1, 0] < 0.9 * u  # 15 % below linear: the check above is not a no-op


def test_kirchhoff_map_is_inverted_exactly_and_is_the_identity_at_small_rises() -> None:
    rises = np.array([0.0, 1e-3, 50.0, 150.0, 400.0])
    for n in (-1.0, -0.5, 0.0, 0.3, 1.2):
        k = KirchhoffMap(n, T0)
        # the Kirchhoff variable of the true rise, int_T0^T (T'/T0)^n dT', is the linear one
        x = k.true_rise_k(rises) / T0
        kirchhoff = T0 * (np.log1p(x) if n == -1.0 else ((1 + x) ** (n + 1) - 1) / (n + 1))
        np.testing.assert_allclose(kirchhoff, rises, atol=1e-9)
        assert k.true_rise_k(np.array([1e-3]))[0] == pytest.approx(1e-3, rel=1e-5)
    assert KirchhoffMap(0.0, T0).true_rise_k(np.array([150.0]))[0] == pytest.approx(150.0)


def test_linearity_check_flags_and_corrects_a_k_of_t_stack() -> None:
    """Samples of a uniform k ~ T^0.5 steady state: the band error is that of the exact map,
    the fitted correction removes it, and it is applied only above the tolerance."""
    linear = np.linspace(0.0, 300.0, 61)[:, None] * np.ones((1, 3))
    true = KirchhoffMap(0.5, T0).true_rise_k(linear)
    check = assess_linearity(linear, true, power_w=4e-4, t_ambient_k=T0, tolerance=0.01)
    inside = (linear >= 100) & (linear <= 200)
    assert check.band_samples == int(inside.sum())
    assert check.max_rel_error == pytest.approx(float(np.max(1 - true[inside] / linear[inside])))
    assert check.max_rel_error > 0.05 and check.apply_correction
    assert check.kirchhoff.exponent == pytest.approx(0.5, abs=1e-4)
    assert check.corrected_rel_error is not None and check.corrected_rel_error < 1e-4
    relaxed = assess_linearity(linear, true, power_w=4e-4, t_ambient_k=T0, tolerance=0.5)
    assert not relaxed.apply_correction
    low = assess_linearity(linear * 0.1, true * 0.1, power_w=4e-5, t_ambient_k=T0, tolerance=0.01)
    assert low.max_rel_error is None and not low.apply_correction


def test_the_stage_runs_the_operating_point_and_the_card_carries_the_correction(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Thermal stage (default: 0.4 mW in the centre heater, linear and k(T), c_p(T)) -> fit:
    heating, the nonlinear run is cooler than the linear one where it is hot (cooling, the
    larger hot c_p holds heat longer: it can lag above), the card carries the
    band error, the fitted map and the decision, and snn's kernel reads them back."""
    import json

    from devicefit.card import card_from_json, read_card
    from devicefit.errors import CardError
    from devicefit.stage import run_fit
    from tests.conftest import build, small_spec
    from thermal.response import read_response
    from thermal.stage import run_thermal

    out = build(small_spec("top"), tmp_path_factory.mktemp("op") / "dev").out
    run_thermal(out, progress=False, plots=False)
    run = read_response(out).operating_point
    assert run is not None and run.power_w == pytest.approx(4e-4)
    hot = (run.linear_k > 100) & (run.t_s <= run.t_off_s)[:, None]
    assert hot.any() and np.all(run.nonlinear_k[hot] < run.linear_k[hot])
    assert np.max(run.linear_k[-1]) < 0.05 * np.max(run.linear_k)  # cooled down again
    info = json.loads((out / "thermal.json").read_text())["linearity"]
    assert info["k_exponent"]["SiO2"] == pytest.approx(0.31)
    run_fit(out, plots=True)
    assert (out / "fit_linearity.png").stat().st_size > 10_000
    card = read_card(out / "model_card.json")
    lin = card.thermal.linearity
    assert lin is not None and lin.band_samples > 0 and lin.max_rel_error is not None
    assert lin.max_rel_error > lin.tolerance and lin.apply_correction
    assert 0.0 < lin.kirchhoff.exponent < 1.0
    assert lin.corrected_rel_error is not None and lin.corrected_rel_error < lin.max_rel_error
    data = json.loads((out / "model_card.json").read_text())
    lin_data = data["thermal"]["linearity"]
    for field, value, message in (
        ("kirchhoff_exponent", 9.0, "linearity"),
        ("band_k", [200.0, 100.0], r"linearity\.band_k"),
        ("max_rel_error", None, r"linearity\.apply_correction"),
    ):
        data["thermal"]["linearity"] = {**lin_data, field: value}
        with pytest.raises(CardError, match=message):
            card_from_json(data)
    data["thermal"]["linearity"] = dict(lin_data)
    del data["thermal"]["linearity"]["apply_correction"]
    with pytest.raises(CardError, match="linearity"):
        card_from_json(data)
