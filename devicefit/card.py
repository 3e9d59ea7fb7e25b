"""The model card: the only thing ``snn/`` reads about a device. JSON, schema-versioned, parsed
and validated once at the edge into a typed, frozen ``ModelCard``.

The format is published as a JSON Schema (``devicefit/model_card.schema.json``, also at
``docs/model_card.schema.json``) so other tools can validate a card; ``card_from_json`` checks
it with the ``jsonschema`` library, then checks what a schema cannot state (every number
finite, array shapes agree, probes and heaters name the cells row-major, g_min < g_max).
A card that passes never fails later for a missing or malformed field.

Schema version 3: ``geometry`` (rows, cols, pitch), ``thermal`` (T_ambient, shared poles,
residues [probe][heater][pole], fit error, Cauer ladder, model-order-reduction route, and the
filament terms: the steady rise of every filament per watt in each filament, for a
programming pulse's own heat; and, when the thermal stage ran the operating point, the
linearity check with its Kirchhoff correction), ``derived`` (designer figures and the
heater's operating point), ``switching`` (the family member, its parameters with
uncertainties, the noise model and the selection table of the fit, source, synthetic flag),
``variability``,
``provenance`` and ``stage`` (input hashes). Versions 1 and 2 are refused with the commands
that write a version 3 card.
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
from devicefit.linearity import Linearity
from devicefit.switching import (
    FAMILY,
    PARAMETER_UNITS,
    SwitchingModel,
    check_switching_model,
    model_from,
    parameter_names,
)
from meshes.cells import Cell, array_cells, centre_cell
from meshes.files import sha256_json
from thermal.heater import OperatingPoint
from thermal.modal import FosterNetwork

SCHEMA_VERSION = 3
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
class FilamentTerms:
    """The filaments as heat sources (a programming pulse's own Joule heat): a shared-pole
    Foster network of the rise of every probe per watt in each filament [probe, filament],
    the self term's mean rise time [s], the reduction's and the fit's error estimates."""

    network: FosterNetwork
    tau_mean_self_s: float
    mor_rel_error: float
    fit_max_rel_error: float

    def pulse_mean_k_per_w(self, width_s: float) -> np.ndarray:
        """Mean rise over a pulse of ``width_s`` per watt [probe, filament] [K/W]:
        (1/t_p) int_0^t_p Z(t) dt = sum_k R_k (1 - tau_k / t_p (1 - exp(-t_p / tau_k)))."""
        tau = self.network.tau_s
        x = width_s / tau
        share = 1.0 - np.where(x > 1e-8, -np.expm1(-x) / np.maximum(x, 1e-300), 1.0 - x / 2)
        return np.asarray(self.network.residues_k_per_w @ share)


@dataclass(frozen=True)
class CardThermal:
    """Compact thermal model: a shared-pole Foster network and how well it fits, and the
    filament terms."""

    network: FosterNetwork
    t_ambient_k: float
    fit_max_rel_error: float
    self_residues_signed: bool
    impulse_nonnegative: bool
    cauer_self: CauerLadder | None
    mor_route: dict[str, Any] | None
    filament: FilamentTerms
    linearity: Linearity | None = None  # the operating point's nonlinear check (and correction)


@dataclass(frozen=True)
class CardSwitching:
    """Switching model (a member of ``devicefit.switching.FAMILY``), where its parameters come
    from, and when fitted: uncertainties, noise model and the family's selection table."""

    model: SwitchingModel
    std: dict[str, float | None] | None
    unidentified: tuple[str, ...]
    noise: dict[str, float] | None  # sigma_add_s, sigma_mult_rel of the fit
    selection: tuple[dict[str, Any], ...]  # every member tried, by ascending BIC
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
                "filament": {
                    "tau_s": th.filament.network.tau_s.tolist(),
                    "residues_k_per_w": th.filament.network.residues_k_per_w.tolist(),
                    "tau_mean_self_s": th.filament.tau_mean_self_s,
                    "mor_rel_error": th.filament.mor_rel_error,
                    "fit_max_rel_error": th.filament.fit_max_rel_error,
                },
                "linearity": None if th.linearity is None else th.linearity.card_dict(),
            },
            "derived": self.derived.to_json(),
            "switching": {
                "model": self.switching.model.NAME,
                "equation": self.switching.model.EQUATION,
                "parameters": asdict(self.switching.model),
                "units": {k: PARAMETER_UNITS[k] for k in parameter_names(self.switching.model)},
                "std": self.switching.std,
                "unidentified": list(self.switching.unidentified),
                "noise": self.switching.noise,
                "selection": list(self.switching.selection),
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

    version = data.get("schema_version") if isinstance(data, dict) else None
    if version in (1, 2):
        raise CardError(
            f"{where}: schema_version {version} (an older neohebb) has no filament terms "
            + ("or geometry " if version == 1 else "")
            + "and a single switching model: re-run `neohebb thermal` then `neohebb fit` on its "
            "directory to write a version 3 card (a response.npz without Z_filament is refused "
            "by the fit, naming the thermal stage)"
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
    tau, residues = _foster_arrays(th, len(cells), "thermal", "heater", where)
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
    fil = th["filament"]
    fil_tau, fil_res = _foster_arrays(fil, len(cells), "thermal.filament", "filament", where)
    probes = tuple(th["probes"])
    filament = FilamentTerms(
        FosterNetwork(fil_tau, fil_res, probes, probes),
        float(fil["tau_mean_self_s"]),
        float(fil["mor_rel_error"]),
        float(fil["fit_max_rel_error"]),
    )
    if np.any(np.diag(filament.network.steady_k_per_w()) <= 0):
        raise CardError(f"{where}: thermal.filament.residues_k_per_w: a self term sums to <= 0")
    lin = th.get("linearity")
    if lin is not None:
        if not lin["band_k"][0] < lin["band_k"][1]:
            raise CardError(f"{where}: thermal.linearity.band_k: must be [low, high], low < high")
        if lin["apply_correction"] and lin["max_rel_error"] is None:
            raise CardError(
                f"{where}: thermal.linearity.apply_correction: true without a max_rel_error "
                "(no sample in the band)"
            )
    sw = data["switching"]
    names = parameter_names(FAMILY[sw["model"]])
    if set(sw["parameters"]) != set(names):
        missing = sorted(set(names) - set(sw["parameters"]))
        extra = sorted(set(sw["parameters"]) - set(names))
        raise CardError(
            f"{where}: switching.parameters: the {sw['model']} model needs exactly "
            f"{', '.join(names)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; not its parameters: {', '.join(extra)}" if extra else "")
        )
    model = model_from(sw["model"], sw["parameters"])
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
            filament=filament,
            linearity=None
            if th.get("linearity") is None
            else Linearity.from_card_dict(th["linearity"], float(th["t_ambient_k"])),
        ),
        derived=_derived(data["derived"]),
        switching=CardSwitching(
            model=model,
            std=sw["std"],
            unidentified=tuple(sw["unidentified"]),
            noise=sw["noise"],
            selection=tuple(sw["selection"]),
            source=sw["source"],
            synthetic=sw["synthetic"],
            linearity=sw["linearity"],
        ),
        variability=Variability(**data["variability"]),
        provenance=Provenance(**{k: data["provenance"][k] for k in PROVENANCE_FIELDS}),
        stage=data["stage"],
    )


def _foster_arrays(
    data: dict[str, Any], n_cells: int, path: str, source: str, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """``tau_s`` (strictly ascending) and ``residues_k_per_w`` [probe][source][pole] of the
    cells of a card section at ``path``; ``CardError`` naming the field."""
    tau = np.array(data["tau_s"], dtype=float)
    if np.any(np.diff(tau) <= 0):
        raise CardError(f"{where}: {path}.tau_s: must be strictly ascending")
    try:
        residues = np.array(data["residues_k_per_w"], dtype=float)
    except ValueError:
        raise CardError(f"{where}: {path}.residues_k_per_w: ragged nested lists") from None
    expected = (n_cells, n_cells, len(tau))
    if residues.shape != expected:
        raise CardError(
            f"{where}: {path}.residues_k_per_w: shape {list(residues.shape)}, expected "
            f"[probe][{source}][pole] = {list(expected)}"
        )
    return tau, residues


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
