"""``autograd.compile`` against eager engines, the matrix form and PyTorch, in one process.

1. micrograd's demo set-up: ``MLP(2, [16, 16, 1])`` (relu, linear output), 100 moons points,
   hinge loss ``relu(1 − y·score)`` averaged, plus L2 ``1e-4 Σ p²``. One training step is
   forward + backward + SGD update (``p −= lr·grad``), in each of
   * micrograd 0.1.0 (its own ``nn.MLP`` and ``Value``: the demo notebook's step);
   * pathgrad eager (``nn.MLP``: one ``wsum`` node per neuron);
   * pathgrad compiled: ``compile(loss_one, params)`` where ``loss_one`` is one example's
     hinge loss plus the L2 term (batch-independent: computed once per call), then
     ``value_and_grad`` on the batch's columns, and the update written into ``p.data``;
     also with the L2 term left out of ``loss_one`` and added in numpy on the parameters;
   * ``nn.matrix.Network`` on the same shapes (quadratic cost: it has no hinge loss), its
     stacked-batch ``update_batch``;
   * PyTorch CPU, float64, the same model and loss by ``torch.autograd`` (skipped if torch
     is not installed), with one intra-op thread and with torch's default; the target is
     measured against the faster (on a busy 2-core machine threads can cost 100x here).
   Also: the one-off cost of compiling (trace, re-traces of the control-flow check, lowering,
   code generation) and the batch size from which compile + one step beats one eager step.
2. A long narrow chain (``x ← relu(x·w + 0.001)``, 20,000 ops, one shared parameter): time per
   node and example, compiled (both back ends, batch 1 and 100) against the eager engines.

Targets (issue 9): compiled ≥ 300x faster than micrograd per step, within 4x of PyTorch CPU;
on the chain, compiled (auto back end, batch 1) ≥ 5x faster per node than micrograd.
``python -m benchmarks.tape --quick`` runs tiny sizes as a smoke test.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.common import print_table, quick, verdict
from pathgrad.autograd import Value, compile, sum_values

__all__ = ["main"]

ALPHA = 1e-4
SIZES = [16, 16, 1]


def moons(n: int, seed: int = 1337) -> tuple[np.ndarray, np.ndarray]:
    """Moons with labels ±1: ``nn.data.moons`` when it is there, else the same geometry here."""
    try:
        from pathgrad.nn import data

        X, y = data.moons(n, noise=0.1, seed=seed, signed=True)
        return np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    except ImportError:
        rng = np.random.default_rng(seed)
        t = np.pi * rng.random(n)
        outer = np.arange(n) < n // 2
        X = np.where(outer[:, None], np.c_[np.cos(t), np.sin(t)],
                     np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
        return X + rng.normal(0.0, 0.1, X.shape), np.where(outer, -1.0, 1.0)


def per_call(fn: Callable[[], Any], runs: int, min_block: float = 0.05) -> float:
    """Median seconds per call over ``runs`` timed blocks (each long enough to time well)."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t >= min_block or n >= 1 << 16:
            break
        n *= 2
    samples = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples)


# ---- the five training steps ---------------------------------------------------------------
def micrograd_step(X: np.ndarray, Y: np.ndarray) -> Callable[[], None] | None:
    try:
        from micrograd.engine import Value as MV
        from micrograd.nn import MLP as MMLP
    except ImportError:
        return None
    random.seed(1337)
    model = MMLP(2, SIZES)
    rows, ys = X.tolist(), Y.tolist()
    k = [0]

    def step() -> None:  # the demo notebook's loss(), backward and update
        scores = [model([MV(a), MV(b)]) for a, b in rows]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total = data_loss + ALPHA * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * (k[0] % 100) / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        k[0] += 1

    return step


def _our_model() -> Any:
    from pathgrad.nn import MLP

    return MLP(2, SIZES, seed=1337)


def eager_step(X: np.ndarray, Y: np.ndarray) -> Callable[[], None]:
    model = _our_model()
    params = model.parameters()
    rows, ys = X.tolist(), Y.tolist()
    k = [0]

    def step() -> None:
        losses = [(1 + -yi * model(r)).relu() for r, yi in zip(rows, ys)]
        total = sum_values(losses) * (1.0 / len(losses))
        total = total + ALPHA * sum_values([p * p for p in params])
        for p in params:
            p.grad = 0.0
        total.backward()
        lr = 1.0 - 0.9 * (k[0] % 100) / 100
        for p in params:
            p.data -= lr * p.grad
        k[0] += 1

    return step


