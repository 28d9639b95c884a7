"""Shared looks: the colour-blind-safe palette, fonts, numbers (``autograd.notation``'s), escaping.

>>> number(0.5), number(-1.5e-7), rate(0.9990000001), number(-1.0015, 4, "sig")
('0.5000', '-1.500e-07', '0.999', '-1.002')
"""

from __future__ import annotations

import html

from pathgrad.autograd.notation import number_text

__all__ = [
    "DIM",
    "FONT",
    "FONT_BOLD",
    "INK",
    "NEGATIVE",
    "PALETTE",
    "POSITIVE",
    "esc",
    "number",
    "path_color",
    "rate",
]

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


def esc(text: str) -> str:
    """Text made safe inside a Graphviz HTML-like label."""
    return html.escape(text, quote=False)
