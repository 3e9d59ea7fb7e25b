"""The code version that keys every cache changes with any stage source, subpackages too."""

from __future__ import annotations

from pathlib import Path

from meshes.files import code_version, source_digest


def test_an_edit_anywhere_in_a_stage_package_changes_the_digest(tmp_path: Path) -> None:
    for rel in ("meshes/a.py", "thermal/b.py", "devicefit/c.py", "snn/d.py", "snn/timit/e.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    before = source_digest(tmp_path, "0.1.0")
    assert source_digest(tmp_path, "0.1.0") == before
    (tmp_path / "snn/timit/e.py").write_text("x = 2\n")  # a subpackage file
    edited = source_digest(tmp_path, "0.1.0")
    assert edited != before
    (tmp_path / "snn/timit/e.py").rename(tmp_path / "snn/timit/f.py")  # same bytes, new name
    assert source_digest(tmp_path, "0.1.0") != edited
    assert source_digest(tmp_path, "0.2.0") != source_digest(tmp_path, "0.1.0")
    settled = source_digest(tmp_path, "0.2.0")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/g.py").write_text("")  # outside the stage packages: no effect
    assert source_digest(tmp_path, "0.2.0") == settled


def test_the_installed_code_version_names_the_package_version() -> None:
    from pathlib import Path

    from meshes.files import package_version

    root = Path(__file__).resolve().parents[2]
    version = code_version()
    assert version == f"{package_version()}+{source_digest(root, package_version())}"
