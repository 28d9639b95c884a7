"""Paths at scale, and the price of a gradient three ways (issue 4).

Part 1: ``count_paths`` and ``top_paths(k=10)`` as the graph grows 10x (1k, 10k, 100k nodes),
on a ladder of diamonds (2^(n/3) paths, the worst case for path counts) and on a random
layered DAG. Target: near-linear, i.e. each 10x in nodes costs at most 15x in time.

Part 2: the gradient of an MLP's loss (weighted_sum + tanh, squared error over a small batch)
for about 10 to 1,000 parameters, by central finite differences (Nielsen's eq. 46 in its
central form: 2n forward passes), forward differences (n + 1), forward mode (one ``jvp`` per
parameter: n passes) and reverse mode (one forward and one backward). Shown: passes, median
time, the ratio to one reverse-mode gradient and to one backward sweep alone, and the largest
disagreement with reverse mode. Target: reverse mode is the cheapest at every size, and the
others' ratio grows about linearly with n (Nielsen: "a million and one passes").
"""

from __future__ import annotations

import gc
import itertools
import math
import random
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from benchmarks.common import print_table, quick, verdict
from pathgrad.autograd import Value, count_paths, grad, jvp, numeric_grad, top_paths, weighted_sum
from pathgrad.autograd.graph import toposort

# ---- part 1: graphs ---------------------------------------------------------------------------


