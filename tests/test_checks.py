"""Unit tests for helpers.checks, the assertions used by notebook test cells."""

from __future__ import annotations

import random
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers import checks, mlp_gan, wgan
from helpers.checks import (
    BackwardCounter,
    CheckFailure,
    ConstantGenerator,
    LinearDiscriminator,
    Spy,
    align_parameters,
    assert_close,
    assert_device,
    assert_dtype,
    assert_float,
    assert_grad_flows,
    assert_raises,
    assert_runs_on_meta,
    assert_scalar,
    assert_shape,
    assert_tensor,
    assert_true,
    describe,
    forbid_reference,
    layer_io,
    parameter_shapes,
    to_meta,
)


def check_message(info: pytest.ExceptionInfo[CheckFailure], name: str, *fragments: str) -> str:
    message = str(info.value)
    assert message.startswith(f"{name}: check failed.")
    assert "expected:" in message
    assert "found:" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


class EqualsEverything:
    """Pretends to equal anything, e.g. to fool `==` based checks."""

    shape = torch.Size([2, 3])
    dtype = torch.float32

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


class EqualsEverythingTensor(torch.Tensor):
    """A real tensor subclass whose comparisons always say 'equal'."""

    def __eq__(self, other: object) -> torch.Tensor:  # type: ignore[override]
        return torch.ones(self.shape, dtype=torch.bool)

    def __ne__(self, other: object) -> torch.Tensor:  # type: ignore[override]
        return torch.zeros(self.shape, dtype=torch.bool)

    __hash__ = torch.Tensor.__hash__


def test_check_failure_is_assertion_error() -> None:
    assert issubclass(CheckFailure, AssertionError)


# --- describe / assert_true / assert_tensor ---------------------------------------------------


def test_describe_tensor_and_other_values() -> None:
    text = describe(torch.zeros(2, 3, requires_grad=True))
    assert "shape [2, 3]" in text
    assert "torch.float32" in text
    assert "cpu" in text
    assert "requires_grad=True" in text
    assert describe([1, 2]) == "list [1, 2]"
    long = describe("x" * 200)
    assert long.startswith("str ") and long.endswith("...") and len(long) < 100


def test_assert_true() -> None:
    assert_true(True, "ex1", "a", "b")
    with pytest.raises(CheckFailure) as info:
        assert_true(False, "ex1", "three items", "two items", hint="count again")
    message = check_message(info, "ex1", "three items", "two items")
    assert "hint:" in message and "count again" in message


def test_assert_tensor() -> None:
    assert_tensor(torch.zeros(1), "ex")
    with pytest.raises(CheckFailure) as info:
        assert_tensor([0.0], "ex")
    check_message(info, "ex", "a torch.Tensor", "list", "return a tensor")


# --- assert_shape -----------------------------------------------------------------------------


def test_assert_shape_passes() -> None:
    assert_shape(torch.zeros(4, 1, 28, 28), [4, 1, 28, 28], "generate")
    assert_shape(torch.zeros(7, 1, 28, 28), [None, 1, 28, 28], "generate")
    assert_shape(torch.tensor(1.0), [], "loss")


@pytest.mark.parametrize(
    ("shape", "expected", "found"),
    [
        ((4, 784), "shape [N, 1, 28, 28]", "shape [4, 784]"),
        ((4, 1, 28, 27), "shape [N, 1, 28, 28]", "shape [4, 1, 28, 27]"),
        ((4, 1, 28, 28, 1), "shape [N, 1, 28, 28]", "shape [4, 1, 28, 28, 1]"),
    ],
)
def test_assert_shape_fails(shape: tuple[int, ...], expected: str, found: str) -> None:
    with pytest.raises(CheckFailure) as info:
        assert_shape(torch.zeros(shape), [None, 1, 28, 28], "generate")
    check_message(info, "generate", expected, found)


def test_assert_shape_rejects_non_tensor_that_equals_everything() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_shape(EqualsEverything(), [2, 3], "ex")
    check_message(info, "ex", "a torch.Tensor", "EqualsEverything")


def test_assert_shape_not_fooled_by_tensor_subclass() -> None:
    fake = torch.zeros(2, 3).as_subclass(EqualsEverythingTensor)
    with pytest.raises(CheckFailure) as info:
        assert_shape(fake, [2, 3], "ex")
    check_message(info, "ex", "a torch.Tensor", "tensor subclass EqualsEverythingTensor")


# --- assert_dtype / assert_device -------------------------------------------------------------


def test_assert_dtype() -> None:
    assert_dtype(torch.zeros(2, dtype=torch.int64), torch.int64, "labels")
    with pytest.raises(CheckFailure) as info:
        assert_dtype(torch.zeros(2, dtype=torch.int32), torch.int64, "labels")
    check_message(info, "labels", "dtype torch.int64", "dtype torch.int32")
    with pytest.raises(CheckFailure) as info:
        assert_dtype(3, torch.int64, "labels")
    check_message(info, "labels", "a torch.Tensor", "int 3")


def test_assert_device() -> None:
    assert_device(torch.zeros(2), "cpu", "z")
    assert_device(torch.zeros(2), torch.device("cpu"), "z")
    with pytest.raises(CheckFailure) as info:
        assert_device(torch.zeros(2), "cuda", "z")
    check_message(info, "z", "device cuda", "device cpu", "device=")
    with pytest.raises(CheckFailure) as info:
        assert_device(torch.zeros(2, device="meta"), "cpu", "z")
    check_message(info, "z", "device cpu", "device meta")


# --- assert_scalar / assert_float -------------------------------------------------------------


def test_assert_scalar() -> None:
    assert_scalar(torch.tensor(0.5), "loss")
    with pytest.raises(CheckFailure) as info:
        assert_scalar(torch.zeros(3, 1), "loss")
    check_message(info, "loss", "a scalar tensor (shape [])", "shape [3, 1]", ".mean()")
    with pytest.raises(CheckFailure) as info:
        assert_scalar(torch.tensor(3), "loss")
    check_message(info, "loss", "floating-point scalar", "dtype torch.int64")
    with pytest.raises(CheckFailure) as info:
        assert_scalar(0.5, "loss")
    check_message(info, "loss", "a torch.Tensor", "float 0.5")


@pytest.mark.parametrize("value", [0.25, 3, -1e9])
def test_assert_float_passes(value: float) -> None:
    assert_float(value, "d_loss")


