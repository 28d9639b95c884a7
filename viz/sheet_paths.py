"""The paths sheet of ``viz.spreadsheet``: every gradient as a sum of products, cell by cell.

For each node asked for, a block: a head row with the gradient cell (a reference to the graph
sheet's ``grad``) and beside it the sum of the products below; then one row per path from the
node to the output, its rate factors as references to the graph sheet's rate cells and its
product as ``PRODUCT`` over them. Over ``MAX_PATHS`` paths the block lists the ``MAX_PATHS``
largest by |product| (``autograd.top_paths``) and says how many it left out (the sum is then
partial, and says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pathgrad.autograd import Value, count_paths, paths, top_paths
from pathgrad.autograd.notation import count_text
from pathgrad.autograd.paths import Path, node_name

from .sheet_graph import GRAD, GRAPH, GraphLayout, column, describe, number_format, put_text

__all__ = ["MAX_PATHS", "MAX_PATH_EDGES", "MAX_WRT", "listed_paths", "write_paths"]

MAX_PATHS = 100
"""Paths listed per node; beyond it the largest by |product|, and a count of the rest."""
MAX_WRT = 20
"""Nodes given a block. The default (every leaf) takes the first ``MAX_WRT`` leaves."""
MAX_PATH_EDGES = 250
"""Rate factors in one path (one column each on the paths sheet)."""

_FIRST_FACTOR = 5  # columns: node, #, product, path, then one per rate factor


def listed_paths(root: Value, node: Value) -> tuple[list[Path], int]:
    """The paths the sheet lists for ``node`` (all, or the ``MAX_PATHS`` largest) and how many
    there are in all."""
    total = count_paths(root, node)
    listed = list(paths(root, node)) if total <= MAX_PATHS else top_paths(root, node, MAX_PATHS)
    for p in listed:
        if len(p.factors) > MAX_PATH_EDGES:
            raise ValueError(
                f"spreadsheet: a path from {describe(node)} to the output has "
                f"{len(p.factors):,} rate factors, more than a row of the paths sheet holds "
                f"({MAX_PATH_EDGES}); pass wrt=[] to leave the paths sheet out, or nodes "
                "nearer the output")
    return listed, total


def write_paths(sheet: Any, root: Value, layout: GraphLayout,
                blocks: Sequence[tuple[Value, list[Path], int]], left_out: int) -> None:
    """Fill the paths sheet: a block per node (see the module's docstring)."""
    for col, word in enumerate(("node", "#", "product", "path: its rate factors"), 1):
        put_text(sheet, 1, col, word).font = _bold()
    longest = max((len(p.factors) for _, listed, _ in blocks for p in listed), default=0)
    for k in range(max(longest, 1)):  # each a reference to a rate cell of the graph sheet
        put_text(sheet, 1, _FIRST_FACTOR + k, f"factor {k + 1}").font = _bold()
    row = 2
    if left_out:
        put_text(sheet, row, 1, f"{left_out:,} more leaves are not listed here (the sheet lists "
                 f"at most {MAX_WRT}); pass wrt=[...] to choose")
        row += 2
    out = node_name(root)
    for node, listed, total in blocks:
        row = _block(sheet, row, out, node, layout, listed, total) + 1
    sheet.freeze_panes = "A2"
    for col, width in ((1, 14), (2, 5), (3, 12), (4, 40)):
        sheet.column_dimensions[column(col)].width = width


def _block(sheet: Any, row: int, out: str, node: Value, layout: GraphLayout,
           listed: list[Path], total: int) -> int:
    first, last = row + 1, row + len(listed)
    put_text(sheet, row, 1, f"∂{out}/∂{node_name(node)}").font = _bold()
    put_text(sheet, row, 2, "grad")
    grad = sheet.cell(row=row, column=3, value=f"={layout.ref(node, GRAD, GRAPH)}")
    grad.number_format = number_format(layout.grads[node])
    put_text(sheet, row, 4, "sum of the products below:")
    total_cell = sheet.cell(row=row, column=_FIRST_FACTOR, value=f"=SUM(C{first}:C{last})")
    total_cell.number_format = grad.number_format
    if total > len(listed):
        note = (f"the {len(listed)} largest by |product| of {count_text(total)} paths: "
                f"{count_text(total - len(listed))} left out, so the sum is partial")
    else:
        note = f"all {total} path{'s' if total != 1 else ''}: the sum is the gradient"
    put_text(sheet, row, _FIRST_FACTOR + 1, note)
    for i, p in enumerate(listed):
        r = first + i
        sheet.cell(row=r, column=2, value=i + 1)
        end = column(_FIRST_FACTOR + max(len(p.factors), 1) - 1)
        product = sheet.cell(row=r, column=3,
                             value=f"=PRODUCT({column(_FIRST_FACTOR)}{r}:{end}{r})")
        product.number_format = number_format(p.product)
        put_text(sheet, r, 4, " · ".join(p.names) or "1 (the output itself)")
        if not p.factors:  # the output's own path: no edge, product 1
            sheet.cell(row=r, column=_FIRST_FACTOR, value=1.0)
        for j, (child, k) in enumerate(zip(p.nodes[1:], p.edge_indices)):
            factor = sheet.cell(row=r, column=_FIRST_FACTOR + j,
                                value=f"={layout.rate_ref(child, k, GRAPH)}")
            factor.number_format = number_format(p.factors[j])
    return last + 1


def _bold() -> Any:
    from openpyxl.styles import Font

    return Font(bold=True)
