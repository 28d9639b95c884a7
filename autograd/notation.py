"""How the engine writes numbers and names in formulas (paths, pictures): one formatter each.

The rows of ``autograd.rules`` write their node names and rate-factor names as templates over
``Name`` and ``Const`` objects, whose format specs say how an operand appears:

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
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["MINUS", "Const", "Name", "const_text", "count_text", "number_text", "power_text"]

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
