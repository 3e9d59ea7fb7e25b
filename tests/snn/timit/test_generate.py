"""The corpus generator: Festival phones onto TIMIT's 61, and a corpus the reader accepts."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

from snn.timit.corpus import audio_samples, describe, read_phn, scan_corpus, split_corpus
from snn.timit.generate import GeneratorError, festival_to_timit, generate_corpus, make_sentence
from snn.timit.phones import phones61


def test_festival_segments_map_onto_timit_labels() -> None:
    segs = [
        ("pau", 0.2),
        ("d", 0.3),
        ("aa", 0.4),
        ("ch", 0.5),
        ("pau", 0.6),
        ("brth", 0.7),
        ("k", 0.8),
        ("pau", 1.0),
    ]
    got = festival_to_timit(segs)
    labels = [g[0] for g in got]
    assert labels == ["h#", "dcl", "d", "aa", "tcl", "ch", "pau", "kcl", "k", "h#"]
    # closure + release split the stop's time; the segments tile [0, 1.0]
    assert got[1][1:] == (0.2, pytest.approx(0.26)) and got[2][1:] == (pytest.approx(0.26), 0.3)
    assert all(a[2] == pytest.approx(b[1]) for a, b in itertools.pairwise(got))
    assert got[0][1] == 0.0 and got[-1][2] == 1.0
    assert set(labels) <= set(phones61())


def test_sentences_are_reproducible() -> None:
    a = [make_sentence(np.random.default_rng(3)) for _ in range(3)]
    b = [make_sentence(np.random.default_rng(3)) for _ in range(3)]
    assert a == b and all(s.endswith(".") and s[0].isupper() for s in a)


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="train_speakers: must be an integer >= 1"):
        generate_corpus(tmp_path / "c", train_speakers=0)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(GeneratorError, match="exists and is not empty"):
        generate_corpus(tmp_path / "full", train_speakers=1, test_speakers=1)


@pytest.mark.skipif(
    shutil.which("festival") is None, reason="festival not installed (make timit-corpus)"
)
def test_generated_corpus_goes_through_the_reader(tmp_path: Path) -> None:
    out = generate_corpus(
        tmp_path / "c",
        train_speakers=2,
        test_speakers=1,
        sx_per_speaker=1,
        si_per_speaker=1,
        seed=5,
        progress=False,
    )
    corpus = split_corpus(out)
    stats = describe(corpus)
    assert stats["train"]["utterances"] == 4 and stats["test"]["utterances"] == 2
    assert len(list(out.rglob("SA1.WAV"))) == 3  # written, and left out by the reader
    for utt in scan_corpus(out):
        segments = read_phn(utt.phn, audio_samples(utt))
        assert segments[-1].end == audio_samples(utt)
        assert utt.audio.read_bytes()[:8] == b"NIST_1A\n"
        assert utt.audio.with_suffix(".TXT").read_text().startswith(f"0 {segments[-1].end} ")
    assert "SYNTHETIC" in (out / "README.txt").read_text()


def test_missing_festival_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GeneratorError, match="festival: not installed; `make timit-corpus`"):
        generate_corpus(tmp_path / "c", train_speakers=1, test_speakers=1, progress=False)
    assert not (tmp_path / "c").exists()
