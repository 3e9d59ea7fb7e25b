"""File-contract helpers shared by every stage: staged (crash-safe) output and content hashes.

Stages talk through files, so a file must either be complete or absent: outputs are written
into a temporary sibling directory and moved into place only when the stage has succeeded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Yield a scratch directory; on success move its files into ``out_dir``, else delete it.

    A new ``out_dir`` appears whole by one rename. Into an existing ``out_dir`` (later stages
    add their files beside the earlier ones) each file is moved by an atomic ``os.replace``, so
    no reader ever sees a truncated file, and a failed or interrupted stage changes nothing.
    """
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield scratch
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    if not out.exists():
        os.rename(scratch, out)
        return
    for item in sorted(scratch.iterdir()):
        target = out / item.name
        if item.is_dir() and target.exists():
            shutil.rmtree(target)
        os.replace(item, target)
    shutil.rmtree(scratch, ignore_errors=True)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON (inside a staged directory, so already crash-safe)."""
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
