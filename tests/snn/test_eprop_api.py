"""snn.eprop as a user calls it: time-first shapes checked with a named error, parameters
validated, a trajectory refuses gradients under other parameters, per-neuron beta works."""

from __future__ import annotations

import numpy as np
import pytest

from snn.eprop import (
    EpropError,
    NeuronParams,
    Weights,
    bptt_gradients,
    eprop_gradients,
    feedback_matrix,
    forward,
    readout_error_signal,
)


def net(n_in: int = 3, n: int = 4, n_out: int = 2, seed: int = 0) -> Weights:
    rng = np.random.default_rng(seed)
    return Weights(rng.normal(size=(n, n_in)), rng.normal(size=(n, n)), rng.normal(size=(n_out, n)))


def test_misordered_input_is_refused_naming_the_axis_order() -> None:
    w = net()
    x_time_first = np.zeros((50, 2, 3))
    forward(w, x_time_first, NeuronParams())
    with pytest.raises(EpropError, match=r"x: shape \(50, 3, 2\), must be time first"):
        forward(w, np.zeros((50, 3, 2)), NeuronParams())  # [T, N_in, B] by mistake
    with pytest.raises(EpropError, match="x: shape"):
        forward(w, np.zeros((50, 3)), NeuronParams())
    with pytest.raises(EpropError, match="w_rec"):
        forward(Weights(w.w_in, np.zeros((4, 5)), w.w_out), x_time_first, NeuronParams())
    with pytest.raises(EpropError, match="bias"):
        forward(w, x_time_first, NeuronParams(), bias=np.zeros(7))


def test_target_and_learning_signal_shapes_are_checked() -> None:
    w, p = net(), NeuronParams()
    traj = forward(w, np.random.default_rng(1).random((20, 2, 3)), p)
    with pytest.raises(EpropError, match="target"):
        readout_error_signal(traj, w, np.zeros((20, 2, 5)), p)
    with pytest.raises(EpropError, match="learning"):
        eprop_gradients(traj, np.zeros((20, 2, 3)), p)


def test_gradients_refuse_other_parameters_than_the_trajectorys() -> None:
    w = net()
    traj = forward(w, np.random.default_rng(2).random((20, 2, 3)), NeuronParams(beta=0.0))
    other = NeuronParams(beta=0.5)
    with pytest.raises(EpropError, match="params"):
        bptt_gradients(traj, w, np.zeros((20, 2, 2)), other)
    assert traj.params == NeuronParams(beta=0.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"v_th": 0.0}, "v_th"),
        ({"v_th": float("nan")}, "v_th"),
        ({"n_refractory": -1}, "n_refractory"),
        ({"n_refractory": 1.5}, "n_refractory"),
        ({"alpha": 1.2}, "alpha"),
        ({"gamma": -0.3}, "gamma"),
        ({"beta": [0.1, -0.2]}, "beta"),
        ({"beta": [[0.1]]}, "beta"),
    ],
)
def test_bad_parameters_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(EpropError, match=field):
        NeuronParams(**kwargs)


def test_per_neuron_beta_is_a_value_that_compares() -> None:
    """An array beta (one per neuron) is kept by value: equal parameters compare equal, and the
    forward pass uses each neuron's own beta (a neuron with beta = 0 is exactly a LIF one)."""
    beta = np.array([0.0, 0.0, 1.7, 1.7])
    p = NeuronParams(beta=beta)
    assert p == NeuronParams(beta=beta.tolist()) and hash(p) == hash(NeuronParams(beta=beta))
    w = net(seed=3)
    x = (np.random.default_rng(4).random((60, 1, 3)) < 0.3).astype(float)
    mixed = forward(w, x, p)
    with pytest.raises(EpropError, match="beta: 3 values for 4 neurons"):
        forward(w, x, NeuronParams(beta=[0.1, 0.2, 0.3]))
    # adaptation raises the threshold only of the ALIF neurons: their spike counts can only fall
    lif = forward(w, x, NeuronParams(beta=0.0))
    assert mixed.z[:, :, 2:].sum() <= lif.z[:, :, 2:].sum()


def test_random_feedback_needs_a_generator() -> None:
    with pytest.raises(EpropError, match="rng"):
        feedback_matrix("random", np.ones((2, 4)))
    b = feedback_matrix("random", np.ones((2, 4)), np.random.default_rng(0))
    assert b.shape == (4, 2)


@pytest.mark.parametrize("n_refractory", [0, 2])
def test_a_sequence_run_chunk_by_chunk_is_the_sequence_run_whole(n_refractory: int) -> None:
    rng = np.random.default_rng(4)
    n_in, n, n_out = 7, 12, 3
    w = Weights(
        rng.normal(0, 1.2, (n, n_in)), rng.normal(0, 0.4, (n, n)), rng.normal(0, 1, (n_out, n))
    )
    p = NeuronParams(beta=tuple([0.0] * 6 + [1.5] * 6), n_refractory=n_refractory)
    x = (rng.random((60, 2, n_in)) < 0.3).astype(float)
    whole = forward(w, x, p)
    assert whole.z.sum() > 20  # the neurons fire, so the carry is exercised
    state = None
    parts = []
    for chunk in (x[:17], x[17:18], x[18:]):
        traj = forward(w, chunk, p, state=state)
        parts.append(traj)
        state = traj.final
    for name in ("v", "a", "z", "psi", "y"):
        np.testing.assert_array_equal(
            np.concatenate([getattr(t, name) for t in parts]), getattr(whole, name), err_msg=name
        )
    with pytest.raises(EpropError, match="state: v"):
        forward(w, x[:, :1], p, state=state)
