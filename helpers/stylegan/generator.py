"""The style-based generator assembled from :mod:`helpers.stylegan.components`, and sampling."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..progan import EqualizedConv2d
from .components import MappingNetwork, StyleBlock, truncate


class StyleGenerator(nn.Module):
    """The style-based generator: mapping network, constant input, one StyleBlock per resolution.

    ``channels[k]`` features at resolution 4 * 2**k; block 0 works at 4x4 on a learned constant,
    the others upsample. A toRGB (1x1 equalized conv, gain 1) makes the image at the last
    resolution. ``w_avg``, the mean w over 10,000 seeded codes, is a buffer set by
    :meth:`update_w_avg` for the truncation trick.

    Args:
        z_dim, w_dim: latent sizes.
        channels: features per resolution, 4x4 first (four entries reach 32x32).
        mapping_layers: layers of the mapping network.
        img_channels: channels of the images (1 for MNIST).

    Shapes:
        z: [N, z_dim] -> images [N, img_channels, R, R], R = 4 * 2**(len(channels) - 1).

    Taught in: 05-stylegan, section 5.
    """

    def __init__(
        self,
        z_dim: int = 64,
        w_dim: int = 64,
        channels: Sequence[int] = (64, 64, 32, 16),
        mapping_layers: int = 4,
        img_channels: int = 1,
    ):
        super().__init__()
        self.z_dim, self.w_dim, self.channels = z_dim, w_dim, tuple(channels)
        self.mapping_layers, self.img_channels = mapping_layers, img_channels
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers)
        self.const = nn.Parameter(torch.ones(1, self.channels[0], 4, 4))
        self.blocks = nn.ModuleList(
            StyleBlock(c_in, c_out, w_dim, upsample=k > 0)
            for k, (c_in, c_out) in enumerate(
                zip((self.channels[0],) + self.channels, self.channels)
            )
        )
        self.to_rgb = EqualizedConv2d(self.channels[-1], img_channels, 1, gain=1.0)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @property
    def num_ws(self) -> int:
        """How many w's the synthesis network takes: one per block."""
        return len(self.blocks)

    def synthesis(
        self, ws: torch.Tensor, noise_mode: str | Sequence[str] = "random"
    ) -> torch.Tensor:
        """Images from one w per block; ``noise_mode`` for all blocks or one per block.

        Shapes:
            ws: [N, num_ws, w_dim] -> [N, img_channels, R, R].
        """
        if ws.dim() != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must be [N, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        modes = [noise_mode] * self.num_ws if isinstance(noise_mode, str) else list(noise_mode)
        if len(modes) != self.num_ws:
            raise ValueError(f"give one noise mode per block ({self.num_ws}), got {len(modes)}")
        x = self.const.expand(ws.shape[0], -1, -1, -1)  # [N, C0, 4, 4]
        for k, block in enumerate(self.blocks):
            x = block(x, ws[:, k], modes[k])  # [N, channels[k], 4 * 2**k, 4 * 2**k]
        return self.to_rgb(x)  # [N, img_channels, R, R]

    def forward(
        self, z: torch.Tensor, psi: float = 1.0, noise_mode: str | Sequence[str] = "random"
    ) -> torch.Tensor:
        w = self.mapping(z)  # [N, w_dim]
        if psi != 1.0:
            w = truncate(w, self.w_avg, psi)
        return self.synthesis(w[:, None].expand(-1, self.num_ws, -1), noise_mode)

    @torch.no_grad()
    def update_w_avg(self, n: int = 10_000, seed: int = 0) -> None:
        """Set ``w_avg`` to the mean of the mapping's output over ``n`` seeded codes."""
        z = torch.randn(n, self.z_dim, generator=torch.Generator().manual_seed(seed))
        self.w_avg.copy_(self.mapping(z.to(self.w_avg.device)).mean(dim=0))


def generate(
    G: StyleGenerator,
    n: int = 64,
    psi: float = 1.0,
    noise_mode: str | Sequence[str] = "const",
    seed: int = 0,
) -> torch.Tensor:
    """``n`` images from codes of a CPU generator seeded with ``seed``, in eval mode, clamped.

    Shapes:
        returns [n, img_channels, R, R] in [-1, 1] on G's device.

    Taught in: 05-stylegan, section 5.
    """
    device = G.w_avg.device
    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad():
            return G(z, psi=psi, noise_mode=noise_mode).clamp(-1, 1)
    finally:
        G.train(was_training)
