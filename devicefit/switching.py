"""Temperature-dependent conductance change of one programming pulse: a small model family.

Both members are field-assisted, thermally activated ion hopping (Arrhenius kinetics with a
barrier lowered by the cell voltage; Ielmini, Semicond. Sci. Technol. 31, 063002 (2016);
Menzel et al., Adv. Funct. Mater. 25, 6306 (2015)), evaluated at the cell's *effective*
temperature during the pulse (``PulseHeating``):

    V_cell = V / (1 + G0 R_series)            (access transistor / series resistance)
    T_eff  = T + R_fil V_cell^2 G0             (the pulse's own Joule heat in the filament)
    r(T, V) = exp(ln_nu0 - (E_a - gamma |V_cell|) / (k_B T_eff))                  [1/s]

T is the cell's temperature before the pulse (ambient + stored trace + neighbours' heat).
R_fil is the filament's own thermal resistance from the thermal stage; its rise time (tens of
ps on the default device) is far below a ns pulse, so the steady rise is used. The own heat
makes the rate, and its temperature sensitivity, depend on G0 and on the series resistance.

``ArrheniusModel`` (family name "arrhenius", the simple member), x = (G - G_min)/(G_max - G_min):

    SET:   dx/dt = r_set (1 - x)          RESET: dx/dt = -r_reset x

``DissolutionModel`` ("drift-dissolution") adds thermally activated, field-free dissolution of
the filament (the retention-loss process; its barrier is above the drift barriers, so it
matters only when the cell is hot) and the read conductance's temperature coefficient:

    r_diss = exp(ln_nu0_diss - E_diss / (k_B T_eff))
    SET:   dx/dt = r_set (1 - x) - r_diss x       -> relaxes to x_eq = r_set / (r_set + r_diss)
    RESET: dx/dt = -(r_reset + r_diss) x
    G_read(T_read) = G (1 + alpha_read (T_read - 300 K))

A SET pulse on a cell above x_eq(T_eff) *lowers* G: the direction and size of a hot pulse's
change depend on G0 and polarity (the thermal neoHebbian paper's observation). Both are linear
in x at fixed T_eff, so dx over a pulse of width t_p is x1 = x_eq + (x0 - x_eq) exp(-k t_p),
with k the total rate. The own heat follows G through the pulse: the rates are those of the
pulse's mid-point G (predictor-corrector), and a pulse whose change of G moves its rate by
more than ``RATE_CHANGE`` (relative) is integrated in substeps (one per ``STEP_CHANGE`` of
that change, at most ``SUBSTEPS``), each such a relaxation (tested against an RK4 solution).

Parameters are in SI (energies in eV). The defaults are the class defaults; their sources
are in ``DEFAULT_SOURCES`` and docs/devicefit.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from meshes.files import StageError

FloatArray = NDArray[np.float64]
K_B_EV = 8.617333262e-5  # Boltzmann constant [eV/K]
T_READ_REF_K = 300.0  # reference temperature of the read conductance G


@dataclass(frozen=True)
class PulseHeating:
    """Electrical and thermal context of a programming pulse (both 0: no own heating, the
    full pulse voltage on the cell)."""

    filament_r_k_per_w: float = 0.0  # the filament's own thermal resistance R_fil [K/W]
    series_resistance_ohm: float = 0.0  # access transistor (or compliance) in series [ohm]

    def conditions(
        self, temperature_k: FloatArray, g0_s: FloatArray | float, pulse_v: FloatArray | float
    ) -> tuple[FloatArray, FloatArray]:
        """(T_eff [K], V_cell [V]): V_cell = V / (1 + G0 R_s), T_eff = T + R_fil V_cell^2 G0."""
        v_cell = np.asarray(pulse_v / (1.0 + g0_s * self.series_resistance_ohm), float)
        return temperature_k + self.filament_r_k_per_w * v_cell**2 * g0_s, v_cell

    def power_w(self, g0_s: Any, pulse_v: Any) -> FloatArray:
        """The pulse's Joule power in the cell, V_cell^2 G0 [W]."""
        g = np.asarray(g0_s, float)
        v_cell = np.asarray(pulse_v, float) / (1.0 + g * self.series_resistance_ohm)
        return np.asarray(v_cell**2 * g)

    def own_rise_k(self, g0_s: Any, pulse_v: Any) -> FloatArray:
        """The pulse's own filament rise R_fil V_cell^2 G0 [K]."""
        return self.filament_r_k_per_w * self.power_w(g0_s, pulse_v)


