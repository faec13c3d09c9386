"""The components of StyleGAN's synthesis network: Lesson 5's exercises.

Karras et al. (2019), https://arxiv.org/abs/1812.04948: the mapping network (section 2), the
truncation trick (appendix B), noise injection (section 3.2), AdaIN (eq. 1), the style block
that composes them (figure 1(b)) and style mixing (section 3.1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..progan import EqualizedConv2d, EqualizedLinear, pixel_norm
from ..validation import positive_int

NOISE_MODES = ("random", "const", "none")


class MappingNetwork(nn.Module):
    """z -> w: pixel-normalised z through ``num_layers`` equalized linear layers.

    Karras et al. (2019), section 2 and figure 1(b): an 8-layer MLP maps the latent z in Z to
    an intermediate latent w in W, which need not follow z's fixed Gaussian prior and so can
    be less entangled. Every layer, the last included, is followed by LeakyReLU(0.2).

    Args:
        z_dim: length of z.
        w_dim: length of w.
        num_layers: number of linear layers (the first z_dim -> w_dim, the rest w_dim -> w_dim).

    Shapes:
        z: [N, z_dim] -> w: [N, w_dim].

    Taught in: 05-stylegan, exercise 1.
    """

    def __init__(self, z_dim: int = 512, w_dim: int = 512, num_layers: int = 8):
        super().__init__()
        positive_int(num_layers, "num_layers")
        self.z_dim, self.w_dim, self.num_layers = z_dim, w_dim, num_layers
        self.layers = nn.ModuleList(
            EqualizedLinear(z_dim if i == 0 else w_dim, w_dim) for i in range(num_layers)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"MappingNetwork expects z of shape [N, {self.z_dim}], got {list(z.shape)}"
            )
        w = pixel_norm(z)  # [N, z_dim], unit RMS per sample
        for layer in self.layers:
            w = F.leaky_relu(layer(w), 0.2)  # [N, w_dim]
        return w


def truncate(w: torch.Tensor, w_avg: torch.Tensor, psi: float | torch.Tensor) -> torch.Tensor:
    """The truncation trick in W: w_avg + psi * (w - w_avg) (Karras et al. 2019, appendix B).

    psi = 1 leaves w alone, psi = 0 gives the average w (the "average digit"); in between,
    samples move towards the dense centre of W: higher fidelity, less diversity. It is the W
    counterpart of sampling z from a truncated normal.

    Shapes:
        w: [N, w_dim] or [N, num_ws, w_dim]; w_avg: [w_dim] -> same shape as w.

    Taught in: 05-stylegan, exercise 2.
    """
    return w_avg + psi * (w - w_avg)


class NoiseInjection(nn.Module):
    """Add per-pixel noise scaled by a learned per-channel factor (Karras et al. 2019, sec. 3.2).

    One noise image [N, 1, H, W] is shared by all channels; each channel scales it by its own
    learned weight, which starts at zero (the network decides how much noise to use).

    Shapes:
        x: [N, C, H, W], noise: [N, 1, H, W] (or broadcastable) -> [N, C, H, W].

    Taught in: 05-stylegan, exercise 3.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            noise = torch.randn(
                x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype
            )
        return x + self.weight * noise  # [N, C, H, W]


def adain(
    x: torch.Tensor, style_scale: torch.Tensor, style_bias: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """Adaptive instance normalisation: y_s * (x - mu(x)) / sigma(x) + y_b (eq. 1).

    Each sample's channel is normalised over H and W (biased variance, ``eps`` inside the
    square root), then scaled and shifted by that sample's styles.

    Shapes:
        x: [N, C, H, W]; style_scale, style_bias: [N, C] -> [N, C, H, W].

    Taught in: 05-stylegan, exercise 4.
    """
    mean = x.mean(dim=(2, 3), keepdim=True)  # [N, C, 1, 1]
    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)  # [N, C, 1, 1]
    normalised = (x - mean) / torch.sqrt(var + eps)
    return style_scale[:, :, None, None] * normalised + style_bias[:, :, None, None]


