"""Checkpoint and resume (helpers.resume): an interrupted run ends where an uninterrupted one
does, bitwise, on a CPU.

The subprocess tests kill a training run with SIGKILL after its last checkpoint and before it
ends, start it again, and compare every final weight, log and snapshot with a run that was
never interrupted (tests/resume_job.py is the run). The in-process tests interrupt each
lesson's loop with an exception instead, which is quicker and covers the other loops.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from helpers import conditional, data, mlp_gan, progan, resume, stylegan, training

JOB = Path(__file__).with_name("resume_job.py")


class Interrupt(Exception):
    """Stands for a disconnect: raised from ``on_log`` at a chosen step."""


def interrupt_at(stop: int):
    def on_log(step: int, logs: dict[str, float]) -> None:
        if step == stop:
            raise Interrupt

    return on_log


def assert_same(expected: object, found: object, where: str = "result") -> None:
    """Bitwise equality through dicts, lists and tensors."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(found, torch.Tensor), f"{where}: expected a tensor, found {found!r}"
        assert expected.dtype == found.dtype and torch.equal(expected, found), (
            f"{where}: tensors differ (max |diff| "
            f"{(expected.double() - found.double()).abs().max().item():.3g})"
        )
    elif isinstance(expected, dict):
        assert isinstance(found, dict) and set(expected) == set(found), (
            f"{where}: keys {sorted(map(str, expected))} != {sorted(map(str, found))}"
        )
        for key in expected:
            assert_same(expected[key], found[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(expected) == len(found), f"{where}: {len(expected)} items, found {len(found)}"
        for i, (a, b) in enumerate(zip(expected, found)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert expected == found, f"{where}: expected {expected!r}, found {found!r}"


# --- the pieces ------------------------------------------------------------------------------


def test_rng_state_round_trip() -> None:
    state = resume.rng_state()
    drawn = (torch.rand(3), random.random(), np.random.rand(2), np.random.randn())
    torch.rand(5), random.random(), np.random.rand(7)  # move every generator on
    resume.restore_rng(state)
    again = (torch.rand(3), random.random(), np.random.rand(2), np.random.randn())
    assert torch.equal(drawn[0], again[0]) and drawn[1] == again[1]
    assert np.array_equal(drawn[2], again[2]) and drawn[3] == again[3]


def test_checkpoint_round_trip_loads_with_weights_only(tmp_path: Path) -> None:
    model, counter, trace = nn.Linear(3, 2), resume.Counter(), resume.Trace([torch.ones(2)])
    next(counter), next(counter)
    checkpoint = resume.Checkpoint(tmp_path / "run.pt", every=5)
    checkpoint.save(7, {"model": model, "counter": counter, "trace": trace})
    raw = torch.load(checkpoint.path, weights_only=True)  # no pickled code in the file
    assert raw["step"] == 7 and raw["objects"]["counter"] == {"count": 2}
    other, counter2, trace2 = nn.Linear(3, 2), resume.Counter(), resume.Trace()
    assert checkpoint.restore({"model": other, "counter": counter2, "trace": trace2}) == 7
    assert_same(model.state_dict(), other.state_dict())
    assert next(counter2) == 2 and len(trace2) == 1
    assert list(tmp_path.iterdir()) == [checkpoint.path], "a temporary file was left behind"


def test_checkpoint_bare_name_goes_to_the_configured_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAN_COURSE_CHECKPOINTS", str(tmp_path / "drive"))
    assert resume.Checkpoint("run.pt").path == tmp_path / "drive" / "run.pt"
    assert resume.Checkpoint("run.pt").part("8x8-fade").path.name == "run-8x8-fade.pt"


def test_restore_without_a_file_changes_nothing(tmp_path: Path) -> None:
    model = nn.Linear(2, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert resume.Checkpoint(tmp_path / "none.pt").restore({"model": model}) == 0
    assert_same(before, model.state_dict())


def test_a_failed_save_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = nn.Linear(2, 2)
    checkpoint = resume.Checkpoint(tmp_path / "run.pt")
    checkpoint.save(2, {"model": model})
    real_save = torch.save

    def dies_half_way(obj: object, file) -> None:  # noqa: ANN001
        real_save(obj, file)
        file.truncate(10)  # a half-written file, then the process "dies"
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(4, {"model": model})
    monkeypatch.setattr(torch, "save", real_save)
    assert checkpoint.restore({"model": nn.Linear(2, 2)}) == 2
    assert list(tmp_path.iterdir()) == [checkpoint.path]


def test_restore_refuses_another_runs_file(tmp_path: Path) -> None:
    checkpoint = resume.Checkpoint(tmp_path / "run.pt")
    checkpoint.save(1, {"G": nn.Linear(2, 2)})
    with pytest.raises(ValueError, match="another run"):
        checkpoint.restore({"G": nn.Linear(2, 2), "D": nn.Linear(2, 2)})
    torch.save({"state_dict": {}}, checkpoint.path)
    with pytest.raises(ValueError, match="not a resume checkpoint"):
        checkpoint.restore({"G": nn.Linear(2, 2)})
    with pytest.raises(ValueError, match="every"):
        resume.Checkpoint(tmp_path / "x.pt", every=0)


def test_batch_stream_resumes_mid_epoch() -> None:
    images = torch.randint(0, 256, (20, 1, 2, 2), dtype=torch.uint8)
    stream = training.BatchStream(data.DeviceBatches(images, 4, seed=1))  # 5 batches an epoch
    for _ in range(7):
        next(stream)
    state = stream.state_dict()
    expected = [next(stream) for _ in range(9)]  # the rest of epoch 2, all of epoch 3, more
    fresh = training.BatchStream(data.DeviceBatches(images, 4, seed=1))
    fresh.load_state_dict(state)
    assert_same(expected, [next(fresh) for _ in range(9)])


def test_a_checkpointed_run_refuses_batches_it_cannot_replay(tmp_path: Path) -> None:
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (G, D)]
    loader = torch.utils.data.DataLoader(torch.zeros(8, 2), batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match="DeviceBatches"):
        training.train_gan(G, D, *opts, loader, 2, lambda *a: {},
                           checkpoint=resume.Checkpoint(tmp_path / "c.pt"))  # fmt: skip


# --- each lesson's loop, interrupted in-process -------------------------------------------------


def lesson1_run(checkpoint: resume.Checkpoint | None, stop: int | None) -> dict[str, object]:
    torch.manual_seed(0)
    G, D = mlp_gan.Generator(z_dim=4), mlp_gan.Discriminator()  # D has dropout: global RNG
    opt_G, opt_D = (torch.optim.Adam(m.parameters(), lr=1e-3) for m in (G, D))
    images = torch.randint(0, 256, (24, 1, 28, 28), dtype=torch.uint8)
    batches = data.DeviceBatches(images, 8, seed=0)  # 3 batches an epoch
    history = training.train_gan(
        G, D, opt_G, opt_D, batches, 8, mlp_gan.train_step, log_every=3,
        on_log=interrupt_at(stop), checkpoint=checkpoint, z_dim=4,
    )  # fmt: skip
    return {"G": G.state_dict(), "D": D.state_dict(), "opt_G": opt_G.state_dict()["state"],
            "history": history.state_dict()}  # fmt: skip


def stylegan_run(checkpoint: resume.Checkpoint | None, stop: int | None) -> dict[str, object]:
    torch.manual_seed(0)
    config = stylegan.StyleGANConfig(z_dim=4, w_dim=4, channels=(4, 4), mapping_layers=1,
                                     batch_size=4, fade_iterations=(0, 0),
                                     stable_iterations=(0, 7))  # fmt: skip
    G = stylegan.StyleGenerator(4, 4, config.channels, 1)
    G_ema = stylegan.StyleGenerator(4, 4, config.channels, 1)
    G_ema.load_state_dict(G.state_dict())
    D = progan.ProDiscriminator(config.channels)
    images = torch.randint(0, 256, (12, 1, 8, 8), dtype=torch.uint8)
    history = stylegan.train_stylegan(G, D, images, config, 7, G_ema=G_ema,
                                      on_log=interrupt_at(stop), log_every=2,
                                      checkpoint=checkpoint)  # fmt: skip
    return {"G": G.state_dict(), "D": D.state_dict(), "G_ema": G_ema.state_dict(),
            "history": history.state_dict()}  # fmt: skip


def conditional_run(checkpoint: resume.Checkpoint | None, stop: int | None) -> dict[str, object]:
    """Lesson 6: labelled batches, snapshots and conditional accuracy kept by the checkpoint."""
    config = conditional.ConditionalConfig(z_dim=4, base_channels=2, feature_dim=8, batch_size=4)
    torch.manual_seed(0)
    images = torch.randint(0, 256, (24, 1, 28, 28), dtype=torch.uint8)
    run = conditional.train_run(images, torch.arange(24) % 10, config, 8, 3,
                                on_log=interrupt_at(stop), checkpoint=checkpoint)  # fmt: skip
    del run["seconds_per_step"]  # the only value that depends on the clock
    return run


@pytest.mark.parametrize(
    ("run", "stop"), [(lesson1_run, 6), (stylegan_run, 6), (conditional_run, 6)]
)
def test_an_interrupted_loop_resumes_to_the_same_weights(run, stop: int, tmp_path: Path) -> None:  # noqa: ANN001
    torch.set_num_threads(1)
    expected = run(None, None)
    checkpoint = resume.Checkpoint(tmp_path / "run.pt", every=4)
    with pytest.raises(Interrupt):
        run(checkpoint, stop)
    assert torch.load(checkpoint.path, weights_only=True)["step"] == 4
    torch.manual_seed(123)  # the restart must not depend on the state the process was left in
    assert_same(expected, run(checkpoint, None))


def test_cached_hands_out_a_checkpoint_and_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    seen: list[resume.Checkpoint] = []

    def compute(checkpoint: resume.Checkpoint) -> dict[str, object]:
        seen.append(checkpoint)
        checkpoint.save(1, {})
        checkpoint.part("a").save(1, {})
        return {"x": torch.ones(1)}

    training.cached("run", {"a": 1}, compute, resume_every=3)
    assert seen[0].every == 3 and seen[0].path.parent == tmp_path / "checkpoints"
    assert list((tmp_path / "checkpoints").iterdir()) == [], "checkpoints were left behind"


# --- a real kill ------------------------------------------------------------------------------


def run_job(*args: str, stop_at: int | None = None) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GAN_COURSE_SMOKE": "0"}
    command = [sys.executable, str(JOB), *args]
    if stop_at is None:
        subprocess.run(command, check=True, env=env, timeout=300)
        return
    with subprocess.Popen(command + ["--stop-at", str(stop_at)], stdout=subprocess.PIPE,
                          text=True, env=env) as process:  # fmt: skip
        line = process.stdout.readline()  # blocks until the run reaches stop_at (or dies)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert line.strip() == f"stopped at {stop_at}", f"the run did not reach {stop_at}: {line!r}"
    assert process.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize(("loop", "stop_at"), [("wgan", 5), ("progan", 6)])
def test_a_killed_run_resumes_bitwise(loop: str, stop_at: int, tmp_path: Path) -> None:
    """wgan: saved at generator step 4, killed at 5 of 7. progan: phases 4x4 (3), 8x8 fade (4)
    and 8x8 stable (4); saved at fade iteration 2, killed at 3 (iteration 6 overall)."""
    checkpoint = tmp_path / "run.pt"
    run_job(loop, str(tmp_path / "expected.pt"))
    run_job(loop, str(tmp_path / "never.pt"), "--checkpoint", str(checkpoint), stop_at=stop_at)
    assert not (tmp_path / "never.pt").exists()
    saved = sorted(p.name for p in tmp_path.glob("run*.pt"))
    assert saved, "the killed run left no checkpoint"
    run_job(loop, str(tmp_path / "resumed.pt"), "--checkpoint", str(checkpoint))
    expected = torch.load(tmp_path / "expected.pt", weights_only=True)
    assert_same(expected, torch.load(tmp_path / "resumed.pt", weights_only=True))