NO_HEATING = PulseHeating()
RATE_CHANGE = 0.05  # a pulse whose own heat moves its rate more is integrated in substeps
SUBSTEPS = 64  # at most
STEP_CHANGE = 0.01  # the relative rate change a substep may span (sets their number)


def _drift_rate(
    ln_nu: FloatArray, ea_ev: FloatArray, gamma: FloatArray, t_eff: FloatArray, v_cell: FloatArray
) -> FloatArray:
    return np.asarray(np.exp(ln_nu - (ea_ev - gamma * np.abs(v_cell)) / (K_B_EV * t_eff)))


def _arguments(*args: Any) -> list[FloatArray]:
    t, g0, pol, v, tp, m = np.broadcast_arrays(
        np.asarray(args[0], float),
        np.asarray(args[1], float),
        np.asarray(args[2], bool),
        np.asarray(args[3], float),
        np.asarray(args[4], float),
        np.asarray(args[5], float),
    )
    return [t, g0, pol, v, tp, m]


@dataclass(frozen=True)
class ArrheniusModel:
    """The simple member: field-lowered Arrhenius drift toward the window's bound."""

    NAME: ClassVar[str] = "arrhenius"
    EQUATION: ClassVar[str] = (
        "V_cell = V / (1 + G0 R_s); T_eff = T + R_fil V_cell^2 G0; "
        "r = exp(ln_nu0 - (ea - gamma |V_cell|) / (k_B T_eff)); x = (G - g_min) / (g_max - g_min); "
        "SET dx/dt = r_set (1 - x); RESET dx/dt = -r_reset x"
    )

    # defaults: DEFAULT_SOURCES
    g_min_s: float = 1e-5
    g_max_s: float = 1e-4
    ln_nu0_set: float = 29.93  # ln(nu0 [1/s]): nu0 = 1e13 Hz
    ea_set_ev: float = 0.7
    gamma_set_ev_per_v: float = 0.3
    ln_nu0_reset: float = 29.93
    ea_reset_ev: float = 1.12
    gamma_reset_ev_per_v: float = 0.3

    def drift_rate_per_s(
        self, t_eff_k: FloatArray, v_cell: FloatArray, set_polarity: NDArray[np.bool_] | bool
    ) -> FloatArray:
        """r(T_eff, V_cell): SET or RESET parameters by ``set_polarity``."""
        return _drift_rate(
            np.where(set_polarity, self.ln_nu0_set, self.ln_nu0_reset),
            np.where(set_polarity, self.ea_set_ev, self.ea_reset_ev),
            np.where(set_polarity, self.gamma_set_ev_per_v, self.gamma_reset_ev_per_v),
            t_eff_k,
            v_cell,
        )

    def relaxation(
        self, t_eff: FloatArray, v_cell: FloatArray, pol: NDArray[np.bool_] | bool
    ) -> tuple[FloatArray, FloatArray]:
        """(total rate k, equilibrium x_eq) of dx/dt = -k (x - x_eq)."""
        r = self.drift_rate_per_s(t_eff, v_cell, pol)
        return r, np.where(pol, 1.0, 0.0)

    def read_gain(self, t_read_k: Any) -> FloatArray:
        """G_read / G at read temperature ``t_read_k`` (1: no temperature coefficient)."""
        return np.ones_like(np.asarray(t_read_k, float))

    def delta_g_s(
        self,
        temperature_k: Any,
        g0_s: Any,
        set_polarity: Any,
        pulse_v: Any,
        pulse_s: Any,
        rate_factor: Any = 1.0,
        heating: PulseHeating = NO_HEATING,
        substeps: int = SUBSTEPS,
    ) -> FloatArray:
        """dG [S] of one pulse, vectorised over every argument; ``temperature_k`` is the cell
        before the pulse (the pulse adds its own heat by ``heating``), ``rate_factor`` a
        device's fixed rate multiplier (device-to-device variability); ``substeps`` the
        relaxations of a pulse whose change moves its rate by > RATE_CHANGE (1: heat of G0 only)."""
        t, g0, pol, v, tp, m = _arguments(
            temperature_k, g0_s, set_polarity, pulse_v, pulse_s, rate_factor
        )
        window = self.g_max_s - self.g_min_s
        polarity: NDArray[np.bool_] | bool = pol.astype(bool)
        if pol.size and (pol.all() or not pol.any()):  # one polarity: scalar parameters
            polarity = bool(pol.flat[0])

        def rates(g: FloatArray) -> tuple[FloatArray, FloatArray]:
            return self.relaxation(*heating.conditions(t, g, v), polarity)

        def relax(g: FloatArray, k: FloatArray, x_eq: FloatArray, w: FloatArray) -> FloatArray:
            return np.asarray((x_eq * window + self.g_min_s - g) * -np.expm1(-k * m * w))

        k0, x0 = rates(g0)
        dg = relax(g0, k0, x0, tp)
        if heating == NO_HEATING or substeps <= 1:
            return dg
        # the own heat follows G through the pulse: one relaxation with the rates of the
        # pulse's mid-point G (predictor-corrector); where the rates at the end of the pulse
        # differ from those at its start by more than RATE_CHANGE, up to ``substeps`` such
        # relaxations (one per STEP_CHANGE of that cell's rate: each cell's count is its own,
        # so a cell's dG never depends on the other cells of the call)
        k1, x1 = rates(g0 + dg)
        change = np.maximum(
            np.abs(k1 - k0) / np.maximum(np.maximum(k0, k1), 1e-300), np.abs(x1 - x0)
        )
        dg = relax(g0, *rates(g0 + dg / 2), tp)  # mid-point rates: second order
        big = change > RATE_CHANGE
        if big.any():
            n = np.minimum(substeps, np.ceil(change[big] / STEP_CHANGE))  # per cell
            t, v, m, h = t[big], v[big], m[big], tp[big] / n
            polarity = polarity if isinstance(polarity, bool) else polarity[big]
            g = g0[big]
            for i in range(int(n.max())):
                half = relax(g, *rates(g), h) / 2
                g = np.where(n > i, g + relax(g, *rates(g + half), h), g)
            dg[big] = g - g0[big]
        return dg


