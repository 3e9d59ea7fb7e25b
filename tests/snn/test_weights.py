"""Differential conductance pairs: quantised, bounded, stuck devices frozen, heat drives dG."""

from __future__ import annotations

import numpy as np

from devicefit.switching import DissolutionModel
from snn.weights import PairArray, levels, program_frame, quantise

MODEL = DissolutionModel()
T0 = 300.0
# no noise, nearest level; a 0.3 V pulse of 100 ns does not saturate the default model
NOISELESS = {"t_ambient_k": T0, "rng": np.random.default_rng(0), "pulse_v": 0.3}


def start(shape: tuple[int, int], bits: int, seed: int = 0) -> PairArray:
    rng = np.random.default_rng(seed)
    lv = levels(MODEL, bits)
    return PairArray(rng.choice(lv, shape), rng.choice(lv, shape), rng.random(shape) < 0.1)


def test_conductances_stay_on_levels_and_in_range() -> None:
    bits = 4
    pairs = start((20, 30), bits)
    rng = np.random.default_rng(1)
    allowed = levels(MODEL, bits)
    for _ in range(200):
        rise = rng.uniform(0, 200, (20, 30))  # up to 500 K: saturating pulses included
        signal = rng.normal(size=(20, 30)) * (rng.random((20, 30)) < 0.7)
        pairs = program_frame(
            pairs, rise, signal, MODEL, bits=bits, t_ambient_k=T0, c2c_sigma_rel=0.3, rng=rng
        )
        for g in (pairs.g_plus, pairs.g_minus):
            assert np.all(np.min(np.abs(g[..., None] - allowed), axis=-1) < 1e-18)
            assert g.min() >= MODEL.g_min_s and g.max() <= MODEL.g_max_s


def test_stuck_devices_and_silent_synapses_do_not_move() -> None:
    pairs = start((10, 10), 8)
    signal = np.ones((10, 10))
    signal[:, :3] = 0.0
    after = program_frame(pairs, np.full((10, 10), 150.0), signal, MODEL, bits=8, **NOISELESS)
    frozen = pairs.stuck | (signal == 0)
    np.testing.assert_array_equal(after.g_plus[frozen], pairs.g_plus[frozen])
    np.testing.assert_array_equal(after.g_minus[frozen], pairs.g_minus[frozen])
    assert np.all(after.g_plus[~frozen] >= pairs.g_plus[~frozen])  # SET on G+
    assert np.all(after.g_minus[~frozen] <= pairs.g_minus[~frozen])  # RESET on G-
    assert np.any(after.g_plus[~frozen] > pairs.g_plus[~frozen])


def test_hotter_cells_move_more_and_sign_picks_the_device() -> None:
    n = 50
    g = np.full((1, n), 0.5 * (MODEL.g_min_s + MODEL.g_max_s))
    pairs = PairArray(quantise(g, MODEL, 10), quantise(g, MODEL, 10), np.zeros((1, n), bool))
    rise = np.linspace(0, 150, n)[None, :]
    up = program_frame(pairs, rise, np.ones((1, n)), MODEL, bits=10, **NOISELESS)
    down = program_frame(pairs, rise, -np.ones((1, n)), MODEL, bits=10, **NOISELESS)
    w_up, w_down = up.weights(MODEL, 1.0)[0], down.weights(MODEL, 1.0)[0]
    assert np.all(np.diff(w_up) >= 0) and w_up[-1] > 10 * max(w_up[0], 1e-12)
    assert np.all(np.diff(w_down) <= 0) and w_down[-1] < 0
    # SET and RESET of the pair add up: the + device rises and the - device falls
    assert np.all(up.g_plus >= pairs.g_plus) and np.all(up.g_minus <= pairs.g_minus)


