"""The engine against micrograd, in one process on the same workloads.

Per op of the workload: time to build the graph, time to run backward, and bytes of graph per
op (tracemalloc). micrograd wraps every number operand in a node of its own, so it makes more
nodes for the same workload; both columns are per *op of the workload*, the fair unit, and its
node count is printed too. Targets (issue 3): build + backward >= 2.5x faster than micrograd on
every workload, at most a quarter of its bytes, and depth limited only by memory.
"""

from __future__ import annotations

import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks.common import median_time, print_table, quick, verdict
from pathgrad.autograd import Value
from pathgrad.autograd.graph import toposort


def chain(V: Any, n_ops: int) -> Any:
    """A narrow chain: y = relu(y·w + 0.001), three ops a step, w one shared leaf."""
    w, y = V(0.999), V(0.5)
    for _ in range(n_ops // 3):
        y = (y * w + 0.001).relu()
    return y


_PLANS: dict[tuple[int, int, int], tuple[list[float], list[list[tuple[int, int]]]]] = {}


def _plan(n_ops: int, width: int, seed: int) -> tuple[list[float], list[list[tuple[int, int]]]]:
    # The random choices are drawn once, outside the timed region, and shared by both engines.
    key = (n_ops, width, seed)
    if key not in _PLANS:
        rng = random.Random(seed)
        leaves = [rng.uniform(-1, 1) for _ in range(width)]
        levels, made = [], 0
        while made < n_ops - width:
            levels.append([(rng.randrange(width), rng.randrange(width)) for _ in range(width)])
            made += 3 * width // 2
        _PLANS[key] = (leaves, levels)
    return _PLANS[key]


def wide(V: Any, n_ops: int, width: int = 1000, seed: int = 0) -> Any:
    """A wide random expression: levels of `width` nodes, each from two random nodes of the
    level below (operands shared ~2 times), alternating a·b and (a+b)·0.5; then their sum."""
    leaves, levels = _plan(n_ops, width, seed)
    level = [V(x) for x in leaves]
    for pairs in levels:
        level = [
            level[i] * level[k] if j % 2 else (level[i] + level[k]) * 0.5
            for j, (i, k) in enumerate(pairs)
        ]
    total = level[0]
    for v in level[1:]:
        total = total + v
    return total


def count_nodes(root: Any) -> int:
    if isinstance(root, Value):
        return len(toposort(root))
    seen, stack = {root}, [root]
    while stack:
        for p in stack.pop()._prev:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return len(seen)


def graph_bytes(build: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    root = build()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del root
    return size


def micrograd_max_depth() -> int:
    """The longest chain micrograd's recursive backward survives at the default recursion limit."""
    from micrograd.engine import Value as MValue

    lo, hi = 10, 5000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        y = MValue(0.5)
        for _ in range(mid):
            y = y * 1.0
        try:
            y.backward()
            lo = mid
        except RecursionError:
            hi = mid - 1
    return lo


def main() -> None:
    from micrograd.engine import Value as MValue

    n_ops = 3_000 if quick() else 100_000
    repeats = 2 if quick() else 5
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * n_ops + 1000))
    rows, ok_all = [], True
    for workload in (chain, wide):
        result = {}
        for name, V in (("micrograd", MValue), ("pathgrad", Value)):
            holder: dict[str, Any] = {}

            def build(V: Any = V, holder: dict[str, Any] = holder, wl: Any = workload) -> None:
                holder["root"] = wl(V, n_ops)

            def back(holder: dict[str, Any] = holder) -> None:
                holder["root"].backward()

            def make(V: Any = V, wl: Any = workload) -> Any:
                return wl(V, n_ops)

            t_build = median_time(build, repeats)
            t_back = median_time(back, repeats, setup=build)
            nodes = count_nodes(holder["root"])
            mem = graph_bytes(make)
            result[name] = (t_build, t_back, nodes, mem)
        mb, mw, mn, mm = result["micrograd"]
        pb, pw, pn, pm = result["pathgrad"]
        speed = (mb + mw) / (pb + pw)
        mem_ratio = mm / pm
        node_ratio = (mm / mn) / (pm / pn)  # each engine's own nodes: micrograd's include constants
        ok = speed >= 2.5 and mem_ratio >= 4.0
        ok_all &= ok
        for name, (b, w, nodes, mem) in result.items():
            rows.append(
                [
                    workload.__name__,
                    name,
                    f"{1e6 * b / n_ops:.3f}",
                    f"{1e6 * w / n_ops:.3f}",
                    f"{1e6 * (b + w) / n_ops:.3f}",
                    nodes,
                    f"{mem / n_ops:.0f}",
                    f"{mem / nodes:.0f}",
                ]
            )
        rows.append(
            [
                workload.__name__,
                "ratio",
                f"{mb / pb:.1f}x",
                f"{mw / pw:.1f}x",
                f"{speed:.1f}x {verdict(speed >= 2.5)}",
                "",
                f"{mem_ratio:.1f}x less {verdict(mem_ratio >= 4.0)}",
                f"{node_ratio:.1f}x less",
            ]
        )
    print(
        f"workloads of {n_ops:,} ops, medians of {repeats} runs; times are µs per op, "
        "memory is bytes of live graph per op and per node"
    )
    print_table(
        [
            "workload",
            "engine",
            "build",
            "backward",
            "build+backward",
            "nodes",
            "bytes/op",
            "bytes/node",
        ],
        rows,
    )

    sys.setrecursionlimit(1000)
    depth = micrograd_max_depth()
    deep = 20_000 if quick() else 1_000_000
    t0 = time.perf_counter()
    y = x = Value(1.0)
    for _ in range(deep):
        y = y * 0.9999999
    y.backward()
    took = time.perf_counter() - t0
    print(
        f"\ndepth: micrograd's recursive backward fails beyond a {depth}-op chain at the default "
        f"recursion limit; pathgrad ran a {deep:,}-op chain in {took:.2f} s "
        f"(x.grad = {x.grad:.6f}, closed form {0.9999999**deep:.6f})"
    )
    print(f"targets (>= 2.5x faster, >= 4x less memory, depth unbounded): {verdict(ok_all)}")


if __name__ == "__main__":
    main()
