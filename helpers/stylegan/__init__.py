"""Reference implementations for Lesson 5: the components of StyleGAN's generator.

Karras, Laine and Aila, "A Style-Based Generator Architecture for Generative Adversarial
Networks" (CVPR 2019), https://arxiv.org/abs/1812.04948. Instead of feeding z to the first
layer, a mapping network turns z into w (section 2); a learned constant 4x4 tensor starts the
synthesis network; at every block, per-channel styles computed from w by a learned affine
layer scale and shift instance-normalised features (AdaIN, eq. 1); per-pixel noise scaled by a
learned per-channel factor adds stochastic detail (section 3.2); mixing two w's between blocks
regularises and shows which blocks control coarse and fine features (section 3.1); and the
truncation trick trades diversity for fidelity (appendix B).

It builds on Lesson 4: :func:`helpers.progan.pixel_norm`, the equalized layers and the
growing critic (:class:`helpers.progan.ProDiscriminator`, used at its full resolution), with
the WGAN-GP loss plus drift. Hidden tests in ``05-stylegan`` compare the student's code with
these.

The package is split by job, and every name below is importable from ``helpers.stylegan``:
``components`` (the exercises: mapping network, truncation, noise, AdaIN, style block, style
mixing), ``generator`` (the assembled generator and sampling), ``training`` (the steps and the
loop), ``fast`` (the steps with :class:`helpers.fast.FastOptions`) and ``recipe`` (the shipped
checkpoint's training run).
"""

from .components import (
    NOISE_MODES,
    AdaIN,
    MappingNetwork,
    NoiseInjection,
    StyleBlock,
    adain,
    style_mix,
    truncate,
)
from .fast import FastCriticStep, FastGeneratorStep
from .generator import StyleGenerator, generate
from .recipe import train_pretrained
from .training import (
    StyleGANConfig,
    critic_step,
    generator_step,
    make_optimizers,
    train_stylegan,
    ws_for_training,
)

__all__ = [
    "NOISE_MODES",
    "AdaIN",
    "FastCriticStep",
    "FastGeneratorStep",
    "MappingNetwork",
    "NoiseInjection",
    "StyleBlock",
    "StyleGANConfig",
    "StyleGenerator",
    "adain",
    "critic_step",
    "generate",
    "generator_step",
    "make_optimizers",
    "style_mix",
    "train_pretrained",
    "train_stylegan",
    "truncate",
    "ws_for_training",
]