def test_device_to_device_rate_factor_scales_the_switching_rate() -> None:
    """A device with rate factor m behaves like a nominal device pulsed m times as long."""
    shape = (1, 3)
    g = quantise(np.full(shape, 3e-5), MODEL, 12)
    fast = PairArray(g, g, np.zeros(shape, bool), np.full(shape, 4.0), np.full(shape, 4.0))
    nominal = PairArray(g, g, np.zeros(shape, bool))
    rise, sig = np.full(shape, 60.0), np.ones(shape)
    a = program_frame(fast, rise, sig, MODEL, bits=12, pulse_s=1e-7, **NOISELESS)
    b = program_frame(nominal, rise, sig, MODEL, bits=12, pulse_s=4e-7, **NOISELESS)
    np.testing.assert_allclose(a.g_plus, b.g_plus)
    np.testing.assert_allclose(a.g_minus, b.g_minus)


def test_stochastic_rounding_stays_on_levels_and_is_unbiased() -> None:
    bits = 6
    step = (MODEL.g_max_s - MODEL.g_min_s) / (2**bits - 1)
    g = np.full(200_000, MODEL.g_min_s + 10.3 * step)
    rng = np.random.default_rng(7)
    q = quantise(g, MODEL, bits, rng)
    assert set(np.unique(np.rint((q - MODEL.g_min_s) / step))) == {10.0, 11.0}
    # E[q] = g: 30 % land on level 11; 4 sigma of a binomial mean over 200,000 draws
    frac = np.mean(q > g)
    assert abs(frac - 0.3) < 4 * np.sqrt(0.3 * 0.7 / g.size)
    edge = quantise(np.full(10, MODEL.g_max_s + 3 * step), MODEL, bits, rng)
    assert np.all(edge == MODEL.g_max_s)


def test_negative_signal_depresses_hot_cells_most() -> None:
    n = 30
    g = quantise(np.full((1, n), 5.5e-5), MODEL, 12)
    pairs = PairArray(g, g.copy(), np.zeros((1, n), bool))
    rise = np.linspace(0, 150, n)[None, :]
    rng = np.random.default_rng(0)
    down = program_frame(
        pairs,
        rise,
        -np.ones((1, n)),
        MODEL,
        bits=12,
        t_ambient_k=T0,
        stochastic_rounding=True,
        rng=rng,
        pulse_v=0.3,
    )
    w = down.weights(MODEL, 1.0)[0]
    assert np.all(w <= 0) and w[-1] < 10 * min(w[0], -1e-12)
    assert np.all(down.g_plus <= pairs.g_plus) and np.all(down.g_minus >= pairs.g_minus)


def test_the_ambient_temperature_is_the_cards_not_a_constant() -> None:
    """The same rise on a hotter ambient moves G more (T = T_ambient + dT in the Arrhenius
    rate): programming reads T_ambient, it does not assume 300 K."""
    n = 1
    g = quantise(np.full((1, n), 5.5e-5), MODEL, 14)
    pairs = PairArray(g, g.copy(), np.zeros((1, n), bool))
    moved = []
    for ambient in (300.0, 350.0):
        out = program_frame(
            pairs,
            np.full((1, n), 50.0),
            np.ones((1, n)),
            MODEL,
            bits=14,
            t_ambient_k=ambient,
            rng=np.random.default_rng(0),
            pulse_v=0.3,
        )
        moved.append(float(out.g_plus[0, 0] - pairs.g_plus[0, 0]))
    expected = [
        float(MODEL.delta_g_s(t + 50.0, pairs.g_plus[0, 0], True, 0.3, 1e-7)) for t in (300, 350)
    ]
    step = (MODEL.g_max_s - MODEL.g_min_s) / (2**14 - 1)
    np.testing.assert_allclose(moved, expected, atol=step / 2 + 1e-18)
    assert moved[1] > 3 * moved[0]


