"""One critic update and one generator update of WGAN and WGAN-GP, graded and fast.

The reference steps (:func:`critic_step`, :func:`generator_step`) keep the form the lesson
teaches; :class:`FastCriticStep` and :class:`FastGeneratorStep` compute the same maths with
:mod:`helpers.fast`'s options. All four follow :class:`helpers.training.StepFn`'s convention:
``(G, critic, opt_G, opt_C, real, ...)``, returning ``"d_loss"`` or ``"g_loss"``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..fast import FastOptions, FastStep, constant_leaky_relu_masks, frozen
from .losses import clip_weights_, critic_loss, generator_loss, gradient_penalty


def critic_step(
    G: nn.Module,
    critic: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_C: torch.optim.Optimizer,
    real: torch.Tensor,
    z_dim: int,
    mode: str = "gp",
    c: float = 0.01,
    gp_weight: float = 10.0,
) -> dict[str, float | None]:
    """One critic update: weight clipping (WGAN) or gradient penalty (WGAN-GP).

    Fakes come from N(0, I) codes on ``real``'s device and carry no gradient into G. Mode
    ``"clip"`` minimises :func:`critic_loss` and then clips the weights; mode ``"gp"``
    minimises ``critic_loss + gp_weight * gradient_penalty``. ``opt_G`` is unused: the
    arguments are :class:`helpers.training.StepFn`'s, so ``train_gan`` can call the step with
    ``mode``, ``c`` and ``gp_weight`` bound (``functools.partial``).

    Returns:
        ``{"d_loss": the total minimised, "wasserstein": mean(C(real)) - mean(C(fake)),
        "gp": the unweighted penalty, or None in clip mode}`` as Python floats.

    Taught in: 03-wgan, exercise 6.
    """
    if mode not in ("clip", "gp"):
        raise ValueError(f'mode must be "clip" or "gp", got {mode!r}')
    z = torch.randn(real.shape[0], z_dim, device=real.device)  # [N, z_dim]
    with torch.no_grad():
        fake = G(z)  # [N, C, H, W], no graph into G
    real_scores, fake_scores = critic(real), critic(fake)
    loss = critic_loss(real_scores, fake_scores)
    gp = gradient_penalty(critic, real, fake) if mode == "gp" else None
    total = loss + gp_weight * gp if gp is not None else loss
    opt_C.zero_grad(set_to_none=True)
    total.backward()
    opt_C.step()
    if mode == "clip":
        clip_weights_(critic, c)
    return {
        "d_loss": total.item(),
        "wasserstein": (real_scores.mean() - fake_scores.mean()).item(),
        "gp": None if gp is None else gp.item(),
    }


def generator_step(
    G: nn.Module,
    critic: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_C: torch.optim.Optimizer,
    real: torch.Tensor,
    z_dim: int = 100,
) -> dict[str, torch.Tensor]:
    """One generator update against a frozen critic, for ``train_gan(generator_step=...)``.

    Draws as many codes as ``real`` has samples, minimises :func:`generator_loss`, and keeps
    the critic's parameters out of the backward pass (``requires_grad`` off, then restored).
    ``opt_C`` is unused; it is part of :func:`helpers.training.train_gan`'s calling
    convention. Returns the loss as a detached tensor (no host synchronisation per step).

    Taught in: 03-wgan, section 5.
    """
    with frozen(critic):
        z = torch.randn(real.shape[0], z_dim, device=real.device)  # [N, z_dim]
        g_loss = generator_loss(critic(G(z)))
        opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_G.step()
    return {"g_loss": g_loss.detach()}


class FastCriticStep(FastStep):
    """:func:`critic_step`'s maths, made fast, in ``train_gan``'s calling convention.

    The same operations and random draws in the same order (z, then the interpolation
    weights), so with one seed and the same optimizer it gives the same losses and
    parameters as :func:`critic_step`. What differs: the penalty's critic pass treats
    LeakyReLU's mask as a constant (:func:`helpers.fast.constant_leaky_relu_masks`: the same
    values and gradients, less backward work), gradients set to None, losses returned as
    detached tensors (no host synchronisation), and the :class:`helpers.fast.FastOptions`.
    (A joint critic pass over real and fake images, as :class:`helpers.mlp_gan.FastTrainStep`
    makes, bought nothing measurable here: the convolutions dominate.) With ``compile``, the
    gradient penalty still runs the critic eagerly: compiled graphs do not support its
    double backward.

    Args:
        mode: ``"gp"`` (gradient penalty) or ``"clip"`` (weight clipping to ``c``).
        c: the clipping value in clip mode.
        gp_weight: lambda, the penalty's weight in gp mode.
        options: :class:`helpers.fast.FastOptions`.

    Returns:
        ``{"d_loss", "wasserstein", "gp"}`` as detached tensors (``gp`` None in clip mode).

    Taught in: 03-wgan, section 5.
    """

    def __init__(
        self,
        mode: str = "gp",
        c: float = 0.01,
        gp_weight: float = 10.0,
        options: FastOptions | None = None,
    ):
        if mode not in ("clip", "gp"):
            raise ValueError(f'mode must be "clip" or "gp", got {mode!r}')
        super().__init__(options)
        self.mode, self.c, self.gp_weight = mode, c, gp_weight

    def __call__(
        self,
        G: nn.Module,
        critic: nn.Module,
        opt_G: torch.optim.Optimizer,
        opt_C: torch.optim.Optimizer,
        real: torch.Tensor,
        z_dim: int = 100,
    ) -> dict[str, torch.Tensor | None]:
        real, n = self.inputs(real), real.shape[0]
        with self.autocast(real.device):
            z = torch.randn(n, z_dim, device=real.device)  # [N, z_dim]
            with torch.no_grad():
                fake = self.inputs(self.net(G)(z)).to(real.dtype)  # [N, C, H, W], no graph
            loss = critic_loss(self.net(critic)(real), self.net(critic)(fake))
            gp = None
            if self.mode == "gp":
                with constant_leaky_relu_masks():  # no zeros pushed back in the double backward
                    gp = gradient_penalty(critic, real, fake)
            total = loss + self.gp_weight * gp if gp is not None else loss
        self.minimise(total, opt_C)
        if self.mode == "clip":
            clip_weights_(critic, self.c)
        return {
            "d_loss": total.detach(),
            "wasserstein": -loss.detach(),
            "gp": None if gp is None else gp.detach(),
        }


class FastGeneratorStep(FastStep):
    """:func:`generator_step` with the :class:`helpers.fast.FastOptions` (precision, compile).

    Taught in: 03-wgan, section 5.
    """

    def __call__(
        self,
        G: nn.Module,
        critic: nn.Module,
        opt_G: torch.optim.Optimizer,
        opt_C: torch.optim.Optimizer,
        real: torch.Tensor,
        z_dim: int = 100,
    ) -> dict[str, torch.Tensor]:
        with frozen(critic):
            with self.autocast(real.device):
                z = torch.randn(real.shape[0], z_dim, device=real.device)  # [N, z_dim]
                g_loss = generator_loss(self.net(critic)(self.inputs(self.net(G)(z))))
            self.minimise(g_loss, opt_G)
        return {"g_loss": g_loss.detach()}
