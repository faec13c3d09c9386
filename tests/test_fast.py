"""The fast training paths compute what the graded references compute.

Each option is compared with the default fast path for a fixed seed; the tolerances:

* ``FastTrainStep(concat_real_fake=False)`` vs ``mlp_gan.train_step``, ``FastCriticStep``
  vs ``wgan.critic_step``, ``progan.FastTrainIteration`` vs ``progan.train_iteration`` and
  StyleGAN's fast steps vs its references, same optimizer: identical losses and parameters
  (``torch.equal``);
* the joint D pass over real and fake vs two passes (dropout 0, so no random masks): losses
  and parameters within 1e-6 (only the matrix multiplies' summation order changes);
* fused and foreach Adam vs the for-loop Adam: losses within 1e-6 over 3 steps;
* channels-last: losses within 1e-5 (and ProGAN's parameters; StyleGAN's are not compared:
  a bias right before AdaIN has a gradient that is 0 up to rounding, which Adam scales to
  lr-sized steps);
* ``torch.compile`` with the ``aot_eager`` backend: within 1e-6; with inductor (slow test,
  ``fallback_random`` so dropout draws match eager): within 1e-5;
* bf16 autocast: within 5e-3 absolute plus 5e-3 relative over 3 steps (bf16 keeps 8
  significant bits; measured differences are below 4e-4 for Lessons 1 and 3, below 6.1e-3
  on ProGAN losses of about 7);
* StyleGAN's steps in bf16: within 2e-2 absolute plus 2e-2 relative over 3 iterations: the
  synthesis network's AdaIN statistics and noise then run in bfloat16, so the fakes differ
  by about 1% (measured: 0.9% of the largest output) and the losses by up to 1.1%;
* fp16 autocast with a gradient scaler: the first step's losses within 5e-3 absolute plus
  5e-3 relative (the scaler may skip a later step whose scaled gradients overflow, which is
  its job, so later losses legitimately differ).

Options that need a GPU run only where CUDA exists and are skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from helpers import bce, fast, mlp_gan, progan, stylegan, training, wgan
from helpers.fast import FastOptions

CUDA = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="needs a CUDA GPU (fp16 with a gradient scaler, bf16 and fused Adam on CUDA)",
)
EXACT = {"rtol": 0.0, "atol": 0.0}
ROUNDING = {"rtol": 1e-6, "atol": 1e-6}
LAYOUT = {"rtol": 1e-5, "atol": 1e-5}
INDUCTOR = {"rtol": 1e-5, "atol": 1e-5}
HALF = {"rtol": 5e-3, "atol": 5e-3}
STYLE_HALF = {"rtol": 2e-2, "atol": 2e-2}


@pytest.fixture(autouse=True)
def one_thread() -> Any:
    """One intra-op thread: with ``pytest -n 2`` on two cores, two OpenMP threads per worker
    oversubscribe the machine and slow these small steps down many times over."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _adam(net: nn.Module, implementation: str = "for-loop", lr: float = 2e-4) -> Any:
    flags = {"for-loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}
    return torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999), **flags[implementation])


