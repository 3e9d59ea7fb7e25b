"""The whole pipeline: each stage reads the files the previous one wrote into ``out_dir``.

Every stage output records a key over its settings, the hashes of its inputs and the code
version (``meshes.files.stage_record``). A stage whose recorded key equals the key of this
run, and whose recorded files still check, is skipped; otherwise it runs, and re-running a
stage removes the outputs of the stages after it. So ``neohebb run`` twice recomputes
nothing, and after a spec change it recomputes from the mesh on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from meshes.files import directory_lock, record_is_current, stage_key
from neohebb.config import ConfigError, RunConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageOutcome:
    """What the pipeline did with one stage: "ran", "up to date" or "disabled"."""

    stage: str
    status: str
    output: Path


def run_pipeline(config: RunConfig, *, progress: bool = True) -> list[StageOutcome]:
    """Run (or skip, when up to date) every stage in order; returns what happened to each.

    Stages: mesh (device.msh/json/png) -> thermal (response.npz, thermal.json, plots) ->
    fit (model_card.json, plots) -> maze (maze/results.json, learning_curve.png,
    policy.png) -> sweep (sweep/sweep.json, sweep.png), learning on the run's own card when
    the maze back-end needs one.
    """
    out = config.out_dir
    with directory_lock(out, ConfigError):
        return [step(config, progress) for step in _STEPS]


def _up_to_date(directory: Path, manifest: str, key: Callable[[], str]) -> bool:
    """Whether ``directory/manifest`` exists with this key (the key is only computed then)."""
    return (directory / manifest).is_file() and record_is_current(directory, manifest, key())


def _mesh(config: RunConfig, progress: bool) -> StageOutcome:
    from meshes.device import build_device
    from meshes.info import mesh_settings

    out = config.out_dir
    fresh = _up_to_date(
        out, "device.json", lambda: stage_key("mesh", mesh_settings(config.device), {})
    )
    if fresh and (not config.mesh.picture or (out / "device.png").is_file()):
        return StageOutcome("mesh", "up to date", out)
    log.info("stage mesh -> %s", out)
    build_device(config.device, out, picture=config.mesh.picture)
    return StageOutcome("mesh", "ran", out)


def _thermal(config: RunConfig, progress: bool) -> StageOutcome:
    from thermal.stage import run_thermal, thermal_key  # dolfinx is heavy: import when used

    out = config.out_dir
    if _up_to_date(out, "thermal.json", lambda: thermal_key(out, config.thermal)):
        return StageOutcome("thermal", "up to date", out)
    log.info("stage thermal -> %s", out)
    run_thermal(out, config.thermal, plots=config.mesh.picture, progress=progress)
    return StageOutcome("thermal", "ran", out)


def _fit(config: RunConfig, progress: bool) -> StageOutcome:
    from devicefit.stage import fit_key, run_fit

    out = config.out_dir
    if _up_to_date(out, "model_card.json", lambda: fit_key(out, config.fit)):
        return StageOutcome("fit", "up to date", out)
    log.info("stage fit -> %s", out)
    run_fit(out, config.fit, plots=config.mesh.picture)
    return StageOutcome("fit", "ran", out)


def _card(config: RunConfig) -> Path | None:
    """The run's own card, when the maze back-end learns on one."""
    from snn.backends import backend_kind

    needs = backend_kind(config.maze.backend, ConfigError).needs_card
    return config.out_dir / "model_card.json" if needs else None


def _maze(config: RunConfig, progress: bool) -> StageOutcome:
    from snn.stage import maze_key, run_maze

    out, card = config.out_dir / "maze", _card(config)
    if _up_to_date(out, "results.json", lambda: maze_key(config.maze, card)):
        return StageOutcome("maze", "up to date", out)
    log.info("stage maze -> %s", out)
    plots = config.mesh.picture
    run_maze(config.maze, out, card_path=card, plots=plots, progress=progress)
    return StageOutcome("maze", "ran", out)


def _sweep(config: RunConfig, progress: bool) -> StageOutcome:
    from snn.stage import run_sweep, sweep_key

    out, card = config.out_dir / "sweep", _card(config)
    if not config.sweep.enabled:
        return StageOutcome("sweep", "disabled", out)
    if _up_to_date(out, "sweep.json", lambda: sweep_key(config.maze, config.sweep, card)):
        return StageOutcome("sweep", "up to date", out)
    log.info("stage sweep -> %s", out)
    plots = config.mesh.picture
    run_sweep(config.maze, out, card_path=card, sweep=config.sweep, plots=plots, progress=progress)
    return StageOutcome("sweep", "ran", out)


_STEPS: tuple[Callable[[RunConfig, bool], StageOutcome], ...] = (
    _mesh,
    _thermal,
    _fit,
    _maze,
    _sweep,
)
