"""The thermal stage's outputs as a contract: ``response.npz`` + ``thermal.json``, read and
checked by ``read_response`` (numpy only: ``devicefit`` uses it where dolfinx is absent).

response.npz: ``t`` [s], ``Z`` [t, probe, heater] [K/W], ``R`` [probe, heater] [K/W],
``probes``, ``heaters`` (group names, row-major cells), and the reduced modal model
(``rate_per_s``, ``input_matrix``, ``output_matrix``; ``thermal.modal.ModalModel``);
``Z_filament`` [t, probe, filament] and ``R_filament`` (the filaments as sources: their own
pulse heating; absent in responses written before 2026-11-26); optionally ``R_nonlinear`` and
the operating point's linear and nonlinear transient (``linearity_t``, ``linearity_linear``,
``linearity_nonlinear`` [t, probe] [K], ``linearity_power_w``, ``linearity_t_off_s``).
thermal.json (schema 2): settings, materials, boundary
conditions, solver, checks, the array geometry (``array``: rows, cols, pitch_m, boundary),
the ambient temperature (``t_ambient_k``) and the stage record (inputs: device.json and device.msh).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from meshes.cells import array_cells
from meshes.files import StageError, check_record, load_npz, read_json_object, sha256_file
from thermal.modal import ModalModel

RESPONSE_VERSION = 2


@dataclass(frozen=True)
class ArrayGeometry:
    """The cell array the response belongs to."""

    rows: int
    cols: int
    pitch_m: float
    boundary: str = "adiabatic"  # or "periodic" (meshes.spec.Array)


@dataclass(frozen=True)
class OperatingPointRun:
    """The centre heater at ``power_w`` until ``t_off_s``, then off: probe rises [t, probe] [K]
    with constant properties and with k(T), c_p(T), on the same time steps."""

    t_s: np.ndarray
    linear_k: np.ndarray
    nonlinear_k: np.ndarray
    power_w: float
    t_off_s: float


@dataclass(frozen=True)
class Response:
    """A checked thermal response of one device directory."""

    directory: Path
    t_s: np.ndarray
    z_k_per_w: np.ndarray  # [t, probe, heater]
    r_k_per_w: np.ndarray  # [probe, heater]
    probes: tuple[str, ...]
    heaters: tuple[str, ...]
    modal: ModalModel
    array: ArrayGeometry
    t_ambient_k: float
    info: dict[str, Any]  # thermal.json as written (settings, solver, checks: provenance)
    json_sha256: str
    npz_sha256: str
    z_filament_k_per_w: np.ndarray | None = None  # [t, probe, filament]: filaments as sources
    r_filament_k_per_w: np.ndarray | None = None  # [probe, filament]
    operating_point: OperatingPointRun | None = None


def read_response(directory: str | Path, error: type[StageError] = StageError) -> Response:
    """Read ``DIR/response.npz`` and ``DIR/thermal.json`` and check that they belong together
    and to the ``device.json``/``device.msh`` now in DIR; ``error`` names the file."""
    ddir = Path(directory)
    info_path, npz_path = ddir / "thermal.json", ddir / "response.npz"
    for p in (npz_path, info_path):
        if not p.is_file():
            raise error(f"{p}: missing (run `neohebb thermal {ddir}` first)")
    info = read_json_object(info_path, error, "thermal.json")
    if info.get("schema_version") != RESPONSE_VERSION:
        raise error(
            f"{info_path}: schema_version {info.get('schema_version')!r} is not "
            f"{RESPONSE_VERSION}; re-run `neohebb thermal {ddir}`"
        )
    check_record(
        ddir,
        info.get("stage"),
        info_path,
        error,
        inputs=("device.json", "device.msh"),
        outputs=("response.npz",),
    )
    for key in ("solver", "settings"):
        if not isinstance(info.get(key), dict):
            raise error(f"{info_path}: {key}: missing or not an object; re-run the thermal stage")
    array = _array(info, info_path, error)
    t_ambient = info.get("t_ambient_k")
    if not _positive_number(t_ambient):
        raise error(f"{info_path}: t_ambient_k: must be a positive number [K]")
    arrays = load_npz(npz_path, error)
    for key in ("t", "Z", "R", "probes", "heaters", "rate_per_s", "input_matrix", "output_matrix"):
        if key not in arrays:
            raise error(f"{npz_path}: array '{key}' missing")
    if array.rows * array.cols != len(arrays["heaters"]):
        raise error(
            f"{npz_path}: {len(arrays['heaters'])} heaters for the {array.rows} x "
            f"{array.cols} array of {info_path.name}"
        )
    cells = array_cells(array.rows, array.cols)
    heaters = tuple(str(h) for h in arrays["heaters"])
    probes = tuple(str(p) for p in arrays["probes"])
    if heaters != tuple(c.heater for c in cells) or probes != tuple(c.reram for c in cells):
        raise error(
            f"{npz_path}: heaters/probes do not name the {array.rows} x {array.cols} cells of "
            f"{info_path.name} row-major"
        )
    t, z, r = (np.asarray(arrays[k], dtype=float) for k in ("t", "Z", "R"))
    n = len(cells)
    if t.ndim != 1 or z.shape != (len(t), n, n) or r.shape != (n, n):
        raise error(f"{npz_path}: shapes t {t.shape}, Z {z.shape}, R {r.shape} do not agree")
    if not (np.all(np.isfinite(z)) and np.all(np.isfinite(t)) and np.all(np.diff(t) > 0)):
        raise error(f"{npz_path}: t must increase and t, Z be finite")
    try:
        modal = ModalModel.from_arrays(arrays)
    except (TypeError, ValueError) as exc:
        raise error(f"{npz_path}: modal model unreadable ({exc})") from None
    z_fil = r_fil = None
    if "Z_filament" in arrays:
        z_fil, r_fil = (np.asarray(arrays[k], dtype=float) for k in ("Z_filament", "R_filament"))
        if z_fil.shape != z.shape or r_fil.shape != r.shape or not np.all(np.isfinite(z_fil)):
            raise error(f"{npz_path}: Z_filament / R_filament do not match Z / R")
    run = _operating_point(arrays, len(cells), npz_path, error)
    return Response(
        ddir,
        t,
        z,
        r,
        probes,
        heaters,
        modal,
        array,
        float(t_ambient),  # type: ignore[arg-type]  # checked above
        info,
        sha256_file(info_path),
        sha256_file(npz_path),
        z_fil,
        r_fil,
        run,
    )


def operating_point_arrays(run: OperatingPointRun) -> dict[str, np.ndarray]:
    """The response.npz arrays of an operating-point run (read back by ``read_response``)."""
    return {
        "linearity_t": run.t_s,
        "linearity_linear": run.linear_k,
        "linearity_nonlinear": run.nonlinear_k,
        "linearity_power_w": np.array(run.power_w),
        "linearity_t_off_s": np.array(run.t_off_s),
    }


def _operating_point(
    arrays: dict[str, np.ndarray], n: int, where: Path, error: type[StageError]
) -> OperatingPointRun | None:
    keys = ("linearity_t", "linearity_linear", "linearity_nonlinear", "linearity_power_w")
    if not any(k in arrays for k in keys):
        return None
    if not all(k in arrays for k in (*keys, "linearity_t_off_s")):
        raise error(f"{where}: the linearity_* arrays are incomplete; re-run the thermal stage")
    t = np.asarray(arrays["linearity_t"], dtype=float)
    lin, nonlin = (np.asarray(arrays[k], dtype=float) for k in keys[1:3])
    power, t_off = float(arrays["linearity_power_w"]), float(arrays["linearity_t_off_s"])
    ok = (
        t.ndim == 1
        and lin.shape == nonlin.shape == (len(t), n)
        and np.all(np.isfinite(lin))
        and np.all(np.isfinite(nonlin))
        and np.all(np.diff(t) > 0)
        and _positive_number(power)
        and _positive_number(t_off)
    )
    if not ok:
        raise error(f"{where}: linearity_* arrays: bad shapes or values; re-run the thermal stage")
    return OperatingPointRun(t, lin, nonlin, power, t_off)


def _positive_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) and v > 0


def _array(info: dict[str, Any], where: Path, error: type[StageError]) -> ArrayGeometry:
    a = info.get("array")
    ok = (
        isinstance(a, dict)
        and all(isinstance(a.get(k), int) and a[k] >= 1 for k in ("rows", "cols"))
        and _positive_number(a.get("pitch_m"))
        and a.get("boundary", "adiabatic") in ("adiabatic", "periodic")
    )
    if not ok:
        raise error(
            f"{where}: array: expected rows, cols (integers >= 1), pitch_m [m] and boundary "
            "('adiabatic' or 'periodic')"
        )
    assert isinstance(a, dict)
    return ArrayGeometry(a["rows"], a["cols"], float(a["pitch_m"]), a.get("boundary", "adiabatic"))
