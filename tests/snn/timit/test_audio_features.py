"""SPHERE files as TIMIT has them, and features equal to librosa's, cached by content."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from snn.timit import features as feat
from snn.timit.corpus import read_audio, split_corpus
from snn.timit.features import FeatureSettings, Normaliser, load_split, utterance_features

from .conftest import FIXTURE


def test_sphere_header_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    data = rng.integers(-20000, 20000, 16000 + 37).astype(np.int16)
    path = tmp_path / "SX1.WAV"
    sf.write(path, data, 16000, format="NIST", subtype="PCM_16")
    raw = path.read_bytes()
    assert len(raw) == 1024 + 2 * len(data)
    header = raw[:1024].decode("ascii")
    assert header.startswith("NIST_1A\n   1024\n")
    fields = dict(line.split(" ", 1) for line in header.split("end_head")[0].splitlines()[2:])
    assert fields["sample_rate"] == "-i 16000"
    assert fields["sample_count"] == f"-i {len(data)}"
    assert fields["sample_n_bytes"] == "-i 2"
    assert fields["sample_byte_format"] == "-s2 01"  # little-endian, as the LDC files
    assert np.array_equal(np.frombuffer(raw[1024:], "<i2"), data)
    back, rate = sf.read(path, dtype="int16")
    assert rate == 16000 and np.array_equal(back, data)


def test_fixture_audio_is_sphere() -> None:
    utt = split_corpus(FIXTURE).splits["test"][0]
    assert utt.audio.read_bytes()[:16] == b"NIST_1A\n   1024\n"
    assert sf.info(utt.audio).format == "NIST"


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    return read_audio(split_corpus(FIXTURE).splits["train"][0])


def test_mfcc_features_equal_librosa(audio: np.ndarray) -> None:
    got = utterance_features(audio, "mfcc")
    mfcc = librosa.feature.mfcc(
        y=audio,
        sr=16000,
        n_mfcc=13,
        n_fft=512,
        win_length=400,
        hop_length=160,
        window="hamming",
        n_mels=40,
    )
    assert got.shape == (mfcc.shape[1], 39)
    np.testing.assert_allclose(got[:, :13], mfcc.T, rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(got[:, 13:26], librosa.feature.delta(mfcc).T, atol=1e-8)
    np.testing.assert_allclose(got[:, 26:], librosa.feature.delta(mfcc, order=2).T, atol=1e-8)


def test_fbank_features_are_log_mel_and_frame_energy(audio: np.ndarray) -> None:
    got = utterance_features(audio, "fbank")
    assert got.shape[1] == 123
    mel = librosa.power_to_db(
        librosa.feature.melspectrogram(
            y=audio,
            sr=16000,
            n_fft=512,
            win_length=400,
            hop_length=160,
            window="hamming",
            n_mels=40,
        )
    )
    np.testing.assert_allclose(got[:, :40], mel.T, atol=1e-8)
    k = 50  # frame k covers samples [k hop - 200, k hop + 200)
    energy = np.sum(audio[k * 160 - 200 : k * 160 + 200] ** 2)
    assert got[k, 40] == pytest.approx(10 * np.log10(energy))


def test_cache_serves_the_second_run_and_sees_an_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    corpus_dir = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus_dir)
    utts = split_corpus(corpus_dir).splits["test"]
    settings = FeatureSettings("mfcc")
    first = load_split(utts, settings, tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("mfcc-*.npz"))) == 1

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("extracted again")

    with monkeypatch.context() as m:
        m.setattr(feat, "extract_split", fail)
        second = load_split(utts, settings, tmp_path / "cache")
    assert np.array_equal(first.x, second.x) and first.uids == second.uids
    assert np.array_equal(first.labels, second.labels)
    # an edited phone file is a new key: extracted again, not served stale
    phn = utts[0].phn
    lines = phn.read_text().splitlines()
    a, b, _ = lines[1].split()
    lines[1] = f"{a} {b} q"
    phn.write_text("\n".join(lines) + "\n")
    third = load_split(utts, settings, tmp_path / "cache")
    assert not np.array_equal(first.labels, third.labels)
    assert len(list((tmp_path / "cache").glob("mfcc-*.npz"))) == 2


def test_normaliser_uses_training_statistics() -> None:
    corpus = split_corpus(FIXTURE)
    train = load_split(corpus.splits["train"], FeatureSettings(), None)
    test = load_split(corpus.splits["test"], FeatureSettings(), None)
    norm = Normaliser.fit(train)
    z = norm.apply(train).x
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-9)
    zt = norm.apply(test).x
    np.testing.assert_allclose(zt, (test.x - train.x.mean(0)) / train.x.std(0))
    assert train.offsets[-1] == train.n_frames == len(train.x)
