"""Reference implementations for Lesson 2: where the BCE loss of the vanilla GAN breaks down.

Three failure modes and one remedy:

* vanishing gradients: against a confident discriminator the saturating generator loss
  log(1 - D(G(z))) of Goodfellow et al. (2014, eq. 1) has almost no gradient, the
  non-saturating -log D(G(z)) (their section 3) keeps one;
* the Jensen-Shannon divergence, which the BCE game minimises against an optimal D, is
  stuck at log 2 when real and fake distributions do not overlap, while the Wasserstein-1
  distance (Arjovsky et al., 2017, https://arxiv.org/abs/1701.07875, section 2) grows with
  the gap;
* mode collapse, measured on 2-D mixtures of Gaussians (Metz et al., 2017,
  https://arxiv.org/abs/1611.02163, section 3.1);
* least-squares GAN losses (Mao et al., 2017, https://arxiv.org/abs/1611.04076, eq. 2 with
  a = 0, b = c = 1), whose gradients do not vanish for confident discriminators.

Hidden tests in ``02-bce-limits`` compare the student's functions with these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import mlp_gan
from .data import DeviceBatches
from .training import batch_stream, train_gan
from .validation import positive_number

__all__ = [
    "BCELimitsConfig",
    "PointDiscriminator",
    "PointGenerator",
    "PointRun",
    "gradient_probe",
    "js_divergence",
    "logit_gradient",
    "lsgan_d_loss",
    "lsgan_g_loss",
    "mode_coverage",
    "non_saturating_g_loss",
    "saturating_g_loss",
    "train_on_points",
    "wasserstein_1d",
]

ArrayLike = Sequence[float] | np.ndarray | torch.Tensor


def _logits(value: object, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {type(value).__name__}")
    return value


def saturating_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's term of the minimax game, mean(log(1 - sigmoid(l))), to be minimised.

    Goodfellow et al. (2014), eq. 1. Computed as -softplus(l), which is finite for any
    logit, whereas log(1 - sigmoid(l)) is log(0) = -inf once sigmoid(l) rounds to 1.

    Shapes:
        fake_logits: [N] or [N, 1] -> a scalar.

    Taught in: 02-bce-limits, exercise 1.
    """
    return -F.softplus(_logits(fake_logits, "fake_logits")).mean()


