"""Regression tests of the bad-input audit (issue 9): every case ends in one line naming the
field or file, exit code 2, nothing written and no scratch directory left; stale and mixed
files are refused; concurrent writers are refused; Ctrl-C leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meshes.files import StageError, load_npz
from neohebb.cli import main
from tests.conftest import BuiltDevice, build, small_spec

DEFAULT_TOML = Path(__file__).parents[2] / "meshes" / "default_device.toml"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> BuiltDevice:
    return build(small_spec("top"), tmp_path_factory.mktemp("small") / "dev")


def copy_of(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def only_files(directory: Path) -> list[str]:
    """What is in a directory, hidden scratch and lock files included."""
    return sorted(p.name for p in directory.iterdir())


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err
    return code, err


def one_line_error(err: str, *needles: str) -> None:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


# --- files that are corrupt, edited or from elsewhere ----------------------------------


def test_corrupt_npz_is_a_named_error(tmp_path: Path) -> None:
    bad = tmp_path / "response.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(StageError, match=r"response\.npz: not a readable \.npz"):
        load_npz(bad, StageError)


def test_corrupt_msh_is_a_named_error(
    small: BuiltDevice, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A device.msh that Gmsh cannot read, recorded as such in device.json (so it is not
    merely stale): the thermal stage names the file."""
    from meshes.files import sha256_file

    d = tmp_path / "d"
    d.mkdir()
    shutil.copy(small.out / "device.json", d)
    (d / "device.msh").write_text("$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\ngarbage\n")
    info = json.loads((d / "device.json").read_text())
    info["stage"]["outputs"]["device.msh"] = sha256_file(d / "device.msh")
    (d / "device.json").write_text(json.dumps(info))
    code, err = run_cli(["thermal", str(d), "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "device.msh", "not a readable Gmsh mesh")
    assert only_files(d) == ["device.json", "device.msh"]


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda i: i.update(mesh="x"), "mesh.n_tetrahedra"),
        (lambda i: i.update(schema_version=99), "schema_version 99"),
        (lambda i: i.update(length_unit_m=1e-6), "length_unit_m"),
        (lambda i: i["spec"]["stack"]["ild"].update(material="Si3N4"), "spec was edited"),
        (lambda i: i.pop("groups"), "'groups' missing"),
        (lambda i: i["groups"].pop(), "boundary group"),
    ],
    ids=["mesh-x", "schema-99", "length-unit", "spec-edited", "no-groups", "group-missing"],
)
def test_edited_device_json_is_refused(
    edit, needle: str, small: BuiltDevice, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = copy_of(small.out, tmp_path / "d")
    info = json.loads((d / "device.json").read_text())
    edit(info)
    (d / "device.json").write_text(json.dumps(info))
    code, err = run_cli(["thermal", str(d), "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "device.json", needle)
    assert only_files(d) == ["device.json", "device.msh"]


def test_non_utf8_spec_is_a_named_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_bytes(DEFAULT_TOML.read_bytes().replace(b"nanometres", b"nanom\xe8tres"))
    code, err = run_cli(["mesh", str(spec), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    one_line_error(err, "spec.toml", "not UTF-8")
    assert only_files(tmp_path) == ["spec.toml"]


def test_missing_thermal_json_is_not_silently_empty(
    default_card: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fit used to read a missing thermal.json as {} (cols = 1: crosstalk gone)."""
    d = copy_of(default_card.parent, tmp_path / "d")
    (d / "thermal.json").unlink()
    code, err = run_cli(["fit", str(d), "--no-plots"], capsys)
    assert code == 2
    one_line_error(err, "thermal.json: missing")


def test_mesh_into_a_complete_directory_removes_the_old_device_results(
    small: BuiltDevice, default_card: Path, tmp_path: Path
) -> None:
    """The old response, card and learning results belong to the old device: gone."""
    d = copy_of(default_card.parent, tmp_path / "d")
    (d / "maze").mkdir()
    (d / "maze" / "results.json").write_text("{}")
    assert main(["mesh", "--out", str(d), "--no-picture"]) == 0
    assert only_files(d) == ["device.json", "device.msh"]


# --- settings refused before any work -----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["maze", "--trace", "ideal", "--seed", "-1"], "seed"),
        (["maze", "--trace", "ideal", "--variability", "2"], "variability"),
        (["maze", "--card", "x.json", "--network", "recurrent"], "network"),
        (["sweep", "--trace", "ideal", "--workers", "-1"], "workers"),
        (["sweep", "--trace", "ideal", "--ratios", "nan"], "ratios"),
        (["sweep", "--trace", "ideal", "--seeds", "0"], "seeds"),
        (["sweep", "--trace", "ideal", "--pulse-voltages", "-0.5"], "pulse_voltages"),
        (["sweep", "--trace", "ideal", "--access-resistances", "nan"], "access_resistances_ohm"),
    ],
)
def test_learning_settings_are_refused_before_any_work(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, err = run_cli([*args, "--out", str(out)], capsys)
    assert code == 2
    one_line_error(err, needle)
    assert only_files(tmp_path) == []


def test_an_output_path_that_is_a_file_is_refused_before_the_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import snn.stage

    target = tmp_path / "results"
    target.write_text("mine")

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained before checking the output path")

    monkeypatch.setattr(snn.stage, "run_agent", no_training)
    code, err = run_cli(
        ["maze", "--trace", "ideal", "--episodes", "300", "--out", str(target)], capsys
    )
    assert code == 2  # refused before any episode
    one_line_error(err, "results", "not a directory")
    assert target.read_text() == "mine" and only_files(tmp_path) == ["results"]


def test_size_guard_refuses_a_huge_mesh_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "big.toml"
    spec.write_text(
        DEFAULT_TOML.read_text().replace("rows = 3", "rows = 200").replace("cols = 3", "cols = 200")
    )
    import meshes.device

    def no_meshing(*args: object, **kwargs: object) -> None:
        raise AssertionError("meshed before the size guard")

    monkeypatch.setattr(meshes.device, "_mesh_in_child", no_meshing)
    code, err = run_cli(["mesh", str(spec), "--out", str(tmp_path / "out")], capsys)
    assert code == 2  # refused from the estimate, before Gmsh meshes anything
    one_line_error(err, "tetrahedra estimated", "--force")
    tiny = tmp_path / "tiny.toml"
    tiny.write_text(DEFAULT_TOML.read_text().replace("filament_nm = 4.0", "filament_nm = 0.001"))
    code, err = run_cli(["mesh", str(tiny), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    one_line_error(err, "tetrahedra estimated")
    assert only_files(tmp_path) == ["big.toml", "tiny.toml"]


# --- directories: permissions, leftovers, concurrency --------------------------------------


def test_new_output_directories_get_the_umask_mode(tmp_path: Path) -> None:
    out = tmp_path / "m"
    assert (
        main(["maze", "--trace", "ideal", "--episodes", "2", "--out", str(out), "--no-plots"]) == 0
    )
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask


def test_scratch_left_by_a_killed_run_is_cleaned(tmp_path: Path) -> None:
    left = tmp_path / ".m.tmp-killed"
    left.mkdir()
    (left / "results.json").write_text("{half")
    assert (
        main(
            [
                "maze",
                "--trace",
                "ideal",
                "--episodes",
                "2",
                "--out",
                str(tmp_path / "m"),
                "--no-plots",
            ]
        )
        == 0
    )
    assert only_files(tmp_path) == ["m"]


def test_a_second_writer_of_a_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another process holds the lock: one line naming the directory and its pid."""
    out = tmp_path / "m"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from meshes.files import directory_lock\n"
            f"with directory_lock({str(out)!r}):\n"
            "    print('locked', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code, err = run_cli(
            ["maze", "--trace", "ideal", "--episodes", "2", "--out", str(out)], capsys
        )
        assert code == 2
        one_line_error(err, "in use by another neohebb process", f"pid {holder.pid}")
    finally:
        holder.communicate("")
    assert (
        main(["maze", "--trace", "ideal", "--episodes", "2", "--out", str(out), "--no-plots"]) == 0
    )  # free again once the holder is gone
    assert ".m.lock" not in only_files(tmp_path)


# --- Ctrl-C ---------------------------------------------------------------------------------


def _default_sigint() -> None:
    """In the child: Ctrl-C acts, even when the test itself runs where SIGINT is ignored (a
    background job of a non-interactive shell), which the child would otherwise inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(args: list[str], after_s: float, cwd: Path) -> tuple[int, str, float]:
    """Run the CLI in a child with default signal handling, send SIGINT ``after_s`` after
    its stage began work (its directory lock appeared: imports are done, however loaded the
    machine); (exit code, stderr, seconds from SIGINT to exit)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "neohebb.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
        cwd=cwd,
    )
    deadline = time.time() + 120
    while not any(cwd.rglob(".*.lock")) and child.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(after_s)
    assert child.poll() is None, "finished before the interrupt: give it more work"
    child.send_signal(signal.SIGINT)
    start = time.perf_counter()
    _, err = child.communicate(timeout=60)
    return child.returncode, err, time.perf_counter() - start


def test_ctrl_c_while_meshing_stops_at_once_and_leaves_nothing(tmp_path: Path) -> None:
    """Gmsh's C++ mesher runs in a child process that is killed: the command stops with 130
    while the mesh is unfinished, no output and no scratch directory remain, no mesher is
    left running."""
    spec = tmp_path / "fine.toml"
    spec.write_text(DEFAULT_TOML.read_text().replace("refine = 1.0", "refine = 1.6"))
    code, err, took = interrupt(["mesh", str(spec), "--out", "dev", "--no-picture"], 1.0, tmp_path)
    assert code == 130, (code, took, err)  # 130: stopped by the interrupt, not finished
    one_line_error(err, "interrupted")
    assert only_files(tmp_path) == ["fine.toml"]
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp_path) not in ps


def test_ctrl_c_during_the_thermal_solve_leaves_no_partial_output(
    small: BuiltDevice, tmp_path: Path
) -> None:
    d = copy_of(small.out, tmp_path / "d")
    code, err, took = interrupt(["thermal", str(d), "--quiet"], 2.0, tmp_path)
    assert code == 130, (code, took, err)  # 130: stopped by the interrupt, not finished
    one_line_error(err, "interrupted")
    assert only_files(d) == ["device.json", "device.msh"]
    assert only_files(tmp_path) == ["d"]


def test_ctrl_c_during_a_sweep_terminates_its_workers(tmp_path: Path) -> None:
    """Finished runs stay cached; the worker processes do not outlive the command."""
    args = [
        "sweep",
        "--trace",
        "ideal",
        "--episodes",
        "400",
        "--seeds",
        "4",
        "--workers",
        "2",
        "--out",
        "s",
    ]
    child = subprocess.Popen(
        [sys.executable, "-m", "neohebb.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
        cwd=tmp_path,
    )
    workers: set[int] = set()
    deadline = time.time() + 120  # a loaded machine imports slowly
    while len(workers) < 2 and time.time() < deadline:  # the pool's spawned workers
        time.sleep(0.2)
        workers = _descendants(child.pid)
    time.sleep(3)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert workers, "no worker processes seen"
    time.sleep(0.5)
    alive = {pid: _command(pid) for pid in workers if _running(pid)}
    assert not alive, alive
    assert not (tmp_path / "s" / "sweep.json").exists()


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child that nobody has reaped yet computes nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid``: the children of each of its threads (Dask starts its
    workers from its event-loop thread, not the main one)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        kids: list[str] = []
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids += (task / "children").read_text().split()
            except OSError:
                continue
        for k in kids:
            if int(k) not in found:
                found.add(int(k))
                todo.append(int(k))
    return found


# --- the pipeline: caching, staleness ----------------------------------------------------


def test_run_twice_recomputes_nothing_and_a_spec_change_recomputes_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        'device_spec = "dev.toml"\n[mesh]\npicture = false\n'
        '[maze]\ntask = "frozenlake"\nbackend = "ideal"\nepisodes = 5\n'
        "[sweep]\nseeds = 1\nratios = [1.0]\nworkers = 1\nvariabilities = [0.0]\n"
    )
    spec_text = (
        DEFAULT_TOML.read_text().replace("rows = 3", "rows = 1").replace("cols = 3", "cols = 2")
    )
    (tmp_path / "dev.toml").write_text(spec_text)
    out = tmp_path / "res"
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert first.count(" ran") == 5, first
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    second = capsys.readouterr().out
    assert second.count("up to date") == 5 and " ran" not in second, second
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps
    (tmp_path / "dev.toml").write_text(spec_text.replace("pitch_nm = 200.0", "pitch_nm = 250.0"))
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    third = capsys.readouterr().out
    assert third.count(" ran") == 5, third
    # the sweep turned off: the old sweep is not reported as this run's result
    cfg.write_text(cfg.read_text().replace("[sweep]\n", "[sweep]\nenabled = false\n"))
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    fourth = capsys.readouterr().out
    assert "sweep    disabled" in fourth and "sweep " + str(out) not in fourth


def test_concurrent_runs_into_one_directory(tmp_path: Path) -> None:
    """A second run with another spec into the directory a first one is meshing: refused at
    once, naming the directory; the first completes a consistent device."""
    spec_a = tmp_path / "a.toml"
    spec_a.write_text(DEFAULT_TOML.read_text().replace("refine = 1.0", "refine = 1.4"))
    spec_b = tmp_path / "b.toml"
    spec_b.write_text(DEFAULT_TOML.read_text().replace("pitch_nm = 200.0", "pitch_nm = 260.0"))

    def mesh(spec: Path) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "neohebb.cli",
                "mesh",
                str(spec),
                "--out",
                "dev",
                "--no-picture",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = mesh(spec_a)
    deadline = time.time() + 30
    while not (tmp_path / ".dev.lock").exists() and time.time() < deadline:
        time.sleep(0.05)  # the first holds the lock while Gmsh runs (several seconds)
    assert (tmp_path / ".dev.lock").exists()
    second = mesh(spec_b)
    _, err_second = second.communicate(timeout=60)
    _, err_first = first.communicate(timeout=120)
    assert second.returncode == 2 and "in use by another neohebb process" in err_second
    assert first.returncode == 0, err_first
    from meshes.info import read_device
    from meshes.spec import load_spec

    assert read_device(tmp_path / "dev").spec == load_spec(spec_a)
