"""Multi-port Foster networks with shared poles: evaluation and fitting to Z[t, probe, heater].

    Z_ph(t) = sum_k R_phk (1 - exp(-t / tau_k))               (docs/architecture.md, "Heat")

Fitting follows the classic route for Zth(t) (JEDEC JESD51-14 practice): least squares on a
dense log-spaced tau grid, then pruning and a nonlinear refinement. Pruning is backward
elimination (drop the pole whose removal raises the max error least), which gives a start for
every order n; the n poles are then refined by variable projection (the residues are linear,
so only log tau is optimised; Golub & Pereyra, SIAM J. Numer. Anal. 10, 413 (1973)). The
order is the smallest that meets the error tolerance. Residues are signed (the heater ->
own-filament term is a transfer impedance with a diffusion delay; NNLS is available for true
driving points), but every impulse response is kept >= 0, as the heat kernel's is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from devicefit.errors import FitError
from meshes.cells import cell_of
from thermal.modal import FosterNetwork

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FosterFit:
    """A fitted network and how well it fits."""

    network: FosterNetwork
    max_rel_error: float  # max |Z_fit - Z| / R_self of the heater, over all t, probes, heaters
    orders_tried: tuple[tuple[int, float], ...]  # (n poles, error) for each order tried


def _design(t: FloatArray, tau: FloatArray) -> FloatArray:
    return -np.expm1(-t[:, None] / tau[None, :])


def _residues(
    design: FloatArray,
    y: FloatArray,
    self_cols: NDArray[np.int_],
    impulse: FloatArray | None = None,
) -> FloatArray:
    """Least-squares residues per column; NNLS for the self (passive) columns.

    ``impulse`` [t, K] (rows e^{-t/tau_k} / tau_k on a dense grid from t = 0): a column whose
    impulse response sum_k R_k e^{-t/tau_k} / tau_k dips below zero is re-solved with that
    response constrained to >= 0 (a convex QP, SLSQP), so its step response is >= 0 and
    non-decreasing, as heat diffusion's is.
    """
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    for c in self_cols:
        coef[:, c], _ = scipy.optimize.nnls(design, y[:, c])
    if impulse is None:
        return coef
    norms = np.max(np.abs(impulse), axis=1)
    rows = impulse[norms > 0] / norms[norms > 0, None]  # all modes decayed: nothing to keep
    for c in np.flatnonzero(np.min(rows @ coef, axis=0) < 0):
        coef[:, c] = _positive_impulse_lstsq(design, y[:, c], rows, coef[:, c])
    return coef


def _positive_impulse_lstsq(
    design: FloatArray, y: FloatArray, rows: FloatArray, start: FloatArray
) -> FloatArray:
    """argmin |design r - y|^2 subject to rows r >= 0."""
    gram, rhs = design.T @ design, design.T @ y
    result = scipy.optimize.minimize(
        lambda r: 0.5 * r @ gram @ r - rhs @ r,
        start,
        jac=lambda r: gram @ r - rhs,
        constraints=[{"type": "ineq", "fun": lambda r: rows @ r, "jac": lambda r: rows}],
        method="SLSQP",
        options={"maxiter": 500, "ftol": 1e-14},
    )
    out: FloatArray = result.x
    return out


IMPULSE_TOLERANCE = 1e-6
"""An impulse response above -1e-6 of its heater's own peak counts as non-negative."""


def impulse_floor(network: FosterNetwork) -> float:
    """The most negative impulse response, min over pairs and times of h_ph(t) =
    sum_k R_phk e^{-t/tau_k} / tau_k, relative to the peak of the heater's own term: >= 0
    for a network whose every step response is non-negative and non-decreasing. Evaluated
    at t = 0 and 400 log-spaced times from tau_min / 100 to 30 tau_max."""
    tau = network.tau_s
    t = np.concatenate([[0.0], np.geomspace(tau.min() / 100, 30 * tau.max(), 400)])
    h = np.einsum("tk,phk->tph", np.exp(-t[:, None] / tau[None, :]) / tau, network.residues_k_per_w)
    own = [network.probes.index(cell_of(name, FitError).reram) for name in network.heaters]
    scale = np.max(np.abs(h[:, own, np.arange(len(own))]), axis=0)
    return float(np.min(h / scale[None, None, :]))


def impulse_rows(t_s: FloatArray, tau_s: FloatArray) -> FloatArray:
    """e^{-t/tau_k} / tau_k [1/s] on t = 0 and 1000 log-spaced times from t_s[0] / 10 to
    t_s[-1] * 10: the grid on which fitted impulse responses are kept >= 0."""
    t = np.concatenate([[0.0], np.geomspace(t_s[0] / 10, t_s[-1] * 10, 1000)])
    out: FloatArray = np.exp(-t[:, None] / tau_s[None, :]) / tau_s[None, :]
    return out


