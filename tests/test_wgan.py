"""Unit tests for helpers.wgan: interpolation and the WGAN-GP gradient penalty."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers import wgan


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
