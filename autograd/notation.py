"""How the engine writes ops, numbers and names in formulas (paths, pictures, micrograd's ``_op``).

``NOTATION`` holds, for each row of ``autograd.rules`` by its name, how the op is written; a
row it does not list is written by its name (``cosh(x)``). Node names and rate-factor names are
templates over ``Name`` and ``Const`` objects, whose format specs say how an operand appears:

* ``{x}`` the operand's name, ``{x:w}`` wrapped in parentheses unless it is atomic,
  ``{x:^2}`` raised to a power (``x²``, ``(a−y)²``, ``x^0.5``);
* ``{c}`` the constant operand as written (``0.5``, ``−2``), ``{c:+}`` with its sign (``+2``).

>>> x, c = Name("a−y", atomic=False), Const(-2.0)
>>> f"{x:w}·{c} and {x:^2} and z{c:+}"
'(a−y)·−2 and (a−y)² and z−2'
>>> number_text(-0.0625), number_text(1234567.0), number_text(0.00001234)
('−0.062', '1.2e+06', '1.2e-05')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "MINUS", "NOTATION", "Const", "Name", "Notation", "const_text", "count_text", "notation_of",
    "number_text", "power_text",
]

MINUS = "−"  # the typographic minus, as the source texts print it
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def number_text(x: float, digits: int = 2, style: str = "plain", minus: str = MINUS) -> str:
    """``x`` as formulas and pictures show it: the one number formatter.

    ``"plain"`` (paths' formulas): ``digits`` significant digits, plain notation where it stays
    short; ``"fixed"``: ``digits`` decimals, micrograd's ``%.4f``, scientific where that would
    hide the value; ``"sig"``: significant digits, trailing zeros kept (δ −1.0015 is ``−1.002``);
    ``"short"``: significant digits without trailing zeros (rate factors on edges). ``minus``
    is the sign written for a negative number (pictures use ``-``).

    >>> number_text(0.5, 4, "fixed"), number_text(-1.5e-7, 4, "fixed", "-")
    ('0.5000', '-1.500e-07')
    >>> number_text(-1.0015, 4, "sig"), number_text(0.9990000001, 4, "short")
    ('−1.002', '0.999')
    """
    if style not in _FORMATS:
        raise ValueError(f"number_text: style must be one of {', '.join(_FORMATS)}, got {style!r}")
    text = _FORMATS[style](x, digits)
    return minus + text[1:] if text.startswith("-") else text


def _plain(x: float, digits: int) -> str:
    if x != x or x in (math.inf, -math.inf):
        return str(x)
    if x == 0.0:
        return "0"
    mag = abs(x)
    if 1e-4 <= mag < 10.0 ** max(digits, 6):
        decimals = max(0, digits - 1 - math.floor(math.log10(mag)))
        text = f"{mag:.{decimals}f}"
    else:
        text = f"{mag:.{max(digits - 1, 0)}e}"
    return ("-" if x < 0 else "") + text


def _fixed(x: float, digits: int) -> str:
    if x == 0.0 or 1e-3 <= abs(x) < 1e6 or x != x:
        return f"{x:.{digits}f}"
    return f"{x:.{max(digits - 1, 1)}e}"


def _sig(x: float, digits: int) -> str:
    text = f"{x:#.{digits}g}"
    return text[:-1] if text.endswith(".") else text


_FORMATS: dict[str, Callable[[float, int], str]] = {
    "plain": _plain, "fixed": _fixed, "sig": _sig, "short": lambda x, d: f"{x:.{d}g}",
}


def count_text(n: int) -> str:
    """An exact count for reading: ``1,024``, or from 10¹² on ``1.268e30`` (safe far beyond
    float range and Python's int-to-str digit limit).

    >>> count_text(1024), count_text(2**1100)
    ('1,024', '1.358e331')
    """
    if n < 10**12:
        return f"{n:,}"
    exponent = math.floor(math.log10(n))
    mantissa = 10.0 ** (math.log10(n) - exponent)
    if mantissa >= 9.9995:  # rounding would print 10.000
        mantissa, exponent = 1.0, exponent + 1
    return f"{mantissa:.3f}e{exponent}"


def const_text(c: float) -> str:
    """A constant operand as users wrote it: ``2``, ``0.5``, ``1e-06``."""
    return f"{c:g}".replace("-", MINUS)


def power_text(base: str, atomic: bool, exponent: float) -> str:
    """``base`` to the power ``exponent``: ``x²``, ``(a−y)²``, ``x^0.5``; ``x`` for 1."""
    b = base if atomic else f"({base})"
    if exponent == 1.0:
        return b
    if exponent == int(exponent) and abs(exponent) < 10:
        return b + str(int(exponent)).translate(_SUPERSCRIPT)
    return f"{b}^{const_text(exponent)}"


class Name(NamedTuple):
    """An operand's name in a formula, and whether it needs no parentheses as an operand."""

    text: str
    atomic: bool

    def __format__(self, spec: str) -> str:
        if spec == "":
            return self.text
        if spec == "w":
            return self.text if self.atomic else f"({self.text})"
        if spec.startswith("^"):
            return power_text(self.text, self.atomic, float(spec[1:]))
        raise ValueError(f"unknown name format {spec!r}")


class Const:
    """The constant operand of a node (``x * 0.5``), formatted as the user wrote it."""

    __slots__ = ("value",)

    def __init__(self, value: float | None) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        c = self.value
        if c is None:
            return "?"
        if spec == "+":
            return f"{MINUS}{const_text(-c)}" if c < 0 else f"+{const_text(c)}"
        return const_text(c)


# ---- how each row is written ---------------------------------------------------------------
@dataclass(frozen=True)
class Notation:
    """How one row is written. ``symbol`` is how pictures show the op; ``micrograd`` is
    micrograd's ``_op`` (``{c}`` stands for the constant, as in ``'**{c}'``). ``text`` names a
    node from its operands' names and ``rate_text`` names each rate factor, as templates over
    ``x``, ``y`` (operands) and ``c`` (the constant; ``k`` is its number), or as functions of
    (names, constant) and (position, names, constant) where the arity varies. ``atomic``: the
    node's name needs no parentheses as an operand. ``note`` documents kinks and choices,
    ``domain`` says in words where the op is undefined (error messages quote it).
    """

    name: str
    symbol: str = ""
    micrograd: str = ""
    text: str | Callable[[Sequence[Name], float | None], str] = ""
    atomic: bool = True
    rate_text: tuple[str, ...] | Callable[[int, Sequence[Name], float | None], str] = ()
    note: str = ""
    domain: str = ""

    def micrograd_op(self, const: float | None = None) -> str:
        """micrograd's ``_op`` string for a node of this row: ``'*'``, ``'**2'``, ``'ReLU'``.

        >>> NOTATION["pow_c"].micrograd_op(2.0), NOTATION["pow_c"].micrograd_op(-0.5)
        ('**2', '**-0.5')
        """
        if const is None:
            return self.micrograd or self.name
        shown = int(const) if const.is_integer() else const
        return self.micrograd.replace("{c}", str(shown))  # other braces are the symbol's own

    def node_text(self, names: Sequence[Name], const: float | None = None) -> str:
        """A node of this row written with its operands' names.

        >>> NOTATION["pow_c"].node_text([Name("a−y", False)], 2.0)
        '(a−y)²'
        """
        if callable(self.text):
            return self.text(names, const)
        symbol = self.symbol or self.name
        if not self.text and len(names) > 1:  # a row written by its name: every operand
            return f"{symbol}({', '.join(n.text for n in names)})"
        if not self.text:  # the symbol is text, not a template: braces in it are its own
            return _fill(symbol.replace("{", "{{").replace("}", "}}") + "({x})", names, const)
        return _fill(self.text, names, const)

    def rate_name(self, k: int, names: Sequence[Name], const: float | None = None) -> str:
        """The rate factor towards operand ``k``, or ``''`` where the notation does not name it.

        >>> NOTATION["sigmoid"].rate_name(0, [Name("z", True)])
        "σ'(z)"
        """
        if callable(self.rate_text):
            return self.rate_text(k, names, const)
        if k < len(self.rate_text):
            return _fill(self.rate_text[k], names, const)
        return ""


def notation_of(name: str) -> Notation:
    """How the row ``name`` is written: its entry in ``NOTATION``, else by its name alone.

    >>> notation_of("mul").symbol, notation_of("cosh").node_text([Name("x", True)])
    ('×', 'cosh(x)')
    """
    found = NOTATION.get(name)
    return found if found is not None else Notation(name, symbol=name)


def _fill(template: str, names: Sequence[Name], const: float | None) -> str:
    x = names[0] if names else None
    y = names[1] if len(names) > 1 else None
    return template.format(x=x, y=y, c=Const(const), k=const)


def _wsum_text(names: Sequence[Name], const: float | None) -> str:
    n = (len(names) - 1) // 2
    terms = [f"{names[k]:w}·{names[n + k]:w}" for k in range(n)]
    if len(terms) > 2:
        terms = [terms[0], "…", terms[-1]]
    return "+".join([*terms, names[-1].text])


def _wsum_rate(k: int, names: Sequence[Name], const: float | None) -> str:
    n = (len(names) - 1) // 2
    return names[n + k].text if k < n else names[k - n].text if k < 2 * n else "1"


def _sum_text(names: Sequence[Name], const: float | None) -> str:
    texts = [n.text for n in names]
    return "+".join(texts if len(texts) <= 3 else [texts[0], "…", texts[-1]])


def _pow_c_rate(k: int, names: Sequence[Name], c: float | None) -> str:
    # 2(a−y), 2x, 3(a−y)², 0.5·x^−0.5; 0 and 1 for the flat and the identity power
    if c is None or c in (0.0, 1.0):
        return "?" if c is None else str(int(c))
    x = names[0]
    rest = power_text(x.text, x.atomic, c - 1.0)
    glue = "" if rest.startswith("(") or (len(x.text) == 1 and x.text.isalpha()) else "·"
    return f"{const_text(c)}{glue}{rest}"


_M = MINUS
_N = Notation
NOTATION: dict[str, Notation] = {n.name: n for n in [
    _N("add", "+", "+", "{x}+{y}", False, ("1", "1")),
    _N("sub", _M, "-", "{x:w}" + _M + "{y:w}", False, ("1", _M + "1")),
    _N("mul", "×", "*", "{x:w}·{y:w}", False, ("{y}", "{x}")),
    _N("div", "÷", "/", "{x:w}/{y:w}", False, ("1/{y:w}", _M + "{x:w}/{y:^2}"),
       note="one node with two rate factors reads better than x · y**-1"),
    _N("pow", "^", "**", "{x:w}^{y:w}", True,
       ("{y:w}·{x:w}^({y}" + _M + "1)", "{x:w}^{y:w}·ln {x:w}"),
       domain="a Value exponent needs a base > 0 (or 0 with exponent > 0)"),
    _N("add_c", "+", "+", "{x}{c:+}", False, ("1",)),
    _N("sub_c", _M, "-", "{x}" + _M + "{c}", False, ("1",)),
    _N("rsub_c", _M, "-", "{c}" + _M + "{x:w}", False, (_M + "1",)),
    _N("mul_c", "×", "*", "{c}·{x:w}", False, ("{c}",)),
    _N("div_c", "÷", "/", "{x:w}/{c}", False, ("1/{c}",)),
    _N("rdiv_c", "÷", "/", "{c}/{x:w}", False, (_M + "{c}/{x:^2}",)),
    _N("pow_c", "^", "**{c}", "{x:^{k}}", True, _pow_c_rate,
       domain="x ** c needs x > 0 for a fractional c, and x != 0 where c < 1"),
    _N("rpow_c", "^", "**", "{c}^{x:w}", True, ("{c}^{x:w}·ln {c}",),
       domain="c ** x needs a base c > 0"),
    _N("neg", _M, "-", _M + "{x:w}", False, (_M + "1",)),
    _N("abs", "abs", "abs", "|{x}|", True, ("sign({x})",), note="abs'(0) = 0"),
    _N("exp", "exp", "exp", rate_text=("exp({x})",)),
    _N("log", "log", "log", rate_text=("1/{x:w}",), domain="log needs x > 0"),
    _N("sqrt", "√", "sqrt", "√{x:w}", True, ("1/(2√{x:w})",),
       domain="sqrt needs x > 0 (at 0 its derivative is infinite)"),
    _N("tanh", "tanh", "tanh", rate_text=("tanh'({x})",),
       note="tanh' = 1 − tanh², computed as sech² so it stays exact where tanh saturates"),
    _N("sigmoid", "σ", "sigmoid", rate_text=("σ'({x})",),
       note="σ'(z) = σ(z)(1 − σ(z)), Nielsen eq. (40), computed without cancellation"),
    _N("relu", "ReLU", "ReLU", rate_text=("ReLU'({x})",),
       note="relu'(0) = 0, as micrograd and PyTorch"),
    _N("softplus", "softplus", "softplus", rate_text=("σ({x})",)),
    _N("sin", "sin", "sin", rate_text=("cos({x})",)),
    _N("cos", "cos", "cos", rate_text=(_M + "sin({x})",)),
    _N("wsum", "Σ", "wsum", _wsum_text, False, _wsum_rate,
       note="Nielsen's weighted input z = Σ_k w_k a_k + b as one node; operands w…, a…, b"),
    _N("sum", "Σ", "+", _sum_text, False, lambda k, names, c: "1"),
]}
"""How each row is written, by the row's name: one line per row of ``autograd.rules``."""
