"""The model card: the only thing ``snn/`` reads about a device. JSON, schema-versioned,
validated on read with messages that name the field.

Schema version 1 (this file is its definition):

    schema_version: 1
    kind: "neohebb.model_card"
    thermal:
      tau_s: [K]                              shared poles [s], ascending, > 0
      residues_k_per_w: [probe][heater][K]    Foster residues [K/W]
      probes: [names], heaters: [names]
      fit_max_rel_error: float                max |Z_fit - Z_FE| / R_self
      cauer_self: {heater, r_k_per_w: [n], c_j_per_k: [n], fit_max_rel_error} | null
    derived: {...}                            figures for designers (see devicefit.stage)
    switching: {equation, parameters, units, std, rms_rel_residual, source, linearity}
    variability: {d2d_sigma_ln_rate, c2c_sigma_rel, stuck_fraction, note}
    provenance: {device_sha256, thermal, fit, package_version, created_utc}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from devicefit.foster import FosterNetwork

if TYPE_CHECKING:
    from devicefit.switching import SwitchingModel

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = (1,)


class CardError(ValueError):
    """A model card (or the fit stage's input) is invalid; the message names the field."""


def network_from_card(card: dict[str, Any]) -> FosterNetwork:
    """The thermal Foster network of a validated card."""
    th = card["thermal"]
    return FosterNetwork(
        np.array(th["tau_s"], dtype=float),
        np.array(th["residues_k_per_w"], dtype=float),
        tuple(th["probes"]),
        tuple(th["heaters"]),
    )


def switching_from_card(card: dict[str, Any]) -> SwitchingModel:
    """The switching model of a card (its ``switching.parameters``)."""
    from devicefit.switching import SwitchingModel

    return SwitchingModel(**{k: float(v) for k, v in card["switching"]["parameters"].items()})


def read_card(path: str | Path) -> dict[str, Any]:
    """Read and validate a model card; raises ``CardError`` naming the bad field."""
    p = Path(path)
    if not p.is_file():
        raise CardError(f"{p}: model card not found")
    try:
        card = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise CardError(f"{p}: not valid JSON ({exc})") from exc
    validate_card(card, where=str(p))
    return card


def validate_card(card: Any, *, where: str = "model card") -> None:
    """Check the structure and values of a card against schema version 1."""
    if not isinstance(card, dict):
        raise CardError(f"{where}: expected a JSON object")
    version = card.get("schema_version")
    if version not in SUPPORTED_VERSIONS:
        raise CardError(
            f"{where}: schema_version {version!r} is not supported "
            f"(this neohebb reads {SUPPORTED_VERSIONS})"
        )
    if card.get("kind") != "neohebb.model_card":
        raise CardError(f"{where}: kind must be 'neohebb.model_card'")
    for key in ("thermal", "provenance"):
        if not isinstance(card.get(key), dict):
            raise CardError(f"{where}: {key}: missing or not an object")
    th = card["thermal"]
    for key in ("tau_s", "residues_k_per_w", "probes", "heaters", "fit_max_rel_error"):
        if key not in th:
            raise CardError(f"{where}: thermal.{key}: missing")
    tau = _numbers(th["tau_s"], f"{where}: thermal.tau_s")
    if tau.ndim != 1 or len(tau) == 0 or np.any(tau <= 0) or np.any(np.diff(tau) <= 0):
        raise CardError(
            f"{where}: thermal.tau_s: must be a non-empty ascending list of positive times [s]"
        )
    residues = _numbers(th["residues_k_per_w"], f"{where}: thermal.residues_k_per_w")
    for key in ("probes", "heaters"):
        if not (isinstance(th[key], list) and th[key] and all(isinstance(n, str) for n in th[key])):
            raise CardError(f"{where}: thermal.{key}: must be a non-empty list of names")
    expected = (len(th["probes"]), len(th["heaters"]), len(tau))
    if residues.shape != expected:
        raise CardError(
            f"{where}: thermal.residues_k_per_w: shape {residues.shape}, expected "
            f"[probe][heater][pole] = {list(expected)}"
        )
    sw = card.get("switching")
    if not isinstance(sw, dict) or not isinstance(sw.get("parameters"), dict):
        raise CardError(f"{where}: switching.parameters: missing or not an object")
    try:
        switching_from_card(card)
    except (TypeError, ValueError) as exc:
        raise CardError(f"{where}: switching.parameters: {exc}") from exc
    err = th["fit_max_rel_error"]
    if not isinstance(err, int | float) or not math.isfinite(err) or err < 0:
        raise CardError(f"{where}: thermal.fit_max_rel_error: must be a number >= 0")


def _numbers(value: Any, where: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise CardError(f"{where}: must be (nested lists of) numbers") from exc
    if not np.all(np.isfinite(arr)):
        raise CardError(f"{where}: contains a non-finite value")
    return arr
