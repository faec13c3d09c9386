"""Unit tests for helpers.progan, the Lesson 4 reference implementations (ProGAN)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from helpers import progan
from helpers.checks import Spy, parameter_shapes
from helpers.progan import (
    EqualizedConv2d,
    EqualizedLinear,
    MinibatchStdDev,
    PixelNorm,
    ProDiscriminator,
    ProGANConfig,
    ProGenerator,
    alpha_schedule,
    critic_loss,
    critic_step,
    downsample,
    fade_in,
    generate,
    generator_loss,
    generator_step,
    minibatch_stddev,
    pixel_norm,
    progressive_reals,
    train_progressive,
    upsample,
)
from helpers.training import update_ema

TINY = {"channels": (8, 8, 4, 4)}


@pytest.fixture(autouse=True)
def seeded() -> None:
    torch.manual_seed(0)


def _tiny_pair() -> tuple[ProGenerator, ProDiscriminator]:
    return ProGenerator(z_dim=6, **TINY), ProDiscriminator(**TINY)


# --- pixel_norm -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 5, 4, 4), (7, 10)])
def test_pixel_norm_gives_unit_rms_over_channels_per_pixel(shape: tuple[int, ...]) -> None:
    x = torch.randn(shape) * 5 + 1
    y = pixel_norm(x)
    assert y.shape == x.shape
    rms = y.pow(2).mean(dim=1).sqrt()  # one value per sample and pixel
    torch.testing.assert_close(rms, torch.ones_like(rms))


def test_pixel_norm_golden_value_and_direction() -> None:
    y = pixel_norm(torch.tensor([[3.0, 4.0]]), eps=0.0)
    rms = math.sqrt((9 + 16) / 2)
    torch.testing.assert_close(y, torch.tensor([[3 / rms, 4 / rms]]))
    # normalizes over channels, not over the batch or the pixels
    x = torch.tensor([[[[1.0, 2.0]], [[1.0, 2.0]]]])  # [1, 2, 1, 2]
    torch.testing.assert_close(pixel_norm(x, eps=0.0), torch.ones(1, 2, 1, 2))


def test_pixel_norm_puts_eps_inside_the_square_root() -> None:
    y = pixel_norm(torch.ones(1, 2), eps=1.0)
    torch.testing.assert_close(y, torch.full((1, 2), 1 / math.sqrt(2.0)))
    zeros = pixel_norm(torch.zeros(2, 3, 2, 2))
    assert torch.equal(zeros, torch.zeros(2, 3, 2, 2))  # eps keeps 0 / 0 away


def test_pixel_norm_module_and_bad_input() -> None:
    x = torch.randn(2, 3, 4, 4)
    assert torch.equal(PixelNorm()(x), pixel_norm(x))
    assert torch.equal(PixelNorm(eps=0.5)(x), pixel_norm(x, eps=0.5))
    with pytest.raises(ValueError, match="pixel_norm"):
        pixel_norm(torch.ones(4))


# --- minibatch_stddev -------------------------------------------------------------------------


def test_minibatch_stddev_groups_sample_i_with_i_mod_n_over_g() -> None:
    # N = 4, G = 2, M = 2: the paper's code groups {0, 2} and {1, 3}
    x = torch.tensor([0.0, 0.0, 2.0, 10.0]).reshape(4, 1, 1, 1)
    out = minibatch_stddev(x, group_size=2)
    assert out.shape == (4, 2, 1, 1)
    torch.testing.assert_close(out[:, 1].flatten(), torch.tensor([1.0, 5.0, 1.0, 5.0]))
    # contiguous groups {0, 1}, {2, 3} (a view(-1, G, ...) slip) would give ~[0, 0, 4, 4]
    contiguous = x.reshape(-1, 2, 1, 1, 1).std(dim=1, unbiased=False).flatten()
    assert not torch.allclose(out[:, 1].flatten(), contiguous.repeat_interleave(2))


def test_minibatch_stddev_averages_over_channels_and_pixels() -> None:
    # N = 2 (one group): per-feature stds are |a - b| / 2
    a = torch.tensor([[[0.0, 0.0]], [[0.0, 0.0]]])  # [C=2, H=1, W=2]
    b = torch.tensor([[[2.0, 4.0]], [[6.0, 8.0]]])
    out = minibatch_stddev(torch.stack([a, b]), group_size=4)
    expected = (1 + 2 + 3 + 4) / 4
    assert out.shape == (2, 3, 1, 2)
    torch.testing.assert_close(out[:, 2], torch.full((2, 1, 2), expected))
    assert torch.equal(out[:, :2], torch.stack([a, b]))  # the input channels pass unchanged


def test_minibatch_stddev_uses_biased_variance_and_eps() -> None:
    out = minibatch_stddev(torch.tensor([0.0, 2.0]).reshape(2, 1, 1, 1))
    torch.testing.assert_close(out[:, 1].flatten(), torch.tensor([1.0, 1.0]))  # not sqrt(2)
    same = minibatch_stddev(torch.ones(4, 3, 2, 2))
    torch.testing.assert_close(same[:, 3], torch.full((4, 2, 2), 1e-4))  # sqrt(0 + 1e-8)


def test_minibatch_stddev_group_larger_than_batch_uses_whole_batch() -> None:
    x = torch.tensor([0.0, 1.0, 2.0]).reshape(3, 1, 1, 1)
    out = minibatch_stddev(x, group_size=4)
    torch.testing.assert_close(out[:, 1].flatten(), torch.full((3,), math.sqrt(2 / 3)))


def test_minibatch_stddev_fills_the_channel_for_every_pixel() -> None:
    x = torch.randn(8, 5, 4, 4)
    extra = minibatch_stddev(x)[:, 5]  # [8, 4, 4]
    assert torch.equal(extra, extra[:, :1, :1].expand(8, 4, 4))
    assert torch.equal(extra[:2], extra[2:4])  # groups i mod 2: rows 0, 2, 4, 6 share a value
    assert not torch.equal(extra[0], extra[1])


@pytest.mark.parametrize(("n", "group_size"), [(6, 4), (5, 2), (9, 4)])
def test_minibatch_stddev_rejects_batch_not_divisible(n: int, group_size: int) -> None:
    with pytest.raises(ValueError, match="divisible"):
        minibatch_stddev(torch.randn(n, 2, 4, 4), group_size)


def test_minibatch_stddev_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="group_size"):
        minibatch_stddev(torch.randn(4, 2, 4, 4), 0)
    with pytest.raises(ValueError, match=r"\[N, C, H, W\]"):
        minibatch_stddev(torch.randn(4, 2))
    with pytest.raises(ValueError, match="group_size"):
        MinibatchStdDev(group_size=-1)


def test_minibatch_stddev_module() -> None:
    x = torch.randn(8, 3, 4, 4)
    assert torch.equal(MinibatchStdDev(2)(x), minibatch_stddev(x, 2))
    assert torch.equal(MinibatchStdDev()(x), minibatch_stddev(x, 4))


# --- equalized learning rate ------------------------------------------------------------------


def test_equalized_linear_initialisation() -> None:
    layer = EqualizedLinear(256, 512)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == (512, 256)
    assert abs(layer.weight.mean().item()) < 0.01
    assert layer.weight.std().item() == pytest.approx(1.0, abs=0.01)
    assert torch.equal(layer.bias, torch.zeros(512))
    assert torch.equal(EqualizedLinear(3, 4, bias_init=1.0).bias, torch.ones(4))
    assert EqualizedLinear(3, 4, bias=False).bias is None


@pytest.mark.parametrize(("gain", "bias"), [(2**0.5, True), (1.0, True), (0.5, False)])
def test_equalized_linear_forward_is_a_scaled_linear(gain: float, bias: bool) -> None:
    layer = EqualizedLinear(10, 3, bias=bias, bias_init=0.3, gain=gain)
    x = torch.randn(4, 10)
    expected = F.linear(x, layer.weight * (gain / math.sqrt(10)), layer.bias)
    assert torch.equal(layer(x), expected)


def test_equalized_linear_scales_at_every_forward() -> None:
    layer = EqualizedLinear(4, 1, bias_init=0.5)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    x = torch.ones(1, 4)
    # sum of 4 ones times sqrt(2) / sqrt(4), plus the unscaled bias
    assert layer(x).item() == pytest.approx(4 * math.sqrt(2) / 2 + 0.5)


def test_equalized_conv_initialisation_and_parameters() -> None:
    conv = EqualizedConv2d(64, 128, 3, padding=1)
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]
    assert conv.weight.shape == (128, 64, 3, 3)
    assert conv.weight.std().item() == pytest.approx(1.0, abs=0.01)
    assert torch.equal(conv.bias, torch.zeros(128))
    assert EqualizedConv2d(2, 3, 1, bias=False).bias is None


@pytest.mark.parametrize(
    ("kernel_size", "stride", "padding", "gain"),
    [(3, 1, 1, 2**0.5), (1, 1, 0, 1.0), (4, 2, 0, 2.0)],
)
def test_equalized_conv_forward_is_a_scaled_conv(
    kernel_size: int, stride: int, padding: int, gain: float
) -> None:
    conv = EqualizedConv2d(5, 7, kernel_size, stride, padding, gain=gain)
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(2, 5, 8, 8)
    scale = gain / math.sqrt(5 * kernel_size * kernel_size)
    expected = F.conv2d(x, conv.weight * scale, conv.bias, stride=stride, padding=padding)
    assert torch.equal(conv(x), expected)


# --- fade-in ----------------------------------------------------------------------------------


def test_fade_in_endpoints_and_quarter() -> None:
    old, new = torch.randn(3, 1, 4, 4), torch.randn(3, 1, 4, 4)
    assert torch.equal(fade_in(old, new, 0.0), old)
    assert torch.equal(fade_in(old, new, 1.0), new)
    torch.testing.assert_close(fade_in(old, new, 0.25), 0.75 * old + 0.25 * new)


def test_fade_in_accepts_a_tensor_alpha() -> None:
    old, new = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    alpha = torch.tensor([0.2, 0.9]).reshape(2, 1, 1, 1)
    out = fade_in(old, new, alpha)
    torch.testing.assert_close(out[:, 0, 0, 0], torch.tensor([0.2, 0.9]))
    torch.testing.assert_close(fade_in(old, new, torch.tensor(0.5)), torch.full_like(old, 0.5))


def test_fade_in_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="shape"):
        fade_in(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 8, 8), 0.5)


@pytest.mark.parametrize(
    ("iteration", "fade_iterations", "expected"),
    [
        (0, 10, 0.0),
        (5, 10, 0.5),
        (10, 10, 1.0),
        (25, 10, 1.0),
        (0, 0, 1.0),
        (7, 0, 1.0),
        (1, 4, 0.25),
    ],
)
def test_alpha_schedule(iteration: int, fade_iterations: int, expected: float) -> None:
    value = alpha_schedule(iteration, fade_iterations)
    assert type(value) is float
    assert value == expected


@pytest.mark.parametrize(("iteration", "fade_iterations"), [(-1, 10), (3, -2), (True, 10)])
def test_alpha_schedule_rejects_negative_input(iteration: int, fade_iterations: int) -> None:
    with pytest.raises(ValueError):
        alpha_schedule(iteration, fade_iterations)


def test_upsample_is_nearest_and_downsample_is_average() -> None:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    up = upsample(x)
    assert torch.equal(
        up[0, 0], torch.tensor([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4.0]])
    )
    assert torch.equal(downsample(up), x)
    assert downsample(x).item() == 2.5


# --- generator --------------------------------------------------------------------------------


def test_generator_output_shapes_at_every_stage() -> None:
    G = ProGenerator()
    z = torch.randn(3, 128)
    for stage, side in enumerate((4, 8, 16, 32)):
        assert G(z, stage, 0.5).shape == (3, 1, side, side)
    assert G.max_stage == 3 and G.img_resolution == 32


def test_default_parameter_counts() -> None:
    G, D = ProGenerator(), ProDiscriminator()
    assert sum(p.numel() for p in G.parameters()) == 277_716
    assert sum(p.numel() for p in D.parameters()) == 212_081
    assert parameter_shapes(G)[:4] == [[1024, 128], [1024], [64, 64, 3, 3], [64]]
    assert parameter_shapes(D)[:2] == [[64, 1, 1, 1], [64]]


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_generator_fade_endpoints_are_the_two_paths(stage: int) -> None:
    G, _ = _tiny_pair()
    z = torch.randn(4, 6)
    h = G.trunk(z, stage - 1)  # features at the old resolution
    old = upsample(G.to_rgb[stage - 1](h))
    new = G.to_rgb[stage](G.blocks[stage - 1](h))
    assert torch.equal(G(z, stage, 0.0), old)
    assert torch.equal(G(z, stage, 1.0), new)
    torch.testing.assert_close(G(z, stage, 0.3), 0.7 * old + 0.3 * new)
    # alpha = 0 is the previous resolution's finished image, upsampled
    assert torch.equal(G(z, stage, 0.0), upsample(G(z, stage - 1, 1.0)))


def test_generator_stage_zero_ignores_alpha() -> None:
    G, _ = _tiny_pair()
    z = torch.randn(2, 6)
    assert torch.equal(G(z, 0, 0.0), G(z, 0, 1.0))
    assert torch.equal(G(z, 0, 0.0), G.to_rgb[0](G.trunk(z, 0)))


def test_generator_accepts_a_tensor_alpha() -> None:
    G, _ = _tiny_pair()
    z = torch.randn(2, 6)
    torch.testing.assert_close(G(z, 2, torch.tensor(0.4)), G(z, 2, 0.4))


def test_generator_layers_normalize_features() -> None:
    G, _ = _tiny_pair()
    h = G.trunk(torch.randn(3, 6) * 7, 2)  # pixel norm after the last conv
    rms = h.pow(2).mean(dim=1).sqrt()
    torch.testing.assert_close(rms, torch.ones_like(rms))


@pytest.mark.parametrize("stage", [-1, 4, 1.0, True, None])
def test_generator_rejects_bad_stage(stage: object) -> None:
    G, _ = _tiny_pair()
    with pytest.raises(ValueError, match="stage"):
        G(torch.randn(2, 6), stage, 1.0)  # type: ignore[arg-type]


def test_generator_rejects_bad_z_and_alpha() -> None:
    G, _ = _tiny_pair()
    with pytest.raises(ValueError, match=r"\[N, 6\]"):
        G(torch.randn(2, 7), 1, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        G(torch.randn(2, 6), 1, 1.5)


def test_constructors_reject_bad_channels() -> None:
    with pytest.raises(ValueError, match="channels"):
        ProGenerator(channels=())
    with pytest.raises(ValueError, match="channels"):
        ProDiscriminator(channels=(8, 0))
    with pytest.raises(ValueError, match="z_dim"):
        ProGenerator(z_dim=0)


def test_networks_run_on_the_meta_device() -> None:
    with torch.device("meta"):
        G, D = ProGenerator(), ProDiscriminator()
        images = G(torch.empty(8, 128), 3, 0.5)
        scores = D(images, 3, 0.5)
    assert images.shape == (8, 1, 32, 32) and images.device.type == "meta"
    assert scores.shape == (8, 1)


# --- discriminator ----------------------------------------------------------------------------


def test_discriminator_output_shapes_at_every_stage() -> None:
    D = ProDiscriminator()
    for stage, side in enumerate((4, 8, 16, 32)):
        assert D(torch.randn(4, 1, side, side), stage, 0.5).shape == (4, 1)


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_discriminator_fade_endpoints_are_the_two_paths(stage: int) -> None:
    _, D = _tiny_pair()
    side = 4 * 2**stage
    x = torch.randn(4, 1, side, side)
    old = D.from_rgb[stage - 1](downsample(x))
    new = D.blocks[stage - 1](D.from_rgb[stage](x))
    assert torch.equal(D(x, stage, 0.0), D.trunk(old, stage - 1))
    assert torch.equal(D(x, stage, 1.0), D.trunk(new, stage - 1))
    blend = D.trunk(0.75 * old + 0.25 * new, stage - 1)
    torch.testing.assert_close(D(x, stage, 0.25), blend)
    # alpha = 0 judges the downsampled image with the previous resolution's finished critic
    assert torch.equal(D(x, stage, 0.0), D(downsample(x), stage - 1, 1.0))


def test_discriminator_stage_zero_ignores_alpha_and_scores_are_unbounded() -> None:
    _, D = _tiny_pair()
    x = torch.randn(4, 1, 4, 4)
    assert torch.equal(D(x, 0, 0.0), D(x, 0, 1.0))
    with torch.no_grad():
        D.head.score.bias.fill_(100.0)
    assert D(x, 0, 1.0).min().item() > 50  # no sigmoid, no clipping


def test_discriminator_uses_minibatch_stddev_across_the_batch() -> None:
    _, D = _tiny_pair()
    x = torch.randn(4, 1, 8, 8)
    changed = x.clone()
    changed[2] += 1.0  # sample 2 shares a group with sample 0 (group size 4 > batch, one group)
    assert not torch.equal(D(x, 1, 1.0)[0], D(changed, 1, 1.0)[0])


def test_discriminator_rejects_bad_input() -> None:
    _, D = _tiny_pair()
    with pytest.raises(ValueError, match=r"\[N, 1, 16, 16\]"):
        D(torch.randn(4, 1, 32, 32), 2, 1.0)
    with pytest.raises(ValueError, match=r"\[N, 1, 8, 8\]"):
        D(torch.randn(4, 3, 8, 8), 1, 1.0)
    with pytest.raises(ValueError, match="stage"):
        D(torch.randn(4, 1, 64, 64), 4, 1.0)
    with pytest.raises(ValueError, match="divisible"):
        D(torch.randn(6, 1, 4, 4), 0, 1.0)


# --- losses and training steps ----------------------------------------------------------------


def test_critic_loss_with_drift_by_hand() -> None:
    real = torch.tensor([[1.0], [2.0], [3.0]])
    fake = torch.tensor([[0.0], [-1.0]])
    penalty = torch.tensor(0.5)
    # E[fake] - E[real] + 10 * 0.5 + 0.001 * E[real^2] = -0.5 - 2 + 5 + 0.001 * 14 / 3
    expected = -0.5 - 2.0 + 5.0 + 0.001 * 14 / 3
    assert critic_loss(real, fake, penalty).item() == pytest.approx(expected)
    assert critic_loss(real, fake, penalty, gp_weight=0.0, drift=0.0).item() == pytest.approx(-2.5)
    assert generator_loss(fake).item() == pytest.approx(0.5)


def test_progressive_reals_pools_and_fades() -> None:
    real = torch.arange(64.0).reshape(1, 1, 8, 8)
    assert torch.equal(progressive_reals(real, 1, 1.0), real)  # 8x8 is stage 1
    pooled = F.avg_pool2d(real, 2)
    assert torch.equal(progressive_reals(real, 1, 0.0), upsample(pooled))
    torch.testing.assert_close(progressive_reals(real, 1, 0.5), 0.5 * upsample(pooled) + 0.5 * real)
    assert torch.equal(progressive_reals(real, 0, 0.0), pooled)  # no fade at 4x4
    big = torch.randn(2, 1, 32, 32)
    torch.testing.assert_close(progressive_reals(big, 1, 1.0), F.avg_pool2d(big, 4))
    with pytest.raises(ValueError, match="pool"):
        progressive_reals(torch.randn(1, 1, 12, 12), 1, 1.0)


def test_critic_step_updates_only_the_critic() -> None:
    G, D = _tiny_pair()
    opt_D = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.99))
    before_G = [p.detach().clone() for p in G.parameters()]
    before_D = [p.detach().clone() for p in D.parameters()]
    logs = critic_step(G, D, None, opt_D, torch.randn(4, 1, 16, 16), 2, 0.5)
    assert set(logs) == {"d_loss", "wasserstein", "gp"}
    assert all(math.isfinite(float(v)) for v in logs.values())
    assert all(torch.equal(a, b) for a, b in zip(before_G, G.parameters()))
    assert all(p.grad is None for p in G.parameters())
    # exactly the layers of the 16x16 fade reach the critic's update
    moved = {
        name.rsplit(".", 1)[0]
        for (name, p), b in zip(D.named_parameters(), before_D)
        if not torch.equal(p, b)
    }
    assert moved == {
        "from_rgb.1.conv",
        "from_rgb.2.conv",
        "blocks.0.conv1",
        "blocks.0.conv2",
        "blocks.1.conv1",
        "blocks.1.conv2",
        "head.conv",
        "head.conv4x4",
        "head.score",
    }


def test_critic_step_matches_the_formula() -> None:
    G, D = _tiny_pair()
    real = torch.randn(4, 1, 8, 8)
    torch.manual_seed(3)
    logs = critic_step(G, D, None, torch.optim.SGD(D.parameters(), lr=0.0), real, 1, 0.25)
    torch.manual_seed(3)
    fake = G(torch.randn(4, 6), 1, 0.25).detach()
    critic = lambda x: D(x, 1, 0.25)  # noqa: E731
    penalty = progan.gradient_penalty(critic, real, fake)
    expected = critic_loss(critic(real), critic(fake), penalty)
    assert float(logs["d_loss"]) == pytest.approx(expected.item(), rel=1e-5)


def test_generator_step_updates_only_the_generator_through_a_frozen_critic() -> None:
    G, D = _tiny_pair()
    opt_G = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.0, 0.99))
    before_D = [p.detach().clone() for p in D.parameters()]
    before_input = G.input.dense.weight.detach().clone()
    seen: list[bool] = []  # whether D's weights required gradients while D ran
    D.register_forward_pre_hook(lambda m, args: seen.append(m.head.score.weight.requires_grad))
    logs = generator_step(G, D, opt_G, None, torch.zeros(4, 1, 8, 8), 1, 0.5)
    assert set(logs) == {"g_loss"} and math.isfinite(float(logs["g_loss"]))
    assert seen == [False]  # D frozen: its weight gradients are never computed
    assert all(p.requires_grad and p.grad is None for p in D.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before_D, D.parameters()))
    assert not torch.equal(before_input, G.input.dense.weight)


def test_freezing_the_critic_leaves_the_generator_update_bitwise_the_same() -> None:
    """The frozen critic skips D's weight gradients only: G's update (and so every shipped
    recipe) is what the same step computes with D's gradients on, to the last bit."""
    runs = []
    for freeze in (True, False):
        torch.manual_seed(0)
        G, D = _tiny_pair()
        opt_G = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.0, 0.99))
        torch.manual_seed(4)
        for _ in range(3):
            if freeze:
                logs = generator_step(G, D, opt_G, None, torch.zeros(4, 1, 16, 16), 2, 0.5)
            else:  # the same maths, D's weight gradients computed and thrown away
                g_loss = generator_loss(D(G(torch.randn(4, G.z_dim), 2, 0.5), 2, 0.5))
                opt_G.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_G.step()
                logs = {"g_loss": g_loss.detach()}
        assert any(p.grad is not None for p in D.parameters()) != freeze
        runs.append((logs["g_loss"], [p.detach() for p in G.parameters()]))
    (frozen_loss, frozen_params), (loss, params) = runs
    assert torch.equal(frozen_loss, loss)
    assert all(torch.equal(a, b) for a, b in zip(frozen_params, params, strict=True))


