"""The heater as a resistor: its resistance, the drive a heater power needs, its temperatures,
and the limits of its film (numpy only: ``devicefit`` and the studies use it too).

With the current along the heater's length L through its cross-section A = W t, and rho of the
film at ambient (``meshes.materials.Material.resistivity_ohm_m``, Wiedemann-Franz on the film k):

    R_h = rho (1 + tcr (T_mean - T_amb)) L / A,   I = sqrt(P / R_h),   J = I / A,   V = I R_h,
    T_mean = T_amb + P Z_h,   T_peak = T_amb + P Z_h,peak,

Z_h and Z_h,peak the heater's own mean and hottest-point steady rise per watt (thermal stage).
A warning is raised where J exceeds the film's long-life current-density limit or T_peak its
highest safe temperature (both in ``meshes/materials.py`` with their sources).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from meshes.materials import Material
from meshes.spec import LENGTH_UNIT_M, DeviceSpec


@dataclass(frozen=True)
class HeaterResistor:
    """The heater film as a resistor (SI)."""

    material: str
    resistivity_ohm_m: float
    tcr_per_k: float
    length_m: float
    area_m2: float
    current_density_limit_a_per_m2: float | None
    max_temperature_k: float | None
    limits_source: str

    @property
    def resistance_ohm(self) -> float:
        """R_h at ambient temperature."""
        return self.resistivity_ohm_m * self.length_m / self.area_m2


@dataclass(frozen=True)
class OperatingPoint:
    """The heater driven at ``power_w`` (steady state): its resistance at temperature, drive,
    mean and hottest-point temperature, its film's limits and a warning per limit crossed
    (what a model card carries as ``derived.heater``)."""

    material: str
    power_w: float
    resistance_ohm: float
    current_a: float
    current_density_a_per_m2: float
    voltage_v: float
    mean_temperature_k: float
    peak_temperature_k: float
    current_density_limit_a_per_m2: float | None
    max_temperature_k: float | None
    warnings: tuple[str, ...]
    limits_source: str


def heater_resistor(spec: DeviceSpec, material: Material) -> HeaterResistor | None:
    """The resistor of ``spec``'s heater made of ``material`` (None: not a conductor). The
    current runs along the heater's length (x for a top heater, y for a side heater)."""
    rho = material.resistivity_ohm_m
    if rho is None:
        return None
    h = spec.heater
    return HeaterResistor(
        material=material.name,
        resistivity_ohm_m=rho,
        tcr_per_k=material.tcr_per_k or 0.0,
        length_m=h.length_nm * LENGTH_UNIT_M,
        area_m2=h.width_nm * h.thickness_nm * LENGTH_UNIT_M**2,
        current_density_limit_a_per_m2=material.current_density_limit_a_per_m2,
        max_temperature_k=material.max_temperature_k,
        limits_source=material.limits_source,
    )


def operating_point(
    resistor: HeaterResistor,
    power_w: float,
    mean_rise_k_per_w: float,
    peak_rise_k_per_w: float,
    t_ambient_k: float,
) -> OperatingPoint:
    """The drive and temperatures at ``power_w``, with a warning per limit crossed (module
    docstring)."""
    mean_k = t_ambient_k + power_w * mean_rise_k_per_w
    peak_k = t_ambient_k + power_w * peak_rise_k_per_w
    r_h = resistor.resistance_ohm * (1 + resistor.tcr_per_k * (mean_k - t_ambient_k))
    current = math.sqrt(power_w / r_h)
    density = current / resistor.area_m2
    warnings = []
    limit = resistor.current_density_limit_a_per_m2
    if limit is not None and density > limit:
        warnings.append(
            f"heater current density {density * 1e-10:.3g} MA/cm^2 at {power_w * 1e3:.3g} mW is "
            f"{density / limit:.1f}x the long-life limit of {resistor.material} "
            f"({limit * 1e-10:.3g} MA/cm^2)"
        )
    t_max = resistor.max_temperature_k
    if t_max is not None and peak_k > t_max:
        warnings.append(
            f"heater hottest point {peak_k:.0f} K at {power_w * 1e3:.3g} mW is above the "
            f"{t_max:.0f} K limit of {resistor.material}"
        )
    return OperatingPoint(
        material=resistor.material,
        power_w=power_w,
        resistance_ohm=r_h,
        current_a=current,
        current_density_a_per_m2=density,
        voltage_v=current * r_h,
        mean_temperature_k=mean_k,
        peak_temperature_k=peak_k,
        current_density_limit_a_per_m2=limit,
        max_temperature_k=t_max,
        warnings=tuple(warnings),
        limits_source=resistor.limits_source,
    )
