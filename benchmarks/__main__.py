"""Run every benchmark in one process: ``python -m benchmarks [--quick]``."""

from __future__ import annotations

import importlib
import time

MODULES = ["engine", "nn", "tape", "matrix", "paths", "viz", "live", "playground"]


def main() -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as error:
            print(f"\n== benchmarks.{name}: not available ({error})")
            continue
        print(f"\n== benchmarks.{name}")
        t0 = time.perf_counter()
        module.main()
        print(f"(benchmarks.{name} took {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
