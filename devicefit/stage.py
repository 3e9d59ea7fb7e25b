"""The fit stage: DIR/response.npz (+ thermal.json) -> DIR/model_card.json and fit plots.

Compact thermal model, switching model (fitted to a CSV or default parameters) and
variability parameters. Numpy/scipy only: runs where dolfinx is not installed.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from devicefit.card import SCHEMA_VERSION, CardError, validate_card
from devicefit.cauer import foster_to_cauer
from devicefit.foster import FitError, FosterNetwork, fit_foster, truncate_modal
from devicefit.switching import DEFAULT_VARIABILITY
from meshes.files import staged_output, write_json
from thermal.modal import ModalModel


@dataclass(frozen=True)
class FitConfig:
    """Settings of ``neohebb fit`` (the ``[fit]`` table of a run configuration)."""

    rel_tol: float = 0.01  # max |Z_fit - Z_FE| / R_self accepted
    max_poles: int = 12
    pulse_power_w: float = 1e-4  # heater pulse for the derived figures
    pulse_width_s: float = 1e-8


def fit_config_from_dict(data: dict[str, Any]) -> FitConfig:
    """Validate a ``[fit]`` table; errors name ``fit.<field>``."""
    known = {f.name: f for f in dataclasses.fields(FitConfig)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise CardError(f"fit.{unknown[0]}: unknown field (allowed: {', '.join(known)})")
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name == "max_poles":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 40:
                raise CardError(f"fit.max_poles: must be an integer in [1, 40], got {value!r}")
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise CardError(f"fit.{name}: must be a positive number, got {value!r}")
        values[name] = value if name == "max_poles" else float(value)
    return dataclasses.replace(FitConfig(), **values)


def read_response(device_dir: Path) -> dict[str, np.ndarray]:
    path = device_dir / "response.npz"
    if not path.is_file():
        raise CardError(f"{path}: missing (run `neohebb thermal {device_dir}` first)")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    for key in ("t", "Z", "R", "probes", "heaters"):
        if key not in arrays:
            raise CardError(f"{path}: array '{key}' missing")
    return arrays


def centre_neighbours(n_cells: int, cols: int) -> tuple[int, int | None, int | None]:
    """Row-major indices of the centre cell, its +x nearest neighbour and its (-x, -y)
    diagonal neighbour (None where the array has no such cell)."""
    c = n_cells // 2
    nearest = c + 1 if c + 1 < n_cells and (c + 1) % cols else None
    diagonal = c - cols - 1 if c - cols - 1 >= 0 and c % cols else None
    return c, nearest, diagonal


def derived_figures(net: FosterNetwork, cols: int, cfg: FitConfig) -> dict[str, Any]:
    """Figures a designer asks for, for the centre cell of a ``cols``-wide array."""
    r = net.steady_k_per_w()
    c, nearest, diagonal = centre_neighbours(len(net.heaters), cols)
    shares = net.residues_k_per_w[c, c] / r[c, c]
    order = np.argsort(-np.abs(shares))
    rise = float(
        cfg.pulse_power_w
        * np.sum(net.residues_k_per_w[c, c] * -np.expm1(-cfg.pulse_width_s / net.tau_s))
    )
    figures: dict[str, Any] = {
        "cell": net.heaters[c],
        "r_self_k_per_w": float(r[c, c]),
        "dominant_tau_s": [float(net.tau_s[k]) for k in order[:3]],
        "dominant_share": [float(shares[k]) for k in order[:3]],
        "pulse_power_w": cfg.pulse_power_w,
        "pulse_width_s": cfg.pulse_width_s,
        "pulse_rise_k": rise,
        "energy_per_update_j": cfg.pulse_power_w * cfg.pulse_width_s,
    }
    if nearest is not None:
        figures["crosstalk_nearest"] = float(r[nearest, c] / r[c, c])
    if diagonal is not None:
        figures["crosstalk_diagonal"] = float(r[diagonal, c] / r[c, c])
    return figures


def switching_section(csv_path: str | Path | None) -> tuple[dict[str, Any], Any, Any]:
    """The card's switching section: fitted to ``csv_path``, or the default parameters."""
    from devicefit.switching import (
        SwitchingModel,
        fit_switching,
        model_to_card,
        read_switching_csv,
    )

    if csv_path is None:
        model = SwitchingModel()
        source = "default parameters: representative assumptions, not a measured device"
        return model_to_card(None, model, source), model, None
    data = read_switching_csv(csv_path)
    fit = fit_switching(data)
    synthetic = "SYNTHETIC" in Path(csv_path).read_text().splitlines()[0].upper()
    source = f"fitted to {Path(csv_path).name}"
    if synthetic:
        source += " (SYNTHETIC data, not measured)"
    return model_to_card(fit, fit.model, source), fit.model, data


