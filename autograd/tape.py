"""A recorded graph lowered to flat arrays, and two ways to replay it over a batch.

``Tape`` is the lowered form of one trace (see ``autograd.compile``): node ``i`` has an op code
(its rule name in ``autograd.rules.ROWS``, '' for a leaf), the indices of its parents (order and
duplicates kept), its constant operand, and a level (1 + the deepest parent; leaves are 0).
Leaves are of two kinds: *inputs* (one per positional argument, a value per example) and
*scalar leaves* (parameters, constants made inside the function, any other Value the function
closed over), whose ``.data`` is read afresh on every call and broadcast over the batch.

Nodes that depend on no input (an L2 term ``α Σ p²`` inside the per-example loss) are the same
for every example: they are *scalars* too, computed once per call (the prologue), and their
batch-summed adjoints are carried back to the leaves once (the epilogue), instead of once per
example. The prologue chooses per level: a group of at least ``SCALAR_WIDE`` nodes of one op
(the 337 ``p*p`` of micrograd's demo) or a sum of that many operands is one numpy call on the
vector of scalars; the rest is generated straight-line float code.

Two replays of the batch-dependent nodes, both generated as straight-line Python source and
compiled once; ``autograd.compile`` picks one per call from a cost model of the tape's shape and
the batch size:

* ``NumpyReplay``: every node is a row of a ``(rows, batch)`` array. Nodes are grouped by level
  and op. A level's ``wsum`` nodes that share their inputs and take their weights and bias from
  scalars are one matrix product (an MLP layer: ``Z = W @ A + b``, backward ``W.T @ δ`` and
  ``δ @ A.T``, Nielsen's BP2 and BP4); other groups of at least ``WIDE`` nodes run their rule
  once on ``(k, batch)`` gathers; the rest (long narrow chains) become one numpy statement per
  node on batch rows (a few µs a node, whatever the batch). Ops run through their row of the
  rule table with ``NUMPY_MATH`` (kinks are masks); ``+ − × neg`` and relu's rate are written
  inline as the same expressions.
* ``PythonReplay``: one straight-line function on floats per example, looped over the batch
  (~0.1 µs a node and example): narrow graphs on small batches are faster this way than paying a
  numpy call per node. ``+ − × neg relu`` and their constant forms are written inline (the
  expressions of the eager engine, so the bits match); every other op calls its rule with
  ``FLOAT_MATH``.

Generated functions hold at most 2,000 statements each. Compiling the source costs ~20–50 µs a
node once (about a second for a 20,000-op chain), which the replay pays back within a few calls.

Backward only visits nodes that lead to a scalar leaf (no work for ``-y`` or the inputs).

>>> from pathgrad.autograd import Value
>>> from pathgrad.autograd.compile import trace
>>> w = Value(2.0, label="w")
>>> t = trace(lambda x: (w * x).relu(), [w], [3.0])
>>> tape = Tape(t)
>>> tape.ops, tape.parents
(['', '', 'mul', 'relu'], [(), (), (0, 1), (2,)])
"""

from __future__ import annotations

import builtins
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .numpy_math import NUMPY_MATH
from .rules import FLOAT_MATH, ROWS

if TYPE_CHECKING:
    from .compile import Trace

__all__ = ["MAX_ENTRIES", "SCALAR_WIDE", "WIDE", "NumpyReplay", "PythonReplay", "Tape"]

WIDE = 4
"""A level's group of one op with at least this many nodes runs as one vectorised rule call."""

_CHUNK = 2000  # statements per generated function: keeps compile time and frame size flat

MAX_ENTRIES = 1 << 21
"""The numpy replay's value and gradient buffers hold at most this many floats each (16 MB):
larger batches run in chunks of examples, so a long graph on a big batch stays in memory."""


