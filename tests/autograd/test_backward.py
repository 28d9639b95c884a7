"""backward and grad on random DAGs against sympy; PyTorch's accumulation rule; purity of grad."""

from __future__ import annotations

import graphlib
import math

import pytest
import sympy as sp
from dag_strategies import Dag, dags
from hypothesis import given, settings

from pathgrad.autograd import Value, grad
from pathgrad.autograd.graph import ancestors, toposort


def _close(a: float, b: float, rel: float = 1e-11) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


@settings(max_examples=60, deadline=None)
@given(dags())
def test_backward_equals_sympy_on_random_dags(dag: Dag) -> None:
    dag.output.backward()
    point = dag.point()
    for leaf, sym in zip(dag.leaves, dag.symbols):
        want = float(sp.diff(dag.expr, sym).subs(point).evalf(30))
        assert _close(leaf.grad, want), (leaf.label, leaf.grad, want)


@settings(max_examples=60, deadline=None)
@given(dags())
def test_backward_twice_doubles_leaves_and_keeps_intermediates(dag: Dag) -> None:
    out = dag.output
    out.backward()
    first = {n: n.grad for n in toposort(out)}
    out.backward()
    for node, g in first.items():
        if node.parents:
            assert node.grad == g
        else:
            assert node.grad == 2 * g


@settings(max_examples=60, deadline=None)
@given(dags())
def test_grad_is_pure_and_equals_backward(dag: Dag) -> None:
    out = dag.output
    for n in toposort(out):
        n.grad = 0.125
    pure = grad(out, dag.leaves)
    assert all(n.grad == 0.125 for n in toposort(out))
    for n in toposort(out):
        n.grad = 0.0
    out.backward()
    assert pure == [leaf.grad for leaf in dag.leaves]


@settings(max_examples=40, deadline=None)
@given(dags())
def test_toposort_is_a_topological_order_of_exactly_the_ancestors(dag: Dag) -> None:
    order = toposort(dag.output)
    assert len(order) == len(set(order)) and set(order) == ancestors(dag.output)
    position = {n: i for i, n in enumerate(order)}
    for n in order:
        assert all(position[p] < position[n] for p in n.parents)
    assert order[-1] is dag.output
    # graphlib agrees that the graph is a DAG with these nodes
    sorter = graphlib.TopologicalSorter({n: set(n.parents) for n in order})
    assert set(sorter.static_order()) == set(order)


def test_shared_and_repeated_use() -> None:
    x = Value(0.7)
    assert grad(x * x, [x]) == [pytest.approx(1.4, rel=1e-15)]
    assert grad(x + x, [x]) == [2.0]
    hub = x.tanh()
    five = [hub * k for k in (1.0, 2.0, 3.0, 4.0, 5.0)]
    total = five[0] + five[1] + five[2] + five[3] + five[4]
    (g,) = grad(total, [x])
    assert g == pytest.approx(15.0 * (1 - math.tanh(0.7) ** 2), rel=1e-14)


def test_input_not_depended_on_gets_zero() -> None:
    x, unrelated = Value(1.0), Value(2.0)
    y = x * 3
    assert grad(y, [unrelated]) == [0.0]
    (z,) = grad(y, [unrelated], create_graph=True)
    assert isinstance(z, Value) and z.data == 0.0


def test_backward_accumulates_into_leaves_like_pytorch_minibatch_sum() -> None:
    w = Value(0.5)
    for x in (1.0, 2.0, 3.0):
        (w * x).backward()
    assert w.grad == 6.0


def test_backward_on_a_leaf_and_with_a_seed() -> None:
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0
    y = x * x
    y.backward(gradient=0.5)
    assert y.grad == 0.5 and x.grad == 1.0 + 3.0


def test_backward_interrupted_restores_every_grad(monkeypatch: pytest.MonkeyPatch) -> None:
    x = Value(2.0)
    y = (x * x).tanh() * x
    y.backward()
    before = {n: n.grad for n in toposort(y)}

    class Boom(float):
        def __rmul__(self, other: object) -> float:
            raise KeyboardInterrupt

    # an edge whose rate factor raises when multiplied: backward fails part-way
    mid = y.parents[0]
    mid._edges = (mid._edges[0], Boom(mid._edges[1]))
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert {n: n.grad for n in toposort(y)} == before


def test_a_node_whose_gradient_is_zero_passes_nothing_on_unless_a_rate_is_not_finite() -> None:
    # backward skips a node with gradient 0 (every product with its rates is ±0) but not when a
    # rate is inf or nan: 0·inf is nan, under ieee() as a nan gradient, outside it as an error
    import pytest

    from pathgrad.autograd import ieee, sum_values, weighted_sum

    with ieee():
        w, a, b = Value(math.inf), Value(2.0), Value(1.0)
        out = weighted_sum([w, Value(1.0)], [a, Value(3.0)], b) * 0.0
        out.backward()
    assert math.isnan(a.grad) and w.grad == 0.0 and b.grad == 0.0
    a.grad = 0.0
    with pytest.raises(OverflowError, match="gradient at a leaf node is nan"):
        out.backward()
    assert a.grad == 0.0
    # finite rates: a dead relu above a sum; every grad below it is +0.0, as without the skip
    xs = [Value(float(k) - 1.5) for k in range(4)]
    s = sum_values([x * x for x in xs])
    y = (-s).relu() + xs[0]
    y.backward()
    assert [x.grad for x in xs] == [1.0, 0.0, 0.0, 0.0]
    assert all(math.copysign(1.0, x.grad) == 1.0 for x in xs[1:]) and s.grad == 0.0
