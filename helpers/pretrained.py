"""Checkpoints the course trained with its own code, shipped inside the package.

Each ``helpers/weights/<name>.pt`` holds a format stamp, the model's constructor arguments,
the recipe that produced it (data, schedule, iterations, seconds, machine, date, torch
version) and its state dict. :func:`load` rebuilds the model with ``weights_only=True``, so a
checkpoint can never run code. The files are package data (``pyproject.toml``), so a
``pip install`` of the course (e.g. on Colab) ships them.

Command line::

    python -m helpers.pretrained info                 # recipe of every shipped checkpoint
    python -m helpers.pretrained train progan         # retrain and rewrite progan.pt
    python -m helpers.pretrained train progan --resume run.pt   # resumable after a kill

Lessons add their checkpoints to :func:`registry`.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

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
]

FORMAT = "gan-course-checkpoint"  # identifies the files this module writes
VERSION = 1  # bump when the layout of the file changes; load() then refuses old files
MAX_BYTES = 5_000_000  # every shipped file stays under 5 MB
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, from another format version, or does not fit its model."""


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
    """Every checkpoint the course ships, by name (lesson modules are imported only here)."""
    from . import metrics, progan, stylegan

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


def path_of(name: str, weights_dir: str | Path | None = None) -> Path:
    """Where checkpoint ``name`` lives: ``<weights_dir or helpers/weights>/<name>.pt``."""
    return Path(weights_dir or WEIGHTS_DIR) / f"{name}.pt"


def _regenerate_hint(name: str) -> str:
    return f"regenerate it with `python -m helpers.pretrained train {name}`"


def constructor_kwargs(model: nn.Module) -> dict[str, object]:
    """The constructor arguments of ``model``, read from attributes of the same names.

    Checkpointed classes keep each ``__init__`` argument as an attribute (``self.z_dim``);
    tuples become lists so the values survive ``weights_only`` loading and JSON printing.
    """
    kwargs: dict[str, object] = {}
    for parameter in list(inspect.signature(type(model).__init__).parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if not hasattr(model, parameter.name):
            raise CheckpointError(
                f"{type(model).__name__} does not keep its argument {parameter.name!r} as an "
                "attribute, so it cannot be rebuilt from a checkpoint"
            )
        value = getattr(model, parameter.name)
        kwargs[parameter.name] = list(value) if isinstance(value, tuple) else value
    return kwargs


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    threads = torch.get_num_threads()
    return f"{platform.platform()}, {cpu}, {os.cpu_count()} cores, torch threads {threads}"


def save(
    name: str,
    model: nn.Module,
    recipe: dict[str, object],
    weights_dir: str | Path | None = None,
    half: bool = False,
) -> Path:
    """Write ``model`` and its recipe to ``<weights_dir>/<name>.pt`` (see the module docstring).

    The machine, date and torch version are added to ``recipe``. With ``half=True``
    floating-point tensors are stored as float16 (halving the file); :func:`load` restores
    float32 either way.

    Raises:
        CheckpointError: if the file would exceed :data:`MAX_BYTES` (try ``half=True``).
    """
    entry = _entry(name)
    if type(model) is not entry.model:
        raise CheckpointError(
            f"checkpoint {name!r} holds a {entry.model.__name__}, got {type(model).__name__}"
        )
    stored = torch.float16 if half else torch.float32
    state = {
        key: value.detach().to("cpu", stored) if value.is_floating_point() else value.cpu()
        for key, value in model.state_dict().items()
    }
    recipe = {
        **recipe,
        "machine": _machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "stored_dtype": str(stored),
    }
    checkpoint = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "class": f"{entry.model.__module__}.{entry.model.__qualname__}",
        "kwargs": constructor_kwargs(model),
        "recipe": json.loads(json.dumps(recipe)),  # plain lists, dicts, str and numbers only
        "state_dict": state,
    }
    path = path_of(name, weights_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    torch.save(checkpoint, partial)
    size = partial.stat().st_size
    if size > MAX_BYTES:
        partial.unlink()
        raise CheckpointError(
            f"{name}.pt would take {size:,} bytes, over the {MAX_BYTES:,} allowed; "
            "store it with half=True or shrink the model"
        )
    partial.replace(path)  # atomic: a reader never sees a half-written file
    return path


def read(name: str, weights_dir: str | Path | None = None) -> dict[str, object]:
    """Load checkpoint ``name``'s raw contents (``weights_only``) after checking its stamp.

    Raises:
        CheckpointError: if the file is missing or has another format or version.
    """
    path = path_of(name, weights_dir)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint {path}; {_regenerate_hint(name)}")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, dict):
        checkpoint = {}
    stamp = (checkpoint.get("format"), checkpoint.get("version"))
    if stamp != (FORMAT, VERSION):
        raise CheckpointError(
            f"{path} has format {stamp[0]!r} version {stamp[1]!r}, but this version of helpers "
            f"reads {FORMAT!r} version {VERSION}; {_regenerate_hint(name)}"
        )
    return checkpoint


def load(
    name: str, device: torch.device | str = "cpu", weights_dir: str | Path | None = None
) -> nn.Module:
    """Rebuild the model saved as ``name``, in eval mode on ``device``, with float32 weights.

    The recipe is attached as ``model.recipe`` (a dict).

    Example: ``G = pretrained.load("progan")`` then ``G(z, step=3, alpha=1.0)``.

    Raises:
        ValueError: for an unknown name.
        CheckpointError: if the file is missing, stale or does not fit the model.
    """
    entry = _entry(name)
    checkpoint = read(name, weights_dir)
    model = entry.model(**checkpoint["kwargs"])
    state = {
        key: value.float() if value.is_floating_point() else value
        for key, value in checkpoint["state_dict"].items()
    }
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(
            f"{name}.pt does not fit {entry.model.__name__}: {err}; {_regenerate_hint(name)}"
        ) from err
    model.recipe = checkpoint["recipe"]
    return model.to(device).eval()


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


def main(argv: list[str] | None = None) -> int:
    """The command line: ``info`` or ``train NAME [--device D] [--threads T] [--samples DIR]``."""
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
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.command == "info":
        info()
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
