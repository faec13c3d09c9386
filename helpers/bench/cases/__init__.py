"""The benchmark cases of ``python -m helpers.bench``, one module per lesson.

Each module turns a builder into its lesson's :class:`helpers.bench.paths.BenchCase` with
``@case(lesson, title)``; :data:`CASES` lists them, and :mod:`helpers.bench.runner` runs them.
A new lesson adds its module here and its case to :data:`CASES`.
"""

from . import bce, mlp_gan, progan, stylegan, wgan

CASES = (
    mlp_gan.vanilla_gan,
    bce.bce_limits,
    wgan.wgan_gp,
    progan.progressive_gan,
    stylegan.style_gan,
)
"""Every lesson's case, in lesson order."""

__all__ = ["CASES"]
