"""The explorer page in a real browser: Debian's chromium driven by Playwright.

For the 3Blue1Brown chain and an MLP(2, [4, 4, 1]) loss: click a weight, read the panel and
check every path product and the sum against ``autograd.paths`` and ``.grad``; replay the
backward pass to the end and check every grad the page shows against ``backward()``; replay the
forward pass; hover an edge; and check the page asked for nothing but itself. Screenshots go
to ``$PATHGRAD_SCREENSHOTS`` (or a temporary folder) to be looked at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromium
import pytest

from pathgrad.autograd import Value, count_paths, paths, toposort
from pathgrad.demos.chain import build_chain
from pathgrad.nn.layers import MLP
from pathgrad.viz import explore

chromium.require()  # skips the module without playwright or chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.launched() as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return chromium.screenshots(tmp_path_factory)


class Page:
    """A page opened from disk, with every request and script error it made recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 860})
        self.page.set_default_timeout(5000)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        # anything but the file itself is refused, so a stray fetch fails loudly
        self.page.route(re.compile(r"^(?!file://).*"), lambda route: route.abort())
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector(".pg-root svg")

    def click_node(self, label: str) -> None:
        texts = self.page.locator("text", has_text=re.compile(f"^{re.escape(label)}$"))
        self.page.locator("g.node", has=texts).first.click()

    def button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def panel(self) -> str:
        return str(self.page.locator(".pg-panel").inner_text())

    def legend_rows(self) -> list[list[str]]:
        """draw_paths' legend, one row per path: [names, "= values", "= product"] (a path is
        two table rows: its factors' names beside its colour, then their values and product)."""
        rows = self.page.evaluate(
            """[...document.querySelectorAll('.pg-legend tr')]
                 .filter(tr => tr.querySelector(':scope > td[bgcolor]'))
                 .map(tr => [tr, tr.nextElementSibling].flatMap(r =>
                      [...r.querySelectorAll(':scope > td')].map(td => td.innerText.trim())
                        .filter(t => t)))""")
        return [[" ".join(r[0].split()), " ".join(r[1].split()), r[2]] for r in rows]

    def grads_shown(self) -> dict[int, float]:
        """The grad each value node shows, by its index in the topological order."""
        return self._numbers("grad")

    def _numbers(self, kind: str) -> dict[int, float]:
        found = self.page.evaluate(
            """kind => [...document.querySelectorAll('.pg-canvas g.node')].map(g => [
                   g.querySelector('title').textContent,
                   [...g.querySelectorAll('text')].map(t => t.textContent)
                       .filter(t => t.startsWith(kind + ' '))])""", kind)
        out = {}
        for title, texts in found:
            m = re.fullmatch(r"v(\d+)", title)
            if m and texts and texts[0] != f"{kind} ·":  # "·": not known yet
                out[int(m[1])] = float(texts[0].split()[1].replace("−", "-"))
        return out

    def close(self) -> None:
        assert self.errors == [], self.errors
        assert self.requests and all(u == self.url for u in self.requests), self.requests
        self.page.close()


def _number(text: str) -> float:
    return float(text.lstrip("= ").replace("−", "-"))


def _check_legend(page: Page, root: Value, node: Value) -> list[list[str]]:
    """Every row's product against autograd.paths (4 significant digits, as shown), the row
    count against count_paths, the sum against .grad (6 decimals, as shown)."""
    expected = sorted((p.product for p in paths(root, node)), key=abs, reverse=True)
    rows = page.legend_rows()
    assert len(rows) == min(len(expected), 5) and count_paths(root, node) == len(expected)
    if len(expected) > 5:
        return rows  # the sum line then covers the shown paths and the gradient apart
    for row, product in zip(rows, expected):
        assert math.isclose(_number(row[-1]), product, rel_tol=6e-4), (row, product)
        factors = [_number(f.strip("()")) for f in row[-2].lstrip("= ").split(" · ")]
        assert math.isclose(math.prod(factors), product, rel_tol=5e-3), row
    text = page.panel()
    total = re.search(r"(?:Σ of all \d+ paths|the one path) = (\S+) = ∂", text)
    assert total is not None, text
    assert abs(_number(total[1]) - node.grad) <= 6e-7, (total[1], node.grad)
    return rows


