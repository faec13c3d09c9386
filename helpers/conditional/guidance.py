"""Controllable generation without labels: steer a code with a classifier's gradient.

The GAN notes this course grew from list classifier gradients as a way to find directions in
latent space: a classifier of the attribute you want, a code, and gradient steps on the code
that make the classifier more certain. Here the attribute is the digit, the classifier is the
course's own (:mod:`helpers.metrics`), and a penalty keeps the code near where it started, so
the image changes no more than it must. Decoders turn the shipped generators into functions
from codes to 28 x 28 digits, with gradients, for the classifier to read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import non_negative_int
from .conditioning import check_labels

__all__ = [
    "Decoder",
    "conditional_decoder",
    "guide",
    "measure_guidance",
    "progan_decoder",
    "style_decoder",
    "to_digits",
]

Decoder = Callable[[torch.Tensor], torch.Tensor]
"""codes [N, D] -> images [N, 1, 28, 28] in [-1, 1], differentiable in the codes."""


def to_digits(images: torch.Tensor) -> torch.Tensor:
    """Generated images as the classifier reads them: clamped to [-1, 1], 32 x 32 centre-cropped
    to 28 x 28 (Lessons 3-5 pad MNIST by 2 pixels on each side).

    Shapes:
        images: [N, 1, 28 or 32, 28 or 32] -> [N, 1, 28, 28].

    Taught in: 06-conditional, section 6.
    """
    images = images.clamp(-1, 1)
    if images.shape[-1] == 32:
        images = images[..., 2:30, 2:30]  # [N, 1, 28, 28]
    return images


def style_decoder(G: nn.Module, space: str = "w", noise_mode: str = "const") -> Decoder:
    """A Lesson 5 ``StyleGenerator`` as a function of ``w`` (one w for every block) or of ``z``.

    Run G in eval mode (``pretrained.load`` returns it so); the decoder does not change modes.

    Taught in: 06-conditional, section 6.
    """
    if space not in ("w", "z"):
        raise ValueError(f"space must be 'w' or 'z', got {space!r}")

    def decode(code: torch.Tensor) -> torch.Tensor:
        w = G.mapping(code) if space == "z" else code  # [N, w_dim]
        ws = w[:, None].expand(-1, G.num_ws, -1)  # [N, num_ws, w_dim]
        return to_digits(G.synthesis(ws, noise_mode))

    return decode


def progan_decoder(G: nn.Module) -> Decoder:
    """A Lesson 4 ``ProGenerator`` at its last resolution as a function of ``z``.

    Taught in: 06-conditional, section 7.
    """

    def decode(z: torch.Tensor) -> torch.Tensor:
        return to_digits(G(z, len(G.channels) - 1, 1.0))

    return decode


def conditional_decoder(G: nn.Module, labels: torch.Tensor | None = None) -> Decoder:
    """A :class:`~helpers.conditional.networks.ConditionalGenerator` as a function of ``z`` alone,
    each code's label held fixed.

    With ``labels`` ([N]), call it with N codes. Without, the labels cycle ``0, 1, ..., K-1,
    0, ...`` along the batch, so a batch cut into chunks whose sizes are multiples of K (as
    :func:`~helpers.conditional.directions.decoded_values` does) keeps every code's label.

    Taught in: 06-conditional, section 7.
    """
    if labels is not None:
        n = labels.shape[0] if isinstance(labels, torch.Tensor) and labels.dim() > 0 else -1
        check_labels(labels, n, G.num_classes)

    def decode(z: torch.Tensor) -> torch.Tensor:
        wanted = torch.arange(z.shape[0], device=z.device) % G.num_classes
        return to_digits(G(z, wanted if labels is None else labels.to(z.device)))

    return decode


def guide(
    decode: Decoder,
    classifier: nn.Module,
    code: torch.Tensor,
    target: torch.Tensor,
    steps: int = 20,
    lr: float = 0.1,
    penalty: float = 0.1,
) -> torch.Tensor:
    """Move each code towards images the classifier reads as its target class.

    ``steps`` plain gradient steps, ``c <- c - lr * grad L(c)``, on

        ``L(c) = sum_i [ CE(classifier(decode(c_i)), target_i) + penalty * ||c_i - c0_i||^2 ]``,

    where ``c0`` is the starting code. The loss is summed over the batch, so each code follows
    its own gradient, whatever else is in the batch. The gradient is taken with respect to
    the code only (``torch.autograd.grad``): the classifier and the generator get no ``.grad``
    and keep their modes; the caller's ``code`` is not changed.

    Args:
        decode: codes -> images the classifier reads (e.g. :func:`style_decoder`).
        classifier: images -> logits [N, K] (e.g. ``metrics.classifier(device)``, in eval mode).
        code: the starting codes; target: the class wanted for each.
        steps, lr: number and size of the gradient steps; penalty: weight of the distance term.

    Shapes:
        code: [N, D], target: [N] int64 -> the guided codes [N, D], detached.

    Taught in: 06-conditional, exercise 7.
    """
    non_negative_int(steps, "steps")
    start = code.detach()
    current = start.clone().requires_grad_(True)
    for _ in range(steps):
        logits = classifier(decode(current))  # [N, K]
        loss = F.cross_entropy(logits, target, reduction="sum")
        loss = loss + penalty * (current - start).square().sum()  # keep near the start
        (grad,) = torch.autograd.grad(loss, current)
        current = (current - lr * grad).detach().requires_grad_(True)
    return current.detach()


def measure_guidance(
    guide_fn: Callable[..., torch.Tensor],
    decode: Decoder,
    classifier: nn.Module,
    predict: Callable[[torch.Tensor], torch.Tensor],
    codes: torch.Tensor,
    targets: torch.Tensor,
    **settings: Any,
) -> dict[str, float]:
    """How well ``guide_fn`` (e.g. :func:`guide` or a student's) steers ``codes`` to ``targets``.

    Returns ``reached`` (share of guided images the classifier reads as the target),
    ``start_reached`` (the same before guiding), ``pixel_change`` (mean absolute change of a
    pixel, images in [-1, 1]) and ``code_distance`` (mean Euclidean length of the move).

    Taught in: 06-conditional, section 6.
    """
    guided = guide_fn(decode, classifier, codes, targets, **settings)
    with torch.no_grad():
        before, after = decode(codes), decode(guided)
    targets_cpu = targets.cpu()
    return {
        "reached": (predict(after).cpu() == targets_cpu).float().mean().item(),
        "start_reached": (predict(before).cpu() == targets_cpu).float().mean().item(),
        "pixel_change": (after - before).abs().mean().item(),
        "code_distance": (guided - codes).norm(dim=1).mean().item(),
    }
