"""Switching measurements (CSV) and the fit of the switching model family to them.

Noise model (read noise plus pulse-to-pulse spread): the measured change of row i is
dG_i = m_i + e_i with m_i the member's prediction at the row's read temperature and

    sigma_i^2 = sigma_add^2 + (sigma_mult m_i)^2

so rows near a bound (m_i ~ 0) may flip sign without dominating the fit. Each member is
fitted by weighted least squares with the noise re-estimated by maximum likelihood between
rounds (iteratively reweighted least squares); 1-sigma parameter uncertainties are
sqrt(diag((J_w^T J_w)^-1)) of the weighted Jacobian at the optimum. Members are compared by
AIC = 2k - 2 ln L and BIC = k ln n - 2 ln L (k counts the fitted model parameters and the
two noise parameters; Burnham & Anderson, Model Selection and Multimodel Inference, 2002);
the card carries the lowest BIC. The best member is refused (``CardError`` with the residual)
when its residual scatter exceeds ``max_rms_rel`` of a typical change, multiplicative or
additive: a CSV no member fits never becomes a silent card.

The pulse's own heating needs the filament's thermal resistance and the series resistance of
the measurement (``PulseHeating``); ``neohebb fit`` takes the device's own filament
resistance from the thermal stage (docs/devicefit.md).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from devicefit.errors import CardError
from devicefit.switching import (
    FAMILY,
    NO_HEATING,
    ArrheniusModel,
    DissolutionModel,
    PulseHeating,
    SwitchingModel,
    check_switching_model,
    parameter_names,
)
from meshes.files import read_text

FloatArray = NDArray[np.float64]
COLUMNS = ("temperature_k", "g0_s", "polarity", "pulse_v", "pulse_s", "dg_s")


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
MIN_ROWS = 20
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
    if len(values["dg_s"]) < MIN_ROWS:
        raise CardError(
            f"{p}: {len(values['dg_s'])} rows are too few to fit the switching family "
            f"(need {MIN_ROWS})"
        )
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


FIT_SUBSTEPS = 16  # the fit's cap on a pulse's substeps (about 1 % on the largest changes)
MAX_ROUNDS = 8  # weighted fits per member: dropping unidentified parameters, reweighting


def predicted_dg_s(
    model: SwitchingModel,
    data: SwitchingData,
    heating: PulseHeating = NO_HEATING,
    substeps: int = FIT_SUBSTEPS,
) -> FloatArray:
    """The member's dG as the CSV records it: G0 and dG read at the row's temperature, so
    G0_true = G0_read / gain(T) and dG_read = dG(T, G0_true) gain(T)."""
    gain = model.read_gain(data.temperature_k)
    dg = model.delta_g_s(
        data.temperature_k,
        data.g0_s / gain,
        data.set_polarity,
        data.pulse_v,
        data.pulse_s,
        heating=heating,
        substeps=substeps,
    )
    return np.asarray(dg * gain)


# the range a parameter plausibly spans: a 1-sigma uncertainty wider than this means the data
# do not determine it (it is then held at its start value and reported unidentified)
_SPAN = {
    "ln_nu0_set": 10.0,
    "ln_nu0_reset": 10.0,
    "ln_nu0_diss": 10.0,
    "ea_set_ev": 0.5,
    "ea_reset_ev": 0.5,
    "ea_diss_ev": 0.5,
    "gamma_set_ev_per_v": 0.3,
    "gamma_reset_ev_per_v": 0.3,
    "tcr_read_per_k": 3e-3,
}


@dataclass(frozen=True)
class MemberFit:
    """One family member fitted to the data, with its noise model and likelihood."""

    model: SwitchingModel
    std: dict[str, float | None]  # 1-sigma uncertainties (same units); None: unidentified
    unidentified: tuple[str, ...]  # parameters the data cannot determine: kept at the start
    sigma_add_s: float  # additive (read) noise [S]
    sigma_mult_rel: float  # multiplicative (pulse-to-pulse) spread
    log_likelihood: float
    n_fitted: int  # model parameters fitted + the two noise parameters
    n_rows: int
    median_abs_dg_s: float
    out_of_range: str | None = None  # why the fitted parameters are not a device (None: ok)

    @property
    def aic(self) -> float:
        return 2 * self.n_fitted - 2 * self.log_likelihood

    @property
    def bic(self) -> float:
        return self.n_fitted * math.log(self.n_rows) - 2 * self.log_likelihood

    def residual_scale(self) -> float:
        """The larger of the multiplicative spread and the additive noise over the median
        |dG|: the fraction of a typical change the member leaves unexplained."""
        if self.out_of_range is not None:
            return math.inf
        return max(self.sigma_mult_rel, self.sigma_add_s / self.median_abs_dg_s)

    def record(self) -> dict[str, Any]:
        """The selection table's row (card: switching.selection)."""
        return {
            "model": self.model.NAME,
            "n_fitted": self.n_fitted,
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            "sigma_add_s": self.sigma_add_s,
            "sigma_mult_rel": self.sigma_mult_rel,
        }