def compiled_parts(
    X: np.ndarray, Y: np.ndarray, l2_inside: bool = True
) -> tuple[Callable[[], Any], Callable[[], None]]:
    """(make a fresh compiled step, the training step that reuses one).

    ``l2_inside``: the L2 term is part of ``loss_one`` (as ``nn.fit(compiled=True)`` does; the
    tape computes it once per call), else it is added in numpy on the parameter vector.
    """
    model = _our_model()
    params = model.parameters()

    def loss_one(x1: Value, x2: Value, y: Value) -> Value:
        hinge = (1 + -y * model([x1, x2])).relu()
        return hinge + ALPHA * sum_values([p * p for p in params]) if l2_inside else hinge

    def fresh() -> Any:
        return compile(loss_one, params=params)

    step_fn = fresh()
    x1, x2 = X[:, 0].copy(), X[:, 1].copy()
    k = [0]

    def step() -> None:
        _, grads = step_fn.value_and_grad(x1, x2, Y)
        if not l2_inside:
            p_now = np.fromiter((p.data for p in params), float, len(params))
            grads += 2 * ALPHA * p_now
        lr = 1.0 - 0.9 * (k[0] % 100) / 100
        for p, g in zip(params, (lr * grads).tolist()):
            p.data -= g
        k[0] += 1

    return fresh, step


def matrix_step(X: np.ndarray, Y: np.ndarray) -> Callable[[], None] | None:
    try:
        from pathgrad.nn.matrix import Network
    except ImportError:
        return None
    net = Network([2, *SIZES], activation=["relu", "relu", "linear"], cost="quadratic", seed=1)
    XT, YT = np.ascontiguousarray(X.T), Y[None, :].copy()
    return lambda: net.update_batch(XT, YT, 0.01)


def torch_step(X: np.ndarray, Y: np.ndarray, threads: int = 0) -> Callable[[], None] | None:
    """PyTorch's step; ``threads`` > 0 sets torch's intra-op threads for the timed calls."""
    try:
        import torch
    except ImportError:
        return None
    default_threads = torch.get_num_threads()
    torch.manual_seed(1337)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    ).double()
    params = list(model.parameters())
    xt, yt = torch.tensor(X), torch.tensor(Y)
    k = [0]

    def step() -> None:
        torch.set_num_threads(threads or default_threads)
        scores = model(xt)[:, 0]
        loss = torch.relu(1 - yt * scores).mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        lr = 1.0 - 0.9 * (k[0] % 100) / 100
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        k[0] += 1
        torch.set_num_threads(default_threads)

    return step


def break_even(X: np.ndarray, Y: np.ndarray, runs: int) -> tuple[int | None, list[list[Any]]]:
    """Smallest batch where compile + one step beats one eager step on that batch."""
    rows: list[list[Any]] = []
    found = None
    for n in (1, 4, 16, 64, 128, 256, 512):
        if n > len(X):
            break
        Xn, Yn = X[:n], Y[:n]
        fresh, _ = compiled_parts(Xn, Yn)
        eager = eager_step(Xn, Yn)

        def first(fresh: Callable[[], Any] = fresh, Xn: np.ndarray = Xn,
                  Yn: np.ndarray = Yn) -> None:
            fresh().value_and_grad(Xn[:, 0], Xn[:, 1], Yn)

        t_compiled = statistics.median(_once(first) for _ in range(runs))
        t_eager = statistics.median(_once(eager) for _ in range(runs))
        rows.append([n, f"{t_compiled * 1e3:.2f}", f"{t_eager * 1e3:.2f}"])
        if found is None and t_compiled < t_eager:
            found = n
    return found, rows


