"""toposort's order is the depth-first post-order (parents first operand first), as networkx's
``dfs_postorder_nodes`` gives it, on random DAGs with unary, binary and many-operand nodes,
shared operands and one operand used twice, on a deep chain and on a wide shared DAG."""

from __future__ import annotations

import random
from typing import Any

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.autograd import Value, sum_values, weighted_sum
from pathgrad.autograd.graph import toposort


def networkx_order(root: Value) -> list[Value]:
    """The post-order of a DFS from ``root`` over edges node -> parent, in operand order."""
    g = nx.DiGraph()
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        g.add_node(node)
        for parent in node.parents:  # a node's edges added together: its adjacency keeps order
            g.add_edge(node, parent)
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return list(nx.dfs_postorder_nodes(g, source=root))


def build(steps: list[tuple[int, list[int]]], n_leaves: int) -> Value:
    """Leaves, then one node per step from earlier nodes (picked by index, repeats allowed)."""
    nodes: list[Any] = [Value(0.1 * (i + 1), label=f"x{i}") for i in range(n_leaves)]
    for kind, picks in steps:
        a = [nodes[i % len(nodes)] for i in picks]
        if kind == 0:
            node = a[0].tanh()
        elif kind == 1:
            node = a[0] * 0.5 + 1.0
        elif kind == 2:
            node = a[0] * a[1]
        elif kind == 3:
            node = a[0] + a[1]
        elif kind == 4:
            node = sum_values(a)
        else:
            k = len(a) // 2
            node = weighted_sum(a[:k], a[k : 2 * k], a[-1])
        nodes.append(node)
    return nodes[-1]


step = st.tuples(st.integers(0, 5), st.lists(st.integers(0, 10_000), min_size=2, max_size=7))


@settings(max_examples=150, deadline=None)
@given(st.lists(step, min_size=1, max_size=40), st.integers(1, 5))
def test_toposort_is_the_dfs_postorder_of_networkx(steps: list[Any], n_leaves: int) -> None:
    out = build(steps, n_leaves)
    assert toposort(out) == networkx_order(out)


def test_toposort_of_a_leaf_and_of_an_op_on_one_node_twice() -> None:
    x = Value(2.0)
    assert toposort(x) == [x]
    y = x * x
    z = y + x
    assert toposort(z) == networkx_order(z) == [x, y, z]


def test_a_parent_reached_again_before_its_turn_comes_once_in_its_first_place() -> None:
    # d's second operand y is pushed, then reached first as x's parent: y, x, d
    y = Value(1.0, label="y")
    x = y.tanh()
    d = x * y
    assert toposort(d) == [y, x, d]
    s = sum_values([x, y, x, d])
    assert toposort(s) == networkx_order(s) == [y, x, d, s]


def test_a_deep_chain_and_a_wide_shared_dag_agree_with_networkx() -> None:
    w, y = Value(0.999), Value(0.5)
    for _ in range(20_000):  # far beyond the recursion limit
        y = (y * w + 0.001).relu()
    assert toposort(y) == networkx_order(y)
    rng = random.Random(0)
    level = [Value(rng.uniform(-1, 1)) for _ in range(200)]
    for _ in range(20):
        level = [level[rng.randrange(200)] * level[rng.randrange(200)] if j % 2 else
                 (level[rng.randrange(200)] + level[rng.randrange(200)]) * 0.5
                 for j in range(200)]
    out = sum_values(level[:100]) + level[150]
    assert toposort(out) == networkx_order(out)
