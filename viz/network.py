"""``draw_network``: Nielsen's network diagrams — neurons as circles in layers, left to right.

Each edge is a weight w^l_jk from neuron k of layer l−1 to neuron j of layer l, coloured by its
sign (blue +, vermillion −) and drawn as thick as its magnitude; ``by="grad"`` uses ∂C/∂w
instead. After a forward and backward pass each neuron shows its weighted input z, its
activation a and its error δ = ∂C/∂z (Nielsen's BP1–BP4 quantities), and its bias b.

Works for ``nn.MLP`` (and its ``Layer``/``Neuron``, and micrograd's ``nn.MLP``), reading each
neuron's ``w``, ``b``, ``last_z`` and ``last_activation``, and for ``nn.matrix.Network``,
reading ``weights``, ``biases`` and, after ``backprop``, ``zs``, ``activations``, ``deltas``.

>>> from pathgrad.nn.layers import MLP
>>> from pathgrad.autograd import Value
>>> model = MLP(2, [3, 1], activation="tanh", seed=0)
>>> loss = (model([1.0, -0.5]) - 1.0) ** 2
>>> loss.backward()
>>> g = draw_network(model)
>>> "δ" in g.source and g.source.count(" id=w") == 2 * 3 + 3 * 1  # an edge per weight
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from pathgrad.autograd import Value, toposort

from .dot import MAX_NODES
from .rendering import Digraph
from .style import FONT, INK, NEGATIVE, POSITIVE, Html, esc, number

__all__ = ["MAX_EDGES", "NetworkView", "draw_network", "network_view"]

MAX_EDGES = 5000
"""Above this many weights a network diagram is a grey smear: ``draw_network`` warns instead."""

_BY = ("weight", "grad")

Column = list[float] | None


@dataclass
class NetworkView:
    """What a diagram needs, the same for both kinds of model; layers count from 1 (input)."""

    sizes: list[int]
    weights: list[list[list[float]]]  # weights[i][j][k]: layer i+2, neuron j, input k
    weight_grads: list[list[list[float]]] | None
    biases: list[list[float]]
    activation_names: list[str]  # one per non-input layer
    a: list[Column]  # a^l per layer, input layer first (None where unknown)
    z: list[Column]  # z^l per non-input layer
    delta: list[Column]  # δ^l = ∂C/∂z^l per non-input layer


def _mlp_layers(model: Any) -> list[Any]:
    if hasattr(model, "layers"):
        return list(model.layers)
    if hasattr(model, "neurons"):
        return [model]
    if hasattr(model, "w") and hasattr(model, "b"):
        return [SimpleNamespace(neurons=[model])]
    raise TypeError(
        f"draw_network needs an nn.MLP, Layer or Neuron, a micrograd MLP or an "
        f"nn.matrix.Network, got {type(model).__name__}"
    )


def _weights_of(neuron: Any) -> list[Value]:
    w = getattr(neuron, "w", None)
    if w is None:
        w = getattr(neuron, "weights", None)
    if w is None:
        raise TypeError(f"{type(neuron).__name__} has no weights (w)")
    return list(w)


def _inputs_of(neuron: Any) -> Column:
    """The input a^1 of the most recent call of a first-layer neuron, from its graph."""
    z = getattr(neuron, "last_z", None)
    if not isinstance(z, Value):
        return None
    ws = _weights_of(neuron)
    if z.op == "wsum":
        n = len(ws)
        return [p.data for p in z.parents[n : 2 * n]]
    found: dict[Value, float] = {}
    for v in toposort(z):  # micrograd's chain: w_k * x_k products summed with b
        if v.op == "mul":
            p, q = v.parents
            if p in ws and p not in found:
                found[p] = q.data
    return [found[w] for w in ws] if all(w in found for w in ws) else None


def _view_mlp(model: Any) -> NetworkView:
    layers = _mlp_layers(model)
    if not layers or not all(list(getattr(layer, "neurons", [])) for layer in layers):
        raise ValueError("draw_network: the model has an empty layer")
    weights, grads, biases, names = [], [], [], []
    zs: list[Column] = []
    acts: list[Column] = []
    deltas: list[Column] = []
    any_grad = False
    for layer in layers:
        ws = [_weights_of(n) for n in layer.neurons]
        weights.append([[w.data for w in row] for row in ws])
        grads.append([[w.grad for w in row] for row in ws])
        bs = [n.b for n in layer.neurons]
        biases.append([b.data for b in bs])
        any_grad = any_grad or any(w.grad != 0.0 for row in ws for w in row)
        any_grad = any_grad or any(b.grad != 0.0 for b in bs)
        first = layer.neurons[0]
        name = getattr(first, "activation", None)
        if not isinstance(name, str):
            name = "relu" if getattr(first, "nonlin", True) else "linear"
        names.append(name)
        last_z = [getattr(n, "last_z", None) for n in layer.neurons]
        last_a = [getattr(n, "last_activation", None) for n in layer.neurons]
        called = all(isinstance(v, Value) for v in last_z + last_a)
        zs.append([v.data for v in last_z] if called else None)  # type: ignore[union-attr]
        acts.append([v.data for v in last_a] if called else None)  # type: ignore[union-attr]
        deltas.append([v.grad for v in last_z] if called else None)  # type: ignore[union-attr]
    sizes = [len(weights[0][0])] + [len(w) for w in weights]
    for i in range(1, len(weights)):
        if any(len(row) != sizes[i] for row in weights[i]):
            raise ValueError(f"draw_network: layer {i + 2} does not take layer {i + 1}'s outputs")
    inputs = _inputs_of(layers[0].neurons[0])
    if not any_grad:  # before any backward pass, δ = 0 would be a lie: show none
        deltas = [None] * len(deltas)
    return NetworkView(sizes, weights, grads if any_grad else None, biases, names,
                       [inputs, *acts], zs, deltas)


def _column(array: Any, example: int) -> list[float]:
    import numpy as np

    a = np.asarray(array, dtype=float)
    if a.ndim == 1:
        return [float(x) for x in a]
    if not 0 <= example < a.shape[1]:
        raise ValueError(f"draw_network: example {example} out of range: the last backprop "
                         f"had {a.shape[1]} example(s)")
    return [float(x) for x in a[:, example]]


def _view_matrix(net: Any, example: int) -> NetworkView:
    import numpy as np

    sizes = [int(n) for n in net.sizes]
    weights = [np.asarray(w, dtype=float).tolist() for w in net.weights]
    biases = [np.asarray(b, dtype=float).reshape(-1).tolist() for b in net.biases]
    names = [getattr(a, "name", str(a)) for a in getattr(net, "layer_activations", [])]
    names = names or ["sigmoid"] * (len(sizes) - 1)
    deltas = list(getattr(net, "deltas", []) or [])
    acts = list(getattr(net, "activations", []) or [])
    zs = list(getattr(net, "zs", []) or [])
    n = len(sizes) - 1
    if deltas and len(deltas) == n and len(acts) == n + 1 and len(zs) == n:
        # ∂C/∂w^l = δ^l (a^{l−1})ᵀ (BP4), summed over the examples of the last backprop.
        grads = [(np.asarray(d) @ np.asarray(a).T).tolist() for d, a in zip(deltas, acts)]
        return NetworkView(sizes, weights, grads, biases, names,
                           [_column(a, example) for a in acts],
                           [_column(z, example) for z in zs],
                           [_column(d, example) for d in deltas])
    return NetworkView(sizes, weights, None, biases, names, [None] * (n + 1), [None] * n,
                       [None] * n)


def network_view(model: Any, example: int = 0) -> NetworkView:
    """The numbers a diagram of ``model`` shows (see ``NetworkView``)."""
    if hasattr(model, "weights") and hasattr(model, "sizes") and hasattr(model, "biases"):
        return _view_matrix(model, example)
    return _view_mlp(model)


def _num(x: float, digits: int) -> str:
    return number(x, digits, "sig")


def _neuron_label(title: str, rows: list[tuple[str, float]], digits: int) -> str:
    cells = [f'<TR><TD><B>{esc(title)}</B></TD></TR>']
    for name, x in rows:
        cells.append(f"<TR><TD>{esc(name)} {esc(_num(x, digits))}</TD></TR>")
    return Html(f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
                f'{"".join(cells)}</TABLE>>')


def _layer_title(l: int, last: int, name: str) -> str:
    if l == 1:
        return "layer 1: input x = a¹"
    kind = "output" if l == last else "hidden"
    return f"layer {l}: {kind}, {name}"


def draw_network(
    model: Any,
    by: str = "weight",
    *,
    example: int = 0,
    edge_labels: bool | None = None,
    digits: int = 4,
    max_nodes: int | None = MAX_NODES,
    max_edges: int | None = MAX_EDGES,
) -> Digraph:
    """A diagram of ``model``: layers left to right, neurons as circles, weights as edges.

    ``by="weight"`` colours each edge by the sign of w and sizes it by |w|; ``by="grad"`` by
    ∂C/∂w (which needs a backward pass: ``loss.backward()`` or ``net.backprop(x, y)``).
    Neurons show a, z and δ = ∂C/∂z from the most recent call and backward pass (for a
    matrix ``Network`` given a mini-batch, column ``example``), and their bias b.
    ``edge_labels`` writes each edge's number on it (default: only when there are at most 20
    edges); every edge's tooltip in an SVG holds its exact w and ∂C/∂w. Over ``max_nodes``
    neurons or ``max_edges`` weights it warns and returns only a note (a picture that size is
    unreadable); ``None`` lifts a limit.
    """
    if by not in _BY:
        raise ValueError(f'by must be "weight" or "grad", got {by!r}')
    if isinstance(example, bool) or not isinstance(example, int):
        raise TypeError(f"example must be an int, got {type(example).__name__}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
    view = network_view(model, example)
    if by == "grad" and view.weight_grads is None:
        raise ValueError(
            'draw_network(by="grad") needs gradients: call loss.backward() (nn.MLP) or '
            "net.backprop(x, y) (nn.matrix.Network) first"
        )
    n_edges = sum(a * b for a, b in zip(view.sizes, view.sizes[1:]))
    note = _too_big(view, n_edges, max_nodes, max_edges)
    if note is not None:
        return note
    if edge_labels is None:
        edge_labels = n_edges <= 20
    values = view.weights if by == "weight" else view.weight_grads
    assert values is not None
    biggest = max((abs(x) for rows in values for row in rows for x in row), default=0.0)
    g = Digraph(name="network")
    # A layered network needs no crossing minimisation: the order we write (j = 0 on top) is
    # the book's. With dot's default effort it shuffled columns (inputs drawn x2, x0, x1);
    # mclimit=0.01 all but switches it off and keeps every layer in index order. Edges are
    # drawn first, so the white circles cover them: lines end at the circles and never cross
    # their text.
    g.attr(rankdir="LR", splines="line", nodesep="0.18", ranksep="1.6", fontname=FONT,
           bgcolor="white", mclimit="0.01", remincross="false", outputorder="edgesfirst")
    g.attr("node", shape="circle", fontname=FONT, fontsize="10", color=INK, fixedsize="false",
           margin="0.02")
    g.attr("edge", arrowhead="none", fontname=FONT, fontsize="10")
    _add_layers(g, view, digits, edge_labels)
    _add_weights(g, view, values, biggest, digits, edge_labels)
    what = "w" if by == "weight" else "∂C/∂w"
    g.attr(label=f"edges: {what} (blue +, vermillion −; thickness ∝ |{what}|, "
           f"largest {_num(biggest, digits)})", labelloc="b", fontsize="11")
    return g


def _too_big(view: NetworkView, n_edges: int, max_nodes: int | None, max_edges: int | None
             ) -> Digraph | None:
    """A note instead of the diagram when it would be over the limits (with a warning)."""
    n_nodes = sum(view.sizes)
    if not ((max_nodes is not None and n_nodes > max_nodes)
            or (max_edges is not None and n_edges > max_edges)):
        return None
    message = (f"the network has {n_nodes:,} neurons and {n_edges:,} weights, over "
               f"max_nodes={max_nodes} / max_edges={max_edges}: a diagram that size is "
               "unreadable; draw a smaller network or pass max_nodes=None, max_edges=None")
    warnings.warn(message, UserWarning, stacklevel=3)
    g = Digraph(name="too_big")
    g.node("note", message, shape="note", fontname=FONT)
    return g


def _neuron_rows(view: NetworkView, li: int, j: int) -> tuple[str, list[tuple[str, float]]]:
    """A neuron's title and its (name, number) rows: a, z, δ where known, and b."""
    a = view.a[li]
    if li == 0:
        return f"x{j}", ([("a", a[j])] if a is not None else [])
    rows: list[tuple[str, float]] = []
    z, d = view.z[li - 1], view.delta[li - 1]
    for name, column in (("a", a), ("z", z), ("δ", d)):
        if column is not None:
            rows.append((name, column[j]))
    rows.append(("b", view.biases[li - 1][j]))
    return f"j = {j}", rows