class Tape:
    """The trace as flat lists: op codes, parent indices, constants, levels, leaf kinds.

    ``input_of[i]`` is the argument position of input leaf ``i`` (else -1). ``batched[i]``
    says whether node ``i`` depends on an input; the others are *scalars*, numbered by
    ``scalar_of[i]`` (leaves first, then the batch-independent ops in topological order).
    ``needs_grad[i]`` says whether a scalar leaf is among node ``i``'s ancestors, i.e. whether
    backward must reach it.
    """

    def __init__(self, trace: Trace) -> None:
        nodes = trace.nodes
        index = {id(v): i for i, v in enumerate(nodes)}
        self.n = n = len(nodes)
        self.ops: list[str] = [v.op for v in nodes]
        self.parents: list[tuple[int, ...]] = [
            tuple(index[id(p)] for p in v.parents) for v in nodes
        ]
        self.consts: list[float | None] = [v.constant for v in nodes]
        self.root = n - 1
        self.n_inputs = len(trace.inputs)
        self.input_of = [-1] * n
        for arg, leaf in enumerate(trace.inputs):
            if id(leaf) in index:
                self.input_of[index[id(leaf)]] = arg
        self.n_edges = sum(len(p) for p in self.parents)
        self.level = [0] * n
        self.batched = [False] * n
        self.needs_grad = [False] * n
        for i, ps in enumerate(self.parents):
            if ps:
                self.level[i] = 1 + max(self.level[p] for p in ps)
                self.batched[i] = any(self.batched[p] for p in ps)
                self.needs_grad[i] = any(self.needs_grad[p] for p in ps)
            else:
                self.batched[i] = self.input_of[i] >= 0
                self.needs_grad[i] = not self.batched[i]
        self.n_levels = max(self.level) + 1
        leaves = [i for i in range(n) if not self.parents[i] and not self.batched[i]]
        ops = [i for i in range(n) if self.parents[i] and not self.batched[i]]
        # by level, then op: each level's group of one op gets consecutive scalar positions
        ops.sort(key=lambda i: (self.level[i], self.ops[i], len(self.parents[i]), i))
        self.scalar_ops = ops
        self.scalar_nodes = leaves + ops
        self.scalar_of = [-1] * n
        for k, i in enumerate(self.scalar_nodes):
            self.scalar_of[i] = k
        self.leaf_values = [nodes[i] for i in leaves]
        self._pad = [0.0] * len(ops)
        self._segments = _scalar_segments(self) if ops else []

    def scalars(self) -> tuple[list[float], np.ndarray]:
        """Every scalar's value now, as a list and an array: the leaves' ``.data`` (read
        afresh), then the batch-independent ops (the prologue)."""
        s = [v.data for v in self.leaf_values]
        if not self._segments:
            return s, np.asarray(s, dtype=float)
        s += self._pad
        S = None
        for vectorised, forward, _ in self._segments:
            if vectorised:
                if S is None:
                    S = np.asarray(s, dtype=float)
                for f in forward:
                    f(S)
            else:
                if S is not None:
                    s, S = S.tolist(), None
                for f in forward:
                    f(s)
        if S is None:
            return s, np.asarray(s, dtype=float)
        return S.tolist(), S

    def scalar_grads(self, s: list[float], S: np.ndarray, gs: Any) -> np.ndarray:
        """Carry batch-summed adjoints of the scalars back to the leaves (the epilogue)."""
        if not self._segments:
            return np.asarray(gs, dtype=float)
        G = np.asarray(gs, dtype=float) if not isinstance(gs, np.ndarray) else gs
        g: list[float] | None = None
        for vectorised, _, backward in reversed(self._segments):
            if vectorised:
                if g is not None:
                    G, g = np.asarray(g, dtype=float), None
                for f in backward:
                    f(S, G)
            else:
                if g is None:
                    g = G.tolist()
                for f in backward:
                    f(s, g)
        return G if g is None else np.asarray(g, dtype=float)


SCALAR_WIDE = 32
"""Batch-independent groups (and n-ary sums) this large run as numpy; smaller ones as floats."""


class _ScalarGroup:
    """k batch-independent nodes of one op and arity at one level, on the scalar vector."""

    def __init__(self, t: Tape, members: list[int]) -> None:
        first = members[0]
        rule = ROWS[t.ops[first]]
        self.f, self.p = rule.forward, rule.partials
        arity = len(t.parents[first])
        rows = [[t.scalar_of[t.parents[i][j]] for i in members] for j in range(arity)]
        self.slots = [np.asarray(r, dtype=np.intp) for r in rows]
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
        self.all = np.asarray(ps, dtype=np.intp)

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
        else:
            np.add.at(G, self.all, g)


