"""The rule rows written as JavaScript: the live explorer's (and the playground's) engine.

No op is restated here. Each row of ``autograd.rules`` is called once, at page-building time,
on symbolic operands (``JS``) and a symbolic namespace (``JSMath``); the text they build is
the JavaScript. The helpers the rows call (σ, σ′, tanh′, step, sign, relu, softplus:
``autograd.rules.HELPERS``) are written the same way from their Python definitions, so a row
registered at run time (``m.atan``) appears in a page with no JavaScript edit. Primitives map
to ``Math.*`` by name (``m.exp``: ``Math.exp``; ``m.maximum``: ``Math.max``); ``m.where`` is a
ternary. JavaScript's precedence differs from Python's (``-x ** 2`` is a SyntaxError, ``- -x``
must not read as ``--x``): parentheses go where JavaScript needs them.

Python raises where JavaScript returns inf or nan. Each row is written twice: a fast kernel
the page runs on every recompute, and a *checked* twin run only where the fast one gave a
non-finite number, whose divisions, powers and calls throw as Python's ``math`` does
(``ZeroDivisionError``, a domain ``ValueError``, ``OverflowError``), so the page names the
same op and operands as the engine.

>>> x, y = JS("x"), JS("y")
>>> m = JSMath()
>>> str(-x ** 2.0), str(-(-x)), str(m.where(x > 0.0, x, 0.0))
('-(x ** 2.0)', '-(-x)', 'x > 0.0 ? x : 0.0')
>>> from pathgrad.autograd.rules import ROWS
>>> print(kernel_source(ROWS["mul"], 2, 0).replace("; ", ";\\n"))
(v, P, s, c, R) => { const a0 = v[P[s]], a1 = v[P[s + 1]];
const o = a0 * a1;
R[s] = a1;
R[s + 1] = a0;
return o; }
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pathgrad.autograd.rules import HELPERS, ROWS, Rule  # noqa: F401  (doctests)

__all__ = [
    "EXTRA_FUNCTIONS", "JS", "MATH_NAMES", "JSMath", "RowCode", "Signature", "helpers_source",
    "kernel_source", "literal", "row_code", "runtime_source",
]

# JavaScript's precedence levels (MDN), higher binds tighter
_ATOM, _POW, _UNARY, _MUL, _ADD, _REL, _EQ, _AND, _OR, _COND = 20, 14, 13, 12, 11, 9, 8, 4, 3, 2

MATH_NAMES = frozenset(
    "abs acos acosh asin asinh atan atan2 atanh cbrt ceil cos cosh exp expm1 floor fround hypot "
    "log log10 log1p log2 max min pow round sin sinh sqrt tan tanh trunc".split()
)
"""The functions of JavaScript's ``Math`` a row may call by its Python name (``m.atan``)."""

_ALIASES = {"maximum": "max", "minimum": "min", "arctan": "atan", "arctan2": "atan2"}


def _powgrad(m: Any, x: Any, c: Any) -> Any:
    # d(x^c)/dx = c·x^(c−1), taken as 0 where c = 0 (FLOAT_MATH's powgrad, as a mask)
    return m.where(c == 0.0, 0.0, c * x ** (c - 1.0))


def _xlogy(m: Any, o: Any, x: Any) -> Any:
    # o · log x, taken as 0 where o = 0 or x = 0 (FLOAT_MATH's xlogy, as a mask)
    return m.where((o == 0.0) | (x == 0.0), 0.0, o * m.log(x))


EXTRA_FUNCTIONS: dict[str, Callable[..., Any]] = {"powgrad": _powgrad, "xlogy": _xlogy}
"""Functions the rows call that are neither helpers nor in ``Math`` (``FLOAT_MATH`` writes
them as Python branches), written against ``m``. A new row calling a function JavaScript's
``Math`` lacks adds its ``m``-written definition here."""


def literal(c: float) -> str:
    """A float as JavaScript source: ``1.0``, ``-0.5``, ``Infinity``, ``NaN``.

    >>> literal(2.0), literal(float("-inf")), literal(1e-300)
    ('2.0', '-Infinity', '1e-300')
    """
    if math.isnan(c):
        return "NaN"
    if math.isinf(c):
        return "Infinity" if c > 0 else "-Infinity"
    return repr(float(c))


