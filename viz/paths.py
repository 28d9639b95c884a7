"""``draw_paths``: the graph with the k largest derivative paths from ``wrt`` to ``root``, each
in its own colour, and a legend that adds their products up to the gradient.

Each path's rate factor is the product of the local derivatives along it; ∂root/∂wrt is the
sum of those products over *all* paths. The legend lists each shown path's factors (by name and
by value) and product, their sum, and, when fewer than all paths are shown, the share of the
gradient they explain next to the gradient itself.

>>> from pathgrad.autograd import Value
>>> x = Value(3.0, label="x")
>>> y = x * x; y.label = "y"
>>> g = draw_paths(y, x)
>>> "Σ of all 2 paths = <B>6.000000</B> = ∂y/∂x" in g.source
True
"""

from __future__ import annotations

import math

from pathgrad.autograd import Value
from pathgrad.autograd._checks import positive_int
from pathgrad.autograd.notation import count_text
from pathgrad.autograd.paths import Contributions, Path, contributions, node_name

from .dot import MAX_NODES, Highlight, build
from .rendering import Digraph
from .style import INK, Html, esc, number, path_color, rate, short

__all__ = ["MAX_DRAWN_PATHS", "draw_paths", "legend_rows", "path_highlight"]

MAX_DRAWN_PATHS = 7
"""The most paths ``draw_paths`` colours (``k``): one colour each from the seven of the palette,
and a legend Graphviz can hold (16 KiB). ``top_paths`` and ``contributions`` list more."""


def _supplier(child: Value, k: int) -> Value | None:
    """The operand whose value is the rate factor of ``child``'s edge k, where one is: the
    other factor of a product (∂(w·a)/∂w = a), the matching input or weight of a ``wsum``."""
    parents = child.parents
    if child.op == "mul" and parents[0] is not parents[1]:
        return parents[1 - k]
    if child.op == "wsum":
        n = (len(parents) - 1) // 2
        if k < 2 * n:
            return parents[k + n] if k < n else parents[k - n]
    return None


def path_highlight(order: list[Value], shown: list[Path], wrt: Value | None = None
                   ) -> Highlight:
    """Colours for each edge and node on the shown paths (path i gets ``path_color(i)``), the
    framed ``wrt``, and the values that supply a factor of a path (lit in its colour)."""
    index = {v: i for i, v in enumerate(order)}
    edges: dict[tuple[int, int], list[str]] = {}
    values: dict[int, list[str]] = {}
    factors: dict[int, str] = {}
    for j, p in enumerate(shown):
        color = path_color(j)
        for child, k in zip(p.nodes[1:], p.edge_indices):
            edges.setdefault((index[child], k), []).append(color)
            source = _supplier(child, k)
            if source is not None:
                factors.setdefault(index[source], color)
        for v in p.nodes:
            cs = values.setdefault(index[v], [])
            if color not in cs:
                cs.append(color)
    return Highlight(edges, values, index.get(wrt) if wrt is not None else None, factors)


def _signed(x: float, digits: int) -> str:
    text = rate(x, digits)
    return f"({text})" if x < 0 else text


def legend_rows(summary: Contributions, digits: int = 4) -> list[tuple[str, str, str, str]]:
    """One row per shown path: (colour, factor names, factor values, product)."""
    rows = []
    for j, p in enumerate(summary.top):
        names = " · ".join(short(n) for n in p.names) or "(the node itself)"
        values = " · ".join(_signed(f, digits) for f in p.factors) or "1"
        rows.append((path_color(j), names, values, rate(p.product, digits)))
    return rows


_LEGEND_LINES = 4
"""Lines of one path's factors in a legend; a longer path ends in "… (n factors in all)"
(Graphviz takes at most 16 KiB for the whole legend)."""


def _lines(text: str, width: int = 70) -> str:
    """Escaped ``text`` broken after a ``·`` so no line is longer than ``width`` characters
    (a legend wider than the graph would shrink the whole picture), ``_LEGEND_LINES`` at most."""
    out: list[str] = []
    line = ""
    parts = text.split(" · ")
    for part in parts:
        if len(out) == _LEGEND_LINES:
            out[-1] += f" … ({len(parts):,} factors in all)"
            break
        if line and len(line) + len(part) + 3 > width:
            out.append(line + " ·")
            line = part
        else:
            line = f"{line} · {part}" if line else part
    else:
        out.append(line)
    return '<BR ALIGN="LEFT"/>'.join(esc(x) for x in out) + '<BR ALIGN="LEFT"/>'


