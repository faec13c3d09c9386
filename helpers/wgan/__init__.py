"""Reference implementations for Lesson 3: the Wasserstein GAN and its gradient penalty.

Arjovsky, Chintala and Bottou, "Wasserstein GAN" (2017), https://arxiv.org/abs/1701.07875, and
Gulrajani et al., "Improved Training of Wasserstein GANs" (2017),
https://arxiv.org/abs/1704.00028. The critic C is kept close to 1-Lipschitz, either by clipping
its weights (WGAN, Algorithm 1) or by penalising the norm of its input gradient at points
between real and fake samples (WGAN-GP, eq. 3):

    L = E[C(x_fake)] - E[C(x_real)] + lambda * E[(||grad_x_hat C(x_hat)||_2 - 1)^2].

Hidden tests in ``03-wgan`` compare the student's functions with these; Lesson 4 trains ProGAN
with :func:`gradient_penalty`.

The package is split by job, and every name below is importable from ``helpers.wgan``:
``losses`` (the losses, clipping, interpolates, the penalty), ``steps`` (the critic and
generator updates, graded and fast, in :class:`helpers.training.StepFn`'s convention),
``networks`` (the DCGAN generator and critic), ``runs`` (the configuration and the training
runs) and ``comparison`` (section 7's BCE and LSGAN runs).
"""

from .comparison import CLASSIC_LOSSES, ComparisonConfig, generated_images, train_classic_run
from .losses import (
    Critic,
    clip_weights_,
    critic_loss,
    generator_loss,
    gradient_norms,
    gradient_penalty,
    interpolate,
)
from .networks import ConvCritic, ConvGenerator, critic_weights
from .runs import WGANConfig, make_optimizers, train_run
from .steps import (
    FastCriticStep,
    FastGeneratorStep,
    critic_step,
    generator_step,
)

__all__ = [
    "CLASSIC_LOSSES",
    "ComparisonConfig",
    "ConvCritic",
    "ConvGenerator",
    "Critic",
    "FastCriticStep",
    "FastGeneratorStep",
    "WGANConfig",
    "clip_weights_",
    "critic_loss",
    "critic_step",
    "critic_weights",
    "generated_images",
    "generator_loss",
    "generator_step",
    "gradient_norms",
    "gradient_penalty",
    "interpolate",
    "make_optimizers",
    "train_classic_run",
    "train_run",
]
