"""The TIMIT-format reader: layout, splits, labels, and bad trees refused by file name."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from snn.timit.corpus import (
    HOP_SAMPLES,
    CorpusError,
    Segment,
    describe,
    frame_labels,
    read_audio,
    read_phn,
    scan_corpus,
    speaker_list,
    split_corpus,
)
from snn.timit.phones import phones61

from .conftest import FIXTURE


def test_fixture_counts_and_splits() -> None:
    corpus = split_corpus(FIXTURE)
    assert corpus.test_set == "all"  # not the LDC speakers
    stats = describe(corpus)
    assert stats["train"]["speakers"] == 5 and stats["train"]["utterances"] == 15  # SA left out
    assert stats["test"]["speakers"] == 2 and stats["test"]["utterances"] == 6
    train = {u.speaker for u in corpus.splits["train"]}
    test = {u.speaker for u in corpus.splits["test"]}
    assert not train & test
    assert all(not u.name.startswith("sa") for u in corpus.splits["train"])
    for split in stats.values():
        assert split["frames"] > 100 * split["utterances"]  # > 1 s each
        assert split["phones"] > 10 * split["utterances"]


def test_frame_labels_follow_the_segments_at_each_frame_centre() -> None:
    utt = split_corpus(FIXTURE).splits["train"][0]
    audio = read_audio(utt)
    segments = read_phn(utt.phn, len(audio))
    labels = frame_labels(segments)
    assert len(labels) == 1 + (segments[-1].end - 1) // HOP_SAMPLES
    names = phones61()
    for k in range(0, len(labels), 7):
        centre = k * HOP_SAMPLES
        seg = next(s for s in segments if s.start <= centre < s.end)
        assert names[labels[k]] == seg.label
    assert names[labels[0]] == "h#" and names[labels[-1]] == "h#"


def test_frame_labels_on_a_hand_made_example() -> None:
    segs = [Segment(0, 250, "h#"), Segment(250, 330, "s"), Segment(330, 500, "iy")]
    names = [phones61()[i] for i in frame_labels(segs)]
    # centres 0, 160, 320, 480
    assert names == ["h#", "h#", "s", "iy"]


def test_lower_case_tree_reads_the_same(corpus_copy: Path) -> None:
    for path in sorted(corpus_copy.rglob("*"), key=lambda p: -len(p.parts)):
        path.rename(path.with_name(path.name.lower()))
    a = split_corpus(FIXTURE)
    b = split_corpus(corpus_copy)
    assert [u.uid for u in a.splits["train"]] == [u.uid for u in b.splits["train"]]
    assert describe(a) == describe(b)


def test_core_split_uses_the_published_speaker_lists(tmp_path: Path) -> None:
    core, dev = sorted(speaker_list("core_test")), sorted(speaker_list("dev"))
    assert len(core) == 24 and len(dev) == 50 and not set(core) & set(dev)
    utt = scan_corpus(FIXTURE)[0]
    root = tmp_path / "timit"

    def add(part: str, speaker: str, name: str) -> None:
        d = root / part / "DR1" / speaker.upper()
        d.mkdir(parents=True, exist_ok=True)
        shutil.copy(utt.audio, d / f"{name}.WAV")
        shutil.copy(utt.phn, d / f"{name}.PHN")

    add("TRAIN", "mabc0", "SX1")
    add("TRAIN", "mabc0", "SA1")
    for s in core:
        add("TEST", s, "SX1")
    for s in dev[:3]:
        add("TEST", s, "SI1")
    add("TEST", "mxyz9", "SX2")  # neither list: in no split of the core set
    corpus = split_corpus(root)
    assert corpus.test_set == "core"
    assert len(corpus.splits["test"]) == 24 and len(corpus.splits["dev"]) == 3
    assert len(corpus.splits["train"]) == 1
    assert len(split_corpus(root, "all").splits["test"]) == 28
    shutil.rmtree(root / "TEST" / "DR1" / core[0].upper())
    with pytest.raises(CorpusError, match=f"lacks 1 of the 24 core-test speakers.*{core[0]}"):
        split_corpus(root, "core")


def _first(corpus: Path, suffix: str) -> Path:
    return sorted((corpus / "TRAIN").rglob(f"SX*{suffix}"))[0]


def test_missing_phone_file_is_named(corpus_copy: Path) -> None:
    phn = _first(corpus_copy, ".PHN")
    phn.unlink()
    with pytest.raises(CorpusError, match=f"{phn.with_suffix('.WAV')}: no phone file"):
        split_corpus(corpus_copy)


def test_gap_in_segments_is_named(corpus_copy: Path) -> None:
    phn = _first(corpus_copy, ".PHN")
    lines = phn.read_text().splitlines()
    a, b, label = lines[2].split()
    lines[2] = f"{int(a) + 5} {b} {label}"
    phn.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorpusError, match=f"{phn}:3: .* gap"):
        describe(split_corpus(corpus_copy))


def test_segments_short_of_the_audio_are_refused(corpus_copy: Path) -> None:
    phn = _first(corpus_copy, ".PHN")
    lines = phn.read_text().splitlines()
    phn.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(CorpusError, match=f"{phn}: the segments end at sample"):
        describe(split_corpus(corpus_copy))


def test_unknown_phone_is_named(corpus_copy: Path) -> None:
    phn = _first(corpus_copy, ".PHN")
    lines = phn.read_text().splitlines()
    a, b, _ = lines[1].split()
    lines[1] = f"{a} {b} xx"
    phn.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorpusError, match=f"{phn}:2: unknown phone 'xx'"):
        describe(split_corpus(corpus_copy))


def test_wrong_sample_rate_is_named(corpus_copy: Path) -> None:
    wav = _first(corpus_copy, ".WAV")
    data, _ = sf.read(wav, dtype="int16")
    sf.write(wav, data, 8000, format="NIST", subtype="PCM_16")
    with pytest.raises(CorpusError, match=f"{wav}: sample rate 8000 Hz"):
        describe(split_corpus(corpus_copy))


def test_riff_audio_is_read_like_sphere(corpus_copy: Path) -> None:
    wav = _first(corpus_copy, ".WAV")
    data, rate = sf.read(wav, dtype="int16")
    sf.write(wav, data, rate, format="WAV", subtype="PCM_16")
    assert sf.info(wav).format == "WAV"
    utt = next(u for u in scan_corpus(corpus_copy) if u.audio == wav)
    assert np.array_equal(read_audio(utt), data / 32768.0)


def test_not_a_corpus_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such corpus directory"):
        split_corpus(tmp_path / "nowhere")
    (tmp_path / "TRAIN").mkdir()
    with pytest.raises(CorpusError, match="no TEST directory"):
        split_corpus(tmp_path)
    (tmp_path / "TEST" / "DRX").mkdir(parents=True)
    with pytest.raises(CorpusError, match="DRX: expected dialect directories"):
        split_corpus(tmp_path)
    with pytest.raises(CorpusError, match="test_set: 'dev' is not one of"):
        split_corpus(FIXTURE, "dev")
