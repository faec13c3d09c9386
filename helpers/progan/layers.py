"""ProGAN's layers: the three tricks that keep it stable, and the fade-in between resolutions.

Karras et al. (2018), https://arxiv.org/abs/1710.10196: minibatch standard deviation
(section 3), equalized learning rate and pixelwise feature normalization (section 4), and the
fade-in of a new resolution (section 2), output = (1 - alpha) * old_path + alpha * new_path.
A "stage" indexes the resolution: stage 0 is 4x4 and each stage doubles it.
"""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import positive_int

Alpha = float | torch.Tensor
"""A fade-in weight: a number in [0, 1], or a tensor that broadcasts against the images."""


# --- the three tricks -------------------------------------------------------------------------


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Pixelwise feature vector normalization: b = a / sqrt(mean_j a_j^2 + eps).

    Karras et al. (2018), section 4.2, eq. (3): each pixel's feature vector (dim 1) is scaled
    to unit root mean square, so no feature magnitude can escalate in the generator.

    Args:
        x: features, channels on dim 1.
        eps: added to the mean square before the square root (the paper's epsilon = 1e-8).

    Shapes:
        x: [N, C, H, W] or [N, C] -> same shape.

    Taught in: 04-progan, exercise 1.
    """
    if x.dim() < 2:
        raise ValueError(f"pixel_norm expects [N, C, ...] features, got {list(x.shape)}")
    # sqrt(mean over channels of a^2 + eps), one value per pixel: [N, 1, H, W] or [N, 1]
    rms = torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)
    return x / rms


class PixelNorm(nn.Module):
    """:func:`pixel_norm` as a layer (section 4.2), placed after every generator conv.

    Shapes:
        x: [N, C, H, W] or [N, C] -> same shape.

    Taught in: 04-progan, exercise 1.
    """

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pixel_norm(x, self.eps)


def minibatch_stddev(x: torch.Tensor, group_size: int = 4) -> torch.Tensor:
    """Append the average standard deviation of each group of samples as one extra channel.

    Karras et al. (2018), section 3, grouped as in their reference code: with G =
    min(group_size, N), the batch is viewed as [G, N/G, C, H, W], so sample i belongs to group
    i mod N/G (samples i, i + N/G, i + 2N/G, ... share a group). For each group: the biased
    standard deviation over its G samples of every feature and pixel (1e-8 added to the
    variance), averaged over C, H and W, fills the new channel of all G samples.

    Args:
        x: features from the discriminator's last block.
        group_size: samples per group; min(group_size, N) must divide N.

    Shapes:
        x: [N, C, H, W] -> [N, C + 1, H, W].

    Taught in: 04-progan, exercise 2.
    """
    positive_int(group_size, "group_size")
    if x.dim() != 4:
        raise ValueError(f"minibatch_stddev expects [N, C, H, W], got {list(x.shape)}")
    n, c, h, w = x.shape
    g = min(group_size, n)
    if n % g:
        raise ValueError(f"batch size {n} is not divisible by the group size {g}")
    y = x.reshape(g, -1, c, h, w)  # [G, M, C, H, W], sample i -> (i // M, i % M)
    y = y - y.mean(dim=0, keepdim=True)  # deviation from the group mean
    y = torch.sqrt(y.pow(2).mean(dim=0) + 1e-8)  # biased std over the group, [M, C, H, W]
    y = y.mean(dim=(1, 2, 3), keepdim=True)  # one value per group, [M, 1, 1, 1]
    y = y.repeat(g, 1, h, w)  # [N, 1, H, W], row i holds group i % M
    return torch.cat([x, y], dim=1)  # [N, C + 1, H, W]


class MinibatchStdDev(nn.Module):
    """:func:`minibatch_stddev` as a layer (section 3), at the start of the critic's head.

    Shapes:
        x: [N, C, H, W] -> [N, C + 1, H, W].

    Taught in: 04-progan, exercise 2.
    """

    def __init__(self, group_size: int = 4):
        super().__init__()
        positive_int(group_size, "group_size")
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return minibatch_stddev(x, self.group_size)


class EqualizedLinear(nn.Module):
    """A linear layer with equalized learning rate: w_hat = w * gain / sqrt(fan_in).

    Karras et al. (2018), section 4.1: weights are initialised N(0, 1) and scaled by He's
    constant at every forward pass (not only at init), so Adam's scale-invariant updates move
    every layer at the same relative speed. The bias is initialised to ``bias_init`` and not
    scaled.

    Args:
        in_features, out_features: sizes as in ``nn.Linear``.
        bias: whether to add a learned bias.
        bias_init: initial value of every bias entry.
        gain: numerator of the scale; sqrt(2) suits LeakyReLU, 1 a linear output.

    Shapes:
        x: [N, in_features] -> [N, out_features].

    Taught in: 04-progan, exercise 3.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        bias_init: float = 0.0,
        gain: float = 2**0.5,
    ):
        super().__init__()
        positive_int(in_features, "in_features")
        positive_int(out_features, "out_features")
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.full((out_features,), float(bias_init)))
        else:
            self.register_parameter("bias", None)
        self.scale = gain / math.sqrt(in_features)  # He's constant, c = gain / sqrt(fan_in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)  # [N, out_features]

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, scale={self.scale:.4g}"


