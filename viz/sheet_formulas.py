"""Spreadsheet formulas written by the rows themselves: a math namespace whose operands are cells.

Each row of ``autograd.rules`` is written once against a math namespace ``m``. Here ``m`` is
``FORMULA_MATH`` and the operands are ``Formula`` objects holding cell references, so a row's
``forward`` and ``partials`` return the formula text of the node's value and of each rate
factor: ``ROWS["tanh"].forward(FORMULA_MATH, cell("D7"))`` is ``TANH(D7)``. The helpers
(``rules.HELPERS``: σ, softplus, tanh', relu', sign) go through the same namespace, so σ is
written as the row writes it, stably: ``m.where`` becomes ``IF``, comparisons stay comparisons.
Nothing here knows an op; the only table is of primitive function names (``exp`` → ``EXP``,
``log`` → ``LN``, ``maximum`` → ``MAX`` ...), each a function Excel and LibreOffice both have.

Precedence follows Excel and LibreOffice, where unary minus binds tighter than ``^``
(``=-2^2`` is 4): a negation (or a negative number) is put in parentheses whenever it is an
operand, and both sides of ``^`` are unless they are atomic, since ``^`` is left-associative
there.

Precision, function by function, as LibreOffice computes them (each is the C library's
function, as Python's ``math`` is): ``EXP``, ``LN``, ``SQRT``, ``TANH``, ``SIN``, ``COS``,
``ABS``, ``MAX`` and ``^`` agree with the engine to 1e-12 relative (the tests measure it).
``log1p`` has no spreadsheet function (no ``LN1P`` in either program) and ``LN(1+u)`` loses
every digit for small u, so it is written as Goldberg's ``u·LN(1+u)/((1+u)−1)`` (within a few
ulps; ``u`` itself where ``1+u`` rounds to 1): softplus keeps 1e-12 relative far into its tail.
One caveat is LibreOffice's, not the formulas': its ``+`` and ``−`` give exactly 0 where the
operands cancel to within 2⁻⁴⁸ relative, where the engine keeps the rounding residue.

>>> from pathgrad.autograd.rules import ROWS
>>> x, y = cell("D2"), cell("D3")
>>> ROWS["div"].forward(FORMULA_MATH, x, y).text
'D2/D3'
>>> [str(r) for r in ROWS["div"].partials(FORMULA_MATH, cell("D4"), x, y)]
['1/D3', '(-D4)/D3']
>>> ROWS["pow_c"].forward(FORMULA_MATH, -x, 2.0).text
'(-D2)^2'
>>> ROWS["sigmoid"].forward(FORMULA_MATH, x).text
'IF(D2>=0,1/(1+EXP(-ABS(D2))),EXP(-ABS(D2))/(1+EXP(-ABS(D2))))'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pathgrad.autograd.rules import math_namespace

__all__ = ["FORMULA_MATH", "Formula", "cell", "number"]

_ATOM, _POWER, _MUL, _ADD, _COMPARE = 100, 90, 70, 60, 50
_NEGATED = _ADD  # a negation or negative number: wrapped whenever it is an operand


def number(c: float) -> str:
    """A float as formula text: every digit kept, ``E`` for the exponent.

    >>> number(2.0), number(0.1), number(-1e-05)
    ('2', '0.1', '-1E-05')
    """
    c = float(c)
    if not math.isfinite(c):
        raise ValueError(f"a spreadsheet formula cannot hold the number {c!r}")
    if c.is_integer() and abs(c) < 1e15:
        return str(int(c))
    return repr(c).upper()


class Formula:
    """An expression as spreadsheet formula text (without the leading ``=``), with its
    precedence, so that operators place parentheses where Excel and LibreOffice need them."""

    __slots__ = ("prec", "text")

    def __init__(self, text: str, prec: int = _ATOM) -> None:
        self.text, self.prec = text, prec

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def _binary(self, other: Any, op: str, prec: int, swap: bool = False) -> Formula:
        a, b = (formula(other), self) if swap else (self, formula(other))
        if op == "^":  # left-associative in both programs: parenthesise what is not atomic
            left, right = a.prec < _ATOM, b.prec < _ATOM
        else:
            left = a.prec < prec or (a.prec == _NEGATED and prec > _ADD)
            right = b.prec <= prec
        return Formula(f"{_wrap(a, left)}{op}{_wrap(b, right)}", prec)

    def __add__(self, o: Any) -> Formula:
        return self._binary(o, "+", _ADD)

    def __radd__(self, o: Any) -> Formula:
        return self._binary(o, "+", _ADD, swap=True)

    def __sub__(self, o: Any) -> Formula:
        return self._binary(o, "-", _ADD)

    def __rsub__(self, o: Any) -> Formula:
        return self._binary(o, "-", _ADD, swap=True)

    def __mul__(self, o: Any) -> Formula:
        return self._binary(o, "*", _MUL)

    def __rmul__(self, o: Any) -> Formula:
        return self._binary(o, "*", _MUL, swap=True)

    def __truediv__(self, o: Any) -> Formula:
        return self._binary(o, "/", _MUL)

    def __rtruediv__(self, o: Any) -> Formula:
        return self._binary(o, "/", _MUL, swap=True)

    def __pow__(self, o: Any) -> Formula:
        return self._binary(o, "^", _POWER)

    def __rpow__(self, o: Any) -> Formula:
        return self._binary(o, "^", _POWER, swap=True)

    def __neg__(self) -> Formula:
        return Formula(f"-{_wrap(self, self.prec < _ATOM)}", _NEGATED)

    def __pos__(self) -> Formula:
        return self

    def __lt__(self, o: Any) -> Formula:
        return self._binary(o, "<", _COMPARE)

    def __le__(self, o: Any) -> Formula:
        return self._binary(o, "<=", _COMPARE)

    def __gt__(self, o: Any) -> Formula:
        return self._binary(o, ">", _COMPARE)

    def __ge__(self, o: Any) -> Formula:
        return self._binary(o, ">=", _COMPARE)

    def __and__(self, o: Any) -> Formula:
        return call("AND", self, o)

    def __or__(self, o: Any) -> Formula:
        return call("OR", self, o)

    def __invert__(self) -> Formula:
        return call("NOT", self)


def _wrap(f: Formula, needs: bool) -> str:
    return f"({f.text})" if needs else f.text


def formula(x: Any) -> Formula:
    """``x`` as a ``Formula``: itself, or a number written in full."""
    if isinstance(x, Formula):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"a spreadsheet formula takes numbers and cells, got {x!r} "
                        f"({type(x).__name__})")
    text = number(x)
    return Formula(text, _NEGATED if text.startswith("-") else _ATOM)


def cell(reference: str) -> Formula:
    """An operand that is a cell (``D7``, ``graph!D7``)."""
    return Formula(reference, _ATOM)


def call(name: str, *args: Any) -> Formula:
    """``NAME(arg, ...)``."""
    return Formula(f"{name}({','.join(formula(a).text for a in args)})", _ATOM)


# ---- the namespace: primitive names, and the few functions spreadsheets spell otherwise -----
_NAMES = {
    "exp": "EXP", "log": "LN", "sqrt": "SQRT", "tanh": "TANH", "abs": "ABS", "sin": "SIN",
    "cos": "COS", "tan": "TAN", "atan": "ATAN", "asin": "ASIN", "acos": "ACOS",
    "sinh": "SINH", "cosh": "COSH", "maximum": "MAX", "minimum": "MIN",
}


class _Functions:
    """The library ``FORMULA_MATH`` takes a row's functions from, by name (``m.exp`` → EXP)."""

    __name__ = "spreadsheet functions"  # how the namespace's error names it

    def __getattr__(self, name: str) -> Callable[..., Formula]:
        if name not in _NAMES:
            raise AttributeError(name)
        spelled = _NAMES[name]
        return lambda *args: call(spelled, *args)