@pytest.mark.parametrize(
    ("value", "found"),
    [
        (torch.tensor(0.5), "tensor of shape []"),
        (True, "bool True"),
        ("0.5", "str '0.5'"),
        (None, "NoneType None"),
    ],
)
def test_assert_float_rejects_non_floats(value: object, found: str) -> None:
    with pytest.raises(CheckFailure) as info:
        assert_float(value, "d_loss")
    check_message(info, "d_loss", "a Python float", found, ".item()")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_assert_float_rejects_non_finite(value: float) -> None:
    with pytest.raises(CheckFailure) as info:
        assert_float(value, "d_loss")
    check_message(info, "d_loss", "a finite float", repr(value))


# --- assert_close -----------------------------------------------------------------------------


def test_assert_close_passes_within_tolerance() -> None:
    expected = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert_close(expected + 1e-6, expected, "ex")
    assert_close(expected.double(), expected, "ex")
    assert_close(torch.tensor(2.0), torch.tensor(2.0), "loss")
    assert_close(expected + 0.05, expected, "ex", atol=0.1)


def test_assert_close_reports_worst_index() -> None:
    expected = torch.zeros(3, 4)
    found = expected.clone()
    found[0, 1] = 0.01
    found[2, 3] = -0.5  # the worst element
    found[1, 0] = 0.2
    with pytest.raises(CheckFailure) as info:
        assert_close(found, expected, "ex")
    message = check_message(info, "ex", "at index [2, 3]", "-0.5", "off by 0.5")
    assert "at index [0, 1]" not in message and "at index [1, 0]" not in message


def test_assert_close_worst_index_uses_relative_tolerance() -> None:
    expected = torch.tensor([1000.0, 1.0])
    found = torch.tensor([1000.05, 1.01])  # 0.05 is within rtol of 1000; 0.01 is not within 1
    with pytest.raises(CheckFailure) as info:
        assert_close(found, expected, "ex")
    check_message(info, "ex", "at index [1]", "1.01")


def test_assert_close_scalar_mismatch() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_close(torch.tensor(1.5), torch.tensor(1.0), "loss")
    message = check_message(info, "loss", "1.5", "off by 0.5")
    assert "index" not in message


def test_assert_close_shape_mismatch() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_close(torch.zeros(4), torch.zeros(4, 1), "loss")
    check_message(info, "loss", "shape [4, 1]", "shape [4]")


def test_assert_close_rejects_non_finite() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_close(torch.tensor([0.0, float("nan"), float("inf")]), torch.zeros(3), "ex")
    check_message(info, "ex", "finite values", "2 NaN/inf value(s)")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_assert_close_fails_when_expected_is_not_finite(bad: float) -> None:
    # a NaN/inf in the reference is a bug in the test, never a pass for an arbitrary answer
    with pytest.raises(ValueError, match="expected value is not finite"):
        assert_close(torch.zeros(2), torch.tensor([0.0, bad]), "ex")


def test_assert_close_rejects_object_that_equals_everything() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_close(EqualsEverything(), torch.zeros(2, 3), "ex")
    check_message(info, "ex", "a torch.Tensor", "EqualsEverything")


def test_assert_close_not_fooled_by_tensor_subclass() -> None:
    fake = torch.ones(2, 3).as_subclass(EqualsEverythingTensor)
    assert bool((fake == torch.zeros(2, 3)).all())  # the subclass does lie about equality
    with pytest.raises(CheckFailure) as info:
        assert_close(fake, torch.zeros(2, 3), "ex")
    check_message(info, "ex", "a torch.Tensor", "tensor subclass EqualsEverythingTensor")
    assert_close(torch.nn.Parameter(torch.zeros(2, 3)), torch.zeros(2, 3), "ex")  # parameters do


def test_assert_close_ignores_grad_and_dtype_of_found() -> None:
    leaf = torch.ones(2, dtype=torch.float64, requires_grad=True)
    assert_close(leaf, torch.ones(2), "ex")  # a leaf that requires grad, compared as float64
    assert_close(leaf * 1.0, torch.ones(2), "ex")  # a non-leaf with a graph
    assert_close(torch.ones(2, dtype=torch.float16), torch.ones(2, dtype=torch.float64), "ex")
    assert leaf.grad is None and leaf.requires_grad  # the comparison left it alone
    with pytest.raises(CheckFailure):
        assert_close(leaf * 1.01, torch.ones(2), "ex")


@pytest.mark.parametrize(("atol", "rtol"), [(1e-5, 1e-4), (0.1, 0.0), (0.0, 0.01), (1e-3, 1e-2)])
@pytest.mark.parametrize("magnitude", [0.5, 1.0, -250.0])
def test_assert_close_tolerance_is_exactly_atol_plus_rtol(
    atol: float, rtol: float, magnitude: float
) -> None:
    """Just inside the tolerance passes; 1.5 times it fails (also with the defaults)."""
    expected = torch.full((3,), magnitude, dtype=torch.float64)
    tolerance = atol + rtol * abs(magnitude)
    assert_close(expected + 0.9 * tolerance, expected, "ex", atol=atol, rtol=rtol)
    assert_close(expected - 0.9 * tolerance, expected, "ex", atol=atol, rtol=rtol)
    for sign in (1, -1):
        with pytest.raises(CheckFailure) as info:
            assert_close(expected + sign * 1.5 * tolerance, expected, "ex", atol=atol, rtol=rtol)
        check_message(info, "ex", f"tolerance {atol:g} + {rtol:g}*|x|")


def test_assert_close_default_tolerance() -> None:
    expected = torch.tensor([2.0], dtype=torch.float64)  # tolerance 1e-5 + 1e-4 * 2 = 2.1e-4
    assert_close(expected + 1.9e-4, expected, "ex")
    with pytest.raises(CheckFailure):
        assert_close(expected + 3.2e-4, expected, "ex")


# --- assert_grad_flows ------------------------------------------------------------------------


def test_assert_grad_flows_passes_and_returns_grads() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    grads = assert_grad_flows(x * w, [x, w], "ex")
    assert torch.equal(grads[0], torch.tensor([3.0, 4.0]))
    assert torch.equal(grads[1], torch.tensor([1.0, 2.0]))


def test_assert_grad_flows_detached_output() -> None:
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(CheckFailure) as info:
        assert_grad_flows((x * 2).detach(), [x], "ex")
    check_message(info, "ex", "requires_grad=True", "tensor of shape [2]", ".detach()")


