"""Tests for helpers.metrics: analytic Fréchet distances, k-NN precision/recall, coverage,
and the shipped digit classifier."""

from __future__ import annotations

import math

import pytest
import torch

from helpers import metrics, pretrained
from helpers.data import to_unit_range


def _spd(d: int, seed: int, rank: int | None = None) -> torch.Tensor:
    """A random symmetric positive (semi-)definite matrix of the given rank, in float64."""
    gen = torch.Generator().manual_seed(seed)
    factor = torch.randn(d, rank or d, generator=gen, dtype=torch.float64)
    return factor @ factor.T / (rank or d) + (0 if rank else 0.1) * torch.eye(
        d, dtype=torch.float64
    )


def _by_eigvals(mu1, cov1, mu2, cov2) -> float:  # noqa: ANN001
    """An independent route: tr((S1 S2)^(1/2)) from the (real, >= 0) eigenvalues of S1 S2."""
    eig = torch.linalg.eigvals(cov1 @ cov2).real.clamp_min(0)
    trace_root = eig.sqrt().sum()
    return ((mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * trace_root).item()


# --- the Fréchet distance ---------------------------------------------------------------------


def test_identical_gaussians_are_at_distance_zero() -> None:
    mu, cov = torch.randn(16, dtype=torch.float64), _spd(16, 0)
    assert abs(metrics.frechet_distance(mu, cov, mu, cov).item()) < 1e-9


def test_one_dimensional_closed_form() -> None:
    # W2^2 between N(m1, s1^2) and N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2
    found = metrics.frechet_distance(
        torch.tensor([1.0]), torch.tensor([[4.0]]), torch.tensor([-2.0]), torch.tensor([[0.25]])
    )
    assert found.dtype == torch.float64 and found.dim() == 0
    assert found.item() == pytest.approx(9.0 + 1.5**2, abs=1e-12)


def test_diagonal_covariances_closed_form() -> None:
    gen = torch.Generator().manual_seed(1)
    mu1, mu2 = torch.randn(8, generator=gen), torch.randn(8, generator=gen)
    s1, s2 = torch.rand(8, generator=gen) + 0.1, torch.rand(8, generator=gen) + 0.1
    expected = (mu1 - mu2).square().sum() + (s1 + s2 - 2 * (s1 * s2).sqrt()).sum()
    found = metrics.frechet_distance(mu1, torch.diag(s1), mu2, torch.diag(s2))
    assert found.item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_non_commuting_covariances_match_independent_routes(seed: int) -> None:
    cov1, cov2 = _spd(12, seed), _spd(12, seed + 10)
    assert not torch.allclose(cov1 @ cov2, cov2 @ cov1)  # the case that needs the careful route
    mu1, mu2 = torch.zeros(12, dtype=torch.float64), torch.ones(12, dtype=torch.float64)
    found = metrics.frechet_distance(mu1, cov1, mu2, cov2).item()
    assert found == pytest.approx(_by_eigvals(mu1, cov1, mu2, cov2), rel=1e-8)
    linalg = pytest.importorskip("scipy.linalg")
    root = linalg.sqrtm((cov1 @ cov2).numpy())
    scipy_value = 12 + cov1.trace().item() + cov2.trace().item() - 2 * root.trace().real
    assert found == pytest.approx(scipy_value, rel=1e-6)
    assert found == pytest.approx(metrics.frechet_distance(mu2, cov2, mu1, cov1).item(), rel=1e-9)


def test_singular_covariances_stay_real_and_finite() -> None:
    cov1, cov2 = _spd(10, 3, rank=3), _spd(10, 4, rank=2)  # rank-deficient, as with few samples
    mu = torch.zeros(10, dtype=torch.float64)
    found = metrics.frechet_distance(mu, cov1, mu, cov2)
    assert math.isfinite(found.item()) and found.item() >= 0
    assert found.item() == pytest.approx(_by_eigvals(mu, cov1, mu, cov2), abs=1e-6)
    assert metrics.frechet_distance(mu, cov1, mu, cov1).item() < 1e-6


def test_float32_inputs_are_computed_in_float64() -> None:
    cov = _spd(6, 5)
    mu = torch.randn(6, dtype=torch.float64)
    low = metrics.frechet_distance(mu.float(), cov.float(), mu.float() + 1, cov.float())
    assert low.dtype == torch.float64 and low.item() == pytest.approx(6.0, rel=1e-5)


def test_frechet_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="cov2"):
        metrics.frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(3), torch.eye(4))


