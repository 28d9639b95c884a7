"""Shared looks: the colour-blind-safe palette, fonts, numbers (``autograd.notation``'s), escaping.

>>> number(0.5), number(-1.5e-7), rate(0.9990000001), number(-1.0015, 4, "sig")
('0.5000', '-1.500e-07', '0.999', '-1.002')
"""

from __future__ import annotations

import html
import re

from pathgrad.autograd.notation import number_text

__all__ = [
    "DIM",
    "FONT",
    "FONT_BOLD",
    "INK",
    "LABEL_CHARS",
    "NEGATIVE",
    "PALETTE",
    "POSITIVE",
    "TOOLTIP_CHARS",
    "Html",
    "esc",
    "number",
    "path_color",
    "rate",
    "short",
    "visible",
]

LABEL_CHARS = 40
"""A label longer than this many characters is drawn shortened to them, ending in ``…``; the
node's tooltip (hover it in an SVG or the explorer) holds the label in full."""
TOOLTIP_CHARS = 2000
"""A tooltip holds at most this many characters of a label, then says how long it is:
Graphviz refuses any one string over 16,384 bytes (``DotError: Invalid Input``)."""

# C0 controls but tab and newline, and DEL: NUL ends a C string inside Graphviz and the rest are
# not allowed in XML (SVG), so they are drawn as their Unicode Control Pictures (␀, ␛, ␡).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Okabe & Ito's palette (2008), safe for the common kinds of colour blindness; yellow is last
# because it is faint on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
POSITIVE = "#0072B2"  # blue: a positive weight or gradient
NEGATIVE = "#D55E00"  # vermillion: a negative one
INK = "#444444"
DIM = "#C8C8C8"
# PostScript names: Graphviz maps them to a family list with fallbacks in SVG
# (font-family="Helvetica,sans-Serif" font-weight="bold"), and cairo to the nearest face.
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"


def path_color(i: int) -> str:
    """The colour of the i-th highlighted path (cycling after seven)."""
    return PALETTE[i % len(PALETTE)]


def number(x: float, digits: int = 4, style: str = "fixed") -> str:
    """A number as pictures show it: ``autograd.notation.number_text`` with an ASCII minus.

    ``"fixed"`` (micrograd's ``%.4f``), ``"sig"``, ``"short"``: as ``number_text`` says.
    """
    return number_text(x, digits, style, "-")


def rate(x: float, digits: int = 4) -> str:
    """A rate factor for an edge label: ``number(x, digits, "short")``."""
    return number(x, digits, "short")


def _picture(match: re.Match[str]) -> str:
    code = ord(match[0])
    return chr(0x2400 + code) if code < 0x20 else ("\u2421" if code == 0x7F else "\ufffd")


def visible(text: str, what: str = "label") -> str:
    """``text`` with control characters drawn as symbols (NUL as ␀); a ``ValueError`` for a
    lone surrogate, which no file can hold (UTF-8 has no encoding for it).

    >>> visible("a\\x00b\\x1b")
    'a␀b␛'
    >>> visible("x\\ud800")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the label 'x\\ud800' holds a lone surrogate (U+D800 at character 1), ...
    """
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise ValueError(
            f"the {what} {short(text)!r} holds a lone surrogate (U+{ord(bad[0]):04X} at "
            f"character {bad.start()}), which UTF-8 cannot encode: no picture, page or file "
            f"can show it; give the value a {what} of valid text")
    return _CONTROL.sub(_picture, text)


def short(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters, the last one ``…``, if it is longer.

    >>> short("x" * 50, 10)
    'xxxxxxxxx…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(text: str) -> str:
    """Text made safe inside a Graphviz HTML-like label: markup escaped, controls visible."""
    return html.escape(visible(text), quote=False)


class Html(str):
    """An HTML-like Graphviz label that pathgrad built, every user text in it passed through
    ``esc``: the only kind of string ``rendering.Digraph`` writes as DOT HTML (``<…>``). Any
    other attribute value is written as quoted text, whatever it holds.
    """

    __slots__ = ()
