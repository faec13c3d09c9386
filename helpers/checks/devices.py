"""Stand-ins for a GPU on machines without one, and what each can and cannot stand in for.

Student code must work on whatever device its inputs are on; most graders have no GPU. Three
ways to try it, each for its own kind of code:

* **The ``meta`` device** (:func:`~helpers.checks.probes.to_meta`,
  :func:`~helpers.checks.probes.assert_runs_on_meta`): shapes and devices propagate, values
  do not. It catches a new tensor made on the CPU whatever the inputs' device
  (``torch.ones(n)`` without ``device=``) and results moved to the CPU. It cannot stand in
  for code that needs values (``.numpy()``, Python floats, sorting, data-dependent
  branches), and it is backwards for random generators: a CPU ``torch.Generator`` is
  *accepted* for a meta tensor (CUDA refuses it), while ``torch.Generator(device="meta")``
  is *refused* (CUDA accepts a generator on its own device). Never use it where a generator
  is passed or drawn from.
* **A GPU-like CPU tensor** (:func:`gpu_like`, :class:`GPULikeTensor`): real values that
  refuse ``.numpy()`` and numpy conversion (``np.asarray(x)``) until ``.cpu()`` or
  ``.to("cpu")`` made a host copy, as a CUDA tensor does; ``.item()``, ``float()`` and
  ``.tolist()`` work, as on CUDA. For functions that return Python numbers or go through
  numpy. It does not notice mixing with CPU tensors (``.device`` honestly says ``cpu``), and
  copies made by ``torch.tensor(x)`` or ``torch.as_tensor(x, dtype=...)`` are ordinary CPU
  tensors, where on a GPU they would stay there.
* **Real CUDA**, when present: :func:`gpu_like` uses it, so a grader with a GPU checks the
  real thing.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["GPULikeTensor", "gpu_like"]

_REFUSAL = (
    "can't convert a tensor on a GPU to numpy (this test's tensor stands in for one). "
    "Use .cpu() first: x.detach().cpu().numpy()"
)


def _to_host(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether ``tensor.to(*args, **kwargs)`` names the CPU as the target device."""
    if args and isinstance(args[0], GPULikeTensor):
        return False  # .to(other) follows another stand-in: it stays "on the GPU"
    device = torch._C._nn._parse_to(*args, **kwargs)[0]
    return device is not None and device.type == "cpu"


class GPULikeTensor(torch.Tensor):
    """A CPU tensor that converts to numpy only after ``.cpu()``, like a CUDA tensor.

    Every operation on it returns a ``GPULikeTensor`` (results stay "on the GPU");
    ``.cpu()`` and ``.to("cpu")`` return an ordinary tensor. ``.numpy()`` (without
    ``force=True``) and ``np.asarray(x)`` raise ``TypeError`` with a message that names the
    fix. Build one with :func:`gpu_like`.
    """

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN206
        kwargs = kwargs or {}
        if func is torch.Tensor.__array__ or (
            func is torch.Tensor.numpy and not kwargs.get("force", False)
        ):
            raise TypeError(_REFUSAL)
        result = super().__torch_function__(func, types, args, kwargs)
        leaves = func is torch.Tensor.cpu or (
            func is torch.Tensor.to and _to_host(tuple(args[1:]), kwargs)
        )
        if leaves and isinstance(result, torch.Tensor):
            return result.as_subclass(torch.Tensor)
        return result


def gpu_like(x: torch.Tensor) -> torch.Tensor:
    """``x`` on a CUDA device when one is present, else a :class:`GPULikeTensor` copy.

    The copy has ``x``'s values and ``requires_grad``; ``x`` itself is untouched. Use it for
    functions that return numbers through numpy or ``.item()``, where the ``meta`` device
    cannot stand in (see the module's notes).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"gpu_like takes a tensor, got {type(x).__name__}")
    copy = x.detach().clone()
    if torch.cuda.is_available():
        copy = copy.cuda()
    else:
        copy = copy.as_subclass(GPULikeTensor)
    return copy.requires_grad_(x.requires_grad)