def test_assert_grad_flows_unreached_input() -> None:
    x = torch.ones(2, requires_grad=True)
    y = torch.ones(2, requires_grad=True)
    with pytest.raises(CheckFailure) as info:
        assert_grad_flows(x * 2, [x, y], "ex")
    check_message(info, "ex", "input 1", "no gradient")


def test_assert_grad_flows_zero_gradient() -> None:
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(CheckFailure) as info:
        assert_grad_flows(x * 0, [x], "ex")
    check_message(info, "ex", "input 0")


# --- assert_raises ----------------------------------------------------------------------------


def _raise(exc: BaseException | None) -> None:
    if exc is not None:
        raise exc


def test_assert_raises_passes_and_returns_error() -> None:
    err = assert_raises(ValueError, _raise, ValueError("n must be positive"), name="ex")
    assert isinstance(err, ValueError)
    assert str(err) == "n must be positive"
    err = assert_raises(ValueError, mlp_gan.sample_noise, 0, 100, name="sample_noise")
    assert str(err) == "n must be a positive int, got 0"


def test_assert_raises_no_error() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_raises(ValueError, _raise, None, name="ex")
    check_message(info, "ex", "ValueError for (None)", "no error was raised")


def test_assert_raises_wrong_error() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_raises(ValueError, _raise, TypeError("bad type"), name="ex")
    check_message(info, "ex", "ValueError", "TypeError: bad type")


def test_assert_raises_empty_message() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_raises(ValueError, _raise, ValueError(), name="ex")
    check_message(info, "ex", "ValueError with a message", "ValueError()")


def test_assert_raises_reports_call_arguments() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_raises(ValueError, lambda n, z_dim: None, 0, z_dim=5, name="ex")
    check_message(info, "ex", "(0, z_dim=5)")


# --- parameter_shapes / align_parameters ------------------------------------------------------