# --- sampling ---------------------------------------------------------------------------------


def test_generate_shape_range_determinism_and_mode() -> None:
    G = Spy(ProGenerator(z_dim=6, **TINY))
    G.z_dim, G.max_stage = 6, 3
    with torch.no_grad():
        G.inner.to_rgb[3].conv.bias.fill_(3.0)  # push the raw output past 1
    a = generate(G, n=5, seed=1)
    assert a.shape == (5, 1, 32, 32)
    assert a.max().item() == 1.0 and a.min().item() >= -1.0
    assert torch.equal(a, generate(G, n=5, seed=1))
    assert generate(G, n=2, stage=1, alpha=0.5).shape == (2, 1, 8, 8)
    assert (G.calls[0]["training"], G.calls[0]["grad"]) == (False, False)
    assert G.training


# --- configuration and the progressive loop ---------------------------------------------------


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="batch_sizes"):
        ProGANConfig(batch_sizes=(64, 64))
    with pytest.raises(ValueError, match="fade_iterations"):
        ProGANConfig(fade_iterations=(5, 1, 1, 1))
    assert ProGANConfig().betas == (0.0, 0.99) and ProGANConfig().lr == 1e-3


def _tiny_config(**overrides: object) -> ProGANConfig:
    settings = {
        "z_dim": 6,
        "channels": (8, 8, 4, 4),
        "batch_sizes": (8, 8, 4, 4),
        "fade_iterations": (0, 2, 2, 2),
        "stable_iterations": (1, 1, 1, 2),
        "log_every": 1,
        "betas": (0, 0.99),  # ints are accepted
    }
    return ProGANConfig(**{**settings, **overrides})  # type: ignore[arg-type]


