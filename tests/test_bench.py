"""helpers.bench: a tiny-budget run of every case (so the benchmark never rots), the CLI, the
FLOP counting rule and the case registry. No timing is asserted: the benchmark measures
performance, these tests only check that it runs and reports what it says it reports."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from typing import Any

import pytest
import torch
from nbtools import ROOT
from torch import nn

from helpers import bce, bench, fast, mlp_gan, progan, stylegan, wgan
from helpers.bench.cases.common import stream_step

TINY = {"repeats": 1, "seconds": 0.0, "warmup": 1, "subset": 64, "batch_size": 8}
KEYS = {"lesson", "path", "batch_size", "images_per_s", "ratio_vs_classic", "fraction_of_peak"}


@pytest.fixture(autouse=True)
def one_thread() -> Any:
    """One intra-op thread, as in test_fast: two per worker oversubscribe ``pytest -n 2``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_tiny_run_of_every_lesson_reports_every_path() -> None:
    progress = io.StringIO()
    rows, notes = bench.run(
        options=("bf16", "channels_last", "bf16+channels_last"),
        peak_sizes=(64,),
        progress=progress,
        **TINY,
    )
    lessons = [case.lesson for case in bench.cases()]
    assert {"01-vanilla-gan", "02-bce-limits", "03-wgan", "04-progan", "05-stylegan"} <= set(
        lessons
    )
    assert sorted({r.lesson for r in rows}) == lessons
    for lesson in lessons:
        paths = [r.path for r in rows if r.lesson == lesson]
        assert paths[:3] == ["classic", "reference", "course"], paths
    assert ("01-vanilla-gan", "bf16") in {(r.lesson, r.path) for r in rows}
    assert ("03-wgan", "channels_last") in {(r.lesson, r.path) for r in rows}
    assert ("02-bce-limits", "bf16") not in {(r.lesson, r.path) for r in rows}  # not applicable
    for lesson in ("03-wgan", "04-progan", "05-stylegan"):  # both options, and both combined
        assert [r.path for r in rows if r.lesson == lesson] == [
            "classic", "reference", "course", "bf16", "channels_last", "bf16+channels_last"
        ]  # fmt: skip
    for row in rows:
        assert row.batch_size == 8 and row.step_ms > 0 and row.images_per_s > 0
        assert row.gflop_per_step > 0 and 0 < row.fraction_of_peak
        assert row.dtype == ("bf16" if row.path.startswith("bf16") else "fp32")
        if row.path == "classic":
            assert row.ratio_vs_classic == 1.0
    assert "round 1/1" in progress.getvalue() and "counting FLOPs" in progress.getvalue()
    assert notes == []
    table = bench.format_table(rows)
    assert table.count("\n") == len(rows) + 1 and "| 03-wgan | channels_last | 8 |" in table


def test_cli_writes_json_rows(tmp_path: Any) -> None:
    """``python -m helpers.bench`` itself, in a fresh process."""
    out = tmp_path / "rows.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "helpers.bench", "--tiny", "--lesson", "02-bce-limits",
         "--options", "none", "--threads", "1", "--json", str(out)],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| 02-bce-limits | course | 16 |" in done.stdout and "FLOPs per step" in done.stdout
    assert "[bench] 02-bce-limits: round 1/1" in done.stderr
    rows = json.loads(out.read_text())
    assert [row["path"] for row in rows] == ["classic", "reference", "course"]
    assert all(KEYS <= set(row) for row in rows)


def test_cli_rejects_unknown_lessons_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--lesson", "99-nothing"], ["--options", "fp8"]):
        with pytest.raises(SystemExit) as exit_info:
            bench.main([*argv, "--tiny", "--quiet"])
        assert exit_info.value.code == 2
    assert "99-nothing" in capsys.readouterr().err


# --- FLOP counting --------------------------------------------------------------------------------

MACS_G = 100 * 256 + 256 * 512 + 512 * 1024 + 1024 * 784  # Lesson 1 generator, per image
MACS_D = 784 * 1024 + 1024 * 512 + 512 * 256 + 256 * 1  # Lesson 1 discriminator, per image


def _lesson_one_step(step_fn: Any, n: int) -> Any:
    torch.manual_seed(0)
    G, D = mlp_gan.Generator(), mlp_gan.Discriminator()
    opt_G, opt_D = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    real = torch.rand(n, 1, 28, 28) * 2 - 1
    return lambda: step_fn(G, D, opt_G, opt_D, real)


