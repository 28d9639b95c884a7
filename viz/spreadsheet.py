"""``spreadsheet(root, "graph.xlsx")``: the graph as a live spreadsheet, every number a formula.

The first sheet, ``graph``, has a row per value in the engine's topological order (header:
``node``, ``op``, ``operands``, ``data``, ``grad``, then each edge's rate factor). A leaf's
``data`` is a number to change (yellow); every other ``data`` and every rate factor is the
formula the node's row in ``autograd.rules`` writes over its operands' cells, constants inline
(``=TANH(D7)``; σ written stably, as the row writes it); each ``grad`` is the chain rule, the sum
over the node's consumers of the consumer's grad × the edge's rate factor, and the output's grad
is 1. Change a weight and every value, rate factor and gradient downstream recomputes. Numbers
show 4 significant figures (formats chosen at the written values) and keep every digit. The
``paths`` sheet writes each gradient as a sum over paths of products of rate factors
(``sheet_paths``); ``about`` says how to read the file.

Limits, each refused with an error that names it: ``MAX_NODES`` values, ``MAX_OPERANDS``
operands of one node (a column each), formulas of ``sheet_graph.MAX_FORMULA`` characters
(Excel's), and on the paths sheet ``sheet_paths.MAX_WRT`` nodes, ``MAX_PATHS`` listed paths
each (the largest, with a count of the rest) and ``MAX_PATH_EDGES`` factors a path.

>>> import os, tempfile
>>> from pathgrad.autograd import Value
>>> w, x = Value(0.8, label="w"), Value(0.6, label="x")
>>> a = (w * x).tanh(); a.label = "a"
>>> with tempfile.TemporaryDirectory() as d:
...     spreadsheet(a, os.path.join(d, "a.xlsx"))
...     os.path.getsize(os.path.join(d, "a.xlsx")) > 0
True
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from typing import Any

from pathgrad.autograd import Value, toposort
from pathgrad.autograd._files import write_atomic
from pathgrad.autograd.paths import Path
from pathgrad.autograd.rules import ROWS

from .sheet_exercise import AnswerCodes
from .sheet_graph import (
    DATA,
    GRAD,
    GRAPH,
    NODE,
    OP,
    OPERANDS,
    GraphLayout,
    column,
    describe,
    number_format,
    operands_text,
    put_text,
)
from .sheet_paths import MAX_PATHS, MAX_WRT, listed_paths, write_paths

__all__ = ["MAX_NODES", "MAX_OPERANDS", "spreadsheet"]

MAX_NODES = 10_000
"""Values (rows) in one sheet: beyond it, recalculation in a spreadsheet program is slow."""
MAX_OPERANDS = 500
"""Operands of one node, a rate column each (LibreOffice has 1,024 columns)."""

_INPUT = "FFF2CC"  # the leaves' data: numbers to change
_TO_FILL = "DDEBF7"  # exercise: the cells the student fills
_RIGHT, _WRONG = "C6EFCE", "FFC7CE"


def spreadsheet(root: Value, path: str | os.PathLike[str], *,
                wrt: Value | Sequence[Value] | None = None,
                exercise: bool | str = False) -> None:
    """Write ``root``'s graph as an ``.xlsx`` workbook whose every number is a live formula.

    ``wrt``: the nodes whose gradients the paths sheet writes as sums over paths (default:
    every leaf, the first ``MAX_WRT`` of them; ``[]``: no paths sheet). ``exercise=True`` (or
    ``"grads"``) leaves the ``grad`` cells empty for a student, ``"rates"`` the rate factors
    too; a ``check`` column and the cells' colours turn green or red as entries are right or
    not, without the answers in the file (a salted hash of each answer to 4 significant
    figures on a hidden sheet; ``sheet_exercise`` says how). In exercise mode the paths sheet
    is left out unless ``wrt`` is given, since its sums are the gradients. The file is written
    atomically (``autograd._files``): a failed call leaves an existing file as it was.
    """
    mode = _mode(exercise)
    if not isinstance(root, Value):
        raise TypeError(f"spreadsheet: root must be a Value, got {root!r} ({type(root).__name__})")
    target = _target(path)
    order = toposort(root)
    if len(order) > MAX_NODES:
        raise ValueError(f"spreadsheet: the graph has {len(order):,} values, more than the "
                         f"{MAX_NODES:,} a sheet holds here (MAX_NODES)")
    layout = GraphLayout(order, exercise=bool(mode))
    _check_numbers(layout)
    nodes, left_out = _wrt(root, layout, wrt, mode)
    blocks = [(node, *listed_paths(root, node)) for node in nodes]
    book = _workbook(_openpyxl(), root, layout, blocks, left_out, mode)
    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(target, buffer.getvalue(), "spreadsheet")


def _mode(exercise: Any) -> str:
    if exercise is False:
        return ""
    if exercise is True or exercise == "grads":
        return "grads"
    if exercise == "rates":
        return "rates"
    raise ValueError(f"spreadsheet: exercise must be False, True, 'grads' or 'rates', "
                     f"got {exercise!r}")


def _target(path: Any) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"spreadsheet: path must be a str or path, got {path!r} "
                        f"({type(path).__name__})")
    text = os.fspath(path)
    if not isinstance(text, str) or not text.lower().endswith(".xlsx"):
        raise ValueError(f"spreadsheet: writes .xlsx files (Excel, LibreOffice, Google "
                         f"Sheets open them), got {text!r}")
    return text


def _check_numbers(layout: GraphLayout) -> None:
    for node in layout.order:
        rule = node._rule
        if node._edges and rule is not None and ROWS.get(rule.name) is not rule:
            raise ValueError(f"spreadsheet: {describe(node)} was made by a micrograd-style "
                             "_backward closure: it has no row in autograd.rules to write its "
                             "formula from (register one, or use Value's own methods)")
        arity = len(node._edges) // 2
        if arity > MAX_OPERANDS:
            raise ValueError(f"spreadsheet: {describe(node)} has {arity:,} operands, more than "
                             f"the {MAX_OPERANDS} rate columns a sheet holds here (MAX_OPERANDS)")
        numbers = [("data", node.data), ("grad", layout.grads[node])]
        numbers += [("rate factor", r) for r in node._edges[1::2]]
        for what, x in numbers:
            if not math.isfinite(x):
                raise ValueError(f"spreadsheet: the {what} of {describe(node)} is {x!r}; "
                                 "spreadsheets have no inf or nan")


def _wrt(root: Value, layout: GraphLayout, wrt: Any, mode: str) -> tuple[list[Value], int]:
    if wrt is None:
        if mode:
            return [], 0
        leaves = [n for n in layout.order if not n._edges]
        return leaves[:MAX_WRT], max(0, len(leaves) - MAX_WRT)
    nodes = [wrt] if isinstance(wrt, Value) else list(wrt) if isinstance(wrt, Sequence) \
        else None
    if nodes is None or not all(isinstance(n, Value) for n in nodes):
        raise TypeError(f"spreadsheet: wrt must be a Value or a sequence of Values, got {wrt!r}")
    nodes = list(dict.fromkeys(nodes))
    for n in nodes:
        if n not in layout.row:
            raise ValueError(f"spreadsheet: wrt {describe(n)} is not in the graph of the output "
                             "(its gradient is 0: no path leads from it)")
    if len(nodes) > MAX_WRT:
        raise ValueError(f"spreadsheet: wrt names {len(nodes)} nodes; the paths sheet writes "
                         f"at most {MAX_WRT} (MAX_WRT)")
    return nodes, 0


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise ImportError("spreadsheet needs the openpyxl package: pip install openpyxl") \
            from None
    return openpyxl


def _workbook(openpyxl: Any, root: Value, layout: GraphLayout,
              blocks: list[tuple[Value, list[Path], int]], left_out: int, mode: str) -> Any:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = GRAPH
    _graph_sheet(sheet, layout, mode)
    if blocks:
        write_paths(book.create_sheet("paths"), root, layout, blocks, left_out)
    _about(book.create_sheet("about"), mode)
    if mode:
        codes = AnswerCodes()
        hidden = book.create_sheet("codes")
        hidden.sheet_state = "hidden"
        _checks(sheet, hidden, layout, codes, mode)
    book.calculation.fullCalcOnLoad = True  # no cached values: both programs compute on load
    return book


def _graph_sheet(sheet: Any, layout: GraphLayout, mode: str) -> None:
    from openpyxl.styles import Font, PatternFill

    words = ["node", "op", "operands", "data", "grad"] + (["check"] if mode else [])
    words += [f"rate {k + 1}" for k in range(layout.arity)]
    for col, word in enumerate(words, 1):
        put_text(sheet, 1, col, word).font = Font(bold=True)
    given, to_fill = (PatternFill("solid", fgColor=c) for c in (_INPUT, _TO_FILL))
    root = layout.order[-1]
    for node in layout.order:
        r = layout.row[node]
        put_text(sheet, r, NODE, node.label or _short_name(node))
        put_text(sheet, r, OP, node.op if node._edges else "leaf")
        data = sheet.cell(row=r, column=DATA)
        if node._edges:
            put_text(sheet, r, OPERANDS, operands_text(node))
            data.value = layout.data_formula(node)
        else:
            data.value, data.fill = node.data, given
        data.number_format = number_format(node.data)
        grad = sheet.cell(row=r, column=GRAD)
        if mode and node is not root:
            grad.fill = to_fill
        else:
            grad.value = layout.grad_formula(node)
            grad.number_format = number_format(layout.grads[node])
        if not node._edges:
            continue
        for k, rate in enumerate(layout.rate_formulas(node)):
            target = sheet.cell(row=r, column=layout.first_rate + k)
            if mode == "rates":
                target.fill = to_fill
            else:
                target.value = rate
                target.number_format = number_format(node._edges[2 * k + 1])
    sheet.freeze_panes = "B2"
    for col in range(1, layout.width + 1):
        sheet.column_dimensions[column(col)].width = (16, 9, 18)[col - 1] if col <= 3 else 12


def _short_name(node: Value) -> str:
    from pathgrad.autograd.paths import node_name

    return node_name(node)


def _checks(sheet: Any, hidden: Any, layout: GraphLayout, codes: AnswerCodes, mode: str) -> None:
    """The hidden sheet of hashes, the check column and the green / red formatting."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import PatternFill

    width, root, check = layout.width, layout.order[-1], layout.check or GRAD + 1
    for node in layout.order:
        r = layout.row[node]
        entries = [(GRAD, layout.grads[node])]
        if mode == "rates":
            entries += [(layout.first_rate + k, rate)
                        for k, rate in enumerate(node._edges[1::2])]
        for col, answer in entries:
            hidden.cell(row=r, column=col, value=codes.formula(f"{GRAPH}!{column(col)}{r}"))
            for i, code in enumerate(codes.of(answer), 1):
                hidden.cell(row=r, column=col + i * width, value=code)
        if node is not root:
            sheet.cell(row=r, column=check,
                       value=f'=IF(ISNUMBER(E{r}),IF({_ok("E", r, width)},"✓ right",'
                             f'"✗ not yet"),"")')
    last = layout.row[root]
    fills = [PatternFill("solid", fgColor=c, bgColor=c) for c in (_RIGHT, _WRONG)]
    blocks = [(f"E2:{column(check)}{last}", "$E", "$E2")]
    if mode == "rates" and layout.arity:
        first = column(layout.first_rate)
        blocks.append((f"{first}2:{column(width)}{last}", first, f"{first}2"))
    for cells, letters, ref in blocks:
        ok = _ok(letters, 2, width)
        for fill, test in zip(fills, (ok, f"NOT({ok})")):
            sheet.conditional_formatting.add(
                cells, FormulaRule(formula=[f"AND(ISNUMBER({ref}),{test})"], fill=fill))


