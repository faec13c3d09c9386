"""The style-based generator assembled from :mod:`helpers.stylegan.components`, and sampling."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..progan import Alpha, EqualizedConv2d, fade_in, upsample
from .components import MappingNetwork, StyleBlock, estimate_w_avg, truncate


class StyleGenerator(nn.Module):
    """The style-based generator: mapping network, constant input, one StyleBlock per resolution.

    ``channels[k]`` features at resolution 4 * 2**k; block 0 works at 4x4 on a learned constant,
    the others upsample. A toRGB (1x1 equalized conv, gain 1) makes the image at the last
    resolution; with ``progressive=True``, ``lower_to_rgb[k]`` makes one at each lower
    resolution, so the synthesis network can grow as ProGAN's generator does (Karras et al.
    2019 trained it progressively, section 2): ``synthesis(ws, stage=k, alpha=a)`` runs the
    blocks up to resolution 4 * 2**k and fades the newest one in. ``w_avg``, the mean w over
    10,000 seeded codes, is a buffer set by :meth:`update_w_avg` for the truncation trick.

    Args:
        z_dim, w_dim: latent sizes.
        channels: features per resolution, 4x4 first (four entries reach 32x32).
        mapping_layers: layers of the mapping network.
        img_channels: channels of the images (1 for MNIST).
        progressive: give it the lower-resolution toRGB layers that growing needs.

    Shapes:
        z: [N, z_dim] -> images [N, img_channels, R, R], R = 4 * 2**(len(channels) - 1);
        ``synthesis(ws, stage=k)``: [N, num_ws, w_dim] -> [N, img_channels, 4 * 2**k, 4 * 2**k].

    Taught in: 05-stylegan, section 5.
    """

    def __init__(
        self,
        z_dim: int = 64,
        w_dim: int = 64,
        channels: Sequence[int] = (64, 64, 32, 16),
        mapping_layers: int = 4,
        img_channels: int = 1,
        progressive: bool = False,
    ):
        super().__init__()
        self.z_dim, self.w_dim, self.channels = z_dim, w_dim, tuple(channels)
        self.mapping_layers, self.img_channels = mapping_layers, img_channels
        self.progressive = progressive
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers)
        self.const = nn.Parameter(torch.ones(1, self.channels[0], 4, 4))
        self.blocks = nn.ModuleList(
            StyleBlock(c_in, c_out, w_dim, upsample=k > 0)
            for k, (c_in, c_out) in enumerate(
                zip((self.channels[0],) + self.channels, self.channels)
            )
        )
        self.to_rgb = EqualizedConv2d(self.channels[-1], img_channels, 1, gain=1.0)
        self.lower_to_rgb = nn.ModuleList(
            EqualizedConv2d(c, img_channels, 1, gain=1.0) for c in self.channels[:-1]
        ) if progressive else None  # fmt: skip
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @property
    def num_ws(self) -> int:
        """How many w's the synthesis network takes: one per block."""
        return len(self.blocks)

    @property
    def max_stage(self) -> int:
        """The stage of the full resolution (stage k is 4 * 2**k)."""
        return len(self.blocks) - 1

    def rgb(self, stage: int) -> nn.Module:
        """The toRGB layer of ``stage``: ``to_rgb`` at full resolution, else ``lower_to_rgb``."""
        return self.to_rgb if stage == self.max_stage else self.lower_to_rgb[stage]

    def synthesis(
        self,
        ws: torch.Tensor,
        noise_mode: str | Sequence[str] = "random",
        stage: int | None = None,
        alpha: Alpha = 1.0,
    ) -> torch.Tensor:
        """Images from one w per block; ``noise_mode`` for all blocks or one per block.

        ``stage`` (default: the full resolution) stops after block ``stage``; with ``alpha``
        below 1 the image is ProGAN's fade-in (Karras et al. 2018, section 2) of that block's
        toRGB with the previous stage's image, upsampled: fade_in(upsample(rgb(k - 1)(h)),
        rgb(k)(block_k(h)), alpha). The w's of blocks past ``stage`` are not used.

        Shapes:
            ws: [N, num_ws, w_dim] -> [N, img_channels, 4 * 2**stage, 4 * 2**stage].
        """
        if ws.dim() != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must be [N, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        modes = [noise_mode] * self.num_ws if isinstance(noise_mode, str) else list(noise_mode)
        if len(modes) != self.num_ws:
            raise ValueError(f"give one noise mode per block ({self.num_ws}), got {len(modes)}")
        last = self.max_stage
        stage = last if stage is None else stage
        if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= last:
            raise ValueError(f"stage must be an int in 0..{last}, got {stage!r}")
        fading = stage > 0 and not (isinstance(alpha, float | int) and alpha == 1)
        if (stage < last or fading) and self.lower_to_rgb is None:
            raise ValueError(f"stage {stage} at alpha {alpha} needs the lower toRGB layers: "
                             "build the generator with progressive=True")  # fmt: skip
        x = self.const.expand(ws.shape[0], -1, -1, -1)  # [N, C0, 4, 4]
        for k, block in enumerate(self.blocks[:stage]):
            x = block(x, ws[:, k], modes[k])  # [N, channels[k], 4 * 2**k, 4 * 2**k]
        old = upsample(self.rgb(stage - 1)(x)) if fading else None  # [N, img_channels, R, R]
        x = self.blocks[stage](x, ws[:, stage], modes[stage])  # [N, channels[stage], R, R]
        new = self.rgb(stage)(x)  # [N, img_channels, R, R]
        return new if old is None else fade_in(old, new, alpha)

    def forward(
        self, z: torch.Tensor, psi: float = 1.0, noise_mode: str | Sequence[str] = "random"
    ) -> torch.Tensor:
        w = self.mapping(z)  # [N, w_dim]
        if psi != 1.0:
            w = truncate(w, self.w_avg, psi)
        return self.synthesis(w[:, None].expand(-1, self.num_ws, -1), noise_mode)

    @torch.no_grad()
    def update_w_avg(self, n: int = 10_000, seed: int = 0) -> None:
        """Set ``w_avg`` to the mean of the mapping's output over ``n`` seeded codes
        (:func:`estimate_w_avg`)."""
        generator = torch.Generator().manual_seed(seed)
        self.w_avg.copy_(estimate_w_avg(self.mapping, self.z_dim, n, generator))


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


def w_avg_errors(
    mapping: nn.Module,
    z_dim: int,
    sizes: Sequence[int] = (10, 100, 1_000, 10_000),
    draws: int = 20,
    exact_n: int = 1_000_000,
    estimate: Callable[..., torch.Tensor] = estimate_w_avg,
    seed: int = 0,
) -> dict[int, float]:
    """How far an ``n``-code estimate of w_avg lands from the centre of W, for each n in ``sizes``.

    The centre is :func:`estimate_w_avg` over ``exact_n`` codes (seeded with ``seed``, mapped
    100,000 at a time to bound the memory); each size is estimated ``draws`` times by
    ``estimate(mapping, z_dim, n)`` (e.g. a student's version), with the global stream seeded
    ``seed + 1`` first. The error of a draw is
    ||w_avg_n - w_avg|| / ||w_avg||; the median over the draws is returned. Monte Carlo
    predicts it to shrink as 1 / sqrt(n).

    Returns:
        {n: median relative error}.

    Taught in: 05-stylegan, section 2.
    """
    generator = torch.Generator().manual_seed(seed)
    chunks = [min(100_000, exact_n - start) for start in range(0, exact_n, 100_000)]
    sums = [estimate_w_avg(mapping, z_dim, k, generator) * k for k in chunks]  # [w_dim] each
    centre = torch.stack(sums).sum(dim=0) / exact_n  # [w_dim]
    torch.manual_seed(seed + 1)
    errors = {}
    for n in sizes:
        found = torch.stack([estimate(mapping, z_dim, n) for _ in range(draws)])  # [draws, w_dim]
        relative = (found - centre).norm(dim=1) / centre.norm()  # [draws]
        errors[n] = relative.median().item()
    return errors
