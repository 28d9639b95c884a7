"""Reverse mode: one sweep in reverse topological order, multiplying the stored rate factors.

Each gradient is the sum over all paths of the product of the rate factors along the path;
the sweep adds those sums up node by node (Nielsen's eq. 53, computed all at once).

>>> from pathgrad.autograd import Value, grad
>>> x = Value(3.0)
>>> y = x * x
>>> grad(y, [x])
[6.0]
>>> (dx,) = grad(y, [x], create_graph=True)
>>> grad(dx, [x])
[2.0]
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Sequence
from typing import Any

from .graph import toposort
from .modes import ieee_on, recording
from .value import VALUE_MATH, Value

__all__ = ["backward", "grad"]


def _check_output(output: Any, where: str) -> None:
    if not isinstance(output, Value):
        raise TypeError(f"{where} needs a Value output, got {output!r} ({type(output).__name__})")


def _sweep(order: list[Value], seed: float) -> dict[Value, float]:
    grads: dict[Value, float] = {order[-1]: seed}
    get = grads.get
    for node in reversed(order):
        edges = node._edges
        if edges:
            g = grads[node]
            it = iter(edges)
            for parent, rate in zip(it, it):
                grads[parent] = get(parent, 0.0) + g * rate
    return grads


def backward(output: Value, gradient: float = 1.0) -> None:
    """Set ``node.grad`` = ∂output/∂node for every node ``output`` depends on.

    Intermediate nodes get the value afresh on every call; leaves (no parents) accumulate, so
    summing losses over a mini-batch works (PyTorch's rule). If anything raises part-way (an
    interrupt), every ``.grad`` is restored to what it was before the call.
    """
    _check_output(output, "backward")
    if isinstance(gradient, bool) or not isinstance(gradient, numbers.Real):
        raise TypeError(f"backward: gradient must be a number, got {gradient!r} "
                        f"({type(gradient).__name__})")
    try:
        gradient = float(gradient)
    except OverflowError:
        raise OverflowError("backward: gradient is an int too large for a float") from None
    if gradient - gradient != 0.0 and not ieee_on():
        raise ValueError(f"backward: gradient must be finite, got {gradient!r}")
    order = toposort(output)
    with _BACKWARD_LOCK:
        _accumulate(order, output, gradient)


_BACKWARD_LOCK = threading.Lock()
"""One backward pass at a time: a pass zeroes and restores ``.grad`` of the nodes it reaches,
so two threads sharing a leaf would otherwise lose each other's updates (PyTorch locks too)."""


def _accumulate(order: list[Value], output: Value, gradient: float) -> None:
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        output.grad = float(gradient)
        for node in reversed(order):
            edges = node._edges
            n = len(edges)
            if n == 2 or n == 3:  # unary (and with a constant), binary: no iterator per node
                edges[0].grad += node.grad * edges[1]
            elif n == 4:
                g = node.grad
                edges[0].grad += g * edges[1]
                edges[2].grad += g * edges[3]
            elif n:
                g = node.grad
                it = iter(edges)
                for parent, rate in zip(it, it):
                    parent.grad += g * rate
        # Leaves accumulate: this call's whole gradient is added to what they held before.
        # Every node has a path to a leaf, so an overflow anywhere shows at some leaf.
        for node, before in zip(order, saved):
            if not node._edges:
                node.grad += before
                if node.grad - node.grad != 0.0 and not ieee_on():
                    raise _overflow_error("backward", node)
    except BaseException:
        for node, before in zip(order, saved):
            node.grad = before
        raise


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """∂output/∂input for each input, touching no ``.grad``.

    Returns floats; with ``create_graph=True`` returns Values built from the rule table, which
    can be differentiated again (second derivatives, Hessian entries). An input the output does
    not depend on gets 0.0 (``Value(0.0)`` with ``create_graph=True``).

    >>> from pathgrad.autograd import Value
    >>> x, y = Value(2.0), Value(5.0)
    >>> grad(x * x * x, [x, y])
    [12.0, 0.0]
    """
    _check_output(output, "grad")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: input {i} is not a Value: {x!r} ({type(x).__name__})")
    order = toposort(output)
    if not create_graph:
        grads = _sweep(order, 1.0)
        result = [grads.get(x, 0.0) for x in inputs]
        for x, g in zip(inputs, result):
            if g - g != 0.0 and not ieee_on():
                raise _overflow_error("grad", x)
        return result
    with recording():  # the derivative graph is the point, even inside no_grad()
        vgrads = _sweep_graph(order)
    return [vgrads[x] if x in vgrads else Value(0.0) for x in inputs]


def _overflow_error(where: str, node: Value) -> OverflowError:
    name = repr(node.label) if node.label else f"a {node.op or 'leaf'} node"
    return OverflowError(
        f"{where}: the gradient at {name} is {node.grad if where == 'backward' else 'not finite'}"
        " — a product of rate factors overflowed a float; use pathgrad.autograd.ieee() for "
        "IEEE inf/nan"
    )


def _sweep_graph(order: list[Value]) -> dict[Value, Value]:
    """The sweep with Values: each rate factor rebuilt from its rule on the parent Values."""
    grads: dict[Value, Any] = {order[-1]: Value(1.0)}
    for node in reversed(order):
        edges = node._edges
        if not edges:
            continue
        g = grads[node]
        parents = node.parents
        const = node.constant
        args: tuple[Any, ...] = parents if const is None else (*parents, const)
        rule = node._rule
        assert rule is not None  # a node with edges was made by a rule
        rates = rule.partials(VALUE_MATH, node, *args)
        for parent, rate in zip(parents, rates):
            term = g if (type(rate) is float and rate == 1.0) else g * rate
            grads[parent] = grads[parent] + term if parent in grads else term
    return grads