def _replay_to_the_end(page: Page, order: list[Value]) -> None:
    page.button("Step")  # enters the backward replay: step 1
    assert "backward step 1 /" in page.page.locator(".pg-counter").inner_text()
    for _ in range(len(order) - 1):
        page.page.keyboard.press("ArrowRight")
    counter = page.page.locator(".pg-counter").inner_text()
    assert counter == f"backward step {len(order)} / {len(order)}", counter
    assert "Done: every grad on the page is the engine's." in page.panel()
    shown = page.grads_shown()
    drawn = [i for i, v in enumerate(order)]
    assert sorted(shown) == drawn
    for i, g in shown.items():
        assert abs(g - order[i].grad) <= 5e-5 + 5e-5 * abs(order[i].grad), (i, g, order[i].grad)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Value], Path]:
    nodes = build_chain()
    nodes["C0"].backward()
    path = explore(nodes["C0"], tmp_path_factory.mktemp("chain") / "chain.html")
    return nodes, path


@pytest.fixture(scope="module")
def mlp(tmp_path_factory: pytest.TempPathFactory) -> tuple[MLP, Value, Path]:
    model = MLP(2, [4, 4, 1], activation="tanh", seed=1)
    out = model([Value(0.5, label="a1[0]"), Value(-1.0, label="a1[1]")])
    assert isinstance(out, Value)
    C = (out - 1.0) ** 2
    C.label = "C"
    C.backward()
    folder = tmp_path_factory.mktemp("mlp")
    return model, C, folder


def test_chain_click_a_weight_then_step_through_backprop(browser: Any, chain: Any,
                                                         shots: Path) -> None:
    nodes, path = chain
    C = nodes["C0"]
    page = Page(browser, path)
    page.click_node("w1")
    rows = _check_legend(page, C, nodes["w1"])
    assert "σ'(z1)" in rows[0][0] and "2(a3−y)" in rows[0][0]
    order = toposort(C)
    lit = page.page.evaluate(
        "[...document.querySelectorAll('g.edge.pg-lit')].map(g => g.id).filter(i => i)")
    [p] = list(paths(C, nodes["w1"]))
    index = {v: i for i, v in enumerate(order)}
    want = {f"e{index[c]}_{k}" for c, k in zip(p.nodes[1:], p.edge_indices)}
    assert want <= set(lit)
    page.page.screenshot(path=str(shots / "chain_w1_paths.png"))

    # hover the edge into a3 = σ(z3): its rate factor, by name, rule and number
    a3 = nodes["a3"]
    page.page.locator(f"g#e{index[a3]}_0").hover()
    tip = page.page.locator(".pg-tip").inner_text()
    rate = a3.local_grads[0]
    assert f"∂a3/∂z3 = σ'(z3) = {rate:.4g}" in tip and "sigmoid" in tip, tip

    page.page.keyboard.press("Escape")
    assert page.page.locator("g.pg-lit").count() == 0

    _replay_to_the_end(page, order)
    page.page.screenshot(path=str(shots / "chain_backward_done.png"))
    page.button("Back")
    assert f"step {len(order) - 1} /" in page.page.locator(".pg-counter").inner_text()
    # one step back the first value's grad is still a partial sum or pending, not the engine's
    page.button("Reset")
    page.button("Play")
    page.page.wait_for_function(  # Play went on from the start: wait for its first step
        "/step [1-9]/.test(document.querySelector('.pg-counter').textContent)", timeout=60000)
    page.button("Pause")
    step = int(page.page.locator(".pg-counter").inner_text().split()[2])
    assert 0 < step <= len(order)
    # Pause stopped it: no step is taken while the player's own timer fires again
    page.page.evaluate("() => new Promise(r => setTimeout(r, 500))")
    assert f"step {step} /" in page.page.locator(".pg-counter").inner_text()
    page.button("Reset")
    assert page.grads_shown()[len(order) - 1] == 1.0  # the seed
    assert all(g == 0.0 for i, g in page.grads_shown().items() if i != len(order) - 1)
    page.close()


