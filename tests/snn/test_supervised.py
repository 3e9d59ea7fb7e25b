"""Supervised e-prop learns the pattern-generation task (Bellec et al. 2020, Fig. 2)."""

from __future__ import annotations

import numpy as np
import pytest

from snn.supervised import PatternTask, normalised_mse, pattern_task, train_pattern


@pytest.fixture(scope="module")
def task() -> PatternTask:
    return pattern_task(n_t=500, seed=0)


def test_symmetric_eprop_draws_the_pattern(task: PatternTask) -> None:
    """Stated loss: normalised MSE < 0.06 after 150 Adam iterations (starts at ~1)."""
    _, losses = train_pattern(task, n=100, iterations=150, feedback="symmetric")
    assert losses[0] > 0.8
    assert losses[-1] < 0.06


@pytest.mark.parametrize("feedback", ["random", "adaptive"])
def test_random_and_adaptive_feedback_also_learn(task: PatternTask, feedback: str) -> None:
    _, losses = train_pattern(task, n=100, iterations=150, feedback=feedback)
    assert losses[-1] < 0.15


def test_normalised_mse_of_the_best_constant_is_one() -> None:
    y = np.sin(np.linspace(0, 6, 100))
    assert normalised_mse(np.full_like(y, y.mean()), y) == pytest.approx(1.0)
    assert normalised_mse(y, y) == 0.0
