"""Training runs of Lesson 6: one conditional GAN, with the discriminator of your choice.

:func:`train_run` is what the notebook's training cells and the shipped checkpoint's recipe
call: :func:`helpers.training.train_gan` over ``DeviceBatches(..., labels=labels)``, with a
step function (the student's, or a reference), snapshots of one sample per digit and the
conditional accuracy at every logging point, and a resumable checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .. import metrics
from ..data import DeviceBatches
from ..resume import Checkpoint, Trace
from ..training import StepFn, train_gan
from .networks import (
    AuxiliaryClassifierDiscriminator,
    ConditionalGenerator,
    LabelMapDiscriminator,
    ProjectionDiscriminator,
)
from .quality import conditional_accuracy, generate
from .steps import acgan_step, train_step

__all__ = ["DISCRIMINATORS", "ConditionalConfig", "load_generator", "make_networks", "train_run"]

DISCRIMINATORS: dict[str, type[nn.Module]] = {
    "label maps": LabelMapDiscriminator,  # cGAN: the label as input channels
    "projection": ProjectionDiscriminator,  # Miyato and Koyama (2018)
    "AC-GAN": AuxiliaryClassifierDiscriminator,  # Odena et al. (2017): predicts the label
}
"""The discriminators the lesson compares, by the name its table uses."""


@dataclass
class ConditionalConfig:
    """Hyper-parameters of Lesson 6's conditional GAN on 28 x 28 MNIST, smoke budgets beside.

    The full budget trained in 7 to 15 minutes on one core of the course's shared 2-core CPU
    (no GPU was measured); the comparison of section 5 trains each discriminator for
    ``compare_steps``.
    """

    z_dim: int = 64  # length of the latent code
    num_classes: int = 10  # the ten digits
    base_channels: int = 16  # b: G has 2b channels at 7x7 and b at 14x14; D the reverse
    feature_dim: int = 128  # length of the discriminators' features phi(x)
    batch_size: int = 64
    lr: float = 2e-4  # Adam, both networks (DCGAN's setting)
    betas: tuple[float, float] = (0.5, 0.999)
    num_steps: int = 6000  # generator steps of the main run
    smoke_steps: int = 20  # while grading or in GAN_COURSE_SMOKE=1 runs
    log_every: int = 500
    smoke_log_every: int = 5
    compare_steps: int = 2000  # per discriminator in the comparison
    smoke_compare_steps: int = 6
    seed: int = 0


def make_networks(
    config: ConditionalConfig, discriminator: str = "projection", device: torch.device | str = "cpu"
) -> tuple[ConditionalGenerator, nn.Module]:
    """A fresh generator and the named discriminator (a key of :data:`DISCRIMINATORS`).

    Taught in: 06-conditional, section 5.
    """
    if discriminator not in DISCRIMINATORS:
        raise ValueError(f"discriminator must be one of {sorted(DISCRIMINATORS)}, "
                         f"got {discriminator!r}")  # fmt: skip
    G = ConditionalGenerator(config.z_dim, config.num_classes, config.base_channels)
    D = DISCRIMINATORS[discriminator](config.num_classes, config.base_channels, config.feature_dim)
    return G.to(device), D.to(device)


def load_generator(
    state: dict[str, torch.Tensor], config: ConditionalConfig
) -> ConditionalGenerator:
    """A :class:`ConditionalGenerator` of ``config``'s sizes with the weights ``state``, in eval
    mode on ``state``'s device.

    Taught in: 06-conditional, section 3.
    """
    G = ConditionalGenerator(config.z_dim, config.num_classes, config.base_channels)
    G.load_state_dict(state)
    return G.to(next(iter(state.values())).device).eval()


def train_run(
    images: torch.Tensor,
    labels: torch.Tensor,
    config: ConditionalConfig,
    num_steps: int,
    log_every: int,
    discriminator: str = "projection",
    step_fn: StepFn | None = None,
    device: torch.device | str = "cpu",
    seed: int = 0,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, object]:
    """Train a conditional GAN on labelled digits; return what the notebook plots and scores.

    Adam (``config.lr``, ``config.betas``) for both networks, ``config.batch_size`` real
    digits per step with their labels. ``step_fn`` defaults to :func:`train_step`
    (:func:`acgan_step` for ``"AC-GAN"``); it is called as ``step_fn(G, D, opt_G, opt_D,
    (images, labels), z_dim=..., num_classes=...)``. At every logging point: one sample per
    digit from fixed codes, and the conditional accuracy of 50 samples per digit.

    Returns:
        plain values :func:`helpers.training.cached` can store: ``discriminator``, ``steps``,
        ``logs``, ``snapshots`` [num_logs, K, 1, 28, 28], ``accuracy`` [num_logs, K],
        ``seconds_per_step`` (of the part this call ran) and the generator's ``state_dict``
        on the CPU.

    Taught in: 06-conditional, section 3.
    """
    # loading the classifier builds a network from the global generator: do it before seeding,
    # so that the run's random numbers do not depend on whether it was loaded already
    metrics.classifier(device)
    torch.manual_seed(seed)
    G, D = make_networks(config, discriminator, device)
    opt_G = torch.optim.Adam(G.parameters(), lr=config.lr, betas=config.betas)
    opt_D = torch.optim.Adam(D.parameters(), lr=config.lr, betas=config.betas)
    if step_fn is None:
        step_fn = acgan_step if discriminator == "AC-GAN" else train_step
    batches = DeviceBatches(images, config.batch_size, device=device, seed=seed, labels=labels)
    digits = torch.arange(config.num_classes)
    snapshots, accuracy = Trace(), Trace()  # kept by the checkpoint

    def log(step: int, logs: dict[str, float]) -> None:
        snapshots.append(generate(G, config.num_classes, seed=seed, labels=digits).cpu())
        accuracy.append(conditional_accuracy(G, metrics.predict, config.num_classes, 50,
                                             config.z_dim, seed=seed + 1).tolist())  # fmt: skip
        if on_log is not None:
            on_log(step, logs)

    start = time.perf_counter()
    history = train_gan(G, D, opt_G, opt_D, batches, num_steps, step_fn, log_every=log_every,
                        on_log=log, checkpoint=checkpoint,
                        resumable={"snapshots": snapshots, "accuracy": accuracy},
                        z_dim=config.z_dim, num_classes=config.num_classes)  # fmt: skip
    return {
        "discriminator": discriminator,
        "steps": history.steps,
        "logs": history.logs,
        "snapshots": torch.stack(list(snapshots)),
        "accuracy": torch.tensor(list(accuracy)),
        "seconds_per_step": (time.perf_counter() - start) / num_steps,
        "generator": {key: value.cpu() for key, value in G.state_dict().items()},
    }
