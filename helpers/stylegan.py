"""Reference implementations for Lesson 5: the components of StyleGAN's generator.

Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
Networks" (CVPR 2019), https://arxiv.org/abs/1812.04948. Instead of feeding z to the first
layer, a mapping network turns z into w (section 2); a learned constant 4x4 tensor starts the
synthesis network; at every block, per-channel styles computed from w by a learned affine
layer scale and shift instance-normalised features (AdaIN, eq. 1); per-pixel noise scaled by a
learned per-channel factor adds stochastic detail (section 3.2); mixing two w's between blocks
regularises and shows which blocks control coarse and fine features (section 3.1); and the
truncation trick trades diversity for fidelity (appendix B).

It builds on Lesson 4: :func:`helpers.progan.pixel_norm`, the equalized layers and the
growing critic (:class:`helpers.progan.ProDiscriminator`, used at its full resolution), with
the WGAN-GP loss plus drift. Hidden tests in ``05-stylegan`` compare the student's code with
these.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import DeviceBatches
from .fast import fast_optimizer, frozen
from .progan import (
    EqualizedConv2d,
    EqualizedLinear,
    ProDiscriminator,
    critic_loss,
    generator_loss,
    pixel_norm,
)
from .resume import Checkpoint
from .training import History, train_gan, update_ema
from .validation import positive_int
from .wgan import gradient_penalty

__all__ = [
    "NOISE_MODES",
    "AdaIN",
    "MappingNetwork",
    "NoiseInjection",
    "StyleBlock",
    "StyleGANConfig",
    "StyleGenerator",
    "adain",
    "critic_step",
    "generate",
    "generator_step",
    "make_optimizers",
    "style_mix",
    "train_pretrained",
    "train_stylegan",
    "truncate",
]

NOISE_MODES = ("random", "const", "none")


class MappingNetwork(nn.Module):
    """z -> w: pixel-normalised z through ``num_layers`` equalized linear layers.

    Karras et al. (2019), section 2 and figure 1(b): an 8-layer MLP maps the latent z in Z to
    an intermediate latent w in W, which need not follow z's fixed Gaussian prior and so can
    be less entangled. Every layer, the last included, is followed by LeakyReLU(0.2).

    Args:
        z_dim: length of z.
        w_dim: length of w.
        num_layers: number of linear layers (the first z_dim -> w_dim, the rest w_dim -> w_dim).

    Shapes:
        z: [N, z_dim] -> w: [N, w_dim].

    Taught in: 05-stylegan, exercise 1.
    """

    def __init__(self, z_dim: int = 512, w_dim: int = 512, num_layers: int = 8):
        super().__init__()
        positive_int(num_layers, "num_layers")
        self.z_dim, self.w_dim, self.num_layers = z_dim, w_dim, num_layers
        self.layers = nn.ModuleList(
            EqualizedLinear(z_dim if i == 0 else w_dim, w_dim) for i in range(num_layers)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"MappingNetwork expects z of shape [N, {self.z_dim}], got {list(z.shape)}"
            )
        w = pixel_norm(z)  # [N, z_dim], unit RMS per sample
        for layer in self.layers:
            w = F.leaky_relu(layer(w), 0.2)  # [N, w_dim]
        return w


def truncate(w: torch.Tensor, w_avg: torch.Tensor, psi: float | torch.Tensor) -> torch.Tensor:
    """The truncation trick in W: w_avg + psi * (w - w_avg) (Karras et al. 2019, appendix B).

    psi = 1 leaves w alone, psi = 0 gives the average w (the "average digit"); in between,
    samples move towards the dense centre of W: higher fidelity, less diversity. It is the W
    counterpart of sampling z from a truncated normal.

    Shapes:
        w: [N, w_dim] or [N, num_ws, w_dim]; w_avg: [w_dim] -> same shape as w.

    Taught in: 05-stylegan, exercise 2.
    """
    return w_avg + psi * (w - w_avg)


class NoiseInjection(nn.Module):
    """Add per-pixel noise scaled by a learned per-channel factor (Karras et al. 2019, sec. 3.2).

    One noise image [N, 1, H, W] is shared by all channels; each channel scales it by its own
    learned weight, which starts at zero (the network decides how much noise to use).

    Shapes:
        x: [N, C, H, W], noise: [N, 1, H, W] (or broadcastable) -> [N, C, H, W].

    Taught in: 05-stylegan, exercise 3.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            noise = torch.randn(
                x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype
            )
        return x + self.weight * noise  # [N, C, H, W]


