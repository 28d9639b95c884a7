"""micrograd's lecture ("The spelled-out intro to neural networks and backpropagation: building
micrograd") as tests: its cells run on pathgrad's ``Value`` with only the import changed, and give
the lecture's numbers. Oracles: the numbers printed in the lecture notebooks
(karpathy/nn-zero-to-hero, lectures/micrograd), closed forms, and PyTorch float64.
"""

from __future__ import annotations

import inspect
import itertools
import math
import pydoc
import random

import pytest

from pathgrad.autograd import Value
from pathgrad.nn import MLP

B = 6.8813735870195432  # the lecture's bias: n = 0.8813…, so o = tanh(n) = 1/√2


def _neuron() -> dict[str, Value]:
    # The lecture's cell, as written (its labels included).
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(B, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"  # noqa: E702
    x2w2 = x2 * w2; x2w2.label = "x2*w2"  # noqa: E702
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"  # noqa: E702
    n = x1w1x2w2 + b; n.label = "n"  # noqa: E702
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n)


def test_L_equals_d_times_f_with_manual_backward_steps() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b; e.label = "e"  # noqa: E702
    d = e + c; d.label = "d"  # noqa: E702
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"  # noqa: E702
    assert L.data == -8.0
    L.grad = 1.0
    L._backward()
    d._backward()
    e._backward()
    for leaf in (a, b, c, f):
        leaf._backward()  # a leaf's step does nothing, as micrograd's `lambda: None`
    got = {v.label: v.grad for v in (a, b, c, d, e, f, L)}
    assert got == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}
    # The lecture's nudge against the gradient, and the L it prints.
    a.data += 0.01 * a.grad
    b.data += 0.01 * b.grad
    c.data += 0.01 * c.grad
    f.data += 0.01 * f.grad
    e = a * b
    d = e + c
    L = d * f
    assert L.data == -7.286496  # the lecture's printed value, to the last digit
    assert (L.op, L._op, d._op, e._op) == ("mul", "*", "+", "*")
    assert L._prev == {d, f}


def test_neuron_with_tanh_manual_steps_give_the_lecture_numbers() -> None:
    v = _neuron()
    o = v["n"].tanh(); o.label = "o"  # noqa: E702
    assert o.data == pytest.approx(0.7071067811865476, abs=1e-15)
    o.grad = 1.0
    o._backward()
    v["n"]._backward()
    v["b"]._backward()
    v["x1w1x2w2"]._backward()
    v["x2w2"]._backward()
    v["x1w1"]._backward()
    assert v["n"].grad == pytest.approx(1 - o.data**2, abs=1e-15)  # do/dn = 1 − o², = 0.5
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "x1w1": 0.5, "x2w2": 0.5}
    for name, g in expected.items():
        assert v[name].grad == pytest.approx(g, abs=1e-12), name
    assert (o._op, v["n"]._op, v["x1w1"]._op) == ("tanh", "+", "*")


def test_neuron_with_the_exp_form_gives_the_same_gradients() -> None:
    v = _neuron()
    n = v["n"]
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.label = "o"
    o.backward()
    t = math.tanh(n.data)
    assert o.data == pytest.approx(t, rel=1e-15)
    dn = 1 - t * t  # the closed form of tanh'
    assert n.grad == pytest.approx(dn, rel=1e-12)
    expected = {"x1": -3.0 * dn, "w1": 2.0 * dn, "x2": 1.0 * dn, "w2": 0.0, "b": dn}
    for name, g in expected.items():
        assert v[name].grad == pytest.approx(g, rel=1e-12, abs=1e-15), name
    assert f"{v['x1'].grad:.4f} {v['w1'].grad:.4f} {v['x2'].grad:.4f}" == "-1.5000 1.0000 0.5000"
    assert e._op == "exp"


def test_a_node_used_twice_accumulates_as_the_lecture_fixes_it() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    d = a * b
    e = a + b
    f = d * e
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)