def _where(condition: Any, a: Any, b: Any) -> Formula:
    return call("IF", condition, a, b)


def _is_zero(x: Any) -> Formula:
    return formula(x)._binary(0.0, "=", _COMPARE)


def _log1p(u: Any) -> Formula:
    # Goldberg's log1p: u · ln(1+u) / ((1+u) − 1) cancels the rounding of 1+u; u where 1+u is 1
    u = formula(u)
    one_plus = 1.0 + u
    return call("IF", one_plus._binary(1.0, "=", _COMPARE), u,
                u * call("LN", one_plus) / (one_plus - 1.0))


def _xlogy(o: Any, x: Any) -> Any:
    # as FLOAT_MATH's: o · ln x, taken as 0 where o = 0 or x = 0
    return call("IF", call("OR", _is_zero(o), _is_zero(x)), 0.0, formula(o) * call("LN", x))


def _powgrad(x: Any, c: Any) -> Any:
    # as FLOAT_MATH's: c · x^(c − 1), taken as 0 where c = 0 (a constant c is folded here)
    if not isinstance(c, Formula):
        return 0.0 if c == 0.0 else c * formula(x) ** (float(c) - 1.0)
    return call("IF", _is_zero(c), 0.0, c * formula(x) ** (c - 1.0))


FORMULA_MATH = math_namespace(
    _Functions(), None, where=_where, log1p=_log1p, xlogy=_xlogy, powgrad=_powgrad,
)
"""The formula namespace: a row called on it with ``cell`` operands writes its formula."""