def _add_layers(g: Digraph, view: NetworkView, digits: int, edge_labels: bool) -> None:
    """One rank per layer, neuron 0 on top, held in that order by invisible edges inside the
    rank (Graphviz's own order flipped with edge labels). Under each layer its caption: the
    label of a cluster around an invisible node (text, not a node of the diagram: an SVG
    reader counts neurons by their g.node elements), the captions chained by heavy invisible
    edges so they stand in one row below every neuron and no weight's edge crosses them (a
    cluster's caption sat at the top of a short layer, where the edges to the next layer's top
    neurons run)."""
    last = len(view.sizes)
    for li, size in enumerate(view.sizes):
        l = li + 1
        caption = _layer_title(l, last, view.activation_names[li - 1] if li else "")
        with g.subgraph(name=f"cluster_caption{l}") as t:
            t.attr(label=caption, color="white", fontsize="11", labelloc="t", margin="2")
            t.node(f"T{l}", "", style="invis", shape="box", width="0.1", height="0.02",
                   fixedsize="true")
        with g.subgraph(name=f"layer{l}") as c:
            c.attr(rank="same")
            for j in range(size):
                title, rows = _neuron_rows(view, li, j)
                c.node(f"L{l}_{j}", _neuron_label(title, rows, digits), style="filled",
                       fillcolor="#EAF2FA" if li == 0 else "#FFFFFF", tooltip=title)
            for j in range(size - 1):
                c.edge(f"L{l}_{j}", f"L{l}_{j + 1}", style="invis", id=f"order{l}_{j}")
        g.edge(f"T{l}", f"L{l}_0", style="invis", constraint="false", id=f"caption{l}")
    for l in range(1, last):
        g.edge(f"T{l}", f"T{l + 1}", style="invis", weight="100", id=f"captions{l}")


def _add_weights(g: Digraph, view: NetworkView, values: list[list[list[float]]],
                 biggest: float, digits: int, edge_labels: bool) -> None:
    for li in range(1, len(view.sizes)):
        l = li + 1
        for j in range(view.sizes[li]):
            for k in range(view.sizes[li - 1]):
                x = values[li - 1][j][k]
                tip = f"w{l}[{j},{k}] = {view.weights[li - 1][j][k]!r}"
                if view.weight_grads is not None:
                    tip += f", ∂C/∂w = {view.weight_grads[li - 1][j][k]!r}"
                width = 0.4 + 3.6 * (abs(x) / biggest if biggest > 0 else 0.0)
                color = POSITIVE if x > 0 else (NEGATIVE if x < 0 else "#BBBBBB")
                extra = {"label": _num(x, digits), "fontcolor": color} if edge_labels else {}
                g.edge(f"L{l - 1}_{k}", f"L{l}_{j}", color=color + "CC",
                       penwidth=f"{width:.2f}", tooltip=tip, id=f"w{l}_{j}_{k}", **extra)
