"""Render time (issue 17): every graph ``draw_dot`` accepts must render in under 5 s.

Two families, measured up to ``draw_dot``'s limit (``MAX_NODES`` = 250 drawn values) and past
it with ``max_nodes=None``: chains with a shared leaf (``y * x`` alternating with
``tanh(0.9 y + 0.1)``, one leaf ``x`` feeding every other op — the graph whose layout took 20 s
at 60 steps and did not finish in 10 minutes at 200 before the layout rules of
``viz._layout``), and random DAGs (unary tanh/σ/×0.5 and binary +/× on the last few values).
Columns: ``draw_dot`` (building the DOT text) and layout + SVG and layout + PNG by the bundled
Graphviz; medians of several runs, pinned to one thread.

Target: build + SVG under 5 s for every size up to ``MAX_NODES``.
"""

from __future__ import annotations

import random
import sys
from functools import partial

from benchmarks.common import median_time, print_table, quick, verdict
from pathgrad.autograd import Value, toposort
from pathgrad.viz import MAX_NODES, draw_dot
from pathgrad.viz.rendering import pipe


def expression(n_values: int, seed: int = 0) -> Value:
    """A random expression graph whose output depends on exactly ``n_values`` values."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(4)]
    unary = [lambda a: a.tanh(), lambda a: a * 0.5, lambda a: a.sigmoid()]
    while True:
        recent = nodes[-8:]
        if rng.random() < 0.5:
            v = rng.choice(unary)(rng.choice(recent))
        else:
            a, b = rng.choice(recent), rng.choice(recent)
            v = a * b if rng.random() < 0.5 else a + b
        nodes.append(v)
        # some values end up unused by the output: count only once there can be enough
        if len(nodes) >= n_values and len(toposort(v)) >= n_values:
            return v


def recurrence(n_values: int) -> Value:
    """The shared-leaf chain with at least ``n_values`` values."""
    x, y = Value(0.7, label="x"), Value(0.3, label="y0")
    step = 0
    while len(toposort(y)) < n_values:
        y = y * x if step % 2 == 0 else (0.9 * y + 0.1).tanh()
        step += 1
        y.label = f"y{step}"
    return y


def main() -> None:
    sizes = [20, 60] if quick() else [50, 100, 200, MAX_NODES, 400, 500]
    rows, worst = [], 0.0
    for family, make in (("shared-leaf chain", recurrence), ("random DAG", expression)):
        for n in sizes:
            root = make(n)
            n_values = len(toposort(root))
            graph = draw_dot(root, max_nodes=None)
            repeats = 3 if n <= MAX_NODES else 1
            t_build = median_time(partial(draw_dot, root, max_nodes=None), repeats=repeats)
            t_svg = median_time(partial(pipe, graph, "svg"), repeats=repeats)
            t_png = median_time(partial(pipe, graph, "png"), repeats=repeats)
            if n_values <= MAX_NODES:
                worst = max(worst, t_build + t_svg)
            rows.append([family, n_values, "yes" if n_values <= MAX_NODES else "no (None)",
                         f"{1e3 * t_build:.0f}", f"{t_svg:.2f}", f"{t_png:.2f}", repeats])
            print(f"  {family}, {n_values} values: SVG {t_svg:.2f} s", file=sys.stderr,
                  flush=True)
    print_table(["graph", "values", "accepted", "build ms", "SVG s", "PNG s", "runs"], rows)
    print()
    print(f"target: every accepted graph (<= {MAX_NODES} values) builds and renders to SVG in "
          f"under 5 s: worst {worst:.2f} s  {verdict(worst < 5.0)}")


if __name__ == "__main__":
    main()