def test_tiny_progressive_run_reaches_32x32_and_logs_finite_values() -> None:
    config = _tiny_config()
    images = torch.randint(0, 256, (16, 1, 32, 32), dtype=torch.uint8)
    G = ProGenerator(config.z_dim, config.channels)
    D = ProDiscriminator(config.channels)
    G_ema = ProGenerator(config.z_dim, config.channels)
    G_ema.load_state_dict(G.state_dict())
    logged: list[tuple[int, dict[str, float]]] = []
    stages: list[tuple[int, torch.Tensor]] = []
    histories = train_progressive(
        G,
        D,
        images,
        config,
        G_ema=G_ema,
        on_log=lambda i, means: logged.append((i, means)),
        on_stage_end=lambda stage, net: stages.append((stage, generate(net, 4, stage))),
    )
    assert len(histories) == 7  # 4x4 stable, then fade + stable for 8, 16 and 32
    assert [stage for stage, _ in stages] == [0, 1, 2, 3]
    assert [img.shape[-1] for _, img in stages] == [4, 8, 16, 32]
    assert [i for i, _ in logged] == list(range(1, 12))
    assert [m["resolution"] for _, m in logged] == [4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 32]
    assert [m["fade_alpha"] for _, m in logged][1:4] == [0.0, 0.5, 1.0]
    for _, means in logged:
        assert {"d_loss", "g_loss", "gp", "wasserstein"} <= set(means)
        assert all(math.isfinite(v) for v in means.values())
    assert not torch.equal(G_ema.to_rgb[3].conv.weight, G.to_rgb[3].conv.weight)