@dataclass(frozen=True)
class SwitchingFit:
    """The chosen member (lowest BIC) and every member tried, by ascending BIC."""

    best: MemberFit
    members: tuple[MemberFit, ...]


def fit_switching(
    data: SwitchingData,
    heating: PulseHeating = NO_HEATING,
    *,
    members: tuple[str, ...] = tuple(FAMILY),
    start: SwitchingModel | None = None,
    max_rms_rel: float = 0.25,
    where: str = "switching data",
) -> SwitchingFit:
    """Fit every member in ``members`` (``start``: the start of the member of its type; the
    others start from the defaults with the window widened to the data), pick the lowest
    BIC; ``CardError`` naming the residual when even the best leaves more than
    ``max_rms_rel`` of a typical change unexplained."""
    fits = []
    for name in members:
        cls = FAMILY[name]
        base = start if type(start) is cls else _start_from(data, cls)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # wild trials
            tries = [fit_member(data, b, heating) for b in _starts(base)]  # type: ignore[arg-type]
        fits.append(max(tries, key=lambda f: f.log_likelihood - f.n_fitted))
    fits.sort(key=lambda f: (f.out_of_range is not None, f.bic))
    best = fits[0]
    if not best.residual_scale() <= max_rms_rel:
        if best.out_of_range is not None:
            raise CardError(
                f"{where}: no switching model fits the data: the best ({best.model.NAME}) "
                f"needs parameters no device has ({best.out_of_range}) and still leaves "
                f"{100 * best.sigma_mult_rel:.3g} % rms multiplicative scatter; check the units "
                "and the sign convention of the CSV"
            )
        raise CardError(
            f"{where}: no switching model fits the data: the best ({best.model.NAME}) leaves "
            f"{100 * best.sigma_mult_rel:.3g} % rms multiplicative scatter and "
            f"{best.sigma_add_s:.3g} S additive (median |dG| {best.median_abs_dg_s:.3g} S), "
            f"above the {100 * max_rms_rel:.3g} % accepted (fit.switching_max_rms_rel); check "
            "the units and the sign convention of the CSV, the series resistance and the "
            "filament's thermal resistance (fit.switching_series_ohm, fit.switching_r_th_k_per_w)"
        )
    return SwitchingFit(best, tuple(fits))


