"""A TIMIT-format corpus made here with a speech synthesiser (Festival, Debian's packages).

What it writes is laid out and encoded as LDC TIMIT is, so that it goes through the very
reader that reads a user's TIMIT (``snn.timit.corpus``):

    ROOT/TRAIN|TEST/DR<d>/<SPEAKER>/<UTT>.WAV|.PHN|.WRD|.TXT

* WAV: NIST SPHERE, 1024-byte header, 16 kHz 16-bit little-endian PCM (libsndfile writes it);
* PHN / WRD: ``start end label`` in samples; TXT: ``0 n_samples sentence``;
* speakers: TIMIT-style ids (sex letter, three letters, a digit), spread over DR1..DR8;
  TRAIN and TEST hold different speakers; each speaker reads SA1 and SA2 (one shared pair of
  sentences, left out by the reader as TIMIT's SA are), SX sentences that several speakers
  share and SI sentences of their own.

A "speaker" is one of Festival's US English voices (``kal_diphone``, ``ked_diphone``: male;
``cmu_us_slt_arctic_hts``: female) with its own pitch (mean and range of F0, diphone voices),
speaking rate (Festival's ``Duration_Stretch``), vocal-tract scale (the waveform resampled by a
factor alpha, which scales every frequency by alpha and every time by 1 / alpha) and a
background noise level. Festival reports each segment's phone (the ARPAbet-like ``radio``
set) and end time; ``festival_to_timit`` maps them onto the 61 TIMIT labels.

Everything here is SYNTHETIC speech: results on it are labelled "synthetic TIMIT-format
corpus", never "TIMIT". Sentences come from a small grammar of ordinary English words.

    python -m snn.timit.generate --out data/timit-synth --train-speakers 24 --test-speakers 8
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray
from scipy.signal import resample_poly

from meshes.files import StageError, staged_output
from snn.timit.corpus import SAMPLE_RATE_HZ

FloatArray = NDArray[np.float64]
VOICES = {
    "kal": ("voice_kal_diphone", "m"),
    "ked": ("voice_ked_diphone", "m"),
    "slt": ("voice_cmu_us_slt_arctic_hts", "f"),
}
DEBIAN_PACKAGES = ("festival", "festvox-kallpc16k", "festvox-kdlpc16k", "festvox-us-slt-hts")
STOPS = {"p": "pcl", "t": "tcl", "k": "kcl", "b": "bcl", "d": "dcl", "g": "gcl"}
AFFRICATES = {"ch": "tcl", "jh": "dcl"}
CLOSURE_FRACTION = 0.6  # share of a synthesised stop given to its closure


class GeneratorError(StageError):
    """The synthesiser is missing or failed; the message says what to install or which step."""


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker: voice, pitch [Hz], rate and vocal-tract scale, noise [dB SNR]."""

    sid: str  # upper-case TIMIT-style id, e.g. MKDA0
    part: str  # TRAIN or TEST
    dialect: int  # 1..8
    voice: str  # key of VOICES
    f0_mean_hz: float
    f0_std_hz: float
    duration_stretch: float
    tract_scale: float  # alpha: frequencies x alpha, times / alpha
    snr_db: float


# --- sentences ---------------------------------------------------------------------------

_DET = ("the", "a", "every", "that", "this", "one", "some")
_ADJ = (
    "small",
    "bright",
    "quiet",
    "heavy",
    "yellow",
    "old",
    "cold",
    "sharp",
    "green",
    "gentle",
    "broken",
    "clever",
    "busy",
    "dark",
    "warm",
    "thin",
    "rough",
    "plain",
    "lucky",
    "tired",
    "proud",
    "loud",
    "clean",
    "strange",
)
_NOUN = (
    "dog",
    "farmer",
    "teacher",
    "boat",
    "garden",
    "window",
    "river",
    "kitchen",
    "pilot",
    "doctor",
    "basket",
    "hammer",
    "village",
    "student",
    "bottle",
    "mountain",
    "letter",
    "engine",
    "shadow",
    "fisherman",
    "painter",
    "rabbit",
    "wagon",
    "table",
    "chicken",
    "judge",
    "market",
    "violin",
    "ladder",
    "pocket",
)
_VERB = (
    "found",
    "carried",
    "painted",
    "watched",
    "pushed",
    "followed",
    "cleaned",
    "opened",
    "dropped",
    "visited",
    "measured",
    "borrowed",
    "fixed",
    "chased",
    "dragged",
    "touched",
    "counted",
    "needed",
    "washed",
    "thanked",
)
_PREP = ("near", "behind", "under", "beside", "across", "through", "inside", "past")
_ADV = ("slowly", "quickly", "often", "never", "gladly", "rarely", "yesterday", "again")
SA_SENTENCES = (
    "The thick fog rolled over the harbor before dawn.",
    "Bring the heavy boxes up to the attic for her.",
)


