"""Recording: run a function once on placeholder Values and keep the graph it builds.

This is the first stage of ``autograd.compile`` (trace → tape → replay). A ``Trace`` holds the
nodes in topological order (output last), the placeholders (one per positional argument) and the
parameters. ``signature`` and ``first_difference`` compare two traces node by node (op, constant,
parents, kind of leaf): a function whose Python control flow depends on the data builds another
graph for another example, and that must not be replayed.

>>> from pathgrad.autograd import Value
>>> w = Value(3.0, label="w")
>>> t = trace(lambda x: w * x + 1, [w], [2.0], ["x"])
>>> [t.describe(i) for i in range(len(t.nodes))]
["node 0 (params[0] 'w')", "node 1 (input 0 'x')", "node 2 (op '*')", "node 3 (op '+')"]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..graph import toposort
from ..modes import COMPARISONS, recording
from ..rules import ROWS
from ..value import Value

__all__ = ["Trace", "TraceMismatchError", "first_difference", "signature", "trace"]


class TraceMismatchError(ValueError):
    """``fn`` built a different graph for another example: its control flow depends on the data."""


@dataclass
class Trace:
    """One recorded run of ``fn``: its nodes in topological order (output last), its inputs.

    ``guards`` are the comparisons ``fn`` made on Values while it ran: ``(op, a, b, outcome)``
    with ``a`` and ``b`` Values or plain numbers; the replay checks each over the whole batch.
    The nodes include what the compared Values depend on; ``output`` is the result's index.
    """

    nodes: list[Value]
    inputs: list[Value]
    params: list[Value]
    guards: list[tuple[str, Any, Any, bool]] = field(default_factory=list)
    output: int = -1

    def describe(self, i: int) -> str:
        """Node ``i`` as the error messages name it: index, op, label, kind of leaf."""
        v = self.nodes[i]
        if v.op:
            return f"node {i} (op {v._op!r}{f', label {v.label!r}' if v.label else ''})"
        return f"node {i} ({self._leaf_kind(v)})"

    def _leaf_kind(self, v: Value) -> str:
        for k, x in enumerate(self.inputs):
            if v is x:
                return f"input {k} {x.label!r}"
        for k, p in enumerate(self.params):
            if v is p:
                return f"params[{k}]{f' {p.label!r}' if p.label else ''}"
        return f"constant leaf {v.data!r}{f' {v.label!r}' if v.label else ''}"


def fn_name(fn: Any) -> str:
    """How messages name a traced function."""
    return getattr(fn, "__name__", type(fn).__name__)


def trace(
    fn: Callable[..., Any], params: Sequence[Value], example: Sequence[float],
    names: Sequence[str] | None = None,
) -> Trace:
    """Run ``fn`` on one placeholder Value per number of ``example``; record the graph.

    >>> from pathgrad.autograd import Value
    >>> t = trace(lambda x: x * x, [], [3.0])
    >>> [v.op for v in t.nodes], t.nodes[-1].data
    (['', 'mul'], 9.0)
    """
    labels = list(names) if names is not None else [f"arg{k}" for k in range(len(example))]
    inputs = [Value(float(x), label=label) for x, label in zip(example, labels)]
    guards: list[tuple[str, Any, Any, bool]] = []
    token = COMPARISONS.set(lambda op, a, b, result: guards.append((op, a, b, result)))
    try:
        with recording():  # a trace under no_grad() would record nothing
            out = fn(*inputs)
    finally:
        COMPARISONS.reset(token)
    if isinstance(out, (list, tuple)) and len(out) == 1:
        out = out[0]  # a model with one output may hand back a one-element list
    if not isinstance(out, Value):
        raise TypeError(
            f"compile: {fn_name(fn)} must return one scalar Value, got {out!r} "
            f"({type(out).__name__})"
        )
    nodes = _with_guards(out, guards)
    for v in nodes:
        if v._rule is not None and v._rule is not ROWS.get(v.op):  # made by hand (micrograd)
            raise TypeError(
                f"compile: {fn_name(fn)} makes a {v._op!r} node by hand (micrograd's Value(data, "
                "children, op) with a _backward closure); compile replays rows of "
                "autograd.rules only: write the op as a row (autograd.rules.register)"
            )
    return Trace(nodes, inputs, list(params), guards,
                 next(i for i, v in enumerate(nodes) if v is out))


def _with_guards(out: Value, guards: list[tuple[str, Any, Any, bool]]) -> list[Value]:
    """The nodes ``out`` and the compared Values depend on, parents before children."""
    order = toposort(out)
    extra = [v for _, a, b, _ in guards for v in (a, b) if isinstance(v, Value)]
    if not extra:
        return order
    seen = set(order)
    before: list[Value] = []
    for v in extra:
        if v not in seen:
            for u in toposort(v):
                if u not in seen:
                    seen.add(u)
                    before.append(u)
    # before's nodes come after all their parents: those in out's graph are placed already
    return order + before


def _comparable(c: float | None) -> Any:
    return "nan" if c is not None and c != c else c  # nan == nan, for comparing signatures


def signature(t: Trace) -> list[tuple[Any, ...]]:
    """Per node: (op, constant, parent indices), or for a leaf its kind (input, param, data)."""
    index = {id(v): i for i, v in enumerate(t.nodes)}
    kinds: dict[int, tuple[Any, ...]] = {id(v): ("input", k) for k, v in enumerate(t.inputs)}
    for k, p in enumerate(t.params):
        kinds.setdefault(id(p), ("param", k))
    sig: list[tuple[Any, ...]] = []
    for v in t.nodes:
        if v._edges:
            sig.append((v.op, _comparable(v.constant), tuple(index[id(p)] for p in v.parents)))
        else:
            sig.append(kinds.get(id(v)) or ("leaf", _comparable(v.data)))
    return sig


def first_difference(a: Trace, b: Trace, sig_a: list[tuple[Any, ...]]) -> str | None:
    """Where trace ``b`` differs from ``a`` (op, constants, parents, leaf kinds), else None."""
    sig_b = signature(b)
    if sig_a == sig_b:
        return None
    for i, (u, v) in enumerate(zip(sig_a, sig_b)):
        if u == v or a.nodes[i] is b.nodes[i]:
            continue  # the same leaf object (one fn closed over) may hold new data: it is read
        if u[0] != v[0] or not a.nodes[i]._edges:
            return f"{a.describe(i)} is {b.describe(i)} there"
        if u[1] != v[1]:
            return f"{a.describe(i)} has the constant {u[1]!r} there {v[1]!r}"
        return f"{a.describe(i)} has parents {list(u[2])} there {list(v[2])}"
    if len(sig_a) != len(sig_b):
        return f"the graph has {len(sig_a)} nodes there {len(sig_b)}"
    return None
