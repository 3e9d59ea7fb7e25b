"""End-of-frame eligibility traces: ideal exponential, and thermal (heat in a synapse array).

A synapse (j, i) sits in cell (row j, column i) of a crossbar. Its heater power during a
frame is P_ji^s = p_scale_w * psi_j^s eps_i^s (post pseudo-derivative x pre trace, the LIF
e-prop eligibility, docs/architecture.md). With a shared-pole Foster kernel the temperature rise at
the end of a frame of n steps of dt is, per mode k (exact zero-order hold, a_k = e^{-dt/tau_k}):

    dT_ji = sum_k sum_(dr,dc) R_k(dr, dc) (1 - a_k) sum_s a_k^(n-1-s) P_(j-dr)(i-dc)^s

R_k(0, 0) is the self residue, R_k(dr, dc) the crosstalk onto a probe (dr, dc) cells away
(a translation-invariant kernel with every offset the card's array holds, each from the
heater nearest its centre cell, ``meshes.cells.centre_cell``). The per-mode window weights
are ``thermal.modal.zoh_weights``. The time sum is a matrix product over the window, the neighbour
sum a shift of the whole synapse grid: no loop over synapses, and never a [T, N, N_pre]
tensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import NDArray

from meshes.files import StageError
from thermal.modal import mean_rise_time_s, window_weights, zoh_weights

if TYPE_CHECKING:
    from devicefit.card import ModelCard

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ThermalKernel:
    """Poles ``tau_s`` [s] and residues [K/W] per cell offset: {(d_row, d_col): [K]}."""

    tau_s: FloatArray
    residues_k_per_w: dict[tuple[int, int], FloatArray]

    @classmethod
    def from_card(cls, card: ModelCard) -> ThermalKernel:
        """Every (row, col) offset between a heater and a probe of the card's array, each
        taken from the heater nearest the centre cell that has a probe at that offset (the
        centre heater itself where it has one). On a 3 x 3 array the offsets within one
        cell come from the centre heater and those two cells away from the edge heaters; on
        an even array every side is covered, not only the side the centre cell sees. A
        periodic card (``geometry.boundary``) gives the centre heater's column: one offset per
        cell of the tile, each holding its images (the periodic sum)."""
        net = card.thermal.network
        return cls(net.tau_s, _offsets(card, net.residues_k_per_w))

    @classmethod
    def filaments_from_card(cls, card: ModelCard, width_s: float) -> ThermalKernel:
        """The mean rise of a cell's filament over a pulse of ``width_s`` per watt in another
        cell's filament, per offset (the card's ``thermal.filament``, one steady mode),
        without the self term: the neighbours' share of a programming pulse's heat."""
        fil = card.thermal.filament
        kernel = _offsets(card, fil.pulse_mean_k_per_w(width_s)[:, :, None])
        kernel.pop((0, 0))
        return cls(np.array([width_s]), kernel)

    def pulse_mean(self, width_s: float) -> ThermalKernel:
        """The kernel averaged over a pulse of ``width_s`` that starts at the frame's end:
        each mode's stored heat decays under it, R_k -> R_k (tau_k / t_p)(1 - exp(-t_p /
        tau_k)), the mean of exp(-t / tau_k) over the pulse."""
        x = width_s / self.tau_s
        factor = np.where(x > 1e-8, -np.expm1(-x) / np.maximum(x, 1e-300), 1.0 - x / 2)
        return ThermalKernel(self.tau_s, {o: r * factor for o, r in self.residues_k_per_w.items()})

    def without_crosstalk(self) -> ThermalKernel:
        """Only the self term (offset (0, 0)): every cell heated by its own heater alone."""
        return ThermalKernel(self.tau_s, {(0, 0): self.residues_k_per_w[(0, 0)]})

    def self_mean_delay_s(self) -> float:
        """Mean rise time of the self term [s] (``thermal.modal.mean_rise_time_s``)."""
        return mean_rise_time_s(self.tau_s, self.residues_k_per_w[(0, 0)])


def _offsets(card: ModelCard, matrix: FloatArray) -> dict[tuple[int, int], FloatArray]:
    """Per (row, col) offset, the [K] residues of ``matrix`` [probe, source, K] between a
    source and a probe of the card's array (``ThermalKernel.from_card``)."""
    geo = card.geometry
    cells = geo.cells()
    centre = geo.centre()
    if geo.boundary == "periodic":
        # a periodic tile: the centre source's response on every cell of the tile already
        # holds all images, so the kernel spans the tile and sums the infinite array (exact
        # for heat that repeats with the tile, the all-on case; an approximation for a lone
        # hot cell, which it credits with its own images)
        if geo.rows % 2 == 0 or geo.cols % 2 == 0:
            raise StageError(
                f"a periodic card's tile must have odd rows and cols to centre its kernel "
                f"(got {geo.rows} x {geo.cols})"
            )
        c = cells.index(centre)
        return {(p.row - centre.row, p.col - centre.col): matrix[i, c] for i, p in enumerate(cells)}
    chosen: dict[tuple[int, int], tuple[int, int, int]] = {}  # offset -> (d^2, probe, source)
    for h, source in enumerate(cells):
        d2 = (source.row - centre.row) ** 2 + (source.col - centre.col) ** 2
        for p, probe in enumerate(cells):
            offset = (probe.row - source.row, probe.col - source.col)
            if offset not in chosen or d2 < chosen[offset][0]:
                chosen[offset] = (d2, p, h)
    return {o: matrix[p, h] for o, (_, p, h) in sorted(chosen.items())}