def _scalar_segments(t: Tape) -> list[tuple[bool, list[Any], list[Any]]]:
    """The prologue as runs of numpy items (wide groups, long sums) and of float code."""
    items: list[tuple[bool, Any]] = []  # (vectorised, item or node)
    level_of = t.level
    start = 0
    ops = t.scalar_ops
    while start < len(ops):
        end = start
        while end < len(ops) and level_of[ops[end]] == level_of[ops[start]]:
            end += 1
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i in ops[start:end]:
            key = (t.ops[i], len(t.parents[i]), t.consts[i] is None)
            groups.setdefault(key, []).append(i)
        narrow = []
        for key, members in groups.items():
            if len(members) >= SCALAR_WIDE and key[0] not in ("sum", "wsum"):
                items.append((True, _ScalarGroup(t, members)))
            else:
                for i in members:
                    if t.ops[i] in ("sum", "wsum") and len(t.parents[i]) >= SCALAR_WIDE:
                        items.append((True, _ScalarSum(t, i)))
                    else:
                        narrow.append(i)
        items.extend((False, i) for i in narrow)
        start = end
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
            fwd, bwd = _float_code(t, run, names, epilogue=True)
            segments.append(
                (False, _build(_chunks(fwd), "(s)", names), _build(_chunks(bwd), "(s, gs)", names))
            )
    return segments


def _literal(c: float | None) -> str:
    if c is None:
        return ""
    return repr(c) if math.isfinite(c) else f"float({str(c)!r})"


def _build(sources: list[list[str]], header: str, names: dict[str, Any]) -> list[Any]:
    """Compile chunks of statements into functions ``header`` (one per chunk)."""
    funcs = []
    for n, body in enumerate(sources):
        text = f"def f{n}{header}:\n" + "".join(f"    {line}\n" for line in body or ["pass"])
        scope = dict(names)
        exec(builtins.compile(text, f"<autograd.tape chunk {n}>", "exec"), scope)
        funcs.append(scope[f"f{n}"])
    return funcs


def _chunks(lines: list[str]) -> list[list[str]]:
    return [lines[i : i + _CHUNK] for i in range(0, len(lines), _CHUNK)] or [[]]


def _index(rows: list[int]) -> Any:
    """A slice where ``rows`` are consecutive (a view, no copy), else an index array."""
    if rows == list(range(rows[0], rows[0] + len(rows))):
        return slice(rows[0], rows[0] + len(rows))
    return np.asarray(rows, dtype=np.intp)


def _add_into(target: np.ndarray, where: Any, values: Any, unique: bool) -> None:
    if unique:  # a slice, or rows that differ: a plain fancy-indexed add is right
        target[where] += values
    else:
        np.add.at(target, where, values)  # repeated rows: each occurrence must add


class _MatmulGroup:
    """wsum nodes with the same inputs and scalar-leaf weights and biases: ``Z = W @ A + b``."""

    def __init__(
        self, w_idx: np.ndarray, b_idx: np.ndarray, a_rows: list[int], out: slice
    ) -> None:
        self.w_idx, self.b_idx, self.out = w_idx, b_idx, out
        self.a = _index(a_rows)
        self.a_unique = len(set(a_rows)) == len(a_rows)
        self.w_unique = len(set(w_idx.ravel().tolist())) == w_idx.size
        self.b_unique = len(set(b_idx.tolist())) == b_idx.size
        self.w: np.ndarray = np.empty(0)

    def forward(self, V: np.ndarray, S: np.ndarray) -> None:
        self.w = w = S[self.w_idx]
        z = V[self.out]
        np.matmul(w, V[self.a], out=z)
        z += S[self.b_idx][:, None]

    def backward(self, V: np.ndarray, G: np.ndarray, GS: np.ndarray, into_a: bool) -> None:
        delta = G[self.out]
        dw = delta @ V[self.a].T
        if self.w_unique:
            GS[self.w_idx] += dw
        else:
            np.add.at(GS, self.w_idx, dw)
        db = delta.sum(axis=1)
        if self.b_unique:
            GS[self.b_idx] += db
        else:
            np.add.at(GS, self.b_idx, db)
        if into_a:
            da = self.w.T @ delta
            if self.a_unique:
                G[self.a] += da
            else:
                np.add.at(G, self.a, da)


