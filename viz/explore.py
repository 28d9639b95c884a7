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

from pathgrad.autograd import ROWS, Value, contributions, grad, toposort
from pathgrad.autograd.notation import notation_of
from pathgrad.autograd.paths import MINUS, Contributions, _render, factor_name, node_name
from pathgrad.autograd.paths import Path as GradPath

from ._labels import _BOX_WEIGHTS, op_text
from ._neurons import find_neurons
from .dot import MAX_NODES, build
from .network import draw_network, network_view
from .paths import _legend
from .rendering import _write, to_svg
from .style import PALETTE, number

__all__ = ["K_PATHS", "MAX_PATHS", "explore", "page_html", "scene", "script_json"]

K_PATHS = 5
"""Paths lit at first when a node is clicked (the largest |product| first)."""
MAX_PATHS = 64
""""show all" lights up to this many paths; beyond it the panel says how many there are."""

_DIGITS = 4
_EDGE_LABELS = 150  # values up to which each edge is labelled with its rate factor
_Z_LABEL = re.compile(r"z(\d+)\[(\d+)\]$")
_A_LABEL = re.compile(r"a(\d+)\[(\d+)\]$")
_W_LABEL = re.compile(r"w(\d+)\[(\d+),(\d+)\]$")


def _asset(name: str) -> str:
    return resources.files("pathgrad.viz").joinpath("explorer").joinpath(name).read_text(
        encoding="utf-8")


def _short(x: float) -> str:
    """4 significant digits, no trailing zeros, the typographic minus: ``1``, ``−0.2111``."""
    return f"{x:.{_DIGITS}g}".replace("-", MINUS)


def _signed(x: float) -> str:
    """A number in a chain-rule line, negatives in parentheses: ``1 × (−0.2111)``."""
    text = _short(x)
    return f"({text})" if text.startswith(MINUS) else text


def _grad_of(name: str) -> str:
    return f"{name}.grad" if re.fullmatch(r"[\w\[\],.']+", name) else f"({name}).grad"


def _finite(x: float) -> float | None:
    """A number for the JSON (which has no inf or nan; the page shows them from the texts)."""
    return x if math.isfinite(x) else None


def _name(v: Value, index: dict[Value, int]) -> str:
    return node_name(v) or f"v{index[v]}"


def _expression(v: Value, values: bool) -> str:
    """``v`` written from its operands, by name or by value: ``w·a_prev+b``, ``0.8·0.6+(−0.2)``.

    The rendering of ``autograd.paths`` is used on a label-less stand-in of ``v``, so the
    expression reads as path formulas do.
    """
    stand_in = object.__new__(Value)
    for slot in Value.__slots__:
        setattr(stand_in, slot, getattr(v, slot))
    stand_in.label = ""

    def by_value(p: Value) -> tuple[str, bool]:
        text = _short(p.data)
        return (f"({text})", True) if text.startswith(MINUS) else (text, True)

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


def _layout(root: Value, order: list[Value]) -> tuple[str, dict[Value, str], bool]:
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
                f"explore: the graph has {n:,} value nodes ({count:,} even with one box per "
                f"neuron), over {MAX_NODES}: a page that size is unreadable and slow to lay "
                "out; explore one example's loss of a smaller model, or a part of the graph"
            )
        group = "neuron"
    # past _EDGE_LABELS values the numbers on the edges are clutter: hovering shows them
    g, _, drawn = build(root, None, group, None, _DIGITS, None,
                        edge_labels=None if n <= _EDGE_LABELS else False)
    svg = to_svg(g)
    return svg[svg.index("<svg"):], drawn, group is not None


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


def _legend_html(summary: Contributions) -> str:
    # draw_paths' legend is an HTML-like Graphviz label: a table a browser renders as it is,
    # but for the fixed line breaks Graphviz needs (the panel wraps lines to its own width).
    return _legend(summary, _DIGITS)[1:-1].replace('<BR ALIGN="LEFT"/>', " ")


def _path_json(p: GradPath, index: dict[Value, int]) -> dict[str, Any]:
    return {
        "nodes": [index[v] for v in p.nodes],
        "edges": [f"e{index[c]}_{k}" for c, k in zip(p.nodes[1:], p.edge_indices)],
        "product": _finite(p.product),
    }


def _network_ids(p: GradPath) -> list[str]:
    """The network diagram's elements a path passes: weight edges ``w{l}_{j}_{k}`` and neurons
    ``L{l}_{j}``, read from the book's labels (``w2[0,1]``, ``z2[0]``, ``a1[1]``)."""
    ids: list[str] = []
    m = _W_LABEL.match(p.nodes[0].label)
    if m:
        ids.append(f"w{m[1]}_{m[2]}_{m[3]}")
    last_a: tuple[str, str] | None = None
    a = _A_LABEL.match(p.nodes[0].label)
    if a:
        last_a = (a[1], a[2])
        ids.append(f"L{a[1]}_{a[2]}")
    for v in p.nodes[1:]:
        z = _Z_LABEL.match(v.label)
        if z:
            ids.append(f"L{z[1]}_{z[2]}")
            if last_a is not None and int(last_a[0]) == int(z[1]) - 1:
                ids.append(f"w{z[1]}_{z[2]}_{last_a[1]}")
            last_a = None
        a = _A_LABEL.match(v.label)
        if a:
            last_a = (a[1], a[2])
    return ids