class EqualizedConv2d(nn.Module):
    """A 2-D convolution with equalized learning rate: w_hat = w * gain / sqrt(C_in * k * k).

    Karras et al. (2018), section 4.1 (see :class:`EqualizedLinear`); the bias starts at 0
    and is not scaled.

    Args:
        in_channels, out_channels, kernel_size, stride, padding: as in ``nn.Conv2d``.
        bias: whether to add a learned bias.
        gain: numerator of the scale; sqrt(2) by default, 1 for toRGB.

    Shapes:
        x: [N, in_channels, H, W] -> [N, out_channels, H', W'] as ``nn.Conv2d``.

    Taught in: 04-progan, exercise 3.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        gain: float = 2**0.5,
    ):
        super().__init__()
        positive_int(in_channels, "in_channels")
        positive_int(out_channels, "out_channels")
        positive_int(kernel_size, "kernel_size")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_channels))
        else:
            self.register_parameter("bias", None)
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight * self.scale
        return F.conv2d(x, w, self.bias, stride=self.stride, padding=self.padding)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, scale={self.scale:.4g}"
        )


# --- fade-in ----------------------------------------------------------------------------------


def fade_in(old: torch.Tensor, new: torch.Tensor, alpha: Alpha) -> torch.Tensor:
    """Blend the old path into the new one: (1 - alpha) * old + alpha * new.

    Karras et al. (2018), section 2 and figure 2: while a new resolution is faded in, the
    new layers' output is mixed with the upsampled (generator) or downsampled
    (discriminator) output of the previous resolution; alpha 0 is the old path, 1 the new.

    Args:
        old, new: tensors of the same shape.
        alpha: a float or a tensor that broadcasts against them.

    Shapes:
        old, new: [N, ...] -> [N, ...].

    Taught in: 04-progan, exercise 4.
    """
    if old.shape != new.shape:
        raise ValueError(
            f"fade_in needs old and new of one shape, got {list(old.shape)} and {list(new.shape)}"
        )
    return (1 - alpha) * old + alpha * new


def alpha_schedule(iteration: int, fade_iterations: int) -> float:
    """The fade-in weight after ``iteration`` of ``fade_iterations``: min(1, it / fade_its).

    Karras et al. (2018), section 2: alpha grows linearly from 0 to 1 while the new layers
    fade in (800k images per phase in the paper), then stays at 1.

    Args:
        iteration: training iterations since the fade started, >= 0.
        fade_iterations: length of the fade; 0 means no fade (alpha is 1 at once).

    Taught in: 04-progan, exercise 5.
    """
    for value, name in ((iteration, "iteration"), (fade_iterations, "fade_iterations")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    if fade_iterations == 0:
        return 1.0
    return float(min(1.0, iteration / fade_iterations))


def upsample(x: torch.Tensor) -> torch.Tensor:
    """Double the resolution by nearest-neighbour copying (the paper's upsampling).

    Shapes:
        x: [N, C, H, W] -> [N, C, 2H, 2W].

    Taught in: 04-progan, section 3.
    """
    return F.interpolate(x, scale_factor=2.0, mode="nearest")  # [N, C, 2H, 2W]


def downsample(x: torch.Tensor) -> torch.Tensor:
    """Halve the resolution by 2x2 average pooling (the paper's downsampling).

    Shapes:
        x: [N, C, H, W] -> [N, C, H/2, W/2].

    Taught in: 04-progan, section 3.
    """
    return F.avg_pool2d(x, kernel_size=2)  # [N, C, H/2, W/2]


def resolution_of(stage: int) -> int:
    """Side of the images at ``stage``: 4 * 2**stage (stage 0 is 4x4, stage 3 is 32x32)."""
    return 4 * 2**stage
