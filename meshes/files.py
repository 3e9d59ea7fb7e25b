"""The file contract every stage shares: errors, crash-safe output, hashes, locks, records.

Stages talk through files, so a file must either be complete or absent, and a reader must be
able to tell whether the files beside it belong together:

* ``staged_output``: outputs are written into a temporary sibling directory and moved into
  place only when the stage has succeeded; a re-run stage removes the outputs of the stages
  after it (``STAGE_OUTPUTS``), which were computed from what it replaces.
* ``directory_lock``: one neohebb process writes a directory at a time.
* ``stage_record`` / ``check_record``: every stage's JSON output records the SHA-256 of the
  files it read and of the data files it wrote, and a key over its settings, inputs and code
  version; every reader checks them (``StaleError``), and ``neohebb run`` skips a stage whose
  key and outputs are unchanged.
* ``read_text``, ``read_json_object``, ``load_npz``: reading that turns every failure into the
  caller's stage error naming the file (never a traceback).

This module is the base of the stage packages (``meshes`` -> ``thermal`` -> ``devicefit`` ->
``snn``); it imports nothing of theirs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import tokenize
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np


class StageError(ValueError):
    """Bad input to a stage (spec, configuration, file): the message names the field or file.

    Every stage's error type derives from it; the CLI prints it as one line and exits 2.
    """


class StaleError(StageError):
    """A stage's inputs do not match what its outputs were computed from (or each other)."""


STAGE_OUTPUTS: dict[str, tuple[str, ...]] = {
    "mesh": ("device.msh", "device.json", "device.png"),
    "thermal": (
        "response.npz",
        "thermal.json",
        "fields.xdmf",
        "fields.h5",
        "thermal_Z.png",
        "thermal_map.png",
    ),
    "fit": ("model_card.json", "fit_thermal.png", "fit_switching.png"),
    "maze": ("maze",),
    "sweep": ("sweep",),
    "timit": ("timit",),
}
"""What each pipeline stage writes into a run directory, in pipeline order."""


def downstream_of(stage: str) -> tuple[str, ...]:
    """Names of every output of the stages after ``stage`` in ``STAGE_OUTPUTS``."""
    names = list(STAGE_OUTPUTS)
    return tuple(f for later in names[names.index(stage) + 1 :] for f in STAGE_OUTPUTS[later])


@cache
def code_version() -> str:
    """The package version and a hash of the stage packages' sources (meshes, thermal,
    devicefit, snn): an edited checkout is another code version, so cached stage results
    computed by other code are recomputed."""
    root = Path(__file__).resolve().parents[1]
    return f"{package_version()}+{source_digest(root, package_version())}"


def source_digest(root: Path, version: str) -> str:
    """sha256 (12 hex digits) of ``version`` and every .py file of the stage packages under
    ``root``, subpackages included, each with its relative path."""
    digest = hashlib.sha256(version.encode())
    for package in ("meshes", "thermal", "devicefit", "snn"):
        for source in sorted((root / package).rglob("*.py")):
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def package_version() -> str:
    """The installed neohebb version (the one source: the package metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neohebb")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


# --- hashes -------------------------------------------------------------------------------


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_json(data: Any) -> str:
    """Hex SHA-256 of ``data`` as canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --- stage records ------------------------------------------------------------------------


def stage_key(stage: str, settings: Any, inputs: Mapping[str, str]) -> str:
    """What a stage's result depends on: its name, settings, input hashes and code version."""
    return sha256_json(
        {"stage": stage, "settings": settings, "inputs": dict(inputs), "code": code_version()}
    )


