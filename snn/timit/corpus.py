"""Reading a TIMIT-format corpus: the LDC layout, its splits, audio and phone labels.

Layout (LDC93S1): ``TRAIN|TEST / DR1..DR8 / <speaker> / <utterance>.{WAV,PHN,WRD,TXT}``,
upper- or lower-case. Audio is 16 kHz 16-bit, NIST SPHERE (the LDC files) or RIFF, read with
libsndfile (``soundfile``), which reads both. PHN lines are ``start end label`` in samples; the
segments must tile the audio: the first starts at 0, each starts where the last ended, the last
ends within one frame hop of the end of the audio and never after it.

Splits (docs/learning.md): SA utterances are left out everywhere. ``train`` = every TRAIN
speaker. With ``test_set="core"`` the test split is the 24 core-test speakers and ``dev`` the 50
development speakers of TEST (the lists in ``snn/timit/data``, as published with Kaldi's
``egs/timit`` recipe). A corpus whose TEST holds none of the LDC speakers (the generated one,
other TIMIT-format sets) uses ``test_set="all"``: every TEST speaker, no dev split. ``auto``
takes ``core`` when TEST has any core-test speaker (and then needs all 24), else ``all``.

A tree that deviates is refused with ``CorpusError`` naming the file, before anything is
computed from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

from meshes.files import StageError
from snn.timit.phones import phones61

SAMPLE_RATE_HZ = 16000
HOP_SAMPLES = 160  # 10 ms frame hop at 16 kHz
TEST_SETS = ("auto", "core", "all")
AUDIO_SUFFIXES = (".wav",)
_SPEAKER = re.compile(r"^[fm][a-z]{3}\d$")
_DIALECT = re.compile(r"^dr[1-8]$")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class CorpusError(StageError):
    """A corpus tree or file that is not TIMIT format; the message names the file."""


@dataclass(frozen=True)
class Utterance:
    """One utterance's files; ``speaker``, ``name`` and ``dialect`` are lower-case."""

    part: str  # "train" or "test": the directory it sits in
    dialect: str
    speaker: str
    name: str
    audio: Path
    phn: Path

    @property
    def uid(self) -> str:
        return f"{self.part}/{self.dialect}/{self.speaker}/{self.name}"


@dataclass(frozen=True)
class Segment:
    start: int  # [samples]
    end: int
    label: str


@dataclass(frozen=True)
class Corpus:
    """The utterances of each split and which test set was used."""

    root: Path
    test_set: str  # "core" or "all"
    splits: dict[str, tuple[Utterance, ...]]  # "train", "test", and "dev" for core


@cache
def speaker_list(name: str) -> frozenset[str]:
    """A speaker list of ``snn/timit/data`` (``core_test`` or ``dev``)."""
    text = resources.files("snn.timit").joinpath(f"data/{name}_spk.list").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def _child_dirs(path: Path) -> dict[str, Path]:
    """Sub-directories by lower-case name; two names differing only by case are refused."""
    out: dict[str, Path] = {}
    for child in sorted(path.iterdir()):
        if child.is_dir():
            key = child.name.lower()
            if key in out:
                raise CorpusError(
                    f"{child}: {out[key].name!r} and {child.name!r} differ only by case"
                )
            out[key] = child
    return out


