"""Temperature-dependent conductance change of one fixed programming pulse.

Field-assisted, thermally activated ion hopping (Arrhenius kinetics with a barrier lowered by
the applied voltage; Ielmini, Semicond. Sci. Technol. 31, 063002 (2016); Menzel et al.,
Adv. Funct. Mater. 25, 6306 (2015)) with saturation toward the conductance window:

    r(T, V)  = nu0 exp(-(E_a - gamma |V|) / (k_B T))                          [1/s]
    SET:   dG = (G_max - G0) (1 - exp(-r_set(T, V) t_p))                       (> 0)
    RESET: dG = -(G0 - G_min) (1 - exp(-r_reset(T, V) t_p))                    (< 0)

For r t_p << 1, dG ~ (G_max - G0) r(T) t_p: the heat stored in the cell (the eligibility
trace) multiplies the update, which is what makes the thermal neoHebbian rule work.

The default parameters are representative assumptions, not a measured device: a 10-100 uS
window, barriers 0.6 eV (SET) / 0.7 eV (RESET) lowered by 0.2 eV/V, prefactors chosen so that
a 1 V, 100 ns pulse at 300 K moves about 0.1 % of the window and one 100 K warmer about 30x
more. No public measured dataset is available here: ``example_switching.csv`` is generated
from this model with noise (``synthetic_measurements``), and says so.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from devicefit.card import CardError

FloatArray = NDArray[np.float64]
K_B_EV = 8.617333262e-5  # Boltzmann constant [eV/K]
COLUMNS = ("temperature_k", "g0_s", "polarity", "pulse_v", "pulse_s", "dg_s")


@dataclass(frozen=True)
class SwitchingModel:
    """Parameters (SI, energies in eV) of the Arrhenius switching model above."""

    g_min_s: float = 1e-5
    g_max_s: float = 1e-4
    ln_nu0_set: float = 24.7  # ln(nu0 [1/s])
    ea_set_ev: float = 0.6
    gamma_set_ev_per_v: float = 0.2
    ln_nu0_reset: float = 28.6
    ea_reset_ev: float = 0.7
    gamma_reset_ev_per_v: float = 0.2

    def rate_per_s(
        self, temperature_k: FloatArray, pulse_v: FloatArray, set_polarity: NDArray[np.bool_]
    ) -> FloatArray:
        """r(T, V) for each sample, SET or RESET parameters by ``set_polarity``."""
        ln_nu = np.where(set_polarity, self.ln_nu0_set, self.ln_nu0_reset)
        ea = np.where(set_polarity, self.ea_set_ev, self.ea_reset_ev)
        gamma = np.where(set_polarity, self.gamma_set_ev_per_v, self.gamma_reset_ev_per_v)
        return np.exp(ln_nu - (ea - gamma * np.abs(pulse_v)) / (K_B_EV * temperature_k))

    def delta_g_s(
        self,
        temperature_k: Any,
        g0_s: Any,
        set_polarity: Any,
        pulse_v: Any,
        pulse_s: Any,
        rate_factor: Any = 1.0,
    ) -> FloatArray:
        """dG [S] of one pulse (vectorised over all arguments); ``rate_factor`` multiplies r
        (a device's fixed device-to-device factor)."""
        t, g0, pol, v, tp, m = np.broadcast_arrays(
            np.asarray(temperature_k, float),
            np.asarray(g0_s, float),
            np.asarray(set_polarity, bool),
            np.asarray(pulse_v, float),
            np.asarray(pulse_s, float),
            np.asarray(rate_factor, float),
        )
        moved = -np.expm1(-self.rate_per_s(t, v, pol) * m * tp)
        return np.where(pol, (self.g_max_s - g0) * moved, -(g0 - self.g_min_s) * moved)


PARAMETER_UNITS = {
    "g_min_s": "S",
    "g_max_s": "S",
    "ln_nu0_set": "ln(1/s)",
    "ea_set_ev": "eV",
    "gamma_set_ev_per_v": "eV/V",
    "ln_nu0_reset": "ln(1/s)",
    "ea_reset_ev": "eV",
    "gamma_reset_ev_per_v": "eV/V",
}


@dataclass(frozen=True)
class SwitchingData:
    """Measurements, one pulse per row (SI)."""

    temperature_k: FloatArray
    g0_s: FloatArray
    set_polarity: NDArray[np.bool_]
    pulse_v: FloatArray
    pulse_s: FloatArray
    dg_s: FloatArray


def read_switching_csv(path: str | Path) -> SwitchingData:
    """Read the switching CSV (``#`` lines are comments); errors name file, line and column."""
    p = Path(path)
    if not p.is_file():
        raise CardError(f"{p}: switching data file not found")
    with open(p, newline="") as fh:
        rows = [
            (line, r)
            for line, r in enumerate(csv.reader(fh), start=1)
            if r and not r[0].lstrip().startswith("#")
        ]
    if not rows:
        raise CardError(f"{p}: empty")
    header = [h.strip() for h in rows[0][1]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CardError(f"{p}: column '{missing[0]}' missing (need {', '.join(COLUMNS)})")
    index = {c: header.index(c) for c in COLUMNS}
    values: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for n, row in rows[1:]:  # n: line number in the file
        if len(row) != len(header):
            raise CardError(f"{p}: line {n}: {len(row)} fields, header has {len(header)}")
        for col in COLUMNS:
            text = row[index[col]].strip()
            if col == "polarity":
                if text.lower() not in ("set", "reset"):
                    raise CardError(f"{p}: line {n}, polarity: expected set or reset, got {text!r}")
                values[col].append(text.lower() == "set")
                continue
            try:
                x = float(text)
            except ValueError:
                raise CardError(f"{p}: line {n}, {col}: not a number: {text!r}") from None
            if not math.isfinite(x) or (col in ("temperature_k", "g0_s", "pulse_s") and x <= 0):
                raise CardError(
                    f"{p}: line {n}, {col}: must be finite"
                    f"{' and > 0' if col != 'dg_s' and col != 'pulse_v' else ''}"
                )
            values[col].append(x)
    if len(values["dg_s"]) < len(fields(SwitchingModel)) + 2:
        raise CardError(f"{p}: {len(values['dg_s'])} rows are too few to fit 8 parameters")
    return SwitchingData(
        np.array(values["temperature_k"]),
        np.array(values["g0_s"]),
        np.array(values["polarity"], dtype=bool),
        np.array(values["pulse_v"]),
        np.array(values["pulse_s"]),
        np.array(values["dg_s"]),
    )


def synthetic_measurements(
    model: SwitchingModel, *, n: int = 400, noise_rel: float = 0.03, seed: int = 0
) -> SwitchingData:
    """Pulses at random T (300-450 K), G0, polarity and voltage, with relative noise."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(300.0, 450.0, n)
    g0 = rng.uniform(model.g_min_s * 1.1, model.g_max_s * 0.9, n)
    pol = rng.random(n) < 0.5
    v = np.asarray(rng.choice([0.8, 1.0, 1.2], n), dtype=np.float64)
    tp = np.full(n, 1e-7)
    dg = model.delta_g_s(t, g0, pol, v, tp)
    dg = dg * (1 + noise_rel * rng.normal(size=n))
    return SwitchingData(t, g0, pol, v, tp, dg)


@dataclass(frozen=True)
class SwitchingFit:
    model: SwitchingModel
    std: dict[str, float]  # 1-sigma parameter uncertainties (same units)
    rms_rel_residual: float


def fit_switching(data: SwitchingData, start: SwitchingModel | None = None) -> SwitchingFit:
    """Weighted least squares on relative residuals (dG spans decades); 1-sigma uncertainties
    from the Jacobian at the optimum, cov = s^2 (J^T J)^-1."""
    names = [f.name for f in fields(SwitchingModel)]
    x0 = np.array([getattr(start or SwitchingModel(), k) for k in names])
    scale = np.abs(x0)

    def residual(z: FloatArray) -> FloatArray:
        model = SwitchingModel(**dict(zip(names, z * scale, strict=True)))
        pred = model.delta_g_s(
            data.temperature_k, data.g0_s, data.set_polarity, data.pulse_v, data.pulse_s
        )
        return (pred - data.dg_s) / np.maximum(np.abs(data.dg_s), 1e-30)

    sol = scipy.optimize.least_squares(residual, np.ones_like(x0), method="lm", max_nfev=20000)
    dof = max(len(data.dg_s) - len(x0), 1)
    s2 = float(sol.fun @ sol.fun) / dof
    cov = s2 * np.linalg.pinv(sol.jac.T @ sol.jac)
    values = sol.x * scale
    std = np.sqrt(np.diag(cov)) * scale
    return SwitchingFit(
        SwitchingModel(**dict(zip(names, values, strict=True))),
        dict(zip(names, std.tolist(), strict=True)),
        math.sqrt(s2),
    )


def linearity_window(
    model: SwitchingModel,
    *,
    t_ambient_k: float = 300.0,
    pulse_v: float = 1.0,
    pulse_s: float = 1e-7,
    tol: float = 0.1,
) -> dict[str, Any]:
    """Over which rise dT is the heat-driven part dG(T0 + dT) - dG(T0) proportional to dT?

    Returns the largest dT (SET, mid-window G0) for which the best line through the origin
    stays within ``tol`` (relative, pointwise) of it over [0, dT]; the untriggered baseline
    dG(T0) relative to the heat-driven change at that dT (the part the trace does not
    control); and for rises of 10, 25, 50, 100 K the max deviation from the best line as a
    fraction of the largest change (Arrhenius growth is convex, so the window is narrow).
    """
    g0 = 0.5 * (model.g_min_s + model.g_max_s)
    dts = np.linspace(0.5, 300.0, 600)
    base = float(model.delta_g_s(t_ambient_k, g0, True, pulse_v, pulse_s))
    heat = model.delta_g_s(t_ambient_k + dts, g0, True, pulse_v, pulse_s) - base
    best = 0.0
    for i in range(1, len(dts) + 1):
        x, y = dts[:i], heat[:i]
        slope = float(x @ y / (x @ x))
        if np.max(np.abs(slope * x - y) / np.abs(y)) <= tol:
            best = float(dts[i - 1])
        else:
            break
    at = float(np.interp(best, dts, heat)) if best > 0 else float("nan")
    by_range: dict[str, float] = {}
    for span in (10.0, 25.0, 50.0, 100.0):
        x, y = dts[dts <= span], heat[dts <= span]
        slope = float(x @ y / (x @ x))
        by_range[f"0-{span:g}K"] = float(np.max(np.abs(slope * x - y)) / np.max(np.abs(y)))
    return {
        "tol": tol,
        "max_rise_k": best,
        "t_ambient_k": t_ambient_k,
        "baseline_over_heat_driven": base / at if best > 0 else float("nan"),
        "max_line_error_over_range": by_range,
    }


def model_to_card(fit: SwitchingFit | None, model: SwitchingModel, source: str) -> dict[str, Any]:
    """The card's ``switching`` section."""
    return {
        "equation": "r = exp(ln_nu0 - (ea - gamma |V|) / (k_B T)); SET dG = (g_max - G0)"
        "(1 - exp(-r t_p)); RESET dG = -(G0 - g_min)(1 - exp(-r t_p))",
        "parameters": asdict(model),
        "units": PARAMETER_UNITS,
        "std": None if fit is None else fit.std,
        "rms_rel_residual": None if fit is None else fit.rms_rel_residual,
        "source": source,
        "linearity": linearity_window(model),
    }


DEFAULT_VARIABILITY = {
    "d2d_sigma_ln_rate": 0.3,
    "c2c_sigma_rel": 0.1,
    "stuck_fraction": 0.0,
    "note": "representative assumptions (not measured): device-to-device spread of ln r, "
    "cycle-to-cycle relative spread of dG, fraction of stuck devices",
}


def example_csv_text() -> str:
    """The shipped example data set, regenerated exactly (it is synthetic)."""
    import io

    data = synthetic_measurements(SwitchingModel(), n=400, noise_rel=0.03, seed=0)
    buf = io.StringIO()
    _write_rows(
        buf,
        data,
        "SYNTHETIC data generated by neohebb from its default switching "
        "model with 3 % relative noise (seed 0); not a measurement",
    )
    return buf.getvalue()


def _write_rows(fh: Any, data: SwitchingData, comment: str) -> None:
    fh.write(f"# {comment}\n")
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(COLUMNS)
    for row in zip(
        data.temperature_k,
        data.g0_s,
        data.set_polarity,
        data.pulse_v,
        data.pulse_s,
        data.dg_s,
        strict=True,
    ):
        w.writerow(
            [
                f"{row[0]:.6g}",
                f"{row[1]:.8g}",
                "set" if row[2] else "reset",
                f"{row[3]:.4g}",
                f"{row[4]:.4g}",
                f"{row[5]:.8g}",
            ]
        )