def test_lesson_one_flops_are_the_work_the_maths_needs() -> None:
    n = 4
    needed = (
        2 * MACS_D  # D forward on real and fake
        + 2 * MACS_D  # D weight gradients
        + 2 * (MACS_D - 784 * 1024)  # D input gradients below its first layer
        + MACS_G  # G forward
        + 2 * MACS_D  # G update: D forward and input gradients (D frozen)
        + MACS_G  # G weight gradients
        + (MACS_G - 100 * 256)  # G input gradients below its first layer
    )
    course = bench.count_flops(_lesson_one_step(mlp_gan.FastTrainStep(), n))
    assert course == 2 * n * needed == n * 28_975_104
    # the graded step also computes D's weight gradients in G's update
    reference = bench.count_flops(_lesson_one_step(mlp_gan.train_step, n))
    assert reference == course + 2 * n * MACS_D


def test_gradient_penalty_flops_count_the_double_backward() -> None:
    torch.manual_seed(0)
    critic = wgan.ConvCritic(1, 4)
    real, fake = torch.randn(2, 1, 32, 32), torch.randn(2, 1, 32, 32)
    forward = bench.count_flops(lambda: critic(real))
    penalty = bench.count_flops(lambda: wgan.gradient_penalty(critic, real, fake))
    both = bench.count_flops(lambda: wgan.gradient_penalty(critic, real, fake).backward())
    assert penalty == pytest.approx(2 * forward, rel=0.01)  # forward + input gradients
    assert both - penalty == pytest.approx(4 * forward, rel=0.01)  # the double backward
    # with LeakyReLU's mask a constant, no zeros travel back through the forward pass
    with fast.constant_leaky_relu_masks():
        masked = bench.count_flops(lambda: wgan.gradient_penalty(critic, real, fake).backward())
    assert masked - penalty == pytest.approx(2 * forward, rel=0.01)


def _layer_macs(net: nn.Module, run: Any) -> int:
    """Multiply-adds of every equalized conv and linear layer that ``run()`` calls, from the
    shapes their forward hooks see."""
    macs = []

    def hook(layer: nn.Module, inputs: Any, out: torch.Tensor) -> None:
        fan_in = layer.weight[0].numel()  # C_in * k * k, or in_features
        macs.append(out.numel() * fan_in)  # one multiply-add per output and fan-in element

    layers = (progan.EqualizedConv2d, progan.EqualizedLinear)
    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, layers)]
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return sum(macs)


def test_flops_credit_the_equalized_layers_of_lessons_four_and_five() -> None:
    """Equalized convs and linears count as convs and matmuls; the fade-in, minibatch stddev,
    pixel norm, AdaIN, noise and upsampling as elementwise ops (0)."""
    torch.manual_seed(0)
    D, G = progan.ProDiscriminator((8, 8, 4, 4)), progan.ProGenerator(6, (8, 8, 4, 4))
    S = stylegan.StyleGenerator(4, 4, (8, 8, 4, 4), mapping_layers=2)
    z, x = torch.randn(4, 6), torch.randn(4, 1, 32, 32)
    for net, run in (
        (D, lambda: D(x, 3, 0.5)),
        (G, lambda: G(z, 3, 0.5)),
        (S, lambda: S(torch.randn(4, 4))),
    ):
        with torch.no_grad():
            assert bench.count_flops(run) == 2 * _layer_macs(net, run) > 0


def test_stylegan_generator_step_flops_skip_the_frozen_critics_weight_gradients() -> None:
    torch.manual_seed(0)
    G = stylegan.StyleGenerator(4, 4, (8, 8, 4, 4), mapping_layers=2)
    D = progan.ProDiscriminator((8, 8, 4, 4))
    config = stylegan.StyleGANConfig(mixing_prob=0.0)
    opt_G, _ = stylegan.make_optimizers(G, D, config)
    x = torch.randn(4, 1, 32, 32)
    with torch.no_grad():
        forward_D = bench.count_flops(lambda: D(x, 3, 1.0))
        forward_G = bench.count_flops(lambda: G(torch.randn(4, 4)))
    real = torch.zeros(4, 1, 32, 32)  # the generator step reads its size only
    step = bench.count_flops(lambda: stylegan.generator_step(G, D, opt_G, None, real, config))
    # G: forward, weight and input gradients, except below the mapping's first layer (z needs
    # no gradient); D (frozen): forward and input gradients only, no weight gradients
    first_layer = 2 * 4 * G.z_dim * G.w_dim  # [4, z_dim] -> [4, w_dim]
    assert step == 3 * forward_G - first_layer + 2 * forward_D


