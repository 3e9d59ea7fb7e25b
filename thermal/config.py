"""Settings of the thermal stage and the material table it uses (numpy only, no dolfinx)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from meshes.files import StageError
from meshes.info import Group
from meshes.materials import MATERIALS, Material, known_materials
from meshes.spec import DeviceSpec, domain_half_widths_nm, domain_top_nm


class ThermalError(StageError):
    """Bad thermal input (configuration, mesh, materials); the message names the field."""


@dataclass(frozen=True)
class ThermalConfig:
    """How to solve the heat problem. Times in seconds; ``None`` = chosen from the physics."""

    degree: int = 1  # Lagrange degree (1 or 2)
    mass_matrix: str = "lumped"  # "lumped" (row sum, P1 only) or "consistent"
    t_ambient_k: float = 300.0  # heatsink temperature (rises are independent of it)
    h_top_w_per_m2k: float = 0.0  # convection on `top`; 0 = adiabatic
    points_per_decade: int = 20  # output time grid density
    shifts_per_decade: float = 3.0  # rational-Krylov expansion points per decade of time
    t_min_s: float | None = None
    t_max_s: float | None = None
    field_times_s: tuple[float, ...] | None = None  # None: 0.1 %, 1 %, 10 % of t_max, steady
    materials: dict[str, dict[str, float]] = field(default_factory=dict)  # overrides by name
    nonlinear_power_w: float | None = None  # if set: steady Newton solve with k(T) at this power
    # the operating point's nonlinear transient (k(T), c_p(T)): this power [W] in the centre
    # heater, on to steady state and off again, against the linear solve (0: skip)
    linearity_power_w: float = 4e-4


MASS_MATRICES = ("lumped", "consistent")
MAX_EXPONENT = 3.0  # bound on |n| of k ~ T^n and on m of c_p ~ T^m (0 <= m)
_PROPS = ("k_w_per_m_k", "rho_kg_per_m3", "cp_j_per_kg_k", "k_exponent", "cp_exponent")


def thermal_config_from_dict(data: dict[str, Any]) -> ThermalConfig:
    """Validate a ``[thermal]`` table; every error names ``thermal.<field>``."""
    known = {f.name for f in dataclasses.fields(ThermalConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ThermalError(
            f"thermal.{unknown[0]}: unknown field (allowed: {', '.join(sorted(known))})"
        )
    cfg = ThermalConfig()
    values: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(cfg, name)
        where = f"thermal.{name}"
        if name == "materials":
            values[name] = _material_overrides(value)
        elif name == "field_times_s":
            if not isinstance(value, list) or not all(_is_number(v) and v > 0 for v in value):
                raise ThermalError(f"{where}: expected a list of positive times [s]")
            values[name] = tuple(float(v) for v in value)
        elif name == "mass_matrix":
            if value not in MASS_MATRICES:
                raise ThermalError(f"{where}: must be one of {MASS_MATRICES}, got {value!r}")
            values[name] = value
        elif name in ("degree", "points_per_decade"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ThermalError(f"{where}: expected an integer, got {value!r}")
            values[name] = value
        elif default is None or isinstance(default, float):
            if not _is_number(value):
                raise ThermalError(f"{where}: expected a number, got {value!r}")
            values[name] = float(value)
    cfg = dataclasses.replace(cfg, **values)
    validate_thermal_config(cfg)
    return cfg


def validate_thermal_config(cfg: ThermalConfig) -> None:
    if cfg.degree not in (1, 2):
        raise ThermalError(f"thermal.degree: must be 1 or 2, got {cfg.degree}")
    if cfg.mass_matrix not in MASS_MATRICES:
        raise ThermalError(f"thermal.mass_matrix: must be one of {MASS_MATRICES}")
    if cfg.mass_matrix == "lumped" and cfg.degree != 1:
        raise ThermalError(
            "thermal.mass_matrix: 'lumped' needs degree 1; set mass_matrix = 'consistent' "
            "with degree 2"
        )
    if cfg.h_top_w_per_m2k < 0:
        raise ThermalError(f"thermal.h_top_w_per_m2k: must be >= 0, got {cfg.h_top_w_per_m2k}")
    if cfg.t_ambient_k <= 0:
        raise ThermalError(f"thermal.t_ambient_k: must be > 0 K, got {cfg.t_ambient_k}")
    if not 2 <= cfg.points_per_decade <= 200:
        raise ThermalError("thermal.points_per_decade: must be in [2, 200]")
    if not 0.5 <= cfg.shifts_per_decade <= 8:
        raise ThermalError("thermal.shifts_per_decade: must be in [0.5, 8]")
    for name in ("t_min_s", "t_max_s", "nonlinear_power_w"):
        v = getattr(cfg, name)
        if v is not None and not v > 0:
            raise ThermalError(f"thermal.{name}: must be > 0, got {v}")
    if not 0 <= cfg.linearity_power_w < math.inf:
        raise ThermalError(
            f"thermal.linearity_power_w: must be >= 0 W (0 skips), got {cfg.linearity_power_w}"
        )
    if cfg.t_min_s is not None and cfg.t_max_s is not None and cfg.t_min_s >= cfg.t_max_s:
        raise ThermalError("thermal.t_min_s: must be smaller than thermal.t_max_s")
    _material_overrides(cfg.materials)


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)


def _material_overrides(value: Any) -> dict[str, dict[str, float]]:
    if not isinstance(value, dict):
        raise ThermalError("thermal.materials: expected a table of material tables")
    out: dict[str, dict[str, float]] = {}
    for name, props in value.items():
        where = f"thermal.materials.{name}"
        if name not in MATERIALS:
            raise ThermalError(f"{where}: unknown material (known: {', '.join(known_materials())})")
        if not isinstance(props, dict):
            raise ThermalError(f"{where}: expected a table of {', '.join(_PROPS)}")
        for prop, v in props.items():
            if prop not in _PROPS:
                raise ThermalError(f"{where}.{prop}: unknown (allowed: {', '.join(_PROPS)})")
            if prop.endswith("_exponent"):
                low = 0.0 if prop == "cp_exponent" else -MAX_EXPONENT  # c_p grows with T
                if not _is_number(v) or not low <= v <= MAX_EXPONENT:
                    raise ThermalError(
                        f"{where}.{prop}: must be a number in [{low:g}, {MAX_EXPONENT:g}], "
                        f"got {v!r}"
                    )
            elif not _is_number(v) or v <= 0:
                raise ThermalError(f"{where}.{prop}: must be a positive number, got {v!r}")
        out[name] = {p: float(v) for p, v in props.items()}
    return out


def material_table(
    groups: tuple[Group, ...] | list[Group], overrides: dict[str, dict[str, float]]
) -> dict[str, Material]:
    """Volume group name -> material with the configured overrides applied."""
    table: dict[str, Material] = {}
    for g in groups:
        if g.dim != 3:
            continue
        if g.material not in MATERIALS:
            raise ThermalError(f"group {g.name}: unknown material {g.material!r}")
        base = MATERIALS[g.material]
        if g.material in overrides:
            o = overrides[g.material]
            base = dataclasses.replace(
                base,
                k_w_per_m_k=o.get("k_w_per_m_k", base.k_w_per_m_k),
                rho_kg_per_m3=o.get("rho_kg_per_m3", base.rho_kg_per_m3),
                cp_j_per_kg_k=o.get("cp_j_per_kg_k", base.cp_j_per_kg_k),
                k_exponent=o.get("k_exponent", base.k_exponent),
                cp_exponent=o.get("cp_exponent", base.cp_exponent),
                source=f"{base.source} (overridden by config: {', '.join(sorted(o))})",
            )
        table[g.name] = base
    return table


def physical_time_range_s(spec: DeviceSpec, materials: dict[str, Material]) -> tuple[float, float]:
    """(t_min, t_max) [s] from diffusion times L^2/a of the device's features.

    t_min = 0.1 x the fastest feature (thinnest layer, heater, spacer, filament radius in its
    own material); t_max = 3 x the diffusion time over the largest domain extent in the
    least diffusive material, well beyond the slowest mode.
    """
    s, h, r = spec.stack, spec.heater, spec.reram
    features = [
        (getattr(s, f.name).thickness_nm, getattr(s, f.name).material)
        for f in dataclasses.fields(s)
    ]
    features += [(h.thickness_nm, h.material), (r.filament_radius_nm, r.filament_material)]
    if h.placement == "top":
        features.append((h.gap_nm, h.spacer_material))
    by_name = {m.name: m for m in materials.values()}
    fast = min((length * 1e-9) ** 2 / by_name[m].diffusivity_m2_per_s for length, m in features)
    hx, hy = domain_half_widths_nm(spec)
    extent_m = max(hx, hy, domain_top_nm(spec)) * 1e-9
    slow = extent_m**2 / min(m.diffusivity_m2_per_s for m in materials.values())
    return 0.1 * fast, 3.0 * slow
