"""One step convention for every lesson (helpers.training.StepFn): the same first five
arguments, D second and its optimizer fourth, and one vocabulary of logged values."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
import torch

from helpers import mlp_gan, progan, stylegan, training, wgan

KEYS = {"d_loss", "g_loss", "wasserstein", "gp"}  # what the lessons' steps log
CRITIC = {"d_loss", "wasserstein", "gp"}  # what a critic update logs


def _vanilla() -> tuple[Any, ...]:
    torch.manual_seed(0)
    G, D = mlp_gan.Generator(z_dim=4), mlp_gan.Discriminator()
    return G, D, torch.rand(4, 1, 28, 28) * 2 - 1, {"z_dim": 4}


def _wgan() -> tuple[Any, ...]:
    torch.manual_seed(0)
    G, critic = wgan.ConvGenerator(z_dim=4, base_channels=4), wgan.ConvCritic(base_channels=4)
    return G, critic, torch.rand(4, 1, 32, 32) * 2 - 1, {"z_dim": 4}


PROGAN = progan.ProGANConfig(z_dim=4, channels=(4, 4), batch_sizes=(4, 4),
                             fade_iterations=(0, 1), stable_iterations=(1, 1))  # fmt: skip


def _progan() -> tuple[Any, ...]:
    torch.manual_seed(0)
    G, D, _ = progan.make_networks(PROGAN)
    return G, D, torch.rand(4, 1, 8, 8) * 2 - 1, {"stage": 1, "fade_alpha": 0.5}


def _progan_iteration() -> tuple[Any, ...]:
    G, D, real, kwargs = _progan()
    return G, D, real, {**kwargs, "config": PROGAN}


def _stylegan() -> tuple[Any, ...]:
    torch.manual_seed(0)
    G, D = stylegan.StyleGenerator(4, 4, (4, 4), 1), progan.ProDiscriminator((4, 4))
    return G, D, torch.rand(4, 1, 8, 8) * 2 - 1, {"config": stylegan.StyleGANConfig()}


STEPS: dict[str, tuple[Callable[..., Any], Callable[[], tuple[Any, ...]], set[str]]] = {
    "mlp_gan.train_step": (mlp_gan.train_step, _vanilla, {"d_loss", "g_loss"}),
    "mlp_gan.FastTrainStep": (mlp_gan.FastTrainStep(), _vanilla, {"d_loss", "g_loss"}),
    "wgan.critic_step": (wgan.critic_step, _wgan, CRITIC),
    "wgan.FastCriticStep": (wgan.FastCriticStep(), _wgan, CRITIC),
    "wgan.generator_step": (wgan.generator_step, _wgan, {"g_loss"}),
    "wgan.FastGeneratorStep": (wgan.FastGeneratorStep(), _wgan, {"g_loss"}),
    "progan.critic_step": (progan.critic_step, _progan, CRITIC),
    "progan.generator_step": (progan.generator_step, _progan, {"g_loss"}),
    "progan.train_iteration": (progan.train_iteration, _progan_iteration, KEYS),
    "progan.FastTrainIteration": (progan.FastTrainIteration(), _progan_iteration, KEYS),
    "stylegan.critic_step": (stylegan.critic_step, _stylegan, CRITIC),
    "stylegan.FastCriticStep": (stylegan.FastCriticStep(), _stylegan, CRITIC),
    "stylegan.generator_step": (stylegan.generator_step, _stylegan, {"g_loss"}),
    "stylegan.FastGeneratorStep": (stylegan.FastGeneratorStep(), _stylegan, {"g_loss"}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_step_takes_G_D_and_their_optimizers_in_one_order(name: str) -> None:
    step = STEPS[name][0]
    first = list(inspect.signature(step).parameters)[:5]
    assert first[0] == "G" and first[1] in ("D", "critic"), first
    assert first[2] == "opt_G" and first[3] in ("opt_D", "opt_C") and first[4] == "real", first


@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_step_logs_d_loss_g_loss_and_named_diagnostics(name: str) -> None:
    step, make, expected = STEPS[name]
    G, D, real, kwargs = make()
    opt_G, opt_D = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    logs = step(G, D, opt_G, opt_D, real, **kwargs)
    assert set(logs) == expected
    assert all(value is None or torch.isfinite(torch.as_tensor(value)) for value in logs.values())


def test_train_gan_runs_a_lesson_step_as_a_stepfn() -> None:
    G, D, real, kwargs = _progan()
    opt_G, opt_D = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    history = training.train_gan(G, D, opt_G, opt_D, [real], 2, progan.critic_step, log_every=1,
                                 generator_step=progan.generator_step, **kwargs)  # fmt: skip
    assert set(history.logs) == KEYS and history.steps == [1, 2]
