"""Putting a class label into the networks: checked labels, one-hot inputs, label maps and the
projection discriminator's head.

Mirza and Osindero (2014, "Conditional Generative Adversarial Nets", arXiv:1411.1784,
section 3.2) feed the label y to both networks as an extra input: G sees ``[z, y]``, D sees
``[x, y]``. For a convolutional D the label becomes constant one-hot maps beside the image's
channels. Miyato and Koyama (2018, "cGANs with Projection Discriminator", arXiv:1802.05637,
eq. 3) put it at the other end: ``D(x, y) = psi(phi(x)) + <embed(y), phi(x)>``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import positive_int

__all__ = ["Projection", "check_labels", "conditional_input", "label_maps"]


def check_labels(labels: torch.Tensor, n: int, num_classes: int) -> None:
    """Raise a ``ValueError`` unless ``labels`` holds ``n`` class indices in ``0..num_classes-1``.

    A float tensor (one-hot rows, or labels stored as floats), a column ``[n, 1]``, a batch of
    another size or a class outside the range would otherwise fail deep inside ``F.one_hot``
    or an embedding, or (a one-hot of the wrong width) run with a silently different meaning.
    The value check reads the labels, so on a GPU it waits for them; on the ``meta`` device,
    which holds no values, only dtype and shape are checked.

    Shapes:
        labels: [n], an integer dtype.

    Taught in: 06-conditional, exercise 1.
    """
    positive_int(num_classes, "num_classes")
    if not isinstance(labels, torch.Tensor):
        raise ValueError(f"labels must be a tensor of class indices, got {type(labels).__name__}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(
            f"labels must be integer class indices (e.g. int64), got dtype {labels.dtype}"
        )
    if list(labels.shape) != [n]:
        raise ValueError(f"labels must have shape [{n}] (one per sample), got {list(labels.shape)}")
    if labels.device.type != "meta" and n > 0:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= num_classes:
            raise ValueError(
                f"labels must lie in 0..{num_classes - 1} (num_classes={num_classes}), "
                f"found values from {low} to {high}"
            )


def conditional_input(z: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The conditional generator's input ``[z, one_hot(y)]`` (Mirza and Osindero, section 3.2).

    A first linear layer on this input adds one learned vector per class to what ``z``
    produces: the same as a label embedding. The labels are checked (:func:`check_labels`)
    and the one-hot part takes ``z``'s device and dtype, wherever the labels came from.

    Shapes:
        z: [N, z_dim], labels: [N] integers -> [N, z_dim + num_classes].

    Raises:
        ValueError: for labels that are not N class indices in ``0..num_classes-1``.

    Taught in: 06-conditional, exercise 1.
    """
    if not isinstance(z, torch.Tensor) or z.dim() != 2:
        found = list(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"z must be a tensor [N, z_dim], got {found}")
    check_labels(labels, z.shape[0], num_classes)
    one_hot = F.one_hot(labels.to(z.device, torch.int64), num_classes).to(z.dtype)  # [N, K]
    return torch.cat([z, one_hot], dim=1)  # [N, z_dim + K]


def label_maps(x: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Images with one constant map per class appended as channels (a cGAN's D input).

    Map ``k`` of sample ``i`` is 1 everywhere if ``labels[i] == k`` and 0 otherwise, so the
    first convolution sees the label at every position (Mirza and Osindero's ``[x, y]`` for a
    convolutional D). The maps take ``x``'s device and dtype.

    Shapes:
        x: [N, C, H, W], labels: [N] integers -> [N, C + num_classes, H, W].

    Raises:
        ValueError: for a non-4-D ``x`` or bad labels (:func:`check_labels`).

    Taught in: 06-conditional, exercise 2.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        found = list(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a batch of images [N, C, H, W], got {found}")
    check_labels(labels, x.shape[0], num_classes)
    n, _, height, width = x.shape
    one_hot = F.one_hot(labels.to(x.device, torch.int64), num_classes).to(x.dtype)  # [N, K]
    maps = one_hot[:, :, None, None].expand(n, num_classes, height, width)  # [N, K, H, W]
    return torch.cat([x, maps], dim=1)  # [N, C + K, H, W]


class Projection(nn.Module):
    """The projection discriminator's head: ``psi(phi) + <embed(y), phi>`` (Miyato and Koyama).

    Their eq. 3 writes the conditional logit as an unconditional score ``psi(phi(x))`` plus the
    inner product of the features ``phi(x)`` with a learned vector per class. It follows from
    modelling ``log p(y | x)`` with a log-linear model on ``phi(x)`` (their section 3): the
    label enters where it can be compared with what the features say, instead of being
    concatenated at the input, where the network must first learn what to do with it.

    Args:
        feature_dim: length of the features ``phi(x)``.
        num_classes: number of classes; the embedding has one row per class.

    Shapes:
        features: [N, feature_dim], labels: [N] integers -> logits [N, 1].

    Taught in: 06-conditional, exercise 3.
    """

    def __init__(self, feature_dim: int, num_classes: int):
        super().__init__()
        positive_int(feature_dim, "feature_dim")
        positive_int(num_classes, "num_classes")
        self.feature_dim, self.num_classes = feature_dim, num_classes
        self.psi = nn.Linear(feature_dim, 1)  # the unconditional score
        self.embed = nn.Embedding(num_classes, feature_dim)  # one vector per class

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        check_labels(labels, features.shape[0], self.num_classes)
        # <embed(y), phi(x)> per sample
        projection = (self.embed(labels) * features).sum(dim=1, keepdim=True)  # [N, 1]
        return self.psi(features) + projection  # [N, 1]
