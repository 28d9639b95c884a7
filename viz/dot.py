"""``draw_dot``: the computation graph with every edge labelled by its local derivative.

A node per ``Value`` shows its label, data and grad (micrograd's look); a node per op shows
the op's symbol (``× 0.999`` for a constant operand); each edge from an operand into its op
carries the rate factor ∂child/∂operand, so ``x * x`` has two edges, each labelled with x's value.
Node ids are stable: ``v{i}`` for the i-th value in topological order, ``v{i}op`` for its op,
and operand edge k of value i has the id ``e{i}_{k}`` (it is the SVG element's id too).

>>> from pathgrad.autograd import Value
>>> x = Value(3.0, label="x")
>>> y = x * x
>>> g = draw_dot(y)
>>> [line.split(" [")[0].strip() for line in g.body if "label=3" in line]
['v0 -> v1op', 'v0 -> v1op']
"""

from __future__ import annotations

import itertools
import re
import warnings
from dataclasses import dataclass, field

from pathgrad.autograd import ROWS, Value, toposort

from .rendering import Digraph
from .style import DIM, FONT, INK, esc, number, rate

__all__ = ["MAX_NODES", "NeuronBox", "draw_dot", "find_neurons", "op_text"]

MAX_NODES = 500
"""Above this many drawn value nodes a picture is unreadable: ``draw_dot`` warns instead."""

_RANKDIRS = ("LR", "RL", "TB", "BT")
_BIG = 300  # drawn values above which Graphviz is told to spend less effort on the layout
_GROUPS = (None, "neuron")
# Where edges leave and enter a neuron's box, so they do not wrap around its rows.
_SIDES = {"LR": ("e", "w"), "RL": ("w", "e"), "TB": ("s", "n"), "BT": ("n", "s")}
_REVERSED = {"rsub_c", "rdiv_c", "rpow_c"}  # the constant is the left operand: 10 − x, 2 ** x
# Unary ops that count as a neuron's activation when no a{l}[{j}] label says so.
_ACTIVATIONS = {"tanh", "sigmoid", "relu", "softplus"}
_Z_LABEL = re.compile(r"z(\d+)\[(\d+)\]$")


def op_text(v: Value) -> str:
    """How an op node reads: its symbol, with the constant where the op has one.

    >>> from pathgrad.autograd import Value
    >>> x = Value(2.0)
    >>> op_text(x * 0.999), op_text(x + 10), op_text(x ** 2), op_text(1 / x), op_text(x.tanh())
    ('× 0.999', '+ 10', '^ 2', '1 ÷', 'tanh')
    """
    rule = ROWS.get(v.op)
    symbol = rule.symbol if rule is not None and rule.symbol else v.op
    c = v.constant
    if c is None:
        return symbol
    shown = f"{c:g}"
    return f"{shown} {symbol}" if v.op in _REVERSED else f"{symbol} {shown}"


@dataclass
class NeuronBox:
    """One neuron's sub-graph: its weighted input ``z``, activation, weights and bias."""

    z: Value
    activation: Value | None
    params: list[Value]
    title: str
    members: list[Value] = field(default_factory=list)


def _children(order: list[Value]) -> dict[Value, list[Value]]:
    kids: dict[Value, list[Value]] = {v: [] for v in order}
    for v in order:
        for p in v.parents:
            kids[p].append(v)
    return kids


def find_neurons(order: list[Value]) -> list[NeuronBox]:
    """The neurons of a graph: each ``wsum`` node with its leaf weights and bias and the one
    activation that consumes it (an op labelled ``a{l}[{j}]``, else tanh/σ/ReLU/softplus).

    >>> from pathgrad.autograd import Value, weighted_sum, toposort
    >>> w, b, x = [Value(0.5, label="w2[0,0]")], Value(0.1, label="b2[0]"), Value(1.0)
    >>> z = weighted_sum(w, [x], b); z.label = "z2[0]"
    >>> [box.title for box in find_neurons(toposort(z.tanh()))]
    ['neuron 2[0]']
    """
    kids = _children(order)
    owned: set[Value] = set()
    boxes: list[NeuronBox] = []
    for z in order:
        if z.op != "wsum" or z in owned:
            continue
        parents = z.parents
        n = (len(parents) - 1) // 2
        params = []
        for p in (*parents[:n], parents[-1]):
            if not p.op and p not in owned and p not in params and p not in parents[n : 2 * n]:
                params.append(p)
        match = _Z_LABEL.match(z.label)
        activation = None
        consumers = kids[z]
        if len(consumers) == 1 and len(consumers[0].parents) == 1:
            a = consumers[0]
            named = match is not None and a.label == f"a{match[1]}[{match[2]}]"
            if named or (a.op in _ACTIVATIONS and a not in owned):
                activation = a
        title = f"neuron {match[1]}[{match[2]}]" if match else f"neuron #{len(boxes) + 1}"
        members = [*params, z] + ([activation] if activation is not None else [])
        owned.update(members)
        boxes.append(NeuronBox(z, activation, params, title, members))
    return boxes


