"""Switching model: the fitter recovers known parameters, CSV errors name row and column,
and the small-rise slope is the Arrhenius derivative."""

from __future__ import annotations

from dataclasses import fields
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from devicefit.card import CardError
from devicefit.switching import (
    K_B_EV,
    SwitchingModel,
    example_csv_text,
    fit_switching,
    linearity_window,
    read_switching_csv,
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
    for f in fields(SwitchingModel):
        got, want, std = getattr(fit.model, f.name), getattr(truth, f.name), fit.std[f.name]
        assert std > 0
        assert abs(got - want) < 4 * std, (f.name, got, want, std)
        assert got == pytest.approx(want, rel=0.02), f.name
    assert fit.rms_rel_residual == pytest.approx(0.03, rel=0.15)  # the 3 % noise put in


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
    window = linearity_window(m)
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
