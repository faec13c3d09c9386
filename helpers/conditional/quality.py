"""Measuring a class-conditional generator: does the label matter, and how good is each class?

**Conditional accuracy** asks the course's classifier (:mod:`helpers.metrics`) to read
samples generated for each label: the share it reads as the label asked for. A generator
that ignores its label scores about 10 %; real digits score the classifier's own accuracy.
The **Fréchet distance per class** compares the samples of one label with the real digits of
that class, next to the floor of real against real at the same size (Lesson 3, section 7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .. import metrics
from ..data import to_unit_range
from ..validation import positive_int

__all__ = ["ClassRow", "class_report", "conditional_accuracy", "generate", "metrics_ready"]


def _seeded_codes(n: int, z_dim: int, seed: int) -> torch.Tensor:
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))  # [n, z_dim]


@torch.no_grad()
def generate(
    G: nn.Module, n: int = 64, seed: int = 0, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """``n`` images of ``G(z, labels)`` with z from a CPU generator seeded with ``seed``.

    ``labels`` defaults to ``0, 1, ..., K-1, 0, 1, ...`` (every class equally often). G runs
    in eval mode without autograd; its mode is restored.

    Shapes:
        returns [n, 1, 28, 28] on G's device.

    Taught in: 06-conditional, section 3.
    """
    positive_int(n, "n")
    device = next(G.parameters()).device
    if labels is None:
        labels = torch.arange(n) % G.num_classes  # [n]
    z = _seeded_codes(n, G.z_dim, seed).to(device)
    was_training = G.training
    G.eval()
    try:
        return G(z, labels.to(device))
    finally:
        G.train(was_training)


@torch.no_grad()
def conditional_accuracy(
    G: nn.Module,
    predict: Callable[[torch.Tensor], torch.Tensor],
    num_classes: int = 10,
    n_per_class: int = 100,
    z_dim: int = 64,
    seed: int = 0,
) -> torch.Tensor:
    """Per class, the share of G's samples that ``predict`` reads as the label they were made for.

    Codes: ``torch.randn(num_classes * n_per_class, z_dim)`` from a CPU ``torch.Generator``
    seeded with ``seed``, moved to G's device; labels ``0`` (``n_per_class`` times), then
    ``1``, and so on. G runs in eval mode without autograd; its mode is restored.

    Shapes:
        returns [num_classes] float32 on the CPU, each in [0, 1].

    Taught in: 06-conditional, exercise 6.
    """
    positive_int(num_classes, "num_classes")
    positive_int(n_per_class, "n_per_class")
    device = next(G.parameters()).device
    z = _seeded_codes(num_classes * n_per_class, z_dim, seed).to(device)
    labels = torch.arange(num_classes, device=device).repeat_interleave(n_per_class)  # [K n]
    was_training = G.training
    G.eval()
    try:
        images = G(z, labels)  # [K n, 1, H, W]
    finally:
        G.train(was_training)
    read = predict(images).to(device)  # [K n]
    right = (read == labels).float().reshape(num_classes, n_per_class)  # [K, n]
    return right.mean(dim=1).cpu()


@dataclass(frozen=True)
class ClassRow:
    """One class's (or all classes') numbers: conditional accuracy, Fréchet distance, floor."""

    label: str
    n: int
    accuracy: float
    frechet: float
    floor: float

    HEADER = "digit |    n | accuracy |  Fréchet | real floor"

    def row(self) -> str:
        """One line of the table under :attr:`HEADER`."""
        return (f"{self.label:>5} | {self.n:>4} | {self.accuracy:8.3f} | {self.frechet:8.2f} | "
                f"{self.floor:10.2f}")  # fmt: skip


def class_report(
    G: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    n_per_class: int = 250,
    n_overall: int = 2000,
    seed: int = 0,
) -> list[ClassRow]:
    """Conditional accuracy and Fréchet distance of ``G`` per class and overall, with floors.

    For class k: ``n`` = min(``n_per_class``, half the real digits of class k) samples made
    for label k, against ``n`` real digits of class k, beside the floor of those against ``n``
    others (:func:`helpers.metrics.real_floor`). The last row, ``all``, does the same for
    ``n_overall`` samples with every label equally often, against all the real digits.

    Args:
        G: a conditional generator ``G(z, labels)``.
        images: real digits [M, 1, 28, 28] (uint8, or float in [-1, 1]); labels: their
            classes [M].

    Taught in: 06-conditional, section 4.
    """
    real = metrics_ready(images)
    device = next(G.parameters()).device
    rows = []
    for k in range(G.num_classes):
        of_class = real[labels == k]
        n = min(n_per_class, of_class.shape[0] // 2)
        floor, reference = metrics.real_floor(of_class, n, seed)
        fake = generate(G, n, seed + 1 + k, torch.full((n,), k, device=device)).cpu()
        accuracy = (metrics.predict(fake) == k).float().mean().item()
        scores = metrics.evaluate(fake, reference)
        rows.append(ClassRow(str(k), n, accuracy, scores.frechet, floor.frechet))
    n = min(n_overall, real.shape[0] // 2)
    floor, reference = metrics.real_floor(real, n, seed)
    fake_labels = torch.arange(n, device=device) % G.num_classes
    fake = generate(G, n, seed + 100, fake_labels).cpu()
    accuracy = (metrics.predict(fake) == fake_labels.cpu()).float().mean().item()
    scores = metrics.evaluate(fake, reference)
    rows.append(ClassRow("all", n, accuracy, scores.frechet, floor.frechet))
    return rows


def metrics_ready(images: torch.Tensor) -> torch.Tensor:
    """Real digits as the metrics read them: float in [-1, 1] on the CPU (uint8 is scaled).

    Taught in: 06-conditional, section 4.
    """
    if images.dtype == torch.uint8:
        return to_unit_range(images.cpu())
    return images.detach().cpu().float()