class _RuleGroup:
    """k nodes of one op and arity at one level: the rule runs once on ``(k, batch)`` gathers."""

    def __init__(
        self, op: str, slots: list[list[int]], consts: list[float] | None, out: slice,
        grad_slots: list[bool],
    ) -> None:
        rule = ROWS[op]
        self.f, self.p = rule.forward, rule.partials
        self.slots = [_index(rows) for rows in slots]
        self.unique = [len(set(rows)) == len(rows) for rows in slots]
        self.c = None if consts is None else np.asarray(consts, dtype=float)[:, None]
        self.out = out
        self.grad_slots = grad_slots

    def _args(self, V: np.ndarray) -> list[Any]:
        args = [V[s] for s in self.slots]
        if self.c is not None:
            args.append(self.c)
        return args

    def forward(self, V: np.ndarray, S: np.ndarray) -> None:
        V[self.out] = self.f(NUMPY_MATH, *self._args(V))

    def backward(self, V: np.ndarray, G: np.ndarray, GS: np.ndarray, into_a: bool) -> None:
        rates = self.p(NUMPY_MATH, V[self.out], *self._args(V))
        delta = G[self.out]
        for where, rate, wanted, unique in zip(self.slots, rates, self.grad_slots, self.unique):
            if wanted:
                _add_into(G, where, delta * rate, unique)


