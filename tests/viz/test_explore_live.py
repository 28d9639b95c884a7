"""The live page in Chromium, by hand: drag a leaf's value, type one, press ↑/↓; Nielsen's panel
(the real ΔC beside ∂C/∂w·Δw and each path's share); Reset values; a dead relu's zero paths;
the forward replay's rate factors; and micrograd's whole demo loss (8,114 value nodes) as a page
whose batch opens one example at a time. Oracle: the Python engine on the graph rebuilt at the
page's leaf values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromium
import pytest

from pathgrad.autograd import Value, toposort
from pathgrad.demos.chain import build_chain
from pathgrad.nn import MLP, data
from pathgrad.viz import explore

chromium.require()  # skips the module without playwright or chromium

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.launched() as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return chromium.screenshots(tmp_path_factory)


def _open(browser: Any, path: Path) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(10000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.pathgrad !== undefined")
    return page


def _chain_with_w1(w1: float) -> dict[str, Value]:
    """The chain built again with w1 changed, after backward(): the Python engine's numbers."""
    from pathgrad.demos.chain import WEIGHTS

    nodes = build_chain(weights=(w1, *WEIGHTS[1:]))
    nodes["C0"].backward()
    return nodes


def _data_text(page: Any, index: int) -> Any:
    g = page.locator(f"g.node:has(> title:text-is('v{index}'))")
    return g.locator("text", has_text=re.compile(r"^data "))


def _by_name(page: Any) -> dict[str, dict[str, float]]:
    return {n["name"]: n for n in page.evaluate("window.pathgrad.nodes()")}


def test_drag_type_and_arrows_nudge_a_leaf_and_nielsens_panel_compares(
        browser: Any, tmp_path: Path, shots: Path) -> None:
    nodes = build_chain()
    order = toposort(nodes["C0"])
    page = _open(browser, explore(nodes["C0"], tmp_path / "chain.html"))
    w1 = order.index(nodes["w1"])
    text = _data_text(page, w1)
    text.scroll_into_view_if_needed()
    box = text.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for dx in (10, 25, 40):  # recomputes while dragging
        page.mouse.move(x + dx, y)
    page.mouse.up()
    page.wait_for_function(f"Math.abs(window.pathgrad.nodes()[{w1}].data - 1.3) < 1e-9")
    want = _chain_with_w1(1.3)
    got = _by_name(page)
    assert got["C0"]["data"] == pytest.approx(want["C0"].data, rel=1e-14)
    assert got["w1"]["grad"] == pytest.approx(want["w1"].grad, rel=1e-12)
    assert text.text_content() == "data 1.3000"
    panel = page.locator(".pg-panel").inner_text()
    assert "Nudging w1 from 0.9" in panel and "Δw1\t+0.4" in panel, panel
    dC = want["C0"].data - nodes["C0"].data
    assert f"+{dC:.4g}" in panel.replace("−", "-") or f"{dC:.4g}" in panel.replace("−", "-")
    page.screenshot(path=str(shots / "nudge_drag_large.png"))
    assert "fails for a step this large" in panel or "curvature" in panel, panel

    page.evaluate("window.pathgrad.reset()")
    page.keyboard.press("ArrowUp")  # w1 is selected: ↑ nudges it by 0.01
    page.keyboard.press("Shift+ArrowUp")  # fine: 0.001
    assert _by_name(page)["w1"]["data"] == pytest.approx(0.911, abs=1e-12)
    panel = page.locator(".pg-panel").inner_text()
    assert "the linear approximation holds" in panel, panel
    page.screenshot(path=str(shots / "nudge_small.png"))

    field = page.locator(".pg-nudge input")
    field.fill("-0.5")
    field.press("Enter")
    assert _by_name(page)["w1"]["data"] == -0.5
    page.get_by_role("button", name="Reset values").click()
    assert _by_name(page)["w1"]["data"] == 0.9
    assert page.errors == []
    page.close()


def test_a_dead_relu_reads_zero_and_says_so(browser: Any, tmp_path: Path, shots: Path) -> None:
    w, x, b = Value(0.5, label="w"), Value(1.0, label="x"), Value(-3.0, label="b")
    a = (w * x + b).relu()
    a.label = "a"
    L = (a * Value(0.7, label="v1") + a * Value(-0.2, label="v2") - 1.0) ** 2
    page = _open(browser, explore(L, tmp_path / "dead.html", wrt=w))
    panel = page.locator(".pg-panel").inner_text()
    assert "all 2 products are 0" in panel and "every path passes a dead relu" in panel, panel
    assert "-0" not in panel.replace("−0.", "").replace("-0.", "")  # no "−0" products
    products = page.evaluate("""[...document.querySelectorAll('.pg-legend td[valign] b')]
                                .map(b => b.textContent)""")
    assert products == ["0", "0"]
    page.screenshot(path=str(shots / "dead_relu.png"))
    page.close()


def test_forward_replay_shows_a_rate_once_its_node_is_computed(browser: Any,
                                                                tmp_path: Path) -> None:
    nodes = build_chain()
    order = toposort(nodes["C0"])
    page = _open(browser, explore(nodes["C0"], tmp_path / "fwd.html"))
    page.get_by_role("button", name="Forward pass", exact=True).click()
    for step in range(len(order) + 1):
        labels = page.evaluate("""[...document.querySelectorAll('.pg-canvas g.edge')]
            .filter(g => /^e\\d+_\\d+$/.test(g.id) && g.querySelector('text'))
            .map(g => [Number(g.id.slice(1).split('_')[0]),
                       g.querySelector('text').textContent])""")
        assert labels
        for child, text in labels:
            assert (text == "·") == (child >= step), (step, child, text)
        page.get_by_role("button", name="Step", exact=True).click()
    page.close()