def test_the_lectures_draw_dot_reads_prev_and_op() -> None:
    graphviz = pytest.importorskip("graphviz")
    v = _neuron()
    o = v["n"].tanh(); o.label = "o"  # noqa: E702
    o.backward()
    # The lecture's trace/draw_dot, reading only _prev, _op, label, data and grad.
    nodes, edges, stack = set(), set(), [o]
    while stack:
        n = stack.pop()
        if n not in nodes:
            nodes.add(n)
            for child in n._prev:
                edges.add((child, n))
                stack.append(child)
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad),  # noqa: UP031 (the lecture's line)
                 shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    src = dot.source
    assert "{ o | data 0.7071 | grad 1.0000 }" in src
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in src
    assert "{ w2 | data 1.0000 | grad 0.0000 }" in src
    assert src.count("label=tanh") == 1 and src.count("label=\"*\"") == 2
    assert len(nodes) == 10 and len(edges) == 9


def test_comparisons_and_float_read_data() -> None:
    a, b = Value(2.0), Value(3.0)
    assert a < b and a <= b and b > a and b >= a and not (a > b)
    assert a < 2.5 and a <= 2 and a >= 2 and 2.5 > a and 1 < a  # numbers on either side
    assert sorted([b, a, Value(-1.0)])[0].data == -1.0
    assert max([a, b]) is b
    assert float(a) == 2.0 and isinstance(float(a), float)
    assert math.isclose(math.sqrt(Value(4.0)), 2.0)  # float() lets math read a Value
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Value' and 'str'"):
        a < "x"  # noqa: B015
    with pytest.raises(TypeError):
        a >= None  # type: ignore[operator]  # noqa: B015


@pytest.mark.parametrize(
    "make, symbol, op",
    [
        (lambda x, y: x + y, "+", "add"), (lambda x, y: x + 1, "+", "add_c"),
        (lambda x, y: 1 + x, "+", "add_c"), (lambda x, y: x * y, "*", "mul"),
        (lambda x, y: 2 * x, "*", "mul_c"), (lambda x, y: x**2, "**2", "pow_c"),
        (lambda x, y: x**-1, "**-1", "pow_c"), (lambda x, y: x**0.5, "**0.5", "pow_c"),
        (lambda x, y: x.relu(), "ReLU", "relu"), (lambda x, y: x.tanh(), "tanh", "tanh"),
        (lambda x, y: x.exp(), "exp", "exp"), (lambda x, y: x - y, "-", "sub"),
        (lambda x, y: x / y, "/", "div"),
    ],
)
def test_op_is_micrograds_symbol_and_the_rule_name_stays(make, symbol, op) -> None:
    x, y = Value(1.5), Value(0.5)
    v = make(x, y)
    assert (v._op, v.op) == (symbol, op)
    assert x._op == "" and x.op == ""


def test_help_shows_docstrings_for_every_operator() -> None:
    names = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
             "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__pos__", "__abs__", "__lt__",
             "__le__", "__gt__", "__ge__", "__float__", "_backward", "exp", "log", "tanh", "relu"]
    for name in names:
        assert inspect.getdoc(getattr(Value, name)), name
    text = pydoc.render_doc(Value, renderer=pydoc.plaintext)
    assert "# " not in text  # no source comment stands in for a missing docstring
    assert "rate 1 towards each operand" in text


def _torch_tanh_mlp_losses(params: list[float], xs, ys, steps: int) -> list[float]:
    torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle here")
    sizes = [3, 4, 4, 1]
    flat = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    losses = []
    for _ in range(steps):
        k, a = 0, torch.tensor(xs, dtype=torch.float64)
        for n_in, n_out in itertools.pairwise(sizes):
            # micrograd's order: per neuron, its weights then its bias
            block = flat[k : k + n_out * (n_in + 1)].reshape(n_out, n_in + 1)
            a = torch.tanh(a @ block[:, :n_in].T + block[:, n_in])
            k += n_out * (n_in + 1)
        loss = ((a[:, 0] - torch.tensor(ys, dtype=torch.float64)) ** 2).sum()
        losses.append(loss.item())
        (g,) = torch.autograd.grad(loss, flat)
        with torch.no_grad():
            flat -= 0.1 * g
    return losses


def test_the_lectures_tanh_mlp_loop_learns_the_four_examples() -> None:
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    random.seed(1)
    n = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")
    for p in n.parameters():  # the lecture draws biases from U(−1, 1) too
        p.data = random.uniform(-1, 1)
    start = [p.data for p in n.parameters()]
    losses = []
    for _ in range(20):  # the lecture's loop, as written
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.1 * losses[0]
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert [math.copysign(1.0, float(n(x))) for x in xs] == ys
    assert losses == pytest.approx(_torch_tanh_mlp_losses(start, xs, ys, 20), rel=1e-10)