def test_progressive_run_in_smoke_mode_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAN_COURSE_SMOKE", "1")
    config = _tiny_config(
        fade_iterations=(0, 500, 500, 500), stable_iterations=(500,) * 4, smoke_iterations=1
    )
    images = torch.rand(8, 1, 32, 32) * 2 - 1
    G = ProGenerator(config.z_dim, config.channels)
    histories = train_progressive(G, ProDiscriminator(config.channels), images, config)
    assert [h.steps for h in histories] == [[1]] * 7


def test_config_is_scaled_down_off_the_gpu() -> None:
    from helpers.progan import ProGANConfig

    full, cpu = ProGANConfig.for_device("cuda"), ProGANConfig.for_device("cpu")
    assert full == ProGANConfig()
    assert sum(cpu.fade_iterations) + sum(cpu.stable_iterations) < sum(full.fade_iterations) + sum(
        full.stable_iterations
    )
    assert (cpu.lr, cpu.betas, cpu.drift, cpu.gp_weight) == (1e-3, (0.0, 0.99), 0.001, 10.0)


def test_train_iteration_is_the_critic_step_then_the_generator_step_then_ema() -> None:
    config = _tiny_config(ema_decay=0.5)
    real = torch.rand(4, 1, 32, 32) * 2 - 1
    runs = []
    for composed in (False, True):
        torch.manual_seed(0)
        G, D, G_ema = progan.make_networks(config)
        opt_G = torch.optim.Adam(G.parameters(), lr=config.lr, betas=(0.0, 0.99))
        opt_D = torch.optim.Adam(D.parameters(), lr=config.lr, betas=(0.0, 0.99))
        torch.manual_seed(1)
        if composed:
            faded = progressive_reals(real, 2, 0.25)  # [4, 1, 16, 16]
            logs = critic_step(G, D, opt_G, opt_D, faded, 2, 0.25, config.gp_weight, config.drift)
            logs |= generator_step(G, D, opt_G, opt_D, faded, 2, 0.25)
            update_ema(G_ema, G, 0.5)
        else:
            logs = progan.train_iteration(G, D, opt_G, opt_D, real, 2, 0.25, config, G_ema)
        runs.append((logs, [p.detach() for net in (G, D, G_ema) for p in net.parameters()]))
    (logs, params), (expected_logs, expected_params) = runs
    assert set(logs) == {"d_loss", "wasserstein", "gp", "g_loss"}
    assert all(torch.equal(logs[k], expected_logs[k]) for k in logs)
    assert all(torch.equal(a, b) for a, b in zip(params, expected_params, strict=True))


