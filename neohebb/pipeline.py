"""The whole pipeline: each stage reads the files the previous one wrote into ``out_dir``."""

from __future__ import annotations

import logging
from pathlib import Path

from meshes.device import build_device
from meshes.spec import validate
from neohebb.config import RunConfig

log = logging.getLogger(__name__)


def run_pipeline(config: RunConfig, *, progress: bool = True) -> Path:
    """Run every implemented stage in order; returns the results directory.

    Stages: mesh (device.msh/json/png) -> thermal (response.npz, thermal.json, plots) ->
    fit (model_card.json, fit_thermal.png) -> maze (maze/results.json, learning_curve.png,
    policy.png) -> sweep (sweep/sweep.json, sweep.png), learning on the run's own card when
    the maze backend is thermal.
    """
    validate(config.device)
    out = config.out_dir
    log.info("stage mesh -> %s", out)
    build_device(config.device, out, picture=config.mesh.picture)
    from thermal.stage import run_thermal  # dolfinx is heavy: import it only when used

    log.info("stage thermal -> %s", out)
    run_thermal(out, config.thermal, plots=config.mesh.picture)
    from devicefit.stage import run_fit

    log.info("stage fit -> %s", out)
    run_fit(out, config.fit, plots=config.mesh.picture)
    from snn.stage import run_maze, run_sweep

    card = out / "model_card.json" if config.maze.backend == "thermal" else None
    log.info("stage maze -> %s", out / "maze")
    plots = config.mesh.picture
    run_maze(config.maze, out / "maze", card_path=card, plots=plots, progress=progress)
    if config.sweep.enabled:
        log.info("stage sweep -> %s", out / "sweep")
        run_sweep(
            config.maze,
            out / "sweep",
            card_path=card,
            sweep=config.sweep,
            plots=plots,
            progress=progress,
        )
    return out
