"""ProGAN's progressive training: WGAN-GP with drift, one resolution after another.

Karras et al. (2018), appendix A.1: the critic minimises WGAN-GP (Lesson 3's
:func:`helpers.wgan.gradient_penalty`) plus a drift term 0.001 * E[D(x_real)^2]; reals are
pooled to the current resolution and faded like the fakes; each resolution fades in, then
trains stable. The fade-in weight is ``fade_alpha`` here, because the gradient penalty has an
``alpha`` of its own. A *stage* is a resolution (stage k: 4 * 2**k); an *iteration* (a *step*
of :func:`helpers.training.train_gan`) is one critic and one generator update, and the
schedule counts them (``fade_iterations``, ``stable_iterations``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data import DeviceBatches
from ..fast import frozen
from ..resume import Checkpoint, Counter
from ..runtime import budget
from ..training import History, train_gan, update_ema
from ..wgan import gradient_penalty
from .layers import Alpha, alpha_schedule, downsample, fade_in, resolution_of, upsample
from .networks import ProDiscriminator, ProGenerator


def critic_loss(
    real_scores: torch.Tensor,
    fake_scores: torch.Tensor,
    penalty: torch.Tensor,
    gp_weight: float = 10.0,
    drift: float = 0.001,
) -> torch.Tensor:
    """WGAN-GP critic loss with ProGAN's drift term.

    E[D(fake)] - E[D(real)] + gp_weight * penalty + drift * E[D(real)^2]
    (Gulrajani et al. 2017, eq. 3; Karras et al. 2018, appendix A.1: epsilon_drift = 0.001
    keeps the critic's scores from drifting far from zero).

    Shapes:
        real_scores: [N, 1] or [N]; fake_scores: [M, 1] or [M]; penalty: scalar -> scalar.

    Taught in: 04-progan, section 5.
    """
    wasserstein = fake_scores.mean() - real_scores.mean()
    return wasserstein + gp_weight * penalty + drift * real_scores.pow(2).mean()


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss: -E[D(G(z))].

    Shapes:
        fake_scores: [N, 1] or [N] -> scalar.

    Taught in: 04-progan, section 5.
    """
    return -fake_scores.mean()


def progressive_reals(real: torch.Tensor, stage: int, fade_alpha: Alpha = 1.0) -> torch.Tensor:
    """Real images as the critic sees them at ``stage``: pooled down, and faded like the fakes.

    Karras et al. (2018), appendix A.1: reals are downsampled (average pooling) to the current
    resolution, and while a resolution fades in they are blended like the generator's output:
    fade_in(upsample(downsample(x)), x, fade_alpha), with x the reals at the new resolution.

    Shapes:
        real: [N, C, S, S] with S a multiple of R -> [N, C, R, R], R = 4 * 2**stage.

    Taught in: 04-progan, section 5.
    """
    side = resolution_of(stage)
    if real.dim() != 4 or real.shape[-1] != real.shape[-2] or real.shape[-1] % side:
        raise ValueError(f"cannot pool images of shape {list(real.shape)} to {side}x{side}")
    factor = real.shape[-1] // side
    x = F.avg_pool2d(real, factor) if factor > 1 else real  # [N, C, R, R]
    if stage == 0:
        return x
    return fade_in(upsample(downsample(x)), x, fade_alpha)  # [N, C, R, R]


def critic_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    stage: int,
    fade_alpha: Alpha,
    gp_weight: float = 10.0,
    drift: float = 0.001,
) -> dict[str, torch.Tensor]:
    """(1) Update the critic once on real images (already at ``stage``'s resolution) and fakes.

    A :class:`helpers.training.StepFn`; ``opt_G`` is unused.

    Returns:
        ``{"d_loss": the critic loss with penalty and drift, "wasserstein", "gp"}``, detached.

    Taught in: 04-progan, section 5.
    """
    z = torch.randn(real.shape[0], G.z_dim, device=real.device)  # [N, z_dim]
    with torch.no_grad():
        fake = G(z, stage, fade_alpha)  # [N, C, R, R]
    real_scores, fake_scores = D(real, stage, fade_alpha), D(fake, stage, fade_alpha)
    penalty = gradient_penalty(lambda x: D(x, stage, fade_alpha), real, fake)
    loss = critic_loss(real_scores, fake_scores, penalty, gp_weight, drift)
    opt_D.zero_grad(set_to_none=True)
    loss.backward()
    opt_D.step()
    return {
        "d_loss": loss.detach(),
        "wasserstein": (real_scores.mean() - fake_scores.mean()).detach(),
        "gp": penalty.detach(),
    }