def _vanilla_run(
    step_fn: Callable[..., dict[str, Any]],
    steps: int = 3,
    n: int = 16,
    dropout: float = 0.3,
    optimizer: str = "for-loop",
    points: bool = False,
    device: str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Losses [steps, 2] and every parameter after ``steps`` steps, from fixed seeds."""
    torch.manual_seed(0)
    if points:
        G, D, z_dim = bce.PointGenerator(8, 32), bce.PointDiscriminator(32), 8
        shape: tuple[int, ...] = (n, 2)
    else:
        G, D, z_dim = mlp_gan.Generator(), mlp_gan.Discriminator(dropout=dropout), 100
        shape = (n, 1, 28, 28)
    G, D = G.to(device), D.to(device)
    opt_G, opt_D = _adam(G, optimizer), _adam(D, optimizer)
    data = torch.Generator().manual_seed(1)
    batches = [(2 * torch.rand(shape, generator=data) - 1).to(device) for _ in range(steps)]
    torch.manual_seed(2)
    logs = [step_fn(G, D, opt_G, opt_D, real, z_dim=z_dim) for real in batches]
    losses = torch.tensor([[float(log["d_loss"]), float(log["g_loss"])] for log in logs])
    params = torch.cat([p.detach().flatten().cpu() for p in [*G.parameters(), *D.parameters()]])
    return losses, params


def _critic_run(
    step_fn: Callable[..., dict[str, Any]], steps: int = 3, mode: str = "gp", device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Critic losses [steps, 2 or 3] and the critic's parameters after ``steps`` steps."""
    torch.manual_seed(0)
    G, critic = wgan.ConvGenerator(16, 1, 8).to(device), wgan.ConvCritic(1, 8).to(device)
    opt_G, opt_C = _adam(G, lr=1e-4), _adam(critic, lr=1e-4)
    data = torch.Generator().manual_seed(1)
    batches = [(2 * torch.rand(8, 1, 32, 32, generator=data) - 1).to(device) for _ in range(steps)]
    torch.manual_seed(2)
    logs = [step_fn(G, critic, opt_G, opt_C, real, z_dim=16) for real in batches]
    keys = ["d_loss", "wasserstein"] + (["gp"] if mode == "gp" else [])
    losses = torch.tensor([[float(log[key]) for key in keys] for log in logs])
    return losses, torch.cat([p.detach().flatten().cpu() for p in critic.parameters()])


def _close(actual: torch.Tensor, expected: torch.Tensor, tolerance: dict[str, float]) -> None:
    torch.testing.assert_close(actual, expected, **tolerance)


# --- Lesson 1: FastTrainStep --------------------------------------------------------------------


def test_fast_step_without_joint_pass_is_the_reference_step_exactly() -> None:
    expected = _vanilla_run(mlp_gan.train_step)
    actual = _vanilla_run(mlp_gan.FastTrainStep(concat_real_fake=False))
    _close(actual[0], expected[0], EXACT)
    _close(actual[1], expected[1], EXACT)


def test_joint_real_fake_pass_computes_the_two_passes() -> None:
    expected = _vanilla_run(mlp_gan.train_step, dropout=0.0)
    actual = _vanilla_run(mlp_gan.FastTrainStep(), dropout=0.0)
    _close(actual[0], expected[0], ROUNDING)
    _close(actual[1], expected[1], ROUNDING)


def test_joint_pass_keeps_dropout_statistics() -> None:
    """With dropout the joint pass draws other masks: the first losses stay close, not equal."""
    expected, _ = _vanilla_run(mlp_gan.train_step, steps=1)
    actual, _ = _vanilla_run(mlp_gan.FastTrainStep(), steps=1)
    assert not torch.equal(actual, expected)
    _close(actual, expected, {"rtol": 0.0, "atol": 0.05})


def test_fast_step_returns_detached_tensors_and_trains_with_train_gan() -> None:
    torch.manual_seed(0)
    G, D = bce.PointGenerator(4, 16), bce.PointDiscriminator(16)
    opt_G, opt_D = _adam(G), _adam(D)
    logs = mlp_gan.FastTrainStep()(G, D, opt_G, opt_D, torch.randn(8, 2), z_dim=4)
    assert set(logs) == {"d_loss", "g_loss"}
    assert all(isinstance(v, torch.Tensor) and not v.requires_grad for v in logs.values())
    history = training.train_gan(G, D, opt_G, opt_D, [torch.randn(8, 2)] * 3, 6,
                                 mlp_gan.FastTrainStep(), log_every=3, z_dim=4)  # fmt: skip
    assert history.steps == [3, 6] and all(type(v) is float for v in history.logs["g_loss"])


def test_fast_step_takes_lesson_two_losses() -> None:
    losses = {"d_loss_fn": bce.lsgan_d_loss, "g_loss_fn": bce.lsgan_g_loss}

    def reference(*args: Any, **kwargs: Any) -> dict[str, float]:
        return mlp_gan.train_step(*args, **kwargs, **losses)

    def fast_step(*args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        return mlp_gan.FastTrainStep()(*args, **kwargs, **losses)

    expected, actual = _vanilla_run(reference, points=True), _vanilla_run(fast_step, points=True)
    _close(actual[0], expected[0], ROUNDING)
    _close(actual[1], expected[1], ROUNDING)


def test_discriminator_is_frozen_only_during_the_generator_update() -> None:
    torch.manual_seed(0)
    G, D = bce.PointGenerator(4, 16), bce.PointDiscriminator(16)
    seen: list[bool] = []
    D.register_forward_pre_hook(lambda m, args: seen.append(m.net[0].weight.requires_grad))
    mlp_gan.FastTrainStep()(G, D, _adam(G), _adam(D), torch.randn(8, 2), z_dim=4)
    assert seen == [True, False]  # joint D pass with gradients, then D frozen for G's update
    assert all(p.requires_grad for p in D.parameters())


def test_joint_pass_refuses_batch_norm() -> None:
    D = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    G = bce.PointGenerator(4, 16)
    with pytest.raises(ValueError, match="BatchNorm1d.*concat_real_fake=False"):
        mlp_gan.FastTrainStep()(G, D, _adam(G), _adam(D), torch.randn(8, 2), z_dim=4)
    logs = mlp_gan.FastTrainStep(concat_real_fake=False)(
        G, D, _adam(G), _adam(D), torch.randn(8, 2), z_dim=4
    )
    assert torch.isfinite(logs["d_loss"])


def test_fast_step_rejects_bad_batch() -> None:
    G, D = bce.PointGenerator(4, 16), bce.PointDiscriminator(16)
    with pytest.raises(ValueError, match="real must be a tensor"):
        mlp_gan.FastTrainStep()(G, D, _adam(G), _adam(D), torch.randn(8), z_dim=4)


# --- optimizers and freezing ----------------------------------------------------------------------


@pytest.mark.parametrize("implementation", ["foreach", "fused"])
def test_fast_adam_implementations_match_the_for_loop(implementation: str) -> None:
    expected, _ = _vanilla_run(mlp_gan.FastTrainStep(), dropout=0.0)
    actual, _ = _vanilla_run(mlp_gan.FastTrainStep(), dropout=0.0, optimizer=implementation)
    _close(actual, expected, ROUNDING)


def test_fast_optimizer_prefers_fused_then_foreach_then_the_loop() -> None:
    net = nn.Linear(3, 2)
    adam = fast.fast_optimizer(torch.optim.Adam, net.parameters(), lr=1e-3)
    assert adam.implementation == "fused" and adam.defaults["fused"]  # CPU has fused Adam
    assert adam.defaults["lr"] == 1e-3
    sgd = fast.fast_optimizer(torch.optim.SGD, net.parameters(), lr=0.1)
    assert sgd.implementation in ("fused", "foreach")
    lbfgs = fast.fast_optimizer(torch.optim.LBFGS, net.parameters())  # neither flag exists
    assert lbfgs.implementation == "for-loop"


def test_constant_leaky_relu_masks_keep_values_and_gradients_and_cut_the_double_backward() -> None:
    x = torch.randn(64, 8, requires_grad=True)
    expected = torch.nn.functional.leaky_relu(x, 0.2)
    (expected_grad,) = torch.autograd.grad(expected.sum(), x, create_graph=True)
    assert expected_grad.requires_grad  # autograd keeps a (zero) second derivative
    with fast.constant_leaky_relu_masks():
        for y in (torch.nn.functional.leaky_relu(x, 0.2), nn.LeakyReLU(0.2)(x)):
            (grad,) = torch.autograd.grad(y.sum(), x, create_graph=True)
            assert torch.equal(y, expected) and torch.equal(grad, expected_grad)
            assert not grad.requires_grad  # no graph back into x: nothing to push zeros through
        assert torch.equal(torch.tanh(x), x.tanh())  # other functions pass through
    assert torch.autograd.grad(nn.LeakyReLU(0.2)(x).sum(), x, create_graph=True)[0].requires_grad


def test_constant_leaky_relu_masks_leave_the_penalty_gradients_bitwise() -> None:
    torch.manual_seed(0)
    critic = wgan.ConvCritic(1, 4)
    real, fake = torch.randn(3, 1, 32, 32), torch.randn(3, 1, 32, 32)
    grads = []
    for constant in (False, True):
        torch.manual_seed(1)
        with fast.constant_leaky_relu_masks() if constant else contextlib.nullcontext():
            penalty = wgan.gradient_penalty(critic, real, fake)
        critic.zero_grad(set_to_none=True)
        penalty.backward()
        # the head's bias gets no gradient at all (None) instead of zeros pushed back
        grads.append([penalty.detach()] + [torch.zeros_like(p) if p.grad is None else p.grad
                                           for p in critic.parameters()])  # fmt: skip
    assert all(torch.equal(a, b) for a, b in zip(*grads, strict=True))


def test_frozen_restores_flags_also_after_an_error() -> None:
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    net[1].bias.requires_grad_(False)  # already frozen: stays frozen
    with pytest.raises(RuntimeError, match="boom"), fast.frozen(net):
        assert not any(p.requires_grad for p in net.parameters())
        raise RuntimeError("boom")
    assert [p.requires_grad for p in net.parameters()] == [True, True, True, False]


# --- options --------------------------------------------------------------------------------------


def test_options_validate() -> None:
    with pytest.raises(ValueError, match="precision"):
        FastOptions(precision="fp8")
    with pytest.raises(ValueError, match="compile"):
        FastOptions(compile="")
    with pytest.raises(ValueError, match="precision"):
        fast.autocast_dtype("half", "cpu")


def test_autocast_dtype_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fast.autocast_dtype("fp32", "cpu") is None
    assert fast.autocast_dtype("bf16", "cpu") is torch.bfloat16
    assert fast.autocast_dtype("fp16", "cuda") is torch.float16
    monkeypatch.setattr(fast, "_cpu_supports_bf16", lambda: False)
    assert fast.autocast_dtype("auto", "cpu") is None
    monkeypatch.setattr(fast, "_cpu_supports_bf16", lambda: True)
    assert fast.autocast_dtype("auto", "cpu") is torch.bfloat16
    assert fast.autocast_dtype("auto", "mps") is None
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)  # e.g. a T4
    assert fast.autocast_dtype("auto", "cuda") is torch.float16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # Ampere on
    assert fast.autocast_dtype("auto", "cuda") is torch.bfloat16


def test_bf16_keeps_the_losses_within_tolerance() -> None:
    expected, _ = _vanilla_run(mlp_gan.FastTrainStep())
    actual, _ = _vanilla_run(mlp_gan.FastTrainStep(FastOptions(precision="bf16")))
    _close(actual, expected, HALF)
    expected, _ = _critic_run(wgan.FastCriticStep())
    actual, _ = _critic_run(wgan.FastCriticStep(options=FastOptions(precision="bf16")))
    _close(actual, expected, HALF)


def test_fp16_with_grad_scaler_keeps_the_first_losses_within_tolerance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scalers: list[Any] = []
    make_scaler = fast._grad_scaler
    monkeypatch.setattr(
        fast, "_grad_scaler", lambda device: scalers.append(1) or make_scaler(device)
    )
    expected, _ = _vanilla_run(mlp_gan.FastTrainStep(), steps=1)
    actual, _ = _vanilla_run(mlp_gan.FastTrainStep(FastOptions(precision="fp16")), steps=1)
    _close(actual, expected, HALF)
    assert len(scalers) == 2  # one gradient scaler per optimizer
    critic_step = wgan.FastCriticStep(options=FastOptions(precision="fp16"))
    expected, _ = _critic_run(wgan.FastCriticStep(), steps=1)
    actual, _ = _critic_run(critic_step, steps=1)
    _close(actual, expected, HALF)
    losses, params = _critic_run(wgan.FastCriticStep(options=FastOptions(precision="fp16")))
    assert torch.isfinite(losses).all() and torch.isfinite(params).all()


def test_channels_last_keeps_the_critic_losses() -> None:
    expected = _critic_run(wgan.FastCriticStep())
    actual = _critic_run(wgan.FastCriticStep(options=FastOptions(channels_last=True)))
    _close(actual[0], expected[0], LAYOUT)
    _close(actual[1], expected[1], LAYOUT)


def test_channels_last_converts_the_networks_once() -> None:
    step = fast.FastStep(FastOptions(channels_last=True))
    critic = wgan.ConvCritic(1, 4)
    assert step.net(critic) is critic and step.net(critic) is critic
    assert critic.body[0].weight.is_contiguous(memory_format=torch.channels_last)
    x = step.inputs(torch.randn(2, 3, 4, 4))
    assert x.is_contiguous(memory_format=torch.channels_last)
    assert step.inputs(torch.randn(2, 3)).is_contiguous()


# --- torch.compile --------------------------------------------------------------------------------


def test_compile_with_aot_eager_keeps_the_losses() -> None:
    expected = _vanilla_run(mlp_gan.FastTrainStep(), points=True)
    step = mlp_gan.FastTrainStep(FastOptions(compile="aot_eager"))
    actual = _vanilla_run(step, points=True)
    assert step.compile_fallback is None
    _close(actual[0], expected[0], ROUNDING)
    _close(actual[1], expected[1], ROUNDING)


@pytest.mark.slow
def test_compile_with_inductor_keeps_the_losses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inductor draws dropout masks with its own generator; fallback_random uses eager's."""
    import torch._inductor.config

    monkeypatch.setattr(torch._inductor.config, "fallback_random", True)
    expected = _vanilla_run(mlp_gan.FastTrainStep(), points=True)
    step = mlp_gan.FastTrainStep(FastOptions(compile=True))
    actual = _vanilla_run(step, points=True)
    if step.compile_fallback:
        pytest.skip(f"torch.compile is unavailable here: {step.compile_fallback}")
    _close(actual[0], expected[0], INDUCTOR)
    _close(actual[1], expected[1], INDUCTOR)


def test_compile_falls_back_to_eager_when_compiling_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("inductor failed") from OSError("no C++ compiler")

    monkeypatch.setattr(torch, "compile", lambda module, backend: broken)
    net = nn.Linear(3, 2)
    compiled = fast.compile_module(net)
    x = torch.randn(4, 3)
    with pytest.warns(RuntimeWarning, match="running eagerly.*no C\\+\\+ compiler"):
        out = compiled(x)
    assert torch.equal(out, net(x)) and "no C++ compiler" in compiled.fallback
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, then quietly eager
        assert torch.equal(compiled(x), net(x))


def test_compile_does_not_blame_the_compiler_for_the_module_s_own_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torch, "compile", lambda module, backend: module)  # compiles "fine"
    compiled = fast.compile_module(mlp_gan.Generator(z_dim=4))
    with pytest.raises(ValueError, match="expects z of shape"):
        compiled(torch.randn(2, 5))
    assert compiled.fallback is None