@dataclass(frozen=True)
class DissolutionModel(ArrheniusModel):
    """Drift plus thermally activated dissolution, and the read conductance's temperature
    coefficient (equations in the module docstring)."""

    NAME: ClassVar[str] = "drift-dissolution"
    EQUATION: ClassVar[str] = (
        ArrheniusModel.EQUATION + "; r_diss = exp(ln_nu0_diss - ea_diss / (k_B T_eff)); "
        "SET dx/dt = r_set (1 - x) - r_diss x; RESET dx/dt = -(r_reset + r_diss) x; "
        "G_read = G (1 + tcr_read (T_read - 300 K))"
    )

    ln_nu0_diss: float = 29.93  # ln(nu0 [1/s]) of dissolution
    ea_diss_ev: float = 1.5
    tcr_read_per_k: float = 1e-3  # representative, NOT from a measurement (DEFAULT_SOURCES)

    def relaxation(
        self, t_eff: FloatArray, v_cell: FloatArray, pol: NDArray[np.bool_] | bool
    ) -> tuple[FloatArray, FloatArray]:
        drift = self.drift_rate_per_s(t_eff, v_cell, pol)
        diss = np.exp(self.ln_nu0_diss - self.ea_diss_ev / (K_B_EV * t_eff))
        k = drift + diss
        return k, np.where(pol, drift / k, 0.0)

    def read_gain(self, t_read_k: Any) -> FloatArray:
        return 1.0 + self.tcr_read_per_k * (np.asarray(t_read_k, float) - T_READ_REF_K)


