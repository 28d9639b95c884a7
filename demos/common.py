"""What every demo shares: the command line, headings, and writing pictures to ``out/``.

Each demo module has ``main(fast=False, out_dir="out") -> dict``: it prints its numbers, writes
its pictures, and returns the numbers it printed with the list of picture paths under
``"pictures"``, so the tests can check both against the engine.

>>> parse_args(["--fast", "--out", "pics"])
(True, 'pics')
>>> format_row(["x", 0.5, -1e-14], [4, 9, 9])
'   x      0.5   -1e-14'
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pathgrad.autograd._files import write_atomic

__all__ = [
    "DEFAULT_OUT",
    "Pictures",
    "format_row",
    "heading",
    "num",
    "parse_args",
    "run_alone",
]

DEFAULT_OUT = "out"


def parse_args(argv: Sequence[str] | None = None, description: str = "",
               prog: str | None = None) -> tuple[bool, str]:
    """``--fast`` (smaller sizes, fewer epochs) and ``--out DIR`` (default ``out``)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--fast", action="store_true",
                        help="smaller sizes and fewer epochs (what the tests run)")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help="where to write the pictures (default: out/)")
    args = parser.parse_args(argv)
    return bool(args.fast), str(args.out)


def heading(title: str, source: str = "") -> None:
    """A demo's title, underlined, with the passage of the source text it follows."""
    print()
    print(title)
    print("=" * len(title))
    if source:
        print(source)
    print()


def num(x: float, digits: int = 6) -> str:
    """A number for a table: ``digits`` significant digits, the typographic sign kept plain."""
    return f"{x:.{digits}g}"


def format_row(cells: Sequence[Any], widths: Sequence[int]) -> str:
    """Cells right-aligned in columns of the given widths (floats by ``num``)."""
    out = []
    for cell, w in zip(cells, widths):
        text = num(cell) if isinstance(cell, float) else str(cell)
        out.append(text.rjust(w))
    return " ".join(out)


class Pictures:
    """Writes a demo's pictures into ``out_dir`` and remembers their paths (in order)."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.paths: list[str] = []

    def graph(self, graph: Any, stem: str, formats: Sequence[str] = ("svg", "png")) -> list[str]:
        """Render a ``viz`` graph as ``stem.svg`` and ``stem.png`` (the bundled Graphviz)."""
        from pathgrad.viz import render

        written = []
        for ext in formats:
            path = render(graph, self.dir / f"{stem}.{ext}")
            written.append(str(path))
        self.paths += written
        print("  wrote " + ", ".join(written))
        return written

    def figure(self, fig: Any, stem: str) -> str:
        """Save a matplotlib ``Figure`` as ``stem.png`` (150 dpi)."""
        path = self.dir / f"{stem}.png"
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
        write_atomic(path, buffer.getvalue(), "figure")  # the one safe writer
        self.paths.append(str(path))
        print(f"  wrote {path}")
        return str(path)


def run_alone(main: Callable[..., dict[str, Any]], description: str = "") -> None:
    """``python -m pathgrad.demos.<name> [--fast] [--out DIR]``: run one demo, timed."""
    spec = getattr(sys.modules.get(main.__module__), "__spec__", None)
    name = spec.name if spec is not None else main.__module__  # "pathgrad.demos.chain" under -m
    fast, out = parse_args(sys.argv[1:], description, prog=f"python -m {name}")
    start = time.perf_counter()
    main(fast=fast, out_dir=out)
    print(f"\n({time.perf_counter() - start:.1f} s)")
