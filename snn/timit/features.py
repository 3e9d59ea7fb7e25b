"""Frame features of a TIMIT-format corpus (librosa), normalised and cached by content hash.

Both feature sets use a 25 ms Hamming window and the 10 ms hop of the frame labels, frames
centred on k * hop (``snn.timit.corpus.frame_labels``):

* ``mfcc`` (39 values): 13 MFCC (librosa's, 40 mel bands, the 0th coefficient kept) + delta +
  delta-delta (librosa's 9-frame regression);
* ``fbank`` (123 values): 40 log-mel energies + log frame energy, + delta + delta-delta
  (Bellec et al. 2020's TIMIT input).

Features are normalised per dimension with the mean and standard deviation of the training
split. ``load_split`` caches each split's features in ``cache_dir`` under a key of the feature
settings and the SHA-256 of every audio and phone file, so a second run reads one archive
instead of extracting again, and an edited file is never served stale.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import librosa
import numpy as np
from numpy.typing import NDArray

from meshes.files import sha256_file, sha256_json
from snn.timit.corpus import (
    HOP_SAMPLES,
    SAMPLE_RATE_HZ,
    CorpusError,
    Utterance,
    frame_labels,
    read_audio,
    read_phn,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
FEATURE_KINDS = ("mfcc", "fbank")
WINDOW_SAMPLES = 400  # 25 ms at 16 kHz
N_FFT = 512
N_MELS = 40
N_MFCC = 13


@dataclass(frozen=True)
class FeatureSettings:
    kind: str = "mfcc"

    def validate(self) -> None:
        if self.kind not in FEATURE_KINDS:
            raise CorpusError(f"features: {self.kind!r} is not one of {FEATURE_KINDS}")

    @property
    def n_features(self) -> int:
        return 3 * N_MFCC if self.kind == "mfcc" else 3 * (N_MELS + 1)


@dataclass(frozen=True)
class SplitFeatures:
    """Frames of a split, utterance after utterance: x [F, D], labels61 [F], and where each
    utterance starts (``offsets`` [U + 1]) with its id."""

    x: FloatArray
    labels: IntArray
    offsets: IntArray
    uids: tuple[str, ...]

    def utterance(self, k: int) -> tuple[FloatArray, IntArray]:
        a, b = self.offsets[k], self.offsets[k + 1]
        return self.x[a:b], self.labels[a:b]

    @property
    def n_frames(self) -> int:
        return len(self.labels)


def static_features(audio: FloatArray, kind: str) -> FloatArray:
    """[D_static, F] before the deltas: 13 MFCC, or 40 log-mel + log energy."""
    mel = librosa.feature.melspectrogram(
        y=audio,
        sr=SAMPLE_RATE_HZ,
        n_fft=N_FFT,
        win_length=WINDOW_SAMPLES,
        hop_length=HOP_SAMPLES,
        window="hamming",
        n_mels=N_MELS,
        center=True,
    )
    log_mel = librosa.power_to_db(mel)
    if kind == "mfcc":
        out: FloatArray = librosa.feature.mfcc(S=log_mel, n_mfcc=N_MFCC)
        return out
    frames = librosa.util.frame(
        np.pad(audio, WINDOW_SAMPLES // 2), frame_length=WINDOW_SAMPLES, hop_length=HOP_SAMPLES
    )
    energy = 10 * np.log10(np.maximum(np.sum(frames**2, axis=0), 1e-10))
    n = min(log_mel.shape[1], len(energy))
    return np.vstack([log_mel[:, :n], energy[None, :n]])


def utterance_features(audio: FloatArray, kind: str) -> FloatArray:
    """[F, D] frame features: the static set with librosa's delta and delta-delta."""
    static = static_features(audio, kind)
    width = min(9, static.shape[1] - (1 - static.shape[1] % 2))
    if width < 3:
        raise CorpusError(f"audio of {len(audio)} samples: too short for delta features")
    full = np.vstack(
        [
            static,
            librosa.feature.delta(static, width=width),
            librosa.feature.delta(static, order=2, width=width),
        ]
    )
    return np.ascontiguousarray(full.T)


def extract_split(
    utterances: tuple[Utterance, ...], kind: str, progress: bool = False
) -> SplitFeatures:
    """Raw (un-normalised) features and 61-class frame labels of every utterance."""
    xs, ys, offsets = [], [], [0]
    iterator = utterances
    if progress:
        from tqdm import tqdm

        iterator = tqdm(utterances, desc=f"features {kind}", unit="utt", leave=False)
    for utt in iterator:
        audio = read_audio(utt)
        labels = frame_labels(read_phn(utt.phn, len(audio)))
        feats = utterance_features(audio, kind)
        n = min(len(labels), len(feats))
        xs.append(feats[:n])
        ys.append(labels[:n])
        offsets.append(offsets[-1] + n)
    return SplitFeatures(
        np.concatenate(xs), np.concatenate(ys), np.array(offsets), tuple(u.uid for u in utterances)
    )


def split_key(utterances: tuple[Utterance, ...], settings: FeatureSettings) -> str:
    """Content hash of a split's audio and phone files and the feature settings."""
    digest = hashlib.sha256(sha256_json(asdict(settings)).encode())
    digest.update(b"features-v1")
    for u in utterances:
        digest.update(f"{u.uid}:{sha256_file(u.audio)}:{sha256_file(u.phn)}".encode())
    return digest.hexdigest()[:20]


def load_split(
    utterances: tuple[Utterance, ...],
    settings: FeatureSettings,
    cache_dir: Path | None,
    progress: bool = False,
) -> SplitFeatures:
    """``extract_split`` through the cache (written atomically; None = no cache)."""
    settings.validate()
    if cache_dir is None:
        return extract_split(utterances, settings.kind, progress)
    path = Path(cache_dir) / f"{settings.kind}-{split_key(utterances, settings)}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                return SplitFeatures(
                    data["x"], data["labels"], data["offsets"], tuple(str(u) for u in data["uids"])
                )
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # a damaged cache entry is recomputed
    feats = extract_split(utterances, settings.kind, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.npz")
    try:
        np.savez(
            tmp, x=feats.x, labels=feats.labels, offsets=feats.offsets, uids=np.array(feats.uids)
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return feats


@dataclass(frozen=True)
class Normaliser:
    """Per-dimension mean and standard deviation of the training frames."""

    mean: FloatArray
    std: FloatArray

    @classmethod
    def fit(cls, train: SplitFeatures) -> Normaliser:
        std = train.x.std(axis=0)
        return cls(train.x.mean(axis=0), np.where(std > 0, std, 1.0))

    def apply(self, feats: SplitFeatures) -> SplitFeatures:
        return SplitFeatures(
            (feats.x - self.mean) / self.std, feats.labels, feats.offsets, feats.uids
        )
