"""Reference implementations for Lesson 1: the vanilla GAN of Goodfellow et al. (2014).

"Generative Adversarial Nets", https://arxiv.org/abs/1406.2661. The value function (eq. 1)

    min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

is trained with the non-saturating generator loss the paper recommends (section 3):
G maximises log D(G(z)) instead of minimising log(1 - D(G(z))).
Hidden tests in ``01-vanilla-gan`` compare the student's functions with these.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .fast import FastOptions, FastStep, frozen
from .validation import positive_int

__all__ = [
    "FastTrainStep",
    "VanillaGANConfig",
    "decode",
    "Discriminator",
    "Generator",
    "discriminator_loss",
    "generate",
    "generator_loss",
    "sample_noise",
    "train_step",
]


def sample_noise(
    n: int, z_dim: int, device: torch.device | str = "cpu", generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw latent codes z ~ N(0, I), the prior p_z(z) of eq. (1).

    Args:
        n: number of codes (batch size), a positive int.
        z_dim: length of each code, a positive int.
        device: where the codes are created.
        generator: optional ``torch.Generator`` (on ``device``) for reproducible draws.

    Shapes:
        returns [n, z_dim], float32.

    Taught in: 01-vanilla-gan, exercise 1.
    """
    positive_int(n, "n")
    positive_int(z_dim, "z_dim")
    return torch.randn(n, z_dim, device=device, generator=generator)


class Generator(nn.Module):
    """The MLP generator G(z): 100 -> 256 -> 512 -> 1024 -> 784.

    LeakyReLU(0.2) after each hidden layer keeps a gradient for negative pre-activations;
    Tanh maps the output to [-1, 1], the range the images are scaled to.

    Args:
        z_dim: length of the latent code z.
        img_dim: number of pixels of a flattened image (28 * 28 for MNIST).

    Shapes:
        z: [N, z_dim] -> images: [N, img_dim], values in (-1, 1).

    Taught in: 01-vanilla-gan, exercise 2.
    """

    def __init__(self, z_dim: int = 100, img_dim: int = 784):
        super().__init__()
        positive_int(z_dim, "z_dim")
        positive_int(img_dim, "img_dim")
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.Linear(z_dim, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 1024),
            nn.LeakyReLU(0.2),
            nn.Linear(1024, img_dim),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"Generator expects z of shape [N, {self.z_dim}], got {list(z.shape)}")
        return self.net(z)  # [N, img_dim]