SwitchingModel = ArrheniusModel | DissolutionModel
DEFAULT_SOURCES = {
    "g_min_s, g_max_s": "a 10-100 uS analog window: representative, not a measured device",
    "ln_nu0_*": "attempt frequency 1e13 Hz (Li et al., IEEE EDL 35, 211 (2014), HfOx model)",
    "ea_set_ev": "0.7 eV, oxygen-vacancy generation (Li et al. 2014)",
    "ea_reset_ev": "1.12 eV, oxygen-ion hopping (Li et al. 2014)",
    "gamma_*_ev_per_v": "0.3 eV/V: Li et al.'s 0.75 nm lowering length x charge 2 over a "
    "5 nm oxide",
    "ea_diss_ev": "1.5 eV: the recombination barrier of the ASU / SkyWater sky130 HfOx "
    "ReRAM compact model; no measured retention barrier of this stack was found",
    "tcr_read_per_k": "1e-3 / K: representative of a metallic filament, NOT read from a "
    "measurement (none found for HfOx)",
}
FAMILY: dict[str, type[ArrheniusModel]] = {
    ArrheniusModel.NAME: ArrheniusModel,
    DissolutionModel.NAME: DissolutionModel,
}
PARAMETER_UNITS = {
    "g_min_s": "S",
    "g_max_s": "S",
    "ln_nu0_set": "ln(1/s)",
    "ea_set_ev": "eV",
    "gamma_set_ev_per_v": "eV/V",
    "ln_nu0_reset": "ln(1/s)",
    "ea_reset_ev": "eV",
    "gamma_reset_ev_per_v": "eV/V",
    "ln_nu0_diss": "ln(1/s)",
    "ea_diss_ev": "eV",
    "tcr_read_per_k": "1/K",
}


def parameter_names(model: SwitchingModel | type[ArrheniusModel]) -> list[str]:
    """The member's parameters, in declaration order."""
    return [f.name for f in fields(model)]


def model_from(name: str, parameters: dict[str, float]) -> SwitchingModel:
    """The family member ``name`` with ``parameters`` (every one of its fields)."""
    return FAMILY[name](**{k: float(v) for k, v in parameters.items()})  # type: ignore[return-value]


def check_switching_model(model: SwitchingModel, error: type[StageError], where: str) -> None:
    """Raise ``error`` unless every parameter is finite and in range (0 < g_min < g_max,
    barriers > 0, barrier lowering >= 0, |tcr_read| < 0.01 / K)."""
    for name in parameter_names(model):
        if not math.isfinite(getattr(model, name)):
            raise error(f"{where}.{name}: not a finite number")
    if not 0 < model.g_min_s < model.g_max_s:
        raise error(
            f"{where}.g_min_s: need 0 < g_min_s < g_max_s, got {model.g_min_s:g} and "
            f"{model.g_max_s:g} S"
        )
    for name in ("ea_set_ev", "ea_reset_ev", "ea_diss_ev"):
        if hasattr(model, name) and getattr(model, name) <= 0:
            raise error(f"{where}.{name}: a barrier must be > 0 eV, got {getattr(model, name)}")
    for name in ("gamma_set_ev_per_v", "gamma_reset_ev_per_v"):
        if getattr(model, name) < 0:
            raise error(f"{where}.{name}: must be >= 0 eV/V, got {getattr(model, name)}")
    tcr = getattr(model, "tcr_read_per_k", 0.0)
    if not abs(tcr) < 0.01:
        raise error(f"{where}.tcr_read_per_k: |tcr| must be < 0.01 / K, got {tcr:g}")


def _mid_window_relaxation(
    model: SwitchingModel,
    set_polarity: bool,
    pulse_v: float,
    temperature_k: float,
    heating: PulseHeating,
) -> tuple[float, float, float]:
    """(total rate k [1/s], x_eq, reach) of a pulse at mid-window G0: reach is x_eq's distance
    from mid-window as a fraction of the distance to the pulse's own bound."""
    g_mid = 0.5 * (model.g_min_s + model.g_max_s)
    t_eff, v_cell = heating.conditions(np.array([temperature_k]), np.array([g_mid]), pulse_v)
    k, x_eq = model.relaxation(t_eff, v_cell, np.array([set_polarity]))
    reach = (float(x_eq[0]) - 0.5) / (0.5 if set_polarity else -0.5)
    return float(k[0]), float(x_eq[0]), reach


