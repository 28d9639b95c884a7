"""micrograd's way of writing an op: ``Value(data, (children...), 'op')`` and a ``_backward``.

The lecture writes each op as a node made by hand plus a closure that does the node's step of
the chain rule::

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), 'tanh')
        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

pathgrad keeps a rate factor on every edge (``paths``, pictures and the explorer read them).
The closure does not say its rates, but it is linear in ``out.grad``: it adds rate × out.grad
to each operand's grad. So the rates are read from the closure itself when it is attached: one
call with out.grad = 1 on scratch grads gives every rate at once; three more calls check that
the step really is linear (out.grad = 2 adds twice as much, out.grad = 0 adds nothing) and that
it adds to a grad rather than overwriting it (``+=``, not ``=``). A closure that fails is
refused with an error that says how. The grads are restored afterwards, so attaching changes
nothing the user can see (except that the closure ran four times).

``backward()`` then calls the closure itself, in reverse topological order, as micrograd does;
``paths``, ``grad``, ``jvp`` and the pictures use the rates read from it. Such a node has no
row in ``autograd.rules``, so ``compile`` and ``grad(..., create_graph=True)`` refuse it by
name (a row, ``rules.register``, is the way to an op they can use).

>>> import math
>>> from pathgrad.autograd import Value, paths
>>> x = Value(0.5, label="x")
>>> t = math.tanh(x.data)
>>> out = Value(t, (x,), 'tanh')
>>> def _backward():
...     x.grad += (1 - t**2) * out.grad
>>> out._backward = _backward
>>> out.local_grads == (1 - t**2,), out._op
(True, 'tanh')
>>> out.backward()
>>> x.grad == sum(p.product for p in paths(out, x))
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from . import graph
from .modes import ieee_on, recording
from .notation import notation_of
from .rules import Rule

__all__ = ["ClosureRule", "attach", "copied", "hand_made", "prev", "refuse_pickle", "step_of"]

def _no_row(op: str) -> Callable[..., Any]:
    def refuse(*args: Any) -> Any:
        raise TypeError(
            f"the node made by micrograd's Value(data, children, {op!r}) with a _backward "
            "closure has no row in autograd.rules: compile and grad(..., create_graph=True) need "
            "one (write the op as a row, autograd.rules.register, or use Value's own methods)"
        )

    return refuse


@dataclass(frozen=True)
class ClosureRule(Rule):
    """The "row" of a node made by hand, named by micrograd's op (``'tanh'``, ``'+'``; ``'?'``
    for ``''``), written as ``notation.notation_of`` writes that name: no math of its own, and
    once set, the node's closure. It is never in ``ROWS``, so nothing replays it as the row of
    the same name."""

    step: Callable[[], None] | None = None


_RULES: dict[str, ClosureRule] = {}


def _rule_for(op: str) -> ClosureRule:
    rule = _RULES.get(op)
    if rule is None:
        refuse = _no_row(op)
        rule = ClosureRule(op or "?", refuse, refuse, None)
        if len(_RULES) < 1000:  # ops are a handful of symbols; never let them pile up
            _RULES[op] = rule
    return rule


def hand_made(children: Any, op: Any, kind: type) -> tuple[tuple[Any, ...], ClosureRule | None]:
    """The edges and rule of ``Value(data, children, op)`` (``kind`` is ``Value``): each
    distinct child once, rate 0 until a ``_backward`` is attached (micrograd's default step
    does nothing).
    """
    if not isinstance(op, str):
        raise TypeError(f"Value's op must be a str such as '+' or 'tanh', got {op!r} "
                        f"({type(op).__name__})")
    if not isinstance(children, (tuple, list, set, frozenset)):
        raise TypeError(
            f"Value(data, children, op): children must be a tuple of Values, got {children!r} "
            f"({type(children).__name__}); a name goes in label='...'"
        )
    parents: list[Any] = []
    for k, c in enumerate(children):
        if not isinstance(c, kind):
            raise TypeError(f"Value(data, children, op): child {k} is not a Value: {c!r} "
                            f"({type(c).__name__})")
        if not any(c is p for p in parents):
            parents.append(c)
    if not parents:
        if op:
            raise ValueError(f"Value(data, (), {op!r}): an op needs at least one child")
        return (), None
    edges: tuple[Any, ...] = ()
    for p in parents:
        edges += (p, 0.0)
    return edges, _rule_for(op)


def _chain_step(node: Any) -> None:
    g = node.grad
    it = iter(node._edges)
    for parent, rate in zip(it, it):
        parent.grad += rate * g


def step_of(node: Any) -> Callable[[], None]:
    """micrograd's ``node._backward``: the closure attached to it, or the step from its rates."""
    step = getattr(node._rule, "step", None)
    return step if step is not None else partial(_chain_step, node)


