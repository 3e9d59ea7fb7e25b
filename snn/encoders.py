"""Spike encoders: analogue inputs to 0/1 spike trains, time first ``[n_steps, ..., N]``.

    Poisson:     P(z_i^t = 1) = min(1, r_i dt), independent over t and i
    TTFS:        z_i^t = 1[t = rint((1 - x_i)(n_steps - 1))] for x_i > 0, else no spike
    place cells: r_k(s) = rate_hz if k // cells_per_state = s, else background_hz
    feature cells: r_k = rate_hz if feature k // cells_per_feature is present, else background_hz

Time-to-first-spike coding: Thorpe, Delorme & Van Rullen, Neural Netw. 14, 715 (2001).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from snn.eprop import EpropError

FloatArray = NDArray[np.float64]


def _check_steps(n_steps: int) -> None:
    if isinstance(n_steps, bool) or int(n_steps) != n_steps or n_steps < 1:
        raise EpropError(f"n_steps: must be an integer >= 1, got {n_steps}")


def poisson_spikes(
    rates_hz: ArrayLike, n_steps: int, dt_s: float, rng: np.random.Generator
) -> FloatArray:
    """Bernoulli-per-step spikes [n_steps, *rates_hz.shape] with P = min(1, rate dt).

    >>> z = poisson_spikes([0.0, 1e6], 3, 1e-3, np.random.default_rng(0))
    >>> z.tolist()
    [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    """
    rates = np.asarray(rates_hz, dtype=float)
    _check_steps(n_steps)
    if not (np.isfinite(dt_s) and dt_s > 0):
        raise EpropError(f"dt_s: must be finite and > 0, got {dt_s}")
    if not np.all(np.isfinite(rates) & (rates >= 0)):
        raise EpropError("rates_hz: must be finite and >= 0")
    p = np.minimum(1.0, rates * dt_s)
    return (rng.random((int(n_steps), *rates.shape)) < p).astype(float)


def ttfs_spikes(values: ArrayLike, n_steps: int) -> FloatArray:
    """One spike per input at step rint((1 - x)(n_steps - 1)); none where x = 0. x in [0, 1].

    >>> ttfs_spikes([1.0, 0.5, 0.0], 5).T.tolist()
    [[1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]
    """
    x = np.asarray(values, dtype=float)
    _check_steps(n_steps)
    if not np.all((x >= 0) & (x <= 1)):
        raise EpropError("values: must lie in [0, 1] (no NaN)")
    out = np.zeros((int(n_steps), *x.shape))
    fires = x > 0
    t = np.rint((1.0 - x[fires]) * (n_steps - 1)).astype(int)
    out[(t, *np.nonzero(fires))] = 1.0
    return out


def place_cell_rates(
    state: ArrayLike,
    n_states: int,
    cells_per_state: int,
    rate_hz: float,
    background_hz: float = 0.0,
) -> FloatArray:
    """Rates [Hz] [*state.shape, n_states * cells_per_state]: the state's cells at rate_hz.

    >>> place_cell_rates(1, 3, 2, 100.0, 1.0).tolist()
    [1.0, 1.0, 100.0, 100.0, 1.0, 1.0]
    """
    s = np.asarray(state)
    if not np.issubdtype(s.dtype, np.integer):
        raise EpropError(f"state: must be integer, got dtype {s.dtype}")
    if n_states < 1:
        raise EpropError(f"n_states: must be >= 1, got {n_states}")
    if cells_per_state < 1:
        raise EpropError(f"cells_per_state: must be >= 1, got {cells_per_state}")
    if np.any((s < 0) | (s >= n_states)):
        raise EpropError(f"state: must lie in 0..{n_states - 1}")
    if not (rate_hz >= 0 and background_hz >= 0):
        raise EpropError(f"rate_hz, background_hz: must be >= 0, got {rate_hz}, {background_hz}")
    owner = np.arange(n_states * cells_per_state) // cells_per_state
    return np.where(owner == s[..., None], float(rate_hz), float(background_hz))


def feature_cell_rates(
    features: ArrayLike, cells_per_feature: int, rate_hz: float, background_hz: float = 0.0
) -> FloatArray:
    """Rates [Hz] [..., F * cells_per_feature]: ``cells_per_feature`` cells per feature,
    at rate_hz where the feature is present (``features`` [..., F], bool), else background_hz.
    Place cells are the one-hot case (one feature per state).

    >>> feature_cell_rates([True, False], 2, 100.0, 1.0).tolist()
    [100.0, 100.0, 1.0, 1.0]
    """
    f = np.asarray(features)
    if f.dtype != bool:
        raise EpropError(f"features: must be bool, got dtype {f.dtype}")
    if cells_per_feature < 1:
        raise EpropError(f"cells_per_feature: must be >= 1, got {cells_per_feature}")
    if not (rate_hz >= 0 and background_hz >= 0):
        raise EpropError(f"rate_hz, background_hz: must be >= 0, got {rate_hz}, {background_hz}")
    return np.where(np.repeat(f, cells_per_feature, axis=-1), float(rate_hz), float(background_hz))
