"""Random graphs over every rule row, as programs that can be built again at other leaf values:
the oracle for the page's engine is the Python engine on the same program.

A program is a list of steps; a step is ``("leaf", x)`` or ``(op, operands, constant)`` where
``operands`` index earlier steps. Operands of ops with a domain (log, sqrt, a power's base, a
divisor) are first made positive by a row that is (exp, σ, softplus, x² + c, |x| + c), so most
random nudges stay inside every domain; saturated tails come from steep tanh and σ.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from pathgrad.autograd import ROWS, Value, sum_values, toposort, weighted_sum

Step = tuple[Any, ...]

UNARY: dict[str, Callable[[Value, float], Value]] = {
    "neg": lambda x, c: -x, "abs": lambda x, c: abs(x), "exp": lambda x, c: x.exp(),
    "log": lambda x, c: x.log(), "sqrt": lambda x, c: x.sqrt(), "tanh": lambda x, c: x.tanh(),
    "sigmoid": lambda x, c: x.sigmoid(), "relu": lambda x, c: x.relu(),
    "softplus": lambda x, c: x.softplus(), "sin": lambda x, c: x.sin(),
    "cos": lambda x, c: x.cos(),
    "add_c": lambda x, c: x + c, "sub_c": lambda x, c: x - c, "rsub_c": lambda x, c: c - x,
    "mul_c": lambda x, c: x * c, "div_c": lambda x, c: x / c, "rdiv_c": lambda x, c: c / x,
    "pow_c": lambda x, c: x**c, "rpow_c": lambda x, c: c**x,
}
BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y, "pow": lambda x, y: x**y,
}
POSITIVE_FIRST = {"log", "sqrt", "rdiv_c", "pow_c"}  # operand 0 made positive first
POSITIVE_SECOND = {"div"}
CONSTANTS: dict[str, Callable[[random.Random], float]] = {
    "add_c": lambda r: r.uniform(-2, 2), "sub_c": lambda r: r.uniform(-2, 2),
    "rsub_c": lambda r: r.uniform(-2, 2), "mul_c": lambda r: r.choice([r.uniform(-3, 3), 30.0]),
    "div_c": lambda r: r.choice([0.5, -1.7, 3.0]), "rdiv_c": lambda r: r.uniform(0.2, 2),
    "pow_c": lambda r: r.choice([2.0, 3.0, 0.5, -1.0, 1.5, 0.0, 1.0]),
    "rpow_c": lambda r: r.choice([1.7, 0.5, 2.0]),
}
POSITIVE = [("exp", None), ("sigmoid", None), ("softplus", None), ("abs+", 0.2), ("sq+", 0.1)]


def _positive(r: random.Random, program: list[Step], j: int) -> int:
    kind, c = r.choice(POSITIVE)
    if kind == "abs+":
        program.append(("abs", [j], None))
        program.append(("add_c", [len(program) - 1], c))
    elif kind == "sq+":
        program.append(("mul", [j, j], None))
        program.append(("add_c", [len(program) - 1], c))
    else:
        program.append((kind, [j], None))
    return len(program) - 1


def random_program(r: random.Random, n_ops: int, ops: Sequence[str] | None = None) -> list[Step]:
    """A program over ``ops`` (every row by default) with 1-4 leaves, ``n_ops`` random steps,
    operands drawn from all earlier steps (shared sub-expressions, ``x*x``), a sum at the end;
    drawn again until the Python engine builds it at its own leaves without an error."""
    while True:
        program = _draw(r, n_ops, ops)
        try:
            build(program)
        except (ArithmeticError, ValueError):
            continue
        return program


def _draw(r: random.Random, n_ops: int, ops: Sequence[str] | None) -> list[Step]:
    program: list[Step] = [("leaf", r.uniform(-1.5, 1.5)) for _ in range(r.randint(1, 4))]
    names = list(ops or ROWS)
    for _ in range(n_ops):
        op = r.choice(names)
        pick = lambda: r.randrange(len(program))  # noqa: E731
        if op in ("wsum", "sum"):
            k = r.randint(1, 3)
            args = [pick() for _ in range(2 * k + 1 if op == "wsum" else k + 1)]
            program.append((op, args, None))
        elif op in BINARY:
            a, b = pick(), pick()
            if op in POSITIVE_SECOND:
                b = _positive(r, program, b)
            if op == "pow":
                a = _positive(r, program, a)
                program.append(("tanh", [b], None))
                b = len(program) - 1
            program.append((op, [a, b], None))
        else:
            a = pick()
            if op in POSITIVE_FIRST:
                a = _positive(r, program, a)
            if op in ("tanh", "sigmoid") and r.random() < 0.3:  # a saturated tail
                program.append(("mul_c", [a], 40.0))
                a = len(program) - 1
            if op == "exp":  # keep exp's of exp's finite
                program.append(("tanh", [a], None))
                a = len(program) - 1
            program.append((op, [a], CONSTANTS[op](r) if op in CONSTANTS else None))
    used = {j for step in program if step[0] != "leaf" for j in step[1]}
    sinks = [j for j in range(len(program)) if j not in used]
    program.append(("sum", [*sinks, 0], None))
    return program


def build(program: list[Step], leaves: Sequence[float] | None = None) -> list[Value]:
    """The program's Values, its leaves at ``leaves`` (the program's own where None)."""
    out: list[Value] = []
    k = 0
    for step in program:
        if step[0] == "leaf":
            x = step[1] if leaves is None else leaves[k]
            out.append(Value(x, label=f"x{k}"))
            k += 1
            continue
        op, args, c = step
        xs = [out[j] for j in args]
        if op == "sum":
            out.append(sum_values(xs))
        elif op == "wsum":
            n = (len(xs) - 1) // 2
            out.append(weighted_sum(xs[:n], xs[n:2 * n], xs[-1]))
        elif op in BINARY:
            out.append(BINARY[op](xs[0], xs[1]))
        else:
            out.append(UNARY[op](xs[0], c))
    return out


def leaf_values(program: list[Step]) -> list[float]:
    return [step[1] for step in program if step[0] == "leaf"]


def python_nodes(program: list[Step], leaves: Sequence[float]) -> list[tuple[float, float]]:
    """(data, grad) of every node of the built graph in the engine's order, after backward()."""
    values = build(program, leaves)
    root = values[-1]
    root.backward()
    return [(v.data, v.grad) for v in toposort(root)]


def close(a: float, b: float, scale: float, rel: float = 1e-12) -> bool:
    """a and b agree to ``rel`` relative to the larger of them and ``scale`` (the size of
    the numbers that were added to make them: a difference of two near-equal values keeps
    only their absolute error)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rel * max(abs(a), abs(b), scale)
