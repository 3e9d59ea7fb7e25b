from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "timit_fixture"


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the committed fixture corpus (5 TRAIN + 2 TEST speakers)."""
    out = tmp_path / "corpus"
    shutil.copytree(FIXTURE, out)
    return out
