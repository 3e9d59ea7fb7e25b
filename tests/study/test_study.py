"""`neohebb study`: designs checked up front, evaluated on Dask as serially, cached, failures
recorded; the figures move the way the physics says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neohebb.cli import main
from neohebb.study import StudyError, study_from_dict
from tests.helpers import assert_picture

COARSE = {"mesh.refine": [0.5]}


def write_study(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"axes": {"array.pitchh_nm": [200]}}, "design 0 (array.pitchh_nm=200): array.pitchh_nm"),
        ({"axes": {"array": [1]}}, "array: a table, not a value"),
        (
            {"axes": {"array.pitch_nm": [200, 50]}},
            "design 1 (array.pitch_nm=50): reram.footprint_nm: 100 nm must be smaller than",
        ),
        (
            {"axes": {"stack.ild.material": ["SiO2", "unobtainium"]}},
            "design 1 (stack.ild.material='unobtainium'): stack.ild.material: unknown material",
        ),
        ({"axes": {}}, "axes: a grid study needs"),
        ({"axes": {"array.pitch_nm": []}}, "axes.array.pitch_nm: expected a non-empty list"),
        ({"design": "points"}, "points: a points study needs"),
        ({"design": "random", "axes": COARSE}, "design: 'random' is not one of"),
        ({"full": "yes", "axes": COARSE}, "full: true or false"),
        ({"target_rise_k": -5, "axes": COARSE}, "target_rise_k: a positive number"),
        ({"thermal": {"degre": 2}, "axes": COARSE}, "thermal.degre: unknown field"),
        ({"pitch": 3, "axes": COARSE}, "pitch: unknown field"),
        (
            {"axes": {"interfaces.TiN/SiO3": [5e-9]}},
            "design 0 (interfaces.TiN/SiO3=5e-09): interfaces.TiN/SiO3: unknown material",
        ),
        ({"axes": {"interfaces.TiN/SiO2.x": [1]}}, "interfaces.TiN/SiO2: not a field"),
        ({"axes": COARSE, "full": False, "learning": {}}, "learning: needs full = true"),
        ({"axes": COARSE, "learning": {"episodez": 3}}, "learning.episodez: unknown field"),
        ({"axes": COARSE, "learning": {"seeds": [0, -1]}}, "learning.seeds: a count or"),
        ({"axes": COARSE, "learning": {"seed": 4}}, "learning.seed: give learning.seeds"),
    ],
)
def test_bad_studies_are_refused_naming_the_design_and_field(
    data: dict, message: str, tmp_path: Path
) -> None:
    with pytest.raises(StudyError) as info:
        study_from_dict(data)
    assert message in str(info.value)


def test_a_bad_design_stops_the_study_before_any_meshing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(
        tmp_path / "s.toml", '[axes]\n"array.pitch_nm" = [200, 300, 90]\n"mesh.refine" = [0.5]\n'
    )
    assert main(["study", str(study), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    assert "design 2 (array.pitch_nm=90, mesh.refine=0.5): reram.footprint_nm" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "out").exists()


def test_an_interface_resistance_is_an_axis_like_any_field() -> None:
    study = study_from_dict({"axes": {"interfaces.TiN/SiO2": [0.0, 5e-9]}})
    assert [d.spec.interfaces for d in study.designs] == [{"TiN/SiO2": 0.0}, {"TiN/SiO2": 5e-9}]


def test_an_interface_axis_replaces_the_base_pair_in_any_spelling() -> None:
    from meshes.spec import default_spec
    from neohebb.study import _design_spec

    base = default_spec().to_dict()
    base["interfaces"] = {"SiO2/TiN": 1e-9, "HfO2/TiN": 2e-9}
    spec = _design_spec(base, {"interfaces.TiN/SiO2": 5e-9}, 0)
    assert spec.interfaces == {"HfO2/TiN": 2e-9, "TiN/SiO2": 5e-9}


def test_grid_and_points_give_the_same_designs() -> None:
    grid = study_from_dict({"axes": {"array.pitch_nm": [200, 300], "mesh.refine": [0.5]}})
    points = study_from_dict(
        {
            "design": "points",
            "points": [
                {"array.pitch_nm": 200, "mesh.refine": 0.5},
                {"array.pitch_nm": 300, "mesh.refine": 0.5},
            ],
        }
    )
    assert [d.spec.array.pitch_nm for d in grid.designs] == [200, 300]
    assert [d.spec for d in grid.designs] == [d.spec for d in points.designs]


def untimed(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if "seconds" not in k} for r in rows]


def test_screening_study_on_dask_equals_serial_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neohebb.study as study_module

    study = write_study(
        tmp_path / "s.toml",
        'full = false\n[axes]\n"array.pitch_nm" = [200, 300]\n"mesh.refine" = [0.5]\n',
    )
    serial, dask = tmp_path / "serial", tmp_path / "dask"
    assert main(["study", str(study), "--out", str(serial), "--workers", "1", "--quiet"]) == 0
    assert main(["study", str(study), "--out", str(dask), "--workers", "2", "--quiet"]) == 0
    rows = json.loads((serial / "study.json").read_text())["designs"]
    assert untimed(json.loads((dask / "study.json").read_text())["designs"]) == untimed(rows)
    near, far = rows
    assert near["error"] is None and far["error"] is None
    # a wider pitch: much less crosstalk, the same self-heating
    assert far["crosstalk_nearest"] < 0.6 * near["crosstalk_nearest"]
    assert far["crosstalk_array_sum"] < near["crosstalk_array_sum"]
    assert far["r_self_k_per_w"] == pytest.approx(near["r_self_k_per_w"], rel=0.05)
    assert far["cell_area_m2"] == pytest.approx(2.25 * near["cell_area_m2"])
    for row in rows:
        assert row["heatsink_balance"] == pytest.approx(1.0, abs=0.02)
        assert row["power_for_target_w"] == pytest.approx(100.0 / row["r_self_k_per_w"])
        # screening has the exact first moment of the response, but no transient or fit
        assert 1e-10 < row["tau_mean_s"] < row["tau_mean_nearest_s"] < 1e-7
        assert "tau_dominant_s" not in row
    header = (serial / "study.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["design", "key", "axis:array.pitch_nm", "axis:mesh.refine"]
    assert_picture(serial / "pareto.png")
    assert_picture(serial / "figures.png")

    def fail(*args: object) -> None:
        raise AssertionError("evaluated again")

    monkeypatch.setattr(study_module, "evaluate_design", fail)
    assert main(["study", str(study), "--out", str(serial), "--workers", "1", "--quiet"]) == 0
    assert untimed(json.loads((serial / "study.json").read_text())["designs"]) == untimed(rows)


def test_a_failing_design_is_recorded_and_the_study_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One design fails while being evaluated (here: its figures raise); the other is
    evaluated in full (transient and fit), the table records the error, the exit code is 1,
    and a rerun tries the failed design again."""
    import neohebb.study as study_module

    real = study_module._figures

    def flaky(out: Path, spec, settings):  # type: ignore[no-untyped-def]
        if spec.array.pitch_nm == 300:
            raise RuntimeError("solver diverged")
        return real(out, spec, settings)

    monkeypatch.setattr(study_module, "_figures", flaky)
    study = write_study(
        tmp_path / "s.toml",
        '[axes]\n"array.pitch_nm" = [200, 300]\n"mesh.refine" = [0.5]\n'
        "[learning]\nseeds = 2\nepisodes = 25\nmax_steps = 30\n",
    )
    out = tmp_path / "out"
    assert main(["study", str(study), "--out", str(out), "--workers", "1", "--quiet"]) == 1
    assert "design 1 failed: RuntimeError: solver diverged" in capsys.readouterr().out
    ok, failed = json.loads((out / "study.json").read_text())["designs"]
    assert failed["error"] == "RuntimeError: solver diverged"
    assert ok["error"] is None
    # full: the transient's mean rise time lies within the fitted poles, the energy per
    # kelvin is the pulse energy over the pulse's rise
    assert 1e-10 < ok["tau_mean_s"] < 1e-7 and ok["tau_dominant_s"] > 0
    assert ok["tau_mean_card_s"] == pytest.approx(ok["tau_mean_s"], rel=0.05)
    assert ok["energy_per_kelvin_j"] > 0 and ok["fit_max_rel_error"] < 0.02
    # learning: two thermal maze runs on the design's card (25 episodes: a censored median)
    assert ok["learning_reached_fraction"] in (0.0, 0.5, 1.0)
    assert 20 <= ok["learning_episodes_median"] <= 25
    assert 0.0 <= ok["learning_final_success"] <= 1.0
    assert ok["learning_energy_per_synapse_update_j"] > 0
    assert (out / "designs" / ok["key"] / "model_card.json").is_file()
    assert not (out / "designs" / failed["key"] / "design.json").exists()
    monkeypatch.setattr(study_module, "_figures", real)
    assert main(["study", str(study), "--out", str(out), "--workers", "1", "--quiet"]) == 0


