"""Checks for notebook test cells, with messages written for students.

Every failure raises :class:`CheckFailure` (an ``AssertionError``) whose message names the
exercise, what was expected, what was found (shape, dtype, device, value) and a hint.

Split by role: ``assertions`` (expected / found / hint comparisons), ``compare`` (a
function of tensors graded against its reference in one call: values, gradients, device),
``guards`` (no delegation to the reference under test; grade an exercise on its own),
``probes`` (look inside a student's networks and steps: parameter alignment, backward passes,
spies, per-layer values, a run on the ``meta`` device) and ``standins`` (small deterministic
networks for training-step tests).
Test cells use them through this package: ``from helpers import checks``.
"""

from .assertions import (
    CheckFailure,
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
    describe,
)
from .compare import assert_matches_reference
from .guards import forbid_reference, references_for
from .probes import (
    BackwardCounter,
    Spy,
    align_parameters,
    assert_runs_on_meta,
    layer_io,
    parameter_shapes,
    to_meta,
)
from .standins import ConstantGenerator, LinearDiscriminator

__all__ = [
    "BackwardCounter",
    "CheckFailure",
    "ConstantGenerator",
    "LinearDiscriminator",
    "Spy",
    "align_parameters",
    "assert_close",
    "assert_device",
    "assert_dtype",
    "assert_float",
    "assert_grad_flows",
    "assert_matches_reference",
    "assert_raises",
    "assert_runs_on_meta",
    "assert_scalar",
    "assert_shape",
    "assert_tensor",
    "assert_true",
    "call",
    "describe",
    "forbid_reference",
    "layer_io",
    "parameter_shapes",
    "references_for",
    "to_meta",
]
