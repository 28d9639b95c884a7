"""Demo 5 — why backpropagation is fast: finite differences vs forward mode vs one backward pass.

Nielsen, chapter 2, "In what sense is backpropagation a fast algorithm?": estimating each
∂C/∂w_j by ∂C/∂w_j ≈ (C(w + ε e_j) − C(w)) / ε (eq. 46) needs one forward pass per weight plus
one for C(w) — "a million and one passes through the network" for a million weights — while
backpropagation gets *all* the partial derivatives from one forward pass and one backward pass
of about the same cost. Forward mode (``autograd.jvp``) sits in between: one pass gives one
directional derivative, so a gradient of n parameters still takes n passes.

This demo measures all three on sigmoid MLPs [4, h, h, 1] with the quadratic cost, from 9 to
about 1,000 parameters: the number of passes each uses, the wall time (medians of a few runs
where a run is short), the agreement of the three gradients, and the ratio of a backward pass
to a forward pass. A log-log plot shows finite differences and forward mode growing like n²
(n passes of size n) and backpropagation like n. The times are single-threaded pure Python on
this machine; the ratios are the point.

Run alone: ``python -m pathgrad.demos.why_fast [--fast] [--out DIR]``.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from pathgrad.autograd import Value, grad, jvp, no_grad, numeric_grad, weighted_sum

from .common import DEFAULT_OUT, Pictures, heading, run_alone

__all__ = ["cost", "main", "measure"]

INPUT = [0.5, -0.3, 0.8, 0.1]
TARGET = 1.0
HIDDEN_FULL = (1, 3, 7, 14, 28)
HIDDEN_FAST = (1, 3, 7)


def cost(sizes: list[int], theta: Any, x: list[float] = INPUT, y: float = TARGET) -> Value:
    """Quadratic cost ½(a^L − y)² of a sigmoid MLP, parameters flat (per neuron: w…, b).

    >>> round(cost([1, 1], [Value(2.0), Value(0.0)], [0.0], 0.0).data, 12)   # ½ σ(0)²
    0.125
    """
    it = iter(theta)
    a: list[Any] = list(x)
    for n_in, n_out in itertools.pairwise(sizes):
        a = [weighted_sum([next(it) for _ in range(n_in)], a, next(it)).sigmoid()
             for _ in range(n_out)]
    return ((a[0] - y) ** 2) * 0.5


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float]:
    """``fn()``'s result and its median wall time over ``repeats`` runs."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def measure(hidden: int, seed: int = 0) -> dict[str, Any]:
    """Passes, times and gradients of the three methods on the MLP [4, hidden, hidden, 1]."""
    sizes = [len(INPUT), hidden, hidden, 1]
    n = sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))
    rng = random.Random(seed)
    theta = [rng.uniform(-1.0, 1.0) for _ in range(n)]

    def f(*t: Any) -> Value:
        return cost(sizes, t)

    cheap = n < 200  # repeat what is short, so the median means something
    fd, fd_s = _timed(lambda: numeric_grad(f, theta, method="forward"), 3 if cheap else 1)

    def forward_mode() -> list[float]:
        return [jvp(f, theta, [1.0 if j == i else 0.0 for j in range(n)]) for i in range(n)]

    fm, fm_s = _timed(forward_mode, 3 if cheap else 1)

    def backprop() -> list[float]:
        leaves = [Value(v) for v in theta]
        return grad(f(*leaves), leaves)

    bp, bp_s = _timed(backprop, 7)

    def forward_only() -> float:
        with no_grad():
            return f(*[Value(v) for v in theta]).data

    _, fwd_s = _timed(forward_only, 7)
    _, record_s = _timed(lambda: f(*[Value(v) for v in theta]), 7)  # storing the rates
    leaves = [Value(v) for v in theta]
    C = f(*leaves)
    _, bwd_s = _timed(lambda: grad(C, leaves), 7)  # the backward sweep alone
    return {
        "sizes": sizes, "n": n,
        "fd_passes": fd.passes, "fd_s": fd_s,
        "jvp_passes": n, "jvp_s": fm_s,
        "bp_passes": 1, "bp_forward_passes": 1, "bp_s": bp_s,
        "forward_s": fwd_s, "record_s": record_s, "backward_s": bwd_s,
        "fd_err": max(abs(a - b) for a, b in zip(fd, bp)),
        "jvp_err": max(abs(a - b) for a, b in zip(fm, bp)),
        "grad": list(bp), "fd": list(fd), "jvp": [float(d) for d in fm],
    }


