"""The argument checks ``autograd``, ``nn`` and ``viz`` share: one for counts, one for numbers.

A wrong type is a ``TypeError`` and a value out of range a ``ValueError``. A count of the wrong
type raises ``CountTypeError``, which is both: ``nn`` has always answered a float count with a
ValueError (``moons(10.5)``), ``paths`` with a TypeError (``top_paths(y, x, k=1.5)``), and
callers of either keep catching what they caught.

>>> positive_int("epochs", 3)
3
>>> positive_int("epochs", 0)
Traceback (most recent call last):
...
ValueError: epochs must be an int >= 1, got 0
>>> positive_int("top_paths: k", 1.5)
Traceback (most recent call last):
...
pathgrad.autograd._checks.CountTypeError: top_paths: k must be an int, got 1.5 (float)
>>> positive_number("lr", 10**400)
Traceback (most recent call last):
...
OverflowError: lr is an int too large for a float, got an int of 1329 bits
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["CountTypeError", "finite_number", "positive_int", "positive_number", "real_number"]


class CountTypeError(TypeError, ValueError):
    """A count that is not an int: a TypeError, and a ValueError for ``nn``'s earlier callers."""


def positive_int(name: str, n: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """``n`` as an int >= ``minimum`` (numpy ints too, bools not) and at most ``maximum`` (a
    documented limit, named in the error), or an error naming ``name``.

    >>> positive_int("top_paths: k", 10**9, maximum=1000)
    Traceback (most recent call last):
    ...
    ValueError: top_paths: k must be at most 1,000 (the documented limit), got 1,000,000,000
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise CountTypeError(f"{name} must be an int, got {n!r} ({type(n).__name__})")
    if n < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {n!r}")
    if maximum is not None and int(n) > maximum:
        raise ValueError(f"{name} must be at most {maximum:,} (the documented limit), "
                         f"got {int(n):,}")
    return int(n)


def real_number(name: str, x: Any) -> float:
    """``x`` as a float (numpy scalars too, bools not; inf and nan kept), or an error naming
    ``name``: a TypeError for a non-number, an OverflowError for an int beyond float range."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a number, got {x!r} ({type(x).__name__})")
    try:
        return float(x)
    except OverflowError:
        bits = x.bit_length() if isinstance(x, int) else "many"
        raise OverflowError(
            f"{name} is an int too large for a float, got an int of {bits} bits"
        ) from None


def finite_number(name: str, x: Any) -> float:
    """``x`` as a finite float (numpy scalars too, bools not), or an error naming ``name``."""
    f = real_number(name, x)
    if not math.isfinite(f):
        raise ValueError(f"{name} is not finite: {x!r}")
    return f


def positive_number(name: str, x: Any, allow_zero: bool = False) -> float:
    """``x`` as a finite float > 0 (or >= 0), or an error naming ``name``."""
    bound = ">= 0" if allow_zero else "> 0"
    try:
        f = finite_number(name, x)
    except ValueError:
        raise ValueError(f"{name} must be finite and {bound}, got {x!r}") from None
    if f < 0 or (f == 0 and not allow_zero):
        raise ValueError(f"{name} must be finite and {bound}, got {x!r}")
    return f
