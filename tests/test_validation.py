"""The shared argument checks: the one message per mistake that every helpers function gives."""

import pytest

from helpers import validation


@pytest.mark.parametrize("value", [1, 7, 10**12])
def test_positive_int_returns_the_value(value):
    assert validation.positive_int(value, "n") == value


@pytest.mark.parametrize("value", [0, -3, 2.0, True, False, "4", None])
def test_positive_int_names_the_argument_and_the_value(value):
    with pytest.raises(ValueError) as err:
        validation.positive_int(value, "batch_size")
    assert str(err.value) == f"batch_size must be a positive int, got {value!r}"


def test_non_negative_int_accepts_zero_only_as_an_int():
    assert validation.non_negative_int(0, "smoke") == 0
    for value in (-1, 0.0, True):
        with pytest.raises(ValueError, match=r"^smoke must be a non-negative int, got "):
            validation.non_negative_int(value, "smoke")


def test_positive_number_takes_floats_and_ints_but_no_bool():
    assert validation.positive_number(0.01, "c") == 0.01
    assert validation.positive_number(float("inf"), "c") == float("inf")
    for value in (0, -0.5, True, float("nan"), "1"):
        with pytest.raises(ValueError, match=r"^c must be a positive number, got "):
            validation.positive_number(value, "c")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("helpers.data.DeviceBatches(torch.zeros(4, 2), batch_size=0)",
         "batch_size must be a positive int, got 0"),
        ("helpers.resume.Checkpoint('x.pt', every=1.5)", "every must be a positive int, got 1.5"),
        ("helpers.progan.EqualizedConv2d(3, 8, kernel_size=True)",
         "kernel_size must be a positive int, got True"),
        ("helpers.stylegan.MappingNetwork(8, 8, num_layers=0)",
         "num_layers must be a positive int, got 0"),
        ("helpers.runtime.budget(full=-1)", "budget(): full must be a non-negative int, got -1"),
    ],
)  # fmt: skip
def test_the_helpers_use_the_shared_checks(call, message):
    import torch  # noqa: F401 - used by the calls

    import helpers.data
    import helpers.progan
    import helpers.resume
    import helpers.runtime
    import helpers.stylegan  # noqa: F401

    with pytest.raises(ValueError) as err:
        eval(call)  # noqa: S307
    assert str(err.value) == message
