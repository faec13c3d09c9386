"""Unit tests for helpers.bce (Lesson 2's references) and the 2-D mixtures in helpers.data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import bce, data, mlp_gan

LOG2 = math.log(2.0)
EXTREME = torch.tensor([[-100.0], [-50.0], [-3.0], [0.0], [2.0], [50.0], [100.0]])


# --- generator losses -------------------------------------------------------------------------


def test_saturating_loss_golden_values() -> None:
    logits = torch.tensor([[0.0], [2.0], [-1.0]])
    expected = sum(math.log(1 - 1 / (1 + math.exp(-v))) for v in (0.0, 2.0, -1.0)) / 3
    assert bce.saturating_g_loss(logits).item() == pytest.approx(expected, rel=1e-6)


def test_non_saturating_loss_matches_lesson_1() -> None:
    logits = torch.randn(9, 1)
    assert torch.allclose(bce.non_saturating_g_loss(logits), mlp_gan.generator_loss(logits))
    assert bce.non_saturating_g_loss(torch.zeros(3)).item() == pytest.approx(LOG2)


@pytest.mark.parametrize("loss_fn", [bce.saturating_g_loss, bce.non_saturating_g_loss])
def test_generator_losses_are_exact_and_finite_at_extreme_logits(loss_fn) -> None:  # noqa: ANN001
    logits = EXTREME.clone().requires_grad_()
    loss = loss_fn(logits)
    (grad,) = torch.autograd.grad(loss, logits)
    exact = logits.detach().double()
    if loss_fn is bce.saturating_g_loss:  # log(1 - sigmoid(l)) = -softplus(l)
        want = -(F.softplus(exact)).mean()
        want_grad = -torch.sigmoid(exact) / len(exact)
    else:  # -log sigmoid(l) = softplus(-l)
        want = F.softplus(-exact).mean()
        want_grad = -torch.sigmoid(-exact) / len(exact)
    assert loss.item() == pytest.approx(want.item(), rel=1e-6)
    assert torch.isfinite(grad).all()
    assert torch.allclose(grad.double(), want_grad, atol=1e-7)


def test_saturating_gradient_vanishes_where_non_saturating_does_not() -> None:
    confident = torch.full((4, 1), -8.0)  # D is sure the fakes are fake
    sat = bce.logit_gradient(bce.saturating_g_loss, confident).abs().max().item()
    non_sat = bce.logit_gradient(bce.non_saturating_g_loss, confident).abs().max().item()
    assert sat < 1e-3 < 0.2 < non_sat


@pytest.mark.parametrize("bad", [[0.0, 1.0], np.zeros(3), torch.zeros(3, dtype=torch.long)])
def test_losses_reject_non_float_tensors(bad: object) -> None:
    for loss_fn in (bce.saturating_g_loss, bce.non_saturating_g_loss, bce.lsgan_g_loss):
        with pytest.raises(ValueError, match="floating-point tensor"):
            loss_fn(bad)  # type: ignore[arg-type]


def test_losses_run_on_the_meta_device() -> None:
    logits = torch.empty(5, 1, device="meta")
    for loss in (
        bce.saturating_g_loss(logits),
        bce.non_saturating_g_loss(logits),
        bce.lsgan_d_loss(logits, logits),
        bce.lsgan_g_loss(logits),
    ):
        assert loss.device.type == "meta" and loss.dim() == 0


# --- logit_gradient ---------------------------------------------------------------------------


def test_logit_gradient_matches_the_closed_form() -> None:
    logits = torch.linspace(-6, 6, 13)
    grad = bce.logit_gradient(bce.non_saturating_g_loss, logits)
    assert torch.allclose(grad, -(1 - torch.sigmoid(logits)) / 13, atol=1e-7)
    assert grad.shape == logits.shape and grad.dtype == logits.dtype
    assert not grad.requires_grad


def test_logit_gradient_leaves_the_callers_tensor_and_graph_alone() -> None:
    weight = torch.tensor(2.0, requires_grad=True)
    logits = weight * torch.randn(6, 1)  # a non-leaf with a graph back to `weight`
    plain = torch.randn(4)
    bce.logit_gradient(bce.saturating_g_loss, logits)
    bce.logit_gradient(bce.saturating_g_loss, plain)
    assert weight.grad is None
    assert not plain.requires_grad and plain.grad is None
    assert logits.requires_grad and logits.grad_fn is not None


def test_logit_gradient_accepts_any_scalar_loss_and_rejects_others() -> None:
    x = torch.tensor([1.0, -2.0, 3.0])
    assert torch.equal(bce.logit_gradient(lambda v: (v**2).sum(), x), 2 * x)
    with pytest.raises(ValueError, match="scalar"):
        bce.logit_gradient(lambda v: v * 2, x)
    with pytest.raises(ValueError, match="floating-point tensor"):
        bce.logit_gradient(lambda v: v.sum(), [1.0, 2.0])  # type: ignore[arg-type]


def test_logit_gradient_runs_on_the_meta_device() -> None:
    grad = bce.logit_gradient(bce.saturating_g_loss, torch.empty(3, 1, device="meta"))
    assert grad.device.type == "meta" and list(grad.shape) == [3, 1]


# --- js_divergence ----------------------------------------------------------------------------


def test_js_of_identical_distributions_is_zero() -> None:
    p = [0.1, 0.2, 0.7]
    assert bce.js_divergence(p, p) == pytest.approx(0.0, abs=1e-15)


def test_js_of_disjoint_distributions_is_log_two() -> None:
    assert bce.js_divergence([0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.25, 0.75]) == pytest.approx(LOG2)


def test_js_golden_value_and_symmetry() -> None:
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    m = (p + q) / 2
    expected = 0.5 * (0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.5)) * 2
    assert bce.js_divergence(p, q) == pytest.approx(expected, rel=1e-12)
    assert bce.js_divergence(q, p) == bce.js_divergence(p, q)
    assert m.sum() == 1.0


@pytest.mark.parametrize("kind", [list, np.array, torch.tensor])
def test_js_accepts_lists_arrays_and_tensors(kind) -> None:  # noqa: ANN001
    value = bce.js_divergence(kind([0.25, 0.75]), kind([0.75, 0.25]))
    assert type(value) is float
    assert value == pytest.approx(bce.js_divergence([0.25, 0.75], [0.75, 0.25]))


def test_js_is_computed_in_float64() -> None:
    """Near-equal distributions: JSD ~ sum (p - q)^2 / (8 q) = 5e-11, lost in float32 rounding."""
    value = bce.js_divergence([0.5 + 1e-5, 0.5 - 1e-5], [0.5, 0.5])
    assert value == pytest.approx(5e-11, rel=1e-4)
    rng = np.random.default_rng(0)
    p, q = rng.random(1000), rng.random(1000)
    assert 0 < bce.js_divergence(p / p.sum(), q / q.sum()) < LOG2


@pytest.mark.parametrize(
    ("p", "q", "match"),
    [
        ([0.5, 0.5], [1.0], "same length"),
        ([1.2, -0.2], [0.5, 0.5], "negative"),
        ([0.5, 0.49], [0.5, 0.5], "sums to"),
        ([[0.5, 0.5]], [[0.5, 0.5]], "1-D"),
        ([], [], "non-empty"),
        (["a", "b"], [0.5, 0.5], "vector of numbers"),
        ([float("nan"), 1.0], [0.5, 0.5], "NaN"),
    ],
)
def test_js_rejects_invalid_input(p: object, q: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bce.js_divergence(p, q)  # type: ignore[arg-type]


def test_js_tolerates_rounding_in_the_sum() -> None:
    assert bce.js_divergence([0.5 + 5e-7, 0.5], [0.5, 0.5]) >= 0


# --- wasserstein_1d ---------------------------------------------------------------------------


def test_w1_of_a_shift_is_the_shift() -> None:
    x = np.random.default_rng(1).normal(size=500)
    assert bce.wasserstein_1d(x, x + 3.5) == pytest.approx(3.5)
    assert bce.wasserstein_1d(x, np.random.default_rng(2).permutation(x)) == pytest.approx(0.0)


def test_w1_matches_sorted_pairs() -> None:
    assert bce.wasserstein_1d([0, 1, 2], [5, 3, 4]) == pytest.approx(3.0)
    assert bce.wasserstein_1d([0.0, 10.0], [1.0, 2.0]) == pytest.approx((1 + 8) / 2)


@pytest.mark.parametrize("kind", [list, np.array, torch.tensor])
def test_w1_accepts_lists_arrays_and_tensors(kind) -> None:  # noqa: ANN001
    value = bce.wasserstein_1d(kind([1.0, 2.0]), kind([3.0, 0.0]))
    assert type(value) is float and value == pytest.approx(1.0)


def test_w1_accepts_tensors_that_require_grad() -> None:
    x = torch.randn(8, requires_grad=True)
    assert bce.wasserstein_1d(x, x.detach() + 1) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [([1.0, 2.0], [1.0], "same size"), ([[1.0]], [[1.0]], "1-D"), ([], [], "non-empty")],
)
def test_w1_rejects_invalid_input(x: object, y: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bce.wasserstein_1d(x, y)  # type: ignore[arg-type]


# --- LSGAN ------------------------------------------------------------------------------------


def test_lsgan_losses_golden_values() -> None:
    real, fake = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [2.0], [-1.0]])
    assert bce.lsgan_d_loss(real, fake).item() == pytest.approx(0.5 * 2.0 + 0.5 * 5 / 3)
    assert bce.lsgan_g_loss(fake).item() == pytest.approx(0.5 * (1 + 1 + 4) / 3)


def test_lsgan_gradient_grows_with_the_distance_to_the_target() -> None:
    far = bce.logit_gradient(bce.lsgan_g_loss, torch.full((4,), -20.0))
    near = bce.logit_gradient(bce.lsgan_g_loss, torch.full((4,), 0.5))
    assert far.abs().min() > 10 * near.abs().max()


# --- mode_coverage ----------------------------------------------------------------------------

CENTERS = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])


def test_mode_coverage_counts_modes_and_quality() -> None:
    samples = torch.tensor([[0.1, 0.0], [0.0, 0.2], [10.0, 0.25], [5.0, 5.0]])
    assert bce.mode_coverage(samples, CENTERS, std=0.1) == (2, 0.75)
    assert bce.mode_coverage(samples, CENTERS, std=0.1, k=1.5) == (1, 0.25)


def test_mode_coverage_needs_the_good_sample_nearest_to_the_mode() -> None:
    centers = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    # within 3 std of both centres, but nearest to the first: only one mode covered
    assert bce.mode_coverage([[0.4, 0.0]], centers, std=0.5) == (1, 1.0)


@pytest.mark.parametrize("kind", [list, np.array, torch.tensor])
def test_mode_coverage_accepts_lists_arrays_and_tensors(kind) -> None:  # noqa: ANN001
    samples = [[0.0, 0.1], [0.0, 9.9]]
    modes, quality = bce.mode_coverage(kind(samples), kind(CENTERS.tolist()), 0.05)
    assert (modes, quality) == (2, 1.0) and type(modes) is int and type(quality) is float


@pytest.mark.parametrize(
    ("samples", "std", "k", "match"),
    [
        ([[0.0, 0.0, 0.0]], 0.1, 3.0, r"shape \[N, 2\]"),
        ([], 0.1, 3.0, r"shape \[N, 2\]"),
        ([[0.0, 0.0]], 0.0, 3.0, "std must be a positive number"),
        ([[0.0, 0.0]], 0.1, -1.0, "k must be a positive number"),
        ([[0.0, float("inf")]], 0.1, 3.0, "NaN or inf"),
    ],
)
def test_mode_coverage_rejects_invalid_input(
    samples: object, std: float, k: float, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        bce.mode_coverage(samples, CENTERS, std, k)  # type: ignore[arg-type]


# --- 2-D data and networks --------------------------------------------------------------------


def test_ring_of_gaussians() -> None:
    points, centers = data.ring_of_gaussians(4000, num_modes=8, radius=2.0, std=0.02, seed=3)
    assert list(points.shape) == [4000, 2] and points.dtype == torch.float32
    assert torch.allclose(centers.norm(dim=1), torch.full((8,), 2.0))
    assert bce.mode_coverage(points, centers, std=0.02) == (8, pytest.approx(0.99, abs=0.01))
    again, _ = data.ring_of_gaussians(4000, seed=3)
    assert torch.equal(points, again)


def test_grid_of_gaussians() -> None:
    points, centers = data.grid_of_gaussians(5000, side=5, spacing=2.0, std=0.05, seed=0)
    assert list(centers.shape) == [25, 2] and centers.min() == -4 and centers.max() == 4
    modes, quality = bce.mode_coverage(points, centers, std=0.05)
    assert modes == 25 and quality > 0.98


@pytest.mark.parametrize("n", [0, -1, 2.5])
def test_mixtures_reject_bad_sizes(n: object) -> None:
    with pytest.raises(ValueError, match="n must be a positive int"):
        data.ring_of_gaussians(n)  # type: ignore[arg-type]


def test_point_networks_shapes_and_errors() -> None:
    G, D = bce.PointGenerator(z_dim=4, hidden=8), bce.PointDiscriminator(hidden=8)
    points = G(torch.randn(5, 4))
    assert list(points.shape) == [5, 2] and list(D(points).shape) == [5, 1]
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        G(torch.randn(5, 3))
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        D(torch.randn(5, 3))


def test_train_step_takes_lsgan_losses() -> None:
    torch.manual_seed(0)
    G, D = bce.PointGenerator(z_dim=4, hidden=8), bce.PointDiscriminator(hidden=8)
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1)
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
    real = torch.randn(16, 2)
    torch.manual_seed(1)
    real_out = D(real).detach()
    logs = mlp_gan.train_step(
        G, D, opt_G, opt_D, real, z_dim=4, d_loss_fn=bce.lsgan_d_loss, g_loss_fn=bce.lsgan_g_loss
    )
    assert set(logs) == {"d_loss", "g_loss"} and all(type(v) is float for v in logs.values())
    assert logs["d_loss"] >= 0.5 * (real_out - 1).pow(2).mean().item() - 1e-6


# --- gradient probe ---------------------------------------------------------------------------


def test_gradient_probe_records_every_interval_and_trains_only_D() -> None:
    torch.manual_seed(0)
    G, D = mlp_gan.Generator(z_dim=8, img_dim=16), mlp_gan.Discriminator(img_dim=16)
    G_before = [p.detach().clone() for p in G.parameters()]
    D_before = [p.detach().clone() for p in D.parameters()]
    opt_D = torch.optim.Adam(D.parameters(), lr=1e-3)
    batches = [2 * torch.rand(32, 16) - 1 for _ in range(3)]
    record = bce.gradient_probe(
        G, D, opt_D, batches, num_steps=7, every=3, z_dim=8,
        g_losses={"sat": bce.saturating_g_loss, "non_sat": bce.non_saturating_g_loss},
    )  # fmt: skip
    assert record["step"] == [0, 3, 6, 7]
    assert set(record) == {"step", "d_accuracy", "d_of_fake", "sat", "non_sat"}
    assert all(len(v) == 4 for v in record.values())
    assert all(0 <= a <= 1 for a in record["d_accuracy"])
    assert all(s > 0 and n > 0 for s, n in zip(record["sat"], record["non_sat"]))
    assert all(torch.equal(a, b) for a, b in zip(G_before, G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(D_before, D.parameters()))
    assert all(p.grad is None for p in G.parameters())


def test_train_on_points_logs_coverage_with_the_given_functions() -> None:
    points, centers = data.ring_of_gaussians(2000, seed=0)
    config = bce.BCELimitsConfig(z_dim=4, hidden=16, batch_size=64, eval_samples=100)
    seen: list[tuple[int, int]] = []

    def coverage(samples, centers_, std):  # noqa: ANN001, ANN202
        seen.append((len(samples), len(centers_)))
        return bce.mode_coverage(samples, centers_, std)

    run = bce.train_on_points(
        points, centers, 0.02, bce.lsgan_d_loss, bce.lsgan_g_loss, coverage, config,
        num_steps=6, log_every=3, seed=1,
    )  # fmt: skip
    assert run.steps == [3, 6] and seen == [(100, 8), (100, 8)]
    assert all(0 <= m <= 8 for m in run.modes) and all(0 <= q <= 1 for q in run.quality)
    assert [list(s.shape) for s in run.samples] == [[100, 2], [100, 2]]
    again = bce.train_on_points(
        points, centers, 0.02, bce.lsgan_d_loss, bce.lsgan_g_loss, coverage, config,
        num_steps=6, log_every=3, seed=1,
    )  # fmt: skip
    assert torch.equal(again.samples[-1], run.samples[-1])  # seeded: the same run twice