def _once(fn: Callable[[], Any]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def mlp_section(small: bool) -> None:
    n_points = 20 if small else 100
    runs = 3 if small else 5
    X, Y = moons(n_points)
    fresh, compiled = compiled_parts(X, Y)
    steps: dict[str, Callable[[], None] | None] = {
        "micrograd (eager)": micrograd_step(X, Y),
        "pathgrad eager": eager_step(X, Y),
        "pathgrad compiled": compiled,
        "pathgrad compiled, L2 in numpy": compiled_parts(X, Y, l2_inside=False)[1],
        "nn.matrix (quadratic cost)": matrix_step(X, Y),
        "PyTorch CPU float64, 1 thread": torch_step(X, Y, threads=1),
        "PyTorch CPU float64, default threads": torch_step(X, Y),
    }
    times: dict[str, float] = {}
    for name, fn in steps.items():
        if fn is None:
            continue
        slow = name.startswith(("micrograd", "pathgrad eager"))
        times[name] = per_call(fn, runs=(1 if small else 3) if slow else runs,
                               min_block=0.0 if slow else 0.05)
    c = times["pathgrad compiled"]
    print(f"MLP(2, {SIZES}), {n_points} moons points, hinge + L2: one training step")
    rows = []
    for name in steps:
        if name not in times:
            rows.append([name, "not installed", "", ""])
            continue
        t = times[name]
        rows.append([name, f"{t * 1e3:.3f} ms", f"{t / c:.1f}x", f"{c / t:.3f}"])
    print_table(["step", "time", "÷ compiled", "compiled ÷"], rows)
    first = statistics.median(_once(lambda: fresh().value_and_grad(X[:, 0], X[:, 1], Y))
                              for _ in range(runs))
    tracer = fresh()
    tracer.value_and_grad(X[:, 0], X[:, 1], Y)
    print(f"\none-off compile (first call − a later call): {(first - c) * 1e3:.1f} ms "
          f"(trace_seconds {tracer.trace_seconds * 1e3:.1f} ms; {tracer.n_nodes} nodes; "
          f"back end {tracer.backend!r})")
    if "micrograd (eager)" in times:
        saved = times["micrograd (eager)"] - c
        print(f"compiling pays for itself against micrograd after {first / saved:.3f} steps")
    saved = times["pathgrad eager"] - c
    print(f"... and against pathgrad eager after {first / saved:.2f} steps")
    found, table = break_even(*moons(16 if small else 512), runs)
    print("\ncompile + first step vs one eager step, by batch size:")
    print_table(["batch", "compile+step ms", "eager step ms"], table)
    if found is None:
        print(f"compiling does not pay for itself in one step up to batch {table[-1][0]}")
    else:
        print(f"compiling pays for itself in a single step from batch size {found}")
    print()
    targets = []
    if "micrograd (eager)" in times:
        ratio = times["micrograd (eager)"] / c
        targets.append(["≥ 300x faster than micrograd", f"{ratio:.0f}x", verdict(ratio >= 300)])
    torch_times = [t for name, t in times.items() if name.startswith("PyTorch")]
    if torch_times:
        ratio = c / min(torch_times)  # against PyTorch's faster thread setting
        targets.append(["within 4x of PyTorch CPU", f"{ratio:.2f}x its time", verdict(ratio <= 4)])
    else:
        print("torch not installed: the PyTorch column is skipped")
    print_table(["target", "measured", ""], targets)


# ---- the long narrow chain -------------------------------------------------------------------
def chain_fn(n_ops: int, w: Any) -> Callable[[Any], Any]:
    def chain(x: Any) -> Any:
        for _ in range(n_ops // 3):
            x = (x * w + 0.001).relu()
        return x

    return chain


def chain_section(small: bool) -> None:
    n_ops = 600 if small else 20_000
    runs = 3 if small else 5
    rows = []
    per_node: dict[str, float] = {}

    def eager_one(V: Any) -> Callable[[], None]:
        w = V(0.999)
        f = chain_fn(n_ops, w)
        return lambda: f(V(0.5)).backward()

    try:
        from micrograd.engine import Value as MV

        engines = {"micrograd (eager), batch 1": MV, "pathgrad eager, batch 1": Value}
    except ImportError:
        engines = {"pathgrad eager, batch 1": Value}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * n_ops + 1000))  # micrograd's backward recurses
    try:
        for name, V in engines.items():
            t = statistics.median(_once(eager_one(V)) for _ in range(runs))
            per_node[name] = t / n_ops
    finally:
        sys.setrecursionlimit(limit)
    w = Value(0.999)
    xs_all = np.linspace(0.1, 1.0, 100)
    compile_cost = {}
    for backend in ("auto", "python", "numpy"):
        step = compile(chain_fn(n_ops, w), params=[w], backend=backend)
        t0 = time.perf_counter()
        step.value_and_grad(xs_all[:1])
        compile_cost[backend] = time.perf_counter() - t0
        for batch in (1, 100):
            xs = xs_all[:batch]
            t = per_call(lambda s=step, xs=xs: s.value_and_grad(xs), runs, min_block=0.02)
            per_node[f"compiled {backend} ({step.backend}), batch {batch}"] = t / n_ops / batch
    base = per_node.get("micrograd (eager), batch 1")
    for name, t in per_node.items():
        rows.append([name, f"{t * 1e9:.0f} ns", f"{base / t:.1f}x" if base else ""])
    print(f"\nA narrow chain of {n_ops} ops (x ← relu(x·w + 0.001)): per node and example")
    print_table(["engine", "per node·example", "faster than micrograd"], rows)
    print("compile (trace, check, lowering, code generation) + first call, batch 1: "
          + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in compile_cost.items()))
    auto = per_node["compiled auto (python), batch 1"] if (
        "compiled auto (python), batch 1" in per_node) else min(
        t for k, t in per_node.items() if k.startswith("compiled auto") and k.endswith("1"))
    if base:
        print_table(["target", "measured", ""],
                    [["chain: compiled ≥ 5x faster than micrograd per node (batch 1)",
                      f"{base / auto:.1f}x", verdict(base / auto >= 5)]])


def main() -> None:
    small = quick()
    mlp_section(small)
    chain_section(small)


if __name__ == "__main__":
    main()
