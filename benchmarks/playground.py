"""The playground's step in headless Chromium (issue 25), beside micrograd.js's in the same page.

micrograd's demo: 100 moons (noise 0.1, seed 1337), ``MLP(2, [16, 16, 1])``, the hinge loss
plus L2 1e-4, SGD, full batch. Figures:

* steps per second of the page's generated step, through ``window.pathgrad.train(n)`` (no
  drawing but one redraw at the end of each call): target at least 1,000;
* redraws per second (the plane's heat map over a 48×48 grid, every hidden neuron's map, the
  loss curve and the traced example's graph), by the clock around ``redraw()`` and as frames
  counted while Play runs (a step and a redraw a frame, the browser's own painting included):
  target at least 30;
* the same step in micrograd.js (EurekaLabsAI/micrograd, its ``Value`` building the same relu
  network, hinge loss and L2 from the same weights, ``backward()``, the SGD update), loaded
  into the same page: target at most 1/40 of its time. micrograd.js is not part of pathgrad:
  set ``PATHGRAD_MICROGRAD_JS`` to a local copy of it (``git show HEAD:micrograd.js`` in a
  clone of github.com/EurekaLabsAI/micrograd); without it this part is skipped, with the
  reason printed. Both steps' first losses are compared, so the two really take one step.

Rounds take turns (a block of page steps, then a block of micrograd.js steps) so the machine's
load drifts over both alike; the spread is min–median–max per step.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import print_table, quick, spread, verdict
from pathgrad.nn import MLP, data
from pathgrad.viz import playground

CHROMIUM = "/usr/bin/chromium"
ENV = "PATHGRAD_MICROGRAD_JS"

# micrograd.js's Value, fed our weights: micrograd's demo step, as its demo.ipynb writes it
MICROGRAD_STEP = """([theta, X, y, alpha, lr, steps]) => {
  const sizes = [2, 16, 16, 1];
  let k = 0;
  const layers = [];
  for (let l = 1; l < sizes.length; l++) {
    const neurons = [];
    for (let j = 0; j < sizes[l]; j++) {
      const w = [];
      for (let i = 0; i < sizes[l - 1]; i++) w.push(new Value(theta[k++]));
      neurons.push({ w, b: new Value(theta[k++]) });
    }
    layers.push(neurons);
  }
  const params = layers.flatMap((ns) => ns.flatMap((n) => [...n.w, n.b]));
  const times = [], losses = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    const terms = [];
    for (let n = 0; n < X.length; n++) {
      let a = X[n].map((v) => new Value(v));
      layers.forEach((ns, l) => {
        a = ns.map((nr) => {
          const act = a.reduce((sum, xi, i) => sum.add(nr.w[i].mul(xi)), nr.b);
          return l === layers.length - 1 ? act : act.relu();
        });
      });
      terms.push(a[0].mul(-y[n]).add(1).relu());
    }
    const data = terms.reduce((p, q) => p.add(q)).mul(1.0 / X.length);
    const reg = params.map((p) => p.mul(p)).reduce((p, q) => p.add(q)).mul(alpha);
    const total = data.add(reg);
    for (const p of params) p.grad = 0;
    total.backward();
    for (const p of params) p.data -= lr * p.grad;
    times.push(performance.now() - t0);
    losses.push(total.data);
  }
  return { times, losses };
}"""

PAGE_STEPS = """(n) => { const t0 = performance.now(); const losses = window.pathgrad.train(n);
  return { ms: performance.now() - t0, first: losses[0] }; }"""

REDRAWS = """(n) => { const t0 = performance.now();
  for (let i = 0; i < n; i++) window.pathgrad.redraw();
  return (performance.now() - t0) / n; }"""


def _measure(page: Any, rounds: int, block: int, mg_steps: int,
             args: list[Any] | None) -> dict[str, Any]:
    page.evaluate("window.pathgrad.train(20)")  # warm-up: the JIT compiles the step
    out: dict[str, Any] = {"page": [], "redraw": [], "frames": [], "micrograd": [],
                           "first": None}
    for _ in range(rounds):
        page.evaluate("window.pathgrad.goto(0)")
        got = page.evaluate(PAGE_STEPS, block)
        out["page"].append(got["ms"] / block / 1e3)
        out["first"] = got["first"]
        out["redraw"].append(page.evaluate(REDRAWS, 10) / 1e3)
        start = page.evaluate("window.pathgrad.play()")  # Play, 1 step a frame, for 2 s
        page.wait_for_timeout(2000)
        out["frames"].append((page.evaluate("window.pathgrad.pause()") - start) / 2.0)
        if args is not None:
            mg = page.evaluate(MICROGRAD_STEP, [*args[:5], mg_steps])
            out["micrograd"].extend(t / 1e3 for t in mg["times"])
            out["mg_first"] = mg["losses"][0]
    return out


def main() -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("skipped: playwright is not installed (pip install playwright)")
        return
    if not os.path.exists(CHROMIUM):
        print(f"skipped: no {CHROMIUM}")
        return
    X, y = data.moons(100, noise=0.1, seed=1337, signed=True)
    model = MLP(2, [16, 16, 1], seed=1337)
    source = os.environ.get(ENV)
    if not source or not Path(source).is_file():
        print(f"micrograd.js: skipped ({ENV} does not name a local copy of micrograd.js from "
              "github.com/EurekaLabsAI/micrograd; pathgrad does not ship it)")
        source = None
    rounds, block, mg_steps = (2, 50, 1) if quick() else (7, 500, 3)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        path = playground(model, X, y, Path(folder) / "demo.html", l2=1e-4, lr=0.5)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(path.resolve().as_uri())
        page.wait_for_function("window.pathgrad !== undefined")
        args = None
        if source is not None:
            page.add_script_tag(content=Path(source).read_text(encoding="utf-8"))
            args = [[q.data for q in model.parameters()], X.tolist(), y.tolist(), 1e-4, 0.5]
        got = _measure(page, rounds, block, mg_steps, args)
        browser.close()
    _report(got)


def _report(got: dict[str, Any]) -> None:
    step = statistics.median(got["page"])
    redraw = statistics.median(got["redraw"])
    rows = [["page step (train(n))", spread(got["page"]), f"{1 / step:,.0f} steps/s",
             verdict(1 / step >= 1000)],
            ["page redraw", spread(got["redraw"]), f"{1 / redraw:,.0f} redraws/s",
             verdict(1 / redraw >= 30)],
            ["frames while playing", "", f"{statistics.median(got['frames']):,.0f} frames/s "
             f"({min(got['frames']):.0f}–{max(got['frames']):.0f})",
             verdict(statistics.median(got["frames"]) >= 30)]]
    if got["micrograd"]:
        mg = statistics.median(got["micrograd"])
        same = abs(got["mg_first"] - got["first"]) <= 1e-9
        rows.append(["micrograd.js step", spread(got["micrograd"]), f"{mg / step:,.0f}x the "
                     "page's step", verdict(mg / step >= 40 and same)])
        print(f"first losses: page {got['first']!r}, micrograd.js {got['mg_first']!r}")
    print_table(["micrograd's demo step in Chromium", "ms (min–median–max)", "rate", "target"],
                rows)


if __name__ == "__main__":
    main()
