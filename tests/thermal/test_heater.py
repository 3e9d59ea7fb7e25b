"""The heater as a resistor (thermal.heater) and its limits on the default card."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from meshes.materials import MATERIALS
from meshes.spec import default_spec
from thermal.heater import heater_resistor, operating_point


def test_ohms_law_tcr_and_the_limits() -> None:
    """R_h = rho L / (W t) at ambient, R_h (1 + tcr dT) hot; P = I^2 R = V I; a warning per
    limit crossed, none below both."""
    spec = default_spec()
    tin = MATERIALS["TiN"]
    r = heater_resistor(spec, tin)
    assert r is not None
    h = spec.heater
    assert r.resistance_ohm == pytest.approx(
        tin.resistivity_ohm_m * h.length_nm * 1e-9 / (h.width_nm * h.thickness_nm * 1e-18)
    )
    hot = replace(r, tcr_per_k=1e-3)
    p = operating_point(hot, 1e-4, 2e6, 2.5e6, 300.0)
    assert p.mean_temperature_k == pytest.approx(500.0) and p.peak_temperature_k == 550.0
    assert p.resistance_ohm == pytest.approx(r.resistance_ohm * 1.2)
    assert p.current_a**2 * p.resistance_ohm == pytest.approx(1e-4)
    assert p.voltage_v * p.current_a == pytest.approx(1e-4)
    assert p.current_density_a_per_m2 == pytest.approx(p.current_a / r.area_m2)
    # TiN: 2.4e7 A/cm^2 and 681 K (Tao, Cheung & Hu 1995)
    assert len(operating_point(r, 4e-4, 1.67e6, 1.83e6, 300.0).warnings) == 2
    only_current = operating_point(r, 1e-4, 1.67e6, 1.83e6, 300.0).warnings
    assert len(only_current) == 1 and "current density" in only_current[0]
    j_limit_power = (2.4e11 * r.area_m2) ** 2 * r.resistance_ohm  # P at the limit, ~5 uW
    assert operating_point(r, 0.9 * j_limit_power, 1.67e6, 1.83e6, 300.0).warnings == ()
    assert heater_resistor(spec, MATERIALS["SiO2"]) is None
    assert not math.isnan(r.resistance_ohm)


def test_the_default_card_carries_the_heater_at_its_operating_point(default_card: Path) -> None:
    """At snn's default 0.4 mW the 100 x 40 x 20 nm TiN heater draws ~1.8 mA (~2e8 A/cm^2)
    and its hottest point runs ~700 K above ambient: both TiN limits are crossed, and the
    card says so."""
    heater = json.loads(default_card.read_text())["derived"]["heater"]
    assert heater["material"] == "TiN" and heater["power_w"] == 4e-4
    assert heater["current_a"] == pytest.approx(1.75e-3, rel=0.05)
    assert 1.5e12 < heater["current_density_a_per_m2"] < 3e12
    assert 900 < heater["peak_temperature_k"] < 1200
    assert heater["mean_temperature_k"] < heater["peak_temperature_k"]
    assert len(heater["warnings"]) == 2
    assert "Tao" in heater["limits_source"]
