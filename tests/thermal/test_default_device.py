"""Thermal stage on the default 3 x 3 device: conservation, symmetry, outputs, convergence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import BuiltDevice


def load(out: Path) -> tuple[dict, dict]:
    data = dict(np.load(out / "response.npz"))
    return data, json.loads((out / "thermal.json").read_text())


def test_steady_heat_out_equals_heat_in_for_every_heater(default_thermal: Path) -> None:
    """Heat leaving through the heatsink (FE gradient flux) = heater power within 0.5 %."""
    _, info = load(default_thermal)
    ratios = np.array(list(info["energy_balance"]["heatsink_flux_over_power"].values()))
    assert len(ratios) == 9
    assert np.max(np.abs(ratios - 1)) < 0.005, ratios


def test_mirror_image_pairs_agree(default_thermal: Path) -> None:
    """The 3 x 3 array is symmetric under x -> -x and y -> -y: every (probe, heater) pair and
    its mirror images agree to 1 % of the self term, in R and at every time of Z."""
    data, _ = load(default_thermal)
    z, r = data["Z"], data["R"]
    idx = np.arange(9).reshape(3, 3)
    r_self = np.diag(r).min()
    for flip in (idx[:, ::-1], idx[::-1, :], idx[::-1, ::-1]):
        perm = flip.ravel()
        assert np.max(np.abs(r[np.ix_(perm, perm)] - r)) < 0.01 * r_self
        assert np.max(np.abs(z[:, perm][:, :, perm] - z)) < 0.01 * r_self
    # and the crosstalk is real: neighbours see a clearly smaller, positive rise
    assert 0 < r[3, 4] < 0.5 * r[4, 4] and 0 < r[0, 4] < r[3, 4]


def test_impedance_is_a_monotone_step_response(default_thermal: Path) -> None:
    """The heat kernel is positive, so every Z(t), self and crosstalk, is >= 0 and
    non-decreasing: >= -1e-6 R_self, on the output grid and on a 20x denser one."""
    from thermal.modal import ModalModel

    data, info = load(default_thermal)
    z, r, t = data["Z"], data["R"], data["t"]
    r_self = np.diag(r)[None, None, :]
    dense = (
        ModalModel.from_arrays(data).network().step_response(np.geomspace(t[0], t[-1], 20 * len(t)))
    )
    for values in (z, dense):
        assert (values / r_self).min() >= -1e-6
        assert (np.diff(values, axis=0) / r_self).min() >= -1e-6
    for h in range(9):
        self_z = z[:, h, h]
        assert self_z[0] < 0.01 * r[h, h]  # the grid starts before the filament heats up
        assert self_z[-1] == pytest.approx(r[h, h], rel=1e-3)  # and ends at steady state
    assert info["solver"]["mor_rel_error_estimate"] < 0.01
    assert info["solver"]["steady_rel_mismatch"] < 1e-8
    assert np.all(np.diff(np.log(t)) > 0)


def test_self_resistance_is_in_the_reference_range(default_thermal: Path) -> None:
    """docs/architecture.md: a 20 nm TiN heater over a 10 nm-radius HfO2 filament at 200 nm pitch
    gave R_self ~ 7.7e5 K/W in an independent quick solve; compact models use 5e5-7.2e5."""
    data, _ = load(default_thermal)
    assert 4e5 < data["R"][4, 4] < 1.2e6


def test_outputs_and_material_echo(default_thermal: Path) -> None:
    data, info = load(default_thermal)
    assert data["Z"].shape == (len(data["t"]), 9, 9)
    assert list(data["heaters"]) == [f"heater_r{i}_c{j}" for i in range(3) for j in range(3)]
    assert info["materials"]["heater_r1_c1"]["material"] == "TiN"
    assert info["materials"]["reram_r1_c1"]["k_w_per_m_k"] == 0.5
    from tests.helpers import assert_picture

    assert_picture(default_thermal / "thermal_Z.png", min_colours=20)
    assert_picture(default_thermal / "thermal_map.png", min_colours=50)
    # the field file: the configured times plus the steady state, each a value per dof
    xdmf = (default_thermal / "fields.xdmf").read_text()
    times = info["fields"]["times_s"]
    n_dofs = info["element"]["n_dofs"]
    assert xdmf.count("<Time Value=") == len(times) == 4
    assert xdmf.count(f'DataItem Dimensions="{n_dofs} 1"') == len(times)
    assert (default_thermal / "fields.h5").stat().st_size > len(times) * n_dofs * 8


def test_steady_self_resistance_converges_under_refinement(
    default_device: BuiltDevice, default_thermal: Path, tmp_path: Path
) -> None:
    """R_self on a 1.25x refined mesh differs by less than 2 % from the default mesh."""
    from tests.thermal.helpers import steady_r

    coarse = load(default_thermal)[0]["R"][4, 4]
    fine = steady_r(default_device.spec.with_refine(1.25), tmp_path / "fine")[4, 4]
    assert abs(fine / coarse - 1) < 0.02, (coarse, fine)


@pytest.mark.slow
def test_figures_and_poles_converge_with_order(default_device: BuiltDevice, tmp_path: Path) -> None:
    """Refining by 2^(1/3) three times, the successive changes of R_self, the heater's own
    rise, the nearest and diagonal crosstalk, the mean time constant of the self response and
    the slowest pole shrink at an observed order (least-squares slope of log |change| against
    log h) of at least 1, the P1 energy-norm rate; the last refinement moves each by < 1 %.
    Measured (docs/thermal.md): orders 1.3 to 4.4."""
    from mpi4py import MPI

    from meshes.cells import array_cells
    from meshes.device import build_device
    from meshes.info import read_device
    from thermal.config import ThermalError, material_table
    from thermal.fe import assemble_device, slowest_time_constants_s
    from thermal.screen import screen_device

    factors = 2.0 ** (np.arange(4) / 3)  # 1, 1.26, 1.59, 2
    rows = []
    for i, f in enumerate(factors):
        out = tmp_path / f"r{i}"
        build_device(default_device.spec.with_refine(float(f)), out, picture=False)
        fig = screen_device(out)
        device = read_device(out, ThermalError)
        cells = array_cells(3, 3)
        system = assemble_device(
            device.msh,
            material_table(device.groups, {}),
            [c.heater for c in cells],
            [c.reram for c in cells],
            periodic=False,
            degree=1,
            h_top_w_per_m2k=0.0,
            lumped_mass=True,
            comm=MPI.COMM_SELF,
        )
        rows.append(
            [
                fig.r_self_k_per_w,
                fig.heater_rise_k_per_w,
                fig.crosstalk_nearest,
                fig.crosstalk_diagonal,
                fig.tau_mean_self_s,
                slowest_time_constants_s(system, 1)[0],
            ]
        )
    values = np.array(rows)  # [mesh, figure]
    changes = np.abs(np.diff(values, axis=0))
    orders = np.polyfit(np.log(1 / factors[:-1]), np.log(changes), 1)[0]
    assert np.all(orders >= 1.0), (values, orders)
    assert np.all(np.abs(values[-1] / values[-2] - 1) < 0.01), values


def test_filaments_as_sources(default_thermal: Path) -> None:
    """Power put in a filament (its own programming pulse): R_fil = C K^-1 C^T is symmetric
    (reciprocity) and exact; the self term is 1e6-1e7 K/W (docs/architecture.md: ~6e6) and
    several times the heater's R_self; the filament's own heat rises within a fraction of a
    nanosecond (it fades within ~250 ps, Schoen, Menzel et al., IEEE EDL 2025), far faster
    than the heater's; Z is a positive, non-decreasing step response; the neighbours feel
    little of it."""
    data, info = load(default_thermal)
    z, r, t = data["Z_filament"], data["R_filament"], data["t"]
    assert r == pytest.approx(r.T, rel=1e-10)
    assert info["filament_sources"]["steady_rel_mismatch"] < 1e-8
    c = 4
    assert 1e6 < r[c, c] < 1e7
    assert r[c, c] > 3 * data["R"][c, c]
    half_self = np.interp(0.5, z[:, c, c] / r[c, c], t)
    half_heater = np.interp(0.5, data["Z"][:, c, c] / data["R"][c, c], t)
    assert half_self < 0.25e-9 and half_self < 0.1 * half_heater
    scale = np.diag(r)[None, None, :]
    assert (z / scale).min() >= -1e-6 and (np.diff(z, axis=0) / scale).min() >= -1e-6
    assert r[3, c] < 0.1 * r[c, c]
    assert info["filament_sources"]["R_self_k_per_w"] == pytest.approx(r[c, c])
