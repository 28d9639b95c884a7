"""Replay on numpy: every batch-dependent node is a row of a ``(rows, batch)`` array.

The tape's plan (``tape.plan``) groups each level by op. The code generated here, once
per tape, is straight-line numpy with no per-call Python work beyond the statements themselves:

* a *matmul* group (an MLP layer of ``wsum`` nodes): ``Z = [W b] @ [A; 1]`` into its rows
  with ``out=`` (``[W b]`` a view of the scalars, a row of 1s kept after ``A``'s rows);
  backward ``W.T @ δ`` into the inputs' adjoints and ``δ @ [A; 1].T`` into the weights' and
  biases' (Nielsen's BP2, BP4 and BP3), each one product;
* a *rule* group (k nodes of one op): the row's ``forward`` on ``(k, batch)`` operands, and each
  operand's adjoint ``+= δ · rate`` with the rate written by the row, fused into one statement
  (``relu`` and its rate as single ufuncs, ``FAST``);
* a single *node* (long narrow chains): the same, on one batch row.

Expressions come from the rows through ``symbolic`` with ``M`` bound to ``NUMPY_MATH``
(kinks are masks). Values have a row each (``V``); adjoints take rows of their own (``G``) when
first written and give them back once passed on, so a chain of any length needs two. Row blocks
are read through views made once per batch size (``RV``, ``RG``); buffers are kept for the last
two batch sizes. Batches too large for ``MAX_ENTRIES`` floats of values run in chunks of
examples. From ``LARGE_BATCH`` examples on, a second program generated for large batches runs
(fewer passes: ``numpy_fused``'s kernels where numba is installed).

>>> import numpy as np
>>> from pathgrad.autograd import Value
>>> from pathgrad.autograd.compiler.tape import Tape
>>> from pathgrad.autograd.compiler.trace import trace
>>> w = Value(2.0)
>>> S, GS = np.array([2.0]), np.zeros(1)
>>> replay = NumpyReplay(Tape(trace(lambda x: (w * x).relu(), [w], [3.0])), S, GS)
>>> out, gs = replay.run([np.array([1.0, -1.0, 3.0])], S, True)
>>> out.tolist(), gs.tolist()
([2.0, 0.0, 6.0], [4.0])
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ..rules import ROWS
from .numpy_fused import FEW, fused
from .numpy_math import NUMPY_MATH
from .symbolic import Sym, SymMath, literal, term
from .tape import Group, GuardFlip, NonFiniteInput, Tape, build, chunks, plan

__all__ = ["LARGE_BATCH", "MAX_ENTRIES", "MIN_CHUNK", "NumpyReplay"]

MAX_ENTRIES = 1 << 25
"""The value buffer holds at most this many floats (256 MB; adjoints reuse their few rows) ..."""

MIN_CHUNK = 4096
"""... unless that would cut the batch into chunks of fewer examples than this (then it holds
rows × 4096 floats: 328 MB for a 10,000-op chain, what values and adjoints took together in
chunks of 2,048 before adjoints reused rows). A numpy call costs ~1 µs whatever its length, so
short chunks make a long narrow graph slow per example: a 10,000-op chain replayed at 3.6 ns
per node and example in chunks of 2,048, 2.9 in chunks of 4,096, 2.0 in one chunk of 10,000
(CPU time, 2-core machine under load; a 1,000-op chain, one chunk: 2.0–2.5 ns)."""


class _Code:
    """The generated statements and the names they use (views, index arrays, rule functions)."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"M": NUMPY_MATH, "np": np, "dot_rows": dot_rows}
        self.views: dict[Any, int] = {}
        self.gviews: dict[Any, int] = {}  # the same over the adjoint buffer's own rows
        self.fwd: list[str] = []
        self.bwd_levels: list[list[str]] = []
        self._n = 0

    def view(self, rows: list[int], block: bool = False) -> str:
        """A block of rows: ``RV[k]`` (a view made once per batch size) or ``V[I]`` (a gather).
        One row is a 1-D view unless ``block`` (a matrix product needs 2-D)."""
        key: Any
        if rows == list(range(rows[0], rows[0] + len(rows))):
            key = rows[0] if len(rows) == 1 and not block else (rows[0], rows[0] + len(rows))
            if key not in self.views:
                self.views[key] = len(self.views)
            return f"R{{}}[{self.views[key]}]"
        return f"{{}}[{self.const(np.asarray(rows, dtype=np.intp))}]"

    def gview(self, rows: list[int], block: bool = False) -> tuple[str, str | None]:
        """Rows of the adjoint buffer ``G``: (``RG[k]``, None) or (``G[K]``, ``K``)."""
        key: Any
        if rows == list(range(rows[0], rows[0] + len(rows))):
            key = rows[0] if len(rows) == 1 and not block else (rows[0], rows[0] + len(rows))
            if key not in self.gviews:
                self.gviews[key] = len(self.gviews)
            return f"RG[{self.gviews[key]}]", None
        k = self.const(np.asarray(rows, dtype=np.intp))
        return f"G[{k}]", k

    def const(self, value: Any) -> str:
        name = f"K{self._n}"
        self._n += 1
        self.names[name] = value
        return name


