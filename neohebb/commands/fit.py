"""``neohebb fit DIR``: compact thermal model from DIR/response.npz -> DIR/model_card.json."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "fit compact Foster/Cauer thermal models to DIR/response.npz -> DIR/model_card.json"
DESCRIPTION = """\
Read DIR/response.npz (from `neohebb thermal`) and write DIR/model_card.json: shared-pole
Foster network for every probe/heater pair (tau_s, residues_k_per_w, fit error), the same
for the filaments as sources (a programming pulse's own heat), the Cauer ladder of the
centre cell's self term, the error of the model-order-reduction route at the same order,
derived figures (R_self, dominant time constants, rise for a heater pulse, crosstalk ratios,
energy per update, the heater's drive and limits) and provenance; plus DIR/fit_thermal.png.
Settings: the [fit] table of a run configuration (--config): rel_tol, max_poles,
pulse_power_w, pulse_width_s, heater_power_w, switching_csv, switching_series_ohm, ....
--switching CSV fits every member of the switching family with its noise model and keeps the
lowest BIC (fit_switching.png); variability parameters are representative defaults.
A fit worse than rel_tol, or a switching CSV no member can fit, is refused with the figure
and the setting to change.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="directory holding response.npz")
    parser.add_argument("--config", help="run configuration TOML whose [fit] table is used")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--switching",
        metavar="CSV",
        help="switching measurements to fit (columns temperature_k, g0_s, "
        "polarity, pulse_v, pulse_s, dg_s; SI units); 'example' = the shipped SYNTHETIC "
        "set; default: [fit] switching_csv of --config, else the model's default parameters",
    )
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="the --switching CSV is generated, not measured: the card and plots say so",
    )


def handle(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from devicefit.stage import fit_config_from_dict, run_fit, with_switching_csv
    from neohebb.config import config_table

    base = None if args.config is None else Path(args.config).parent
    config = fit_config_from_dict(config_table(args.config, "fit"), base=base)
    if args.switching is not None:  # replaces the configuration's CSV and its label
        config = with_switching_csv(replace(config, switching_synthetic=False), args.switching)
    if args.synthetic:
        config = replace(config, switching_synthetic=True)
    out = run_fit(args.dir, config, plots=not args.no_plots)
    print_card_summary(out / "model_card.json")
    return 0


def print_card_summary(path: Path) -> None:
    """The card's fit quality and derived figures, one per line."""
    from devicefit.card import read_card

    card = read_card(path)
    th = card.thermal
    print(
        f"model card {path}: {len(th.network.tau_s)} shared poles, "
        f"max fit error {100 * th.fit_max_rel_error:.2f} % of R_self, "
        f"T_ambient {th.t_ambient_k:g} K"
    )
    for key, value in card.derived.to_json().items():
        if key == "heater":
            continue
        if isinstance(value, list):
            text = ", ".join(f"{v:.4g}" for v in value)
        else:
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"  {key:<22} {text}")
    sw = card.switching
    print(f"  switching              {sw.source}")
    for row in sw.selection:
        print(
            f"    {row['model']:<18} BIC {row['bic']:10.1f}  AIC {row['aic']:10.1f}  "
            f"k {row['n_fitted']:2d}  noise {100 * row['sigma_mult_rel']:.2g} % + "
            f"{row['sigma_add_s']:.2g} S"
        )
    fil = th.filament
    c = card.geometry.cells().index(card.geometry.centre())
    print(
        f"  filament self          {fil.network.steady_k_per_w()[c, c]:.4g} K/W steady, "
        f"{fil.pulse_mean_k_per_w(1e-9)[c, c]:.4g} K/W over a 1 ns pulse "
        f"(mean rise time {fil.tau_mean_self_s:.3g} s)"
    )
    lin = th.linearity
    if lin is None:
        print("  linearity              not checked (no operating-point run in the thermal stage)")
    else:
        error = "n/a" if lin.max_rel_error is None else f"{100 * lin.max_rel_error:.3g} %"
        after = (
            "n/a" if lin.corrected_rel_error is None else f"{100 * lin.corrected_rel_error:.3g} %"
        )
        print(
            f"  linearity              {error} error of linear superposition at "
            f"{lin.band_k[0]:g}-{lin.band_k[1]:g} K ({lin.power_w * 1e3:.3g} mW, k(T), c_p(T)); "
            f"Kirchhoff map n = {lin.kirchhoff.exponent:.3f} leaves {after}: "
            + ("applied by snn" if lin.apply_correction else "within tolerance, not applied")
        )
    h = card.derived.heater
    if h is not None:
        print(
            f"  heater at {h.power_w * 1e3:.3g} mW     {h.material}, {h.resistance_ohm:.4g} Ohm, "
            f"{h.current_a * 1e3:.3g} mA, {h.voltage_v:.3g} V, "
            f"{h.current_density_a_per_m2 * 1e-10:.3g} MA/cm^2, mean {h.mean_temperature_k:.0f} K, "
            f"hottest {h.peak_temperature_k:.0f} K"
        )
        for warning in h.warnings:
            print(f"  WARNING: {warning}")
