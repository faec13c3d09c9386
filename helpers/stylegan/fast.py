"""StyleGAN's critic and generator updates made fast: the references' maths with FastOptions.

:func:`helpers.stylegan.critic_step` and :func:`helpers.stylegan.generator_step` (which
:func:`train_stylegan` runs) keep the form Lesson 5 teaches. :class:`FastCriticStep` and
:class:`FastGeneratorStep` compute the same updates with :mod:`helpers.fast`'s machinery:
bfloat16 (or float16) autocast and channels-last activations and weights; the generator step
freezes the critic, as the reference does. Both follow :class:`helpers.training.StepFn`.
"""

from __future__ import annotations

import torch

from ..fast import FastStep, constant_leaky_relu_masks, frozen
from ..progan import ProDiscriminator, critic_loss, generator_loss
from ..wgan import gradient_penalty
from .generator import StyleGenerator
from .training import StyleGANConfig, ws_for_training

_NO_COMPILE = (
    "each step's style-mixing crossover is a Python int drawn at random, and torch.compile "
    "would recompile for each value"
)


class FastCriticStep(FastStep):
    """:func:`helpers.stylegan.critic_step`'s maths, made fast (WGAN-GP plus drift at 32x32).

    The same operations and random draws in the same order (the w's, the synthesis noise, the
    penalty's interpolation weights), so with :class:`helpers.fast.FastOptions`' defaults,
    one seed and the same optimizer it gives the same losses and parameters as the reference
    (the penalty's critic pass treats LeakyReLU's mask as a constant,
    :func:`helpers.fast.constant_leaky_relu_masks`: the same values and gradients, less
    backward work). ``precision`` autocasts the update (reals, fakes and interpolates stay
    float32); ``channels_last`` stores the images and both networks as [N, H, W, C]. There is no
    ``compile``: the style-mixing crossover is a Python int drawn every step, on which a
    compiled graph would specialise.

    Args:
        options: :class:`helpers.fast.FastOptions` without ``compile``.

    Returns:
        ``{"d_loss", "gp", "wasserstein"}`` as detached tensors.

    Taught in: 05-stylegan, section 5.
    """

    compile_refusal = _NO_COMPILE

    def __call__(
        self,
        G: StyleGenerator,
        D: ProDiscriminator,
        opt_G: torch.optim.Optimizer,
        opt_D: torch.optim.Optimizer,
        real: torch.Tensor,
        config: StyleGANConfig,
    ) -> dict[str, torch.Tensor]:
        real, stage, D_net = self.inputs(real), D.max_stage, self.net(D)
        self.net(G)  # channels-last weights, when asked

        def critic(x: torch.Tensor) -> torch.Tensor:
            return D_net(x, stage, 1.0)  # [N, 1]

        with self.autocast(real.device):
            with torch.no_grad():
                ws = ws_for_training(G, real.shape[0], real.device, config.mixing_prob)
                fake = self.inputs(G.synthesis(ws).to(real.dtype))  # [N, C, R, R]
            real_scores, fake_scores = critic(real), critic(fake)
            with constant_leaky_relu_masks():  # no zeros pushed back in the double backward
                penalty = gradient_penalty(critic, real, fake)
            d_loss = critic_loss(real_scores, fake_scores, penalty, config.gp_weight, config.drift)
        self.minimise(d_loss, opt_D)
        return {
            "d_loss": d_loss.detach(),
            "gp": penalty.detach(),
            "wasserstein": (real_scores.mean() - fake_scores.mean()).detach(),
        }


class FastGeneratorStep(FastStep):
    """:func:`helpers.stylegan.generator_step`'s maths, made fast, through the frozen critic.

    The same random draws in the same order as the reference (the w's, then the synthesis
    noise); ``real`` gives the batch size and the device only. Options as for
    :class:`FastCriticStep`.

    Args:
        options: :class:`helpers.fast.FastOptions` without ``compile``.

    Returns:
        ``{"g_loss": -E[D(G(z))]}``, detached.

    Taught in: 05-stylegan, section 5.
    """

    compile_refusal = _NO_COMPILE

    def __call__(
        self,
        G: StyleGenerator,
        D: ProDiscriminator,
        opt_G: torch.optim.Optimizer,
        opt_D: torch.optim.Optimizer,
        real: torch.Tensor,
        config: StyleGANConfig,
    ) -> dict[str, torch.Tensor]:
        D_net = self.net(D)
        self.net(G)  # channels-last weights, when asked
        with frozen(D):
            with self.autocast(real.device):
                ws = ws_for_training(G, real.shape[0], real.device, config.mixing_prob)
                fake = self.inputs(G.synthesis(ws))  # [N, C, R, R]
                g_loss = generator_loss(D_net(fake, D.max_stage, 1.0))
            self.minimise(g_loss, opt_G)
        return {"g_loss": g_loss.detach()}
