"""The model card: the only thing ``snn/`` reads about a device. JSON, schema-versioned, parsed
and validated once at the edge into a typed, frozen ``ModelCard``.

The format is published as a JSON Schema (``devicefit/model_card.schema.json``, also at
``docs/model_card.schema.json``) so other tools can validate a card; ``card_from_json`` checks
it with the ``jsonschema`` library, then checks what a schema cannot state (every number
finite, array shapes agree, probes and heaters name the cells row-major, g_min < g_max).
A card that passes never fails later for a missing or malformed field.

Schema version 2: ``geometry`` (rows, cols, pitch), ``thermal`` (T_ambient, shared poles,
residues [probe][heater][pole], fit error, Cauer ladder, model-order-reduction route),
``derived`` (designer figures), ``switching`` (model, parameters, uncertainties, source,
synthetic flag), ``variability``, ``provenance`` and ``stage`` (input hashes). Version 1 cards
(neohebb <= 0.1 before this schema) lack the geometry and T_ambient: re-run ``neohebb fit``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from devicefit.errors import CardError
from devicefit.switching import SwitchingModel, check_switching_model
from meshes.cells import Cell, array_cells, centre_cell
from meshes.files import sha256_json
from thermal.heater import OperatingPoint
from thermal.modal import FosterNetwork

SCHEMA_VERSION = 2
KIND = "neohebb.model_card"


@dataclass(frozen=True)
class CardGeometry:
    """The cell array the card describes."""

    rows: int
    cols: int
    pitch_m: float
    boundary: str = "adiabatic"  # "periodic": one tile of an infinite array (meshes.spec.Array)

    def cells(self) -> list[Cell]:
        return array_cells(self.rows, self.cols)

    def centre(self) -> Cell:
        return centre_cell(self.rows, self.cols)


@dataclass(frozen=True)
class CauerLadder:
    """Cauer ladder of one heater's self term (R_i [K/W], C_i [J/K] from the heater node)."""

    heater: str
    r_k_per_w: tuple[float, ...]
    c_j_per_k: tuple[float, ...]
    fit_max_rel_error: float


@dataclass(frozen=True)
class CardThermal:
    """Compact thermal model: a shared-pole Foster network and how well it fits."""

    network: FosterNetwork
    t_ambient_k: float
    fit_max_rel_error: float
    self_residues_signed: bool
    impulse_nonnegative: bool
    cauer_self: CauerLadder | None
    mor_route: dict[str, Any] | None


@dataclass(frozen=True)
class CardSwitching:
    """Switching model and where its parameters come from."""

    model: SwitchingModel
    equation: str
    std: dict[str, float | None] | None
    unidentified: tuple[str, ...]
    rms_rel_residual: float | None
    source: str
    synthetic: bool
    linearity: dict[str, Any]


@dataclass(frozen=True)
class Variability:
    """Device-to-device spread of ln(rate), cycle-to-cycle relative spread of dG, stuck share."""

    d2d_sigma_ln_rate: float
    c2c_sigma_rel: float
    stuck_fraction: float
    source: str

    def scaled(self, factor: float) -> Variability:
        """Every figure times ``factor`` (the stuck fraction capped at 1)."""
        return replace(
            self,
            d2d_sigma_ln_rate=factor * self.d2d_sigma_ln_rate,
            c2c_sigma_rel=factor * self.c2c_sigma_rel,
            stuck_fraction=min(1.0, factor * self.stuck_fraction),
        )


@dataclass(frozen=True)
class DerivedFigures:
    """Figures a designer asks for, of the centre cell (``devicefit.stage.derived_figures``);
    a crosstalk figure is None where the array has no such neighbour."""

    cell: str
    r_self_k_per_w: float
    dominant_tau_s: tuple[float, ...]
    dominant_share: tuple[float, ...]
    pulse_power_w: float
    pulse_width_s: float
    pulse_rise_k: float
    energy_per_update_j: float
    crosstalk_nearest: float | None = None
    crosstalk_diagonal: float | None = None
    heater: OperatingPoint | None = None  # the heater at an operating power (thermal.heater)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in asdict(self).items()
            if v is not None and k != "heater"
        }
        if self.heater is not None:
            out["heater"] = {**asdict(self.heater), "warnings": list(self.heater.warnings)}
        return out


@dataclass(frozen=True)
class Provenance:
    """Where a card comes from: the mesh, the thermal solver's and the fit's settings as
    they recorded them, the package version and the time it was written."""

    device_msh_sha256: str
    thermal: dict[str, Any]
    fit: dict[str, Any]
    package_version: str
    created_utc: str


