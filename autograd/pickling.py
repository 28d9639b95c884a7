"""Copying and pickling a graph without recursion: ``copy.deepcopy`` and ``pickle`` would
recurse once per level of the graph (a chain of 10^6 nodes), so ``Value`` hands them flat
records in topological order instead. Leaves stay objects of their own, so the pickler's memo
keeps shared parameters shared. A node made by a micrograd closure cannot be pickled (its
closure cannot); ``autograd.closure`` says so by name.

>>> import pickle
>>> from pathgrad.autograd import Value
>>> x = Value(2.0, label="x")
>>> y = pickle.loads(pickle.dumps(x * x + 1.0))
>>> y.data, y.op, [p.label for p in y.parents[0].parents]
(5.0, 'add_c', ['x', 'x'])
"""

from __future__ import annotations

from typing import Any

from . import closure
from .graph import toposort
from .rules import ROWS

__all__ = ["deep_copy", "reduce"]

_new = object.__new__


def deep_copy(root: Any, memo: dict[int, Any]) -> Any:
    """``copy.deepcopy(root)``: the graph copied in topological order."""
    for node in toposort(root):
        if id(node) in memo:
            continue
        twin = _new(type(node))
        twin.data, twin.grad, twin.label = node.data, node.grad, node.label
        twin._rule, twin._const = closure.copied(node._rule), node._const
        twin._edges = tuple(memo[id(e)] if isinstance(e, type(root)) else e
                            for e in node._edges)
        memo[id(node)] = twin
    return memo[id(root)]


def reduce(v: Any) -> tuple[Any, ...]:
    """``v.__reduce__()``: a leaf as itself, a node as flat records over its graph."""
    cls = type(v)
    if not v._edges:
        return (_leaf, (cls, v.data, v.grad, v.label))
    order = toposort(v)
    closure.refuse_pickle(order)
    leaves = [n for n in order if not n._edges]
    index = {n: i for i, n in enumerate(order)}
    records = [(n.data, n.grad, n.label, n.op, tuple(index[p] for p in n.parents),
                n.local_grads, n.constant) for n in order if n._edges]
    return (_unflatten, (cls, [index[n] for n in leaves], leaves, records))


def _leaf(cls: type, data: float, grad: float, label: str) -> Any:
    v: Any = _new(cls)
    v.data, v.grad, v.label, v._edges, v._rule, v._const = data, grad, label, (), None, None
    return v


def _unflatten(cls: type, leaf_positions: list[int], leaves: list[Any],
               records: list[tuple[Any, ...]]) -> Any:
    nodes: dict[int, Any] = dict(zip(leaf_positions, leaves))
    position = 0
    for data, grad, label, op, parents, rates, const in records:
        while position in nodes:
            position += 1
        v: Any = _new(cls)
        v.data, v.grad, v.label, v._rule = data, grad, label, ROWS[op]
        edges: tuple[Any, ...] = ()
        for p, r in zip(parents, rates):
            edges += (nodes[p], r)
        v._edges, v._const = edges, const
        nodes[position] = v
    return nodes[position]
