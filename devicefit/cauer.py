"""Foster <-> Cauer conversion of a one-port thermal RC network.

Foster:  Z(s) = sum_k R_k / (1 + s tau_k),  tau_k = R_k C_k   (R_k > 0: a driving point).
Cauer:   Z(s) = 1 / (s C_1 + 1 / (R_1 + 1 / (s C_2 + 1 / (R_2 + ...)))),
a ladder from the heated node to ambient: C_i to ambient at node i, R_i from node i to i + 1.

Foster -> Cauer writes Z = N(s) / D(s) and runs the continued-fraction (Euclid) division,
alternately removing s C_i from the admittance and R_i from the impedance (JESD51-14
structure-function practice). The polynomial coefficients span hundreds of orders of
magnitude for nanosecond poles, so the division is done in exact rational arithmetic
(``fractions.Fraction`` of the float inputs): no cancellation at any order used here.
Cauer -> Foster is the eigen-decomposition of the ladder's nodal equations C dT/dt + G T = e_1 P.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from devicefit.errors import FitError

FloatArray = NDArray[np.float64]
Poly = list[Fraction]  # coefficients, lowest power first


def _mul(a: Poly, b: Poly) -> Poly:
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def _add(a: Poly, b: Poly) -> Poly:
    n = max(len(a), len(b))
    zero = Fraction(0)
    return [(a[i] if i < len(a) else zero) + (b[i] if i < len(b) else zero) for i in range(n)]


def _trim(a: Poly) -> Poly:
    while len(a) > 1 and a[-1] == 0:
        a = a[:-1]
    return a


def foster_to_cauer(tau_s: FloatArray, r_k_per_w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cauer ladder (R_i [K/W], C_i [J/K]) with the same impedance as the Foster network."""
    tau = [Fraction(float(x)) for x in tau_s]
    res = [Fraction(float(x)) for x in r_k_per_w]
    if any(x <= 0 for x in tau) or any(x <= 0 for x in res):
        raise FitError("foster_to_cauer: needs positive tau and residues (a driving point)")
    den: Poly = [Fraction(1)]
    for t in tau:
        den = _mul(den, [Fraction(1), t])
    num: Poly = [Fraction(0)]
    for k, rk in enumerate(res):
        term: Poly = [rk]
        for j, t in enumerate(tau):
            if j != k:
                term = _mul(term, [Fraction(1), t])
        num = _add(num, term)
    num, den = _trim(num), _trim(den)
    r_out: list[float] = []
    c_out: list[float] = []
    adm_num, adm_den = den, num  # admittance Y = den / num, one degree up
    for _ in range(len(tau)):
        c = adm_num[-1] / adm_den[-1]  # Y = s C + Y_rest
        adm_num = _trim(_add(adm_num, [Fraction(0)] + [-c * x for x in adm_den]))
        r = adm_den[-1] / adm_num[-1]  # 1 / Y_rest = R + Z_rest, equal degrees
        adm_den = _trim(_add(adm_den, [-r * x for x in adm_num]))
        c_out.append(float(c))
        r_out.append(float(r))
        if adm_den == [0]:
            break
    return np.array(r_out), np.array(c_out)


def cauer_to_foster(r_k_per_w: FloatArray, c_j_per_k: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(tau_k [s], R_k [K/W]) of the ladder's driving-point impedance, tau ascending."""
    n = len(r_k_per_w)
    g = np.zeros((n, n))
    for i, r in enumerate(r_k_per_w):
        g[i, i] += 1.0 / r
        if i + 1 < n:
            g[i + 1, i + 1] += 1.0 / r
            g[i, i + 1] -= 1.0 / r
            g[i + 1, i] -= 1.0 / r
    rates, vectors = scipy.linalg.eigh(g, np.diag(c_j_per_k))  # vectors^T C vectors = I
    residues = vectors[0, :] ** 2 / rates
    return 1.0 / rates[::-1], residues[::-1]