@dataclass
class Highlight:
    """Colours for ``draw_paths``: per operand edge ``(value index, k)`` and per value index."""

    edges: dict[tuple[int, int], list[str]]
    values: dict[int, list[str]]


def _value_label(v: Value, digits: int, color: str | None, dim: bool, fill: str | None,
                 op: bool = False) -> str:
    font = f'<FONT COLOR="{DIM if dim else INK}">'
    cells = []
    if v.label:
        cells.append(f"<TD><B>{esc(v.label)}</B></TD>")
    cells.append(f"<TD>data {number(v.data, digits)}</TD>")
    cells.append(f"<TD>grad {number(v.grad, digits)}</TD>")
    border = color or (DIM if dim else INK)
    width = "2" if color else "1"
    bg = f' BGCOLOR="{fill}"' if fill else ""
    row = "".join(c.replace("<TD>", f"<TD{bg}>{font}").replace("</TD>", "</FONT></TD>")
                  for c in cells)
    if op and v.op:  # op_nodes=False: the op's symbol opens the value's own row
        row = f'<TD BGCOLOR="#F6F6F6">{font}{esc(op_text(v))}</FONT></TD>' + row
    return (f'<<TABLE BORDER="0" CELLBORDER="{width}" CELLSPACING="0" CELLPADDING="4" '
            f'COLOR="{border}"><TR>{row}</TR></TABLE>>')


def _box_label(box: NeuronBox, digits: int, color: str | None, dim: bool) -> str:
    ink = DIM if dim else INK
    z, a = box.z, box.activation
    n_w = len(box.params) - (1 if box.params and box.params[-1] is z.parents[-1] else 0)
    what = f"{n_w} w + b" if n_w < len(box.params) else f"{n_w} w"
    act = op_text(a) if a is not None else "linear"
    rows = [f'<TR><TD COLSPAN="3" BGCOLOR="#EFEFEF"><FONT COLOR="{ink}"><B>{esc(box.title)}'
            f"</B>  {esc(act)}, {what}</FONT></TD></TR>"]
    for port, v, name in (("z", z, z.label or "z"),
                          ("a", a, (a.label or f"{act}(z)") if a is not None else "")):
        if v is None:
            continue
        # Edges come into the z row's first cell and leave from the last cell of the output
        # row (a, or z for a linear neuron): "z_in" and "z_out" / "a_out".
        rows.append(f'<TR><TD PORT="{port}_in"><FONT COLOR="{ink}">{esc(name)}</FONT></TD>'
                    f'<TD><FONT COLOR="{ink}">data {number(v.data, digits)}</FONT></TD>'
                    f'<TD PORT="{port}_out"><FONT COLOR="{ink}">grad {number(v.grad, digits)}'
                    "</FONT></TD></TR>")
    weights = [p for p in box.params if p is not z.parents[-1]]
    if weights:
        shown = ", ".join(rate(w.data, 3) for w in weights[:6])
        if len(weights) > 6:
            shown += f", … ({len(weights)})"
        rows.append(f'<TR><TD><FONT COLOR="{ink}">w</FONT></TD><TD COLSPAN="2" ALIGN="LEFT">'
                    f'<FONT COLOR="{ink}">{esc(shown)}</FONT></TD></TR>')
    bias = z.parents[-1]
    if bias in box.params:
        rows.append(f'<TR><TD><FONT COLOR="{ink}">b</FONT></TD>'
                    f'<TD><FONT COLOR="{ink}">data {number(bias.data, digits)}</FONT></TD>'
                    f'<TD><FONT COLOR="{ink}">grad {number(bias.grad, digits)}</FONT></TD></TR>')
    border = color or (DIM if dim else INK)
    width = "2" if color else "1"
    return (f'<<TABLE BORDER="{width}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
            f'COLOR="{border}">{"".join(rows)}</TABLE>>')


