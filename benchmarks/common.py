"""Timing helpers shared by the benchmarks: medians of repeated runs, a plain table printer."""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["median_time", "print_table", "quick", "verdict"]


def quick() -> bool:
    """True when ``--quick`` is on the command line: tiny sizes for a smoke test."""
    return "--quick" in sys.argv


def median_time(
    fn: Callable[[], Any], repeats: int = 5, setup: Callable[[], Any] | None = None
) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs (``setup`` untimed, before)."""
    times = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