def test_progan_generator_step_flops_skip_the_frozen_critics_weight_gradients() -> None:
    torch.manual_seed(0)
    G, D = progan.ProGenerator(6, (8, 8, 4, 4)), progan.ProDiscriminator((8, 8, 4, 4))
    opt_G = torch.optim.Adam(G.parameters())
    x = torch.randn(4, 1, 32, 32)
    with torch.no_grad():
        forward_D = bench.count_flops(lambda: D(x, 3, 0.5))
        forward_G = bench.count_flops(lambda: G(torch.randn(4, 6), 3, 0.5))
    step = bench.count_flops(lambda: progan.generator_step(G, D, opt_G, None, x, 3, 0.5))
    first_layer = 2 * 4 * 6 * G.channels[0] * 16  # the dense layer from z: no input gradient
    assert step == 3 * forward_G - first_layer + 2 * forward_D


def test_matmul_peak_is_positive() -> None:
    assert bench.matmul_peak("cpu", torch.float32, sizes=(32,)) > 0


# --- registry and options -------------------------------------------------------------------------


def _toy_case(ctx: bench.BenchContext) -> list[bench.BenchPath]:
    def make(scale: int) -> Any:
        a = torch.randn(8 * scale, 8)
        return lambda: a @ a.T

    return [
        bench.BenchPath("classic", 4, lambda: make(2)),
        bench.BenchPath("course", 8, lambda: make(1)),
    ]


def test_registered_case_runs_and_is_compared_with_its_classic_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(bench.REGISTERED, "99-toy", bench.BenchCase("99-toy", "toy", _toy_case))
    rows, _ = bench.run(["99-toy"], options=(), peak_sizes=(16,), progress=None, **TINY)
    classic, course = rows
    assert (classic.path, course.path) == ("classic", "course")
    assert course.ratio_vs_classic == pytest.approx(course.images_per_s / classic.images_per_s)
    assert course.gflop_per_step == 2 * 8 * 8 * 8 / 1e9  # counted on the course path itself


def test_a_registered_case_is_run_and_needs_a_classic_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench.runner, "REGISTERED", dict(bench.REGISTERED))

    def course_only(ctx: bench.BenchContext) -> list[bench.BenchPath]:
        return [bench.BenchPath("course", 4, lambda: lambda: None)]

    no_classic = bench.case("98-no-classic", "no classic path")(course_only)
    assert no_classic == bench.BenchCase("98-no-classic", "no classic path", course_only)
    assert bench.register(no_classic) is no_classic
    assert no_classic in bench.cases() and bench.cases()[-1] is no_classic
    with pytest.raises(ValueError, match="classic"):
        bench.run(["98-no-classic"], options=(), progress=None, **TINY)
    with pytest.raises(ValueError, match="no benchmark case"):
        bench.run(["97-missing"], progress=None)


def test_option_variants_resolve_amp_and_note_what_cannot_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = bench.BenchContext("cpu", options=("amp", "bf16", "channels_last", "compile"))
    monkeypatch.setattr(fast, "_cpu_supports_bf16", lambda: True)
    names = [name for name, _ in ctx.option_variants(bench.OPTIONS)]
    assert names == ["bf16", "channels_last", "compile"]  # amp resolved to bf16, listed once
    assert [name for name, _ in ctx.option_variants(("compile",))] == ["compile"]
    monkeypatch.setattr(fast, "_cpu_supports_bf16", lambda: False)
    ctx = bench.BenchContext("cpu", options=("amp",))
    assert ctx.option_variants(("amp",)) == [] and "amp" in ctx.skipped[0]
    with pytest.raises(ValueError, match="unknown options"):
        bench.BenchContext("cpu", options=("fp8",))
    with pytest.raises(ValueError, match="unknown options"):
        bench.BenchContext("cpu", options=("bf16+fp8",))


def test_option_rows_combine_options_joined_with_plus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "_cpu_supports_bf16", lambda: True)
    ctx = bench.BenchContext("cpu", options=("amp+channels_last", "bf16+channels_last", "bf16"))
    variants = ctx.option_variants(("amp", "bf16", "channels_last"))
    assert variants == [
        ("bf16+channels_last", fast.FastOptions(precision="bf16", channels_last=True)),
        ("bf16", fast.FastOptions(precision="bf16")),
    ]  # amp resolved to bf16: the second combination is the same row, listed once
    assert ctx.option_variants(("bf16",)) == [("bf16", fast.FastOptions(precision="bf16"))]
    monkeypatch.setattr(fast, "_cpu_supports_bf16", lambda: False)
    ctx = bench.BenchContext("cpu", options=("amp+channels_last",))
    assert ctx.option_variants(("amp", "channels_last")) == []
    assert "amp+channels_last" in ctx.skipped[0]