class NumpyReplay:
    """The tape over a batch with numpy: one row per node, vectorised per level and op."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        t = tape
        self.row = [-1] * t.n
        n_rows = 0

        def new_row(i: int) -> int:
            nonlocal n_rows
            self.row[i] = n_rows
            n_rows += 1
            return n_rows - 1

        self.input_rows = [-1] * t.n_inputs
        for i in range(t.n):
            if t.input_of[i] >= 0:
                self.input_rows[t.input_of[i]] = new_row(i)
        by_level: list[list[int]] = [[] for _ in range(t.n_levels)]
        for i in range(t.n):
            if t.parents[i] and t.batched[i]:
                by_level[t.level[i]].append(i)
        # Per level: ("matmul", nodes) for wsum layers, ("rule", nodes) for other wide groups,
        # ("node", i) for the rest. Each group's rows are consecutive (its output is a slice).
        plans: list[list[tuple[str, Any]]] = []
        for nodes in by_level[1:]:
            plan: list[tuple[str, Any]] = []
            groups: dict[tuple[Any, ...], list[int]] = {}
            for i in nodes:
                ps = t.parents[i]
                key: tuple[Any, ...] = (t.ops[i], len(ps), t.consts[i] is not None)
                if t.ops[i] == "wsum":
                    n = (len(ps) - 1) // 2
                    if all(t.scalar_of[p] >= 0 for p in (*ps[:n], ps[-1])):
                        key = ("matmul", ps[n : 2 * n])
                groups.setdefault(key, []).append(i)
            for key, members in groups.items():
                if key[0] == "matmul":
                    plan.append(("matmul", members))
                elif len(members) >= WIDE:
                    plan.append(("rule", members))
                else:
                    plan.extend(("node", i) for i in members)
            for _, members in plan:
                for i in members if isinstance(members, list) else [members]:
                    new_row(i)
            plans.append(plan)
        # Scalar leaves read by a vectorised group or as the root need rows (broadcast per call).
        scalar_rows: list[int] = []
        scalar_src: list[int] = []

        def operand_row(p: int) -> int:
            if self.row[p] < 0:
                scalar_rows.append(new_row(p))
                scalar_src.append(t.scalar_of[p])
            return self.row[p]

        if self.row[t.root] < 0:
            operand_row(t.root)
        fwd: list[str] = []
        bwd_levels: list[list[str]] = []
        names: dict[str, Any] = {"M": NUMPY_MATH, "np": np}
        n_kernels = 0
        for plan in plans:
            bwd: list[str] = []
            for kind, members in plan:
                if kind == "node":
                    self._node_statements(members, names, fwd, bwd)
                    continue
                name = f"K{n_kernels}"
                n_kernels += 1
                out = _index([self.row[i] for i in members])
                wanted = any(t.needs_grad[i] for i in members)
                if kind == "matmul":
                    ps0 = t.parents[members[0]]
                    n = (len(ps0) - 1) // 2
                    w_idx = np.asarray(
                        [[t.scalar_of[p] for p in t.parents[i][:n]] for i in members], np.intp
                    )
                    b_idx = np.asarray([t.scalar_of[t.parents[i][-1]] for i in members], np.intp)
                    a_rows = [operand_row(p) for p in ps0[n : 2 * n]]
                    names[name] = _MatmulGroup(w_idx, b_idx, a_rows, out)
                    into_a = any(t.needs_grad[p] for p in ps0[n : 2 * n])
                else:
                    arity = len(t.parents[members[0]])
                    slots = [[operand_row(t.parents[i][j]) for i in members] for j in range(arity)]
                    consts = None
                    if t.consts[members[0]] is not None:
                        consts = [float(t.consts[i]) for i in members]
                    grad_slots = [
                        any(t.needs_grad[t.parents[i][j]] for i in members) for j in range(arity)
                    ]
                    names[name] = _RuleGroup(t.ops[members[0]], slots, consts, out, grad_slots)
                    into_a = True
                fwd.append(f"{name}.forward(V, S)")
                if wanted:
                    bwd.append(f"{name}.backward(V, G, GS, {into_a})")
            bwd_levels.append(bwd)
        self.n_rows = n_rows
        self.scalar_rows = _index(scalar_rows) if scalar_rows else None
        self.scalar_src = np.asarray(scalar_src, dtype=np.intp)
        # Nodes of one level never feed each other, so only the order of levels matters here.
        back = [line for bwd in reversed(bwd_levels) for line in bwd]
        self.n_statements = len(fwd) + len(back)
        self._forward = _build(_chunks(fwd), "(V, S)", names)
        self._backward = _build(_chunks(back), "(V, G, S, GS)", names)
        self.root_row = self.row[t.root]
        self._batch = -1
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.V = self.G = np.empty((0, 0))

    def _node_statements(
        self, i: int, names: dict[str, Any], fwd: list[str], bwd: list[str]
    ) -> None:
        """One node on batch rows. ``+ − × neg`` (and constant forms) and relu's rate are
        written inline, the same expressions the rule table evaluates; other ops call it."""
        t = self.tape
        op = t.ops[i]
        args = []
        for q in t.parents[i]:
            s = t.scalar_of[q]
            args.append(f"S[{s}]" if s >= 0 else f"V[{self.row[q]}]")
        if t.consts[i] is not None:
            args.append(_literal(t.consts[i]))
        r = self.row[i]
        if op in _INLINE_FORWARD and op != "relu":
            fwd.append(f"V[{r}] = " + _INLINE_FORWARD[op].format(*args))
        else:
            names[f"F_{op}"] = ROWS[op].forward
            fwd.append(f"V[{r}] = F_{op}(M, {', '.join(args)})")
        if not t.needs_grad[i]:
            return
        parts = [f"g = G[{r}]"]
        if op in _INLINE_RATES:
            rates = [rate.format(*args) for rate in _INLINE_RATES[op]]
            terms = ["g" if x == "" else ("-g" if x == "-" else f"g * {x}") for x in rates]
        elif op == "relu":
            terms = [f"g * ({args[0]} > 0.0)"]  # relu'(x) = step(x): 1 where x > 0, else 0
        else:
            names[f"P_{op}"] = ROWS[op].partials
            parts.append(f"d = P_{op}(M, V[{r}], {', '.join(args)})")
            terms = [f"g * d[{j}]" for j in range(len(t.parents[i]))]
        for q, term in zip(t.parents[i], terms):
            if not t.needs_grad[q]:
                continue
            s = t.scalar_of[q]
            if s >= 0:
                parts.append(f"GS[{s}] += np.sum({term})")
            else:
                parts.append(f"G[{self.row[q]}] += {term}")
        bwd.append("; ".join(parts))

    def _arrays(self, batch: int) -> None:
        # Buffers per batch size (the last two sizes kept: a batch cut into chunks uses two).
        # Every row is written before it is read on each call, so nothing carries over.
        if batch != self._batch:
            if batch not in self._buffers:
                if len(self._buffers) >= 2:
                    self._buffers.pop(next(iter(self._buffers)))
                self._buffers[batch] = (
                    np.zeros((self.n_rows, batch)), np.zeros((self.n_rows, batch))
                )
            self.V, self.G = self._buffers[batch]
            self._batch = batch

    def run(
        self, xs: list[np.ndarray], S: np.ndarray, with_grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-example outputs and Σ over the batch of ∂output/∂scalar, in chunks of examples
        small enough that the ``(rows, chunk)`` buffers stay under ``MAX_ENTRIES`` each."""
        batch = len(xs[0])
        chunk = max(1, MAX_ENTRIES // max(self.n_rows, 1))
        outs, total = [], None
        for start in range(0, batch, chunk):
            part = [x[start : start + chunk] for x in xs] if batch > chunk else xs
            outs.append(self.forward(part, S).copy())
            if with_grad:
                gs = self.backward(S)
                total = gs if total is None else total + gs
        return (outs[0] if len(outs) == 1 else np.concatenate(outs)), total

    def forward(self, xs: list[np.ndarray], S: np.ndarray) -> np.ndarray:
        """Per-example outputs (a view of the value buffer: copy before the next call)."""
        self._arrays(len(xs[0]) if xs else 1)
        V = self.V
        for r, x in zip(self.input_rows, xs):
            if r >= 0:
                V[r] = x
        if self.scalar_rows is not None:
            V[self.scalar_rows] = S[self.scalar_src][:, None]
        for f in self._forward:
            f(V, S)
        return V[self.root_row]

    def backward(self, S: np.ndarray) -> np.ndarray:
        """Σ over the batch of ∂output/∂(scalar leaf), after ``forward`` on the same batch."""
        G = self.G
        G.fill(0.0)
        G[self.root_row] = 1.0
        GS = np.zeros(len(S))
        for f in self._backward:
            f(self.V, G, S, GS)
        if self.scalar_rows is not None:
            np.add.at(GS, self.scalar_src, G[self.scalar_rows].sum(axis=1))
        return GS


_INLINE_FORWARD = {
    "add": "{0} + {1}",
    "sub": "{0} - {1}",
    "mul": "{0} * {1}",
    "neg": "-{0}",
    "add_c": "{0} + {1}",
    "sub_c": "{0} - {1}",
    "rsub_c": "{1} - {0}",
    "mul_c": "{0} * {1}",
    "relu": "({0} if {0} > 0.0 else 0.0)",
}
_INLINE_RATES = {  # '' is a rate of 1, '-' of -1
    "add": ("", ""),
    "sub": ("", "-"),
    "mul": ("{1}", "{0}"),
    "neg": ("-",),
    "add_c": ("",),
    "sub_c": ("",),
    "rsub_c": ("-",),
    "mul_c": ("{1}",),
}


def _float_code(
    t: Tape, nodes: list[int], names: dict[str, Any], epilogue: bool = False
) -> tuple[list[str], list[str]]:
    """Straight-line float code for ``nodes``: forward lines and backward lines.

    Scalars live in the list ``s`` (adjoints ``gs``, accumulated), batch-dependent nodes in
    ``v`` (adjoints ``g``: the first contribution assigns, so ``g`` needs no zeroing). With
    ``epilogue`` every node's adjoint is already in ``gs`` and backward starts from there.
    """

    def ref(q: int) -> str:
        return f"s[{t.scalar_of[q]}]" if t.scalar_of[q] >= 0 else f"v[{q}]"

    fwd: list[str] = []
    for i in nodes:
        ps, op = t.parents[i], t.ops[i]
        args = [ref(q) for q in ps]
        if t.consts[i] is not None:
            args.append(_literal(t.consts[i]))
        if op in _INLINE_FORWARD:
            fwd.append(f"{ref(i)} = " + _INLINE_FORWARD[op].format(*args))
        elif op in ("wsum", "sum"):
            fwd.extend(_long_sum(ref(i), op, args))
        else:
            names[f"F_{op}"] = ROWS[op].forward
            fwd.append(f"{ref(i)} = F_{op}(M, {', '.join(args)})")
    bwd: list[str] = []
    written = [False] * t.n
    for i in reversed(nodes):
        ps, op = t.parents[i], t.ops[i]
        if not t.needs_grad[i]:
            continue
        args = [ref(q) for q in ps]
        if t.consts[i] is not None:
            args.append(_literal(t.consts[i]))
        lines: list[str] = []
        if op in _INLINE_RATES:
            rates = [r.format(*args) for r in _INLINE_RATES[op]]
            terms = ["gi" if r == "" else ("-gi" if r == "-" else f"gi * {r}") for r in rates]
        elif op == "relu":
            terms = [f"(gi if {args[0]} > 0.0 else 0.0)"]
        elif op == "wsum":
            n = (len(ps) - 1) // 2
            terms = [f"gi * {a}" for a in (*args[n : 2 * n], *args[:n])] + ["gi"]
        elif op == "sum":
            terms = ["gi"] * len(ps)
        else:
            names[f"P_{op}"] = ROWS[op].partials
            lines.append(f"d = P_{op}(M, {ref(i)}, {', '.join(args)})")
            terms = [f"gi * d[{j}]" for j in range(len(ps))]
        for q, term in zip(ps, terms):
            if not t.needs_grad[q]:
                continue
            if t.scalar_of[q] >= 0:
                lines.append(f"gs[{t.scalar_of[q]}] += {term}")
            elif written[q]:
                lines.append(f"g[{q}] += {term}")
            else:
                lines.append(f"g[{q}] = {term}")
                written[q] = True
        if lines:
            gi = f"gs[{t.scalar_of[i]}]" if epilogue else f"g[{i}]"
            bwd.append(f"gi = {gi}; " + "; ".join(lines))
    return fwd, bwd


class PythonReplay:
    """The batch-dependent nodes as straight-line Python on floats, run once per example."""

    def __init__(self, tape: Tape) -> None:
        self.tape = t = tape
        names: dict[str, Any] = {"M": FLOAT_MATH}
        batched_ops = [i for i in range(t.n) if t.parents[i] and t.batched[i]]
        fwd, bwd = _float_code(t, batched_ops, names)
        self.input_nodes = [(i, t.input_of[i]) for i in range(t.n) if t.input_of[i] >= 0]
        self.n_statements = len(fwd) + len(bwd)
        self._forward = _build(_chunks(fwd), "(v, s)", names)
        self._backward = _build(_chunks(bwd), "(v, g, s, gs)", names)

    def run(
        self, xs: list[np.ndarray], s: list[float], with_grad: bool
    ) -> tuple[np.ndarray, list[float]]:
        """Per-example outputs and Σ over the batch of ∂output/∂scalar (a batched root)."""
        t = self.tape
        v: list[Any] = [0.0] * t.n
        g = [0.0] * t.n
        gs = [0.0] * len(s)
        cols = [(i, xs[k].tolist()) for i, k in self.input_nodes]
        batch = len(xs[0])
        out = [0.0] * batch
        root, forward, backward = t.root, self._forward, self._backward
        for b in range(batch):
            for i, col in cols:
                v[i] = col[b]
            for f in forward:
                f(v, s)
            out[b] = v[root]
            if with_grad:
                g[root] = 1.0
                for f in backward:
                    f(v, g, s, gs)
        return np.asarray(out, dtype=float), gs


def _long_sum(target: str, op: str, args: list[str]) -> list[str]:
    """``wsum``/``sum`` left to right as the eager engine adds, split so no line nests deeply."""
    if op == "wsum":
        n = (len(args) - 1) // 2
        first, terms = args[-1], [f"{args[k]} * {args[n + k]}" for k in range(n)]
    else:
        first, terms = args[0], args[1:]
    lines = []
    acc = first
    for start in range(0, max(len(terms), 1), 64):
        part = terms[start : start + 64]
        lines.append(f"{target} = " + " + ".join([acc, *part]))
        acc = target
    return lines