def test_sqrtm_psd_squares_back_and_clamps_rounding() -> None:
    cov = _spd(7, 6)
    root = metrics.sqrtm_psd(cov)
    torch.testing.assert_close(root @ root, cov)
    torch.testing.assert_close(root, root.T)
    tiny_negative = torch.diag(torch.tensor([4.0, -1e-12], dtype=torch.float64))
    assert torch.isfinite(metrics.sqrtm_psd(tiny_negative)).all()


def test_feature_statistics() -> None:
    feats = torch.randn(500, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    mu, cov = metrics.feature_statistics(feats)
    torch.testing.assert_close(mu, feats.mean(0))
    centred = feats - mu
    torch.testing.assert_close(cov, centred.T @ centred / 499)
    with pytest.raises(ValueError, match="two"):
        metrics.feature_statistics(feats[:1])


# --- precision and recall ---------------------------------------------------------------------


def test_a_set_against_itself_has_precision_and_recall_one() -> None:
    points = torch.randn(200, 5, generator=torch.Generator().manual_seed(0))
    assert metrics.precision_recall(points, points) == (1.0, 1.0)


def test_far_disjoint_sets_have_precision_and_recall_zero() -> None:
    points = torch.randn(200, 5, generator=torch.Generator().manual_seed(0))
    assert metrics.precision_recall(points, points + 100.0) == (0.0, 0.0)


def test_precision_counts_fakes_on_the_real_manifold() -> None:
    real = torch.randn(300, 5, generator=torch.Generator().manual_seed(0))
    fake = torch.cat([real[:100], real[:100] + 100.0])  # half real-looking, half far away
    precision, recall = metrics.precision_recall(real, fake)
    assert precision == pytest.approx(0.5)
    assert 100 / 300 <= recall < 1.0  # the copied third of the data at least; not all of it


def test_a_collapsed_generator_has_low_recall() -> None:
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(400, 3, generator=gen)
    fake = real[0] + 0.01 * torch.randn(400, 3, generator=gen)  # all samples near one point
    precision, recall = metrics.precision_recall(real, fake)
    assert precision == 1.0 and recall < 0.05


def test_precision_recall_rejects_too_few_points() -> None:
    with pytest.raises(ValueError, match="more than k=3"):
        metrics.precision_recall(torch.randn(3, 2), torch.randn(10, 2))


# --- class coverage ---------------------------------------------------------------------------


def test_one_digit_covers_one_class() -> None:
    coverage = metrics.class_coverage(torch.full((500,), 7))
    assert (coverage.classes, coverage.evenness) == (1, 0.0)
    assert coverage.histogram[7] == 500 and sum(coverage.histogram) == 500


def test_uniform_digits_cover_all_classes_evenly() -> None:
    coverage = metrics.class_coverage(torch.arange(1000) % 10)
    assert coverage.classes == 10 and coverage.evenness == pytest.approx(1.0)


def test_a_few_misclassified_samples_do_not_count_as_coverage() -> None:
    labels = torch.cat([torch.full((990,), 3), torch.arange(10)])  # 1 % spread over all digits
    coverage = metrics.class_coverage(labels)
    assert coverage.classes == 1 and 0 < coverage.evenness < 0.1
    two = metrics.class_coverage(torch.cat([torch.full((600,), 1), torch.full((400,), 8)]))
    assert two.classes == 2
    assert two.evenness == pytest.approx(
        -(0.6 * math.log(0.6) + 0.4 * math.log(0.4)) / math.log(10)
    )


@pytest.mark.parametrize(
    "labels", [torch.tensor([1.0, 2.0]), torch.tensor([0, 10]), torch.zeros(0, dtype=torch.long)]
)
def test_class_coverage_rejects_bad_labels(labels: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="labels"):
        metrics.class_coverage(labels)


# --- the shipped classifier -------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    return metrics.digits_split()


def test_split_is_stratified(digits) -> None:  # noqa: ANN001
    train_x, train_y, held_x, held_y = digits
    assert train_x.shape == (4000, 1, 28, 28) and held_x.shape == (1000, 1, 28, 28)
    assert torch.bincount(train_y).tolist() == [400] * 10
    assert torch.bincount(held_y).tolist() == [100] * 10
    assert train_x.min() == -1.0 and train_x.max() == 1.0


def test_shipped_classifier_states_and_reaches_its_held_out_accuracy(digits) -> None:  # noqa: ANN001
    _, _, held_x, held_y = digits
    model = pretrained.load("classifier")
    assert pretrained.path_of("classifier").stat().st_size <= 2_000_000
    accuracy = (metrics.predict(held_x) == held_y).double().mean().item()
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(model.recipe["held_out_accuracy"], abs=0.002)


def test_training_is_deterministic() -> None:
    first, recipe = metrics.train_pretrained(epochs=1)
    second, _ = metrics.train_pretrained(epochs=1)
    assert recipe["iterations"] == 62
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)


