"""Reference implementations for Lesson 3: the Wasserstein GAN and its gradient penalty.

Arjovsky, Chintala and Bottou, "Wasserstein GAN" (2017), https://arxiv.org/abs/1701.07875, and
Gulrajani et al., "Improved Training of Wasserstein GANs" (2017),
https://arxiv.org/abs/1704.00028. The critic C is kept close to 1-Lipschitz, either by clipping
its weights (WGAN, Algorithm 1) or by penalising the norm of its input gradient at points
between real and fake samples (WGAN-GP, eq. 3):

    L = E[C(x_fake)] - E[C(x_real)] + lambda * E[(||grad_x_hat C(x_hat)||_2 - 1)^2].

Hidden tests in ``03-wgan`` compare the student's functions with these; Lesson 4 trains ProGAN
with :func:`gradient_penalty`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from . import bce, mlp_gan
from .data import DeviceBatches
from .fast import FastOptions, FastStep, frozen
from .mlp_gan import decode
from .resume import Checkpoint, Trace
from .training import train_gan, update_ema
from .validation import positive_number

__all__ = [
    "CLASSIC_LOSSES",
    "ComparisonConfig",
    "ConvCritic",
    "ConvGenerator",
    "FastCriticStep",
    "FastGeneratorStep",
    "WGANConfig",
    "clip_weights_",
    "critic_loss",
    "critic_step",
    "critic_weights",
    "generator_loss",
    "generated_images",
    "generator_step",
    "gradient_norms",
    "gradient_penalty",
    "interpolate",
    "make_critic_step",
    "make_optimizers",
    "train_classic_run",
    "train_run",
]

Critic = Callable[[torch.Tensor], torch.Tensor]


def _scores(value: object, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {type(value).__name__}")
    return value


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic's loss, mean(C(fake)) - mean(C(real)), minimised (WGAN, Algorithm 1, line 5).

    Minimising it maximises E[C(x)] - E[C(G(z))], the critic's estimate of the
    Wasserstein-1 distance (Kantorovich-Rubinstein duality, Arjovsky et al., eq. 2). Each mean
    is over its own batch.

    Shapes:
        real_scores: [N] or [N, 1]; fake_scores: [M] or [M, 1] -> a scalar.

    Taught in: 03-wgan, exercise 1.
    """
    return _scores(fake_scores, "fake_scores").mean() - _scores(real_scores, "real_scores").mean()


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator's loss, -mean(C(G(z))) (WGAN, Algorithm 1, line 10).

    Shapes:
        fake_scores: [N] or [N, 1] -> a scalar.

    Taught in: 03-wgan, exercise 2.
    """
    return -_scores(fake_scores, "fake_scores").mean()


def clip_weights_(critic: nn.Module, c: float = 0.01) -> None:
    """Clamp every parameter of ``critic`` (weights and biases) to [-c, c], in place.

    WGAN, Algorithm 1, line 7: a crude way to keep the critic K-Lipschitz for some K.
    Runs outside autograd (the parameters are leaves that require grad).

    Taught in: 03-wgan, exercise 3.
    """
    positive_number(c, "c")
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.clamp_(-c, c)


def interpolate(real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Points on the straight lines between real and fake samples: alpha*real + (1-alpha)*fake.

    WGAN-GP (Gulrajani et al., 2017), Algorithm 1, line 6: x_hat = eps*x + (1 - eps)*x_tilde.

    Args:
        real, fake: batches of the same shape.
        alpha: per-sample weights in [0, 1], already shaped for broadcasting.

    Shapes:
        real, fake: [N, C, H, W] with alpha [N, 1, 1, 1], or [N, D] with alpha [N, 1]
        -> same shape as ``real``.

    Taught in: 03-wgan, exercise 4.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {list(real.shape)} and {list(fake.shape)}"
        )
    return alpha * real + (1 - alpha) * fake  # [N, ...]


def gradient_norms(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
    create_graph: bool = False,
) -> torch.Tensor:
    """||grad_x_hat C(x_hat)||_2 per sample, at x_hat between real and fake samples.

    x_hat is built from detached copies of ``real`` and ``fake`` (neither is modified or given
    a gradient); the norm is taken over all non-batch dimensions. With ``create_graph`` the
    norms stay differentiable with respect to the critic's parameters.

    Args:
        critic: any callable from a batch to scores [N] or [N, 1], e.g. an ``nn.Module`` or
            ``lambda x: D(x, step, fade_alpha)`` for ProGAN's growing critic (Lesson 4).
        real, fake: batches of the same shape.
        alpha: interpolation weights shaped for broadcasting ([N, 1, 1, 1] or [N, 1]); drawn
            from U[0, 1] per sample, on ``real``'s device, when None.

    Shapes:
        real, fake: [N, ...] -> [N].

    Taught in: 03-wgan, section 4.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {list(real.shape)} and {list(fake.shape)}"
        )
    n = real.shape[0]
    if alpha is None:
        broadcast = (n,) + (1,) * (real.dim() - 1)
        alpha = torch.rand(broadcast, device=real.device, dtype=real.dtype)  # [N, 1, ...]
    x_hat = interpolate(real.detach(), fake.detach(), alpha).requires_grad_(True)  # [N, ...]
    with torch.enable_grad():
        scores = critic(x_hat)
        if scores.shape not in (torch.Size([n]), torch.Size([n, 1])):
            raise ValueError(
                f"the critic must return scores [N] or [N, 1], got {list(scores.shape)}"
            )
        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=create_graph)
    return grad.reshape(n, -1).norm(2, dim=1)  # ||grad_x_hat C(x_hat)||_2, [N]


