"""The first sheet of ``viz.spreadsheet``: a row per value, every number a formula from its row.

Columns: ``node`` (the label, or a short expression of the operands' names), ``op`` (the row's
name), ``operands``, ``data``, ``grad``, (``check`` in exercise mode), then ``rate 1`` …
``rate K``, the rate factor ∂node/∂operand k of each edge. A leaf's ``data`` is a number to
change; any other ``data`` and each rate factor is the formula its row writes over the
operands' cells (``sheet_formulas``; a rate the row gives as a constant, such as ``+``'s 1 or
``x·0.5``'s 0.5, is that number); each ``grad`` is the chain rule: the sum over the node's
consumers of the consumer's grad × the rate factor of the edge, terms in the order the engine's
reverse sweep adds them.

>>> from pathgrad.autograd import Value, toposort
>>> x = Value(0.5, label="x")
>>> y = (x * x).tanh()
>>> layout = GraphLayout(toposort(y), exercise=False)
>>> layout.data_formula(y), layout.grad_formula(x), layout.rate_ref(y, 0)
('=TANH(D3)', '=E3*F3+E3*G3', 'F4')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pathgrad.autograd import Value
from pathgrad.autograd.graph import reverse_sweep
from pathgrad.autograd.paths import node_name

from .sheet_formulas import FORMULA_MATH, Formula, cell, number

__all__ = ["GRAPH", "MAX_FORMULA", "MAX_TEXT", "GraphLayout", "number_format", "put_text"]

GRAPH = "graph"  # the first sheet's name, as other sheets refer to it
MAX_FORMULA = 8_192
"""Characters in one formula: Excel's limit (LibreOffice's is larger)."""
MAX_TEXT = 1_000
"""Characters kept of a label or a path's text (longer ones end in '…')."""

NODE, OP, OPERANDS, DATA, GRAD = 1, 2, 3, 4, 5
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not XML 1.0


def column(n: int) -> str:
    """The letters of column ``n`` (1 is ``A``, 27 is ``AA``)."""
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def number_format(x: float) -> str:
    """A format that shows ``x`` to 4 significant figures (the cell keeps every digit).

    >>> number_format(0.5695), number_format(-12.5), number_format(3e-7)
    ('0.0000', '0.00', '0.000E+00')
    """
    if x == 0.0 or not math.isfinite(x):
        return "0"
    exponent = math.floor(math.log10(abs(x)))
    if not -4 <= exponent <= 5:
        return "0.000E+00"
    decimals = max(0, 3 - exponent)
    return "0." + "0" * decimals if decimals else "0"


def put_text(sheet: Any, row: int, col: int, text: str) -> Any:
    """Write ``text`` as text, never as a formula: a label such as ``=HYPERLINK(...)``,
    ``+cmd|...`` or ``@SUM(1)`` stays the characters it is (a string cell with Excel's quote
    prefix, so editing it keeps it text). Characters XML cannot hold become U+FFFD."""
    text = _ILLEGAL.sub("\ufffd", text)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    target = sheet.cell(row=row, column=col)
    target.value = text
    target.data_type = "s"
    target.quotePrefix = True
    return target


class GraphLayout:
    """Where each node and each of its numbers sits on the graph sheet, and their formulas."""

    def __init__(self, order: Sequence[Value], exercise: bool) -> None:
        self.order = list(order)
        self.row = {node: i + 2 for i, node in enumerate(self.order)}
        self.check = GRAD + 1 if exercise else None
        self.first_rate = GRAD + (2 if exercise else 1)
        self.arity = max((len(n._edges) // 2 for n in self.order), default=0)
        self.width = self.first_rate + self.arity - 1
        self.grads: dict[Value, float] = reverse_sweep(self.order, 1.0)
        self.consumers: dict[Value, list[tuple[Value, int]]] = {n: [] for n in self.order}
        for child in reversed(self.order):  # the engine's reverse sweep: output first
            for k, parent in enumerate(child._edges[0::2]):
                self.consumers[parent].append((child, k))

    def ref(self, node: Value, col: int, sheet: str = "") -> str:
        return f"{sheet}!{column(col)}{self.row[node]}" if sheet else \
            f"{column(col)}{self.row[node]}"

    def data_ref(self, node: Value) -> str:
        return self.ref(node, DATA)

    def rate_ref(self, child: Value, k: int, sheet: str = "") -> str:
        return self.ref(child, self.first_rate + k, sheet)

    def _operands(self, node: Value) -> list[Any]:
        args: list[Any] = [cell(self.data_ref(p)) for p in node._edges[0::2]]
        return args + ([] if node.constant is None else [node.constant])

    def data_formula(self, node: Value) -> str:
        rule = node._rule
        assert rule is not None and node._edges, "leaves hold numbers"
        with _named(node):
            return _checked(rule.forward(FORMULA_MATH, *self._operands(node)), node, "data")

    def rate_formulas(self, node: Value) -> list[str | float]:
        """Each edge's rate factor: formula text, or a number where the row gives a constant."""
        rule = node._rule
        assert rule is not None
        with _named(node):
            rates = rule.partials(FORMULA_MATH, cell(self.data_ref(node)), *self._operands(node))
        return [_checked(r, node, "rate") if isinstance(r, Formula) else float(r) for r in rates]

    def grad_formula(self, node: Value) -> str | float:
        """The chain rule: Σ over consumers of the consumer's grad × the edge's rate factor."""
        terms = [f"{self.ref(child, GRAD)}*{self.rate_ref(child, k)}"
                 for child, k in self.consumers[node]]
        if not terms:  # the output
            return 1.0
        return _checked("+".join(terms), node, "grad")


@contextmanager
def _named(node: Value) -> Iterator[None]:
    """A row that calls a function spreadsheets lack: the error names the op."""
    try:
        yield
    except AttributeError as error:
        raise ValueError(f"spreadsheet: the row of {describe(node)} has no spreadsheet formula: "
                         f"{error}") from None


def _checked(f: Formula | str, node: Value, what: str) -> str:
    text = "=" + str(f)
    if len(text) > MAX_FORMULA:
        raise ValueError(
            f"spreadsheet: the {what} formula of {describe(node)} has {len(text):,} characters, "
            f"more than a spreadsheet formula may hold ({MAX_FORMULA:,}, Excel's limit)"
            + ("; the node is used by too many operations" if what == "grad" else "")
        )
    return text


def describe(node: Value) -> str:
    """A node as an error message names it: ``'z' (op tanh)``."""
    name = node_name(node)
    if len(name) > 40:
        name = name[:39] + "…"
    return f"{name!r} (op {node.op})" if node.op else f"{name!r} (a leaf)"


def operands_text(node: Value) -> str:
    """The operands' names, and the constant where the op has one."""
    names = [node_name(p) for p in node._edges[0::2][:50]]
    if len(node._edges) // 2 > 50:
        names.append(f"… ({len(node._edges) // 2 - 50} more)")
    if node.constant is not None:
        names.append(number(node.constant))
    return ", ".join(names)