def _noun_phrase(rng: np.random.Generator) -> str:
    words = [str(rng.choice(_DET))]
    if rng.random() < 0.7:
        words.append(str(rng.choice(_ADJ)))
    words.append(str(rng.choice(_NOUN)))
    return " ".join(words)


def make_sentence(rng: np.random.Generator) -> str:
    """One sentence of the grammar: NP [ADV] VERB NP [PREP NP]."""
    words = [_noun_phrase(rng)]
    if rng.random() < 0.3:
        words.append(str(rng.choice(_ADV)))
    words += [str(rng.choice(_VERB)), _noun_phrase(rng)]
    if rng.random() < 0.6:
        words += [str(rng.choice(_PREP)), _noun_phrase(rng)]
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


# --- phones -------------------------------------------------------------------------------


def festival_to_timit(segments: Sequence[tuple[str, float]]) -> list[tuple[str, float, float]]:
    """Festival (phone, end time [s]) segments -> TIMIT (label, start [s], end [s]).

    pau/h#/brth at the start or end -> ``h#``, inside -> ``pau``; a stop becomes closure +
    release (``pcl p``, ..., ``CLOSURE_FRACTION`` of its time to the closure), an affricate
    ``tcl ch`` / ``dcl jh``; every other radio phone is the TIMIT label of the same name.
    """
    out: list[tuple[str, float, float]] = []
    start = 0.0
    last = len(segments) - 1
    for i, (phone, end) in enumerate(segments):
        if end <= start:
            continue  # a zero-length segment: nothing to label
        if phone in ("pau", "h#", "brth"):
            label = "h#" if i in (0, last) else "pau"
            if out and out[-1][0] == label:
                out[-1] = (label, out[-1][1], end)
            else:
                out.append((label, start, end))
        elif phone in STOPS or phone in AFFRICATES:
            closure = STOPS.get(phone) or AFFRICATES[phone]
            split = start + CLOSURE_FRACTION * (end - start)
            out += [(closure, start, split), (phone, split, end)]
        else:
            out.append((phone, start, end))
        start = end
    return out


