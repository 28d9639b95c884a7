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

from collections.abc import Sequence
from typing import Any

from .graph import fill_grads, overflow_error, reverse_sweep, toposort
from .modes import ieee_on, recording
from .value import Value
from .value_math import VALUE_MATH

__all__ = ["backward", "grad"]


def _check_output(output: Any, where: str) -> None:
    if not isinstance(output, Value):
        raise TypeError(f"{where} needs a Value output, got {output!r} ({type(output).__name__})")


def backward(output: Value, gradient: float = 1.0) -> None:
    """Set ``node.grad`` = ∂output/∂node for every node ``output`` depends on.

    Intermediate nodes get the value afresh on every call; leaves (no parents) accumulate, so
    summing losses over a mini-batch works (PyTorch's rule). If anything raises part-way (an
    interrupt), every ``.grad`` is restored to what it was before the call.
    """
    _check_output(output, "backward")
    fill_grads(output, gradient)


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
        grads = reverse_sweep(order, 1.0)
        result = [grads.get(x, 0.0) for x in inputs]
        for x, g in zip(inputs, result):
            if g - g != 0.0 and not ieee_on():
                raise overflow_error("grad", x)
        return result
    with recording():  # the derivative graph is the point, even inside no_grad()
        vgrads = _sweep_graph(order)
    return [vgrads[x] if x in vgrads else Value(0.0) for x in inputs]


def _rates_as_values(node: Value) -> tuple[Any, ...]:
    """A node's edges with each rate factor rebuilt from its row on the parents (Values)."""
    rule = node._rule
    if rule is None or not node._edges:
        return ()
    parents = node.parents
    const = node._const
    rates = rule.partials(VALUE_MATH, node, *(parents if const is None else (*parents, const)))
    edges: tuple[Any, ...] = ()
    for parent, rate in zip(parents, rates):
        edges += (parent, rate)
    return edges


def _times(g: Value, rate: Any) -> Value:
    return g if type(rate) is float and rate == 1.0 else g * rate  # no node for a rate of 1


def _sweep_graph(order: list[Value]) -> dict[Value, Value]:
    """The reverse sweep with Values: each rate factor rebuilt from its row on the parents."""
    return reverse_sweep(order, Value(1.0), times=_times, rates=_rates_as_values)
