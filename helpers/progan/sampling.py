"""Sampling from a ProGAN generator at any of its resolutions."""

from __future__ import annotations

import torch
from torch import nn

from ..validation import positive_int
from .layers import Alpha


def decode(G: nn.Module, z: torch.Tensor, stage: int, alpha: Alpha = 1.0) -> torch.Tensor:
    """Run G on ``z`` in eval mode without autograd, restoring its mode afterwards.

    Shapes:
        z: [n, z_dim] on G's device -> [n, img_channels, R, R], R = 4 * 2**stage, unclamped.

    Taught in: 04-progan, section 6.
    """
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad():
            return G(z, stage, alpha)
    finally:
        G.train(was_training)


def generate(
    G: nn.Module,
    n: int = 64,
    stage: int | None = None,
    alpha: Alpha = 1.0,
    seed: int = 0,
) -> torch.Tensor:
    """Sample ``n`` images with z from a CPU generator seeded with ``seed``, clamped to [-1, 1].

    The generator's output is linear, as in the paper; like the paper's image export, this
    clips it to the pixel range.

    Args:
        G: a :class:`ProGenerator` (or any module with ``z_dim`` and ``max_stage``).
        n: number of images.
        stage: resolution to sample at; the highest (``G.max_stage``) when None.
        alpha: fade-in weight of that resolution.
        seed: seeds the latent codes.

    Shapes:
        returns [n, img_channels, 4 * 2**stage, 4 * 2**stage] on G's device.

    Taught in: 04-progan, section 6.
    """
    positive_int(n, "n")
    stage = G.max_stage if stage is None else stage
    device = next(G.parameters()).device
    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))  # [n, z_dim]
    return decode(G, z.to(device), stage, alpha).clamp(-1.0, 1.0)
