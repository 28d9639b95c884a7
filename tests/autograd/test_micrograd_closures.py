"""micrograd's way of writing an op on pathgrad's ``Value``: ``Value(data, (children...), 'op')``
and a ``_backward`` closure, as the lecture writes ``tanh`` and ``exp``; and micrograd's ``_prev``.

Oracles: PyTorch float64 (skipped without it), micrograd 0.1.0 itself, and the lecture's own
``draw_dot``, copied here as written.
"""

from __future__ import annotations

import copy
import math
import pickle

import pytest

from pathgrad.autograd import Value, compile, count_paths, grad, paths


# ---- the lecture's ops, as written (karpathy/nn-zero-to-hero, lectures/micrograd) ------------
def tanh(self):
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def exp(self):
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def add(self, other):
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad += 1.0 * out.grad
        other.grad += 1.0 * out.grad

    out._backward = _backward
    return out


def mul(self, other):
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def _neuron(x1, x2, w1, w2, b):
    # the lecture's neuron, every op made by closure: o = tanh(x1 w1 + x2 w2 + b) · e^(x1 w1)
    n = add(add(mul(x1, w1), mul(x2, w2)), b)
    return mul(tanh(n), exp(mul(x1, w1)))


POINT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def test_closure_ops_match_pytorch_float64_and_paths_sum_to_grad() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle here")
    leaves = {k: Value(v, label=k) for k, v in POINT.items()}
    o = _neuron(*leaves.values())
    o.backward()
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in POINT.items()}
    ot = torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]) * torch.exp(t["x1"] * t["w1"])
    ot.backward()
    assert o.data == pytest.approx(ot.item(), rel=1e-14)
    for k, leaf in leaves.items():
        expected = t[k].grad.item()
        assert leaf.grad == pytest.approx(expected, rel=1e-12, abs=1e-15), k
        assert sum(p.product for p in paths(o, leaf)) == pytest.approx(expected, rel=1e-12,
                                                                          abs=1e-15), k
        assert grad(o, [leaf])[0] == pytest.approx(expected, rel=1e-12, abs=1e-15), k
    assert count_paths(o, leaves["x1"]) == 2  # through tanh, through exp (x1*w1 made twice)


def test_closure_ops_match_micrograd_itself() -> None:
    engine = pytest.importorskip("micrograd.engine")
    xs = [0.7, -1.3, 2.1]
    ours = [Value(v) for v in xs]
    theirs = [engine.Value(v) for v in xs]
    a, b, c = ours
    y = mul(add(mul(a, b), c), add(a, mul(a, c)))  # a node used three times
    A, B, C = theirs
    Y = (A * B + C) * (A + A * C)
    y.backward()
    Y.backward()
    assert y.data == Y.data
    assert [v.grad for v in ours] == pytest.approx([v.grad for v in theirs], rel=1e-15)


def test_backward_calls_each_closure_once_in_reverse_topological_order() -> None:
    calls: list[str] = []

    def traced(op, fn):
        def make(*args):
            out = fn(*args)
            inner = out._backward

            def step():
                calls.append(op)
                inner()

            out._backward = step
            return out

        return make

    x = Value(0.4, label="x")
    e = traced("exp", exp)(x)
    t = traced("tanh", tanh)(e)
    o = traced("*", mul)(t, x)
    calls.clear()  # attaching calls each closure to read its rates
    o.backward()
    assert calls == ["*", "tanh", "exp"]
    expected = math.tanh(math.exp(0.4)) + 0.4 * (1 - math.tanh(math.exp(0.4)) ** 2) * math.exp(0.4)
    assert x.grad == pytest.approx(expected, rel=1e-14)


def test_rates_are_read_from_the_closure_and_grads_left_untouched() -> None:
    x = Value(0.5, label="x")
    x.grad = 7.0
    y = tanh(x)
    assert y.local_grads == (pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-15),)
    assert (x.grad, y.grad) == (7.0, 0.0)  # the scratch calls restored both
    assert (y._op, y.op, y.parents) == ("tanh", "tanh", (x,))
    z = mul(x, x)  # one child twice: micrograd's closure adds both terms to it
    assert z.parents == (x,) and z.local_grads == (1.0,)


@pytest.mark.parametrize(
    "step, message",
    [
        (lambda s, o: setattr(s, "grad", s.grad + 2.0 * o.grad**2), "not linear in out.grad"),
        (lambda s, o: setattr(s, "grad", 2.0 * o.grad), "overwrites child 0's grad"),
        (lambda s, o: setattr(s, "grad", s.grad + 2.0 * o.grad + 1.0), "not linear in out.grad"),
        (lambda s, o: setattr(s, "grad", "two"), "must stay a number"),
        (lambda s, o: setattr(o, "grad", 0.0), "changed out.grad"),
    ],
)
def test_a_closure_that_is_not_a_chain_rule_step_is_refused(step, message) -> None:
    x = Value(1.5)
    x.grad = 3.0
    out = Value(x.data**2, (x,), "sq")
    with pytest.raises((ValueError, TypeError), match=message):
        out._backward = lambda: step(x, out)
    assert x.grad == 3.0 and out.grad == 0.0


def test_only_nodes_made_by_hand_take_a_closure_and_bad_children_are_named() -> None:
    x = Value(1.0)
    with pytest.raises(AttributeError, match="its 'mul' row"):
        (x * x)._backward = lambda: None
    with pytest.raises(AttributeError, match="it is a leaf"):
        x._backward = lambda: None
    with pytest.raises(TypeError, match=r"child 1 is not a Value: 2\.0"):
        Value(3.0, (x, 2.0), "+")
    with pytest.raises(TypeError, match="must be a function"):
        Value(3.0, (x,), "f")._backward = 3
    with pytest.raises(ValueError, match="an op needs at least one child"):
        Value(3.0, (), "+")
    assert Value(2.0, "w").label == "w"  # pathgrad's positional label still works