def _reading_order(order: list[Value]) -> list[Value]:
    """The topological order, with each leaf moved to just before its first consumer and
    operands in operand order: Graphviz then stacks ``w`` above ``a_prev`` for ``w * a_prev``."""
    out: list[Value] = []
    seen: set[Value] = set()
    for v in order:
        if not v.op:
            continue
        for p in v.parents:
            if not p.op and p not in seen:
                seen.add(p)
                out.append(p)
        out.append(v)
    if not out:  # a lone leaf
        out.append(order[-1])
    return out


def _too_big(count: int, max_nodes: int, grouped: bool, stacklevel: int) -> Digraph:
    advice = (
        "pass max_nodes=None to draw it anyway"
        if grouped
        else 'use group="neuron" to collapse each neuron into one box, '
        "or pass max_nodes=None to draw it anyway"
    )
    message = (
        f"the graph has {count:,} value nodes, over max_nodes={max_nodes}: a picture that size "
        f"is unreadable and slow to lay out; {advice}"
    )
    warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)
    g = Digraph(name="too_big")
    g.attr("node", fontname=FONT, fontsize="12")
    g.node("note", message, shape="note", color=INK)
    return g


def build(
    root: Value,
    rankdir: str = "LR",
    group: str | None = None,
    max_nodes: int | None = MAX_NODES,
    digits: int = 4,
    highlight: Highlight | None = None,
    stacklevel: int = 2,
    edge_labels: bool | None = None,
    op_nodes: bool = True,
) -> tuple[Digraph, list[Value], dict[Value, str]]:
    """The graph, the topological order it numbers values by, and the drawn node of each value."""
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value as the root, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    if group not in _GROUPS:
        raise ValueError(f'group must be None or "neuron", got {group!r}')
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")

    order = toposort(root)
    index = {v: i for i, v in enumerate(order)}
    boxes = find_neurons(order) if group == "neuron" else []
    drawn: dict[Value, str] = {}
    for b, box in enumerate(boxes):
        for m in box.members:
            drawn[m] = f"n{b}"
    count = len(order) - len(drawn) + len(boxes)
    if max_nodes is not None and count > max_nodes:
        return _too_big(count, max_nodes, group is not None, stacklevel), order, {}
    for i, v in enumerate(order):
        drawn.setdefault(v, f"v{i}")

    lit = highlight is not None
    g = Digraph(name="graph")
    g.attr(rankdir=rankdir, fontname=FONT, nodesep="0.25", ranksep="0.9" if boxes else "0.45",
           bgcolor="white")
    g.attr("node", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")
    if count > _BIG:
        # dot's network-simplex passes dominate big layouts (cubic here): a fifth of the
        # iterations lays out 1,000 values 5x faster with no visible loss (benchmarks/viz.py)
        g.attr(nslimit="0.2", nslimit1="0.2")

    def colors_of(v: Value) -> list[str]:
        return highlight.values.get(index[v], []) if highlight is not None else []

    def add_box(b: int) -> None:
        box = boxes[b]
        cs = [c for m in box.members for c in colors_of(m)]
        g.node(f"n{b}", _box_label(box, digits, cs[0] if cs else None, lit and not cs),
               shape="plain", tooltip=box.title)

    boxes_drawn: set[str] = set()
    for v in _reading_order(order):
        i = index[v]
        if drawn[v] != f"v{i}" and drawn[v] not in boxes_drawn:
            boxes_drawn.add(drawn[v])
            add_box(int(drawn[v][1:]))
        if drawn[v] == f"v{i}":
            cs = colors_of(v)
            fill = "#EAF2FA" if not v.op else None
            g.node(f"v{i}", _value_label(v, digits, cs[0] if cs else None, lit and not cs, fill,
                                         op=not op_nodes),
                   shape="plain", tooltip=v.label or f"v{i}")
            if v.op and op_nodes:
                into = [c for k in range(len(v.parents))
                        for c in (highlight.edges.get((i, k), []) if highlight else [])]
                op_colors = list(dict.fromkeys(into))
                ink = op_colors[0] if op_colors else (DIM if lit else INK)
                g.node(f"v{i}op", op_text(v), shape="ellipse", style="filled",
                       fillcolor="#F6F6F6", color=ink, fontcolor=ink,
                       penwidth="2" if op_colors else "1", margin="0.05,0.02", height="0.3")
                g.edge(f"v{i}op", f"v{i}", **_edge_style(op_colors, lit))
        if not v.op:
            continue
        head = drawn[v]
        boxed = head != f"v{i}"
        name = v.label or f"v{i}"
        for k, (p, r) in enumerate(zip(v.parents, v.local_grads)):
            tail = drawn[p]
            if boxed and tail == head:
                continue  # inside one neuron's box
            cs = highlight.edges.get((i, k), []) if highlight is not None else []
            out_side, in_side = _SIDES[rankdir]
            if tail.startswith("n"):
                box = boxes[int(tail[1:])]
                tail += (":a_out:" if p is box.activation else ":z_out:") + out_side
            target = f"{head}:z_in:{in_side}" if boxed else (f"{head}op" if op_nodes else head)
            # Into a neuron's box the rate towards input a_k is w_k, listed in the box; labels
            # there would pile up between the layers.
            labelled = edge_labels if edge_labels is not None else not boxed
            g.edge(tail, target, label=rate(r, digits) if labelled else None, id=f"e{i}_{k}",
                   tooltip=f"∂{name}/∂{p.label or f'v{index[p]}'} = {r!r}",
                   **_edge_style(cs, lit, bold_label=True))
    _stack_layers(g, boxes)
    return g, order, drawn


def _stack_layers(g: Digraph, boxes: list[NeuronBox]) -> None:
    """Keep each labelled layer's boxes in neuron order (j = 0 first), as the book draws them:
    one rank per layer, chained by invisible edges, so Graphviz does not shuffle them."""
    layers: dict[str, list[tuple[int, int]]] = {}
    for b, box in enumerate(boxes):
        match = _Z_LABEL.match(box.z.label)
        if match:
            layers.setdefault(match[1], []).append((int(match[2]), b))
    for l, members in layers.items():
        if len(members) < 2:
            continue
        ids = [f"n{b}" for _, b in sorted(members)]
        with g.subgraph(name=f"layer{l}") as s:
            s.attr(rank="same")
            for tail, head in itertools.pairwise(ids):
                s.edge(tail, head, style="invis")


def _edge_style(colors: list[str], lit: bool, bold_label: bool = False) -> dict[str, str]:
    if not colors:
        ink = DIM if lit else INK
        return {"color": ink, "fontcolor": ink}
    style = {"color": ":".join(colors), "fontcolor": colors[0], "penwidth": "2.2"}
    if bold_label:
        style["fontname"] = f"{FONT} Bold"
    return style


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    *,
    group: str | None = None,
    max_nodes: int | None = MAX_NODES,
    digits: int = 4,
    edge_labels: bool | None = None,
    op_nodes: bool = True,
) -> Digraph:
    """The computation graph of ``root``: values, ops, and each edge's local derivative.

    ``rankdir`` is Graphviz's direction ("LR", "TB", ...). ``group="neuron"`` collapses each
    neuron (a ``wsum`` node with its weights, bias and activation) into one box. When more than
    ``max_nodes`` value nodes would be drawn, a ``UserWarning`` suggests grouping and the
    returned graph holds only that note (a picture that size is unreadable and takes minutes
    to lay out); ``max_nodes=None`` draws any size. ``digits`` sets the precision shown.
    ``edge_labels`` (default: every edge but those into a neuron's box, whose rates are the
    weights the box lists) writes each rate factor on its edge; an SVG's edge tooltips always
    hold the exact rate. ``op_nodes=False`` writes each op's symbol in its value's box
    instead of a node of its own: half the nodes, and Graphviz lays a big graph out several
    times faster (see ``benchmarks/viz.py``).

    >>> from pathgrad.autograd import Value
    >>> a = Value(2.0, label="a")
    >>> g = draw_dot(a * 0.999)
    >>> "× 0.999" in g.source and "data 2.0000" in g.source
    True
    """
    return build(root, rankdir, group, max_nodes, digits, stacklevel=3,
                 edge_labels=edge_labels, op_nodes=op_nodes)[0]
