"""``neohebb maze``: train the spiking actor-critic on a grid task (ideal or thermal synapses)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from snn.agent import AgentConfig, RunResult

HELP = "train a spiking agent (reward-based e-prop) on the maze or FrozenLake -> results.json"
DESCRIPTION = """\
Train the spiking actor-critic online with reward-based e-prop and write OUT/results.json
(per-episode return, steps and success; episodes_to_criterion = first episode at which the
success rate over a 20-episode window reaches 0.9; final success rate; energy per update),
OUT/learning_curve.png and OUT/policy.png.
Synapses: --card DIR/model_card.json (thermal: the trace is the cell's temperature rise,
weights are quantised conductance pairs programmed by the card's switching model) or
--trace ideal (float weights, exponential trace). --tau sets the trace time constant relative
to the step (frame) duration. Other settings: the [maze] table of --config.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--card", help="model_card.json (thermal synapses)")
    src.add_argument("--trace", choices=["ideal"], help="ideal exponential trace, float weights")
    parser.add_argument("--task", choices=["maze", "u-maze", "frozenlake"], default=None)
    parser.add_argument("--tau", type=float, default=None, help="trace tau / frame duration")
    parser.add_argument("--episodes", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--variability",
        type=float,
        default=None,
        help="multiplier on the card's variability figures (0 = none)",
    )
    parser.add_argument(
        "--observation",
        choices=["place", "neighbours"],
        default=None,
        help="place cells of the state, or only the 4 neighbouring cells (partially observed)",
    )
    parser.add_argument(
        "--network",
        choices=["feedforward", "recurrent"],
        default=None,
        help="one layer of action neurons, or an LSNN hidden layer (--trace ideal; sets "
        "eligibility = signed)",
    )
    parser.add_argument("--config", help="run configuration TOML whose [maze] table is used")
    parser.add_argument("--out", "-o", required=True, help="output directory")
    parser.add_argument("--no-plots", action="store_true")


def agent_config(args: argparse.Namespace, backend: str) -> AgentConfig:
    """The [maze] table of --config (or defaults) with the command-line overrides applied.

    The table's ``synapses`` settings are used when it names the same back-end as the command
    line (--card: thermal, --trace ideal); otherwise that back-end's defaults.
    """
    from dataclasses import replace

    from neohebb.config import config_table
    from snn.agent import AgentError, agent_config_from_dict

    table = dict(config_table(args.config, "maze"))
    if table.get("backend", "ideal") != backend:
        table.pop("synapses", None)
    cfg = agent_config_from_dict({**table, "backend": backend})
    overrides = {
        "task": args.task,
        "decay_ratio": args.tau,
        "episodes": args.episodes,
        "seed": args.seed,
        "observation": getattr(args, "observation", None),
        "network": getattr(args, "network", None),
    }
    if overrides["network"] == "recurrent":
        overrides["eligibility"] = "signed"  # the recurrent actor's only rule
    cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
    variability = getattr(args, "variability", None)
    if variability is not None:
        settings = cfg.settings()
        if not hasattr(settings, "variability"):
            raise AgentError(f"variability: the {backend} back-end has no device variability")
        cfg = replace(cfg, synapses=replace(settings, variability=variability))
    cfg.validate()
    return cfg


def handle(args: argparse.Namespace) -> int:
    from snn.stage import run_maze

    backend = "thermal" if args.card else "ideal"
    cfg = agent_config(args, backend)
    out, result = run_maze(cfg, args.out, card_path=args.card, plots=not args.no_plots)
    print_result(out, result)
    return 0


def print_result(out: Path, result: RunResult) -> None:
    cfg = result.config
    print(f"{cfg.task} with {cfg.backend} synapses (tau/frame {cfg.decay_ratio:.3g}) -> {out}/")
    print(
        f"  episodes to criterion  {result.episodes_to_criterion or 'not reached'}"
        f" of {cfg.episodes}"
    )
    print(f"  final success rate     {result.final_success_rate:.2f}")
    if result.energy_per_update_j is not None:
        heater = result.heater_energy_per_update_j or 0.0
        print(
            f"  energy per update      {result.energy_per_update_j * 1e12:.3g} pJ for the array, "
            f"{(result.energy_per_synapse_update_j or 0.0) * 1e12:.3g} pJ per synapse "
            f"(heater {heater * 1e12:.3g} pJ)"
        )
