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
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import accumulate, chain
from typing import Any, Protocol, TypeVar

from .modes import ieee_on
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

    Depth-first post-order with a stack of bare nodes: a node is expanded the first time it
    reaches the top and emitted the second time. No tuples are pushed, so a deep graph does
    not feed the garbage collector.
    """
    if not hasattr(root, "_edges"):
        raise TypeError(f"toposort needs a Value, got {root!r} ({type(root).__name__})")
    order: list[V] = []
    state: dict[V, bool] = {}  # False: expanded, parents pending; True: emitted
    stack = [root]
    push, pop, get, emit = stack.append, stack.pop, state.get, order.append
    while stack:
        node = stack[-1]
        done = get(node)
        if done is None:
            state[node] = False
            edges = node._edges
            if len(edges) == 2:  # the common unary node: no slice
                parent = edges[0]
                if parent not in state:
                    push(parent)
            else:
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
    order: list[V], seed: Any, plus: Combine = operator.add, times: Combine = operator.mul
) -> dict[V, Any]:
    """For every node n of ``order`` (topological, output last): the ``plus``-sum over the paths
    from n to the output of the ``times``-product of the seed and the path's rate factors.

    Nodes the output does not depend on are absent. With (+, ×) and seed 1 it is the gradient.
    """
    acc: dict[V, Any] = {order[-1]: seed}
    get = acc.get
    if plus is operator.add and times is operator.mul:  # the gradient: written out, it is 2x
        for node in reversed(order):
            g = get(node)
            if g is not None:
                it = iter(node._edges)
                for parent, rate in zip(it, it):
                    acc[parent] = get(parent, 0.0) + g * rate
        return acc
    for node in reversed(order):
        g = get(node)
        if g is None:
            continue
        it = iter(node._edges)
        for parent, rate in zip(it, it):
            term = times(g, rate)
            acc[parent] = plus(acc[parent], term) if parent in acc else term
    return acc


def forward_sweep(
    order: Iterable[V],
    seeds: dict[V, Any],
    plus: Combine = operator.add,
    times: Combine = operator.mul,
) -> dict[V, Any]:
    """For every node n of ``order`` (topological): the ``plus``-sum over the paths from the
    seeded nodes to n of the ``times``-product of the seed and the path's rate factors.

    Nodes no seeded node reaches are absent. With (+, ×) and tangents as seeds it is ``jvp``.
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
    return acc


def fill_grads(output: Node, gradient: float) -> None:
    """``Value.backward``: the reverse sweep with (+, ×), kept in ``.grad`` (the fast path).

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
    if gradient - gradient != 0.0 and not ieee_on():
        raise ValueError(f"backward: gradient must be finite, got {gradient!r}")
    with _BACKWARD_LOCK:
        _accumulate(_backward_order(output), output, gradient)


def _backward_order(root: V) -> list[V]:
    """``toposort(root)``, replayed from the plan of an earlier graph of the same shape where
    one fits (see ``_Plan``): the same list either way."""
    key = (type(root), getattr(root, "_rule", None), len(root._edges))
    size, repeats, misses, plan = _SHAPES.get(key, (-1, 0, 0, None))
    if plan is not None:
        start = time.perf_counter()
        order = plan.replay(root)
        if order is not None:
            if plan.sort_time is not None:  # its first replay: keep it only if it saves time
                if time.perf_counter() - start > plan.sort_time:
                    _SHAPES[key] = (size, 0, _PLAN_BACKOFF, None)
                plan.sort_time = None
            return order
        misses, repeats = misses + 1, 0  # the shape changed: wait longer before a new plan
    start = time.perf_counter()
    order = toposort(root)
    sort_time = time.perf_counter() - start
    n = len(order)
    repeats = repeats + 1 if n == size else 1
    plan = None
    if repeats > 1 << min(misses, _PLAN_BACKOFF) and n >= _PLAN_MIN_NODES:
        plan = _Plan.of(order)  # the same size came twice (or more) in a row: plan it
        if plan is not None:
            plan.sort_time = sort_time
    if key not in _SHAPES and len(_SHAPES) >= _PLAN_KEYS:
        del _SHAPES[next(iter(_SHAPES))]
    _SHAPES[key] = (n, repeats, misses, plan)
    return order


_PLAN_MIN_NODES = 32  # below this a toposort is as cheap as a replay
_PLAN_MAX_EDGES = 1 << 21  # a plan holds about 8 bytes per edge and 60 per node
_PLAN_KEYS = 8
_PLAN_BACKOFF = 10  # after k misses a size must come 2**k + 1 times in a row (k <= 10)
_SHAPES: dict[tuple[Any, ...], tuple[int, int, int, _Plan | None]] = {}
"""Per kind of output node (its type, rule and number of edges): the size of the last graph
backward sorted, how many times in a row that size came, how many plans stopped fitting, and
the plan of the shape (None until a size repeats; after each miss it must repeat twice as
often, so graphs that change every step rarely pay for a plan). A plan whose first replay
took longer than the search it replaces is dropped as a miss of the longest wait: on large
graphs spread over memory the replay's passes can cost more than the search."""

