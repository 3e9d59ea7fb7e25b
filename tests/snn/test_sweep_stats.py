"""Sweep statistics (snn.sweep_stats): the bootstrap CI covers the true median at about its
nominal rate, the Kaplan-Meier median is the textbook value, and the two claim tests detect
a planted effect and stay quiet without one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from snn.sweep_stats import (
    kaplan_meier_median,
    median_ci,
    point_summary,
    trend_test,
    u_shape_test,
)


def test_median_ci_covers_the_true_median_at_least_at_its_stated_rate() -> None:
    """400 samples of 20 exponential runs: the order-statistic interval [x_(6), x_(15)] holds
    the true median (ln 2 x mean) at its exact coverage, 95.9 %; with 3 runs the interval is
    [min, max] and says its coverage is 75 %, which a simulation confirms."""
    rng = np.random.default_rng(0)
    mean = 80.0
    truth = np.log(2) * mean
    hits, coverages = 0, set()
    for _ in range(400):
        _, low, high, coverage = median_ci(rng.exponential(mean, 20))
        hits += low <= truth <= high
        coverages.add(round(coverage, 4))
    assert coverages == {0.9586}
    assert 0.93 <= hits / 400 <= 0.985
    sample = rng.exponential(mean, 3)
    _, low, high, coverage = median_ci(sample)
    assert (low, high) == (sample.min(), sample.max()) and coverage == pytest.approx(0.75)
    small = [median_ci(rng.exponential(mean, 3)) for _ in range(2000)]
    rate = np.mean([lo <= truth <= hi for _, lo, hi, _ in small])
    assert 0.72 <= rate <= 0.78


def test_kaplan_meier_median_without_and_with_censoring() -> None:
    # no censoring: the smallest t with S(t) <= 0.5 is the lower sample median
    assert kaplan_meier_median([30, 10, 20, 40], 100)["median"] == 20.0
    # 6 runs, two censored at 100: S drops by 1/6 at 10, 20, 30 -> 0.5 at 30
    km = kaplan_meier_median([10, 20, 30, None, 50, None], 100)
    assert km["median"] == 30.0
    low, high = km["ci95"]
    assert low is not None and low <= 30.0 and (high is None or high >= 30.0)
    # more than half censored: the median is undefined, not the budget
    assert kaplan_meier_median([10, None, None], 100)["median"] is None
    assert kaplan_meier_median([None, None], 100) == {"median": None, "ci95": [None, None]}


def test_point_summary_counts_censored_runs_as_the_budget_and_flags_a_lower_bound() -> None:
    reached = [12, None, 30, None, None]
    s = point_summary(reached, 200)
    assert s["reached_fraction"] == pytest.approx(0.4)
    assert s["median"] == 200.0 and s["median_is_lower_bound"]
    assert s["median_ci95"] == [12.0, 200.0] and s["median_ci_coverage"] < 0.95


def test_u_shape_test_finds_a_planted_optimum_and_rejects_a_flat_curve() -> None:
    rng = np.random.default_rng(3)
    xs = [0.1, 0.3, 1.0, 3.0, 10.0]
    u = [rng.exponential(m, 20) + 1 for m in (150.0, 60.0, 20.0, 60.0, 150.0)]
    result = u_shape_test(xs, u, seed=0)
    assert result is not None and result["holds"] and result["optimum_x"] == 1.0
    assert all(e["mann_whitney_p"] < 0.01 for e in result["ends"])
    flat = [rng.exponential(60.0, 20) + 1 for _ in xs]
    flat_result = u_shape_test(xs, flat, seed=0)
    assert flat_result is not None and not flat_result["holds"]
    monotone = [rng.exponential(m, 20) + 1 for m in (150.0, 100.0, 60.0, 40.0, 20.0)]
    assert not u_shape_test(xs, monotone, seed=0)["holds"]  # type: ignore[index]
    assert u_shape_test(xs[:2], u[:2], seed=0) is None


def test_trend_test_sees_a_rising_trend_and_not_a_shuffled_one() -> None:
    rng = np.random.default_rng(5)
    xs = [0.0, 1.0, 2.0, 4.0]
    rising = [rng.normal(50 + 10 * x, 15, 20) for x in xs]
    result = trend_test(xs, rising)
    assert result is not None and result["increasing"] and result["p_value"] < 1e-3
    null = [rng.normal(50, 15, 20) for _ in xs]
    assert trend_test(xs, null)["p_value"] > 0.01  # type: ignore[index]
    assert trend_test(xs, [np.full(20, 200.0)] * 4)["increasing"] is False  # type: ignore[index]


def test_compare_runs_detects_a_planted_difference_and_not_an_equal_pair() -> None:
    from snn.sweep_stats import compare_runs

    rng = np.random.default_rng(8)
    fast = [int(v) for v in rng.exponential(30, 20) + 21]
    slow = [int(v) if v < 300 else None for v in rng.exponential(120, 20) + 21]
    result = compare_runs(fast, slow, 300, seed=0)
    assert result["median_difference_b_minus_a"] > 0 and result["difference_ci95"][0] > 0
    assert result["mann_whitney_p"] < 0.01 and result["runs"] == [20, 20]
    same = compare_runs(fast, fast, 300, seed=0)
    assert same["median_difference_b_minus_a"] == 0 and same["mann_whitney_p"] > 0.9


def test_sweep_compare_command_reads_two_sweeps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from neohebb.cli import main

    def sweep(name: str, etc: list[int | None], budget: int = 100) -> Path:
        d = tmp_path / name
        d.mkdir()
        table = {"episodes": budget, "decay": [{"x": 2.7, "episodes_to_criterion": etc}]}
        (d / "sweep.json").write_text(json.dumps(table))
        return d

    a = sweep("a", [20, 22, 25, 30, 21, 24])
    b = sweep("b", [60, None, 70, 80, None, 65])
    out = tmp_path / "cmp.json"
    assert main(["sweep-compare", str(a), str(b), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "B - A: +" in printed and "Mann-Whitney" in printed
    point = json.loads(out.read_text())["points"][0]
    assert point["x"] == 2.7 and point["median_difference_b_minus_a"] > 30
    c = sweep("c", [20, 22], budget=300)
    assert main(["sweep-compare", str(a), str(c)]) == 2
    assert "budget" in capsys.readouterr().err
    assert main(["sweep-compare", str(a), str(tmp_path / "none")]) == 2
    assert "missing" in capsys.readouterr().err
