"""Sample quality in the classifier's feature space: Fréchet distance, precision and recall,
class coverage, and all of them at once against a real set of the same size."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .classifier import features, predict

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
