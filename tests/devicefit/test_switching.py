"""Switching model family and its fitter: the closed form follows an independent time
integration of the rate equation; the fitter recovers the parameters of data made by that
independent generator, picks the member that made them by BIC, reports what the data cannot
determine and refuses data no member fits, with the residual; the temperature sensitivity
depends on G0 and polarity; CSV errors name line, column and the likely unit mistake."""

from __future__ import annotations

import io
from dataclasses import fields, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from devicefit.errors import CardError
from devicefit.switching import (
    K_B_EV,
    NO_HEATING,
    ArrheniusModel,
    DissolutionModel,
    PulseHeating,
    calibrated_pulse_s,
    check_switching_model,
    linearity_window,
)
from devicefit.switching_fit import (
    SwitchingData,
    example_csv_text,
    fit_switching,
    predicted_dg_s,
    read_switching_csv,
    synthetic_measurements,
    write_rows,
)
from tests.devicefit.switching_generator import Truth, measure

EXAMPLE = Path(str(resources.files("devicefit").joinpath("example_switching.csv")))
HEATING = PulseHeating(4.9e6, 0.0)  # the generator's filament, no series resistance


def test_shipped_example_is_the_regenerated_synthetic_set() -> None:
    text = EXAMPLE.read_text()
    assert text == example_csv_text()
    assert "SYNTHETIC" in text.splitlines()[0]


def test_closed_form_follows_the_time_integrated_rate_equation() -> None:
    """Noise-free: the model's substepped relaxation (own heat following G) matches an RK4
    solution of the rate equation within 1 % on every row, pulses that move G by half the
    window included; without the substeps (heat of G0 throughout) RESET rows miss by far."""
    data = measure(Truth(), noise_mult=0.0, noise_add_s=0.0, steps=2000, seed=3)
    model = ArrheniusModel(ln_nu0_set=np.log(1e13), ln_nu0_reset=np.log(1e13))
    pred = predicted_dg_s(model, data, HEATING, substeps=64)
    big = np.abs(data.dg_s) > 1e-3 * (model.g_max_s - model.g_min_s)
    assert big.sum() > 100 and np.abs(data.dg_s).max() > 0.4 * (model.g_max_s - model.g_min_s)
    np.testing.assert_allclose(pred[big], data.dg_s[big], rtol=0.01)
    first_order = model.delta_g_s(
        data.temperature_k,
        data.g0_s,
        data.set_polarity,
        data.pulse_v,
        data.pulse_s,
        heating=HEATING,
        substeps=1,
    )
    assert np.max(np.abs(first_order[big] / data.dg_s[big] - 1)) > 0.3


def _assert_recovered(fit_model, std, truth: dict[str, float], rel: float) -> None:
    for name, want in truth.items():
        got, s = getattr(fit_model, name), std[name]
        assert s is not None and s > 0, name
        assert abs(got - want) < 4 * s or abs(got - want) < rel * abs(want), (name, got, want, s)
        assert got == pytest.approx(want, rel=rel, abs=1e-5), name


def test_fitter_recovers_arrhenius_data_from_an_independent_generator() -> None:
    """RK4 data with 3 % multiplicative and 2 nS additive noise (sign flips near the bounds):
    BIC keeps the Arrhenius member, every parameter within 4 sigma or 2 %, and the noise
    model finds the noise put in."""
    data = measure(Truth(), seed=0)
    fit = fit_switching(data, HEATING)
    best = fit.best
    assert best.model.NAME == "arrhenius"
    assert [m.bic for m in fit.members] == sorted(m.bic for m in fit.members)
    ln13 = float(np.log(1e13))
    truth = {
        "ln_nu0_set": ln13,
        "ea_set_ev": 0.7,
        "gamma_set_ev_per_v": 0.3,
        "ln_nu0_reset": ln13,
        "ea_reset_ev": 1.12,
        "gamma_reset_ev_per_v": 0.3,
        "g_max_s": 1e-4,
    }
    _assert_recovered(best.model, best.std, truth, rel=0.02)
    assert best.sigma_mult_rel == pytest.approx(0.03, rel=0.2)
    assert best.sigma_add_s == pytest.approx(2e-9, rel=0.3)


def test_dissolution_data_pick_the_dissolution_member() -> None:
    """Data with dissolution (1e14 / s, 1.05 eV) and a read TCR of 2e-3 / K, at 300-600 K: BIC
    prefers the drift-dissolution member by a wide margin and recovers its parameters."""
    data = measure(Truth(nu_diss=1e14, e_diss=1.05, tcr_read=2e-3), t_range=(300.0, 600.0))
    fit = fit_switching(data, HEATING)
    best = fit.best
    assert best.model.NAME == "drift-dissolution" and best.unidentified == ()
    assert fit.members[1].bic - best.bic > 100
    truth = {
        "ea_set_ev": 0.7,
        "gamma_set_ev_per_v": 0.3,
        "ea_reset_ev": 1.12,
        "ln_nu0_diss": float(np.log(1e14)),
        "ea_diss_ev": 1.05,
        "tcr_read_per_k": 2e-3,
    }
    _assert_recovered(best.model, best.std, truth, rel=0.03)


