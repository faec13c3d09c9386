"""Training the style-based generator against ProGAN's critic, growing as ProGAN does.

WGAN-GP plus drift as in Lesson 4 (Karras et al. 2018, appendix A.1), with style mixing
regularisation (Karras et al. 2019, section 3.1) and a slower mapping network (appendix C).
Like the paper (section 2), the synthesis network and the critic can grow from 4x4 with
Lesson 4's fade-in; a config with no lower-resolution iterations trains at full resolution.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..data import DeviceBatches
from ..fast import fast_optimizer, frozen
from ..progan import (
    Alpha,
    ProDiscriminator,
    alpha_schedule,
    critic_loss,
    generator_loss,
    progressive_reals,
)
from ..resume import Checkpoint, Counter
from ..runtime import budget
from ..training import History, train_gan, update_ema
from ..wgan import gradient_penalty
from .components import style_mix
from .generator import StyleGenerator


@dataclass
class StyleGANConfig:
    """Hyper-parameters of the course's StyleGAN on MNIST padded to 32x32.

    Index k of ``fade_iterations`` and ``stable_iterations`` is stage k (resolution 4 * 2**k),
    as in Lesson 4's schedule; a stage with no iterations is skipped. The defaults are the
    shipped checkpoint's recipe: 6,000 iterations at 32x32 from the start. A schedule with
    lower stages grows the synthesis network and the critic from 4x4 with ProGAN's fade-in,
    as the paper did (Karras et al. 2019, section 2; :data:`helpers.stylegan.GROWN_CONFIG` is
    ProGAN's 12,000-iteration schedule, measured in Lesson 5, section 5). ProGAN's critic and
    recipe (WGAN-GP plus drift, Adam 1e-3, betas (0, 0.99)), style mixing with probability
    ``mixing_prob`` (section 3.1) and a mapping network that learns ``lr / mapping_lr`` times
    slower (appendix C: 100 times).
    """

    z_dim: int = 64
    w_dim: int = 64
    channels: tuple[int, ...] = (64, 64, 32, 16)  # feature maps at 4x4, 8x8, 16x16, 32x32
    mapping_layers: int = 4
    batch_size: int = 32
    fade_iterations: tuple[int, ...] = (0, 0, 0, 0)  # fade-in iterations per stage
    stable_iterations: tuple[int, ...] = (0, 0, 0, 6000)  # iterations after the fade
    smoke_iterations: int = 2  # iterations per phase while grading or in smoke runs
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

    def __post_init__(self) -> None:
        k = len(self.channels)
        for name in ("fade_iterations", "stable_iterations"):
            counts = getattr(self, name)
            if len(counts) != k or any(n < 0 for n in counts):
                raise ValueError(f"{name} needs one count >= 0 per resolution ({k}), like "
                                 f"channels; got {counts}")  # fmt: skip
        if self.fade_iterations[0] != 0:
            raise ValueError("there is nothing to fade in at 4x4: fade_iterations[0] must be 0")
        if not any(self.fade_iterations) and not any(self.stable_iterations):
            raise ValueError("the schedule has no iterations at all")

    @property
    def progressive(self) -> bool:
        """Whether the schedule grows: any fade-in, or iterations below the full resolution."""
        return any(self.fade_iterations) or any(self.stable_iterations[:-1])

    def stages(self) -> list[tuple[int, int, int]]:
        """The schedule as ``(stage, iterations, fade iterations)`` per trained resolution,
        the fade counted in the iterations, both cut to ``smoke_iterations`` per phase in
        smoke mode (:func:`helpers.runtime.budget`)."""
        schedule = []
        for stage, (fade, stable) in enumerate(zip(self.fade_iterations, self.stable_iterations)):
            fade = budget(fade, min(fade, self.smoke_iterations))
            stable = budget(stable, min(stable, self.smoke_iterations))
            if fade + stable > 0:
                schedule.append((stage, fade + stable, fade))
        return schedule


def stage_and_alpha(schedule: list[tuple[int, int, int]], iteration: int) -> tuple[int, float]:
    """The stage and fade-in weight of ``iteration`` (from 0) in a :meth:`StyleGANConfig.stages`
    schedule: alpha rises from 0 to 1 over a stage's fade iterations
    (:func:`helpers.progan.alpha_schedule`), then stays 1; past the end, the last stage.

    Taught in: 05-stylegan, section 5.
    """
    for stage, steps, fade in schedule:
        if iteration < steps:
            return stage, alpha_schedule(iteration, fade)
        iteration -= steps
    return schedule[-1][0], 1.0


def ws_for_training(
    G: StyleGenerator,
    n: int,
    device: torch.device | str,
    mixing_prob: float,
    stage: int | None = None,
) -> torch.Tensor:
    """w's for a training batch: with probability ``mixing_prob`` two codes mixed at a random
    crossover (Karras et al. 2019, section 3.1: mixing regularisation), else one w per block.

    The crossover falls among the blocks in use up to ``stage`` (default: all), as in the
    paper's growing network; at 4x4 (stage 0) there is nothing to mix. The random draws, in
    order: z, the coin (a CPU scalar), then z2 and the crossover if mixed.

    Shapes:
        returns [n, G.num_ws, G.w_dim].

    Taught in: 05-stylegan, section 5.
    """
    active = G.num_ws if stage is None else stage + 1
    w1 = G.mapping(torch.randn(n, G.z_dim, device=device))
    if torch.rand(()).item() < mixing_prob and active > 1:
        w2 = G.mapping(torch.randn(n, G.z_dim, device=device))
        crossover = int(torch.randint(1, active, ()).item())
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
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    config: StyleGANConfig,
    stage: int | None = None,
    fade_alpha: Alpha = 1.0,
) -> dict[str, torch.Tensor]:
    """(1) Update the critic once: WGAN-GP plus drift, fakes from mixed w's.

    A :class:`helpers.training.StepFn`; ``opt_G`` is unused. ``stage`` (default: the full
    resolution) and ``fade_alpha`` select the resolution and its fade-in, as in Lesson 4;
    ``real`` must already be at that resolution (:func:`helpers.progan.progressive_reals`).

    Returns:
        ``{"d_loss": the critic loss with penalty and drift, "gp": the unweighted penalty,
        "wasserstein"}``, detached.

    Shapes:
        real: [N, img_channels, R, R] at D's highest resolution.

    Taught in: 05-stylegan, section 5.
    """
    stage = D.max_stage if stage is None else stage
    with torch.no_grad():
        ws = ws_for_training(G, real.shape[0], real.device, config.mixing_prob, stage)
        fake = G.synthesis(ws, stage=stage, alpha=fade_alpha)
    real_scores, fake_scores = D(real, stage, fade_alpha), D(fake, stage, fade_alpha)
    penalty = gradient_penalty(lambda x: D(x, stage, fade_alpha), real, fake)
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
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    config: StyleGANConfig,
    stage: int | None = None,
    fade_alpha: Alpha = 1.0,
) -> dict[str, torch.Tensor]:
    """(2) Update the generator once on as many fakes as ``real`` has, with style mixing,
    through a frozen critic, at ``stage`` (default: the full resolution) and ``fade_alpha``.

    A :class:`helpers.training.StepFn`: ``real`` gives the batch size and the device only, and
    ``opt_D`` is unused. With probability ``config.mixing_prob`` each fake mixes two w's at a
    random crossover (Karras et al. 2019, section 3.1); the loss is -E[D(G(z))]. D's
    parameters stop requiring gradients meanwhile (:func:`helpers.fast.frozen`), so only its
    input gradients are computed.

    Taught in: 05-stylegan, section 5.
    """
    stage = D.max_stage if stage is None else stage
    with frozen(D):
        ws = ws_for_training(G, real.shape[0], real.device, config.mixing_prob, stage)
        g_loss = generator_loss(D(G.synthesis(ws, stage=stage, alpha=fade_alpha), stage,
                                  fade_alpha))  # fmt: skip
        opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_G.step()
    return {"g_loss": g_loss.detach()}


def train_stylegan(
    G: StyleGenerator,
    D: ProDiscriminator,
    images: torch.Tensor,
    config: StyleGANConfig,
    num_steps: int | None = None,
    device: torch.device | str = "cpu",
    G_ema: StyleGenerator | None = None,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    log_every: int = 250,
    checkpoint: Checkpoint | None = None,
) -> History:
    """Train G against ProGAN's critic with WGAN-GP plus drift, growing as ``config`` says.

    One :func:`critic_step` and one :func:`generator_step` per iteration, through
    :func:`helpers.training.train_gan`, at the stage and fade-in weight that
    :meth:`StyleGANConfig.stages` gives each iteration (the reals pooled and faded to match,
    :func:`helpers.progan.progressive_reals`); ``G_ema``, if given, follows G's weights as a
    moving average. ``num_steps`` (default: the whole schedule) stops earlier. With a
    ``checkpoint`` an interrupted run resumes where it stopped.

    Taught in: 05-stylegan, section 5.
    """
    opt_G, opt_D = make_optimizers(G, D, config)
    schedule = config.stages()
    counter = Counter()  # iterations so far: the stage and the fade-in follow it

    def one_iteration(G, D, opt_G, opt_D, real):  # train_gan's step_fn
        stage, fade_alpha = stage_and_alpha(schedule, next(counter))
        if stage != D.max_stage or fade_alpha != 1:
            real = progressive_reals(real, stage, fade_alpha)  # [N, C, R, R], pooled and faded
        logs = critic_step(G, D, opt_G, opt_D, real, config, stage, fade_alpha)  # (1) critic
        logs |= generator_step(G, D, opt_G, opt_D, real, config, stage, fade_alpha)  # (2) G
        if G_ema is not None:
            update_ema(G_ema, G, config.ema_decay)
        return {**logs, "resolution": float(4 * 2**stage), "fade_alpha": fade_alpha}

    total = sum(steps for _, steps, _ in schedule) if num_steps is None else num_steps
    batches = DeviceBatches(images, config.batch_size, device, config.seed)
    resumable = {"counter": counter, **({} if G_ema is None else {"G_ema": G_ema})}
    return train_gan(G, D, opt_G, opt_D, batches, total, one_iteration, log_every=log_every,
                     on_log=on_log, checkpoint=checkpoint, resumable=resumable)  # fmt: skip
