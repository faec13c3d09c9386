"""Where the course runs: device choice, seeding, grading/smoke switches, folders.

Every notebook's setup cell calls :func:`setup_notebook`, which applies all of this in one go.
"""

from __future__ import annotations

import os
import random
import sys
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

from .checks import integrity
from .validation import non_negative_int

__all__ = [
    "budget",
    "checkpoint_dir",
    "data_dir",
    "env_flag",
    "get_device",
    "is_grading",
    "is_smoke",
    "loaded_modules",
    "seed_everything",
    "setup_notebook",
    "silence_known_warnings",
]

# Warnings that correct student code can trigger through libraries. nbgrader scores a test
# cell 0 if it writes anything to stderr, so these are silenced in every setup cell.
_KNOWN_WARNINGS: tuple[tuple[str, type[Warning]], ...] = (
    (r".*The given NumPy array is not writable.*", UserWarning),
    (r".*Converting a tensor with requires_grad=True to a scalar.*", UserWarning),
    (r".*CUDA initialization.*", UserWarning),
    (r".*Can't initialize NVML.*", UserWarning),
    (r".*TypedStorage is deprecated.*", UserWarning),
    (r".*pkg_resources is deprecated.*", UserWarning),
    (r".*Matplotlib is building the font cache.*", UserWarning),
    (r".*FigureCanvasAgg is non-interactive.*", UserWarning),
)


def is_grading() -> bool:
    """True while nbgrader executes the notebook (``NBGRADER_EXECUTION`` is set).

    While grading: no widgets, no large figures and nothing written to stderr.

    Taught in: 01-vanilla-gan, setup cell.
    """
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def is_smoke() -> bool:
    """True when training must be tiny: while grading, or when ``GAN_COURSE_SMOKE=1``.

    Smoke mode still builds widgets and figures (unless grading), so it exercises every cell.

    Taught in: 01-vanilla-gan, setup cell.
    """
    return is_grading() or env_flag("GAN_COURSE_SMOKE")


def env_flag(name: str) -> bool:
    """True when the environment variable ``name`` is set to 1, true or yes."""
    return os.environ.get(name, "0").strip().lower() in {"1", "true", "yes"}


def budget(full: int, smoke: int = 1) -> int:
    """Return ``smoke`` in smoke mode and ``full`` otherwise (a step, epoch or sample count).

    Args:
        full: the size used for real training (on a GPU).
        smoke: the size used while grading or in ``GAN_COURSE_SMOKE=1`` runs.

    Taught in: 01-vanilla-gan, setup cell.
    """
    non_negative_int(full, "budget(): full")
    non_negative_int(smoke, "budget(): smoke")
    return smoke if is_smoke() else full


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def get_device(prefer: str | None = None) -> torch.device:
    """Pick the fastest available device: cuda, then mps, then cpu.

    ``GAN_COURSE_DEVICE`` (or ``prefer``) forces one, e.g. ``cpu`` to debug on a GPU machine.

    Taught in: 01-vanilla-gan, setup cell.
    """
    choice = prefer or os.environ.get("GAN_COURSE_DEVICE")
    if choice:
        try:
            device = torch.device(choice)
        except RuntimeError as err:
            raise ValueError(f"unknown device {choice!r}; use cpu, cuda or mps") from err
        available = {"cuda": torch.cuda.is_available(), "mps": _mps_available()}
        if not available.get(device.type, True):
            raise ValueError(
                f"device {choice!r} was requested but {device.type.upper()} is not available"
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices) with ``seed``.

    Taught in: 01-vanilla-gan, setup cell.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def data_dir() -> Path:
    """The one folder for datasets and checkpoints: ``GAN_COURSE_DATA`` or a user cache folder.

    Never the notebook's working directory, which is ``autograded/<student>/<assignment>/``
    while nbgrader grades.

    Taught in: 01-vanilla-gan, setup cell.
    """
    configured = os.environ.get("GAN_COURSE_DATA")
    if configured:
        root = Path(configured).expanduser().resolve()  # never relative to the notebook
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(cache) / "gan-course"
    root.mkdir(parents=True, exist_ok=True)
    return root


def checkpoint_dir() -> Path:
    """Model checkpoints' folder: ``GAN_COURSE_CHECKPOINTS``, else ``<data_dir>/checkpoints``.

    On Colab, point ``GAN_COURSE_CHECKPOINTS`` at a folder of a mounted Google Drive (e.g.
    ``/content/drive/MyDrive/gan-course``) so checkpoints outlive a disconnected runtime.

    Taught in: 01-vanilla-gan, section 5.
    """
    configured = os.environ.get("GAN_COURSE_CHECKPOINTS")
    path = Path(configured).expanduser().resolve() if configured else data_dir() / "checkpoints"
    path.mkdir(parents=True, exist_ok=True)
    return path


def silence_known_warnings() -> None:
    """Hide library warnings that correct code can trigger (they would zero a test cell).

    Taught in: 01-vanilla-gan, setup cell.
    """
    for message, category in _KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)


def loaded_modules() -> list[ModuleType]:
    """The modules of this package imported so far (none is imported here), by name.

    Taught in: 01-vanilla-gan, setup cell.
    """
    package = __name__.rpartition(".")[0]
    return [
        module
        for name, module in sorted(sys.modules.items())
        if name == package or name.startswith(package + ".")
    ]


def setup_notebook(seed: int = 0) -> torch.device:
    """One call for a notebook's setup cell: seal the checks, silence warnings, seed, pick and
    report a device.

    Sealing (:func:`helpers.checks.integrity.seal`) happens here, in the locked setup cell,
    before any of the student's code runs. It seals the helpers modules the setup cell has
    imported (:func:`loaded_modules`: the lesson's references, ``checks`` and what they
    import), so a lesson's setup cell imports every module its test cells rely on. In smoke
    mode (and while grading) torch uses one thread. Prints one line with the device and the
    mode (full, smoke or grading).

    Taught in: 01-vanilla-gan, setup cell.
    """
    integrity.seal(loaded_modules())
    silence_known_warnings()
    if is_smoke():
        # tiny budgets gain nothing from more threads, and graded or tested notebooks run
        # side by side: one thread each avoids oversubscribing the cores
        torch.set_num_threads(1)
    seed_everything(seed)
    device = get_device()
    mode = "grading" if is_grading() else "smoke" if is_smoke() else "full"
    print(f"device: {device} | mode: {mode} | data: {data_dir()}")
    return device
