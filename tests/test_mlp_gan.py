"""Unit tests for helpers.mlp_gan, the Lesson 1 reference implementations."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from helpers.checks import (
    BackwardCounter,
    ConstantGenerator,
    LinearDiscriminator,
    Spy,
    layer_io,
    parameter_shapes,
)
from helpers.mlp_gan import (
    Discriminator,
    Generator,
    decode,
    discriminator_loss,
    generate,
    generator_loss,
    sample_noise,
    train_step,
)


def softplus(x: float) -> float:
    """log(1 + exp(x)), i.e. -log(sigmoid(-x)), written with math for golden values."""
    return math.log(1.0 + math.exp(x))


@pytest.fixture(autouse=True)
def seeded() -> None:
    torch.manual_seed(0)


# --- sample_noise -----------------------------------------------------------------------------


def test_sample_noise_shape_and_dtype() -> None:
    z = sample_noise(5, 100)
    assert list(z.shape) == [5, 100]
    assert z.dtype == torch.float32
    assert z.device == torch.device("cpu")
    assert z.std().item() > 0.5  # standard normal, not zeros or uniform


def test_sample_noise_uses_generator() -> None:
    a = sample_noise(3, 4, generator=torch.Generator().manual_seed(1))
    b = sample_noise(3, 4, generator=torch.Generator().manual_seed(1))
    c = sample_noise(3, 4, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize(
    ("n", "z_dim", "name"),
    [
        (0, 100, "n"),
        (-3, 100, "n"),
        (2.0, 100, "n"),
        (True, 100, "n"),
        (4, -1, "z_dim"),
        (4, 0, "z_dim"),
    ],
)
def test_sample_noise_rejects_bad_sizes(n: object, z_dim: object, name: str) -> None:
    with pytest.raises(
        ValueError, match=rf"^{name} must be a positive int, got {n if name == 'n' else z_dim}"
    ):
        sample_noise(n, z_dim)  # type: ignore[arg-type]


# --- Generator / Discriminator ----------------------------------------------------------------


def test_generator_output_shape_and_range() -> None:
    G = Generator()
    images = G(torch.randn(6, 100) * 10)
    assert list(images.shape) == [6, 784]
    assert images.abs().max().item() <= 1.0
    assert images.requires_grad


def test_generator_output_strictly_inside_unit_range() -> None:
    images = Generator()(torch.randn(16, 100))
    assert images.abs().max().item() < 1.0


def test_generator_custom_sizes() -> None:
    G = Generator(z_dim=8, img_dim=16)
    assert list(G(torch.randn(3, 8)).shape) == [3, 16]


@pytest.mark.parametrize("shape", [(4, 99), (4, 101), (100,), (2, 1, 100)])
def test_generator_rejects_wrong_z(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"\[N, 100\]"):
        Generator()(torch.randn(*shape))


def test_generator_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="z_dim"):
        Generator(z_dim=0)
    with pytest.raises(ValueError, match="img_dim"):
        Generator(img_dim=-5)


def test_discriminator_accepts_flat_and_image_input() -> None:
    D = Discriminator().eval()
    flat = torch.rand(5, 784) * 2 - 1
    logits_flat = D(flat)
    logits_image = D(flat.reshape(5, 1, 28, 28))
    assert list(logits_flat.shape) == [5, 1]
    assert list(logits_image.shape) == [5, 1]
    assert torch.equal(logits_flat, logits_image)


@pytest.mark.parametrize("shape", [(3, 783), (3, 785), (3, 1, 27, 28), (3, 3, 28, 28)])
def test_discriminator_rejects_wrong_pixel_count(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="784"):
        Discriminator()(torch.randn(*shape))


@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5])
def test_discriminator_rejects_bad_dropout(dropout: float) -> None:
    with pytest.raises(ValueError, match="dropout"):
        Discriminator(dropout=dropout)


@pytest.mark.parametrize(("kwargs", "rate"), [({}, 0.3), ({"dropout": 0.5}, 0.5)])
def test_discriminator_dropout_rate_and_rescaling(kwargs: dict[str, float], rate: float) -> None:
    """The default rate is 0.3; kept activations are scaled by 1 / (1 - p)."""
    torch.manual_seed(0)
    D = Discriminator(**kwargs).train()
    ios, _ = layer_io(D, torch.randn(256, 784))
    for k in (1, 2, 3):
        dropped_in, activation = ios[k][0], F.leaky_relu(ios[k - 1][1], 0.2)
        assert abs((dropped_in == 0).float().mean().item() - rate) < 0.02
        kept = dropped_in != 0
        assert torch.allclose(dropped_in[kept], activation[kept] / (1 - rate))
    assert torch.equal(ios[0][0].abs() > 0, torch.ones_like(ios[0][0], dtype=torch.bool))


def test_discriminator_dropout_only_in_train_mode() -> None:
    D = Discriminator()
    x = torch.rand(8, 784)
    D.eval()
    assert torch.equal(D(x), D(x))
    D.train()
    assert not torch.equal(D(x), D(x))


def test_generator_parameter_shapes_in_order() -> None:
    assert parameter_shapes(Generator()) == [
        [256, 100],
        [256],
        [512, 256],
        [512],
        [1024, 512],
        [1024],
        [784, 1024],
        [784],
    ]


def test_discriminator_parameter_shapes_in_order() -> None:
    assert parameter_shapes(Discriminator()) == [
        [1024, 784],
        [1024],
        [512, 1024],
        [512],
        [256, 512],
        [256],
        [1, 256],
        [1],
    ]


# --- losses -----------------------------------------------------------------------------------


def test_discriminator_loss_at_zero_logits_is_two_log_two() -> None:
    loss = discriminator_loss(torch.zeros(4, 1), torch.zeros(4, 1))
    assert loss.dim() == 0
    assert loss.item() == pytest.approx(2 * math.log(2), rel=1e-6)


def test_generator_loss_at_zero_logits_is_log_two() -> None:
    loss = generator_loss(torch.zeros(3, 1))
    assert loss.dim() == 0
    assert loss.item() == pytest.approx(math.log(2), rel=1e-6)


def test_discriminator_loss_golden_values() -> None:
    real = torch.tensor([[2.0], [-1.0], [0.5]])
    fake = torch.tensor([[0.5], [-3.0]])
    # -log sigmoid(r) = softplus(-r);  -log(1 - sigmoid(f)) = softplus(f)
    expected_real = (softplus(-2.0) + softplus(1.0) + softplus(-0.5)) / 3
    expected_fake = (softplus(0.5) + softplus(-3.0)) / 2
    loss = discriminator_loss(real, fake)
    assert loss.item() == pytest.approx(expected_real + expected_fake, rel=1e-6)


def test_discriminator_loss_averages_each_term_over_its_own_batch() -> None:
    real = torch.tensor([[1.0], [1.0], [1.0], [1.0]])
    fake = torch.tensor([[-2.0]])
    expected = softplus(-1.0) + softplus(-2.0)
    assert discriminator_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_discriminator_loss_accepts_flat_logits() -> None:
    real = torch.tensor([0.3, -0.7])
    fake = torch.tensor([1.2, 0.1])
    expected = (softplus(-0.3) + softplus(0.7)) / 2 + (softplus(1.2) + softplus(0.1)) / 2
    assert discriminator_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_generator_loss_golden_values() -> None:
    fake = torch.tensor([[1.0], [-3.0], [0.25]])
    expected = (softplus(-1.0) + softplus(3.0) + softplus(-0.25)) / 3
    loss = generator_loss(fake)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert generator_loss(fake.reshape(-1)).item() == pytest.approx(expected, rel=1e-6)


def test_generator_loss_is_non_saturating() -> None:
    # minimising -log D(G(z)) keeps a strong gradient when D confidently rejects the fakes
    logits = torch.tensor([[-8.0]], requires_grad=True)
    generator_loss(logits).backward()
    assert logits.grad is not None
    assert logits.grad.item() == pytest.approx(-1.0 / (1.0 + math.exp(-8.0)), rel=1e-5)


def test_generator_loss_is_stable_for_large_logits() -> None:
    logits = torch.tensor([[-100.0]], requires_grad=True)
    loss = generator_loss(logits)
    assert math.isfinite(loss.item())
    assert loss.item() == pytest.approx(100.0, rel=1e-5)
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    assert generator_loss(torch.tensor([[100.0]])).item() == pytest.approx(0.0, abs=1e-6)


def test_discriminator_loss_is_stable_for_large_logits() -> None:
    real = torch.tensor([[-100.0]], requires_grad=True)
    fake = torch.tensor([[100.0]], requires_grad=True)
    loss = discriminator_loss(real, fake)
    assert loss.item() == pytest.approx(200.0, rel=1e-5)
    loss.backward()
    assert torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()
    confident = discriminator_loss(torch.tensor([[100.0]]), torch.tensor([[-100.0]]))
    assert confident.item() == pytest.approx(0.0, abs=1e-6)


# --- train_step -------------------------------------------------------------------------------


def _real_batch(n: int = 8, side: int = 28) -> torch.Tensor:
    return torch.rand(n, 1, side, side) * 2 - 1


def _models(
    z_dim: int = 100, img_dim: int = 784
) -> tuple[Generator, Discriminator, torch.optim.Optimizer, torch.optim.Optimizer]:
    G, D = Generator(z_dim=z_dim, img_dim=img_dim), Discriminator(img_dim=img_dim)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return G, D, opt_G, opt_D


# small networks (z_dim 8, 4x4 images) keep the behavioural tests below fast
SMALL = {"z_dim": 8, "img_dim": 16}


def test_train_step_returns_float_losses() -> None:
    G, D, opt_G, opt_D = _models()
    logs = train_step(G, D, opt_G, opt_D, _real_batch())
    assert set(logs) == {"d_loss", "g_loss"}
    for value in logs.values():
        assert type(value) is float
        assert math.isfinite(value)
    # at initialisation D is near chance level
    assert 0.5 < logs["d_loss"] < 3.0
    assert 0.1 < logs["g_loss"] < 3.0


def test_train_step_accepts_flat_batch() -> None:
    G, D, opt_G, opt_D = _models(**SMALL)
    logs = train_step(G, D, opt_G, opt_D, _real_batch(side=4).reshape(8, 16), z_dim=8)
    assert set(logs) == {"d_loss", "g_loss"}


@pytest.mark.parametrize("real", [torch.zeros(784), torch.zeros(2, 28, 28), [[0.0] * 784]])
def test_train_step_rejects_bad_batch(real: object) -> None:
    G, D, opt_G, opt_D = _models(**SMALL)
    with pytest.raises(ValueError, match="real"):
        train_step(G, D, opt_G, opt_D, real)  # type: ignore[arg-type]


def test_train_step_updates_both_networks() -> None:
    G, D, opt_G, opt_D = _models(**SMALL)
    before_G = [p.detach().clone() for p in G.parameters()]
    before_D = [p.detach().clone() for p in D.parameters()]
    train_step(G, D, opt_G, opt_D, _real_batch(side=4), z_dim=8)
    assert all(not torch.equal(a, b) for a, b in zip(before_G, G.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(before_D, D.parameters()))


def test_train_step_backpropagates_into_generator_once() -> None:
    G, D, opt_G, opt_D = _models(**SMALL)
    with BackwardCounter(G.parameters()) as counter_G, BackwardCounter(D.parameters()) as counter_D:
        train_step(G, D, opt_G, opt_D, _real_batch(side=4), z_dim=8)
    # the D update must use fake.detach(): only the G update reaches G
    assert counter_G.passes == 1
    assert min(counter_G.counts) == 1
    # D is reached by its own update and by the G update through D
    assert counter_D.passes == 2
    with BackwardCounter(G.parameters()) as counter_G:
        train_step(G, D, opt_G, opt_D, _real_batch(side=4), z_dim=8)
        train_step(G, D, opt_G, opt_D, _real_batch(side=4), z_dim=8)
    assert counter_G.counts == [2] * len(counter_G.counts)


def test_train_step_matches_algorithm_one_exactly() -> None:
    """With a z-independent G and a dropout-free D, one step is fully determined."""
    G, D = ConstantGenerator(), LinearDiscriminator()
    G_ref, D_ref = copy.deepcopy(G), copy.deepcopy(D)
    opt_G = torch.optim.SGD(G.parameters(), lr=0.5)
    opt_D = torch.optim.SGD(D.parameters(), lr=0.5)
    real = _real_batch(6)
    # stale gradients must not leak into the step
    for p in list(G.parameters()) + list(D.parameters()):
        p.grad = torch.full_like(p, 1000.0)
    logs = train_step(G, D, opt_G, opt_D, real)

    # reference: D step on real and detached fakes, then G step through the updated D
    z = torch.randn(6, 100)
    fake = G_ref(z)
    d_loss = discriminator_loss(D_ref(real), D_ref(fake.detach()))
    grads_D = torch.autograd.grad(d_loss, list(D_ref.parameters()))
    with torch.no_grad():
        for p, g in zip(D_ref.parameters(), grads_D):
            p -= 0.5 * g
    g_loss = generator_loss(D_ref(fake))
    (grad_G,) = torch.autograd.grad(g_loss, list(G_ref.parameters()))
    with torch.no_grad():
        expected_image = G_ref.image - 0.5 * grad_G

    assert logs["d_loss"] == pytest.approx(d_loss.item(), rel=1e-5)
    assert logs["g_loss"] == pytest.approx(g_loss.item(), rel=1e-5)
    for mine, ref in zip(D.parameters(), D_ref.parameters()):
        torch.testing.assert_close(mine.detach(), ref.detach())
    torch.testing.assert_close(G.image.detach(), expected_image)
    # G's gradient is exactly the G-step gradient: nothing left over from the D step
    torch.testing.assert_close(G.image.grad, grad_G)


def test_train_step_uses_z_dim() -> None:
    G, D, opt_G, opt_D = _models(z_dim=10, img_dim=16)
    logs = train_step(G, D, opt_G, opt_D, _real_batch(4, side=4), z_dim=10)
    assert math.isfinite(logs["g_loss"])
    with pytest.raises(ValueError, match=r"\[N, 10\]"):
        train_step(G, D, opt_G, opt_D, _real_batch(4, side=4))  # default z_dim=100


# --- generate ---------------------------------------------------------------------------------


def test_generate_shape_range_and_no_grad() -> None:
    G = Generator()
    images = generate(G, n=5, seed=3)
    assert list(images.shape) == [5, 1, 28, 28]
    assert images.abs().max().item() <= 1.0
    assert not images.requires_grad
    assert images.grad_fn is None


def test_generate_is_deterministic_per_seed() -> None:
    G = Generator()
    a = generate(G, n=4, seed=11)
    torch.rand(100)  # the global generator must not matter
    b = generate(G, n=4, seed=11)
    c = generate(G, n=4, seed=12)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_generate_uses_seeded_cpu_codes() -> None:
    G = Generator().eval()
    z = torch.randn(3, 100, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        expected = G(z).reshape(3, 1, 28, 28)
    torch.testing.assert_close(generate(G, n=3, seed=9), expected)


def test_generate_does_not_touch_global_rng() -> None:
    G = Generator()
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    generate(G, n=2, seed=0)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("training", [True, False])
def test_generate_runs_in_eval_without_grad_and_restores_mode(training: bool) -> None:
    G = Spy(Generator())
    G.train(training)
    generate(G, n=2)
    assert [(c["training"], c["grad"], c["shape"]) for c in G.calls] == [(False, False, [2, 100])]
    assert G.training is training
    assert all(m.training is training for m in G.modules())
    assert torch.is_grad_enabled()


def test_generate_restores_mode_after_error() -> None:
    G = Generator().train()
    with pytest.raises(ValueError):
        generate(G, n=2, z_dim=50)  # G expects 100-dim codes
    assert G.training


def test_generate_custom_z_dim_and_image_size() -> None:
    G = Generator(z_dim=8, img_dim=36)
    images = generate(G, n=3, z_dim=8)
    assert list(images.shape) == [3, 1, 6, 6]


def test_generate_rejects_bad_n() -> None:
    with pytest.raises(ValueError, match=r"n must be a positive int, got 0"):
        generate(Generator(), n=0)


@pytest.mark.parametrize("start_in_train_mode", [True, False])
def test_decode_runs_eval_without_grad_and_restores_mode(start_in_train_mode: bool) -> None:
    recorder = Spy(Generator(z_dim=4))
    recorder.train(start_in_train_mode)
    images = decode(recorder, torch.randn(3, 4))
    assert images.shape == (3, 784) and not images.requires_grad
    assert [(c["training"], c["grad"]) for c in recorder.calls] == [(False, False)]
    assert recorder.training == start_in_train_mode


def test_generate_defaults_are_64_images_from_seed_0() -> None:
    torch.manual_seed(0)
    G = Generator()
    images = generate(G)
    assert list(images.shape) == [64, 1, 28, 28]
    assert torch.equal(images, generate(G, n=64, z_dim=100, seed=0))


def test_generate_rejects_non_square_images_with_a_message() -> None:
    with pytest.raises(ValueError, match="generate expects square images, got 10 pixels"):
        generate(Generator(z_dim=4, img_dim=10), n=2, z_dim=4)
