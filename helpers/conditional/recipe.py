"""The recipe of the shipped conditional generator, ``helpers/weights/conditional.pt``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from ..data import load_mnist
from ..plotting import save_images
from ..resume import Checkpoint
from ..runtime import budget, is_smoke, seed_everything
from .networks import ConditionalGenerator
from .quality import class_report, generate
from .runs import ConditionalConfig, load_generator, train_run

__all__ = ["train_pretrained"]


def train_pretrained(
    config: ConditionalConfig | None = None,
    device: str = "cpu",
    samples_dir: str | None = None,
    log: Callable[[str], None] = print,
    checkpoint: Checkpoint | None = None,
) -> tuple[ConditionalGenerator, dict[str, object]]:
    """Train the course's conditional generator as the notebook's full-mode cell does.

    The projection discriminator, the reference :func:`~helpers.conditional.steps.train_step`,
    ``config.num_steps`` steps on MNIST (the 5,000 offline digits when the full set is not
    there); the recipe records the data, the configuration, the time and the
    :func:`~helpers.conditional.quality.class_report` (conditional accuracy and Fréchet
    distance per class, with their floors). Run through ``python -m helpers.pretrained train
    conditional`` (``--resume FILE`` continues an interrupted run).

    Returns:
        the generator (eval mode, CPU) and its recipe.

    Taught in: 06-conditional, section 3.
    """
    config = config or ConditionalConfig()
    seed_everything(config.seed)
    images, labels = load_mnist(verbose=False)
    num_steps = budget(config.num_steps, config.smoke_steps)
    start = time.perf_counter()

    def on_log(step: int, means: dict[str, float]) -> None:
        values = " ".join(f"{key}={value:.4g}" for key, value in means.items())
        log(f"[{time.perf_counter() - start:6.0f} s] step {step:6d} {values}")

    run = train_run(images, labels, config, num_steps,
                    budget(config.log_every, config.smoke_log_every), "projection",
                    device=device, seed=config.seed, on_log=on_log,
                    checkpoint=checkpoint)  # fmt: skip
    seconds = time.perf_counter() - start
    G = load_generator(run["generator"], config)
    if samples_dir is not None:
        save_images(generate(G, 8 * config.num_classes), Path(samples_dir) / "conditional.png",
                    nrow=config.num_classes)  # fmt: skip
    report = class_report(G, images, labels)
    for row in report:
        log(row.row())
    recipe: dict[str, object] = {
        "data": f"MNIST, {images.shape[0]} labelled training digits, 28x28, scaled to [-1, 1]",
        "model": "ConditionalGenerator ([z, one_hot(y)] input) against a ProjectionDiscriminator, "
        "non-saturating BCE, helpers.conditional.train_step",
        "config": asdict(config),
        "iterations": num_steps,
        "seconds": round(seconds),
        "smoke": is_smoke(),
        "class_report": [asdict(row) for row in report],
    }
    return G.cpu().eval(), recipe
