"""Replay through numba: one compiled tape interpreter, the tape as a table of instructions.

Generating and compiling code per tape (a scalar local per node) runs fastest but compiles for
a minute on a 1,000-op chain. Here an interpreter (``numba_code``, its op branches written by
the rows, one for each op the tape uses) is compiled once per op set and machine, from a module
file cached on disk under a hash of its source, so later processes load it; each tape only
becomes integer tables:

* ``code``: an instruction per batch-dependent node in tape order: op code, its value row,
  its operands (a value row, or a scalar ``S[k]`` written ``-1 - k``), its constant, and for
  backward the adjoint rows of the node and of its operands (taken when first written, with a
  flag to zero them then, and given back once the node has passed its adjoint on: a chain needs
  a few), and which scalar a scalar operand's adjoint adds into (summed over the block);
* ``args``: the operands of ``sum``/``wsum`` nodes, the same way;
* ``guards``: each comparison recorded while tracing, checked on every example.

The interpreter runs the batch in blocks of examples sized to stay in cache, forward and
backward per block. The numbers are the rows' own in float64 (numba's ``error_model="numpy"``,
no fastmath); ``compile`` gives a call whose inputs are not finite, whose guard flips or whose
result is not finite (outside ``ieee()``) to the numpy replay, which raises its own errors.

>>> import numpy as np
>>> from pathgrad.autograd import Value
>>> from pathgrad.autograd.compiler.tape import Tape
>>> from pathgrad.autograd.compiler.trace import trace
>>> w = Value(2.0)
>>> S, GS = np.array([2.0]), np.zeros(1)
>>> replay = NumbaReplay(Tape(trace(lambda x: (w * x).relu(), [w], [3.0])), S, GS)
>>> status, out, gs, _, _ = replay.run([np.array([1.0, -1.0, 3.0])], S, True)
>>> status, out.tolist(), gs.tolist()
(0, [2.0, 0.0, 6.0], [4.0])
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._files import write_atomic
from ..rules import ROWS
from . import numba_code as nc
from .tape import Tape

__all__ = ["BLOCK_BYTES", "NumbaReplay", "available", "cache_dir", "entry", "kernel"]

BLOCK_BYTES = 1 << 19
"""Values and adjoints of one block of examples take about this many bytes (in L2 cache)."""

_CMP = {"<": 0, "<=": 1, ">": 2, ">=": 3}
_KERNELS: list[tuple[dict[str, Any], tuple[Any, dict[str, int], str]]] = []
"""The kernels compiled in this process, with the rows they were written from."""


def available() -> bool:
    """Whether numba can be imported (without importing it)."""
    return importlib.util.find_spec("numba") is not None


def cache_dir() -> Path:
    """Where the interpreter's module and numba's cache of it go: ``$PATHGRAD_CACHE_DIR``, else
    ``pathgrad`` under ``$XDG_CACHE_HOME`` (``~/.cache``)."""
    root = os.environ.get("PATHGRAD_CACHE_DIR")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pathgrad"


def kernel(ops: Iterable[str] | None = None) -> tuple[Any, dict[str, int], str]:
    """An interpreter module with branches for ``ops`` (default: every row the interpreter can
    run), its op codes and its source: one compiled in this process for a superset of them with
    the same rows, else the one for exactly ``ops`` (loaded from the disk cache, or compiled
    and stored there: once per machine for each op set)."""
    wanted = sorted(nc.supported() if ops is None else set(ops))
    rows = {name: ROWS[name] for name in wanted}
    for have, found in _KERNELS:
        if all(have.get(name) is rule for name, rule in rows.items()):
            return found
    try:
        import numba
    except ImportError as error:
        raise ImportError("backend='numba' needs numba: pip install 'pathgrad[numba]'") from error
    source, codes = nc.kernel_source(cache=True, ops=wanted)
    digest = hashlib.sha256(f"{source}{numba.__version__}{sys.version}".encode()).hexdigest()[:20]
    module = _from_file(source, digest)
    if module is None:  # no writable cache folder: compiled anew in each process
        source = nc.kernel_source(cache=False, ops=wanted)[0]
        module = types.ModuleType(f"_pathgrad_kernel_{digest}")
        exec(compile(source, f"<pathgrad numba kernel {digest}>", "exec"), vars(module))
    found = (module, codes, source)
    _KERNELS.append((rows, found))
    return found


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """One process at a time compiles (the others then load numba's cache); no lock where the
    folder cannot hold one."""
    try:
        import fcntl

        handle = open(path, "a")
    except (ImportError, OSError):
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def entry(module: Any, name: str) -> Any:
    """The interpreter's ``run1`` (one example) or ``runs`` (blocks of examples), compiled for
    the one signature it is called with (or loaded from numba's cache) on its first use: a
    batch-1 user compiles only the one-example half."""
    run = getattr(module, name)
    if not run.signatures:
        with _lock(cache_dir() / "numba" / "compile.lock"):
            ints = np.zeros((0, nc.WIDTH), dtype=np.int64)
            floats = np.zeros(1)
            run(ints, np.zeros((0, nc.ARGS_WIDTH), dtype=np.int64),
                np.zeros((0, 6), dtype=np.int64), np.zeros((0, 3), dtype=np.int64), floats,
                floats, np.zeros(1), np.zeros((1, 1)), np.zeros(0, dtype=np.int64), np.zeros(1),
                np.zeros((3, 1)), np.zeros((4, 1)), 0, 0, True, True)
    return run


def _from_file(source: str, digest: str) -> Any:
    """The module from a file ``kernel_<digest>.py`` in the cache folder (written once,
    atomically), so numba's cache can key on it; None where the folder is not writable."""
    folder = cache_dir() / "numba"
    path = folder / f"kernel_{digest}.py"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != source:
            write_atomic(path, source.encode(), "the numba back end's cache")
        probe = folder / "__pycache__"
        probe.mkdir(exist_ok=True)
        if not os.access(probe, os.W_OK):
            return None
    except OSError:
        return None
    name = f"_pathgrad_kernel_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache finds the module's globals by its name
    spec.loader.exec_module(module)
    return module


class _Adjoints:
    """Rows of the adjoint buffer, taken at a node's first contribution, given back after."""

    def __init__(self) -> None:
        self.of: dict[int, int] = {}
        self.free: list[int] = []
        self.n = 0

    def target(self, node: int) -> tuple[int, int]:
        """(row, zero first?) for a contribution to ``node``'s adjoint."""
        if node in self.of:
            return self.of[node], 0
        row = self.free.pop() if self.free else self.n
        self.n = max(self.n, row + 1)
        self.of[node] = row
        return row, 1

    def release(self, node: int) -> None:
        self.free.append(self.of.pop(node))


class NumbaReplay:
    """The tape as instruction tables for the compiled interpreter (``numba_code``)."""

    def __init__(self, tape: Tape, S: np.ndarray, GS: np.ndarray) -> None:
        self.tape = t = tape
        self.S, self.GS = S, GS
        ops = [i for i in range(t.n) if t.parents[i] and t.batched[i]]
        names = {t.ops[i] for i in ops}
        runs = nc.supported()
        for name in sorted(names):
            if name not in runs:
                raise nc.Unsupported(
                    f"the numba back end has no branch for op {name!r} (its row's arity "
                    "or functions); use backend='numpy'")
        self.module, codes, source = kernel(names)
        self.source_parts = [source]
        """The interpreter's source (the tape's ops' branches; the tables are the program)."""
        self.row = row = [-1] * t.n
        n_rows = 0
        for i in range(t.n):
            if t.batched[i]:
                row[i] = n_rows
                n_rows += 1
        # the scalars batched ops read: a value row each in a block (S[k] broadcast) and an
        # adjoint row (summed into GS[k] once a block)
        used = sorted({t.scalar_of[p] for i in ops for p in t.parents[i] if t.scalar_of[p] >= 0})
        self.scalar_row = {k: n_rows + j for j, k in enumerate(used)}
        self.scalar_grow = {k: -2 - j for j, k in enumerate(used)}  # placed after the others
        self.n_vrows = n_rows + len(used)
        self.C: list[float] = [0.0]
        self._tables(ops, codes)
        self.scalars = np.asarray([[self.scalar_row[k], self._grow(self.scalar_grow[k]), k]
                                   for k in used], dtype=np.int64).reshape(len(used), 3)
        self.inrow = np.full(t.n_inputs, -1, dtype=np.int64)
        for i in range(t.n):
            if t.input_of[i] >= 0:
                self.inrow[t.input_of[i]] = row[i]
        self.guards = np.asarray([self._guard(g) for g in t.guards], dtype=np.int64
                                 ).reshape(len(t.guards), 6)
        self.consts = np.asarray(self.C, dtype=float)
        self._buffers: dict[int, tuple[Any, ...]] = {}
        self._last: tuple[Any, ...] = (-1,)
        self.root = self.row[t.root]
        self._runs: dict[bool, Any] = {}

    def _ref(self, p: int) -> int:
        """Operand ``p`` on one example: its value row, or ``-1 - k`` for the scalar ``S[k]``."""
        k = self.tape.scalar_of[p]
        return -1 - k if k >= 0 else self.row[p]

    def _vrow(self, p: int) -> int:
        """Operand ``p`` in a block: its value row (a scalar's broadcast row)."""
        k = self.tape.scalar_of[p]
        return self.scalar_row[k] if k >= 0 else self.row[p]

    def _grow(self, g: int) -> int:
        """An adjoint row: placeholders -1 (the row nobody reads) and -2 - j (scalar j's row)
        become rows after the ones backward takes and gives back."""
        if g >= 0:
            return g
        return self.n_grows + len(self.scalar_row) if g == -1 else self.n_grows - 2 - g

    def _const(self, c: float) -> int:
        self.C.append(float(c))
        return len(self.C) - 1

    def _tables(self, ops: list[int], codes: dict[str, int]) -> None:
        t = self.tape
        code = np.zeros((len(ops), nc.WIDTH), dtype=np.int64)
        args: list[list[int]] = []
        for q, i in enumerate(ops):
            ps = t.parents[i]
            c = code[q]
            c[nc.OP], c[nc.OUT] = codes[t.ops[i]], self.row[i]
            c[nc.GA] = c[nc.GB] = c[nc.GA2] = c[nc.GB2] = -1  # nobody's (a fold's stay so)
            c[nc.SA] = c[nc.SB] = -1
            if t.consts[i] is not None:
                c[nc.CI] = self._const(t.consts[i])  # type: ignore[arg-type]
            if t.ops[i] in nc.FOLDS:
                c[nc.A], c[nc.B] = len(args), len(ps)
                args.extend([self._ref(p), -1, 0, -1, self._vrow(p), -1] for p in ps)
            else:
                b = ps[1] if len(ps) > 1 else ps[0]
                c[nc.A], c[nc.B] = self._ref(ps[0]), self._ref(b)
                c[nc.RA], c[nc.RB] = self._vrow(ps[0]), self._vrow(b)
        self.args = np.asarray(args, dtype=np.int64).reshape(len(args), nc.ARGS_WIDTH)
        self.code = code
        self._backward_rows(ops)

    def _backward_rows(self, ops: list[int]) -> None:
        """Adjoint rows in backward's order (taken at a node's first contribution, given back
        once it has passed its own on), then one per scalar operand, then the row nobody reads
        (an operand that needs no adjoint)."""
        t, code, args = self.tape, self.code, self.args
        adj = _Adjoints()
        self.groot = adj.target(t.root)[0]
        for q in range(len(ops) - 1, -1, -1):
            i = ops[q]
            if not t.needs_grad[i]:
                continue
            code[q, nc.BACK] = 1
            code[q, nc.GO] = adj.of[i]
            ps = t.parents[i]
            order: list[tuple[np.ndarray, int, tuple[int, int, int, int], int]] = []
            if t.ops[i] in nc.FOLDS:
                first, width = nc.FOLDS[t.ops[i]]
                h = (len(ps) - 1) // width
                start = int(code[q, nc.A])
                skip = 1 if first else 0
                cols = (nc.GROW, nc.GBLOCK, nc.ZERO, nc.SCALAR)
                order.append((args, start + (0 if first else len(ps) - 1), cols,
                              ps[0] if first else ps[-1]))
                for j in range(h):
                    order += [(args, start + skip + s * h + j, cols, ps[skip + s * h + j])
                              for s in range(width)]
            else:
                order.append((code, q, (nc.GA, nc.GA2, nc.ZA, nc.SA), ps[0]))
                if len(ps) > 1:
                    order.append((code, q, (nc.GB, nc.GB2, nc.ZB, nc.SB), ps[1]))
            for table, r, cols, p in order:
                self._target(adj, table, r, cols, p)
            adj.release(i)
        self.n_grows = adj.n
        for table, columns in ((code, (nc.GA, nc.GB, nc.GA2, nc.GB2)),
                               (args, (nc.GROW, nc.GBLOCK))):
            for col in columns:
                table[:, col] = [self._grow(int(g)) for g in table[:, col]]

    def _target(self, adj: _Adjoints, table: np.ndarray, r: int, cols: tuple[int, int, int, int],
                p: int) -> None:
        """The adjoint rows (one example, a block), zero flag and scalar of one operand."""
        t = self.tape
        row, block_row, zero, scalar = cols
        k = t.scalar_of[p]
        if not t.needs_grad[p]:
            table[r, row] = table[r, block_row] = -1
            table[r, zero], table[r, scalar] = 0, -1
        elif k >= 0:  # one example: straight into GS[k]; a block: into the scalar's row
            table[r, row], table[r, block_row] = -1, self.scalar_grow[k]
            table[r, zero], table[r, scalar] = 0, k
        else:
            g, first = adj.target(p)
            table[r, row] = table[r, block_row] = g
            table[r, zero], table[r, scalar] = first, -1

    def _guard(self, guard: tuple[str, Any, Any, bool]) -> list[int]:
        op, a, b, outcome = guard
        sides = []
        for x in (a, b):
            if isinstance(x, float):
                sides += [2, self._const(x)]
            elif self.tape.scalar_of[x] >= 0:
                sides += [1, self.tape.scalar_of[x]]
            else:
                sides += [0, self.row[x]]
        return [_CMP[op], *sides, int(outcome)]

    def block(self, batch: int) -> int:
        """Examples per block: values and adjoints of a block take about ``BLOCK_BYTES``."""
        rows = self.n_vrows + self.n_grows + len(self.scalar_row) + 1
        return max(1, min(batch, BLOCK_BYTES // (8 * rows)))

    def _buffers_for(self, batch: int, n_inputs: int) -> tuple[Any, ...]:
        """(batch, V, G, X) for this batch size: kept for the last two sizes."""
        found = self._buffers.get(batch)
        if found is None:
            blk = self.block(batch)
            X = np.empty((n_inputs, batch)) if n_inputs > 1 else None
            found = (batch, np.zeros((self.n_vrows, blk)),
                     np.zeros((self.n_grows + len(self.scalar_row) + 1, blk)), X)
            if len(self._buffers) > 1:
                self._buffers.clear()
            self._buffers[batch] = found
        return found

    def run(self, xs: list[np.ndarray], S: np.ndarray, with_grad: bool, check: bool = False
            ) -> tuple[int, np.ndarray, np.ndarray, float, float]:
        """(status, per-example outputs, Σ over the batch of ∂output/∂scalar in ``GS``, the
        outputs' sum, ``GS``'s sum); status 1: a guard flipped, 2: an input is not finite
        (``check``)."""
        batch = len(xs[0])
        last = self._last
        if last[0] != batch:
            last = self._last = self._buffers_for(batch, len(xs))
        X = last[3]
        if X is None:  # (C order, as the interpreter was compiled for)
            X = np.ascontiguousarray(xs[0]).reshape(1, batch)
        else:
            for k, x in enumerate(xs):
                X[k] = x
        out = np.empty(batch)
        one = batch == 1
        run = self._runs.get(one)
        if run is None:
            run = self._runs[one] = entry(self.module, "run1" if one else "runs")
        status, total, gs_total = run(
            self.code, self.args, self.guards, self.scalars, self.consts, S, self.GS, X,
            self.inrow, out, last[1], last[2], self.root, self.groot, with_grad, check)
        return status, out, self.GS, total, gs_total
