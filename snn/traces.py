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

    def pulse_mean_factors(self, width_s: float) -> FloatArray:
        """Per mode, the mean of exp(-t / tau_k) over a pulse of ``width_s`` that starts at the
        frame's end, (tau_k / t_p)(1 - exp(-t_p / tau_k)): how much of each mode's stored heat
        a cell keeps on average under the pulse, [K]."""
        x = width_s / self.tau_s
        out: FloatArray = np.where(x > 1e-8, -np.expm1(-x) / np.maximum(x, 1e-300), 1.0 - x / 2)
        return out

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
    out: FloatArray = _apply_stencil(heat, kernel, rows, per_mode=False)[0]
    return out


def modal_rise_rows(heat: FloatArray, kernel: ThermalKernel, rows: NDArray[np.intp]) -> FloatArray:
    """The rise of post rows ``rows`` (flat, as ``temperature_rise_rows``) kept per mode,
    [K, len(rows), N_pre]: dT_k,ji = sum_(dr,dc) R_k(dr, dc) heat_k,(j-dr)(i-dc). Summed over k
    it is ``temperature_rise_rows``. Each mode decays as a whole (a_k^n), so a back-end can
    keep these instead of the heat and pass only a frame's new heat through the stencil."""
    return _apply_stencil(heat, kernel, rows, per_mode=True)


def rows_reached(sources: NDArray[np.intp], n_post: int, kernel: ThermalKernel) -> NDArray[np.intp]:
    """The flat post rows (``temperature_rise_rows``) whose rise a heater in one of the flat
    rows ``sources`` reaches through the kernel's row offsets (sorted, unique, each within its
    own [N_post] block)."""
    drs = np.unique(np.array([o[0] for o in kernel.residues_k_per_w], dtype=np.intp))
    src = np.asarray(sources, dtype=np.intp)
    block, row = src // n_post, src % n_post
    reached = row[:, None] + drs[None, :]
    ok = (reached >= 0) & (reached < n_post)
    out: NDArray[np.intp] = np.unique((block[:, None] * n_post + reached)[ok])
    return out


def _apply_stencil(
    heat: FloatArray, kernel: ThermalKernel, rows: NDArray[np.intp], *, per_mode: bool
) -> FloatArray:
    """The stencil of ``kernel`` on ``heat`` [K, ..., N_post, N_pre] at flat rows ``rows``:
    [K or 1, len(rows), N_pre] (per mode, or summed over the modes)."""
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
    out: FloatArray = np.zeros((grids.shape[0] if per_mode else 1, len(todo), grids.shape[-1]))
    stencil(grids, res, offsets, todo, out)
    return out


PARALLEL_WORK = 2_000_000  # multiply-adds of one stencil pass above which threads pay


def _stencil(
    heat: FloatArray,
    residues: FloatArray,
    offsets: NDArray[np.int64],
    todo: NDArray[np.intp],
    out: FloatArray,
) -> None:
    """out[k', t, c] += sum_o sum_k residues[o, k] heat[k, m, r - dr_o, c - dc_o] (in range),
    for the flat rows todo[t] = m * N_post + r; k' = k when ``out`` holds every mode, else 0
    (the modes summed). Each cell adds its terms in one fixed order (offsets, then modes),
    whatever rows are asked: a row's result never depends on the others."""
    n_k, _, n_r, n_c = heat.shape
    per_mode = out.shape[0] == n_k and n_k > 1
    for t in numba.prange(len(todo)):
        m, r = todo[t] // n_r, todo[t] % n_r
        for o in range(offsets.shape[0]):
            src_r = r - offsets[o, 0]
            if src_r < 0 or src_r >= n_r:
                continue
            dc = offsets[o, 1]
            c0, c1 = max(dc, 0), n_c + min(dc, 0)
            # unsigned indices: no negative-index wraparound, so the loop is vectorised (6x)
            n, d0, s0 = numba.uint64(c1 - c0), numba.uint64(c0), numba.uint64(c0 - dc)
            for k in range(n_k):
                coef = residues[o, k]
                src = heat[k, m, src_r]
                dst = out[k if per_mode else 0, t]
                for c in range(n):
                    dst[d0 + c] += coef * src[s0 + c]


_stencil_parallel = numba.njit(parallel=True, cache=True)(_stencil)
_stencil_serial = numba.njit(cache=True)(_stencil)


def thermal_trace(
    psi: FloatArray, eps: FloatArray, kernel: ThermalKernel, dt_s: float, p_scale_w: float
) -> FloatArray:
    """End-of-frame temperature rise dT [K] of every cell, from rest: [B, N_post, N_pre]."""
    return temperature_rise(p_scale_w * modal_heat(psi, eps, kernel.tau_s, dt_s), kernel)
