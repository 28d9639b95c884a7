"""``draw_dot``: the computation graph with every edge labelled by its local derivative.

A node per ``Value`` shows its label, data and grad (micrograd's look); a node per op shows
the op's symbol (``× 0.999`` for a constant operand); each edge from an operand into its op
carries the rate factor ∂child/∂operand, so ``x * x`` has two edges, each labelled with x's value.
Node ids are stable: ``v{i}`` for the i-th value in topological order, ``v{i}op`` for its op,
and operand edge k of value i has the id ``e{i}_{k}`` (it is the SVG element's id too). A
value drawn again elsewhere (a shared leaf beside a far consumer, or the tail of an edge that
continues in the next column) is a dashed node ``v{i}c…``/``v{i}s…`` holding only its name.

>>> from pathgrad.autograd import Value
>>> x = Value(3.0, label="x")
>>> y = x * x
>>> g = draw_dot(y)
>>> [line.split(" [")[0].strip() for line in g.body if "<TD>3</TD>" in line]
['v0 -> v1op', 'v0 -> v1op']
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

from pathgrad.autograd import Value, toposort

from ._labels import Look, box_label, copy_label, op_text, text_width, value_label
from ._layout import Link, Unit, lay_out
from ._neurons import Z_LABEL, NeuronBox, find_neurons
from .rendering import Digraph
from .style import DIM, FONT, FONT_BOLD, INK, Html, esc, rate

__all__ = ["MAX_NODES", "Highlight", "draw_dot"]

MAX_NODES = 250
"""Above this many drawn value nodes no layout keeps the text 10 px tall at 1000 px width
within 3 : 1 (a chain of 250 values already fills four columns 3,000 points tall):
``draw_dot`` warns instead."""

_RANKDIRS = (None, "LR", "RL", "TB", "BT")
_OP_NODES_UP_TO = 40  # values: above this, op symbols go into the value boxes (op_nodes=None)
_GROUPS = (None, "neuron")


@dataclass
class Highlight:
    """How ``draw_paths`` dresses the graph: colours per operand edge ``(value index, k)`` and
    per value index, the framed ``wrt`` value, and the values that supply a path's factor."""

    edges: dict[tuple[int, int], list[str]]
    values: dict[int, list[str]]
    wrt: int | None = None
    factors: dict[int, str] = field(default_factory=dict)

    def look(self, i: int) -> Look:
        cs = self.values.get(i, [])
        return Look(cs[0] if cs else None, not cs, i == self.wrt, self.factors.get(i))


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


def _check(root: Value, rankdir: str | None, group: str | None, max_nodes: int | None,
           digits: int) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value as the root, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of None, LR, RL, TB, BT, got {rankdir!r}")
    if group not in _GROUPS:
        raise ValueError(f'group must be None or "neuron", got {group!r}')
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")


