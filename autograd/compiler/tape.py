"""Lowering: a recorded graph as flat lists, and its plan of vectorised groups.

The second stage of ``autograd.compile`` (trace → tape → replay). ``Tape`` is the lowered form
of one ``Trace``: node ``i`` has an op code (its rule name in ``autograd.rules.ROWS``, '' for a
leaf), the indices of its parents (order and duplicates kept), its constant operand, and a level
(1 + the deepest parent; leaves are 0). Leaves are of two kinds: *inputs* (one per positional
argument, a value per example) and *scalar leaves* (parameters, constants made inside the
function, any other Value the function closed over), whose ``.data`` is read afresh on every
call and broadcast over the batch.

Nodes that depend on no input (an L2 term ``α Σ p²`` inside the per-example loss) are the same
for every example: they are *scalars* too, computed once per call (``replay_scalar``),
and their batch-summed adjoints are carried back to the leaves once, not once per example.

``plan(tape)`` groups the batch-dependent nodes of each level by op, which every array replay
(numpy, JAX, PyTorch) shares: a level's ``wsum`` nodes that share their inputs and take their
weights and bias from scalars are one matrix product (an MLP layer, ``Z = W @ A + b``); other
groups of at least ``WIDE`` nodes run their rule once on ``(k, batch)`` arrays; the rest are
single nodes. Backward only visits nodes that lead to a scalar leaf (``needs_grad``).

>>> from pathgrad.autograd import Value
>>> from pathgrad.autograd.compiler.trace import trace
>>> w = Value(2.0, label="w")
>>> tape = Tape(trace(lambda x: (w * x).relu(), [w], [3.0]))
>>> tape.ops, tape.parents
(['', '', 'mul', 'relu'], [(), (), (0, 1), (2,)])
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .listing import listing

if TYPE_CHECKING:
    from .trace import Trace

__all__ = ["WIDE", "Group", "GuardFlip", "NonFiniteInput", "Tape", "build", "chunks", "plan"]

WIDE = 4
"""A level's group of one op with at least this many nodes runs as one vectorised rule call."""

_CHUNK = 2000  # statements per generated function: keeps compile time and frame size flat


class Tape:
    """The trace as flat lists: op codes, parent indices, constants, levels, leaf kinds.

    ``input_of[i]`` is the argument position of input leaf ``i`` (else -1). ``batched[i]``
    says whether node ``i`` depends on an input; the others are *scalars*, numbered by
    ``scalar_of[i]`` (leaves first, then the batch-independent ops by level and op).
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
        self.root = trace.output if trace.output >= 0 else n - 1
        self.n_inputs = len(trace.inputs)
        self.input_of = [-1] * n
        self.input_names = [leaf.label for leaf in trace.inputs]
        for arg, leaf in enumerate(trace.inputs):
            if id(leaf) in index:
                self.input_of[index[id(leaf)]] = arg
        self.n_edges = sum(len(p) for p in self.parents)
        self._levels()
        leaves = _leaf_order(self)
        ops = [i for i in range(n) if self.parents[i] and not self.batched[i]]
        # by level, then op: each level's group of one op gets consecutive scalar positions
        ops.sort(key=lambda i: (self.level[i], self.ops[i], len(self.parents[i]), i))
        self.scalar_ops = ops
        self.scalar_nodes = leaves + ops
        self.scalar_of = [-1] * n
        for k, i in enumerate(self.scalar_nodes):
            self.scalar_of[i] = k
        self.leaf_values = [nodes[i] for i in leaves]
        self.guards = [
            (op, _ref(index, a), _ref(index, b), outcome) for op, a, b, outcome in trace.guards
        ]
        """Comparisons made while tracing: ``(op, a, b, outcome)``, ``a``/``b`` a node index
        (int) or a number (float); every example of a batch must give the same outcome."""

    def _levels(self) -> None:
        n = self.n
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
        # Nodes only a comparison reads (a guard) need no adjoint: backward starts at the root.
        reaches = [False] * n
        reaches[self.root] = True
        for i in range(self.root, -1, -1):
            if reaches[i]:
                for p in self.parents[i]:
                    reaches[p] = True
        self.needs_grad = [g and r for g, r in zip(self.needs_grad, reaches)]

    def operands(self, i: int) -> int:
        """How many operands of node ``i``'s rule are nodes (the rest is its constant)."""
        return len(self.parents[i])

    def guard_sides(self, literal: Callable[[float], str], row: Callable[[int], str]
                    ) -> list[tuple[int, str, str, str, bool]]:
        """Each guard as ``(index, op, left, right, outcome)`` in a generated replay's terms: a
        constant written by ``literal``, a batch-wide scalar as ``S[k]``, a batched value by
        ``row(node)`` (each back end its own language)."""
        out = []
        for j, (op, a, b, outcome) in enumerate(self.guards):
            left, right = (literal(x) if isinstance(x, float) else
                           f"S[{self.scalar_of[x]}]" if self.scalar_of[x] >= 0 else row(x)
                           for x in (a, b))
            out.append((j, op, left, right, outcome))
        return out

    def __str__(self) -> str:
        """The program, one line per group, like a jaxpr (``listing.listing``)."""
        return listing(self, plan(self))


