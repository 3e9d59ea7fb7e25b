"""`neohebb fit` on the default device, the Cauer ladder, and model-card validation against
the published JSON Schema and the cross-field rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from devicefit.card import (
    ModelCard,
    card_from_json,
    card_schema,
    read_card,
)
from devicefit.cauer import cauer_to_foster, foster_to_cauer
from devicefit.errors import CardError
from neohebb.cli import main


@pytest.fixture(scope="module")
def fitted(default_thermal: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "dev"
    shutil.copytree(default_thermal, out)
    assert main(["fit", str(out)]) == 0
    return out


def test_card_reproduces_the_fe_impedance(fitted: Path) -> None:
    card = read_card(fitted / "model_card.json")
    net = card.thermal.network
    data = np.load(fitted / "response.npz")
    err = np.abs(net.step_response(data["t"]) - data["Z"]) / np.diag(data["Z"][-1])[None, None]
    assert err.max() <= 0.01 and len(net.tau_s) <= 12
    assert card.thermal.fit_max_rel_error == pytest.approx(err.max(), rel=1e-9)
    derived = card.derived
    assert derived.cell == "heater_r1_c1"
    assert derived.r_self_k_per_w == pytest.approx(data["R"][4, 4], rel=0.01)
    assert derived.crosstalk_nearest == pytest.approx(data["R"][5, 4] / data["R"][4, 4], rel=0.02)
    # a 100 uW, 10 ns pulse: rise = P * Z(10 ns) of the FE response, within the fit error
    z10 = np.interp(np.log(1e-8), np.log(data["t"]), data["Z"][:, 4, 4])
    assert derived.pulse_rise_k == pytest.approx(1e-4 * z10, abs=0.01 * 1e-4 * data["R"][4, 4])
    # the card carries what snn/ needs about the device and where it came from
    assert (card.geometry.rows, card.geometry.cols) == (3, 3)
    assert card.geometry.pitch_m == pytest.approx(200e-9)
    assert card.thermal.t_ambient_k == 300.0
    thermal_json = json.loads((fitted / "thermal.json").read_text())
    assert card.provenance.device_msh_sha256 == thermal_json["stage"]["inputs"]["device.msh"]
    from tests.helpers import assert_picture

    assert_picture(fitted / "fit_thermal.png", min_colours=20)


def test_card_carries_the_filament_sources(fitted: Path) -> None:
    """The filament network reproduces the FE Z_filament within fit.rel_tol of each self term;
    its pulse-mean rise is the time average of the FE step response over the pulse (a long
    pulse sees the steady R, a short one much less) and R is symmetric (reciprocity)."""
    card = read_card(fitted / "model_card.json")
    fil = card.thermal.filament
    data = np.load(fitted / "response.npz")
    t, z = data["t"], data["Z_filament"]
    err = np.abs(fil.network.step_response(t) - z) / np.diag(z[-1])[None, None]
    assert err.max() <= 0.01 and fil.fit_max_rel_error == pytest.approx(err.max(), rel=1e-9)
    r = fil.network.steady_k_per_w()
    np.testing.assert_allclose(r, r.T, rtol=0.02, atol=1e-3 * r.max())
    for width in (3e-10, 2e-9, 2e-8):
        grid = np.linspace(0.0, width, 4001)
        zc = np.interp(grid, np.concatenate([[0.0], t]), np.concatenate([[0.0], z[:, 4, 4]]))
        mean = float(np.sum((zc[1:] + zc[:-1]) / 2) * (grid[1] - grid[0]) / width)
        assert fil.pulse_mean_k_per_w(width)[4, 4] == pytest.approx(mean, rel=0.02)
    assert fil.pulse_mean_k_per_w(1.0)[4, 4] == pytest.approx(r[4, 4], rel=1e-6)
    assert fil.pulse_mean_k_per_w(1e-10)[4, 4] < 0.6 * r[4, 4]  # a 0.1 ns pulse: much less


def test_card_round_trips_through_json(fitted: Path) -> None:
    card = read_card(fitted / "model_card.json")
    again = card_from_json(json.loads(json.dumps(card.to_json())))
    assert isinstance(again, ModelCard)
    assert again.to_json() == card.to_json()
    assert again.content_sha256() == card.content_sha256()


def test_published_schema_is_the_packaged_one() -> None:
    """docs/model_card.schema.json is what other tools validate with: the same file."""
    docs = Path(__file__).parents[2] / "docs" / "model_card.schema.json"
    assert json.loads(docs.read_text()) == card_schema()


def test_card_validates_with_jsonschema_alone(fitted: Path) -> None:
    """Another tool, with only the schema file and the jsonschema library, accepts the card
    and rejects one without a required field."""
    import jsonschema

    schema = json.loads((Path(__file__).parents[2] / "docs" / "model_card.schema.json").read_text())
    data = json.loads((fitted / "model_card.json").read_text())
    jsonschema.validate(data, schema)
    del data["variability"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_cauer_ladder_of_the_card_is_the_foster_self_term(fitted: Path) -> None:
    ladder = read_card(fitted / "model_card.json").thermal.cauer_self
    assert ladder is not None and ladder.heater == "heater_r1_c1"
    tau, res = cauer_to_foster(np.array(ladder.r_k_per_w), np.array(ladder.c_j_per_k))
    assert np.all(res > 0) and np.all(np.array(ladder.c_j_per_k) > 0)
    r, c = foster_to_cauer(tau, res)
    np.testing.assert_allclose(r, ladder.r_k_per_w, rtol=1e-9)
    np.testing.assert_allclose(c, ladder.c_j_per_k, rtol=1e-9)


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


BAD_CARDS = [
    (lambda c: c.update(schema_version=99), "schema_version"),
    (lambda c: c.update(schema_version=1), "schema_version 1"),
    (lambda c: c.update(schema_version=2), "single switching model: re-run `neohebb thermal`"),
    (lambda c: c["switching"]["parameters"].pop("ea_diss_ev"), "switching.parameters"),
    (lambda c: c["switching"].update(model="jart"), "switching.model"),
    (
        lambda c: c["thermal"]["filament"]["residues_k_per_w"].pop(),
        "thermal.filament.residues_k_per_w",
    ),
    (lambda c: c["thermal"].pop("filament"), "thermal"),
    (lambda c: c["thermal"].pop("tau_s"), "thermal"),
    (lambda c: c["thermal"].update(tau_s=[-1.0] * len(c["thermal"]["tau_s"])), "thermal.tau_s"),
    (lambda c: c["thermal"].update(tau_s=c["thermal"]["tau_s"][::-1]), "thermal.tau_s"),
    (lambda c: c["thermal"]["residues_k_per_w"].pop(), "thermal.residues_k_per_w"),
    (lambda c: c["thermal"].update(heaters=[]), "thermal.heaters"),
    (lambda c: c["thermal"].update(t_ambient_k=-3.0), "thermal.t_ambient_k"),
    (lambda c: c["geometry"].update(cols=4), "thermal.heaters"),
    (lambda c: c.pop("provenance"), "provenance"),
    (lambda c: c.pop("variability"), "variability"),
    (lambda c: c["variability"].update(stuck_fraction=1.5), "variability.stuck_fraction"),
    (lambda c: c["variability"].update(c2c_sigma_rel=-0.1), "variability.c2c_sigma_rel"),
    (lambda c: c["switching"]["parameters"].update(ea_set_ev="x"), "switching.parameters"),
    (lambda c: c["switching"]["parameters"].update(ea_set_ev=float("nan")), "ea_set_ev"),
    (lambda c: c["switching"]["parameters"].update(g_min_s=2e-4), "g_min_s"),
    (lambda c: c.update(switching=None), "switching"),
    (lambda c: c["derived"].pop("r_self_k_per_w"), "derived"),
    (lambda c: c["thermal"].update(self_residues_signed="yes"), "thermal.self_residues_signed"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CARDS, ids=[f for _, f in BAD_CARDS])
def test_malformed_card_names_the_field(change, field: str, fitted: Path, tmp_path: Path) -> None:
    with pytest.raises(CardError, match=field.replace(".", r"\.")):
        read_card(edit_card(fitted, tmp_path, change))


def test_non_json_and_non_utf8_cards_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "card.json"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CardError, match="not UTF-8"):
        read_card(bad)
    bad.write_text("{not json")
    with pytest.raises(CardError, match="not valid JSON"):
        read_card(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(CardError, match="expected a JSON object"):
        read_card(bad)


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


def test_a_fit_above_rel_tol_is_refused(
    fitted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One pole cannot fit Z within 1 %: refused, naming the setting, nothing written."""
    out = tmp_path / "dev"
    shutil.copytree(fitted, out)
    (out / "model_card.json").unlink()
    cfg = tmp_path / "run.toml"
    cfg.write_text("[fit]\nmax_poles = 1\n")
    assert main(["fit", str(out), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "fit.rel_tol" in err and "fit.max_poles" in err
    assert not (out / "model_card.json").exists()


def test_devicefit_imports_without_dolfinx_or_gmsh() -> None:
    """devicefit/ must run where only numpy/scipy are installed (no import cycle either)."""
    import subprocess
    import sys

    code = (
        "import sys, devicefit.switching, devicefit.card, devicefit.plots, devicefit.stage; "
        "bad = [m for m in ('dolfinx', 'gmsh', 'petsc4py') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fit_with_the_synthetic_switching_csv(fitted: Path, tmp_path: Path) -> None:
    out = tmp_path / "dev"
    shutil.copytree(fitted, out)
    assert main(["fit", str(out), "--switching", "example"]) == 0
    card = read_card(out / "model_card.json")
    sw = card.switching
    assert sw.synthetic and "SYNTHETIC" in sw.source
    # the example was made by the Arrhenius member on a 4.9e6 K/W filament; this device's
    # filament is within 1 % of it: BIC keeps Arrhenius and the barriers come back
    assert sw.model.NAME == "arrhenius" == sw.selection[0]["model"]
    assert sw.model.ea_set_ev == pytest.approx(0.7, rel=0.02)
    assert sw.model.ea_reset_ev == pytest.approx(1.12, rel=0.02)
    assert sw.std is not None and all(v is not None and v > 0 for v in sw.std.values())
    assert sw.unidentified == ()
    assert sw.noise is not None and sw.noise["sigma_mult_rel"] == pytest.approx(0.03, rel=0.2)
    assert "not measured" in card.variability.source  # representative, and labelled so
    # the switching plot shows the data and the fit: not a blank canvas
    from tests.helpers import assert_picture

    assert_picture(out / "fit_switching.png", min_colours=20)


def test_refit_invalidates_downstream_learning(fitted: Path, tmp_path: Path) -> None:
    """A re-run fit removes the learning results of the card it replaces."""
    out = tmp_path / "dev"
    shutil.copytree(fitted, out)
    (out / "maze").mkdir()
    (out / "maze" / "results.json").write_text("{}")
    assert main(["fit", str(out), "--no-plots"]) == 0
    assert not (out / "maze").exists()


def test_stale_response_is_refused(
    fitted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """response.npz from another run beside this thermal.json: refused, naming the file."""
    out = tmp_path / "dev"
    shutil.copytree(fitted, out)
    data = dict(np.load(out / "response.npz"))
    data["Z"] = data["Z"] * 1.01
    np.savez(out / "response.npz", **data)
    assert main(["fit", str(out)]) == 2
    assert "response.npz: changed since `neohebb thermal`" in capsys.readouterr().err