class _Calls(SymMath):
    """``SymMath`` that remembers each helper call (``op`` = its name, ``args`` = operands), so
    the code generator can write the helpers of ``FAST`` as one ufunc into a row."""

    def __getattr__(self, name: str) -> Any:
        call = super().__getattr__(name)
        if name not in FAST:
            return call

        def remembered(*args: Any) -> Sym:
            out = call(*args)
            if all(isinstance(a, Sym) and a.prec >= 100 for a in args):
                out.op, out.args = f"M.{name}", tuple(args)
            return out

        return remembered


def _same_bits(out: np.ndarray, want: np.ndarray) -> bool:
    return bool(np.array_equal(out, want, equal_nan=True)) and bool(
        np.array_equal(np.signbit(out), np.signbit(want)))


def _fast_forms() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Helpers of the rule table written as ufuncs into ``{out}`` with numpy's ``out=``; each
    is checked here against the helper it replaces on special values (±0, ±inf, nan,
    subnormals) and left out on a platform where any bit differs."""
    forms = {
        "relu": "np.maximum({x}, 0.0, out={out})",  # maximum(−0.0, 0.0) is 0.0, nan stays
        "step": "np.sign(np.maximum({x}, 0.0, out={out}), out={out})",
    }
    # a rate helper of x read off the output o = forward(x) instead: step(x) = sign(relu(x))
    of_output = {("relu", "step"): "np.sign({o}, out={out})"}
    x = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1.5, -2.5] * 9)
    kept = {}
    for name, form in forms.items():
        out = np.empty_like(x)
        eval(form.format(x="x", out="out"), {"np": np, "x": x, "out": out})
        if _same_bits(out, getattr(NUMPY_MATH, name)(x)):
            kept[name] = form
    kept_of_output = {}
    for (forward, rate), form in of_output.items():
        out, o = np.empty_like(x), getattr(NUMPY_MATH, forward)(x)
        eval(form.format(o="o", out="out"), {"np": np, "o": o, "out": out})
        if forward in kept and _same_bits(out, getattr(NUMPY_MATH, rate)(x)):
            kept_of_output[forward, rate] = form
    return kept, kept_of_output


FAST, FAST_OF_OUTPUT = _fast_forms()
"""Rule-table helpers the numpy replay writes as ufunc calls with ``out=`` (no temporaries):
``relu`` one call instead of three, ``step`` two instead of five, and ``step`` of a relu's
input one call on the relu's output; pinned to the helpers by ``_fast_forms`` (and a test)."""


def _fast(value: Any) -> tuple[str, str] | None:
    """(helper name, operand text) where ``value`` is a call of a ``FAST`` helper."""
    if isinstance(value, Sym) and value.op.startswith("M.") and value.op[2:] in FAST:
        return value.op[2:], value.args[0].text
    return None


def _rate_form(forward: Any, rate: Any, o: str) -> str | None:
    """The ``out=`` form of ``rate``, a fast helper: of the output ``o`` where ``forward`` is
    the matching helper of the same operand, else of the operand."""
    r, f = _fast(rate), _fast(forward)
    if r is None:
        return None
    if f is not None and f[1] == r[1] and (f[0], r[0]) in FAST_OF_OUTPUT:
        return FAST_OF_OUTPUT[f[0], r[0]].replace("{o}", o)
    return FAST[r[0]].replace("{x}", r[1])


LARGE_BATCH = 1000
"""From this batch size on, a tape runs written for large batches: a one-output layer's Wᵀδ as
a broadcast product, δ [A; 1]ᵀ by ``dot_rows``, and where numba is installed
(``pathgrad[numba]``) its kernels: one pass for a relu's backward, for a layer of few inputs and
its relu, for an output layer's Wᵀδ into its inputs' relu (micrograd's demo MLP, one thread: at
batch 10,000 about 0.75× the time of the numpy forms, at 1,000 about 0.85×; without numba about
0.95× and 1.0×). Below it, the forms with the least overhead per call."""

FUSED_OF_OUTPUT = {("relu", "step"): "times_step"}
"""δ times a rate read off the output, in one pass: the ``numpy_fused`` ufunc of that name."""


def _fused_form(forward: Any, rate: Any, code: _Code) -> str | None:
    """``δ · rate`` as one fused ufunc call into ``{out}``, reading the output ``{o}``, where
    ``rate`` is read off ``forward``'s output (``FAST_OF_OUTPUT``) and the ufunc is built."""
    r, f = _fast(rate), _fast(forward)
    if r is None or f is None or f[1] != r[1] or (f[0], r[0]) not in FUSED_OF_OUTPUT:
        return None
    name = FUSED_OF_OUTPUT[f[0], r[0]]
    ufunc = fused(name)
    if ufunc is None:
        return None
    code.names[name] = ufunc
    return f"{name}(d, {{o}}, out={{out}})"