def fit_member(
    data: SwitchingData, start: SwitchingModel, heating: PulseHeating = NO_HEATING
) -> MemberFit:
    """Weighted least squares of one member with its noise model (module docstring)."""
    names = parameter_names(start)
    x0 = np.array([getattr(start, k) for k in names])
    scale = np.where(np.abs(x0) > 0, np.abs(x0), 1e-3)
    free = np.ones(len(names), dtype=bool)
    n = len(data.dg_s)
    median = float(np.median(np.abs(data.dg_s)))
    sigma = np.maximum(np.abs(data.dg_s), 1e-3 * median)  # round 0: relative residuals
    x = x0.copy()
    for _ in range(MAX_ROUNDS):  # rounds: drop what is unidentified, reweight
        sol = _solve(data, heating, start, names, x, scale, free, sigma)
        x[free] = sol.x * scale[free]
        weak = _unidentified(sol.jac)
        if not weak.any():
            pred = predicted_dg_s(_model(start, names, x), data, heating)
            add, mult = _noise(data.dg_s - pred, pred, median)
            new_sigma = np.sqrt(add**2 + (mult * pred) ** 2)
            std = _std(sol.jac, scale, free)
            wide = np.array(
                [
                    s > _SPAN.get(k, abs(v))
                    for k, s, v in zip(np.array(names)[free], std, x[free], strict=True)
                ]
            )
            if wide.any():
                weak = wide
            elif np.allclose(new_sigma, sigma, rtol=0.02):
                break
            sigma = new_sigma
        if weak.any():
            drop = np.flatnonzero(free)[weak]
            free[drop] = False
            x[drop] = x0[drop]
    if sol.jac.shape[1] != int(free.sum()):  # the rounds ran out right after a drop
        sol = _solve(data, heating, start, names, x, scale, free, sigma)
        x[free] = sol.x * scale[free]
    model = _model(start, names, x)
    try:
        check_switching_model(model, CardError, "fitted parameters")
        problem = None
    except CardError as exc:
        problem = str(exc)
    pred = predicted_dg_s(model, data, heating)
    add, mult = _noise(data.dg_s - pred, pred, median)
    var = add**2 + (mult * pred) ** 2
    log_l = float(-0.5 * np.sum((data.dg_s - pred) ** 2 / var + np.log(2 * np.pi * var)))
    std_all: dict[str, float | None] = dict.fromkeys(names)
    for name, value in zip(np.array(names)[free], _std(sol.jac, scale, free), strict=True):
        std_all[str(name)] = float(value)
    return MemberFit(
        model=model,
        std=std_all,
        unidentified=tuple(k for k, f in zip(names, free, strict=True) if not f),
        sigma_add_s=add,
        sigma_mult_rel=mult,
        log_likelihood=log_l,
        n_fitted=int(free.sum()) + 2,
        n_rows=n,
        median_abs_dg_s=median,
        out_of_range=problem,
    )


def _model(start: SwitchingModel, names: list[str], x: FloatArray) -> SwitchingModel:
    return replace(start, **dict(zip(names, x.tolist(), strict=True)))


def _std(jac: FloatArray, scale: FloatArray, free: NDArray[np.bool_]) -> FloatArray:
    """1-sigma of the free parameters from the weighted Jacobian (residuals of unit variance)."""
    cov = np.linalg.pinv(jac.T @ jac)
    return np.asarray(np.sqrt(np.maximum(np.diag(cov), 0.0)) * scale[free])


def _noise(residual: FloatArray, pred: FloatArray, median: float) -> tuple[float, float]:
    """Maximum-likelihood (sigma_add, sigma_mult) of residuals with variance
    sigma_add^2 + (sigma_mult pred)^2."""

    def nll(z: FloatArray) -> float:
        var = np.exp(2 * z[0]) + np.exp(2 * z[1]) * pred**2
        return float(np.sum(residual**2 / var + np.log(var)))

    best = min(
        (
            scipy.optimize.minimize(nll, np.log([median * a, m]), method="Nelder-Mead")
            for a, m in ((1e-2, 0.1), (0.3, 1e-3))
        ),
        key=lambda r: r.fun,
    )
    return float(np.exp(best.x[0])), float(np.exp(best.x[1]))