def _ref(index: dict[int, int], x: Any) -> int | float:
    return index[id(x)] if id(x) in index else float(x.data if hasattr(x, "data") else x)


class NonFiniteInput(Exception):
    """A replay's inputs may hold inf or nan (their sum of squares is not finite: an overflow
    of huge finite inputs too); the caller finds out which and names it."""


class GuardFlip(Exception):
    """A replay found an example whose comparison ``guard`` (index into ``Tape.guards``) has
    the other outcome than when traced; ``example`` is its index in the batch (or -1)."""

    def __init__(self, guard: int, example: int) -> None:
        super().__init__(guard, example)
        self.guard, self.example = guard, example


def _leaf_order(t: Tape) -> list[int]:
    """The scalar leaves, each layer's first: row by row, each neuron's weights and then its
    bias, so that a layer's ``[W b]`` is a contiguous ``(k, n + 1)`` block of the scalar vector
    (a view, not a gather: the numpy replay's one matrix product per layer, bias included)."""
    leaves = [i for i in range(t.n) if not t.parents[i] and not t.batched[i]]
    order: dict[int, None] = {}
    for i in range(t.n):
        ps = t.parents[i]
        if t.ops[i] == "wsum" and t.batched[i]:
            n = (len(ps) - 1) // 2
            if all(not t.parents[p] and not t.batched[p] for p in (*ps[:n], ps[-1])):
                order.update(dict.fromkeys((*ps[:n], ps[-1])))
    order.update(dict.fromkeys(leaves))
    return list(order)


@dataclass
class Group:
    """Batch-dependent nodes of one level run together: ``kind`` is ``"matmul"`` (a layer of
    ``wsum`` nodes with scalar weights and biases and shared inputs), ``"rule"`` (one rule call
    on ``(k, batch)`` arrays) or ``"node"`` (one node)."""

    kind: str
    members: list[int]


def plan(t: Tape) -> list[list[Group]]:
    """Per level (from 1), the groups of its batch-dependent nodes."""
    by_level: list[list[int]] = [[] for _ in range(t.n_levels)]
    for i in range(t.n):
        if t.parents[i] and t.batched[i]:
            by_level[t.level[i]].append(i)
    levels = []
    for nodes in by_level[1:]:
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i in nodes:
            ps = t.parents[i]
            key: tuple[Any, ...] = (t.ops[i], len(ps), t.consts[i] is not None)
            if t.ops[i] == "wsum":
                n = (len(ps) - 1) // 2
                if all(t.scalar_of[p] >= 0 for p in (*ps[:n], ps[-1])):
                    key = ("matmul", ps[n : 2 * n])
            groups.setdefault(key, []).append(i)
        level: list[Group] = []
        for key, members in groups.items():
            if key[0] == "matmul":
                level.append(Group("matmul", members))
            elif len(members) >= WIDE:
                level.append(Group("rule", members))
            else:
                level.extend(Group("node", [i]) for i in members)
        levels.append(level)
    return levels


def build(sources: list[list[str]], header: str, names: dict[str, Any],
          kept: list[str] | None = None) -> list[Any]:
    """Compile chunks of statements into functions ``header`` (one per chunk); the text of each
    is appended to ``kept`` (a replay's ``source``)."""
    funcs = []
    for n, body in enumerate(sources):
        text = f"def f{n}{header}:\n" + "".join(f"    {line}\n" for line in body or ["pass"])
        if kept is not None:
            kept.append(text)
        scope = dict(names)
        exec(builtins.compile(text, f"<autograd.compiler.tape chunk {n}>", "exec"), scope)
        funcs.append(scope[f"f{n}"])
    return funcs


def chunks(lines: list[str]) -> list[list[str]]:
    """Statements cut into runs of at most 2,000 (one generated function each)."""
    return [lines[i : i + _CHUNK] for i in range(0, len(lines), _CHUNK)] or [[]]
