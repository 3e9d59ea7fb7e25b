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
import io
import math
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from devicefit.errors import CardError
from meshes.files import StageError, read_text

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


@dataclass(frozen=True)
class SwitchingData:
    """Measurements, one pulse per row (SI)."""

    temperature_k: FloatArray
    g0_s: FloatArray
    set_polarity: NDArray[np.bool_]
    pulse_v: FloatArray
    pulse_s: FloatArray
    dg_s: FloatArray


# plausible ranges of each column, and what a value outside suggests about its unit
_RANGES: dict[str, tuple[float, float, str]] = {
    "temperature_k": (150.0, 1500.0, "kelvin (degrees Celsius?)"),
    "g0_s": (1e-9, 1.0, "siemens (uS or mS?)"),
    "pulse_s": (1e-12, 1.0, "seconds (ns or us?)"),
    "pulse_v": (-20.0, 20.0, "volts"),
    "dg_s": (-1.0, 1.0, "siemens (uS or mS?)"),
}


def read_switching_csv(path: str | Path) -> SwitchingData:
    """Read the switching CSV (``#`` lines are comments; UTF-8, a byte-order mark allowed).

    Errors name the file, line and column: a missing column, a malformed value, a value
    outside the plausible range of its SI unit (a CSV in degrees Celsius, uS or ns), too few
    rows, or signs that contradict the polarity in most rows.
    """
    p = Path(path)
    text = read_text(p, CardError, "switching data file")
    rows = [
        (line, r)
        for line, r in enumerate(csv.reader(io.StringIO(text)), start=1)
        if r and not r[0].lstrip().startswith("#")
    ]
    if not rows:
        raise CardError(f"{p}: no header and no data rows")
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
            values[col].append(_cell(row[index[col]].strip(), col, f"{p}: line {n}, {col}"))
    if len(values["dg_s"]) < len(fields(SwitchingModel)) + 2:
        raise CardError(f"{p}: {len(values['dg_s'])} rows are too few to fit 8 parameters")
    data = SwitchingData(
        np.array(values["temperature_k"]),
        np.array(values["g0_s"]),
        np.array(values["polarity"], dtype=bool),
        np.array(values["pulse_v"]),
        np.array(values["pulse_s"]),
        np.array(values["dg_s"]),
    )
    _check_signs(data, p)
    return data


def _cell(text: str, col: str, where: str) -> Any:
    if col == "polarity":
        if text.lower() not in ("set", "reset"):
            raise CardError(f"{where}: expected set or reset, got {text!r}")
        return text.lower() == "set"
    try:
        x = float(text)
    except ValueError:
        raise CardError(f"{where}: not a number: {text!r}") from None
    low, high, unit = _RANGES[col]
    if not (math.isfinite(x) and low <= x <= high) or (col in ("g0_s", "pulse_s") and x <= 0):
        raise CardError(f"{where}: {x:g} is outside [{low:g}, {high:g}]: is it in {unit}")
    return x


def _check_signs(data: SwitchingData, where: Path) -> None:
    """Most SET pulses must raise G and most RESET pulses lower it (noise may flip a few)."""
    for polarity, sign, name in ((True, 1.0, "SET"), (False, -1.0, "RESET")):
        rows = data.set_polarity == polarity
        if rows.any():
            wrong = float(np.mean(sign * data.dg_s[rows] < 0))
            if wrong > 0.5:
                raise CardError(
                    f"{where}: dg_s: {100 * wrong:.0f} % of the {name} rows have the wrong sign "
                    f"({name} must {'raise' if sign > 0 else 'lower'} G): is dg_s's sign or the "
                    "polarity column flipped?"
                )


def check_switching_model(model: SwitchingModel, error: type[StageError], where: str) -> None:
    """Raise ``error`` unless every parameter is finite and in range (0 < g_min < g_max,
    barriers > 0, barrier lowering >= 0)."""
    for f in fields(model):
        if not math.isfinite(getattr(model, f.name)):
            raise error(f"{where}.{f.name}: not a finite number")
    if not 0 < model.g_min_s < model.g_max_s:
        raise error(
            f"{where}.g_min_s: need 0 < g_min_s < g_max_s, got {model.g_min_s:g} and "
            f"{model.g_max_s:g} S"
        )
    for name in ("ea_set_ev", "ea_reset_ev"):
        if getattr(model, name) <= 0:
            raise error(f"{where}.{name}: a barrier must be > 0 eV, got {getattr(model, name)}")
    for name in ("gamma_set_ev_per_v", "gamma_reset_ev_per_v"):
        if getattr(model, name) < 0:
            raise error(f"{where}.{name}: must be >= 0 eV/V, got {getattr(model, name)}")


@dataclass(frozen=True)
class SwitchingFit:
    model: SwitchingModel
    std: dict[str, float | None]  # 1-sigma uncertainties (same units); None: unidentified
    unidentified: tuple[str, ...]  # parameters the data cannot determine: kept at the start
    rms_rel_residual: float


