"""Reference implementations for Lesson 4: progressive growing of GANs (ProGAN).

Karras, Aila, Laine and Lehtinen, "Progressive Growing of GANs for Improved Quality, Stability,
and Variation" (ICLR 2018), https://arxiv.org/abs/1710.10196. Both networks start at 4x4 and
gain one block per doubling of the resolution (section 2); a new block is faded in,

    output = (1 - alpha) * old_path + alpha * new_path,   alpha: 0 -> 1,

and three tricks keep training stable: minibatch standard deviation (section 3), equalized
learning rate and pixelwise feature normalization (section 4). Training uses WGAN-GP with a
drift term 0.001 * E[D(x_real)^2] (appendix A.1) and Lesson 3's :func:`gradient_penalty`.

A "stage" indexes the resolution: stage 0 is 4x4 and each stage doubles it (stage 3 is 32x32);
"step" and "iteration" count updates of the training loop, never resolutions.
The fade-in weight is called ``alpha`` in the networks (the paper's symbol) and ``fade_alpha``
in the training code, where the gradient penalty has an ``alpha`` of its own.
Hidden tests in ``04-progan`` compare the student's functions with these; Lesson 5 (StyleGAN)
reuses :func:`pixel_norm`, the equalized layers and :class:`ProDiscriminator`.

The package is split by job, and every name below is importable from ``helpers.progan``:
``layers`` (the three tricks, fade-in, resampling), ``networks`` (the growing generator and
critic), ``sampling``, ``training`` (losses, steps, the progressive schedule), ``fast`` (the
iteration with :class:`helpers.fast.FastOptions`) and ``recipe`` (the shipped checkpoint's
training run).
"""

from ..training import update_ema
from ..wgan import gradient_penalty
from .fast import FastTrainIteration
from .layers import (
    Alpha,
    EqualizedConv2d,
    EqualizedLinear,
    MinibatchStdDev,
    PixelNorm,
    alpha_schedule,
    downsample,
    fade_in,
    minibatch_stddev,
    pixel_norm,
    resolution_of,
    upsample,
)
from .networks import (
    DiscriminatorBlock,
    DiscriminatorHead,
    FromRGB,
    GeneratorBlock,
    GeneratorInput,
    ProDiscriminator,
    ProGenerator,
    ToRGB,
)
from .recipe import PRETRAINED_CONFIG, train_pretrained
from .sampling import decode, generate
from .training import (
    ProGANConfig,
    critic_loss,
    critic_step,
    generator_loss,
    generator_step,
    make_networks,
    progressive_reals,
    train_iteration,
    train_progressive,
)

__all__ = [
    "Alpha",
    "DiscriminatorBlock",
    "DiscriminatorHead",
    "EqualizedConv2d",
    "EqualizedLinear",
    "FastTrainIteration",
    "FromRGB",
    "GeneratorBlock",
    "GeneratorInput",
    "MinibatchStdDev",
    "PRETRAINED_CONFIG",
    "PixelNorm",
    "ProDiscriminator",
    "ProGANConfig",
    "ProGenerator",
    "ToRGB",
    "alpha_schedule",
    "critic_loss",
    "critic_step",
    "decode",
    "downsample",
    "fade_in",
    "generate",
    "generator_loss",
    "generator_step",
    "gradient_penalty",
    "make_networks",
    "minibatch_stddev",
    "pixel_norm",
    "progressive_reals",
    "resolution_of",
    "train_iteration",
    "train_pretrained",
    "train_progressive",
    "update_ema",
    "upsample",
]