def test_a_pulse_heats_itself_and_its_simultaneously_pulsed_neighbours() -> None:
    """Effective temperature: with the own heat a device changes exactly as the switching
    model at T_amb + R_fil V_cell^2 G0 says; a neighbour pulsed in the same phase adds
    R_nb x its pulse power, read by ``neighbour_rise``; an unpulsed neighbour adds nothing."""
    from devicefit.switching import PulseHeating

    bits = 16  # fine levels: nearest rounding keeps the change
    heat = PulseHeating(4.9e6, 5e3)
    g = np.array([[3e-5, 7e-5]])
    pairs = PairArray(quantise(g, MODEL, bits), quantise(g, MODEL, bits), np.zeros((1, 2), bool))
    r_nb = 1e6  # K/W from one cell's filament to the other's

    def neighbours(power: np.ndarray, set_phase: bool) -> np.ndarray:
        return r_nb * power[:, ::-1]  # each cell sees the other's pulse

    kw = {**NOISELESS, "bits": bits, "pulse_v": 0.4, "pulse_s": 1e-6, "heating": heat}
    alone = program_frame(pairs, np.zeros((1, 2)), np.array([[1.0, 0.0]]), MODEL, **kw)
    both = program_frame(
        pairs, np.zeros((1, 2)), np.ones((1, 2)), MODEL, neighbour_rise=neighbours, **kw
    )
    one_nb = program_frame(
        pairs, np.zeros((1, 2)), np.array([[1.0, 0.0]]), MODEL, neighbour_rise=neighbours, **kw
    )
    g0 = pairs.g_plus[0, 0]
    own = MODEL.delta_g_s(T0, g0, True, 0.4, 1e-6, heating=heat)
    assert alone.g_plus[0, 0] == quantise(g0 + own, MODEL, bits)  # nearest level
    np.testing.assert_array_equal(one_nb.g_plus, alone.g_plus)  # the other cell was silent
    p_other = heat.power_w(pairs.g_plus[0, 1], 0.4)
    hotter = MODEL.delta_g_s(T0 + r_nb * p_other, g0, True, 0.4, 1e-6, heating=heat)
    assert both.g_plus[0, 0] == quantise(g0 + hotter, MODEL, bits)
    assert hotter > 1.5 * own > 0 and both.g_plus[0, 0] > alone.g_plus[0, 0]


def test_set_only_programming_moves_one_device_and_refresh_keeps_the_weight() -> None:
    """SET-only: a positive signal SETs G+, a negative one G-, the other device never moves
    (no RESET pulse); a refresh re-centres a pair whose lower device passed the threshold,
    keeping G+ - G- to a level, and leaves the others and stuck devices alone."""
    from snn.weights import refresh

    bits = 8
    pairs = start((6, 8), bits, seed=3)
    signal = np.where(np.arange(8) % 2 == 0, 1.0, -1.0)[None, :].repeat(6, 0)
    out = program_frame(
        pairs, np.full((6, 8), 150.0), signal, MODEL, bits=bits, set_only=True, **NOISELESS
    )
    up, live = signal > 0, ~pairs.stuck
    np.testing.assert_array_equal(out.g_minus[up], pairs.g_minus[up])
    np.testing.assert_array_equal(out.g_plus[~up], pairs.g_plus[~up])
    assert np.all(out.g_plus[up & live] >= pairs.g_plus[up & live])
    assert np.all(out.g_minus[~up & live] >= pairs.g_minus[~up & live])
    assert np.any(out.g_plus[up & live] > pairs.g_plus[up & live])
    lv = levels(MODEL, bits)
    high = PairArray(
        np.array([[lv[250], lv[230], lv[100]]]),
        np.array([[lv[240], lv[250], lv[250]]]),
        np.array([[False, True, False]]),
    )
    fresh = refresh(high, MODEL, bits, threshold=0.75)
    step = lv[1] - lv[0]
    diff_before = high.g_plus - high.g_minus
    diff_after = fresh.g_plus - fresh.g_minus
    assert abs(diff_after[0, 0] - diff_before[0, 0]) <= step * 1.0001  # re-centred, W kept
    assert fresh.g_plus[0, 0] < high.g_plus[0, 0] and fresh.g_minus[0, 0] < high.g_minus[0, 0]
    assert fresh.g_plus[0, 1] == high.g_plus[0, 1]  # stuck
    assert fresh.g_plus[0, 2] == high.g_plus[0, 2]  # its lower device is low: not due
