"""Synapse back-ends: the thermal trace is the ideal trace for one pole without crosstalk
(across frames, heat carried over), crosstalk adds the neighbour term, energy is booked
exactly, pulses are calibrated, and the ideal update is lr x signal x trace."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from devicefit.switching import DissolutionModel, calibrated_pulse_s
from meshes.files import StageError
from snn.ideal_synapses import IdealSynapses
from snn.thermal_synapses import ThermalSettings, ThermalSynapses
from snn.traces import ThermalKernel
from snn.weights import PairArray, levels, quantise

MODEL = DissolutionModel()


def frames(
    seed: int, n_frames: int = 4, n_t: int = 15, n_post: int = 5, n_pre: int = 7
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    for _ in range(n_frames):
        psi = np.maximum(0, rng.normal(0.05, 0.1, (n_t, n_post)))
        eps = rng.random((n_t, n_pre))
        yield psi, eps


def thermal(
    kernel: ThermalKernel, shape: tuple[int, int], dt: float, power: float
) -> ThermalSynapses:
    g = quantise(np.full(shape, 5e-5), MODEL, 8)
    return ThermalSynapses(
        pairs=PairArray(g, g.copy(), np.zeros(shape, bool)),
        kernel=kernel,
        model=MODEL,
        dt_s=dt,
        bits=8,
        w_scale=1.0,
        heater_power_w=power,
        e_ref=0.3,
        pulse_v=0.3,
        set_pulse_s=1e-7,
        reset_pulse_s=1e-7,
        signal_unit=0.1,
        t_ambient_k=300.0,
    )


def test_one_pole_thermal_trace_is_the_ideal_trace_across_frames() -> None:
    tau, dt, r, power = 2e-8, 2e-9, 7.7e5, 3e-4
    a = np.exp(-dt / tau)
    th = thermal(ThermalKernel(np.array([tau]), {(0, 0): np.array([r])}), (5, 7), dt, power)
    ideal = IdealSynapses(np.zeros((5, 7)), tau, dt, lr=0.1, e_ref=0.3)
    for psi, eps in frames(0):
        th.accumulate(psi, eps)
        ideal.accumulate(psi, eps)
        np.testing.assert_allclose(th.trace(), power * r * (1 - a) * ideal.trace(), rtol=1e-12)
    th.reset_trace()
    assert not th.trace().any()


def test_a_card_correction_maps_the_linear_trace_and_programs_with_the_true_rise() -> None:
    """With the card's Kirchhoff map (k rising with T) the trace is the map of the linear
    rise, cooler than linear; hot cells then move less under the same pulses."""
    from devicefit.linearity import KirchhoffMap

    tau, dt, r, power = 2e-8, 2e-9, 7.7e5, 3e-4
    kernel = ThermalKernel(np.array([tau]), {(0, 0): np.array([r])})
    linear = thermal(kernel, (5, 7), dt, power)
    mapped = replace(thermal(kernel, (5, 7), dt, power), true_rise=KirchhoffMap(0.35, 300.0))
    for psi, eps in frames(4):
        linear.accumulate(10 * psi, eps)
        mapped.accumulate(10 * psi, eps)
    lin, true = linear.trace(), mapped.trace()
    assert lin.max() > 100  # the band where the correction matters
    np.testing.assert_allclose(true, KirchhoffMap(0.35, 300.0).true_rise_k(lin), rtol=1e-12)
    assert np.all(true[lin > 100] < 0.95 * lin[lin > 100])
    start = linear.pairs.g_plus.copy(), linear.pairs.g_minus.copy()
    for s in (linear, mapped):
        s.update(0.8, np.random.default_rng(0))
    moved = [
        np.abs(s.pairs.g_plus - start[0]).sum() + np.abs(s.pairs.g_minus - start[1]).sum()
        for s in (linear, mapped)
    ]
    assert moved[1] > 0
    assert moved[1] < moved[0]


def test_crosstalk_adds_exactly_the_neighbour_term_with_carry_over() -> None:
    tau, dt, power = np.array([3e-9, 2.5e-8]), 1e-9, 3e-4
    own = {(0, 0): np.array([3e5, 4e5])}
    both = {**own, (1, 0): np.array([5e4, 2e4])}  # probe one row below its heater
    only = {(1, 0): np.array([5e4, 2e4])}
    arrays = [thermal(ThermalKernel(tau, k), (5, 7), dt, power) for k in (own, both, only)]
    for psi, eps in frames(1):
        for s in arrays:
            s.accumulate(psi, eps)
    alone, with_x, only_x = (s.trace() for s in arrays)
    np.testing.assert_allclose(with_x - alone, only_x, rtol=1e-12, atol=1e-14)
    assert np.all(only_x[0] == 0) and np.all(only_x[1:] > 0)


def test_heater_energy_is_the_sum_of_power_times_time() -> None:
    dt, power = 1e-9, 2e-4
    th = thermal(ThermalKernel(np.array([1e-8]), {(0, 0): np.array([1e5])}), (5, 7), dt, power)
    expected = 0.0
    for psi, eps in frames(2):
        th.accumulate(psi, eps)
        expected += np.sum(power * psi[:, :, None] * eps[:, None, :] / 0.3) * dt
    assert th.energy.heater_j == pytest.approx(expected, rel=1e-12)


def test_programming_energy_and_pulse_count() -> None:
    """|signal| / signal_unit = 2.5 units: floor(2.5 + u) pulse pairs, u uniform, so 2 or 3
    with a mean of exactly 2.5 (stochastic rounding is unbiased); each pair costs
    V^2 (G_set t_set + G_reset t_reset) summed over the array."""
    dt, shape = 1e-9, (2, 3)
    kernel = ThermalKernel(np.array([1e-8]), {(0, 0): np.array([1e5])})
    rng = np.random.default_rng(0)
    counts = []
    for _ in range(2000):
        th = thermal(kernel, shape, dt, 1e-4)
        g_sum = np.sum(th.pairs.g_plus + th.pairs.g_minus)  # cold cells: G barely moves
        th.update(0.25, rng)
        pulses = th.energy.programming_j / (0.3**2 * 1e-7 * g_sum)
        assert pulses == pytest.approx(round(pulses), abs=0.01)  # G moves a little per pair
        counts.append(round(pulses))
        assert th.energy.updates == 1
    assert set(counts) == {2, 3}
    assert abs(np.mean(counts) - 2.5) < 4 * 0.5 / np.sqrt(len(counts))


@pytest.mark.parametrize("polarity", [True, False])
def test_calibrated_pulse_moves_the_requested_levels(polarity: bool) -> None:
    bits, rise = 8, 80.0
    t_p = calibrated_pulse_s(
        MODEL,
        set_polarity=polarity,
        pulse_v=0.5,
        temperature_k=300.0 + rise,
        fraction=2 * 1.5 / (2**bits - 1),  # 1.5 levels of G_max - G_mid
    )
    mid = 0.5 * (MODEL.g_min_s + MODEL.g_max_s)
    dg = MODEL.delta_g_s(300 + rise, mid, polarity, 0.5, t_p)
    step = np.diff(levels(MODEL, bits))[0]
    assert abs(dg) / step == pytest.approx(1.5, rel=1e-9)


def test_ideal_update_is_lr_times_signal_times_trace() -> None:
    ideal = IdealSynapses(np.ones((5, 7)), 1e-8, 1e-9, lr=0.2, e_ref=0.3)
    for psi, eps in frames(3, n_frames=2):
        ideal.accumulate(psi, eps)
    trace = ideal.trace().copy()
    ideal.update(-0.5, np.random.default_rng(0))
    np.testing.assert_allclose(ideal.weights(), 1.0 - 0.1 * trace)


def test_thermal_update_follows_the_sign_and_prefers_hot_cells() -> None:
    """A positive signal potentiates every heated cell, the hottest by far the most."""
    dt = 1e-9
    kernel = ThermalKernel(np.array([1e-8]), {(0, 0): np.array([7.7e5])})
    th = thermal(kernel, (1, 40), dt, 1e-4)
    th.bits = 14
    th.set_pulse_s = th.reset_pulse_s = 1e-5  # cold cells move tens of levels too
    eps = np.linspace(0, 1, 40)[None, :].repeat(20, 0)
    th.accumulate(np.full((20, 1), 0.3), eps)
    rise = th.trace()[0]
    w0 = th.weights()[0].copy()
    th.update(0.1, np.random.default_rng(0))
    dw = th.weights()[0] - w0
    assert np.all(dw >= 0) and dw[-1] > 3 * dw[0] > 0
    assert 0 < rise[-1] < 200


def test_self_mean_delay_of_the_kernel() -> None:
    kernel = ThermalKernel(np.array([1e-9, 1e-8]), {(0, 0): np.array([1.0, 3.0])})
    assert kernel.self_mean_delay_s() == pytest.approx((1e-9 + 3e-8) / 4)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bits": 1}, "synapses.levels_per_pulse"),
        ({"bits": 0}, "synapses.bits"),
        ({"bits": 40}, "synapses.bits"),
        ({"heater_power_w": -1.0}, "synapses.heater_power_w"),
        ({"variability": -0.5}, "synapses.variability"),
        ({"pulse_v": float("nan")}, "synapses.pulse_v"),
    ],
)
def test_thermal_settings_are_checked_before_use(change: dict, field: str) -> None:
    """bits = 1 used to pass and fail later inside the pulse calibration."""
    from dataclasses import replace

    with pytest.raises(StageError, match=field.replace(".", r"\.")):
        replace(ThermalSettings(), **change).validate("synapses", StageError)


def test_built_array_calibrates_with_the_pulse_own_heat() -> None:
    """Built from a card with a filament network, the calibrated SET and RESET widths move
    ``levels_per_pulse`` levels at mid-range G and the reference rise with the own heat
    averaged over that very width (the fixed point), the access resistance in series; the
    trace kernel and the filament crosstalk of the SET and RESET phases are the card's
    averaged over those widths."""
    from devicefit.card import FilamentTerms
    from devicefit.switching import PulseHeating
    from snn.synapses import BuildContext, FrameTiming
    from snn.thermal_synapses import KIND
    from tests.helpers import synthetic_card
    from thermal.modal import FosterNetwork

    residues = np.zeros((9, 9, 1))
    residues[range(9), range(9)] = 7e5
    names = tuple(f"reram_r{i // 3}_c{i % 3}" for i in range(9))
    fil = np.zeros((9, 9, 2))
    fil[range(9), range(9)] = [2e6, 3e6]  # a fast and a slow filament mode
    fil[3, 4], fil[4, 3] = [1e4, 1e5], [1e4, 1e5]
    card = synthetic_card(3, 3, np.array([1e-8]), residues)
    card = replace(
        card,
        thermal=replace(
            card.thermal,
            filament=FilamentTerms(
                FosterNetwork(np.array([1e-10, 3e-9]), fil, names, names), 1e-9, 0.0, 0.0
            ),
        ),
    )
    settings = ThermalSettings(pulse_v=0.4, reset_pulse_v=0.8, access_resistance_ohm=5e3)
    ctx = BuildContext(
        np.zeros((4, 6)), FrameTiming(1e-7, 1e-7), 10, 0.3, card, np.random.default_rng(0)
    )
    th = KIND.build(settings, ctx)
    mid = 0.5 * (MODEL.g_min_s + MODEL.g_max_s)
    step = np.diff(levels(MODEL, settings.bits))[0]
    for width, v, pol, heat in (
        (th.set_pulse_s, 0.4, True, th.heating),
        (th.reset_pulse_s, 0.8, False, th.reset_heating),
    ):
        r_mean = card.thermal.filament.pulse_mean_k_per_w(width)[4, 4]
        assert isinstance(heat, PulseHeating) and heat.series_resistance_ohm == 5e3
        assert heat.filament_r_k_per_w == pytest.approx(r_mean, rel=1e-6)
        assert 2e6 < r_mean < 5e6  # between the fast mode alone and the steady sum
        # the reference rise is the rise under the pulse
        dg = MODEL.delta_g_s(300 + settings.reference_rise_k, mid, pol, v, width, heating=heat)
        # the calibration takes the heat of G_mid; the model lets it follow G through the pulse
        assert abs(dg) / step == pytest.approx(settings.levels_per_pulse, rel=1e-2)
    # the trace under each pulse: the kernel averaged over it
    assert th.phase_factors is not None
    for factor, width in zip(th.phase_factors, (th.set_pulse_s, th.reset_pulse_s), strict=True):
        from scipy.integrate import quad

        mean = quad(lambda t: np.exp(-t / 1e-8), 0, width, points=[1e-8, 1e-7], limit=200)[0]
        mean /= width
        assert factor[0] == pytest.approx(mean, rel=1e-4)
    set_kernel, reset_kernel = th.filament_kernels
    assert (0, 0) not in set_kernel.residues_k_per_w
    expected = card.thermal.filament.pulse_mean_k_per_w(th.set_pulse_s)[3, 4]
    assert set_kernel.residues_k_per_w[(0, -1)][0] == pytest.approx(expected)
    assert reset_kernel.residues_k_per_w[(0, -1)][0] > expected  # the longer pulse: more


def test_the_selectivity_ledger_books_every_change_by_its_cell_rise() -> None:
    """Every |dG| an update programs is booked once, in the bin of its cell's stored rise:
    the ledger's total is the summed change of both devices, and the share on cells less than
    5 K above ambient is what the unheated columns moved."""
    dt = 1e-9
    kernel = ThermalKernel(np.array([1e-8]), {(0, 0): np.array([7.7e5])})
    th = thermal(kernel, (1, 40), dt, 1e-4)
    th.bits = 14
    th.set_pulse_s = th.reset_pulse_s = 1e-5  # cold cells move too
    eps = np.zeros((20, 40))
    eps[:, 20:] = 1.0  # columns 20.. heated, 0..19 cold
    th.accumulate(np.full((20, 1), 0.3), eps)
    rise = th.trace()[0]
    assert np.all(rise[:20] == 0) and np.all(rise[20:] > 5)
    before = th.pairs
    th.update(0.1, np.random.default_rng(0))
    moved = np.abs(th.pairs.g_plus - before.g_plus) + np.abs(th.pairs.g_minus - before.g_minus)
    assert th.dg_by_rise_s.sum() == pytest.approx(moved.sum(), rel=1e-12)
    sel = th.selectivity()
    assert sel is not None
    assert sel["share_below_5k"] == pytest.approx(moved[0, :20].sum() / moved.sum(), rel=1e-12)
    assert 0 < sel["share_below_5k"] < 1 and sum(sel["dg_share"]) == pytest.approx(1.0)


def test_a_few_rows_read_lazily_equal_the_whole_array_read() -> None:
    """The rise of a few rows read from the heat not yet through the stencil (a learning
    signal per post neuron reads only its pulsed rows) is the whole array's rise at those
    rows, before and after the pending heat is folded in, across frames of several streams."""
    tau, dt, power = np.array([3e-9, 2.5e-8]), 1e-9, 3e-4
    kernel = ThermalKernel(
        tau,
        {(0, 0): np.array([3e5, 4e5]), (1, 0): np.array([5e4, 2e4]), (-1, 1): np.array([1e4, 3e4])},
    )
    th = thermal(kernel, (5, 7), dt, power)
    rows = np.array([0, 3, 6, 9])  # flat rows of the [2 streams, 5 rows] grid
    rng = np.random.default_rng(3)
    for frame in range(3):
        psi = np.maximum(0, rng.normal(0.05, 0.1, (15, 2, 5)))
        psi[:, :, frame] = 0.0  # a row without heat this frame
        th.accumulate(psi, rng.random((15, 2, 7)))
        lazy = th._rise(None, rows)
        whole = th.trace().reshape(-1, 7)[rows]
        np.testing.assert_allclose(lazy, whole, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(th._rise(None, rows), whole, rtol=1e-12, atol=1e-12)
