"""The one graph walk: topological order with an explicit stack, never recursion.

Graphs can be a million nodes deep, so every walk in pathgrad (backward, grad, paths, viz)
goes through ``toposort``.

>>> from pathgrad.autograd import Value
>>> x = Value(1.0, label="x")
>>> y = x * x + x
>>> [n.label or n.op for n in toposort(y)]
['x', 'mul', 'add']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value

__all__ = ["ancestors", "toposort"]


def toposort(root: Value) -> list[Value]:
    """Every node ``root`` depends on, itself included, each after all of its parents.

    Depth-first post-order with a stack of bare nodes: a node is expanded the first time it
    reaches the top and emitted the second time. No tuples are pushed, so a deep graph does
    not feed the garbage collector.
    """
    if not hasattr(root, "_edges"):
        raise TypeError(f"toposort needs a Value, got {root!r} ({type(root).__name__})")
    order: list[Value] = []
    state: dict[Value, bool] = {}  # False: expanded, parents pending; True: emitted
    stack = [root]
    push, pop, get, emit = stack.append, stack.pop, state.get, order.append
    while stack:
        node = stack[-1]
        done = get(node)
        if done is None:
            state[node] = False
            edges = node._edges
            n = len(edges)
            if n == 2 or n == 3:  # the common unary node (with or without a constant)
                parent = edges[0]
                if parent not in state:
                    push(parent)
            elif n:
                # pushed last-first, so the first operand's sub-graph comes first in the order
                for parent in edges[-2::-2]:
                    if parent not in state:
                        push(parent)
        else:
            pop()
            if not done:
                state[node] = True
                emit(node)
    return order


def ancestors(root: Value) -> set[Value]:
    """The set of nodes ``root`` depends on (itself included), in no particular order."""
    seen = {root}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen
