"""The 61 TIMIT phone labels and their folding into the 39 scoring classes.

The table lives in ``snn/timit/data/phones.61-39.tsv`` (Lee & Hon 1989, the same folding as
Kaldi's ``egs/timit`` map): closures, pauses and ``h#`` fold into ``sil``, ``ao`` into ``aa``,
``ix`` into ``ih`` and so on. The glottal stop ``q`` is trained as a class of its own and left
out of the 39-class score (marked ``-``); docs/learning.md gives the reasons.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray

UNSCORED = "-"
IntArray = NDArray[np.int64]


@cache
def _table() -> tuple[tuple[str, str], ...]:
    text = resources.files("snn.timit").joinpath("data/phones.61-39.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return tuple((a, b) for a, b in rows[1:])


def phones61() -> tuple[str, ...]:
    """The 61 labels in the table's order (the class index of training)."""
    return tuple(a for a, _ in _table())


def classes39() -> tuple[str, ...]:
    """The 39 scoring classes, sorted."""
    return tuple(sorted({b for _, b in _table() if b != UNSCORED}))


def fold39() -> dict[str, str]:
    """61-label -> 39-class (``UNSCORED`` for q)."""
    return dict(_table())


def fold_index() -> IntArray:
    """fold_index()[k] = the 39-class index of 61-label k, or -1 where it is not scored."""
    classes = {c: i for i, c in enumerate(classes39())}
    return np.array([classes.get(b, -1) for _, b in _table()], dtype=np.int64)