class TwoLayers(nn.Module):
    """The same layers as nn.Sequential(Linear(4, 3), Linear(3, 2)), named differently."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(4, 3)
        self.second = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(x))


def test_parameter_shapes() -> None:
    assert parameter_shapes(TwoLayers()) == [[3, 4], [3], [2, 3], [2]]


def test_align_parameters_copies_by_order() -> None:
    reference = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    student = TwoLayers()
    align_parameters(student, reference, "ex")
    x = torch.randn(5, 4)
    assert torch.equal(student(x), reference(x))


def test_align_parameters_rejects_mismatch() -> None:
    reference = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    with pytest.raises(CheckFailure) as info:
        align_parameters(nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 2)), reference, "ex")
    check_message(info, "ex", "[[3, 4], [3], [2, 3], [2]]", "[[5, 4], [5], [2, 5], [2]]")
    with pytest.raises(CheckFailure) as info:
        align_parameters("not a module", reference, "ex")  # type: ignore[arg-type]
    check_message(info, "ex", "an nn.Module instance", "str")


# --- BackwardCounter --------------------------------------------------------------------------


def test_backward_counter_counts_passes() -> None:
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    frozen = torch.ones(2)
    with BackwardCounter([a, b, frozen]) as counter:
        assert counter.passes == 0
        (a * 2).sum().backward()
        (a * b).sum().backward()
        (a + 1).sum().backward()
    assert len(counter.counts) == 2  # tensors without requires_grad are ignored
    assert counter.counts == [3, 1]
    assert counter.passes == 3
    (a * b).sum().backward()  # hooks are removed on exit
    assert counter.counts == [3, 1]


def test_backward_counter_ignores_detached_paths() -> None:
    w = torch.ones(2, requires_grad=True)
    v = torch.ones(2, requires_grad=True)
    with BackwardCounter([w]) as counter:
        ((w * 3).detach() * v).sum().backward()
    assert counter.passes == 0


def test_backward_counter_empty() -> None:
    with BackwardCounter([]) as counter:
        pass
    assert counter.passes == 0


# --- forbid_reference -------------------------------------------------------------------------


def test_forbid_reference_blocks_function_and_earlier_alias() -> None:
    alias = mlp_gan.generator_loss
    logits = torch.zeros(2, 1)
    before = alias(logits)
    with forbid_reference(mlp_gan.generator_loss):
        with pytest.raises(RuntimeError, match="helpers.mlp_gan.generator_loss"):
            alias(logits)
        with pytest.raises(RuntimeError, match="write the computation yourself"):
            mlp_gan.generator_loss(logits)
    assert torch.equal(alias(logits), before)
    assert torch.equal(mlp_gan.generator_loss(logits), before)


def test_forbid_reference_leaves_other_functions_alone() -> None:
    with forbid_reference(mlp_gan.generator_loss):
        loss = mlp_gan.discriminator_loss(torch.zeros(2, 1), torch.zeros(2, 1))
    assert loss.item() > 0


def test_forbid_reference_blocks_class_and_subclass() -> None:
    class Subclass(mlp_gan.Generator):
        pass

    class OwnInit(mlp_gan.Generator):
        def __init__(self) -> None:
            nn.Module.__init__(self)
            self.z_dim = 100
            self.net = nn.Sequential(nn.Linear(100, 784), nn.Tanh())

    existing = mlp_gan.Generator()
    z = torch.randn(2, 100)
    with forbid_reference(mlp_gan.Generator):
        with pytest.raises(RuntimeError, match="helpers.mlp_gan.Generator"):
            mlp_gan.Generator()
        with pytest.raises(RuntimeError, match="reference"):
            Subclass()
        with pytest.raises(RuntimeError, match="reference"):
            existing(z)  # forward is blocked too
        own = OwnInit()  # overriding __init__ avoids the block, the inherited forward does not
        with pytest.raises(RuntimeError, match="reference"):
            own(z)
    assert list(mlp_gan.Generator()(z).shape) == [2, 784]
    assert list(Subclass()(z).shape) == [2, 784]
    assert list(existing(z).shape) == [2, 784]
    assert list(own(z).shape) == [2, 784]


def test_forbid_reference_restores_after_exception() -> None:
    original_code = mlp_gan.generator_loss.__code__
    original_init = mlp_gan.Discriminator.__init__
    original_forward = mlp_gan.Discriminator.forward
    with pytest.raises(KeyError, match="inside"):
        with forbid_reference(mlp_gan.generator_loss, mlp_gan.Discriminator):
            raise KeyError("inside")
    assert mlp_gan.generator_loss.__code__ is original_code
    assert mlp_gan.Discriminator.__init__ is original_init
    assert mlp_gan.Discriminator.forward is original_forward
    D = mlp_gan.Discriminator()
    assert list(D(torch.zeros(1, 784)).shape) == [1, 1]


def test_forbid_reference_restores_after_blocked_call_escapes() -> None:
    with pytest.raises(RuntimeError, match="reference"):
        with forbid_reference(mlp_gan.sample_noise):
            mlp_gan.sample_noise(2, 3)
    assert list(mlp_gan.sample_noise(2, 3).shape) == [2, 3]


def test_forbid_reference_does_not_add_attributes_to_subclass() -> None:
    class Subclass(mlp_gan.Discriminator):
        pass

    with forbid_reference(mlp_gan.Discriminator):
        pass
    assert "__init__" not in vars(Subclass)
    assert "forward" not in vars(Subclass)


def test_forbid_reference_rejects_unblockable_target() -> None:
    with pytest.raises(TypeError, match="cannot block"):
        with forbid_reference(mlp_gan.generator_loss, len):
            pass  # pragma: no cover - never entered
    # the function blocked before the failure is restored
    assert mlp_gan.generator_loss(torch.zeros(1, 1)).item() > 0


def test_forbid_reference_nested() -> None:
    with forbid_reference(mlp_gan.generator_loss):
        with forbid_reference(mlp_gan.generator_loss):
            with pytest.raises(RuntimeError):
                mlp_gan.generator_loss(torch.zeros(1))
        with pytest.raises(RuntimeError):
            mlp_gan.generator_loss(torch.zeros(1))
    assert mlp_gan.generator_loss(torch.zeros(1)).item() > 0


# --- layer_io ---------------------------------------------------------------------------------


def _inputs(model: nn.Module, *args: torch.Tensor) -> list[torch.Tensor]:
    return [layer_in for layer_in, _ in layer_io(model, *args)[0]]


def test_layer_io_one_per_parameter_layer() -> None:
    G = mlp_gan.Generator()
    z = torch.randn(3, 100)
    ios, result = layer_io(G, z)
    assert [list(x.shape) for x, _ in ios] == [[3, 100], [3, 256], [3, 512], [3, 1024]]
    assert [list(y.shape) for _, y in ios] == [[3, 256], [3, 512], [3, 1024], [3, 784]]
    assert torch.equal(ios[0][0], z)
    assert torch.equal(ios[1][0], F.leaky_relu(ios[0][1], 0.2))  # input = activation of output
    assert torch.equal(result, torch.tanh(ios[-1][1]))
    assert all(not x.requires_grad and not y.requires_grad for x, y in ios)
    assert result.requires_grad  # the model's own result keeps its graph


def test_layer_io_grouping_independent() -> None:
    assert [list(x.shape) for x in _inputs(TwoLayers(), torch.randn(5, 4))] == [[5, 4], [5, 3]]


def test_layer_io_skips_the_model_itself() -> None:
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.tensor(2.0))  # owned by the model, not a layer
            self.layer = nn.Linear(3, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(x * self.scale)

    x = torch.ones(4, 3)
    inputs = _inputs(Scaled(), x)
    assert len(inputs) == 1
    assert torch.equal(inputs[0], x * 2)


def test_layer_io_removes_hooks() -> None:
    D = mlp_gan.Discriminator()
    layer_io(D, torch.zeros(2, 784))
    assert all(not m._forward_hooks for m in D.modules())
    assert len(_inputs(D, torch.zeros(2, 784))) == 4


def test_layer_io_removes_hooks_after_an_error() -> None:
    D = mlp_gan.Discriminator()
    with pytest.raises(ValueError):
        layer_io(D, torch.zeros(2, 10))
    assert all(not m._forward_hooks for m in D.modules())


def test_layer_io_sees_dropout_and_its_rescaling() -> None:
    D = mlp_gan.Discriminator(dropout=0.5).train()
    ios, _ = layer_io(D, torch.rand(64, 784) + 1.0)
    dropped_in, previous_out = ios[1][0], F.leaky_relu(ios[0][1], 0.2)
    zero_fraction = (dropped_in == 0).float().mean().item()
    assert 0.4 < zero_fraction < 0.6
    kept = dropped_in != 0
    assert torch.allclose(dropped_in[kept], 2 * previous_out[kept])  # 1 / (1 - p) = 2
    D.eval()
    ios, _ = layer_io(D, torch.rand(64, 784) + 1.0)
    assert torch.equal(ios[1][0], F.leaky_relu(ios[0][1], 0.2))


# --- meta device ------------------------------------------------------------------------------


def test_to_meta_copies_tensors_and_modules() -> None:
    x = torch.randn(3, 2, requires_grad=True)
    m = to_meta(x)
    assert m.device.type == "meta" and m.shape == x.shape and m.requires_grad
    layer = nn.Linear(2, 2)
    moved = to_meta(layer)
    assert moved.weight.device.type == "meta"
    assert layer.weight.device.type == "cpu"  # the original is untouched
    with pytest.raises(TypeError, match="tensor or a module"):
        to_meta([1.0])


def test_assert_runs_on_meta_accepts_device_following_code() -> None:
    def loss(logits: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))

    out = assert_runs_on_meta(loss, to_meta(torch.zeros(4, 1)), name="generator_loss")
    assert out.device.type == "meta"


def test_assert_runs_on_meta_rejects_cpu_targets() -> None:
    def loss(logits: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, torch.ones(logits.shape))

    with pytest.raises(CheckFailure) as info:
        assert_runs_on_meta(loss, to_meta(torch.zeros(4, 1)), name="generator_loss")
    check_message(info, "generator_loss", "'meta' device", "RuntimeError", "torch.ones_like")


def test_assert_runs_on_meta_rejects_results_moved_to_the_cpu() -> None:
    with pytest.raises(CheckFailure) as info:
        assert_runs_on_meta(lambda x: {"out": [torch.zeros(2)]}, to_meta(torch.zeros(2)), name="f")
    check_message(info, "f", "outputs on the inputs' device", "the result['out'][0] on device cpu")


def test_assert_runs_on_meta_gives_item_and_float_zero_inside_only() -> None:
    def step(x: torch.Tensor) -> dict[str, float]:
        return {"a": x.sum().item(), "b": float(x.mean())}

    assert assert_runs_on_meta(step, to_meta(torch.ones(3)), name="step") == {"a": 0.0, "b": 0.0}
    assert torch.ones(3).sum().item() == 3.0
    with pytest.raises(RuntimeError):
        torch.ones(3, device="meta").sum().item()  # the shim is gone after the call


def test_assert_runs_on_meta_passes_check_failures_through() -> None:
    def failing(x: torch.Tensor) -> None:
        assert_true(False, "inner", "a", "b")

    with pytest.raises(CheckFailure, match="inner: check failed"):
        assert_runs_on_meta(failing, to_meta(torch.ones(1)), name="outer")


def test_meta_run_of_a_training_step_with_optimizers() -> None:
    G, D = to_meta(ConstantGenerator(z_dim=4)), to_meta(LinearDiscriminator())
    opt_G = torch.optim.Adam(G.parameters())
    opt_D = torch.optim.Adam(D.parameters())
    real = to_meta(torch.zeros(8, 784))
    out = assert_runs_on_meta(mlp_gan.train_step, G, D, opt_G, opt_D, real, z_dim=4, name="step")
    assert out == {"d_loss": 0.0, "g_loss": 0.0}


# --- stand-in modules -------------------------------------------------------------------------


def test_constant_generator_ignores_z_values() -> None:
    G = ConstantGenerator(z_dim=100, img_dim=784, seed=0)
    a = G(torch.randn(4, 100))
    b = G(torch.randn(4, 100) * 50)
    assert list(a.shape) == [4, 784]
    assert torch.equal(a, b)
    assert torch.equal(a[0], a[3])
    assert a.abs().max().item() < 1.0
    assert a.requires_grad
    assert not torch.equal(a[0], ConstantGenerator(seed=1)(torch.zeros(1, 100))[0])


def test_constant_generator_rejects_wrong_z() -> None:
    with pytest.raises(ValueError, match=r"\[N, 100\]"):
        ConstantGenerator()(torch.zeros(2, 10))


def test_linear_discriminator_shapes() -> None:
    D = LinearDiscriminator()
    x = torch.randn(3, 784)
    assert list(D(x).shape) == [3, 1]
    assert torch.equal(D(x), D(x.reshape(3, 1, 28, 28)))
    assert parameter_shapes(D) == [[1, 784], [1]]


def test_spy_records_mode_and_grad() -> None:
    inner = nn.Linear(2, 2)
    recorder = Spy(inner)
    x = torch.randn(1, 2)
    recorder.train()
    out = recorder(x)
    recorder.eval()
    assert not inner.training  # the mode reaches the wrapped module
    with torch.no_grad():
        recorder(x)
    recorder.train()
    with torch.no_grad():
        recorder(x)
    assert [(c["training"], c["grad"]) for c in recorder.calls] == [
        (True, True),
        (False, False),
        (True, False),
    ]
    assert torch.equal(out, inner(x))


def test_spy_records_input_shape_device_and_statistics() -> None:
    spy = Spy(nn.Identity())
    spy(torch.tensor([[1.0, 3.0], [5.0, 7.0]]))
    spy(torch.zeros(3, 5, device="meta"))
    spy(torch.tensor([2.0], requires_grad=True))
    first, on_meta, single = spy.calls
    assert first["shape"] == [2, 2] and first["device"] == "cpu" and not first["requires_grad"]
    assert first["mean"] == 4.0 and first["std"] == pytest.approx(2.5819889)
    assert on_meta == {
        "training": True, "grad": True, "shape": [3, 5], "device": "meta", "requires_grad": False
    }  # fmt: skip
    assert single["requires_grad"]
    assert "mean" not in single and single["shape"] == [1]


def test_spy_passes_every_argument_through() -> None:
    class Adds(nn.Module):
        def forward(self, x: torch.Tensor, y: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
            return (x + y) * scale

    spy = Spy(Adds())
    assert torch.equal(spy(torch.ones(2), torch.ones(2), scale=3.0), torch.full((2,), 6.0))


def test_module_exports_exist() -> None:
    for name in checks.__all__:
        assert hasattr(checks, name), name


def test_references_for_swaps_names_and_restores_them() -> None:
    from helpers import checks, mlp_gan

    def mine(fake_logits):
        return fake_logits.sum()

    namespace = {"generator_loss": mine}
    with checks.references_for(namespace, mlp_gan, "generator_loss", "sample_noise"):
        assert namespace["generator_loss"] is mlp_gan.generator_loss
        assert namespace["sample_noise"] is mlp_gan.sample_noise
    assert namespace == {"generator_loss": mine}
    with pytest.raises(KeyError), checks.references_for(namespace, mlp_gan, "generator_loss"):
        raise KeyError("boom")
    assert namespace == {"generator_loss": mine}


def test_forbid_reference_blocks_a_function_with_closure_cells() -> None:
    """Decorated or wrapped references close over variables; they are blocked all the same."""

    def make() -> object:
        scale, offset = 2.0, 1.0

        def reference(x: float) -> float:
            return x * scale + offset

        return reference

    reference = make()
    with forbid_reference(reference):
        with pytest.raises(RuntimeError, match="course's reference"):
            reference(1.0)  # type: ignore[operator]
    assert reference(1.0) == 3.0  # type: ignore[operator]


# --- assert_matches_reference -----------------------------------------------------------------


def _logits() -> torch.Tensor:
    return torch.tensor([[-3.0], [0.5], [2.0]], requires_grad=True)


def test_matches_reference_accepts_an_equivalent_function() -> None:
    found = checks.assert_matches_reference(
        lambda x: F.softplus(-x).mean(), mlp_gan.generator_loss, _logits(), name="loss"
    )
    assert found.dim() == 0


@pytest.mark.parametrize(
    ("student", "fragments"),
    [
        (lambda x: F.softplus(x).mean(), ["loss: check failed", "off by"]),
        (lambda x: F.softplus(-x).sum(), ["loss: check failed", "off by"]),
        (lambda x: F.softplus(-x).mean().detach(), ["requires_grad=True"]),
        (lambda x: F.softplus(-x), ["a scalar tensor"]),
        (
            # right value, twice the gradient
            lambda x: (lambda v: v.detach() + 2 * (v - v.detach()))(F.softplus(-x).mean()),
            ["gradient of loss with respect to input 1"],
        ),
        (
            lambda x: F.binary_cross_entropy_with_logits(x, torch.ones(x.shape)),
            ["inputs on another device", "RuntimeError"],
        ),
        (lambda x: mlp_gan.generator_loss(x), ["course's reference"]),
        (lambda x: 0.69, ["a torch.Tensor"]),
    ],
)
def test_matches_reference_rejects(student, fragments: list[str]) -> None:  # noqa: ANN001
    with pytest.raises(CheckFailure) as info:
        checks.assert_matches_reference(
            student, mlp_gan.generator_loss, _logits(), name="loss",
            forbid=[mlp_gan.generator_loss],
        )  # fmt: skip
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def test_matches_reference_compares_non_scalar_outputs_and_skips_meta_when_asked() -> None:
    layer = nn.Linear(3, 2)
    x = torch.randn(4, 3)
    found = checks.assert_matches_reference(
        lambda v: v @ layer.weight.t() + layer.bias, layer, x, name="layer", on_meta=False
    )
    assert list(found.shape) == [4, 2]
    with pytest.raises(CheckFailure, match=r"shape \[4, 2\]"):
        checks.assert_matches_reference(lambda v: v, layer, x, name="layer", on_meta=False)


def test_forbid_reference_instance_can_be_entered_again() -> None:
    blocked = forbid_reference(mlp_gan.generator_loss)
    for _ in range(2):
        with blocked:
            with pytest.raises(RuntimeError, match="course's reference"):
                mlp_gan.generator_loss(torch.zeros(1))
        assert mlp_gan.generator_loss(torch.zeros(1)).item() > 0


# --- strict types -----------------------------------------------------------------------------


class AlwaysTrue:
    def __bool__(self) -> bool:
        return True


class ForgedFloat(float):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize("condition", [AlwaysTrue(), torch.tensor(True), 1, "yes", [0]])
def test_assert_true_needs_a_real_bool(condition: object) -> None:
    with pytest.raises(CheckFailure):
        assert_true(condition, "ex", "a", "b")  # type: ignore[arg-type]


def test_assert_true_accepts_numpy_bools() -> None:
    assert_true(np.bool_(True), "ex", "a", "b")
    with pytest.raises(CheckFailure):
        assert_true(np.bool_(False), "ex", "a", "b")


@pytest.mark.parametrize("value", [np.float64(0.5), np.float32(2.0), np.int64(3), 7])
def test_assert_float_accepts_python_and_numpy_numbers(value: object) -> None:
    assert_float(value, "loss")


@pytest.mark.parametrize("value", [ForgedFloat(0.5), np.bool_(True), np.array(0.5)])
def test_assert_float_rejects_lookalikes(value: object) -> None:
    with pytest.raises(CheckFailure, match="a Python float"):
        assert_float(value, "loss")


def test_align_parameters_by_number_of_elements() -> None:
    class Flat(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.zeros(3))

    class Shaped(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.arange(3.0).reshape(1, 3, 1, 1))

    flat = Flat()
    with pytest.raises(CheckFailure, match="shapes"):
        align_parameters(flat, Shaped(), "noise")
    align_parameters(flat, Shaped(), "noise", reshape=True)
    assert flat.scale.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(CheckFailure, match="numbers of elements"):
        align_parameters(nn.Linear(2, 2), Shaped(), "noise", reshape=True)


# --- warnings never cost a correct answer (running.student_code) ------------------------------


def _warns(x: torch.Tensor) -> torch.Tensor:
    warnings.warn("this call is deprecated", FutureWarning, stacklevel=1)
    return x * 2


def test_student_code_notes_warnings_on_stdout_not_stderr(capsys: pytest.CaptureFixture) -> None:
    with checks.student_code("my_fn(x)"):
        warnings.warn("first thing", UserWarning, stacklevel=1)
        warnings.warn("first thing", UserWarning, stacklevel=1)  # the same: one note
        warnings.warn("second thing", RuntimeWarning, stacklevel=1)
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines == [
        "note: my_fn(x) warned (UserWarning: first thing); a warning costs no points.",
        "note: my_fn(x) warned (RuntimeWarning: second thing); a warning costs no points.",
    ]


def test_student_code_turns_every_showing_filter_into_always() -> None:
    """Repeated warnings are recorded: "default", "once" and "module" become "always"; filters
    that ignore a warning or raise it keep their action, order and match."""
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.filterwarnings("ignore", message="known residue", category=UserWarning)
        warnings.filterwarnings("once", category=RuntimeWarning, append=True)
        warnings.filterwarnings("error", module="mymod", append=True)
        warnings.filters.append(("default", None, DeprecationWarning, "__main__", 0))
        with checks.student_code("f"):
            actions = [(f[0], f[2].__name__) for f in warnings.filters]
            main = warnings.filters[3][3]
    assert actions == [
        ("ignore", "UserWarning"), ("always", "RuntimeWarning"), ("error", "Warning"),
        ("always", "DeprecationWarning"), ("always", "Warning"),
    ]  # fmt: skip
    assert main.match("__main__") and not main.match("__main__x")  # still an exact match


def test_student_code_keeps_ignore_and_error_filters(capsys: pytest.CaptureFixture) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="known residue")
        warnings.filterwarnings("error", message="made an error")
        with checks.student_code("f"):
            warnings.warn("known residue", UserWarning, stacklevel=1)
        with pytest.raises(UserWarning, match="made an error"), checks.student_code("f"):
            warnings.warn("made an error", UserWarning, stacklevel=1)
    assert capsys.readouterr() == ("", "")


def test_student_code_lets_errors_through_and_restores_warnings(
    capsys: pytest.CaptureFixture,
) -> None:
    with pytest.raises(ValueError, match="real error"), checks.student_code("f"):
        warnings.warn("before the error", UserWarning, stacklevel=1)
        raise ValueError("real error")
    assert "before the error" in capsys.readouterr().out  # noted even though it failed
    with pytest.warns(UserWarning, match="outside"):
        warnings.warn("outside", UserWarning, stacklevel=1)  # outside the block: a warning again


@pytest.mark.parametrize("mode", ["warn", "print", "call", "log"])
def test_student_code_notes_numpy_floating_point_reports(
    mode: str, capsys: pytest.CaptureFixture
) -> None:
    """numpy's divide warning, whichever way numpy was told to report it."""

    class Log:
        def write(self, text: str) -> None:
            sys.stderr.write(text)

    handler = Log() if mode == "log" else (lambda kind, flag: print(kind, file=sys.stderr))
    old_handler = np.seterrcall(handler if mode in ("call", "log") else None)
    try:
        with np.errstate(divide=mode), checks.student_code("entropy"):
            value = np.log(np.array([0.0, 1.0]))
    finally:
        np.seterrcall(old_handler)
    out, err = capsys.readouterr()
    assert err == "" and value[0] == -np.inf
    assert "entropy warned (RuntimeWarning: divide by zero encountered in log)" in out


