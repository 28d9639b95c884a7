"""``compile``: record the graph of one example once, replay it over a whole batch.

The graph of one example through a fixed model has the same shape for every example and every
step; only the numbers differ. ``compile(fn, params)`` runs ``fn`` once on placeholder Values
(the first example's numbers, ``trace``), lowers the recorded graph to flat lists
(``tape``) and then replays forward and backward over the batch dimension
(``replay_numpy``, ``replay_python``, ``replay_array``) through the *same* rule table as
the eager engine, so the numbers are the eager engine's (to rounding).

>>> from pathgrad.autograd import Value, compile
>>> w, b = Value(0.5, label="w"), Value(-1.0, label="b")
>>> step = compile(lambda x, y: (w * x + b - y) ** 2, params=[w, b])
>>> loss, grads = step.value_and_grad([1.0, 2.0, 3.0], [0.0, 1.0, 0.0])
>>> loss, grads.round(4).tolist()
(0.5, [-0.6667, -0.6667])
>>> w.data = 1.0                      # an optimizer step: read afresh on the next call
>>> step([1.0, 2.0, 3.0], [0.0, 1.0, 0.0]).tolist()
[0.0, 0.0, 4.0]

How it works and what it guarantees:

* **Trace.** On the first call ``fn`` runs once on one placeholder ``Value`` per positional
  argument, holding example 0's numbers. Leaves of the graph that are neither placeholders nor
  ``params`` (constants made inside ``fn``, number inputs of ``weighted_sum``, Values ``fn``
  closed over) are *scalar leaves*: like the parameters, their ``.data`` is read afresh on every
  call and broadcast over the batch (a leaf ``fn`` makes itself keeps its traced number: so
  ``Value(w.data)`` inside ``fn`` is frozen, and a node ``fn`` computes under ``no_grad()`` is
  refused with a ``ValueError``). A *computed* Value made before ``fn`` ran (``h = w * 2``
  outside, ``fn = lambda x: h * x``) is refused at trace time with a ``ValueError`` saying what
  to do: eager ``fn`` reuses ``h``'s stored number, a replay would recompute it from ``w``, and
  the two differ after a step; compute it inside ``fn``, or close over a leaf ``Value(h.data)``.
  Gradients are returned for ``params`` only. Nodes that depend on no input (an L2 term inside
  the loss) are computed once per call, not per example.
* **Replay.** ``backend="auto"`` picks per call, from the tape's shape and the batch size,
  between ``"numpy"`` (each topological level grouped by op: a layer of ``wsum`` neurons is one
  matrix product, other wide groups one rule call on ``(k, batch)`` arrays, narrow chains one
  numpy statement per node), ``"python"`` (straight-line float code per example, which wins
  for narrow graphs on small batches) and, where numba is installed (``pathgrad[numba]``),
  ``"numba"``: one tape interpreter compiled once (and cached on disk), its branches written by
  the rows, running one example or blocks of examples (``replay_numba``), which wins on small
  batches and long chains. ``"jax"`` replays the same plan through ``jax.numpy``
  under ``jax.jit``, a batch split over the available devices with ``jax.sharding``;
  ``"torch"`` through PyTorch tensors (``device=`` picks a GPU). Inputs and outputs are numpy
  either way. Results equal the eager engine's to rounding (the Python back end's per example
  bit for bit; matrix products and batch sums add in another order).
* **Cost.** The first call pays for the trace, the re-traces of the check, the lowering and
  the code generation: ~15 ms for micrograd's demo MLP (749 nodes), ~1 s for a 20,000-op chain
  (``step.trace_seconds`` has the figure); a JAX back end adds XLA's compilation per batch size.
* **Data-dependent control flow.** The replay repeats example 0's graph, so ``fn`` must build
  the same graph for every example (``relu``/``abs`` are fine: their kinks are masks). The first
  call re-traces ``check`` more examples of its batch (the last one, the one farthest from
  example 0, and random ones) and compares the graphs node by node: op, parents, constants. A
  difference raises ``TraceMismatchError`` naming the example and the node. Sampling cannot
  prove that no other example (or a later parameter value) takes another branch:
  ``step.verify(*arrays)`` re-traces every example of a batch with the current parameters.
  Comparisons on Values (``if z > 0:``) are recorded while tracing as *guards*, and every call
  checks each guard over the whole batch: an example (or a parameter update) that flips one
  raises ``TraceMismatchError`` naming it. Branching on ``.data`` is not seen that way: unsafe.
* **Errors.** Outside ``ieee()`` a non-finite result (``log`` of a negative number, an
  overflow) is traced back to the first example that causes it and reported with the eager
  engine's own message, prefixed by the example's index; inside ``ieee()`` inf and nan pass.
"""

