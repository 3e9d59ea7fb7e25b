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
from functools import partial
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


def _up_to_date(
    directory: Path, manifest: str, key: Callable[[], str], pictures: tuple[str, ...]
) -> bool:
    """Whether ``directory/manifest`` exists with this key and drew ``pictures`` (the key
    is only computed when the file exists)."""
    return (directory / manifest).is_file() and record_is_current(
        directory, manifest, key(), pictures=pictures
    )


def _pictures(config: RunConfig, names: tuple[str, ...]) -> tuple[str, ...]:
    return names if config.mesh.picture else ()


def _mesh(config: RunConfig, progress: bool) -> StageOutcome:
    from meshes.device import build_device
    from meshes.info import mesh_settings

    out = config.out_dir
    key = partial(stage_key, "mesh", mesh_settings(config.device), {})
    if _up_to_date(out, "device.json", key, _pictures(config, ("device.png",))):
        return StageOutcome("mesh", "up to date", out)
    log.info("stage mesh -> %s", out)
    build_device(config.device, out, picture=config.mesh.picture, force=config.mesh.force)
    return StageOutcome("mesh", "ran", out)


def _thermal(config: RunConfig, progress: bool) -> StageOutcome:
    from thermal.stage import (  # dolfinx is heavy: import it only when used
        THERMAL_PICTURES,
        run_thermal,
        thermal_key,
    )

    out = config.out_dir
    pictures = _pictures(config, THERMAL_PICTURES)
    if _up_to_date(out, "thermal.json", lambda: thermal_key(out, config.thermal), pictures):
        return StageOutcome("thermal", "up to date", out)
    log.info("stage thermal -> %s", out)
    run_thermal(out, config.thermal, plots=config.mesh.picture, progress=progress)
    return StageOutcome("thermal", "ran", out)


def _fit(config: RunConfig, progress: bool) -> StageOutcome:
    from devicefit.stage import FIT_PICTURES, fit_key, run_fit

    out = config.out_dir
    pictures = _pictures(config, FIT_PICTURES)
    if _up_to_date(out, "model_card.json", lambda: fit_key(out, config.fit), pictures):
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
    from snn.stage import MAZE_PICTURES, maze_key, run_maze

    out, card = config.out_dir / "maze", _card(config)
    pictures = _pictures(config, MAZE_PICTURES)
    if _up_to_date(out, "results.json", lambda: maze_key(config.maze, card), pictures):
        return StageOutcome("maze", "up to date", out)
    log.info("stage maze -> %s", out)
    plots = config.mesh.picture
    run_maze(config.maze, out, card_path=card, plots=plots, progress=progress)
    return StageOutcome("maze", "ran", out)


def _sweep(config: RunConfig, progress: bool) -> StageOutcome:
    from snn.stage import SWEEP_PICTURES, run_sweep, sweep_key

    out, card = config.out_dir / "sweep", _card(config)
    if not config.sweep.enabled:
        return StageOutcome("sweep", "disabled", out)
    key = partial(sweep_key, config.maze, config.sweep, card)
    if _up_to_date(out, "sweep.json", key, _pictures(config, SWEEP_PICTURES)):
        return StageOutcome("sweep", "up to date", out)
    log.info("stage sweep -> %s", out)
    plots = config.mesh.picture
    run_sweep(config.maze, out, card_path=card, sweep=config.sweep, plots=plots, progress=progress)
    return StageOutcome("sweep", "ran", out)


def _timit(config: RunConfig, progress: bool) -> StageOutcome:
    """The [timit] bit sweep (FP, quantised and, on the run's own card, thermal)."""
    from neohebb.commands.timit import default_cache_dir
    from snn.timit.sweep import bit_sweep_key, corpus_key, run_bit_sweep

    run, out = config.timit, config.out_dir / "timit"
    if not run.enabled or run.corpus is None:
        return StageOutcome("timit", "disabled", out)
    card = config.out_dir / "model_card.json" if run.thermal else None
    seeds = tuple(range(run.seeds))

    def key() -> str:
        from devicefit.card import read_card_with_sha256

        card_sha = read_card_with_sha256(card)[1] if card is not None else None
        data_key = corpus_key(run.corpus or Path(), run.test_set, run.features)
        return bit_sweep_key(run.network, run.bits, seeds, data_key, card_sha)

    if _up_to_date(out, "sweep.json", key, _pictures(config, ("bits.png",))):
        return StageOutcome("timit", "up to date", out)
    log.info("stage timit -> %s", out)
    run_bit_sweep(
        run.corpus,
        out,
        run.network,
        bits=run.bits,
        seeds=seeds,
        card_path=card,
        test_set=run.test_set,
        features=run.features,
        cache_dir=default_cache_dir(),
        progress=progress,
    )
    return StageOutcome("timit", "ran", out)


_STEPS: tuple[Callable[[RunConfig, bool], StageOutcome], ...] = (
    _mesh,
    _thermal,
    _fit,
    _maze,
    _sweep,
    _timit,
)
