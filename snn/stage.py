"""The learning stage: ``run_maze`` (one run -> results.json and pictures) and ``run_sweep``
(trace decay x seeds and variability x seeds -> sweep.json and error-bar plots).

Both record what they learned on (the card's SHA-256 and the settings) in a stage block, so
``neohebb run`` can tell an up-to-date result from a stale one. Sweep runs are cached one file
each under ``OUT/.sweep-runs/`` (atomic writes, named by a hash of their configuration and of
what learning reads from the card), so an interrupted sweep resumes where it stopped; worker
processes are terminated when the sweep is interrupted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from devicefit.card import ModelCard, read_card_with_sha256
from meshes.files import (
    check_output_dir,
    code_version,
    directory_lock,
    read_cached_record,
    sha256_file,
    sha256_json,
    stage_key,
    staged_output,
    write_json,
    write_json_atomic,
)
from snn.agent import (
    AgentConfig,
    AgentError,
    RunResult,
    censored_episodes,
    config_to_json,
    run_agent,
    run_agents,
)
from snn.parallel import map_runs
from snn.sweep_stats import point_summary, trend_test, u_shape_test

DEFAULT_RATIOS = tuple(float(r) for r in np.logspace(-1, 1.5, 8))  # tau / frame
DEFAULT_VARIABILITY_MULTIPLIERS = (0.0, 1.0, 2.0, 4.0)  # x the card's d2d / c2c / stuck figures


@dataclass(frozen=True)
class SweepConfig:
    """The pipeline's sweep: decay ratios and variability multipliers, over ``seeds`` seeds."""

    enabled: bool = True
    seeds: int = 20  # enough for the bootstrap CIs and the claim tests (snn.sweep_stats)
    ratios: tuple[float, ...] = DEFAULT_RATIOS
    variabilities: tuple[float, ...] = DEFAULT_VARIABILITY_MULTIPLIERS
    # programming axes of the thermal back-end (empty: not swept): SET pulse amplitudes [V]
    # and access resistances [ohm], each at the base's other settings
    pulse_voltages: tuple[float, ...] = ()
    access_resistances_ohm: tuple[float, ...] = ()
    workers: int = 0  # 0 = one per core (a Dask LocalCluster; 1: in this process)
    scheduler: str = ""  # a Dask scheduler's address (tcp://HOST:PORT) instead of a LocalCluster
    # the seeds of a point run as batches of up to this many agents (``snn.agent.run_agents``,
    # bit for bit the single runs); each batch is one task, cached when it is back
    batch: int = 20

    def validate(self) -> None:
        """Errors name the field (``seeds``, ``ratios``, ...), before anything is written."""
        if not isinstance(self.enabled, bool):
            raise AgentError(f"enabled: expected true or false, got {self.enabled!r}")
        for name, least in (("seeds", 1), ("workers", 0), ("batch", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise AgentError(f"{name}: expected an integer >= {least}, got {value!r}")
        if not isinstance(self.scheduler, str) or (self.scheduler and "://" not in self.scheduler):
            raise AgentError(
                f"scheduler: expected a Dask scheduler address such as tcp://HOST:8786, got "
                f"{self.scheduler!r}"
            )
        for name, positive, required in (
            ("ratios", True, False),
            ("variabilities", False, False),
            ("pulse_voltages", True, False),
            ("access_resistances_ohm", False, False),
        ):
            values = getattr(self, name)
            ok = (bool(values) or not required) and all(
                isinstance(v, int | float)
                and not isinstance(v, bool)
                and math.isfinite(v)
                and (v > 0 if positive else v >= 0)
                for v in values
            )
            if not ok:
                kind = "positive" if positive else "non-negative"
                raise AgentError(
                    f"{name}: expected a {'non-empty ' if required else ''}list of finite "
                    f"{kind} numbers, got {list(values)!r}"
                )


def sweep_config_from_dict(data: dict[str, Any]) -> SweepConfig:
    """A SweepConfig from a TOML table; errors name the field."""
    allowed = {f.name for f in fields(SweepConfig)}
    bad = sorted(set(data) - allowed)
    if bad:
        raise AgentError(f"{bad[0]}: unknown field (allowed: {', '.join(sorted(allowed))})")
    values = dict(data)
    for key in ("ratios", "variabilities", "pulse_voltages", "access_resistances_ohm"):
        if key in values:
            if not isinstance(values[key], list):
                raise AgentError(f"{key}: expected a list of numbers, got {values[key]!r}")
            values[key] = tuple(values[key])
    cfg = replace(SweepConfig(), **values)
    cfg.validate()
    return cfg


def load_card(card_path: str | Path | None) -> tuple[ModelCard | None, dict[str, str]]:
    """The card (None for a back-end without one) and what the result depends on: the
    SHA-256 of the very bytes parsed."""
    if card_path is None:
        return None, {}
    card, digest = read_card_with_sha256(card_path)
    return card, {"model_card.json": digest}


def learning_inputs(card_path: str | Path | None) -> dict[str, str]:
    """The card a learning result depends on, by content (for keys computed before a run)."""
    return {} if card_path is None else {"model_card.json": sha256_file(card_path)}


def maze_key(cfg: AgentConfig, card_path: str | Path | None) -> str:
    """The key ``results.json`` records for ``cfg`` on the card at ``card_path``."""
    return stage_key("maze", config_to_json(cfg), learning_inputs(card_path))


def sweep_key(base: AgentConfig, sweep: SweepConfig, card_path: str | Path | None) -> str:
    """The key ``sweep.json`` records."""
    settings = {"base": config_to_json(base), "sweep": _sweep_settings(sweep)}
    return stage_key("sweep", settings, learning_inputs(card_path))


def _sweep_settings(sweep: SweepConfig) -> dict[str, Any]:
    """What a sweep's result depends on (not how many workers computed it)."""
    return {
        "seeds": sweep.seeds,
        "ratios": sweep.ratios,
        "variabilities": sweep.variabilities,
        "pulse_voltages": sweep.pulse_voltages,
        "access_resistances_ohm": sweep.access_resistances_ohm,
    }


MAZE_PICTURES = ("learning_curve.png", "policy.png")
SWEEP_AXES = ("decay", "variability", "pulse_v", "access_resistance")
SWEEP_PICTURES = ("sweep.png",)


def _record(
    name: str,
    settings: Any,
    card_path: str | Path | None,
    inputs: dict[str, str],
    pictures: tuple[str, ...],
) -> dict[str, Any]:
    """The stage block of a learning output. The card may live in another directory, so its
    hash (of the bytes learned on) enters the key and is recorded, rather than being checked
    as a file beside the output."""
    return {
        "name": name,
        "code": code_version(),
        "key": stage_key(name, settings, inputs),
        "inputs": {},
        "outputs": {},
        "pictures": sorted(pictures),
        "card": None if card_path is None else str(Path(card_path).resolve()),
        "card_sha256": inputs.get("model_card.json"),
    }


def run_maze(
    cfg: AgentConfig,
    out_dir: str | Path,
    *,
    card_path: str | Path | None = None,
    plots: bool = True,
    progress: bool = True,
) -> tuple[Path, RunResult]:
    """One training run; writes results.json, learning_curve.png and policy.png to out_dir."""
    cfg.validate()
    out = check_output_dir(out_dir, AgentError)
    card, inputs = load_card(card_path)
    with directory_lock(out, AgentError):
        result = run_agent(cfg, card, progress=progress)
        _write_maze(out, result, cfg, card_path, inputs, plots)
    return out, result


def _write_maze(
    out: Path,
    result: RunResult,
    cfg: AgentConfig,
    card_path: str | Path | None,
    inputs: dict[str, str],
    plots: bool,
) -> None:
    with staged_output(out, error=AgentError) as scratch:
        if plots:
            from snn.plots import plot_learning_curve, plot_policy

            plot_learning_curve(result, scratch / "learning_curve.png")
            plot_policy(result, scratch / "policy.png")
        data = result.to_json()
        data["card"] = None if card_path is None else str(Path(card_path).resolve())
        data["stage"] = _record(
            "maze", config_to_json(cfg), card_path, inputs, MAZE_PICTURES if plots else ()
        )
        write_json(scratch / "results.json", data)


def _run_key(cfg: AgentConfig, card: ModelCard | None) -> str:
    """Cache key of one sweep run: its configuration and what learning reads from the card."""
    return sha256_json(
        {
            "config": config_to_json(cfg),
            "card": None if card is None else card.content_sha256(),
            "code": code_version(),
        }
    )[:16]


def _summary(result: RunResult) -> dict[str, Any]:
    return {
        "config": config_to_json(result.config),
        "episodes_to_criterion": result.episodes_to_criterion,
        "final_success_rate": result.final_success_rate,
        "energy_per_update_j": result.energy_per_update_j,
        "energy_per_synapse_update_j": result.energy_per_synapse_update_j,
        "mean_peak_rise_k": result.mean_peak_rise_k,
        "share_below_5k": None
        if result.selectivity is None
        else result.selectivity["share_below_5k"],
        "pulse_widths_s": result.pulse_widths_s,
        "frame_s": result.frame_s,
        "trace_tau_s": result.trace_tau_s,
        "success": result.success,
    }


def _batch(job: tuple[list[AgentConfig], ModelCard | None]) -> list[dict[str, Any]]:
    """Worker: the summaries of one batch of agents (configurations that differ only in
    seed; the caller caches them: a worker of a remote scheduler need not see the output
    directory)."""
    cfgs, card = job
    return [_summary(r) for r in run_agents(cfgs, card)]


def batches(cfgs: list[AgentConfig], size: int) -> list[list[AgentConfig]]:
    """The configurations grouped by everything but the seed (in first-seen order), each
    group cut into batches of at most ``size`` agents."""
    groups: dict[str, list[AgentConfig]] = {}
    for cfg in cfgs:
        groups.setdefault(sha256_json(config_to_json(replace(cfg, seed=0))), []).append(cfg)
    return [g[i : i + size] for g in groups.values() for i in range(0, len(g), size)]


def sweep_jobs(base: AgentConfig, sweep: SweepConfig) -> list[tuple[str, float, AgentConfig]]:
    """(axis, value, configuration) of every run: decay ratios x seeds, and, for a back-end
    whose settings have a ``variability`` multiplier, variabilities x seeds."""
    jobs: list[tuple[str, float, AgentConfig]] = []
    for ratio in sweep.ratios:
        for s in range(sweep.seeds):
            jobs.append(("decay", ratio, replace(base, decay_ratio=ratio, seed=base.seed + s)))
    settings = base.settings()
    axes = (
        ("variability", "variability", sweep.variabilities),
        ("pulse_v", "pulse_v", sweep.pulse_voltages),
        ("access_resistance", "access_resistance_ohm", sweep.access_resistances_ohm),
    )
    for kind, name, values in axes:
        if not hasattr(settings, name):
            continue
        for value in values:
            varied = replace(base, synapses=replace(settings, **{name: value}))
            for s in range(sweep.seeds):
                jobs.append((kind, value, replace(varied, seed=base.seed + s)))
    return jobs


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
    reported as such. Variability is swept only with a back-end that has it (thermal).
    """
    base.validate()
    sweep.validate()
    out = check_output_dir(out_dir, AgentError)
    card, inputs = load_card(card_path)
    jobs = sweep_jobs(base, sweep)
    if not jobs:
        raise AgentError(
            "sweep: nothing to run: every axis is empty (ratios, variabilities, "
            "pulse_voltages, access_resistances_ohm; the last three need the thermal back-end)"
        )
    with directory_lock(out, AgentError):
        cache = out / ".sweep-runs"
        cache.mkdir(parents=True, exist_ok=True)
        results = _run_all(
            jobs, card, cache, sweep.workers, sweep.scheduler or None, progress, sweep.batch
        )
        _write_sweep(out, base, sweep, jobs, results, card, card_path, inputs, plots)
    return out


def _write_sweep(
    out: Path,
    base: AgentConfig,
    sweep: SweepConfig,
    jobs: list[tuple[str, float, AgentConfig]],
    results: dict[str, dict[str, Any]],
    card: ModelCard | None,
    card_path: str | Path | None,
    inputs: dict[str, str],
    plots: bool,
) -> None:
    with staged_output(out, error=AgentError) as scratch:
        table = _table(base, sweep, jobs, results, card, card_path)
        if plots:
            from snn.plots import plot_sweep

            plot_sweep(table, scratch)
        table["stage"] = _record(
            "sweep",
            {"base": config_to_json(base), "sweep": _sweep_settings(sweep)},
            card_path,
            inputs,
            SWEEP_PICTURES if plots else (),
        )
        write_json(scratch / "sweep.json", table)


def _run_all(
    jobs: list[tuple[str, float, AgentConfig]],
    card: ModelCard | None,
    cache: Path,
    workers: int,
    scheduler: str | None,
    progress: bool,
    batch: int = 20,
) -> dict[str, dict[str, Any]]:
    """Every run's summary by key: from the cache, or computed (in worker processes, a batch
    of seeds per task)."""
    results: dict[str, dict[str, Any]] = {}
    todo: dict[str, AgentConfig] = {}
    for _, _, cfg in jobs:
        key = _run_key(cfg, card)
        path = cache / f"{key}.json"
        cached = read_cached_record(path)
        if cached is not None and cached.get("config") == config_to_json(cfg):
            results[key] = cached
        else:
            todo[key] = cfg
    groups = batches(list(todo.values()), batch)
    keys = {id(cfg): key for key, cfg in todo.items()}
    runs = map_runs(
        _batch,
        [(g, card) for g in groups],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc=f"sweep ({len(todo)} runs in {len(groups)} batches)",
        unit="batch",
    )
    for group, summaries in zip(groups, runs, strict=True):
        for cfg, summary in zip(group, summaries, strict=True):
            key = keys[id(cfg)]
            write_json_atomic(cache / f"{key}.json", summary)  # cached as soon as it is back
            results[key] = summary
    return results


def _table(
    base: AgentConfig,
    sweep: SweepConfig,
    jobs: list[tuple[str, float, AgentConfig]],
    results: dict[str, dict[str, Any]],
    card: ModelCard | None,
    card_path: str | Path | None,
) -> dict[str, Any]:
    """sweep.json: one row per point of each axis, and the fastest decay ratio."""
    table: dict[str, Any] = {
        "backend": base.backend,
        "task": base.task,
        "episodes": base.episodes,
        "seeds": sweep.seeds,
        "criterion": "success rate >= 0.9 over a 20-episode window",
        "censored_value": base.episodes,
        "card": None if card_path is None else str(Path(card_path).resolve()),
    }
    for kind in SWEEP_AXES:
        points = sorted({x for k, x, _ in jobs if k == kind})
        rows = []
        for x in points:
            runs = [results[_run_key(c, card)] for k, v, c in jobs if k == kind and v == x]
            rows.append(_row(x, runs, base.episodes))
        if rows:
            table[kind] = rows
    table["claims"] = _claims(table, base)
    if "decay" in table:
        # by the median, as the U-shape claim (snn.sweep_stats): the mean of censored runs
        # is pulled by the budget
        means = np.array([row["median"] for row in table["decay"]])
        best = np.flatnonzero(means == means.min())
        unique = len(best) == 1 and table["decay"][int(best[0])]["reached"] > 0
        # None when no single ratio is fastest (ties, or no run at the best point reached)
        table["fastest_decay_ratio"] = table["decay"][int(best[0])]["x"] if unique else None
        table["fastest_is_intermediate"] = bool(0 < best[0] < len(means) - 1) if unique else None
    return table


def _claims(table: dict[str, Any], base: AgentConfig) -> dict[str, Any]:
    """The maze claims as tests (``snn.sweep_stats``): the decay optimum against both ends,
    and the trend of episodes with variability; None where the axis is missing."""
    budget = base.episodes

    def values(kind: str) -> tuple[list[float], list[np.ndarray]]:
        rows = table.get(kind, [])
        return [r["x"] for r in rows], [
            np.asarray(censored_episodes(r["episodes_to_criterion"], budget), float) for r in rows
        ]

    decay_x, decay_v = values("decay")
    var_x, var_v = values("variability")
    return {
        "u_shape": u_shape_test(decay_x, decay_v, seed=base.seed) if decay_x else None,
        "variability_trend": trend_test(var_x, var_v) if var_x else None,
        "method": "snn/sweep_stats.py: bootstrap 95 % CIs of medians (censored runs at the "
        "budget), one-sided Mann-Whitney U, Spearman rank correlation",
    }


def _row(x: float, runs: list[dict[str, Any]], budget: int) -> dict[str, Any]:
    etc = [r["episodes_to_criterion"] for r in runs]
    censored = censored_episodes(etc, budget)
    return {
        "x": x,
        "episodes_to_criterion": etc,
        **point_summary(etc, budget),
        "mean": float(np.mean(censored)),
        "sem": float(np.std(censored, ddof=1) / np.sqrt(len(censored)))
        if len(censored) > 1
        else 0.0,
        "reached": sum(e is not None for e in etc),
        "final_success_rate": [r["final_success_rate"] for r in runs],
        "energy_per_update_j": [r["energy_per_update_j"] for r in runs],
        "energy_per_synapse_update_j": [r["energy_per_synapse_update_j"] for r in runs],
        "mean_peak_rise_k": [r["mean_peak_rise_k"] for r in runs],
        "share_below_5k": [r.get("share_below_5k") for r in runs],
        "pulse_widths_s": runs[0].get("pulse_widths_s"),
        "trace_tau_s": runs[0]["trace_tau_s"],
        "frame_s": runs[0]["frame_s"],
    }