def run_fit(
    device_dir: str | Path,
    config: FitConfig | None = None,
    *,
    plots: bool = True,
    switching_csv: str | Path | None = None,
) -> Path:
    """Fit the compact models and write DIR/model_card.json (+ fit_thermal.png,
    fit_switching.png). Without ``switching_csv`` the default switching parameters are used."""
    cfg = config or FitConfig()
    ddir = Path(device_dir)
    data = read_response(ddir)
    thermal_info = _read_json(ddir / "thermal.json")
    device_info = _read_json(ddir / "device.json")
    t, z = data["t"], data["Z"]
    probes, heaters = [str(p) for p in data["probes"]], [str(h) for h in data["heaters"]]
    try:
        fit = fit_foster(
            t,
            z,
            probes,
            heaters,
            rel_tol=cfg.rel_tol,
            max_poles=cfg.max_poles,
            self_nonnegative=False,
        )
    except FitError as exc:
        raise CardError(f"{ddir / 'response.npz'}: {exc}") from exc
    net = fit.network
    c = len(heaters) // 2
    # The Cauer ladder needs a driving-point-like (positive-residue) self term: a one-port
    # NNLS fit of the centre cell, with its own error.
    one_port = fit_foster(
        t,
        z[:, c : c + 1, c : c + 1],
        [probes[c]],
        [heaters[c]],
        rel_tol=cfg.rel_tol,
        max_poles=cfg.max_poles,
        self_nonnegative=True,
    )
    positive = one_port.network.residues_k_per_w[0, 0] > 0
    r_ladder, c_ladder = foster_to_cauer(
        one_port.network.tau_s[positive], one_port.network.residues_k_per_w[0, 0, positive]
    )
    mor = _mor_route(data, len(net.tau_s), z)
    switching, switching_model, switching_data = switching_section(switching_csv)
    cols = int(device_info.get("spec", {}).get("array", {}).get("cols", 1))
    card: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": "neohebb.model_card",
        "thermal": {
            "tau_s": net.tau_s.tolist(),
            "residues_k_per_w": net.residues_k_per_w.tolist(),
            "probes": probes,
            "heaters": heaters,
            "fit_max_rel_error": fit.max_rel_error,
            "self_residues_signed": bool(
                np.any(net.residues_k_per_w[np.arange(len(heaters)), np.arange(len(heaters))] < 0)
            ),
            "cauer_self": {
                "heater": heaters[c],
                "r_k_per_w": r_ladder.tolist(),
                "c_j_per_k": c_ladder.tolist(),
                "fit_max_rel_error": one_port.max_rel_error,
            },
            "mor_route": mor,
        },
        "derived": derived_figures(net, cols, cfg),
        "switching": switching,
        "variability": DEFAULT_VARIABILITY,
        "provenance": {
            "device_sha256": thermal_info.get("device_sha256"),
            "thermal": thermal_info.get("solver"),
            "fit": {
                **dataclasses.asdict(cfg),
                "method": "dense tau grid, backward "
                "elimination, variable projection; signed residues",
                "orders_tried": [list(o) for o in fit.orders_tried],
            },
            "package_version": _version(),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    validate_card(card)
    with staged_output(ddir) as scratch:
        write_json(scratch / "model_card.json", card)
        if plots:
            from devicefit.plots import plot_fit, plot_switching

            plot_fit(t, z, net, cols, r_ladder, c_ladder, scratch / "fit_thermal.png")
            plot_switching(switching_model, switching_data, scratch / "fit_switching.png")
    return ddir


def _mor_route(data: dict[str, np.ndarray], n_poles: int, z: np.ndarray) -> dict[str, Any] | None:
    """Error of truncating thermal/'s reduced modal model to the same order (R kept exact)."""
    if "rate_per_s" not in data:
        return None
    modal = ModalModel.from_arrays(data)
    cut = truncate_modal(
        modal.tau_s, modal.residues_k_per_w(), n_poles, modal.probes, modal.heaters
    )
    err = np.abs(cut.step_response(data["t"]) - z) / np.diag(z[-1])[None, None, :]
    return {"n_poles": n_poles, "max_rel_error": float(err.max()), "full_order": len(modal.tau_s)}


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        out: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CardError(f"{path}: not valid JSON ({exc})") from exc
    return out


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neohebb")
    except PackageNotFoundError:
        return "unknown"