def test_compile_fallback_is_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "_compile_unavailable", lambda: "no compiler here")
    G, D = bce.PointGenerator(4, 8), bce.PointDiscriminator(8)
    step_fn = mlp_gan.FastTrainStep(fast.FastOptions(compile=True))
    opt_G, opt_D = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    step = stream_step(step_fn, G, D, opt_G, opt_D, [torch.randn(4, 2)], z_dim=4)
    assert step.note() is None
    step()
    assert step.note() == "no compiler here"


def test_torchvision_copy_of_the_digits_matches_the_device_data() -> None:
    ctx = bench.BenchContext("cpu", options=(), subset=10)
    try:
        images, labels = ctx.mnist()
        dataset = ctx.torchvision_mnist(transform=None)
        assert len(dataset) == 10 and torch.equal(dataset.data, images[:, 0])
        assert torch.equal(dataset.targets, labels)
    finally:
        ctx.close()


def test_classic_path_uses_sigmoid_and_bce_loss() -> None:
    from helpers.bench.cases.common import classic_gan_step

    torch.manual_seed(0)
    G, D = bce.PointGenerator(4, 8), nn.Sequential(bce.PointDiscriminator(8), nn.Sigmoid())
    opt_G, opt_D = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    loader = [(torch.randn(6, 2), torch.zeros(6))]
    d_loss, g_loss = classic_gan_step(G, D, opt_G, opt_D, loader, 4, torch.device("cpu"))()
    assert isinstance(d_loss, float) and isinstance(g_loss, float)
    assert 0 < d_loss < 10 and 0 < g_loss < 10


# --- classic paths of Lessons 4 and 5: the same maths as the course's steps --------------------


def test_progan_classic_iteration_computes_train_iteration() -> None:
    from helpers.bench.cases.progan import FADE_ALPHA, STAGE, classic_iteration

    config = progan.ProGANConfig(z_dim=6, channels=(8, 8, 4, 4))
    real = torch.rand(4, 1, 32, 32) * 2 - 1
    runs = []
    for classic in (True, False):
        torch.manual_seed(0)
        G, D, G_ema = progan.make_networks(config)
        G_ema.load_state_dict({k: v + 0.1 for k, v in G.state_dict().items()})  # EMA visible
        opt_G = torch.optim.Adam(G.parameters(), lr=config.lr, betas=(0.0, 0.99))
        opt_D = torch.optim.Adam(D.parameters(), lr=config.lr, betas=(0.0, 0.99))
        torch.manual_seed(1)
        if classic:
            loader = [(real, torch.zeros(4))]
            args = (G, D, G_ema, opt_G, opt_D, loader, config, torch.device("cpu"))
            losses = classic_iteration(*args)()
        else:
            args = (G, D, opt_G, opt_D, real, STAGE, FADE_ALPHA, config, G_ema)
            logs = progan.train_iteration(*args)
            losses = tuple(float(logs[k]) for k in ("d_loss", "g_loss", "gp"))
        params = [p.detach() for net in (G, D, G_ema) for p in net.parameters()]
        runs.append((losses, params))
    (classic_losses, classic_params), (course_losses, course_params) = runs
    assert classic_losses == pytest.approx(course_losses, rel=1e-5)
    assert len(classic_params) == len(course_params)
    for a, b in zip(classic_params, course_params):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mixing_prob", [0.0, 1.0])
def test_stylegan_classic_generator_step_computes_generator_step(mixing_prob: float) -> None:
    from helpers.bench.cases.stylegan import classic_generator_step

    config = stylegan.StyleGANConfig(mixing_prob=mixing_prob)
    runs = []
    for classic in (True, False):
        torch.manual_seed(0)
        G = stylegan.StyleGenerator(4, 4, (8, 8, 4, 4), mapping_layers=2)
        D = progan.ProDiscriminator((8, 8, 4, 4))
        opt_G, _ = stylegan.make_optimizers(G, D, config)
        torch.manual_seed(1)
        if classic:
            step = classic_generator_step(G, D, opt_G, 4, config, torch.device("cpu"))
            losses = [step() for _ in range(2)]
        else:
            real = torch.zeros(4, 1, 32, 32)  # the generator step reads its size only
            losses = [float(stylegan.generator_step(G, D, opt_G, None, real, config)["g_loss"])
                      for _ in range(2)]  # fmt: skip
        runs.append((losses, [p.detach() for p in G.parameters()]))
    (classic_losses, classic_params), (course_losses, course_params) = runs
    assert classic_losses == pytest.approx(course_losses, rel=1e-5)
    for a, b in zip(classic_params, course_params, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
