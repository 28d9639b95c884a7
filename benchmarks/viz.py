"""Render time against graph size (issue 7): DOT building, then layout and drawing by the
Graphviz engine bundled in pygraphviz, for computation graphs of 100 to 5,000 values.

The graphs are random expressions (unary tanh/σ/×0.5 and binary +/× on the last few values),
deep and narrow like a training loop's loss. Columns: ``draw_dot`` alone; layout + SVG and
layout + PNG with one op node per computed value (micrograd's look, the default); layout +
SVG with ``op_nodes=False`` (the op's symbol in the value's box: half the nodes). Medians of
several runs (one run at 2,000 values and more: single layouts take seconds to minutes there),
and the growth exponent between sizes, log(t2/t1)/log(n2/n1).

Targets: (1) a graph at the readability limit ``MAX_NODES`` = 500 renders to SVG in under 2 s,
so ``draw_dot`` in a notebook feels immediate; (2) building the DOT text is linear (its time
per value at the largest size within 2x of that at 500); (3) ``op_nodes=False`` is at least 2x
faster to lay out from 1,000 values on. Graphviz's ``dot`` layout itself is superlinear (mincross
and network simplex): the table shows by how much, which is why ``draw_dot`` warns above 500.
Above 300 values ``draw_dot`` caps dot's network-simplex iterations (``nslimit=0.2``); the
last column is the same layout without that cap, at the sizes where it still finishes soon.
"""

from __future__ import annotations

import math
import random
import re
import sys
from functools import partial

from benchmarks.common import median_time, print_table, quick, verdict
from pathgrad.autograd import Value, toposort
from pathgrad.viz import draw_dot
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


def _growth(sizes: list[int], times: list[float | None]) -> list[str]:
    out = ["—"]
    for (n1, t1), (n2, t2) in zip(zip(sizes, times), zip(sizes[1:], times[1:])):
        if t1 is None or t2 is None or t1 <= 0:
            out.append("—")
        else:
            out.append(f"n^{math.log(t2 / t1) / math.log(n2 / n1):.2f}")
    return out


def main() -> None:
    sizes = [30, 60, 120] if quick() else [100, 200, 500, 1000, 2000, 5000]
    png_limit = 60 if quick() else 2000  # PNG repeats the layout: skip it where one takes minutes
    uncapped_limit = 1000  # without the nslimit cap 2,000 values take about a minute
    results = []
    for n in sizes:
        root = expression(n)
        n_values = len(toposort(root))
        repeats = 5 if n <= 500 else (3 if n <= 1000 else 1)
        graph = draw_dot(root, max_nodes=None)
        compact = draw_dot(root, max_nodes=None, op_nodes=False)
        t_build = median_time(partial(draw_dot, root, max_nodes=None), repeats=max(repeats, 3))
        t_svg = median_time(partial(pipe, graph, "svg"), repeats=repeats)
        t_png = (median_time(partial(pipe, graph, "png"), repeats=repeats)
                 if n <= png_limit else None)
        t_inline = median_time(partial(pipe, compact, "svg"), repeats=repeats)
        uncapped = re.sub(r"nslimit1?=0\.2", "", graph.source)
        t_uncapped = (median_time(partial(pipe, uncapped, "svg"), repeats=repeats)
                      if uncapped != graph.source and n <= uncapped_limit else None)
        results.append((n_values, len(graph.body), t_build, t_svg, t_png, t_inline, t_uncapped,
                        repeats))
        print(f"  {n_values} values: SVG {t_svg:.2f} s", file=sys.stderr, flush=True)
    build_t = [r[2] for r in results]
    svg_t: list[float | None] = [r[3] for r in results]
    inline_t: list[float | None] = [r[5] for r in results]
    per_value = {n: r[2] / r[0] for n, r in zip(sizes, results)}
    rows = []
    for r, g_build, g_svg, g_inline in zip(results, _growth(sizes, list(build_t)),
                                           _growth(sizes, svg_t), _growth(sizes, inline_t)):
        n_values, lines, t_build, t_svg, t_png, t_inline, t_uncapped, repeats = r
        rows.append([
            n_values, lines, f"{1e3 * t_build:.1f}", g_build, f"{t_svg:.3f}", g_svg,
            f"{t_png:.3f}" if t_png is not None else "skipped",
            f"{t_inline:.3f}", g_inline, f"{t_svg / t_inline:.1f}x",
            f"{t_uncapped:.3f}" if t_uncapped is not None else "—", repeats,
        ])
    print_table(
        ["values", "DOT lines", "build ms", "growth", "SVG s", "growth", "PNG s",
         "SVG s, op_nodes=False", "growth", "ops/inline", "SVG s, no nslimit cap", "runs"],
        rows,
    )
    print()
    at = 60 if quick() else 500
    i = sizes.index(at)
    total = build_t[i] + (svg_t[i] or 0.0)
    print(f"target 1: {at}-value graph, build + SVG in under 2 s: {total:.2f} s  "
          f"{verdict(total < 2.0)}")
    ratio = per_value[sizes[-1]] / per_value[at]
    print(f"target 2: DOT building linear, time per value at {sizes[-1]} vs {at}: "
          f"{ratio:.2f}x (<= 2)  {verdict(ratio <= 2.0)}")
    big = [s / c for n, s, c in zip(sizes, svg_t, inline_t) if n >= 1000 and s and c]
    if big:
        print(f"target 3: op_nodes=False lays out >= 2x faster from 1000 values on: "
              f"worst {min(big):.1f}x  {verdict(min(big) >= 2.0)}")
    else:
        print("target 3: op_nodes=False >= 2x faster from 1000 values on: not measured (--quick)")


if __name__ == "__main__":
    main()
