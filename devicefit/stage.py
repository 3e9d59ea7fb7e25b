"""The fit stage: DIR/response.npz + thermal.json -> DIR/model_card.json and fit plots.

Compact thermal model, switching model (fitted to a CSV or default parameters) and
variability parameters. Numpy/scipy only: runs where dolfinx is not installed. Steps:
``fit_thermal`` (Foster network, Cauer ladder, MOR route), ``switching_section`` and
``derived_figures``; ``run_fit`` reads, checks, assembles the ``ModelCard`` and writes it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from devicefit.card import (
    DEFAULT_VARIABILITY,
    CardGeometry,
    CardSwitching,
    CardThermal,
    CauerLadder,
    DerivedFigures,
    FilamentTerms,
    ModelCard,
    Provenance,
    card_from_json,
)
from devicefit.cauer import foster_to_cauer
from devicefit.errors import CardError, FitError
from devicefit.foster import IMPULSE_TOLERANCE, FosterFit, fit_foster, impulse_floor, truncate_modal
from devicefit.linearity import Linearity, assess_linearity
from devicefit.switching import DissolutionModel, PulseHeating, linearity_window
from devicefit.switching_fit import SwitchingData, fit_switching, read_switching_csv
from meshes.cells import Cell, reference_neighbours
from meshes.files import (
    directory_lock,
    package_version,
    sha256_file,
    stage_key,
    stage_record,
    staged_output,
    write_json,
)
from thermal.heater import HeaterResistor, OperatingPoint, operating_point
from thermal.modal import FosterNetwork
from thermal.response import Response, read_response

FIT_PICTURES = ("fit_thermal.png", "fit_switching.png", "fit_linearity.png")
LINEARITY_PULSE_S = 1e-7  # pulse of the card's linearity figure and the switching plot


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitConfig:
    """Settings of ``neohebb fit`` (the ``[fit]`` table of a run configuration)."""

    rel_tol: float = 0.01  # max |Z_fit - Z_FE| / R_self accepted
    max_poles: int = 12
    pulse_power_w: float = 1e-4  # heater pulse for the derived figures
    pulse_width_s: float = 1e-8
    heater_power_w: float = 4e-4  # operating point of the heater checks (snn's thermal default)
    switching_csv: str | None = None  # switching measurements to fit; None: default model
    switching_synthetic: bool = False  # the CSV is generated, not measured (labels the card)
    switching_max_rms_rel: float = 0.25  # refuse a switching fit worse than this
    switching_series_ohm: float = 0.0  # series resistance of the CSV's measurement [ohm]
    # the measured filament's thermal resistance [K/W]; None: this device's (thermal stage)
    switching_r_th_k_per_w: float | None = None
    linearity_pulse_v: float = 0.3  # SET pulse of the card's linearity figure [V]


def fit_config_from_dict(data: dict[str, Any], *, base: Path | None = None) -> FitConfig:
    """Validate a ``[fit]`` table; errors name ``fit.<field>``. A relative ``switching_csv``
    resolves against ``base`` (the configuration file's directory); "example" names the
    shipped synthetic set and sets ``switching_synthetic``."""
    known = {f.name: f for f in dataclasses.fields(FitConfig)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise CardError(f"fit.{unknown[0]}: unknown field (allowed: {', '.join(known)})")
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name == "max_poles":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 40:
                raise CardError(f"fit.max_poles: must be an integer in [1, 40], got {value!r}")
        elif name == "switching_csv":
            if not isinstance(value, str) or not value:
                raise CardError(f"fit.switching_csv: expected a file path, got {value!r}")
        elif name == "switching_synthetic":
            if not isinstance(value, bool):
                raise CardError(f"fit.switching_synthetic: expected true or false, got {value!r}")
        elif name == "switching_series_ohm":
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value < math.inf
            ):
                raise CardError(f"fit.switching_series_ohm: must be a number >= 0, got {value!r}")
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise CardError(f"fit.{name}: must be a positive number, got {value!r}")
        values[name] = (
            float(value)
            if isinstance(known[name].default, float) or name == "switching_r_th_k_per_w"
            else value
        )
    cfg = dataclasses.replace(FitConfig(), **values)
    return with_switching_csv(cfg, cfg.switching_csv, base=base)


def with_switching_csv(cfg: FitConfig, csv: str | None, *, base: Path | None = None) -> FitConfig:
    """``cfg`` fitting ``csv``: "example" is the shipped synthetic set (flagged synthetic); a
    relative path resolves against ``base``."""
    if csv is None:
        return dataclasses.replace(cfg, switching_csv=None)
    if csv == "example":
        from importlib import resources

        example = str(resources.files("devicefit").joinpath("example_switching.csv"))
        return dataclasses.replace(cfg, switching_csv=example, switching_synthetic=True)
    path = Path(csv)
    if base is not None and not path.is_absolute():
        path = base / path
    return dataclasses.replace(cfg, switching_csv=str(path))


def fit_settings(cfg: FitConfig) -> dict[str, Any]:
    """What the card depends on besides response.npz and thermal.json (the CSV by content)."""
    settings = dataclasses.asdict(cfg)
    csv = cfg.switching_csv
    if csv is not None and not Path(csv).is_file():
        raise CardError(f"fit.switching_csv: {csv}: file not found")
    settings["switching_csv"] = None if csv is None else sha256_file(csv)
    return settings


def fit_key(device_dir: str | Path, cfg: FitConfig) -> str:
    """The key ``model_card.json`` records for ``cfg`` on the response now in ``device_dir``."""
    response = read_response(device_dir, CardError)
    return stage_key("fit", fit_settings(cfg), _inputs(response))


def _inputs(response: Response) -> dict[str, str]:
    return {"response.npz": response.npz_sha256, "thermal.json": response.json_sha256}


def run_fit(device_dir: str | Path, config: FitConfig | None = None, *, plots: bool = True) -> Path:
    """Fit the compact models and write DIR/model_card.json (+ fit_thermal.png,
    fit_switching.png). Refuses a thermal fit above ``rel_tol`` and a switching fit above
    ``switching_max_rms_rel``, naming the setting to change."""
    cfg = config or FitConfig()
    ddir = Path(device_dir)
    with directory_lock(ddir, CardError):
        return _run_fit(ddir, cfg, plots)


def _run_fit(ddir: Path, cfg: FitConfig, plots: bool) -> Path:
    response = read_response(ddir, CardError)
    settings = fit_settings(cfg)  # refuses a missing switching CSV before any fitting
    fit, cauer, mor = fit_thermal(response, cfg)
    filament = filament_terms(response, cfg)
    switching, switching_data = switching_section(cfg, response, filament)
    geometry = CardGeometry(
        response.array.rows, response.array.cols, response.array.pitch_m, response.array.boundary
    )
    net = fit.network
    n = len(net.heaters)
    card = ModelCard(
        geometry=geometry,
        thermal=CardThermal(
            network=net,
            t_ambient_k=response.t_ambient_k,
            fit_max_rel_error=fit.max_rel_error,
            self_residues_signed=bool(np.any(net.residues_k_per_w[range(n), range(n)] < 0)),
            impulse_nonnegative=impulse_floor(net) >= -IMPULSE_TOLERANCE,
            cauer_self=cauer,
            mor_route=mor,
            filament=filament,
            linearity=operating_linearity(response, cfg),
        ),
        derived=derived_figures(net, geometry, cfg, response),
        switching=switching,
        variability=DEFAULT_VARIABILITY,
        provenance=Provenance(
            device_msh_sha256=response.info["stage"]["inputs"]["device.msh"],
            thermal=response.info["solver"],
            fit={
                **dataclasses.asdict(cfg),
                "method": "dense tau grid, backward elimination, variable projection; signed "
                "residues, impulse responses constrained >= 0",
                "orders_tried": [list(o) for o in fit.orders_tried],
            },
            package_version=package_version(),
            created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
        ),
        stage=stage_record(
            "fit", settings, _inputs(response), {}, pictures=FIT_PICTURES if plots else ()
        ),
    )
    data = card.to_json()
    card_from_json(data, where="model card being written")  # what readers will check
    for warning in () if card.derived.heater is None else card.derived.heater.warnings:
        log.warning("%s (fit.heater_power_w; limits: meshes/materials.py)", warning)
    with staged_output(ddir, stage="fit", error=CardError) as scratch:
        if plots:
            from devicefit.plots import plot_fit, plot_linearity, plot_switching

            _, nearest, _ = reference_neighbours(geometry.rows, geometry.cols)
            plot_linearity(
                response.operating_point,
                card.thermal.linearity,
                list(net.heaters).index(geometry.centre().heater),
                None if nearest is None else list(net.heaters).index(nearest.heater),
                scratch / "fit_linearity.png",
            )

            plot_fit(response, net, geometry, cauer, scratch / "fit_thermal.png")
            plot_switching(
                switching,
                switching_data,
                response.t_ambient_k,
                centre_heating(filament, response, 0.0, LINEARITY_PULSE_S),
                cfg.linearity_pulse_v,
                scratch / "fit_switching.png",
            )
        write_json(scratch / "model_card.json", data)
    return ddir


def operating_linearity(response: Response, cfg: FitConfig) -> Linearity | None:
    """The linearity check of the thermal stage's operating-point run, held against
    ``cfg.rel_tol`` (``devicefit.linearity``); None without such a run."""
    run = response.operating_point
    if run is None:
        return None
    return assess_linearity(
        run.linear_k,
        run.nonlinear_k,
        power_w=run.power_w,
        t_ambient_k=response.t_ambient_k,
        tolerance=cfg.rel_tol,
    )


def fit_thermal(
    response: Response, cfg: FitConfig
) -> tuple[FosterFit, CauerLadder, dict[str, Any]]:
    """The shared-pole Foster fit of Z (refused above ``rel_tol``), the Cauer ladder of the
    centre cell's self term and the model-order-reduction route at the same order."""
    t, z = response.t_s, response.z_k_per_w
    fit = _fit_within_tol(response, z, list(response.heaters), cfg, "Z", self_nonnegative=False)
    array = response.array
    c = response.heaters.index(reference_neighbours(array.rows, array.cols)[0].heater)
    # The Cauer ladder needs a driving-point-like (positive-residue) self term: a one-port
    # NNLS fit of the centre cell, with its own error.
    one_port = fit_foster(
        t,
        z[:, c : c + 1, c : c + 1],
        [response.probes[c]],
        [response.heaters[c]],
        rel_tol=cfg.rel_tol,
        max_poles=cfg.max_poles,
        self_nonnegative=True,
    )
    positive = one_port.network.residues_k_per_w[0, 0] > 0
    r_ladder, c_ladder = foster_to_cauer(
        one_port.network.tau_s[positive], one_port.network.residues_k_per_w[0, 0, positive]
    )
    cauer = CauerLadder(
        response.heaters[c],
        tuple(r_ladder.tolist()),
        tuple(c_ladder.tolist()),
        one_port.max_rel_error,
    )
    return fit, cauer, _mor_route(response, len(fit.network.tau_s))


def _fit_within_tol(
    response: Response,
    z: np.ndarray,
    sources: list[str],
    cfg: FitConfig,
    name: str,
    *,
    self_nonnegative: bool = True,
) -> FosterFit:
    """Shared-pole Foster fit of ``z`` [t, probe, source] of the response (``name`` in
    messages), refused above ``cfg.rel_tol`` of the self terms, naming the settings."""
    try:
        fit = fit_foster(
            response.t_s,
            z,
            list(response.probes),
            sources,
            rel_tol=cfg.rel_tol,
            max_poles=cfg.max_poles,
            self_nonnegative=self_nonnegative,
        )
    except FitError as exc:
        raise CardError(f"{response.directory / 'response.npz'}: {name}: {exc}") from None
    if fit.max_rel_error > cfg.rel_tol:
        raise CardError(
            f"fit.rel_tol: the best {len(fit.network.tau_s)}-pole fit misses {name} by "
            f"{100 * fit.max_rel_error:.3g} % of its self terms, above fit.rel_tol = "
            f"{100 * cfg.rel_tol:.3g} %; raise fit.max_poles ({cfg.max_poles}) or fit.rel_tol"
        )
    return fit


def _mor_route(response: Response, n_poles: int) -> dict[str, Any]:
    """Error of truncating thermal/'s reduced modal model to the same order (R kept exact)."""
    full = response.modal.network()
    cut = truncate_modal(full.tau_s, full.residues_k_per_w, n_poles, full.probes, full.heaters)
    z = response.z_k_per_w
    err = np.abs(cut.step_response(response.t_s) - z) / np.diag(z[-1])[None, None, :]
    return {"n_poles": n_poles, "max_rel_error": float(err.max()), "full_order": len(full.tau_s)}


def derived_figures(
    net: FosterNetwork, geometry: CardGeometry, cfg: FitConfig, response: Response | None = None
) -> DerivedFigures:
    """Figures a designer asks for, of the centre cell (``meshes.cells``); with the response's
    heater record (``thermal.json: heater``) also the heater at ``cfg.heater_power_w``."""
    r = net.steady_k_per_w()
    centre, nearest, diagonal = reference_neighbours(geometry.rows, geometry.cols)
    heaters = list(net.heaters)
    c = heaters.index(centre.heater)
    shares = net.residues_k_per_w[c, c] / r[c, c]
    order = np.argsort(-np.abs(shares))[:3]

    def crosstalk(cell: Cell | None) -> float | None:
        return None if cell is None else float(r[heaters.index(cell.heater), c] / r[c, c])

    return DerivedFigures(
        cell=centre.heater,
        r_self_k_per_w=float(r[c, c]),
        dominant_tau_s=tuple(float(net.tau_s[k]) for k in order),
        dominant_share=tuple(float(shares[k]) for k in order),
        pulse_power_w=cfg.pulse_power_w,
        pulse_width_s=cfg.pulse_width_s,
        pulse_rise_k=float(
            cfg.pulse_power_w * net.step_response(np.array([cfg.pulse_width_s]))[0, c, c]
        ),
        energy_per_update_j=cfg.pulse_power_w * cfg.pulse_width_s,
        crosstalk_nearest=crosstalk(nearest),
        crosstalk_diagonal=crosstalk(diagonal),
        heater=None if response is None else heater_figures(response, cfg.heater_power_w),
    )


def heater_figures(response: Response, power_w: float) -> OperatingPoint | None:
    """The centre heater at ``power_w`` (``thermal.heater.operating_point``) from the thermal
    stage's heater record; None for a non-conducting heater or an older response."""
    record = response.info.get("heater")
    if not isinstance(record, dict):
        return None
    fields = {f.name for f in dataclasses.fields(HeaterResistor)}
    resistor = HeaterResistor(**{k: record[k] for k in fields})
    return operating_point(
        resistor,
        power_w,
        record["mean_rise_k_per_w"],
        record["peak_rise_k_per_w"],
        response.t_ambient_k,
    )


def filament_terms(response: Response, cfg: FitConfig) -> FilamentTerms:
    """Shared-pole Foster fit of the filament sources of the thermal stage (``Z_filament``;
    self terms are driving points, so their residues are >= 0), refused above
    ``cfg.rel_tol``; ``CardError`` for a response written before they existed."""
    record = response.info.get("filament_sources")
    z = response.z_filament_k_per_w
    if z is None or not isinstance(record, dict):
        raise CardError(
            f"{response.directory}: response.npz has no filament sources (written by an older "
            "neohebb): re-run `neohebb thermal` on this directory, then `neohebb fit`"
        )
    fit = _fit_within_tol(response, z, list(response.probes), cfg, "Z_filament")
    return FilamentTerms(
        fit.network,
        float(record["tau_mean_self_s"]),
        float(record["mor_rel_error_estimate"]),
        fit.max_rel_error,
    )


def centre_heating(
    filament: FilamentTerms, response: Response, series_ohm: float, width_s: float
) -> PulseHeating:
    """The centre cell's own heat during a pulse of ``width_s`` (its mean over the pulse,
    ``FilamentTerms.pulse_mean_k_per_w``) with a series resistance."""
    array = response.array
    c = response.heaters.index(reference_neighbours(array.rows, array.cols)[0].heater)
    return PulseHeating(float(filament.pulse_mean_k_per_w(width_s)[c, c]), series_ohm)


def switching_section(
    cfg: FitConfig, response: Response, filament: FilamentTerms
) -> tuple[CardSwitching, SwitchingData | None]:
    """The card's switching model: fitted to ``cfg.switching_csv`` (every member of the family,
    the lowest BIC kept; the pulse's own heat with the measurement's series resistance and
    filament), or the default drift-dissolution member; its linearity figure is a
    ``cfg.linearity_pulse_v`` SET at the device's ambient, own heat included (no series)."""
    t_ambient_k = response.t_ambient_k
    device = centre_heating(filament, response, 0.0, LINEARITY_PULSE_S)
    if cfg.switching_csv is None:
        model = DissolutionModel()
        return CardSwitching(
            model=model,
            std=None,
            unidentified=(),
            noise=None,
            selection=(),
            source="default parameters from published compact models (docs/devicefit.md); "
            "not a measured device",
            synthetic=False,
            linearity=linearity_window(
                model, t_ambient_k=t_ambient_k, pulse_v=cfg.linearity_pulse_v, heating=device
            ),
        ), None
    path = Path(cfg.switching_csv)
    data = read_switching_csv(path)
    # the measurement's own heat: this device's filament at the CSV's median pulse width
    width = float(np.median(data.pulse_s))
    measured = PulseHeating(
        centre_heating(filament, response, 0.0, width).filament_r_k_per_w
        if cfg.switching_r_th_k_per_w is None
        else cfg.switching_r_th_k_per_w,
        cfg.switching_series_ohm,
    )
    fit = fit_switching(data, measured, max_rms_rel=cfg.switching_max_rms_rel, where=str(path))
    best = fit.best
    source = f"fitted to {path.name} ({best.model.NAME}: lowest BIC of the family)"
    if cfg.switching_synthetic:
        source += " (SYNTHETIC data, not a measurement)"
    if best.unidentified:
        source += f"; not determined by the data, kept at defaults: {', '.join(best.unidentified)}"
    return CardSwitching(
        model=best.model,
        std=best.std,
        unidentified=best.unidentified,
        noise={"sigma_add_s": best.sigma_add_s, "sigma_mult_rel": best.sigma_mult_rel},
        selection=tuple(m.record() for m in fit.members),
        source=source,
        synthetic=cfg.switching_synthetic,
        linearity=linearity_window(
            best.model, t_ambient_k=t_ambient_k, pulse_v=cfg.linearity_pulse_v, heating=device
        ),
    ), data
