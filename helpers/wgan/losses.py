"""The Wasserstein losses and the two ways to keep the critic Lipschitz: clipping, the penalty.

Arjovsky et al. (2017), Algorithm 1 (losses, weight clipping) and Gulrajani et al. (2017),
eq. 3 and Algorithm 1 (interpolates, gradient penalty): the exercises of Lesson 3.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..validation import positive_number

Critic = Callable[[torch.Tensor], torch.Tensor]
"""A critic: any callable from a batch [N, ...] to scores [N] or [N, 1] (a module, a lambda)."""


def _scores(value: object, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {type(value).__name__}")
    return value


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic's loss, mean(C(fake)) - mean(C(real)), minimised (WGAN, Algorithm 1, line 5).

    Minimising it maximises E[C(x)] - E[C(G(z))], the critic's estimate of the
    Wasserstein-1 distance (Kantorovich-Rubinstein duality, Arjovsky et al., eq. 2). Each mean
    is over its own batch.

    Shapes:
        real_scores: [N] or [N, 1]; fake_scores: [M] or [M, 1] -> a scalar.

    Taught in: 03-wgan, exercise 1.
    """
    return _scores(fake_scores, "fake_scores").mean() - _scores(real_scores, "real_scores").mean()


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator's loss, -mean(C(G(z))) (WGAN, Algorithm 1, line 10).

    Shapes:
        fake_scores: [N] or [N, 1] -> a scalar.

    Taught in: 03-wgan, exercise 2.
    """
    return -_scores(fake_scores, "fake_scores").mean()


def clip_weights_(critic: nn.Module, c: float = 0.01) -> None:
    """Clamp every parameter of ``critic`` (weights and biases) to [-c, c], in place.

    WGAN, Algorithm 1, line 7: a crude way to keep the critic K-Lipschitz for some K.
    Runs outside autograd (the parameters are leaves that require grad).

    Taught in: 03-wgan, exercise 3.
    """
    positive_number(c, "c")
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.clamp_(-c, c)


def interpolate(real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Points on the straight lines between real and fake samples: alpha*real + (1-alpha)*fake.

    WGAN-GP (Gulrajani et al., 2017), Algorithm 1, line 6: x_hat = eps*x + (1 - eps)*x_tilde.

    Args:
        real, fake: batches of the same shape.
        alpha: per-sample weights in [0, 1], already shaped for broadcasting.

    Shapes:
        real, fake: [N, C, H, W] with alpha [N, 1, 1, 1], or [N, D] with alpha [N, 1]
        -> same shape as ``real``.

    Taught in: 03-wgan, exercise 4.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {list(real.shape)} and {list(fake.shape)}"
        )
    return alpha * real + (1 - alpha) * fake  # [N, ...]


def gradient_norms(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
    create_graph: bool = False,
) -> torch.Tensor:
    """||grad_x_hat C(x_hat)||_2 per sample, at x_hat between real and fake samples.

    x_hat is built from detached copies of ``real`` and ``fake`` (neither is modified or given
    a gradient); the norm is taken over all non-batch dimensions. With ``create_graph`` the
    norms stay differentiable with respect to the critic's parameters.

    Args:
        critic: any callable from a batch to scores [N] or [N, 1], e.g. an ``nn.Module`` or
            ``lambda x: D(x, stage, fade_alpha)`` for ProGAN's growing critic (Lesson 4).
        real, fake: batches of the same shape.
        alpha: interpolation weights shaped for broadcasting ([N, 1, 1, 1] or [N, 1]); drawn
            from U[0, 1] per sample, on ``real``'s device, when None.

    Shapes:
        real, fake: [N, ...] -> [N].

    Taught in: 03-wgan, section 4.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {list(real.shape)} and {list(fake.shape)}"
        )
    n = real.shape[0]
    if alpha is None:
        broadcast = (n,) + (1,) * (real.dim() - 1)
        alpha = torch.rand(broadcast, device=real.device, dtype=real.dtype)  # [N, 1, ...]
    x_hat = interpolate(real.detach(), fake.detach(), alpha).requires_grad_(True)  # [N, ...]
    with torch.enable_grad():
        scores = critic(x_hat)
        if scores.shape not in (torch.Size([n]), torch.Size([n, 1])):
            raise ValueError(
                f"the critic must return scores [N] or [N, 1], got {list(scores.shape)}"
            )
        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=create_graph)
    return grad.reshape(n, -1).norm(2, dim=1)  # ||grad_x_hat C(x_hat)||_2, [N]


def gradient_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
) -> torch.Tensor:
    """The WGAN-GP penalty E[(||grad_x_hat C(x_hat)||_2 - 1)^2] (Gulrajani et al., eq. 3).

    x_hat = alpha * real + (1 - alpha) * fake with alpha ~ U[0, 1] per sample (or the given
    ``alpha``), built from detached copies; the graph is kept (``create_graph=True``) so the
    penalty backpropagates into the critic's parameters. See :func:`gradient_norms`.

    Shapes:
        real, fake: [N, ...] -> a scalar.

    Taught in: 03-wgan, exercise 5.
    """
    norms = gradient_norms(critic, real, fake, alpha, create_graph=True)  # [N]
    return ((norms - 1) ** 2).mean()
