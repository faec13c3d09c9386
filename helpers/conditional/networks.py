"""The class-conditional generator and three discriminators that differ only in where the label
enters: as input channels (cGAN), through the projection head, or not at all (AC-GAN, which
predicts it instead).

Every network works on MNIST's 28 x 28 digits, the size the course's classifier reads. The
three discriminators share their body, :class:`DigitFeatures`, so a comparison between them
is a comparison of the conditioning alone.
"""

from __future__ import annotations

import torch
from torch import nn

from ..validation import positive_int
from .conditioning import Projection, conditional_input, label_maps

__all__ = [
    "AuxiliaryClassifierDiscriminator",
    "ConditionalGenerator",
    "DigitFeatures",
    "LabelMapDiscriminator",
    "ProjectionDiscriminator",
]


class ConditionalGenerator(nn.Module):
    """G(z, y): a DCGAN-style generator whose input is ``[z, one_hot(y)]`` (Mirza and Osindero).

    Linear to ``[2b, 7, 7]``, then two transposed convolutions (4 x 4, stride 2) to 14 x 14
    and 28 x 28, batch norm and ReLU between them, Tanh at the end (Radford et al. 2016).

    Args:
        z_dim: length of the latent code z.
        num_classes: number of classes (10 digits).
        base_channels: b, the channels at 14 x 14 (2b at 7 x 7).

    Shapes:
        z: [N, z_dim], labels: [N] integers -> images [N, 1, 28, 28] in (-1, 1).

    Taught in: 06-conditional, section 2.
    """

    def __init__(self, z_dim: int = 64, num_classes: int = 10, base_channels: int = 16):
        super().__init__()
        for value, name in ((z_dim, "z_dim"), (num_classes, "num_classes"),
                            (base_channels, "base_channels")):  # fmt: skip
            positive_int(value, name)
        self.z_dim, self.num_classes, self.base_channels = z_dim, num_classes, base_channels
        b = base_channels
        self.project = nn.Sequential(
            nn.Linear(z_dim + num_classes, 2 * b * 7 * 7), nn.BatchNorm1d(2 * b * 7 * 7), nn.ReLU()
        )  # fmt: skip
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * b, b, 4, stride=2, padding=1),  # [N, b, 14, 14]
            nn.BatchNorm2d(b),
            nn.ReLU(),
            nn.ConvTranspose2d(b, 1, 4, stride=2, padding=1),  # [N, 1, 28, 28]
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must be [N, {self.z_dim}], got {list(z.shape)}")
        h = self.project(conditional_input(z, labels, self.num_classes))  # [N, 2b * 49]
        return self.upsample(h.reshape(-1, 2 * self.base_channels, 7, 7))  # [N, 1, 28, 28]


class DigitFeatures(nn.Module):
    """phi(x): the discriminators' shared body, from 28 x 28 images to a feature vector.

    Two 4 x 4 convolutions of stride 2 (28 -> 14 -> 7) and a linear layer, each followed by
    LeakyReLU(0.2); no normalisation, so each image's features depend on that image alone.

    Args:
        in_channels: image channels (plus label maps, for the cGAN discriminator).
        base_channels: b, channels of the first convolution (2b for the second).
        feature_dim: length of the feature vector.

    Shapes:
        x: [N, in_channels, 28, 28] -> [N, feature_dim].

    Taught in: 06-conditional, section 2.
    """

    def __init__(self, in_channels: int = 1, base_channels: int = 16, feature_dim: int = 128):
        super().__init__()
        b = base_channels
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, b, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # [N, b, 14, 14]
            nn.Conv2d(b, 2 * b, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # [N, 2b, 7, 7]
            nn.Flatten(),  # [N, 2b * 49]
            nn.Linear(2 * b * 7 * 7, feature_dim), nn.LeakyReLU(0.2),  # [N, feature_dim]
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)  # [N, feature_dim]


class _Discriminator(nn.Module):
    """What the three discriminators keep: their sizes, for checkpoints and comparisons."""

    def __init__(self, num_classes: int, base_channels: int, feature_dim: int):
        super().__init__()
        for value, name in ((num_classes, "num_classes"), (base_channels, "base_channels"),
                            (feature_dim, "feature_dim")):  # fmt: skip
            positive_int(value, name)
        self.num_classes, self.base_channels = num_classes, base_channels
        self.feature_dim = feature_dim


class LabelMapDiscriminator(_Discriminator):
    """D(x, y) of a cGAN: the label as ``num_classes`` constant maps beside the image.

    ``psi(phi([x, maps(y)]))``: the label meets the image at the first convolution.

    Shapes:
        x: [N, 1, 28, 28], labels: [N] integers -> logits [N, 1].

    Taught in: 06-conditional, section 2 (the maps: exercise 2).
    """

    def __init__(self, num_classes: int = 10, base_channels: int = 16, feature_dim: int = 128):
        super().__init__(num_classes, base_channels, feature_dim)
        self.phi = DigitFeatures(1 + num_classes, base_channels, feature_dim)
        self.psi = nn.Linear(feature_dim, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.psi(self.phi(label_maps(x, labels, self.num_classes)))  # [N, 1]


class ProjectionDiscriminator(_Discriminator):
    """D(x, y) of Miyato and Koyama (2018): features of the image alone, then the projection.

    Shapes:
        x: [N, 1, 28, 28], labels: [N] integers -> logits [N, 1].

    Taught in: 06-conditional, section 2 (the head: exercise 3).
    """

    def __init__(self, num_classes: int = 10, base_channels: int = 16, feature_dim: int = 128):
        super().__init__(num_classes, base_channels, feature_dim)
        self.phi = DigitFeatures(1, base_channels, feature_dim)
        self.head = Projection(feature_dim, num_classes)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.head(self.phi(x), labels)  # [N, 1]


class AuxiliaryClassifierDiscriminator(_Discriminator):
    """D(x) of AC-GAN (Odena, Olah and Shlens, 2017): a real/fake logit and class logits.

    It is not told the label: it predicts it, and both networks are trained to make that
    prediction right (the auxiliary classifier loss, exercise 5).

    Shapes:
        x: [N, 1, 28, 28] -> (source logits [N, 1], class logits [N, num_classes]).

    Taught in: 06-conditional, section 5.
    """

    def __init__(self, num_classes: int = 10, base_channels: int = 16, feature_dim: int = 128):
        super().__init__(num_classes, base_channels, feature_dim)
        self.phi = DigitFeatures(1, base_channels, feature_dim)
        self.psi = nn.Linear(feature_dim, 1)
        self.classify = nn.Linear(feature_dim, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.phi(x)  # [N, feature_dim]
        return self.psi(features), self.classify(features)  # [N, 1], [N, K]