class AdaIN(nn.Module):
    """AdaIN with its learned affine map A from w to the styles (figure 1(b), "A").

    One :class:`~helpers.progan.EqualizedLinear` maps w to 2 * channels numbers: the first
    half are the scales, the rest the biases. Its bias starts at 1 for the scales and 0 for
    the biases, so an untrained block passes normalised features through unscaled.

    Shapes:
        x: [N, C, H, W], w: [N, w_dim] -> [N, C, H, W].

    Taught in: 05-stylegan, exercise 5.
    """

    def __init__(self, channels: int, w_dim: int):
        super().__init__()
        self.channels = channels
        self.affine = EqualizedLinear(w_dim, 2 * channels)
        with torch.no_grad():
            self.affine.bias[:channels] = 1.0
            self.affine.bias[channels:] = 0.0

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)  # [N, 2C]
        return adain(x, styles[:, : self.channels], styles[:, self.channels :])


class StyleBlock(nn.Module):
    """One synthesis block: [x2 upsample] -> (conv 3x3 -> noise -> LReLU -> AdaIN) twice.

    Karras et al. (2019), figure 1(b): one w drives both AdaINs of the block. Upsampling is
    bilinear. ``noise_mode`` makes the noise deterministic when needed: "random" draws fresh
    noise at every call, "const" draws it once per spatial size (from a fixed seed) and
    reuses it, "none" adds none.

    Args:
        in_channels, out_channels: features in and out.
        w_dim: length of w.
        upsample: whether the block doubles the resolution first.

    Shapes:
        x: [N, in_channels, H, W], w: [N, w_dim] -> [N, out_channels, H', W'] (H' = 2H when
        upsampling, else H).

    Taught in: 05-stylegan, exercise 6.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, upsample: bool = True):
        super().__init__()
        self.upsample = upsample
        self.conv1 = EqualizedConv2d(in_channels, out_channels, 3, padding=1)
        self.noise1 = NoiseInjection(out_channels)
        self.adain1 = AdaIN(out_channels, w_dim)
        self.conv2 = EqualizedConv2d(out_channels, out_channels, 3, padding=1)
        self.noise2 = NoiseInjection(out_channels)
        self.adain2 = AdaIN(out_channels, w_dim)
        self._const_noise: dict[tuple[int, int, int], torch.Tensor] = {}

    def noise(self, x: torch.Tensor, mode: str, index: int) -> torch.Tensor | None:
        """The noise for the block's ``index``-th noise layer in ``mode`` (None: no noise)."""
        if mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {mode!r}")
        n, _, h, w = x.shape
        if mode == "none":
            return torch.zeros(n, 1, h, w, device=x.device, dtype=x.dtype)
        if mode == "random":
            return torch.randn(n, 1, h, w, device=x.device, dtype=x.dtype)
        key = (index, h, w)
        if key not in self._const_noise:  # drawn once, from a fixed seed, on the CPU
            seed = torch.Generator().manual_seed(1000 * index + h)
            self._const_noise[key] = torch.randn(1, 1, h, w, generator=seed)
        return self._const_noise[key].to(device=x.device, dtype=x.dtype).expand(n, 1, h, w)

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random") -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(
                x, scale_factor=2, mode="bilinear", align_corners=False
            )  # [N, C, 2H, 2W]
        x = self.conv1(x)  # [N, C_out, H', W']
        x = self.adain1(F.leaky_relu(self.noise1(x, self.noise(x, noise_mode, 1)), 0.2), w)
        x = self.conv2(x)
        return self.adain2(F.leaky_relu(self.noise2(x, self.noise(x, noise_mode, 2)), 0.2), w)


def style_mix(w1: torch.Tensor, w2: torch.Tensor, crossover: int, num_layers: int) -> torch.Tensor:
    """One w per block: w1 for the blocks before ``crossover``, w2 from it on (section 3.1).

    Blocks are counted from the coarsest (4x4); a crossover of 0 is all w2, of
    ``num_layers`` all w1.

    Shapes:
        w1, w2: [N, w_dim] -> [N, num_layers, w_dim].

    Taught in: 05-stylegan, exercise 7.
    """
    if not 0 <= crossover <= num_layers:
        raise ValueError(f"crossover must be in 0..{num_layers}, got {crossover}")
    first = (torch.arange(num_layers, device=w1.device) < crossover)[None, :, None]  # [1, L, 1]
    return torch.where(first, w1[:, None, :], w2[:, None, :])  # [N, L, w_dim]
