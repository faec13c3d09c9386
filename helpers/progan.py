"""Reference implementations for Lesson 4: progressive growing of GANs (ProGAN).

Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality, Stability,
and Variation" (ICLR 2018), https://arxiv.org/abs/1710.10196. Both networks start at 4x4 and
gain one block per doubling of the resolution (section 2); a new block is faded in,

    output = (1 - alpha) * old_path + alpha * new_path,   alpha: 0 -> 1,

and three tricks keep training stable: minibatch standard deviation (section 3), equalized
learning rate and pixelwise feature normalization (section 4). Training uses WGAN-GP with a
drift term 0.001 * E[D(x_real)^2] (appendix A.1) and Lesson 3's :func:`gradient_penalty`.

A "step" indexes the resolution: step 0 is 4x4 and each step doubles it (step 3 is 32x32).
The fade-in weight is called ``alpha`` in the networks (the paper's symbol) and ``fade_alpha``
in the training code, where the gradient penalty has an ``alpha`` of its own.
Hidden tests in ``04-progan`` compare the student's functions with these; Lesson 5 (StyleGAN)
reuses :func:`pixel_norm`, the equalized layers and :class:`ProDiscriminator`.
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .data import DeviceBatches
from .resume import Checkpoint, Counter
from .runtime import budget
from .training import History, train_gan, update_ema
from .validation import positive_int
from .wgan import gradient_penalty

__all__ = [
    "DiscriminatorBlock",
    "DiscriminatorHead",
    "EqualizedConv2d",
    "EqualizedLinear",
    "FromRGB",
    "GeneratorBlock",
    "GeneratorInput",
    "MinibatchStdDev",
    "PRETRAINED_CONFIG",
    "PixelNorm",
    "ProDiscriminator",
    "ProGANConfig",
    "ProGenerator",
    "ToRGB",
    "alpha_schedule",
    "critic_loss",
    "critic_step",
    "decode",
    "downsample",
    "fade_in",
    "generate",
    "generator_loss",
    "generator_step",
    "make_networks",
    "minibatch_stddev",
    "pixel_norm",
    "progressive_reals",
    "resolution_of",
    "train_iteration",
    "train_pretrained",
    "train_progressive",
    "update_ema",
    "upsample",
]

Alpha = float | torch.Tensor


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


def resolution_of(step: int) -> int:
    """Side of the images at ``step``: 4 * 2**step (step 0 is 4x4, step 3 is 32x32)."""
    return 4 * 2**step


# --- generator --------------------------------------------------------------------------------


def _conv3x3(in_channels: int, out_channels: int) -> nn.Sequential:
    """An equalized 3x3 conv, LeakyReLU(0.2) and pixel norm: the generator's unit (table 2)."""
    return nn.Sequential(
        EqualizedConv2d(in_channels, out_channels, 3, padding=1), nn.LeakyReLU(0.2), PixelNorm()
    )


class GeneratorInput(nn.Module):
    """The generator's 4x4 block: normalized z -> dense to 4x4 features -> 3x3 conv.

    Karras et al. (2018), table 2 (top): the latent is pixel-normalized, mapped by a dense
    layer (the paper's 4x4 conv on a 1x1 input) to C x 4 x 4 features, and each layer is
    followed by LeakyReLU(0.2) and pixel norm.

    Shapes:
        z: [N, z_dim] -> [N, channels, 4, 4].

    Taught in: 04-progan, section 4.
    """

    def __init__(self, z_dim: int, channels: int):
        super().__init__()
        self.channels = channels
        self.dense = EqualizedLinear(z_dim, channels * 16)
        self.conv = _conv3x3(channels, channels)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.dense(pixel_norm(z))  # [N, C * 16]
        x = x.reshape(-1, self.channels, 4, 4)  # [N, C, 4, 4]
        x = pixel_norm(F.leaky_relu(x, 0.2))
        return self.conv(x)  # [N, C, 4, 4]


