"""The argument checks every part of ``nn`` shares: one positive-int validator, one for numbers.

>>> positive_int("epochs", 3)
3
>>> positive_int("epochs", 0)
Traceback (most recent call last):
...
ValueError: epochs must be an int >= 1, got 0
>>> positive_number("lr", 10**400)
Traceback (most recent call last):
...
OverflowError: lr is an int too large for a float, got an int of 1329 bits
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["finite_number", "positive_int", "positive_number"]


def positive_int(name: str, n: Any, minimum: int = 1) -> int:
    """``n`` as an int (numpy ints too, bools not), or a ValueError naming ``name``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {n!r}")
    return int(n)


def finite_number(name: str, x: Any) -> float:
    """``x`` as a finite float (numpy scalars too, bools not), or an error naming ``name``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a number, got {x!r} ({type(x).__name__})")
    try:
        f = float(x)
    except OverflowError:
        bits = x.bit_length() if isinstance(x, int) else "many"
        raise OverflowError(
            f"{name} is an int too large for a float, got an int of {bits} bits"
        ) from None
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {x!r}")
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