def _starts(base: SwitchingModel) -> list[SwitchingModel]:
    """Start points of one member: a dissolution barrier far above the drift barriers leaves
    dissolution with no gradient to follow, so it is also started at 1.0 and 1.2 eV."""
    if not isinstance(base, DissolutionModel):
        return [base]
    others: list[SwitchingModel] = [
        replace(base, ea_diss_ev=e) for e in (1.0, 1.2) if e != base.ea_diss_ev
    ]
    return [base, *others]


def _start_from(data: SwitchingData, cls: type[ArrheniusModel]) -> SwitchingModel:
    """The member's defaults with the conductance window widened to hold every G in the data."""
    d = cls()
    reached = np.concatenate([data.g0_s, data.g0_s + data.dg_s])
    return replace(
        d,
        g_min_s=min(d.g_min_s, 0.95 * float(reached.min())),
        g_max_s=max(d.g_max_s, 1.05 * float(reached.max())),
    )


def _solve(
    data: SwitchingData,
    heating: PulseHeating,
    start: SwitchingModel,
    names: list[str],
    x0: FloatArray,
    scale: FloatArray,
    free: NDArray[np.bool_],
    sigma: FloatArray,
) -> Any:
    def residual(z: FloatArray) -> FloatArray:
        x = x0.copy()
        x[free] = z * scale[free]
        with np.errstate(over="ignore", invalid="ignore"):
            pred = predicted_dg_s(_model(start, names, x), data, heating)
        out = (pred - data.dg_s) / sigma
        return np.where(np.isfinite(out), out, 1e6)

    return scipy.optimize.least_squares(
        residual, x0[free] / scale[free], method="lm", max_nfev=100 * (int(free.sum()) + 1)
    )


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
    model: SwitchingModel,
    heating: PulseHeating = NO_HEATING,
    *,
    n: int = 400,
    noise_rel: float = 0.03,
    noise_add_s: float = 0.0,
    set_v: tuple[float, ...] = (0.2, 0.3, 0.4),
    reset_v: tuple[float, ...] = (0.6, 0.8, 1.0),
    pulse_s: float = 1e-7,
    seed: int = 0,
) -> SwitchingData:
    """Pulses at random T (300-450 K), G0 (across the window), polarity and voltage (SET at
    ``set_v``, RESET at ``reset_v``: RESET's barrier is higher), drawn from ``model`` itself
    (closed form) with multiplicative and additive noise."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(300.0, 450.0, n)
    g0 = rng.uniform(model.g_min_s * 1.1, model.g_max_s * 0.9, n)
    pol = rng.random(n) < 0.5
    v = np.where(pol, rng.choice(set_v, n), rng.choice(reset_v, n)).astype(np.float64)
    data = SwitchingData(t, g0, pol, v, np.full(n, pulse_s), np.zeros(n))
    dg = predicted_dg_s(model, data, heating)
    dg = dg * (1 + noise_rel * rng.normal(size=n)) + noise_add_s * rng.normal(size=n)
    return replace(data, dg_s=dg)


# the example CSV's measurement context: the default device's filament (thermal stage,
# docs/devicefit.md) in series with nothing
EXAMPLE_HEATING = PulseHeating(filament_r_k_per_w=4.9e6, series_resistance_ohm=0.0)


def example_csv_text() -> str:
    """The shipped example data set, regenerated exactly (it is synthetic)."""
    model = ArrheniusModel()
    data = synthetic_measurements(
        model, EXAMPLE_HEATING, n=400, noise_rel=0.03, noise_add_s=2e-9, seed=0
    )
    buf = io.StringIO()
    write_rows(
        buf,
        data,
        "SYNTHETIC data generated by neohebb from its default Arrhenius switching model with "
        "the pulse's own heating (filament 4.9e6 K/W, no series resistance), 3 % "
        "multiplicative and 2 nS additive noise (seed 0); not a measurement",
    )
    return buf.getvalue()


def write_rows(fh: Any, data: SwitchingData, comment: str) -> None:
    """Write ``data`` as a switching CSV with a ``#`` comment line."""
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