def generator_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    stage: int,
    fade_alpha: Alpha,
) -> dict[str, torch.Tensor]:
    """(2) Update the generator once through the frozen critic on as many fresh fakes as ``real``.

    A :class:`helpers.training.StepFn`: ``real`` gives the batch size and the device only, and
    ``opt_D`` is unused. D's parameters stop requiring gradients meanwhile
    (:func:`helpers.fast.frozen`), so its backward pass computes input gradients only; G's
    update is the same.

    Returns:
        ``{"g_loss": -E[D(G(z))]}``, detached.

    Taught in: 04-progan, section 5.
    """
    with frozen(D):
        z = torch.randn(real.shape[0], G.z_dim, device=real.device)  # [N, z_dim]
        loss = generator_loss(D(G(z, stage, fade_alpha), stage, fade_alpha))
        opt_G.zero_grad(set_to_none=True)
        loss.backward()
        opt_G.step()
    return {"g_loss": loss.detach()}


@dataclass
class ProGANConfig:
    """Hyper-parameters of Lesson 4's progressive run on MNIST padded to 32x32.

    Index k of each tuple is stage k (resolution 4 * 2**k). Defaults suit a GPU; the shipped
    checkpoint's CPU recipe is in ``helpers.pretrained``. Smoke mode runs ``smoke_iterations``
    iterations per phase instead.
    """

    z_dim: int = 128  # length of the latent code z
    channels: tuple[int, ...] = (64, 64, 32, 16)  # feature maps at 4x4, 8x8, 16x16, 32x32
    batch_sizes: tuple[int, ...] = (64, 64, 64, 64)  # real images per iteration, per stage
    fade_iterations: tuple[int, ...] = (0, 2000, 2000, 2000)  # fade-in iterations (none at 4x4)
    stable_iterations: tuple[int, ...] = (2000, 2000, 2000, 4000)  # iterations after the fade
    lr: float = 1e-3  # Adam learning rate of both networks (appendix A.1)
    betas: tuple[float, float] = (0.0, 0.99)  # Adam beta1, beta2 (appendix A.1)
    gp_weight: float = 10.0  # lambda of WGAN-GP
    drift: float = 0.001  # epsilon_drift on E[D(x_real)^2]
    group_size: int = 4  # minibatch-stddev group
    ema_decay: float = 0.999  # generator weight averaging; 0 turns it off
    smoke_iterations: int = 2  # iterations per phase while grading or in smoke runs
    log_every: int = 200  # iterations between logging points
    smoke_log_every: int = 1
    seed: int = 0  # shuffling of the reals

    @classmethod
    def for_device(cls, device: torch.device | str) -> ProGANConfig:
        """The full schedule on a GPU; on a CPU (or MPS) a short one of 300 iterations per
        phase at batch 32, which grows to 32x32 in minutes (the shipped checkpoint trained
        12,000 iterations in about an hour)."""
        if torch.device(device).type == "cuda":
            return cls()
        return cls(batch_sizes=(32, 32, 32, 32), fade_iterations=(0, 300, 300, 300),
                   stable_iterations=(300, 300, 300, 300), log_every=100)  # fmt: skip

    def __post_init__(self) -> None:
        k = len(self.channels)
        for name in ("batch_sizes", "fade_iterations", "stable_iterations"):
            if len(getattr(self, name)) != k:
                raise ValueError(f"{name} needs one entry per resolution ({k}), like channels")
        if self.fade_iterations[0] != 0:
            raise ValueError("there is nothing to fade in at 4x4: fade_iterations[0] must be 0")


def _betas(config: ProGANConfig) -> tuple[float, float]:
    """Adam's betas as floats (Adam rejects the int 0 in ``(0, 0.99)``)."""
    beta1, beta2 = config.betas
    return float(beta1), float(beta2)


def train_iteration(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    stage: int,
    fade_alpha: Alpha,
    config: ProGANConfig,
    G_ema: nn.Module | None = None,
) -> dict[str, torch.Tensor]:
    """One training iteration at ``stage``: (1) a critic step, (2) a generator step, then EMA.

    Karras et al. (2018), appendix A.1: the reals are pooled to the current resolution and
    faded like the fakes (:func:`progressive_reals`), the critic minimises WGAN-GP plus drift
    (:func:`critic_step`), the generator -E[D(G(z))] on as many fresh fakes
    (:func:`generator_step`), and ``G_ema``, if given, follows G (:func:`update_ema`).
    :func:`train_progressive` runs it every iteration; ``python -m helpers.bench`` times it.

    Args:
        G, D, opt_G, opt_D: the networks and their optimizers.
        real: a batch of real images at any multiple of the stage's resolution.
        stage, fade_alpha: the resolution and its fade-in weight.
        config: ``gp_weight``, ``drift`` and ``ema_decay``.
        G_ema: the moving-average copy of G, or None.

    Returns:
        the critic's and the generator's logs (detached tensors).

    Shapes:
        real: [N, C, S, S], S a multiple of 4 * 2**stage.

    Taught in: 04-progan, section 5.
    """
    real = progressive_reals(real, stage, fade_alpha)  # [N, C, R, R]
    logs = critic_step(G, D, opt_G, opt_D, real, stage, fade_alpha, config.gp_weight, config.drift)
    logs |= generator_step(G, D, opt_G, opt_D, real, stage, fade_alpha)
    if G_ema is not None:
        update_ema(G_ema, G, config.ema_decay)
    return logs


