"""Training steps for class-conditional GANs, in the course's one step convention.

``step(G, D, opt_G, opt_D, real, **kwargs) -> dict``, called by
:func:`helpers.training.train_gan`: ``real`` is an ``(images, labels)`` pair (from
``DeviceBatches(images, ..., labels=labels)``); ``"d_loss"`` is everything D's update
minimised, ``"g_loss"`` everything G's update minimised; D is frozen during G's update.
Losses are Lesson 1's non-saturating BCE on logits.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..fast import FastOptions, FastStep, frozen
from ..mlp_gan import discriminator_loss, generator_loss
from ..validation import positive_int

__all__ = ["FastConditionalStep", "acgan_step", "auxiliary_loss", "split_batch", "train_step"]


def split_batch(real: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` from a conditional step's ``real`` argument, or a clear error.

    Taught in: 06-conditional, exercise 4.
    """
    if not isinstance(real, (tuple, list)) or len(real) != 2:
        raise ValueError(
            "a conditional step needs real = (images, labels), e.g. from "
            "DeviceBatches(images, batch_size, device, labels=labels)"
        )
    images, labels = real
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels


def _fakes(
    G: nn.Module, n: int, z_dim: int, num_classes: int, device: torch.device,
    fake_labels: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """N codes, then N labels drawn uniformly (unless given), and G's images of them."""
    positive_int(z_dim, "z_dim")
    positive_int(num_classes, "num_classes")
    z = torch.randn(n, z_dim, device=device)  # [N, z_dim]
    if fake_labels is None:
        fake_labels = torch.randint(0, num_classes, (n,), device=device)  # [N], uniform
    return fake_labels, G(z, fake_labels)  # [N], [N, 1, H, W]


def train_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: tuple[torch.Tensor, torch.Tensor],
    z_dim: int = 64,
    num_classes: int = 10,
    fake_labels: torch.Tensor | None = None,
) -> dict[str, float]:
    """One D update and one G update of a conditional GAN (Mirza and Osindero, 2014).

    Real images are scored with their own labels. The fakes get labels drawn uniformly from
    ``0..num_classes-1`` (unless ``fake_labels`` gives them): drawn independently of the real
    batch, so D cannot tell real from fake by which labels occur, and G is asked for every
    class equally often. ``fake.detach()`` keeps D's update out of G; D is frozen during G's
    update, so its parameters receive no gradient there.

    Args:
        G: ``G(z, labels)``; D: ``D(images, labels)`` returning logits.
        opt_G, opt_D: their optimizers.
        real: a pair (images [N, C, H, W], labels [N] int64) on one device.
        z_dim: length of the codes; num_classes: how many classes there are.
        fake_labels: the labels to generate ([N]); drawn after z when None.

    Returns:
        ``{"d_loss": float, "g_loss": float}``, the losses the two updates minimised.

    Taught in: 06-conditional, exercise 4.
    """
    images, labels = split_batch(real)
    fake_labels, fake = _fakes(G, images.shape[0], z_dim, num_classes, images.device, fake_labels)

    # (1) update D: real images with their labels, detached fakes with theirs
    opt_D.zero_grad(set_to_none=True)
    d_loss = discriminator_loss(D(images, labels), D(fake.detach(), fake_labels))
    d_loss.backward()
    opt_D.step()

    # (2) update G through the updated, frozen D
    with frozen(D):
        opt_G.zero_grad(set_to_none=True)
        g_loss = generator_loss(D(fake, fake_labels))
        g_loss.backward()
        opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}


def auxiliary_loss(
    real_class_logits: torch.Tensor,
    real_labels: torch.Tensor,
    fake_class_logits: torch.Tensor,
    fake_labels: torch.Tensor,
) -> torch.Tensor:
    """AC-GAN's class term for D: ``-L_C``, the cross-entropy on real and on fake images.

    Odena, Olah and Shlens (2017, arXiv:1610.09585, eqs. 2-3): D maximises ``L_S + L_C``, G
    maximises ``L_C - L_S``, with ``L_C = E[log P(C = c | X_real)] + E[log P(C = c | X_fake)]``.
    Each fake is scored against the label it was generated for, each real image against its
    own; each term is the mean over its own batch. G's class term is the fake half alone.

    Shapes:
        real_class_logits: [N, K], real_labels: [N]; fake_class_logits: [M, K],
        fake_labels: [M] -> a scalar.

    Taught in: 06-conditional, exercise 5.
    """
    return F.cross_entropy(real_class_logits, real_labels) + F.cross_entropy(
        fake_class_logits, fake_labels
    )