def gradient_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
) -> torch.Tensor:
    """The WGAN-GP penalty E[(||grad_x_hat C(x_hat)||_2 - 1)^2] (Gulrajani et al., eq. 3).

    x_hat = alpha * real + (1 - alpha) * fake with alpha ~ U[0, 1] per sample (or the given
    ``alpha``), built from detached copies; the graph is kept (``create_graph=True``) so the
    penalty backpropagates into the critic's parameters. See :func:`gradient_norms`.

    Shapes:
        real, fake: [N, ...] -> a scalar.

    Taught in: 03-wgan, exercise 5.
    """
    norms = gradient_norms(critic, real, fake, alpha, create_graph=True)  # [N]
    return ((norms - 1) ** 2).mean()


def critic_step(
    critic: nn.Module,
    G: nn.Module,
    opt_C: torch.optim.Optimizer,
    real: torch.Tensor,
    z_dim: int,
    mode: str = "gp",
    c: float = 0.01,
    gp_weight: float = 10.0,
) -> dict[str, float | None]:
    """One critic update: weight clipping (WGAN) or gradient penalty (WGAN-GP).

    Fakes come from N(0, I) codes on ``real``'s device and carry no gradient into G. Mode
    ``"clip"`` minimises :func:`critic_loss` and then clips the weights; mode ``"gp"``
    minimises ``critic_loss + gp_weight * gradient_penalty``.

    Returns:
        ``{"critic_loss": the total minimised, "wasserstein": mean(C(real)) - mean(C(fake)),
        "gp": the unweighted penalty, or None in clip mode}`` as Python floats.

    Taught in: 03-wgan, exercise 6.
    """
    if mode not in ("clip", "gp"):
        raise ValueError(f'mode must be "clip" or "gp", got {mode!r}')
    z = torch.randn(real.shape[0], z_dim, device=real.device)  # [N, z_dim]
    with torch.no_grad():
        fake = G(z)  # [N, C, H, W], no graph into G
    real_scores, fake_scores = critic(real), critic(fake)
    loss = critic_loss(real_scores, fake_scores)
    gp = gradient_penalty(critic, real, fake) if mode == "gp" else None
    total = loss + gp_weight * gp if gp is not None else loss
    opt_C.zero_grad(set_to_none=True)
    total.backward()
    opt_C.step()
    if mode == "clip":
        clip_weights_(critic, c)
    return {
        "critic_loss": total.item(),
        "wasserstein": (real_scores.mean() - fake_scores.mean()).item(),
        "gp": None if gp is None else gp.item(),
    }


