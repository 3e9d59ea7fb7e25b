"""Run configuration for ``neohebb run``: which device, where to write, per-stage settings."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meshes.files import StageError, read_text
from meshes.spec import DeviceSpec, load_spec

if TYPE_CHECKING:  # the stages' settings are imported where a whole run config is read, so a
    # single stage's command (`neohebb thermal`) does not import scipy.optimize and numba
    from devicefit.stage import FitConfig
    from snn.agent import AgentConfig
    from snn.stage import SweepConfig
    from snn.timit.sweep import TimitRun
    from thermal.config import ThermalConfig


class ConfigError(StageError):
    """A run configuration is invalid; the message names the field."""


@dataclass(frozen=True)
class MeshStage:
    """Settings of the mesh stage."""

    refine: float = 1.0
    picture: bool = True
    force: bool = False  # mesh even above the size guard's limit


@dataclass(frozen=True)
class RunConfig:
    """A whole-pipeline run."""

    device: DeviceSpec
    out_dir: Path
    mesh: MeshStage
    thermal: ThermalConfig
    fit: FitConfig
    maze: AgentConfig
    sweep: SweepConfig
    timit: TimitRun


_TOP_KEYS = {"device_spec", "out_dir", "mesh", "thermal", "fit", "maze", "sweep", "timit"}


def read_run_toml(path: str | Path | None = None) -> tuple[dict[str, Any], Path]:
    """The raw run TOML (``None``: the embedded default) and the directory paths resolve in."""
    if path is None:
        text = resources.files("neohebb").joinpath("default_run.toml").read_text()
        base = Path.cwd()
        where = "embedded default_run.toml"
    else:
        p = Path(path)
        text, base, where = read_text(p, ConfigError, "run configuration"), p.parent, str(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    return data, base


def config_table(path: str | Path | None, name: str) -> dict[str, Any]:
    """Table ``name`` of the run configuration at ``path`` ({} without a path or table)."""
    if path is None:
        return {}
    data, _ = read_run_toml(path)
    return _table(data, name)


def load_run_config(path: str | Path | None = None) -> RunConfig:
    """Read and validate a run TOML; ``None`` reads the embedded default_run.toml."""
    data, base = read_run_toml(path)
    return config_from_dict(data, base=base)


def check_known_keys(
    data: dict[str, Any], known: frozenset[str] | set[str], error: type[StageError]
) -> None:
    """Refuse the first key of ``data`` that is not in ``known``, naming the allowed ones."""
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise error(f"{unknown[0]}: unknown field (allowed: {', '.join(sorted(known))})")


def device_spec_field(
    data: dict[str, Any], key: str, base: Path, error: type[StageError]
) -> DeviceSpec:
    """The device spec named by ``data[key]``: "default" (the embedded one, also when absent)
    or a spec TOML path relative to ``base``."""
    name = data.get(key, "default")
    if not isinstance(name, str):
        raise error(f"{key}: expected 'default' or a path, got {name!r}")
    return load_spec(None if name == "default" else base / name)


def config_from_dict(data: dict[str, Any], *, base: Path) -> RunConfig:
    """Validate a run-config dict; relative device paths resolve against ``base``."""
    from snn.agent import agent_config_from_dict
    from snn.stage import sweep_config_from_dict
    from thermal.config import thermal_config_from_dict

    check_known_keys(data, _TOP_KEYS, ConfigError)
    device = device_spec_field(data, "device_spec", base, ConfigError)
    out_dir = data.get("out_dir", "results/run")
    if not isinstance(out_dir, str) or not out_dir:
        raise ConfigError(f"out_dir: expected a directory path, got {out_dir!r}")
    mesh_table = data.get("mesh", {})
    if not isinstance(mesh_table, dict):
        raise ConfigError("mesh: expected a table")
    bad = sorted(set(mesh_table) - {"refine", "picture", "force"})
    if bad:
        raise ConfigError(f"mesh.{bad[0]}: unknown field (allowed: force, picture, refine)")
    refine = mesh_table.get("refine", device.mesh.refine)
    if isinstance(refine, bool) or not isinstance(refine, int | float):
        raise ConfigError(f"mesh.refine: expected a number, got {refine!r}")
    picture = mesh_table.get("picture", True)
    force = mesh_table.get("force", False)
    for name, value in (("picture", picture), ("force", force)):
        if not isinstance(value, bool):
            raise ConfigError(f"mesh.{name}: expected true or false, got {value!r}")
    thermal_table = data.get("thermal", {})
    if not isinstance(thermal_table, dict):
        raise ConfigError("thermal: expected a table")
    return RunConfig(
        device=device.with_refine(float(refine)),
        out_dir=Path(out_dir),
        mesh=MeshStage(refine=float(refine), picture=picture, force=force),
        thermal=thermal_config_from_dict(thermal_table),
        fit=_fit(data, base),
        maze=_learning(agent_config_from_dict, data, "maze"),
        sweep=_learning(sweep_config_from_dict, data, "sweep"),
        timit=_timit(data, base),
    )


def _fit(data: dict[str, Any], base: Path) -> FitConfig:
    """The [fit] table; its errors are already named ``fit.<field>``."""
    from devicefit.errors import CardError
    from devicefit.stage import fit_config_from_dict

    try:
        return fit_config_from_dict(_table(data, "fit"), base=base)
    except CardError as exc:
        raise ConfigError(str(exc)) from exc


def _learning(parse: Any, data: dict[str, Any], name: str) -> Any:
    """Parse a learning-stage table; its errors are prefixed with the table's name."""
    from snn.agent import AgentError

    try:
        return parse(_table(data, name))
    except AgentError as exc:
        raise ConfigError(f"{name}.{exc}") from exc


def _timit(data: dict[str, Any], base: Path) -> TimitRun:
    """The [timit] table (a bit sweep on a TIMIT-format corpus; disabled by default)."""
    from snn.timit.learner import TimitError
    from snn.timit.sweep import timit_run_from_dict

    try:
        return timit_run_from_dict(_table(data, "timit"), base)
    except TimitError as exc:
        raise ConfigError(f"timit.{exc}") from exc


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: expected a table")
    return table