class Discriminator(nn.Module):
    """The MLP discriminator D(x): 784 -> 1024 -> 512 -> 256 -> 1, returning logits.

    LeakyReLU(0.2) and Dropout after each hidden layer. The output is a logit (no sigmoid):
    the losses apply the sigmoid inside a numerically stable BCE-with-logits.

    Args:
        img_dim: number of pixels of a flattened image.
        dropout: dropout probability after each hidden layer.

    Shapes:
        x: [N, img_dim] or [N, C, H, W] with C * H * W == img_dim -> logits: [N, 1].

    Taught in: 01-vanilla-gan, exercise 3.
    """

    def __init__(self, img_dim: int = 784, dropout: float = 0.3):
        super().__init__()
        positive_int(img_dim, "img_dim")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.img_dim = img_dim
        self.net = nn.Sequential(
            nn.Linear(img_dim, 1024),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Linear(1024, 512),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Linear(256, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1)  # [N, C*H*W]
        if x.shape[1] != self.img_dim:
            raise ValueError(
                f"Discriminator expects {self.img_dim} values per image, got {x.shape[1]}"
            )
        return self.net(x)  # [N, 1]


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """BCE loss of D: real images labelled 1, fakes labelled 0 (the negated eq. 1).

    ``mean(-log sigmoid(real_logits)) + mean(-log(1 - sigmoid(fake_logits)))``, each term
    averaged over its own batch, computed from logits so it stays finite for large |logits|.

    Shapes:
        real_logits: [N, 1] or [N]; fake_logits: [M, 1] or [M] -> scalar.

    Taught in: 01-vanilla-gan, exercise 4.
    """
    real_loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real_loss + fake_loss


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating loss of G: fakes labelled 1, i.e. ``mean(-log sigmoid(fake_logits))``.

    Goodfellow et al. (2014), section 3: maximise log D(G(z)) instead of minimising
    log(1 - D(G(z))), whose gradient vanishes while D easily rejects the fakes.

    Shapes:
        fake_logits: [N, 1] or [N] -> scalar.

    Taught in: 01-vanilla-gan, exercise 5.
    """
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def train_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    z_dim: int = 100,
    d_loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    g_loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, float]:
    """One step of Algorithm 1 (k = 1): update D on real and fake, then update G.

    Args:
        G, D: generator and discriminator (on the device of ``real``).
        opt_G, opt_D: their optimizers.
        real: a batch of real samples (images scaled to [-1, 1], or 2-D points).
        z_dim: length of the latent codes.
        d_loss_fn, g_loss_fn: the losses, :func:`discriminator_loss` and
            :func:`generator_loss` by default; Lesson 2 trains LSGAN with the same step.

    Shapes:
        real: [N, 1, 28, 28] or [N, D].

    Returns:
        ``{"d_loss": float, "g_loss": float}``, the losses each update minimised.

    Taught in: 01-vanilla-gan, exercise 6 (loss arguments: 02-bce-limits, section 4).
    """
    if not isinstance(real, torch.Tensor) or real.dim() not in (2, 4):
        raise ValueError("real must be a tensor of shape [N, D] or [N, C, H, W]")
    d_loss_fn = d_loss_fn or discriminator_loss
    g_loss_fn = g_loss_fn or generator_loss
    z = sample_noise(real.shape[0], z_dim, device=real.device)  # [N, z_dim]
    fake = G(z)  # [N, ...] like real

    # (1) update D: fake.detach() keeps this backward pass out of G
    opt_D.zero_grad(set_to_none=True)
    d_loss = d_loss_fn(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()

    # (2) update G through the freshly updated D
    opt_G.zero_grad(set_to_none=True)
    g_loss = g_loss_fn(D(fake))
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}


class FastTrainStep(FastStep):
    """:func:`train_step`'s maths, made fast: a drop-in ``step_fn`` for ``train_gan``.

    The same computation as :func:`train_step`, with these differences, none of which
    changes the maths: D's update runs D once on real and fake images together (one matrix
    multiply with 2N rows per layer instead of two with N, and no summing of two weight
    gradients), which is the same function because D treats each image on its own; D's
    parameters are frozen (:func:`helpers.fast.frozen`) during G's update, so D's weight
    gradients are never computed; gradients are set to None, not zeroed; and the losses come
    back as detached tensors, so the host does not wait for the device every step. Pair it
    with :func:`helpers.fast.fast_optimizer` and :class:`helpers.data.DeviceBatches`.

    With ``concat_real_fake=False`` it makes the same random draws in the same order as
    :func:`train_step` (z, then dropout masks on real, fake and fake again), so with one seed
    and the same optimizers both give identical losses and parameters. With the joint pass
    the masks for real and fake come from one draw: the same distribution, other values.

    Args:
        options: :class:`helpers.fast.FastOptions` (mixed precision, ``torch.compile``).
        concat_real_fake: one D forward pass over real and fake together; needs a D whose
            output for an image does not depend on the rest of its batch (no batch norm,
            no minibatch statistics).

    Shapes:
        real: [N, 1, 28, 28] or [N, D].

    Returns:
        ``{"d_loss": tensor, "g_loss": tensor}``, detached scalars on ``real``'s device.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """

    def __init__(self, options: FastOptions | None = None, concat_real_fake: bool = True):
        super().__init__(options)
        self.concat_real_fake = concat_real_fake

    def __call__(
        self,
        G: nn.Module,
        D: nn.Module,
        opt_G: torch.optim.Optimizer,
        opt_D: torch.optim.Optimizer,
        real: torch.Tensor,
        z_dim: int = 100,
        d_loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        g_loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        if not isinstance(real, torch.Tensor) or real.dim() not in (2, 4):
            raise ValueError("real must be a tensor of shape [N, D] or [N, C, H, W]")
        d_loss_fn = d_loss_fn or discriminator_loss
        g_loss_fn = g_loss_fn or generator_loss
        G_net, D_net, real, n = self.net(G), self.net(D), self.inputs(real), real.shape[0]
        with self.autocast(real.device):
            z = sample_noise(n, z_dim, device=real.device)  # [N, z_dim]
            fake = G_net(z)  # [N, ...] like real
            # (1) update D: fake.detach() keeps this backward pass out of G
            if self.concat_real_fake:
                self.require_samplewise(D, "D")
                logits = D_net(torch.cat([real, fake.detach().reshape(real.shape)]))  # [2N, 1]
                d_loss = d_loss_fn(logits[:n], logits[n:])
            else:
                d_loss = d_loss_fn(D_net(real), D_net(fake.detach()))
        self.minimise(d_loss, opt_D)

        # (2) update G through the freshly updated, frozen D: only input gradients in D
        with frozen(D):
            with self.autocast(real.device):
                g_loss = g_loss_fn(D_net(fake))
            self.minimise(g_loss, opt_G)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}


def decode(G: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Run G on codes ``z`` in eval mode without autograd, then restore G's train/eval mode.

    Shapes:
        z: [n, z_dim] on G's device -> [n, img_dim].

    Taught in: 01-vanilla-gan, exercise 7.
    """
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad():
            return G(z)  # [n, img_dim]
    finally:
        G.train(was_training)


def generate(G: nn.Module, n: int = 64, z_dim: int = 100, seed: int = 0) -> torch.Tensor:
    """Sample ``n`` images from G with z drawn from a CPU generator seeded with ``seed``.

    G runs in eval mode without autograd, and its train/eval mode is restored afterwards.

    Shapes:
        returns [n, 1, H, W] on G's device, values in [-1, 1] (H = W = 28 for MNIST).

    Taught in: 01-vanilla-gan, exercise 7.
    """
    positive_int(n, "n")
    device = next(G.parameters()).device
    z = sample_noise(n, z_dim, generator=torch.Generator().manual_seed(seed))  # [n, z_dim]
    flat = decode(G, z.to(device))  # [n, img_dim]
    side = math.isqrt(flat.shape[1])
    if side * side != flat.shape[1]:
        raise ValueError(f"generate expects square images, got {flat.shape[1]} pixels")
    return flat.reshape(n, 1, side, side)  # [n, 1, H, W]


@dataclass
class VanillaGANConfig:
    """Hyper-parameters of Lesson 1's training run (sensible on a GPU; smoke budget beside)."""

    z_dim: int = 100  # length of the latent code z
    batch_size: int = 64  # real images per step
    lr: float = 2e-4  # Adam learning rate for both networks
    betas: tuple[float, float] = (0.5, 0.999)  # Adam momentum terms, as in DCGAN
    num_steps: int = 25_000  # about 27 epochs of the 60,000 MNIST digits
    smoke_steps: int = 20  # steps while grading or in GAN_COURSE_SMOKE=1 runs
    log_every: int = 500  # steps between loss-curve points and sample snapshots
    smoke_log_every: int = 5
