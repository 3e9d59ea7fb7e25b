"""The learning stage: ``run_maze`` (one run -> results.json and pictures) and ``run_sweep``
(trace decay x seeds and variability x seeds -> sweep.json and error-bar plots).

Sweep runs are cached one file each under ``OUT/.sweep-runs/`` (atomic writes, named by a
hash of their configuration and card), so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from devicefit.card import read_card
from meshes.files import staged_output, write_json
from snn.agent import AgentConfig, AgentError, RunResult, run_agent

DEFAULT_RATIOS = tuple(float(r) for r in np.logspace(-1, 1.5, 8))  # tau / frame
DEFAULT_VARIABILITY = (0.0, 1.0, 2.0, 4.0)  # x the card's d2d / c2c / stuck figures


@dataclass(frozen=True)
class SweepConfig:
    """The pipeline's sweep: decay ratios and variability multipliers, over ``seeds`` seeds."""

    enabled: bool = True
    seeds: int = 3
    ratios: tuple[float, ...] = DEFAULT_RATIOS
    variabilities: tuple[float, ...] = DEFAULT_VARIABILITY
    workers: int = 0  # 0 = one per core


def sweep_config_from_dict(data: dict[str, Any]) -> SweepConfig:
    """A SweepConfig from a TOML table; errors name the field."""
    allowed = {"enabled", "seeds", "ratios", "variabilities", "workers"}
    bad = sorted(set(data) - allowed)
    if bad:
        raise AgentError(f"{bad[0]}: unknown field (allowed: {', '.join(sorted(allowed))})")
    cfg = SweepConfig()
    enabled = data.get("enabled", cfg.enabled)
    if not isinstance(enabled, bool):
        raise AgentError(f"enabled: expected true or false, got {enabled!r}")
    ints = {}
    for key in ("seeds", "workers"):
        value = data.get(key, getattr(cfg, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < (key == "seeds"):
            raise AgentError(f"{key}: expected an integer >= {int(key == 'seeds')}, got {value!r}")
        ints[key] = value
    lists = {}
    for key in ("ratios", "variabilities"):
        value = data.get(key, list(getattr(cfg, key)))
        ok = (
            isinstance(value, list)
            and value
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        )
        if not ok or min(value) < 0 or (key == "ratios" and min(value) <= 0):
            raise AgentError(f"{key}: expected a non-empty list of positive numbers, got {value!r}")
        lists[key] = tuple(float(v) for v in value)
    return SweepConfig(
        enabled, ints["seeds"], lists["ratios"], lists["variabilities"], ints["workers"]
    )


def load_card(card_path: str | Path | None) -> dict[str, Any] | None:
    return None if card_path is None else read_card(card_path)


def run_maze(
    cfg: AgentConfig,
    out_dir: str | Path,
    *,
    card_path: str | Path | None = None,
    plots: bool = True,
    progress: bool = True,
) -> tuple[Path, RunResult]:
    """One training run; writes results.json, learning_curve.png and policy.png to out_dir."""
    card = load_card(card_path)
    result = run_agent(cfg, card, progress=progress)
    out = Path(out_dir)
    with staged_output(out) as scratch:
        data = result.to_json()
        data["card"] = None if card_path is None else str(Path(card_path).resolve())
        write_json(scratch / "results.json", data)
        if plots:
            from snn.plots import plot_learning_curve, plot_policy

            plot_learning_curve(result, scratch / "learning_curve.png")
            plot_policy(result, scratch / "policy.png")
    return out, result


CACHE_VERSION = 2  # bump when a change to snn/ alters what a run computes or records


def _card_hash(card: dict[str, Any] | None) -> str:
    """Hash of what learning reads from a card (not its provenance or timestamps)."""
    if card is None:
        return "ideal"
    used = {k: card[k] for k in ("thermal", "switching", "variability")}
    return hashlib.sha256(json.dumps(used, sort_keys=True).encode()).hexdigest()


def _run_key(cfg: AgentConfig, card_hash: str) -> str:
    from neohebb import __version__

    text = json.dumps(asdict(cfg), sort_keys=True) + card_hash
    text += f"|cache {CACHE_VERSION}|neohebb {__version__}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _summary(result: RunResult) -> dict[str, Any]:
    return {
        "config": asdict(result.config),
        "episodes_to_criterion": result.episodes_to_criterion,
        "final_success_rate": result.final_success_rate,
        "energy_per_update_j": result.energy_per_update_j,
        "energy_per_synapse_update_j": result.energy_per_synapse_update_j,
        "mean_peak_rise_k": result.mean_peak_rise_k,
        "frame_s": result.frame_s,
        "trace_tau_s": result.trace_tau_s,
        "success": result.success,
    }


def _one(cfg: AgentConfig, card: dict[str, Any] | None, path: str) -> dict[str, Any]:
    summary = _summary(run_agent(cfg, card))
    tmp = f"{path}.tmp-{os.getpid()}"
    Path(tmp).write_text(json.dumps(summary))
    os.replace(tmp, path)
    return summary


def run_sweep(
    base: AgentConfig,
    out_dir: str | Path,
    *,
    card_path: str | Path | None = None,
    sweep: SweepConfig = SweepConfig(),
    plots: bool = True,
    progress: bool = True,
) -> Path:
    """Episodes to criterion vs trace decay (tau / frame) and vs variability, over seeds.

    Runs that never reach the criterion count as the episode budget (censored) and are
    reported as such. Variability is swept only with the thermal back-end (needs a card).
    """
    seeds, ratios, variabilities = sweep.seeds, sweep.ratios, sweep.variabilities
    if seeds < 1:
        raise AgentError(f"seeds: must be >= 1, got {seeds}")
    if not ratios or min(ratios) <= 0:
        raise AgentError(f"ratios: must be > 0, got {ratios}")
    card = load_card(card_path)
    card_hash = _card_hash(card)
    out = Path(out_dir)
    cache = out / ".sweep-runs"
    cache.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, float, AgentConfig]] = []
    for ratio in ratios:
        for s in range(seeds):
            jobs.append(("decay", ratio, replace(base, decay_ratio=ratio, seed=base.seed + s)))
    if base.backend == "thermal":
        for var in variabilities:
            for s in range(seeds):
                jobs.append(
                    ("variability", var, replace(base, variability=var, seed=base.seed + s))
                )
    results: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, AgentConfig]] = []
    for _, _, cfg in jobs:
        key = _run_key(cfg, card_hash)
        path = cache / f"{key}.json"
        cached = json.loads(path.read_text()) if path.is_file() else None
        if cached is not None and cached.get("config") == asdict(cfg):
            results[key] = cached
        elif key not in {k for k, _ in todo}:
            todo.append((key, cfg))
    n_workers = sweep.workers or min(len(todo), os.cpu_count() or 1) or 1
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="sweep", unit="run")
    if n_workers > 1 and len(todo) > 1:
        with ProcessPoolExecutor(n_workers, mp_context=get_context("spawn")) as pool:
            futures = {
                pool.submit(_one, cfg, card, str(cache / f"{key}.json")): key for key, cfg in todo
            }
            try:
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    if bar is not None:
                        bar.update()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # finished runs stay cached
                raise
    else:
        for key, cfg in todo:
            results[key] = _one(cfg, card, str(cache / f"{key}.json"))
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    table: dict[str, Any] = {
        "backend": base.backend,
        "task": base.task,
        "episodes": base.episodes,
        "seeds": seeds,
        "criterion": "success rate >= 0.9 over a 20-episode window",
        "censored_value": base.episodes,
        "card": None if card_path is None else str(Path(card_path).resolve()),
    }
    for kind in ("decay", "variability"):
        points = sorted({x for k, x, _ in jobs if k == kind})
        rows = []
        for x in points:
            runs = [results[_run_key(c, card_hash)] for k, v, c in jobs if k == kind and v == x]
            etc = [r["episodes_to_criterion"] for r in runs]
            censored = [base.episodes if e is None else e for e in etc]
            rows.append(
                {
                    "x": x,
                    "episodes_to_criterion": etc,
                    "mean": float(np.mean(censored)),
                    "sem": float(np.std(censored, ddof=1) / np.sqrt(len(censored)))
                    if len(censored) > 1
                    else 0.0,
                    "reached": sum(e is not None for e in etc),
                    "final_success_rate": [r["final_success_rate"] for r in runs],
                    "energy_per_update_j": [r["energy_per_update_j"] for r in runs],
                    "energy_per_synapse_update_j": [r["energy_per_synapse_update_j"] for r in runs],
                    "mean_peak_rise_k": [r["mean_peak_rise_k"] for r in runs],
                    "trace_tau_s": runs[0]["trace_tau_s"],
                    "frame_s": runs[0]["frame_s"],
                }
            )
        if rows:
            table[kind] = rows
    if "decay" in table:
        means = np.array([row["mean"] for row in table["decay"]])
        best = np.flatnonzero(means == means.min())
        unique = len(best) == 1 and table["decay"][int(best[0])]["reached"] > 0
        # None when no single ratio is fastest (ties, or no run at the best point reached)
        table["fastest_decay_ratio"] = table["decay"][int(best[0])]["x"] if unique else None
        table["fastest_is_intermediate"] = bool(0 < best[0] < len(means) - 1) if unique else None
    with staged_output(out) as scratch:
        write_json(scratch / "sweep.json", table)
        if plots:
            from snn.plots import plot_sweep

            plot_sweep(table, scratch)
    return out