def generator_step(
    G: nn.Module,
    critic: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_C: torch.optim.Optimizer,
    real: torch.Tensor,
    z_dim: int = 100,
) -> dict[str, torch.Tensor]:
    """One generator update against a frozen critic, for ``train_gan(generator_step=...)``.

    Draws as many codes as ``real`` has samples, minimises :func:`generator_loss`, and keeps
    the critic's parameters out of the backward pass (``requires_grad`` off, then restored).
    ``opt_C`` is unused; it is part of :func:`helpers.training.train_gan`'s calling
    convention. Returns the loss as a detached tensor (no host synchronisation per step).

    Taught in: 03-wgan, section 5.
    """
    with frozen(critic):
        z = torch.randn(real.shape[0], z_dim, device=real.device)  # [N, z_dim]
        g_loss = generator_loss(critic(G(z)))
        opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_G.step()
    return {"g_loss": g_loss.detach()}


class FastCriticStep(FastStep):
    """:func:`critic_step`'s maths, made fast, in ``train_gan``'s calling convention.

    The same operations and random draws in the same order (z, then the interpolation
    weights), so with one seed and the same optimizer it gives the same losses and
    parameters as :func:`critic_step`. What differs: gradients set to None, losses returned
    as detached tensors (no host synchronisation), and the :class:`helpers.fast.FastOptions`.
    (A joint critic pass over real and fake images, as :class:`helpers.mlp_gan.FastTrainStep`
    makes, bought nothing measurable here: the convolutions dominate.) With ``compile``, the
    gradient penalty still runs the critic eagerly: compiled graphs do not support its
    double backward.

    Args:
        mode: ``"gp"`` (gradient penalty) or ``"clip"`` (weight clipping to ``c``).
        c: the clipping value in clip mode.
        gp_weight: lambda, the penalty's weight in gp mode.
        options: :class:`helpers.fast.FastOptions`.

    Returns:
        ``{"critic_loss", "wasserstein", "gp"}`` as detached tensors (``gp`` None in clip mode).

    Taught in: 03-wgan, section 5.
    """

    def __init__(
        self,
        mode: str = "gp",
        c: float = 0.01,
        gp_weight: float = 10.0,
        options: FastOptions | None = None,
    ):
        if mode not in ("clip", "gp"):
            raise ValueError(f'mode must be "clip" or "gp", got {mode!r}')
        super().__init__(options)
        self.mode, self.c, self.gp_weight = mode, c, gp_weight

    def __call__(
        self,
        G: nn.Module,
        critic: nn.Module,
        opt_G: torch.optim.Optimizer,
        opt_C: torch.optim.Optimizer,
        real: torch.Tensor,
        z_dim: int = 100,
    ) -> dict[str, torch.Tensor | None]:
        real, n = self.inputs(real), real.shape[0]
        with self.autocast(real.device):
            z = torch.randn(n, z_dim, device=real.device)  # [N, z_dim]
            with torch.no_grad():
                fake = self.inputs(self.net(G)(z)).to(real.dtype)  # [N, C, H, W], no graph
            loss = critic_loss(self.net(critic)(real), self.net(critic)(fake))
            gp = gradient_penalty(critic, real, fake) if self.mode == "gp" else None
            total = loss + self.gp_weight * gp if gp is not None else loss
        self.minimise(total, opt_C)
        if self.mode == "clip":
            clip_weights_(critic, self.c)
        return {
            "critic_loss": total.detach(),
            "wasserstein": -loss.detach(),
            "gp": None if gp is None else gp.detach(),
        }


class FastGeneratorStep(FastStep):
    """:func:`generator_step` with the :class:`helpers.fast.FastOptions` (precision, compile).

    Taught in: 03-wgan, section 5.
    """

    def __call__(
        self,
        G: nn.Module,
        critic: nn.Module,
        opt_G: torch.optim.Optimizer,
        opt_C: torch.optim.Optimizer,
        real: torch.Tensor,
        z_dim: int = 100,
    ) -> dict[str, torch.Tensor]:
        with frozen(critic):
            with self.autocast(real.device):
                z = torch.randn(real.shape[0], z_dim, device=real.device)  # [N, z_dim]
                g_loss = generator_loss(self.net(critic)(self.inputs(self.net(G)(z))))
            self.minimise(g_loss, opt_G)
        return {"g_loss": g_loss.detach()}