def subset(data: SwitchingData, keep: np.ndarray) -> SwitchingData:
    return SwitchingData(*(getattr(data, f.name)[keep] for f in fields(SwitchingData)))


def test_set_rows_only_leave_the_reset_parameters_unidentified() -> None:
    """Without RESET pulses nothing determines the RESET barrier, prefactor and lowering:
    they are reported as such (std None), kept at their defaults; the SET ones are still
    recovered."""
    data = measure(Truth(), seed=4)
    fit = fit_switching(subset(data, data.set_polarity), HEATING, members=("arrhenius",))
    reset = {"ln_nu0_reset", "ea_reset_ev", "gamma_reset_ev_per_v"}
    assert reset <= set(fit.best.unidentified)
    for name in reset:
        assert fit.best.std[name] is None
        assert getattr(fit.best.model, name) == getattr(ArrheniusModel(), name)
    assert fit.best.model.ea_set_ev == pytest.approx(0.7, rel=0.03)


def test_a_single_temperature_leaves_the_barrier_unidentified() -> None:
    """At one temperature and no own heat, E_a and ln nu0 enter only as ln nu0 - E_a / (k_B T):
    one of each pair is reported unidentified instead of a confident, meaningless std."""
    model = ArrheniusModel()
    rng = np.random.default_rng(5)
    n = 300
    g0 = rng.uniform(2e-5, 8e-5, n)
    pol = rng.random(n) < 0.5
    v = np.where(pol, rng.choice([0.2, 0.3, 0.4], n), rng.choice([0.6, 0.8, 1.0], n))
    t = np.full(n, 350.0)
    dg = model.delta_g_s(t, g0, pol, v, 1e-7) * (1 + 0.02 * rng.normal(size=n))
    fit = fit_switching(SwitchingData(t, g0, pol, v, np.full(n, 1e-7), dg), members=("arrhenius",))
    assert {"ea_set_ev", "ln_nu0_set"} & set(fit.best.unidentified)
    assert {"ea_reset_ev", "ln_nu0_reset"} & set(fit.best.unidentified)
    for name in fit.best.unidentified:
        assert fit.best.std[name] is None


def test_data_no_member_fits_is_refused_with_the_residual() -> None:
    """dG that falls with temperature: no barrier fits it; refused with the scatter left."""
    data = measure(Truth(), n=120, seed=6)
    backwards = replace(data, temperature_k=data.temperature_k[::-1].copy())
    with pytest.raises(CardError, match=r"no switching model fits the data.* % rms"):
        fit_switching(backwards, HEATING)


def test_temperature_sensitivity_depends_on_g0_and_polarity() -> None:
    """The paper's observation: with the own heat, the hot-over-cold ratio of a SET falls with
    G0 (a high-G cell is already hot); with dissolution, a hot SET on a nearly full filament
    lowers G while a cold one raises it, and a low-G cell still rises."""
    model = DissolutionModel(ln_nu0_diss=float(np.log(1e15)), ea_diss_ev=1.0)  # strong
    heat = PulseHeating(4.9e6, 0.0)

    def ratio(g0: float, pol: bool, v: float) -> float:
        hot, cold = (model.delta_g_s(t, g0, pol, v, 1e-8, heating=heat) for t in (450.0, 300.0))
        return float(hot / cold)

    assert ratio(2e-5, True, 0.3) > 2 * ratio(9e-5, True, 0.3)
    assert ratio(5e-5, False, 0.6) > 1.5 * ratio(5e-5, True, 0.3)  # RESET: higher barrier
    full = 0.97e-4
    assert model.delta_g_s(300.0, full, True, 0.3, 1e-8, heating=heat) > 0
    assert model.delta_g_s(650.0, full, True, 0.3, 1e-8, heating=heat) < 0
    assert model.delta_g_s(650.0, 2e-5, True, 0.3, 1e-8, heating=heat) > 0