def fit_switching(
    data: SwitchingData,
    start: SwitchingModel | None = None,
    *,
    max_rms_rel: float = 0.25,
    where: str = "switching data",
) -> SwitchingFit:
    """Weighted least squares on relative residuals (dG spans decades); 1-sigma uncertainties
    cov = s^2 (J^T J)^-1 on the identifiable parameters.

    Identifiability: singular directions of the scaled Jacobian at the optimum (singular value
    below 1e-6 of the largest) name the parameters the data cannot determine (RESET ones
    without RESET rows; E_a against ln nu0 at a single temperature; gamma at a single
    voltage); those are held at ``start`` (the defaults), refitted without them, and reported
    with std None. ``CardError`` when the rms relative residual exceeds ``max_rms_rel``.
    """
    names = [f.name for f in fields(SwitchingModel)]
    base = start or _start_from(data)
    x0 = np.array([getattr(base, k) for k in names])
    scale = np.where(np.abs(x0) > 0, np.abs(x0), 1.0)
    free = np.ones(len(names), dtype=bool)
    for _ in range(len(names)):
        sol = _solve(data, names, x0, scale, free)
        weak = _unidentified(sol.jac)
        if not weak.any():
            break
        free[np.flatnonzero(free)[weak]] = False
    dof = max(len(data.dg_s) - int(free.sum()), 1)
    s2 = float(sol.fun @ sol.fun) / dof
    rms = math.sqrt(s2)
    if not rms <= max_rms_rel:
        raise CardError(
            f"{where}: the Arrhenius switching model misses the data by {100 * rms:.3g} % rms "
            f"(relative), above the {100 * max_rms_rel:.3g} % accepted (fit.switching_max_rms_rel)"
            "; check the units and the sign convention of the CSV, or the model is not fit"
        )
    values = x0.copy()
    values[free] = sol.x * scale[free]
    cov = s2 * np.linalg.inv(sol.jac.T @ sol.jac)
    std_free = np.sqrt(np.diag(cov)) * scale[free]
    std: dict[str, float | None] = dict.fromkeys(names)
    for name, value in zip(np.array(names)[free], std_free, strict=True):
        std[str(name)] = float(value)
    model = SwitchingModel(**dict(zip(names, values.tolist(), strict=True)))
    check_switching_model(model, CardError, f"{where}: fitted parameters")
    return SwitchingFit(
        model, std, tuple(n for n, f in zip(names, free, strict=True) if not f), rms
    )


def _start_from(data: SwitchingData) -> SwitchingModel:
    """Default parameters with the conductance window widened to hold every G in the data."""
    d = SwitchingModel()
    reached = np.concatenate([data.g0_s, data.g0_s + data.dg_s])
    return replace(
        d,
        g_min_s=min(d.g_min_s, 0.95 * float(reached.min())),
        g_max_s=max(d.g_max_s, 1.05 * float(reached.max())),
    )


def _solve(
    data: SwitchingData,
    names: list[str],
    x0: FloatArray,
    scale: FloatArray,
    free: NDArray[np.bool_],
) -> Any:
    def residual(z: FloatArray) -> FloatArray:
        x = x0.copy()
        x[free] = z * scale[free]
        model = SwitchingModel(**dict(zip(names, x.tolist(), strict=True)))
        pred = model.delta_g_s(
            data.temperature_k, data.g0_s, data.set_polarity, data.pulse_v, data.pulse_s
        )
        return (pred - data.dg_s) / np.maximum(np.abs(data.dg_s), 1e-30)

    start = x0[free] / scale[free]
    return scipy.optimize.least_squares(residual, start, method="lm", max_nfev=20000)


def _unidentified(jac: FloatArray) -> NDArray[np.bool_]:
    """Parameters carried by the near-null right singular vectors of the Jacobian."""
    _, sv, vt = np.linalg.svd(jac, full_matrices=False)
    null = vt[sv < 1e-6 * sv[0]] if sv[0] > 0 else vt
    if len(null) == 0:
        return np.zeros(jac.shape[1], dtype=bool)
    weight = np.sum(null**2, axis=0)
    out: NDArray[np.bool_] = weight > 0.1
    if not out.any():  # a degenerate direction spread over many: drop its largest carrier
        out[int(np.argmax(weight))] = True
    return out


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


def linearity_window(
    model: SwitchingModel,
    *,
    t_ambient_k: float,
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
    at = float(np.interp(best, dts, heat)) if best > 0 else None
    by_range: dict[str, float] = {}
    for span in (10.0, 25.0, 50.0, 100.0):
        x, y = dts[dts <= span], heat[dts <= span]
        slope = float(x @ y / (x @ x))
        by_range[f"0-{span:g}K"] = float(np.max(np.abs(slope * x - y)) / np.max(np.abs(y)))
    return {
        "tol": tol,
        "max_rise_k": best,
        "t_ambient_k": t_ambient_k,
        "baseline_over_heat_driven": None if at is None else base / at,
        "max_line_error_over_range": by_range,
    }


EQUATION = (
    "r = exp(ln_nu0 - (ea - gamma |V|) / (k_B T)); SET dG = (g_max - G0)(1 - exp(-r t_p)); "
    "RESET dG = -(G0 - g_min)(1 - exp(-r t_p))"
)


def example_csv_text() -> str:
    """The shipped example data set, regenerated exactly (it is synthetic)."""
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
