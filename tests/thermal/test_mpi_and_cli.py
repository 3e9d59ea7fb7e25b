"""The thermal CLI: serial == mpiexec -n 2, clear errors, nothing half-written on a crash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neohebb.cli import main
from tests.conftest import BuiltDevice, build, small_spec


@pytest.fixture(scope="module")
def small_device(tmp_path_factory: pytest.TempPathFactory) -> BuiltDevice:
    return build(small_spec("top"), tmp_path_factory.mktemp("small") / "dev")


def copy_device(dev: BuiltDevice, dest: Path) -> Path:
    dest.mkdir()
    for name in ("device.msh", "device.json"):
        shutil.copy(dev.out / name, dest / name)
    return dest


@pytest.mark.mpi
def test_mpiexec_two_ranks_gives_the_serial_response(
    small_device: BuiltDevice, tmp_path: Path
) -> None:
    serial = copy_device(small_device, tmp_path / "serial")
    parallel = copy_device(small_device, tmp_path / "parallel")
    assert main(["thermal", str(serial), "--quiet", "--no-plots"]) == 0
    mpiexec = Path(sys.executable).with_name("mpiexec")
    cmd = [
        str(mpiexec),
        "-n",
        "2",
        sys.executable,
        "-m",
        "neohebb.cli",
        "thermal",
        str(parallel),
        "--quiet",
        "--no-plots",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    a, b = np.load(serial / "response.npz"), np.load(parallel / "response.npz")
    scale = np.abs(a["Z"]).max()
    assert np.max(np.abs(a["Z"] - b["Z"])) < 1e-6 * scale
    np.testing.assert_allclose(b["R"], a["R"], rtol=1e-6)


def test_missing_mesh_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["thermal", str(tmp_path)]) == 2
    assert "device.json: missing" in capsys.readouterr().err


def test_edited_mesh_is_refused(
    small_device: BuiltDevice, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_device(small_device, tmp_path / "d")
    with open(d / "device.msh", "a") as fh:
        fh.write("\n")
    assert main(["thermal", str(d)]) == 2
    assert "device.msh: changed since `neohebb mesh` wrote device.json" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ("degree = 3", "thermal.degree"),
        ("h_top_w_per_m2k = -1.0", "thermal.h_top_w_per_m2k"),
        ("t_min_s = 1e-6\nt_max_s = 1e-9", "thermal.t_min_s"),
        ("[thermal.materials.Unobtainium]\nk_w_per_m_k = 1.0", "thermal.materials.Unobtainium"),
        ("[thermal.materials.TiN]\nk = 1.0", "thermal.materials.TiN.k"),
        ("[thermal.materials.TiN]\nk_w_per_m_k = -3.0", "thermal.materials.TiN.k_w_per_m_k"),
        ("shifts = 3", "thermal.shifts"),
    ],
)
def test_bad_thermal_config_names_the_field(
    table: str,
    field: str,
    small_device: BuiltDevice,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = tmp_path / "run.toml"
    cfg.write_text(f"[thermal]\n{table}\n")
    d = copy_device(small_device, tmp_path / "d")
    assert main(["thermal", str(d), "--config", str(cfg)]) == 2
    assert field in capsys.readouterr().err
    assert sorted(p.name for p in d.iterdir()) == ["device.json", "device.msh"]


def test_interrupted_solve_leaves_no_output(
    small_device: BuiltDevice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import thermal.stage

    d = copy_device(small_device, tmp_path / "d")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(thermal.stage, "_write_fields", interrupted)
    with pytest.raises(KeyboardInterrupt):
        thermal.stage.run_thermal(d, progress=False)
    assert sorted(p.name for p in d.iterdir()) == ["device.json", "device.msh"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_material_override_changes_the_answer(small_device: BuiltDevice, tmp_path: Path) -> None:
    """Doubling every conductivity halves every thermal resistance (linear, scale-free)."""
    base = copy_device(small_device, tmp_path / "base")
    doubled = copy_device(small_device, tmp_path / "doubled")
    from meshes.materials import MATERIALS

    cfg = tmp_path / "run.toml"
    cfg.write_text(
        "".join(
            f"[thermal.materials.{m.name}]\nk_w_per_m_k = {2 * m.k_w_per_m_k}\n"
            for m in MATERIALS.values()
        )
    )
    assert main(["thermal", str(base), "--quiet", "--no-plots"]) == 0
    assert main(["thermal", str(doubled), "--quiet", "--no-plots", "--config", str(cfg)]) == 0
    np.testing.assert_allclose(
        np.load(doubled / "response.npz")["R"], 0.5 * np.load(base / "response.npz")["R"], rtol=1e-9
    )


MATERIALS_OF_SMALL = ("Si", "SiO2", "HfO2", "TiN")


def test_nonlinear_solve_on_request(small_device: BuiltDevice, tmp_path: Path) -> None:
    """k(T) Newton at 100 uW: with every exponent 0 it is the linear R; with a conductivity
    falling with temperature in the hot oxide the same power heats the filament more."""
    linear = copy_device(small_device, tmp_path / "linear")
    hot = copy_device(small_device, tmp_path / "hot")
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        "[thermal]\nnonlinear_power_w = 1e-4\nlinearity_power_w = 0\n"
        + "".join(f"[thermal.materials.{m}]\nk_exponent = 0.0\n" for m in MATERIALS_OF_SMALL)
    )
    assert main(["thermal", str(linear), "--quiet", "--no-plots", "--config", str(cfg)]) == 0
    data = np.load(linear / "response.npz")
    np.testing.assert_allclose(data["R_nonlinear"], data["R"], rtol=1e-8)
    cfg.write_text(
        "[thermal]\nnonlinear_power_w = 1e-4\nlinearity_power_w = 0\n"
        + "".join(f"[thermal.materials.{m}]\nk_exponent = -1.0\n" for m in ("HfO2", "SiO2"))
    )
    assert main(["thermal", str(hot), "--quiet", "--no-plots", "--config", str(cfg)]) == 0
    data = np.load(hot / "response.npz")
    assert np.all(np.diag(data["R_nonlinear"]) > 1.05 * np.diag(data["R"]))
