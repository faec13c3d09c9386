"""Directions in latent space for features that need no labels, edits along them, and how
entangled an edit is.

Two features can be computed from any digit image: **ink** (how much of the image the
strokes cover, which grows with their thickness) and **slant** (how far the strokes lean,
from the image's second moments). A direction for a feature is found by regressing it on the
codes; moving a code along it should change that feature and, ideally, nothing else. Whether
the digit stays the same digit is what the course's classifier tells: the share of edits that
change its reading measures entanglement (the seeds' "z-space entanglement"; StyleGAN's
mapping network is meant to reduce it, Karras et al. 2019, section 4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

__all__ = [
    "decoded_values",
    "edit",
    "edit_curve",
    "find_direction",
    "ink",
    "slant",
    "value_at",
]


def _check_images(images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 1:
        found = list(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"expected grey images [N, 1, H, W], got {found}")


def ink(images: torch.Tensor) -> torch.Tensor:
    """How much ink a digit uses: the mean brightness, ``mean((x + 1) / 2)`` over its pixels.

    0 for a black image, 1 for a white one; for digits of similar size it grows with the
    thickness of the strokes.

    Shapes:
        images: [N, 1, H, W] in [-1, 1] -> [N].

    Taught in: 06-conditional, section 7.
    """
    _check_images(images)
    return ((images.clamp(-1, 1) + 1) / 2).mean(dim=(1, 2, 3))  # [N]


def slant(images: torch.Tensor) -> torch.Tensor:
    """How far a digit leans, from its second moments: ``-mu11 / mu02``.

    With the brightness as mass, ``mu11`` is the covariance of the column and row positions
    and ``mu02`` the variance of the row position (rows grow downwards). The ratio is the
    shear that would stand the digit upright: positive when the top leans to the right.

    Shapes:
        images: [N, 1, H, W] in [-1, 1] -> [N].

    Taught in: 06-conditional, section 7.
    """
    _check_images(images)
    mass = ((images.clamp(-1, 1) + 1) / 2)[:, 0]  # [N, H, W]
    height, width = mass.shape[1:]
    rows = torch.arange(height, dtype=mass.dtype, device=mass.device)[:, None]  # [H, 1]
    cols = torch.arange(width, dtype=mass.dtype, device=mass.device)[None, :]  # [1, W]
    total = mass.sum(dim=(1, 2)).clamp_min(1e-8)  # [N]
    row_mean = (mass * rows).sum(dim=(1, 2)) / total  # [N]
    col_mean = (mass * cols).sum(dim=(1, 2)) / total
    dr = rows - row_mean[:, None, None]  # [N, H, 1]
    dc = cols - col_mean[:, None, None]  # [N, 1, W]
    mu11 = (mass * dr * dc).sum(dim=(1, 2))  # [N]
    mu02 = (mass * dr * dr).sum(dim=(1, 2)).clamp_min(1e-8)
    return -mu11 / mu02


def find_direction(codes: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """The unit direction along which a linear model of ``values`` on ``codes`` grows fastest.

    Least squares with an intercept: centre both, solve ``min_b ||(C - mean C) b - (v - mean v)||``
    and return ``b / ||b||``. In a space whose coordinates are correlated (StyleGAN's w), this
    differs from the difference of the mean codes of high and low values, which follows the
    correlations as well (the notebook's section 7 compares them).

    Shapes:
        codes: [N, D] with N > D, values: [N] -> [D], unit length.

    Taught in: 06-conditional, exercise 8.
    """
    if codes.dim() != 2 or values.shape != codes.shape[:1]:
        raise ValueError(
            f"codes must be [N, D] and values [N], got {list(codes.shape)} and {list(values.shape)}"
        )
    if codes.shape[0] <= codes.shape[1]:
        raise ValueError(f"need more codes than dimensions, got {codes.shape[0]} codes of "
                         f"{codes.shape[1]}")  # fmt: skip
    centred = codes - codes.mean(dim=0)  # [N, D]
    target = (values - values.mean())[:, None]  # [N, 1]
    slope = torch.linalg.lstsq(centred, target).solution[:, 0]  # [D]
    return slope / slope.norm()


def edit(code: torch.Tensor, direction: torch.Tensor, amount: float | torch.Tensor) -> torch.Tensor:
    """``code + amount * direction / ||direction||``, a new tensor (the input is not changed).

    ``amount`` is one number for every code, or one per code ([N]); the direction is
    normalised first, so an amount is a distance in code space whatever the direction's
    length.

    Shapes:
        code: [N, D], direction: [D], amount: a number or [N] -> [N, D].

    Taught in: 06-conditional, exercise 8.
    """
    if code.dim() != 2 or direction.shape != code.shape[1:]:
        raise ValueError(
            f"code must be [N, D] and direction [D], got {list(code.shape)} and "
            f"{list(direction.shape)}"
        )
    length = direction.norm()
    if not length > 0:
        raise ValueError("the direction has length 0")
    amount = torch.as_tensor(amount, dtype=code.dtype, device=code.device)
    if amount.dim() == 1:
        if amount.shape[0] != code.shape[0]:
            raise ValueError(
                f"one amount per code: {code.shape[0]} codes, {amount.shape[0]} amounts"
            )
        amount = amount[:, None]  # [N, 1]
    elif amount.dim() != 0:
        raise ValueError(f"amount must be a number or [N], got {list(amount.shape)}")
    return code + amount * (direction / length)  # [N, D]


@torch.no_grad()
def decoded_values(
    decode: Callable[[torch.Tensor], torch.Tensor],
    fn: Callable[[torch.Tensor], torch.Tensor],
    codes: torch.Tensor,
    batch_size: int = 500,
) -> torch.Tensor:
    """``fn(decode(codes))`` in batches, without autograd, on the CPU (e.g. a feature, or the
    classifier's digit).

    Shapes:
        codes: [N, D] -> [N].

    Taught in: 06-conditional, section 7.
    """
    return torch.cat([fn(decode(chunk)).cpu() for chunk in codes.split(batch_size)])


def edit_curve(
    decode: Callable[[torch.Tensor], torch.Tensor],
    feature: Callable[[torch.Tensor], torch.Tensor],
    predict: Callable[[torch.Tensor], torch.Tensor],
    codes: torch.Tensor,
    direction: torch.Tensor,
    amounts: Sequence[float],
    edit_fn: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor] | None = None,
) -> dict[str, list[float]]:
    """What edits of ``codes`` along ``direction`` do, for each amount.

    Each edit is ``edit_fn(codes, direction, amount)`` (:func:`edit` by default; the notebook
    passes the student's).

    Returns lists: ``amount``; ``change``, the mean change of ``feature`` in units of its
    standard deviation over the unedited images (so that spaces of different scales can be
    compared at equal effect); ``flips``, the share of edited images whose digit
    (``predict``) differs from the unedited one's.

    Taught in: 06-conditional, section 7.
    """
    before = decoded_values(decode, feature, codes)  # [N]
    digits = decoded_values(decode, predict, codes)
    spread = before.std().clamp_min(1e-12)
    curve: dict[str, list[float]] = {"amount": [], "change": [], "flips": []}
    for amount in amounts:
        edited = (edit_fn or edit)(codes, direction, amount)
        curve["amount"].append(float(amount))
        change = (decoded_values(decode, feature, edited) - before).mean() / spread
        curve["change"].append(change.item())
        flips = (decoded_values(decode, predict, edited) != digits).float().mean()
        curve["flips"].append(flips.item())
    return curve


def value_at(curve: dict[str, list[float]], change: float, key: str = "flips") -> float:
    """``curve[key]`` linearly interpolated at a feature change of ``change`` (standard
    deviations), from :func:`edit_curve`'s points sorted by change; ``nan`` if out of range.

    Taught in: 06-conditional, section 7.
    """
    order = np.argsort(curve["change"])
    xs, ys = np.asarray(curve["change"])[order], np.asarray(curve[key])[order]
    if not xs[0] <= change <= xs[-1]:
        return float("nan")
    return float(np.interp(change, xs, ys))