class JS:
    """A JavaScript expression: its text, precedence and nesting depth."""

    __slots__ = ("depth", "m", "prec", "text")
    __hash__ = object.__hash__

    def __init__(self, text: str, prec: int = _ATOM, depth: int = 0, m: JSMath | None = None):
        self.text, self.prec, self.depth, self.m = text, prec, depth, m

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"JS({self.text!r})"

    def __bool__(self) -> bool:
        raise TypeError(
            f"a row branched in Python on a value ({self.text}): write the branch as m.where "
            "so it can be written as JavaScript")

    def _binary(self, other: Any, op: str, prec: int, swap: bool = False) -> JS:
        a, b = (_js(other, self.m), self) if swap else (self, _js(other, self.m))
        m = a.m or b.m
        if op == "**":
            if m is not None and m.checked:
                return m.call_raw("checkedPow", a, b)
            left, right = a.prec <= _POW, b.prec < _UNARY  # unary on the left is a SyntaxError
        else:
            left, right = a.prec < prec, b.prec <= prec
            if op == "/" and m is not None and m.checked:
                return m.call_raw("checkedDiv", a, b)
        text = f"{_wrap(a, left)} {op} {_wrap(b, right)}"
        return _spill(JS(text, prec, 1 + max(a.depth, b.depth), m))

    def __add__(self, o: Any) -> JS:
        return self._binary(o, "+", _ADD)

    def __radd__(self, o: Any) -> JS:
        return self._binary(o, "+", _ADD, swap=True)

    def __sub__(self, o: Any) -> JS:
        return self._binary(o, "-", _ADD)

    def __rsub__(self, o: Any) -> JS:
        return self._binary(o, "-", _ADD, swap=True)

    def __mul__(self, o: Any) -> JS:
        return self._binary(o, "*", _MUL)

    def __rmul__(self, o: Any) -> JS:
        return self._binary(o, "*", _MUL, swap=True)

    def __truediv__(self, o: Any) -> JS:
        return self._binary(o, "/", _MUL)

    def __rtruediv__(self, o: Any) -> JS:
        return self._binary(o, "/", _MUL, swap=True)

    def __pow__(self, o: Any) -> JS:
        return self._binary(o, "**", _POW)

    def __rpow__(self, o: Any) -> JS:
        return self._binary(o, "**", _POW, swap=True)

    def __neg__(self) -> JS:
        # -x ** 2 is a SyntaxError in JavaScript, and - -x must not read as --x
        inner = _wrap(self, self.prec <= _POW and self.prec != _ATOM
                      and not (self.prec == _UNARY and not self.text.startswith(("-", "+"))))
        return JS(f"-{inner}", _UNARY, self.depth + 1, self.m)

    def __pos__(self) -> JS:
        return self

    def __abs__(self) -> JS:
        return JSMath.call(self.m or JSMath(), "abs", self)

    def __lt__(self, o: Any) -> JS:
        return self._binary(o, "<", _REL)

    def __le__(self, o: Any) -> JS:
        return self._binary(o, "<=", _REL)

    def __gt__(self, o: Any) -> JS:
        return self._binary(o, ">", _REL)

    def __ge__(self, o: Any) -> JS:
        return self._binary(o, ">=", _REL)

    def __eq__(self, o: Any) -> JS:  # type: ignore[override]
        return self._binary(o, "===", _EQ)

    def __ne__(self, o: Any) -> JS:  # type: ignore[override]
        return self._binary(o, "!==", _EQ)

    def __and__(self, o: Any) -> JS:
        return self._binary(o, "&&", _AND)

    def __rand__(self, o: Any) -> JS:
        return self._binary(o, "&&", _AND, swap=True)

    def __or__(self, o: Any) -> JS:
        return self._binary(o, "||", _OR)

    def __ror__(self, o: Any) -> JS:
        return self._binary(o, "||", _OR, swap=True)

    def __invert__(self) -> JS:
        return JS(f"!{_wrap(self, self.prec < _UNARY)}", _UNARY, self.depth + 1, self.m)


def _wrap(s: JS, needs: bool) -> str:
    return f"({s.text})" if needs else s.text


