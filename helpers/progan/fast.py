"""ProGAN's training iteration made fast: :func:`train_iteration`'s maths with FastOptions.

The reference (:func:`helpers.progan.train_iteration`, which :func:`train_progressive` runs)
keeps the form Lesson 4 teaches. :class:`FastTrainIteration` computes the same iteration with
:mod:`helpers.fast`'s machinery: bfloat16 (or float16) autocast, channels-last activations
and weights, and the frozen critic of the reference's generator step. On a CPU the iteration
is bound by its convolutions (the critic's gradient penalty needs a double backward through
them), so the precision is what moves it.
"""

from __future__ import annotations

import torch
from torch import nn

from ..fast import FastStep, constant_leaky_relu_masks, frozen
from ..training import update_ema
from ..wgan import gradient_penalty
from .layers import Alpha
from .training import ProGANConfig, critic_loss, generator_loss, progressive_reals


class FastTrainIteration(FastStep):
    """:func:`helpers.progan.train_iteration`'s maths, made fast; called with its arguments.

    The same operations and random draws in the same order (the critic's z, the penalty's
    interpolation weights, the generator's z), so with :class:`helpers.fast.FastOptions`'
    defaults, one seed and the same optimizers it gives the same losses and parameters as
    :func:`train_iteration` (the penalty's critic pass treats LeakyReLU's mask as a constant,
    :func:`helpers.fast.constant_leaky_relu_masks`: the same values and gradients, less
    backward work). The options: ``precision`` autocasts both updates (the reals, the fakes
    and the interpolates stay float32, the convolutions run in bfloat16 or float16);
    ``channels_last`` stores the images and both networks as [N, H, W, C]. There is
    no ``compile``: the fade-in weight is a Python float that changes every iteration, and a
    compiled graph specialises on such values (it would recompile each time). Pair it with
    :func:`helpers.fast.fast_optimizer`.

    Args:
        options: :class:`helpers.fast.FastOptions` without ``compile``; the defaults change
            nothing numerically.

    Raises:
        ValueError: for ``FastOptions(compile=...)``.

    Returns:
        ``{"d_loss", "wasserstein", "gp", "g_loss"}`` as detached tensors.

    Shapes:
        real: [N, C, S, S], S a multiple of 4 * 2**stage.

    Taught in: 04-progan, section 5.
    """

    compile_refusal = (
        "the fade-in weight is a Python float that changes every iteration, and "
        "torch.compile would recompile for each value"
    )

    def __call__(
        self,
        G: nn.Module,
        D: nn.Module,
        opt_G: torch.optim.Optimizer,
        opt_D: torch.optim.Optimizer,
        real: torch.Tensor,
        stage: int,
        fade_alpha: Alpha,
        config: ProGANConfig,
        G_ema: nn.Module | None = None,
    ) -> dict[str, torch.Tensor]:
        real = self.inputs(progressive_reals(real, stage, fade_alpha))  # [N, C, R, R]
        n, G_net, D_net = real.shape[0], self.net(G), self.net(D)

        def critic(x: torch.Tensor) -> torch.Tensor:
            return D_net(x, stage, fade_alpha)  # [N, 1]

        # (1) update the critic: WGAN-GP plus drift, fakes without a graph into G
        with self.autocast(real.device):
            z = torch.randn(n, G.z_dim, device=real.device)  # [N, z_dim]
            with torch.no_grad():
                fake = self.inputs(G_net(z, stage, fade_alpha).to(real.dtype))  # [N, C, R, R]
            real_scores, fake_scores = critic(real), critic(fake)
            with constant_leaky_relu_masks():  # no zeros pushed back in the double backward
                penalty = gradient_penalty(critic, real, fake)
            d_loss = critic_loss(real_scores, fake_scores, penalty, config.gp_weight, config.drift)
        self.minimise(d_loss, opt_D)
        # (2) update the generator through the frozen critic: input gradients only in D
        with frozen(D):
            with self.autocast(real.device):
                z = torch.randn(n, G.z_dim, device=real.device)  # [N, z_dim]
                g_loss = generator_loss(critic(self.inputs(G_net(z, stage, fade_alpha))))
            self.minimise(g_loss, opt_G)
        if G_ema is not None:
            update_ema(G_ema, G, config.ema_decay)
        return {
            "d_loss": d_loss.detach(),
            "wasserstein": (real_scores.mean() - fake_scores.mean()).detach(),
            "gp": penalty.detach(),
            "g_loss": g_loss.detach(),
        }
