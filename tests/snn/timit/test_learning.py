"""Online e-prop on the fixture corpus: it learns, and the command writes what it promises."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from neohebb.cli import main
from snn.ideal_synapses import IdealSettings
from snn.timit.corpus import split_corpus
from snn.timit.features import FeatureSettings, Normaliser, load_split
from snn.timit.learner import (
    TimitConfig,
    TimitError,
    build_network,
    majority_class39,
    predict,
    score,
    timit_config_from_dict,
    train_epoch,
)
from snn.timit.phones import phones61
from tests.helpers import assert_picture

from .conftest import FIXTURE


def test_fp_eprop_beats_the_majority_class_within_a_few_epochs() -> None:
    corpus = split_corpus(FIXTURE)
    train = load_split(corpus.splits["train"], FeatureSettings(), None)
    test = load_split(corpus.splits["test"], FeatureSettings(), None)
    norm = Normaliser.fit(train)
    train, test = norm.apply(train), norm.apply(test)
    cfg = TimitConfig(n_lif=75, n_alif=25, streams=4, synapses=IdealSettings(lr=2e-3))
    rng = np.random.default_rng(0)
    net = build_network(cfg, train.x.shape[1], rng)
    w0 = net.array.weights().copy()
    majority = majority_class39(train)
    for _ in range(4):
        train_epoch(net, train, rng)
    s = score(predict(net, test), test.labels, majority)
    assert s.accuracy39 > s.majority39 + 0.15, (s.accuracy39, s.majority39)
    assert s.accuracy61 <= s.accuracy39  # folding only merges classes
    # the synapse array itself learned (not only the readout)
    assert np.abs(net.array.weights() - w0).mean() > 1e-3
    assert s.confusion39.sum() == s.frames == int(np.sum(test.labels != phones61().index("q")))


def test_settings_are_checked_by_name() -> None:
    with pytest.raises(TimitError, match="streams: must be an integer >= 1"):
        timit_config_from_dict({"streams": 0})
    with pytest.raises(TimitError, match="lr_outt: not a TIMIT setting"):
        timit_config_from_dict({"lr_outt": 1.0})
    with pytest.raises(TimitError, match=r"synapses\.bits: not a setting of the ideal back-end"):
        timit_config_from_dict({"synapses": {"bits": 8}})
    with pytest.raises(TimitError, match="feedback: 'mirror' is not one of"):
        timit_config_from_dict({"feedback": "mirror"})
    cfg = timit_config_from_dict({"synapses": {"lr": 0.5}, "n_alif": 0})
    assert cfg.settings().lr == 0.5 and cfg.n == 300


def test_timit_command_writes_results_and_pictures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "timit"
    args = [
        "timit",
        "--corpus",
        str(FIXTURE),
        "--trace",
        "ideal",
        "--epochs",
        "1",
        "--neurons",
        "40",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--out",
        str(out),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "synthetic TIMIT-format corpus" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["corpus_label"] == "synthetic TIMIT-format corpus"
    assert results["test_set"] == "all" and results["dev"] is None
    assert results["counts"]["train"] == {
        "speakers": 5,
        "utterances": 15,
        "frames": results["counts"]["train"]["frames"],
        "phones": results["counts"]["train"]["phones"],
    }
    assert 0 <= results["test"]["accuracy39"] <= 1 and len(results["curve"]) == 1
    assert results["config"]["n_lif"] + results["config"]["n_alif"] == 40
    assert_picture(out / "learning_curve.png")
    assert_picture(out / "confusion.png")


def test_bad_corpus_and_card_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    missing = str(tmp_path / "none")
    code = main(["timit", "--corpus", missing, "--trace", "ideal", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "no such corpus directory" in err and len(err.strip().splitlines()) == 1
    code = main(["timit", "--corpus", str(FIXTURE), "--card", "x.json", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "x.json" in err and len(err.strip().splitlines()) == 1
    code = main(
        ["timit", "--corpus", str(FIXTURE), "--trace", "ideal", "--bits", "0", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2 and "synapses.bits: must be an integer in [1, 16]" in err
    assert not out.exists()


@pytest.mark.parametrize("device", ["quantised", "thermal"])
def test_quantised_and_thermal_arrays_learn_and_report(
    device: str, default_card: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / device
    source = ["--card", str(default_card)] if device == "thermal" else ["--trace", "ideal"]
    config = tmp_path / "run.toml"
    config.write_text("[timit]\nstreams = 4\n")  # batches of 4: several per epoch
    common = ["--bits", "6", "--epochs", "2", "--neurons", "60", "--config", str(config)]
    args = ["timit", "--corpus", str(FIXTURE), *source, *common]
    args += ["--cache-dir", str(tmp_path / "cache"), "--out", str(out)]
    assert main(args) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["backend"] == device
    assert results["config"]["synapses"]["bits"] == 6 and results["weight_levels"] == 127
    assert results["test"]["accuracy39"] > results["test"]["majority_accuracy39"]
    if device == "thermal":
        assert results["energy_per_synapse_update_j"] > 0
        assert results["card"] == str(default_card.resolve())
        assert "fJ per synapse" in capsys.readouterr().out
    else:
        assert results["energy_per_update_j"] is None


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    from snn.timit.stage import prepare, train_and_score

    data = prepare(FIXTURE, cache_dir=tmp_path / "cache")
    cfg = TimitConfig(n_lif=30, n_alif=10, streams=4, epochs=2)
    whole, net_whole, _ = train_and_score(data, cfg)
    checkpoint = tmp_path / "ckpt.pkl"
    # "interrupted" after its first epoch: the checkpoint holds epoch 1
    first, _, _ = train_and_score(data, replace(cfg, epochs=1), checkpoint=checkpoint)
    assert checkpoint.is_file() and len(first["curve"]) == 1
    resumed, net_resumed, _ = train_and_score(data, cfg, checkpoint=checkpoint)
    assert resumed["curve"] == whole["curve"]
    assert resumed["test"] == whole["test"]
    np.testing.assert_array_equal(net_resumed.array.weights(), net_whole.array.weights())
    # another configuration does not pick up this checkpoint
    other, _, _ = train_and_score(data, replace(cfg, seed=1, epochs=1), checkpoint=checkpoint)
    assert other["curve"] != first["curve"]


def test_bit_sweep_writes_its_table_and_resumes_from_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import snn.timit.sweep as sweep

    out = tmp_path / "bits"
    args = [
        "timit-sweep",
        "--corpus",
        str(FIXTURE),
        "--bits",
        "3",
        "8",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--neurons",
        "20",
        "--cache-dir",
        str(tmp_path / "c"),
        "--workers",
        "2",  # two worker processes even on a one-core runner: compared with serial below
        "--out",
        str(out),
    ]
    assert main(args) == 0
    summary = json.loads((out / "sweep.json").read_text())
    assert summary["corpus_label"] == "synthetic TIMIT-format corpus"
    rows = {(r["backend"], r["bits"]): r for r in summary["table"]}
    assert set(rows) == {("ideal", None), ("quantised", 3), ("quantised", 8)}
    assert all(r["runs"] == 2 for r in rows.values())
    assert rows[("ideal", None)]["gap_to_fp_points"] == 0
    fp_seed0 = next(r for r in summary["runs"] if r["backend"] == "ideal" and r["seed"] == 0)
    assert (
        fp_seed0["test_accuracy39"]
        != next(r for r in summary["runs"] if r["backend"] == "ideal" and r["seed"] == 1)[
            "test_accuracy39"
        ]
    )
    assert_picture(out / "bits.png")
    assert "points below FP" in capsys.readouterr().out

    def fail(*a: object, **k: object) -> None:
        raise AssertionError("trained again")

    monkeypatch.setattr(sweep, "train_and_score", fail)
    assert main(args) == 0  # every run from .runs/
    assert json.loads((out / "sweep.json").read_text())["table"] == summary["table"]
    # the worker processes (one per core by default) compute what one process computes
    monkeypatch.undo()
    serial = tmp_path / "serial"
    assert main([*args[:-1], str(serial), "--workers", "1"]) == 0

    def untimed(runs: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "train_frames_per_s"} for r in runs]

    assert untimed(json.loads((serial / "sweep.json").read_text())["runs"]) == untimed(
        summary["runs"]
    )


def test_run_config_timit_table_runs_once_then_is_up_to_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neohebb import pipeline
    from neohebb.config import ConfigError, load_run_config

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    config = tmp_path / "run.toml"
    config.write_text(
        f'out_dir = "{tmp_path / "run"}"\n[sweep]\nenabled = false\n'
        f'[timit]\nenabled = true\ncorpus = "{FIXTURE}"\nthermal = false\nbits = [4]\n'
        "seeds = 1\nepochs = 1\nn_lif = 15\nn_alif = 5\nstreams = 4\n"
    )
    run = load_run_config(config)
    assert run.timit.enabled and run.timit.network.n == 20 and run.timit.bits == (4,)
    first = pipeline._timit(run, False)
    assert first.status == "ran"
    summary = json.loads((first.output / "sweep.json").read_text())
    assert {r["backend"] for r in summary["table"]} == {"ideal", "quantised"}
    assert pipeline._timit(run, False).status == "up to date"
    bad = tmp_path / "bad.toml"
    bad.write_text('[timit]\nenabled = true\nbits = [0]\ncorpus = "x"\n')
    with pytest.raises(ConfigError, match=r"timit\.bits: a list of integers in \[1, 16\]"):
        load_run_config(bad)
    bad.write_text("[timit]\nenabled = true\n")
    with pytest.raises(ConfigError, match=r"timit\.corpus: an enabled"):
        load_run_config(bad)