def test_chain_backward_lines_are_the_chain_rule(browser: Any, chain: Any) -> None:
    nodes, path = chain
    page = Page(browser, path)
    page.button("Step")
    page.button("Step")  # C0 = (…)^2, then a3 − y
    text = page.panel()
    C = nodes["C0"]
    a3 = nodes["a3"]
    # the second step is the node a3 − y: it passes ∂(a3−y)/∂a3 = 1 times its grad to a3
    diff = C.parents[0]
    want = f"a3.grad += 1 × ({diff.grad:.4g})".replace("-", "−")
    assert want in text, (want, text)
    assert math.isclose(a3.grad, diff.grad)
    page.close()


def test_chain_forward_replay(browser: Any, chain: Any) -> None:
    nodes, path = chain
    order = toposort(nodes["C0"])
    page = Page(browser, path)
    page.button("Forward pass")
    assert page._numbers("data") == {}  # all hidden: "data ·"
    for k in range(1, len(order) + 1):
        page.button("Step")
        shown = page._numbers("data")
        assert sorted(shown) == list(range(k))
    for i, x in shown.items():
        assert abs(x - order[i].data) <= 5e-5
    assert "Done: C0 = " in page.panel()
    page.close()


def test_mlp_click_first_layer_weight(browser: Any, mlp: Any, shots: Path) -> None:
    model, C, folder = mlp
    w = model.layers[0].neurons[0].w[0]
    path = explore(C, folder / "mlp.html", wrt=w)  # opens with w selected
    page = Page(browser, path)
    assert page.panel().startswith(f"{w.label}:")
    rows = _check_legend(page, C, w)
    assert len(rows) == 4
    colours = page.page.evaluate(
        "[...document.querySelectorAll('.pg-overlay path')].map(p => p.getAttribute('stroke'))")
    assert {"#0072B2", "#D55E00", "#009E73", "#CC79A7"} <= set(colours)
    page.page.screenshot(path=str(shots / "mlp_w2_paths.png"))
    # an input has 16 paths: the top 5 first, then all 16
    a = toposort(C)[[v.label for v in toposort(C)].index("a1[1]")]
    page.click_node("a1[1]")
    assert len(page.legend_rows()) == 5 and "the top 5 of 16" in page.panel()
    page.button("show all 16")
    rows = page.legend_rows()
    want = sorted((p.product for p in paths(C, a)), key=abs, reverse=True)
    assert len(rows) == len(want) == 16
    for row, product in zip(rows, want):
        assert math.isclose(_number(row[-1]), product, rel_tol=6e-4), (row, product)
    assert "Σ of all 16 paths" in page.panel()
    # another weight, by clicking it
    w3 = model.layers[1].neurons[2].w[1]
    page.click_node(w3.label)
    _check_legend(page, C, w3)
    _replay_to_the_end(page, toposort(C))
    page.page.screenshot(path=str(shots / "mlp_backward_done.png"))
    page.close()


def test_model_page_network_then_graph(browser: Any, mlp: Any, shots: Path) -> None:
    model, C, folder = mlp
    path = explore(model, folder / "model.html", loss=C)
    page = Page(browser, path)
    page.page.locator("g#w2_0_1").click(force=True)  # the weight w2[0,1] in Nielsen's diagram
    w = model.layers[0].neurons[0].w[1]
    _check_legend(page, C, w)
    lit = page.page.evaluate(
        "[...document.querySelectorAll('g.edge.pg-lit')].map(g => g.id)")
    assert "w2_0_1" in lit and any(i.startswith("w4_0_") for i in lit)
    page.page.screenshot(path=str(shots / "model_network.png"))
    page.button("Computation graph")
    assert page.page.locator(".pg-canvas g.node").count() > 20
    page.page.screenshot(path=str(shots / "model_graph.png"))
    page.close()


