"""The batch-independent part of a tape, once per call: the prologue and the epilogue.

Nodes that depend on no input (an L2 term ``α Σ p²`` inside the per-example loss) are the same
for every example. The prologue computes them once per call from the scalar leaves' ``.data``
(read afresh); after a replay has summed each scalar's adjoint over the batch, the epilogue
carries those sums back to the leaves, once instead of once per example. Per level it chooses:
a group of at least ``SCALAR_WIDE`` nodes of one op (the 337 ``p*p`` of micrograd's demo) or a
sum of that many operands is one numpy call on the vector of scalars; the rest is straight-line
float code written by the rows (``replay_python.float_code``).

>>> from pathgrad.autograd import Value, sum_values
>>> from pathgrad.autograd.compiler.tape import Tape
>>> from pathgrad.autograd.compiler.trace import trace
>>> ps = [Value(float(k)) for k in range(40)]
>>> tape = Tape(trace(lambda x: x + 0.5 * sum_values([p * p for p in ps]), ps, [1.0]))
>>> prologue = ScalarReplay(tape)
>>> s, S = prologue.scalars()
>>> float(S[tape.scalar_of[tape.root - 1]])    # 0.5 Σ k², k < 40
10270.0
"""

from __future__ import annotations

import re
import struct
from typing import Any

import numpy as np

from ..rules import FLOAT_MATH, ROWS
from .numpy_math import NUMPY_MATH
from .replay_numpy import _assign
from .replay_python import float_code
from .symbolic import SymMath, term
from .tape import Tape, build, chunks

__all__ = ["SCALAR_WIDE", "ScalarReplay"]

SCALAR_WIDE = 32
"""Batch-independent groups (and n-ary sums) this large run as numpy; smaller ones as floats."""


class _Vector:
    """Names for blocks of ``S`` and ``GS`` in the generated code: a view made once where the
    positions are consecutive, else a gather with an index array (``S[K3]``)."""

    def __init__(self, S: np.ndarray, GS: np.ndarray, names: dict[str, Any]) -> None:
        self.S, self.GS, self.names = S, GS, names

    def const(self, value: Any) -> str:
        name = f"K{len(self.names)}"
        self.names[name] = value
        return name

    def block(self, idx: list[int], adjoint: bool = False) -> str:
        vector, name = (self.GS, "GS") if adjoint else (self.S, "S")
        if idx == list(range(idx[0], idx[0] + len(idx))):
            return self.const(vector[idx[0] : idx[0] + len(idx)])
        return f"{name}[{self.const(np.asarray(idx, dtype=np.intp))}]"


def _lvalue(name: str) -> str:
    """A block as an assignment target: a view's elements (``K3[...]``), not the name."""
    return name if "[" in name else f"{name}[...]"


def _group_code(t: Tape, members: list[int], vec: _Vector) -> tuple[str, list[str]]:
    """k batch-independent nodes of one op and arity at one level, as one numpy statement on
    blocks of ``S``, and their adjoints' statements (each operand ``+= ḡ · rate``)."""
    first = members[0]
    rule = ROWS[t.ops[first]]
    m = SymMath()
    arity = len(t.parents[first])
    slots = [[t.scalar_of[t.parents[i][j]] for i in members] for j in range(arity)]
    args: list[Any] = [m.sym(vec.block(r)) for r in slots]
    if t.consts[first] is not None:
        args.append(m.sym(vec.const(np.asarray([t.consts[i] for i in members], dtype=float))))
    out = [t.scalar_of[i] for i in members]
    forward = _assign(vec.block(out), rule.forward(m, *args))
    g = vec.block(out, adjoint=True)
    backward = []
    for j, rate in enumerate(rule.partials(m, m.sym(vec.block(out)), *args)):
        if not any(t.needs_grad[t.parents[i][j]] for i in members):
            continue
        target, contribution = vec.block(slots[j], adjoint=True), term(g, rate)
        if len(set(slots[j])) == len(slots[j]):
            backward.append(f"{_lvalue(target)} += {contribution}")
        else:
            backward.append(f"np.add.at(GS, {target[3:-1]}, {contribution})")
    return forward, backward


