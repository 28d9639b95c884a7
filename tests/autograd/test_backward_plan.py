"""backward reuses the order of a graph whose shape repeats (``graph._Plan``); when the shape
changes between calls it must notice, every time: gradients against micrograd on graphs that
change shape from step to step, and the replayed order against ``toposort`` on random pairs of
graphs (the same recipe rebuilt, and one operand, op or leaf changed)."""

from __future__ import annotations

import random
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd.engine import Value as MValue

from pathgrad.autograd import Value, sum_values
from pathgrad.autograd import graph as graph_module
from pathgrad.autograd.graph import _Plan, toposort


@pytest.fixture(autouse=True)
def fresh_plans(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """No plan from another test; counts the replays that fit and those that did not."""
    monkeypatch.setattr(graph_module, "_SHAPES", {})
    # a clock that stands still: no plan is dropped for being slow (that is timed, see below)
    monkeypatch.setattr(graph_module, "time", SimpleNamespace(perf_counter=lambda: 0.0))
    counts = {"fit": 0, "refused": 0}
    replay = _Plan.replay

    def counting(self: _Plan, root: Any) -> list[Any] | None:
        order = replay(self, root)
        counts["fit" if order is not None else "refused"] += 1
        return order

    monkeypatch.setattr(_Plan, "replay", counting)
    return counts


# Blocks of three leaves a, b, c, wired differently with the same number of nodes and edges,
# so only the positions of the parents tell the shapes apart (c*c: one parent twice).
BLOCKS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "A": lambda a, b, c: (a * b) * (b * c),
    "B": lambda a, b, c: (a * b) * (a * c),
    "C": lambda a, b, c: (a * b) * (c * c),
    "D": lambda a, b, c: (b * a) * (b * c),
    "E": lambda a, b, c: (a * b + c).relu() * (a - c),  # another size
    "F": lambda a, b, c: (a * b) * (a * b),  # one node fewer: a*b made twice ...
    "G": lambda a, b, c: ((a * b) * c) * (a * b),  # ... or nested
}


def _build(kinds: list[str], xs: list[float], make: Any, total: Callable[[list[Any]], Any]
           ) -> tuple[Any, list[Any]]:
    leaves = [make(x) for x in xs]
    blocks = [BLOCKS[k](*leaves[3 * i : 3 * i + 3]) for i, k in enumerate(kinds)]
    return total(blocks), leaves


