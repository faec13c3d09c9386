"""The DCGAN-style generator and critic that Lesson 3 trains, and a look at the critic's weights."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm


def critic_weights(critic: nn.Module) -> torch.Tensor:
    """Every weight of the critic's layers (no biases) in one flat CPU tensor, for histograms.

    Taught in: 03-wgan, section 4.
    """
    weights = [p.detach().reshape(-1) for name, p in critic.named_parameters() if "weight" in name]
    return torch.cat(weights).cpu()


class ConvGenerator(nn.Module):
    """DCGAN-style generator for 32 x 32 images (Radford et al., 2016, section 3).

    z is projected to a 4 x 4 map, then three transposed convolutions with stride 2
    double the size (4 -> 8 -> 16 -> 32); batch norm and ReLU after every layer but the
    last, which ends in Tanh. No pooling, no fully connected hidden layers.

    Args:
        z_dim: length of the latent code.
        img_channels: channels of the images (1 for MNIST).
        base_channels: channels at 16 x 16; 2x at 8 x 8 and 4x at 4 x 4.

    Shapes:
        z: [N, z_dim] -> images [N, img_channels, 32, 32] in (-1, 1).

    Taught in: 03-wgan, section 1.
    """

    def __init__(self, z_dim: int = 100, img_channels: int = 1, base_channels: int = 64):
        super().__init__()
        self.z_dim = z_dim
        width = 4 * base_channels
        self.project = nn.Sequential(
            nn.Linear(z_dim, width * 4 * 4, bias=False), nn.BatchNorm1d(width * 4 * 4), nn.ReLU()
        )
        self.width = width

        def up(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                    nn.BatchNorm2d(c_out), nn.ReLU()]  # fmt: skip

        self.body = nn.Sequential(
            *up(width, 2 * base_channels),  # [N, 2b, 8, 8]
            *up(2 * base_channels, base_channels),  # [N, b, 16, 16]
            nn.ConvTranspose2d(base_channels, img_channels, 4, stride=2, padding=1),
            nn.Tanh(),  # [N, img_channels, 32, 32]
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape [N, {self.z_dim}], got {list(z.shape)}")
        x = self.project(z).reshape(-1, self.width, 4, 4)  # [N, 4b, 4, 4]
        return self.body(x)  # [N, img_channels, 32, 32]


class ConvCritic(nn.Module):
    """DCGAN-style critic for 32 x 32 images, without batch norm, returning a raw score.

    Three strided convolutions halve the size (32 -> 16 -> 8 -> 4) with LeakyReLU(0.2),
    then a linear layer gives one unbounded score per image (no sigmoid). There is no batch
    norm: it makes each score depend on the other images of the batch, while the critic of
    WGAN-GP must be a function of one image, whose gradient the penalty constrains per sample
    (Gulrajani et al., section 4). ``spectral_norm=True`` wraps every layer in spectral
    normalisation (Miyato et al., 2018), a third way to a Lipschitz critic.

    Shapes:
        x: [N, img_channels, 32, 32] -> scores [N, 1].

    Taught in: 03-wgan, section 1.
    """

    def __init__(self, img_channels: int = 1, base_channels: int = 64, spectral_norm: bool = False):
        super().__init__()
        self.img_channels = img_channels
        wrap = _spectral_norm if spectral_norm else (lambda layer: layer)
        b = base_channels
        self.body = nn.Sequential(
            wrap(nn.Conv2d(img_channels, b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(b, 2 * b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(2 * b, 4 * b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
        )  # fmt: skip  # [N, 4b, 4, 4]
        self.head = wrap(nn.Linear(4 * b * 4 * 4, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (self.img_channels, 32, 32):
            raise ValueError(
                f"expected images [N, {self.img_channels}, 32, 32], got {list(x.shape)}"
            )
        features = self.body(x).flatten(1)  # [N, 4b * 16]
        return self.head(features)  # [N, 1]