def _sum_code(t: Tape, i: int, vec: _Vector) -> tuple[str, list[str]]:
    """One batch-independent ``sum`` or ``wsum`` with many operands, added left to right
    (``add.accumulate``, which ``cumsum`` is, runs in order: the eager engine's bits)."""
    ps = [t.scalar_of[q] for q in t.parents[i]]
    k = t.scalar_of[i]
    if t.ops[i] == "sum":
        terms = vec.block(ps)
        buffer = vec.const(np.zeros(len(ps)))
        forward = f"np.add.accumulate({terms}, out={buffer}); S[{k}] = {buffer}[-1]"
        target = vec.block(ps, adjoint=True)
        if len(set(ps)) == len(ps):
            return forward, [f"{_lvalue(target)} += GS[{k}]"]
        return forward, [f"np.add.at(GS, {vec.const(np.asarray(ps, dtype=np.intp))}, GS[{k}])"]
    n = (len(ps) - 1) // 2
    w = vec.const(np.asarray(ps[:n], dtype=np.intp))
    a = vec.const(np.asarray(ps[n : 2 * n], dtype=np.intp))
    forward = f"S[{k}] = np.cumsum(np.concatenate((S[{ps[-1]}:{ps[-1] + 1}], S[{w}] * S[{a}])))[-1]"
    return forward, [f"g = GS[{k}]; np.add.at(GS, {w}, g * S[{a}]); "
                     f"np.add.at(GS, {a}, g * S[{w}]); GS[{ps[-1]}] += g"]


def _items(t: Tape) -> list[tuple[bool, list[int]]]:
    """The prologue's items in order: (True, a wide group or one long sum) or (False, a node)."""
    items: list[tuple[bool, list[int]]] = []
    ops = t.scalar_ops
    start = 0
    while start < len(ops):
        end = start
        while end < len(ops) and t.level[ops[end]] == t.level[ops[start]]:
            end += 1
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i in ops[start:end]:
            groups.setdefault((t.ops[i], len(t.parents[i]), t.consts[i] is None), []).append(i)
        narrow = []
        for key, members in groups.items():
            if len(members) >= SCALAR_WIDE and key[0] not in ("sum", "wsum"):
                items.append((True, members))
                continue
            for i in members:
                if t.ops[i] in ("sum", "wsum") and len(t.parents[i]) >= SCALAR_WIDE:
                    items.append((True, [i]))
                else:
                    narrow.append(i)
        items.extend((False, [i]) for i in narrow)
        start = end
    return items


def _numpy_names(text: str) -> str:
    """A numpy statement's rule functions from ``NUMPY_MATH`` (the float code's ``M`` is
    ``FLOAT_MATH``)."""
    return re.sub(r"(?<![\w.])M\.", "NM.", text)


def _code(t: Tape, S: np.ndarray, GS: np.ndarray) -> tuple[list[str], list[str], dict[str, Any]]:
    """The prologue's and the epilogue's statements: numpy on blocks of ``S``/``GS`` for wide
    groups and long sums, float code (``s``, ``gs``) for the rest, in one order."""
    names: dict[str, Any] = {"M": FLOAT_MATH, "NM": NUMPY_MATH, "np": np}
    vec = _Vector(S, GS, names)
    forward: list[str] = []
    backward: list[str] = []
    for vectorised, nodes in _items(t):
        if vectorised:
            f, b = (_sum_code(t, nodes[0], vec) if len(nodes) == 1 and t.ops[nodes[0]] in
                    ("sum", "wsum") else _group_code(t, nodes, vec))
            # numpy statements see NUMPY_MATH as M, the float code FLOAT_MATH
            forward.append(_numpy_names(f))
            backward.append(_numpy_names("; ".join(b)))
        else:
            f_lines, b_lines = float_code(t, nodes, names, epilogue=True)
            forward += f_lines
            backward.append("; ".join(b_lines))
    return forward, [line for line in reversed(backward) if line], names