def _mg_total(blocks: list[Any]) -> Any:
    out = blocks[0]
    for b in blocks[1:]:
        out = out + b
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("backoff", [0, 10], ids=["plan_every_repeat", "backoff"])
@pytest.mark.parametrize("total", [sum_values, _mg_total], ids=["sum_node", "chain_of_adds"])
def test_gradients_equal_micrograds_when_the_shape_changes_between_steps(
    fresh_plans: dict[str, int], total: Callable[[list[Any]], Any], backoff: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(graph_module, "_PLAN_BACKOFF", backoff)
    rng = random.Random(5)
    kinds = ["A"] * 12
    for step in range(60):
        if step >= 4 and rng.random() < 0.5:  # change the wiring of one to three blocks
            for _ in range(rng.randint(1, 3)):
                kinds[rng.randrange(12)] = rng.choice(sorted(BLOCKS))
        xs = [rng.uniform(-2.0, 2.0) for _ in range(36)]
        ours, leaves = _build(kinds, xs, Value, total)
        theirs, their_leaves = _build(kinds, xs, MValue, _mg_total)
        ours.backward()
        theirs.backward()
        assert _close(ours.data, theirs.data)
        for i, (p, q) in enumerate(zip(leaves, their_leaves)):
            assert _close(p.grad, q.grad), (step, kinds, i, p.grad, q.grad)
    # both ways were taken: a plan replayed, and a plan refused a changed shape
    least = 10 if backoff == 0 else 3
    assert fresh_plans["fit"] >= least and fresh_plans["refused"] >= least, fresh_plans


def test_one_rewired_edge_is_refused_and_the_gradient_is_right(fresh_plans: dict[str, int]
                                                                ) -> None:
    xs = [0.5 + 0.1 * i for i in range(36)]
    for _ in range(3):  # the same shape three times: a plan is made and then replayed
        root, _ = _build(["A"] * 12, xs, Value, sum_values)
        root.backward()
    assert fresh_plans == {"fit": 1, "refused": 0}
    kinds = ["A"] * 11 + ["B"]  # the last block reads a where it read b: one edge moved
    root, leaves = _build(kinds, xs, Value, sum_values)
    theirs, their_leaves = _build(kinds, xs, MValue, _mg_total)
    root.backward()
    theirs.backward()
    assert fresh_plans == {"fit": 1, "refused": 1}
    assert [p.grad for p in leaves] == pytest.approx([q.grad for q in their_leaves], rel=1e-14)


def test_a_plan_slower_than_the_search_is_dropped(fresh_plans: dict[str, int],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(1000))  # each reading one second later: a search takes 1 s ...
    monkeypatch.setattr(graph_module, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    replay = _Plan.replay

    def slow(self: _Plan, root: Any) -> list[Any] | None:
        next(clock), next(clock)  # ... and a replay 3 s
        return replay(self, root)

    monkeypatch.setattr(_Plan, "replay", slow)
    xs = [0.5 + 0.1 * i for i in range(36)]
    grads = []
    for _ in range(6):
        root, leaves = _build(["A"] * 12, xs, Value, sum_values)
        root.backward()
        grads.append([p.grad for p in leaves])
    assert fresh_plans == {"fit": 1, "refused": 0}  # made on the 2nd call, tried on the 3rd only
    assert all(g == grads[0] for g in grads)


def test_a_parent_used_twice_is_not_two_nodes() -> None:
    # the plan of x*y rebuilt on z*z would list z twice, and every edge would match
    x, y, z = Value(2.0), Value(3.0), Value(5.0)
    plan = _Plan.of(toposort(x * y))
    assert plan is not None
    assert plan.replay(z * z) is None
    a, b = Value(1.0), Value(4.0)
    root = a + b  # another op with the same wiring: the same order
    assert plan.replay(root) == [a, b, root] == toposort(root)


def test_a_leaf_where_a_node_was_is_refused() -> None:
    x, y = Value(2.0), Value(3.0)
    plan = _Plan.of(toposort((x * y).relu() * y))
    assert plan is not None
    assert plan.replay((x * y) * y) is None  # shorter: the replay reads a leaf's missing edge
    assert plan.replay(x.relu().relu() * y) is None


# Random recipes: each op reads earlier nodes by index; a mutated recipe changes one operand,
# one op or adds a leaf. The replayed order is either refused or exactly toposort's.
_OPS: dict[str, tuple[int, Callable[..., Any]]] = {
    "add": (2, lambda a, b: a + b),
    "mul": (2, lambda a, b: a * b),
    "sub": (2, lambda a, b: a - b),
    "relu": (1, lambda a: a.relu()),
    "square": (1, lambda a: a**2),
    "mul_c": (1, lambda a: a * 0.5),
    "sum3": (3, lambda a, b, c: sum_values([a, b, c])),
}


@st.composite
def recipes(draw: st.DrawFn, max_leaves: int = 5, max_ops: int = 40
            ) -> tuple[int, list[tuple[str, list[int]]]]:
    n_leaves = draw(st.integers(1, max_leaves))
    steps: list[tuple[str, list[int]]] = []
    for i in range(draw(st.integers(1, max_ops))):
        name = draw(st.sampled_from(sorted(_OPS)))
        arity = _OPS[name][0]
        steps.append((name, [draw(st.integers(0, n_leaves + i - 1)) for _ in range(arity)]))
    return n_leaves, steps


def _cook(recipe: tuple[int, list[tuple[str, list[int]]]], seed: int) -> Value:
    n_leaves, steps = recipe
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1.0, 1.0)) for _ in range(n_leaves)]
    for name, idx in steps:
        nodes.append(_OPS[name][1](*(nodes[i] for i in idx)))
    return nodes[-1]


