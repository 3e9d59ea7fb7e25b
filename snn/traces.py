"""End-of-frame eligibility traces: ideal exponential, and thermal (heat in a synapse array).

A synapse (j, i) sits in cell (row j, column i) of a crossbar. Its heater power during a
frame is P_ji^s = p_scale_w * psi_j^s eps_i^s (post pseudo-derivative x pre trace, the LIF
e-prop eligibility, ARCHITECTURE.md). With a shared-pole Foster kernel the temperature rise at
the end of a frame of n steps of dt is, per mode k (exact zero-order hold, a_k = e^{-dt/tau_k}):

    dT_ji = sum_k sum_(dr,dc) R_k(dr, dc) (1 - a_k) sum_s a_k^(n-1-s) P_(j-dr)(i-dc)^s

R_k(0, 0) is the self residue, R_k(dr, dc) the crosstalk onto a probe (dr, dc) cells away
(translation-invariant kernel taken from the centre cell of the model card). The time sum is
an einsum over the window, the neighbour sum a shift of the whole synapse grid: no loop over
synapses, and never a [T, N, N_pre] tensor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ThermalKernel:
    """Poles ``tau_s`` [s] and residues [K/W] per cell offset: {(d_row, d_col): [K]}."""

    tau_s: FloatArray
    residues_k_per_w: dict[tuple[int, int], FloatArray]

    @classmethod
    def from_card(cls, card: dict) -> ThermalKernel:
        """The centre cell (rows // 2, cols // 2) of a card's array: its heater's effect on
        every probe, keyed by the probe's (row, col) offset read from the group names
        ``heater_r{i}_c{j}`` / ``reram_r{i}_c{j}``."""
        th = card["thermal"]
        residues = np.asarray(th["residues_k_per_w"], dtype=float)  # [probe, heater, K]
        heaters = [cell_of(str(n)) for n in th["heaters"]]
        rows = 1 + max(r for r, _ in heaters)
        cols = 1 + max(c for _, c in heaters)
        centre = (rows // 2, cols // 2)
        if centre not in heaters:
            raise ValueError(f"thermal.heaters: no heater at the array centre {centre}")
        h = heaters.index(centre)
        kernel = {}
        for p, name in enumerate(th["probes"]):
            pr, pc = cell_of(str(name))
            kernel[(pr - centre[0], pc - centre[1])] = residues[p, h]
        return cls(np.asarray(th["tau_s"], dtype=float), kernel)


def cell_of(name: str) -> tuple[int, int]:
    """(row, col) of a group name ending in ``_r{i}_c{j}``."""
    m = re.search(r"_r(\d+)_c(\d+)$", name)
    if m is None:
        raise ValueError(f"thermal: group name {name!r} does not end in _r{{i}}_c{{j}}")
    return int(m.group(1)), int(m.group(2))


def ideal_trace(psi: FloatArray, eps: FloatArray, decay: float) -> FloatArray:
    """sum_s decay^(n-1-s) psi_j^s eps_i^s over a frame: [..., N_post, N_pre].

    ``psi`` [T, ..., N_post], ``eps`` [T, ..., N_pre].
    """
    weights = decay ** np.arange(len(psi) - 1, -1, -1, dtype=float)
    return np.einsum("t,t...j,t...i->...ji", weights, psi, eps)


def modal_heat(psi: FloatArray, eps: FloatArray, tau_s: FloatArray, dt_s: float) -> FloatArray:
    """Per-mode end-of-frame heat of each cell's own heater per watt: [K, ..., N_post, N_pre].

    h_k = sum_s (1 - a_k) a_k^(n-1-s) psi_j^s eps_i^s, a_k = exp(-dt / tau_k): the exact
    zero-order-hold response of mode k to a unit-scale heater power psi eps.
    ``psi`` [T, ..., N_post], ``eps`` [T, ..., N_pre].
    """
    a = np.exp(-dt_s / np.asarray(tau_s, float))
    ages = np.arange(len(psi) - 1, -1, -1, dtype=float)
    weights = (1 - a)[None, :] * a[None, :] ** ages[:, None]  # [T, K]
    return np.einsum("tk,t...j,t...i->k...ji", weights, psi, eps, optimize=True)


def temperature_rise(heat: FloatArray, kernel: ThermalKernel) -> FloatArray:
    """dT [K] of every cell from per-mode heater states ``heat`` [K, ..., N_post, N_pre] [W]:

    dT_ji = sum_(dr,dc) sum_k R_k(dr, dc) heat_k,(j-dr)(i-dc).
    """
    offsets = list(kernel.residues_k_per_w)
    residues = np.array([kernel.residues_k_per_w[o] for o in offsets])  # [O, K]
    per_offset = np.tensordot(residues, heat, axes=(1, 0))  # [O, ..., N_post, N_pre]
    out = np.zeros(heat.shape[1:])
    for (dr, dc), src in zip(offsets, per_offset, strict=True):
        # probe at offset (dr, dc) from a heater: synapse (j, i) receives from (j - dr, i - dc)
        out += _shift(src, dr, dc)
    return out


def thermal_trace(
    psi: FloatArray, eps: FloatArray, kernel: ThermalKernel, dt_s: float, p_scale_w: float
) -> FloatArray:
    """End-of-frame temperature rise dT [K] of every cell, from rest: [B, N_post, N_pre]."""
    return temperature_rise(p_scale_w * modal_heat(psi, eps, kernel.tau_s, dt_s), kernel)


def _shift(x: FloatArray, dr: int, dc: int) -> FloatArray:
    """y[..., j, i] = x[..., j - dr, i - dc], zero where that cell does not exist."""
    y = np.zeros_like(x)
    n_r, n_c = x.shape[-2:]
    rows_dst = slice(max(dr, 0), n_r + min(dr, 0))
    rows_src = slice(max(-dr, 0), n_r + min(-dr, 0))
    cols_dst = slice(max(dc, 0), n_c + min(dc, 0))
    cols_src = slice(max(-dc, 0), n_c + min(-dc, 0))
    y[..., rows_dst, cols_dst] = x[..., rows_src, cols_src]
    return y