def test_the_demo_study_file_holds_twelve_valid_designs() -> None:
    from neohebb.study import load_study

    study = load_study(Path(__file__).resolve().parents[2] / "neohebb" / "demo_study.toml")
    assert len(study.designs) == 12 and study.full
    assert {d.spec.array.pitch_nm for d in study.designs} == {200, 250, 300, 400}


def test_the_environment_study_changes_one_thing_at_a_time_in_a_um_box() -> None:
    from neohebb.study import load_study

    root = Path(__file__).resolve().parents[2]
    study = load_study(root / "neohebb" / "environment_study.toml")
    base = study.designs[0].spec
    assert base.stack.substrate.thickness_nm == 1000 and base.array.margin_nm == 1000
    assert base.mesh.bulk_nm == 400 and study.learning is not None
    assert len(study.designs) == 8
    for design in study.designs[1:]:
        assert design.spec != base and len(design.values) >= 1


def test_equal_designs_are_evaluated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import neohebb.study as study_module

    calls: list[float] = []

    def figures(out: Path, spec, settings):  # type: ignore[no-untyped-def]
        calls.append(spec.array.pitch_nm)
        return {"r_self_k_per_w": spec.array.pitch_nm, "crosstalk_nearest": 0.1}

    monkeypatch.setattr(study_module, "_figures", figures)
    study = study_from_dict(
        {
            "design": "points",
            "points": [{"array.pitch_nm": 300}, {"array.pitch_nm": 250}, {"array.pitch_nm": 300}],
        }
    )
    result = study_module.run_study(study, tmp_path / "out", workers=1, progress=False, plots=False)
    assert sorted(calls) == [250, 300]
    assert [r["r_self_k_per_w"] for r in result.rows] == [300, 250, 300]
    assert result.rows[0]["key"] == result.rows[2]["key"] != result.rows[1]["key"]


