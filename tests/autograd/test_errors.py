"""Bad input: the error Python users expect, naming the type, op and values; state untouched."""

from __future__ import annotations

import math

import pytest

from pathgrad.autograd import Value, grad, ieee, no_grad
from pathgrad.autograd.backprop import backward


@pytest.mark.parametrize("bad", ["a", None, [1.0], 1j, True])
def test_constructor_names_the_type(bad: object) -> None:
    with pytest.raises(
        TypeError, match=r"Value needs an int or float, got .* \((str|NoneType|list|complex|bool)\)"
    ):
        Value(bad)  # type: ignore[arg-type]


def test_constructor_accepts_ints_floats_and_numpy_scalars() -> None:
    import numpy as np

    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert Value(np.float32(0.5)).data == 0.5
    assert type(Value(np.float64(0.25)).data) is float


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -math.inf])
def test_non_finite_refused_unless_ieee(bad: float) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        Value(bad)
    with ieee():
        v = Value(bad)
    assert v.data == bad or (math.isnan(v.data) and math.isnan(bad))


def test_foreign_operands_give_pythons_typeerror_naming_both_types() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="'Value' and 'str'"):
        x + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match="'Value'"):
        "a" * x  # type: ignore[operator]
    with pytest.raises(TypeError, match="'NoneType' and 'Value'"):
        None - x  # type: ignore[operator]
    with pytest.raises(TypeError):
        x ** [2]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (
            lambda x: x.log(),
            ValueError,
            r"math domain error in 'log' at \(-1\.0\) \(log needs x > 0\)",
        ),
        (lambda x: x.sqrt(), ValueError, r"'sqrt' at \(-1\.0\)"),
        (lambda x: x / 0, ZeroDivisionError, r"division by zero in '/' at \(-1\.0, 0\.0\)"),
        (
            lambda x: x / Value(0.0),
            ZeroDivisionError,
            r"division by zero in '/' at \(-1\.0, 0\.0\)",
        ),
        (
            lambda x: (x + 1).sqrt(),
            ZeroDivisionError,
            r"'sqrt' at \(0\.0\).*derivative is infinite",
        ),
        (lambda x: x**0.5, ValueError, r"'\*\*' at \(-1\.0, 0\.5\)"),
        (lambda x: (-2.0) ** x, ValueError, r"'\*\*' at \(-2\.0, -1\.0\)"),
        (lambda x: (x * -1000).exp(), OverflowError, r"overflow in 'exp' at \(1000\.0\)"),
        (lambda x: (x * -1e200) * 1e200, OverflowError, r"overflow in '\*'"),
        (lambda x: x ** Value(0.5), ValueError, r"'\*\*' at \(-1\.0, 0\.5\)"),
    ],
)
def test_domain_errors_name_op_and_values(make, error, words) -> None:  # type: ignore[no-untyped-def]
    x = Value(-1.0)
    with pytest.raises(error, match=words):
        make(x)
    assert x.grad == 0.0 and x.data == -1.0


def test_ieee_mode_gives_ieee_numbers() -> None:
    with ieee():
        assert Value(0.0).log().data == -math.inf
        assert math.isnan(Value(-1.0).log().data)
        assert (Value(1.0) / 0).data == math.inf
        assert (Value(-1.0) / Value(0.0)).data == -math.inf
        assert (Value(1000.0).exp()).data == math.inf
        y = Value(4.0) * Value(math.inf)
        assert y.data == math.inf


def test_backward_and_grad_reject_non_values() -> None:
    with pytest.raises(TypeError, match=r"needs a Value output, got 3\.0"):
        grad(3.0, [])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"input 1 is not a Value: 2\.0"):
        grad(Value(1.0), [Value(1.0), 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="gradient must be a number"):
        backward(Value(1.0), "x")  # type: ignore[arg-type]


def test_no_grad_records_no_parents_and_restores() -> None:
    w = Value(1.0)
    with no_grad():
        v = w * 2 - 1
        assert v.parents == ()
    u = w * 2
    assert u.parents == (w,)
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert (w * 3).parents == (w,)


def test_failed_op_leaves_graph_and_grads_untouched() -> None:
    x = Value(2.0)
    y = x * x
    y.backward()
    with pytest.raises(ZeroDivisionError):
        y / (x - 2.0)
    assert (x.grad, y.grad, y.data) == (4.0, 1.0, 4.0)
