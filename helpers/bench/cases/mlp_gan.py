"""Lesson 1's benchmark: the MLP GAN's training step against the seed notebook's pipeline.

Paths: ``classic`` (torchvision MNIST, per-image ``ToTensor()`` and ``Normalize()``,
``DataLoader(batch_size=64, shuffle=True)``, a sigmoid + ``BCELoss`` discriminator, plain
Adam, ``.item()`` every step), ``reference`` (the graded :func:`helpers.mlp_gan.train_step` on
:class:`helpers.data.DeviceBatches`), ``course`` (:class:`helpers.mlp_gan.FastTrainStep`
with fused Adam) at 64 and at the recommended batch size, then the options at that size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ... import mlp_gan
from ...data import DeviceBatches
from ...fast import FastOptions
from ..paths import BenchContext, BenchPath, case
from .common import adam, classic_gan_step, classic_loader, option_paths, stream_step

CONFIG = mlp_gan.VanillaGANConfig()
CLASSIC_BATCH = 64  # the seed notebook's batch size
RECOMMENDED_BATCH = 256  # per-image throughput flattens out beyond it on CPUs and GPUs


def _nets(ctx: BenchContext) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(ctx.seed)  # every path starts from the same weights
    return mlp_gan.Generator(CONFIG.z_dim).to(ctx.device), mlp_gan.Discriminator().to(ctx.device)


def _adam(net: nn.Module, fast: bool) -> torch.optim.Optimizer:
    return adam(net, fast, lr=CONFIG.lr, betas=CONFIG.betas)


@case(
    "01-vanilla-gan",
    "MLP GAN on MNIST: one D update and one G update (D 784-1024-512-256-1 with dropout 0.3)",
)
def vanilla_gan(ctx: BenchContext) -> list[BenchPath]:
    """Lesson 1's paths (see the module docstring)."""

    def classic() -> Callable[[], Any]:
        from torchvision import transforms

        dataset = ctx.torchvision_mnist(
            transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
        )
        G, D = _nets(ctx)
        D = nn.Sequential(D, nn.Sigmoid())
        loader = classic_loader(dataset, ctx.batch(CLASSIC_BATCH))
        return classic_gan_step(
            G, D, _adam(G, False), _adam(D[0], False), loader, CONFIG.z_dim, ctx.device
        )

    def on_device(batch_size: int, options: FastOptions | None) -> Callable[[], Any]:
        G, D = _nets(ctx)
        batches = DeviceBatches(ctx.mnist()[0], batch_size, device=ctx.device, seed=ctx.seed)
        fast = options is not None
        step_fn = mlp_gan.FastTrainStep(options) if fast else mlp_gan.train_step
        return stream_step(
            step_fn, G, D, _adam(G, fast), _adam(D, fast), batches, z_dim=CONFIG.z_dim
        )

    small, big = ctx.batch(CLASSIC_BATCH), ctx.batch(RECOMMENDED_BATCH)
    paths = [
        BenchPath("classic", small, classic),
        BenchPath("reference", small, lambda: on_device(small, None)),
        BenchPath("course", small, lambda: on_device(small, FastOptions())),
    ]
    if big != small:
        paths.append(BenchPath("course", big, lambda: on_device(big, FastOptions())))
    return paths + option_paths(
        ctx, ("amp", "bf16", "fp16", "compile"), big, lambda options: on_device(big, options)
    )