def test_features_crop_32_to_28_and_check_their_input(digits) -> None:  # noqa: ANN001
    _, _, held_x, _ = digits
    images = held_x[:20]
    feats = metrics.features(images)
    assert feats.shape == (20, 128) and feats.dtype == torch.float64
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2), value=-1.0)  # [20, 1, 32, 32]
    torch.testing.assert_close(metrics.features(padded), feats)
    with pytest.raises(ValueError, match="to_unit_range"):
        metrics.features(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"\[N, 1, 28, 28\]"):
        metrics.features(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"\[N, 1, 28, 28\]"):
        metrics.features(torch.zeros(2, 1, 64, 64))
    with pytest.raises(ValueError, match="clamp"):
        metrics.features(2 * torch.ones(2, 1, 28, 28))


def test_real_floor_is_far_below_noise(digits) -> None:  # noqa: ANN001
    train_x, _, held_x, _ = digits
    real = torch.cat([train_x, held_x])
    floor, reference = metrics.real_floor(real, 500)
    assert reference.shape == (500, 1, 28, 28)
    noise = torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    scores = metrics.evaluate(noise, reference)
    assert floor.n == scores.n == 500
    assert floor.classes == 10 and floor.evenness > 0.95
    assert floor.precision > 0.6 and floor.recall > 0.6
    assert scores.frechet > 10 * floor.frechet
    assert scores.precision < 0.25 and scores.recall < 0.05 and scores.classes < 10
    with pytest.raises(ValueError, match="equal size"):
        metrics.evaluate(noise[:10], reference)
    with pytest.raises(ValueError, match="two halves"):
        metrics.real_floor(real[:100], 60)


def test_one_digit_generator_covers_one_class(digits) -> None:  # noqa: ANN001
    train_x, train_y, held_x, held_y = digits
    sevens = torch.cat([train_x[train_y == 7], held_x[held_y == 7]])  # [500, 1, 28, 28]
    coverage = metrics.class_coverage(metrics.predict(sevens))
    assert coverage.classes == 1 and coverage.evenness < 0.15


def test_to_unit_range_images_feed_the_metrics() -> None:
    images = to_unit_range(torch.zeros(4, 1, 28, 28, dtype=torch.uint8))
    assert metrics.features(images).shape == (4, 128)