def fit_foster(
    t_s: FloatArray,
    z_k_per_w: FloatArray,
    probes: tuple[str, ...] | list[str],
    heaters: tuple[str, ...] | list[str],
    *,
    rel_tol: float = 0.01,
    max_poles: int = 12,
    grid_per_decade: int = 10,
    self_nonnegative: bool = True,
    positive: bool = True,
) -> FosterFit:
    """Fit shared-pole Foster residues to Z[t, probe, heater] (self terms: probe p == heater p).

    ``self_nonnegative`` constrains the self residues to R >= 0 (NNLS), which a driving-point
    impedance needs (and a Cauer ladder requires). Heater -> own-filament terms are transfer
    impedances: heat reaches the filament after a diffusion delay (zero initial slope), which
    no sum of positive exponentials reproduces, so for them pass False (signed residues).
    ``positive`` keeps every fitted impulse response >= 0 (``impulse_rows``): signed residues,
    but a step response that never undershoots zero and never falls, and a non-negative
    temperature rise for any non-negative heater power.

    Raises ``FitError`` when shapes or values are unusable; returns the best fit found when
    no order up to ``max_poles`` meets ``rel_tol`` (check ``max_rel_error``).
    """
    t = np.asarray(t_s, dtype=float)
    z = np.asarray(z_k_per_w, dtype=float)
    if z.ndim != 3 or z.shape[0] != len(t) or z.shape[1:] != (len(probes), len(heaters)):
        raise FitError(
            f"Z: shape {z.shape} does not match t ({len(t)}), probes "
            f"({len(probes)}), heaters ({len(heaters)})"
        )
    if not (np.all(np.isfinite(z)) and np.all(np.isfinite(t)) and np.all(t > 0)):
        raise FitError("t, Z: values must be finite and t > 0")
    if np.any(np.diff(t) <= 0):
        raise FitError("t: must increase strictly")
    n_t, n_p, n_h = z.shape
    own_probes = [cell_of(h, FitError).reram for h in heaters]
    self_pairs = [(probes.index(p), j) for j, p in enumerate(own_probes) if p in probes]
    if len(self_pairs) != n_h:
        raise FitError("probes: every heater needs its own probe (heater_X <-> reram_X)")
    scale = np.array([z[-1, p, h] for p, h in self_pairs])
    if np.any(scale <= 0):
        raise FitError("Z: a self term does not end positive; is it a thermal step response?")
    y = (z / scale[None, None, :]).reshape(n_t, n_p * n_h)
    self_cols = np.array(
        [p * n_h + h for p, h in self_pairs] if self_nonnegative else [], dtype=int
    )

    def error_of(tau: FloatArray) -> tuple[float, FloatArray]:
        design = _design(t, tau)
        coef = _residues(design, y, self_cols, impulse_rows(t, tau) if positive else None)
        return float(np.max(np.abs(design @ coef - y))), coef

    def projected_residual(log_tau: FloatArray) -> FloatArray:
        design = _design(t, np.exp(log_tau))
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        return (design @ coef - y).ravel()

    def lstsq_error(tau: FloatArray) -> float:
        design = _design(t, tau)
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        return float(np.max(np.abs(design @ coef - y)))

    # Backward elimination from a dense log-spaced grid: drop, one at a time, the pole whose
    # removal raises the max error least; this path gives a good start for every order.
    tau = np.geomspace(t[0] / 3, t[-1] * 3, int(np.log10(9 * t[-1] / t[0]) * grid_per_decade) + 1)
    path: dict[int, FloatArray] = {}
    while len(tau) >= 1:
        if len(tau) <= max_poles:
            path[len(tau)] = tau
        if len(tau) == 1:
            break
        errors = [lstsq_error(np.delete(tau, i)) for i in range(len(tau))]
        tau = np.delete(tau, int(np.argmin(errors)))

    bounds = (np.log(t[0] / 10), np.log(t[-1] * 10))
    best: tuple[float, FloatArray, FloatArray] | None = None
    tried: list[tuple[int, float]] = []
    for n in range(1, max(path) + 1):  # the grid may hold fewer poles than max_poles
        candidate = [path[n]]
        fit = scipy.optimize.least_squares(
            projected_residual, np.log(path[n]), bounds=bounds, max_nfev=50 * n
        )
        candidate.append(np.sort(np.exp(fit.x)))  # variable-projection refinement
        results = [(*error_of(c), c) for c in candidate]
        err, coef, tau = min(results, key=lambda r: r[0])
        tried.append((n, err))
        if best is None or err < best[0]:
            best = (err, tau, coef)
        if err <= rel_tol:
            best = (err, tau, coef)
            break
    assert best is not None
    err, tau, coef = best
    residues = (coef.reshape(len(tau), n_p, n_h) * scale[None, None, :]).transpose(1, 2, 0)
    network = FosterNetwork(tau, residues, tuple(probes), tuple(heaters))
    return FosterFit(network, err, tuple(tried))


def truncate_modal(
    tau_s: FloatArray,
    residues_k_per_w: FloatArray,
    n_poles: int,
    probes: tuple[str, ...],
    heaters: tuple[str, ...],
) -> FosterNetwork:
    """Model-order-reduction route: keep the ``n_poles`` modes with the largest self residues
    (summed over heaters) and add each dropped mode's residue to the kept mode nearest in
    log tau, so the steady matrix R stays exact."""
    n_h = residues_k_per_w.shape[1]
    self_weight = np.abs(residues_k_per_w[np.arange(n_h), np.arange(n_h), :]).sum(axis=0)
    keep = np.sort(np.argsort(-self_weight)[:n_poles])
    distance = np.abs(np.log(tau_s)[:, None] - np.log(tau_s[keep])[None, :])
    assign = np.zeros((len(tau_s), len(keep)))
    assign[np.arange(len(tau_s)), np.argmin(distance, axis=1)] = 1.0  # mode -> kept mode
    lumped = np.einsum("phk,kj->phj", residues_k_per_w, assign)
    return FosterNetwork(tau_s[keep], lumped, probes, heaters)
