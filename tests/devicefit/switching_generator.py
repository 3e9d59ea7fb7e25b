"""An independent generator of switching measurements, for testing the fitter without
circularity: it integrates the filament's rate equation through each pulse in time (RK4),
with the Joule heat and the cell voltage following G(t) as the filament moves, instead of the
fitter's closed form at the pulse's starting G0; it then adds read noise, pulse-to-pulse
spread and the read conductance's temperature coefficient the way a measurement would.

    dx/dt = s r_drift(T(x), V(x)) (1 - x if SET else x) - r_diss(T(x)) x
    G(x) = G_min + x (G_max - G_min), V(x) = V / (1 + G R_s), T(x) = T + R_fil V(x)^2 G(x)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from devicefit.switching_fit import SwitchingData

K_B = 8.617333262e-5


@dataclass(frozen=True)
class Truth:
    g_min_s: float = 1e-5
    g_max_s: float = 1e-4
    nu_set: float = 1e13
    e_set: float = 0.7
    lower_set: float = 0.3
    nu_reset: float = 1e13
    e_reset: float = 1.12
    lower_reset: float = 0.3
    nu_diss: float = 0.0  # 0: no dissolution
    e_diss: float = 1.0
    tcr_read: float = 0.0
    r_fil: float = 4.9e6
    r_series: float = 0.0


def measure(
    truth: Truth,
    *,
    n: int = 600,
    t_range: tuple[float, float] = (300.0, 450.0),
    set_v: tuple[float, ...] = (0.2, 0.3, 0.4),
    reset_v: tuple[float, ...] = (0.6, 0.8, 1.0),
    pulse_s: float = 1e-7,
    noise_mult: float = 0.03,
    noise_add_s: float = 2e-9,
    steps: int = 400,
    seed: int = 0,
) -> SwitchingData:
    rng = np.random.default_rng(seed)
    t_stage = rng.uniform(*t_range, n)
    g0 = rng.uniform(1.1 * truth.g_min_s, 0.9 * truth.g_max_s, n)
    pol = rng.random(n) < 0.5
    v = np.where(pol, rng.choice(set_v, n), rng.choice(reset_v, n))
    window = truth.g_max_s - truth.g_min_s

    def rate(x: np.ndarray) -> np.ndarray:
        g = truth.g_min_s + x * window
        v_cell = v / (1 + g * truth.r_series)
        temp = t_stage + truth.r_fil * v_cell**2 * g
        nu = np.where(pol, truth.nu_set, truth.nu_reset)
        e = np.where(pol, truth.e_set, truth.e_reset) - np.where(
            pol, truth.lower_set, truth.lower_reset
        ) * np.abs(v_cell)
        drift = nu * np.exp(-e / (K_B * temp))
        diss = truth.nu_diss * np.exp(-truth.e_diss / (K_B * temp))
        return np.where(pol, drift * (1 - x), -drift * x) - diss * x

    x = (g0 - truth.g_min_s) / window
    h = pulse_s / steps
    for _ in range(steps):
        k1 = rate(x)
        k2 = rate(x + 0.5 * h * k1)
        k3 = rate(x + 0.5 * h * k2)
        k4 = rate(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    dg_true = truth.g_min_s + x * window - g0
    gain = 1 + truth.tcr_read * (t_stage - 300.0)
    dg = dg_true * gain * (1 + noise_mult * rng.normal(size=n)) + noise_add_s * rng.normal(size=n)
    read_g0 = g0 * gain + noise_add_s * rng.normal(size=n)
    return SwitchingData(t_stage, read_g0, pol, v, np.full(n, pulse_s), dg)