def scan_corpus(root: str | Path) -> list[Utterance]:
    """Every non-SA utterance of ``root``'s TRAIN and TEST trees, sorted by ``uid``."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"{root}: no such corpus directory")
    tops = _child_dirs(root)
    missing = [p for p in ("train", "test") if p not in tops]
    if missing:
        raise CorpusError(
            f"{root}: no {' or '.join(m.upper() for m in missing)} directory "
            "(a TIMIT-format corpus has TRAIN/ and TEST/)"
        )
    out: list[Utterance] = []
    for part in ("train", "test"):
        for dialect, ddir in _child_dirs(tops[part]).items():
            if not _DIALECT.match(dialect):
                raise CorpusError(f"{ddir}: expected dialect directories DR1..DR8")
            for speaker, sdir in _child_dirs(ddir).items():
                if not _SPEAKER.match(speaker):
                    raise CorpusError(
                        f"{sdir}: not a TIMIT speaker id (sex letter f/m, three letters, a digit)"
                    )
                out.extend(_speaker_utterances(part, dialect, speaker, sdir))
    if not any(u.part == "train" for u in out):
        raise CorpusError(f"{tops['train']}: no utterances")
    if not any(u.part == "test" for u in out):
        raise CorpusError(f"{tops['test']}: no utterances")
    return sorted(out, key=lambda u: u.uid)


def _speaker_utterances(part: str, dialect: str, speaker: str, sdir: Path) -> list[Utterance]:
    files: dict[tuple[str, str], Path] = {}
    for f in sdir.iterdir():
        if f.is_file():
            files[(f.stem.lower(), f.suffix.lower())] = f
    out = []
    for (stem, suffix), audio in sorted(files.items()):
        if suffix not in AUDIO_SUFFIXES or stem.startswith("sa"):
            continue
        phn = files.get((stem, ".phn"))
        if phn is None:
            raise CorpusError(f"{audio}: no phone file {audio.with_suffix('.PHN').name} beside it")
        out.append(Utterance(part, dialect, speaker, stem, audio, phn))
    for (stem, suffix), f in files.items():
        if suffix == ".phn" and (stem, ".wav") not in files:
            raise CorpusError(f"{f}: no audio file {f.with_suffix('.WAV').name} beside it")
    return out


def split_corpus(root: str | Path, test_set: str = "auto") -> Corpus:
    """The standard splits of ``root`` (module docstring)."""
    if test_set not in TEST_SETS:
        raise CorpusError(f"test_set: {test_set!r} is not one of {TEST_SETS}")
    utterances = scan_corpus(root)
    test_speakers = {u.speaker for u in utterances if u.part == "test"}
    core, dev = speaker_list("core_test"), speaker_list("dev")
    if test_set == "auto":
        test_set = "core" if test_speakers & core else "all"
    train = tuple(u for u in utterances if u.part == "train")
    test = [u for u in utterances if u.part == "test"]
    if test_set == "all":
        return Corpus(Path(root), "all", {"train": train, "test": tuple(test)})
    lacking = sorted(core - test_speakers)
    if lacking:
        raise CorpusError(
            f"{root}: TEST lacks {len(lacking)} of the 24 core-test speakers "
            f"({', '.join(lacking[:5])}{', ...' if len(lacking) > 5 else ''}); "
            "for a corpus that is not LDC TIMIT use --test-set all"
        )
    return Corpus(
        Path(root),
        "core",
        {
            "train": train,
            "test": tuple(u for u in test if u.speaker in core),
            "dev": tuple(u for u in test if u.speaker in dev),
        },
    )


def read_audio(utt: Utterance) -> FloatArray:
    """The waveform in [-1, 1), checked to be 16 kHz mono."""
    try:
        data, rate = sf.read(utt.audio, dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise CorpusError(f"{utt.audio}: not readable audio ({exc})") from None
    _check_format(utt.audio, rate, data.shape[1])
    out: FloatArray = data[:, 0]
    return out


def _check_format(path: Path, rate: int, channels: int) -> None:
    if rate != SAMPLE_RATE_HZ:
        raise CorpusError(f"{path}: sample rate {rate} Hz, TIMIT is {SAMPLE_RATE_HZ} Hz")
    if channels != 1:
        raise CorpusError(f"{path}: {channels} channels, TIMIT is mono")


def read_phn(path: Path, n_samples: int) -> list[Segment]:
    """The PHN segments of an utterance of ``n_samples`` samples, checked to tile it."""
    try:
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: not a readable ASCII phone file ({exc})") from None
    known = set(phones61())
    segments: list[Segment] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
            raise CorpusError(f"{path}:{number}: expected 'start end phone', got {line!r}")
        start, end, label = int(parts[0]), int(parts[1]), parts[2].lower()
        if label not in known:
            raise CorpusError(
                f"{path}:{number}: unknown phone {parts[2]!r} (not one of TIMIT's 61)"
            )
        expected = segments[-1].end if segments else 0
        if start != expected:
            what = "gap" if start > expected else "overlap"
            raise CorpusError(
                f"{path}:{number}: segment starts at sample {start}, the previous ended at "
                f"{expected} (a {what}: the segments must tile the audio)"
            )
        if end <= start:
            raise CorpusError(
                f"{path}:{number}: segment ends at {end}, not after its start {start}"
            )
        segments.append(Segment(start, end, label))
    if not segments:
        raise CorpusError(f"{path}: no phone segments")
    last = segments[-1].end
    if last > n_samples or last < n_samples - HOP_SAMPLES:
        raise CorpusError(
            f"{path}: the segments end at sample {last}, the audio has {n_samples} samples "
            f"(they must cover it to within one {HOP_SAMPLES}-sample hop)"
        )
    return segments


def n_frames(n_samples: int) -> int:
    """Frames of a 10 ms hop whose centre k * hop lies inside the labelled audio."""
    return 1 + (n_samples - 1) // HOP_SAMPLES


def frame_labels(segments: list[Segment]) -> IntArray:
    """61-class index of each 10 ms frame: the phone at the frame's centre sample k * hop."""
    index = {p: i for i, p in enumerate(phones61())}
    ends = np.array([s.end for s in segments])
    labels = np.array([index[s.label] for s in segments])
    centres = np.arange(n_frames(segments[-1].end)) * HOP_SAMPLES
    out: IntArray = labels[np.searchsorted(ends, centres, side="right")]
    return out


def audio_samples(utt: Utterance) -> int:
    """Number of samples of an utterance's audio (header only), checked like ``read_audio``."""
    try:
        info = sf.info(utt.audio)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise CorpusError(f"{utt.audio}: not readable audio ({exc})") from None
    _check_format(utt.audio, info.samplerate, info.channels)
    return int(info.frames)


def describe(corpus: Corpus) -> dict[str, dict[str, int]]:
    """Per split: speakers, utterances, 10 ms frames and phone segments (every file checked)."""
    out = {}
    for name, utts in corpus.splits.items():
        frames = phones = 0
        for u in utts:
            segments = read_phn(u.phn, audio_samples(u))
            frames += n_frames(segments[-1].end)
            phones += len(segments)
        out[name] = {
            "speakers": len({u.speaker for u in utts}),
            "utterances": len(utts),
            "frames": frames,
            "phones": phones,
        }
    return out