_OUTER = re.compile(r"; np\.multiply\(d, (K\d+), out=RG\[(\d+)\]\)$")
_RELU_BACK = re.compile(r"d = RG\[(\d+)\]; times_step\(d, RV\[(\d+)\], out=RG\[(\d+)\]\)$")


def _fuse_outer_relu(back: list[str], code: _Code) -> list[str]:
    """A product ``δ · w`` into fresh adjoint rows (a one-output layer's Wᵀδ) that the next
    statement, a relu's backward, reads and gives back: both in one pass (``outer_times_step``),
    where every operand is a block of rows."""
    kernel = fused("outer_times_step") if any("times_step" in b for b in back) else None
    if kernel is None:
        return back
    code.names["outer_times_step"] = kernel
    gblocks, vblocks = list(code.gviews), list(code.views)
    back = list(back)
    for i in range(len(back) - 1):
        product, relu = _OUTER.search(back[i]), _RELU_BACK.match(back[i + 1])
        w = code.names.get(product[1]) if product else None
        if product and relu and product[2] == relu[1] and _column(w) and all(
                isinstance(keys[int(k)], tuple) for keys, k in
                ((gblocks, relu[1]), (vblocks, relu[2]), (gblocks, relu[3]))):
            back[i] = back[i][: product.start()]
            back[i + 1] = f"outer_times_step(d, {product[1]}, RV[{relu[2]}], RG[{relu[3]}])"
    return back


def _column(w: Any) -> bool:
    return isinstance(w, np.ndarray) and w.ndim == 2 and w.shape[1] == 1


def _readers(t: Tape) -> list[int]:
    """Per node: how many nodes, guards and outputs read it."""
    readers = [0] * t.n
    for ps in t.parents:
        for p in set(ps):
            readers[p] += 1
    for _, a, b, _ in t.guards:
        for x in (a, b):
            if isinstance(x, int):
                readers[x] += 1
    readers[t.root] += 1
    return readers


def _unique(rows: list[int]) -> bool:
    return len(set(rows)) == len(rows)


def _consecutive(idx: list[int]) -> bool:
    return idx == list(range(idx[0], idx[0] + len(idx)))