DEFAULT_VARIABILITY = Variability(
    d2d_sigma_ln_rate=0.3,
    c2c_sigma_rel=0.1,
    stuck_fraction=0.0,
    source="representative assumptions, not measured",
)


@dataclass(frozen=True)
class ModelCard:
    """A validated model card (``read_card``, ``card_from_json``)."""

    geometry: CardGeometry
    thermal: CardThermal
    derived: DerivedFigures
    switching: CardSwitching
    variability: Variability
    provenance: Provenance
    stage: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The card as JSON data (schema version 2); ``card_from_json`` reads it back."""
        net = self.thermal.network
        th = self.thermal
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "geometry": asdict(self.geometry),
            "thermal": {
                "t_ambient_k": th.t_ambient_k,
                "tau_s": net.tau_s.tolist(),
                "residues_k_per_w": net.residues_k_per_w.tolist(),
                "probes": list(net.probes),
                "heaters": list(net.heaters),
                "fit_max_rel_error": th.fit_max_rel_error,
                "self_residues_signed": th.self_residues_signed,
                "impulse_nonnegative": th.impulse_nonnegative,
                "cauer_self": None
                if th.cauer_self is None
                else {
                    "heater": th.cauer_self.heater,
                    "r_k_per_w": list(th.cauer_self.r_k_per_w),
                    "c_j_per_k": list(th.cauer_self.c_j_per_k),
                    "fit_max_rel_error": th.cauer_self.fit_max_rel_error,
                },
                "mor_route": th.mor_route,
            },
            "derived": self.derived.to_json(),
            "switching": {
                "model": "arrhenius",
                "equation": self.switching.equation,
                "parameters": asdict(self.switching.model),
                "units": PARAMETER_UNITS,
                "std": self.switching.std,
                "unidentified": list(self.switching.unidentified),
                "rms_rel_residual": self.switching.rms_rel_residual,
                "source": self.switching.source,
                "synthetic": self.switching.synthetic,
                "linearity": self.switching.linearity,
            },
            "variability": asdict(self.variability),
            "provenance": asdict(self.provenance),
            "stage": self.stage,
        }

    def content_sha256(self) -> str:
        """Hash of what learning reads (thermal, switching, variability, geometry): equal for
        two cards that differ only in provenance or timestamps."""
        data = self.to_json()
        return sha256_json(
            {k: data[k] for k in ("geometry", "thermal", "switching", "variability")}
        )


PROVENANCE_FIELDS = tuple(f.name for f in fields(Provenance))

PARAMETER_UNITS = {
    "g_min_s": "S",
    "g_max_s": "S",
    "ln_nu0_set": "ln(1/s)",
    "ea_set_ev": "eV",
    "gamma_set_ev_per_v": "eV/V",
    "ln_nu0_reset": "ln(1/s)",
    "ea_reset_ev": "eV",
    "gamma_reset_ev_per_v": "eV/V",
}


@cache
def card_schema() -> dict[str, Any]:
    """The published JSON Schema of the model card."""
    text = resources.files("devicefit").joinpath("model_card.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def read_card(path: str | Path) -> ModelCard:
    """Read and validate a model card file; ``CardError`` names the file and field."""
    return read_card_with_sha256(path)[0]


def read_card_with_sha256(path: str | Path) -> tuple[ModelCard, str]:
    """The card and the SHA-256 of exactly the bytes it was parsed from (what learning
    results record: a card replaced after reading cannot be mistaken for the one used)."""
    p = Path(path)
    if not p.is_file():
        raise CardError(f"{p}: model card not found")
    raw = p.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CardError(f"{p}: not UTF-8 text (byte {exc.start}); is it the right file?") from None
    except json.JSONDecodeError as exc:
        raise CardError(f"{p}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CardError(f"{p}: expected a JSON object, got {type(data).__name__}")
    return card_from_json(data, where=str(p)), hashlib.sha256(raw).hexdigest()


def card_from_json(data: Any, *, where: str = "model card") -> ModelCard:
    """Validate JSON data against the schema and the cross-field rules; build the card."""
    import jsonschema

    if isinstance(data, dict) and data.get("schema_version") == 1:
        raise CardError(
            f"{where}: schema_version 1 (an older neohebb) has no geometry or T_ambient; "
            "re-run `neohebb fit` on its directory to write a version 2 card"
        )
    validator = jsonschema.Draft202012Validator(card_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        field = ".".join(str(p) for p in first.absolute_path) or "(top level)"
        raise CardError(f"{where}: {field}: {first.message}")
    bad = _first_non_finite(data, "")
    if bad is not None:
        raise CardError(f"{where}: {bad}: not a finite number")
    return _build(data, where)


def _build(data: dict[str, Any], where: str) -> ModelCard:
    g = data["geometry"]  # JSON Schema counts 3.0 as an integer: make it one
    geo = CardGeometry(
        int(g["rows"]), int(g["cols"]), float(g["pitch_m"]), g.get("boundary", "adiabatic")
    )
    th = data["thermal"]
    if geo.rows * geo.cols != len(th["heaters"]):
        raise CardError(
            f"{where}: geometry: {geo.rows} x {geo.cols} cells, but thermal.heaters names "
            f"{len(th['heaters'])}"
        )
    cells = geo.cells()
    if th["heaters"] != [c.heater for c in cells] or th["probes"] != [c.reram for c in cells]:
        raise CardError(
            f"{where}: thermal.heaters/probes: must name the {geo.rows} x {geo.cols} cells "
            "of geometry row-major (heater_r0_c0, heater_r0_c1, ...)"
        )
    tau = np.array(th["tau_s"], dtype=float)
    if np.any(np.diff(tau) <= 0):
        raise CardError(f"{where}: thermal.tau_s: must be strictly ascending")
    try:
        residues = np.array(th["residues_k_per_w"], dtype=float)
    except ValueError:
        raise CardError(f"{where}: thermal.residues_k_per_w: ragged nested lists") from None
    expected = (len(cells), len(cells), len(tau))
    if residues.shape != expected:
        raise CardError(
            f"{where}: thermal.residues_k_per_w: shape {list(residues.shape)}, expected "
            f"[probe][heater][pole] = {list(expected)}"
        )
    network = FosterNetwork(tau, residues, tuple(th["probes"]), tuple(th["heaters"]))
    r = network.steady_k_per_w()
    if np.any(np.diag(r) <= 0):
        raise CardError(f"{where}: thermal.residues_k_per_w: a self term sums to R <= 0")
    if th["impulse_nonnegative"]:
        from devicefit.foster import IMPULSE_TOLERANCE, impulse_floor

        floor = impulse_floor(network)
        if floor < -IMPULSE_TOLERANCE:
            raise CardError(
                f"{where}: thermal.impulse_nonnegative: true, but an impulse response dips to "
                f"{floor:.3g} of its heater's own peak"
            )
    cauer = th["cauer_self"]
    if cauer is not None and len(cauer["r_k_per_w"]) != len(cauer["c_j_per_k"]):
        raise CardError(f"{where}: thermal.cauer_self: r_k_per_w and c_j_per_k differ in length")
    sw = data["switching"]
    model = SwitchingModel(**{k: float(v) for k, v in sw["parameters"].items()})
    check_switching_model(model, CardError, f"{where}: switching.parameters")
    return ModelCard(
        geometry=geo,
        thermal=CardThermal(
            network=network,
            t_ambient_k=float(th["t_ambient_k"]),
            fit_max_rel_error=float(th["fit_max_rel_error"]),
            self_residues_signed=th["self_residues_signed"],
            impulse_nonnegative=th["impulse_nonnegative"],
            cauer_self=None
            if cauer is None
            else CauerLadder(
                cauer["heater"],
                tuple(cauer["r_k_per_w"]),
                tuple(cauer["c_j_per_k"]),
                cauer["fit_max_rel_error"],
            ),
            mor_route=th["mor_route"],
        ),
        derived=_derived(data["derived"]),
        switching=CardSwitching(
            model=model,
            equation=sw["equation"],
            std=sw["std"],
            unidentified=tuple(sw["unidentified"]),
            rms_rel_residual=sw["rms_rel_residual"],
            source=sw["source"],
            synthetic=sw["synthetic"],
            linearity=sw["linearity"],
        ),
        variability=Variability(**data["variability"]),
        provenance=Provenance(**{k: data["provenance"][k] for k in PROVENANCE_FIELDS}),
        stage=data["stage"],
    )


def _derived(data: dict[str, Any]) -> DerivedFigures:
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "heater"
    }
    heater = data.get("heater")
    if heater is not None:
        values["heater"] = OperatingPoint(**{**heater, "warnings": tuple(heater["warnings"])})
    return DerivedFigures(**values)


def _first_non_finite(value: Any, path: str) -> str | None:
    """Dotted path of the first NaN or infinity in nested JSON data (json reads both)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "(top level)"
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _first_non_finite(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None