@st.composite
def mutated(draw: st.DrawFn, recipe: tuple[int, list[tuple[str, list[int]]]]
            ) -> tuple[int, list[tuple[str, list[int]]]]:
    n_leaves, steps = recipe
    steps = [(name, list(idx)) for name, idx in steps]
    kind = draw(st.sampled_from(["operand", "op", "leaf"]))
    if kind == "leaf":
        return n_leaves + 1, [(name, [i + 1 if i >= n_leaves else i for i in idx])
                              for name, idx in steps]
    k = draw(st.integers(0, len(steps) - 1))
    name, idx = steps[k]
    if kind == "operand":
        idx[draw(st.integers(0, len(idx) - 1))] = draw(st.integers(0, n_leaves + k - 1))
    else:
        same_arity = sorted(n for n, (a, _) in _OPS.items() if a == len(idx))
        name = draw(st.sampled_from(same_arity))
    steps[k] = (name, idx)
    return n_leaves, steps


_SMALL = recipes(max_leaves=3, max_ops=7)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_replayed_order_is_toposorts_or_refused(data: st.DataObject) -> None:
    recipe = data.draw(st.one_of(recipes(), _SMALL))
    first = _cook(recipe, 0)
    plan = _Plan.of(toposort(first))
    if plan is None:  # a graph with fewer than two edges has no plan
        assert len(toposort(first)) <= 2
        return
    again = _cook(recipe, 1)  # the same shape, new nodes: replayed exactly
    assert plan.replay(again) == toposort(again)
    for other_recipe in (data.draw(mutated(recipe)), data.draw(_SMALL)):
        other = _cook(other_recipe, 2)
        order = plan.replay(other)
        assert order is None or order == toposort(other)


# Pairs a random search found where every parent matches its recorded position and only the
# number of edges per node tells the shapes apart (a check that is easy to think redundant).
@pytest.mark.parametrize(("first", "second"), [
    ((1, [("square", [0]), ("sub", [1, 0]), ("square", [0]), ("add", [3, 2]), ("add", [1, 3])]),
     (3, [("sub", [1, 1]), ("sub", [3, 0]), ("mul", [4, 1]), ("mul", [0, 3])])),
    ((1, [("relu", [0]), ("mul_c", [0]), ("add", [2, 1])]),
     (2, [("square", [0]), ("add", [0, 0]), ("square", [0]), ("mul_c", [4]), ("add", [3, 2]),
          ("mul_c", [4]), ("add", [1, 3])])),
    ((3, [("sub", [2, 2]), ("square", [3]), ("sum3", [4, 2, 3]), ("sum3", [3, 2, 1])]),
     (2, [("mul", [1, 1]), ("sum3", [0, 1, 2])])),
])
def test_the_number_of_edges_per_node_is_checked(first: Any, second: Any) -> None:
    plan = _Plan.of(toposort(_cook(first, 0)))
    assert plan is not None
    other = _cook(second, 1)
    order = plan.replay(other)
    assert order is None or order == toposort(other)


class _EqualByData(Value):
    """A node type that says two nodes are equal when their data are (as numpy-like types do)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and self.data == other.data

    __hash__ = Value.__hash__


def test_a_parent_equal_by_data_but_another_node_is_refused(fresh_plans: dict[str, int]) -> None:
    # The plan places each node through its last edge; an earlier edge is only checked. A graph
    # whose earlier edge goes to another leaf with the same data must be sorted afresh: compared
    # with ==, the replay passed it, and that leaf's gradient was never computed.
    def build(first: Value, a: Value, w: Value) -> Value:
        y = first * w
        for _ in range(20):
            y = (y * w).relu()
        return y + a

    for _ in range(4):  # the same shape, again and again: a plan is made and used
        a, w = _EqualByData(0.5), _EqualByData(0.9)
        build(a, a, w).backward()
    assert fresh_plans["fit"] >= 1
    a, w, twin = _EqualByData(0.5), _EqualByData(0.9), _EqualByData(0.5)
    out = build(twin, a, w)
    out.backward()
    assert fresh_plans["refused"] == 1
    ma, mw, mtwin = MValue(0.5), MValue(0.9), MValue(0.5)
    my = mtwin * mw
    for _ in range(20):
        my = (my * mw).relu()
    (my + ma).backward()
    for ours, theirs in [(a, ma), (w, mw), (twin, mtwin)]:
        assert ours.grad == pytest.approx(theirs.grad, rel=1e-12, abs=1e-15)