class ScalarReplay:
    """The prologue (``scalars``) and the epilogue (``scalar_grads``) of one tape, each one
    generated function (per 2,000 statements).

    With a numpy group among them, every scalar lives in one float64 vector and the float code
    runs on it in place (no conversions between lists and arrays); without, in a list.
    """

    def __init__(self, tape: Tape) -> None:
        self.tape = t = tape
        n = len(tape.scalar_nodes)
        self.source_parts: list[str] = []
        """The generated code, one function per chunk of 2,000 statements (``source``)."""
        self.S = np.zeros(n)
        """The scalars' values, written in place by every call (array replays keep views)."""
        self._GS = np.zeros(n + 1)  # one more, always 0.0: the adjoint of an unused parameter
        self.GS = self._GS[:n]
        """Their adjoints, summed over the batch, likewise."""
        self._leaves = slice(0, len(tape.leaf_values))
        # the leaves' numbers straight into S's memory: 2.8 µs for micrograd's 337 parameters,
        # where numpy's conversion of a list took 7 µs
        self._pack = struct.Struct(f"={len(tape.leaf_values)}d").pack_into
        self._pad = [0.0] * len(tape.scalar_ops)
        self._vectorised = False
        self._forward: list[Any] = []
        self._backward: list[Any] = []
        self.carries = bool(t.scalar_ops)
        """Whether the epilogue carries adjoints further (else the leaves' are ``GS``'s)."""
        if not t.scalar_ops:
            return
        if any(vectorised for vectorised, _ in _items(t)):
            self._vectorised = True
            fwd, bwd, names = _code(t, self.S, self.GS)
            self._forward = build(chunks(fwd), "(S, s)", names, self.source_parts)
            self._backward = build(chunks(bwd), "(S, GS, s, gs)", names, self.source_parts)
        else:
            names = {"M": FLOAT_MATH}
            fwd, bwd = float_code(t, t.scalar_ops, names, epilogue=True)
            self._forward = build(chunks(fwd), "(s)", names, self.source_parts)
            self._backward = build(chunks(bwd), "(s, gs)", names, self.source_parts)

    def scalars(self) -> tuple[list[float] | None, np.ndarray]:
        """Every scalar's value now, as a list (None where only the array was made) and the
        array ``S``: the leaves' ``.data`` (read afresh), then the batch-independent ops."""
        s = [v.data for v in self.tape.leaf_values]
        S = self.S
        if self._vectorised:
            try:
                self._pack(S, 0, *s)  # type: ignore[arg-type]
            except (struct.error, TypeError):  # not float or int: numpy's conversion says why
                S[self._leaves] = s
            for f in self._forward:
                f(S, S)
            return None, S
        if not self._forward:
            try:  # straight into S's memory, as above (S[:] = s converts the list: 7 µs)
                self._pack(S, 0, *s)  # type: ignore[arg-type]
                return s, S
            except (struct.error, TypeError):
                pass
        else:
            s += self._pad
            for f in self._forward:
                f(s)
        S[:] = s
        return s, S

    def scalar_grads(self, gs: Any, s: list[float] | None, S: np.ndarray) -> np.ndarray:
        """Carry batch-summed adjoints of the scalars back to the leaves (``s``, ``S``: what
        ``scalars`` gave); ``gs`` is ``GS`` itself or a list. The result has one more entry,
        0.0 (for parameters the graph does not use)."""
        G = self.GS
        if gs is not G:
            G[:] = gs
        if self._vectorised:
            for f in self._backward:
                f(S, G, S, G)
        elif self._backward:
            g = G.tolist()
            for f in self._backward:
                f(s, g)
            G[:] = g
        return self._GS
