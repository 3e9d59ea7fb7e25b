"""Co-design studies: a grid (or list) of designs over dotted spec paths, each meshed,
screened and (optionally) solved and fitted, on Dask; one table of figures of merit.

A study file (TOML)::

    base = "default"            # or a device spec TOML, relative to the study file
    design = "grid"             # every combination of [axes]; "points": the [[points]] list
    full = true                 # transient + fit per design; false = steady screening only
    target_rise_k = 100.0       # the trace rise the heater figures are given for
    [axes]
    "array.pitch_nm" = [200, 300, 400]
    "stack.isolation.thickness_nm" = [30, 100, 300]
    [thermal]                   # optional: as in a run configuration
    [fit]                       # optional: as in a run configuration
    [learning]                  # optional (needs full): the maze on each design's card
    seeds = [0, 1, 2]           #   one run per seed; the rest as [maze] of a run configuration
    episodes = 300              #   (backend "thermal" unless given)

Every design is built and validated before anything is meshed; a bad one is refused with its
number, its values and the field. Each design is keyed by a hash of its spec, the settings
and the code version, and lives in ``OUT/designs/<key>/`` with the stage outputs and its
``design.json``: a rerun or a resumed study skips finished designs. A design that fails is
recorded with its error (and tried again next time) and does not stop the study. Designs are
independent tasks on Dask distributed: a ``LocalCluster`` with one single-threaded worker
process per core, or the scheduler given by address; ``workers = 1`` without a scheduler runs
them in this process. The figures (``thermal.screen``, ``devicefit``) are those of each
design's centre cell.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import os
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meshes.files import (
    StageError,
    check_output_dir,
    code_version,
    directory_lock,
    read_cached_record,
    read_text,
    sha256_file,
    sha256_json,
    write_json_atomic,
)
from meshes.spec import DeviceSpec, SpecError, interface_pair, spec_from_dict

STUDY_VERSION = 1
DESIGN_MODES = ("grid", "points")
KNOWN_KEYS = frozenset(
    {"base", "design", "full", "target_rise_k", "axes", "points", "thermal", "fit", "learning"}
)
DEFAULT_LEARNING_SEEDS = (0, 1, 2)


class StudyError(StageError):
    """A study file or one of its designs is invalid; the message names the design and field."""


@dataclass(frozen=True)
class Design:
    """One point of the study: its values by dotted path, and the spec they give."""

    index: int
    values: dict[str, Any]
    spec: DeviceSpec


@dataclass(frozen=True)
class Study:
    """A parsed, checked study: the designs and what to compute for each."""

    designs: tuple[Design, ...]
    axes: tuple[str, ...]
    full: bool = True
    target_rise_k: float = 100.0
    thermal: dict[str, Any] = field(default_factory=dict)
    fit: dict[str, Any] = field(default_factory=dict)
    learning: dict[str, Any] | None = None  # the [learning] table, seeds resolved; None: none
    mode: str = "grid"  # "grid" or "points" (how the designs were given)

    def settings(self) -> dict[str, Any]:
        """What a design's figures depend on besides its spec."""
        out = {
            "full": self.full,
            "target_rise_k": self.target_rise_k,
            "thermal": self.thermal,
            "fit": self.fit,
        }
        if self.learning is not None:  # (absent, so studies without it keep their keys)
            out["learning"] = self.learning
        return out


def load_study(path: str | Path) -> Study:
    """Read a study TOML (see the module docstring)."""
    p = Path(path)
    text = read_text(p, StudyError, "study file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{p}: not valid TOML: {exc}") from exc
    return study_from_dict(data, base_dir=p.parent)


def study_from_dict(data: dict[str, Any], *, base_dir: Path = Path()) -> Study:
    """A checked ``Study``: every design is built and validated here, before any meshing."""
    from neohebb.config import check_known_keys, device_spec_field

    check_known_keys(data, KNOWN_KEYS, StudyError)
    base = device_spec_field(data, "base", base_dir, StudyError)
    mode = data.get("design", "grid")
    if mode not in DESIGN_MODES:
        raise StudyError(f"design: {mode!r} is not one of {DESIGN_MODES}")
    full = data.get("full", True)
    if not isinstance(full, bool):
        raise StudyError(f"full: true or false, got {full!r}")
    target = data.get("target_rise_k", 100.0)
    if isinstance(target, bool) or not isinstance(target, int | float) or not target > 0:
        raise StudyError(f"target_rise_k: a positive number of kelvin, got {target!r}")
    for table in ("thermal", "fit"):
        if not isinstance(data.get(table, {}), dict):
            raise StudyError(f"{table}: expected a table")
    _check_settings(data.get("thermal", {}), data.get("fit", {}))
    learning = _learning_table(data.get("learning"), full)
    points = _points(data, mode)
    axes = tuple(dict.fromkeys(k for p in points for k in p))
    base_dict = base.to_dict()
    designs = tuple(
        Design(i, values, _design_spec(base_dict, values, i)) for i, values in enumerate(points)
    )
    return Study(
        designs,
        axes,
        full,
        float(target),
        dict(data.get("thermal", {})),
        dict(data.get("fit", {})),
        learning,
        mode,
    )


