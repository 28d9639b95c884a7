"""``autograd.compile`` against micrograd, the eager engine, PyTorch and JAX, in one process.

1. micrograd's demo step: ``MLP(2, [16, 16, 1])`` (relu, linear output), 100 moons points,
   hinge loss ``relu(1 − y·score)`` averaged, plus L2 ``1e-4 Σ p²``, float64. Two measures:
   *loss + gradients* (what a replay controls: ``value_and_grad`` against JAX's jitted
   ``value_and_grad``) and the whole *training step* (plus the SGD update: of 337 ``Value``s for
   pathgrad, of arrays inside the jitted function for JAX). Compiled rows run with the L2 term
   inside the traced loss (``fit(compiled=True)``) and without it (a user's own loss).
   Target (issue 18): compiled numpy ≤ 1.0× JAX jit's time, loss + gradients, with and without
   L2. Every row is timed in rounds, the implementations taking turns; the spread is
   min–median–max over rounds, and each ratio's spread is over the rounds' ratios. The target
   ratios are measured twice: in wall time and in process CPU time (a shared machine's waits
   for a core left out).
2. Compiled numpy, numba (where installed) and ``auto`` ÷ JAX jit at batch 1, 10, 100, 1,000
   and 10,000 (value_and_grad): the demo loss with and without L2, and the 1,000-op chain
   ``x ← relu(x·w + 0.001)``; the ratio per round, min–median–max (target: ≤ 1.0 at every
   size), and the back end ``auto`` ran.
3. Graph-size slope: a narrow chain ``x ← relu(x·w + 0.001)`` of 1,000 and 10,000 ops, per node
   and example at a large batch (the numpy replay, and the Python replay at batch 1).
4. Compile time per node (trace, checks, lowering, code generation).

Threads: one for BLAS, PyTorch and XLA (``benchmarks/__init__``); the PyTorch two-thread row says
so. ``python -m benchmarks.tape --quick`` runs tiny sizes as a smoke test.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import print_table, quick, spread, timed_rounds, verdict
from pathgrad.autograd import Value, compile, sum_values

__all__ = ["main"]

ALPHA = 1e-4
SIZES = [16, 16, 1]
LR = 0.05


def moons(n: int, seed: int = 1337) -> tuple[np.ndarray, np.ndarray]:
    from pathgrad.nn import data

    X, y = data.moons(n, noise=0.1, seed=seed, signed=True)
    return np.asarray(X, dtype=float), np.asarray(y, dtype=float)


def _model() -> Any:
    from pathgrad.nn import MLP

    return MLP(2, SIZES, seed=1337)


# ---- the steps -------------------------------------------------------------------------------
def micrograd_step(X: np.ndarray, Y: np.ndarray) -> Callable[[], None] | None:
    try:
        from micrograd.engine import Value as MV
        from micrograd.nn import MLP as MMLP
    except ImportError:
        return None
    random.seed(1337)
    model = MMLP(2, SIZES)
    rows, ys = X.tolist(), Y.tolist()

    def step() -> None:  # the demo notebook's loss(), backward and update
        scores = [model([MV(a), MV(b)]) for a, b in rows]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= LR * p.grad

    return step


def eager_step(X: np.ndarray, Y: np.ndarray) -> Callable[[], None]:
    from pathgrad.nn import SGD, losses, train_step

    model = _model()
    opt = SGD(model.parameters(), lr=LR)
    return lambda: train_step(model, X, Y, losses.max_margin, opt, l2=ALPHA)


def compiled_parts(X: np.ndarray, Y: np.ndarray, backend: str, l2: bool
                   ) -> tuple[Any, Callable[[], Any], Callable[[], None]]:
    """(the compiled loss, its value_and_grad call, the training step with the update)."""
    model = _model()
    params = model.parameters()

    def loss_one(x1: Value, x2: Value, y: Value) -> Value:
        hinge = (1 + -y * model([x1, x2])).relu()
        return hinge + ALPHA * sum_values([p * p for p in params]) if l2 else hinge

    step_fn = compile(loss_one, params=params, backend=backend)
    x1, x2 = X[:, 0].copy(), X[:, 1].copy()

    def grads() -> Any:
        return step_fn.value_and_grad(x1, x2, Y)

    def step() -> None:
        _, g = grads()
        for p, gi in zip(params, g.tolist()):
            p.data -= LR * gi

    grads()
    return step_fn, grads, step


def torch_step(X: np.ndarray, Y: np.ndarray, threads: int) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(1337)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    ).double()
    params = list(model.parameters())
    xt, yt = torch.tensor(X), torch.tensor(Y)

    def step() -> None:
        torch.set_num_threads(threads)
        loss = torch.relu(1 - yt * model(xt)[:, 0]).mean() + ALPHA * sum(
            (p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        torch.set_num_threads(1)

    return step


def jax_parts(X: np.ndarray, Y: np.ndarray, l2: bool
              ) -> tuple[Callable[[], Any], Callable[[], None]] | None:
    """JAX jit, float64: (value_and_grad, training step), the same model and loss."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    model = _model()
    with jax.enable_x64(True):
        ps = [jnp.asarray(a) for layer in model.layers
              for a in (layer.weight_matrix(), layer.bias_vector())]
        Xj, Yj = jnp.asarray(X), jnp.asarray(Y)

    def loss(ps: list[Any], X: Any, y: Any) -> Any:
        a = X
        for i in range(3):
            a = a @ ps[2 * i].T + ps[2 * i + 1]
            a = jax.nn.relu(a) if i < 2 else a
        total = jnp.mean(jax.nn.relu(1 - y * a[:, 0]))
        return total + ALPHA * sum((p * p).sum() for p in ps) if l2 else total

    vg = jax.jit(jax.value_and_grad(loss))

    @jax.jit
    def train(ps: list[Any], X: Any, y: Any) -> list[Any]:
        g = jax.grad(loss)(ps, X, y)
        return [p - LR * gi for p, gi in zip(ps, g)]

    state = [ps]

    def grads() -> Any:
        with jax.enable_x64(True):
            return jax.block_until_ready(vg(state[0], Xj, Yj))

    def step() -> None:
        with jax.enable_x64(True):
            state[0] = jax.block_until_ready(train(state[0], Xj, Yj))

    return grads, step


