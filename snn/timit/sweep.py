"""The bit sweep: floating point against 2^bits conductance levels, quantised and thermal.

For each seed: one ``ideal`` run (floating point), and for each ``bits`` one ``quantised`` run
(the ideal trace, weights on the level grid: the cost of precision alone) and, given a model
card, one ``thermal`` run (heat trace, crosstalk, switching model, variability: precision and
heat). Every run trains the same network from the same seed on the same data; runs are cached
by content hash in ``OUT/.runs/`` (an interrupted sweep resumes), and ``sweep.json`` holds the
table: 39-class test frame accuracy per back-end and bits, mean and standard deviation over
the seeds, and the gap to floating point. ``bits.png`` plots it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from devicefit.card import read_card_with_sha256
from meshes.files import (
    check_output_dir,
    code_version,
    read_cached_record,
    sha256_json,
    stage_key,
    staged_output,
    write_json,
    write_json_atomic,
)
from snn.parallel import map_runs
from snn.timit.corpus import TEST_SETS, CorpusError, split_corpus
from snn.timit.features import FEATURE_KINDS, FeatureSettings, split_key
from snn.timit.learner import (
    DEFAULT_SYNAPSES,
    TimitConfig,
    TimitError,
    config_to_json,
    timit_config_from_dict,
)
from snn.timit.stage import Prepared, corpus_label, prepare, train_and_score

DEFAULT_BITS = (4, 6, 8)
# keys of a [timit] table that belong to the pipeline's bit sweep, not to the network
RUN_KEYS = frozenset({"enabled", "corpus", "test_set", "features", "bits", "seeds", "thermal"})


@dataclass(frozen=True)
class TimitRun:
    """The [timit] table of ``neohebb run``: a bit sweep on ``corpus`` (with the thermal
    back-end on the run's own card when ``thermal``), every other key a network setting."""

    enabled: bool = False
    corpus: Path | None = None
    test_set: str = "auto"
    features: str = "mfcc"
    bits: tuple[int, ...] = DEFAULT_BITS
    seeds: int = 3
    thermal: bool = True
    network: TimitConfig = field(default_factory=TimitConfig)


def timit_run_from_dict(table: dict[str, Any], base: Path) -> TimitRun:
    """A checked ``TimitRun``; ``corpus`` resolves against ``base`` (the config's directory)."""
    network = timit_config_from_dict({k: v for k, v in table.items() if k not in RUN_KEYS})
    enabled, thermal = table.get("enabled", False), table.get("thermal", True)
    for name, value in (("enabled", enabled), ("thermal", thermal)):
        if not isinstance(value, bool):
            raise TimitError(f"{name}: expected true or false, got {value!r}")
    corpus = table.get("corpus")
    if corpus is not None and not isinstance(corpus, str):
        raise TimitError(f"corpus: expected a directory path, got {corpus!r}")
    if enabled and corpus is None:
        raise TimitError("corpus: an enabled [timit] table needs the corpus directory")
    bits = table.get("bits", list(DEFAULT_BITS))
    if (
        not isinstance(bits, list)
        or not bits
        or any(isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= 16 for b in bits)
    ):
        raise TimitError(f"bits: a list of integers in [1, 16], got {bits!r}")
    seeds = table.get("seeds", 3)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise TimitError(f"seeds: an integer >= 1, got {seeds!r}")
    test_set, features = table.get("test_set", "auto"), table.get("features", "mfcc")
    if test_set not in TEST_SETS:
        raise TimitError(f"test_set: {test_set!r} is not one of {TEST_SETS}")
    if features not in FEATURE_KINDS:
        raise TimitError(f"features: {features!r} is not one of {FEATURE_KINDS}")
    return TimitRun(
        enabled=enabled,
        corpus=(base / corpus) if corpus is not None else None,
        test_set=test_set,
        features=features,
        bits=tuple(bits),
        seeds=seeds,
        thermal=thermal,
        network=network,
    )


def corpus_key(corpus_dir: str | Path, test_set: str, features: str) -> str:
    """The content key ``prepare`` gives the corpus (hashes its files; no features)."""
    corpus = split_corpus(corpus_dir, test_set)
    settings = FeatureSettings(features)
    return sha256_json({n: split_key(u, settings) for n, u in corpus.splits.items()})


def bit_sweep_key(
    base: TimitConfig,
    bits: tuple[int, ...],
    seeds: tuple[int, ...],
    data_key: str,
    card_sha: str | None,
) -> str:
    """The key ``sweep.json`` records: settings, corpus content, card and code."""
    settings = {"base": config_to_json(base), "bits": list(bits), "seeds": list(seeds)}
    return stage_key(
        "timit-sweep", settings, {"corpus": data_key, "model_card.json": card_sha or ""}
    )


def sweep_configs(
    base: TimitConfig, bits: tuple[int, ...], seeds: tuple[int, ...], thermal: bool
) -> list[tuple[str, int | None, TimitConfig]]:
    """(back-end, bits or None for floating point, config) of every run of the sweep."""
    if not bits or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in bits):
        raise TimitError(f"bits: integers >= 1, got {bits!r}")
    if not seeds:
        raise TimitError("seeds: at least one seed")
    backends = ("quantised", "thermal") if thermal else ("quantised",)
    out: list[tuple[str, int | None, TimitConfig]] = []
    for seed in seeds:
        ideal = replace(base, backend="ideal", synapses=DEFAULT_SYNAPSES["ideal"](), seed=seed)
        out.append(("ideal", None, ideal))
        for backend in backends:
            for b in bits:
                settings = replace(DEFAULT_SYNAPSES[backend](), bits=b)
                out.append(
                    (backend, b, replace(base, backend=backend, synapses=settings, seed=seed))
                )
    for _, _, cfg in out:
        cfg.validate()
    return out


