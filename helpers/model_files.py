"""The file format of the checkpoints the course ships: one model, its recipe, its weights.

Each ``helpers/weights/<name>.pt`` holds a format stamp, the model's constructor arguments,
the recipe that produced it (data, schedule, iterations, seconds, machine, date, torch
version) and its state dict. :func:`load_model` rebuilds a model of a given class with
``weights_only=True``, so a checkpoint can never run code. The files are package data
(``pyproject.toml``), so a ``pip install`` of the course (e.g. on Colab) ships them.

This module knows no lesson: :mod:`helpers.pretrained` says which class each file holds,
and :mod:`helpers.metrics` loads its classifier through :func:`load_model` directly.
"""

from __future__ import annotations

import datetime
import inspect
import json
import os
import platform
import sys
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "VERSION",
    "WEIGHTS_DIR",
    "CheckpointError",
    "constructor_kwargs",
    "load_model",
    "path_of",
    "read",
    "write",
]

FORMAT = "gan-course-checkpoint"  # identifies the files this module writes
VERSION = 1  # bump when the layout of the file changes; read() then refuses old files
MAX_BYTES = 5_000_000  # every shipped file stays under 5 MB
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, from another format version, or does not fit its model."""


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


def _public_name(cls: type) -> str:
    """``module.Class`` by its shortest import path: ``helpers.progan.ProGenerator``, not
    ``helpers.progan.networks.ProGenerator``, when the package re-exports the class."""
    module = cls.__module__
    while "." in module:
        parent = module.rpartition(".")[0]
        if getattr(sys.modules.get(parent), cls.__qualname__, None) is not cls:
            break
        module = parent
    return f"{module}.{cls.__qualname__}"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    threads = torch.get_num_threads()
    return f"{platform.platform()}, {cpu}, {os.cpu_count()} cores, torch threads {threads}"


def write(
    name: str,
    model: nn.Module,
    recipe: dict[str, object],
    weights_dir: str | Path | None = None,
    half: bool = False,
) -> Path:
    """Write ``model`` and its recipe to ``<weights_dir>/<name>.pt`` (see the module docstring).

    The machine, date and torch version are added to ``recipe``. With ``half=True``
    floating-point tensors are stored as float16 (halving the file); :func:`load_model` restores
    float32 either way.

    Raises:
        CheckpointError: if the file would exceed :data:`MAX_BYTES` (try ``half=True``).
    """
    stored = torch.float16 if half else torch.float32
    state = {
        key: value.detach().to("cpu", stored) if value.is_floating_point() else value.cpu()
        for key, value in model.state_dict().items()
    }
    recipe = {
        **recipe,
        "machine": _machine(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "stored_dtype": str(stored),
    }
    checkpoint = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "class": _public_name(type(model)),
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


def load_model(
    name: str,
    model_class: type[nn.Module],
    device: torch.device | str = "cpu",
    weights_dir: str | Path | None = None,
) -> nn.Module:
    """Rebuild the ``model_class`` saved as ``name``, in eval mode on ``device``, float32.

    The recipe is attached as ``model.recipe`` (a dict).

    Raises:
        CheckpointError: if the file is missing, stale or does not fit the model.
    """
    checkpoint = read(name, weights_dir)
    model = model_class(**checkpoint["kwargs"])
    state = {
        key: value.float() if value.is_floating_point() else value
        for key, value in checkpoint["state_dict"].items()
    }
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(
            f"{name}.pt does not fit {model_class.__name__}: {err}; {_regenerate_hint(name)}"
        ) from err
    model.recipe = checkpoint["recipe"]
    return model.to(device).eval()