def cpu_rounds(fns: dict[str, Callable[[], Any]], rounds: int, block: float = 0.02
               ) -> dict[str, list[float]]:
    """Like ``timed_rounds``, in this process's CPU time (all its threads, XLA's included): on
    a shared machine, time spent waiting for a core is left out of both sides."""
    counts = {}
    for name, fn in fns.items():
        fn()
        n = 1
        while n < 1 << 16:
            t0 = time.process_time()
            for _ in range(n):
                fn()
            if time.process_time() - t0 >= block:
                break
            n *= 2
        counts[name] = n
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.process_time()
            for _ in range(counts[name]):
                fn()
            samples[name].append((time.process_time() - t0) / counts[name])
    return samples


# ---- 1. the table ----------------------------------------------------------------------------
def table_section(small: bool) -> None:
    n = 20 if small else 100
    rounds = 3 if small else 15
    X, Y = moons(n)
    grads: dict[str, Callable[[], Any]] = {}
    steps: dict[str, Callable[[], Any]] = {}
    for l2 in (True, False):
        tag = "with L2" if l2 else "no L2"
        jp = jax_parts(X, Y, l2)
        if jp is not None:
            grads[f"JAX jit, {tag}"], steps[f"JAX jit, {tag}"] = jp
        for backend in ("numpy", "jax", "torch"):
            try:
                _, g, s = compiled_parts(X, Y, backend, l2)
            except ImportError:
                continue
            grads[f"compiled {backend}, {tag}"], steps[f"compiled {backend}, {tag}"] = g, s
    slow = {"micrograd": micrograd_step(X, Y), "pathgrad eager": eager_step(X, Y)}
    for threads in (1, 2):
        t = torch_step(X, Y, threads)
        if t is not None:
            steps[f"PyTorch float64, {threads} thread{'s' if threads > 1 else ''}"] = t
    g_times = timed_rounds(grads, rounds)
    s_times = timed_rounds(steps, rounds)
    slow_times = timed_rounds({k: f for k, f in slow.items() if f is not None},
                              1 if small else 5, block=0.0)
    print(f"MLP(2, {SIZES}), {n} moons points, hinge (+ 1e-4 L2), float64, one thread "
          "unless labelled; ms, min–median–max over rounds")
    rows = [[name, spread(ts), ""] for name, ts in slow_times.items()]
    base = statistics.median(slow_times["micrograd"]) if "micrograd" in slow_times else None
    for name, ts in {**slow_times, **s_times}.items():
        if name in slow_times:
            continue
        rows.append([name, spread(ts), ""])
    if base:
        for row, name in zip(rows, [*slow_times, *[k for k in s_times if k not in slow_times]]):
            ts = slow_times.get(name) or s_times[name]
            row[2] = f"{base / statistics.median(ts):.0f}x"
    print_table(["training step", "ms", "vs micrograd"], rows)
    print()
    rows = [[name, spread(ts, 1e6)] for name, ts in g_times.items()]
    print_table(["loss + gradients (value_and_grad)", "µs"], rows)
    print()
    targets = []
    for tag in ("with L2", "no L2"):
        ours, theirs = g_times.get(f"compiled numpy, {tag}"), g_times.get(f"JAX jit, {tag}")
        if ours and theirs:
            r = [a / b for a, b in zip(ours, theirs)]
            med = statistics.median(r)
            targets.append([f"compiled numpy ÷ JAX jit, {tag} (≤ 1.0)",
                            spread(r, 1.0), verdict(med <= 1.0)])
        o_s, t_s = s_times.get(f"compiled numpy, {tag}"), s_times.get(f"JAX jit, {tag}")
        if o_s and t_s:
            r = [a / b for a, b in zip(o_s, t_s)]
            targets.append(["  the same, training step (with the update of 337 Values)",
                            spread(r, 1.0), ""])
    for tag in ("with L2", "no L2"):
        pair = {k: grads[k] for k in (f"compiled numpy, {tag}", f"JAX jit, {tag}") if k in grads}
        if len(pair) == 2:
            ours, theirs = cpu_rounds(pair, rounds).values()
            r = [a / b for a, b in zip(ours, theirs)]
            targets.append([f"  the same in process CPU time, {tag}", spread(r, 1.0),
                            verdict(statistics.median(r) <= 1.0)])
    if targets:
        print_table(["ratio (per round)", "min–median–max", ""], targets)
    else:
        print("JAX not installed: no JAX rows (pip install 'pathgrad[jax]')")