def acgan_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: tuple[torch.Tensor, torch.Tensor],
    z_dim: int = 64,
    num_classes: int = 10,
    aux_weight: float = 1.0,
) -> dict[str, float]:
    """One D update and one G update of AC-GAN (Odena et al. 2017), BCE source loss.

    D (an :class:`~helpers.conditional.networks.AuxiliaryClassifierDiscriminator`) sees only
    images; it minimises the source BCE plus ``aux_weight`` times :func:`auxiliary_loss`. G
    minimises the non-saturating source loss plus ``aux_weight`` times the cross-entropy of
    D's class prediction on its fakes against their labels.

    Returns:
        ``{"d_loss", "g_loss"}`` (totals minimised), ``"aux_loss"`` (D's class term) and
        ``"real_acc"`` (how often D's class prediction is right on the real batch), floats.

    Taught in: 06-conditional, section 5.
    """
    images, labels = split_batch(real)
    fake_labels, fake = _fakes(G, images.shape[0], z_dim, num_classes, images.device, None)

    # (1) update D: real or fake, and which class
    opt_D.zero_grad(set_to_none=True)
    real_source, real_classes = D(images)  # [N, 1], [N, K]
    fake_source, fake_classes = D(fake.detach())
    aux = auxiliary_loss(real_classes, labels, fake_classes, fake_labels)
    d_loss = discriminator_loss(real_source, fake_source) + aux_weight * aux
    d_loss.backward()
    opt_D.step()

    # (2) update G: look real, and look like the class it was asked for
    with frozen(D):
        opt_G.zero_grad(set_to_none=True)
        source, classes = D(fake)
        g_loss = generator_loss(source) + aux_weight * F.cross_entropy(classes, fake_labels)
        g_loss.backward()
        opt_G.step()
    real_acc = (real_classes.argmax(dim=1) == labels).float().mean()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "aux_loss": aux.item(),
            "real_acc": real_acc.item()}  # fmt: skip


class FastConditionalStep(FastStep):
    """:func:`train_step`'s maths, made fast: a drop-in ``step_fn`` for ``train_gan``.

    The same random draws in the same order (z, then the fake labels), so with the defaults
    and one seed it gives :func:`train_step`'s results up to rounding. Differences that do not
    change the maths: D runs once on real and fake images together (``concat_real_fake``;
    the course's discriminators score each image on its own), gradients are set to None, and
    the losses come back as detached tensors, so the host does not wait for the device every
    step. :class:`helpers.fast.FastOptions` adds channels-last, mixed precision and compile.

    Taught in: 06-conditional, section 5.
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
        real: tuple[torch.Tensor, torch.Tensor],
        z_dim: int = 64,
        num_classes: int = 10,
    ) -> dict[str, torch.Tensor]:
        images, labels = split_batch(real)
        G_net, D_net, images, n = self.net(G), self.net(D), self.inputs(images), images.shape[0]
        with self.autocast(images.device):
            fake_labels, fake = _fakes(G_net, n, z_dim, num_classes, images.device, None)
            # (1) update D
            if self.concat_real_fake:
                self.require_samplewise(D, "D")
                logits = D_net(torch.cat([images, fake.detach()]), torch.cat([labels, fake_labels]))
                d_loss = discriminator_loss(logits[:n], logits[n:])  # [2N, 1] split
            else:
                d_loss = discriminator_loss(
                    D_net(images, labels), D_net(fake.detach(), fake_labels)
                )
        self.minimise(d_loss, opt_D)

        # (2) update G through the frozen D
        with frozen(D):
            with self.autocast(images.device):
                g_loss = generator_loss(D_net(fake, fake_labels))
            self.minimise(g_loss, opt_G)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
