"""Lesson 2's benchmark: the 2-D GAN on a ring of Gaussians (tiny networks, overhead-bound).

Paths: ``classic`` (``DataLoader(TensorDataset(points), batch_size=256, shuffle=True)``, a
sigmoid + ``BCELoss`` discriminator, plain Adam, ``.item()`` every step), ``reference`` (the
:func:`helpers.mlp_gan.train_step` that :func:`helpers.bce.train_on_points` runs, on
:class:`helpers.data.DeviceBatches`) and ``course`` (:class:`helpers.mlp_gan.FastTrainStep`,
fused Adam), all at the lesson's batch size, then ``compile``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ... import bce, mlp_gan
from ...data import DeviceBatches, ring_of_gaussians
from ...fast import FastOptions
from ..paths import BenchContext, BenchPath, case
from .common import adam, classic_gan_step, classic_loader, option_paths, stream_step

CONFIG = bce.BCELimitsConfig()


def _nets(ctx: BenchContext) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(ctx.seed)
    G = bce.PointGenerator(CONFIG.z_dim, CONFIG.hidden).to(ctx.device)
    return G, bce.PointDiscriminator(CONFIG.hidden).to(ctx.device)


def _adam(net: nn.Module, fast: bool) -> torch.optim.Optimizer:
    return adam(net, fast, lr=CONFIG.lr, betas=CONFIG.betas)


@case("02-bce-limits", "2-D GAN on a ring of 8 Gaussians: one D update and one G update")
def bce_limits(ctx: BenchContext) -> list[BenchPath]:
    """Lesson 2's paths (see the module docstring)."""
    points = ctx.limit(ring_of_gaussians(CONFIG.dataset_size, seed=ctx.seed)[0])  # [n, 2]
    batch_size = ctx.batch(CONFIG.batch_size)

    def classic() -> Callable[[], Any]:
        G, D = _nets(ctx)
        loader = classic_loader(torch.utils.data.TensorDataset(points), batch_size)
        D_prob = nn.Sequential(D, nn.Sigmoid())
        return classic_gan_step(
            G, D_prob, _adam(G, False), _adam(D, False), loader, CONFIG.z_dim, ctx.device
        )

    def on_device(options: FastOptions | None) -> Callable[[], Any]:
        G, D = _nets(ctx)
        batches = DeviceBatches(points, batch_size, device=ctx.device, seed=ctx.seed)
        fast = options is not None
        step_fn = mlp_gan.FastTrainStep(options) if fast else mlp_gan.train_step
        return stream_step(
            step_fn, G, D, _adam(G, fast), _adam(D, fast), batches, z_dim=CONFIG.z_dim
        )

    return [
        BenchPath("classic", batch_size, classic),
        BenchPath("reference", batch_size, lambda: on_device(None)),
        BenchPath("course", batch_size, lambda: on_device(FastOptions())),
    ] + option_paths(ctx, ("compile",), batch_size, on_device)
