"""`neohebb fit` on the default device, the Cauer ladder, and model-card validation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from devicefit.card import CardError, network_from_card, read_card
from devicefit.cauer import cauer_to_foster, foster_to_cauer
from neohebb.cli import main


@pytest.fixture(scope="module")
def fitted(default_thermal: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "dev"
    shutil.copytree(default_thermal, out)
    assert main(["fit", str(out)]) == 0
    return out


def test_card_reproduces_the_fe_impedance(fitted: Path) -> None:
    card = read_card(fitted / "model_card.json")
    net = network_from_card(card)
    data = np.load(fitted / "response.npz")
    err = np.abs(net.step_response(data["t"]) - data["Z"]) / np.diag(data["Z"][-1])[None, None]
    assert err.max() <= 0.01 and len(net.tau_s) <= 12
    assert card["thermal"]["fit_max_rel_error"] == pytest.approx(err.max(), rel=1e-9)
    derived = card["derived"]
    assert derived["r_self_k_per_w"] == pytest.approx(data["R"][4, 4], rel=0.01)
    assert derived["crosstalk_nearest"] == pytest.approx(
        data["R"][5, 4] / data["R"][4, 4], rel=0.02
    )
    # a 100 uW, 10 ns pulse: rise = P * Z(10 ns) of the FE response, within the fit error
    z10 = np.interp(np.log(1e-8), np.log(data["t"]), data["Z"][:, 4, 4])
    assert derived["pulse_rise_k"] == pytest.approx(1e-4 * z10, abs=0.01 * 1e-4 * data["R"][4, 4])
    assert card["provenance"]["device_sha256"]
    assert (fitted / "fit_thermal.png").stat().st_size > 10_000


def test_cauer_ladder_of_the_card_is_the_foster_self_term(fitted: Path) -> None:
    ladder = read_card(fitted / "model_card.json")["thermal"]["cauer_self"]
    tau, res = cauer_to_foster(np.array(ladder["r_k_per_w"]), np.array(ladder["c_j_per_k"]))
    assert np.all(res > 0) and np.all(np.array(ladder["c_j_per_k"]) > 0)
    r, c = foster_to_cauer(tau, res)
    np.testing.assert_allclose(r, ladder["r_k_per_w"], rtol=1e-9)
    np.testing.assert_allclose(c, ladder["c_j_per_k"], rtol=1e-9)


@pytest.mark.parametrize("n", [1, 3, 8, 12])
def test_foster_cauer_round_trip(n: int) -> None:
    rng = np.random.default_rng(n)
    tau = np.sort(np.geomspace(1e-11, 1e-6, n) * rng.uniform(0.8, 1.2, n))
    res = rng.uniform(1e4, 5e5, n)
    r, c = foster_to_cauer(tau, res)
    assert np.all(r > 0) and np.all(c > 0)
    assert r.sum() == pytest.approx(res.sum(), rel=1e-12)  # same steady resistance
    tau2, res2 = cauer_to_foster(r, c)
    np.testing.assert_allclose(tau2, tau, rtol=1e-8)
    np.testing.assert_allclose(res2, res, rtol=1e-8)


def edit_card(fitted: Path, tmp_path: Path, change) -> Path:
    card = json.loads((fitted / "model_card.json").read_text())
    change(card)
    path = tmp_path / "card.json"
    path.write_text(json.dumps(card))
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c.update(schema_version=99), "schema_version"),
        (lambda c: c["thermal"].pop("tau_s"), "thermal.tau_s"),
        (lambda c: c["thermal"].update(tau_s=[-1.0] * len(c["thermal"]["tau_s"])), "thermal.tau_s"),
        (lambda c: c["thermal"]["residues_k_per_w"].pop(), "thermal.residues_k_per_w"),
        (lambda c: c["thermal"].update(heaters=[]), "thermal.heaters"),
        (lambda c: c.pop("provenance"), "provenance"),
        (lambda c: c["switching"]["parameters"].update(ea_set_ev="x"), "switching.parameters"),
        (lambda c: c.update(switching=None), "switching.parameters"),
    ],
)
def test_malformed_card_names_the_field(change, field: str, fitted: Path, tmp_path: Path) -> None:
    with pytest.raises(CardError, match=field.replace(".", r"\.")):
        read_card(edit_card(fitted, tmp_path, change))


def test_fit_without_response_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", str(tmp_path)]) == 2
    assert "response.npz: missing" in capsys.readouterr().err


def test_bad_fit_config_names_the_field(
    fitted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "run.toml"
    cfg.write_text("[fit]\nmax_poles = 0\n")
    assert main(["fit", str(fitted), "--config", str(cfg)]) == 2
    assert "fit.max_poles" in capsys.readouterr().err


def test_devicefit_imports_without_dolfinx_or_gmsh() -> None:
    """STYLE.md: devicefit/ must run where only numpy/scipy are installed."""
    import subprocess
    import sys

    code = (
        "import sys, devicefit.stage, devicefit.card, devicefit.cauer; "
        "bad = [m for m in ('dolfinx', 'gmsh', 'petsc4py') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fit_with_the_synthetic_switching_csv(fitted: Path, tmp_path: Path) -> None:
    out = tmp_path / "dev"
    shutil.copytree(fitted, out)
    assert main(["fit", str(out), "--switching", "example"]) == 0
    card = read_card(out / "model_card.json")
    sw = card["switching"]
    assert "SYNTHETIC" in sw["source"]
    assert sw["parameters"]["ea_set_ev"] == pytest.approx(0.6, rel=0.02)
    assert all(v > 0 for v in sw["std"].values())
    assert card["variability"]["c2c_sigma_rel"] > 0
    assert (out / "fit_switching.png").stat().st_size > 10_000
