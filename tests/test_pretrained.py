"""Tests for helpers.pretrained: stamped checkpoints, their registry, and the shipped files."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import torch
from nbtools import ROOT

from helpers import model_files, pretrained, progan, stylegan
from helpers.progan import ProDiscriminator, ProGenerator, generate


@pytest.fixture(autouse=True)
def seeded() -> None:
    torch.manual_seed(0)


def _small_generator() -> ProGenerator:
    G = ProGenerator(z_dim=8, channels=(8, 4))
    with torch.no_grad():
        for p in G.parameters():
            p.add_(0.1 * torch.randn_like(p))  # biases away from their zero init
    return G


def test_round_trip_is_exact_in_float32(tmp_path: Path) -> None:
    G = _small_generator()
    path = pretrained.save("progan", G, {"data": "none", "seconds": 0}, tmp_path)
    assert path == tmp_path / "progan.pt"
    loaded = pretrained.load("progan", weights_dir=tmp_path)
    assert type(loaded) is ProGenerator and not loaded.training
    assert (loaded.z_dim, loaded.channels) == (8, (8, 4))
    z = torch.randn(4, 8)
    with torch.no_grad():
        assert torch.equal(loaded(z, 1, 0.5), G(z, 1, 0.5))
    assert loaded.recipe["data"] == "none"
    assert {"machine", "date", "torch"} <= set(loaded.recipe)
    assert loaded.recipe["torch"] == torch.__version__


def test_half_precision_round_trip_restores_float32(tmp_path: Path) -> None:
    G = _small_generator()
    pretrained.save("progan", G, {}, tmp_path, half=True)
    raw = pretrained.read("progan", tmp_path)
    assert {t.dtype for t in raw["state_dict"].values()} == {torch.float16}
    loaded = pretrained.load("progan", weights_dir=tmp_path)
    assert {p.dtype for p in loaded.parameters()} == {torch.float32}
    for a, b in zip(loaded.parameters(), G.parameters()):
        torch.testing.assert_close(a, b.half().float(), rtol=0, atol=0)
    z = torch.randn(4, 8)
    with torch.no_grad():
        torch.testing.assert_close(loaded(z, 1, 0.5), G(z, 1, 0.5), rtol=1e-2, atol=1e-2)


def test_file_holds_stamp_kwargs_recipe_and_state(tmp_path: Path) -> None:
    pretrained.save("progan", _small_generator(), {"steps": 3}, tmp_path)
    raw = torch.load(tmp_path / "progan.pt", weights_only=True)
    assert raw["format"] == pretrained.FORMAT and raw["version"] == pretrained.VERSION
    assert raw["class"] == "helpers.progan.ProGenerator"
    assert raw["kwargs"] == {"z_dim": 8, "channels": [8, 4], "img_channels": 1}
    assert raw["recipe"]["steps"] == 3
    assert set(raw["state_dict"]) == set(ProGenerator(8, (8, 4)).state_dict())


@pytest.mark.parametrize(
    "stamp", [{"format": pretrained.FORMAT, "version": 0}, {"format": "other", "version": 1}, {}]
)
def test_stale_stamp_says_how_to_regenerate(tmp_path: Path, stamp: dict) -> None:
    torch.save({**stamp, "state_dict": {}}, tmp_path / "progan.pt")
    with pytest.raises(
        pretrained.CheckpointError, match="python -m helpers.pretrained train progan"
    ):
        pretrained.load("progan", weights_dir=tmp_path)


def test_non_dict_file_is_rejected(tmp_path: Path) -> None:
    torch.save([1, 2, 3], tmp_path / "progan.pt")
    with pytest.raises(pretrained.CheckpointError, match="version"):
        pretrained.read("progan", tmp_path)


def test_missing_file_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(pretrained.CheckpointError, match="train progan"):
        pretrained.load("progan", weights_dir=tmp_path)
    with pytest.raises(ValueError, match="progan"):
        pretrained.load("no-such-model")


def test_state_that_does_not_fit_the_model(tmp_path: Path) -> None:
    pretrained.save("progan", _small_generator(), {}, tmp_path)
    raw = torch.load(tmp_path / "progan.pt", weights_only=True)
    raw["kwargs"]["channels"] = [8, 8]
    torch.save(raw, tmp_path / "progan.pt")
    with pytest.raises(pretrained.CheckpointError, match="does not fit"):
        pretrained.load("progan", weights_dir=tmp_path)


def test_save_rejects_the_wrong_class(tmp_path: Path) -> None:
    with pytest.raises(pretrained.CheckpointError, match="ProGenerator"):
        pretrained.save("progan", ProDiscriminator(channels=(8, 4)), {}, tmp_path)


def test_save_refuses_files_over_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_files, "MAX_BYTES", 10_000)
    with pytest.raises(pretrained.CheckpointError, match="half=True"):
        pretrained.save("progan", ProGenerator(), {}, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left behind


def test_constructor_kwargs_need_attributes() -> None:
    class Opaque(torch.nn.Module):
        def __init__(self, width: int = 3):
            super().__init__()

    with pytest.raises(pretrained.CheckpointError, match="width"):
        pretrained.constructor_kwargs(Opaque())


def test_info_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pretrained.save("progan", _small_generator(), {"seconds": 12}, tmp_path)
    lines: list[str] = []
    pretrained.info(tmp_path, out=lines.append)
    text = "\n".join(lines)
    assert "progan" in text and '"seconds": 12' in text and "bytes" in text
    missing: list[str] = []
    pretrained.info(tmp_path / "empty", out=missing.append)
    for name in pretrained.registry():  # each missing checkpoint says how to make it
        assert any(f"train {name}`" in line for line in missing), (name, missing)
    assert pretrained.main(["info"]) == 0
    assert "progan" in capsys.readouterr().out


def test_cli_train_writes_a_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict] = []

    def fake_train(**kwargs: object) -> tuple[ProGenerator, dict]:
        calls.append(kwargs)
        return _small_generator(), {"seconds": 1}

    entry = pretrained.registry()["progan"]
    fake = pretrained.Entry(entry.model, fake_train, entry.description)
    monkeypatch.setattr(pretrained, "registry", lambda: {"progan": fake})
    argv = ["train", "progan", "--weights-dir", str(tmp_path), "--samples", str(tmp_path / "s")]
    assert pretrained.main(argv) == 0
    assert calls == [{"device": "cpu", "samples_dir": str(tmp_path / "s"), "checkpoint": None}]
    recipe = pretrained.read("progan", tmp_path)["recipe"]
    assert recipe["command"].startswith("python -m helpers.pretrained train progan")
    assert pretrained.main([*argv, "--resume", str(tmp_path / "run.pt")]) == 0
    assert calls[-1]["checkpoint"].path == tmp_path / "run.pt"


def test_cli_scores_a_shipped_generator(capsys: pytest.CaptureFixture[str]) -> None:
    assert pretrained.main(["evaluate", "progan", "--n", "200"]) == 0
    out = capsys.readouterr().out
    assert "real_vs_real" in out and "progan" in out and "Fréchet" in out
    with pytest.raises(ValueError, match="no generator called 'classifier'"):
        pretrained.score_checkpoint("classifier", n=10)


# --- the shipped checkpoints ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(pretrained.registry()))
def test_shipped_checkpoint_is_small_and_stamped(name: str) -> None:
    path = pretrained.path_of(name)
    assert path.is_file(), f"run `python -m helpers.pretrained train {name}`"
    assert path.stat().st_size <= pretrained.MAX_BYTES
    recipe = pretrained.read(name)["recipe"]
    for key in ("data", "config", "iterations", "seconds", "machine", "date", "torch"):
        assert key in recipe
    assert recipe["smoke"] is False


@pytest.mark.parametrize(
    ("name", "config_class"),
    [("progan", progan.ProGANConfig), ("stylegan", stylegan.StyleGANConfig)],
)
def test_shipped_recipe_names_the_current_config_fields(name: str, config_class: type) -> None:
    """A recipe's config rebuilds today's config class: renaming a field (issue 18's
    iteration counts) must rewrite the stored recipe too, or retraining from it breaks."""
    config = pretrained.read(name)["recipe"]["config"]
    fields = [field.name for field in dataclasses.fields(config_class)]
    assert sorted(config) == sorted(fields), (
        f"{name}.pt's recipe has config keys {sorted(set(config) - set(fields))} that "
        f"{config_class.__name__} lacks, and lacks {sorted(set(fields) - set(config))}"
    )
    config_class(**config)


def test_shipped_progan_generates_digits_sized_images() -> None:
    G = pretrained.load("progan")
    images = generate(G, n=16, seed=0)
    assert images.shape == (16, 1, 32, 32)
    assert images.min().item() >= -1.0 and images.max().item() <= 1.0
    assert images.std(dim=0).mean().item() > 0.1  # samples differ from each other
    border = torch.cat([images[..., :2, :].flatten(), images[..., -2:, :].flatten()])
    assert border.mean().item() < -0.8  # the padded border of MNIST is black
    with torch.no_grad():
        raw = G(torch.randn(16, G.z_dim), G.max_stage, 1.0)
    assert raw.abs().max().item() < 3.0  # the linear output stays near the pixel range


# --- packaging --------------------------------------------------------------------------------


def test_pyproject_declares_the_weights_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["helpers"]
    helpers = ROOT / "helpers"
    shipped = {p for pattern in patterns for p in helpers.glob(pattern)}
    for name in pretrained.registry():
        assert pretrained.path_of(name) in shipped


def test_wheel_contains_the_weights(tmp_path: Path) -> None:
    """pip builds a wheel (about 2 s, offline) that ships every registered checkpoint."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "helpers", source / "helpers", ignore=shutil.ignore_patterns("__pycache__")
    )
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps"]
    command += ["--no-build-isolation", "-q", "-w", str(tmp_path / "dist")]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in pretrained.registry():
        assert f"helpers/weights/{name}.pt" in names
