"""The live explorer's recompute (issue 24): ``window.pathgrad.set`` in headless Chromium.

A nudge recomputes every value, rate factor and gradient downstream of the leaf in the page's
engine (the kernels the rule rows write as JavaScript), then redraws the numbers on screen.
Graphs: micrograd's MLP(2, [16, 16, 1]) with its max-margin loss and L2 term over a batch, sized
to about 1,000 and 10,000 value nodes. Columns: the engine alone (``Engine.set``: forward from
the leaf and one reverse sweep) and the whole page (``window.pathgrad.set``: engine, every
number on screen and the panel, then a forced layout), medians over 60 nudges of a first-layer
weight (the leaf with the most downstream work).

Targets: a page recompute at most 16 ms at 1,000 value nodes (60 a second while dragging) and
at most 50 ms at 10,000.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import print_table, quick, verdict
from pathgrad.autograd import Value, toposort
from pathgrad.nn import MLP, data
from pathgrad.viz import explore

CHROMIUM = "/usr/bin/chromium"
TARGETS = {1000: 16.0, 10000: 50.0}

TIME_SETS = """async (name) => {
  const api = window.pathgrad, eng = api.engine;
  const i = api.nodes().findIndex((n) => n.name === name), x0 = eng.v[i];
  const page = [], engine = [];
  for (let k = 0; k < 60; k++) {
    let t0 = performance.now();
    eng.set(i, x0 + 0.001 * (k % 7));  // the engine alone: forward from the leaf, one sweep
    engine.push(performance.now() - t0);
    t0 = performance.now();
    api.set(name, x0 + 0.001 * (k % 5));
    document.body.offsetHeight;  // the layout the new numbers need
    page.push(performance.now() - t0);
    await new Promise((r) => requestAnimationFrame(r));
  }
  return [engine, page];
}"""


def loss_of_size(n_values: int) -> tuple[Value, str]:
    """micrograd's demo loss, as its notebook writes it (``sum(losses) * (1.0 / n)``, plus
    ``alpha * sum(p * p for p in params)`` from 10,000 nodes on), over as many examples as
    reach ``n_values`` value nodes; and the name of a first-layer weight."""
    model = MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()
    X, Y = data.moons(400, noise=0.1, seed=1337, signed=True)
    losses: list[Value] = []
    while True:
        losses.append(_margin(model, X[len(losses)], Y[len(losses)]))
        L = sum(losses) * (1.0 / len(losses))
        if n_values >= 10000:
            L = L + 1e-4 * sum(p * p for p in params)
        if len(toposort(L)) >= n_values:
            break
    L.label = "L"
    return L, params[0].label


def _margin(model: MLP, x: Any, y: float) -> Value:
    out = model([float(x[0]), float(x[1])])
    assert isinstance(out, Value)
    return (1.0 + -y * out).relu()


def main() -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: skipped")
        return
    if not os.path.exists(CHROMIUM):
        print(f"no {CHROMIUM}: skipped")
        return
    sizes = [1000] if quick() else [1000, 10000]
    rows = []
    ok = True
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for size in sizes:
            L, weight = loss_of_size(size)
            n = len(toposort(L))
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(explore(L, Path(folder) / f"loss{size}.html").as_uri())
            page.wait_for_function("window.pathgrad !== undefined")
            engine, times = page.evaluate(TIME_SETS, weight)
            median = statistics.median(times)
            slow = sorted(times)[int(0.9 * len(times))]
            good = median <= TARGETS[size]
            ok = ok and good
            rows.append([f"{n:,}", f"{statistics.median(engine):.2f}", f"{median:.1f}",
                         f"{slow:.1f}", f"≤ {TARGETS[size]:.0f}", verdict(good)])
            page.close()
        browser.close()
    print_table(["value nodes", "engine ms", "page set() median ms", "90th pct ms", "target",
                 ""], rows)
    if not ok:
        print("a target was missed", file=sys.stderr)


if __name__ == "__main__":
    main()