def make_critic_step(
    mode: str,
    c: float = 0.01,
    gp_weight: float = 10.0,
    critic_step_fn: Callable[..., dict[str, float | None]] = critic_step,
) -> Callable[..., dict[str, float | None]]:
    """``critic_step_fn`` in :func:`helpers.training.train_gan`'s calling convention.

    ``train_gan`` calls ``step_fn(G, D, opt_G, opt_D, real, **kwargs)``; the critic step
    takes ``(critic, G, opt_C, real, z_dim, mode, c, gp_weight)``. The notebook passes the
    student's ``critic_step`` as ``critic_step_fn``.

    Taught in: 03-wgan, section 5.
    """
    if mode not in ("clip", "gp"):
        raise ValueError(f'mode must be "clip" or "gp", got {mode!r}')

    def step(
        G: nn.Module,
        critic: nn.Module,
        opt_G: torch.optim.Optimizer,
        opt_C: torch.optim.Optimizer,
        real: torch.Tensor,
        z_dim: int = 100,
    ) -> dict[str, float | None]:
        return critic_step_fn(critic, G, opt_C, real, z_dim, mode=mode, c=c, gp_weight=gp_weight)

    return step


def critic_weights(critic: nn.Module) -> torch.Tensor:
    """Every weight of the critic's layers (no biases) in one flat CPU tensor, for histograms.

    Taught in: 03-wgan, section 4.
    """
    weights = [p.detach().reshape(-1) for name, p in critic.named_parameters() if "weight" in name]
    return torch.cat(weights).cpu()