def _js(x: Any, m: JSMath | None) -> JS:
    if isinstance(x, JS):
        return x
    if isinstance(x, bool):
        return JS("true" if x else "false", _ATOM, 0, m)
    text = literal(float(x))
    return JS(text, _UNARY if text.startswith("-") else _ATOM, 0, m)


def _spill(s: JS) -> JS:
    return s.m.spill(s) if s.m is not None else s


class JSMath:
    """The symbolic namespace: ``m.exp(x)`` writes ``Math.exp(x)``, ``m.sigmoid(x)``
    ``H.sigmoid(x)``, ``m.where(c, a, b)`` a ternary. Calls are hoisted into ``const``
    temporaries (``statements``), so an expression used twice (σ's ``e``) is computed once.
    ``checked``: divisions, powers and calls go through the runtime's throwing checks.
    """

    def __init__(self, checked: bool = False, max_depth: int = 40, prefix: str = "t") -> None:
        self.checked = checked
        self.statements: list[str] = []
        self._max_depth = max_depth
        self._prefix = prefix

    def temp(self, s: JS) -> JS:
        """``s`` held in a fresh ``const`` (an atom)."""
        name = f"{self._prefix}{len(self.statements)}"
        self.statements.append(f"const {name} = {s.text};")
        return JS(name, _ATOM, 0, self)

    def spill(self, s: JS) -> JS:
        return self.temp(s) if s.depth >= self._max_depth else s

    def sym(self, text: str) -> JS:
        """An operand of this namespace (a name such as ``a0``)."""
        return JS(text, _ATOM, 0, self)

    def where(self, condition: Any, a: Any, b: Any) -> JS:
        c, x, y = (_js(v, self) for v in (condition, a, b))
        text = (f"{_wrap(c, c.prec <= _COND)} ? {_wrap(x, x.prec < _COND)} : "
                f"{_wrap(y, y.prec < _COND)}")
        return _spill(JS(text, _COND, 1 + max(c.depth, x.depth, y.depth), self))

    def call_raw(self, function: str, *args: Any) -> JS:
        syms = [_js(a, self) for a in args]
        return self.temp(JS(f"{function}({', '.join(s.text for s in syms)})", _ATOM, 1, self))

    def call(self, name: str, *args: Any) -> JS:
        """``m.<name>(*args)`` as JavaScript, hoisted into a temporary (checked: ``Q(f(x), x)``,
        which throws where ``f`` left its domain)."""
        if name in HELPERS or name in EXTRA_FUNCTIONS:
            target = f"{'HC' if self.checked else 'H'}.{name}"
        else:
            js_name = _ALIASES.get(name, name)
            if js_name not in MATH_NAMES:
                raise AttributeError(
                    f"the JavaScript namespace has no function {name!r}: JavaScript's Math has "
                    f"none by that name; add its definition written against m to "
                    f"pathgrad.viz.javascript.EXTRA_FUNCTIONS")
            target = f"Math.{js_name}"
        syms = [_js(a, self) for a in args]
        text = f"{target}({', '.join(s.text for s in syms)})"
        if self.checked:
            text = f"checked({text}, {', '.join(s.text for s in syms)})"
        return self.temp(JS(text, _ATOM, 1, self))

    def __getattr__(self, name: str) -> Callable[..., JS]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self.call(name, *args)


def _as_js(x: Any, m: JSMath) -> str:
    return _js(x, m).text


def helpers_source(checked: bool = False) -> str:
    """The helpers (``HELPERS`` and ``EXTRA_FUNCTIONS``) as JavaScript: ``H.sigmoid = ...``
    (``checked``: ``HC``, whose divisions, powers and calls throw as Python's do).

    >>> "H.dtanh = (x) =>" in helpers_source()
    True
    """
    space = "HC" if checked else "H"
    lines = [f"const {space} = {{}};"]
    for name, fn in {**HELPERS, **EXTRA_FUNCTIONS}.items():
        params = list(fn.__code__.co_varnames[1:fn.__code__.co_argcount])
        m = JSMath(checked=checked)
        out = fn(m, *[m.sym(p) for p in params])
        body = " ".join([*m.statements, f"return {_as_js(out, m)};"])
        lines.append(f"{space}.{name} = ({', '.join(params)}) => {{ {body} }};")
    return "\n".join(lines)


