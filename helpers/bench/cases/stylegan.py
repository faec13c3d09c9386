"""Lesson 5's benchmark: StyleGAN's generator step with style mixing, through ProGAN's critic.

The step is the second half of an iteration of :func:`helpers.stylegan.train_stylegan`, with
:class:`helpers.stylegan.StyleGANConfig`'s networks (the shipped checkpoint's, trained on a
CPU) and batch size: w's from the mapping network, two of them mixed at a random crossover
with probability ``mixing_prob``, the synthesis network, the critic at 32 x 32 and
-E[D(G(z))]. It reads no real images, so no path has a data pipeline. Paths: ``classic`` (the
mixing written out, the critic's weight gradients computed and thrown away, plain Adam,
``.item()`` every step), ``reference`` (:func:`helpers.stylegan.generator_step`, critic
frozen, with the plain Adam that ``train_stylegan`` builds) and ``course``
(:class:`helpers.stylegan.FastGeneratorStep` with fused Adam, ``make_optimizers(...,
fast=True)``), then the options (no ``compile``: the mixing crossover changes every step).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ... import progan, stylegan
from ...fast import FastOptions
from ..paths import BenchContext, BenchPath, case
from .common import option_paths

CONFIG = stylegan.StyleGANConfig()
RESOLUTION = 4 * 2 ** (len(CONFIG.channels) - 1)  # 32


def _nets(ctx: BenchContext) -> tuple[stylegan.StyleGenerator, progan.ProDiscriminator]:
    torch.manual_seed(ctx.seed)  # every path starts from the same weights
    G = stylegan.StyleGenerator(CONFIG.z_dim, CONFIG.w_dim, CONFIG.channels, CONFIG.mapping_layers)
    return G.to(ctx.device), progan.ProDiscriminator(CONFIG.channels).to(ctx.device)


def classic_generator_step(
    G: stylegan.StyleGenerator,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    n: int,
    config: stylegan.StyleGANConfig,
    device: torch.device,
) -> Callable[[], float]:
    """StyleGAN's generator step as a notebook writes it out, as a zero-argument function.

    Each call draws ``n`` fakes, mixing two w's at a random crossover with probability
    ``config.mixing_prob`` (the random draws come in the order of
    :func:`helpers.stylegan.generator_step`), and returns the generator loss as a float.
    """
    stage = D.max_stage

    def generator_step() -> float:
        w = G.mapping(torch.randn(n, G.z_dim, device=device))  # [n, w_dim]
        ws = w.unsqueeze(1).repeat(1, G.num_ws, 1)  # [n, num_ws, w_dim]
        if torch.rand(()).item() < config.mixing_prob:  # style mixing: w2 from the crossover on
            w2 = G.mapping(torch.randn(n, G.z_dim, device=device))
            crossover = int(torch.randint(1, G.num_ws, ()).item())
            ws[:, crossover:] = w2.unsqueeze(1)
        g_loss = -D(G.synthesis(ws), stage, 1.0).mean()
        opt_G.zero_grad()
        g_loss.backward()
        opt_G.step()
        return g_loss.item()

    return generator_step


@case(
    "05-stylegan",
    "StyleGAN generator step at 32 x 32: mapping, style mixing, synthesis with noise and AdaIN, "
    "through ProGAN's critic",
)
def style_gan(ctx: BenchContext) -> list[BenchPath]:
    """Lesson 5's paths (see the module docstring)."""
    batch_size = ctx.batch(CONFIG.batch_size)

    def classic() -> Callable[[], Any]:
        G, D = _nets(ctx)
        opt_G, _ = stylegan.make_optimizers(G, D, CONFIG)  # plain Adam, slower mapping
        return classic_generator_step(G, D, opt_G, batch_size, CONFIG, ctx.device)

    def on_device(options: FastOptions | None) -> Callable[[], Any]:
        G, D = _nets(ctx)
        fast = options is not None
        opt_G, opt_D = stylegan.make_optimizers(G, D, CONFIG, fast=fast)
        step_fn = stylegan.FastGeneratorStep(options) if fast else stylegan.generator_step
        # the generator step reads only the batch's size and device
        real = torch.zeros(batch_size, 1, RESOLUTION, RESOLUTION, device=ctx.device)
        return lambda: step_fn(G, D, opt_G, opt_D, real, CONFIG)

    return [
        BenchPath("classic", batch_size, classic),
        BenchPath("reference", batch_size, lambda: on_device(None)),
        BenchPath("course", batch_size, lambda: on_device(FastOptions())),
    ] + option_paths(ctx, ("amp", "bf16", "fp16", "channels_last"), batch_size, on_device)
