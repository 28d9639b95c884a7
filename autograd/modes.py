"""Engine-wide switches: recording the graph (``no_grad``) and IEEE inf/nan semantics (``ieee``).

The switches are process-wide (not per thread), like micrograd's globals; they nest.

>>> from pathgrad.autograd import Value, no_grad
>>> x = Value(2.0)
>>> with no_grad():
...     y = x * 3
>>> y.parents
()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["MODES", "ieee", "is_grad_enabled", "no_grad"]


class _Modes:
    __slots__ = ("grad_enabled", "ieee")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.ieee = False


MODES = _Modes()


@contextmanager
def no_grad() -> Iterator[None]:
    """Ops inside record no parents: results are leaves (for optimizer updates).

    >>> from pathgrad.autograd import Value
    >>> w = Value(1.0)
    >>> with no_grad():
    ...     w2 = w - 0.1 * 2.0
    >>> w2.data, w2.parents
    (0.8, ())
    """
    before = MODES.grad_enabled
    MODES.grad_enabled = False
    try:
        yield
    finally:
        MODES.grad_enabled = before


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return MODES.grad_enabled


@contextmanager
def ieee() -> Iterator[None]:
    """Inside, numbers follow IEEE 754 instead of raising: inf and nan are accepted and produced.

    Outside (the default) a non-finite input, a math domain error such as ``log(-1.0)``, a
    division by zero or an overflow raises an error that names the op and the values.

    >>> from pathgrad.autograd import Value
    >>> with ieee():
    ...     y = Value(0.0).log()
    >>> y.data
    -inf
    """
    before = MODES.ieee
    MODES.ieee = True
    try:
        yield
    finally:
        MODES.ieee = before