class GeneratorBlock(nn.Module):
    """One growth block of the generator: nearest x2 upsample, then two 3x3 conv units.

    Karras et al. (2018), table 2 and figure 2: "2x" is nearest-neighbour upsampling.

    Shapes:
        x: [N, in_channels, H, W] -> [N, out_channels, 2H, 2W].

    Taught in: 04-progan, section 4.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = _conv3x3(in_channels, out_channels)
        self.conv2 = _conv3x3(out_channels, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = upsample(x)  # [N, C_in, 2H, 2W]
        return self.conv2(self.conv1(x))  # [N, C_out, 2H, 2W]


class ToRGB(nn.Module):
    """toRGB: a 1x1 equalized conv from features to image channels, gain 1, no activation.

    Karras et al. (2018), figure 2; the output is linear, as in the paper.

    Shapes:
        x: [N, channels, H, W] -> [N, img_channels, H, W].

    Taught in: 04-progan, section 4.
    """

    def __init__(self, channels: int, img_channels: int = 1):
        super().__init__()
        self.conv = EqualizedConv2d(channels, img_channels, 1, gain=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)  # [N, img_channels, H, W]


class _Progressive(nn.Module):
    """Shared checks of the two growing networks (step range, fade weight)."""

    channels: tuple[int, ...]

    @property
    def max_step(self) -> int:
        return len(self.channels) - 1

    @property
    def img_resolution(self) -> int:
        return resolution_of(self.max_step)

    def check_step(self, step: int, alpha: Alpha) -> None:
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= self.max_step:
            raise ValueError(
                f"step must be an int in 0..{self.max_step} (4x4..{self.img_resolution}x"
                f"{self.img_resolution}), got {step!r}"
            )
        if isinstance(alpha, numbers.Real) and not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")


def _check_channels(channels: Sequence[int]) -> tuple[int, ...]:
    channels = tuple(channels)
    if not channels:
        raise ValueError("channels needs one entry per resolution, 4x4 first")
    for c in channels:
        positive_int(c, "each entry of channels")
    return channels


class ProGenerator(_Progressive):
    """The progressively grown generator of Karras et al. (2018), table 2 and figure 2.

    ``channels[k]`` features at resolution 4 * 2**k. ``trunk(z, step)`` runs the layers up
    to one resolution, ``blocks[k - 1]`` grows features from step k - 1 to step k and
    ``to_rgb[k]`` turns step-k features into an image, so :meth:`forward` is the fade-in
    formula of section 2:

        image = fade_in(upsample(to_rgb[k-1](h)), to_rgb[k](blocks[k-1](h)), alpha),
        h = trunk(z, k - 1).

    Args:
        z_dim: length of the latent code z.
        channels: feature maps per resolution, 4x4 first (four entries reach 32x32).
        img_channels: channels of the images (1 for MNIST).

    Shapes:
        z: [N, z_dim] -> images [N, img_channels, 4 * 2**step, 4 * 2**step] (linear output,
        roughly in [-1, 1]; :func:`generate` clamps).

    Taught in: 04-progan, exercise 6.
    """

    def __init__(
        self,
        z_dim: int = 128,
        channels: Sequence[int] = (64, 64, 32, 16),
        img_channels: int = 1,
    ):
        super().__init__()
        positive_int(z_dim, "z_dim")
        positive_int(img_channels, "img_channels")
        self.z_dim = z_dim  # length of the latent code
        self.channels = _check_channels(channels)  # feature maps at 4x4, 8x8, ...
        self.img_channels = img_channels  # 1 for MNIST
        self.input = GeneratorInput(z_dim, self.channels[0])
        self.blocks = nn.ModuleList(
            GeneratorBlock(c_in, c_out) for c_in, c_out in itertools.pairwise(self.channels)
        )
        self.to_rgb = nn.ModuleList(ToRGB(c, img_channels) for c in self.channels)

    def trunk(self, z: torch.Tensor, step: int) -> torch.Tensor:
        """Features at resolution ``step``: the input block, then ``blocks[:step]``.

        Shapes:
            z: [N, z_dim] -> [N, channels[step], 4 * 2**step, 4 * 2**step].
        """
        x = self.input(z)  # [N, channels[0], 4, 4]
        for block in self.blocks[:step]:
            x = block(x)  # [N, channels[k], 2H, 2W]
        return x

    def check_input(self, z: torch.Tensor, step: int, alpha: Alpha) -> None:
        """Raise a ValueError unless ``z`` is [N, z_dim] and ``step`` is a valid resolution."""
        self.check_step(step, alpha)
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"ProGenerator expects z of shape [N, {self.z_dim}], got {list(z.shape)}"
            )

    def forward(self, z: torch.Tensor, step: int, alpha: Alpha) -> torch.Tensor:
        self.check_input(z, step, alpha)
        if step == 0:
            return self.to_rgb[0](self.trunk(z, 0))  # [N, img_channels, 4, 4]
        h = self.trunk(z, step - 1)  # [N, C_old, R/2, R/2]
        old = upsample(self.to_rgb[step - 1](h))  # [N, img_channels, R, R]
        new = self.to_rgb[step](self.blocks[step - 1](h))  # [N, img_channels, R, R]
        return fade_in(old, new, alpha)


# --- discriminator ----------------------------------------------------------------------------


class FromRGB(nn.Module):
    """fromRGB: a 1x1 equalized conv from image channels to features, then LeakyReLU(0.2).

    Karras et al. (2018), figure 2 and table 2.

    Shapes:
        x: [N, img_channels, H, W] -> [N, channels, H, W].

    Taught in: 04-progan, section 4.
    """

    def __init__(self, img_channels: int, channels: int):
        super().__init__()
        self.conv = EqualizedConv2d(img_channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.conv(x), 0.2)  # [N, channels, H, W]


class DiscriminatorBlock(nn.Module):
    """One block of the critic: two 3x3 equalized convs with LeakyReLU(0.2), then 2x2 avg pool.

    Karras et al. (2018), table 2 (no pixel norm in the discriminator).

    Shapes:
        x: [N, in_channels, H, W] -> [N, out_channels, H/2, W/2].

    Taught in: 04-progan, section 4.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = EqualizedConv2d(in_channels, in_channels, 3, padding=1)
        self.conv2 = EqualizedConv2d(in_channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.conv1(x), 0.2)
        x = F.leaky_relu(self.conv2(x), 0.2)  # [N, C_out, H, W]
        return downsample(x)  # [N, C_out, H/2, W/2]


