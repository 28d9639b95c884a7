"""The playground's training step as JavaScript, generated from a compiled tape and the rows.

``autograd.compile`` lowers one example's graph to a tape and plans it
(``autograd.compiler.tape.plan``): per level, the batch-dependent nodes grouped by op, an MLP
layer of ``wsum`` neurons one matrix product over the batch. ``step_source(tape)`` writes that
same plan as JavaScript over ``Float64Array`` buffers: ``V`` (a row of ``B`` values per
batch-dependent node), ``G`` (their adjoints), ``S`` (the scalars: parameters, constants, and
the nodes that depend on no input) and ``GS`` (their adjoints, summed over the batch). A layer
is three nested loops (each output starts at its bias and adds ``w·a`` in the row's own order,
so the forward pass has the eager engine's bits); every other group is one loop over its
members and the batch, its body written by the row itself through ``viz.javascript.row_code``.
Nothing in the page restates an op.

>>> from pathgrad.autograd import Value
>>> from pathgrad.autograd.compiler.tape import Tape
>>> from pathgrad.autograd.compiler.trace import trace
>>> w = Value(2.0)
>>> code = step_source(Tape(trace(lambda x: (w * x).relu(), [w], [3.0])))
>>> "function forward(V, S, B)" in code.source, code.n_rows   # rows: x, w·x, relu
(True, 3)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pathgrad.autograd.compiler.tape import Group, Tape, plan
from pathgrad.autograd.rules import ROWS

from .javascript import literal, row_code

__all__ = ["StepCode", "step_source"]

_JS_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "===", "!=": "!=="}


@dataclass
class StepCode:
    """The generated source and what the page needs to run it.

    ``source`` defines ``forward(V, S, B)``, ``backward(V, G, S, GS, B)``, ``prologue(S)`` and
    ``epilogue(S, GS)``; ``row`` maps a tape node to its row of ``V`` (-1: a scalar),
    ``n_rows`` the rows, ``n_scalars`` the length of ``S``, ``input_rows`` the row of each
    input column, ``root_row`` the loss's row (or -1 when the loss reads no input).
    """

    source: str
    row: list[int]
    n_rows: int
    n_scalars: int
    input_rows: list[int]
    root_row: int
    constants: dict[str, list[float]] = field(default_factory=dict)


class _Writer:
    """Collects the generated statements and the index arrays they read."""

    def __init__(self, tape: Tape) -> None:
        self.t = tape
        self.arrays: dict[str, tuple[str, list[float]]] = {}
        self.fwd: list[str] = []
        self.bwd: list[list[str]] = []

    def array(self, values: list[Any], kind: str = "Int32Array") -> str:
        name = f"K{len(self.arrays)}"
        self.arrays[name] = (kind, [float(v) if kind == "Float64Array" else int(v)
                                    for v in values])
        return name


def _rows(t: Tape) -> tuple[list[int], int]:
    """A row per batch-dependent node: inputs first, then by level and group (plan order)."""
    row = [-1] * t.n
    n = 0
    for i in range(t.n):
        if t.input_of[i] >= 0:
            row[i], n = n, n + 1
    for level in plan(t):
        for group in level:
            for i in group.members:
                row[i], n = n, n + 1
    return row, n


def _split(t: Tape, group: Group) -> list[list[int]]:
    """A rule group cut where its members read scalars and rows at different operands."""
    parts: dict[tuple[Any, ...], list[int]] = {}
    for i in group.members:
        key = tuple(t.scalar_of[p] >= 0 for p in t.parents[i])
        parts.setdefault(key, []).append(i)
    return list(parts.values())


def _matmul_ok(t: Tape, group: Group) -> bool:
    ps = t.parents[group.members[0]]
    n = (len(ps) - 1) // 2
    return all(t.batched[p] for p in ps[n : 2 * n])


def _matmul(w: _Writer, group: Group, row: list[int]) -> None:
    """``Z = W A + b`` over the batch; backward ``W.T δ`` (BP2), ``δ Aᵀ`` (BP4), ``Σ δ`` (BP3)."""
    t, members = w.t, group.members
    ps0 = t.parents[members[0]]
    n = (len(ps0) - 1) // 2
    k = len(members)
    Z = w.array([row[i] for i in members])
    A = w.array([row[p] for p in ps0[n : 2 * n]])
    W = w.array([t.scalar_of[p] for i in members for p in t.parents[i][:n]])
    Bi = w.array([t.scalar_of[t.parents[i][-1]] for i in members])
    w.fwd.append(
        f"for (let i = 0; i < {k}; i++) {{ const z = {Z}[i] * B, bias = S[{Bi}[i]]; "
        f"for (let b = 0; b < B; b++) V[z + b] = bias; "
        f"for (let j = 0; j < {n}; j++) {{ const wj = S[{W}[i * {n} + j]], a = {A}[j] * B; "
        f"for (let b = 0; b < B; b++) V[z + b] += wj * V[a + b]; }} }}")
    if not any(t.needs_grad[i] for i in members):
        w.bwd.append([])
        return
    into_a = any(t.needs_grad[p] for p in ps0[n : 2 * n])
    inner = ("const d = G[z + b]; gw += d * V[a + b]; G[a + b] += wj * d;" if into_a
             else "gw += G[z + b] * V[a + b];")
    w.bwd.append([
        f"for (let i = 0; i < {k}; i++) {{ const z = {Z}[i] * B; let gb = 0.0; "
        f"for (let b = 0; b < B; b++) gb += G[z + b]; GS[{Bi}[i]] += gb; "
        f"for (let j = 0; j < {n}; j++) {{ const wj = S[{W}[i * {n} + j]], a = {A}[j] * B; "
        f"let gw = 0.0; for (let b = 0; b < B; b++) {{ {inner} }} GS[{W}[i * {n} + j]] += gw; }} }}"
    ])


def _rule(w: _Writer, members: list[int], row: list[int]) -> None:
    """k nodes of one op: one loop over members and batch, the body written by the row."""
    t = w.t
    first = members[0]
    rule = ROWS[t.ops[first]]
    arity = len(t.parents[first])
    k = len(members)
    has_const = t.consts[first] is not None
    out = w.array([row[i] for i in members])
    heads, reads, scalar = [f"ro = {out}[i] * B"], [], []
    for j in range(arity):
        parents = [t.parents[i][j] for i in members]
        if t.scalar_of[parents[0]] >= 0:
            idx = w.array([t.scalar_of[p] for p in parents])
            heads.append(f"q{j} = {idx}[i], s{j} = S[q{j}]")
            reads.append(f"a{j} = s{j}")
            scalar.append(j)
        else:
            idx = w.array([row[p] for p in parents])
            heads.append(f"p{j} = {idx}[i] * B")
            reads.append(f"a{j} = V[p{j} + b]")
    if has_const:
        heads.append(f"c = {w.array([t.consts[i] for i in members], 'Float64Array')}[i]")
    code = row_code(rule, [f"a{j}" for j in range(arity)], ["c"] if has_const else [])
    read = f"const {', '.join(reads)};" if reads else ""
    loop = (f"for (let i = 0; i < {k}; i++) {{ const {', '.join(heads)}; "
            "for (let b = 0; b < B; b++) { ")
    w.fwd.append(loop + f"{read} {' '.join(code.forward_statements)} "
                 f"V[ro + b] = {code.forward}; }} }}")
    if not any(t.needs_grad[i] for i in members):
        w.bwd.append([])
        return
    adds, sums = [], []
    for j, rate in enumerate(code.rates):
        if not any(t.needs_grad[t.parents[i][j]] for i in members):
            continue
        if j in scalar:
            adds.append(f"g{j} += d * {rate};")
            sums.append(j)
        else:
            adds.append(f"G[p{j} + b] += d * {rate};")
    init = "".join(f" let g{j} = 0.0;" for j in sums)
    done = " ".join(f"GS[q{j}] += g{j};" for j in sums)
    w.bwd.append([
        f"for (let i = 0; i < {k}; i++) {{ const {', '.join(heads)};{init} "
        f"for (let b = 0; b < B; b++) {{ const d = G[ro + b], o = V[ro + b]; {read} "
        f"{' '.join(code.rate_statements)} {' '.join(adds)} }} {done} }}"
    ])


def _scalar_code(t: Tape) -> tuple[list[str], list[str]]:
    """The nodes that read no input, once per step (prologue) and their adjoints (epilogue)."""
    fwd, bwd = [], []
    for i in t.scalar_ops:
        rule = ROWS[t.ops[i]]
        ps = t.parents[i]
        args = [f"S[{t.scalar_of[p]}]" for p in ps]
        c = t.consts[i]
        consts = [literal(c)] if c is not None else []
        code = row_code(rule, [f"x{k}" for k in range(len(ps))], consts, out="o")
        read = f"const {', '.join(f'x{k} = {a}' for k, a in enumerate(args))};" if args else ""
        k = t.scalar_of[i]
        fwd.append(f"{{ {read} {' '.join(code.forward_statements)} S[{k}] = {code.forward}; }}")
        adds = " ".join(f"GS[{t.scalar_of[p]}] += d * {r};" for p, r in zip(ps, code.rates)
                        if t.needs_grad[p])
        bwd.append(f"{{ const d = GS[{k}], o = S[{k}]; {read} "
                   f"{' '.join(code.rate_statements)} {adds} }}")
    return fwd, list(reversed(bwd))


def _guards(w: _Writer, row: list[int]) -> None:
    """Every comparison recorded while tracing, checked over the batch after forward."""
    t = w.t
    for j, op, left, right, outcome in t.guard_sides(literal, lambda x: f"V[{row[x]} * B + b]"):
        test = f"({left} {_JS_COMPARE[op]} {right})"
        w.fwd.append(f"for (let b = 0; b < B; b++) if ({test} !== {str(outcome).lower()}) "
                     f"throw new GuardFlip({j}, b);")


def step_source(tape: Tape) -> StepCode:
    """The tape's forward and backward over a batch as JavaScript (see the module's note)."""
    t = tape
    row, n_rows = _rows(t)
    w = _Writer(t)
    for level in plan(t):
        for group in level:
            if group.kind == "matmul" and _matmul_ok(t, group):
                _matmul(w, group, row)
            else:
                for members in _split(t, group):
                    _rule(w, members, row)
    _guards(w, row)
    prologue, epilogue = _scalar_code(t)
    root_row = row[t.root]
    backward = [line for part in reversed(w.bwd) for line in part]
    consts = "\n".join(
        f"const {name} = new {kind}({json.dumps(values)});"
        for name, (kind, values) in w.arrays.items())
    source = "\n".join([
        consts,
        "function prologue(S) {", *prologue, "}",
        "function epilogue(S, GS) {", *epilogue, "}",
        "function forward(V, S, B) {", *w.fwd, "}",
        "function backward(V, G, S, GS, B) {", *backward, "}",
    ])
    inputs = [-1] * t.n_inputs
    for i in range(t.n):
        if t.input_of[i] >= 0:
            inputs[t.input_of[i]] = row[i]
    return StepCode(source, row, n_rows, len(t.scalar_nodes), inputs, root_row)