def test_small_rise_slope_is_the_arrhenius_derivative() -> None:
    """No own heat, r t_p << 1: d(dG)/dT = (G_max - G0) t_p r(T0) (E_a - gamma V) / (k_B T0^2)."""
    m = ArrheniusModel()
    g0, v, tp, t0 = 5.5e-5, 0.3, 1e-7, 300.0
    h = 1e-3
    numeric = (m.delta_g_s(t0 + h, g0, True, v, tp) - m.delta_g_s(t0 - h, g0, True, v, tp)) / (
        2 * h
    )
    r = m.drift_rate_per_s(np.array(t0), np.array(v), np.array(True))
    analytic = (
        (m.g_max_s - g0) * tp * r * (m.ea_set_ev - m.gamma_set_ev_per_v * v) / (K_B_EV * t0**2)
    )
    assert float(numeric) == pytest.approx(float(analytic), rel=2e-3)
    window = linearity_window(m, t_ambient_k=t0, pulse_v=v)
    assert 0 < window["max_rise_k"] < 50  # Arrhenius growth is convex: a narrow window
    errors = list(window["max_line_error_over_range"].values())
    assert errors == sorted(errors)  # wider range, worse line


@pytest.mark.parametrize("polarity", [True, False])
def test_calibrated_pulse_moves_the_fraction_asked_with_its_own_heat(polarity: bool) -> None:
    m = DissolutionModel()
    heat = PulseHeating(4.9e6, 5e3)
    v = 0.3 if polarity else 0.7
    t_p = calibrated_pulse_s(
        m, set_polarity=polarity, pulse_v=v, temperature_k=450.0, fraction=0.01, heating=heat
    )
    mid = 0.5 * (m.g_min_s + m.g_max_s)
    dg = m.delta_g_s(450.0, mid, polarity, v, t_p, heating=heat)
    assert abs(dg) / (m.g_max_s - mid) == pytest.approx(0.01, rel=1e-2)
    assert NO_HEATING.own_rise_k(mid, v) == 0
    assert heat.own_rise_k(mid, v) == pytest.approx(4.9e6 * (v / (1 + mid * 5e3)) ** 2 * mid)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda rows: rows.__setitem__(1, rows[1].replace("temperature_k", "temp")),
            "column 'temperature_k' missing",
        ),
        (
            lambda rows: rows.__setitem__(
                5, rows[5].replace(",set,", ",sett,").replace(",reset,", ",rst,")
            ),
            "line 6, polarity",
        ),
        (
            lambda rows: rows.__setitem__(7, "abc," + rows[7].split(",", 1)[1]),
            "line 8, temperature_k",
        ),
        (lambda rows: rows.__setitem__(9, rows[9] + ",1"), "line 10"),
    ],
)
def test_malformed_csv_names_line_and_column(edit, message: str, tmp_path: Path) -> None:
    rows = EXAMPLE.read_text().splitlines()
    edit(rows)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(rows) + "\n")
    with pytest.raises(CardError, match=message):
        read_switching_csv(bad)


def written(data: SwitchingData, tmp_path: Path, name: str = "d.csv") -> Path:
    buf = io.StringIO()
    write_rows(buf, data, "test data")
    path = tmp_path / name
    path.write_text(buf.getvalue())
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: replace(d, temperature_k=d.temperature_k - 273.15), "degrees Celsius"),
        (lambda d: replace(d, g0_s=d.g0_s * 1e6, dg_s=d.dg_s * 1e6), "uS or mS"),
        (lambda d: replace(d, pulse_s=d.pulse_s * 1e9), "ns or us"),
        (lambda d: replace(d, dg_s=-d.dg_s), "wrong sign"),
    ],
    ids=["celsius", "microsiemens", "nanoseconds", "sign-flipped"],
)
def test_csv_in_the_wrong_units_or_sign_is_refused(change, message: str, tmp_path: Path) -> None:
    data = synthetic_measurements(ArrheniusModel(), n=50, noise_rel=0.02, seed=1)
    with pytest.raises(CardError, match=message):
        read_switching_csv(written(change(data), tmp_path))


def test_byte_order_mark_and_non_utf8(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    assert len(read_switching_csv(bom).dg_s) == 400
    latin = tmp_path / "latin.csv"
    latin.write_bytes(EXAMPLE.read_bytes().replace(b"SYNTHETIC", b"SYNTH\xe9TIC"))
    with pytest.raises(CardError, match="not UTF-8"):
        read_switching_csv(latin)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"g_min_s": 2e-4}, "g_min_s"),
        ({"ea_set_ev": float("nan")}, "ea_set_ev"),
        ({"ea_reset_ev": -0.1}, "ea_reset_ev"),
        ({"gamma_set_ev_per_v": -1.0}, "gamma_set_ev_per_v"),
        ({"ea_diss_ev": 0.0}, "ea_diss_ev"),
        ({"tcr_read_per_k": 0.05}, "tcr_read_per_k"),
    ],
)
def test_bad_model_parameters_are_named(change: dict, field: str) -> None:
    with pytest.raises(CardError, match=field):
        check_switching_model(replace(DissolutionModel(), **change), CardError, "switching")