def _learning_table(table: Any, full: bool) -> dict[str, Any] | None:
    """The checked [learning] table with its seeds as a list (None when absent)."""
    from snn.agent import AgentError, agent_config_from_dict

    if table is None:
        return None
    if not isinstance(table, dict):
        raise StudyError("learning: expected a table")
    if not full:
        raise StudyError("learning: needs full = true (the maze runs on each design's card)")
    out = dict(table)
    seeds = out.pop("seeds", list(DEFAULT_LEARNING_SEEDS))
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = list(range(seeds))
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in seeds)
    ):
        raise StudyError(
            f"learning.seeds: a count or a non-empty list of integers >= 0, got {seeds!r}"
        )
    if "seed" in out:
        raise StudyError("learning.seed: give learning.seeds (one run per seed)")
    out.setdefault("backend", "thermal")
    try:
        agent_config_from_dict(out)
    except AgentError as exc:
        raise StudyError(f"learning.{exc}") from exc
    return {**out, "seeds": seeds}


def _check_settings(thermal: dict[str, Any], fit: dict[str, Any]) -> None:
    from devicefit.stage import fit_config_from_dict
    from thermal.config import thermal_config_from_dict

    try:
        thermal_config_from_dict(thermal)
        fit_config_from_dict(fit)
    except StageError as exc:
        raise StudyError(str(exc)) from exc