def test_progressive_loop_runs_train_iteration_with_the_fade_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One implementation of the iteration: the loop and ``python -m helpers.bench`` share it."""
    calls: list[tuple[int, float, tuple[int, ...]]] = []
    original = progan.train_iteration

    def spy(G, D, opt_G, opt_D, real, stage, fade_alpha, config, G_ema=None):  # noqa: ANN001, ANN202
        calls.append((stage, fade_alpha, tuple(real.shape)))
        return original(G, D, opt_G, opt_D, real, stage, fade_alpha, config, G_ema)

    monkeypatch.setattr(progan.training, "train_iteration", spy)  # where train_progressive looks
    config = _tiny_config()
    images = torch.randint(0, 256, (16, 1, 32, 32), dtype=torch.uint8)
    train_progressive(ProGenerator(6, config.channels), ProDiscriminator(config.channels),
                      images, config)  # fmt: skip
    stages_and_alphas = [(stage, alpha) for stage, alpha, _ in calls]
    assert stages_and_alphas == [(0, 1.0), (1, 0.0), (1, 0.5), (1, 1.0), (2, 0.0), (2, 0.5),
                                (2, 1.0), (3, 0.0), (3, 0.5), (3, 1.0), (3, 1.0)]  # fmt: skip
    assert {shape for _, _, shape in calls} == {(8, 1, 32, 32), (4, 1, 32, 32)}