def ideal_trace(psi: FloatArray, eps: FloatArray, decay: float) -> FloatArray:
    """sum_s decay^(n-1-s) psi_j^s eps_i^s over a frame: [..., N_post, N_pre].

    ``psi`` [T, ..., N_post], ``eps`` [T, ..., N_pre].
    """
    weights = window_weights(decay, len(psi)).reshape(-1, *([1] * (psi.ndim - 1)))
    # a (batched) matrix product over time: [..., N_post, T] @ [..., T, N_pre]
    out: FloatArray = np.matmul(np.moveaxis(weights * psi, 0, -1), np.moveaxis(eps, 0, -2))
    return out


def modal_heat(psi: FloatArray, eps: FloatArray, tau_s: FloatArray, dt_s: float) -> FloatArray:
    """Per-mode end-of-frame heat of each cell's own heater per watt: [K, ..., N_post, N_pre].

    h_k = sum_s (1 - a_k) a_k^(n-1-s) psi_j^s eps_i^s, a_k = exp(-dt / tau_k): the exact
    zero-order-hold response of mode k to a unit-scale heater power psi eps.
    ``psi`` [T, ..., N_post], ``eps`` [T, ..., N_pre].
    """
    weights = zoh_weights(tau_s, dt_s, len(psi))  # [T, K]
    w = np.moveaxis(weights, 1, 0).reshape(len(tau_s), len(psi), *([1] * (psi.ndim - 1)))
    # per mode, a (batched) matrix product over time: [K, ..., N_post, T] @ [..., T, N_pre]
    out: FloatArray = np.matmul(np.moveaxis(w * psi, 1, -1), np.moveaxis(eps, 0, -2))
    return out


def temperature_rise(heat: FloatArray, kernel: ThermalKernel) -> FloatArray:
    """dT [K] of every cell from per-mode heater states ``heat`` [K, ..., N_post, N_pre] [W]:

    dT_ji = sum_(dr,dc) sum_k R_k(dr, dc) heat_k,(j-dr)(i-dc)

    (nothing from a cell (j - dr, i - dc) outside the array).
    """
    n_rows = int(np.prod(heat.shape[1:-1]))
    return temperature_rise_rows(heat, kernel, np.arange(n_rows)).reshape(heat.shape[1:])


def temperature_rise_rows(
    heat: FloatArray, kernel: ThermalKernel, rows: NDArray[np.intp]
) -> FloatArray:
    """dT [K] (``temperature_rise``) of the post rows ``rows`` only, as flat indices into
    heat's [..., N_post] axes: [len(rows), N_pre]. An update that programs a few rows reads
    only their temperature.

    One fused pass over the grid (``_stencil``, compiled by numba, threaded on large grids):
    the [offsets, ..., N_post, N_pre] intermediate of a mode contraction followed by shifts
    costs ten times more in memory traffic.
    """
    keys = list(kernel.residues_k_per_w)
    offsets = np.array(keys, dtype=np.int64).reshape(-1, 2)  # [O, 2]: (d_row, d_col)
    residues = np.array([kernel.residues_k_per_w[o] for o in keys])  # [O, K]
    h = np.ascontiguousarray(heat, dtype=np.float64)
    grids = h.reshape(h.shape[0], -1, *h.shape[-2:])  # [K, M, N_post, N_pre]
    todo = np.ascontiguousarray(rows, dtype=np.intp)
    if todo.size and not (0 <= todo.min() and todo.max() < grids.shape[1] * grids.shape[2]):
        raise IndexError(
            f"rows: flat row indices must lie in [0, {grids.shape[1] * grids.shape[2]})"
        )
    res = residues.reshape(len(offsets), -1)
    work = len(todo) * grids.shape[-1] * len(offsets) * grids.shape[0]
    # numba's threads cost more than they save on a small grid (the maze's ten-odd
    # microseconds become milliseconds when the cores are shared): serial below PARALLEL_WORK
    stencil = _stencil_parallel if work > PARALLEL_WORK else _stencil_serial
    out: FloatArray = stencil(grids, res, offsets, todo)
    return out


PARALLEL_WORK = 2_000_000  # multiply-adds of one stencil pass above which threads pay


def _stencil(
    heat: FloatArray, residues: FloatArray, offsets: NDArray[np.int64], todo: NDArray[np.intp]
) -> FloatArray:
    """out[t, c] = sum_o sum_k residues[o, k] heat[k, m, r - dr_o, c - dc_o] (in range), for
    the flat rows todo[t] = m * N_post + r."""
    n_k, _, n_r, n_c = heat.shape
    out = np.zeros((len(todo), n_c))
    for t in numba.prange(len(todo)):
        m, r = todo[t] // n_r, todo[t] % n_r
        dst = out[t]
        for o in range(offsets.shape[0]):
            src_r = r - offsets[o, 0]
            if src_r < 0 or src_r >= n_r:
                continue
            dc = offsets[o, 1]
            c0, c1 = max(dc, 0), n_c + min(dc, 0)
            for k in range(n_k):
                coef = residues[o, k]
                src = heat[k, m, src_r]
                for c in range(c0, c1):
                    dst[c] += coef * src[c - dc]
    return out


_stencil_parallel = numba.njit(parallel=True, cache=True)(_stencil)
_stencil_serial = numba.njit(cache=True)(_stencil)


def thermal_trace(
    psi: FloatArray, eps: FloatArray, kernel: ThermalKernel, dt_s: float, p_scale_w: float
) -> FloatArray:
    """End-of-frame temperature rise dT [K] of every cell, from rest: [B, N_post, N_pre]."""
    return temperature_rise(p_scale_w * modal_heat(psi, eps, kernel.tau_s, dt_s), kernel)