class NumpyReplay:
    """The tape over a batch with numpy: two programs, each generated on first use, one for
    batches under ``LARGE_BATCH`` (the least overhead per call) and one for larger batches.
    Other attributes (``n_rows``, ``n_statements`` ...) are the small-batch program's.
    """

    def __init__(self, tape: Tape, S: np.ndarray, GS: np.ndarray) -> None:
        self.tape, self.S, self.GS = tape, S, GS
        self.source_parts: list[str] = []
        """The generated code of the programs built so far (``source``)."""
        self._programs: dict[bool, _Program] = {}

    def program(self, large: bool) -> _Program:
        """The program for large batches or for small ones, built on first use (the large one
        loads numba's kernels where installed: ~1 s a process, ~2 s the first time)."""
        found = self._programs.get(large)
        if found is None:
            found = self._programs[large] = _Program(self.tape, self.S, self.GS, large)
            if large:
                self.source_parts.append(f"# batches of {LARGE_BATCH:,} examples and more:")
            self.source_parts.extend(found.source_parts)
        return found

    def run(
        self, xs: list[np.ndarray], S: np.ndarray, with_grad: bool, check: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``_Program.run`` of the program for this batch size."""
        return self.program(len(xs[0]) >= LARGE_BATCH).run(xs, S, with_grad, check)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.program(False), name)


class _Program:
    """The tape as one generated program: one row per node, vectorised per level and op.

    ``S`` and ``GS`` are the prologue's vectors of scalars and of their adjoints (written in
    place every call); a layer whose weights are a contiguous block of ``S`` reads them through
    a view, and its weight gradient adds into a view of ``GS``. ``large``: written for batches
    of ``LARGE_BATCH`` and more.
    """

    def __init__(self, tape: Tape, S: np.ndarray, GS: np.ndarray, large: bool) -> None:
        self.tape = t = tape
        self.S, self.GS = S, GS
        self.large = large
        self.source_parts: list[str] = []
        """The generated code, one function per chunk of 2,000 statements (``source``)."""
        self.row = [-1] * t.n
        self.n_rows = 0
        # Adjoints live in rows of their own, taken when backward's code first writes one and
        # given back once its node has passed it on: a long chain needs a few rows, not one a node
        self.grow: dict[int, int] = {}  # value row -> its adjoint's row in G, while it has one
        self._free: list[int] = []
        self.n_grows = 0
        self._gs_written = [False] * len(S)  # per scalar: likewise, its batch-summed adjoint
        levels = plan(t)
        self._readers = _readers(t)
        self._layer_inputs = self._inputs_of_layers(levels)
        self.ones_rows: list[int] = []
        self._ones: dict[tuple[int, ...], int] = {}  # a layer's inputs -> the row of 1s after
        # a layer of few inputs written by a numba loop: its rows -> (its statement, n, operands)
        self._few: dict[tuple[int, ...], tuple[int, list[str], list[int]]] = {}
        # a relu of a block of rows: its rows -> (its statement, its operand, its output)
        self._relus: dict[tuple[int, ...], tuple[int, str, str]] = {}
        inputs = [i for i in range(t.n) if t.input_of[i] >= 0]
        self._new_block(inputs)
        self.input_rows = [-1] * t.n_inputs
        for i in inputs:
            self.input_rows[t.input_of[i]] = self.row[i]
        # the inputs' block of rows, when every argument has one (an unused one has none)
        self._input_block = ((min(self.input_rows), max(self.input_rows) + 1)
                             if min(self.input_rows, default=-1) >= 0 else None)
        for level in levels:
            for group in level:
                self._new_block(group.members)
        self._scalar_rows: list[int] = []
        self._scalar_src: list[int] = []
        code = _Code()
        if self.row[t.root] < 0:
            self._operand_row(t.root)
        self._gtake([self.row[t.root]])
        self.root_grow = self.grow[self.row[t.root]]
        backward: list[list[Any]] = []
        for level in levels:
            backward.append([
                self._matmul(group, code) if group.kind == "matmul" else self._rule(group, code)
                for group in level
            ])
        self._guards(code)
        # Nodes of one level never feed each other, so only the order of levels matters here;
        # each writer knows which adjoint rows are written already (assign, else add).
        back = [line for level in reversed(backward) for write in level if write
                for line in [write()] if line]
        # a scalar read as a batch row keeps its adjoint's row to the end (no group gives it
        # back); one that backward never wrote has adjoint 0 and is left out
        kept = [(self.grow[r], src) for r, src in zip(self._scalar_rows, self._scalar_src)
                if r in self.grow]
        self.scalar_grows = np.asarray([g for g, _ in kept], dtype=np.intp)
        self.scalar_gsrc = np.asarray([src for _, src in kept], dtype=np.intp)
        self._finish(code, _fuse_outer_relu(back, code) if self.large else back)

    def _inputs_of_layers(self, levels: list[list[Group]]) -> dict[int, list[tuple[int, ...]]]:
        """The inputs ``(a_1 … a_n)`` of each matmul group, by their last node: where their rows
        come out consecutive, a row of 1s follows them (the bias's column of ``[W b]``)."""
        t = self.tape
        ends: dict[int, list[tuple[int, ...]]] = {}
        for level in levels:
            for group in level:
                if group.kind == "matmul":
                    ps = t.parents[group.members[0]]
                    n = (len(ps) - 1) // 2
                    a = tuple(ps[n : 2 * n])
                    if all(t.batched[p] for p in a) and a not in ends.get(a[-1], []):
                        ends.setdefault(a[-1], []).append(a)
        return ends

    def _new_row(self, i: int) -> int:
        self.row[i] = r = self.n_rows
        self.n_rows += 1
        return r

    def _new_block(self, nodes: list[int]) -> None:
        """Consecutive rows for ``nodes``; a row of 1s after them where they end with the
        inputs of a layer (its rows must stay consecutive: one view per group)."""
        for i in nodes:
            self._new_row(i)
        if not nodes:
            return
        last = self.row[nodes[-1]]
        for a in self._layer_inputs.get(nodes[-1], ()):
            if [self.row[p] for p in a] == list(range(last + 1 - len(a), last + 1)):
                if last + 1 == self.n_rows:
                    self.ones_rows.append(self.n_rows)
                    self.n_rows += 1
                self._ones[a] = last + 1

    def _guards(self, code: _Code) -> None:
        """After forward: every comparison made while tracing, over the whole batch."""
        t = self.tape
        code.names["check_guard"] = check_guard
        for j, op, left, right, outcome in t.guard_sides(
                literal, lambda x: code.view([self._operand_row(x)]).format("V")):
            code.fwd.append(f"check_guard({j}, {left} {op} {right}, {outcome})")

    def _operand_row(self, p: int) -> int:
        """The row of node ``p``; a scalar read as a batch row gets one, filled per call."""
        if self.row[p] < 0:
            self._scalar_rows.append(self._new_row(p))
            self._scalar_src.append(self.tape.scalar_of[p])
        return self.row[p]

    def _finish(self, code: _Code, back: list[str]) -> None:
        t = self.tape
        self.scalar_rows = np.asarray(self._scalar_rows, dtype=np.intp)
        self.scalar_src = np.asarray(self._scalar_src, dtype=np.intp)
        self.n_statements = len(code.fwd) + len(back)
        self._forward = build(chunks(code.fwd), "(V, S, RV)", code.names, self.source_parts)
        self._backward = build(chunks(back), "(V, G, S, GS, RV, RG)", code.names,
                               self.source_parts)
        self._view_keys = list(code.views)
        self._gview_keys = list(code.gviews)
        self.root_row = self.row[t.root]
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray, list[Any], list[Any]]] = {}

    # ---- code generation -------------------------------------------------------------------
    def _gtake(self, rows: list[int]) -> list[int]:
        """Adjoint rows for value rows ``rows`` (unique, none holding one yet): consecutive, from
        the given-back rows where a run is long enough, else new ones."""
        k = len(rows)
        if k == 1 and self._free:
            self.grow[rows[0]] = g = self._free.pop()
            return [g]
        # a run of k given-back rows, looked for among a bounded number (compile time stays
        # linear on wide graphs with many given-back rows)
        free = sorted(self._free) if len(self._free) <= 256 else []
        start = next((free[j] for j in range(len(free) - k + 1)
                      if free[j + k - 1] == free[j] + k - 1), -1)
        if start < 0:
            start, self.n_grows = self.n_grows, self.n_grows + k
        else:
            self._free = [g for g in free if not start <= g < start + k]
        for j, r in enumerate(rows):
            self.grow[r] = start + j
        return [start + j for j in range(k)]

    def _give_back(self, rows: list[int]) -> None:
        """Nodes ``rows`` have passed their adjoints on: nothing reads those rows again."""
        for r in dict.fromkeys(rows):
            if r in self.grow:
                self._free.append(self.grow.pop(r))

    def _read(self, code: _Code, rows: list[int], block: bool = False) -> str:
        """``d = `` the adjoints of ``rows`` (0 where no path from the output wrote one)."""
        lines = [f"G[{self._gtake([r])[0]}] = 0.0" for r in dict.fromkeys(rows)
                 if r not in self.grow]
        d = code.gview([self.grow[r] for r in rows], block)[0]
        return "; ".join([*lines, f"d = {d}"])

    def _fresh(self, rows: list[int]) -> bool:
        """No row of ``rows`` has an adjoint yet, and none repeats: an assignment writes them."""
        return _unique(rows) and not any(r in self.grow for r in rows)

    def _add(self, code: _Code, rows: list[int], value: str, block: bool = False) -> str:
        """``(adjoints of rows) += value`` as a statement: an assignment into new rows where
        none has an adjoint yet (so G needs no zeroing), ``np.add.at`` where ``rows`` repeat."""
        lines = []
        if self._fresh(rows):
            target, gather = code.gview(self._gtake(rows), block)
            if gather is not None:
                lines.append(f"{target} = {value}")
            elif value.endswith(".T @ d"):  # a layer's W.T @ δ, straight into the rows
                lines.append(f"np.dot({value[:-4]}, d, out={target})")
            elif value.startswith("d * "):  # the fused rate product, straight into the rows
                lines.append(f"np.multiply(d, {value[4:]}, out={target})")
            else:
                lines.append(f"{target}[...] = {value}")
            return "; ".join(lines)
        lines += [f"G[{self._gtake([r])[0]}] = 0.0" for r in dict.fromkeys(rows)
                  if r not in self.grow]
        target, gather = code.gview([self.grow[r] for r in rows], block)
        if _unique(rows):
            lines.append(f"{target} += {value}")
        else:
            lines.append(f"np.add.at(G, {gather}, {value})")
        return "; ".join(lines)

    def _block(self, code: _Code, vector: np.ndarray, idx: list[int], shape: tuple[int, ...],
               name: str) -> str:
        """Scalars ``idx`` as a ``shape`` block of ``vector``: a view made once where they are
        contiguous, else a gather per call (``S[K]``)."""
        if idx == list(range(idx[0], idx[0] + len(idx))):
            return code.const(vector[idx[0] : idx[0] + len(idx)].reshape(shape))
        return f"{name}[{code.const(np.asarray(idx, dtype=np.intp).reshape(shape))}]"

    def _matmul(self, group: Group, code: _Code) -> Any:
        """A layer ``Z = W A + b``: one product ``[W b] [A; 1]`` where ``[W b]`` is a block of
        ``S`` and a row of 1s follows ``A``'s rows, else ``W A`` and ``+= b`` apart. Backward:
        ``δ [A; 1]ᵀ`` into the adjoints' block of ``GS`` (BP4 and BP3 in one product) and
        ``Wᵀ δ`` into ``A``'s rows (BP2)."""
        t, members = self.tape, group.members
        ps0 = t.parents[members[0]]
        n = (len(ps0) - 1) // 2
        a_nodes = tuple(ps0[n : 2 * n])
        k = len(members)
        wb_idx = [t.scalar_of[p] for i in members for p in (*t.parents[i][:n], t.parents[i][-1])]
        ones = self._ones.get(a_nodes)
        if ones is None or not _consecutive(wb_idx):
            return self._matmul_apart(group, code)
        a_rows = [self.row[p] for p in a_nodes]
        z = code.view([self.row[i] for i in members], block=True)
        a1 = code.view([*a_rows, ones], block=True)
        wb = self.S[wb_idx[0] : wb_idx[0] + len(wb_idx)].reshape(k, n + 1)
        product = [code.const(wb), a1.format("V"), z.format("V")]
        relu = self._relus.get(tuple(a_rows)) if self.large and k == 1 else None
        if relu and (kernel := fused("relu_neuron")) is not None:  # in its inputs' relu's pass
            code.names["relu_neuron"] = kernel
            code.fwd[relu[0]] = f"relu_neuron({relu[1]}, {product[0]}, {relu[2]}, {product[2]})"
        elif self.large and n <= FEW and (kernel := fused("layer")) is not None:  # one pass
            code.names["layer"] = kernel
            self._few[tuple(self.row[i] for i in members)] = (len(code.fwd), product, members)
            code.fwd.append(f"layer({', '.join(product)}, {product[2]}, False)")
        else:
            code.fwd.append(f"np.dot({product[0]}, {product[1]}, out={product[2]})")
        if not any(t.needs_grad[i] for i in members):
            return None
        gwb = code.const(self.GS[wb_idx[0] : wb_idx[0] + len(wb_idx)].reshape(k, n + 1))
        # BP2, Wᵀ δ: at large batches a layer of one neuron (an MLP's output) broadcasts its
        # weights' column times the δ row (a BLAS outer product: 3× slower there, faster below)
        back = (f"d * {code.const(wb[:, :n].T)}" if k == 1 and self.large else
                f"{code.const(wb[:, :n])}.T @ d")
        into_a = any(t.needs_grad[p] for p in a_nodes)

        z_rows = [self.row[i] for i in members]

        def write() -> str:
            lines = [self._read(code, z_rows, block=True),
                     self._into_scalars(gwb, wb_idx, f"d @ {a1.format('V')}.T", n + 1)]
            if into_a:
                lines.append(self._add(code, a_rows, back, block=True))
            self._give_back(z_rows)
            return "; ".join(lines)

        return write

    def _matmul_apart(self, group: Group, code: _Code) -> Any:
        t, members = self.tape, group.members
        ps0 = t.parents[members[0]]
        n = (len(ps0) - 1) // 2
        w_idx = [t.scalar_of[p] for i in members for p in t.parents[i][:n]]
        b_idx = [t.scalar_of[t.parents[i][-1]] for i in members]
        a_rows = [self._operand_row(p) for p in ps0[n : 2 * n]]
        k = len(members)
        z = code.view([self.row[i] for i in members], block=True)
        a = code.view(a_rows, block=True)
        w = self._block(code, self.S, w_idx, (k, n), "S")
        b = self._block(code, self.S, b_idx, (k, 1), "S")
        code.fwd.append(f"w = {w}; np.matmul(w, {a.format('V')}, out={z.format('V')}); "
                        f"{z.format('V')} += {b}")
        if not any(t.needs_grad[i] for i in members):
            return None
        gw = self._block(code, self.GS, w_idx, (k, n), "GS")
        gb = self._block(code, self.GS, b_idx, (k,), "GS")
        into_a = any(t.needs_grad[p] for p in ps0[n : 2 * n])

        z_rows = [self.row[i] for i in members]

        def write() -> str:
            lines = [self._read(code, z_rows, block=True),
                     self._into_scalars(gw, w_idx, f"d @ {a.format('V')}.T", n),
                     self._into_scalars(gb, b_idx, "d.sum(axis=1)")]
            if into_a:
                back = f"d * {w}.T" if k == 1 and self.large else f"{w}.T @ d"  # as _matmul
                lines.append(self._add(code, a_rows, back, block=True))
            self._give_back(z_rows)
            return "; ".join(lines)

        return write

    def _into_scalars(self, target: str, idx: list[int], value: str, cols: int = 0) -> str:
        """``target += value`` into the batch-summed adjoints ``idx`` of ``GS``: a view name
        (``K3``) or a gather (``GS[K3]``); ``out=`` where no entry has an adjoint yet."""
        fresh = _unique(idx) and not any(self._gs_written[j] for j in idx)
        for j in idx:
            self._gs_written[j] = True
        if target.startswith("GS["):
            if _unique(idx):
                return f"{target} += {value}"
            return f"np.add.at(GS, {target[3:-1]}, {value})"
        if fresh and value.endswith(".T") and cols > 0 and self.large:
            return f"dot_rows(d, {value[4:-2]}, {target})"  # δ Aᵀ of a layer of few inputs
        if fresh and value.endswith(".T"):  # δ Aᵀ: a product straight into the block
            return f"np.dot(d, {value[4:]}, out={target})"
        if fresh and value == "d.sum(axis=1)":
            return f"np.add.reduce(d, axis=1, out={target})"
        return f"{target}[...] += {value}"

    def _slot(self, group: Group, j: int, code: _Code) -> tuple[str, Any, str, list[int]]:
        """Operand ``j`` of a group: (read text, its rows or None for scalars, adjoint, the
        scalars' positions in ``S``)."""
        t = self.tape
        parents = [t.parents[i][j] for i in group.members]
        if all(t.scalar_of[p] >= 0 for p in parents):
            src = [t.scalar_of[p] for p in parents]
            if len(src) == 1:
                return (f"S[{src[0]}]", None, f"GS[{src[0]}] += np.add.reduce({{}}, axis=None)",
                        src)
            idx = code.const(np.asarray(src, dtype=np.intp))
            add = (f"GS[{idx}] += np.add.reduce({{}}, axis=1)" if _unique(src)
                   else f"np.add.at(GS, {idx}, np.add.reduce({{}}, axis=1))")
            return f"S[{idx}][:, None]", None, add, src
        rows = [self._operand_row(p) for p in parents]
        return code.view(rows).format("V"), rows, "", []

    def _forward_rule(self, code: _Code, o: str, value: Any, rows: list[int] | None,
                      out_rows: list[int]) -> None:
        """``o = value``; the relu of a layer of few inputs (``rows``: its operand's rows) goes
        into the layer's own pass instead; a relu of a block is remembered (``_relus``)."""
        few, fast = self._few.get(tuple(rows or ())), _fast(value)
        if fast is not None and fast[0] == "relu" and o.startswith("R"):
            if few:  # the layer's own rows left unwritten where only this relu reads them
                z = o if all(self._readers[i] == 1 for i in few[2]) else few[1][2]
                code.fwd[few[0]] = f"layer({few[1][0]}, {few[1][1]}, {z}, {o}, True)"
                return
            if self.large and len(out_rows) > 1 and _unique(out_rows):
                self._relus[tuple(out_rows)] = (len(code.fwd), fast[1], o)
        code.fwd.append(_assign(o, value))

    def _rule(self, group: Group, code: _Code) -> Any:
        t, members = self.tape, group.members
        first = members[0]
        rule = ROWS[t.ops[first]]
        m = _Calls()
        slots = [self._slot(group, j, code) for j in range(len(t.parents[first]))]
        args: list[Any] = [m.sym(s[0]) for s in slots]
        if t.consts[first] is not None:
            if len(members) == 1:
                args.append(t.consts[first])
            else:
                c = np.asarray([t.consts[i] for i in members], dtype=float)[:, None]
                args.append(m.sym(code.const(c)))
        out = code.view([self.row[i] for i in members])
        o = out.format("V")
        value = rule.forward(m, *args)
        self._forward_rule(code, o, value, slots[0][1], [self.row[i] for i in members])
        if not any(t.needs_grad[i] for i in members):
            return None
        rates = rule.partials(m, m.sym(out.format("V")), *args)
        wanted = [any(t.needs_grad[t.parents[i][j]] for i in members) for j in range(len(slots))]

        out_rows = [self.row[i] for i in members]

        def write() -> str:
            lines = [self._read(code, out_rows)]
            for rate, (_, rows, target, src), want in zip(rates, slots, wanted):
                if not want:
                    continue
                contribution = term("d", rate)
                if rows is None:
                    if len(src) == 1 and isinstance(rate, Sym) and rate.text.startswith("RV["):
                        # Σ over the batch of δ · a row: one dot product, no temporary
                        lines.append(f"GS[{src[0]}] += np.dot(d, {rate.text})")
                    else:
                        lines.append(target.format(contribution))
                    for j in src:
                        self._gs_written[j] = True
                elif (form := _rate_form(value, rate, o)) and self._fresh(rows):
                    # the rate straight into new rows, then times δ: no temporary (or δ times
                    # the rate in one pass, where a fused ufunc is built)
                    target, gather = code.gview(self._gtake(rows))
                    fused = _fused_form(value, rate, code) if self.large else None
                    if gather is None and fused:
                        lines.append(fused.format(o=o, out=target))
                    elif gather is None:
                        lines.append(form.format(out=target))
                        lines.append(f"np.multiply({target}, d, out={target})")
                    else:
                        lines.append(f"{target} = {contribution}")
                else:
                    lines.append(self._add(code, rows, contribution))
            self._give_back(out_rows)
            return "; ".join(lines)

        return write

    # ---- running ---------------------------------------------------------------------------
    def _buffers_for(self, batch: int) -> tuple[np.ndarray, np.ndarray, list[Any], list[Any]]:
        # Every row is written before it is read on each call, so nothing carries over.
        found = self._buffers.get(batch)
        if found is None:
            if len(self._buffers) >= 2:
                self._buffers.pop(next(iter(self._buffers)))
            V, G = np.zeros((self.n_rows, batch)), np.zeros((self.n_grows, batch))
            V[self.ones_rows] = 1.0  # the bias's row of [A; 1], never written
            views = [slice(k[0], k[1]) if isinstance(k, tuple) else k for k in self._view_keys]
            gviews = [slice(k[0], k[1]) if isinstance(k, tuple) else k for k in self._gview_keys]
            found = (V, G, [V[s] for s in views], [G[s] for s in gviews])
            self._buffers[batch] = found
        return found

    def run(
        self, xs: list[np.ndarray], S: np.ndarray, with_grad: bool, check: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-example outputs and Σ over the batch of ∂output/∂scalar (``GS``), in chunks of
        examples small enough that the ``(rows, chunk)`` values stay under ``MAX_ENTRIES``.
        ``check``: raise ``NonFiniteInput`` before anything runs if an input may be inf or nan
        (one dot over the rows they are copied into)."""
        batch = len(xs[0])
        chunk = max(MIN_CHUNK, MAX_ENTRIES // max(self.n_rows, 1))
        GS = self.GS
        if with_grad:
            GS.fill(0.0)
        if batch <= chunk:
            return self._run_chunk(xs, S, with_grad, check), GS if with_grad else None
        if check:
            for x in xs:
                if not math.isfinite(np.dot(x, x)):
                    raise NonFiniteInput
        outs = []
        total = np.zeros_like(GS)  # each chunk's code assigns the adjoints it writes first
        for start in range(0, batch, chunk):
            try:
                outs.append(self._run_chunk([x[start : start + chunk] for x in xs], S, with_grad))
            except GuardFlip as flip:
                raise GuardFlip(flip.guard, flip.example + start) from None
            if with_grad:
                total += GS
                GS.fill(0.0)
        GS[:] = total
        return np.concatenate(outs), GS if with_grad else None

    def _run_chunk(self, xs: list[np.ndarray], S: np.ndarray, with_grad: bool,
                   check: bool = False) -> np.ndarray:
        V, G, RV, RG = self._buffers_for(len(xs[0]))
        for r, x in zip(self.input_rows, xs):
            if r >= 0:
                V[r] = x
        if check:
            block = self._input_block
            if block is None:
                if not all(math.isfinite(np.dot(x, x)) for x in xs):
                    raise NonFiniteInput
            else:
                flat = V[block[0] : block[1]].ravel()
                if not math.isfinite(np.dot(flat, flat)):
                    raise NonFiniteInput
        if len(self.scalar_rows):
            V[self.scalar_rows] = S[self.scalar_src][:, None]
        for f in self._forward:
            f(V, S, RV)
        out = V[self.root_row].copy()
        if with_grad:
            G[self.root_grow] = 1.0
            GS = self.GS
            for f in self._backward:
                f(V, G, S, GS, RV, RG)
            if len(self.scalar_rows):
                np.add.at(GS, self.scalar_gsrc, G[self.scalar_grows].sum(axis=1))
        return out


def dot_rows(d: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    """``out = d aᵀ`` (a layer's δ [A; 1]ᵀ, BP3 and BP4). Over 512 examples OpenBLAS packs both
    operands of a product first: for a few rows ``a``, one matrix-vector product per row (at batch
    10,000, 16 × 3: 104 µs against 67), else ``a dᵀ`` and its transpose (16 × 17: 208 against
    194); under 512, one product."""
    if d.shape[1] < 512:
        np.dot(d, a.T, out=out)
    elif a.shape[0] <= FEW + 1:
        for j in range(a.shape[0]):
            out[:, j] = np.dot(d, a[j])
    else:
        out[...] = np.dot(a, d.T).T


def check_guard(j: int, result: Any, outcome: bool) -> None:
    """Raise ``GuardFlip`` naming the first example where comparison ``j`` is not ``outcome``
    (example -1: it depends on no input, so every example flipped)."""
    flips = np.asarray(result) != outcome
    if flips.any():
        raise GuardFlip(j, int(np.argmax(flips)) if flips.ndim else -1)


_UFUNCS = {"+": "np.add", "-": "np.subtract", "*": "np.multiply", "/": "np.divide",
           "neg": "np.negative"}


def _assign(target: str, value: Any) -> str:
    """``target[...] = value``; one ufunc with ``out=target`` where ``value`` is one
    arithmetic operator on references and numbers (no temporary array)."""
    if isinstance(value, Sym) and value.op in _UFUNCS and all(
        a.prec >= 80 and not a.op for a in value.args
    ):
        return f"{_UFUNCS[value.op]}({', '.join(a.text for a in value.args)}, out={target})"
    fast = _fast(value)
    if fast and target.startswith("R"):
        return FAST[fast[0]].format(x=fast[1], out=target)
    return f"{target}[...] = {_text(value)}"


def _text(x: Any) -> str:
    return x.text if isinstance(x, Sym) else literal(float(x))
