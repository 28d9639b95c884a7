"""draw_network: Nielsen's diagrams for nn.MLP and nn.matrix.Network — every weight an edge
with its exact value, colour by sign, width by magnitude, and each neuron's a, z, δ; the two
kinds of model give the same numbers for the same weights (matrix BP1–BP4 vs the engine)."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from viz_helpers import parse

from pathgrad.autograd import Value
from pathgrad.nn.layers import MLP
from pathgrad.nn.matrix import Network
from pathgrad.viz import draw_network
from pathgrad.viz.network import network_view
from pathgrad.viz.style import NEGATIVE, POSITIVE


def weight_edges(source: str) -> dict[str, dict[str, str]]:
    _, edges, _ = parse(source)
    return {e.attr["id"]: {**e.attr, "tail": e.tail, "head": e.head} for e in edges
            if e.attr.get("style") != "invis"}


def trained_mlp() -> tuple[MLP, Value]:
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=5)
    out = model([0.4, -0.7])
    assert isinstance(out, list)
    loss = 0.5 * ((out[0] - 1.0) ** 2 + (out[1] - 0.0) ** 2)  # Nielsen's quadratic cost
    loss.backward()
    return model, loss


def test_every_weight_is_an_edge_coloured_by_sign_and_sized_by_magnitude() -> None:
    model, _ = trained_mlp()
    edges = weight_edges(draw_network(model).source)
    assert len(edges) == 2 * 3 + 3 * 2
    biggest = max(abs(w.data) for layer in model.layers for n in layer.neurons for w in n.w)
    for li, layer in enumerate(model.layers):
        l = li + 2
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                e = edges[f"w{l}_{j}_{k}"]
                assert (e["tail"], e["head"]) == (f"L{l - 1}_{k}", f"L{l}_{j}")
                assert float(re.search(r"= (\S+),", e["tooltip"])[1]) == w.data  # type: ignore[index]
                assert e["color"].startswith(POSITIVE if w.data > 0 else NEGATIVE)
                width = float(e["penwidth"])
                assert width == pytest.approx(0.4 + 3.6 * abs(w.data) / biggest, abs=0.006)


def test_by_grad_uses_dC_dw_and_needs_a_backward_pass() -> None:
    fresh = MLP(2, [2, 1], seed=1)
    fresh([1.0, 2.0])
    with pytest.raises(ValueError, match=r"needs gradients: call loss.backward\(\)"):
        draw_network(fresh, by="grad")
    model, _ = trained_mlp()
    edges = weight_edges(draw_network(model, by="grad").source)
    w = model.layers[1].neurons[1].w[2]
    e = edges["w3_1_2"]
    assert float(re.search(r"∂C/∂w = (\S+)$", e["tooltip"])[1]) == w.grad  # type: ignore[index]
    assert e["color"].startswith(POSITIVE if w.grad > 0 else NEGATIVE)


def test_neurons_show_a_z_delta_and_b() -> None:
    model, _ = trained_mlp()
    nodes, _, _ = parse(draw_network(model, digits=6).source)
    neuron = model.layers[0].neurons[2]
    z, a = neuron.last_z, neuron.last_activation
    assert z is not None and a is not None
    label = nodes["L2_2"]["label"]
    for name, x in (("a", a.data), ("z", z.data), ("δ", z.grad), ("b", neuron.b.data)):
        assert f"{name} {x:.6g}" in label
    assert "a 0.4" in nodes["L1_0"]["label"] and "x0" in nodes["L1_0"]["label"]


def test_before_backward_no_delta_is_shown() -> None:
    model = MLP(2, [2, 1], seed=1)
    model([1.0, 2.0])
    source = draw_network(model).source
    assert "δ" not in source and "z " in source


def test_matrix_network_matches_the_engine() -> None:
    model, _ = trained_mlp()
    net = Network([2, 3, 2], activation="sigmoid", cost="quadratic", seed=0)
    net.weights = [layer.weight_matrix() for layer in model.layers]
    net.biases = [layer.bias_vector().reshape(-1, 1) for layer in model.layers]
    net.backprop(np.array([[0.4], [-0.7]]), np.array([[1.0], [0.0]]))
    ours, theirs = network_view(net), network_view(model)
    assert ours.sizes == theirs.sizes == [2, 3, 2]
    for name in ("a", "z", "delta"):
        for x, y in zip(getattr(ours, name), getattr(theirs, name)):
            assert np.allclose(x, y, rtol=1e-12, atol=1e-15), name
    assert ours.weight_grads is not None and theirs.weight_grads is not None
    for gx, gy in zip(ours.weight_grads, theirs.weight_grads):
        assert np.allclose(gx, gy, rtol=1e-12, atol=1e-15)
    src_net = draw_network(net, by="grad").source
    src_mlp = draw_network(model, by="grad").source
    assert set(weight_edges(src_net)) == set(weight_edges(src_mlp))


def test_matrix_network_before_backprop_and_a_mini_batch_column() -> None:
    net = Network([3, 2, 1], seed=2)
    assert "δ" not in draw_network(net).source
    X = np.array([[0.1, 0.9], [0.2, -0.5], [0.3, 0.0]])
    Y = np.array([[1.0, 0.0]])
    net.backprop(X, Y)
    view = network_view(net, example=1)
    assert view.a[0] == [0.9, -0.5, 0.0]
    assert view.delta[-1] == pytest.approx([float(net.deltas[-1][0, 1])])
    with pytest.raises(ValueError, match="example 2 out of range"):
        draw_network(net, example=2)


def test_micrograd_mlp_and_single_neuron() -> None:
    from micrograd import nn as mg

    g = draw_network(mg.MLP(3, [4, 2]))
    assert len(weight_edges(g.source)) == 3 * 4 + 4 * 2
    from pathgrad.nn.layers import Neuron

    n = Neuron(3, activation="tanh", seed=0)
    n([0.1, 0.2, 0.3]).backward()
    assert len(weight_edges(draw_network(n).source)) == 3


def test_big_networks_warn_and_labels_only_when_few_edges() -> None:
    with pytest.warns(UserWarning, match="784 .*neurons|824 neurons"):
        g = draw_network(Network([784, 30, 10], seed=0))
    assert "note" in parse(g.source)[0]
    small = draw_network(MLP(2, [2, 1], seed=0)).source
    assert all("label" in e for e in weight_edges(small).values())
    mid = weight_edges(draw_network(MLP(4, [5, 3], seed=0)).source)
    assert not any("label" in e for e in mid.values())


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="got str"):
        draw_network("mlp")
    with pytest.raises(ValueError, match='by must be "weight" or "grad"'):
        draw_network(MLP(2, [1], seed=0), by="bias")


@pytest.mark.parametrize("labels", [False, True])
@pytest.mark.parametrize("sizes", [[3, 4, 2], [5, 6, 3], [2, 8, 8, 1], [8, 5, 4], [6, 3, 6]])
def test_every_layer_is_drawn_in_index_order_top_down(sizes: list[int], labels: bool) -> None:
    import numpy as np
    import pygraphviz as pgv

    from pathgrad.nn.matrix import Network

    net = Network(sizes, seed=1)
    net.backprop(np.linspace(-1, 1, sizes[0]).reshape(-1, 1), np.zeros((sizes[-1], 1)))
    laid_out = pgv.AGraph(string=draw_network(net, by="grad", edge_labels=labels).source)
    laid_out.layout(prog="dot")
    for layer, size in enumerate(sizes, start=1):
        heights = [float(laid_out.get_node(f"L{layer}_{j}").attr["pos"].split(",")[1])
                   for j in range(size)]
        assert heights == sorted(heights, reverse=True), (sizes, layer, heights)


@pytest.mark.parametrize("compiled", [False, True])
def test_delta_is_kept_after_fit_with_four_significant_figures(compiled: bool) -> None:
    import numpy as np

    from pathgrad.nn import SGD, fit

    model = MLP(2, [3, 1], activation="tanh", seed=0)
    X = np.array([[0.5, -1.0], [1.0, 0.2], [-0.3, 0.4]])
    y = np.array([1.0, -1.0, 1.0])
    fit(model, X, y, "quadratic", SGD(model.parameters(), lr=0.1), epochs=2, verbose=False,
        compiled=compiled)
    deltas = [n.last_z.grad for layer in model.layers for n in layer.neurons]
    assert all(d != 0.0 for d in deltas)
    source = draw_network(model).source
    for d in deltas:
        assert f"δ {d:#.4g}" in source


def caption_boxes(out: dict) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The layer captions' text boxes (x0, y0, x1, y1) in Graphviz's JSON layout."""
    found = []
    for obj in out.get("objects", []):
        size = 11.0
        for op in obj.get("_ldraw_", []):
            if op["op"] == "F":
                size = float(op["size"])
            if op["op"] == "T" and op["text"].startswith("layer "):
                x, y, w = float(op["pt"][0]), float(op["pt"][1]), float(op["width"])
                left = x - w / 2 if op["align"] == "c" else (x - w if op["align"] == "r" else x)
                found.append((op["text"], (left, y - 0.25 * size, left + w, y + 0.8 * size)))
    return found


