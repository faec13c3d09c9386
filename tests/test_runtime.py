"""Unit tests for helpers.runtime: grading/smoke switches, budget, device, seeding, folders."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import runtime

ENV_VARS = (
    "NBGRADER_EXECUTION",
    "GAN_COURSE_SMOKE",
    "GAN_COURSE_DEVICE",
    "GAN_COURSE_DATA",
    "XDG_CACHE_HOME",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts outside grading and smoke mode, whatever the caller's shell sets."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


# --- is_grading / is_smoke / budget -----------------------------------------------------------


def test_is_grading_false_without_variable() -> None:
    assert runtime.is_grading() is False


@pytest.mark.parametrize("value", ["1", "autograde", "true"])
def test_is_grading_true_when_variable_set(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", value)
    assert runtime.is_grading() is True


def test_is_grading_false_for_empty_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "")
    assert runtime.is_grading() is False


def test_is_smoke_false_by_default() -> None:
    assert runtime.is_smoke() is False


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", " 1 "])
def test_is_smoke_true_for_truthy_smoke_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GAN_COURSE_SMOKE", value)
    assert runtime.is_smoke() is True
    assert runtime.is_grading() is False


@pytest.mark.parametrize("value", ["0", "", "false", "no"])
def test_is_smoke_false_for_falsy_smoke_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GAN_COURSE_SMOKE", value)
    assert runtime.is_smoke() is False


def test_grading_implies_smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("GAN_COURSE_SMOKE", "0")
    assert runtime.is_smoke() is True


def test_budget_full_outside_smoke() -> None:
    assert runtime.budget(1000, 3) == 1000


def test_budget_smoke_in_smoke_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAN_COURSE_SMOKE", "1")
    assert runtime.budget(1000, 3) == 3
    assert runtime.budget(1000) == 1


def test_budget_smoke_while_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.budget(1000, 7) == 7


def test_budget_accepts_zero() -> None:
    assert runtime.budget(0, 0) == 0


@pytest.mark.parametrize(
    ("full", "smoke"),
    [(-1, 1), (10, -1), (1.5, 1), (10, 2.0), ("10", 1), (True, 1), (10, False), (None, 1)],
)
def test_budget_rejects_bad_input(full: object, smoke: object) -> None:
    with pytest.raises(ValueError, match="non-negative int"):
        runtime.budget(full, smoke)  # type: ignore[arg-type]


# --- get_device -------------------------------------------------------------------------------


def test_get_device_honours_environment_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    # fake a GPU, so that returning the CPU proves the override was read
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.get_device().type == "cuda"
    monkeypatch.setenv("GAN_COURSE_DEVICE", "cpu")
    assert runtime.get_device() == torch.device("cpu")


def test_get_device_honours_environment_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(runtime, "_mps_available", lambda: True)
    monkeypatch.setenv("GAN_COURSE_DEVICE", "mps")
    assert runtime.get_device() == torch.device("mps")


def test_get_device_prefer_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runtime.get_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("GAN_COURSE_DEVICE", "cuda")
    # an explicit preference wins over the environment variable
    assert runtime.get_device(prefer="cpu") == torch.device("cpu")


@pytest.mark.parametrize("choice", ["cuda", "cuda:0"])
def test_get_device_rejects_cuda_when_unavailable(
    monkeypatch: pytest.MonkeyPatch, choice: str
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("GAN_COURSE_DEVICE", choice)
    with pytest.raises(ValueError, match="CUDA is not available"):
        runtime.get_device()
    monkeypatch.delenv("GAN_COURSE_DEVICE")
    with pytest.raises(ValueError, match="CUDA is not available"):
        runtime.get_device(prefer=choice)


def test_get_device_falls_back_to_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert runtime.get_device() == torch.device("cpu")


def test_get_device_prefers_cuda_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.get_device().type == "cuda"


# --- seed_everything --------------------------------------------------------------------------


def _draw() -> tuple[float, np.ndarray, torch.Tensor]:
    return random.random(), np.random.rand(4), torch.rand(4)


def test_seed_everything_makes_draws_repeatable() -> None:
    runtime.seed_everything(123)
    first = _draw()
    runtime.seed_everything(123)
    second = _draw()
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])


def test_seed_everything_different_seeds_differ() -> None:
    runtime.seed_everything(1)
    first = _draw()
    runtime.seed_everything(2)
    second = _draw()
    assert first[0] != second[0]
    assert not np.array_equal(first[1], second[1])
    assert not torch.equal(first[2], second[2])


def test_seed_everything_default_seed_is_zero() -> None:
    runtime.seed_everything()
    first = torch.rand(3)
    runtime.seed_everything(0)
    assert torch.equal(first, torch.rand(3))


def test_seed_everything_accepts_large_seed() -> None:
    runtime.seed_everything(2**32 + 5)
    first = np.random.rand(2)
    runtime.seed_everything(2**32 + 5)
    np.testing.assert_array_equal(first, np.random.rand(2))


@pytest.mark.parametrize("seed", [1.0, "1", True, None])
def test_seed_everything_rejects_non_int(seed: object) -> None:
    with pytest.raises(ValueError, match="seed must be an int"):
        runtime.seed_everything(seed)  # type: ignore[arg-type]


# --- data_dir / checkpoint_dir ----------------------------------------------------------------


def test_data_dir_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "nested" / "data"
    monkeypatch.setenv("GAN_COURSE_DATA", str(target))
    result = runtime.data_dir()
    assert result == target
    assert result.is_dir()


def test_data_dir_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GAN_COURSE_DATA", "~/course-data")
    result = runtime.data_dir()
    assert result == tmp_path / "course-data"
    assert result.is_dir()


def test_data_dir_default_is_not_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "home"
    work = tmp_path / "autograded" / "student" / "lesson"
    home.mkdir()
    work.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    result = runtime.data_dir()
    assert result.is_absolute()
    assert result.resolve() != Path.cwd().resolve()
    assert Path.cwd().resolve() not in result.resolve().parents
    assert result == home / ".cache" / "gan-course"
    assert result.is_dir()
    assert list(work.iterdir()) == []  # nothing was created in the working directory


def test_data_dir_uses_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = runtime.data_dir()
    assert result == tmp_path / "cache" / "gan-course"
    assert result.resolve() != work.resolve()


def test_checkpoint_dir_inside_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path / "data"))
    result = runtime.checkpoint_dir()
    assert result.parent == runtime.data_dir()
    assert result == tmp_path / "data" / "checkpoints"
    assert result.is_dir()


# --- setup_notebook ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "full"),
        ({"GAN_COURSE_SMOKE": "1"}, "smoke"),
        ({"NBGRADER_EXECUTION": "autograde"}, "grading"),
        ({"NBGRADER_EXECUTION": "autograde", "GAN_COURSE_SMOKE": "1"}, "grading"),
    ],
)
def test_setup_notebook_prints_one_line_with_mode(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    mode: str,
) -> None:
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("GAN_COURSE_DEVICE", "cpu")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    device = runtime.setup_notebook(seed=5)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1
    assert f"mode: {mode}" in lines[0]
    assert "device: cpu" in lines[0]
    assert str(tmp_path) in lines[0]
    assert captured.err == ""
    assert device == torch.device("cpu")


def test_setup_notebook_seeds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("GAN_COURSE_DEVICE", "cpu")
    runtime.setup_notebook(seed=11)
    first = torch.rand(3)
    runtime.seed_everything(11)
    assert torch.equal(first, torch.rand(3))


def test_setup_notebook_uses_one_thread_in_smoke_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from helpers.checks import integrity

    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        runtime.setup_notebook()
        assert torch.get_num_threads() == 2  # full mode leaves the threads alone
        monkeypatch.setenv("GAN_COURSE_SMOKE", "1")
        runtime.setup_notebook()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
        integrity.unseal()
