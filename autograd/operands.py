"""What an op does with its operands' numbers before a node is made: plain numbers taken as
constants, the row evaluated on floats, and the errors that name the op as written and its
values (``ValueError`` for a domain error, ``ZeroDivisionError``, ``OverflowError``; IEEE inf
and nan only inside ``ieee()``). ``Value``'s operators call these; they know no ``Value``.

>>> as_constant(2), as_constant("a")
(2.0, None)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from .modes import COMPARISONS, finite, ieee_on, refused
from .notation import notation_of
from .rules import FLOAT_MATH, Rule

__all__ = [
    "as_constant", "comparison", "evaluate", "nonfinite_operand", "overflow", "to_float",
]


def to_float(x: Any, where: str) -> float:
    """``float(x)`` for a real number, with an error naming it where it is too large."""
    try:
        return float(x)
    except OverflowError:
        size = f"an int of {x.bit_length()} bits" if isinstance(x, int) else f"{type(x).__name__}"
        raise OverflowError(
            f"{where} got {size}, too large for a float (the largest is about 1.8e308)"
        ) from None


def nonfinite_operand(name: str, args: tuple[float, ...]) -> ValueError:
    return ValueError(
        f"non-finite operand in {name!r} at ({', '.join(repr(a) for a in args)}): a Value holding "
        "inf or nan (made inside pathgrad.autograd.ieee()) cannot be used outside it"
    )


def as_constant(other: Any) -> float | None:
    """A plain real number as a float, or None for anything else (then the op is not ours)."""
    if isinstance(other, (float, int)) and not isinstance(other, bool):
        c = to_float(other, "an operand")
    elif isinstance(other, numbers.Real) and not isinstance(other, bool):
        c = to_float(other, "an operand")
    else:
        return None
    if refused(c):
        raise ValueError(
            f"non-finite operand {other!r}: use pathgrad.autograd.ieee() for IEEE inf/nan semantics"
        )
    return c


def _written(rule: Rule) -> str:
    """The op as Python code writes it ('/', '**', 'log'), not the row's name ('div_c')."""
    return notation_of(rule.name).micrograd.replace("{c}", "") or rule.name


def _describe(rule: Rule, args: tuple[float, ...]) -> str:
    text = notation_of(rule.name).text
    if rule.n_consts and isinstance(text, str) and text.startswith("{c}"):
        args = (*args[-rule.n_consts:], *args[:-rule.n_consts])  # 2 / x, 2 ** x: as written
    values = ", ".join(repr(a) for a in args)
    return f"'{_written(rule)}' at ({values})"


def _evaluate_slow(rule: Rule, args: tuple[float, ...], error: Exception) -> tuple[float, tuple]:
    """Where ``math`` raised: IEEE results under ``ieee()``, else an error naming op and values."""
    if not ieee_on():
        domain = notation_of(rule.name).domain
        hint = f" ({domain})" if domain else ""
        if isinstance(error, ZeroDivisionError):
            raise ZeroDivisionError(f"division by zero in {_describe(rule, args)}{hint}") from None
        if isinstance(error, OverflowError):
            raise OverflowError(
                f"overflow in {_describe(rule, args)}: the result or its rate factor is too large "
                "for a float; use pathgrad.autograd.ieee() to get inf"
            ) from None
        raise ValueError(f"math domain error in {_describe(rule, args)}{hint}") from None
    import numpy as np

    from .compiler.numpy_math import NUMPY_MATH

    with np.errstate(all="ignore"):
        xs = [np.float64(a) for a in args]
        out = rule.forward(NUMPY_MATH, *xs)
        local = rule.partials(NUMPY_MATH, out, *xs)
        return float(out), tuple(float(d) for d in local)


def evaluate(rule: Rule, args: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    """The row's output and rate factors on float operands, or the error that names op and
    values (IEEE results under ``ieee()``).

    >>> from pathgrad.autograd.rules import ROWS
    >>> evaluate(ROWS["mul"], (2.0, 3.0))
    (6.0, (3.0, 2.0))
    >>> evaluate(ROWS["log"], (-1.0,))
    Traceback (most recent call last):
    ...
    ValueError: math domain error in 'log' at (-1.0) (log needs x > 0)
    """
    finite_args = True
    try:
        out = rule.forward(FLOAT_MATH, *args)
        local = rule.partials(FLOAT_MATH, out, *args)
        if type(out) is complex or any(type(d) is complex for d in local):
            raise ValueError("complex result")
        if not (finite(out) and all(map(finite, local))) and not ieee_on():
            finite_args = all(map(finite, args))
            if finite_args:
                raise OverflowError("non-finite result")
    except (ArithmeticError, ValueError) as error:
        out, local = _evaluate_slow(rule, args, error)
    if not finite_args:
        raise nonfinite_operand(_written(rule), args)
    return out, local


def overflow(symbol: str, a: float, b: float, out: float) -> float:
    if ieee_on():
        return out
    if not (finite(a) and finite(b)):
        raise nonfinite_operand(symbol, (a, b))
    raise OverflowError(
        f"overflow in '{symbol}': {a!r} {symbol} {b!r} = {out!r}; "
        "use pathgrad.autograd.ieee() for IEEE inf/nan semantics"
    )




def comparison(op: str, compare: Callable[[float, float], bool]) -> Callable[..., bool]:
    """A comparison method of ``Value``: it reads ``data`` of a Value or a number (micrograd code
    sorts Values), and while ``compile`` traces it is recorded as a guard (``COMPARISONS``).
    Anything else gives ``NotImplemented``: Python then raises its TypeError naming both types.
    """

    def method(self: Any, other: Any) -> bool:
        if isinstance(other, type(self)):
            o = other.data
        elif isinstance(other, numbers.Real):
            o = float(other)
        else:
            return NotImplemented
        result = compare(self.data, o)
        record = COMPARISONS.get()
        if record is not None:
            record(op, self, other, result)
        return result

    method.__name__ = method.__qualname__ = f"__{compare.__name__}__"
    method.__doc__ = f"``self.data {op} other``, for a Value or a number."
    return method