def dense(path: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The path's points at most 1 pt apart (a straight edge is one long Bézier segment)."""
    out = list(path[:1])
    for (ax, ay), (bx, by) in itertools.pairwise(path):
        n = max(1, int(math.hypot(bx - ax, by - ay)))
        out += [(ax + (bx - ax) * t / n, ay + (by - ay) * t / n) for t in range(1, n + 1)]
    return out


@pytest.mark.parametrize("sizes", [[2, 16, 16, 1], [3, 4, 2], [1, 5, 1]])
def test_no_edge_crosses_a_layer_caption(sizes: list[int]) -> None:
    import json

    import pygraphviz as pgv
    from viz_helpers import read_layout

    net = Network(sizes, seed=0)
    net.backprop(np.linspace(-1, 1, sizes[0]).reshape(-1, 1), np.zeros((sizes[-1], 1)))
    text = pgv.AGraph(string=draw_network(net).source).draw(format="json", prog="dot")
    captions = caption_boxes(json.loads(text))
    assert len(captions) == len(sizes)
    paths = read_layout(text).edge_paths
    for caption, (x0, y0, x1, y1) in captions:
        crossing = [p for p in paths if any(x0 - 2 < x < x1 + 2 and y0 - 2 < y < y1 + 2
                                            for x, y in dense(p))]
        assert not crossing, caption