# --- synthesis ----------------------------------------------------------------------------


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _speaker_script(speaker: Speaker, sentences: Sequence[str], wav_dir: Path) -> str:
    """A Festival script that synthesises ``sentences`` and prints their segments and words."""
    voice_fn, _ = VOICES[speaker.voice]
    lines = [
        f"({voice_fn})",
        f"(Parameter.set 'Duration_Stretch {speaker.duration_stretch:.4f})",
    ]
    if speaker.voice != "slt":  # the diphone voices take their F0 targets from int_lr_params
        lines.append(
            "(set! int_lr_params '((target_f0_mean "
            f"{speaker.f0_mean_hz:.1f}) (target_f0_std {speaker.f0_std_hz:.1f}) "
            "(model_f0_mean 170) (model_f0_std 34)))"
        )
    for k, text in enumerate(sentences):
        wav = wav_dir / f"{k}.wav"
        lines += [
            f"(set! u (Utterance Text {_scheme_string(text)}))",
            "(utt.synth u)",
            f"(utt.wave.resample u {SAMPLE_RATE_HZ})",
            f"(utt.save.wave u {_scheme_string(str(wav))} 'riff)",
            f'(format t "UTT {k}\\n")',
            '(mapcar (lambda (s) (format t "S %s %f\\n" (item.name s) (item.feat s "end"))) '
            "(utt.relation.items u 'Segment))",
            '(mapcar (lambda (w) (format t "W %s %f %f\\n" (item.name w) '
            '(item.feat w "word_start") (item.feat w "word_end"))) '
            "(utt.relation.items u 'Word))",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Synthesised:
    audio: FloatArray  # at SAMPLE_RATE_HZ, before the speaker's tract scale
    segments: list[tuple[str, float]]  # Festival phone, end [s]
    words: list[tuple[str, float, float]]  # word, start [s], end [s]


def synthesise(speaker: Speaker, sentences: Sequence[str]) -> list[Synthesised]:
    """Run Festival once for all of a speaker's sentences."""
    festival = shutil.which("festival")
    if festival is None:
        raise GeneratorError(
            "festival: not installed; `make timit-corpus` installs it "
            f"(Debian: apt-get install {' '.join(DEBIAN_PACKAGES)})"
        )
    with tempfile.TemporaryDirectory(prefix="neohebb-festival-") as tmp:
        script = Path(tmp) / "speaker.scm"
        script.write_text(_speaker_script(speaker, sentences, Path(tmp)), "utf-8")
        proc = subprocess.run(
            [festival, "-b", str(script)], capture_output=True, text=True, check=False
        )
        parsed = _parse_festival(proc.stdout, len(sentences))
        if proc.returncode != 0 or parsed is None:
            raise GeneratorError(
                f"festival: voice {VOICES[speaker.voice][0]} failed for speaker {speaker.sid} "
                f"(exit {proc.returncode}): {proc.stderr.strip()[-300:] or 'no output'}; "
                f"is {DEBIAN_PACKAGES} installed?"
            )
        out = []
        for k, (segments, words) in enumerate(parsed):
            audio, rate = sf.read(Path(tmp) / f"{k}.wav", dtype="float64")
            if rate != SAMPLE_RATE_HZ:
                raise GeneratorError(f"festival: wrote {rate} Hz audio, expected {SAMPLE_RATE_HZ}")
            out.append(Synthesised(audio, segments, words))
    return out


def _parse_festival(
    stdout: str, n: int
) -> list[tuple[list[tuple[str, float]], list[tuple[str, float, float]]]] | None:
    utts: list[tuple[list[tuple[str, float]], list[tuple[str, float, float]]]] = []
    for line in stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "UTT":
            utts.append(([], []))
        elif parts[0] == "S" and utts and len(parts) == 3:
            utts[-1][0].append((parts[1], float(parts[2])))
        elif parts[0] == "W" and utts and len(parts) == 4:
            utts[-1][1].append((parts[1].lower(), float(parts[2]), float(parts[3])))
    if len(utts) != n or any(not segs for segs, _ in utts):
        return None
    return utts


# --- one speaker's files ------------------------------------------------------------------


def _scale(audio: FloatArray, alpha: float) -> FloatArray:
    """Resample so that every frequency scales by ``alpha`` and every time by 1 / alpha."""
    up = round(1000 / alpha)
    g = math.gcd(up, 1000)
    out: FloatArray = resample_poly(audio, up // g, 1000 // g)
    return out


def _samples(t_s: float, alpha: float, n: int) -> int:
    return min(round(t_s / alpha * SAMPLE_RATE_HZ), n)


def write_utterance(
    directory: Path,
    name: str,
    text: str,
    synth: Synthesised,
    speaker: Speaker,
    rng: np.random.Generator,
) -> None:
    """WAV (SPHERE), PHN, WRD and TXT of one utterance."""
    audio = _scale(synth.audio, speaker.tract_scale)
    rms = float(np.sqrt(np.mean(audio**2))) or 1.0
    audio = audio + rng.normal(0.0, rms * 10 ** (-speaker.snr_db / 20), audio.shape)
    audio = np.clip(audio / max(1.0, float(np.abs(audio).max()) / 0.95), -1.0, 1.0)
    n = len(audio)
    phones = festival_to_timit(synth.segments)
    bounds = [_samples(end, speaker.tract_scale, n) for _, _, end in phones]
    bounds[-1] = n  # the last segment ends with the audio
    lines, start = [], 0
    for (label, _, _), end in zip(phones, bounds, strict=True):
        if end > start:
            lines.append(f"{start} {end} {label}")
            start = end
    sf.write(
        directory / f"{name}.WAV",
        np.round(audio * 32767).astype(np.int16),
        SAMPLE_RATE_HZ,
        format="NIST",
        subtype="PCM_16",
    )
    (directory / f"{name}.PHN").write_text("\n".join(lines) + "\n", "ascii")
    words = [
        f"{_samples(s, speaker.tract_scale, n)} {_samples(e, speaker.tract_scale, n)} {w}"
        for w, s, e in synth.words
    ]
    (directory / f"{name}.WRD").write_text("\n".join(words) + "\n", "ascii")
    (directory / f"{name}.TXT").write_text(f"0 {n} {text}\n", "ascii")


# --- the corpus ---------------------------------------------------------------------------


def make_speakers(n_train: int, n_test: int, rng: np.random.Generator) -> list[Speaker]:
    """Speakers with distinct ids; voices rotate so each part has every voice when it can."""
    voices = list(VOICES)
    used: set[str] = set()
    out = []
    for k in range(n_train + n_test):
        part = "TRAIN" if k < n_train else "TEST"
        voice = voices[k % len(voices)]
        sex = VOICES[voice][1]
        while True:
            letters = "".join(chr(ord("A") + int(i)) for i in rng.integers(0, 26, 3))
            sid = f"{sex.upper()}{letters}{int(rng.integers(0, 10))}"
            if sid.lower() not in used:
                used.add(sid.lower())
                break
        male = sex == "m"
        out.append(
            Speaker(
                sid=sid,
                part=part,
                dialect=1 + k % 8,
                voice=voice,
                f0_mean_hz=float(rng.uniform(85, 135) if male else rng.uniform(170, 230)),
                f0_std_hz=float(rng.uniform(8, 22)),
                duration_stretch=float(rng.uniform(0.85, 1.2)),
                tract_scale=float(rng.uniform(0.92, 1.08)),
                snr_db=float(rng.uniform(25, 40)),
            )
        )
    return out


def generate_corpus(
    out_dir: str | Path,
    *,
    train_speakers: int = 24,
    test_speakers: int = 8,
    sx_per_speaker: int = 5,
    si_per_speaker: int = 3,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Write a TIMIT-format corpus to ``out_dir`` (atomically: all of it or nothing)."""
    for name, value, low in (
        ("train_speakers", train_speakers, 1),
        ("test_speakers", test_speakers, 1),
        ("sx_per_speaker", sx_per_speaker, 0),
        ("si_per_speaker", si_per_speaker, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise GeneratorError(f"{name}: must be an integer >= {low}, got {value!r}")
    if sx_per_speaker + si_per_speaker == 0:
        raise GeneratorError("sx_per_speaker, si_per_speaker: at least one utterance per speaker")
    rng = np.random.default_rng(seed)
    speakers = make_speakers(train_speakers, test_speakers, rng)
    # SX sentences: a pool each read by several speakers (TIMIT: 7 readers per SX sentence)
    pool = [make_sentence(rng) for _ in range(max(1, len(speakers) * sx_per_speaker // 7))]
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GeneratorError(f"{out}: exists and is not empty; choose a new corpus directory")
    with staged_output(out, error=GeneratorError) as tmp:
        iterator: Sequence[Speaker] = speakers
        if progress:
            from tqdm import tqdm

            iterator = tqdm(speakers, desc="timit-corpus", unit="speaker")
        for speaker in iterator:
            names, texts = ["SA1", "SA2"], list(SA_SENTENCES)
            for i in rng.choice(len(pool), size=sx_per_speaker, replace=len(pool) < sx_per_speaker):
                names.append(f"SX{int(i) + 3:d}")
                texts.append(pool[int(i)])
            for _ in range(si_per_speaker):
                names.append(f"SI{int(rng.integers(500, 2500)):d}")
                texts.append(make_sentence(rng))
            names = _unique(names)
            directory = tmp / speaker.part / f"DR{speaker.dialect}" / speaker.sid
            directory.mkdir(parents=True)
            for name, text, synth in zip(names, texts, synthesise(speaker, texts), strict=True):
                write_utterance(directory, name, text, synth, speaker, rng)
        _write_readme(tmp, speakers, seed)
    return out


def _unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        while name in seen:
            name = name[:2] + str(int(name[2:]) + 1)
        seen.add(name)
        out.append(name)
    return out


def _write_readme(root: Path, speakers: list[Speaker], seed: int) -> None:
    rows = "\n".join(
        f"{s.part:5s} DR{s.dialect} {s.sid}  {s.voice:3s}  F0 {s.f0_mean_hz:5.1f} Hz  "
        f"rate x{s.duration_stretch:.2f}  tract x{s.tract_scale:.3f}  SNR {s.snr_db:4.1f} dB"
        for s in speakers
    )
    (root / "README.txt").write_text(
        "SYNTHETIC TIMIT-format corpus made by neohebb (snn.timit.generate) with Festival.\n"
        "Not TIMIT: label every result on it 'synthetic TIMIT-format corpus'.\n"
        f"seed {seed}; speakers:\n{rows}\n",
        "utf-8",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="corpus directory to write")
    parser.add_argument("--train-speakers", type=int, default=24)
    parser.add_argument("--test-speakers", type=int, default=8)
    parser.add_argument("--sx", type=int, default=5, help="SX utterances per speaker")
    parser.add_argument("--si", type=int, default=3, help="SI utterances per speaker")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        path = generate_corpus(
            args.out,
            train_speakers=args.train_speakers,
            test_speakers=args.test_speakers,
            sx_per_speaker=args.sx,
            si_per_speaker=args.si,
            seed=args.seed,
        )
    except StageError as exc:
        print(f"neohebb timit-corpus: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
