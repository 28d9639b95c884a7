"""The graph walks: one topological order, one forward and one reverse sweep.

Graphs can be a million nodes deep, so every walk in pathgrad goes through ``toposort`` (an
explicit stack, never recursion). A node's edges are ``(parent0, rate0, parent1, rate1, ...)``:
the rate factors sit beside their parents, and nothing else is in the tuple.

"Every derivative is a sum over paths of the product of the rate factors" is one function here,
run in either direction and parameterised by how numbers combine along a path (``times``) and
across paths (``plus``): (+, ×) gives gradients, ``jvp``, ``count_paths`` and ``contributions``;
(max, + log|rate|) gives the best-path bound of ``top_paths``.

>>> from pathgrad.autograd import Value
>>> x = Value(1.0, label="x")
>>> y = x * x + x
>>> order = toposort(y)
>>> [n.label or n.op for n in order]
['x', 'mul', 'add']
>>> reverse_sweep(order, 1.0)[x]                      # dy/dx = 2x + 1: three paths
3.0
>>> reverse_sweep(order, 1, times=lambda n, rate: n)[x]  # count them
3
"""

from __future__ import annotations

import numbers
import operator
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from .modes import refused
from .rules import Rule

__all__ = ["ancestors", "forward_sweep", "reverse_sweep", "toposort"]

Combine = Callable[[Any, Any], Any]


class Node(Protocol):
    """What a walk reads of a node (``autograd.value.Value``; this module does not import it)."""

    grad: float
    label: str
    _edges: tuple[Any, ...]

    @property
    def op(self) -> str: ...


V = TypeVar("V", bound=Node)


def toposort(root: V) -> list[V]:
    """Every node ``root`` depends on, itself included, each after all of its parents.

    The post-order of a depth-first search visiting a node's parents first operand first (what
    the recursive walk gives), with an explicit stack. The walk goes straight on from a node
    into its first parent not yet emitted, leaving the node and a ``None`` marker above it on
    the stack, its other parents above the marker, last first. A popped marker means the node
    below it has all its parents emitted: it is emitted next. Per node: one set insertion, one
    lookup per parent checked, nothing allocated.
    """
    if not hasattr(root, "_edges"):
        raise TypeError(f"toposort needs a Value, got {root!r} ({type(root).__name__})")
    order: list[V] = []
    done: set[V] = set()
    stack: list[Any] = [root]  # nodes and None markers
    push, pop, emit, close = stack.append, stack.pop, order.append, done.add
    while stack:
        node = pop()
        if node is None:  # the marker: every parent of the node below it is emitted
            node = pop()
            close(node)
            emit(node)
            continue
        if node in done:  # a stale copy: pushed twice, emitted the first time
            continue
        while True:  # node is unvisited: open it and go on into its first unvisited parent
            edges = node._edges
            n = len(edges)
            if n == 4:  # binary nodes and unary ones written out: most of a graph
                if edges[2] not in done:
                    push(node)
                    push(None)
                    push(edges[2])
                    if edges[0] in done:
                        break  # the node stays open: its second parent comes up next
                    node = edges[0]
                    continue
                n = 2  # only the first parent can be left: as for a unary node
            if n == 2:
                if edges[0] not in done:
                    push(node)
                    push(None)
                    node = edges[0]
                    continue
            elif n:
                push(node)
                push(None)
                height = len(stack)
                for parent in edges[-2::-2]:  # pushed last first: the first comes up first
                    if parent not in done:
                        push(parent)
                if len(stack) > height:
                    node = pop()
                    continue
                del stack[-2:]
            close(node)  # every parent already emitted (or none): emit it now
            emit(node)
            break
    return order