def _micrograd_sized_loss() -> tuple[MLP, Value]:
    """micrograd's MLP(2, [16, 16, 1]) on one example, its quadratic cost C after backward."""
    model = MLP(2, [16, 16, 1], seed=3)
    out = model([Value(0.3, label="a1[0]"), Value(-0.7, label="a1[1]")])
    assert isinstance(out, Value)
    C = (out - 1.0) ** 2
    C.label = "C"
    C.backward()
    return model, C


def test_grouped_graph_replays_every_grad_in_the_boxes(browser: Any, tmp_path: Path) -> None:
    _, C = _micrograd_sized_loss()
    page = Page(browser, explore(C, tmp_path / "big.html"))
    assert "each neuron is one box" in page.page.locator(".pg-note").inner_text()
    page.button("Step")
    page.page.keyboard.press("End")
    n = len(toposort(C))
    assert page.page.locator(".pg-counter").inner_text() == f"backward step {n} / {n}"
    # every row of every box reads (name, data …, grad …): check each grad by its row's name
    rows = page.page.evaluate(
        """[...document.querySelectorAll('.pg-canvas g.node')].flatMap(g => {
               const t = [...g.querySelectorAll('text')].map(e => e.textContent);
               return t.flatMap((x, i) => x.startsWith('grad ') && i >= 2 ? [[t[i - 2], x]] : []);
           })""")
    by_label = {v.label: v for v in toposort(C) if v.label}
    checked = 0
    for name, text in rows:
        if name in by_label:
            g = by_label[name].grad
            assert abs(float(text.split()[1]) - g) <= 5e-5 + 5e-5 * abs(g), (name, text, g)
            checked += 1
    assert checked >= 33 * 3  # z, a and b of every neuron at least
    page.page.screenshot(path=str(tmp_path / "grouped.png"))
    page.close()


# ---- the acceptance review: clicks anywhere in a box, readable text, the stage, Play --------

TEXT_SIZES = """() => {
    const svg = [...document.querySelectorAll('.pg-canvas svg')].find(s => s.isConnected
        && s.getBoundingClientRect().width > 0);
    const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
        .map(t => [parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a,
                   t.getBoundingClientRect().height]);
    const box = svg.getBoundingClientRect(), stage = svg.parentElement.getBoundingClientRect();
    return {font: Math.min(...sizes.map(s => s[0])), box: Math.min(...sizes.map(s => s[1])),
            svg: [box.width, box.height], stage: [stage.width, stage.height, stage.bottom],
            page: [document.documentElement.scrollHeight, innerHeight]};
}"""


def _open(browser: Any, path: Path, width: int, height: int) -> Page:
    page = Page.__new__(Page)
    page.requests, page.errors = [], []
    page.page = browser.new_page(viewport={"width": width, "height": height})
    page.page.set_default_timeout(3000)
    page.page.on("request", lambda r: page.requests.append(r.url))
    page.page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.page.route(re.compile(r"^(?!file://).*"), lambda route: route.abort())
    page.url = path.resolve().as_uri()
    page.page.goto(page.url)
    page.page.wait_for_selector(".pg-root svg")
    return page


def _sizes(page: Page) -> dict[str, Any]:
    return dict(page.page.evaluate(TEXT_SIZES))


