"""Stand-in networks for test cells: small, deterministic, and easy to reason about.

A student's training step is run with these instead of the lesson's networks, so its result
can be compared exactly with the reference step's.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ConstantGenerator", "LinearDiscriminator"]


class ConstantGenerator(nn.Module):
    """A stand-in generator whose images do not depend on the values of z.

    Two training steps that draw z differently (reuse it, or draw a fresh one) then give the
    same result, so a student's step can be compared exactly with the reference step.

    Shapes:
        z: [N, z_dim] -> [N, img_dim], values in (-1, 1).
    """

    def __init__(self, z_dim: int = 100, img_dim: int = 784, seed: int = 0):
        super().__init__()
        self.z_dim = z_dim
        start = torch.randn(img_dim, generator=torch.Generator().manual_seed(seed))
        self.image = nn.Parameter(0.5 * start)  # [img_dim]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"the test generator expects z of shape [N, {self.z_dim}], got {list(z.shape)}"
            )
        return torch.tanh(self.image).expand(z.shape[0], -1).contiguous()  # [N, img_dim]


class LinearDiscriminator(nn.Module):
    """A stand-in discriminator without dropout: one linear layer on the flattened image.

    Shapes:
        x: [N, img_dim] or [N, C, H, W] -> logits [N, 1].
    """

    def __init__(self, img_dim: int = 784, seed: int = 1):
        super().__init__()
        init = torch.Generator().manual_seed(seed)
        self.weight = nn.Parameter(torch.randn(1, img_dim, generator=init) / img_dim**0.5)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1) @ self.weight.t() + self.bias  # [N, 1]
