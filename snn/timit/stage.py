"""The TIMIT stage: corpus -> features -> online e-prop training -> results.json and pictures.

Writes ``results.json`` (39-class frame accuracy on test and dev, 61-class accuracy, the
majority-class baseline, per-epoch curve, corpus counts, which test set, run time),
``learning_curve.png`` and ``confusion.png`` (39 classes), all in one staged directory (nothing
is written unless the run finishes). A corpus made by ``snn.timit.generate`` is labelled
"synthetic TIMIT-format corpus" everywhere, never "TIMIT".
"""

from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from devicefit.card import read_card_with_sha256
from meshes.files import check_output_dir, code_version, sha256_json, staged_output, write_json
from snn.timit.corpus import Corpus, CorpusError, describe, split_corpus
from snn.timit.features import FeatureSettings, Normaliser, SplitFeatures, load_split, split_key
from snn.timit.learner import (
    Network,
    Scores,
    TimitConfig,
    build_network,
    config_to_json,
    majority_class39,
    predict,
    score,
    train_epoch,
)
from snn.timit.phones import classes39

SYNTHETIC_MARKER = "SYNTHETIC TIMIT-format corpus"


def corpus_label(corpus: Corpus) -> str:
    """How results on ``corpus`` are named: synthetic, or a TIMIT-format corpus and its set."""
    readme = next((p for p in corpus.root.iterdir() if p.name.lower() == "readme.txt"), None)
    if readme is not None and SYNTHETIC_MARKER in readme.read_text("utf-8", errors="replace"):
        return "synthetic TIMIT-format corpus"
    if corpus.test_set == "core":
        return "TIMIT-format corpus with the LDC speakers (core test set)"
    return "TIMIT-format corpus"


@dataclass(frozen=True)
class Prepared:
    """A corpus split, read, featurised and normalised: what every training run starts from."""

    corpus: Corpus
    counts: dict[str, dict[str, int]]
    features: str
    train: SplitFeatures
    evaluated: dict[str, SplitFeatures]  # "test" and, on the LDC speakers, "dev"
    key: str  # content hash of the splits' files and the feature settings


