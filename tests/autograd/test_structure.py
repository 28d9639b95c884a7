"""The engine's shape: imports one way, short functions, edges that are (parent, rate) pairs."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import pathgrad.autograd
from pathgrad.autograd import Value, weighted_sum

PACKAGE = Path(pathgrad.autograd.__file__).parent
KNOWN: set[tuple[str, str]] = set()  # no cycle is known


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):  # lazy and TYPE_CHECKING ones too
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(alias.name for alias in node.names)
        graph[path.stem] = deps
    return graph


def test_autograd_modules_import_one_way() -> None:
    graph = _imports()
    pruned = {m: {d for d in deps if (m, d) not in KNOWN} for m, deps in graph.items()}
    list(graphlib.TopologicalSorter(pruned).static_order())  # raises CycleError on a cycle
    assert "value" not in graph["graph"] and "backprop" not in graph["value"]


def test_no_function_over_60_lines() -> None:
    long = []
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno >= 60:
                long.append(f"{path.name}:{node.name}")
    assert long == []


@pytest.mark.parametrize(
    "make, const",
    [
        (lambda x: x + 2.5, 2.5), (lambda x: 2.5 + x, 2.5), (lambda x: x - 2.5, 2.5),
        (lambda x: 1 - x, 1.0), (lambda x: x * 0.5, 0.5), (lambda x: x / 4, 4.0),
        (lambda x: 3 / x, 3.0), (lambda x: x**2, 2.0), (lambda x: 2**x, 2.0),
        (lambda x: x * x, None), (lambda x: x.tanh(), None), (lambda x: -x, None),
    ],
)
def test_edges_are_parent_rate_pairs_and_a_constant_has_its_own_slot(make, const) -> None:
    x = Value(1.5)
    y = make(x)
    assert len(y._edges) % 2 == 0 and all(p is x for p in y._edges[0::2])
    assert y.constant == const
    assert y.local_grads == y._edges[1::2] and y.parents == y._edges[0::2]
    z = weighted_sum([Value(1.0), Value(2.0)], [x, 3.0], Value(0.5))
    assert len(z._edges) == 2 * 5 and z.constant is None
