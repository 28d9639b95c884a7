"""``make demo``: run every demo in order, or the ones named.

``python -m pathgrad.demos [--fast] [--out DIR] [name ...]`` — names from ``demos.DEMOS``
(``chain``, ``four_equations``, ``sum_over_paths``, ``learning_slowly``, ``why_fast``,
``tiny_network``, ``digits``). Pictures go to ``out/`` unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from . import DEMOS, missing_requirement
from .common import DEFAULT_OUT


def main(argv: list[str] | None = None) -> None:
    names = [name for name, _ in DEMOS]
    parser = argparse.ArgumentParser(
        prog="python -m pathgrad.demos",
        description="pathgrad's demos: the source texts' reasoning with real numbers and "
        "pictures.",
        epilog="demos: " + "; ".join(f"{n} — {what}" for n, what in DEMOS),
    )
    parser.add_argument("names", nargs="*", metavar="name", help="which demos (default: all)")
    parser.add_argument("--fast", action="store_true", help="smaller sizes, fewer epochs")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help="where to write the pictures (default: out/)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown demo {unknown[0]!r}; choose from {', '.join(names)}")
    chosen = args.names or names
    print("pathgrad demos: backpropagation made visible and exact. Pictures go to "
          f"{args.out}/.")
    timings = []
    pictures: list[str] = []
    total = time.perf_counter()
    for name in chosen:
        how = missing_requirement(name)
        if how is not None:
            print(f"\n(skipping the {name} demo: it needs {how})")
            continue
        module = importlib.import_module(f"{__package__}.{name}")
        start = time.perf_counter()
        result = module.main(fast=args.fast, out_dir=args.out)
        timings.append((name, time.perf_counter() - start))
        pictures += result.get("pictures", [])
    print("\nsummary")
    print("=======")
    for name, seconds in timings:
        print(f"  {name:<16} {seconds:6.1f} s")
    print(f"  {'all':<16} {time.perf_counter() - total:6.1f} s; {len(pictures)} pictures in "
          f"{args.out}/")


if __name__ == "__main__":
    main(sys.argv[1:])
