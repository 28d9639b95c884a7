"""The reference interpreter of a tape: the specification every generated replay must meet.

``interpret(tape, *arrays)`` walks the tape's lists one example at a time, in node order, with
nothing but the rows on floats (``FLOAT_MATH``): forward, each node's value from its row;
backward, each node's adjoint times its row's partials added into its parents. No plan, no
groups, no generated code: slow and plain, so that the numpy, Python, JAX and PyTorch replays
(and the once-per-call scalar part) can each be tested against it.

>>> from pathgrad.autograd import Value
>>> from pathgrad.autograd.compiler.tape import Tape
>>> from pathgrad.autograd.compiler.trace import trace
>>> w = Value(2.0, label="w")
>>> tape = Tape(trace(lambda x: (w * x).relu(), [w], [3.0]))
>>> outputs, grads = interpret(tape, [3.0, -1.0])
>>> outputs, grads                        # relu(2x) per example; Σ over the batch of ∂/∂w
([6.0, 0.0], [3.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..rules import FLOAT_MATH, ROWS
from .tape import Tape

__all__ = ["interpret"]


def interpret(tape: Tape, *arrays: Sequence[float]) -> tuple[list[float], list[float]]:
    """Per-example outputs and, per scalar leaf (``tape.leaf_values``, read afresh), the sum
    over the batch of the output's derivative towards it."""
    leaves = {i: v.data for i, v in zip(tape.scalar_nodes, tape.leaf_values)}
    outputs: list[float] = []
    totals = [0.0] * len(tape.leaf_values)
    for b in range(len(arrays[0]) if arrays else 1):
        values = _forward(tape, leaves, [float(a[b]) for a in arrays])
        outputs.append(values[tape.root])
        adjoints = _backward(tape, values)
        for k, i in enumerate(tape.scalar_nodes[: len(totals)]):
            totals[k] += adjoints[i]
    return outputs, totals


def _args(tape: Tape, i: int, values: list[float]) -> list[Any]:
    args: list[Any] = [values[p] for p in tape.parents[i]]
    if tape.consts[i] is not None:
        args.append(tape.consts[i])
    return args


def _forward(tape: Tape, leaves: dict[int, float], example: list[float]) -> list[float]:
    values = [0.0] * tape.n
    for i in range(tape.n):
        if tape.input_of[i] >= 0:
            values[i] = example[tape.input_of[i]]
        elif not tape.parents[i]:
            values[i] = leaves[i]
        else:
            values[i] = ROWS[tape.ops[i]].forward(FLOAT_MATH, *_args(tape, i, values))
    return values


def _backward(tape: Tape, values: list[float]) -> list[float]:
    adjoints = [0.0] * tape.n
    adjoints[tape.root] = 1.0
    for i in range(tape.root, -1, -1):
        g = adjoints[i]
        if not tape.parents[i]:
            continue
        rates = ROWS[tape.ops[i]].partials(FLOAT_MATH, values[i], *_args(tape, i, values))
        for p, rate in zip(tape.parents[i], rates):
            adjoints[p] += g * rate
    return adjoints