def test_compile_unavailable_runs_eagerly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "_compile_unavailable", lambda: "torch 1.13 has no torch.compile")
    step = mlp_gan.FastTrainStep(FastOptions(compile=True))
    expected = _vanilla_run(mlp_gan.FastTrainStep(), points=True)
    actual = _vanilla_run(step, points=True)
    assert step.compile_fallback == "torch 1.13 has no torch.compile"
    _close(actual[0], expected[0], EXACT)


# --- Lesson 3: FastCriticStep and FastGeneratorStep -----------------------------------------------


@pytest.mark.parametrize("mode", ["gp", "clip"])
def test_fast_critic_step_is_the_reference_step_exactly(mode: str) -> None:
    expected = _critic_run(functools.partial(wgan.critic_step, mode=mode), mode=mode)
    actual = _critic_run(wgan.FastCriticStep(mode), mode=mode)
    _close(actual[0], expected[0], EXACT)
    _close(actual[1], expected[1], EXACT)


def test_fast_critic_step_returns_detached_tensors_and_checks_mode() -> None:
    torch.manual_seed(0)
    G, critic = wgan.ConvGenerator(16, 1, 4), wgan.ConvCritic(1, 4)
    logs = wgan.FastCriticStep()(G, critic, _adam(G), _adam(critic), torch.randn(4, 1, 32, 32), 16)
    assert all(isinstance(v, torch.Tensor) and not v.requires_grad for v in logs.values())
    assert wgan.FastCriticStep("clip")(G, critic, _adam(G), _adam(critic),
                                       torch.randn(4, 1, 32, 32), 16)["gp"] is None  # fmt: skip
    with pytest.raises(ValueError, match="mode"):
        wgan.FastCriticStep("spectral")