def mid_window_fraction(
    model: SwitchingModel,
    *,
    set_polarity: bool,
    pulse_v: float,
    temperature_k: float,
    width_s: float,
    heating: PulseHeating = NO_HEATING,
) -> float:
    """Fraction of (G_max - G_mid) a pulse of ``width_s`` at mid-window G0 and
    ``temperature_k`` moves, heat held at G0: (1 - exp(-k t_p)) reach."""
    k, _, reach = _mid_window_relaxation(model, set_polarity, pulse_v, temperature_k, heating)
    return float(-np.expm1(-k * width_s) * reach)


def calibrated_pulse_s(
    model: SwitchingModel,
    *,
    set_polarity: bool,
    pulse_v: float,
    temperature_k: float,
    fraction: float,
    heating: PulseHeating = NO_HEATING,
) -> float:
    """Pulse width [s] whose SET (RESET) at mid-window G0 and ``temperature_k`` (plus the
    pulse's own heat) moves G by ``fraction`` of (G_max - G_mid): the inverse of
    ``mid_window_fraction``, t_p = -ln(1 - fraction / reach) / k. Raises ValueError when
    the pulse cannot move G that far in its direction (dissolution wins at that temperature)."""
    k, x_eq, reach = _mid_window_relaxation(model, set_polarity, pulse_v, temperature_k, heating)
    if not fraction < reach:
        raise ValueError(
            f"a {'SET' if set_polarity else 'RESET'} pulse at {temperature_k:.0f} K moves G "
            f"toward x_eq = {x_eq:.3g}: it cannot move {fraction:.3g} of half the window"
        )
    return float(-np.log1p(-fraction / reach) / k)


def linearity_window(
    model: SwitchingModel,
    *,
    t_ambient_k: float,
    pulse_v: float = 1.0,
    pulse_s: float = 1e-7,
    tol: float = 0.1,
    heating: PulseHeating = NO_HEATING,
) -> dict[str, Any]:
    """Over which rise dT is the heat-driven part dG(T0 + dT) - dG(T0) proportional to dT?

    Returns the largest dT (SET, mid-window G0, with the pulse's own heat) for which the best
    line through the origin stays within ``tol`` (relative, pointwise) of it over [0, dT]; the
    untriggered baseline dG(T0) relative to the heat-driven change at that dT (the part the
    trace does not control); and for rises of 10, 25, 50, 100 K the max deviation from the
    best line as a fraction of the largest change.
    """
    g0 = 0.5 * (model.g_min_s + model.g_max_s)
    dts = np.linspace(0.5, 300.0, 600)

    def dg(t: Any) -> FloatArray:
        return model.delta_g_s(t, g0, True, pulse_v, pulse_s, heating=heating)

    base = float(dg(t_ambient_k))
    heat = dg(t_ambient_k + dts) - base
    best = 0.0
    for i in range(1, len(dts) + 1):
        x, y = dts[:i], heat[:i]
        slope = float(x @ y / (x @ x))
        if np.max(np.abs(slope * x - y) / np.maximum(np.abs(y), 1e-300)) <= tol:
            best = float(dts[i - 1])
        else:
            break
    at = float(np.interp(best, dts, heat)) if best > 0 else None
    by_range: dict[str, float] = {}
    for span in (10.0, 25.0, 50.0, 100.0):
        x, y = dts[dts <= span], heat[dts <= span]
        slope = float(x @ y / (x @ x))
        by_range[f"0-{span:g}K"] = float(
            np.max(np.abs(slope * x - y)) / max(float(np.max(np.abs(y))), 1e-300)
        )
    return {
        "tol": tol,
        "max_rise_k": best,
        "t_ambient_k": t_ambient_k,
        "pulse_v": pulse_v,
        "own_rise_k": float(heating.own_rise_k(g0, pulse_v)),
        "baseline_over_heat_driven": None if not at else base / at,
        "max_line_error_over_range": by_range,
    }
