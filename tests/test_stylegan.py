"""Unit tests for helpers.stylegan (Lesson 5's references)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from helpers import progan, stylegan
from helpers.checks import parameter_shapes


def test_mapping_network_layers_and_pixel_norm() -> None:
    torch.manual_seed(0)
    mapping = stylegan.MappingNetwork(z_dim=6, w_dim=5, num_layers=3)
    assert parameter_shapes(mapping) == [[5, 6], [5], [5, 5], [5], [5, 5], [5]]
    z = torch.randn(4, 6)
    w = mapping(z)
    assert list(w.shape) == [4, 5]
    assert torch.allclose(mapping(3 * z), w, atol=1e-6)  # z is pixel-normalised first
    expected = progan.pixel_norm(z)
    for layer in mapping.layers:
        expected = F.leaky_relu(layer(expected), 0.2)
    assert torch.equal(w, expected)
    with pytest.raises(ValueError, match=r"\[N, 6\]"):
        mapping(torch.randn(4, 5))
    with pytest.raises(ValueError, match="num_layers"):
        stylegan.MappingNetwork(num_layers=0)


def test_truncate_end_points_and_broadcasting() -> None:
    w, w_avg = torch.randn(3, 4, 8), torch.randn(8)
    assert torch.allclose(stylegan.truncate(w, w_avg, 1.0), w)
    assert torch.allclose(stylegan.truncate(w, w_avg, 0.0), w_avg.expand(3, 4, 8))
    assert torch.allclose(stylegan.truncate(w, w_avg, 0.5), (w + w_avg) / 2)


def test_noise_injection_starts_at_zero_and_shares_noise_over_channels() -> None:
    layer = stylegan.NoiseInjection(3)
    x = torch.randn(2, 3, 4, 4)
    assert torch.equal(layer(x), x) and layer.weight.abs().sum() == 0
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([1.0, 2.0, -1.0]).reshape(1, 3, 1, 1))
    noise = torch.randn(2, 1, 4, 4)
    out = layer(x, noise)
    assert torch.allclose(out - x, torch.cat([noise, 2 * noise, -noise], dim=1))
    drawn = layer(torch.zeros(500, 3, 8, 8))
    assert torch.allclose(drawn[:, 1], 2 * drawn[:, 0]) and abs(drawn[:, 0].std().item() - 1) < 0.02


def test_adain_normalises_each_channel_then_applies_the_styles() -> None:
    x = torch.randn(2, 3, 5, 5) * 4 + 2
    scale, bias = (
        torch.tensor([[1.0, 2.0, 0.5], [3.0, 1.0, 1.0]]),
        torch.tensor([[0.0, 1.0, -1.0], [2.0, 0.0, 0.0]]),
    )
    out = stylegan.adain(x, scale, bias)
    assert torch.allclose(out.mean(dim=(2, 3)), bias, atol=1e-5)
    assert torch.allclose(out.std(dim=(2, 3), unbiased=False), scale, atol=1e-4)
    constant = stylegan.adain(torch.ones(1, 1, 2, 2), torch.ones(1, 1), torch.zeros(1, 1))
    assert torch.equal(constant, torch.zeros(1, 1, 2, 2))  # eps keeps a flat channel finite


def test_adain_module_starts_with_unit_scales_and_zero_biases() -> None:
    layer = stylegan.AdaIN(channels=4, w_dim=6)
    assert parameter_shapes(layer) == [[8, 6], [8]]
    assert layer.affine.bias.tolist() == [1.0] * 4 + [0.0] * 4
    x, w = torch.randn(2, 4, 3, 3), torch.randn(2, 6)
    styles = layer.affine(w)
    assert torch.allclose(layer(x, w), stylegan.adain(x, styles[:, :4], styles[:, 4:]))


def test_style_block_shapes_order_and_noise_modes() -> None:
    torch.manual_seed(0)
    block = stylegan.StyleBlock(4, 3, w_dim=5)
    one_layer = [[3, 1, 1], [6, 5], [6]]  # noise scale, then the affine layer of AdaIN
    expected = [[3, 4, 3, 3], [3], [1, *one_layer[0]], *one_layer[1:]]
    expected += [[3, 3, 3, 3], [3], [1, *one_layer[0]], *one_layer[1:]]
    assert parameter_shapes(block) == expected
    x, w = torch.randn(2, 4, 4, 4), torch.randn(2, 5)
    assert list(block(x, w, "none").shape) == [2, 3, 8, 8]
    with torch.no_grad():
        for p in (block.noise1.weight, block.noise2.weight):
            p.fill_(0.5)
    none = block(x, w, "none")
    assert torch.equal(block(x, w, "const"), block(x, w, "const"))
    assert not torch.allclose(block(x, w, "const"), none)
    assert not torch.allclose(block(x, w, "random"), block(x, w, "random"))
    assert list(stylegan.StyleBlock(4, 3, 5, upsample=False)(x, w).shape) == [2, 3, 4, 4]
    with pytest.raises(ValueError, match="noise_mode"):
        block(x, w, "fixed")


def test_style_mix_takes_w1_before_the_crossover() -> None:
    w1, w2 = torch.zeros(2, 3), torch.ones(2, 3)
    mixed = stylegan.style_mix(w1, w2, crossover=2, num_layers=4)
    assert list(mixed.shape) == [2, 4, 3]
    assert mixed[:, :2].sum() == 0 and (mixed[:, 2:] == 1).all()
    assert (stylegan.style_mix(w1, w2, 0, 4) == 1).all() and (
        stylegan.style_mix(w1, w2, 4, 4) == 0
    ).all()
    with pytest.raises(ValueError, match="crossover"):
        stylegan.style_mix(w1, w2, 5, 4)


def test_generator_shapes_w_avg_truncation_and_noise_modes() -> None:
    torch.manual_seed(0)
    G = stylegan.StyleGenerator(z_dim=8, w_dim=6, channels=(8, 8, 4), mapping_layers=2)
    z = torch.randn(3, 8)
    assert G.num_ws == 3 and list(G(z).shape) == [3, 1, 16, 16]
    G.update_w_avg(n=500)
    w = G.mapping(z)
    assert torch.allclose(
        G.w_avg, G.mapping(torch.randn(500, 8, generator=torch.Generator().manual_seed(0))).mean(0)
    )
    truncated = G(z, psi=0.0, noise_mode="none")
    average = G.synthesis(G.w_avg.expand(3, 3, 6), "none")
    assert torch.allclose(truncated, average, atol=1e-6)
    assert torch.allclose(
        G(z, noise_mode="none"), G.synthesis(w[:, None].expand(-1, 3, -1), "none")
    )
    assert list(G.synthesis(w[:, None].expand(-1, 3, -1), ["none", "const", "random"]).shape) == [
        3,
        1,
        16,
        16,
    ]
    with pytest.raises(ValueError, match="one noise mode per block"):
        G.synthesis(w[:, None].expand(-1, 3, -1), ["none"])
    images = stylegan.generate(G, n=4, seed=1)
    assert images.abs().max() <= 1 and torch.equal(images, stylegan.generate(G, n=4, seed=1))


def test_generator_runs_on_the_meta_device() -> None:
    G = stylegan.StyleGenerator(z_dim=8, w_dim=6, channels=(8, 4), mapping_layers=1).to("meta")
    out = G(torch.randn(2, 8, device="meta"), noise_mode="random")
    assert out.device.type == "meta" and list(out.shape) == [2, 1, 8, 8]


def test_train_stylegan_runs_and_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    config = stylegan.StyleGANConfig(
        z_dim=4, w_dim=4, channels=(4, 4, 4, 4), mapping_layers=1, batch_size=4
    )
    G = stylegan.StyleGenerator(4, 4, config.channels, 1)
    G_ema = stylegan.StyleGenerator(4, 4, config.channels, 1)
    G_ema.load_state_dict(G.state_dict())
    D = progan.ProDiscriminator(config.channels)
    before = [p.detach().clone() for p in G.parameters()]
    logs: list[tuple[int, dict[str, float]]] = []
    images = torch.randint(0, 256, (16, 1, 32, 32), dtype=torch.uint8)
    record = lambda i, m: logs.append((i, m))  # noqa: E731
    stylegan.train_stylegan(G, D, images, config, 3, G_ema=G_ema, on_log=record, log_every=2)
    assert [i for i, _ in logs] == [2, 3]
    assert set(logs[0][1]) == {"d_loss", "g_loss", "gp", "wasserstein"}
    assert any(not torch.equal(a, b) for a, b in zip(before, G.parameters()))
    assert all(p.requires_grad for p in D.parameters())


def _tiny_style_pair() -> tuple[stylegan.StyleGenerator, progan.ProDiscriminator]:
    torch.manual_seed(0)
    return stylegan.StyleGenerator(4, 4, (8, 8, 4, 4), 2), progan.ProDiscriminator((8, 8, 4, 4))


def test_critic_step_matches_the_formula_and_updates_only_the_critic() -> None:
    G, D = _tiny_style_pair()
    config = stylegan.StyleGANConfig(mixing_prob=1.0)
    real = torch.rand(4, 1, 32, 32) * 2 - 1
    before_G = [p.detach().clone() for p in G.parameters()]
    torch.manual_seed(3)
    opt_D = torch.optim.SGD(D.parameters(), lr=0.0)
    logs = stylegan.critic_step(G, D, None, opt_D, real, config)
    torch.manual_seed(3)
    w1, coin = G.mapping(torch.randn(4, 4)), torch.rand(())
    w2, crossover = G.mapping(torch.randn(4, 4)), int(torch.randint(1, G.num_ws, ()))
    assert coin < 1.0
    with torch.no_grad():
        fake = G.synthesis(stylegan.style_mix(w1, w2, crossover, G.num_ws))
    critic = lambda x: D(x, 3, 1.0)  # noqa: E731
    penalty = progan.gradient_penalty(critic, real, fake)
    expected = progan.critic_loss(critic(real), critic(fake), penalty)
    assert set(logs) == {"d_loss", "gp", "wasserstein"}
    assert float(logs["d_loss"]) == pytest.approx(expected.item(), rel=1e-5)
    assert float(logs["gp"]) == pytest.approx(penalty.item(), rel=1e-5)
    assert all(torch.equal(a, b) for a, b in zip(before_G, G.parameters()))
    assert all(p.grad is None for p in G.parameters())


def test_generator_step_freezes_the_critic_and_updates_the_generator() -> None:
    G, D = _tiny_style_pair()
    opt_G, _ = stylegan.make_optimizers(G, D, stylegan.StyleGANConfig())
    before = [p.detach().clone() for p in G.parameters()]
    logs = stylegan.generator_step(
        G, D, opt_G, None, torch.zeros(4, 1, 32, 32), stylegan.StyleGANConfig()
    )
    assert set(logs) == {"g_loss"} and not logs["g_loss"].requires_grad
    assert all(p.grad is None and p.requires_grad for p in D.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(before, G.mapping.parameters()))


def test_fast_optimizers_keep_the_groups_and_the_updates() -> None:
    """fused (or foreach) Adam against the plain one: same losses within 1e-6 over 3 steps.

    Parameters are not compared: a conv bias right before AdaIN has a gradient that is 0 up to
    rounding (instance normalisation removes it), and Adam scales that rounding to lr-sized
    steps, differently for each implementation."""
    config = stylegan.StyleGANConfig(mixing_prob=0.5)
    runs = []
    for fast in (False, True):
        G, D = _tiny_style_pair()
        opt_G, opt_D = stylegan.make_optimizers(G, D, config, fast=fast)
        assert [g["lr"] for g in opt_G.param_groups] == [config.lr, config.mapping_lr]
        assert opt_D.param_groups[0]["betas"] == config.betas
        assert sum(len(g["params"]) for g in opt_G.param_groups) == len(list(G.parameters()))
        torch.manual_seed(1)
        real = torch.zeros(4, 1, 32, 32)  # the generator step reads its size and device
        losses = [float(stylegan.generator_step(G, D, opt_G, opt_D, real, config)["g_loss"])
                  for _ in range(3)]  # fmt: skip
        runs.append(losses)
    plain, fused = runs
    assert fused == pytest.approx(plain, rel=1e-6, abs=1e-6)


def test_training_loop_runs_the_critic_step_then_the_generator_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One implementation of each step: the loop and ``python -m helpers.bench`` share them."""
    calls: list[str] = []
    for name in ("critic_step", "generator_step"):
        original = getattr(stylegan, name)

        def spy(*args, _name=name, _original=original, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(stylegan.training, name, spy)  # where train_stylegan looks
    G, D = _tiny_style_pair()
    config = stylegan.StyleGANConfig(batch_size=4)
    images = torch.randint(0, 256, (8, 1, 32, 32), dtype=torch.uint8)
    stylegan.train_stylegan(G, D, images, config, 2)
    assert calls == ["critic_step", "generator_step"] * 2
