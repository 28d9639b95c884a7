"""draw_dot: the DOT text, read back by Graphviz's parser — one node per value, one op node per
computed value, one edge per operand carrying exactly that operand's local derivative."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from viz_helpers import graphs, parse, rate_of, text_of

from pathgrad.autograd import Value, toposort, weighted_sum
from pathgrad.nn.layers import MLP
from pathgrad.viz import MAX_NODES, draw_dot
from pathgrad.viz._labels import op_text
from pathgrad.viz._neurons import find_neurons
from pathgrad.viz.examples import chain_3b1b_values as chain_3b1b
from pathgrad.viz.style import rate


def check_structure(root: Value) -> None:
    order = toposort(root)
    nodes, edges, _ = parse(draw_dot(root, max_nodes=None).source)
    # a value drawn again (a shared leaf beside a far consumer, or the tail of an edge that
    # continues in the next column) is a dashed copy named after it: v3c7, v3s1
    copies = {n for n in nodes if re.fullmatch(r"v\d+(op)?[cs]\d+", n)}
    for n in copies:
        assert "dashed" in nodes[n]["label"] or nodes[n].get("shape") == "ellipse"
    for e in edges:
        if e.tail in copies:
            e.tail = re.sub(r"[cs]\d+$", "", e.tail)
    nodes = {n: a for n, a in nodes.items() if n not in copies}
    values = [n for n in nodes if not n.endswith("op")]
    ops = [n for n in nodes if n.endswith("op")]
    assert sorted(values) == sorted(f"v{i}" for i in range(len(order)))
    assert sorted(ops) == sorted(f"v{i}op" for i, v in enumerate(order) if v.op)
    operand_edges = {e.attr["id"]: e for e in edges if "id" in e.attr}
    expected = {f"e{i}_{k}" for i, v in enumerate(order) for k in range(len(v.parents))}
    assert set(operand_edges) == expected
    index = {v: i for i, v in enumerate(order)}
    for i, v in enumerate(order):
        for k, (p, r) in enumerate(zip(v.parents, v.local_grads)):
            e = operand_edges[f"e{i}_{k}"]
            assert (e.tail, e.head) == (f"v{index[p]}", f"v{i}op")
            assert rate_of(e) == r  # exact: the tooltip keeps repr(rate)
            assert text_of(e.attr["label"]) == rate(r)
            assert float(text_of(e.attr["label"])) == pytest.approx(r, rel=1e-3, abs=1e-12)
    # and each op node feeds its value: one unlabelled edge per computed value
    op_edges = [(e.tail, e.head) for e in edges if "id" not in e.attr]
    assert sorted(op_edges) == sorted((f"v{i}op", f"v{i}") for i, v in enumerate(order) if v.op)


def test_the_3b1b_chain_has_every_value_and_rate() -> None:
    c = chain_3b1b()
    check_structure(c["C"])
    source = draw_dot(c["C"]).source
    for name in ("w", "a_prev", "b", "z", "a", "y", "C"):
        assert f"<B>{name}</B>" in source
    assert f"data {c['a'].data:.4f}" in source and f"grad {c['w'].grad:.4f}" in source
    # σ's edge carries σ'(z) = a(1 − a), the square's 2(a − y): closed forms, not our rows
    a = c["a"].data
    _, edges, _ = parse(source)
    rates = sorted(rate_of(e) for e in edges if "id" in e.attr)
    assert any(r == pytest.approx(a * (1 - a), rel=1e-12) for r in rates)
    assert any(r == pytest.approx(2 * (a - 1.0), rel=1e-12) for r in rates)


def test_x_times_x_draws_two_distinct_edges() -> None:
    x = Value(3.0, label="x")
    y = x * x
    _, edges, _ = parse(draw_dot(y).source)
    into_mul = [e for e in edges if e.head == "v1op"]
    assert [(e.tail, e.attr["id"], text_of(e.attr["label"])) for e in into_mul] == [
        ("v0", "e1_0", "3"), ("v0", "e1_1", "3")]


@settings(max_examples=25, deadline=None)
@given(graphs())
def test_random_graphs_one_node_per_value_and_exact_rates(g: tuple[list[Value], Value]) -> None:
    _, root = g
    check_structure(root)


def test_op_labels_show_symbols_and_constants() -> None:
    x = Value(2.0, label="x")
    assert op_text(x * 0.999) == "× 0.999"
    assert op_text(x + 10) == "+ 10"
    assert op_text(x ** 2) == "^ 2"
    assert op_text(10 - x) == "10 −"
    assert op_text(x.sigmoid()) == "σ"
    assert op_text(x / Value(4.0)) == "÷"
    source = draw_dot((x * 0.999 + 10) ** 2).source
    for text in ("× 0.999", "+ 10", "^ 2"):
        assert f'label="{text}"' in source


def test_a_lone_leaf_and_unlabelled_values() -> None:
    nodes, edges, _ = parse(draw_dot(Value(1.5)).source)
    assert list(nodes) == ["v0"] and edges == []
    assert "data 1.5000" in nodes["v0"]["label"]


def test_labels_are_escaped_in_html() -> None:
    x = Value(1.0, label="<x & y>")
    source = draw_dot(x * 2).source
    assert "&lt;x &amp; y&gt;" in source
    parse(source)  # Graphviz accepts it


def test_a_deep_chain_draws_without_recursion() -> None:
    x = Value(0.1, label="x")
    y = x
    for _ in range(3000):
        y = y * 1.0001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        g = draw_dot(y, max_nodes=None)
    finally:
        sys.setrecursionlimit(limit)
    assert g.source.count("-> v") >= 3000


def test_over_the_size_limit_it_warns_and_suggests_grouping() -> None:
    y = Value(0.5, label="x")
    for _ in range(MAX_NODES):
        y = y.tanh()
    over = f"{MAX_NODES + 1} value nodes, over max_nodes={MAX_NODES}"
    with pytest.warns(UserWarning, match=rf'{over}.*group="neuron"'):
        g = draw_dot(y)
    nodes, edges, _ = parse(g.source)
    assert list(nodes) == ["note"] and not edges
    assert "max_nodes=None" in nodes["note"]["label"]
    drawn = parse(draw_dot(y, max_nodes=None).source)[0]
    assert {f"v{i}" for i in range(MAX_NODES + 1)} <= set(drawn)


def mlp_loss() -> tuple[MLP, Value]:
    model = MLP(2, [4, 4, 1], activation="tanh", seed=3)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    assert isinstance(out, Value)
    loss = (out - 1.0) ** 2
    loss.label = "C"
    loss.backward()
    return model, loss


def test_group_by_neuron_draws_one_box_per_neuron() -> None:
    model, loss = mlp_loss()
    order = toposort(loss)
    boxes = find_neurons(order)
    assert [b.title for b in boxes][:1] == ["neuron 2[0]"] and len(boxes) == 9
    for box, neuron in zip(boxes, [n for layer in model.layers for n in layer.neurons]):
        assert box.z is neuron.last_z and box.params == [*neuron.w, neuron.b]
        assert (box.activation is None) == (neuron.activation == "linear")
    nodes, edges, _ = parse(draw_dot(loss, group="neuron").source)
    boxes_drawn = sorted(n for n in nodes if re.fullmatch(r"n\d+", n))
    assert boxes_drawn == sorted(f"n{i}" for i in range(9))
    # inputs x0, x1 and the loss's two values stay; everything in a neuron is inside its box
    # (the output box may be drawn again, by name, where the loss's column begins)
    assert len([n for n in nodes if n.startswith("v") and not n.endswith("op")]) == 2 + 2
    into_boxes = [e for e in edges if e.head.startswith("n") and "id" in e.attr]
    assert len(into_boxes) == 2 * 4 + 4 * 4 + 4 * 1
    # each layer's boxes are chained in neuron order by invisible edges (j = 0 on top)
    order_edges = [(e.tail, e.head) for e in edges if e.attr.get("style") == "invis"]
    assert order_edges == [("n0", "n1"), ("n1", "n2"), ("n2", "n3"),
                           ("n4", "n5"), ("n5", "n6"), ("n6", "n7")]
    for e in into_boxes:  # the rate into z from input a_k is w_k: the box lists it
        assert "label" not in e.attr or e.attr["label"] == ""
    first = nodes["n0"]["label"]
    z = model.layers[0].neurons[0].last_z
    assert z is not None and f"data {z.data:.4f}" in first and f"grad {z.grad:.4f}" in first


def test_group_falls_back_to_structure_without_labels() -> None:
    w = [Value(0.5), Value(-0.25)]
    x = [Value(1.0), Value(2.0)]
    a = weighted_sum(w, x, Value(0.1)).sigmoid()
    loss = a - 1.0
    [box] = find_neurons(toposort(loss))
    assert box.title == "neuron #1" and box.activation is a and len(box.params) == 3
    nodes, _, _ = parse(draw_dot(loss, group="neuron").source)
    # box, two inputs, the loss value (its op written in its box: grouped graphs have no op
    # nodes unless asked)
    assert "n0" in nodes and len(nodes) == 1 + 2 + 1
    assert len(parse(draw_dot(loss, group="neuron", op_nodes=True).source)[0]) == 1 + 2 + 2


def test_grouped_graphs_use_the_size_limit_too() -> None:
    _, loss = mlp_loss()
    with pytest.warns(UserWarning, match="over max_nodes=5: a picture"):
        g = draw_dot(loss, group="neuron", max_nodes=5)
    assert "note" in parse(g.source)[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"root": 3.0}, TypeError, "got float"),
        ({"rankdir": "XY"}, ValueError, "rankdir must be one of"),
        ({"group": "layer"}, ValueError, "group must be None or"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be a positive int"),
        ({"digits": 0}, ValueError, "digits must be an int"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, error: type, message: str) -> None:
    args = {"root": Value(1.0), **kwargs}
    with pytest.raises(error, match=message):
        draw_dot(args.pop("root"), **args)


def test_the_engine_and_nn_do_not_import_graphviz() -> None:
    code = ("import sys, autograd, nn, nn.layers, nn.matrix; "
            "print(sorted(m for m in sys.modules if 'graphviz' in m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_op_nodes_false_puts_the_symbol_in_the_value_box(capfd: pytest.CaptureFixture) -> None:
    c = chain_3b1b()
    root = c["C"]
    order = toposort(root)
    nodes, edges, _ = parse(draw_dot(root, op_nodes=False).source)
    assert sorted(nodes) == sorted(f"v{i}" for i in range(len(order)))
    index = {v: i for i, v in enumerate(order)}
    for e in edges:  # operand edges go straight into the value, rates unchanged
        i, k = map(int, e.attr["id"][1:].split("_"))
        assert (e.tail, e.head) == (f"v{index[order[i].parents[k]]}", f"v{i}")
        assert rate_of(e) == order[i].local_grads[k]
    assert ">σ</FONT>" in nodes[f"v{index[c['a']]}"]["label"]
    from pathgrad.viz import to_svg

    to_svg(draw_dot(root, op_nodes=False))
    assert "Error" not in capfd.readouterr().err  # Graphviz accepted every HTML label


def test_the_package_docstring_gives_max_nodes_as_the_code_has_it() -> None:
    import pathgrad.viz

    doc = " ".join((pathgrad.viz.__doc__ or "").split())
    said = re.search(r"over ``max_nodes`` \(``MAX_NODES``, (\d+)\)", doc)
    assert said is not None and int(said[1]) == MAX_NODES
    assert re.findall(r"\b(\d{3})\b", doc) == [str(MAX_NODES)]  # no other size stated
