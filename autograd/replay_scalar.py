"""The batch-independent part of a tape, once per call: the prologue and the epilogue.

Nodes that depend on no input (an L2 term ``α Σ p²`` inside the per-example loss) are the same
for every example. The prologue computes them once per call from the scalar leaves' ``.data``
(read afresh); after a replay has summed each scalar's adjoint over the batch, the epilogue
carries those sums back to the leaves, once instead of once per example. Per level it chooses:
a group of at least ``SCALAR_WIDE`` nodes of one op (the 337 ``p*p`` of micrograd's demo) or a
sum of that many operands is one numpy call on the vector of scalars; the rest is straight-line
float code written by the rows (``autograd.replay_python.float_code``).

>>> from pathgrad.autograd import Value, sum_values
>>> from pathgrad.autograd.tape import Tape
>>> from pathgrad.autograd.trace import trace
>>> ps = [Value(float(k)) for k in range(40)]
>>> tape = Tape(trace(lambda x: x + 0.5 * sum_values([p * p for p in ps]), ps, [1.0]))
>>> prologue = ScalarReplay(tape)
>>> s, S = prologue.scalars()
>>> float(S[tape.scalar_of[tape.root - 1]])    # 0.5 Σ k², k < 40
10270.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .numpy_math import NUMPY_MATH
from .replay_python import float_code
from .rules import FLOAT_MATH, ROWS
from .tape import Tape, build, chunks

__all__ = ["SCALAR_WIDE", "ScalarReplay"]

SCALAR_WIDE = 32
"""Batch-independent groups (and n-ary sums) this large run as numpy; smaller ones as floats."""


def _index(rows: list[int]) -> Any:
    """A slice where ``rows`` are consecutive (a view, no gather), else an index array."""
    if rows == list(range(rows[0], rows[0] + len(rows))):
        return slice(rows[0], rows[0] + len(rows))
    return np.asarray(rows, dtype=np.intp)


class _ScalarGroup:
    """k batch-independent nodes of one op and arity at one level, on the scalar vector."""

    def __init__(self, t: Tape, members: list[int]) -> None:
        first = members[0]
        rule = ROWS[t.ops[first]]
        self.f, self.p = rule.forward, rule.partials
        arity = len(t.parents[first])
        rows = [[t.scalar_of[t.parents[i][j]] for i in members] for j in range(arity)]
        self.slots = [_index(r) for r in rows]
        self.unique = [len(set(r)) == len(r) for r in rows]
        self.wanted = [any(t.needs_grad[t.parents[i][j]] for i in members) for j in range(arity)]
        self.c = None
        if t.consts[first] is not None:
            self.c = np.asarray([t.consts[i] for i in members], dtype=float)
        a = t.scalar_of[first]
        self.out = slice(a, a + len(members))

    def _args(self, S: np.ndarray) -> list[Any]:
        args = [S[i] for i in self.slots]
        if self.c is not None:
            args.append(self.c)
        return args

    def forward(self, S: np.ndarray) -> None:
        S[self.out] = self.f(NUMPY_MATH, *self._args(S))

    def backward(self, S: np.ndarray, G: np.ndarray) -> None:
        rates = self.p(NUMPY_MATH, S[self.out], *self._args(S))
        g = G[self.out]
        for where, rate, unique, wanted in zip(self.slots, rates, self.unique, self.wanted):
            if wanted:
                if unique:
                    G[where] += g * rate
                else:
                    np.add.at(G, where, g * rate)


class _ScalarSum:
    """One batch-independent ``sum`` or ``wsum`` with many operands, added left to right
    (``cumsum`` is sequential, so the result has the eager engine's bits)."""

    def __init__(self, t: Tape, i: int) -> None:
        ps = [t.scalar_of[q] for q in t.parents[i]]
        self.i = t.scalar_of[i]
        self.wsum = t.ops[i] == "wsum"
        n = (len(ps) - 1) // 2
        self.w = np.asarray(ps[:n], dtype=np.intp)
        self.a = np.asarray(ps[n : 2 * n], dtype=np.intp)
        self.b = ps[-1]
        self.all = _index(ps)
        self.unique = len(set(ps)) == len(ps)

    def forward(self, S: np.ndarray) -> None:
        if self.wsum:
            terms = np.concatenate((S[self.b : self.b + 1], S[self.w] * S[self.a]))
        else:
            terms = S[self.all]
        S[self.i] = np.cumsum(terms)[-1]

    def backward(self, S: np.ndarray, G: np.ndarray) -> None:
        g = G[self.i]
        if self.wsum:
            np.add.at(G, self.w, g * S[self.a])
            np.add.at(G, self.a, g * S[self.w])
            G[self.b] += g
        elif self.unique:
            G[self.all] += g
        else:
            np.add.at(G, self.all, g)


def _items(t: Tape) -> list[tuple[bool, Any]]:
    """The prologue's items in order: (True, a numpy group or sum) or (False, a node)."""
    items: list[tuple[bool, Any]] = []
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
                items.append((True, _ScalarGroup(t, members)))
                continue
            for i in members:
                if t.ops[i] in ("sum", "wsum") and len(t.parents[i]) >= SCALAR_WIDE:
                    items.append((True, _ScalarSum(t, i)))
                else:
                    narrow.append(i)
        items.extend((False, i) for i in narrow)
        start = end
    return items


def _segments(t: Tape) -> list[tuple[bool, list[Any], list[Any]]]:
    """The prologue as runs of numpy items (wide groups, long sums) and of float code."""
    items = _items(t)
    segments: list[tuple[bool, list[Any], list[Any]]] = []
    k = 0
    while k < len(items):
        vectorised = items[k][0]
        run = []
        while k < len(items) and items[k][0] == vectorised:
            run.append(items[k][1])
            k += 1
        if vectorised:
            segments.append((True, [x.forward for x in run], [x.backward for x in run][::-1]))
        else:
            names: dict[str, Any] = {"M": FLOAT_MATH}
            fwd, bwd = float_code(t, run, names, epilogue=True)
            segments.append(
                (False, build(chunks(fwd), "(s)", names), build(chunks(bwd), "(s, gs)", names))
            )  # s, gs: lists, or the float64 vectors themselves where numpy groups run too
    return segments


class ScalarReplay:
    """The prologue (``scalars``) and the epilogue (``scalar_grads``) of one tape.

    With a numpy group among them, every scalar lives in one float64 vector and the float code
    runs on it in place (no conversions between lists and arrays); without, in a list.
    """

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        self._segments = _segments(tape) if tape.scalar_ops else []
        self._vectorised = any(v for v, _, _ in self._segments)
        n = len(tape.scalar_nodes)
        self._leaves = slice(0, len(tape.leaf_values))
        self._pad = [0.0] * len(tape.scalar_ops)
        self.S = np.zeros(n)
        """The scalars' values, written in place by every call (array replays keep views)."""
        self._GS = np.zeros(n + 1)  # one more, always 0.0: the adjoint of an unused parameter
        self.GS = self._GS[:n]
        """Their adjoints, summed over the batch, likewise."""

    def scalars(self) -> tuple[list[float] | None, np.ndarray]:
        """Every scalar's value now, as a list (None where only the array was made) and the
        array ``S``: the leaves' ``.data`` (read afresh), then the batch-independent ops."""
        s = [v.data for v in self.tape.leaf_values]
        S = self.S
        if self._vectorised:
            S[self._leaves] = s
            for _, forward, _ in self._segments:
                for f in forward:
                    f(S)
            return None, S
        if self._segments:
            s += self._pad
            for _, forward, _ in self._segments:
                for f in forward:
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
        if not self._segments:
            return self._GS
        if not self._vectorised:
            g = G.tolist()
            for _, _, backward in reversed(self._segments):
                for f in backward:
                    f(s, g)
            G[:] = g
            return self._GS
        for _, _, backward in reversed(self._segments):
            for f in backward:
                f(S, G)
        return self._GS