@pytest.mark.parametrize("options", [FastOptions(), FastOptions(channels_last=True)])
def test_fast_generator_step_matches_the_reference(options: FastOptions) -> None:
    results = []
    for step_fn in (wgan.generator_step, wgan.FastGeneratorStep(options)):
        torch.manual_seed(0)
        G, critic = wgan.ConvGenerator(16, 1, 4), wgan.ConvCritic(1, 4)
        opt_G = _adam(G)
        torch.manual_seed(1)
        logs = step_fn(G, critic, opt_G, None, torch.zeros(4, 1, 32, 32), z_dim=16)
        assert all(p.requires_grad and p.grad is None for p in critic.parameters())
        results.append((logs["g_loss"], torch.cat([p.detach().flatten() for p in G.parameters()])))
    _close(results[1][0], results[0][0], LAYOUT)
    _close(results[1][1], results[0][1], LAYOUT)


# --- Lesson 4: FastTrainIteration ----------------------------------------------------------------


def _progan_run(
    step_fn: Callable[..., dict[str, Any]], steps: int = 3, fused: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Losses [steps, 4] and the parameters of G, D and G_ema after ``steps`` iterations at
    16 x 16 half way through its fade-in."""
    torch.manual_seed(0)
    schedule = {
        "batch_sizes": (8, 8, 8),
        "fade_iterations": (0, 1, 1),
        "stable_iterations": (1,) * 3,
    }
    config = progan.ProGANConfig(z_dim=16, channels=(16, 16, 8), **schedule)
    G, D, G_ema = progan.make_networks(config)
    flags = {"fused": True} if fused else {"foreach": False}
    opt_G, opt_D = (torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.0, 0.99), **flags)
                    for net in (G, D))  # fmt: skip
    data = torch.Generator().manual_seed(1)
    batches = [2 * torch.rand(8, 1, 16, 16, generator=data) - 1 for _ in range(steps)]
    torch.manual_seed(2)
    logs = [step_fn(G, D, opt_G, opt_D, real, 2, 0.5, config, G_ema) for real in batches]
    keys = ("d_loss", "wasserstein", "gp", "g_loss")
    losses = torch.tensor([[float(log[key]) for key in keys] for log in logs])
    return losses, torch.cat(
        [p.detach().flatten() for net in (G, D, G_ema) for p in net.parameters()]
    )


def test_fast_progan_iteration_is_the_reference_iteration_exactly() -> None:
    expected = _progan_run(progan.train_iteration)
    actual = _progan_run(progan.FastTrainIteration())
    _close(actual[0], expected[0], EXACT)
    _close(actual[1], expected[1], EXACT)


def test_fast_progan_iteration_options_keep_the_losses() -> None:
    expected = _progan_run(progan.FastTrainIteration())
    fused = _progan_run(progan.FastTrainIteration(), fused=True)
    _close(fused[0], expected[0], ROUNDING)
    layout = _progan_run(progan.FastTrainIteration(FastOptions(channels_last=True)))
    _close(layout[0], expected[0], LAYOUT)
    _close(layout[1], expected[1], LAYOUT)
    half, _ = _progan_run(progan.FastTrainIteration(FastOptions(precision="bf16")))
    _close(half, expected[0], HALF)
    both, _ = _progan_run(
        progan.FastTrainIteration(FastOptions(precision="bf16", channels_last=True))
    )
    _close(both, expected[0], HALF)


def test_fast_progan_iteration_freezes_the_critic_for_the_generator_and_refuses_compile() -> None:
    torch.manual_seed(0)
    schedule = {"batch_sizes": (4, 4), "fade_iterations": (0, 1), "stable_iterations": (1, 1)}
    config = progan.ProGANConfig(z_dim=4, channels=(4, 4), **schedule)
    G, D, _ = progan.make_networks(config)
    seen: list[bool] = []
    D.register_forward_pre_hook(lambda m, args: seen.append(m.head.score.weight.requires_grad))
    logs = progan.FastTrainIteration()(G, D, _adam(G), _adam(D), torch.randn(4, 1, 8, 8), 1, 0.5,
                                       config)  # fmt: skip
    assert seen == [True, True, True, False]  # real, fake, penalty; then frozen for G's update
    assert all(p.requires_grad for p in D.parameters())
    assert all(isinstance(v, torch.Tensor) and not v.requires_grad for v in logs.values())
    with pytest.raises(ValueError, match="does not compile: the fade-in weight"):
        progan.FastTrainIteration(FastOptions(compile="aot_eager"))


# --- Lesson 5: StyleGAN's FastCriticStep and FastGeneratorStep ---------------------------------


def _stylegan_run(
    critic_step: Callable[..., dict[str, Any]],
    generator_step: Callable[..., dict[str, Any]],
    steps: int = 3,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Losses [steps, 4] and the parameters of G and D after ``steps`` iterations (critic step,
    then generator step) at 16 x 16, style mixing on."""
    torch.manual_seed(0)
    config = stylegan.StyleGANConfig(z_dim=16, w_dim=16, channels=(16, 16, 8), mapping_layers=2)
    G = stylegan.StyleGenerator(config.z_dim, config.w_dim, config.channels, config.mapping_layers)
    D = progan.ProDiscriminator(config.channels)
    opt_G, opt_D = stylegan.make_optimizers(G, D, config)
    data = torch.Generator().manual_seed(1)
    batches = [2 * torch.rand(8, 1, 16, 16, generator=data) - 1 for _ in range(steps)]
    torch.manual_seed(2)
    losses = []
    for real in batches:
        logs = dict(critic_step(G, D, opt_G, opt_D, real, config))
        logs |= generator_step(G, D, opt_G, opt_D, real, config)
        losses.append([float(logs[key]) for key in ("d_loss", "gp", "wasserstein", "g_loss")])
    params = torch.cat([p.detach().flatten() for net in (G, D) for p in net.parameters()])
    return torch.tensor(losses), params


def test_fast_stylegan_steps_are_the_reference_steps_exactly() -> None:
    expected = _stylegan_run(stylegan.critic_step, stylegan.generator_step)
    actual = _stylegan_run(stylegan.FastCriticStep(), stylegan.FastGeneratorStep())
    _close(actual[0], expected[0], EXACT)
    _close(actual[1], expected[1], EXACT)


@pytest.mark.parametrize(
    ("options", "tolerance"),
    [
        (FastOptions(channels_last=True), LAYOUT),
        (FastOptions(precision="bf16"), STYLE_HALF),
        (FastOptions(precision="bf16", channels_last=True), STYLE_HALF),
    ],
)
def test_fast_stylegan_options_keep_the_losses(
    options: FastOptions, tolerance: dict[str, float]
) -> None:
    expected, _ = _stylegan_run(stylegan.FastCriticStep(), stylegan.FastGeneratorStep())
    actual, params = _stylegan_run(
        stylegan.FastCriticStep(options), stylegan.FastGeneratorStep(options)
    )
    _close(actual, expected, tolerance)
    assert torch.isfinite(params).all()


def test_fast_stylegan_generator_step_freezes_the_critic_and_refuses_compile() -> None:
    torch.manual_seed(0)
    config = stylegan.StyleGANConfig()
    G, D = stylegan.StyleGenerator(4, 4, (4, 4), 1), progan.ProDiscriminator((4, 4))
    opt_G, opt_D = stylegan.make_optimizers(G, D, config, fast=True)
    seen: list[bool] = []
    D.register_forward_pre_hook(lambda m, args: seen.append(m.head.score.weight.requires_grad))
    logs = stylegan.FastGeneratorStep()(G, D, opt_G, opt_D, torch.zeros(4, 1, 8, 8), config)
    assert seen == [False] and all(p.requires_grad and p.grad is None for p in D.parameters())
    assert set(logs) == {"g_loss"} and not logs["g_loss"].requires_grad
    for step in (stylegan.FastCriticStep, stylegan.FastGeneratorStep):
        with pytest.raises(ValueError, match="does not compile: each step's style-mixing"):
            step(FastOptions(compile=True))


# --- on a GPU -------------------------------------------------------------------------------------


@CUDA
def test_cuda_precision_auto_keeps_the_losses() -> None:
    expected, _ = _vanilla_run(mlp_gan.FastTrainStep(), steps=1, device="cuda")
    actual, _ = _vanilla_run(
        mlp_gan.FastTrainStep(FastOptions(precision="auto")), steps=1, device="cuda"
    )
    _close(actual, expected, HALF)


@CUDA
def test_cuda_fp16_with_scaler_and_channels_last_critic() -> None:
    expected, _ = _critic_run(wgan.FastCriticStep(), steps=1, device="cuda")
    for options in (FastOptions(precision="fp16"), FastOptions(channels_last=True)):
        actual, _ = _critic_run(wgan.FastCriticStep(options=options), steps=1, device="cuda")
        _close(actual, expected, HALF if options.precision == "fp16" else LAYOUT)


@CUDA
def test_cuda_fused_adam_is_chosen() -> None:
    net = nn.Linear(3, 2).cuda()
    assert fast.fast_optimizer(torch.optim.Adam, net.parameters()).implementation == "fused"