def _legend(summary: Contributions, digits: int) -> str:
    out = short(node_name(summary.output) or "output")
    wrt = short(node_name(summary.node) or "node")
    d = f"∂{out}/∂{wrt}"
    n = summary.n_paths
    count = count_text(n)
    td = '<TD ALIGN="LEFT">'
    lines: list[str] = []
    if n == 0:
        lines.append(f"<B>{esc(d)} = 0</B>: {esc(out)} does not depend on {esc(wrt)} (no paths)")
        return _table(lines, "")
    exact = len(summary.top) == n
    if exact:
        which = "one path" if n == 1 else f"all {count}"
    else:
        which = f"the top {len(summary.top)} of {count} by |product|"
    lines.append(f"<B>{esc(d)}</B>, the gradient with respect to <B>{esc(wrt)}</B> (framed), "
                 f"as a sum over paths: {which}")
    # One path per row: its factors by name, under them by value, then the product.
    inner = "".join(
        f'<TR><TD BGCOLOR="{color}" WIDTH="16" HEIGHT="12" FIXEDSIZE="TRUE"></TD>'
        f'{td}{_lines(names)}</TD><TD></TD></TR>'
        f'<TR><TD></TD>{td}= {_lines(values)}</TD><TD VALIGN="BOTTOM">= <B>{esc(product)}</B>'
        "</TD></TR>"
        for color, names, values, product in legend_rows(summary, digits)
    )
    shown = math.fsum(p.product for p in summary.top)
    digits += 2  # the sums, to more places than the factors: they are the answer
    if exact:
        what = "the one path" if n == 1 else f"Σ of all {count} paths"
        tail = [f"{what} = <B>{number(shown, digits)}</B> = {esc(d)}, the gradient"]
        return _table(lines, inner, tail)
    share = summary.explained
    how = f"{100 * share:.1f}% of" if share is not None else "of"
    tail = [f"Σ of these {len(summary.top)} = <B>{number(shown, digits)}</B>, {how} the "
            f"gradient {esc(d)} = <B>{number(summary.gradient, digits)}</B>",
            f"(the sum over all {count} paths)"]
    carried = summary.abs_explained
    if carried is not None:
        rest = n - len(summary.top)
        others = "the other path adds" if rest == 1 else f"the other {rest:,} paths add"
        tail.append(f"they carry {100 * carried:.1f}% of Σ|products| = "
                    f"{number(summary.abs_total, digits)}; {others} the rest")
    return _table(lines, inner, tail)


def _table(head: list[str], inner: str, tail: list[str] | tuple[str, ...] = ()) -> str:
    rows = [f'<TR><TD ALIGN="LEFT">{line}</TD></TR>' for line in head]
    if inner:
        rows.append('<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" '
                    f'CELLPADDING="2">{inner}</TABLE></TD></TR>')
    rows += [f'<TR><TD ALIGN="LEFT">{line}</TD></TR>' for line in tail]
    return Html(f'<<TABLE BORDER="1" COLOR="{INK}" CELLBORDER="0" CELLSPACING="0" '
                f'CELLPADDING="4">{"".join(rows)}</TABLE>>')


def draw_paths(
    root: Value,
    wrt: Value,
    k: int = 3,
    *,
    rankdir: str | None = None,
    group: str | None = None,
    max_nodes: int | None = MAX_NODES,
    digits: int = 4,
    op_nodes: bool = True,
) -> Digraph:
    """``draw_dot(root)`` with the ``k`` largest paths from ``wrt`` highlighted, and a legend.

    Path i (largest |product| first) is drawn in the i-th colour of a colour-blind-safe
    palette; an edge on several paths shows one parallel line per path. The legend (the
    graph's label, under the picture) gives each path's factors and product, their sum, and
    when ``k`` is smaller than the number of paths, what share of ∂root/∂wrt they explain.
    ``k`` is at most ``MAX_DRAWN_PATHS`` (7, one colour each).
    Other arguments are ``draw_dot``'s.

    >>> from pathgrad.autograd import Value
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> L = (w * x).tanh() + w; L.label = "L"
    >>> "Σ of all 2 paths" in draw_paths(L, w).source
    True
    """
    if not isinstance(wrt, Value):
        raise TypeError(f"draw_paths: wrt must be a Value, got {type(wrt).__name__}")
    k = positive_int("draw_paths: k", k, maximum=MAX_DRAWN_PATHS)
    if not isinstance(root, Value):
        raise TypeError(f"draw_paths: root must be a Value, got {type(root).__name__}")
    summary = contributions(root, wrt, k)
    from pathgrad.autograd import toposort

    highlight = path_highlight(toposort(root), list(summary.top), wrt)
    legend = _legend(summary, digits)
    g, _, drawn = build(root, rankdir, group, max_nodes, digits, highlight, stacklevel=3,
                        op_nodes=op_nodes, below=_legend_size(legend))
    if not drawn:  # over max_nodes: build returned its note
        return g
    g.attr(label=legend, labelloc="b", labeljust="l", fontsize="11")
    return g


def _legend_size(legend: str) -> tuple[float, float]:
    """The legend's size in points, estimated from its lines (11 pt text, about 17.5 pt a line
    with the table's padding; 70 characters a line at most, about 6 pt each): the layout
    leaves room for it, so the picture with its legend keeps within the 3:1 limit."""
    lines = legend.count("<BR") + legend.count('<TR><TD ALIGN="LEFT">')
    return 70 * 6.0 + 60.0, 17.5 * lines + 12.0