from __future__ import annotations

import gc
import inspect
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..modes import ieee_on
from ..value import Value
from .tape import WIDE, GuardFlip, NonFiniteInput, Tape
from .trace import Trace, TraceMismatchError, first_difference, fn_name, signature, trace

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Compiled", "Trace", "TraceMismatchError", "compile", "trace"]

_BACKENDS = ("auto", "numpy", "numba", "python", "jax", "torch")
_F64: tuple[Any, Any] | None = None  # (np.ndarray, float64), once numpy is imported
_REDUCTIONS = ("mean", "sum")


class Compiled:
    """``fn`` traced once and replayed over batches; made by ``autograd.compile``.

    ``step(*arrays)`` gives the per-example outputs; ``step.value_and_grad(*arrays)`` the mean
    (or sum) and its gradient towards ``params``. Attributes after the first call: ``n_nodes``
    (nodes of one example's graph), ``trace_seconds`` (trace, checks, lowering and code
    generation), ``backend`` (the back end the last call used).
    """

    def __init__(
        self, fn: Callable[..., Any], params: Sequence[Value], check: int, backend: str,
        device: Any = None,
    ) -> None:
        self.fn, self.params, self.check, self.backend_choice = fn, list(params), check, backend
        self.device = device
        self.n_nodes = 0
        self.trace_seconds = 0.0
        self.backend = ""
        self._trace: Trace | None = None
        self._n_args = -1
        self._replays: dict[str, Any] = {}
        self._signature: list[tuple[Any, ...]] | None = None
        self._costs: dict[str, Callable[[int], float]] | None = None
        self._picked: tuple[int, str] = (0, "")

    def __repr__(self) -> str:
        state = f"{self.n_nodes} nodes" if self._trace else "not traced yet"
        return f"<compiled {fn_name(self.fn)}: {len(self.params)} params, {state}>"

    @property
    def tape(self) -> Tape:
        """The recorded program, lowered (after the first call): ``print(step.tape)`` lists it
        one line per group, like a jaxpr."""
        if self._trace is None:
            raise ValueError(f"{fn_name(self.fn)} is not traced yet: call it on a batch first")
        return self._tape

    @property
    def source(self) -> dict[str, str]:
        """The generated code of each back end used so far, by name (``"scalar"``: the part
        computed once per call); JAX and PyTorch run the rows on arrays, with no code of ours."""
        if self._trace is None:
            return {}
        found = {"scalar": "\n".join(self._prologue.source_parts)}
        for name, replay in self._replays.items():
            parts = getattr(replay, "source_parts", None)
            found[name] = ("\n".join(parts) if parts is not None else
                           f"# no generated code: the plan's groups run through the rows on "
                           f"{name} arrays")
        return found

    # ---- input -------------------------------------------------------------------------------
    def _arrays(self, arrays: tuple[Any, ...]) -> list[np.ndarray]:
        if len(arrays) == self._n_args and _F64 is not None:  # float64 vectors as they are
            size = -1
            for a in arrays:
                if type(a) is not _F64[0] or a.dtype is not _F64[1] or a.ndim != 1 or (
                    size >= 0 and a.shape[0] != size
                ):
                    break
                size = a.shape[0]
            else:
                if size > 0:
                    return list(arrays)
        if self._n_args >= 0 and len(arrays) != self._n_args:
            raise TypeError(
                f"{fn_name(self.fn)} was traced with {self._n_args} arguments, so it takes "
                f"{self._n_args} arrays (one entry per example); got {len(arrays)}"
            )
        if not arrays:
            raise TypeError(f"{fn_name(self.fn)}: give one 1-D array per argument, got none")
        xs = [self._array(k, a) for k, a in enumerate(arrays)]
        size = len(xs[0])
        if any(len(x) != size for x in xs):
            raise ValueError(
                f"the arrays must have the same length (the batch), got {[len(x) for x in xs]}"
            )
        if size == 0:
            raise ValueError("empty batch: the arrays have no entries")
        return xs

    @staticmethod
    def _refuse_non_finite(xs: list[np.ndarray]) -> None:
        import numpy as np

        # inf or nan in an array makes its sum of squares non-finite (so may an overflow): one
        # BLAS dot per array (summing the list of arrays at once copied them into one first)
        total = 0.0
        for x in xs:
            total += np.dot(x, x)
        if total - total == 0.0:
            return
        for k, x in enumerate(xs):
            if not np.isfinite(x).all():
                b = int(np.flatnonzero(~np.isfinite(x))[0])
                raise _RefusedInput(
                    f"array {k} has the non-finite entry {x[b]!r} at example {b}; use "
                    "pathgrad.autograd.ieee() for IEEE inf/nan semantics"
                )

    @staticmethod
    def _array(k: int, a: Any) -> np.ndarray:
        import numpy as np

        global _F64
        _F64 = (np.ndarray, np.dtype(np.float64))
        if type(a) is np.ndarray and a.dtype == np.float64 and a.ndim == 1:
            return a
        if isinstance(a, Value) or (
            isinstance(a, (list, tuple)) and any(isinstance(e, Value) for e in a)
        ):
            raise TypeError(f"array {k} holds Values: pass plain numbers (floats)")
        arr = np.asarray(a)
        if arr.dtype.kind not in "iuf":
            first = f" (first entry {arr.ravel()[0]!r})" if arr.size else ""
            raise TypeError(f"array {k} must hold real numbers, got dtype {arr.dtype}{first}")
        if arr.ndim != 1:
            raise ValueError(
                f"array {k} must be 1-D (one entry per example), got shape {arr.shape}"
            )
        return np.ascontiguousarray(arr, dtype=np.float64)

    # ---- trace -------------------------------------------------------------------------------
    def _names(self, n: int) -> list[str]:
        try:
            ps = [
                p.name for p in inspect.signature(self.fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        except (TypeError, ValueError):
            ps = []
        return [ps[k] if k < len(ps) else f"arg{k}" for k in range(n)]

    def _trace_at(self, xs: list[np.ndarray], b: int) -> Trace:
        """Trace example ``b``; an engine error (a domain error, say) names the example."""
        try:
            return trace(self.fn, self.params, [x[b] for x in xs], self._names(len(xs)))
        except (ArithmeticError, ValueError) as error:
            if isinstance(error, TraceMismatchError):
                raise
            try:
                named = type(error)(f"example {b}: {error}")
            except Exception:  # an exception class with another signature: keep it as it is
                raise error from None
            raise named from None

    def _build(self, xs: list[np.ndarray]) -> None:
        import numpy as np

        from .replay_scalar import ScalarReplay

        start = time.perf_counter()
        first = self._trace_at(xs, 0)
        self._refuse_frozen(first, xs)
        self._compare(first, xs, self._samples(xs, self.check))
        self._tape = tape = Tape(first)
        self._prologue = ScalarReplay(tape)
        node = {id(v): i for i, v in enumerate(first.nodes)}
        n_scalar = len(tape.scalar_nodes)
        self._param_pos = np.asarray(
            [tape.scalar_of[node[id(p)]] if id(p) in node else n_scalar for p in self.params],
            dtype=np.intp,
        )
        self._trace, self._n_args = first, len(xs)
        self.n_nodes = tape.n
        self.trace_seconds = time.perf_counter() - start

    def _refuse_frozen(self, first: Trace, xs: list[np.ndarray]) -> None:
        """Refuse nodes ``fn`` computes under ``no_grad()``, and computed nodes made before
        ``fn`` ran: a replay would freeze the first, and recompute the second from the
        parameters where eager ``fn`` reuses its stored number.

        A node of either kind depends on no input; a second trace tells who made it: a node
        ``fn`` makes is a new object each time. A leaf that still names its op (``no_grad()``)
        made before ``fn`` ran is one Value ``fn`` closed over, read afresh on every call
        (fine); made by ``fn``, its traced value would be replayed for every later call. A node
        with edges made before ``fn`` ran (``h = w * 2`` outside) is refused: compiled, ``h``
        followed ``w``; eager, it kept the number it had (issue 27: [10, 20] against [2, 4]).
        """
        kept = {id(v) for v in (*first.inputs, *first.params)}
        fed = {id(v) for v in first.inputs}
        for v in first.nodes:  # the nodes that depend on an input
            if any(id(p) in fed for p in v.parents):
                fed.add(id(v))
        suspects = [i for i, v in enumerate(first.nodes)
                    if v.op and id(v) not in kept and id(v) not in fed]
        if not suspects:
            return
        again = self._trace_at(xs, 0).nodes
        for i in suspects:
            made_outside = i < len(again) and again[i] is first.nodes[i]
            if made_outside and first.nodes[i]._edges:
                raise ValueError(
                    f"{fn_name(self.fn)} uses {first.describe(i)}, computed before compile "
                    "traced the function: eager calls reuse the number it was given then, a "
                    "compiled replay would recompute it from the parameters, and the two "
                    "differ after a step. Compute it inside the function to have it follow "
                    "the parameters, or close over a leaf (Value(h.data)) to keep it constant"
                )
            if not first.nodes[i]._edges and not made_outside:
                raise ValueError(
                    f"{fn_name(self.fn)} computes {first.describe(i)} under no_grad(): a "
                    "compiled replay would keep the value it had when traced, whatever the "
                    "parameters later are; compute it outside the function (a Value the "
                    "function closes over is read afresh) or without no_grad()"
                )

    def _samples(self, xs: list[np.ndarray], n: int) -> list[int]:
        import numpy as np

        batch = len(xs[0])
        if n <= 0 or batch == 1:
            return []
        picks = [batch - 1]
        with np.errstate(all="ignore"):  # huge inputs: a distance of inf still ranks them
            stacked = np.stack(xs)
            scale = stacked.std(axis=1, keepdims=True)
            scale[~(scale > 0.0) | ~np.isfinite(scale)] = 1.0
            distance = np.nan_to_num((np.abs(stacked - stacked[:, :1]) / scale).sum(axis=0))
        picks.append(int(np.argmax(distance)))
        rng = np.random.default_rng(batch)
        picks.extend(int(b) for b in rng.integers(1, batch, size=max(n - 2, 0)))
        return list(dict.fromkeys(b for b in picks if b != 0))[:n]

    def _compare(self, first: Trace, xs: list[np.ndarray], examples: Iterable[int]) -> None:
        if self._signature is None or self._trace is not first:
            self._signature = signature(first)
        for b in examples:
            diff = first_difference(first, self._trace_at(xs, b), self._signature)
            if diff is not None:
                raise TraceMismatchError(
                    f"{fn_name(self.fn)} builds a different graph for example {b} than the "
                    f"one it recorded (traced on example 0 of its first batch): {diff}. Its "
                    "Python control flow depends on the data (e.g. `if v.data > 0:`), so one "
                    "recorded graph cannot replay every example; write the branch with a mask "
                    "op (relu, abs) or run it eagerly"
                )

    def verify(self, *arrays: Any) -> None:
        """Re-trace every example of this batch (current parameters) against the recorded graph.

        Raises ``TraceMismatchError`` naming the first example and node that differ.
        """
        xs = self._arrays(arrays)
        if self._trace is None:
            self._build(xs)
        assert self._trace is not None
        self._compare(self._trace, xs, range(len(xs[0])))

    # ---- replay ------------------------------------------------------------------------------
    def _replay(self, name: str) -> Any:
        replay = self._replays.get(name)
        if replay is None:
            start = time.perf_counter()
            if name == "numpy":
                from .replay_numpy import NumpyReplay

                replay = NumpyReplay(self._tape, self._prologue.S, self._prologue.GS)
            elif name == "python":
                from .replay_python import PythonReplay

                replay = PythonReplay(self._tape)
            elif name == "numba":
                from .replay_numba import NumbaReplay

                replay = NumbaReplay(self._tape, self._prologue.S, self._prologue.GS)
            else:
                from .replay_array import ArrayReplay

                replay = ArrayReplay(self._tape, name, self.device)
            self._replays[name] = replay
            self.trace_seconds += time.perf_counter() - start
        return replay

    def _pick(self, batch: int) -> str:
        if self.backend_choice != "auto":
            return self.backend_choice
        if ieee_on():
            return "numpy"  # Python's math raises where IEEE semantics give inf or nan
        if self._picked[0] == batch:
            return self._picked[1]
        if self._costs is None:
            self._costs = _cost_model(self._tape)
        costs = {name: cost(batch) for name, cost in self._costs.items()}
        name = min(costs, key=costs.__getitem__)
        self._picked = (batch, name)
        return name

    def _run(
        self, arrays: tuple[Any, ...], with_grad: bool
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Outputs, adjoints of the scalars (``GS`` and a trailing 0.0) and the outputs' sum."""
        import numpy as np

        xs = self._arrays(arrays)
        if self._trace is None:
            with np.errstate(all="ignore"):
                if not ieee_on():
                    self._refuse_non_finite(xs)
                self._build(xs)
        name = self._pick(len(xs[0]))
        if name == "numba" and self._tape.scalar_of[self._tape.root] < 0:
            found = self._numba_call(xs, with_grad)
            if found is not None:
                return found
            name = "numpy"  # numpy's replay takes the call over (its errors, numbers)
        return self._run_here(xs, with_grad, name)

    def _run_here(self, xs: list[np.ndarray], with_grad: bool, name: str
                  ) -> tuple[np.ndarray, np.ndarray, float]:
        """The call on the back end ``name`` (any but numba), its errors named."""
        import numpy as np

        with np.errstate(all="ignore"):
            check = not ieee_on()
            collecting = gc.isenabled()
            gc.disable()  # the replay makes no cycles; collections would only rescan the trace
            try:
                out, grads = self._replay_all(self._tape, xs, with_grad, check, name)
            except GuardFlip as flip:
                raise self._flipped(flip) from None
            except (ArithmeticError, ValueError) as error:
                if not isinstance(error, _RefusedInput):
                    self._diagnose(xs, np.arange(len(xs[0])))  # the engine's error, named
                raise
            finally:
                if collecting:
                    gc.enable()
            # inf or nan anywhere makes a sum non-finite (a finite overflow is looked at too)
            out_total = float(np.add.reduce(out))
            total = out_total + float(np.add.reduce(grads)) if with_grad else out_total
            if total - total != 0.0 and not ieee_on():
                bad = ~np.isfinite(out)
                if bad.any() or (with_grad and not np.isfinite(grads).all()):
                    order = np.concatenate([np.flatnonzero(bad), np.flatnonzero(~bad)])
                    self._diagnose(xs, order)
                    raise OverflowError(
                        f"{fn_name(self.fn)}: the gradient is not finite (an overflow in "
                        "backward or while adding up the examples); use "
                        "pathgrad.autograd.ieee() for IEEE inf/nan"
                    )
        return out, grads, out_total

    def _replay_all(
        self, tape: Tape, xs: list[np.ndarray], with_grad: bool, check: bool, name: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Prologue, replay on the back end ``name`` and epilogue; ``check``: refuse non-finite
        inputs first (the numpy replay tests the block of rows it copies them into: one dot
        instead of one per array)."""
        import numpy as np

        s, S = self._prologue.scalars()
        batch = len(xs[0])
        root = tape.scalar_of[tape.root]
        if root >= 0:  # fn ignores its inputs: one value for all
            if check:
                self._refuse_non_finite(xs)
            self.backend = "scalar"
            out, gs = np.full(batch, S[root]), [0.0] * len(S)
            gs[root] = float(batch)
        else:
            self.backend = name
            if name == "python" and s is None:
                s = S.tolist()
            if name != "numpy":
                if check:
                    self._refuse_non_finite(xs)
                out, gs = self._replay(name).run(xs, s if name == "python" else S, with_grad)
            else:
                out, gs = self._numpy_run(xs, S, with_grad, check)
        if not with_grad:
            return out, S  # not read
        return out, self._prologue.scalar_grads(gs, s, S)

    def _numpy_run(self, xs: list[np.ndarray], S: np.ndarray, with_grad: bool, check: bool
                   ) -> tuple[np.ndarray, Any]:
        replay = self._replay("numpy")
        if not check:
            return replay.run(xs, S, with_grad)
        try:
            return replay.run(xs, S, with_grad, check=True)
        except NonFiniteInput:
            self._refuse_non_finite(xs)  # names the array and the example
            return replay.run(xs, S, with_grad)

    def _numba_call(self, xs: list[np.ndarray], with_grad: bool
                    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """The numba replay, prologue to epilogue; None where the numpy replay must take the
        call over (an input or a result not finite outside ``ieee()``, a guard flipped): it
        raises its own errors, named as they always are."""
        check = not ieee_on()
        s, S = self._prologue.scalars()
        status, out, gs, total, g = self._replay("numba").run(xs, S, with_grad, check)
        if status or (check and total - total != 0.0):
            return None
        self.backend = "numba"
        if not with_grad:
            return out, S, total
        grads = self._prologue.scalar_grads(gs, s, S)
        if check:
            if self._prologue.carries:  # the epilogue may overflow where GS did not
                g = grads.sum()
            if g - g != 0.0:
                return None
        return out, grads, total

    def _flipped(self, flip: GuardFlip) -> TraceMismatchError:
        """The error for an example whose comparison came out the other way than traced."""
        assert self._trace is not None
        op, a, b, outcome = self._tape.guards[flip.guard]
        sides = [str(x) if isinstance(x, float) else self._trace.describe(x) for x in (a, b)]
        who = (f"example {flip.example}" if flip.example >= 0 else
               "every example (it reads no input: the parameters changed since the trace)")
        return TraceMismatchError(
            f"{fn_name(self.fn)} compares {sides[0]} {op} {sides[1]}: {outcome} when traced, "
            f"{not outcome} for {who}, so that example takes another branch than the recorded "
            "graph. Write the branch with a mask op (relu, abs) or run it eagerly"
        )

    def _diagnose(self, xs: list[np.ndarray], order: Iterable[int]) -> None:
        """Re-run examples eagerly; the first that fails raises the engine's error, named."""
        for b in order:
            out = self._trace_at(xs, int(b)).nodes[-1].data
            if not math.isfinite(out):
                raise OverflowError(f"example {int(b)}: {fn_name(self.fn)} is {out!r}")

    def __call__(self, *arrays: Any) -> np.ndarray:
        """The output of ``fn`` for each example: a 1-D array as long as the batch."""
        return self._run(arrays, with_grad=False)[0]

    def value_and_grad(
        self, *arrays: Any, reduction: str = "mean"
    ) -> tuple[float, np.ndarray]:
        """The mean (or ``reduction="sum"``) of ``fn`` over the batch and its gradient.

        ``grads[j]`` is ∂(mean loss)/∂``params[j]``; a parameter the graph does not use gets 0.
        Parameter values are read afresh on every call.
        """
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        out, gs, total = self._run(arrays, with_grad=True)
        grads = gs.take(self._param_pos)  # gs ends with a 0.0 for parameters fn does not use
        if not math.isfinite(total) and not ieee_on():
            raise OverflowError(
                f"{fn_name(self.fn)}: the sum over the batch overflows ({total!r}); use "
                "pathgrad.autograd.ieee() for IEEE inf/nan semantics"
            )
        if reduction == "mean":
            grads *= 1.0 / len(out)
            return total / len(out), grads
        return total, grads


class _RefusedInput(ValueError):
    """An input array holds inf or nan (outside ``ieee()``)."""


def _cost_model(tape: Tape) -> dict[str, Callable[[int], float]]:
    """Estimated µs of a call by batch size, for each back end ``auto`` may pick.

    Measured on 2 cores (micrograd's demo loss, 1,000-op chains, batch 1 to 10,000): a numpy
    statement costs ~3 µs (forward and backward count one each; a vectorised group is one
    statement, a narrow node one), then ~4 ns an entry of its (rows, batch) arrays, a layer's
    matrix product ~0.3 ns an edge and example; straight-line float code ~0.12 µs an edge or
    node per example. The numba interpreter: ~8 µs a call, ~6 ns an edge or node on one example;
    in blocks ~0.35 ns an edge or node and example, a ``wsum``/``sum`` operand ~1.4 ns.
    """
    from .tape import plan

    groups: dict[tuple[int, str], int] = {}
    edges = ops = folded = 0
    for i, ps in enumerate(tape.parents):
        if ps and tape.batched[i]:
            groups[(tape.level[i], tape.ops[i])] = groups.get((tape.level[i], tape.ops[i]), 0) + 1
            edges += len(ps)
            ops += 1
            if tape.ops[i] in ("sum", "wsum"):
                folded += len(ps)
    statements = sum(1 if k >= WIDE else k for k in groups.values())
    in_matmul = [i for level in plan(tape) for g in level if g.kind == "matmul" for i in g.members]
    matmul_edges = sum(len(tape.parents[i]) for i in in_matmul)
    numpy_per_example = 0.004 * (ops - len(in_matmul)) + 0.0003 * matmul_edges
    units = edges + ops
    costs: dict[str, Callable[[int], float]] = {
        "numpy": lambda b: 6.0 * statements + numpy_per_example * b,
        "python": lambda b: 0.12 * units * b,
    }
    if _numba_runs(tape):
        costs["numba"] = lambda b: 8.0 + 0.006 * units + (
            0.0 if b == 1 else 0.00035 * b * (units - folded) + 0.0014 * b * folded)
    return costs


def _numba_runs(tape: Tape) -> bool:
    """Whether numba is installed (not imported here) and has a branch for every op of ``tape``."""
    from . import replay_numba

    if not replay_numba.available():
        return False
    from .numba_code import supported

    ops = supported()
    return all(tape.ops[i] in ops for i in range(tape.n) if tape.parents[i] and tape.batched[i])


def compile(
    fn: Callable[..., Any],
    params: Iterable[Value] = (),
    *,
    check: int = 4,
    backend: str = "auto",
    device: Any = None,
) -> Compiled:
    """Trace ``fn`` (one example in, one scalar Value out) once; replay it over batches.

    ``params``: the Values to differentiate towards (``model.parameters()``). ``check``: how
    many further examples of the first batch are re-traced to catch data-dependent control flow
    (0 turns it off). ``backend``: ``"auto"`` (default), ``"numpy"``, ``"numba"`` (needs
    ``pip install 'pathgrad[numba]'``), ``"python"``, ``"jax"`` (``'pathgrad[jax]'``) or
    ``"torch"`` (``'pathgrad[torch]'``).
    ``device``: where JAX or PyTorch run (``"cuda"``, a ``torch.device``, a JAX device or a
    list of them; default: PyTorch's CPU, all of JAX's default devices).

    >>> from pathgrad.autograd import Value, compile
    >>> a = Value(2.0)
    >>> step = compile(lambda x: (a * x).relu(), params=[a])
    >>> step.value_and_grad([1.0, -1.0, 3.0], reduction="sum")
    (8.0, array([4.]))
    """
    if not callable(fn):
        raise TypeError(f"compile needs a function, got {fn!r} ({type(fn).__name__})")
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
    if device is not None and backend not in ("jax", "torch"):
        raise ValueError(f"device= is for backend 'jax' or 'torch', not {backend!r}")
    if backend in ("jax", "torch"):
        from .replay_array import require

        require(backend)
    if backend == "numba":
        from .replay_numba import available

        if not available():
            raise ImportError("backend='numba' needs numba: pip install 'pathgrad[numba]'")
    if isinstance(check, bool) or not isinstance(check, int) or check < 0:
        raise ValueError(f"check must be a number of examples >= 0, got {check!r}")
    if isinstance(params, Value):
        raise TypeError("params must be a list of Values (e.g. model.parameters()), got a Value")
    plist = list(params)
    for k, p in enumerate(plist):
        if not isinstance(p, Value):
            raise TypeError(f"params[{k}] is not a Value: {p!r} ({type(p).__name__})")
        if p._edges:
            raise ValueError(
                f"params[{k}] is not a leaf (it was computed by op {p.op!r}); parameters "
                "are the leaves an optimizer updates"
            )
    return Compiled(fn, plist, check, backend, device)