def attach(node: Any, step: Any) -> None:
    """``node._backward = step``: keep the closure and read the node's rates from it."""
    rule = node._rule
    if not isinstance(rule, ClosureRule):
        made = f"its {node.op!r} row" if rule is not None else "nothing (it is a leaf)"
        raise AttributeError(
            f"_backward can be set only on a node made by micrograd's Value(data, children, op); "
            f"this node's rate factors come from {made}"
        )
    if not callable(step):
        raise TypeError(f"_backward must be a function of no arguments, got {step!r} "
                        f"({type(step).__name__})")
    if node._edges:
        with graph._BACKWARD_LOCK:
            rates = _read_rates(node, step, node._edges[0::2])
        edges: tuple[Any, ...] = ()
        for p, r in zip(node._edges[0::2], rates):
            edges += (p, r)
        node._edges = edges
        graph.CLOSURE_STEPS[0] = True
    node._rule = replace(rule, step=step)


def _read_rates(node: Any, step: Callable[[], None], parents: Sequence[Any]) -> list[float]:
    saved = (node.grad, [p.grad for p in parents])
    zeros = [0.0] * len(parents)
    try:
        rates = _run(node, step, parents, 1.0, zeros)
        twice = _run(node, step, parents, 2.0, zeros)
        starts = [1.0 + abs(r) for r in rates]
        added = _run(node, step, parents, 1.0, starts)
        still = _run(node, step, parents, 0.0, zeros)
    finally:
        node.grad = saved[0]
        for p, g in zip(parents, saved[1]):
            p.grad = g
    op = node._rule.name
    for k, r in enumerate(rates):
        if r - r != 0.0 and not ieee_on():
            raise OverflowError(f"the _backward closure of this {op!r} node gives child {k} the "
                                f"rate {r!r}; use pathgrad.autograd.ieee() for IEEE inf/nan")
        if not _close(twice[k], 2.0 * r) or still[k] != 0.0:
            raise ValueError(
                f"the _backward closure of this {op!r} node is not linear in out.grad: towards "
                f"child {k} it adds {r!r} with out.grad = 1, {twice[k]!r} with out.grad = 2 and "
                f"{still[k]!r} with out.grad = 0; a step of the chain rule adds "
                "rate × out.grad (self.grad += rate * out.grad)"
            )
        if not _close(added[k], starts[k] + r):
            raise ValueError(
                f"the _backward closure of this {op!r} node overwrites child {k}'s grad instead "
                f"of adding to it (from {starts[k]!r} it left {added[k]!r}, expected "
                f"{starts[k] + r!r}): write self.grad += ..., not self.grad = ..."
            )
    return rates


def _run(node: Any, step: Callable[[], None], parents: Sequence[Any], g: float,
         starts: list[float]) -> list[float]:
    for p, s in zip(parents, starts):
        p.grad = s
    node.grad = g
    step()
    got = []
    for k, p in enumerate(parents):
        v = p.grad
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"the _backward closure left child {k}'s grad as {v!r} "
                            f"({type(v).__name__}); it must stay a number")
        got.append(float(v))
    if node.grad != g:
        raise ValueError("the _backward closure changed out.grad; a step only adds to its "
                         "children's grads")
    return got


def _close(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def copied(rule: Any) -> Any:
    """The rule of a node's copy: a closure updates the original's operands, so the copy keeps
    only the rates read from it (``backward`` gives the same numbers)."""
    return replace(rule, step=None) if isinstance(rule, ClosureRule) else rule


def refuse_pickle(order: Sequence[Any]) -> None:
    """Refuse to pickle a graph with a node made by hand (a closure cannot be stored)."""
    for node in order:
        if isinstance(node._rule, ClosureRule):
            raise TypeError(f"cannot pickle a graph with a {node._op!r} node made by "
                            "Value(data, children, op): its _backward closure cannot be stored")


def prev(node: Any, kind: type) -> set[Any]:
    """micrograd's ``_prev``: the operand nodes, and a number operand as a leaf of its own
    (unless micrograd writes the number into the op, as in ``'**2'``)."""
    operands = set(node._edges[0::2])
    rule, c = node._rule, node._const
    if c is None or rule is None or "{c}" in notation_of(rule.name).micrograd or not node._edges:
        return operands
    leaf = kind(c)
    number = kind(c)  # the row's forward on a Value constant gives ∂node/∂c through the engine
    try:
        with recording():
            out = rule.forward(None, *(p.data for p in node._edges[0::2]), number)
        rate = graph.reverse_sweep(graph.toposort(out), 1.0).get(number, 0.0)
        leaf.grad = rate * node.grad
    except (ArithmeticError, ValueError, TypeError, AttributeError):
        pass  # a rate the engine cannot take here: the leaf's grad stays 0
    return operands | {leaf}
