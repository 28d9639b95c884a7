"""Today's engine against an older commit's, in one process: ``python -m benchmarks.ab [REF]``.

A refactoring must not cost speed. The older commit (default: 9c7fa9d, the last before the
``pathgrad`` namespace and the architecture rework) is unpacked with ``git archive`` into a
temporary folder and imported under its old top-level names (``autograd``, ``nn``), or, for a
commit inside the namespace, as ``pathgrad_old.autograd`` and ``pathgrad_old.nn`` (its
``pathgrad.`` imports renamed), beside today's ``pathgrad.autograd`` and ``pathgrad.nn``.
Both run the same workloads, taking turns round by round (``benchmarks.common.timed_rounds``),
so load on the machine hits both alike.
Printed per workload: each side's median time per call with its spread, and the median of the
round-by-round ratios new ÷ old (≤ 1.05: within 5% of the old figure or better).
Memory is measured once per side (it does not vary).
"""

from __future__ import annotations

import importlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from benchmarks.common import print_table, quick, spread, timed_rounds
from benchmarks.paths import diamond_ladder

OLD_REF = "9c7fa9d"
ALPHA = 1e-4
TOLERANCE = 1.05


def unpack(ref: str, into: str) -> str:
    """The packages of commit ``ref`` of this repository, unpacked under ``into``; returns the
    prefix to import them by: ``""`` for a commit before the ``pathgrad`` namespace (its top-level
    ``autograd`` and ``nn``), else ``"pathgrad_old."``: a tree that imports ``pathgrad.…`` across
    its packages has those imports renamed, so it cannot pick up today's modules."""
    archive = subprocess.run(["git", "archive", ref, "autograd", "nn"], capture_output=True,
                             check=False)
    if archive.returncode != 0:
        raise SystemExit(f"benchmarks.ab: git archive {ref} failed: "
                         f"{archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)
    root = Path(into)
    if not any("pathgrad." in f.read_text(encoding="utf-8") for f in root.rglob("*.py")):
        return ""
    (root / "pathgrad_old").mkdir()
    for package in ("autograd", "nn"):
        (root / package).rename(root / "pathgrad_old" / package)
    for f in (root / "pathgrad_old").rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        f.write_text(re.sub(r"\bpathgrad\.(autograd|nn)\b", r"pathgrad_old.\1", text),
                     encoding="utf-8")
    return "pathgrad_old."


def sides(old_dir: str, prefix: str = "") -> dict[str, tuple[ModuleType, ModuleType]]:
    """{"old": (autograd, nn) of the unpacked commit, "new": (pathgrad.autograd, pathgrad.nn)}."""
    sys.path.insert(0, old_dir)
    try:
        old = (importlib.import_module(prefix + "autograd"),
               importlib.import_module(prefix + "nn"))
    finally:
        sys.path.remove(old_dir)
    if not old[0].__file__ or not old[0].__file__.startswith(old_dir):
        raise SystemExit(f"benchmarks.ab: 'autograd' came from {old[0].__file__}, not {old_dir}")
    new = (importlib.import_module("pathgrad.autograd"), importlib.import_module("pathgrad.nn"))
    return {"old": old, "new": new}


def chain(A: ModuleType, n_ops: int) -> Any:
    """benchmarks.engine's narrow chain: y = relu(y·w + 0.001), three ops a step."""
    w, y = A.Value(0.999), A.Value(0.5)
    for _ in range(n_ops // 3):
        y = (y * w + 0.001).relu()
    return y


def wide(A: ModuleType, n_ops: int, width: int = 1000) -> Any:
    """benchmarks.engine's wide random expression (its plan drawn once, shared by both sides)."""
    from benchmarks.engine import _plan

    leaves, levels = _plan(n_ops, width, 0)
    level = [A.Value(x) for x in leaves]
    for pairs in levels:
        level = [level[i] * level[k] if j % 2 else (level[i] + level[k]) * 0.5
                 for j, (i, k) in enumerate(pairs)]
    total = level[0]
    for v in level[1:]:
        total = total + v
    return total


def moons() -> tuple[np.ndarray, np.ndarray]:
    from pathgrad.nn import data

    X, y = data.moons(100, noise=0.1, seed=1337, signed=True)
    return np.asarray(X, float), np.asarray(y, float)


def eager_step(A: ModuleType, N: ModuleType) -> Callable[[], None]:
    """micrograd's demo step: MLP(2, [16, 16, 1]), 100 moons, hinge + L2, backward, SGD."""
    X, Y = moons()
    model = N.MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()
    rows, ys = X.tolist(), Y.tolist()

    def step() -> None:
        losses = [(1 + -yi * model(r)).relu() for r, yi in zip(rows, ys)]
        total = A.sum_values(losses) * (1.0 / len(losses))
        total = total + ALPHA * A.sum_values([p * p for p in params])
        for p in params:
            p.grad = 0.0
        total.backward()
        for p in params:
            p.data -= 1e-9 * p.grad  # tiny steps: the graph's numbers stay the same

    return step


def compiled_step(A: ModuleType, N: ModuleType) -> Callable[[], None]:
    """The same loss compiled: one call of value_and_grad over the 100 examples."""
    X, Y = moons()
    model = N.MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()

    def loss_one(x1: Any, x2: Any, y: Any) -> Any:
        hinge = (1 + -y * model([x1, x2])).relu()
        return hinge + ALPHA * A.sum_values([p * p for p in params])

    fn = A.compile(loss_one, params=params)
    x1, x2 = X[:, 0].copy(), X[:, 1].copy()
    return lambda: fn.value_and_grad(x1, x2, Y)


def build_backward(A: ModuleType, make: Callable[[ModuleType, int], Any], n: int
                   ) -> Callable[[], None]:
    return lambda: make(A, n).backward()


def on_ladder(query: Callable[[Any, Any], Any], A: ModuleType, n: int) -> Callable[[], Any]:
    """``query(output, x)`` on benchmarks.paths' diamond ladder, built once."""
    y, x = diamond_ladder(n, V=A.Value)
    return lambda: query(y, x)


def bytes_per_node(A: ModuleType, n: int) -> float:
    y = chain(A, 3)  # warm up the allocator and lazy imports
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    y = chain(A, n)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / len(A.toposort(y))


def workloads(n: int) -> dict[str, Callable[[ModuleType, ModuleType], Callable[[], Any]]]:
    return {
        f"chain, {n:,} ops: build + backward": lambda A, N: build_backward(A, chain, n),
        f"wide DAG, {n:,} ops: build + backward": lambda A, N: build_backward(A, wide, n),
        "demo step, eager (hinge + L2)": eager_step,
        "demo step, compiled value_and_grad": compiled_step,
        f"count_paths, diamond ladder of {n:,} nodes": lambda A, N: on_ladder(A.count_paths, A, n),
        f"top_paths(k=10), diamond ladder of {n:,} nodes": lambda A, N: on_ladder(
            lambda y, x: A.top_paths(y, x, k=10), A, n),
    }


def main() -> None:
    ref = next((a for a in sys.argv[1:] if not a.startswith("-")), OLD_REF)
    n, rounds = (3_000, 3) if quick() else (30_000, 15)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as old_dir:
        both = sides(old_dir, unpack(ref, old_dir))
        print(f"today's engine vs commit {ref}, one process, {rounds} rounds taking turns; "
              f"ms per call (min–median–max); ratio new ÷ old, median of the rounds "
              f"(target ≤ {TOLERANCE:.2f})")
        rows, worst = [], 0.0
        for name, make in workloads(n).items():
            fns = {side: make(A, N) for side, (A, N) in both.items()}
            samples = timed_rounds(fns, rounds)
            ratios = [a / b for a, b in zip(samples["new"], samples["old"])]
            r = statistics.median(ratios)
            worst = max(worst, r)
            rows.append([name, spread(samples["old"]),
                         spread(samples["new"]),
                         f"{min(ratios):.2f}–{r:.2f}–{max(ratios):.2f}",
                         "PASS" if r <= TOLERANCE else "MISS"])
        print_table(["workload", "old ms", "new ms", "new ÷ old", ""], rows)
        mem = {side: min(bytes_per_node(A, n) for _ in range(3)) for side, (A, _) in both.items()}
        print(f"memory, chain of {n:,} ops: {mem['old']:.0f} bytes per node old, "
              f"{mem['new']:.0f} new ({mem['new'] / mem['old']:.3f}x)")
        print(f"worst median ratio {worst:.2f}: {'PASS' if worst <= TOLERANCE else 'MISS'}")


if __name__ == "__main__":
    main()
