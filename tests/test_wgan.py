"""Unit tests for helpers.wgan: interpolation and the WGAN-GP gradient penalty."""

from __future__ import annotations

import functools
import math

import pytest
import torch
from torch import nn

from helpers import training, wgan


class LinearCritic(nn.Module):
    """C(x) = <w, x> + b: its input gradient is w for every sample."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.clone())
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.reshape(x.shape[0], -1) * self.weight.reshape(1, -1)).sum(1) + self.bias  # [N]


def test_interpolate_endpoints_and_midpoint() -> None:
    real, fake = torch.ones(3, 1, 2, 2), torch.zeros(3, 1, 2, 2)
    alpha = torch.tensor([0.0, 0.5, 1.0]).reshape(3, 1, 1, 1)
    mixed = wgan.interpolate(real, fake, alpha)
    assert torch.equal(mixed[:, 0, 0, 0], torch.tensor([0.0, 0.5, 1.0]))


def test_interpolate_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        wgan.interpolate(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2, 1))


@pytest.mark.parametrize("shape", [(5, 4), (5, 1, 3, 3)])
def test_penalty_of_a_unit_norm_linear_critic_is_zero(shape: tuple[int, ...]) -> None:
    features = int(torch.tensor(shape[1:]).prod())
    weight = torch.randn(features)
    critic = LinearCritic(weight / weight.norm())
    gp = wgan.gradient_penalty(critic, torch.randn(shape), torch.randn(shape))
    assert gp.item() == pytest.approx(0.0, abs=1e-10)


def test_penalty_of_a_constant_critic_is_one() -> None:
    critic = LinearCritic(torch.zeros(4))
    gp = wgan.gradient_penalty(critic, torch.randn(6, 4), torch.randn(6, 4))
    assert gp.item() == pytest.approx(1.0)


def test_penalty_closed_form_for_a_scaled_linear_critic() -> None:
    critic = LinearCritic(torch.tensor([3.0, 4.0]))  # gradient norm 5 everywhere
    gp = wgan.gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2))
    assert gp.item() == pytest.approx(16.0)


def test_penalty_backpropagates_into_the_critic_with_the_right_gradient() -> None:
    # (||w|| - 1)^2 has gradient 2 (||w|| - 1) w / ||w||
    critic = LinearCritic(torch.tensor([3.0, 4.0]))
    wgan.gradient_penalty(critic, torch.randn(8, 2), torch.randn(8, 2)).backward()
    assert torch.allclose(critic.weight.grad, torch.tensor([4.8, 6.4]))


def test_penalty_leaves_real_and_fake_alone() -> None:
    real = torch.randn(4, 3, requires_grad=True)
    fake_source = torch.randn(4, 3, requires_grad=True)
    fake = fake_source * 2
    real_before, fake_before = real.detach().clone(), fake.detach().clone()
    critic = nn.Linear(3, 1)
    wgan.gradient_penalty(critic, real, fake).backward()
    assert real.grad is None and fake_source.grad is None
    assert torch.equal(real, real_before) and torch.equal(fake, fake_before)


def test_penalty_uses_the_given_alpha() -> None:
    critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    real, fake = torch.randn(5, 3), torch.randn(5, 3)
    alpha = torch.rand(5, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_()
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    expected = ((grad.norm(dim=1) - 1) ** 2).mean()
    assert torch.allclose(wgan.gradient_penalty(critic, real, fake, alpha), expected)


def test_penalty_draws_alpha_per_sample_when_not_given() -> None:
    critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    real, fake = torch.randn(5, 3), torch.randn(5, 3)
    torch.manual_seed(4)
    drawn = wgan.gradient_penalty(critic, real, fake)
    torch.manual_seed(4)
    alpha = torch.rand(5, 1)
    assert torch.allclose(drawn, wgan.gradient_penalty(critic, real, fake, alpha))


def test_penalty_accepts_a_lambda_and_flat_scores() -> None:
    critic = nn.Linear(4, 1)
    gp = wgan.gradient_penalty(lambda x: critic(x).squeeze(1), torch.randn(3, 4), torch.randn(3, 4))
    assert gp.dim() == 0 and torch.isfinite(gp)


def test_penalty_runs_on_the_meta_device() -> None:
    critic = nn.Linear(4, 1).to("meta")
    gp = wgan.gradient_penalty(
        critic, torch.randn(3, 4, device="meta"), torch.randn(3, 4, device="meta")
    )
    assert gp.device.type == "meta" and gp.dim() == 0


def test_penalty_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        wgan.gradient_penalty(nn.Linear(3, 1), torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"scores \[N\] or \[N, 1\]"):
        wgan.gradient_penalty(nn.Linear(3, 2), torch.zeros(2, 3), torch.zeros(2, 3))


# --- losses and clipping ----------------------------------------------------------------------


def test_critic_and_generator_losses_golden_values() -> None:
    real, fake = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.5], [-0.5], [2.0]])
    assert wgan.critic_loss(real, fake).item() == pytest.approx(2.0 / 3 - 2.0)
    assert wgan.generator_loss(fake).item() == pytest.approx(-2.0 / 3)
    assert wgan.critic_loss(real.flatten(), fake.flatten()) == wgan.critic_loss(real, fake)


@pytest.mark.parametrize("bad", [[1.0], torch.zeros(2, dtype=torch.long)])
def test_losses_reject_non_float_tensors(bad: object) -> None:
    with pytest.raises(ValueError, match="floating-point tensor"):
        wgan.generator_loss(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="floating-point tensor"):
        wgan.critic_loss(bad, torch.zeros(2))  # type: ignore[arg-type]


def test_clip_weights_clamps_every_parameter_in_place() -> None:
    layer = nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.linspace(-1, 1, 12).reshape(3, 4))
        layer.bias.copy_(torch.tensor([0.5, -0.005, -0.2]))
    weight, bias = layer.weight, layer.bias
    inside = layer.weight.detach().abs() <= 0.1
    before = layer.weight.detach().clone()
    wgan.clip_weights_(layer, c=0.1)
    assert layer.weight is weight and layer.bias is bias  # the same tensors, changed in place
    assert layer.weight.abs().max().item() == pytest.approx(0.1)
    assert torch.equal(layer.weight[inside], before[inside])  # in-range values are untouched
    assert layer.bias.tolist() == pytest.approx([0.1, -0.005, -0.1])
    assert layer.weight.grad_fn is None and layer.weight.requires_grad


@pytest.mark.parametrize("c", [0, -0.01, "0.01", True])
def test_clip_weights_rejects_bad_values(c: object) -> None:
    with pytest.raises(ValueError, match="c must be a positive number"):
        wgan.clip_weights_(nn.Linear(2, 2), c)  # type: ignore[arg-type]


# --- gradient norms ---------------------------------------------------------------------------


def test_gradient_norms_per_sample_of_a_linear_critic() -> None:
    critic = LinearCritic(torch.tensor([3.0, 4.0]))
    norms = wgan.gradient_norms(critic, torch.randn(6, 2), torch.randn(6, 2))
    assert torch.allclose(norms, torch.full((6,), 5.0)) and not norms.requires_grad


def test_gradient_norms_work_under_no_grad() -> None:
    critic = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with torch.no_grad():
        norms = wgan.gradient_norms(critic, torch.randn(5, 3), torch.randn(5, 3))
    assert list(norms.shape) == [5] and (norms > 0).all()


# --- networks ---------------------------------------------------------------------------------


def test_conv_generator_shapes_range_and_batch_norm() -> None:
    G = wgan.ConvGenerator(z_dim=8, base_channels=4)
    images = G(torch.randn(5, 8))
    assert list(images.shape) == [5, 1, 32, 32] and images.abs().max() < 1
    assert any(isinstance(m, nn.BatchNorm2d) for m in G.modules())
    with pytest.raises(ValueError, match=r"\[N, 8\]"):
        G(torch.randn(5, 7))


def test_conv_critic_shapes_no_batch_norm_and_errors() -> None:
    C = wgan.ConvCritic(base_channels=4)
    scores = C(torch.randn(3, 1, 32, 32))
    assert list(scores.shape) == [3, 1]
    assert not any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in C.modules())
    # one image's score does not depend on the others in the batch
    x = torch.randn(4, 1, 32, 32)
    assert torch.allclose(C(x)[:1], C(x[:1]), atol=1e-6)
    with pytest.raises(ValueError, match=r"\[N, 1, 32, 32\]"):
        C(torch.randn(3, 1, 28, 28))


def test_spectral_norm_parametrises_every_layer() -> None:
    C = wgan.ConvCritic(base_channels=4, spectral_norm=True)
    layers = [m for m in C.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 4
    assert all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in layers)
    C(torch.randn(2, 1, 32, 32))  # one power iteration in train mode
    for m in layers:
        sigma = torch.linalg.matrix_norm(m.weight.reshape(m.weight.shape[0], -1), ord=2)
        assert sigma.item() < 1.5  # close to 1 after normalisation


def test_networks_run_on_the_meta_device() -> None:
    G, C = (
        wgan.ConvGenerator(base_channels=4).to("meta"),
        wgan.ConvCritic(base_channels=4).to("meta"),
    )
    scores = C(G(torch.randn(2, 100, device="meta")))
    assert scores.device.type == "meta" and list(scores.shape) == [2, 1]


# --- critic and generator steps ---------------------------------------------------------------


def _pair(base: int = 4) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    return wgan.ConvGenerator(z_dim=8, base_channels=base), wgan.ConvCritic(base_channels=base)


def test_critic_step_clip_mode() -> None:
    G, C = _pair()
    opt_G = torch.optim.RMSprop(G.parameters(), lr=0.1)
    opt_C = torch.optim.RMSprop(C.parameters(), lr=0.1)
    G_before = [p.detach().clone() for p in G.parameters()]
    C_before = [p.detach().clone() for p in C.parameters()]
    real = torch.rand(6, 1, 32, 32)
    logs = wgan.critic_step(G, C, opt_G, opt_C, real, z_dim=8, mode="clip", c=0.02)
    assert set(logs) == {"d_loss", "wasserstein", "gp"}
    assert logs["gp"] is None and type(logs["d_loss"]) is float
    assert logs["d_loss"] == pytest.approx(-logs["wasserstein"])
    assert all(p.abs().max() <= 0.02 + 1e-7 for p in C.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(C_before, C.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(G_before, G.parameters()))
    assert all(p.grad is None for p in G.parameters())


def test_critic_step_gp_mode_returns_the_total_it_minimised() -> None:
    G, C = _pair()
    real = torch.rand(6, 1, 32, 32) * 2 - 1
    opt_C = torch.optim.SGD(C.parameters(), lr=0.0)  # no update: the scores can be recomputed
    torch.manual_seed(5)
    logs = wgan.critic_step(G, C, None, opt_C, real, z_dim=8, mode="gp", gp_weight=7.0)
    torch.manual_seed(5)
    with torch.no_grad():
        fake = G(torch.randn(6, 8))
    gp = wgan.gradient_penalty(C, real, fake).item()
    wasserstein = (C(real).mean() - C(fake).mean()).item()
    assert logs["gp"] == pytest.approx(gp, rel=1e-5)
    assert logs["wasserstein"] == pytest.approx(wasserstein, rel=1e-5)
    assert logs["d_loss"] == pytest.approx(-wasserstein + 7.0 * gp, rel=1e-5)
    assert all(p.grad is None for p in G.parameters())


def test_critic_step_rejects_unknown_modes() -> None:
    G, C = _pair()
    with pytest.raises(ValueError, match="mode"):
        wgan.critic_step(
            G, C, None, torch.optim.SGD(C.parameters()), torch.rand(2, 1, 32, 32), 8, mode="hinge"
        )


def test_critic_step_keeps_modes() -> None:
    G, C = _pair()
    G.eval()
    opt_C = torch.optim.SGD(C.parameters(), lr=0.1)
    wgan.critic_step(G, C, None, opt_C, torch.rand(4, 1, 32, 32), 8)
    assert not G.training and C.training


def test_generator_step_updates_only_G_and_restores_the_critic() -> None:
    G, C = _pair()
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1)
    opt_C = torch.optim.SGD(C.parameters(), lr=0.1)
    C_before = [p.detach().clone() for p in C.parameters()]
    G_before = [p.detach().clone() for p in G.parameters()]
    logs = wgan.generator_step(G, C, opt_G, opt_C, torch.rand(5, 1, 32, 32), z_dim=8)
    assert set(logs) == {"g_loss"} and not logs["g_loss"].requires_grad
    assert all(torch.equal(a, b) for a, b in zip(C_before, C.parameters()))
    assert all(p.requires_grad and p.grad is None for p in C.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(G_before, G.parameters()))


def test_make_optimizers_follow_the_papers() -> None:
    G, C = _pair()
    config = wgan.WGANConfig()
    opt_G, opt_C = wgan.make_optimizers(G, C, "clip", config)
    assert isinstance(opt_C, torch.optim.RMSprop) and opt_C.defaults["lr"] == 5e-5
    opt_G, opt_C = wgan.make_optimizers(G, C, "gp", config)
    assert isinstance(opt_G, torch.optim.Adam) and opt_G.defaults["betas"] == (0.0, 0.9)
    with pytest.raises(ValueError, match="mode"):
        wgan.make_optimizers(G, C, "sgd", config)


def test_critic_weights_are_all_weights_without_biases() -> None:
    C = wgan.ConvCritic(base_channels=4)
    weights = wgan.critic_weights(C)
    expected = sum(p.numel() for n, p in C.named_parameters() if n.endswith("weight"))
    assert weights.dim() == 1 and weights.numel() == expected


def test_wgan_gp_trains_end_to_end_with_train_gan() -> None:
    """The critic step is a StepFn: train_gan calls it directly, settings as keywords."""
    G, C = _pair()
    config = wgan.WGANConfig(base_channels=4)
    opt_G, opt_C = wgan.make_optimizers(G, C, "gp", config)
    batches = [torch.rand(8, 1, 32, 32) * 2 - 1 for _ in range(7)]
    critic_step = functools.partial(wgan.critic_step, mode="gp", gp_weight=config.gp_weight)
    history = training.train_gan(
        G, C, opt_G, opt_C, batches, num_steps=4, step_fn=critic_step,
        log_every=2, n_critic=5, generator_step=wgan.generator_step, z_dim=8,
    )  # fmt: skip
    assert history.steps == [2, 4]
    assert set(history.logs) == {"d_loss", "wasserstein", "gp", "g_loss"}
    assert all(math.isfinite(v) for values in history.logs.values() for v in values)


@pytest.mark.parametrize("mode", ["clip", "gp", "spectral"])
def test_train_run_reports_everything_the_lesson_plots(mode: str) -> None:
    images = torch.randint(0, 256, (40, 1, 32, 32), dtype=torch.uint8)
    config = wgan.WGANConfig(z_dim=8, base_channels=4, batch_size=8, n_critic=2)
    run = wgan.train_run(mode, images, config, num_steps=3, log_every=2, c=0.05)
    assert run["steps"] == [2, 3] and run["mode"] == mode
    assert list(run["snapshots"].shape) == [2, 8, 1, 32, 32]
    assert list(run["samples"].shape) == [64, 1, 32, 32]
    assert list(run["grad_norms"].shape) == [8] and run["seconds_per_step"] > 0
    assert ("gp" in run["logs"]) == (mode == "gp")
    if mode == "clip":
        assert run["c"] == 0.05 and run["weights"].abs().max() <= 0.05 + 1e-7
    again = wgan.train_run(mode, images, config, num_steps=3, log_every=2, c=0.05)
    assert torch.equal(again["samples"], run["samples"])  # seeded


def test_train_run_uses_the_given_critic_step() -> None:
    calls: list[str] = []

    def spy(G, critic, opt_G, opt_C, real, z_dim, mode="gp", c=0.01, gp_weight=10.0):  # noqa: ANN001, ANN202
        calls.append(mode)
        return wgan.critic_step(G, critic, opt_G, opt_C, real, z_dim, mode=mode, c=c,
                                gp_weight=gp_weight)  # fmt: skip

    images = torch.randint(0, 256, (16, 1, 32, 32), dtype=torch.uint8)
    config = wgan.WGANConfig(z_dim=8, base_channels=4, batch_size=8, n_critic=2)
    wgan.train_run("gp", images, config, num_steps=2, log_every=2, critic_step_fn=spy)
    assert calls == ["gp"] * 4


def test_config_is_scaled_down_off_the_gpu() -> None:
    full, cpu = wgan.WGANConfig.for_device("cuda"), wgan.WGANConfig.for_device("cpu")
    assert full == wgan.WGANConfig()
    assert cpu.base_channels < full.base_channels and cpu.num_steps < full.num_steps
    assert (cpu.clip_lr, cpu.c, cpu.gp_lr, cpu.gp_weight, cpu.n_critic) == (
        5e-5,
        0.01,
        1e-4,
        10.0,
        5,
    )
