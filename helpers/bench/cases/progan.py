"""Lesson 4's benchmark: one ProGAN training iteration at 32 x 32 while 32 x 32 fades in.

One iteration is what :func:`helpers.progan.train_progressive` runs at stage 3 (32 x 32) with
fade-in weight ``FADE_ALPHA``: reals pooled and faded like the fakes, a WGAN-GP + drift critic
step (double backward), a generator step, and the moving average of G. Networks and batch size
come from :meth:`helpers.progan.ProGANConfig.for_device` (batch 32 on a CPU). Paths:
``classic`` (torchvision MNIST with ``Pad(2)``, ``ToTensor()`` and ``Normalize()`` through a
``DataLoader``, the fade of the reals, the penalty and the moving average written out, plain
Adam, ``.item()`` every step, the critic's weight gradients computed in the generator's
update and thrown away), ``reference`` (:func:`helpers.progan.train_iteration` on padded
:class:`helpers.data.DeviceBatches` with the plain Adam that ``train_progressive`` builds) and
``course`` (:class:`helpers.progan.FastTrainIteration` with
:func:`helpers.fast.fast_optimizer`'s fused Adam), then the options (no ``compile``: the
fade-in weight changes every iteration).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ... import progan
from ...data import DeviceBatches, pad_to
from ...fast import FastOptions
from ...training import batch_stream
from ..paths import BenchContext, BenchPath, case
from .common import adam, classic_loader, option_paths, stream_step

STAGE = 3  # 32 x 32
FADE_ALPHA = 0.5  # half way through the fade-in of 32 x 32: both paths of G and D run


def _nets(
    ctx: BenchContext, config: progan.ProGANConfig
) -> tuple[progan.ProGenerator, progan.ProDiscriminator, progan.ProGenerator]:
    torch.manual_seed(ctx.seed)  # every path starts from the same weights
    return progan.make_networks(config, ctx.device)


def _adam(net: nn.Module, fast: bool, config: progan.ProGANConfig) -> torch.optim.Optimizer:
    beta1, beta2 = config.betas
    return adam(net, fast, lr=config.lr, betas=(float(beta1), float(beta2)))


def classic_iteration(
    G: nn.Module,
    D: nn.Module,
    G_ema: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    loader: Any,
    config: progan.ProGANConfig,
    device: torch.device,
) -> Callable[[], tuple[float, float, float]]:
    """One ProGAN iteration at 32 x 32 as a notebook writes it out, as a zero-argument function.

    Each call takes the next ``(images, labels)`` batch of ``loader`` (images at 32 x 32),
    copies it to ``device`` and returns the critic loss, the generator loss and the penalty as
    floats. The random draws come in the order of :func:`helpers.progan.train_iteration`.
    """
    stream = batch_stream(loader)

    def step() -> tuple[float, float, float]:
        real = next(stream)[0].to(device)  # [N, 1, 32, 32]
        n = real.size(0)
        # fade the reals like the fakes: the 16 x 16 version upsampled, blended with the 32 x 32
        low = F.interpolate(F.avg_pool2d(real, 2), scale_factor=2.0, mode="nearest")
        real = (1 - FADE_ALPHA) * low + FADE_ALPHA * real
        # (1) update the critic: WGAN-GP plus drift
        fake = G(torch.randn(n, G.z_dim, device=device), STAGE, FADE_ALPHA).detach()
        real_scores, fake_scores = D(real, STAGE, FADE_ALPHA), D(fake, STAGE, FADE_ALPHA)
        eps = torch.rand(n, 1, 1, 1, device=device)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        scores = D(x_hat, STAGE, FADE_ALPHA)
        (grad,) = torch.autograd.grad(
            scores, x_hat, grad_outputs=torch.ones_like(scores), create_graph=True
        )
        gp = ((grad.view(n, -1).norm(2, dim=1) - 1) ** 2).mean()
        d_loss = (
            fake_scores.mean()
            - real_scores.mean()
            + config.gp_weight * gp
            + config.drift * (real_scores**2).mean()
        )
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
        # (2) update the generator
        fake = G(torch.randn(n, G.z_dim, device=device), STAGE, FADE_ALPHA)
        g_loss = -D(fake, STAGE, FADE_ALPHA).mean()
        opt_G.zero_grad()
        g_loss.backward()
        opt_G.step()
        with torch.no_grad():  # moving average of G's weights
            for p_ema, p in zip(G_ema.parameters(), G.parameters()):
                p_ema.copy_(config.ema_decay * p_ema + (1 - config.ema_decay) * p)
        return d_loss.item(), g_loss.item(), gp.item()

    return step


@case(
    "04-progan",
    "ProGAN iteration at 32 x 32 during its fade-in: WGAN-GP + drift critic step, generator "
    "step, moving average",
)
def progressive_gan(ctx: BenchContext) -> list[BenchPath]:
    """Lesson 4's paths (see the module docstring)."""
    config = progan.ProGANConfig.for_device(ctx.device)
    batch_size = ctx.batch(config.batch_sizes[STAGE])

    def classic() -> Callable[[], Any]:
        from torchvision import transforms

        dataset = ctx.torchvision_mnist(
            transforms.Compose(
                [transforms.Pad(2), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
            )
        )
        G, D, G_ema = _nets(ctx, config)
        loader = classic_loader(dataset, batch_size)
        opt_G, opt_D = _adam(G, False, config), _adam(D, False, config)
        return classic_iteration(G, D, G_ema, opt_G, opt_D, loader, config, ctx.device)

    def on_device(options: FastOptions | None) -> Callable[[], Any]:
        G, D, G_ema = _nets(ctx, config)
        images = pad_to(ctx.mnist()[0], 32)  # [N, 1, 32, 32]
        batches = DeviceBatches(images, batch_size, device=ctx.device, seed=ctx.seed)
        fast = options is not None
        step_fn = progan.FastTrainIteration(options) if fast else progan.train_iteration
        opt_G, opt_D = _adam(G, fast, config), _adam(D, fast, config)
        return stream_step(step_fn, G, D, opt_G, opt_D, batches, stage=STAGE,
                           fade_alpha=FADE_ALPHA, config=config, G_ema=G_ema)  # fmt: skip

    return [
        BenchPath("classic", batch_size, classic),
        BenchPath("reference", batch_size, lambda: on_device(None)),
        BenchPath("course", batch_size, lambda: on_device(FastOptions())),
    ] + option_paths(ctx, ("amp", "bf16", "fp16", "channels_last"), batch_size, on_device)