def adain(
    x: torch.Tensor, style_scale: torch.Tensor, style_bias: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """Adaptive instance normalisation: y_s * (x - mu(x)) / sigma(x) + y_b (eq. 1).

    Each sample's channel is normalised over H and W (biased variance, ``eps`` inside the
    square root), then scaled and shifted by that sample's styles.

    Shapes:
        x: [N, C, H, W]; style_scale, style_bias: [N, C] -> [N, C, H, W].

    Taught in: 05-stylegan, exercise 4.
    """
    mean = x.mean(dim=(2, 3), keepdim=True)  # [N, C, 1, 1]
    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)  # [N, C, 1, 1]
    normalised = (x - mean) / torch.sqrt(var + eps)
    return style_scale[:, :, None, None] * normalised + style_bias[:, :, None, None]


class AdaIN(nn.Module):
    """AdaIN with its learned affine map A from w to the styles (figure 1(b), "A").

    One :class:`~helpers.progan.EqualizedLinear` maps w to 2 * channels numbers: the first
    half are the scales, the rest the biases. Its bias starts at 1 for the scales and 0 for
    the biases, so an untrained block passes normalised features through unscaled.

    Shapes:
        x: [N, C, H, W], w: [N, w_dim] -> [N, C, H, W].

    Taught in: 05-stylegan, exercise 5.
    """

    def __init__(self, channels: int, w_dim: int):
        super().__init__()
        self.channels = channels
        self.affine = EqualizedLinear(w_dim, 2 * channels)
        with torch.no_grad():
            self.affine.bias[:channels] = 1.0
            self.affine.bias[channels:] = 0.0

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)  # [N, 2C]
        return adain(x, styles[:, : self.channels], styles[:, self.channels :])


class StyleBlock(nn.Module):
    """One synthesis block: [x2 upsample] -> (conv 3x3 -> noise -> LReLU -> AdaIN) twice.

    Karras et al. (2019), figure 1(b): one w drives both AdaINs of the block. Upsampling is
    bilinear. ``noise_mode`` makes the noise deterministic when needed: "random" draws fresh
    noise at every call, "const" draws it once per spatial size (from a fixed seed) and
    reuses it, "none" adds none.

    Args:
        in_channels, out_channels: features in and out.
        w_dim: length of w.
        upsample: whether the block doubles the resolution first.

    Shapes:
        x: [N, in_channels, H, W], w: [N, w_dim] -> [N, out_channels, H', W'] (H' = 2H when
        upsampling, else H).

    Taught in: 05-stylegan, exercise 6.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, upsample: bool = True):
        super().__init__()
        self.upsample = upsample
        self.conv1 = EqualizedConv2d(in_channels, out_channels, 3, padding=1)
        self.noise1 = NoiseInjection(out_channels)
        self.adain1 = AdaIN(out_channels, w_dim)
        self.conv2 = EqualizedConv2d(out_channels, out_channels, 3, padding=1)
        self.noise2 = NoiseInjection(out_channels)
        self.adain2 = AdaIN(out_channels, w_dim)
        self._const_noise: dict[tuple[int, int, int], torch.Tensor] = {}

    def noise(self, x: torch.Tensor, mode: str, index: int) -> torch.Tensor | None:
        """The noise for the block's ``index``-th noise layer in ``mode`` (None: no noise)."""
        if mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {mode!r}")
        n, _, h, w = x.shape
        if mode == "none":
            return torch.zeros(n, 1, h, w, device=x.device, dtype=x.dtype)
        if mode == "random":
            return torch.randn(n, 1, h, w, device=x.device, dtype=x.dtype)
        key = (index, h, w)
        if key not in self._const_noise:  # drawn once, from a fixed seed, on the CPU
            seed = torch.Generator().manual_seed(1000 * index + h)
            self._const_noise[key] = torch.randn(1, 1, h, w, generator=seed)
        return self._const_noise[key].to(device=x.device, dtype=x.dtype).expand(n, 1, h, w)

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random") -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(
                x, scale_factor=2, mode="bilinear", align_corners=False
            )  # [N, C, 2H, 2W]
        x = self.conv1(x)  # [N, C_out, H', W']
        x = self.adain1(F.leaky_relu(self.noise1(x, self.noise(x, noise_mode, 1)), 0.2), w)
        x = self.conv2(x)
        return self.adain2(F.leaky_relu(self.noise2(x, self.noise(x, noise_mode, 2)), 0.2), w)