_EDGES = operator.attrgetter("_edges")
_PARENTS = operator.itemgetter(slice(0, None, 2))


class _Plan:
    """How to find the topological order of a graph shaped like one already sorted.

    A training step builds a new graph of the same shape every time, so its order is
    rebuilt without a search: ``order[i] = order[j]._edges[k]``, each node's place taken from
    one of its children. Then the whole shape is checked, at C speed, before the order is
    used: no node twice, every node's number of edges, and every parent of every node, edge
    by edge, the node at the recorded position. Together they make the rebuilt list exactly
    the order ``toposort`` gives on the new graph (the same depth-first search on graphs that
    are equal up to renaming the nodes). Any mismatch, or a rebuilt entry that is not a node,
    returns None and the caller sorts afresh: a stale plan costs time, never a wrong gradient.
    The plan holds numbers only, no nodes (it keeps no graph alive).
    """

    __slots__ = ("children", "lengths", "n", "parents", "slots", "sort_time")

    def __init__(self, n: int, children: list[int], slots: list[int], lengths: list[int],
                 parents: Callable[[list[Any]], tuple[Any, ...]]) -> None:
        self.n, self.children, self.slots = n, children, slots
        self.lengths, self.parents = lengths, parents
        self.sort_time: float | None = None  # seconds toposort took, until the first replay

    @classmethod
    def of(cls, order: list[Any]) -> _Plan | None:
        """The plan of ``order`` (a ``toposort``), or None for a graph too small or too big."""
        n = len(order)
        edges = list(map(_EDGES, order))
        lengths = list(map(len, edges))
        if not 4 <= sum(lengths) <= 2 * _PLAN_MAX_EDGES:
            return None
        index = dict(zip(order, range(n)))
        positions = list(map(index.__getitem__, chain.from_iterable(map(_PARENTS, edges))))
        # each node's place comes from the child holding its last edge: a child is later in
        # the order, so rebuilding from the output down finds it already placed
        last = dict(zip(positions, range(len(positions))))
        ends = list(accumulate(m // 2 for m in lengths))
        children, slots = [], []  # for i = n-2, n-3, ..., 0 (flat lists: no garbage to scan)
        for i in range(n - 2, -1, -1):
            e = last[i]
            j = bisect_right(ends, e)
            children.append(j)
            slots.append(2 * (e - ends[j] + lengths[j] // 2))
        return cls(n, children, slots, lengths, operator.itemgetter(*positions))

    def replay(self, root: Any) -> list[Any] | None:
        """The order of ``root``'s graph if it has this plan's shape, else None."""
        n = self.n
        order = [root] * n
        try:
            for i, j, k in zip(range(n - 2, -1, -1), self.children, self.slots):
                order[i] = order[j]._edges[k]
            if len(set(order)) != n:
                return None
            edges = [node._edges for node in order]
            if list(map(len, edges)) != self.lengths:
                return None
            found = tuple(chain.from_iterable(map(_PARENTS, edges)))
        except (AttributeError, IndexError, TypeError):
            return None
        # by identity, never ==: a node type with its own __eq__ (by data, say) must not pass
        # a graph whose parents merely compare equal
        same = len(found) == len(expected := self.parents(order)) and all(
            map(operator.is_, found, expected))
        return order if same else None


_BACKWARD_LOCK = threading.Lock()
"""One backward pass at a time: a pass zeroes and restores ``.grad`` of the nodes it reaches,
so two threads sharing a leaf would otherwise lose each other's updates (PyTorch locks too)."""


CLOSURE_STEPS = [False]
"""True once a micrograd ``_backward`` closure was attached (``autograd.closure``): from then on
backward looks for nodes whose step is a closure and calls it (before, it never pays for that)."""


def _accumulate(order: list[V], output: Node, gradient: float) -> None:
    saved = [node.grad for node in order]
    steps = _closure_steps(order) if CLOSURE_STEPS[0] else None
    try:
        for node in order:
            node.grad = 0.0
        output.grad = float(gradient)
        if steps:
            _propagate_with_steps(order, steps)
        else:
            _propagate(order)
        # Leaves accumulate: this call's whole gradient is added to what they held before.
        # Every node has a path to a leaf, so an overflow anywhere shows at some leaf.
        for node, before in zip(order, saved):
            if not node._edges:
                node.grad += before
                if node.grad - node.grad != 0.0 and not ieee_on():
                    raise overflow_error("backward", node)
    except BaseException:
        for node, before in zip(order, saved):
            node.grad = before
        raise


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


def _propagate(order: list[V]) -> None:
    """The reverse sweep on ``.grad`` (zeroed, the output's seeded): each parent += grad × rate."""
    for node in reversed(order):
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


def overflow_error(where: str, node: Node) -> OverflowError:
    """The error for a gradient that overflowed a float at ``node``."""
    name = repr(node.label) if node.label else f"a {node.op or 'leaf'} node"
    return OverflowError(
        f"{where}: the gradient at {name} is {node.grad if where == 'backward' else 'not finite'}"
        " — a product of rate factors overflowed a float; use pathgrad.autograd.ieee() for "
        "IEEE inf/nan"
    )
