"""Stand-in networks for test cells: small, deterministic, and easy to reason about.

A student's training step is run with these instead of the lesson's networks, so its result
can be compared exactly with the reference step's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BufferedCritic", "ConstantGenerator", "LinearDiscriminator", "NonlinearCritic"]


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


class NonlinearCritic(nn.Module):
    """A stand-in critic whose gradient with respect to its input changes with the input.

    C(x) = v . tanh(W x + b): unlike a linear critic (the same gradient everywhere), a
    gradient penalty taken at the wrong points (the real samples, the fakes) gives another
    value than one taken between real and fake samples, so a test can tell where it was
    taken. Deterministic for a given ``seed`` (the global random state is not touched); no
    buffers, no dropout.

    Shapes:
        x: [N, img_dim] or [N, C, H, W] -> scores [N, 1].
    """

    def __init__(self, img_dim: int = 784, hidden: int = 16, seed: int = 3):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.hidden = nn.Linear(img_dim, hidden)
            self.out = nn.Linear(hidden, 1)
            with torch.no_grad():
                self.hidden.weight.mul_(2 * 3**0.5)  # pre-activations of about unit size
                self.hidden.bias.normal_(0, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.hidden(x.reshape(x.shape[0], -1)))  # [N, hidden]
        return self.out(h)  # [N, 1]


class BufferedCritic(nn.Module):
    """A stand-in critic with buffers next to its parameters, as real critics have.

    A spectrally normalised layer (its power-iteration vectors ``_u`` and ``_v`` are
    buffers) and a batch norm (``running_mean``, ``running_var`` and the integer
    ``num_batches_tracked``). Code that should touch parameters only (weight clipping) must
    leave every buffer alone; code that walks ``state_dict()`` instead reaches them.
    Deterministic for a given ``seed`` (the global random state is not touched).

    Shapes:
        x: [N, img_dim] or [N, C, H, W] -> scores [N, 1].
    """

    def __init__(self, img_dim: int = 784, hidden: int = 8, seed: int = 4):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.first = nn.utils.parametrizations.spectral_norm(nn.Linear(img_dim, hidden))
            self.norm = nn.BatchNorm1d(hidden)
            self.out = nn.Linear(hidden, 1)
            with torch.no_grad():
                self.norm.running_mean.normal_(0, 0.1)
                self.norm.running_var.uniform_(0.5, 2.0)
                self.norm.num_batches_tracked.fill_(7)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.first(x.reshape(x.shape[0], -1)))  # [N, hidden]
        return self.out(F.leaky_relu(h, 0.2))  # [N, 1]
