"""Same spec -> byte-identical mesh; device.json carries the content hash; refine refines."""

from __future__ import annotations

from pathlib import Path

from meshes.files import sha256_file
from tests.conftest import build, small_spec


def test_same_spec_gives_identical_mesh(tmp_path: Path, side_device) -> None:
    again = build(small_spec("side"), tmp_path / "again")
    assert sha256_file(again.out / "device.msh") == sha256_file(side_device.out / "device.msh")
    assert again.info["stage"]["outputs"]["device.msh"] == sha256_file(again.out / "device.msh")
    assert again.info["stage"]["key"] == side_device.info["stage"]["key"]


def test_refine_factor_shrinks_elements(tmp_path: Path, side_device) -> None:
    """Halving every size (refine 2) multiplies the tetrahedra by ~8; demand at least 4."""
    fine = build(small_spec("side").with_refine(2.0), tmp_path / "fine")
    assert fine.info["mesh"]["n_tetrahedra"] > 4 * side_device.info["mesh"]["n_tetrahedra"]
    msh = "device.msh"
    assert fine.info["stage"]["outputs"][msh] != side_device.info["stage"]["outputs"][msh]
