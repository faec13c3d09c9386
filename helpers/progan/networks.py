"""ProGAN's growing generator and critic, built from :mod:`helpers.progan.layers`.

Karras et al. (2018), table 2 and figure 2: both networks start at 4x4 and gain one block per
doubling of the resolution; ``forward(x, stage, alpha)`` runs the network at resolution
4 * 2**stage with the newest block faded in by ``alpha``.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import positive_int
from .layers import (
    Alpha,
    EqualizedConv2d,
    EqualizedLinear,
    MinibatchStdDev,
    PixelNorm,
    downsample,
    fade_in,
    pixel_norm,
    resolution_of,
    upsample,
)

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
    """Shared checks of the two growing networks (stage range, fade weight)."""

    channels: tuple[int, ...]

    @property
    def max_stage(self) -> int:
        return len(self.channels) - 1

    @property
    def img_resolution(self) -> int:
        return resolution_of(self.max_stage)

    def check_stage(self, stage: int, alpha: Alpha) -> None:
        if (
            isinstance(stage, bool)
            or not isinstance(stage, int)
            or not 0 <= stage <= self.max_stage
        ):
            raise ValueError(
                f"stage must be an int in 0..{self.max_stage} (4x4..{self.img_resolution}x"
                f"{self.img_resolution}), got {stage!r}"
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

    ``channels[k]`` features at resolution 4 * 2**k. ``trunk(z, stage)`` runs the layers up
    to one resolution, ``blocks[k - 1]`` grows features from stage k - 1 to stage k and
    ``to_rgb[k]`` turns stage-k features into an image, so :meth:`forward` is the fade-in
    formula of section 2:

        image = fade_in(upsample(to_rgb[k-1](h)), to_rgb[k](blocks[k-1](h)), alpha),
        h = trunk(z, k - 1).

    Args:
        z_dim: length of the latent code z.
        channels: feature maps per resolution, 4x4 first (four entries reach 32x32).
        img_channels: channels of the images (1 for MNIST).

    Shapes:
        z: [N, z_dim] -> images [N, img_channels, 4 * 2**stage, 4 * 2**stage] (linear output,
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

    def trunk(self, z: torch.Tensor, stage: int) -> torch.Tensor:
        """Features at resolution ``stage``: the input block, then ``blocks[:stage]``.

        Shapes:
            z: [N, z_dim] -> [N, channels[stage], 4 * 2**stage, 4 * 2**stage].
        """
        x = self.input(z)  # [N, channels[0], 4, 4]
        for block in self.blocks[:stage]:
            x = block(x)  # [N, channels[k], 2H, 2W]
        return x

    def check_input(self, z: torch.Tensor, stage: int, alpha: Alpha) -> None:
        """Raise a ValueError unless ``z`` is [N, z_dim] and ``stage`` is a valid resolution."""
        self.check_stage(stage, alpha)
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"ProGenerator expects z of shape [N, {self.z_dim}], got {list(z.shape)}"
            )

    def forward(self, z: torch.Tensor, stage: int, alpha: Alpha) -> torch.Tensor:
        self.check_input(z, stage, alpha)
        if stage == 0:
            return self.to_rgb[0](self.trunk(z, 0))  # [N, img_channels, 4, 4]
        h = self.trunk(z, stage - 1)  # [N, C_old, R/2, R/2]
        old = upsample(self.to_rgb[stage - 1](h))  # [N, img_channels, R, R]
        new = self.to_rgb[stage](self.blocks[stage - 1](h))  # [N, img_channels, R, R]
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
    4 * 2**k to ``channels[k]`` features, ``blocks[k - 1]`` halves stage-k features to stage
    k - 1, and ``trunk(h, stage)`` runs the remaining blocks and the 4x4 head. :meth:`forward`
    fades in at the input (section 2):

        score = trunk(fade_in(from_rgb[k-1](downsample(x)), blocks[k-1](from_rgb[k](x)),
                              alpha), k - 1).

    Args:
        channels: feature maps per resolution, 4x4 first (as for the generator).
        img_channels: channels of the images (1 for MNIST).
        group_size: the minibatch-stddev group size.

    Shapes:
        x: [N, img_channels, 4 * 2**stage, 4 * 2**stage] -> scores [N, 1], unbounded.

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
            for c_out, c_in in itertools.pairwise(self.channels)  # blocks[k-1]: stage k -> k-1
        )
        self.head = DiscriminatorHead(self.channels[0], group_size)

    def trunk(self, h: torch.Tensor, stage: int) -> torch.Tensor:
        """Score stage-``stage`` features: ``blocks[stage - 1]``, ..., ``blocks[0]``, then the head.

        Shapes:
            h: [N, channels[stage], 4 * 2**stage, 4 * 2**stage] -> [N, 1].
        """
        for k in range(stage, 0, -1):
            h = self.blocks[k - 1](h)  # [N, channels[k - 1], H/2, W/2]
        return self.head(h)  # [N, 1]

    def check_input(self, x: torch.Tensor, stage: int, alpha: Alpha) -> None:
        """Raise a ValueError unless ``x`` is a batch of images at the resolution of ``stage``."""
        self.check_stage(stage, alpha)
        side = resolution_of(stage)
        if x.dim() != 4 or tuple(x.shape[1:]) != (self.img_channels, side, side):
            raise ValueError(
                f"at stage {stage} ProDiscriminator expects images [N, {self.img_channels}, "
                f"{side}, {side}], got {list(x.shape)}"
            )

    def forward(self, x: torch.Tensor, stage: int, alpha: Alpha) -> torch.Tensor:
        self.check_input(x, stage, alpha)
        if stage == 0:
            return self.trunk(self.from_rgb[0](x), 0)  # [N, 1]
        old = self.from_rgb[stage - 1](downsample(x))  # [N, C_old, R/2, R/2]
        new = self.blocks[stage - 1](self.from_rgb[stage](x))  # [N, C_old, R/2, R/2]
        return self.trunk(fade_in(old, new, alpha), stage - 1)  # [N, 1]
