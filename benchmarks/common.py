"""Timing helpers shared by the benchmarks: medians of repeated runs, a plain table printer."""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["median_time", "print_table", "quick", "spread", "timed_rounds", "verdict"]


def quick() -> bool:
    """True when ``--quick`` is on the command line: tiny sizes for a smoke test."""
    return "--quick" in sys.argv


def median_time(
    fn: Callable[[], Any], repeats: int = 5, setup: Callable[[], Any] | None = None
) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs (``setup`` untimed, before).

    The garbage collector is left as a program would have it (no collection before each call:
    that hid the cost of the garbage a step makes); one collection before the series.
    """
    times = []
    gc.collect()
    for _ in range(repeats):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def timed_rounds(
    fns: dict[str, Callable[[], Any]], rounds: int, block: float = 0.02
) -> dict[str, list[float]]:
    """Seconds per call of each function, one sample per round, the functions taking turns.

    Each sample times a block of calls long enough (``block`` seconds) to time well; the machine's
    load drifts, so taking turns gives every function the same conditions. Every other round
    runs them in the reverse order: the garbage collector's full collections fall in step with
    the rounds, and with a fixed order they kept landing on the same function (benchmarks.ab's
    wide DAG: 26 full collections in 40 calls of whichever side ran second, 15 of the first).
    """
    counts = {}
    for name, fn in fns.items():
        fn()  # warm-up: lazy imports, buffers, a JIT's compilation
        n, t = 1, 0.0
        while n < 1 << 16:
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            t = time.perf_counter() - t0
            if t >= block:
                break
            n *= 2
        counts[name] = n
    gc.collect()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns.items())
    for r in range(rounds):
        for name, fn in order if r % 2 == 0 else order[::-1]:
            n = counts[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    return samples


def spread(times: Sequence[float], scale: float = 1e3, digits: int = 3) -> str:
    """``min–median–max`` of ``times`` (seconds, shown times ``scale``: ms by default)."""
    ts = sorted(t * scale for t in times)
    return "–".join(f"{t:.{digits}g}" for t in (ts[0], statistics.median(ts), ts[-1]))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows under headers, columns padded to fit."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if n else c.ljust(w) for c, w in zip(row, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