def style_mix(w1: torch.Tensor, w2: torch.Tensor, crossover: int, num_layers: int) -> torch.Tensor:
    """One w per block: w1 for the blocks before ``crossover``, w2 from it on (section 3.1).

    Blocks are counted from the coarsest (4x4); a crossover of 0 is all w2, of
    ``num_layers`` all w1.

    Shapes:
        w1, w2: [N, w_dim] -> [N, num_layers, w_dim].

    Taught in: 05-stylegan, exercise 7.
    """
    if not 0 <= crossover <= num_layers:
        raise ValueError(f"crossover must be in 0..{num_layers}, got {crossover}")
    first = (torch.arange(num_layers, device=w1.device) < crossover)[None, :, None]  # [1, L, 1]
    return torch.where(first, w1[:, None, :], w2[:, None, :])  # [N, L, w_dim]


class StyleGenerator(nn.Module):
    """The style-based generator: mapping network, constant input, one StyleBlock per resolution.

    ``channels[k]`` features at resolution 4 * 2**k; block 0 works at 4x4 on a learned constant,
    the others upsample. A toRGB (1x1 equalized conv, gain 1) makes the image at the last
    resolution. ``w_avg``, the mean w over 10,000 seeded codes, is a buffer set by
    :meth:`update_w_avg` for the truncation trick.

    Args:
        z_dim, w_dim: latent sizes.
        channels: features per resolution, 4x4 first (four entries reach 32x32).
        mapping_layers: layers of the mapping network.
        img_channels: channels of the images (1 for MNIST).

    Shapes:
        z: [N, z_dim] -> images [N, img_channels, R, R], R = 4 * 2**(len(channels) - 1).

    Taught in: 05-stylegan, section 5.
    """

    def __init__(
        self,
        z_dim: int = 64,
        w_dim: int = 64,
        channels: Sequence[int] = (64, 64, 32, 16),
        mapping_layers: int = 4,
        img_channels: int = 1,
    ):
        super().__init__()
        self.z_dim, self.w_dim, self.channels = z_dim, w_dim, tuple(channels)
        self.mapping_layers, self.img_channels = mapping_layers, img_channels
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers)
        self.const = nn.Parameter(torch.ones(1, self.channels[0], 4, 4))
        self.blocks = nn.ModuleList(
            StyleBlock(c_in, c_out, w_dim, upsample=k > 0)
            for k, (c_in, c_out) in enumerate(
                zip((self.channels[0],) + self.channels, self.channels)
            )
        )
        self.to_rgb = EqualizedConv2d(self.channels[-1], img_channels, 1, gain=1.0)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @property
    def num_ws(self) -> int:
        """How many w's the synthesis network takes: one per block."""
        return len(self.blocks)

    def synthesis(
        self, ws: torch.Tensor, noise_mode: str | Sequence[str] = "random"
    ) -> torch.Tensor:
        """Images from one w per block; ``noise_mode`` for all blocks or one per block.

        Shapes:
            ws: [N, num_ws, w_dim] -> [N, img_channels, R, R].
        """
        if ws.dim() != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must be [N, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        modes = [noise_mode] * self.num_ws if isinstance(noise_mode, str) else list(noise_mode)
        if len(modes) != self.num_ws:
            raise ValueError(f"give one noise mode per block ({self.num_ws}), got {len(modes)}")
        x = self.const.expand(ws.shape[0], -1, -1, -1)  # [N, C0, 4, 4]
        for k, block in enumerate(self.blocks):
            x = block(x, ws[:, k], modes[k])  # [N, channels[k], 4 * 2**k, 4 * 2**k]
        return self.to_rgb(x)  # [N, img_channels, R, R]

    def forward(
        self, z: torch.Tensor, psi: float = 1.0, noise_mode: str | Sequence[str] = "random"
    ) -> torch.Tensor:
        w = self.mapping(z)  # [N, w_dim]
        if psi != 1.0:
            w = truncate(w, self.w_avg, psi)
        return self.synthesis(w[:, None].expand(-1, self.num_ws, -1), noise_mode)

    @torch.no_grad()
    def update_w_avg(self, n: int = 10_000, seed: int = 0) -> None:
        """Set ``w_avg`` to the mean of the mapping's output over ``n`` seeded codes."""
        z = torch.randn(n, self.z_dim, generator=torch.Generator().manual_seed(seed))
        self.w_avg.copy_(self.mapping(z.to(self.w_avg.device)).mean(dim=0))


def generate(
    G: StyleGenerator,
    n: int = 64,
    psi: float = 1.0,
    noise_mode: str | Sequence[str] = "const",
    seed: int = 0,
) -> torch.Tensor:
    """``n`` images from codes of a CPU generator seeded with ``seed``, in eval mode, clamped.

    Shapes:
        returns [n, img_channels, R, R] in [-1, 1] on G's device.

    Taught in: 05-stylegan, section 5.
    """
    device = G.w_avg.device
    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad():
            return G(z, psi=psi, noise_mode=noise_mode).clamp(-1, 1)
    finally:
        G.train(was_training)


@dataclass
class StyleGANConfig:
    """Hyper-parameters of the course's StyleGAN on MNIST padded to 32x32 (fixed resolution).

    The paper grew its networks as ProGAN does; at 32x32 on MNIST this course trains at full
    resolution from the start, with ProGAN's critic and recipe (WGAN-GP plus drift, Adam
    1e-3, betas (0, 0.99)) and style mixing with probability ``mixing_prob`` (section 3.1).
    """

    z_dim: int = 64
    w_dim: int = 64
    channels: tuple[int, ...] = (64, 64, 32, 16)
    mapping_layers: int = 4
    batch_size: int = 32
    num_steps: int = 6000
    smoke_steps: int = 2
    lr: float = 1e-3
    mapping_lr: float = 1e-4  # the paper slows the mapping network down 100x; 10x here
    betas: tuple[float, float] = (0.0, 0.99)
    gp_weight: float = 10.0
    drift: float = 0.001
    mixing_prob: float = 0.9
    ema_decay: float = 0.999
    log_every: int = 250
    smoke_log_every: int = 1
    seed: int = 0


def _ws_for_training(G: StyleGenerator, n: int, device: torch.device | str, mixing_prob: float):
    """w's for a training batch: with probability ``mixing_prob`` two codes mixed at a random
    crossover (the paper's mixing regularisation), else one w for every block."""
    w1 = G.mapping(torch.randn(n, G.z_dim, device=device))
    if torch.rand(()).item() < mixing_prob:
        w2 = G.mapping(torch.randn(n, G.z_dim, device=device))
        crossover = int(torch.randint(1, G.num_ws, ()).item())
        return style_mix(w1, w2, crossover, G.num_ws)
    return w1[:, None].expand(-1, G.num_ws, -1)


def make_optimizers(
    G: StyleGenerator, D: ProDiscriminator, config: StyleGANConfig, fast: bool = False
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """Adam for G (its mapping network at ``config.mapping_lr``, the rest at ``config.lr``) and
    for D, with ProGAN's betas (Karras et al. 2019, appendix C: a slower mapping network).

    Args:
        G, D: the networks.
        config: ``lr``, ``mapping_lr`` and ``betas``.
        fast: build both with :func:`helpers.fast.fast_optimizer` (the fused Adam kernel where
            the device has one, else foreach: the same updates up to rounding), as
            ``python -m helpers.bench`` does; :func:`train_stylegan` uses the plain ones.

    Taught in: 05-stylegan, section 5.
    """
    adam = functools.partial(fast_optimizer, torch.optim.Adam) if fast else torch.optim.Adam
    mapping = list(G.mapping.parameters())
    rest = [p for name, p in G.named_parameters() if not name.startswith("mapping.")]
    opt_G = adam([{"params": rest}, {"params": mapping, "lr": config.mapping_lr}],
                 lr=config.lr, betas=config.betas)  # fmt: skip
    opt_D = adam(D.parameters(), lr=config.lr, betas=config.betas)
    return opt_G, opt_D


def critic_step(
    G: StyleGenerator,
    D: ProDiscriminator,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    config: StyleGANConfig,
) -> dict[str, torch.Tensor]:
    """(1) Update the critic once at full resolution: WGAN-GP plus drift, fakes from mixed w's.

    Returns the critic loss, the unweighted penalty and the Wasserstein estimate (detached).

    Shapes:
        real: [N, img_channels, R, R] at D's highest resolution.

    Taught in: 05-stylegan, section 5.
    """
    step = D.max_step
    with torch.no_grad():
        fake = G.synthesis(_ws_for_training(G, real.shape[0], real.device, config.mixing_prob))
    real_scores, fake_scores = D(real, step, 1.0), D(fake, step, 1.0)
    penalty = gradient_penalty(lambda x: D(x, step, 1.0), real, fake)
    d_loss = critic_loss(real_scores, fake_scores, penalty, config.gp_weight, config.drift)
    opt_D.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_D.step()
    return {
        "d_loss": d_loss.detach(),
        "gp": penalty.detach(),
        "wasserstein": (real_scores.mean() - fake_scores.mean()).detach(),
    }


def generator_step(
    G: StyleGenerator,
    D: ProDiscriminator,
    opt_G: torch.optim.Optimizer,
    n: int,
    config: StyleGANConfig,
    device: torch.device | str = "cpu",
) -> dict[str, torch.Tensor]:
    """(2) Update the generator once on ``n`` fakes with style mixing, through a frozen critic.

    With probability ``config.mixing_prob`` each fake mixes two w's at a random crossover
    (Karras et al. 2019, section 3.1); the loss is -E[D(G(z))]. D's parameters stop requiring
    gradients meanwhile (:func:`helpers.fast.frozen`), so only its input gradients are computed.

    Taught in: 05-stylegan, section 5.
    """
    with frozen(D):
        fake = G.synthesis(_ws_for_training(G, n, device, config.mixing_prob))
        g_loss = generator_loss(D(fake, D.max_step, 1.0))
        opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_G.step()
    return {"g_loss": g_loss.detach()}


def train_stylegan(
    G: StyleGenerator,
    D: ProDiscriminator,
    images: torch.Tensor,
    config: StyleGANConfig,
    num_steps: int,
    device: torch.device | str = "cpu",
    G_ema: StyleGenerator | None = None,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    log_every: int = 250,
    checkpoint: Checkpoint | None = None,
) -> History:
    """Train G against ProGAN's critic at full resolution with WGAN-GP plus drift.

    One :func:`critic_step` and one :func:`generator_step` per iteration, through
    :func:`helpers.training.train_gan`; ``G_ema``, if given, follows G's weights as a moving
    average. With a ``checkpoint`` an interrupted run resumes where it stopped.

    Taught in: 05-stylegan, section 5.
    """
    opt_G, opt_D = make_optimizers(G, D, config)

    def one_iteration(G, D, opt_G, opt_D, real):  # train_gan's step_fn
        logs = critic_step(G, D, opt_D, real, config)  # (1) update the critic
        logs |= generator_step(G, D, opt_G, real.shape[0], config, device)  # (2) update G
        if G_ema is not None:
            update_ema(G_ema, G, config.ema_decay)
        return logs

    batches = DeviceBatches(images, config.batch_size, device, config.seed)
    return train_gan(G, D, opt_G, opt_D, batches, num_steps, one_iteration, log_every=log_every,
                     on_log=on_log, checkpoint=checkpoint,
                     resumable=None if G_ema is None else {"G_ema": G_ema})  # fmt: skip


def train_pretrained(
    config: StyleGANConfig | None = None,
    device: torch.device | str = "cpu",
    samples_dir: str | None = None,
    log: Callable[[str], None] = print,
    checkpoint: Checkpoint | None = None,
) -> tuple[StyleGenerator, dict[str, object]]:
    """Train the course's StyleGAN checkpoint on MNIST padded to 32x32 and describe how.

    Run through ``python -m helpers.pretrained train stylegan`` (``--resume FILE`` saves a
    checkpoint there and continues from it after an interruption).

    Returns:
        the moving-average generator (eval mode, ``w_avg`` set) and its recipe.
    """
    from pathlib import Path

    from .data import load_mnist, pad_to
    from .plotting import save_images
    from .runtime import budget, is_smoke, seed_everything

    config = config or StyleGANConfig()
    seed_everything(config.seed)
    digits, _ = load_mnist(verbose=False)
    images = pad_to(digits, 32)  # [N, 1, 32, 32] uint8
    G = StyleGenerator(config.z_dim, config.w_dim, config.channels, config.mapping_layers).to(
        device
    )
    D = ProDiscriminator(config.channels).to(device)
    G_ema = copy.deepcopy(G)
    start = time.perf_counter()
    num_steps = budget(config.num_steps, config.smoke_steps)

    def on_log(iteration: int, means: dict[str, float]) -> None:
        values = " ".join(f"{k}={v:.4g}" for k, v in means.items())
        log(f"[{time.perf_counter() - start:7.0f} s] it {iteration:6d} {values}")
        if samples_dir is not None:
            G_ema.update_w_avg(2000)
            save_images(generate(G_ema, 64), Path(samples_dir) / "stylegan-latest.png")

    train_stylegan(G, D, images, config, num_steps, device, G_ema, on_log,
                   budget(config.log_every, config.smoke_log_every), checkpoint)  # fmt: skip
    G_ema.update_w_avg()
    recipe: dict[str, object] = {
        "data": f"MNIST, {images.shape[0]} training digits, padded to 32x32, scaled to [-1, 1]",
        "model": "moving average of the generator's weights (G_ema); w_avg over 10,000 codes",
        "config": asdict(config),
        "iterations": num_steps,
        "seconds": round(time.perf_counter() - start),
        "smoke": is_smoke(),
        "critic": "helpers.progan.ProDiscriminator at 32x32, WGAN-GP + drift",
    }
    return G_ema.eval(), recipe