def ancestors(root: V) -> set[V]:
    """The set of nodes ``root`` depends on (itself included), in no particular order."""
    seen = {root}
    stack = [root]
    while stack:
        for parent in stack.pop()._edges[0::2]:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def reverse_sweep(
    order: list[V],
    seed: Any,
    plus: Combine = operator.add,
    times: Combine = operator.mul,
    *,
    rates: Callable[[V], Sequence[Any]] | None = None,
    step: Callable[[V, dict[V, Any]], None] | None = None,
) -> dict[V, Any]:
    """For every node n of ``order`` (topological, output last): the ``plus``-sum over the paths
    from n to the output of the ``times``-product of the seed and the path's rate factors.

    ``rates(node)``: the node's edges ``(parent0, rate0, parent1, rate1, ...)`` where they are not
    the stored ones (``create_graph`` rebuilds them as Values). ``step(node, acc)``: called once
    per node the output depends on, in reverse order, right after the node has passed its terms
    on: ``acc[node]`` is its final sum, ``acc[parent]`` each parent's running one (read only).
    Nodes the output does not depend on are absent. With (+, ×) and seed 1 it is the gradient.
    """
    acc: dict[V, Any] = {order[-1]: seed}
    get = acc.get
    for node in reversed(order):
        g = get(node)
        if g is None:
            continue
        it = iter(node._edges if rates is None else rates(node))
        for parent, rate in zip(it, it):
            term = times(g, rate)
            old = get(parent)
            acc[parent] = term if old is None else plus(old, term)
        if step is not None:
            step(node, acc)
    return acc


def forward_sweep(
    order: Iterable[V],
    seeds: dict[V, Any],
    plus: Combine = operator.add,
    times: Combine = operator.mul,
    *,
    step: Callable[[V, dict[V, Any]], None] | None = None,
) -> dict[V, Any]:
    """For every node n of ``order`` (topological): the ``plus``-sum over the paths from the
    seeded nodes to n of the ``times``-product of the seed and the path's rate factors.

    ``step(node, acc)``: called for each node a seeded node reaches, in order, once
    ``acc[node]`` is final (read only). Nodes no seeded node reaches are absent. With (+, ×) and
    tangents as seeds it is ``jvp``.
    """
    acc = dict(seeds)
    get = acc.get
    for node in order:
        total = None
        it = iter(node._edges)
        for parent, rate in zip(it, it):
            v = get(parent)
            if v is not None:
                term = times(v, rate)
                total = term if total is None else plus(total, term)
        if total is not None:
            acc[node] = plus(acc[node], total) if node in acc else total
        if step is not None and node in acc:
            step(node, acc)
    return acc


def fill_grads(output: Node, gradient: float) -> None:
    """``Value.backward``: the reverse sweep with (+, ×), kept in ``.grad`` (``_accumulate``).

    Intermediate nodes get the value afresh on every call; leaves (no parents) accumulate
    (PyTorch's rule). If anything raises part-way, every ``.grad`` is as it was before.
    """
    if isinstance(gradient, bool) or not isinstance(gradient, numbers.Real):
        raise TypeError(f"backward: gradient must be a number, got {gradient!r} "
                        f"({type(gradient).__name__})")
    try:
        gradient = float(gradient)
    except OverflowError:
        raise OverflowError("backward: gradient is an int too large for a float") from None
    if refused(gradient):
        raise ValueError(f"backward: gradient must be finite, got {gradient!r}")
    order = toposort(output)
    with _BACKWARD_LOCK:
        _accumulate(order, output, gradient)


_BACKWARD_LOCK = threading.Lock()
"""One backward pass at a time: a pass zeroes and restores ``.grad`` of the nodes it reaches,
so two threads sharing a leaf would otherwise lose each other's updates (PyTorch locks too)."""


CLOSURE_STEPS = [False]
"""True once a micrograd ``_backward`` closure was attached (``autograd.closure``): from then on
backward looks for nodes whose step is a closure and calls it (before, it never pays for that)."""