def non_saturating_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss mean(-log sigmoid(l)) (Goodfellow et al., section 3).

    The same value as Lesson 1's :func:`helpers.mlp_gan.generator_loss`.

    Shapes:
        fake_logits: [N] or [N, 1] -> a scalar.

    Taught in: 02-bce-limits, exercise 2.
    """
    return F.softplus(-_logits(fake_logits, "fake_logits")).mean()


def logit_gradient(
    loss_fn: Callable[[torch.Tensor], torch.Tensor], logits: torch.Tensor
) -> torch.Tensor:
    """d loss_fn(logits) / d logits by autograd, leaving the caller's tensor untouched.

    The gradient is taken at a detached copy, so ``logits`` keeps its ``requires_grad`` flag,
    gets no ``.grad``, and no gradient flows into whatever computed it.

    Shapes:
        logits: any shape -> the gradient, same shape, dtype and device.

    Taught in: 02-bce-limits, exercise 3.
    """
    point = _logits(logits, "logits").detach().clone().requires_grad_(True)
    loss = loss_fn(point)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise ValueError("loss_fn must return a scalar tensor")
    (grad,) = torch.autograd.grad(loss, point)
    return grad


def _vector(value: ArrayLike, name: str) -> np.ndarray:
    """A 1-D float64 NumPy copy of a list, an array or a tensor (on any device, with grad)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().double().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a vector of numbers: {err}") from err
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D vector, got shape {list(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or inf")
    return array


def js_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """Jensen-Shannon divergence of two discrete distributions, in nats, within [0, log 2].

    JSD(p, q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2 and 0 log 0 = 0,
    computed in float64.

    Raises:
        ValueError: unless p and q are non-negative vectors of equal length, each summing to
            1 within 1e-6.

    Taught in: 02-bce-limits, exercise 4.
    """
    p, q = _vector(p, "p"), _vector(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same length, got {p.size} and {q.size}")
    for name, dist in (("p", p), ("q", q)):
        if (dist < 0).any():
            raise ValueError(f"{name} has negative entries: not a probability vector")
        if abs(dist.sum() - 1.0) > 1e-6:
            raise ValueError(f"{name} sums to {dist.sum():.6g}, not 1")
    m = (p + q) / 2

    def kl_to_m(dist: np.ndarray) -> float:
        mass = dist > 0  # 0 log 0 = 0; where dist > 0, m > 0 too
        return float(np.sum(dist[mass] * np.log(dist[mass] / m[mass])))

    return (kl_to_m(p) + kl_to_m(q)) / 2


def wasserstein_1d(x: ArrayLike, y: ArrayLike) -> float:
    """Wasserstein-1 (earth mover's) distance between two equal-size 1-D samples.

    In one dimension the optimal transport plan matches the i-th smallest value of x with
    the i-th smallest of y, so W1 = mean |sort(x) - sort(y)| (Arjovsky et al., 2017, eq. 1).

    Raises:
        ValueError: for samples of different sizes, empty, or not 1-D.

    Taught in: 02-bce-limits, exercise 5.
    """
    x, y = _vector(x, "x"), _vector(y, "y")
    if x.size != y.size:
        raise ValueError(f"x and y must have the same size, got {x.size} and {y.size}")
    return float(np.mean(np.abs(np.sort(x) - np.sort(y))))


def lsgan_d_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """Least-squares loss of D: 0.5 mean((D(x) - 1)^2) + 0.5 mean(D(G(z))^2).

    Mao et al. (2017), eq. 2 with targets a = 0 (fake) and b = 1 (real); each mean over its
    own batch. D's outputs are raw scores (no sigmoid).

    Shapes:
        real_out: [N] or [N, 1]; fake_out: [M] or [M, 1] -> a scalar.

    Taught in: 02-bce-limits, exercise 7.
    """
    real_out, fake_out = _logits(real_out, "real_out"), _logits(fake_out, "fake_out")
    return 0.5 * (real_out - 1).pow(2).mean() + 0.5 * fake_out.pow(2).mean()


def lsgan_g_loss(fake_out: torch.Tensor) -> torch.Tensor:
    """Least-squares loss of G: 0.5 mean((D(G(z)) - 1)^2) (Mao et al., eq. 2 with c = 1).

    Shapes:
        fake_out: [N] or [N, 1] -> a scalar.

    Taught in: 02-bce-limits, exercise 7.
    """
    return 0.5 * (_logits(fake_out, "fake_out") - 1).pow(2).mean()


def _points(value: ArrayLike, name: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        points = value.detach().cpu().double()
    else:
        try:
            points = torch.as_tensor(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} must be an array of 2-D points: {err}") from err
    if points.dim() != 2 or points.shape[1] != 2 or points.shape[0] == 0:
        raise ValueError(f"{name} must have shape [N, 2] with N >= 1, got {list(points.shape)}")
    if not torch.isfinite(points).all():
        raise ValueError(f"{name} contains NaN or inf")
    return points


def mode_coverage(
    samples: ArrayLike, centers: ArrayLike, std: float, k: float = 3.0
) -> tuple[int, float]:
    """How many modes of a Gaussian mixture the samples cover, and the share of good samples.

    A sample is high quality when its distance to its nearest centre is at most ``k * std``;
    a mode is covered when at least one high-quality sample is nearest to it (the usual
    measure on the 2-D ring and grid, e.g. Srivastava et al., 2017, "VEEGAN", section 5.1).

    Args:
        samples: points [N, 2] (list, array or tensor on any device).
        centers: the mixture's means [K, 2].
        std: the standard deviation of each mixture component, > 0.
        k: how many standard deviations still count as high quality, > 0.

    Returns:
        ``(modes_covered, high_quality)``: an int in [0, K] and a float in [0, 1].

    Taught in: 02-bce-limits, exercise 6.
    """
    samples, centers = _points(samples, "samples"), _points(centers, "centers")
    positive_number(std, "std")
    positive_number(k, "k")
    distances = torch.cdist(samples, centers)  # [N, K]
    nearest_distance, nearest = distances.min(dim=1)  # [N], [N]
    good = nearest_distance <= k * std  # [N]
    return int(nearest[good].unique().numel()), float(good.double().mean())


class PointGenerator(nn.Module):
    """A small MLP generator for 2-D points: z [N, z_dim] -> points [N, 2].

    Two hidden layers with ReLU and a linear output (the points are not bounded), the size
    used in the mixture-of-Gaussians experiments of Metz et al. (2017), appendix A.

    Taught in: 02-bce-limits, section 3.
    """

    def __init__(self, z_dim: int = 16, hidden: int = 128):
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.Linear(z_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape [N, {self.z_dim}], got {list(z.shape)}")
        return self.net(z)  # [N, 2]


class PointDiscriminator(nn.Module):
    """A small MLP discriminator for 2-D points: [N, 2] -> raw scores [N, 1] (no sigmoid).

    Taught in: 02-bce-limits, section 3.
    """

    def __init__(self, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != 2:
            raise ValueError(f"expected points of shape [N, 2], got {list(x.shape)}")
        return self.net(x)  # [N, 1]


def gradient_probe(
    G: nn.Module,
    D: nn.Module,
    opt_D: torch.optim.Optimizer,
    batches: Iterable[torch.Tensor],
    num_steps: int,
    every: int,
    g_losses: dict[str, Callable[[torch.Tensor], torch.Tensor]],
    z_dim: int = 100,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train D against a fixed G and record how much gradient each generator loss gives G.

    Every ``every`` D updates (and before the first), on one fixed batch of codes: D's
    accuracy (real logits > 0, fake logits < 0), the mean D(G(z)), and for each loss in
    ``g_losses`` the norm of its gradient with respect to all of G's parameters.

    Returns:
        ``{"step": [...], "d_accuracy": [...], "d_of_fake": [...], <loss name>: [...]}``.

    Taught in: 02-bce-limits, section 1.
    """
    device = next(G.parameters()).device
    z = mlp_gan.sample_noise(256, z_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    record: dict[str, list[float]] = {"step": [], "d_accuracy": [], "d_of_fake": []}
    record.update({name: [] for name in g_losses})
    stream = batch_stream(batches)

    def measure(step: int, real: torch.Tensor) -> None:
        fake = G(z)  # [256, ...], with a graph into G
        fake_logits = D(fake)
        with torch.no_grad():
            right = (D(real) > 0).float().mean() + (fake_logits < 0).float().mean()
        record["step"].append(step)
        record["d_accuracy"].append(float(right) / 2)
        record["d_of_fake"].append(float(torch.sigmoid(fake_logits.detach()).mean()))
        for name, loss_fn in g_losses.items():
            grads = torch.autograd.grad(
                loss_fn(fake_logits), list(G.parameters()), retain_graph=True
            )
            record[name].append(float(torch.sqrt(sum((g**2).sum() for g in grads))))

    for step in range(num_steps + 1):
        real = next(stream)
        if step % every == 0 or step == num_steps:
            measure(step, real)
        if step < num_steps:  # (1) update D only; G stays as it is
            with torch.no_grad():
                fake = G(mlp_gan.sample_noise(real.shape[0], z_dim, device=device))
            opt_D.zero_grad(set_to_none=True)
            mlp_gan.discriminator_loss(D(real), D(fake)).backward()
            opt_D.step()
    return record


@dataclass
class BCELimitsConfig:
    """Budgets of Lesson 2's experiments (full mode < 2 minutes on 2 CPU cores; smoke beside)."""

    probe_steps: int = 300  # D updates against a fixed G in the vanishing-gradient probe
    smoke_probe_steps: int = 6
    probe_every: int = 10
    probe_batch_size: int = 64
    z_dim: int = 16  # latent size of the 2-D generator
    hidden: int = 128  # width of the 2-D networks
    batch_size: int = 256
    lr: float = 2e-4  # Adam, both players
    betas: tuple[float, float] = (0.5, 0.999)
    num_steps: int = 2000  # steps per 2-D run
    smoke_steps: int = 20
    log_every: int = 200
    smoke_log_every: int = 10
    seeds: tuple[int, ...] = (0, 1, 2)  # runs per loss on the ring
    smoke_seeds: tuple[int, ...] = (0,)
    dataset_size: int = 50_000  # points drawn once from each mixture
    eval_samples: int = 2500  # samples drawn to measure mode coverage


@dataclass
class PointRun:
    """What one 2-D run logged: coverage over training and the samples behind it."""

    steps: list[int] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)  # modes covered at each logged step
    quality: list[float] = field(default_factory=list)  # fraction of high-quality samples
    samples: list[torch.Tensor] = field(default_factory=list)  # [eval_samples, 2] on the CPU


def train_on_points(
    points: torch.Tensor,
    centers: torch.Tensor,
    std: float,
    d_loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    g_loss_fn: Callable[[torch.Tensor], torch.Tensor],
    coverage_fn: Callable[..., tuple[int, float]],
    config: BCELimitsConfig,
    num_steps: int,
    log_every: int,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> PointRun:
    """Train a :class:`PointGenerator` against a :class:`PointDiscriminator` on 2-D points.

    One loop for every loss: :func:`helpers.training.train_gan` with Lesson 1's
    :func:`helpers.mlp_gan.train_step`, given ``d_loss_fn`` and ``g_loss_fn``. At each
    logging step the same ``config.eval_samples`` codes are decoded and scored with
    ``coverage_fn(samples, centers, std)``.

    Taught in: 02-bce-limits, sections 3 and 4.
    """
    torch.manual_seed(seed)
    G = PointGenerator(config.z_dim, config.hidden).to(device)
    D = PointDiscriminator(config.hidden).to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=config.lr, betas=config.betas)
    opt_D = torch.optim.Adam(D.parameters(), lr=config.lr, betas=config.betas)
    codes = torch.Generator().manual_seed(seed + 1000)
    z = mlp_gan.sample_noise(config.eval_samples, config.z_dim, generator=codes).to(device)
    run = PointRun()

    def score(step: int, logs: dict[str, float]) -> None:
        samples = mlp_gan.decode(G, z).cpu()  # [eval_samples, 2]
        modes, quality = coverage_fn(samples, centers, std)
        run.steps.append(step)
        run.modes.append(int(modes))
        run.quality.append(float(quality))
        run.samples.append(samples)

    batches = DeviceBatches(points, config.batch_size, device=device, seed=seed)
    losses = {"d_loss_fn": d_loss_fn, "g_loss_fn": g_loss_fn}
    train_gan(G, D, opt_G, opt_D, batches, num_steps, mlp_gan.train_step, log_every=log_every,
              on_log=score, z_dim=config.z_dim, **losses)  # fmt: skip
    return run
