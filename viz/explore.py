"""``explore``: one self-contained HTML page to click through a graph's paths and replay
backpropagation step by step.

The page holds the graph laid out by the bundled Graphviz (``draw_dot``'s SVG), every number
from the engine (values, rate factors, the paths of ``autograd.paths``, the reverse sweep's
partial sums) as JSON, and ``explorer.js`` / ``explorer.css`` inline: it makes no network
request and needs no server. The notebook widget ``viz.Explorer`` loads the same script.

* Click a node: every path from it to the root lights up, each in its own colour (the
  largest ``K_PATHS`` first, "show all" up to ``MAX_PATHS``); the panel shows
  ``draw_paths``' legend: each path's factors by name and value, its product, and the sum.
* Hover an edge: ``∂a/∂z = σ'(z) = 0.2452`` and the rule it came from.
* **Step**, **Back**, **Play**, **Reset** replay the reverse sweep node by node in the
  engine's order (``b.grad += 1 × (−0.2111)``), or the forward pass in topological order.

>>> import tempfile, os
>>> from pathgrad.autograd import Value
>>> x = Value(0.5, label="x")
>>> y = (2 * x).tanh(); y.label = "y"
>>> with tempfile.TemporaryDirectory() as d:
...     page = explore(y, os.path.join(d, "y.html"))
...     text = page.read_text(encoding="utf-8")
>>> "u003csvg" in text and "http://" not in text.split("u003csvg")[0]
True
"""

from __future__ import annotations

import json
import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from pathgrad.autograd import ROWS, Value, toposort
from pathgrad.autograd.graph import reverse_sweep
from pathgrad.autograd.notation import count_text, notation_of
from pathgrad.autograd.paths import _render, factor_name, node_name

from ._collapse import Box, collapse, nearest
from ._labels import _BOX_WEIGHTS, op_text
from ._live import engine_spec
from ._neurons import find_neurons
from .dot import MAX_NODES, build
from .network import draw_network, network_view
from .rendering import _write, to_svg
from .style import PALETTE

__all__ = [
    "K_PATHS", "MAX_LIVE_NODES", "MAX_PATHS", "ROOT_NAME", "explore", "page_html", "scene",
    "script_json",
]

K_PATHS = 5
"""Paths lit at first when a node is clicked (the largest |product| first)."""
MAX_PATHS = 64
""""show all" lights up to this many paths; beyond it the panel says how many there are."""

MAX_LIVE_NODES = 50_000
"""The most value nodes a page holds (its engine recomputes them all on every nudge: 0.8 ms at
10,000 in Chromium, the page's redraw about 5 ms more; benchmarks/live.py). Above ``MAX_NODES``
the drawing boxes long sums and neurons, or shows the part nearest the output."""
_VIEWS_THAT_WORK = (
    "Views that work: explore(model, 'net.html', loss=one_example_loss) (the network diagram "
    "and that example's graph), explore(one_example_loss, ...), draw_network(model), or "
    "explore on a smaller batch (a loss summed over examples opens one example at a time)")

ROOT_NAME = "L"
"""What the page calls a root without a label (never a generated expression)."""

_DIGITS = 4
_EDGE_LABELS = 150  # values up to which each edge is labelled with its rate factor
_W_LABEL = re.compile(r"w(\d+)\[(\d+),(\d+)\]$")


def _asset(name: str) -> str:
    return resources.files("pathgrad.viz").joinpath("explorer").joinpath(name).read_text(
        encoding="utf-8")


def _finite(x: float) -> float | None:
    """A number for the JSON (which has no inf or nan; the page shows them from the texts)."""
    return x if math.isfinite(x) else None


def _name(v: Value, index: dict[Value, int]) -> str:
    """The label, else for a leaf ``v{i}`` (its value would not name it once nudged, and two
    leaves may hold one value), else the expression of its operands."""
    if v.label:
        return v.label
    return f"v{index[v]}" if not v.parents else node_name(v) or f"v{index[v]}"


