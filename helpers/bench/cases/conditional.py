"""Lesson 6's benchmark: one step of the class-conditional GAN with the projection discriminator.

Paths at the lesson's batch size, with :class:`helpers.conditional.ConditionalConfig`'s
networks: ``classic`` (torchvision MNIST with per-image ``ToTensor()`` and ``Normalize()``, a
``DataLoader`` yielding ``(images, labels)``, the discriminator ending in a sigmoid with
``nn.BCELoss``, D's weight gradients computed and thrown away in G's update, plain Adam,
``.item()`` every step), ``reference`` (the graded :func:`helpers.conditional.train_step` on
:class:`helpers.data.DeviceBatches` with labels) and ``course``
(:class:`helpers.conditional.FastConditionalStep`, fused Adam), then the options.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ... import conditional
from ...data import DeviceBatches
from ...fast import FastOptions
from ...training import batch_stream
from ..paths import BenchContext, BenchPath, case
from .common import adam, classic_loader, option_paths, stream_step

CONFIG = conditional.ConditionalConfig()


def _nets(ctx: BenchContext) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(ctx.seed)  # every path starts from the same weights
    return conditional.make_networks(CONFIG, "projection", ctx.device)


def _classic_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    loader: Any,
    device: torch.device,
) -> Callable[[], tuple[float, float]]:
    """The conditional step as classic cGAN notebooks write it: a sigmoid and ``nn.BCELoss``,
    target tensors of ones and zeros, D not frozen in G's update, ``.item()`` every step."""
    criterion = nn.BCELoss()
    stream = batch_stream(loader)

    def step() -> tuple[float, float]:
        images, labels = next(stream)
        images, labels = images.to(device), labels.to(device)
        n = images.size(0)
        ones, zeros = torch.ones(n, 1, device=device), torch.zeros(n, 1, device=device)
        z = torch.randn(n, CONFIG.z_dim, device=device)
        fake_labels = torch.randint(0, CONFIG.num_classes, (n,), device=device)
        fake = G(z, fake_labels)
        opt_D.zero_grad()
        d_loss = criterion(torch.sigmoid(D(images, labels)), ones) + criterion(
            torch.sigmoid(D(fake.detach(), fake_labels)), zeros
        )
        d_loss.backward()
        opt_D.step()
        opt_G.zero_grad()
        g_loss = criterion(torch.sigmoid(D(fake, fake_labels)), ones)
        g_loss.backward()
        opt_G.step()
        return d_loss.item(), g_loss.item()

    return step


@case(
    "06-conditional",
    "conditional GAN on labelled MNIST: one D and one G update (projection discriminator)",
)
def conditional_gan(ctx: BenchContext) -> list[BenchPath]:
    """Lesson 6's paths (see the module docstring)."""
    batch_size = ctx.batch(CONFIG.batch_size)
    settings = {"lr": CONFIG.lr, "betas": CONFIG.betas}

    def classic() -> Callable[[], Any]:
        from torchvision import transforms

        dataset = ctx.torchvision_mnist(
            transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
        )
        G, D = _nets(ctx)
        loader = classic_loader(dataset, batch_size)
        return _classic_step(
            G, D, adam(G, False, **settings), adam(D, False, **settings), loader, ctx.device
        )

    def on_device(options: FastOptions | None) -> Callable[[], Any]:
        G, D = _nets(ctx)
        images, labels = ctx.mnist()
        batches = DeviceBatches(images, batch_size, device=ctx.device, seed=ctx.seed, labels=labels)
        fast = options is not None
        step_fn = conditional.FastConditionalStep(options) if fast else conditional.train_step
        return stream_step(
            step_fn, G, D, adam(G, fast, **settings), adam(D, fast, **settings), batches,
            z_dim=CONFIG.z_dim, num_classes=CONFIG.num_classes,
        )  # fmt: skip

    return [
        BenchPath("classic", batch_size, classic),
        BenchPath("reference", batch_size, lambda: on_device(None)),
        BenchPath("course", batch_size, lambda: on_device(FastOptions())),
    ] + option_paths(
        ctx, ("amp", "bf16", "fp16", "channels_last", "compile"), batch_size, on_device
    )
