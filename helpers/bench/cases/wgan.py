"""Lesson 3's benchmark: the WGAN-GP critic step, whose gradient penalty needs a double backward.

Paths at the lesson's batch size, with :meth:`helpers.wgan.WGANConfig.for_device`'s networks
(narrower on a CPU): ``classic`` (torchvision MNIST with ``Pad(2)``, ``ToTensor()`` and
``Normalize()`` through a ``DataLoader``, the penalty written out with
``torch.autograd.grad(..., create_graph=True)``, plain Adam, ``.item()`` every step),
``reference`` (the graded :func:`helpers.wgan.critic_step` on padded
:class:`helpers.data.DeviceBatches`) and ``course`` (:class:`helpers.wgan.FastCriticStep`,
fused Adam), then the options.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ... import wgan
from ...data import DeviceBatches, pad_to
from ...fast import FastOptions
from ...training import batch_stream
from ..paths import BenchContext, BenchPath, case
from .common import adam, classic_loader, option_paths, stream_step


def _nets(ctx: BenchContext, config: wgan.WGANConfig) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(ctx.seed)
    G = wgan.ConvGenerator(config.z_dim, 1, config.base_channels).to(ctx.device)
    return G, wgan.ConvCritic(1, config.base_channels).to(ctx.device)


def _classic_critic_step(
    G: nn.Module,
    critic: nn.Module,
    opt_C: torch.optim.Optimizer,
    loader: Any,
    config: wgan.WGANConfig,
    device: torch.device,
) -> Callable[[], tuple[float, float]]:
    """The critic step as the classic WGAN-GP notebooks write it."""
    stream = batch_stream(loader)

    def step() -> tuple[float, float]:
        real = next(stream)[0].to(device)
        n = real.size(0)
        fake = G(torch.randn(n, config.z_dim, device=device)).detach()
        wasserstein_loss = critic(fake).mean() - critic(real).mean()
        alpha = torch.rand(n, 1, 1, 1, device=device)
        x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        scores = critic(x_hat)
        (grad,) = torch.autograd.grad(
            scores, x_hat, grad_outputs=torch.ones_like(scores), create_graph=True
        )
        gp = ((grad.view(n, -1).norm(2, dim=1) - 1) ** 2).mean()
        loss = wasserstein_loss + config.gp_weight * gp
        opt_C.zero_grad()
        loss.backward()
        opt_C.step()
        return loss.item(), gp.item()

    return step


@case("03-wgan", "WGAN-GP critic step: DCGAN critic at 32 x 32, gradient penalty (double backward)")
def wgan_gp(ctx: BenchContext) -> list[BenchPath]:
    """Lesson 3's paths (see the module docstring)."""
    config = wgan.WGANConfig.for_device(ctx.device)
    batch_size = ctx.batch(config.batch_size)
    settings = {"lr": config.gp_lr, "betas": config.gp_betas}

    def classic() -> Callable[[], Any]:
        from torchvision import transforms

        dataset = ctx.torchvision_mnist(
            transforms.Compose(
                [transforms.Pad(2), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
            )
        )
        G, critic = _nets(ctx, config)
        opt_C = adam(critic, False, **settings)
        loader = classic_loader(dataset, batch_size)
        return _classic_critic_step(G, critic, opt_C, loader, config, ctx.device)

    def on_device(options: FastOptions | None) -> Callable[[], Any]:
        G, critic = _nets(ctx, config)
        images = pad_to(ctx.mnist()[0], 32)  # [N, 1, 32, 32]
        batches = DeviceBatches(images, batch_size, device=ctx.device, seed=ctx.seed)
        fast = options is not None
        if fast:
            step_fn = wgan.FastCriticStep("gp", gp_weight=config.gp_weight, options=options)
        else:
            step_fn = functools.partial(wgan.critic_step, mode="gp", gp_weight=config.gp_weight)
        opt_G, opt_C = adam(G, fast, **settings), adam(critic, fast, **settings)
        return stream_step(step_fn, G, critic, opt_G, opt_C, batches, z_dim=config.z_dim)

    return [
        BenchPath("classic", batch_size, classic),
        BenchPath("reference", batch_size, lambda: on_device(None)),
        BenchPath("course", batch_size, lambda: on_device(FastOptions())),
    ] + option_paths(
        ctx, ("amp", "bf16", "fp16", "channels_last", "compile"), batch_size, on_device
    )
