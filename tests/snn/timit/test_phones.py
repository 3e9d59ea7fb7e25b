"""The 61 -> 39 folding table (Lee & Hon 1989)."""

from __future__ import annotations

import numpy as np

from snn.timit.phones import UNSCORED, classes39, fold39, fold_index, phones61


def test_61_labels_fold_into_39_classes() -> None:
    assert len(phones61()) == 61 == len(set(phones61()))
    assert len(classes39()) == 39
    fold = fold39()
    assert set(fold) == set(phones61())
    assert set(fold.values()) - {UNSCORED} == set(classes39())


def test_the_standard_foldings() -> None:
    fold = fold39()
    for closure in ("bcl", "dcl", "gcl", "pcl", "tcl", "kcl", "h#", "pau", "epi"):
        assert fold[closure] == "sil"
    pairs = {
        "ao": "aa",
        "ax": "ah",
        "ax-h": "ah",
        "axr": "er",
        "hv": "hh",
        "ix": "ih",
        "el": "l",
        "em": "m",
        "en": "n",
        "nx": "n",
        "eng": "ng",
        "zh": "sh",
        "ux": "uw",
    }
    for phone, cls in pairs.items():
        assert fold[phone] == cls
    assert fold["q"] == UNSCORED
    # 39 classes: everything else folds onto itself
    identity = (
        set(phones61())
        - set(pairs)
        - {"bcl", "dcl", "gcl", "pcl", "tcl", "kcl", "h#", "pau", "epi", "q"}
    )
    assert all(fold[p] == p for p in identity)
    assert len(identity) == 38  # + sil = 39


def test_fold_index_maps_to_class_positions() -> None:
    idx = fold_index()
    assert idx.shape == (61,)
    names = classes39()
    for k, phone in enumerate(phones61()):
        assert (idx[k] == -1) if phone == "q" else names[idx[k]] == fold39()[phone]
    assert np.array_equal(np.unique(idx[idx >= 0]), np.arange(39))
