"""How far linear superposition is from the true heat flow at the operating point, and the
map that corrects it (numpy + scipy only).

The card's impedances are linear: rise = Z * P. With k(T) and c_p(T) (``thermal.nonlinear``)
the true rise differs. The thermal stage solves the operating point both ways on the same
steps (``thermal.response.OperatingPointRun``); here:

* the linearity error is max |theta_true / theta_linear - 1| over every probe sample whose
  linear rise lies in BAND_K (100-200 K, where the traces live);
* the correction is the Kirchhoff transform of a conductivity k ~ T^n,

      theta_true = T0 [(1 + (n + 1) theta_lin / T0)^(1 / (n + 1)) - 1]   (n != -1),
      theta_true = T0 [exp(theta_lin / T0) - 1]                          (n = -1),

  exact at steady state when every material shares one exponent n (Carslaw & Jaeger,
  Conduction of Heat in Solids, 2nd ed., section 1.7). An effective n is fitted to the
  run's samples above MIN_RISE_K (relative least squares); what it leaves (transients,
  c_p(T), mixed materials) is reported as ``corrected_rel_error``.

The card carries the correction when the linearity error exceeds the fit tolerance and the
map reduces it; ``snn/`` then maps its linear trace rise through ``KirchhoffMap.true_rise_k``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

BAND_K = (100.0, 200.0)
MIN_RISE_K = 5.0  # samples below this carry no information on the nonlinearity
EXPONENT_BOUNDS = (-0.95, 3.0)


@dataclass(frozen=True)
class KirchhoffMap:
    """Linear rise -> true rise for k ~ T^exponent (module docstring)."""

    exponent: float
    t_ambient_k: float

    def true_rise_k(self, linear_rise_k: NDArray[np.float64]) -> NDArray[np.float64]:
        """theta_true(theta_lin), vectorised (module docstring)."""
        t0, n = self.t_ambient_k, self.exponent
        u = np.maximum(np.asarray(linear_rise_k, dtype=float), 0.0) / t0
        if abs(n + 1) < 1e-12:
            return t0 * np.expm1(u)
        return t0 * (np.power(1.0 + (n + 1) * u, 1.0 / (n + 1)) - 1.0)


@dataclass(frozen=True)
class Linearity:
    """The linear card against the nonlinear operating point (what the card carries)."""

    power_w: float
    band_k: tuple[float, float]
    band_samples: int
    max_rel_error: float | None  # None: no sample in the band (raise the power)
    kirchhoff: KirchhoffMap
    corrected_rel_error: float | None  # the same, after the map
    apply_correction: bool
    tolerance: float

    @classmethod
    def from_card_dict(cls, data: dict[str, Any], t_ambient_k: float) -> Linearity:
        """Read back ``card_dict`` (schema-checked by the card reader)."""
        return cls(
            power_w=float(data["power_w"]),
            band_k=(float(data["band_k"][0]), float(data["band_k"][1])),
            band_samples=int(data["band_samples"]),
            max_rel_error=data["max_rel_error"],
            kirchhoff=KirchhoffMap(float(data["kirchhoff_exponent"]), t_ambient_k),
            corrected_rel_error=data["corrected_rel_error"],
            apply_correction=bool(data["apply_correction"]),
            tolerance=float(data["tolerance"]),
        )

    def card_dict(self) -> dict[str, Any]:
        return {
            "power_w": self.power_w,
            "band_k": list(self.band_k),
            "band_samples": self.band_samples,
            "max_rel_error": self.max_rel_error,
            "kirchhoff_exponent": self.kirchhoff.exponent,
            "corrected_rel_error": self.corrected_rel_error,
            "apply_correction": self.apply_correction,
            "tolerance": self.tolerance,
            "meaning": "max |true / linear - 1| of the probe rises whose linear value lies in "
            "band_k, in the operating point's transient (heater on to steady state, then off) "
            "with k(T), c_p(T); the correction maps a linear rise u to "
            "T0 ((1 + (n+1) u / T0)^(1/(n+1)) - 1), n = kirchhoff_exponent, and snn applies "
            "it to the trace when apply_correction",
        }


def band_error(
    linear_k: NDArray[np.float64], true_k: NDArray[np.float64], band_k: tuple[float, float]
) -> tuple[int, float | None]:
    """(samples, max |true / linear - 1|) over the samples whose linear rise is in the band."""
    inside = (linear_k >= band_k[0]) & (linear_k <= band_k[1])
    count = int(inside.sum())
    if count == 0:
        return 0, None
    return count, float(np.max(np.abs(true_k[inside] / linear_k[inside] - 1.0)))


def fit_kirchhoff(
    linear_k: NDArray[np.float64], true_k: NDArray[np.float64], t_ambient_k: float
) -> KirchhoffMap:
    """The exponent whose Kirchhoff map best carries linear to true rises (relative least
    squares over samples above MIN_RISE_K)."""
    keep = linear_k > MIN_RISE_K
    lin, true = linear_k[keep], true_k[keep]
    if lin.size == 0:
        return KirchhoffMap(0.0, t_ambient_k)

    def cost(n: float) -> float:
        mapped = KirchhoffMap(n, t_ambient_k).true_rise_k(lin)
        return float(np.sum(((mapped - true) / lin) ** 2))

    best = scipy.optimize.minimize_scalar(
        cost, bounds=EXPONENT_BOUNDS, method="bounded", options={"xatol": 1e-6}
    )
    return KirchhoffMap(float(best.x), t_ambient_k)


def assess_linearity(
    linear_k: NDArray[np.float64],
    true_k: NDArray[np.float64],
    *,
    power_w: float,
    t_ambient_k: float,
    tolerance: float,
    band_k: tuple[float, float] = BAND_K,
) -> Linearity:
    """The linearity figure of an operating-point run [t, probe], its fitted correction, and
    whether the card should apply it (error above ``tolerance``)."""
    lin, true = np.asarray(linear_k, float).ravel(), np.asarray(true_k, float).ravel()
    samples, error = band_error(lin, true, band_k)
    kirchhoff = fit_kirchhoff(lin, true, t_ambient_k)
    inside = (lin >= band_k[0]) & (lin <= band_k[1])
    # the same measure as the error: true relative to the prediction, now the mapped one
    corrected = (
        float(np.max(np.abs(true[inside] / kirchhoff.true_rise_k(lin[inside]) - 1.0)))
        if samples
        else None
    )
    return Linearity(
        power_w=power_w,
        band_k=band_k,
        band_samples=samples,
        max_rel_error=error,
        kirchhoff=kirchhoff,
        corrected_rel_error=corrected,
        apply_correction=error is not None
        and error > tolerance
        and corrected is not None
        and corrected < error,
        tolerance=tolerance,
    )
