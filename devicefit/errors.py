"""The fit stage's error types (one module, imported by every devicefit module)."""

from __future__ import annotations

from meshes.files import StageError


class CardError(StageError):
    """A model card, or the fit stage's input, is invalid; the message names the field."""


class FitError(CardError):
    """The data cannot be fitted as asked (bad shapes, non-finite values, no convergence)."""