def diamond_ladder(n_nodes: int, seed: int = 0, V: Any = Value) -> tuple[Value, Value]:
    """v -> (v·c1, v·c2) -> their sum, repeated: three nodes and two paths per diamond.

    ``V``: the Value class to build with (``benchmarks.ab`` passes an older commit's)."""
    rng = random.Random(seed)
    x = V(0.5, label="x")
    v = x
    for _ in range(max(1, n_nodes // 3)):
        c1 = rng.uniform(0.3, 0.7)
        v = v * c1 + v * (1.0 - c1)
    return v, x


def layered(n_nodes: int, width: int = 100, seed: int = 0) -> tuple[Value, Value]:
    """Layers of ``width`` nodes, each the product or sum of two random nodes of the layer
    below (squashed by sin to stay bounded), summed at the end; the first layer is the input
    ``x`` times ``width`` constants, so paths from x run through the whole graph."""
    rng = random.Random(seed)
    x = Value(0.5, label="x")
    layer = [x * rng.uniform(-1, 1) for _ in range(width)]
    made = width + 1
    while made < n_nodes - 1:
        nxt = []
        for _ in range(width):
            a, b = rng.choice(layer), rng.choice(layer)
            nxt.append((a * b).sin() if rng.random() < 0.5 else (a + b).sin())
        layer = nxt
        made += 2 * width
    out = layer[0]
    for v in layer[1:]:
        out = out + v
    return out, x


def median_cpu(fn: Callable[[], Any], repeats: int) -> float:
    """Median CPU seconds (``time.process_time``) of ``fn()``: the machine is shared, and CPU
    time is what other processes disturb least."""
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def part_paths(sizes: list[int], repeats: int) -> bool:
    rows: list[list[Any]] = []
    ok_all = True
    for family in (diamond_ladder, layered):
        previous: tuple[float, float, int, int] | None = None
        for n in sizes:
            out, x = family(n)
            order = toposort(out)
            edges = sum(len(v.parents) for v in order)
            t_count = median_cpu(partial(count_paths, out, x), repeats)
            t_top = median_cpu(partial(top_paths, out, x, 10), repeats)
            n_paths = count_paths(out, x)
            top = top_paths(out, x, 10)
            words = max(1, -(-n_paths.bit_length() // 64))  # the count's size in 64-bit words
            growth = ["", "", ""]
            if previous is not None:
                # slope of log(time) against log(size): 1.0 is linear. count_paths does one
                # big-int addition per edge, each costing the count's size in words.
                e_count = _slope(t_count / previous[0], edges * words / (previous[2] * previous[3]))
                e_top = _slope(t_top / previous[1], edges / previous[2])
                ok = e_count <= 1.25 and e_top <= 1.25
                ok_all &= ok
                growth = [f"{t_count / previous[0]:.1f}x, slope {e_count:.2f}",
                          f"{t_top / previous[1]:.1f}x, slope {e_top:.2f}", verdict(ok)]
            previous = (t_count, t_top, edges, words)
            shown = f"{n_paths:,}" if n_paths < 10**12 else f"~10^{math.log10(n_paths):.0f}"
            rows.append([family.__name__, f"{len(order):,}", f"{edges:,}", shown,
                         f"{len(top[0]):,}", f"{1e3 * t_count:.1f}", f"{1e3 * t_top:.1f}",
                         *growth])
    print(f"count_paths and top_paths(k=10): median CPU ms of {repeats} runs. Growth from the "
          "row above, and its slope on a log-log scale against edges (count_paths: edges x "
          "the count's size in 64-bit words); target: slope <= 1.25, near-linear")
    print_table(["graph", "nodes", "edges", "paths", "top path edges", "count ms",
                 "top-10 ms", "count growth", "top-10 growth", ""], rows)
    return ok_all


def _slope(time_ratio: float, size_ratio: float) -> float:
    return math.log(time_ratio) / math.log(size_ratio) if size_ratio > 1.0 else math.nan


# ---- part 2: gradients of an MLP loss ----------------------------------------------------------


def mlp_loss(layer_sizes: list[int], batch: int = 4, seed: int = 0
             ) -> tuple[Callable[..., Value], list[float]]:
    """A tanh MLP's squared-error loss over a fixed batch, as a function of its parameters
    (per layer, per neuron: weights then bias), and a random starting point."""
    rng = random.Random(seed)
    shapes = list(itertools.pairwise(layer_sizes))
    n_params = sum((n_in + 1) * n_out for n_in, n_out in shapes)
    xs = [[rng.uniform(-1, 1) for _ in range(layer_sizes[0])] for _ in range(batch)]
    ys = [rng.uniform(-1, 1) for _ in range(batch)]
    point = [rng.gauss(0.0, 1.0 / math.sqrt(n_in)) for n_in, n_out in shapes
             for _ in range((n_in + 1) * n_out)]
    assert len(point) == n_params

    def loss(*params: Value) -> Value:
        total: Value | None = None
        for x, y in zip(xs, ys):
            acts: list[Any] = list(x)
            i = 0
            for depth, (n_in, n_out) in enumerate(shapes):
                nxt = []
                for _ in range(n_out):
                    z = weighted_sum(list(params[i:i + n_in]), acts, params[i + n_in])
                    i += n_in + 1
                    nxt.append(z if depth == len(shapes) - 1 else z.tanh())
                acts = nxt
            err = (acts[0] - y) ** 2
            total = err if total is None else total + err
        assert total is not None
        return total

    return loss, point


def reverse_grad(loss: Callable[..., Value], point: list[float]) -> list[float]:
    params = [Value(p) for p in point]
    return grad(loss(*params), params)


def forward_mode_grad(loss: Callable[..., Value], point: list[float]) -> list[float]:
    n = len(point)
    out = []
    for j in range(n):
        tangent = [0.0] * n
        tangent[j] = 1.0
        out.append(float(jvp(loss, point, tangent)))
    return out


def median_backward(loss: Callable[..., Value], point: list[float], repeats: int) -> float:
    """Median CPU seconds of one backward sweep alone, on a freshly built graph each time."""
    times = []
    for _ in range(repeats):
        out = loss(*(Value(p) for p in point))
        gc.collect()
        t0 = time.process_time()
        out.backward()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def part_gradients(architectures: list[list[int]], repeats: int) -> bool:
    rows: list[list[Any]] = []
    ok_all = True
    first_ratio: dict[str, float] = {}
    last_ratio: dict[str, float] = {}
    sizes = []
    for arch in architectures:
        loss, point = mlp_loss(arch)
        n = len(point)
        sizes.append(n)
        exact = reverse_grad(loss, point)
        t_rev = median_cpu(partial(reverse_grad, loss, point), repeats)
        t_back = median_backward(loss, point, repeats)
        slow_repeats = max(1, repeats if n < 300 else repeats // 2)
        methods: list[tuple[str, int, Callable[[], list[float]]]] = [
            ("finite diff, central", 2 * n, partial(numeric_grad, loss, point, eps=1e-6)),
            ("finite diff, forward", n + 1,
             partial(numeric_grad, loss, point, eps=1e-7, method="forward")),
            ("forward mode (jvp)", n, partial(forward_mode_grad, loss, point)),
        ]
        fastest_other = math.inf
        for name, passes, run in methods:
            result = run()
            if hasattr(result, "passes"):
                assert result.passes == passes, (name, result.passes, passes)
            err = max(abs(a - b) for a, b in zip(result, exact))
            t = median_cpu(run, slow_repeats)
            fastest_other = min(fastest_other, t)
            ratio = t / t_rev
            first_ratio.setdefault(name, ratio)
            last_ratio[name] = ratio
            rows.append([f"{n:,}", "-".join(map(str, arch)), name, f"{passes:,}",
                         f"{1e3 * t:.1f}", f"{ratio:.1f}x", f"{t / t_back:.1f}x", f"{err:.1e}"])
        ok = t_rev < fastest_other
        ok_all &= ok
        rows.append([f"{n:,}", "-".join(map(str, arch)), "reverse mode (backward)", "1 + 1",
                     f"{1e3 * t_rev:.1f}", "1.0x", f"{t_rev / t_back:.1f}x",
                     f"cheapest {verdict(ok)}"])
    print(f"gradient of an MLP loss (tanh, batch of 4): median CPU ms of {repeats} runs "
          "(fewer for n >= 300); 'vs one backward' divides by one backward sweep alone")
    print_table(["params", "layers", "method", "passes", "ms", "vs reverse grad",
                 "vs one backward", "max |diff| vs reverse"], rows)
    if len(sizes) > 1:
        growth_n = sizes[-1] / sizes[0]
        for name in first_ratio:
            growth = last_ratio[name] / first_ratio[name]
            ok = growth >= 0.25 * growth_n
            ok_all &= ok
            print(f"{name}: ratio to reverse grew {growth:.0f}x while n grew {growth_n:.0f}x "
                  f"(target: about linear) {verdict(ok)}")
    return ok_all


def main() -> None:
    t0 = time.perf_counter()
    if quick():
        sizes, repeats = [1_000, 10_000], 2
        architectures = [[2, 3, 1], [4, 16, 1]]
    else:
        sizes, repeats = [1_000, 10_000, 100_000], 5
        architectures = [[2, 3, 1], [3, 6, 1], [4, 16, 1], [4, 24, 8, 1], [8, 40, 16, 1]]
    ok_paths = part_paths(sizes, repeats)
    print()
    ok_grads = part_gradients(architectures, repeats)
    print(f"\npaths near-linear: {verdict(ok_paths)}; gradient costs as expected: "
          f"{verdict(ok_grads)}  ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