def run_bit_sweep(
    corpus_dir: str | Path,
    out_dir: str | Path,
    base: TimitConfig,
    *,
    bits: tuple[int, ...] = DEFAULT_BITS,
    seeds: tuple[int, ...] = (0, 1, 2),
    card_path: str | Path | None = None,
    test_set: str = "auto",
    features: str = "mfcc",
    cache_dir: str | Path | None = None,
    progress: bool = True,
    workers: int = 0,
) -> dict[str, Any]:
    """Run (or read from the cache) every run of the sweep and write sweep.json, bits.png.
    Runs go to ``workers`` processes (0: one per core; the result does not depend on it)."""
    jobs = sweep_configs(base, tuple(bits), tuple(seeds), card_path is not None)
    check_output_dir(out_dir, CorpusError)
    card_sha = read_card_with_sha256(card_path)[1] if card_path is not None else None
    data = prepare(
        corpus_dir, test_set=test_set, features=features, cache_dir=cache_dir, progress=progress
    )
    out = Path(out_dir)
    runs_dir = out / ".runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any] | None] = []
    todo: list[tuple[int, _Task]] = []
    for backend, b, cfg in jobs:
        path = runs_dir / f"{_run_key(data, backend, cfg, card_sha)}.json"
        runs.append(read_cached_record(path))
        if runs[-1] is None:
            todo.append((len(runs) - 1, _Task(data, backend, b, cfg, card_path, path)))
    done = map_runs(
        _train, [t for _, t in todo], workers=workers, progress=progress, desc="bit sweep"
    )
    for (i, _), record in zip(todo, done, strict=True):
        runs[i] = record
    table = _table([r for r in runs if r is not None])
    summary = {
        "corpus": str(data.corpus.root.resolve()),
        "corpus_label": corpus_label(data.corpus),
        "test_set": data.corpus.test_set,
        "counts": data.counts,
        "features": features,
        "base_config": config_to_json(base),
        "bits": list(bits),
        "seeds": list(seeds),
        "card": str(Path(card_path).resolve()) if card_path is not None else None,
        "card_sha256": card_sha,
        "table": table,
        "runs": [r for r in runs if r is not None],
        "code_version": code_version(),
        "stage": {
            "name": "timit-sweep",
            "code": code_version(),
            "key": bit_sweep_key(base, tuple(bits), tuple(seeds), data.key, card_sha),
            "inputs": {},
            "outputs": {},
            "pictures": ["bits.png"],
        },
    }
    with staged_output(out, error=CorpusError) as tmp:
        write_json(tmp / "sweep.json", summary)
        from snn.timit.plots import plot_bit_sweep

        plot_bit_sweep(summary, tmp / "bits.png")
    return summary


def _run_key(data: Prepared, backend: str, cfg: TimitConfig, card_sha: str | None) -> str:
    """Cache key of one run: its configuration, the corpus content, the card, the code."""
    return sha256_json(
        {
            "config": config_to_json(cfg),
            "data": data.key,
            "card": card_sha if backend == "thermal" else None,
            "code": code_version(),
        }
    )[:16]


@dataclass(frozen=True)
class _Task:
    """One run for a worker; its record is written atomically to ``path``."""

    data: Prepared
    backend: str
    bits: int | None
    cfg: TimitConfig
    card_path: str | Path | None
    path: Path


def _train(task: _Task) -> dict[str, Any]:
    """Worker: train and score one run (resuming from its epoch checkpoint), cache it."""
    checkpoint = task.path.with_name(f".{task.path.stem}.checkpoint.pkl")
    results, _, _ = train_and_score(
        task.data,
        task.cfg,
        card_path=task.card_path if task.backend == "thermal" else None,
        checkpoint=checkpoint,
    )
    record = {
        "backend": task.backend,
        "bits": task.bits,
        "seed": task.cfg.seed,
        "test_accuracy39": results["test"]["accuracy39"],
        "test_accuracy61": results["test"]["accuracy61"],
        "dev_accuracy39": results["dev"]["accuracy39"] if results["dev"] else None,
        "majority_accuracy39": results["test"]["majority_accuracy39"],
        "energy_per_synapse_update_j": results["energy_per_synapse_update_j"],
        "train_frames_per_s": results["train_frames_per_s"],
        "curve": results["curve"],
    }
    write_json_atomic(task.path, record)
    checkpoint.unlink(missing_ok=True)
    return record


def _table(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds of each (back-end, bits), and the gap to FP."""
    fp = np.array([r["test_accuracy39"] for r in runs if r["backend"] == "ideal"])
    rows = []
    for backend, bits in sorted({(r["backend"], r["bits"]) for r in runs}, key=_order):
        acc = np.array(
            [r["test_accuracy39"] for r in runs if r["backend"] == backend and r["bits"] == bits]
        )
        energies = [
            r["energy_per_synapse_update_j"]
            for r in runs
            if r["backend"] == backend and r["bits"] == bits and r["energy_per_synapse_update_j"]
        ]
        rows.append(
            {
                "backend": backend,
                "bits": bits,
                "runs": len(acc),
                "accuracy39_mean": float(acc.mean()),
                "accuracy39_std": float(acc.std(ddof=1)) if len(acc) > 1 else None,
                "gap_to_fp_points": 100 * float(fp.mean() - acc.mean()),
                "energy_per_synapse_update_j": float(np.mean(energies)) if energies else None,
            }
        )
    return rows


def _order(item: tuple[str, int | None]) -> tuple[int, int]:
    backend, bits = item
    return ({"ideal": 0, "quantised": 1, "thermal": 2}[backend], bits or 0)
