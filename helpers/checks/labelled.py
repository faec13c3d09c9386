"""Stand-ins for label-conditioned networks: small, deterministic, and they say what they saw.

A conditional training step draws codes and labels; a stand-in generator whose images depend on
the labels alone (not on z's values) lets a test replay the reference step with the very labels
the student's step drew, whatever order it drew them in, and compare results exactly. Both
stand-ins record every call: the labels (a CPU copy, their dtype and device), the codes' shape,
statistics and a copy, the train/eval mode and whether autograd was on.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["LabelledDiscriminator", "LabelledGenerator"]


def _record_labels(record: dict[str, Any], labels: Any) -> None:
    if not isinstance(labels, torch.Tensor):
        record["labels_type"] = type(labels).__name__
        return
    record.update(labels_dtype=labels.dtype, labels_device=labels.device.type,
                  labels_shape=list(labels.shape))  # fmt: skip
    if labels.device.type != "meta":
        record["labels"] = labels.detach().cpu().clone()


def _check_labels(labels: Any, n: int, num_classes: int, who: str) -> torch.Tensor:
    """The stand-ins refuse what a real conditional network would refuse, saying why."""
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        found = labels.dtype if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"{who} expects labels as an int64 tensor, got {found}")
    if list(labels.shape) != [n]:
        raise ValueError(f"{who} expects labels of shape [{n}], got {list(labels.shape)}")
    if labels.device.type != "meta" and n and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{who} expects labels in 0..{num_classes - 1}, got {labels.tolist()}")
    return labels


class LabelledGenerator(nn.Module):
    """A stand-in G(z, labels) whose images depend on the labels only: ``tanh(table[labels])``.

    Two steps that draw z differently then give the same images for the same labels, so a
    test can replay the reference step with the labels this generator received. ``calls``
    records each call (see the module docstring).

    Shapes:
        z: [N, z_dim], labels: [N] int64 -> images [N, *image_shape] in (-1, 1).
    """

    def __init__(
        self,
        z_dim: int = 8,
        num_classes: int = 10,
        image_shape: tuple[int, ...] = (1, 6, 5),
        seed: int = 0,
    ):
        super().__init__()
        self.z_dim, self.num_classes, self.image_shape = z_dim, num_classes, tuple(image_shape)
        size = int(torch.tensor(self.image_shape).prod())
        init = torch.Generator().manual_seed(seed)
        self.table = nn.Parameter(torch.randn(num_classes, size, generator=init))  # [K, size]
        self.calls: list[dict[str, Any]] = []

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        record: dict[str, Any] = {"training": self.training, "grad": torch.is_grad_enabled()}
        if isinstance(z, torch.Tensor):
            record.update(shape=list(z.shape), device=z.device.type)
            if z.device.type != "meta" and z.is_floating_point() and z.numel() > 1:
                values = z.detach().double()
                record.update(mean=values.mean().item(), std=values.std().item(),
                              z=z.detach().cpu().clone())  # fmt: skip
        _record_labels(record, labels)
        self.calls.append(record)
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.z_dim:
            found = list(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(
                f"the test generator expects z of shape [N, {self.z_dim}], got {found}"
            )
        labels = _check_labels(labels, z.shape[0], self.num_classes, "the test generator")
        images = torch.tanh(self.table[labels])  # [N, size]
        return images.reshape(z.shape[0], *self.image_shape)  # [N, *image_shape]


class LabelledDiscriminator(nn.Module):
    """A stand-in D(x, labels): a linear score of the image plus one of a per-class weight.

    ``D(x, y) = x . w + b + x . v_y`` on the flattened image; no dropout, no batch norm.
    ``calls`` records each call's labels, the number of images, whether the images require
    grad, and the mode.

    Shapes:
        x: [N, *image_shape], labels: [N] int64 -> logits [N, 1].
    """

    def __init__(self, img_dim: int = 30, num_classes: int = 10, seed: int = 1):
        super().__init__()
        self.img_dim, self.num_classes = img_dim, num_classes
        init = torch.Generator().manual_seed(seed)
        self.weight = nn.Parameter(torch.randn(img_dim, generator=init) / img_dim**0.5)
        self.bias = nn.Parameter(torch.zeros(1))
        self.per_class = nn.Parameter(torch.randn(num_classes, img_dim, generator=init) / img_dim)
        self.calls: list[dict[str, Any]] = []

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        record: dict[str, Any] = {"training": self.training, "grad": torch.is_grad_enabled()}
        if isinstance(x, torch.Tensor):
            record.update(n=x.shape[0], requires_grad=x.requires_grad, device=x.device.type)
        _record_labels(record, labels)
        self.calls.append(record)
        flat = x.reshape(x.shape[0], -1)  # [N, img_dim]
        labels = _check_labels(labels, flat.shape[0], self.num_classes, "the test discriminator")
        score = flat @ self.weight + self.bias + (flat * self.per_class[labels]).sum(dim=1)
        return score[:, None]  # [N, 1]