def _phase(
    G: nn.Module,
    D: nn.Module,
    opts: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    batches: DeviceBatches,
    stage: int,
    num_iterations: int,
    fade_iterations: int,
    config: ProGANConfig,
    G_ema: nn.Module | None,
    on_log: Callable[[int, dict[str, float]], None] | None,
    offset: int = 0,
    checkpoint: Checkpoint | None = None,
) -> History:
    """One fade or stable phase at ``stage`` through :func:`helpers.training.train_gan`."""
    counter = Counter()  # iterations of this phase; a checkpoint keeps it for the fade-in

    def one_iteration(G, D, opt_G, opt_D, real):  # train_gan's step_fn
        fade_alpha = alpha_schedule(next(counter), fade_iterations)
        logs = train_iteration(G, D, opt_G, opt_D, real, stage, fade_alpha, config, G_ema)
        return {**logs, "fade_alpha": fade_alpha}

    def log(i: int, means: dict[str, float]) -> None:
        if on_log is not None:
            on_log(offset + i, {"resolution": float(resolution_of(stage)), **means})

    return train_gan(
        G,
        D,
        *opts,
        batches,
        num_iterations,
        one_iteration,
        log_every=budget(config.log_every, config.smoke_log_every),
        on_log=log,
        checkpoint=checkpoint,
        resumable={"counter": counter, **({} if G_ema is None else {"G_ema": G_ema})},
    )


def train_progressive(
    G: ProGenerator,
    D: ProDiscriminator,
    images: torch.Tensor,
    config: ProGANConfig,
    device: torch.device | str = "cpu",
    G_ema: ProGenerator | None = None,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    on_stage_end: Callable[[int, ProGenerator], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> list[History]:
    """Grow G and D through every resolution: at each stage a fade phase, then a stable phase.

    Karras et al. (2018), section 2 and appendix A.1: 4x4 trains alone, then each new
    resolution fades in (alpha 0 -> 1 over ``fade_iterations[k]`` iterations) and trains
    stable for ``stable_iterations[k]``. Adam (lr, betas from ``config``) starts afresh at
    each resolution (stage).

    Args:
        G, D: networks built with ``config.channels`` (on ``device``).
        images: uint8 [N, C, S, S] (e.g. MNIST padded to 32x32) or float in [-1, 1].
        config: the schedule and hyper-parameters.
        device: where the data and the networks live.
        G_ema: an optional copy of G updated as a moving average (e.g. ``copy.deepcopy(G)``).
        on_log: called as ``on_log(iteration, means)`` at each logging point of each phase,
            with "resolution" and "fade_alpha" among the means.
        on_stage_end: called as ``on_stage_end(stage, G_ema or G)`` after each resolution, e.g.
            to draw a sample grid.
        checkpoint: if given, each phase saves beside it (``checkpoint.part("8x8-fade")``)
            and a run started again resumes in the phase where it stopped; finished phases
            are restored from their last save, not trained again.

    Returns:
        one :class:`helpers.training.History` per phase, in order.

    Taught in: 04-progan, section 5.
    """
    histories: list[History] = []
    done = 0  # iterations of all earlier phases, so on_log counts across phases
    for stage in range(min(G.max_stage, D.max_stage) + 1):
        batches = DeviceBatches(images, config.batch_sizes[stage], device, config.seed + stage)
        opts = tuple(
            torch.optim.Adam(net.parameters(), lr=config.lr, betas=_betas(config)) for net in (G, D)
        )
        fade = budget(
            config.fade_iterations[stage],
            min(config.fade_iterations[stage], config.smoke_iterations),
        )
        stable = budget(config.stable_iterations[stage], config.smoke_iterations)
        side = resolution_of(stage)
        for length, fade_length, kind in ((fade, fade, "fade"), (stable, 0, "stable")):
            if length > 0:
                part = None if checkpoint is None else checkpoint.part(f"{side}x{side}-{kind}")
                histories.append(_phase(G, D, opts, batches, stage, length, fade_length, config,
                                        G_ema, on_log, done, part))  # fmt: skip
                done += length
        if on_stage_end is not None:
            on_stage_end(stage, G_ema if G_ema is not None else G)
    return histories


def make_networks(
    config: ProGANConfig, device: torch.device | str = "cpu"
) -> tuple[ProGenerator, ProDiscriminator, ProGenerator]:
    """Build G, D and G's moving-average copy from ``config`` on ``device``."""
    G = ProGenerator(config.z_dim, config.channels).to(device)
    D = ProDiscriminator(config.channels, group_size=config.group_size).to(device)
    return G, D, copy.deepcopy(G)