def test_student_code_captures_text_written_to_stderr(capsys: pytest.CaptureFixture) -> None:
    with checks.student_code("progress"):
        print("50%|#####", file=sys.stderr)
    out, err = capsys.readouterr()
    assert err == "" and "text written to stderr: 50%|#####" in out


def test_nested_student_code_names_the_inner_call_and_prints_once(
    capsys: pytest.CaptureFixture,
) -> None:
    with checks.student_code("outer"):
        with checks.student_code("inner step"):
            warnings.warn("from inside", UserWarning, stacklevel=1)
        assert capsys.readouterr().out == ""  # the outermost block reports
    assert capsys.readouterr().out.startswith("note: inner step warned (UserWarning: from inside)")


def test_every_entry_point_runs_student_code_with_warnings_noted(
    capsys: pytest.CaptureFixture,
) -> None:
    class Warner(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return _warns(self.layer(x))

    def raises_with_warning() -> None:
        warnings.warn("deprecated path", FutureWarning, stacklevel=1)
        raise ValueError("bad input")

    x = torch.randn(3, 2)
    checks.call(_warns, x, name="call")
    checks.assert_raises(ValueError, raises_with_warning, name="assert_raises")
    checks.assert_matches_reference(_warns, lambda v: v * 2, x, name="matches")
    checks.assert_runs_on_meta(_warns, to_meta(x), name="meta")
    layer_io(Warner(), x)
    Spy(Warner())(x)
    with forbid_reference(mlp_gan.generator_loss):
        _warns(x)
    with checks.references_for({}, mlp_gan, "generator_loss"):
        _warns(x)
    with checks.assert_inputs_unchanged(x, name="unchanged"), checks.student_code("block"):
        _warns(x)
    out, err = capsys.readouterr()
    assert err == ""
    for who in ("call", "assert_raises", "matches", "meta", "Warner", "your code", "block"):
        assert f"note: {who} warned (FutureWarning:" in out, (who, out)


def test_a_failing_call_still_fails_with_a_warning_inside() -> None:
    def broken(x: torch.Tensor) -> torch.Tensor:
        warnings.warn("odd", UserWarning, stacklevel=1)
        return x @ torch.ones(5)

    with pytest.raises(CheckFailure, match="RuntimeError"):
        checks.call(broken, torch.ones(2, 3), name="broken")


# --- inputs left unchanged (state.snapshot / assert_inputs_unchanged) -------------------------


def _sort_in_place(x: object) -> float:
    x.sort()  # type: ignore[attr-defined]
    return 0.0


@pytest.mark.parametrize(
    ("student", "value", "fragment"),
    [
        (_sort_in_place, [3.0, 1.0, 2.0], "argument 1[0]: changed from 3.0 to 1.0"),
        (_sort_in_place, np.array([3.0, 1.0, 2.0]), "contents were changed in place"),
        (lambda t: t.copy_(t.sort().values), torch.tensor([3.0, 1.0]),
         "values were changed in place (element 0 was 3, is 1)"),
        (lambda t: t.sub_(t.mean()), torch.tensor([1.0, 5.0]), "values were changed in place"),
        (lambda t: t.add_(0.0), torch.tensor([1.0, 5.0]), "version counter went from 0 to 1"),
        (lambda t: t.requires_grad_(), torch.tensor([1.0]), "requires_grad changed from False"),
        (lambda t: (t * t).sum().backward(), torch.tensor([1.0], requires_grad=True),
         ".grad changed"),
        (lambda m: m.eval(), nn.Sequential(nn.Linear(2, 2), nn.Dropout()), "left in eval mode"),
        (lambda m: m.running_mean.add_(1), nn.BatchNorm1d(2), ".running_mean: its values"),
        (lambda d: d.pop("x"), {"x": 1.0, "y": 2.0}, "length changed from 2 to 1"),
    ],
)  # fmt: skip
def test_call_with_inputs_unchanged_rejects_side_effects(
    student: object, value: object, fragment: str
) -> None:
    with pytest.raises(CheckFailure) as info:
        checks.call(student, value, name="fn", inputs_unchanged=True)  # type: ignore[arg-type]
    message = check_message(info, "fn", "argument 1 left unchanged")
    assert fragment in message, message


def test_call_checks_inputs_only_when_asked() -> None:
    data = [3.0, 1.0]
    checks.call(_sort_in_place, data, name="fn")
    assert data == [1.0, 3.0]


def test_inputs_unchanged_accepts_pure_code_and_nan_values() -> None:
    x = torch.tensor([1.0, float("nan")], requires_grad=True)
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).eval()
    arrays = [np.array([2.0, np.nan]), (1, "a", None)]
    with checks.assert_inputs_unchanged(x, net, arrays, name="pure"):
        (x * 2).sum()
        net(torch.randn(3, 2))
        sorted(arrays[0])