class DiscriminatorHead(nn.Module):
    """The critic's 4x4 head: minibatch stddev, a 3x3 conv, a 4x4 conv, a linear score.

    Karras et al. (2018), table 2 (bottom): the 4x4 "valid" conv plays the paper's dense
    layer over the flattened 4x4 features; the score is unbounded (a WGAN critic).

    Shapes:
        x: [N, channels, 4, 4] -> scores [N, 1].

    Taught in: 04-progan, section 4.
    """

    def __init__(self, channels: int, group_size: int = 4):
        super().__init__()
        self.stddev = MinibatchStdDev(group_size)
        self.conv = EqualizedConv2d(channels + 1, channels, 3, padding=1)
        self.conv4x4 = EqualizedConv2d(channels, channels, 4)
        self.score = EqualizedLinear(channels, 1, gain=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stddev(x)  # [N, C + 1, 4, 4]
        x = F.leaky_relu(self.conv(x), 0.2)  # [N, C, 4, 4]
        x = F.leaky_relu(self.conv4x4(x), 0.2)  # [N, C, 1, 1]
        return self.score(x.flatten(1))  # [N, 1]


class ProDiscriminator(_Progressive):
    """The progressively grown critic of Karras et al. (2018), table 2 and figure 2.

    It mirrors :class:`ProGenerator`: ``from_rgb[k]`` maps an image at resolution
    4 * 2**k to ``channels[k]`` features, ``blocks[k - 1]`` halves step-k features to step
    k - 1, and ``trunk(h, step)`` runs the remaining blocks and the 4x4 head. :meth:`forward`
    fades in at the input (section 2):

        score = trunk(fade_in(from_rgb[k-1](downsample(x)), blocks[k-1](from_rgb[k](x)),
                              alpha), k - 1).

    Args:
        channels: feature maps per resolution, 4x4 first (as for the generator).
        img_channels: channels of the images (1 for MNIST).
        group_size: the minibatch-stddev group size.

    Shapes:
        x: [N, img_channels, 4 * 2**step, 4 * 2**step] -> scores [N, 1], unbounded.

    Taught in: 04-progan, exercise 7.
    """

    def __init__(
        self,
        channels: Sequence[int] = (64, 64, 32, 16),
        img_channels: int = 1,
        group_size: int = 4,
    ):
        super().__init__()
        positive_int(img_channels, "img_channels")
        self.channels = _check_channels(channels)  # feature maps at 4x4, 8x8, ...
        self.img_channels = img_channels
        self.group_size = group_size
        self.from_rgb = nn.ModuleList(FromRGB(img_channels, c) for c in self.channels)
        self.blocks = nn.ModuleList(
            DiscriminatorBlock(c_in, c_out)
            for c_out, c_in in itertools.pairwise(self.channels)  # blocks[k-1]: step k -> k-1
        )
        self.head = DiscriminatorHead(self.channels[0], group_size)

    def trunk(self, h: torch.Tensor, step: int) -> torch.Tensor:
        """Score step-``step`` features: ``blocks[step - 1]``, ..., ``blocks[0]``, then the head.

        Shapes:
            h: [N, channels[step], 4 * 2**step, 4 * 2**step] -> [N, 1].
        """
        for k in range(step, 0, -1):
            h = self.blocks[k - 1](h)  # [N, channels[k - 1], H/2, W/2]
        return self.head(h)  # [N, 1]

    def check_input(self, x: torch.Tensor, step: int, alpha: Alpha) -> None:
        """Raise a ValueError unless ``x`` is a batch of images at the resolution of ``step``."""
        self.check_step(step, alpha)
        side = resolution_of(step)
        if x.dim() != 4 or tuple(x.shape[1:]) != (self.img_channels, side, side):
            raise ValueError(
                f"at step {step} ProDiscriminator expects images [N, {self.img_channels}, "
                f"{side}, {side}], got {list(x.shape)}"
            )

    def forward(self, x: torch.Tensor, step: int, alpha: Alpha) -> torch.Tensor:
        self.check_input(x, step, alpha)
        if step == 0:
            return self.trunk(self.from_rgb[0](x), 0)  # [N, 1]
        old = self.from_rgb[step - 1](downsample(x))  # [N, C_old, R/2, R/2]
        new = self.blocks[step - 1](self.from_rgb[step](x))  # [N, C_old, R/2, R/2]
        return self.trunk(fade_in(old, new, alpha), step - 1)  # [N, 1]


# --- sampling ---------------------------------------------------------------------------------


def decode(G: nn.Module, z: torch.Tensor, step: int, alpha: Alpha = 1.0) -> torch.Tensor:
    """Run G on ``z`` in eval mode without autograd, restoring its mode afterwards.

    Shapes:
        z: [n, z_dim] on G's device -> [n, img_channels, R, R], R = 4 * 2**step, unclamped.

    Taught in: 04-progan, section 6.
    """
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad():
            return G(z, step, alpha)
    finally:
        G.train(was_training)


def generate(
    G: nn.Module,
    n: int = 64,
    step: int | None = None,
    alpha: Alpha = 1.0,
    seed: int = 0,
) -> torch.Tensor:
    """Sample ``n`` images with z from a CPU generator seeded with ``seed``, clamped to [-1, 1].

    The generator's output is linear, as in the paper; like the paper's image export, this
    clips it to the pixel range.

    Args:
        G: a :class:`ProGenerator` (or any module with ``z_dim`` and ``max_step``).
        n: number of images.
        step: resolution to sample at; the highest (``G.max_step``) when None.
        alpha: fade-in weight of that resolution.
        seed: seeds the latent codes.

    Shapes:
        returns [n, img_channels, 4 * 2**step, 4 * 2**step] on G's device.

    Taught in: 04-progan, section 6.
    """
    positive_int(n, "n")
    step = G.max_step if step is None else step
    device = next(G.parameters()).device
    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))  # [n, z_dim]
    return decode(G, z.to(device), step, alpha).clamp(-1.0, 1.0)