Signature = tuple[str, int, int]
"""A kernel's key: (row name, number of Value operands, number of constants)."""


@dataclass(frozen=True)
class RowCode:
    """One row written over named operands: the forward (held in a ``const``, so a partial may
    read it: ``exp``'s rate is the output), then each partial; ``statements`` hold the hoisted
    temporaries in order."""

    forward_statements: tuple[str, ...]
    forward: str
    rate_statements: tuple[str, ...]
    rates: tuple[str, ...]


def row_code(rule: Rule, args: Sequence[str], consts: Sequence[str] = (), out: str = "o",
             checked: bool = False) -> RowCode:
    """``rule`` written as JavaScript over operands named ``args`` and constants ``consts``.

    >>> code = row_code(ROWS["div"], ["x", "y"])
    >>> code.forward, code.rates
    ('x / y', ('1.0 / y', '-o / y'))
    >>> row_code(ROWS["sigmoid"], ["x"]).rates
    ('r0',)
    """
    m = JSMath(checked=checked)
    forward = _as_js(rule.forward(m, *[m.sym(a) for a in (*args, *consts)]), m)
    mr = JSMath(checked=checked, prefix="r")
    rates = tuple(_as_js(r, mr) for r in rule.partials(
        mr, mr.sym(out), *[mr.sym(a) for a in (*args, *consts)]))
    if len(rates) != len(args):
        raise ValueError(f"row {rule.name!r} gave {len(rates)} partials for {len(args)} operands")
    return RowCode(tuple(m.statements), forward, tuple(mr.statements), rates)


@functools.lru_cache(maxsize=4096)
def kernel_source(rule: Rule, n_values: int, n_consts: int, checked: bool = False) -> str:
    """The page engine's kernel for one signature: reads its operands ``v[P[s + k]]`` (values
    by edge), its constant ``c``, writes its rates into ``R[s + k]`` and returns its value."""
    args = [f"a{k}" for k in range(n_values)]
    code = row_code(rule, args, ["c"] if n_consts else [], checked=checked)
    reads = ", ".join(f"a{k} = v[P[s{f' + {k}' if k else ''}]]" for k in range(n_values))
    body = [f"const {reads};"] if n_values else []
    body += [*code.forward_statements, f"const o = {code.forward};", *code.rate_statements]
    body += [f"R[s{f' + {k}' if k else ''}] = {r};" for k, r in enumerate(code.rates)]
    return f"(v, P, s, c, R) => {{ {' '.join(body)} return o; }}"


_RUNTIME = r"""
// Python's math raises where JavaScript returns inf or nan: the checked kernels call these
class MathSignal extends Error {}
const signal = (kind) => { const e = new MathSignal(kind); e.kind = kind; throw e; };
const checkedDiv = (a, b) => (b === 0 ? signal("ZeroDivisionError") : a / b);
const checkedPow = (a, b) => {
  if (a === 0 && b < 0) signal("ZeroDivisionError");
  const r = a ** b;
  if (Number.isNaN(r)) signal("ValueError");
  if (!Number.isFinite(r)) signal("OverflowError");
  return r;
};
// a call: nan from numbers is a domain error; inf from numbers of size <= 1 a pole (log 0,
// atanh 1: Python's ValueError), from larger ones an overflow (exp 1000)
const checked = (r, ...args) => {
  if (Number.isFinite(r)) return r;
  if (Number.isNaN(r)) signal("ValueError");
  return signal(args.every((a) => Math.abs(a) <= 1) ? "ValueError" : "OverflowError");
};
"""


def runtime_source() -> str:
    """The helpers, their checked twins and the checks they throw from, as JavaScript."""
    return _runtime(tuple(HELPERS.items()), tuple(EXTRA_FUNCTIONS.items()))


@functools.lru_cache(maxsize=8)
def _runtime(helpers: tuple[Any, ...], extra: tuple[Any, ...]) -> str:
    # keyed by the helpers themselves: a function added to EXTRA_FUNCTIONS writes it anew
    return "\n".join([helpers_source(), helpers_source(checked=True), _RUNTIME.strip()])