@pytest.mark.parametrize("width,height", [(1280, 800), (1920, 1080)])
def test_text_is_readable_and_the_stage_fills_the_window(
        browser: Any, chain: Any, mlp: Any, width: int, height: int, shots: Path) -> None:
    model, C, folder = mlp
    pages = {"chain": chain[1], "mlp": explore(C, folder / "mlp_loss.html"),
             "model": explore(model, folder / "model_fit.html", loss=C)}
    for name, path in pages.items():
        page = _open(browser, path, width, height)
        views = ["network", "graph"] if name == "model" else ["graph"]
        for view in views:
            if view == "graph" and name == "model":
                page.button("Computation graph")
            s = _sizes(page)
            # the smallest text at the first view: its font size and its drawn box, in px
            assert s["font"] >= 10 and s["box"] >= 10, (name, view, s)
            # the stage reaches the window's bottom, and the page itself does not scroll
            assert height - 30 <= s["stage"][2] <= height, (name, view, s)
            assert s["page"][0] <= s["page"][1], (name, view, s)
            page.page.screenshot(path=str(shots / f"{name}_{view}_{width}.png"))
            # "fit": the whole picture, touching the stage on one side (enlarged if need be),
            # unless that takes text below 8 px: then 8 px text, and the stage scrolls
            page.button("fit")
            s = _sizes(page)
            ratio = max(s["svg"][0] / s["stage"][0], s["svg"][1] / s["stage"][1])
            assert s["font"] >= 7.95, (name, view, s)
            assert (0.95 <= ratio <= 1.0 or s["font"] >= 19.5
                    or (ratio > 1.0 and s["font"] < 8.05)), (name, view, s)
        page.close()


def test_a_node_takes_clicks_over_its_whole_box(browser: Any, chain: Any) -> None:
    nodes, path = chain
    order = toposort(nodes["C0"])
    page = _open(browser, path, 1280, 800)
    page.page.locator("g.node", has=page.page.locator("title", has_text=re.compile(
        rf"^v{order.index(nodes['a2'])}$"))).click(timeout=2000)
    assert page.panel().startswith("a2:"), page.panel()
    names = page.page.evaluate("JSON.parse(document.getElementById('pathgrad-scene')"
                               ".textContent).nodes.map(n => n.name)")
    for i in range(len(order)):
        g = page.page.locator(f"g.node:has(> title:text-is('v{i}'))")
        g.scroll_into_view_if_needed()
        box = g.bounding_box()
        assert box is not None
        for fx, fy in ((0.97, 0.5), (0.03, 0.5), (0.5, 0.1), (0.6, 0.9)):
            page.page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            assert page.panel().startswith(f"{names[i]}:"), (i, fx, fy, page.panel()[:60])
    page.close()


def test_tiny_network_note_and_play(browser: Any, tmp_path: Path) -> None:
    model, C = _micrograd_sized_loss()
    page = _open(browser, explore(model, tmp_path / "tiny.html", loss=C), 1280, 800)
    note, hint = page.page.locator(".pg-note").inner_text(), page.panel()
    assert "Click a weight (an edge)" in note and "Click a weight (an edge)" in hint
    assert "Click a box" not in note + hint
    # the first view of the [16, 16] diagram is readable (10 px text, the stage scrolls) and
    # shows the output neuron
    s = _sizes(page)
    assert s["font"] >= 10, s
    seen = page.page.evaluate("""() => {
        const stage = document.querySelector('.pg-canvas').getBoundingClientRect();
        return [...document.querySelectorAll('.pg-canvas g.node')].filter(g => {
            const r = g.getBoundingClientRect();
            return r.top >= stage.top - 1 && r.bottom <= stage.bottom + 1
                && r.left >= stage.left - 1 && r.right <= stage.right + 1; })
            .map(g => g.querySelector('title').textContent); }""")
    assert "L4_0" in seen, seen
    page.page.screenshot(path=str(tmp_path / "tiny_network.png"))
    page.button("Computation graph")
    note, hint = page.page.locator(".pg-note").inner_text(), page.panel()
    assert "Click a box" in note and "Click a box" in hint
    n = len(toposort(C))
    page.page.clock.install()  # the player's timer runs on a clock the test moves, not on waiting
    page.button("Play")
    page.page.clock.run_for(7000)  # Play replays a whole sweep in about 6 s of its clock
    assert page.page.locator(".pg-counter").inner_text() == f"backward step {n} / {n}"
    page.close()