@dataclass
class _Scene:
    """What ``build`` collects before the layout rules place it."""

    order: list[Value]
    boxes: list[NeuronBox]
    drawn: dict[Value, str]
    digits: int
    highlight: Highlight | None
    op_nodes: bool
    edge_labels: bool | None
    units: dict[str, Unit] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    index: dict[Value, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {v: i for i, v in enumerate(self.order)}

    def look(self, v: Value) -> Look:
        return self.highlight.look(self.index[v]) if self.highlight else Look()

    def add_box(self, b: int) -> None:
        box = self.boxes[b]
        looks = {m: self.look(m) for m in box.members}
        lit = [lk for lk in looks.values() if lk.color]
        shown = {m: lk for m, lk in looks.items() if lk.framed or lk.factor or lk.color}
        dim = self.highlight is not None and not lit
        label, w, h = box_label(box, self.digits, Look(lit[0].color if lit else None, dim),
                                shown)
        tip = "; ".join(f"{p.label or 'w'} = {p.data!r} (grad {p.grad!r})" for p in box.params)
        self.units[f"n{b}"] = Unit(f"n{b}", {"label": label, "shape": "plain",
                                             "tooltip": f"{box.title}: {tip}"}, (w, h),
                                   *self._copy(box.title, Look(dim=dim)))

    def _copy(self, name: str, look: Look) -> tuple[dict[str, str], tuple[float, float]]:
        label, w, h = copy_label(name, look)
        return {"label": label, "shape": "plain", "tooltip": f"{name}, drawn again"}, (w, h)

    def add_value(self, v: Value) -> None:
        i, look = self.index[v], self.look(v)
        label, w, h = value_label(v, self.digits, look, op=not self.op_nodes)
        tall, tw, th = value_label(v, self.digits, look, op=not self.op_nodes, stacked=True)
        name = v.label or f"v{i}"
        self.units[f"v{i}"] = Unit(f"v{i}", {"label": label, "shape": "plain", "tooltip": name},
                                   (w, h), *self._copy(name, look),
                                   stacked=({"label": tall}, (tw, th)))
        if v.op and self.op_nodes:
            into = [c for k in range(len(v.parents)) for c in self._colors(i, k)]
            ink = into[0] if into else (DIM if self.highlight else INK)
            text = op_text(v)
            attrs = {"label": text, "shape": "ellipse", "style": "filled",
                     "fillcolor": "#F6F6F6", "color": ink, "fontcolor": ink,
                     "penwidth": "2" if into else "1", "margin": "0.05,0.02", "height": "0.3"}
            self.units[f"v{i}op"] = Unit(f"v{i}op", attrs, (text_width(text) + 24, 22.0),
                                         dict(attrs), (text_width(text) + 24, 22.0))
            self.links.append(Link(f"v{i}op", f"v{i}", _edge_style(into, self.highlight)))

    def _colors(self, i: int, k: int) -> list[str]:
        return self.highlight.edges.get((i, k), []) if self.highlight else []

    def add_operands(self, v: Value) -> None:
        i = self.index[v]
        head = self.drawn[v]
        boxed = head != f"v{i}"
        name = v.label or f"v{i}"
        for k, (p, r) in enumerate(zip(v.parents, v.local_grads)):
            tail = self.drawn[p]
            if boxed and tail == head:
                continue  # inside one neuron's box
            port = ""
            if tail.startswith("n"):
                box = self.boxes[int(tail[1:])]
                port = "a_out" if p is box.activation else "z_out"
            # Into a neuron's box the rate towards input a_k is w_k, listed in the box.
            labelled = self.edge_labels if self.edge_labels is not None else not boxed
            attrs = _edge_style(self._colors(i, k), self.highlight, bold_label=True)
            attrs.update(id=f"e{i}_{k}", tooltip=f"∂{name}/∂{p.label or f'v{self.index[p]}'} "
                                                 f"= {r!r}")
            if labelled:
                twin = v.parents.count(p) > 1  # x * x: two edges between the same nodes
                attrs["label"] = _edge_label(rate(r, self.digits), len(self._colors(i, k)),
                                             twin)
            target = head if boxed or not self.op_nodes else f"{head}op"
            self.links.append(Link(tail, target, attrs, port, "z_in" if boxed else ""))


def build(
    root: Value,
    rankdir: str | None = None,
    group: str | None = None,
    max_nodes: int | None = MAX_NODES,
    digits: int = 4,
    highlight: Highlight | None = None,
    stacklevel: int = 2,
    edge_labels: bool | None = None,
    op_nodes: bool | None = None,
    below: tuple[float, float] = (0.0, 0.0),
    plan: dict[str, object] | None = None,
) -> tuple[Digraph, list[Value], dict[Value, str]]:
    """The graph, the topological order it numbers values by, and the drawn node of each value
    (``below``: the size of a legend the caller puts under it, in points; ``plan``:
    ``_layout.lay_out``'s, for frames cut alike)."""
    _check(root, rankdir, group, max_nodes, digits)
    order = toposort(root)
    boxes = find_neurons(order) if group == "neuron" else []
    drawn = {m: f"n{b}" for b, box in enumerate(boxes) for m in box.members}
    count = len(order) - len(drawn) + len(boxes)
    if max_nodes is not None and count > max_nodes:
        return _too_big(count, max_nodes, group is not None, stacklevel), order, {}
    for i, v in enumerate(order):
        drawn.setdefault(v, f"v{i}")
    # neuron boxes write their ops as text; the few values after them do the same (op nodes
    # would add a column to the page for each op of the loss)
    ops = op_nodes if op_nodes is not None else count <= _OP_NODES_UP_TO and not boxes
    scene = _Scene(order, boxes, drawn, digits, highlight, ops, edge_labels)
    for v in _reading_order(order):
        node = drawn[v]
        if node.startswith("n") and node not in scene.units:
            scene.add_box(int(node[1:]))
        elif node.startswith("v"):
            scene.add_value(v)
        if v.op:
            scene.add_operands(v)
    g = Digraph(name="graph")
    g.attr(fontname=FONT, bgcolor="white")
    g.attr("node", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7")
    segment = lay_out(g, scene.units, scene.links, rankdir, below, plan)
    if boxes:  # dot spaces boxes with many edges at one port wider than nodesep asks
        g.attr(nodesep="0.02", ranksep="0.5")
    _stack_layers(g, boxes, segment)
    return g, order, drawn


def _stack_layers(g: Digraph, boxes: list[NeuronBox], segment: dict[str, int]) -> None:
    """Keep each labelled layer's boxes in neuron order (j = 0 first), as the book draws them:
    one rank per layer, chained by invisible edges, so Graphviz does not shuffle them."""
    layers: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for b, box in enumerate(boxes):
        match = Z_LABEL.match(box.z.label)
        if match:
            layers.setdefault((match[1], segment[f"n{b}"]), []).append((int(match[2]), b))
    for (l, s), members in layers.items():
        if len(members) < 2:
            continue
        ids = [f"n{b}" for _, b in sorted(members)]
        with g.subgraph(name=f"layer{l}_{s}") as sub:
            sub.attr(rank="same")
            for tail, head in itertools.pairwise(ids):
                sub.edge(tail, head, style="invis")


def _edge_label(text: str, lines: int, twin: bool) -> str:
    """An edge's label. Graphviz places a label beside its edge's middle as if the edge were
    one thin line; a twin edge (``x * x``: the other one) or an edge drawn as several parallel
    coloured lines (one per path) then ran through it. There the label is padded: 2 pt, plus
    a bundle's half-width."""
    if lines < 2 and not twin:
        return text
    pad = 2 + (round(1.1 * lines) if lines > 1 else 0)  # each coloured line is 2.2 pt wide
    return Html(f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{pad}"><TR>'
                f"<TD>{esc(text)}</TD></TR></TABLE>>")


def _edge_style(colors: list[str], highlight: Highlight | None, bold_label: bool = False
                ) -> dict[str, str]:
    if not colors:
        ink = DIM if highlight is not None else INK
        return {"color": ink, "fontcolor": ink}
    style = {"color": ":".join(colors), "fontcolor": colors[0], "penwidth": "2.2"}
    if bold_label:
        style["fontname"] = FONT_BOLD
    return style


def draw_dot(
    root: Value,
    rankdir: str | None = None,
    *,
    group: str | None = None,
    max_nodes: int | None = MAX_NODES,
    digits: int = 4,
    edge_labels: bool | None = None,
    op_nodes: bool | None = None,
) -> Digraph:
    """The computation graph of ``root``: values, ops, and each edge's local derivative.

    ``rankdir`` is Graphviz's direction ("LR", "TB", ...); by default (None) it is chosen,
    and a long graph cut into columns, so that the picture stays within 1000 points wide and
    3 : 1 either way (its smallest text is then at least 10 px at README width).
    ``group="neuron"`` collapses each neuron (a ``wsum`` node with its weights, bias and
    activation) into one box. When more than ``max_nodes`` value nodes would be drawn, a
    ``UserWarning`` suggests grouping and the returned graph holds only that note;
    ``max_nodes=None`` draws any size. ``digits`` sets the precision shown. ``edge_labels``
    (default: every edge but those into a neuron's box, whose rates are the weights the box
    lists) writes each rate factor on its edge; an SVG's edge tooltips always hold the exact
    rate. ``op_nodes`` draws each op as a node of its own (default: up to 40 values); False
    writes the symbol in its value's box instead (half the nodes).

    >>> from pathgrad.autograd import Value
    >>> a = Value(2.0, label="a")
    >>> g = draw_dot(a * 0.999)
    >>> "× 0.999" in g.source and "data 2.0000" in g.source
    True
    """
    return build(root, rankdir, group, max_nodes, digits, stacklevel=3,
                 edge_labels=edge_labels, op_nodes=op_nodes)[0]
