"""Reference implementations for Lesson 3: the Wasserstein GAN and its gradient penalty.

Arjovsky, Chintala and Bottou, "Wasserstein GAN" (2017), https://arxiv.org/abs/1701.07875, and
Gulrajani et al., "Improved Training of Wasserstein GANs" (2017),
https://arxiv.org/abs/1704.00028. The critic C is kept close to 1-Lipschitz, either by clipping
its weights (WGAN, Algorithm 1) or by penalising the norm of its input gradient at points
between real and fake samples (WGAN-GP, eq. 3):

    L = E[C(x_fake)] - E[C(x_real)] + lambda * E[(||grad_x_hat C(x_hat)||_2 - 1)^2].

Hidden tests in ``03-wgan`` compare the student's functions with these; Lesson 4 trains ProGAN
with :func:`gradient_penalty`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["gradient_penalty", "interpolate"]


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


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor | None = None,
) -> torch.Tensor:
    """The WGAN-GP penalty E[(||grad_x_hat C(x_hat)||_2 - 1)^2] (Gulrajani et al., eq. 3).

    x_hat is built from detached copies of ``real`` and ``fake`` (neither is modified or given
    a gradient), the norm is taken per sample over all non-batch dimensions, and the graph is
    kept (``create_graph=True``) so the penalty backpropagates into the critic's parameters.

    Args:
        critic: any callable from a batch to scores [N] or [N, 1], e.g. an ``nn.Module`` or
            ``lambda x: D(x, step, fade_alpha)`` for ProGAN's growing critic (Lesson 4).
        real, fake: batches of the same shape.
        alpha: interpolation weights shaped for broadcasting ([N, 1, 1, 1] or [N, 1]); drawn
            from U[0, 1] per sample, on ``real``'s device, when None.

    Shapes:
        real, fake: [N, ...] -> a scalar.

    Taught in: 03-wgan, exercise 5.
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
    scores = critic(x_hat)
    if scores.shape not in (torch.Size([n]), torch.Size([n, 1])):
        raise ValueError(f"the critic must return scores [N] or [N, 1], got {list(scores.shape)}")
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # [N, ...]
    norms = grad.reshape(n, -1).norm(2, dim=1)  # ||grad_x_hat C(x_hat)||_2 per sample, [N]
    return ((norms - 1) ** 2).mean()
