"""`neohebb maze` and `neohebb sweep`: outputs, bad input (exit 2 naming the field), resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neohebb.cli import main


def test_maze_ideal_writes_results_and_pictures(tmp_path: Path) -> None:
    out = tmp_path / "m"
    code = main(["maze", "--trace", "ideal", "--episodes", "25", "--seed", "1", "--out", str(out)])
    assert code == 0
    r = json.loads((out / "results.json").read_text())
    assert len(r["returns"]) == len(r["steps"]) == len(r["success"]) == 25
    assert r["config"]["backend"] == "ideal" and r["energy_per_update_j"] is None
    assert r["criterion"] == {"success_rate": 0.9, "window": 20}
    assert len(r["greedy_policy"]) == len(r["grid"]) * len(r["grid"][0])
    from tests.helpers import assert_picture

    for png in ("learning_curve.png", "policy.png"):
        assert_picture(out / png, min_colours=10)


def test_maze_recurrent_on_the_partially_observed_maze(tmp_path: Path) -> None:
    out = tmp_path / "r"
    args = ["maze", "--trace", "ideal", "--network", "recurrent", "--observation", "neighbours"]
    assert main([*args, "--episodes", "3", "--out", str(out)]) == 0
    r = json.loads((out / "results.json").read_text())
    assert r["config"]["network"] == "recurrent" and r["config"]["eligibility"] == "signed"
    assert r["config"]["observation"] == "neighbours" and len(r["steps"]) == 3
    pi = np.asarray(r["policy_probabilities"])  # pi averaged over the visits (uniform: none)
    np.testing.assert_allclose(pi.sum(1), 1.0)
    assert (out / "policy.png").is_file()


def test_maze_with_card_reports_energy(tmp_path: Path, default_card: Path) -> None:
    out = tmp_path / "t"
    args = ["maze", "--card", str(default_card), "--task", "frozenlake", "--episodes", "10"]
    assert main([*args, "--tau", "3", "--out", str(out), "--no-plots"]) == 0
    r = json.loads((out / "results.json").read_text())
    assert r["config"]["decay_ratio"] == 3.0
    assert r["energy_per_update_j"] > 0
    # tau / frame = 3: the frame is a third of the card's mean thermal delay
    assert r["trace_tau_s"] / r["frame_s"] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--trace", "ideal", "--episodes", "0"], "episodes"),
        (["--trace", "ideal", "--tau", "-1"], "decay_ratio"),
        (["--card", "nowhere/model_card.json"], "model card not found"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], field: str
) -> None:
    out = tmp_path / "bad"
    assert main(["maze", *args, "--out", str(out)]) == 2
    assert field in capsys.readouterr().err
    assert not out.exists()


def test_sweep_writes_table_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "s"
    args = ["sweep", "--trace", "ideal", "--episodes", "22", "--seeds", "2", "--workers", "1"]
    args += ["--ratios", "0.5", "4", "--out", str(out)]
    assert main(args) == 0
    sweep = json.loads((out / "sweep.json").read_text())
    assert [row["x"] for row in sweep["decay"]] == [0.5, 4.0]
    assert all(len(row["episodes_to_criterion"]) == 2 for row in sweep["decay"])
    for row in sweep["decay"]:  # statistics per point (snn.sweep_stats)
        low, high = row["median_ci95"]
        assert low <= row["median"] <= high <= 22 and 0 <= row["reached_fraction"] <= 1
        assert "median" in row["km_median"]
    assert sweep["claims"]["u_shape"] is None  # two points: no U-shape to test
    assert sweep["claims"]["variability_trend"] is None
    assert "variability" not in sweep  # ideal synapses have no device variability
    from tests.helpers import assert_picture

    assert_picture(out / "sweep.png", min_colours=10)
    cached = sorted((out / ".sweep-runs").glob("*.json"))
    assert len(cached) == 4
    stamp = [p.stat().st_mtime_ns for p in cached]
    assert main(args) == 0  # second call: every run comes from the cache
    assert [p.stat().st_mtime_ns for p in cached] == stamp


def test_sweep_in_worker_processes_equals_serial(tmp_path: Path) -> None:
    from distributed import LocalCluster

    from snn.agent import AgentConfig, AgentError
    from snn.stage import SweepConfig, run_sweep

    base = AgentConfig(episodes=21, seed=3)
    tables = []
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster:
        # serial in this process; a Dask LocalCluster of 2 processes; a scheduler by address
        for name, sweep in (
            ("serial", SweepConfig(seeds=1, ratios=(0.5, 3.0), workers=1)),
            ("local", SweepConfig(seeds=1, ratios=(0.5, 3.0), workers=2)),
            (
                "address",
                SweepConfig(seeds=1, ratios=(0.5, 3.0), scheduler=cluster.scheduler_address),
            ),
        ):
            out = run_sweep(base, tmp_path / name, sweep=sweep, plots=False, progress=False)
            tables.append(json.loads((out / "sweep.json").read_text())["decay"])
    assert tables[0] == tables[1] == tables[2]
    with pytest.raises(AgentError, match="scheduler: expected a Dask scheduler address"):
        SweepConfig(scheduler="localhost").validate()


def test_programming_axes_vary_the_thermal_settings_and_an_empty_sweep_is_refused(
    tmp_path: Path,
) -> None:
    """pulse_voltages and access_resistances_ohm each vary one thermal setting at the base's
    others, seeds times; an ideal base has no such settings (no jobs); nothing to run is an
    error naming the axes, before any output."""
    from snn.agent import AgentConfig, AgentError
    from snn.stage import SweepConfig, run_sweep, sweep_jobs
    from snn.thermal_synapses import ThermalSettings

    base = AgentConfig(task="maze", backend="thermal", episodes=5, synapses=ThermalSettings())
    sweep = SweepConfig(
        seeds=2,
        ratios=(),
        variabilities=(),
        pulse_voltages=(0.4, 0.6),
        access_resistances_ohm=(0.0,),
    )
    jobs = sweep_jobs(base, sweep)
    assert [(k, x) for k, x, _ in jobs] == [("pulse_v", 0.4)] * 2 + [("pulse_v", 0.6)] * 2 + [
        ("access_resistance", 0.0)
    ] * 2
    assert [c.settings().pulse_v for k, _, c in jobs if k == "pulse_v"] == [0.4, 0.4, 0.6, 0.6]
    assert {c.settings().access_resistance_ohm for k, _, c in jobs if k == "pulse_v"} == {5e3}
    assert [c.seed for _, _, c in jobs][:2] == [0, 1]
    ideal = AgentConfig(task="maze", backend="ideal", episodes=5)
    assert sweep_jobs(ideal, sweep) == []
    with pytest.raises(AgentError, match="nothing to run"):
        run_sweep(ideal, tmp_path / "out", sweep=sweep, progress=False)
    assert not (tmp_path / "out").exists()
