"""The checkpoints the course trained with its own code, by name, and their command line.

:func:`registry` says which class each ``helpers/weights/<name>.pt`` holds and which function
trains it; the file format itself (stamp, constructor arguments, recipe, weights, loading
with ``weights_only=True``) is :mod:`helpers.model_files`.

Command line::

    python -m helpers.pretrained info                 # recipe of every shipped checkpoint
    python -m helpers.pretrained train progan         # retrain and rewrite progan.pt
    python -m helpers.pretrained train progan --resume run.pt   # resumable after a kill
    python -m helpers.pretrained evaluate progan      # score a shipped generator

Lessons add their checkpoints to :func:`registry`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import metrics, progan, stylegan
from .data import load_mnist, to_unit_range
from .model_files import (
    FORMAT,
    MAX_BYTES,
    VERSION,
    WEIGHTS_DIR,
    CheckpointError,
    constructor_kwargs,
    load_model,
    path_of,
    read,
    write,
)
from .resume import Checkpoint

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "VERSION",
    "WEIGHTS_DIR",
    "CheckpointError",
    "Entry",
    "constructor_kwargs",
    "info",
    "load",
    "main",
    "path_of",
    "read",
    "registry",
    "save",
    "score_checkpoint",
]


@dataclass(frozen=True)
class Entry:
    """A shipped checkpoint: the class it rebuilds and the function that trains it.

    ``train(**kwargs)`` returns ``(model, recipe)``; the keyword arguments it accepts
    (``device``, ``samples_dir``, ``checkpoint``) come from the command line.
    """

    model: type[nn.Module]
    train: Callable[..., tuple[nn.Module, dict[str, object]]]
    description: str


def registry() -> dict[str, Entry]:
    """Every checkpoint the course ships, by name."""
    return {
        "classifier": Entry(
            metrics.DigitClassifier,
            metrics.train_pretrained,
            "Metrics: digit classifier whose features measure sample quality (helpers.metrics)",
        ),
        "progan": Entry(
            progan.ProGenerator,
            progan.train_pretrained,
            "Lesson 4: ProGAN generator grown 4x4 -> 32x32 on MNIST (moving average)",
        ),
        "stylegan": Entry(
            stylegan.StyleGenerator,
            stylegan.train_pretrained,
            "Lesson 5: style-based generator trained at 32x32 on MNIST (moving average)",
        ),
    }


def _entry(name: str) -> Entry:
    entries = registry()
    if name not in entries:
        raise ValueError(f"unknown checkpoint {name!r}; the course ships {sorted(entries)}")
    return entries[name]


def save(
    name: str,
    model: nn.Module,
    recipe: dict[str, object],
    weights_dir: str | Path | None = None,
    half: bool = False,
) -> Path:
    """Write ``model`` as checkpoint ``name`` (:func:`helpers.model_files.write`), after
    checking that it is the class the registry expects for that name.

    Raises:
        ValueError: for an unknown name.
        CheckpointError: for a model of another class, or a file over
            :data:`~helpers.model_files.MAX_BYTES` (try ``half=True``).
    """
    entry = _entry(name)
    if type(model) is not entry.model:
        raise CheckpointError(
            f"checkpoint {name!r} holds a {entry.model.__name__}, got {type(model).__name__}"
        )
    return write(name, model, recipe, weights_dir, half)


def load(
    name: str, device: torch.device | str = "cpu", weights_dir: str | Path | None = None
) -> nn.Module:
    """Rebuild the model saved as ``name``, in eval mode on ``device``, with float32 weights.

    The recipe is attached as ``model.recipe`` (a dict).

    Example: ``G = pretrained.load("progan")`` then ``G(z, stage=3, alpha=1.0)``.

    Raises:
        ValueError: for an unknown name.
        CheckpointError: if the file is missing, stale or does not fit the model.
    """
    return load_model(name, _entry(name).model, device, weights_dir)


def info(weights_dir: str | Path | None = None, out: Callable[[str], None] = print) -> None:
    """Print the recipe of every registered checkpoint (or why it cannot be read)."""
    for name, entry in registry().items():
        out(f"== {name}: {entry.description}")
        try:
            checkpoint = read(name, weights_dir)
        except CheckpointError as err:
            out(f"   {err}")
            continue
        size = path_of(name, weights_dir).stat().st_size
        out(f"   file: {path_of(name, weights_dir)} ({size:,} bytes)")
        out(f"   class: {checkpoint['class']}({json.dumps(checkpoint['kwargs'])})")
        out(json.dumps(checkpoint["recipe"], indent=2))


# --- scoring a shipped generator -------------------------------------------------------------

GENERATORS: dict[str, Callable[..., torch.Tensor]] = {
    "progan": progan.generate,
    "stylegan": stylegan.generate,
}
"""The shipped generators :func:`score_checkpoint` can score, with their sampling function."""


def score_checkpoint(name: str, n: int = 2000, seed: int = 0) -> dict[str, Any]:
    """The metrics of a shipped generator checkpoint (``progan``, ``stylegan``) at size ``n``.

    :func:`helpers.metrics.real_floor` draws two disjoint sets of ``n`` real digits from
    :func:`helpers.data.load_mnist` (32 x 32 samples are centre-cropped to 28 x 28); ``n``
    samples (codes seeded with ``seed + 1``) are scored against the first set with
    :func:`helpers.metrics.evaluate`. Returns the real-vs-real floor and the generator's
    scores, as plain dicts.
    """
    if name not in GENERATORS:
        raise ValueError(f"no generator called {name!r}; try {' or '.join(GENERATORS)}")
    images, _ = load_mnist(verbose=False)
    floor, reference = metrics.real_floor(to_unit_range(images), n, seed)
    with torch.no_grad():
        fake = GENERATORS[name](load(name), n, seed=seed + 1)
        scores = metrics.evaluate(fake, reference)
    return {"n": n, "real_vs_real": asdict(floor), name: asdict(scores)}


def main(argv: list[str] | None = None) -> int:
    """The command line: ``info``, ``train NAME [--device D] [--threads T] [--samples DIR]``
    or ``evaluate NAME [--n N] [--seed S]``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.pretrained", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="print the recipe of every checkpoint")
    train = commands.add_parser("train", help="retrain a checkpoint and rewrite its file")
    train.add_argument("name", choices=sorted(registry()))
    train.add_argument("--device", default="cpu")
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    train.add_argument("--samples", default=None, help="folder for sample grids")
    train.add_argument("--weights-dir", default=None, help="write here instead of helpers/")
    train.add_argument("--half", action="store_true", help="store float16 tensors")
    train.add_argument("--resume", default=None, metavar="FILE",
                       help="save a resume checkpoint there every 250 iterations and, if it "
                       "exists, continue from it")  # fmt: skip
    evaluate = commands.add_parser("evaluate", help="score a shipped generator checkpoint")
    evaluate.add_argument("name", choices=sorted(GENERATORS))
    evaluate.add_argument("--n", type=int, default=2000, help="samples per set")
    evaluate.add_argument("--seed", type=int, default=0)
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.command == "info":
        info()
        return 0
    if args.command == "evaluate":
        result = score_checkpoint(args.name, args.n, args.seed)
        print(metrics.Scores.HEADER + " | set")
        for label in ("real_vs_real", args.name):
            print(metrics.Scores(**result[label]).row() + f" | {label}")
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"training {args.name} on {args.device} with {torch.get_num_threads()} threads")
    checkpoint = None if args.resume is None else Checkpoint(args.resume, every=250)
    model, recipe = registry()[args.name].train(
        device=args.device, samples_dir=args.samples, checkpoint=checkpoint
    )
    recipe = {**recipe, "command": " ".join(["python -m helpers.pretrained", *argv])}
    path = save(args.name, model.cpu(), recipe, args.weights_dir, half=args.half)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