def prepare(
    corpus_dir: str | Path,
    *,
    test_set: str = "auto",
    features: str = "mfcc",
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> Prepared:
    """Read and check the corpus, extract (or load cached) features, normalise them."""
    settings = FeatureSettings(features)
    settings.validate()
    corpus = split_corpus(corpus_dir, test_set)
    counts = describe(corpus)
    cache = Path(cache_dir) if cache_dir is not None else None
    raw = {name: load_split(u, settings, cache, progress) for name, u in corpus.splits.items()}
    norm = Normaliser.fit(raw["train"])
    data = {name: norm.apply(f) for name, f in raw.items()}
    key = sha256_json({n: split_key(u, settings) for n, u in corpus.splits.items()})
    evaluated = {k: v for k, v in data.items() if k != "train"}
    return Prepared(corpus, counts, features, data["train"], evaluated, key)


def train_and_score(
    data: Prepared,
    cfg: TimitConfig,
    *,
    card_path: str | Path | None = None,
    checkpoint: Path | None = None,
    progress: bool = False,
) -> tuple[dict[str, Any], Network, dict[str, Scores]]:
    """Train ``cfg`` for its epochs, scoring test (and dev) after each; returns the results
    record, the trained network and the final scores.

    With ``checkpoint``, the state after each epoch (network, RNG, curve, training time) is
    saved there atomically, and a run whose checkpoint matches its inputs continues after the
    last saved epoch: the result is the one an uninterrupted run gives. The checkpoint is a
    pickle, a file this function wrote itself; it is removed by the caller when done.
    """
    cfg.validate()
    card, card_sha = None, None
    if card_path is not None:
        card, card_sha = read_card_with_sha256(card_path)
    t0 = time.perf_counter()
    majority = majority_class39(data.train)
    run_key = sha256_json(  # the number of epochs is left out: a run may be extended
        {
            "config": config_to_json(replace(cfg, epochs=0)),
            "data": data.key,
            "card": card_sha,
            "code": code_version(),
        }
    )
    state = _load_checkpoint(checkpoint, run_key)
    if state is None:
        rng = np.random.default_rng(cfg.seed)
        state = {
            "epoch": 0,
            "net": build_network(cfg, data.train.x.shape[1], rng, card),
            "rng": rng,
            "curve": [],
            "t_train": 0.0,
        }
    net, rng, curve = state["net"], state["rng"], state["curve"]
    bar = None
    if progress:
        from tqdm import tqdm

        n_utt = len(data.train.uids)
        bar = tqdm(
            total=cfg.epochs * n_utt, initial=state["epoch"] * n_utt, desc="timit", unit="utt"
        )
    for epoch in range(state["epoch"] + 1, cfg.epochs + 1):
        t = time.perf_counter()
        result = train_epoch(net, data.train, rng, bar.update if bar is not None else None)
        state["t_train"] += time.perf_counter() - t
        row: dict[str, Any] = {
            "epoch": epoch,
            "train_loss": result.loss,
            "train_accuracy39": result.train_accuracy39,
        }
        for name, feats in data.evaluated.items():
            scores = score(predict(net, feats), feats.labels, majority)
            row[f"{name}_accuracy39"] = scores.accuracy39
        curve.append(row)
        state["epoch"] = epoch
        _save_checkpoint(checkpoint, run_key, state)
        if bar is not None:
            bar.set_postfix(epoch=epoch, test39=f"{row['test_accuracy39']:.3f}")
    if bar is not None:
        bar.close()
    final = {n: score(predict(net, f), f.labels, majority) for n, f in data.evaluated.items()}
    results = {
        "corpus": str(data.corpus.root.resolve()),
        "corpus_label": corpus_label(data.corpus),
        "test_set": data.corpus.test_set,
        "counts": data.counts,
        "features": data.features,
        "config": config_to_json(cfg),
        "majority_class39": classes39()[majority],
        "test": _scores_json(final["test"]),
        "dev": _scores_json(final["dev"]) if "dev" in final else None,
        "curve": curve,
        "train_frames_per_s": cfg.epochs * data.train.n_frames / max(state["t_train"], 1e-9),
        "run_time_s": time.perf_counter() - t0,
        **_energy(net),
        "card": str(Path(card_path).resolve()) if card_path is not None else None,
        "card_sha256": card_sha,
        "code_version": code_version(),
    }
    return results, net, final


def checkpoint_path(out_dir: str | Path) -> Path:
    """Where ``run_timit`` keeps its epoch checkpoint: beside OUT, hidden."""
    out = Path(out_dir).resolve()
    return out.parent / f".{out.name}.timit-checkpoint.pkl"


def _load_checkpoint(path: Path | None, key: str) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            saved = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None  # a damaged checkpoint is started afresh
    if not isinstance(saved, dict) or saved.get("key") != key:
        return None  # made with other settings, data or card
    state: dict[str, Any] = saved["state"]
    return state


def _save_checkpoint(path: Path | None, key: str, state: dict[str, Any]) -> None:
    if path is None:
        return
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("wb") as f:
            pickle.dump({"key": key, "state": state}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def run_timit(
    corpus_dir: str | Path,
    out_dir: str | Path,
    cfg: TimitConfig,
    *,
    test_set: str = "auto",
    features: str = "mfcc",
    cache_dir: str | Path | None = None,
    card_path: str | Path | None = None,
    progress: bool = True,
    plots: bool = True,
) -> dict[str, Any]:
    """Train ``cfg`` on the corpus (the thermal back-end on the card at ``card_path``) and
    write the results (module docstring). An interrupted run resumes from its last epoch."""
    cfg.validate()
    check_output_dir(out_dir, CorpusError)
    if card_path is not None:
        read_card_with_sha256(card_path)  # a bad card is refused before any feature work
    data = prepare(
        corpus_dir, test_set=test_set, features=features, cache_dir=cache_dir, progress=progress
    )
    checkpoint = checkpoint_path(out_dir)
    results, _, final = train_and_score(
        data, cfg, card_path=card_path, checkpoint=checkpoint, progress=progress
    )
    with staged_output(out_dir, error=CorpusError) as tmp:
        write_json(tmp / "results.json", results)
        if plots:
            from snn.timit.plots import plot_confusion, plot_timit_curve

            plot_timit_curve(results, tmp / "learning_curve.png")
            confusion = final["test"].confusion39
            plot_confusion(confusion, classes39(), results, tmp / "confusion.png")
    checkpoint.unlink(missing_ok=True)
    return results


def _energy(net: Any) -> dict[str, Any]:
    """Energy per dataframe update of the array (None for back-ends without a device), and
    the weight levels of the quantised and thermal arrays."""
    settings = net.cfg.settings()
    energy = net.array.energy
    heated = net.array.peak_rise_k() is not None
    n_synapses = net.array.weights().size
    return {
        "energy_per_update_j": energy.per_update_j() if heated else None,
        "energy_per_synapse_update_j": energy.per_update_j() / n_synapses if heated else None,
        "weight_levels": 2 ** (getattr(settings, "bits", 0) + 1) - 1
        if hasattr(settings, "bits")
        else None,
        "updates": energy.updates,
    }


def _scores_json(s: Any) -> dict[str, Any]:
    return {
        "accuracy39": s.accuracy39,
        "accuracy61": s.accuracy61,
        "majority_accuracy39": s.majority39,
        "frames": s.frames,
        "confusion39": s.confusion39.tolist(),
    }