def _expression(v: Value, values: bool) -> str:
    """``v`` written from its operands, by name (``w·a_prev+b``) or as a template of its
    operands' values for the page to fill in (``⟦1⟧``: the value of operand 1).

    The rendering of ``autograd.paths`` is used on a label-less stand-in of ``v``, so the
    expression reads as path formulas do.
    """
    stand_in = object.__new__(Value)
    for slot in Value.__slots__:
        setattr(stand_in, slot, getattr(v, slot))
    stand_in.label = ""

    k = iter(range(len(v.parents)))

    def by_value(p: Value) -> tuple[str, bool]:
        return f"⟦{next(k)}⟧", True  # operand k's value (the same text for a copy's twin)

    def by_name(p: Value) -> tuple[str, bool]:
        name = node_name(p)
        atomic = bool(p.label) or not p.op or name.startswith(("σ(", "tanh(", "exp(", "log("))
        return name, atomic

    return _render(stand_in, by_value if values else by_name)[0]


def _check_root(root: Any, where: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(
            f"{where} needs a Value (the output whose gradients to explore) or an nn model, "
            f"got {root!r:.60} ({type(root).__name__})"
        )


def _layout(root: Value, order: list[Value], n_real: int) -> tuple[str, dict[Value, str], bool]:
    """The SVG (prolog stripped), the drawn element of each value, and whether neurons are
    grouped: above ``MAX_NODES`` values one box per neuron, as ``draw_dot(group="neuron")``.
    Direction, columns and op nodes are ``draw_dot``'s choices."""
    n = len(order)
    group = None
    if n > MAX_NODES:
        boxes = find_neurons(order)
        count = n - sum(len(b.members) for b in boxes) + len(boxes)
        if count > MAX_NODES:
            raise ValueError(
                f"explore: the graph has {n_real:,} value nodes and even drawn with one box per "
                f"neuron and per long sum it needs {count:,} elements, over {MAX_NODES}: a page "
                f"that size is unreadable. {_VIEWS_THAT_WORK}")
        group = "neuron"
    # past _EDGE_LABELS values the numbers on the edges are clutter: hovering shows them
    g, _, drawn = build(root, None, group, None, _DIGITS, None,
                        edge_labels=None if n <= _EDGE_LABELS else False)
    svg = to_svg(g)
    return svg[svg.index("<svg"):], drawn, group is not None


def _picture(root: Value, order: list[Value], index: dict[Value, int],
             start: list[int]) -> tuple[dict[str, Any], dict[Value, Value]]:
    """The drawing and how its elements bind to the engine's nodes: ``fixed`` (the engine
    node each drawn value shows), ``cells`` ([element, row] of each drawn value), and the
    boxes of long sums (``_collapse``): which drawn values show term j's nodes."""
    boxes: list[dict[str, Any]] = []
    twin_of: dict[Value, Value] = {}  # a node of term j of a box -> its twin in term 1
    cut = None
    if len(order) <= MAX_NODES:
        draw_root, draw_order, real = root, order, None
    else:
        c = collapse(root, order)
        draw_root, real = c.root, c.real
        draw_order = toposort(draw_root)
        if _drawn_count(draw_order) > MAX_NODES:  # no boxing makes it readable: the nearest part
            c = nearest(root, order, MAX_NODES)
            draw_root, real = c.root, c.real
            draw_order = toposort(draw_root)
            cut = len(draw_order)
    svg, drawn, grouped = _layout(draw_root, draw_order, len(order))
    slots = _slots(draw_order, drawn)
    position = {v: q for q, v in enumerate(draw_order)}
    fixed = [index[real[v] if real is not None else v] for v in draw_order]
    if real is not None:
        for stand_in, k in c.box_of.items():
            b = c.boxes[k]
            entry: dict[str, Any] = {"what": b.what, "top": index[b.top], "drawn": position[
                stand_in], "opens": b.opens, "n": len(b.terms),
                "terms": [index[t] for t in b.terms], "term_edges": [
                    start[index[m]] + m.parents.index(t) for m, t in _consumers(b)]}
            if b.opens:
                term0 = b.aligned[0] or []
                members = set(term0)
                first = {v: position[twin] for twin, v in real.items() if v in members}
                entry["positions"] = [first.get(v, -1) for v in term0]
                entry["aligned"] = [None if a is None else [index[v] for v in a]
                                    for a in b.aligned]
                for a in b.aligned[1:]:
                    twin_of.update((v, w) for v, w in zip(a or (), term0) if v is not w)
            boxes.append(entry)
    return {"svg": svg, "grouped": grouped, "fixed": fixed, "cut": cut,
            "cells": [[drawn[v], slots.get(v)] for v in draw_order], "boxes": boxes}, twin_of


def _drawn_count(order: list[Value]) -> int:
    """How many elements a drawing of ``order`` has with one box per neuron."""
    boxes = find_neurons(order)
    return len(order) - sum(len(b.members) for b in boxes) + len(boxes)


def _consumers(box: Box) -> list[tuple[Value, Value]]:
    """(the partial sum that adds it, term) for each term of a box, in the terms' order."""
    out = []
    for m in box.members:
        for p in m.parents:
            if p not in box.members:
                out.append((m, p))
    by_term = {id(t): (m, t) for m, t in out}
    return [by_term[id(t)] for t in box.terms]


def _slots(order: list[Value], drawn: dict[Value, str]) -> dict[Value, int]:
    """Which ``data``/``grad`` text of its drawn element shows each value: 0 for a node of its
    own; in a neuron's box the rows of ``box_label``: z, a, the first weights, b."""
    slots: dict[Value, int] = {}
    for box in find_neurons(order):
        if not drawn.get(box.z, "").startswith("n"):
            continue
        rows = [box.z] + ([box.activation] if box.activation is not None else [])
        rows += box.weights[:_BOX_WEIGHTS]
        if box.bias is not None:
            rows.append(box.bias)
        for s, v in enumerate(rows):
            slots[v] = s
    for v in order:
        if drawn[v].startswith("v"):
            slots[v] = 0
    return slots


def _rule_text(child: Value) -> str:
    if child.op not in ROWS:
        return child.op
    row = notation_of(child.op)
    symbol = f" ({row.symbol})" if row.symbol and row.symbol != row.name else ""
    note = f": {row.note}" if row.note else ""
    return f"rule {row.name}{symbol}{note}"


def scene(root: Value, *, wrt: Value | None = None, title: str | None = None,
          model: Any = None) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data: the SVG, the nodes (names, what each
    drawn element shows, the number of paths to the root), the edges' rate-factor names and
    rules, and the engine (``_live.engine_spec``: the graph as arrays and the JavaScript the
    rows write), which computes every value, rate factor, gradient and path in the page.
    Building it is linear in the graph's size.

    >>> from pathgrad.autograd import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> s = scene(y)
    >>> [n["name"] for n in s["nodes"]], s["nodes"][0]["grad"], s["root_name"]
    (['x', 'L'], 6.0, 'L')
    >>> s["nodes"][0]["count"], s["factors"]
    (2, ['x', 'x'])
    """
    _check_root(root, "explore")
    order = toposort(root)
    index = {v: i for i, v in enumerate(order)}
    if wrt is not None:
        if not isinstance(wrt, Value):
            raise TypeError(f"explore: wrt must be a Value in the graph, got {wrt!r:.60} "
                            f"({type(wrt).__name__})")
        if wrt not in index:
            raise ValueError(f"explore: wrt ({wrt!r:.60}) is not in the graph of the root "
                             f"{root.label or ROOT_NAME!r}: the root does not depend on it")
    if len(order) > MAX_LIVE_NODES:
        raise ValueError(
            f"explore: the graph has {len(order):,} value nodes, over MAX_LIVE_NODES = "
            f"{MAX_LIVE_NODES:,} (a page recomputes them all on every nudge). "
            f"{_VIEWS_THAT_WORK}")
    engine = engine_spec(order)
    picture, twin_of = _picture(root, order, index, engine["start"])
    names = [_name(v, index) for v in order]
    names[-1] = root.label or ROOT_NAME  # never a generated expression
    grads = reverse_sweep(order, 1.0)  # the engine's sweep, pure: ∂root/∂node for every node
    counts = reverse_sweep(order, 1, times=lambda n, rate: n)  # paths to the root, exact ints
    nodes = _nodes(order, grads, counts, names, twin_of)
    rules: dict[str, int] = {}
    factors, rule_of = _factors(order, rules, twin_of)
    for node, r in zip(nodes, rule_of):
        if r is not None:
            node["rule"] = r
    return {
        "title": title or f"∂{names[-1]}/∂· — pathgrad explorer",
        "root": len(order) - 1, "root_name": names[-1], "svg": picture.pop("svg"),
        "grouped": picture.pop("grouped"), "picture": picture,
        "nodes": nodes, "factors": factors, "rules": list(rules), "engine": engine,
        "select": index[wrt] if wrt is not None else None,
        "palette": list(PALETTE), "k": K_PATHS, "max_paths": MAX_PATHS,
    }


def _nodes(order: list[Value], grads: dict[Value, float], counts: dict[Value, int],
           names: list[str], twin_of: dict[Value, Value]) -> list[dict[str, Any]]:
    """Each node's name, numbers at export, paths to the root, op and forward-replay texts
    (a node of another example reads as its twin in the first: written once)."""
    texts: dict[Value, tuple[str, str, str]] = {}
    out = []
    for i, v in enumerate(order):
        n = counts.get(v, 0)
        node: dict[str, Any] = {
            "name": names[i], "label": v.label,
            "data": _finite(v.data), "grad": _finite(grads.get(v, 0.0)),
            "count": n if n < 2**53 else None, "count_text": count_text(n),
        }
        if v.parents:
            model = twin_of.get(v, v)
            if model not in texts:
                texts[model] = (op_text(model), _expression(model, False),
                                _expression(model, True))
            node["op"], node["expr"], node["tpl"] = texts[model]
        out.append(node)
    return out


def _factors(order: list[Value], rules: dict[str, int], twin_of: dict[Value, Value]
             ) -> tuple[list[str], list[int | None]]:
    """Each operand edge's rate factor by name, in the engine's edge order (edge k of node i is
    the SVG element ``e{i}_{k}``), and each node's rule as an index into ``rules``."""
    factors: list[str] = []
    rule_of: list[int | None] = []
    named: dict[Value, list[str]] = {}
    for child in order:
        if not child.parents:
            rule_of.append(None)
            continue
        rule_of.append(rules.setdefault(_rule_text(child), len(rules)))
        model = twin_of.get(child, child)
        if model not in named:
            named[model] = [factor_name(model, k) for k in range(len(model.parents))]
        factors.extend(named[model])
    return factors, rule_of


def _model_scene(model: Any, loss: Value | None, wrt: Value | None,
                 title: str | None) -> dict[str, Any]:
    view = network_view(model)
    by = "grad" if view.weight_grads is not None else "weight"
    net_svg = to_svg(draw_network(model, by=by))
    root = loss
    if root is None:
        layers = getattr(model, "layers", None) or [model]
        outs = [getattr(n, "last_activation", None)
                for n in getattr(layers[-1], "neurons", [])]
        if any(isinstance(o, Value) for o in outs):
            # The weights' .grad are ∂C/∂w of the loss C the user called backward() on; the
            # model knows only its output, whose paths give ∂out/∂w, another number. A page
            # of those beside .grad (and the diagram's "∂C/∂w") would teach the wrong thing.
            raise ValueError(
                "explore(model) needs the loss: the weights' .grad are ∂C/∂w for the loss C "
                "you called backward() on, and the model does not know C (its graph ends at "
                "its output). Pass it: explore(model, 'page.html', loss=C)")
    if root is None:
        data: dict[str, Any] = {"title": title or "pathgrad explorer", "svg": None,
                                "nodes": [], "factors": [], "rules": [], "engine": None,
                                "palette": list(PALETTE), "k": K_PATHS,
                                "max_paths": MAX_PATHS, "select": None, "root": None}
        note = ("this model has no graph of Values (a matrix Network, or one not called yet): "
                "the network diagram only")
    else:
        params = model.parameters() if hasattr(model, "parameters") else []
        if params and not set(map(id, params)) & set(map(id, toposort(root))):
            raise ValueError("explore: the loss does not depend on this model's weights: pass "
                             "the loss computed from this model's output (loss=C)")
        data = scene(root, wrt=wrt, title=title, model=model)
        note = ""
    weights: dict[str, int] = {}
    index = {n["label"]: i for i, n in enumerate(data["nodes"]) if n["label"]}
    for label, i in index.items():
        m = _W_LABEL.match(label)
        if m:
            weights[f"w{m[1]}_{m[2]}_{m[3]}"] = i
    data["network"] = {"svg": net_svg, "by": by, "weights": weights, "note": note}
    return data


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside an HTML ``<script>`` element: ``<``, ``>`` and ``&``
    written as ``\\u003c``, ``\\u003e``, ``\\u0026`` (escaping ``</`` alone let a label holding
    ``<!--<script>`` put the parser in its "double-escaped" state, where the JSON swallowed the
    page's own script and nothing rendered), and U+2028/U+2029 too; a lone surrogate, which
    no page can hold, is a ``ValueError`` naming the text.

    >>> script_json({"label": "<!--<script>&"})
    '{"label": "\\\\u003c!--\\\\u003cscript\\\\u003e\\\\u0026"}'
    """
    blob = json.dumps(data, ensure_ascii=False, allow_nan=False)
    bad = re.search("[\ud800-\udfff]", blob)
    if bad is not None:
        at = bad.start()
        raise ValueError(f"explore: the text {blob[max(0, at - 30):at + 1]!r} holds a lone "
                         f"surrogate (U+{ord(bad[0]):04X}), which UTF-8 cannot encode: no page "
                         "can hold it; give the value a label of valid text")
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        blob = blob.replace(char, code)
    return blob


def page_html(data: dict[str, Any]) -> str:
    """The page for a scene: the script and styles inline, the scene as JSON."""
    blob = script_json(data)
    from html import escape

    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(data['title'])}</title>\n"
        f"<style>\n{_asset('explorer.css')}\n</style>\n</head>\n<body>\n"
        "<div id=\"pathgrad-explorer\"></div>\n"
        f"<script type=\"application/json\" id=\"pathgrad-scene\">{blob}</script>\n"
        f"<script type=\"module\">\n{_asset('explorer.js')}\n"
        "const scene = JSON.parse(document.getElementById(\"pathgrad-scene\").textContent);\n"
        "render({model: {get: () => scene, on: () => {}}, "
        "el: document.getElementById(\"pathgrad-explorer\")});\n"
        "</script>\n</body>\n</html>\n"
    )


def _is_model(obj: Any) -> bool:
    return (hasattr(obj, "layers") or hasattr(obj, "neurons") or (
        hasattr(obj, "weights") and hasattr(obj, "sizes") and hasattr(obj, "biases")))


def build_scene(root: Any, *, wrt: Value | None = None, title: str | None = None,
                loss: Value | None = None) -> dict[str, Any]:
    """The scene for a Value or an nn model (``explore`` and ``Explorer`` share it)."""
    if not isinstance(root, Value) and _is_model(root):
        if loss is not None and not isinstance(loss, Value):
            raise TypeError(f"explore: loss must be a Value, got {type(loss).__name__}")
        return _model_scene(root, loss, wrt, title)
    _check_root(root, "explore")
    if loss is not None:
        raise TypeError("explore: loss= goes with a model; for a Value, pass the loss as root")
    return scene(root, wrt=wrt, title=title)


def explore(root: Any, path: str | os.PathLike[str] = "graph.html", *,
            wrt: Value | None = None, title: str | None = None,
            loss: Value | None = None) -> Path:
    """Write the explorer page for ``root`` to ``path`` (one self-contained HTML file).

    ``root`` is a Value (the output: a loss, after ``backward()`` or not — the page shows
    ∂root/∂node from the engine's sweep) or an ``nn`` model after a backward pass (then the
    page opens on Nielsen's network diagram, the computation graph of ``loss`` one toggle
    away; ``loss=`` is required when the model holds a graph, since the weights' ``.grad``
    are ∂loss/∂w and the model alone knows only its output; an ``nn.matrix.Network`` shows
    the diagram only).
    ``wrt`` is a node to select when the page opens. Above ``MAX_NODES`` values the graph is
    drawn one box per neuron; a graph too big even then is refused with its size. The file is
    written atomically; a failed call writes nothing. Returns the path written.
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"explore writes an HTML page: {str(path)!r} should end in .html")
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: no directory {str(directory)!r}")
    text = page_html(build_scene(root, wrt=wrt, title=title, loss=loss))
    _write(target, text.encode("utf-8"))
    return target