# ---- 2. batch-size slope -----------------------------------------------------------------------
def jax_chain(n_ops: int, xs: np.ndarray) -> Callable[[], Any] | None:
    """JAX jit's value_and_grad of the mean of the chain ``x ← relu(x·w + 0.001)`` (float64)."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None

    def mean_chain(w: Any, x: Any) -> Any:
        # a loop as JAX writes one (unrolled, 333 steps took XLA minutes to compile per size)
        x = jax.lax.fori_loop(0, n_ops // 3, lambda _, x: jax.nn.relu(x * w + 0.001), x)
        return jnp.mean(x)

    vg = jax.jit(jax.value_and_grad(mean_chain))
    with jax.enable_x64(True):
        w, xj = jnp.asarray(0.999), jnp.asarray(xs)

    def grads() -> Any:
        with jax.enable_x64(True):
            return jax.block_until_ready(vg(w, xj))

    return grads


def _compiled_chain(n_ops: int, xs: np.ndarray, backend: str) -> tuple[Any, Callable[[], Any]]:
    w = Value(0.999)
    step = compile(chain_fn(n_ops, w), params=[w], backend=backend)
    return step, lambda: step.value_and_grad(xs)


def _replays() -> list[str]:
    """The compiled back ends the batch-size table times (numba's where it is installed)."""
    from pathgrad.autograd.compiler import replay_numba

    return ["numpy", *(["numba"] if replay_numba.available() else []), "auto"]


def batch_section(small: bool) -> None:
    """Compiled replays ÷ JAX jit (value_and_grad) at every batch size: the demo loss with and
    without L2, and the 1,000-op chain; each ratio per round (they take turns), and the back
    end ``auto`` picked."""
    sizes = [1, 10, 100] if small else [1, 10, 100, 1000, 10_000]
    n_ops = 300 if small else 1_000
    replays = _replays()
    tags = {"with L2": True, "no L2": False, "chain": None}
    tables: dict[str, list[list[Any]]] = {tag: [] for tag in tags}
    for n in sizes:
        X, Y = moons(max(n, 2))
        X, Y = X[:n], Y[:n]
        xs = np.linspace(0.1, 1.0, n)
        fns: dict[str, Callable[[], Any]] = {}
        autos: dict[str, Any] = {}
        for tag, l2 in tags.items():
            if l2 is None:
                theirs = jax_chain(n_ops, xs)
            else:
                parts = jax_parts(X, Y, l2)
                theirs = parts[0] if parts is not None else None
            if theirs is None:
                print("\nJAX not installed: no batch-size ratios (pip install 'pathgrad[jax]')")
                return
            fns[f"JAX {tag}"] = theirs
            for backend in replays:
                step, fns[f"{backend} {tag}"] = (
                    _compiled_chain(n_ops, xs, backend) if l2 is None else
                    compiled_parts(X, Y, backend, l2)[:2])
                if backend == "auto":
                    autos[tag] = step
        ts = timed_rounds(fns, 3 if small else 9)
        for tag in tags:
            theirs_t = ts[f"JAX {tag}"]
            row: list[Any] = [n, f"{statistics.median(theirs_t) * 1e6:.0f}"]
            for backend in replays:
                ours = ts[f"{backend} {tag}"]
                row.append(spread([a / b for a, b in zip(ours, theirs_t)], 1.0, 2))
            tables[tag].append([*row, autos[tag].backend])
    for tag, rows in tables.items():
        what = (f"the chain x ← relu(x·w + 0.001), {n_ops} ops" if tag == "chain" else
                f"micrograd's demo loss, {tag}")
        print(f"\nCompiled ÷ JAX jit, value_and_grad, by batch size: {what} (JAX's median µs; "
              "each ratio min–median–max over rounds, target ≤ 1.0)")
        print_table(["batch", "JAX µs", *[f"{b} ÷ JAX" for b in replays], "auto ran"], rows)


# ---- 3 and 4. graph-size slope, compile time ---------------------------------------------------
def chain_fn(n_ops: int, w: Any) -> Callable[[Any], Any]:
    def chain(x: Any) -> Any:
        for _ in range(n_ops // 3):
            x = (x * w + 0.001).relu()
        return x

    return chain


def chain_section(small: bool) -> None:
    rows, compile_rows = [], []
    big = 200 if small else 10_000
    for n_ops in ((300, 600) if small else (1_000, 10_000)):
        w = Value(0.999)
        for backend, batch in (("numpy", big), ("python", 1)):
            step = compile(chain_fn(n_ops, w), params=[w], backend=backend)
            xs = np.linspace(0.1, 1.0, batch)
            t0 = time.perf_counter()
            step.value_and_grad(xs)
            first = time.perf_counter() - t0
            ts = timed_rounds({"c": lambda s=step, xs=xs: s.value_and_grad(xs)},
                              3 if small else 5, block=0.05)["c"]
            per = [t / step.n_nodes / batch * 1e9 for t in ts]
            rows.append([n_ops, backend, batch, spread(per, 1.0)])
            compile_rows.append([f"chain of {n_ops} ops, {backend}", step.n_nodes,
                                 f"{step.trace_seconds / step.n_nodes * 1e6:.1f}",
                                 f"{first * 1e3:.0f}"])
    X, Y = moons(100)
    fn, _, _ = compiled_parts(X, Y, "numpy", True)
    compile_rows.append(["demo MLP with L2, numpy", fn.n_nodes,
                         f"{fn.trace_seconds / fn.n_nodes * 1e6:.1f}", ""])
    print("\nGraph-size slope: x ← relu(x·w + 0.001), ns per node and example "
          "(min–median–max)")
    print_table(["ops", "back end", "batch", "ns/node·example"], rows)
    print("\nCompile time (trace, checks, lowering, code generation)")
    print_table(["program", "nodes", "µs/node", "first call ms"], compile_rows)


def main() -> None:
    small = quick()
    table_section(small)
    batch_section(small)
    chain_section(small)
    if small:
        print("(--quick: tiny sizes, a smoke test, not a measurement)")


if __name__ == "__main__":
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # micrograd's backward recurses
    main()