def _ok(col: str, row: int, width: int) -> str:
    """The formula: the cell holds a number whose hash is one of the answer's (``col`` may be
    ``$E``, fixed for the check column)."""
    fixed = col.startswith("$")
    letters = col.lstrip("$")
    index = sum((ord(c) - 64) * 26**i for i, c in enumerate(reversed(letters)))
    entry = f"codes!{col}{row}"
    answers = [f"codes!{'$' if fixed else ''}{column(index + i * width)}{row}" for i in (1, 2, 3)]
    return f"AND({entry}>0,OR(" + ",".join(f"{entry}={a}" for a in answers) + "))"


_ABOUT = [
    "pathgrad: the computation graph as a live spreadsheet.",
    "graph: a row per value, in an order where every operand comes before its use.",
    "  data: a leaf's number is yours to change (yellow); every other value is a formula over "
    "its operands' cells.",
    "  rate k: the rate factor (local derivative) of the edge from operand k into the node.",
    "  grad: the chain rule, Σ over the node's consumers of consumer grad × rate factor; the "
    "output's grad is 1.",
    "paths: each gradient as the sum over paths of the products of the rate factors on them.",
    f"  At most {MAX_PATHS} paths are listed per node (the largest by |product|); a block says "
    "when some are left out.",
]
_EXERCISE = [
    "Exercise: fill the blue cells. The check column and the cells turn green where an entry "
    "is right to 4 significant figures, red where it is not.",
    "  The answers are not in this file: a hidden sheet holds only salted hashes of them.",
]


def _about(sheet: Any, mode: str) -> None:
    lines = _ABOUT + (_EXERCISE if mode else [])
    for r, line in enumerate(lines, 1):
        put_text(sheet, r, 1, line)
    sheet.column_dimensions["A"].width = 110
