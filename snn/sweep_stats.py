"""Statistics of a learning sweep over seeds: per-point summaries with confidence intervals and
the two maze claims as tests (numpy + scipy.stats).

Episodes to criterion are right-censored: a run that never reaches the criterion is known only
to need more than the episode budget. Per point:

* ``reached_fraction``: runs that reached the criterion / runs;
* ``median`` of the episodes with censored runs counted as the budget, and its
  distribution-free order-statistic CI (``median_ci``; its true coverage is
  ``median_ci_coverage``: at least 95 % from 6 runs on, 75 % for 3). While fewer than half
  the runs are censored this is the true median; otherwise it is the budget, a lower bound;
* ``km_median``: the Kaplan-Meier median (``scipy.stats.ecdf`` on ``CensoredData``): the first
  episode count at which the estimated share still below the criterion drops to 0.5 or
  less, with the times where the 95 % confidence band of that share crosses 0.5 as its CI
  (Brookmeyer & Crowley, Biometrics 38, 29 (1982)); None where the share never falls to
  0.5 (more than half of the runs censored).

The claims:

* **U-shape of the decay** (``u_shape``): the point of lowest median is the optimum; for each
  end of the decay range the percentile-bootstrap 95 % CI (``scipy.stats.bootstrap``) of
  median(end) - median(optimum) must lie above 0 and the one-sided Mann-Whitney U p-value
  (end slower than optimum) must be below 0.05. The optimum is
  chosen from the same data, so the test is optimistic (a winner's curse); it is reported as
  such.
* **Gradual degradation with variability** (``variability_trend``): Spearman's rank
  correlation of every run's (censored) episodes with the variability multiplier, and its
  p-value; a positive significant rho says learning gets slower as variability grows.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.stats

from snn.agent import censored_episodes

CONFIDENCE = 0.95
RESAMPLES = 2000
SIGNIFICANCE = 0.05


def median_ci(values: np.ndarray) -> tuple[float, float, float, float]:
    """(median, CI low, CI high, coverage): the distribution-free order-statistic interval
    [x_(j), x_(n+1-j)], whose coverage is 1 - 2 P(B <= j - 1), B ~ Binomial(n, 1/2), with
    the largest j that still covers CONFIDENCE (Hollander, Wolfe & Chicken, Nonparametric
    Statistical Methods, 3rd ed., section 3.6). Below 6 runs no interval reaches 95 %:
    [min, max] is returned with its true coverage (75 % for 3 runs)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    med = float(np.median(x))
    j = 1
    for candidate in range(2, n // 2 + 1):
        if 1 - 2 * scipy.stats.binom.cdf(candidate - 1, n, 0.5) >= CONFIDENCE:
            j = candidate
        else:
            break
    coverage = float(1 - 2 * scipy.stats.binom.cdf(j - 1, n, 0.5))
    return med, float(x[j - 1]), float(x[n - j]), coverage


def kaplan_meier_median(reached: Sequence[int | None], budget: int) -> dict[str, Any]:
    """Kaplan-Meier median of episodes to criterion, censored at ``budget`` (module docstring):
    {"median", "ci95": [low, high]}, None where undefined."""
    events = [float(e) for e in reached if e is not None]
    n_censored = sum(e is None for e in reached)
    if not events:
        return {"median": None, "ci95": [None, None]}
    data = scipy.stats.CensoredData(uncensored=events, right=[float(budget)] * n_censored)
    sf = scipy.stats.ecdf(data).sf
    times = np.asarray(sf.quantiles, dtype=float)
    with warnings.catch_warnings():  # "undefined at some observations": where S = 0 or 1
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(CONFIDENCE)

    def first_at_or_below_half(prob: np.ndarray) -> float | None:
        hit = np.flatnonzero(prob <= 0.5 + 1e-12)
        return float(times[hit[0]]) if len(hit) else None

    return {
        "median": first_at_or_below_half(np.asarray(sf.probabilities)),
        "ci95": [
            first_at_or_below_half(np.asarray(band.low.evaluate(times))),
            first_at_or_below_half(np.asarray(band.high.evaluate(times))),
        ],
    }


def point_summary(reached: Sequence[int | None], budget: int) -> dict[str, Any]:
    """reached_fraction, the median with its order-statistic CI (and that CI's coverage) and
    the Kaplan-Meier median of one point."""
    values = np.asarray(censored_episodes(list(reached), budget), dtype=float)
    med, low, high, coverage = median_ci(values)
    return {
        "reached_fraction": float(np.mean([e is not None for e in reached])),
        "median": med,
        "median_ci95": [low, high],
        "median_ci_coverage": coverage,
        "median_is_lower_bound": bool(np.mean([e is None for e in reached]) >= 0.5),
        "km_median": kaplan_meier_median(reached, budget),
    }


def _difference_ci(slow: np.ndarray, fast: np.ndarray, seed: int) -> tuple[float, float, float]:
    """median(slow) - median(fast) and its percentile-bootstrap CI (independent samples)."""

    def statistic(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
        out: np.ndarray = np.median(a, axis=axis) - np.median(b, axis=axis)
        return out

    diff = float(np.median(slow) - np.median(fast))
    if np.all(slow == slow[0]) and np.all(fast == fast[0]):
        return diff, diff, diff
    res = scipy.stats.bootstrap(
        (slow, fast),
        statistic,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return diff, float(res.confidence_interval.low), float(res.confidence_interval.high)


def u_shape_test(
    xs: Sequence[float], values: Sequence[np.ndarray], seed: int
) -> dict[str, Any] | None:
    """The decay optimum against both ends of the range (module docstring); None with fewer
    than three points."""
    if len(xs) < 3:
        return None
    medians = np.array([np.median(v) for v in values])
    best = int(np.argmin(medians))
    out: dict[str, Any] = {
        "optimum_x": float(xs[best]),
        "optimum_median": float(medians[best]),
        "ends": [],
        "note": "the optimum is the lowest median of the same data (optimistic)",
    }
    holds = 0 < best < len(xs) - 1
    for end in (0, len(xs) - 1):
        slow, fast = np.asarray(values[end], float), np.asarray(values[best], float)
        diff, low, high = _difference_ci(slow, fast, seed + end)
        p = (
            1.0
            if end == best
            else float(scipy.stats.mannwhitneyu(slow, fast, alternative="greater").pvalue)
        )
        above = end != best and low > 0 and p < SIGNIFICANCE
        holds = holds and above
        out["ends"].append(
            {
                "x": float(xs[end]),
                "median_difference": diff,
                "difference_ci95": [low, high],
                "mann_whitney_p": p,
                "slower_than_optimum": above,
            }
        )
    out["holds"] = bool(holds)
    return out


def trend_test(xs: Sequence[float], values: Sequence[np.ndarray]) -> dict[str, Any] | None:
    """Spearman's rho of every run's episodes against its point's x, and its two-sided
    p-value; None with fewer than two points."""
    if len(xs) < 2:
        return None
    x = np.concatenate([np.full(len(v), float(xi)) for xi, v in zip(xs, values, strict=True)])
    y = np.concatenate([np.asarray(v, float) for v in values])
    if np.all(y == y[0]):
        return {"spearman_rho": None, "p_value": None, "increasing": False, "runs": len(y)}
    res = scipy.stats.spearmanr(x, y)
    rho, p = float(res.statistic), float(res.pvalue)
    return {
        "spearman_rho": rho,
        "p_value": p,
        "increasing": bool(rho > 0 and p < SIGNIFICANCE),
        "runs": len(y),
    }


def compare_runs(
    a: Sequence[int | None], b: Sequence[int | None], budget: int, seed: int
) -> dict[str, Any]:
    """Two arms of one point (e.g. two learning rules over the same seeds): the reached
    fractions, the medians (censored at ``budget``), the bootstrap 95 % CI of median(b) -
    median(a) and a two-sided Mann-Whitney U p-value."""
    va = np.asarray(censored_episodes(list(a), budget), dtype=float)
    vb = np.asarray(censored_episodes(list(b), budget), dtype=float)
    diff, low, high = _difference_ci(vb, va, seed)
    same = np.all(va == va[0]) and np.all(vb == va[0])
    p = 1.0 if same else float(scipy.stats.mannwhitneyu(vb, va, alternative="two-sided").pvalue)
    return {
        "a": point_summary(a, budget),
        "b": point_summary(b, budget),
        "median_difference_b_minus_a": diff,
        "difference_ci95": [low, high],
        "mann_whitney_p": p,
        "runs": [len(va), len(vb)],
    }