def test_micrograds_whole_demo_loss_opens_one_example_at_a_time(
        browser: Any, tmp_path: Path, shots: Path) -> None:
    X, Y = data.moons(100, noise=0.1, seed=1337, signed=True)
    model = MLP(2, [16, 16, 1], seed=1337)

    def loss() -> Value:  # micrograd's demo.ipynb, as written there
        outs = [model(row) for row in X.tolist()]
        losses = [(1 + -yi * out).relu() for yi, out in zip(Y.tolist(), outs)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())

    L = loss()
    order = toposort(L)
    assert len(order) == 8114
    path = explore(L, tmp_path / "demo_loss.html")
    assert path.stat().st_size < 5_000_000
    page = _open(browser, path)
    note = page.locator(".pg-note").inner_text()
    assert "Σ over 100 examples" in note and "Σ p² over 337 parameters" in note, note
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('.pg-canvas text')]
        .filter(t => t.textContent.trim()).map(t => t.getBoundingClientRect().height))""")
    assert smallest >= 10, smallest  # the first view is readable at 1280×800
    w = model.layers[0].neurons[3].w[1]
    got = {n["name"]: n for n in page.evaluate("(n) => window.pathgrad.set(n, 0.25)", w.label)}
    w.data = 0.25
    model.zero_grad()
    again = loss()
    again.backward()
    assert got["L"]["data"] == pytest.approx(again.data, rel=1e-12)
    assert got[w.label]["grad"] == pytest.approx(w.grad, rel=1e-9, abs=1e-15)
    # example 8: the same drawing now shows its nodes (its output z4[0] before the hinge)
    page.locator("input.pg-term").first.fill("8")
    page.locator("input.pg-term").first.dispatch_event("change")
    out8 = model(X[7].tolist())
    shown = page.evaluate("""() => [...document.querySelectorAll('.pg-canvas g.node')]
        .flatMap(g => [...g.querySelectorAll('text')].map(t => t.textContent))""")
    assert f"data {out8.data:.4f}" in shown, out8.data
    page.screenshot(path=str(shots / "demo_loss_example8.png"))
    assert page.errors == []
    page.close()


def test_the_network_diagram_follows_a_nudge(browser: Any, tmp_path: Path) -> None:
    model = MLP(2, [16, 16, 1], seed=3)

    def loss(x0: float) -> Value:
        out = model([Value(x0, label="a1[0]"), Value(-0.7, label="a1[1]")])
        assert isinstance(out, Value)
        C = (out - 1.0) ** 2
        C.backward()
        return C

    page = _open(browser, explore(model, tmp_path / "net.html", loss=loss(0.3)))
    page.evaluate("window.pathgrad.set('a1[0]', 2.5)")
    by_label = {v.label: v for v in toposort(loss(2.5)) if v.label}
    texts = page.evaluate("""[...document.querySelectorAll('.pg-canvas g.node')]
        .filter(g => g.querySelector('title').textContent === 'L3_4')
        .flatMap(g => [...g.querySelectorAll('text')].map(t => t.textContent))""")
    z, a = by_label["z3[4]"], by_label["a3[4]"]
    assert f"z {z.data:.4f}".replace("-0.0000", "0.0000") in texts, texts
    assert f"a {a.data:.4f}" in texts or f"a {a.data:.3f}" in texts, texts
    assert any(t.startswith("δ ") and abs(float(t[2:]) - z.grad) < 6e-4 for t in texts), texts
    page.close()


def test_a_random_1000_node_graph_is_live_with_its_nearest_part_drawn(
        browser: Any, tmp_path: Path, shots: Path) -> None:
    import random

    rng = random.Random(0)
    leaves = [rng.uniform(-1, 1) for _ in range(4)]

    def build(xs: list[float]) -> list[Value]:
        r = random.Random(1)
        nodes = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        for _ in range(1700):
            recent = nodes[-8:]
            if r.random() < 0.5:
                a = r.choice(recent)
                nodes.append([a.tanh(), a * 0.5, a.sigmoid()][r.randrange(3)])
            else:
                a, b = r.choice(recent), r.choice(recent)
                nodes.append(a * b if r.random() < 0.5 else a + b)
        return nodes

    root = build(leaves)[-1]
    n = len(toposort(root))
    assert n >= 1000
    page = _open(browser, explore(root, tmp_path / "random.html"))
    assert f"of all {n:,}" in page.locator(".pg-note").inner_text()
    for k, x in ((0, 0.37), (2, -0.81)):
        got = page.evaluate("([n, x]) => window.pathgrad.set(n, x)", [f"x{k}", x])
        leaves[k] = x
        again = build(leaves)[-1]
        again.backward()
        want = toposort(again)
        assert len(got) == len(want)
        scale = max(abs(v.grad) for v in want)
        for node, v in zip(got, want):
            assert node["data"] == pytest.approx(v.data, rel=1e-12, abs=1e-300)
            assert abs(node["grad"] - v.grad) <= 1e-12 * max(abs(v.grad), scale)
    page.screenshot(path=str(shots / "random_1000.png"))
    assert page.errors == []
    page.close()
