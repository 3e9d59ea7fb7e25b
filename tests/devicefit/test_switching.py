"""Switching model: the fitter recovers known parameters, reports what the data cannot
determine, refuses data it cannot fit; CSV errors name line, column and the likely unit
mistake; the small-rise slope is the Arrhenius derivative."""

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
    SwitchingData,
    SwitchingModel,
    _write_rows,
    check_switching_model,
    example_csv_text,
    fit_switching,
    linearity_window,
    read_switching_csv,
    synthetic_measurements,
)

EXAMPLE = Path(str(resources.files("devicefit").joinpath("example_switching.csv")))


def test_shipped_example_is_the_regenerated_synthetic_set() -> None:
    text = EXAMPLE.read_text()
    assert text == example_csv_text()
    assert "SYNTHETIC" in text.splitlines()[0]


def test_fitter_recovers_the_generating_parameters() -> None:
    truth = SwitchingModel()
    start = SwitchingModel(
        g_max_s=1.2e-4,
        ln_nu0_set=22.0,
        ea_set_ev=0.5,
        ln_nu0_reset=26.0,
        ea_reset_ev=0.62,
        gamma_set_ev_per_v=0.15,
    )
    fit = fit_switching(read_switching_csv(EXAMPLE), start=start)
    assert fit.unidentified == ()
    for f in fields(SwitchingModel):
        got, want, std = getattr(fit.model, f.name), getattr(truth, f.name), fit.std[f.name]
        assert std is not None and std > 0
        assert abs(got - want) < 4 * std, (f.name, got, want, std)
        assert got == pytest.approx(want, rel=0.02), f.name
    assert fit.rms_rel_residual == pytest.approx(0.03, rel=0.15)  # the 3 % noise put in


def subset(data: SwitchingData, keep: np.ndarray) -> SwitchingData:
    return SwitchingData(*(getattr(data, f.name)[keep] for f in fields(SwitchingData)))


def test_set_rows_only_leave_the_reset_parameters_unidentified() -> None:
    """Without RESET pulses nothing determines the RESET barrier, prefactor and lowering, nor
    g_min: they are reported as such (std None), kept at their defaults, and the SET ones are
    still recovered."""
    data = synthetic_measurements(SwitchingModel(), n=300, noise_rel=0.02, seed=4)
    fit = fit_switching(subset(data, data.set_polarity))
    reset = {"ln_nu0_reset", "ea_reset_ev", "gamma_reset_ev_per_v", "g_min_s"}
    assert set(fit.unidentified) == reset
    for name in reset:
        assert fit.std[name] is None
        assert getattr(fit.model, name) == getattr(SwitchingModel(), name)
    assert fit.model.ea_set_ev == pytest.approx(0.6, rel=0.03)


def test_a_single_temperature_leaves_the_barrier_unidentified() -> None:
    """At one temperature E_a and ln nu0 enter only as ln nu0 - E_a / (k_B T): one of each pair
    is reported unidentified instead of a confident, meaningless std."""
    model = SwitchingModel()
    rng = np.random.default_rng(5)
    n = 300
    g0 = rng.uniform(2e-5, 8e-5, n)
    pol = rng.random(n) < 0.5
    v = rng.choice([0.8, 1.0, 1.2], n)
    t = np.full(n, 350.0)
    dg = model.delta_g_s(t, g0, pol, v, 1e-7) * (1 + 0.02 * rng.normal(size=n))
    fit = fit_switching(SwitchingData(t, g0, pol, v, np.full(n, 1e-7), dg))
    assert {"ea_set_ev", "ln_nu0_set"} & set(fit.unidentified)
    assert {"ea_reset_ev", "ln_nu0_reset"} & set(fit.unidentified)
    for name in fit.unidentified:
        assert fit.std[name] is None


def test_data_the_model_cannot_fit_is_refused_with_the_residual() -> None:
    """dG that falls with temperature: no Arrhenius barrier fits it; refused, not carded."""
    data = synthetic_measurements(SwitchingModel(), n=200, noise_rel=0.02, seed=6)
    backwards = replace(data, temperature_k=data.temperature_k[::-1].copy())
    with pytest.raises(CardError, match=r"misses the data by .* % rms"):
        fit_switching(backwards)


def test_small_rise_slope_is_the_arrhenius_derivative() -> None:
    """For r t_p << 1: d(dG)/dT = (G_max - G0) t_p r(T0) (E_a - gamma V) / (k_B T0^2)."""
    m = SwitchingModel()
    g0, v, tp, t0 = 5.5e-5, 1.0, 1e-7, 300.0
    h = 1e-3
    numeric = (m.delta_g_s(t0 + h, g0, True, v, tp) - m.delta_g_s(t0 - h, g0, True, v, tp)) / (
        2 * h
    )
    r = m.rate_per_s(np.array(t0), np.array(v), np.array(True))
    analytic = (
        (m.g_max_s - g0) * tp * r * (m.ea_set_ev - m.gamma_set_ev_per_v * v) / (K_B_EV * t0**2)
    )
    assert float(numeric) == pytest.approx(float(analytic), rel=2e-3)
    window = linearity_window(m, t_ambient_k=t0)
    assert 0 < window["max_rise_k"] < 50  # Arrhenius growth is convex: a narrow window
    errors = list(window["max_line_error_over_range"].values())
    assert errors == sorted(errors)  # wider range, worse line


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
    _write_rows(buf, data, "test data")
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
    data = synthetic_measurements(SwitchingModel(), n=50, noise_rel=0.02, seed=1)
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
    ],
)
def test_bad_model_parameters_are_named(change: dict, field: str) -> None:
    with pytest.raises(CardError, match=field):
        check_switching_model(replace(SwitchingModel(), **change), CardError, "switching")
