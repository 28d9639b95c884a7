"""Engine-wide switches: recording the graph (``no_grad``) and IEEE inf/nan semantics (``ieee``).

Each switch lives in a ``contextvars.ContextVar``, so it is per thread and per asyncio task: a
thread inside ``no_grad()`` does not stop another thread from recording. Blocks may exit in
any order (two generators that each hold a ``no_grad()`` and are closed first-in first-out):
each exit removes exactly its own block, and once every block has exited the switch is back
to its default. A block must exit in the thread or task that entered it (a ``RuntimeError``
says so otherwise).

>>> from pathgrad.autograd import Value, no_grad
>>> x = Value(2.0)
>>> with no_grad():
...     y = x * 3
>>> y.parents
()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = [
    "COMPARISONS", "NO_GRAD_ALIVE", "finite", "ieee", "ieee_on", "is_grad_enabled", "no_grad",
    "recording", "refused",
]


NO_GRAD_ALIVE: set[int] = set()
"""Ids of the ``no_grad()`` blocks alive in any context (an open block, or a copy of a context
that holds one, as an asyncio task created inside it). Empty means recording is on everywhere,
so the hot path tests this set (no call) and reads the context variable only when it is not
empty: ``edges if not NO_GRAD_ALIVE or is_grad_enabled() else ()``."""


class _Block:
    """One entered block: what it sets. Compared by identity, so each exit finds its own."""

    __slots__ = ("on", "quiet")

    def __init__(self, on: bool, quiet: bool) -> None:
        self.on = on
        self.quiet = quiet
        if quiet:
            NO_GRAD_ALIVE.add(id(self))  # set.add and set.discard are atomic under the GIL

    def __del__(self) -> None:
        if self.quiet:
            NO_GRAD_ALIVE.discard(id(self))


class _Switch:
    """A boolean whose value is the innermost block still open in this context (or the default).

    ``value`` holds the answer itself, so the hot path reads it with one ``ContextVar.get``;
    ``blocks`` holds the open blocks, innermost last, to recompute it on an exit in any order.
    """

    def __init__(self, name: str, default: bool, track: bool = False) -> None:
        self.name = name
        self.track = track
        self.default = default
        self.value: ContextVar[bool] = ContextVar(f"pathgrad.{name}", default=default)
        self.blocks: ContextVar[tuple[_Block, ...]] = ContextVar(
            f"pathgrad.{name}.blocks", default=()
        )

    @contextmanager
    def set_to(self, on: bool, entry: str) -> Iterator[None]:
        block = _Block(on, self.track and on != self.default)
        self.blocks.set((*self.blocks.get(), block))
        self.value.set(on)
        try:
            yield
        finally:
            self._close(block, entry)

    def _close(self, block: _Block, entry: str) -> None:
        blocks = self.blocks.get()
        if not any(b is block for b in blocks):
            # A generator holding the block was closed by another thread or task: this context
            # never saw the entry, and the one that did cannot be changed from here.
            raise RuntimeError(
                f"{entry} exited in a different thread or asyncio task from the one that "
                "entered it; close it where it was opened (that context stays switched)"
            )
        rest = tuple(b for b in blocks if b is not block)
        self.blocks.set(rest)
        self.value.set(rest[-1].on if rest else self.default)


_GRAD = _Switch("grad_enabled", True, track=True)
_IEEE = _Switch("ieee", False)

is_grad_enabled = _GRAD.value.get
"""``is_grad_enabled()``: True unless inside ``no_grad()`` (PyTorch's name; the engine's hot
path calls it: the bound ``ContextVar.get`` itself, no Python frame)."""

ieee_on = _IEEE.value.get
"""``ieee_on()``: True inside ``ieee()``."""


def no_grad() -> AbstractContextManager[None]:
    """Ops inside record no parents: results are leaves (for optimizer updates).

    >>> from pathgrad.autograd import Value
    >>> w = Value(1.0)
    >>> with no_grad():
    ...     w2 = w - 0.1 * 2.0
    >>> w2.data, w2.parents
    (0.8, ())
    """
    return _GRAD.set_to(False, "no_grad()")


def recording() -> AbstractContextManager[None]:
    """Record the graph even inside ``no_grad()`` (``grad(create_graph=True)``, ``jvp``, tracing).

    >>> from pathgrad.autograd import Value
    >>> with no_grad(), recording():
    ...     y = Value(1.0) * 2
    >>> len(y.parents)
    1
    """
    return _GRAD.set_to(True, "recording()")


def ieee() -> AbstractContextManager[None]:
    """Inside, numbers follow IEEE 754 instead of raising: inf and nan are accepted and produced.

    Outside (the default) a non-finite input, a math domain error such as ``log(-1.0)``, a
    division by zero or an overflow raises an error that names the op and the values.

    >>> from pathgrad.autograd import Value
    >>> with ieee():
    ...     y = Value(0.0).log()
    >>> y.data
    -inf
    """
    return _IEEE.set_to(True, "ieee()")


def finite(x: float) -> bool:
    """True for a finite number: ``x - x`` is 0.0 for one, nan for inf and nan (one subtraction
    and one comparison, cheaper than ``math.isfinite``'s call in the engine's loops).

    >>> finite(1e308), finite(float("inf")), finite(float("nan"))
    (True, False, False)
    """
    return x - x == 0.0


def refused(x: float) -> bool:
    """True for inf or nan outside ``ieee()``: the engine's one check before it raises.

    >>> refused(float("inf"))
    True
    >>> with ieee():
    ...     refused(float("inf"))
    False
    """
    return x - x != 0.0 and not ieee_on()


COMPARISONS: ContextVar[Callable[[str, Any, Any, bool], None] | None] = ContextVar(
    "pathgrad_comparisons", default=None
)
"""While ``autograd.compile`` traces, a recorder of each comparison made on a Value (a guard):
``Value``'s comparisons call it, ``compiler.trace`` sets it."""