def stage_record(
    stage: str,
    settings: Any,
    inputs: Mapping[str, str],
    outputs: Mapping[str, Path],
    pictures: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The ``stage`` block of a stage's JSON output.

    ``inputs``: file name -> SHA-256 of what the stage read; ``outputs``: file name -> path of
    each data file it wrote (hashed here); ``pictures``: the names of the pictures it drew
    (listed, not hashed: readers do not depend on them, a re-run that wants them does).
    """
    return {
        "name": stage,
        "code": code_version(),
        "key": stage_key(stage, settings, inputs),
        "inputs": dict(inputs),
        "outputs": {name: sha256_file(p) for name, p in outputs.items()},
        "pictures": sorted(pictures),
    }


def check_record(
    directory: Path,
    record: Any,
    where: Path,
    error: type[StageError] = StaleError,
    *,
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
) -> None:
    """Raise ``error`` unless ``record`` (the ``stage`` block of ``where``) is well formed,
    lists at least the ``inputs`` and ``outputs`` its reader relies on, and every file it
    lists is the one now in ``directory``."""
    files: dict[str, dict[str, str]] = {}
    for kind in ("inputs", "outputs"):
        value = record.get(kind) if isinstance(record, dict) else None
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
        if not ok:
            raise error(
                f"{where}: stage.{kind}: missing or malformed; re-run the stage that wrote it"
            )
        assert isinstance(value, dict)
        files[kind] = value
    for kind, required in (("inputs", inputs), ("outputs", outputs)):
        for name in required:
            if name not in files[kind]:
                raise error(f"{where}: stage.{kind}: no record of {name}; re-run the stage")
    stage = record.get("name", "?")
    for kind, listed in files.items():
        for name, digest in listed.items():
            path = directory / name
            if not path.is_file():
                raise error(f"{path}: missing, but {where.name} lists it among its {kind}")
            if sha256_file(path) != digest:
                raise error(
                    f"{path}: changed since `neohebb {stage}` wrote {where.name} (stale or "
                    f"mixed files); re-run `neohebb {stage}`"
                )


def record_is_current(
    directory: Path, manifest: str, key: str, *, pictures: tuple[str, ...] = ()
) -> bool:
    """Whether ``directory/manifest`` was written with ``key``, its record still checks, and
    it drew ``pictures`` (which are still there)."""
    path = directory / manifest
    try:
        record = json.loads(path.read_text(encoding="utf-8"))["stage"]
        if not isinstance(record, dict) or record.get("key") != key:
            return False
        drawn = record.get("pictures", [])
        if any(p not in drawn or not (directory / p).is_file() for p in pictures):
            return False
        check_record(directory, record, path)
    except (OSError, ValueError, KeyError, TypeError):  # StageError is a ValueError
        return False
    return True


# --- reading ------------------------------------------------------------------------------


def read_text(path: Path, error: type[StageError], what: str = "file") -> str:
    """A UTF-8 text file (a leading byte-order mark is dropped); failures name the file."""
    if path.is_dir():
        raise error(f"{path}: is a directory, expected a {what}")
    if not path.is_file():
        raise error(f"{path}: {what} not found")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}); is it the right file?") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None


def read_json_object(
    path: Path, error: type[StageError], what: str = "JSON file"
) -> dict[str, Any]:
    """A JSON file holding an object; failures name the file."""
    text = read_text(path, error, what)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def load_npz(path: Path, error: type[StageError]) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` (no pickles); a missing or corrupt file names the file."""
    if not path.is_file():
        raise error(f"{path}: missing")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (
        OSError,
        ValueError,
        TypeError,
        EOFError,
        zipfile.BadZipFile,
        tokenize.TokenError,
    ) as exc:
        # a damaged array header reaches numpy's header parser (the tokenizer) unchecked
        raise error(f"{path}: not a readable .npz archive ({exc})") from None


def read_cached_record(path: Path) -> dict[str, Any] | None:
    """A cached run's JSON object, or None when it is absent, unreadable or not an object
    (the caller then computes it again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- writing ------------------------------------------------------------------------------


_HELD: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth), re-entrant per process


@contextmanager
def directory_lock(out_dir: str | Path, error: type[StageError] = StageError) -> Iterator[None]:
    """Hold the write lock of ``out_dir``: an ``flock`` on ``.NAME.lock`` beside it, removed
    again on release.

    A second process that asks for it fails at once with ``error``, naming the directory and
    the holder's pid; the same process may take it again (the pipeline, then its stages).
    """
    out = Path(out_dir).resolve()
    lock = out.parent / f".{out.name}.lock"
    if lock in _HELD:
        fd, depth = _HELD[lock]
        _HELD[lock] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _HELD[lock]
            _HELD[lock] = (fd, depth - 1)
        return
    fd = _acquire(lock, out, error)
    _HELD[lock] = (fd, 1)
    try:
        yield
    finally:
        del _HELD[lock]
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()  # before unlocking: a waiter re-checks that it locked the live file
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _acquire(lock: Path, out: Path, error: type[StageError]) -> int:
    """Lock ``lock`` (created if need be) without waiting; the descriptor of the locked file."""
    while True:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise error(f"{out}: cannot create its lock file {lock} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise error(
                f"{out}: in use by another neohebb process (pid {holder}); wait for it to "
                "finish or write elsewhere"
            ) from None
        try:
            live = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            live = False
        if live:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            return fd
        os.close(fd)  # the holder removed the file between our open and our lock: again


def check_output_dir(out_dir: str | Path, error: type[StageError] = StageError) -> Path:
    """Refuse, before any work, an output path that is an existing file or whose parent is
    not a writable directory; returns the resolved path."""
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise error(f"{out}: exists and is not a directory; choose another output directory")
    parent = next((p for p in out.parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise error(f"{out}: cannot be created ({parent} is not a writable directory)")
    return out


@contextmanager
def staged_output(
    out_dir: str | Path, *, stage: str | None = None, error: type[StageError] = StageError
) -> Iterator[Path]:
    """Yield a scratch directory; on success move its files into ``out_dir``, else delete it.

    A new ``out_dir`` appears whole by one rename. Into an existing ``out_dir`` (later stages
    add their files beside the earlier ones) each file is moved by an atomic ``os.replace``, so
    no reader ever sees a truncated file, and a stage that fails or is interrupted before its
    final moves changes nothing (interrupted during them, the stage records reveal the mix).
    With ``stage`` (a key of ``STAGE_OUTPUTS``) the outputs of the later stages are removed
    from ``out_dir`` first: they were computed from what this stage replaces.
    The directory lock is held throughout; scratch directories that a killed run left beside
    ``out_dir`` are removed (nobody else can be writing them while we hold the lock).
    """
    out = check_output_dir(out_dir, error)
    with directory_lock(out, error):
        for old in out.parent.glob(f".{out.name}.tmp-*"):
            shutil.rmtree(old, ignore_errors=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        scratch.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; outputs get the usual mode
        try:
            yield scratch
            if stage is not None and out.is_dir():
                for name in downstream_of(stage):
                    target = out / name
                    if target.is_dir():
                        shutil.rmtree(target)
                    elif target.exists():
                        target.unlink()
            if not out.exists():
                os.rename(scratch, out)
                return
            for item in sorted(scratch.iterdir()):
                target = out / item.name
                if item.is_dir() and target.exists():
                    shutil.rmtree(target)
                os.replace(item, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON (inside a staged directory, so already crash-safe)."""
    Path(path).write_text(json.dumps(data, indent=2, default=_jsonable) + "\n", encoding="utf-8")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write one JSON file atomically (temporary sibling + ``os.replace``)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write_json(tmp, data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