def _accumulate(order: list[V], output: Node, gradient: float) -> None:
    """``reverse_sweep(order, gradient)`` with the sums kept in ``.grad``: afresh for
    intermediate nodes, added for leaves (PyTorch's rule, so summing losses over a mini-batch
    works); all or nothing: if anything raises part-way, every ``.grad`` is as it was."""
    saved = [node.grad for node in order]
    steps = _closure_steps(order) if CLOSURE_STEPS[0] else None
    try:
        for node in order:
            node.grad = 0.0
        output.grad = float(gradient)
        if steps:
            _propagate_with_steps(order, steps)
            for node, before in zip(order, saved):
                if not node._edges:
                    _add_to_leaf(node, before)
        else:
            _propagate(order, saved)
    except BaseException:
        for node, before in zip(order, saved):
            node.grad = before
        raise


def _add_to_leaf(leaf: Node, before: float) -> None:
    """Leaves accumulate: this call's whole gradient is added to what the leaf held before.
    Every node has a path to a leaf, so an overflow anywhere shows at some leaf."""
    leaf.grad += before
    if refused(leaf.grad):
        raise overflow_error("backward", leaf)


def _closure_steps(order: list[V]) -> dict[V, Callable[[], None]]:
    steps = {}
    for node in order:
        rule = getattr(node, "_rule", None)
        if rule is not None and type(rule) is not Rule:  # a row's rule has no step: skip fast
            step = getattr(rule, "step", None)
            if step is not None and node._edges:
                steps[node] = step
    return steps


def _propagate_with_steps(order: list[V], steps: dict[V, Callable[[], None]]) -> None:
    """The reverse sweep calling each micrograd closure where a node has one, as micrograd."""
    for node in reversed(order):
        step = steps.get(node)
        if step is not None:
            step()
            continue
        g = node.grad
        it = iter(node._edges)
        for parent, rate in zip(it, it):
            parent.grad += g * rate


def _propagate(order: list[V], saved: list[float]) -> None:
    """The reverse sweep on ``.grad`` (zeroed, the output's seeded): each parent += grad × rate;
    a leaf's sum is complete when the sweep reaches it, and its ``saved`` grad is added then.

    The engine's special-cased sweep: + and × written out, the sums in the nodes' slots instead
    of a dict, and a node whose grad is 0 skipped. On micrograd's demo step (benchmarks.ab,
    "demo step, eager", a 7,679-node graph) it takes 17-21 ms where ``reverse_sweep`` takes
    50-56 ms: a fifth of the step. ``test_backward.py::test_grad_is_pure_and_equals_backward``
    pins the two equal.
    """
    for node, before in zip(reversed(order), reversed(saved)):
        edges = node._edges
        n = len(edges)
        if n == 2:  # unary and binary nodes without an iterator: most of a graph
            edges[0].grad += node.grad * edges[1]
        elif n == 4:
            g = node.grad
            edges[0].grad += g * edges[1]
            edges[2].grad += g * edges[3]
        elif n:
            g = node.grad
            if g == 0.0:
                # g·rate is ±0 for every finite rate, and adding ±0 to a parent's sum
                # (which starts at +0) changes nothing: skip the node. Cheap, and it is
                # common: a relu or hinge that is off zeroes a whole wsum node below it.
                total = sum(edges[1::2])
                if total - total == 0.0:  # every rate finite (an inf or nan shows here)
                    continue
            it = iter(edges)
            for parent, rate in zip(it, it):
                parent.grad += g * rate
        else:
            _add_to_leaf(node, before)


def overflow_error(where: str, node: Node) -> OverflowError:
    """The error for a gradient that overflowed a float at ``node``."""
    name = repr(node.label) if node.label else f"a {node.op or 'leaf'} node"
    return OverflowError(
        f"{where}: the gradient at {name} is {node.grad if where == 'backward' else 'not finite'}"
        " — a product of rate factors overflowed a float; use pathgrad.autograd.ieee() for "
        "IEEE inf/nan"
    )
