"""Checks for notebook test cells, with messages written for students.

Every failure raises :class:`CheckFailure` (an ``AssertionError``) whose message names the
exercise, what was expected, what was found (shape, dtype, device, value) and a hint.

Split by role: ``messages`` (the expected / found / hint format), ``assertions`` (expected /
found / hint comparisons), ``compare`` (a function of tensors graded against its reference
in one call: values, gradients, device, inputs left alone, a second call; two calls
compared), ``running`` (student code runs so that its warnings are noted on stdout and cost
nothing), ``state`` (side effects: inputs changed in place, modes not restored, global
random state), ``devices`` (stand-ins for a GPU, and what the ``meta`` device can and cannot
stand in for), ``guards`` (no delegation to the reference under test; grade an exercise on
its own), ``probes`` (look inside a student's networks and steps: parameter alignment,
backward passes, spies, per-layer values, a run on the ``meta`` device) and ``standins``
(small deterministic networks for training-step tests, linear and non-linear, with buffers);
``elsewhere`` runs code on the ``meta`` device with a GPU's rules for random generators.

Test cells call student code only through these checks (``checks.call``,
``assert_matches_reference``, ``assert_raises``, ...) or inside ``forbid_reference`` /
``references_for`` / ``student_code`` blocks, so a warning never reaches stderr, where
nbgrader would score the cell 0. Test cells use them through this package:
``from helpers import checks``.
"""

from .assertions import (
    assert_close,
    assert_device,
    assert_dtype,
    assert_float,
    assert_grad_flows,
    assert_raises,
    assert_scalar,
    assert_shape,
    assert_tensor,
    assert_true,
    call,
)
from .compare import assert_fresh, assert_matches_reference, assert_repeatable
from .devices import GPULikeTensor, gpu_like
from .elsewhere import StandInGenerator, assert_runs_elsewhere, generators_as_on_gpu
from .guards import forbid_reference, references_for
from .messages import CheckFailure, describe, fail
from .probes import (
    BackwardCounter,
    Spy,
    align_parameters,
    assert_runs_on_meta,
    layer_io,
    parameter_shapes,
    to_meta,
)
from .running import student_code
from .standins import BufferedCritic, ConstantGenerator, LinearDiscriminator, NonlinearCritic
from .state import (
    assert_inputs_unchanged,
    assert_modes_kept,
    assert_random_state_kept,
    random_states,
    snapshot,
)

__all__ = [
    "BackwardCounter",
    "BufferedCritic",
    "CheckFailure",
    "ConstantGenerator",
    "GPULikeTensor",
    "LinearDiscriminator",
    "NonlinearCritic",
    "Spy",
    "StandInGenerator",
    "align_parameters",
    "assert_close",
    "assert_device",
    "assert_dtype",
    "assert_float",
    "assert_fresh",
    "assert_grad_flows",
    "assert_inputs_unchanged",
    "assert_matches_reference",
    "assert_modes_kept",
    "assert_raises",
    "assert_random_state_kept",
    "assert_repeatable",
    "assert_runs_elsewhere",
    "assert_runs_on_meta",
    "assert_scalar",
    "assert_shape",
    "assert_tensor",
    "assert_true",
    "call",
    "describe",
    "fail",
    "forbid_reference",
    "generators_as_on_gpu",
    "gpu_like",
    "layer_io",
    "parameter_shapes",
    "random_states",
    "references_for",
    "snapshot",
    "student_code",
    "to_meta",
]