def _points(data: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    """The designs' values by dotted path: the grid of [axes] or the [[points]] list."""
    if mode == "grid":
        axes = data.get("axes")
        if not isinstance(axes, dict) or not axes:
            raise StudyError("axes: a grid study needs an [axes] table of dotted spec paths")
        for name, values in axes.items():
            if not isinstance(values, list) or not values:
                raise StudyError(f"axes.{name}: expected a non-empty list of values")
        return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    points = data.get("points")
    if not isinstance(points, list) or not points or not all(isinstance(p, dict) for p in points):
        raise StudyError("points: a points study needs a [[points]] list of tables")
    return [dict(p) for p in points]


def _design_spec(base: dict[str, Any], values: dict[str, Any], index: int) -> DeviceSpec:
    """The base spec with ``values`` set at their dotted paths, validated."""
    data = copy.deepcopy(base)
    label = _label(index, values)
    for dotted, value in values.items():
        node = data
        parts = dotted.split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            free_key = last and depth == 1 and parts[0] == "interfaces"  # "interfaces.TiN/SiO2"
            if not isinstance(node, dict) or (part not in node and not free_key):
                where = ".".join(parts[: depth + 1])
                raise StudyError(f"{label}: {where}: not a field of the device spec")
            if free_key:  # the same pair under another spelling ("SiO2/TiN") is replaced
                for key in [k for k in node if interface_pair(k) == interface_pair(part)]:
                    del node[key]
            if last:
                if isinstance(node.get(part), dict):
                    raise StudyError(f"{label}: {dotted}: a table, not a value")
                node[part] = value
            else:
                node = node[part]
    data["name"] = f"{base['name']}-design{index}"
    try:
        return spec_from_dict(data)
    except SpecError as exc:
        raise StudyError(f"{label}: {exc}") from exc


def _label(index: int, values: dict[str, Any]) -> str:
    return f"design {index} ({', '.join(f'{k}={v!r}' for k, v in values.items())})"


def design_key(design: Design, study: Study) -> str:
    """Cache key of one design: spec, settings and code version (16 hex digits)."""
    spec = design.spec.to_dict()
    spec.pop("name")
    code = [code_version(), sha256_file(Path(__file__))]  # the figures are computed here too
    return sha256_json({"spec": spec, "settings": study.settings(), "code": code})[:16]


# --- one design (a Dask task) ----------------------------------------------------------------


def evaluate_design(
    design_dir: str, spec: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    """Mesh, screen and (``full``) solve and fit one design in ``design_dir``; its figures.

    Any failure is returned as ``{"error": message}`` rather than raised: one design must not
    stop a study. The record is written to ``design_dir/design.json`` only on success.
    """
    import time

    out = Path(design_dir)
    clock = time.perf_counter()
    try:
        figures = _figures(out, spec_from_dict(spec), settings)
    except Exception as exc:  # recorded in the table, the study goes on
        return {"error": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - clock}
    record = {"figures": figures, "seconds": time.perf_counter() - clock}
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "design.json", record)
    return record


def _figures(out: Path, spec: DeviceSpec, settings: dict[str, Any]) -> dict[str, Any]:
    import time

    from mpi4py import MPI

    from devicefit.card import read_card
    from devicefit.stage import fit_config_from_dict, run_fit
    from meshes.device import build_device
    from thermal.config import thermal_config_from_dict
    from thermal.modal import mean_rise_time_s
    from thermal.screen import heater_drive, screen_device
    from thermal.stage import run_thermal

    seconds: dict[str, float] = {}
    t = time.perf_counter()
    build_device(spec, out, picture=False)
    seconds["mesh"] = time.perf_counter() - t
    # a study screens many designs: the operating point's k(T) run (3x the thermal stage) is
    # made only where the study's [thermal] table asks for it (linearity_power_w)
    thermal_cfg = thermal_config_from_dict({"linearity_power_w": 0.0, **settings["thermal"]})
    t = time.perf_counter()
    steady = screen_device(out, thermal_cfg, comm=MPI.COMM_SELF)
    seconds["screen"] = time.perf_counter() - t
    figures: dict[str, Any] = {
        "r_self_k_per_w": steady.r_self_k_per_w,
        "heater_rise_k_per_w": steady.heater_rise_k_per_w,
        "crosstalk_nearest": steady.crosstalk_nearest,
        "crosstalk_diagonal": steady.crosstalk_diagonal,
        "crosstalk_nearest_column": steady.crosstalk_nearest_column,
        "crosstalk_array_sum": steady.crosstalk_array_sum,
        "tau_mean_s": steady.tau_mean_self_s,
        "tau_mean_nearest_s": steady.tau_mean_nearest_s,
        "heatsink_balance": steady.heatsink_balance,
        "cell_area_m2": (spec.array.pitch_nm * 1e-9) ** 2,
        **heater_drive(spec, steady, settings["target_rise_k"]),
    }
    if settings["full"]:
        t = time.perf_counter()
        run_thermal(out, thermal_cfg, comm=MPI.COMM_SELF, plots=False, progress=False)
        seconds["thermal"] = time.perf_counter() - t
        t = time.perf_counter()
        run_fit(out, fit_config_from_dict(settings["fit"]), plots=False)
        seconds["fit"] = time.perf_counter() - t
        card = read_card(out / "model_card.json")
        net, d = card.thermal.network, card.derived
        c = list(net.heaters).index(d.cell)
        if settings.get("learning") is not None:
            t = time.perf_counter()
            figures.update(_learning_figures(card, settings["learning"]))
            seconds["learning"] = time.perf_counter() - t
        figures.update(
            tau_dominant_s=d.dominant_tau_s[0],
            tau_mean_card_s=mean_rise_time_s(net.tau_s, net.residues_k_per_w[c, c]),
            energy_per_kelvin_j=d.pulse_power_w * d.pulse_width_s / d.pulse_rise_k,
            fit_max_rel_error=card.thermal.fit_max_rel_error,
        )
    figures["seconds"] = seconds
    return figures


def _learning_figures(card: Any, table: dict[str, Any]) -> dict[str, Any]:
    """The maze on the design's card, one run per seed (the seeds batched): the share that
    reached the criterion, the median episodes to it (a run that never reached it counts as
    the episode budget: ``snn.agent.censored_episodes``: the median is a lower bound of the
    true one), the mean final success rate and energy per synapse update."""
    import dataclasses

    import numpy as np

    from snn.agent import agent_config_from_dict, censored_episodes, run_agents

    settings = {k: v for k, v in table.items() if k != "seeds"}
    base = agent_config_from_dict(settings)
    runs = run_agents([dataclasses.replace(base, seed=seed) for seed in table["seeds"]], card)
    reached = [r.episodes_to_criterion for r in runs]
    censored = censored_episodes(reached, base.episodes)
    energy = [r.energy_per_synapse_update_j for r in runs if r.energy_per_synapse_update_j]
    return {
        "learning_reached_fraction": float(np.mean([e is not None for e in reached])),
        "learning_episodes_median": float(np.median(censored)),
        "learning_final_success": float(np.mean([r.final_success_rate for r in runs])),
        "learning_energy_per_synapse_update_j": float(np.mean(energy)) if energy else None,
    }


# --- the study ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyResult:
    rows: list[dict[str, Any]]
    out: Path
    failed: int


def run_study(
    study: Study,
    out_dir: str | Path,
    *,
    scheduler: str | None = None,
    workers: int = 0,
    progress: bool = True,
    plots: bool = True,
) -> StudyResult:
    """Evaluate every design (cached ones are read back) and write study.json, study.csv
    and the plots into ``out_dir``."""
    out = check_output_dir(out_dir, StudyError)
    out.mkdir(parents=True, exist_ok=True)
    with directory_lock(out, StudyError):
        keys = [design_key(d, study) for d in study.designs]
        records: dict[int, dict[str, Any]] = {}
        todo = []
        first: dict[str, int] = {}  # key -> the design evaluated for it (equal specs once)
        for d, key in zip(study.designs, keys, strict=True):
            cached = _cached(out / "designs" / key / "design.json")
            if cached is not None:
                records[d.index] = cached
            elif key not in first:
                first[key] = d.index
                todo.append((d.index, str(out / "designs" / key), d.spec.to_dict()))
        for index, record in _evaluate(todo, study.settings(), scheduler, workers, progress):
            records[index] = record
        for d, key in zip(study.designs, keys, strict=True):
            if d.index not in records:
                records[d.index] = records[first[key]]
        rows = [_row(d, key, records[d.index]) for d, key in zip(study.designs, keys, strict=True)]
        summary = {
            "schema_version": STUDY_VERSION,
            "axes": list(study.axes),
            "design": study.mode,
            "settings": study.settings(),
            "code_version": code_version(),
            "designs": rows,
        }
        write_json_atomic(out / "study.json", summary)
        _write_csv_atomic(out / "study.csv", rows, study.axes)
        if plots:
            from neohebb.study_plots import plot_study

            plot_study(summary, out)
    return StudyResult(rows, out, sum(1 for r in rows if r["error"] is not None))


def _cached(path: Path) -> dict[str, Any] | None:
    """A finished design's record, or None (absent, unreadable or failed: computed again)."""
    data = read_cached_record(path)
    return data if data is not None and "figures" in data else None


def _evaluate(
    todo: list[tuple[int, str, dict[str, Any]]],
    settings: dict[str, Any],
    scheduler: str | None,
    workers: int,
    progress: bool,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(design index, record) as designs finish: on Dask, or here for one local worker."""
    if not todo:
        return
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc="study", unit="design", disable=not progress)
    try:
        if scheduler is None and workers == 1:
            for index, ddir, spec in todo:
                yield index, evaluate_design(ddir, spec, settings)
                bar.update()
            return
        yield from _on_dask(todo, settings, scheduler, workers, bar.update)
    finally:
        bar.close()


def _on_dask(
    todo: list[tuple[int, str, dict[str, Any]]],
    settings: dict[str, Any],
    scheduler: str | None,
    workers: int,
    done: Callable[[], Any],
) -> Iterator[tuple[int, dict[str, Any]]]:
    from distributed import as_completed

    from snn.parallel import dask_client

    with dask_client(scheduler, workers, len(todo)) as client:
        futures = {
            client.submit(evaluate_design, ddir, spec, settings, pure=False): index
            for index, ddir, spec in todo
        }
        for future in as_completed(futures):
            try:
                record = future.result()
            except Exception as exc:  # a worker died (out of memory, a crash): recorded
                record = {"error": f"{type(exc).__name__}: {exc}", "seconds": None}
            yield futures[future], record
            done()


def _row(design: Design, key: str, record: dict[str, Any]) -> dict[str, Any]:
    figures = dict(record.get("figures", {}))
    seconds = figures.pop("seconds", {})
    return {
        "design": design.index,
        "key": key,
        **{f"axis:{k}": v for k, v in design.values.items()},
        **figures,
        "seconds": record.get("seconds"),
        "stage_seconds": seconds,
        "error": record.get("error"),
    }


def _write_csv_atomic(path: Path, rows: list[dict[str, Any]], axes: tuple[str, ...]) -> None:
    """One line per design: the axes, then every scalar figure (empty where not computed)."""
    columns: list[str] = []
    for row in rows:
        for k, v in row.items():
            if k not in columns and not isinstance(v, dict):
                columns.append(k)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
