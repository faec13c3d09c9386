"""A picture of ProGAN's fade-in: which resolution each path works at, and where the layers sit.

Karras et al. (2018), figure 2, drawn for one growth step from R/2 to R in both networks: the
generator's old path (toRGB at R/2, then nearest-neighbour upsampling) and new path (the new
block, then toRGB at R), and the critic's mirror image (average pooling, then fromRGB at R/2;
fromRGB at R, then the new block). Lesson 4 derives the fade-in code from it.
"""

from __future__ import annotations

from typing import Any

_LOW, _HIGH = "#dbe9f6", "#fbe3d0"  # backgrounds of the R/2 and the R regions
_LAYER, _TENSOR = "#ffffff", "#eeeeee"  # boxes: a layer (it computes), a tensor (it is data)


def _box(ax: Any, x: float, y: float, text: str, tensor: bool = False, width: float = 2.2) -> None:
    """A rounded box centred at (x, y): a layer (white, bold edge) or a tensor (grey)."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - 0.42), width, 0.84, boxstyle="round,pad=0.03",
            facecolor=_TENSOR if tensor else _LAYER,
            edgecolor="#777777" if tensor else "black", linewidth=0.8 if tensor else 1.4,
        )
    )  # fmt: skip
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5,
            style="italic" if tensor else "normal")  # fmt: skip


def _arrow(ax: Any, *points: tuple[float, float], label: str = "") -> None:
    """A line through ``points`` with an arrow head at the last one; an optional label above
    the middle of its last segment."""
    for a, b in zip(points[:-2], points[1:-1]):
        ax.plot([a[0], b[0]], [a[1], b[1]], color="black", lw=1.1)
    start, end = points[-2], points[-1]
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.1})  # fmt: skip
    if label:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.22)
        ax.text(*middle, label, ha="center", va="bottom", fontsize=9, color="#b03000")


def _regions(ax: Any, split: float, low_first: bool, title: str) -> None:
    """Two background bands, R/2 and R, split at x = ``split``; the panel's title above."""
    left, right = (_LOW, _HIGH) if low_first else (_HIGH, _LOW)
    ax.axvspan(0, split, color=left, zorder=-2)
    ax.axvspan(split, 20, color=right, zorder=-2)
    names = ("resolution R/2  (stage k - 1)", "resolution R  (stage k)")
    first, second = names if low_first else names[::-1]
    ax.text(split / 2, 4.75, first, ha="center", fontsize=9, weight="bold")
    ax.text((split + 20) / 2, 4.75, second, ha="center", fontsize=9, weight="bold")
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlim(0, 20)
    ax.set_ylim(0, 5.2)
    ax.axis("off")


def _generator(ax: Any) -> None:
    _regions(ax, 7.6, low_first=True, title="generator: growing from R/2 to R")
    _box(ax, 1.4, 2.5, "trunk: z, the 4x4\nblock, the blocks\nup to R/2", width=2.4)
    _box(ax, 4.6, 2.5, "h  [N, C(k-1), R/2, R/2]", tensor=True, width=2.9)
    _arrow(ax, (2.6, 2.5), (3.15, 2.5))
    # old path: toRGB at R/2, then upsample the image
    _box(ax, 4.6, 3.9, "toRGB of R/2\n(1x1 conv)")
    _arrow(ax, (4.6, 2.92), (4.6, 3.48))
    _box(ax, 9.3, 3.9, "upsample x2\n(nearest)")
    _arrow(ax, (5.7, 3.9), (8.2, 3.9), label="image [N, 1, R/2, R/2]")
    _box(ax, 16.2, 3.9, "old  [N, 1, R, R]", tensor=True, width=1.9)
    _arrow(ax, (10.4, 3.9), (15.25, 3.9))
    # new path: the new block, then toRGB at R
    _box(ax, 9.3, 1.1, "new block: upsample x2,\n3x3 conv, 3x3 conv", width=3.0)
    _arrow(ax, (4.6, 2.08), (4.6, 1.1), (7.8, 1.1))
    _box(ax, 13.6, 1.1, "toRGB of R\n(1x1 conv)")
    _arrow(ax, (10.8, 1.1), (12.5, 1.1), label="[N, C(k), R, R]")
    _box(ax, 16.2, 1.1, "new  [N, 1, R, R]", tensor=True, width=1.9)
    _arrow(ax, (14.7, 1.1), (15.25, 1.1))
    # the blend is the generator's output
    _box(ax, 18.75, 2.5, "(1 - a) old + a new\n= image [N, 1, R, R]", width=2.4)
    _arrow(ax, (17.15, 3.9), (18.3, 2.92), label="1 - a")
    _arrow(ax, (17.15, 1.1), (18.3, 2.08), label="a")


def _critic(ax: Any) -> None:
    _regions(ax, 10.6, low_first=False, title="critic: the mirror image, at its input")
    _box(ax, 1.3, 2.5, "x  [N, 1, R, R]", tensor=True, width=2.2)
    # old path: pool the image, then fromRGB at R/2
    _box(ax, 6.0, 3.9, "downsample x2\n(2x2 average pool)", width=2.6)
    _arrow(ax, (1.3, 2.92), (1.3, 3.9), (4.7, 3.9))
    _box(ax, 12.3, 3.9, "fromRGB of R/2\n(1x1 conv, LReLU)", width=2.6)
    _arrow(ax, (7.3, 3.9), (11.0, 3.9), label="image [N, 1, R/2, R/2]")
    # new path: fromRGB at R, then the new block
    _box(ax, 4.0, 1.1, "fromRGB of R\n(1x1 conv, LReLU)", width=2.6)
    _arrow(ax, (1.3, 2.08), (1.3, 1.1), (2.7, 1.1))
    _box(ax, 9.2, 1.1, "new block: 3x3 conv,\n3x3 conv, 2x2 avg pool", width=3.1)
    _arrow(ax, (5.3, 1.1), (7.65, 1.1), label="[N, C(k), R, R]")
    # the blend, then the rest of the critic
    _box(ax, 15.2, 2.5, "(1 - a) old\n+ a new", width=2.0)
    _arrow(ax, (13.6, 3.9), (15.0, 2.92), label="1 - a")
    _arrow(ax, (10.75, 1.1), (15.0, 2.08), label="a")
    ax.text(12.9, 2.55, "both [N, C(k-1), R/2, R/2]", ha="center", fontsize=8)
    _box(ax, 18.4, 2.5, "rest of the critic:\nblocks down to 4x4,\nthe head -> score", width=2.6)
    _arrow(ax, (16.2, 2.5), (17.1, 2.5))


def fade_in_diagram() -> Any:
    """Draw the fade-in of both networks for one growth step, R/2 -> R, and return the figure.

    Karras et al. (2018), figure 2: blue marks the layers and tensors at the old resolution
    R/2, orange those at the new resolution R; white boxes are layers, grey boxes tensors
    with their shapes; ``a`` is the fade-in weight alpha.

    Taught in: 04-progan, section 4.
    """
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(13, 7.2))
    _generator(top)
    _critic(bottom)
    fig.tight_layout()
    return fig
