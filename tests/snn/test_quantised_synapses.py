"""The quantised back-end's grid, and per-neuron learning signals on every back-end."""

from __future__ import annotations

import numpy as np
import pytest

from meshes.files import StageError
from snn.backends import backend_kind
from snn.quantised_synapses import QuantisedSettings, on_grid
from snn.synapses import BuildContext, FrameTiming


def test_grid_is_a_differential_pair_of_2_pow_bits_levels() -> None:
    w = np.linspace(-1.5, 1.5, 1001)
    q = on_grid(w, 3, 1.0, None)
    levels = np.unique(q)
    assert len(levels) == 2 * (2**3 - 1) + 1  # -7/7 .. 7/7
    np.testing.assert_allclose(np.diff(levels), 1 / 7)
    assert q.min() == -1.0 and q.max() == 1.0  # clipped to +-w_scale
    assert np.all(np.abs(q - np.clip(w, -1, 1)) <= 0.5 / 7 + 1e-12)


def test_stochastic_rounding_is_unbiased() -> None:
    rng = np.random.default_rng(1)
    w = np.full(200_000, 0.3)
    q = on_grid(w, 4, 1.0, rng)
    assert set(np.round(np.unique(q) * 15).astype(int)) == {4, 5}  # the two levels around 4.5
    assert q.mean() == pytest.approx(0.3, abs=3 * q.std() / np.sqrt(len(q)))


def _context(rng: np.random.Generator) -> BuildContext:
    return BuildContext(
        w_init=np.zeros((3, 4)),
        timing=FrameTiming(1e-3, 1e-3),
        steps_per_frame=5,
        e_ref=1.0,
        card=None,
        rng=rng,
    )


@pytest.mark.parametrize("name", ["ideal", "quantised"])
def test_per_neuron_signals_move_each_row_by_its_own_signal(name: str) -> None:
    rng = np.random.default_rng(0)
    kind = backend_kind(name)
    settings = kind.settings_type(lr=1.0)
    if name == "quantised":
        settings = QuantisedSettings(lr=1.0, bits=12, w_scale=1.0, stochastic_rounding=False)
    array = kind.build(settings, _context(rng))
    psi = np.full((5, 2, 3), 0.2)  # two streams
    eps = np.full((5, 2, 4), 1.0)
    array.accumulate(psi, eps)
    trace = array.trace()
    assert trace.shape == (2, 3, 4)
    signal = np.array([[0.1, 0.0, -0.1], [0.1, 0.0, 0.0]])
    array.update(signal, rng)
    w = array.weights()
    expected = (signal[..., None] * trace).sum(0)  # the streams' changes add up
    np.testing.assert_allclose(w, expected, atol=0.5 / (2**12 - 1))
    assert np.all(w[1] == 0) and np.all(w[0] > 0) and np.all(w[2] < 0)


def test_bad_quantised_settings_are_named() -> None:
    with pytest.raises(StageError, match=r"synapses\.w_scale: must be a finite number > 0"):
        QuantisedSettings(w_scale=0.0).validate("synapses", StageError)
    with pytest.raises(StageError, match=r"synapses\.bits: must be an integer in \[1, 16\]"):
        QuantisedSettings(bits=17).validate("synapses", StageError)


def test_thermal_rows_follow_their_own_signal_sign() -> None:
    from snn.thermal_synapses import ThermalSettings
    from tests.helpers import synthetic_card

    residues = np.zeros((9, 9, 1))
    residues[np.arange(9), np.arange(9), 0] = 7e5  # self-heating only
    card = synthetic_card(3, 3, np.array([1e-8]), residues)
    rng = np.random.default_rng(2)
    kind = backend_kind("thermal")
    ctx = BuildContext(
        w_init=np.zeros((3, 4)),
        timing=kind.timing(ThermalSettings(), card, 1.0, 1e-3),
        steps_per_frame=5,
        e_ref=1.0,
        card=card,
        rng=rng,
    )
    array = kind.build(ThermalSettings(w_scale=1.0, signal_unit=0.01), ctx)
    w0 = array.weights().copy()
    array.accumulate(np.full((5, 2, 3), 0.3), np.full((5, 2, 4), 2.0))  # two streams, hot
    assert array.trace().shape == (2, 3, 4) and array.trace().min() > 100
    array.update(np.array([[0.05, 0.0, -0.05], [0.05, 0.0, 0.0]]), rng)
    dw = array.weights() - w0
    # stochastic rounding may leave a cell where it was, never move it the wrong way
    assert np.all(dw[0] >= 0) and dw[0].sum() > 0 and np.all(dw[2] <= 0) and dw[2].sum() < 0
    assert np.all(dw[1] == 0)
    assert array.energy.programming_j > 0 and array.peak_rise_k() > 50
    array.reset_trace()
    assert array.trace().shape == (3, 4) and not array.trace().any()