def test_a_node_made_by_hand_without_a_closure_passes_no_gradient_like_micrograd() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = Value(a.data + b.data, (a, b), "+")  # the lecture's first __add__, before _backward
    c.backward()
    assert (a.grad, b.grad) == (0.0, 0.0)
    assert c._prev == {a, b} and c._op == "+"


def test_compile_create_graph_copy_and_pickle_say_what_a_closure_node_cannot_do() -> None:
    w = Value(0.5)
    with pytest.raises(TypeError, match=r"compile: <lambda> makes a 'tanh' node by hand"):
        compile(lambda x: tanh(w * x), [w]).value_and_grad([1.0, 2.0])
    y = tanh(w)
    with pytest.raises(TypeError, match="create_graph"):
        grad(y, [w], create_graph=True)
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(y)
    twin = copy.deepcopy(y)
    twin.backward()
    assert w.grad == 0.0  # the copy's step does not reach the original's operands
    assert twin.parents[0].grad == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-15)


# ---- _prev: micrograd's set of operands, a number operand a leaf of its own -------------------
def test_prev_of_a_number_operand_is_a_leaf_of_its_own() -> None:
    n = Value(0.8813735870195432, label="n")
    two_n = 2 * n
    assert len(two_n._prev) == 2
    assert sorted(v.data for v in two_n._prev) == [0.8813735870195432, 2.0]
    assert two_n.parents == (n,) and two_n.local_grads == (2.0,)  # the engine's edges unchanged
    assert (n**2)._prev == {n}  # micrograd writes this number into the op: '**2'
    e = two_n.exp()
    o = (e - 1) / (e + 1)
    o.backward()
    (const,) = [v for v in two_n._prev if v is not n]
    assert const.grad == pytest.approx(n.data * two_n.grad, rel=1e-15)  # as micrograd's leaf


def trace(root):
    # the lecture's trace and draw_dot, as written (recursion included: the graph is small)
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root):
    graphviz = pytest.importorskip("graphviz")
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})  # LR = left to right
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        # for any value in the graph, create a rectangular ('record') node for it
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad),  # noqa: UP031
                 shape="record")
        if n._op:
            # if this value is a result of some operation, create an op node for it
            dot.node(name=uid + n._op, label=n._op)
            # and connect this node to it
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        # connect n1 to the op node of n2
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def test_the_lectures_draw_dot_draws_2n_with_its_constant() -> None:
    n = Value(0.8813735870195432, label="n")
    e = (2 * n).exp(); e.label = "e"  # noqa: E702
    o = (e - 1) / (e + 1); o.label = "o"  # noqa: E702
    o.backward()
    nodes, edges = trace(o)
    # micrograd's picture: n, 2, 2*n, e, 1 (in e - 1), e - 1, 1 (in e + 1), e + 1, o
    assert len(nodes) == 9 and len(edges) == 9
    src = draw_dot(o).source
    assert "{  | data 2.0000 | grad 0.2203 }" in src  # the constant 2: n · do/d(2n) = 0.8814 · 0.25
    assert "{ n | data 0.8814 | grad 0.5000 }" in src  # do/dn = 1 − o² = 0.5
    assert src.count("label=\"*\"") == 1


def test_the_lectures_draw_dot_on_ops_made_by_closure() -> None:
    leaves = {k: Value(v, label=k) for k, v in POINT.items()}
    o = _neuron(*leaves.values())
    o.label = "o"
    o.backward()
    nodes, edges = trace(o)
    assert len(nodes) == 13 and len(edges) == 14  # x1*w1 is made twice
    src = draw_dot(o).source
    assert src.count("label=tanh") == 1 and src.count("label=exp") == 1
    assert f"{{ x1 | data 2.0000 | grad {leaves['x1'].grad:.4f} }}" in src


def test_a_closure_node_named_like_a_row_is_still_not_that_row() -> None:
    # the lecture's tanh is named 'tanh': paths and pictures write it so, but compile must not
    # replay the engine's tanh row for it (the closure might compute anything)
    from pathgrad.autograd.rules import ROWS

    w = Value(0.3, label="w")
    y = tanh(w)
    assert y.op == "tanh" and y._rule is not ROWS["tanh"]
    [p] = paths(y, w)
    assert str(p).startswith("∂tanh(w)/∂w = tanh'(w)")
    v = Value(2.0, label="v")
    s = mul(add(w, v), w)
    assert s._op == "*" and s.parents[0]._op == "+"
    assert [str(q).split(" = ")[0] for q in paths(s, v)] == ["∂*(+(w, v), w)/∂v"]


def test_fused_false_neurons_draw_as_micrograds_in_the_lectures_trace() -> None:
    micrograd_nn = pytest.importorskip("micrograd.nn")
    from pathgrad.nn import MLP, Neuron

    x = [1.0, -2.0, 0.5]
    ours = trace(Neuron(3, fused=False)(x))
    theirs = trace(micrograd_nn.Neuron(3)(x))
    assert (len(ours[0]), len(ours[1])) == (len(theirs[0]), len(theirs[1])) == (14, 13)
    assert sorted(v._op for v in ours[0]) == sorted(v._op for v in theirs[0])
    assert len(trace(Neuron(3)(x))[0]) == 9  # fused: one wsum node
    # a network: the same edges; micrograd wraps each input number anew for each of 4 neurons
    net, mnet = trace(MLP(3, [4, 1], fused=False)(x)), trace(micrograd_nn.MLP(3, [4, 1])(x))
    assert len(net[1]) == len(mnet[1]) and len(mnet[0]) - len(net[0]) == 3 * 4 - 3