def test_the_pareto_front_drops_dominated_designs_on_ties() -> None:
    import numpy as np

    from neohebb.study_plots import pareto_front

    efficiency = np.array([1.0, 2.0, 3.0, 2.5])
    crosstalk = np.array([0.5, 0.5, 0.9, 0.2])
    assert pareto_front(efficiency, crosstalk).tolist() == [3, 2]


def test_a_points_study_draws_a_bar_per_design(tmp_path: Path) -> None:
    """One-off changes have no axis to draw a line along: figures.png shows one bar per
    design and figure instead (and the Pareto plot marks its front)."""
    from neohebb.study_plots import plot_study

    rows = [
        {
            "design": i,
            "error": None,
            f"axis:{axis}": value,
            "r_self_k_per_w": 7e5 + 1e5 * i,
            "crosstalk_nearest": 0.3 - 0.05 * i,
            "heater_rise_k_per_w": 1.6e6,
            "crosstalk_array_sum": 1.5,
            "tau_mean_s": 1e-8,
        }
        for i, (axis, value) in enumerate(
            [("lines.word_material", "Cu"), ("stack.ild.material", "lowk"), ("mesh.refine", 1.0)]
        )
    ]
    axes = ["lines.word_material", "stack.ild.material", "mesh.refine"]
    plot_study({"design": "points", "axes": axes, "designs": rows}, tmp_path)
    assert_picture(tmp_path / "figures.png")
    assert_picture(tmp_path / "pareto.png")