def main(fast: bool = False, out_dir: str = DEFAULT_OUT) -> dict[str, Any]:
    """Run the demo; return the measured rows and picture paths."""
    heading(
        "5. Why backpropagation is fast: passes and time as the network grows",
        "Nielsen ch. 2, \"In what sense is backpropagation a fast algorithm?\": eq. 46 needs "
        "n + 1 forward\npasses for n weights, backpropagation one forward and one backward "
        "pass. Measured here on\nsigmoid MLPs [4, h, h, 1], quadratic cost.",
    )
    rows = []
    print(f"{'params n':>8} | {'finite differences':>22} | {'forward mode (jvp)':>22} | "
          f"{'backprop':>19} | {'FD/BP':>6} | max |FD−BP|  max |jvp−BP|")
    print(f"{'':>8} | {'passes':>8} {'time':>13} | {'passes':>8} {'time':>13} | "
          f"{'passes':>6} {'time':>12} | {'time':>6} |")
    for h in HIDDEN_FAST if fast else HIDDEN_FULL:
        r = measure(h)
        rows.append(r)
        print(f"{r['n']:>8} | {r['fd_passes']:>8} {r['fd_s'] * 1e3:>10.2f} ms | "
              f"{r['jvp_passes']:>8} {r['jvp_s'] * 1e3:>10.2f} ms | "
              f"{'1 + 1':>6} {r['bp_s'] * 1e3:>9.3f} ms | {r['fd_s'] / r['bp_s']:>5.0f}× | "
              f"{r['fd_err']:>10.1e}  {r['jvp_err']:>11.1e}")
    print("(backprop: one forward pass that records the graph, one backward sweep; its "
          "gradient is the reference)")
    last = rows[-1]
    ratio = last["backward_s"] / last["forward_s"]
    print(f"\nat n = {last['n']}: a plain forward pass takes {last['forward_s'] * 1e3:.3f} ms, "
          f"one that records the graph\n(each edge's rate factor) {last['record_s'] * 1e3:.3f} ms, "
          f"the backward sweep {last['backward_s'] * 1e3:.3f} ms = {ratio:.1f}× a plain forward "
          "pass.")
    print("Nielsen: \"roughly the same\" as a forward pass. Here the rates are computed on the "
          "way forward, so the\nbackward sweep only multiplies and adds.")
    # "a million and one passes": extrapolate the per-pass cost, which grows like n
    per_pass = last["fd_s"] / last["fd_passes"]
    million = 1_000_000
    fd_million = per_pass * (million / last["n"]) * (million + 1)
    bp_million = last["bp_s"] * million / last["n"]
    print(f"\nextrapolated to a million weights (each pass costs ∝ n): finite differences "
          f"{million + 1:,} passes ≈ {fd_million / 86400:,.0f} days;")
    print(f"backpropagation 1 + 1 passes ≈ {bp_million:.1f} s. Both in this pure-Python "
          "engine; the ratio is Nielsen's point.")
    fd_slope = _slope([r["n"] for r in rows], [r["fd_s"] for r in rows])
    bp_slope = _slope([r["n"] for r in rows], [r["bp_s"] for r in rows])
    print(f"fitted growth: finite differences ∝ n^{fd_slope:.2f}, backprop ∝ n^{bp_slope:.2f}")

    print("\npicture: passes and measured time against the number of parameters (log-log)")
    pics = Pictures(out_dir)
    fig = _figure(rows, fd_slope, bp_slope)
    pics.figure(fig, "why_fast")
    return {"rows": rows, "backward_over_forward": ratio, "fd_slope": fd_slope,
            "bp_slope": bp_slope, "pictures": pics.paths}


def _figure(rows: list[dict[str, Any]], fd_slope: float, bp_slope: float) -> Any:
    """Passes and measured time against the number of parameters, log-log."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    ax1, ax2 = fig.subplots(1, 2)
    ns = [r["n"] for r in rows]
    colors = {"fd": "#D55E00", "jvp": "#009E73", "bp": "#0072B2"}
    ax1.loglog(ns, [r["fd_passes"] for r in rows], "o-", color=colors["fd"],
               label="finite differences (eq. 46): n + 1")
    ax1.loglog(ns, [r["jvp_passes"] for r in rows], "s--", color=colors["jvp"],
               label="forward mode (jvp): n")
    ax1.loglog(ns, [r["bp_forward_passes"] + r["bp_passes"] for r in rows], "^-",
               color=colors["bp"], label="backprop: 1 forward + 1 backward = 2")
    ax1.set_xlabel("parameters n")
    ax1.set_ylabel("passes through the network")
    ax1.set_ylim(0.8, 2.0 * ns[-1])
    ax1.set_title("passes per gradient", fontsize=10)
    ax1.legend(frameon=False, fontsize=8)
    ax2.loglog(ns, [r["fd_s"] for r in rows], "o-", color=colors["fd"], label="finite differences")
    ax2.loglog(ns, [r["jvp_s"] for r in rows], "s--", color=colors["jvp"], label="forward mode")
    ax2.loglog(ns, [r["bp_s"] for r in rows], "^-", color=colors["bp"], label="backprop")
    ax2.set_xlabel("parameters n")
    ax2.set_ylabel("seconds per gradient (median)")
    ax2.set_title(f"measured time (∝ n^{fd_slope:.1f} vs ∝ n^{bp_slope:.1f})", fontsize=10)
    ax2.legend(frameon=False, fontsize=8)
    fig.suptitle("The gradient of one example's cost, sigmoid MLPs [4, h, h, 1]", fontsize=11)
    fig.tight_layout()
    return fig


def _slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y against log x."""
    import math

    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    num = sum((a - mx) * (b - my) for a, b in zip(lx, ly))
    den = sum((a - mx) ** 2 for a in lx)
    return num / den


if __name__ == "__main__":
    run_alone(main, __doc__ or "")