# --- training ---------------------------------------------------------------------------------


def critic_loss(
    real_scores: torch.Tensor,
    fake_scores: torch.Tensor,
    penalty: torch.Tensor,
    gp_weight: float = 10.0,
    drift: float = 0.001,
) -> torch.Tensor:
    """WGAN-GP critic loss with ProGAN's drift term.

    E[D(fake)] - E[D(real)] + gp_weight * penalty + drift * E[D(real)^2]
    (Gulrajani et al. 2017, eq. 3; Karras et al. 2018, appendix A.1: epsilon_drift = 0.001
    keeps the critic's scores from drifting far from zero).

    Shapes:
        real_scores: [N, 1] or [N]; fake_scores: [M, 1] or [M]; penalty: scalar -> scalar.

    Taught in: 04-progan, section 5.
    """
    wasserstein = fake_scores.mean() - real_scores.mean()
    return wasserstein + gp_weight * penalty + drift * real_scores.pow(2).mean()


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss: -E[D(G(z))].

    Shapes:
        fake_scores: [N, 1] or [N] -> scalar.

    Taught in: 04-progan, section 5.
    """
    return -fake_scores.mean()


def progressive_reals(real: torch.Tensor, step: int, fade_alpha: Alpha = 1.0) -> torch.Tensor:
    """Real images as the critic sees them at ``step``: pooled down, and faded like the fakes.

    Karras et al. (2018), appendix A.1: reals are downsampled (average pooling) to the current
    resolution, and while a resolution fades in they are blended like the generator's output:
    fade_in(upsample(downsample(x)), x, fade_alpha), with x the reals at the new resolution.

    Shapes:
        real: [N, C, S, S] with S a multiple of R -> [N, C, R, R], R = 4 * 2**step.

    Taught in: 04-progan, section 5.
    """
    side = resolution_of(step)
    if real.dim() != 4 or real.shape[-1] != real.shape[-2] or real.shape[-1] % side:
        raise ValueError(f"cannot pool images of shape {list(real.shape)} to {side}x{side}")
    factor = real.shape[-1] // side
    x = F.avg_pool2d(real, factor) if factor > 1 else real  # [N, C, R, R]
    if step == 0:
        return x
    return fade_in(upsample(downsample(x)), x, fade_alpha)  # [N, C, R, R]


def critic_step(
    G: nn.Module,
    D: nn.Module,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    step: int,
    fade_alpha: Alpha,
    gp_weight: float = 10.0,
    drift: float = 0.001,
) -> dict[str, torch.Tensor]:
    """(1) Update the critic once on real images (already at ``step``'s resolution) and fakes.

    Returns the critic loss, its Wasserstein estimate and the gradient penalty (tensors).

    Taught in: 04-progan, section 5.
    """
    z = torch.randn(real.shape[0], G.z_dim, device=real.device)  # [N, z_dim]
    with torch.no_grad():
        fake = G(z, step, fade_alpha)  # [N, C, R, R]
    real_scores, fake_scores = D(real, step, fade_alpha), D(fake, step, fade_alpha)
    penalty = gradient_penalty(lambda x: D(x, step, fade_alpha), real, fake)
    loss = critic_loss(real_scores, fake_scores, penalty, gp_weight, drift)
    opt_D.zero_grad(set_to_none=True)
    loss.backward()
    opt_D.step()
    return {
        "d_loss": loss.detach(),
        "wasserstein": (real_scores.mean() - fake_scores.mean()).detach(),
        "gp": penalty.detach(),
    }


def generator_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    n: int,
    step: int,
    fade_alpha: Alpha,
    device: torch.device | str = "cpu",
) -> dict[str, torch.Tensor]:
    """(2) Update the generator once through the critic on ``n`` fresh fakes.

    Taught in: 04-progan, section 5.
    """
    z = torch.randn(n, G.z_dim, device=device)  # [n, z_dim]
    loss = generator_loss(D(G(z, step, fade_alpha), step, fade_alpha))
    opt_G.zero_grad(set_to_none=True)
    loss.backward()
    opt_G.step()
    return {"g_loss": loss.detach()}


@dataclass
class ProGANConfig:
    """Hyper-parameters of Lesson 4's progressive run on MNIST padded to 32x32.

    Index k of each tuple is step k (resolution 4 * 2**k). Defaults suit a GPU; the shipped
    checkpoint's CPU recipe is in ``helpers.pretrained``. Smoke mode runs ``smoke_steps``
    iterations per phase instead.
    """

    z_dim: int = 128  # length of the latent code z
    channels: tuple[int, ...] = (64, 64, 32, 16)  # feature maps at 4x4, 8x8, 16x16, 32x32
    batch_sizes: tuple[int, ...] = (64, 64, 64, 64)  # real images per iteration, per step
    fade_steps: tuple[int, ...] = (0, 2000, 2000, 2000)  # fade-in iterations (none at 4x4)
    stable_steps: tuple[int, ...] = (2000, 2000, 2000, 4000)  # iterations after the fade
    lr: float = 1e-3  # Adam learning rate of both networks (appendix A.1)
    betas: tuple[float, float] = (0.0, 0.99)  # Adam beta1, beta2 (appendix A.1)
    gp_weight: float = 10.0  # lambda of WGAN-GP
    drift: float = 0.001  # epsilon_drift on E[D(x_real)^2]
    group_size: int = 4  # minibatch-stddev group
    ema_decay: float = 0.999  # generator weight averaging; 0 turns it off
    smoke_steps: int = 2  # iterations per phase while grading or in smoke runs
    log_every: int = 200  # iterations between logging points
    smoke_log_every: int = 1
    seed: int = 0  # shuffling of the reals

    @classmethod
    def for_device(cls, device: torch.device | str) -> ProGANConfig:
        """The full schedule on a GPU; on a CPU (or MPS) a short one of 300 iterations per
        phase at batch 32, which grows to 32x32 in minutes (the shipped checkpoint trained
        12,000 iterations in about an hour)."""
        if torch.device(device).type == "cuda":
            return cls()
        return cls(batch_sizes=(32, 32, 32, 32), fade_steps=(0, 300, 300, 300),
                   stable_steps=(300, 300, 300, 300), log_every=100)  # fmt: skip

    def __post_init__(self) -> None:
        k = len(self.channels)
        for name in ("batch_sizes", "fade_steps", "stable_steps"):
            if len(getattr(self, name)) != k:
                raise ValueError(f"{name} needs one entry per resolution ({k}), like channels")
        if self.fade_steps[0] != 0:
            raise ValueError("there is nothing to fade in at 4x4: fade_steps[0] must be 0")


def _betas(config: ProGANConfig) -> tuple[float, float]:
    """Adam's betas as floats (Adam rejects the int 0 in ``(0, 0.99)``)."""
    beta1, beta2 = config.betas
    return float(beta1), float(beta2)


def train_iteration(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    step: int,
    fade_alpha: Alpha,
    config: ProGANConfig,
    G_ema: nn.Module | None = None,
) -> dict[str, torch.Tensor]:
    """One training iteration at ``step``: (1) a critic step, (2) a generator step, then EMA.

    Karras et al. (2018), appendix A.1: the reals are pooled to the current resolution and
    faded like the fakes (:func:`progressive_reals`), the critic minimises WGAN-GP plus drift
    (:func:`critic_step`), the generator -E[D(G(z))] on as many fresh fakes
    (:func:`generator_step`), and ``G_ema``, if given, follows G (:func:`update_ema`).
    :func:`train_progressive` runs it every iteration; ``python -m helpers.bench`` times it.

    Args:
        G, D, opt_G, opt_D: the networks and their optimizers.
        real: a batch of real images at any multiple of the step's resolution.
        step, fade_alpha: the resolution and its fade-in weight.
        config: ``gp_weight``, ``drift`` and ``ema_decay``.
        G_ema: the moving-average copy of G, or None.

    Returns:
        the critic's and the generator's logs (detached tensors).

    Shapes:
        real: [N, C, S, S], S a multiple of 4 * 2**step.

    Taught in: 04-progan, section 5.
    """
    real = progressive_reals(real, step, fade_alpha)  # [N, C, R, R]
    logs = critic_step(G, D, opt_D, real, step, fade_alpha, config.gp_weight, config.drift)
    logs |= generator_step(G, D, opt_G, real.shape[0], step, fade_alpha, real.device)
    if G_ema is not None:
        update_ema(G_ema, G, config.ema_decay)
    return logs


def _phase(
    G: nn.Module,
    D: nn.Module,
    opts: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    batches: DeviceBatches,
    step: int,
    num_iterations: int,
    fade_iterations: int,
    config: ProGANConfig,
    G_ema: nn.Module | None,
    on_log: Callable[[int, dict[str, float]], None] | None,
    offset: int = 0,
    checkpoint: Checkpoint | None = None,
) -> History:
    """One fade or stable phase at ``step`` through :func:`helpers.training.train_gan`."""
    counter = Counter()  # iterations of this phase; a checkpoint keeps it for the fade-in

    def one_iteration(G, D, opt_G, opt_D, real):  # train_gan's step_fn
        fade_alpha = alpha_schedule(next(counter), fade_iterations)
        logs = train_iteration(G, D, opt_G, opt_D, real, step, fade_alpha, config, G_ema)
        return {**logs, "fade_alpha": fade_alpha}

    def log(i: int, means: dict[str, float]) -> None:
        if on_log is not None:
            on_log(offset + i, {"resolution": float(resolution_of(step)), **means})

    return train_gan(
        G,
        D,
        *opts,
        batches,
        num_iterations,
        one_iteration,
        log_every=budget(config.log_every, config.smoke_log_every),
        on_log=log,
        checkpoint=checkpoint,
        resumable={"counter": counter, **({} if G_ema is None else {"G_ema": G_ema})},
    )


def train_progressive(
    G: ProGenerator,
    D: ProDiscriminator,
    images: torch.Tensor,
    config: ProGANConfig,
    device: torch.device | str = "cpu",
    G_ema: ProGenerator | None = None,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    on_stage_end: Callable[[int, ProGenerator], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> list[History]:
    """Grow G and D through every resolution: at each step a fade phase, then a stable phase.

    Karras et al. (2018), section 2 and appendix A.1: 4x4 trains alone, then each new
    resolution fades in (alpha 0 -> 1 over ``fade_steps[k]`` iterations) and trains stable for
    ``stable_steps[k]``. Adam (lr, betas from ``config``) starts afresh at each resolution.

    Args:
        G, D: networks built with ``config.channels`` (on ``device``).
        images: uint8 [N, C, S, S] (e.g. MNIST padded to 32x32) or float in [-1, 1].
        config: the schedule and hyper-parameters.
        device: where the data and the networks live.
        G_ema: an optional copy of G updated as a moving average (e.g. ``copy.deepcopy(G)``).
        on_log: called as ``on_log(iteration, means)`` at each logging point of each phase,
            with "resolution" and "fade_alpha" among the means.
        on_stage_end: called as ``on_stage_end(step, G_ema or G)`` after each resolution, e.g.
            to draw a sample grid.
        checkpoint: if given, each phase saves beside it (``checkpoint.part("8x8-fade")``)
            and a run started again resumes in the phase where it stopped; finished phases
            are restored from their last save, not trained again.

    Returns:
        one :class:`helpers.training.History` per phase, in order.

    Taught in: 04-progan, section 5.
    """
    histories: list[History] = []
    done = 0  # iterations of all earlier phases, so on_log counts across phases
    for step in range(min(G.max_step, D.max_step) + 1):
        batches = DeviceBatches(images, config.batch_sizes[step], device, config.seed + step)
        opts = tuple(
            torch.optim.Adam(net.parameters(), lr=config.lr, betas=_betas(config)) for net in (G, D)
        )
        fade = budget(config.fade_steps[step], min(config.fade_steps[step], config.smoke_steps))
        stable = budget(config.stable_steps[step], config.smoke_steps)
        side = resolution_of(step)
        for length, fade_length, kind in ((fade, fade, "fade"), (stable, 0, "stable")):
            if length > 0:
                part = None if checkpoint is None else checkpoint.part(f"{side}x{side}-{kind}")
                histories.append(_phase(G, D, opts, batches, step, length, fade_length, config,
                                        G_ema, on_log, done, part))  # fmt: skip
                done += length
        if on_stage_end is not None:
            on_stage_end(step, G_ema if G_ema is not None else G)
    return histories


def make_networks(
    config: ProGANConfig, device: torch.device | str = "cpu"
) -> tuple[ProGenerator, ProDiscriminator, ProGenerator]:
    """Build G, D and G's moving-average copy from ``config`` on ``device``."""
    G = ProGenerator(config.z_dim, config.channels).to(device)
    D = ProDiscriminator(config.channels, group_size=config.group_size).to(device)
    return G, D, copy.deepcopy(G)


# --- the shipped checkpoint -------------------------------------------------------------------

PRETRAINED_CONFIG = ProGANConfig(
    batch_sizes=(32, 32, 32, 32),
    fade_steps=(0, 2000, 1500, 1500),
    stable_steps=(2000, 2000, 1500, 1500),
    log_every=250,
)
"""The CPU recipe of ``helpers/weights/progan.pt`` (about an hour on one CPU thread)."""


def train_pretrained(
    config: ProGANConfig | None = None,
    device: torch.device | str = "cpu",
    samples_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
    checkpoint: Checkpoint | None = None,
) -> tuple[ProGenerator, dict[str, object]]:
    """Train the course's ProGAN checkpoint on MNIST padded to 32x32 and describe how.

    Run through ``python -m helpers.pretrained train progan``, which saves the returned
    moving-average generator with the returned recipe (:mod:`helpers.pretrained`).

    Args:
        config: the schedule; :data:`PRETRAINED_CONFIG` when None.
        device: where to train.
        samples_dir: if given, a 64-sample grid is saved there after each resolution.
        log: receives one progress line per logging point.
        checkpoint: resume from (and save to) this checkpoint, e.g. after an interruption.

    Returns:
        the moving-average generator (eval mode) and a recipe dict (data, config, iterations,
        seconds per resolution, whether smoke mode cut the run short).
    """
    from .data import load_mnist, pad_to
    from .plotting import save_images
    from .runtime import is_smoke, seed_everything

    config = config or PRETRAINED_CONFIG
    seed_everything(config.seed)
    digits, _ = load_mnist(verbose=False)
    images = pad_to(digits, 32)  # [N, 1, 32, 32] uint8
    G, D, G_ema = make_networks(config, device)
    stages: list[dict[str, float]] = []
    start = last = time.perf_counter()

    def on_log(iteration: int, means: dict[str, float]) -> None:
        values = " ".join(f"{k}={v:.4g}" for k, v in means.items())
        log(f"[{time.perf_counter() - start:7.0f} s] it {iteration:6d} {values}")
        if samples_dir is not None:  # progress picture at the current resolution and fade
            step = int(math.log2(means["resolution"])) - 2
            fade = means["fade_alpha"] if step > 0 else 1.0
            save_images(generate(G_ema, 64, step, fade), Path(samples_dir) / "progan-latest.png")

    def on_stage_end(step: int, G_sample: nn.Module) -> None:
        nonlocal last
        now = time.perf_counter()
        stages.append({"resolution": resolution_of(step), "seconds": round(now - last, 1)})
        last = now
        if samples_dir is not None:
            side = resolution_of(step)
            save_images(generate(G_sample, 64, step), Path(samples_dir) / f"progan-{side}.png")

    train_progressive(G, D, images, config, device, G_ema, on_log, on_stage_end, checkpoint)
    seconds = time.perf_counter() - start
    recipe: dict[str, object] = {
        "data": f"MNIST, {images.shape[0]} training digits, padded to 32x32, scaled to [-1, 1]",
        "model": "moving average of the generator's weights (G_ema)",
        "config": asdict(config),
        "iterations": sum(config.fade_steps) + sum(config.stable_steps),
        "seconds": round(seconds),
        "seconds_per_resolution": stages,
        "smoke": is_smoke(),
    }
    return G_ema.eval(), recipe