def scene(root: Value, *, wrt: Value | None = None, title: str | None = None,
          model: Any = None) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data: the SVG, the nodes with their numbers,
    the edges' rate factors and rules, each node's paths and legend, and the two replays.

    >>> from pathgrad.autograd import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x; y.label = "y"
    >>> s = scene(y)
    >>> [n["name"] for n in s["nodes"]], s["nodes"][0]["grad"]
    (['x', 'y'], 6.0)
    >>> s["backward"][0]["lines"]
    ['x.grad += 3 × 1 = 3', 'x.grad += 3 × 1 = 6']
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
                             f"{_name(root, index)!r}: the root does not depend on it")
    svg, drawn, grouped = _layout(root, order)
    grads = grad(root, order)  # the engine's sweep, pure: ∂root/∂node for every node
    names = [_name(v, index) for v in order]
    nodes = _nodes(order, grads, names, drawn, _slots(order, drawn))
    edges = _edges(order, index, names)
    paths_of = _paths_of(root, order, index, model)
    backward = _backward_steps(order, index, names, grads)
    forward = _forward_lines(order, names)
    stale = [names[i] for i, v in enumerate(order) if not math.isclose(
        v.grad, grads[i], rel_tol=1e-9, abs_tol=1e-12)]
    return {
        "title": title or f"∂{names[-1]}/∂· — pathgrad explorer",
        "root": len(order) - 1, "root_name": names[-1], "svg": svg, "grouped": grouped,
        "nodes": nodes, "edges": edges, "paths": paths_of,
        "backward": backward, "forward": forward,
        "select": index[wrt] if wrt is not None else None,
        "palette": list(PALETTE), "k": K_PATHS, "max_paths": MAX_PATHS,
        "stale": stale[:8], "n_stale": len(stale),
    }


def _nodes(order: list[Value], grads: list[float], names: list[str], drawn: dict[Value, str],
           slots: dict[Value, int]) -> list[dict[str, Any]]:
    return [{
        "name": names[i], "label": v.label, "op": op_text(v) if v.op else "",
        "data": _finite(v.data), "grad": _finite(grads[i]), "user_grad": _finite(v.grad),
        "data_text": f"data {number(v.data, _DIGITS)}",
        "grad_text": f"grad {number(grads[i], _DIGITS)}",
        "drawn": drawn[v], "slot": slots.get(v), "leaf": not v.op,
    } for i, v in enumerate(order)]


def _edges(order: list[Value], index: dict[Value, int], names: list[str]) -> list[dict[str, Any]]:
    edges = []
    for i, child in enumerate(order):
        for k, (p, r) in enumerate(zip(child.parents, child.local_grads)):
            factor = factor_name(child, k)
            value = _short(r)
            shown = f" = {value}" if factor != value else ""
            edges.append({
                "id": f"e{i}_{k}", "child": i, "parent": index[p], "k": k, "rate": _finite(r),
                "tip": f"∂{names[i]}/∂{names[index[p]]} = {factor}{shown}",
                "rule": _rule_text(child),
            })
    return edges


def _paths_of(root: Value, order: list[Value], index: dict[Value, int],
              model: Any) -> list[dict[str, Any]]:
    """Per node: its paths to the root (the top ``MAX_PATHS``) and the legends of their sums."""
    paths_of: list[dict[str, Any]] = []
    for v in order:
        summary = contributions(root, v, MAX_PATHS)
        top = list(summary.top)
        few = Contributions(summary.output, v, summary.n_paths, summary.gradient,
                            summary.abs_total, tuple(top[:K_PATHS]))
        entry: dict[str, Any] = {
            "count": summary.n_paths, "count_text": f"{summary.n_paths:,}",
            "paths": [_path_json(p, index) for p in top],
            "legend": _legend_html(few),
            "legend_all": _legend_html(summary) if len(top) > K_PATHS else None,
            "gradient": _finite(summary.gradient),
        }
        if model is not None:
            entry["network"] = [_network_ids(p) for p in top]
        paths_of.append(entry)
    return paths_of


def _backward_steps(order: list[Value], index: dict[Value, int], names: list[str],
                    grads: list[float]) -> list[dict[str, Any]]:
    """backward()'s arithmetic, one step per node in reverse order, checked against the engine."""
    backward = []
    running: dict[int, float] = {len(order) - 1: 1.0}
    for node in reversed(order):
        i = index[node]
        g = running.get(i, 0.0)
        lines, updates = [], []
        for p, r in zip(node.parents, node.local_grads):
            j = index[p]
            running[j] = running.get(j, 0.0) + g * r  # the arithmetic of backward()
            lines.append(f"{_grad_of(names[j])} += {_signed(r)} × {_signed(g)} = "
                         f"{_short(running[j])}")
            updates.append([j, f"grad {number(running[j], _DIGITS)}"])
        if not node.parents:
            lines.append(f"{names[i]} is a leaf: nothing to pass back; "
                         f"∂{names[-1]}/∂{names[i]} = {_short(g)}")
        backward.append({"node": i, "grad_text": f"grad {number(g, _DIGITS)}",
                         "head": f"{_grad_of(names[i])} = {_short(g)} is complete",
                         "lines": lines, "updates": updates})
    for i in range(len(order)):
        if running.get(i, 0.0) != grads[i]:
            raise AssertionError(f"explore: the replayed sweep gives {running.get(i, 0.0)!r} "
                                 f"at {names[i]}, the engine {grads[i]!r}")
    return backward


def _forward_lines(order: list[Value], names: list[str]) -> list[dict[str, Any]]:
    forward = []
    for i, v in enumerate(order):
        if v.op:
            line = (f"{names[i]} = {_expression(v, False)} = {_expression(v, True)} = "
                    f"{_short(v.data)}")
        else:
            line = f"{names[i]} = {_short(v.data)} (given)"
        forward.append({"node": i, "line": line})
    return forward


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
                                "nodes": [], "edges": [], "paths": [], "backward": [],
                                "forward": [], "palette": list(PALETTE), "k": K_PATHS,
                                "max_paths": MAX_PATHS, "stale": [], "n_stale": 0,
                                "select": None, "root": None}
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