class ConvGenerator(nn.Module):
    """DCGAN-style generator for 32 x 32 images (Radford et al., 2016, section 3).

    z is projected to a 4 x 4 map, then three transposed convolutions with stride 2
    double the size (4 -> 8 -> 16 -> 32); batch norm and ReLU after every layer but the
    last, which ends in Tanh. No pooling, no fully connected hidden layers.

    Args:
        z_dim: length of the latent code.
        img_channels: channels of the images (1 for MNIST).
        base_channels: channels at 16 x 16; 2x at 8 x 8 and 4x at 4 x 4.

    Shapes:
        z: [N, z_dim] -> images [N, img_channels, 32, 32] in (-1, 1).

    Taught in: 03-wgan, section 1.
    """

    def __init__(self, z_dim: int = 100, img_channels: int = 1, base_channels: int = 64):
        super().__init__()
        self.z_dim = z_dim
        width = 4 * base_channels
        self.project = nn.Sequential(
            nn.Linear(z_dim, width * 4 * 4, bias=False), nn.BatchNorm1d(width * 4 * 4), nn.ReLU()
        )
        self.width = width

        def up(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                    nn.BatchNorm2d(c_out), nn.ReLU()]  # fmt: skip

        self.body = nn.Sequential(
            *up(width, 2 * base_channels),  # [N, 2b, 8, 8]
            *up(2 * base_channels, base_channels),  # [N, b, 16, 16]
            nn.ConvTranspose2d(base_channels, img_channels, 4, stride=2, padding=1),
            nn.Tanh(),  # [N, img_channels, 32, 32]
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape [N, {self.z_dim}], got {list(z.shape)}")
        x = self.project(z).reshape(-1, self.width, 4, 4)  # [N, 4b, 4, 4]
        return self.body(x)  # [N, img_channels, 32, 32]


class ConvCritic(nn.Module):
    """DCGAN-style critic for 32 x 32 images, without batch norm, returning a raw score.

    Three strided convolutions halve the size (32 -> 16 -> 8 -> 4) with LeakyReLU(0.2),
    then a linear layer gives one unbounded score per image (no sigmoid). There is no batch
    norm: it makes each score depend on the other images of the batch, while the critic of
    WGAN-GP must be a function of one image, whose gradient the penalty constrains per sample
    (Gulrajani et al., section 4). ``spectral_norm=True`` wraps every layer in spectral
    normalisation (Miyato et al., 2018), a third way to a Lipschitz critic.

    Shapes:
        x: [N, img_channels, 32, 32] -> scores [N, 1].

    Taught in: 03-wgan, section 1.
    """

    def __init__(self, img_channels: int = 1, base_channels: int = 64, spectral_norm: bool = False):
        super().__init__()
        self.img_channels = img_channels
        wrap = _spectral_norm if spectral_norm else (lambda layer: layer)
        b = base_channels
        self.body = nn.Sequential(
            wrap(nn.Conv2d(img_channels, b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(b, 2 * b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(2 * b, 4 * b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
        )  # fmt: skip  # [N, 4b, 4, 4]
        self.head = wrap(nn.Linear(4 * b * 4 * 4, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (self.img_channels, 32, 32):
            raise ValueError(
                f"expected images [N, {self.img_channels}, 32, 32], got {list(x.shape)}"
            )
        features = self.body(x).flatten(1)  # [N, 4b * 16]
        return self.head(features)  # [N, 1]


def make_optimizers(
    G: nn.Module, critic: nn.Module, mode: str, config: WGANConfig
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """The papers' optimisers: RMSprop for weight clipping, Adam(betas=(0, 0.9)) for GP.

    Arjovsky et al. found momentum-based optimisers unstable with clipping (section 4);
    Gulrajani et al. train with Adam, beta1 = 0 (Algorithm 1).

    Returns:
        ``(opt_G, opt_C)``.

    Taught in: 03-wgan, section 5.
    """
    if mode == "clip":
        return (torch.optim.RMSprop(G.parameters(), lr=config.clip_lr),
                torch.optim.RMSprop(critic.parameters(), lr=config.clip_lr))  # fmt: skip
    if mode in ("gp", "spectral"):
        adam = {"lr": config.gp_lr, "betas": config.gp_betas}
        return torch.optim.Adam(G.parameters(), **adam), torch.optim.Adam(
            critic.parameters(), **adam
        )
    raise ValueError(f'mode must be "clip", "gp" or "spectral", got {mode!r}')


def train_run(
    mode: str,
    images: torch.Tensor,
    config: WGANConfig,
    num_steps: int,
    log_every: int,
    device: torch.device | str = "cpu",
    c: float | None = None,
    critic_step_fn: Callable[..., dict[str, float | None]] = critic_step,
    seed: int = 0,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """Train a :class:`ConvGenerator` against a :class:`ConvCritic` and report what happened.

    ``mode`` is ``"clip"`` (RMSprop, weights clipped to ``c``, default ``config.c``),
    ``"gp"`` (Adam, gradient penalty) or ``"spectral"`` (Adam, spectral normalisation, no
    penalty). Training is :func:`helpers.training.train_gan` with ``n_critic`` critic steps
    by ``critic_step_fn`` (the student's, in the notebook) per :func:`generator_step`. With
    a ``checkpoint`` an interrupted run resumes where it stopped (``seconds_per_step`` then
    times the resumed part only).

    Returns:
        a dict of plain values that :func:`helpers.training.cached` can store: ``steps``,
        ``logs`` (lists per logged value), ``snapshots`` [num_logs, 8, 1, 32, 32] and
        ``samples`` [64, 1, 32, 32] from fixed codes, ``weights`` (the critic's weights),
        ``grad_norms`` [256] (critic gradient norms at interpolates after training),
        ``seconds_per_step`` and the generator's ``state_dict``.

    Taught in: 03-wgan, section 5.
    """
    if mode not in ("clip", "gp", "spectral"):
        raise ValueError(f'mode must be "clip", "gp" or "spectral", got {mode!r}')
    torch.manual_seed(seed)
    G = ConvGenerator(config.z_dim, images.shape[1], config.base_channels).to(device)
    critic = ConvCritic(images.shape[1], config.base_channels, spectral_norm=mode == "spectral")
    critic = critic.to(device)
    opt_G, opt_C = make_optimizers(G, critic, mode, config)
    # spectral normalisation needs neither clipping nor a penalty: clip mode with c = inf
    step_fn = make_critic_step(
        "gp" if mode == "gp" else "clip",
        c=float("inf") if mode == "spectral" else (config.c if c is None else c),
        gp_weight=config.gp_weight,
        critic_step_fn=critic_step_fn,
    )
    batches = DeviceBatches(images, config.batch_size, device=device, seed=seed)
    fixed_z = torch.randn(64, config.z_dim, generator=torch.Generator().manual_seed(seed))
    snapshots = Trace()  # [8, 1, 32, 32] per logging point, kept by the checkpoint

    def log(step: int, logs: dict[str, float]) -> None:
        snapshots.append(decode(G, fixed_z[:8].to(device)).cpu())
        if on_log is not None:
            on_log(step, logs)

    start = time.perf_counter()
    history = train_gan(G, critic, opt_G, opt_C, batches, num_steps, step_fn, log_every=log_every,
                        on_log=log, n_critic=config.n_critic, generator_step=generator_step,
                        checkpoint=checkpoint, resumable={"snapshots": snapshots},
                        z_dim=config.z_dim)  # fmt: skip
    seconds = (time.perf_counter() - start) / num_steps
    real = next(iter(batches))[:256]
    with torch.no_grad():
        fake = G(torch.randn(real.shape[0], config.z_dim, device=device))
    return {
        "mode": mode,
        "c": None if mode != "clip" else (config.c if c is None else c),
        "steps": history.steps,
        "logs": history.logs,
        "snapshots": torch.stack(snapshots),
        "samples": decode(G, fixed_z.to(device)).cpu(),
        "weights": critic_weights(critic),
        "grad_norms": gradient_norms(critic, real, fake).cpu(),
        "seconds_per_step": seconds,
        "generator": {k: v.cpu() for k, v in G.state_dict().items()},
    }


@dataclass
class WGANConfig:
    """Lesson 3's hyper-parameters: the papers' settings, GPU-sized runs, smoke budgets beside."""

    z_dim: int = 100  # length of the latent code
    base_channels: int = 64  # width of the DCGAN generator and critic
    batch_size: int = 64
    n_critic: int = 5  # critic updates per generator update (both papers)
    clip_lr: float = 5e-5  # RMSprop, weight clipping (Arjovsky et al.)
    c: float = 0.01  # clipping value
    gp_lr: float = 1e-4  # Adam, gradient penalty (Gulrajani et al.)
    gp_betas: tuple[float, float] = (0.0, 0.9)
    gp_weight: float = 10.0  # lambda
    num_steps: int = 4000  # generator steps per run (20,000 critic steps)
    smoke_steps: int = 3
    log_every: int = 200
    smoke_log_every: int = 1
    sweep_steps: int = 300  # generator steps per run of the clipping-value sweep
    smoke_sweep_steps: int = 2
    sweep_values: tuple[float, ...] = (0.001, 0.01, 0.1)  # clipping values compared

    @classmethod
    def for_device(cls, device: torch.device | str) -> WGANConfig:
        """The full configuration on a GPU; on a CPU (or Apple's MPS) a scaled-down one with
        narrower networks and fewer steps, so that every run takes minutes, not hours."""
        if torch.device(device).type == "cuda":
            return cls()
        return cls(base_channels=16, num_steps=2000, log_every=100, sweep_steps=300)


# --- Section 7: the classic losses on the same networks, for the comparison table -------------

CLASSIC_LOSSES: dict[str, tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]] = {
    "bce": (mlp_gan.discriminator_loss, mlp_gan.generator_loss),  # non-saturating, Lesson 1
    "lsgan": (bce.lsgan_d_loss, bce.lsgan_g_loss),  # least squares (Mao et al.), Lesson 2
}


@dataclass
class ComparisonConfig:
    """Section 7's settings: DCGAN's Adam for BCE and LSGAN, the moving average, sample size."""

    lr: float = 2e-4  # Adam for the BCE and LSGAN runs (Radford et al., 2016)
    betas: tuple[float, float] = (0.5, 0.999)
    ema_decay: float = 0.995  # moving average of G: a window of about 200 steps
    eval_n: int = 2000  # generated and real images per set, for every metric
    smoke_eval_n: int = 200


def train_classic_run(
    loss: str,
    images: torch.Tensor,
    config: WGANConfig,
    compare: ComparisonConfig,
    num_steps: int,
    log_every: int,
    device: torch.device | str = "cpu",
    seed: int = 0,
) -> dict[str, Any]:
    """Train :class:`ConvGenerator` against :class:`ConvCritic` used as a discriminator.

    ``loss`` is ``"bce"`` (the non-saturating loss of Lesson 1) or ``"lsgan"`` (least squares,
    Lesson 2); one discriminator step per generator step, Adam with ``compare.lr`` and
    ``compare.betas``. A moving average of G (:func:`helpers.training.update_ema`, batch-norm
    statistics copied) is kept alongside.

    Returns:
        a dict for :func:`helpers.training.cached`: ``steps``, ``logs``, ``seconds_per_step``,
        and the ``generator`` and ``generator_ema`` state dicts.

    Taught in: 03-wgan, section 7.
    """
    if loss not in CLASSIC_LOSSES:
        raise ValueError(f"loss must be one of {sorted(CLASSIC_LOSSES)}, got {loss!r}")
    d_loss_fn, g_loss_fn = CLASSIC_LOSSES[loss]
    torch.manual_seed(seed)
    G = ConvGenerator(config.z_dim, images.shape[1], config.base_channels).to(device)
    D = ConvCritic(images.shape[1], config.base_channels).to(device)
    G_ema = copy.deepcopy(G)
    opt_G = torch.optim.Adam(G.parameters(), lr=compare.lr, betas=compare.betas)
    opt_D = torch.optim.Adam(D.parameters(), lr=compare.lr, betas=compare.betas)

    def step(G, D, opt_G, opt_D, real, z_dim):  # noqa: ANN001, ANN202 - train_gan's step_fn
        # (1) update D
        fake = G(torch.randn(real.shape[0], z_dim, device=real.device))  # [N, C, 32, 32]
        d_loss = d_loss_fn(D(real), D(fake.detach()))
        opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_D.step()
        # (2) update G
        g_loss = g_loss_fn(D(fake))
        opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_G.step()
        update_ema(G_ema, G, compare.ema_decay, copy_buffers=True)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    batches = DeviceBatches(images, config.batch_size, device=device, seed=seed)
    start = time.perf_counter()
    history = train_gan(G, D, opt_G, opt_D, batches, num_steps, step, log_every=log_every,
                        z_dim=config.z_dim)  # fmt: skip
    return {
        "loss": loss,
        "steps": history.steps,
        "logs": history.logs,
        "seconds_per_step": (time.perf_counter() - start) / num_steps,
        "generator": {k: v.cpu() for k, v in G.state_dict().items()},
        "generator_ema": {k: v.cpu() for k, v in G_ema.state_dict().items()},
    }


@torch.no_grad()
def generated_images(
    state: dict[str, torch.Tensor],
    config: WGANConfig,
    n: int,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """``n`` images from a :class:`ConvGenerator` state dict (eval mode, seeded codes), on the CPU.

    Shapes:
        returns [n, img_channels, 32, 32] in [-1, 1].

    Taught in: 03-wgan, section 7.
    """
    img_channels = state["body.6.weight"].shape[1]  # the last transposed convolution's outputs
    G = ConvGenerator(config.z_dim, img_channels, config.base_channels)
    G.load_state_dict(state)
    G = G.to(device).eval()
    z = torch.randn(n, config.z_dim, generator=torch.Generator().manual_seed(seed))  # [n, z_dim]
    return torch.cat([G(chunk.to(device)).cpu() for chunk in z.split(500)])
