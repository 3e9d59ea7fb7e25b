"""Frame-wise phone recognition on TIMIT-format corpora (docs/learning.md).

``corpus`` reads the LDC layout and its splits, ``phones`` holds the 61 -> 39 folding,
``features`` the librosa features and their cache, ``generate`` writes a synthetic
TIMIT-format corpus with Festival.
"""