def test_matches_reference_rejects_changed_inputs_and_state_between_calls() -> None:
    def subtracts_in_place(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        diff = a
        diff -= b
        return diff.square().sum()

    a, b = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.5])
    with pytest.raises(CheckFailure, match="input 1 left unchanged"):
        checks.assert_matches_reference(
            subtracts_in_place, lambda u, v: (u - v).square().sum(), a, b, name="dist"
        )
    calls = []

    def remembers(x: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return x.sum() * len(calls)

    with pytest.raises(CheckFailure, match="called a second time"):
        checks.assert_matches_reference(remembers, torch.sum, torch.ones(3), name="sum")


# --- modes, random state, repeated calls -------------------------------------------------------


def test_assert_modes_kept_names_the_module_and_modes() -> None:
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    with checks.assert_modes_kept(net, name="step", labels=["G"]):
        was = net.training
        net.eval()
        net.train(was)
    with (
        pytest.raises(CheckFailure) as info,
        checks.assert_modes_kept(net, name="step", labels=["G"]),
    ):
        net[1].eval()
    check_message(info, "step", "G.1 left in eval mode; it was in train mode")


@pytest.mark.parametrize(
    ("touch", "which"),
    [
        (lambda: torch.manual_seed(1), "torch's global CPU generator"),
        (lambda: torch.randn(2), "torch's global CPU generator"),
        (lambda: np.random.seed(3), "numpy's global generator"),
        (lambda: random.random(), "Python's random module"),
    ],
)
def test_assert_random_state_kept_names_the_changed_state(touch: object, which: str) -> None:
    with pytest.raises(CheckFailure) as info, checks.assert_random_state_kept("noise"):
        touch()  # type: ignore[operator]
    check_message(info, "noise", which)


def test_own_generators_keep_the_global_random_state() -> None:
    with checks.assert_random_state_kept("noise"):
        torch.randn(3, generator=torch.Generator().manual_seed(0))
        np.random.default_rng(1).normal(size=3)
        random.Random(2).random()
    assert set(checks.random_states()) >= {"torch's global CPU generator", "Python's random module"}


def test_assert_repeatable_and_assert_fresh() -> None:
    seeded = lambda n: torch.randn(n, generator=torch.Generator().manual_seed(0))  # noqa: E731
    assert checks.assert_repeatable(seeded, 4, name="seeded").shape == (4,)
    with pytest.raises(CheckFailure, match="the same result on a second call"):
        checks.assert_repeatable(torch.randn, 4, name="fresh")
    checks.assert_fresh(torch.randn, 4, name="fresh")
    with pytest.raises(CheckFailure, match="new random values on every call"):
        checks.assert_fresh(seeded, 4, name="seeded")
    checks.assert_repeatable(lambda: (1, {"a": torch.ones(2)}), name="nested")
    with pytest.raises(CheckFailure, match="result"):
        checks.assert_repeatable(lambda k=[]: k.append(1) or len(k), name="counter")


# --- a GPU stand-in for code that needs values (devices.gpu_like) ------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="uses real CUDA where present")
def test_gpu_like_refuses_numpy_until_moved_to_the_cpu() -> None:
    original = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    x = checks.gpu_like(original)
    assert isinstance(x, checks.GPULikeTensor) and x.requires_grad and x is not original
    for convert in (
        lambda: x.detach().numpy(),
        lambda: np.asarray(x.detach()),
        lambda: np.sort(x.detach().double()),
        lambda: x.detach().sort().values.numpy(),
        lambda: x.detach().to(torch.float64).numpy(),
    ):
        with pytest.raises(TypeError, match=r"Use \.cpu\(\) first"):
            convert()
    assert x.detach().cpu().numpy().tolist() == [3.0, 1.0, 2.0]
    assert x.detach().to("cpu", torch.float64).numpy().dtype == np.float64
    assert type(x.detach().to(device="cpu")) is torch.Tensor
    assert x.detach().numpy(force=True).shape == (3,)
    assert x.sum().item() == 6.0 and x.tolist() == [3.0, 1.0, 2.0]
    assert isinstance((x * 2).sort().values, checks.GPULikeTensor)
    with pytest.raises(TypeError, match="takes a tensor"):
        checks.gpu_like([1.0])  # type: ignore[arg-type]


def test_meta_device_is_backwards_for_generators() -> None:
    """What the devices module documents: do not use meta where generators matter."""
    cpu_generator = torch.Generator().manual_seed(0)
    assert torch.randn(2, device="meta", generator=cpu_generator).device.type == "meta"
    with pytest.raises(RuntimeError):
        torch.Generator(device="meta")


# --- stand-ins with a varying gradient and with buffers ----------------------------------------


def test_nonlinear_critic_gradient_depends_on_where_it_is_taken() -> None:
    state = torch.get_rng_state()
    critic = checks.NonlinearCritic(img_dim=12, seed=3)
    assert torch.equal(torch.get_rng_state(), state)  # built without touching global randomness
    again = checks.NonlinearCritic(img_dim=12, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(critic.parameters(), again.parameters()))
    gen = torch.Generator().manual_seed(0)
    real, fake = torch.randn(6, 1, 3, 4, generator=gen), torch.randn(6, 1, 3, 4, generator=gen)
    alpha = torch.rand(6, 1, 1, 1, generator=gen)
    between = wgan.gradient_penalty(critic, real, fake, alpha)
    at_real = wgan.gradient_penalty(critic, real, real, alpha)
    assert critic(real).shape == (6, 1) and abs(between.item() - at_real.item()) > 1e-3
    linear = checks.LinearDiscriminator(img_dim=12)
    same = wgan.gradient_penalty(linear, real, real, alpha) - wgan.gradient_penalty(
        linear, real, fake, alpha
    )
    assert abs(same.item()) < 1e-6  # why the linear stand-in cannot tell


def test_buffered_critic_has_spectral_norm_and_batch_norm_buffers() -> None:
    critic = checks.BufferedCritic(img_dim=12)
    buffers = dict(critic.named_buffers())
    assert {"norm.running_mean", "norm.num_batches_tracked"} <= set(buffers)
    assert any(name.endswith("._u") for name in buffers)
    assert buffers["norm.num_batches_tracked"].dtype == torch.int64
    assert critic(torch.randn(5, 12)).shape == (5, 1)
    with pytest.raises(RuntimeError):  # clipping state_dict() reaches the integer counter
        with torch.no_grad():
            for value in checks.BufferedCritic(img_dim=12).state_dict().values():
                value.clamp_(-0.01, 0.01)


def test_spy_keeps_inputs_when_asked() -> None:
    spy = Spy(nn.Identity(), keep_inputs=True)
    x = torch.randn(2, 3)
    before = x.clone()
    spy(x)
    x.add_(1)
    assert torch.equal(spy.calls[0]["input"], before)  # a copy, taken before the change
    plain = Spy(nn.Identity())
    plain(x)
    assert "input" not in plain.calls[0]


def test_fail_is_public_and_shared() -> None:
    with pytest.raises(CheckFailure) as info:
        checks.fail("ex", "a thing", "another", "do this")
    assert check_message(info, "ex", "a thing", "another").endswith("  hint:     do this")
    from helpers.checks import assertions, probes

    assert assertions.fail is checks.fail and probes.fail is checks.fail


def test_one_note_for_the_same_warning_about_other_sizes(capsys: pytest.CaptureFixture) -> None:
    with checks.student_code("loss"):
        for n in (3, 17):
            warnings.warn(
                f"target size [{n}] differs from input size [{n}, 1]", UserWarning, stacklevel=1
            )
    assert capsys.readouterr().out.splitlines() == [
        "note: loss warned (UserWarning: target size [3] differs from input size [3, 1]); "
        "a warning costs no points."
    ]
