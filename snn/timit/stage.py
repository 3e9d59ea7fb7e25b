"""The TIMIT stage: corpus -> features -> online e-prop training -> results.json and pictures.

Writes ``results.json`` (39-class frame accuracy on test and dev, 61-class accuracy, the
majority-class baseline, per-epoch curve, corpus counts, which test set, run time),
``learning_curve.png`` and ``confusion.png`` (39 classes), all in one staged directory (nothing
is written unless the run finishes). A corpus made by ``snn.timit.generate`` is labelled
"synthetic TIMIT-format corpus" everywhere, never "TIMIT".
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from meshes.files import code_version, staged_output, write_json
from snn.timit.corpus import Corpus, CorpusError, describe, split_corpus
from snn.timit.features import FeatureSettings, Normaliser, load_split
from snn.timit.learner import (
    TimitConfig,
    build_network,
    class_names39,
    config_to_json,
    majority_class39,
    predict,
    score,
    train_epoch,
)

SYNTHETIC_MARKER = "SYNTHETIC TIMIT-format corpus"


def corpus_label(corpus: Corpus) -> str:
    """How results on ``corpus`` are named: synthetic, or a TIMIT-format corpus and its set."""
    readme = next((p for p in corpus.root.iterdir() if p.name.lower() == "readme.txt"), None)
    if readme is not None and SYNTHETIC_MARKER in readme.read_text("utf-8", errors="replace"):
        return "synthetic TIMIT-format corpus"
    if corpus.test_set == "core":
        return "TIMIT-format corpus with the LDC speakers (core test set)"
    return "TIMIT-format corpus"


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
    write the results (module docstring)."""
    cfg.validate()
    card = None
    if card_path is not None:
        from devicefit.card import read_card

        card = read_card(card_path)
    settings = FeatureSettings(features)
    settings.validate()
    corpus = split_corpus(corpus_dir, test_set)
    counts = describe(corpus)
    t0 = time.perf_counter()
    cache = Path(cache_dir) if cache_dir is not None else None
    raw = {name: load_split(u, settings, cache, progress) for name, u in corpus.splits.items()}
    norm = Normaliser.fit(raw["train"])
    data = {name: norm.apply(f) for name, f in raw.items()}
    train, evaluated = data["train"], {k: v for k, v in data.items() if k != "train"}
    majority = majority_class39(train)
    rng = np.random.default_rng(cfg.seed)
    net = build_network(cfg, train.x.shape[1], rng, card)
    curve: list[dict[str, Any]] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.epochs * len(train.uids), desc="timit", unit="utt")
    t_train = 0.0
    for epoch in range(1, cfg.epochs + 1):
        t = time.perf_counter()
        result = train_epoch(net, train, rng, bar.update if bar is not None else None)
        t_train += time.perf_counter() - t
        row: dict[str, Any] = {
            "epoch": epoch,
            "train_loss": result.loss,
            "train_accuracy39": result.train_accuracy39,
        }
        for name, feats in evaluated.items():
            row[f"{name}_accuracy39"] = score(
                predict(net, feats), feats.labels, majority
            ).accuracy39
        curve.append(row)
        if bar is not None:
            bar.set_postfix(epoch=epoch, test39=f"{row['test_accuracy39']:.3f}")
    if bar is not None:
        bar.close()
    final = {name: score(predict(net, f), f.labels, majority) for name, f in evaluated.items()}
    results = {
        "corpus": str(Path(corpus_dir).resolve()),
        "corpus_label": corpus_label(corpus),
        "test_set": corpus.test_set,
        "counts": counts,
        "features": features,
        "config": config_to_json(cfg),
        "majority_class39": class_names39()[majority],
        "test": _scores_json(final["test"]),
        "dev": _scores_json(final["dev"]) if "dev" in final else None,
        "curve": curve,
        "train_frames_per_s": cfg.epochs * train.n_frames / max(t_train, 1e-9),
        "run_time_s": time.perf_counter() - t0,
        **_energy(net),
        "card": str(Path(card_path).resolve()) if card_path is not None else None,
        "code_version": code_version(),
    }
    with staged_output(out_dir, error=CorpusError) as tmp:
        write_json(tmp / "results.json", results)
        if plots:
            from snn.timit.plots import plot_confusion, plot_timit_curve

            plot_timit_curve(results, tmp / "learning_curve.png")
            plot_confusion(
                final["test"].confusion39, class_names39(), results, tmp / "confusion.png"
            )
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
