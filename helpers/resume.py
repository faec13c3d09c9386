"""Checkpoints that let an interrupted training run carry on exactly where it stopped.

A Colab runtime that disconnects, or a process that is killed, loses everything in memory.
A :class:`Checkpoint` given to :func:`helpers.training.train_gan` (and so to every lesson's
loop built on it) saves, every ``every`` steps, all the loop needs to continue as if nothing
had happened: the models, the optimizers, the random generators (torch's CPU and CUDA
generators, Python's :mod:`random`, NumPy's global generator), the batch iterator's position
(:class:`helpers.training.BatchStream`) and the loop's own bookkeeping. Run the same code
again and it resumes from the last checkpoint; on a CPU the final weights are bitwise those
of an uninterrupted run with the same seed (``tests/test_resume.py`` kills a run with
SIGKILL to check it).

Files are written atomically (a temporary file in the same folder, then ``os.replace``), so
a run killed while saving leaves the previous checkpoint intact, and are read with
``torch.load(weights_only=True)``, so a checkpoint can never run code. They live in
:func:`helpers.runtime.checkpoint_dir` (``GAN_COURSE_CHECKPOINTS``, e.g. a folder on a
mounted Google Drive in Colab) unless a path is given.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from .runtime import checkpoint_dir
from .validation import positive_int

__all__ = [
    "Checkpoint",
    "Counter",
    "Stateful",
    "Trace",
    "atomic_save",
    "restore_rng",
    "rng_state",
]

FORMAT = "gan-course-resume"  # identifies the files this module writes
VERSION = 1  # bump when the layout changes; older files are then refused, not misread


class Stateful(Protocol):
    """What a checkpoint can save and restore: models, optimizers, and the classes below."""

    def state_dict(self) -> Mapping[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> Any: ...


def rng_state() -> dict[str, Any]:
    """The state of every global random generator, in types ``weights_only`` loading accepts.

    Used by: :class:`Checkpoint` (README, "Resuming a long run").
    """
    name, keys, position, has_gauss, gauss = np.random.get_state(legacy=True)
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        "numpy": {
            "name": name,
            "keys": torch.from_numpy(keys.astype(np.int64)),  # uint32 [624] as int64
            "position": int(position),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
    }


def restore_rng(state: Mapping[str, Any]) -> None:
    """Put every global random generator back to a state from :func:`rng_state`."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    numpy = state["numpy"]
    keys = numpy["keys"].numpy().astype(np.uint32)
    np.random.set_state(
        (numpy["name"], keys, numpy["position"], numpy["has_gauss"], numpy["gauss"])
    )


def atomic_save(obj: object, path: Path) -> None:
    """``torch.save(obj, path)`` through a temporary file in the same folder and ``os.replace``.

    A reader (or a run killed while saving) sees the old file or the new one, never half of
    one: the temporary file is flushed to disk before it replaces ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as file:
            torch.save(obj, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


class Counter:
    """An iteration counter that a checkpoint keeps: ``next(counter)`` gives 0, 1, 2, ...

    For a step function that needs its own position (ProGAN's fade-in schedule), passed to
    ``train_gan(resumable={...})`` so a resumed run continues the count.
    """

    def __init__(self) -> None:
        self.count = 0

    def __next__(self) -> int:
        self.count += 1
        return self.count - 1

    def state_dict(self) -> dict[str, int]:
        return {"count": self.count}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.count = int(state["count"])


class Trace(list):
    """A list (e.g. of sample snapshots taken at each logging point) that a checkpoint keeps.

    Items must be tensors, numbers, strings or lists, tuples and dicts of them.
    """

    def state_dict(self) -> dict[str, list]:
        return {"items": list(self)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self[:] = state["items"]


class Checkpoint:
    """Where and how often a training loop saves everything it needs to resume.

    Args:
        path: the checkpoint file; a bare name (no folder) goes into
            :func:`helpers.runtime.checkpoint_dir`.
        every: save after every ``every`` steps, and after the last one.

    Example::

        checkpoint = resume.Checkpoint("lesson1-gan.pt", every=200)
        training.train_gan(G, D, opt_G, opt_D, batches, num_steps, step_fn, checkpoint=checkpoint)
        # killed or disconnected? run the same cell again: it continues from the last save

    Used by: every lesson's training loop (README, "Resuming a long run").
    """

    def __init__(self, path: str | Path, every: int = 100):
        positive_int(every, "every")
        path = Path(path).expanduser()
        self.path = checkpoint_dir() / path if path.parent == Path() else path
        self.every = every

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r}, every={self.every})"

    def part(self, name: str) -> Checkpoint:
        """A checkpoint beside this one for one part of a longer run (e.g. a ProGAN phase)."""
        return Checkpoint(self.path.with_name(f"{self.path.stem}-{name}{self.path.suffix}"),
                          self.every)  # fmt: skip

    def due(self, step: int, num_steps: int) -> bool:
        """True when ``step`` (counted from 1) should be saved."""
        return step % self.every == 0 or step == num_steps

    def save(self, step: int, objects: Mapping[str, Stateful]) -> None:
        """Write ``step``, the random generators and each object's ``state_dict()`` atomically."""
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "step": step,
            "rng": rng_state(),
            "objects": {name: obj.state_dict() for name, obj in objects.items()},
        }
        atomic_save(payload, self.path)

    def restore(self, objects: Mapping[str, Stateful]) -> int:
        """Load the saved state into ``objects`` and the random generators; return its step.

        Returns 0, and changes nothing, when there is no checkpoint yet.

        Raises:
            ValueError: the file is not a checkpoint of this format or holds other objects
                (e.g. it belongs to another run: delete it or choose another path).
        """
        if not self.path.exists():
            return 0
        payload = torch.load(self.path, map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ValueError(f"{self.path} is not a resume checkpoint; delete it to start afresh")
        if payload.get("version") != VERSION:
            raise ValueError(
                f"{self.path} has format version {payload.get('version')}, this code reads "
                f"{VERSION}; delete it to start afresh"
            )
        saved = payload["objects"]
        if set(saved) != set(objects):
            raise ValueError(
                f"{self.path} holds {sorted(saved)} but this run has {sorted(objects)}; it is "
                "another run's checkpoint: delete it or give this run another path"
            )
        for name, obj in objects.items():
            obj.load_state_dict(saved[name])
        restore_rng(payload["rng"])
        return int(payload["step"])

    def clear(self) -> None:
        """Delete the checkpoint and its parts (e.g. to train again from scratch)."""
        for path in (self.path, *self.path.parent.glob(f"{self.path.stem}-*{self.path.suffix}")):
            path.unlink(missing_ok=True)
