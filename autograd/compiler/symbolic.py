"""A symbolic math namespace: a row of the rule table writes its own expression as source code.

The generated replays (``replay_python``, ``replay_numpy``) do not restate the
ops: each row's ``forward`` and ``partials`` are called once, at code-generation time, on ``Sym``
operands and a ``SymMath`` namespace, and the text they build is the code. ``x * y`` on two
``Sym`` gives ``Sym("v[1] * v[2]")``; ``m.exp(x)`` gives ``M.exp(v[1])`` (``M`` is bound to the
target's math namespace, ``FLOAT_MATH`` or ``NUMPY_MATH``). Operator precedence decides where
parentheses go, so the code evaluates in the row's own order (same bits). A namespace may
write a function inline instead of as a call (``inline``), and expressions nested deeper than
``max_depth`` are spilled into temporaries (``emit``), so a 1,000-operand ``wsum`` stays within
what Python's compiler accepts.

>>> from pathgrad.autograd.rules import ROWS
>>> m = SymMath()
>>> x, y = Sym("x"), Sym("y")
>>> ROWS["div"].forward(m, x, y).text, [str(r) for r in ROWS["div"].partials(m, Sym("o"), x, y)]
('x / y', ['1.0 / y', '-o / y'])
>>> ROWS["tanh"].partials(m, Sym("o"), x)[0].text
'M.dtanh(x)'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["Sym", "SymMath", "literal", "term"]

_ATOM, _POWER, _UNARY, _MUL, _ADD, _COMPARE, _IF = 100, 90, 80, 70, 60, 50, 10


def literal(c: float) -> str:
    """A float as source text (``float('inf')`` for the non-finite ones)."""
    return repr(float(c)) if math.isfinite(c) else f"float({str(float(c))!r})"


class Sym:
    """An expression as source text, with its precedence and nesting depth."""

    __slots__ = ("args", "depth", "math", "op", "prec", "text")

    def __init__(self, text: str, prec: int = _ATOM, depth: int = 0,
                 math: SymMath | None = None) -> None:
        self.text, self.prec, self.depth, self.math = text, prec, depth, math
        self.op = ""  # the outermost operator ('+', '-', '*', '/', '**', 'neg'), if any
        self.args: tuple[Sym, ...] = ()

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Sym({self.text!r})"

    def _binary(self, other: Any, op: str, prec: int, swap: bool = False) -> Sym:
        a, b = (_sym(other, self.math), self) if swap else (self, _sym(other, self.math))
        left_needs = a.prec <= prec if op == "**" else a.prec < prec
        right_needs = b.prec < _UNARY if op == "**" else b.prec <= prec
        text = f"{_wrap(a, left_needs)} {op} {_wrap(b, right_needs)}"
        m = a.math or b.math
        out = Sym(text, prec, 1 + max(a.depth, b.depth), m)
        out.op, out.args = op, (a, b)
        return m.spill(out) if m is not None else out

    def __add__(self, o: Any) -> Sym:
        return self._binary(o, "+", _ADD)

    def __radd__(self, o: Any) -> Sym:
        return self._binary(o, "+", _ADD, swap=True)

    def __sub__(self, o: Any) -> Sym:
        return self._binary(o, "-", _ADD)

    def __rsub__(self, o: Any) -> Sym:
        return self._binary(o, "-", _ADD, swap=True)

    def __mul__(self, o: Any) -> Sym:
        return self._binary(o, "*", _MUL)

    def __rmul__(self, o: Any) -> Sym:
        return self._binary(o, "*", _MUL, swap=True)

    def __truediv__(self, o: Any) -> Sym:
        return self._binary(o, "/", _MUL)

    def __rtruediv__(self, o: Any) -> Sym:
        return self._binary(o, "/", _MUL, swap=True)

    def __pow__(self, o: Any) -> Sym:
        return self._binary(o, "**", _POWER)

    def __rpow__(self, o: Any) -> Sym:
        return self._binary(o, "**", _POWER, swap=True)

    def _compare(self, o: Any, op: str) -> Sym:
        b = _sym(o, self.math)
        out = Sym(f"{_wrap(self, self.prec <= _COMPARE)} {op} {_wrap(b, b.prec <= _COMPARE)}",
                  _COMPARE, 1 + max(self.depth, b.depth), self.math or b.math)
        out.op, out.args = op, (self, b)
        return out

    def __gt__(self, o: Any) -> Sym:  # a helper's mask (``m.where(x > 0.0, ...)``) as text
        return self._compare(o, ">")

    def __ge__(self, o: Any) -> Sym:
        return self._compare(o, ">=")

    def __lt__(self, o: Any) -> Sym:
        return self._compare(o, "<")

    def __le__(self, o: Any) -> Sym:
        return self._compare(o, "<=")

    def __neg__(self) -> Sym:
        out = Sym(f"-{_wrap(self, self.prec < _UNARY)}", _UNARY, self.depth + 1, self.math)
        out.op, out.args = "neg", (self,)
        return out


def _wrap(s: Sym, needs: bool) -> str:
    return f"({s.text})" if needs else s.text


def _sym(x: Any, m: SymMath | None) -> Sym:
    if isinstance(x, Sym):
        return x
    c = float(x)
    text = literal(c)
    return Sym(text, _UNARY if text.startswith("-") else _ATOM, 0, m)


class SymMath:
    """The symbolic namespace: ``m.name(x)`` writes ``M.name(x)`` (or the ``inline`` form).

    ``inline`` maps a function name to a writer of its inline text from atomic operand texts;
    ``emit`` receives ``(name, text)`` statements for spilled temporaries.
    """

    def __init__(
        self, inline: dict[str, Callable[..., str]] | None = None,
        emit: Callable[[str, str], None] | None = None, max_depth: int = 60,
    ) -> None:
        self._inline = inline or {}
        self._emit = emit
        self._max_depth = max_depth
        self._temps = 0

    def spill(self, s: Sym) -> Sym:
        """``s`` itself, or a temporary holding it where it nests too deeply."""
        if self._emit is None or s.depth < self._max_depth:
            return s
        name = f"t{self._temps}"
        self._temps += 1
        self._emit(name, s.text)
        return Sym(name, _ATOM, 0, self)

    def sym(self, text: str) -> Sym:
        """An operand of this namespace (a reference such as ``v[3]``)."""
        return Sym(text, _ATOM, 0, self)

    def __getattr__(self, name: str) -> Callable[..., Sym]:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any) -> Sym:
            syms = [_sym(a, self) for a in args]
            if name in self._inline and all(s.prec == _ATOM for s in syms):
                return Sym(self._inline[name](*(s.text for s in syms)), _IF, 1, self)
            inner = ", ".join(s.text for s in syms)
            return self.spill(Sym(f"M.{name}({inner})", _ATOM,
                                  1 + max((s.depth for s in syms), default=0), self))

        return call


def term(g: str, rate: Any) -> str:
    """The adjoint contribution ``g · rate`` as text: ``g`` for a rate of 1, ``-g`` for −1."""
    if not isinstance(rate, Sym):
        r = float(rate)
        if r == 1.0:
            return g
        if r == -1.0:
            return f"-{g}"
        rate = _sym(r, None)
    return f"{g} * {_wrap(rate, rate.prec <= _MUL)}"
