"""``neohebb fit DIR``: compact thermal model from DIR/response.npz -> DIR/model_card.json."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "fit compact Foster/Cauer thermal models to DIR/response.npz -> DIR/model_card.json"
DESCRIPTION = """\
Read DIR/response.npz (from `neohebb thermal`) and write DIR/model_card.json: shared-pole
Foster network for every probe/heater pair (tau_s, residues_k_per_w, fit error), the Cauer
ladder of the centre cell's self term, the error of the model-order-reduction route at the
same order, derived figures (R_self, dominant time constants, rise for a heater pulse,
crosstalk ratios, energy per update) and provenance; plus DIR/fit_thermal.png.
Settings: the [fit] table of a run configuration (--config): rel_tol, max_poles,
pulse_power_w, pulse_width_s. --switching CSV fits the temperature-dependent switching
model (fit_switching.png); variability parameters are representative defaults.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="directory holding response.npz")
    parser.add_argument("--config", help="run configuration TOML whose [fit] table is used")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--switching",
        metavar="CSV",
        help="switching measurements to fit (columns temperature_k, g0_s, "
        "polarity, pulse_v, pulse_s, dg_s); 'example' = the shipped SYNTHETIC "
        "set; default: the model's default parameters",
    )


def handle(args: argparse.Namespace) -> int:
    from devicefit.stage import fit_config_from_dict, run_fit
    from neohebb.config import config_table

    config = fit_config_from_dict(config_table(args.config, "fit"))
    csv = args.switching
    if csv == "example":
        from importlib import resources

        csv = str(resources.files("devicefit").joinpath("example_switching.csv"))
    out = run_fit(args.dir, config, plots=not args.no_plots, switching_csv=csv)
    print_card_summary(out / "model_card.json")
    return 0


def print_card_summary(path: Path) -> None:
    """The card's fit quality and derived figures, one per line."""
    card = json.loads(path.read_text())
    th, derived = card["thermal"], card["derived"]
    print(
        f"model card {path}: {len(th['tau_s'])} shared poles, "
        f"max fit error {100 * th['fit_max_rel_error']:.2f} % of R_self"
    )
    for key, value in derived.items():
        if isinstance(value, list):
            text = ", ".join(f"{v:.4g}" for v in value)
        else:
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"  {key:<22} {text}")
