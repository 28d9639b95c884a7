"""The playground page in a real browser (Debian's chromium, Playwright): it trains as Python does.

Oracles are Python's own training: ``fit`` (compiled and eager) and the eager loop over
``train_step`` with fit's batch order; the engine for the traced example's numbers. Screenshots
go to ``$PATHGRAD_SCREENSHOTS`` (or a temporary folder) to be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromium
import numpy as np
import pytest

from pathgrad.autograd import Value, toposort
from pathgrad.nn import MLP, data, fit, losses, optim
from pathgrad.nn.train import DivergenceError, train_step
from pathgrad.viz import playground
from pathgrad.viz.playground import build_spec
from pathgrad.viz.style import number

chromium.require()  # skips the module without playwright or chromium

X, Y = data.moons(100, noise=0.1, seed=1337, signed=True)
SEED = 1337


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.launched() as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return chromium.screenshots(tmp_path_factory)


class Page:
    """A playground page opened from disk; every request and script error it made recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.page.set_default_timeout(10000)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.route(re.compile(r"^(?!file://).*"), lambda route: route.abort())
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_function("window.pathgrad !== undefined")

    def api(self, call: str, arg: Any = None) -> Any:
        return self.page.evaluate(f"a => window.pathgrad.{call}", arg)

    def click_plane(self, x: float, y: float, plane: list[float]) -> None:
        box = self.page.locator(".pp-plane").bounding_box()
        px = (x - plane[0]) / (plane[1] - plane[0]) * box["width"]
        py = (plane[3] - y) / (plane[3] - plane[2]) * box["height"]
        self.page.mouse.click(box["x"] + px, box["y"] + py)

    def close(self) -> None:
        assert self.errors == [], self.errors
        assert self.requests and all(u == self.url for u in self.requests), self.requests
        self.page.close()


def _demo_model() -> MLP:
    return MLP(2, [16, 16, 1], seed=SEED)


def _page(browser: Any, tmp_path: Path, model: Any, X_: Any = X, Y_: Any = Y,
          **settings: Any) -> Page:
    path = playground(model, X_, Y_, tmp_path / "p.html", seed=SEED, **settings)
    return Page(browser, path)


def _params(model: Any) -> np.ndarray:
    return np.array([p.data for p in model.parameters()])


def _optimizer(kind: str, model: Any, lr: float, momentum: float) -> Any:
    if kind == "adam":
        return optim.Adam(model.parameters(), lr=lr)
    return optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def _eager_loop(model: Any, steps: int, opt: Any, l2: float, batch: int | None,
                X_: Any = X, Y_: Any = Y, loss: str = "max_margin") -> list[float]:
    """The eager loop with fit's batch order (a generator seeded by SEED, a permutation per
    epoch where batches are smaller than the data)."""
    rng, n = np.random.default_rng(SEED), len(X_)
    size = n if batch is None else min(batch, n)
    out: list[float] = []
    while len(out) < steps:
        order = rng.permutation(n) if size < n else np.arange(n)
        for b in range(-(-n // size)):
            if len(out) == steps:
                break
            idx = order[b * size: (b + 1) * size]
            out.append(train_step(model, X_[idx], Y_[idx], loss, opt, l2)[0])
    return out


@pytest.mark.parametrize("kind,lr,momentum", [("sgd", 0.5, 0.0), ("adam", 0.02, 0.0),
                                              ("sgd", 0.1, 0.9)])
def test_100_page_steps_equal_fits_for_each_optimizer_l2_and_batch(
        browser: Any, tmp_path: Path, kind: str, lr: float, momentum: float) -> None:
    page = _page(browser, tmp_path, _demo_model(), optimizer=kind, lr=lr, momentum=momentum)
    combos = [(0.0, None), (1e-4, None), (0.0, 20), (1e-3, 30)] if not momentum else [
        (1e-4, None), (1e-3, 20)]
    for l2, batch in combos:
        page.api("reset()")
        page.api("set('l2', a)", l2)
        page.api("set('batch_size', a)", batch)
        losses_page = page.api("train(100)")
        model = _demo_model()
        per_epoch = 1 if batch is None else -(-100 // batch)
        history = fit(model, X, Y, "max_margin", _optimizer(kind, model, lr, momentum),
                      epochs=-(-100 // per_epoch), batch_size=batch, l2=l2, seed=SEED,
                      verbose=False, compiled=True)
        if 100 % per_epoch == 0:
            got = np.array(page.api("parameters()"))
            assert np.abs(got - _params(model)).max() <= 1e-9, (kind, l2, batch)
        if batch is None:
            assert np.allclose(losses_page, history.loss, rtol=0, atol=1e-9)
    page.close()


def test_the_eager_loop_agrees_and_time_travel_forks(browser: Any, tmp_path: Path) -> None:
    """micrograd's demo (hinge + L2, mini-batches of 20): page steps against the eager loop of
    ``train_step`` mid-epoch; goto(0), goto(t), then training on from t forks the history."""
    page = _page(browser, tmp_path, _demo_model(), l2=1e-4, lr=0.5, batch_size=20)
    initial = _params(_demo_model())
    first = page.api("train(45)")
    model = _demo_model()
    opt = optim.SGD(model.parameters(), lr=0.5)
    python = _eager_loop(model, 37, opt, 1e-4, 20)
    assert np.allclose(first[:37], python, rtol=0, atol=1e-9)
    assert page.api("goto(0)") == 0
    assert np.array_equal(np.array(page.api("parameters()")), initial)
    page.api("goto(37)")
    assert np.abs(np.array(page.api("parameters()")) - _params(model)).max() <= 1e-9
    assert len(page.api("history()")) == 45  # moving does not forget
    page.api("train(6)")  # a fork from step 37: steps 38..43 again, the old 38..45 dropped
    python += _eager_loop_continue(model, opt, 37, 6)
    assert len(page.api("history()")) == 43
    assert np.abs(np.array(page.api("parameters()")) - _params(model)).max() <= 1e-9
    model.load_state_dict(page.api("state_dict()"))
    assert np.array_equal(_params(model), np.array(page.api("parameters()")))
    assert list(page.api("state_dict()")) == list(model.state_dict())
    page.close()


def _eager_loop_continue(model: Any, opt: Any, done: int, more: int) -> list[float]:
    """Steps ``done + 1 … done + more`` of fit's order (batches of 20 from SEED's generator)."""
    rng, out, t = np.random.default_rng(SEED), [], 0
    while t < done + more:
        order = rng.permutation(100)
        for b in range(5):
            t += 1
            if done < t <= done + more:
                idx = order[b * 20: (b + 1) * 20]
                out.append(train_step(model, X[idx], Y[idx], "max_margin", opt, 1e-4)[0])
    return out


def test_clicking_a_point_draws_its_graph_with_its_numbers(browser: Any, tmp_path: Path,
                                                          shots: Path) -> None:
    model = _demo_model()
    page = _page(browser, tmp_path, model, l2=1e-4, lr=0.5)
    page.api("train(30)")
    plane = build_spec(model, X, Y)["plane"]
    spread = np.linalg.norm(X[:, None] - X[None], axis=2) + np.eye(len(X)) * 9
    i = int(np.argmax(spread.min(axis=1)))  # the loneliest point: the click cannot miss it
    page.click_plane(float(X[i, 0]), float(X[i, 1]), plane)
    assert f"example {i}:" in page.page.locator(".pp-trace-head").inner_text()
    for p, x in zip(model.parameters(), page.api("parameters()")):
        p.data = x
    # the page traces the example with its inputs and label as leaves (compile's trace)
    leaves = [Value(float(X[i, 0]), label="x0"), Value(float(X[i, 1]), label="x1")]
    cost = losses.max_margin.example(model(leaves), Value(float(Y[i]), label="y"))
    cost.backward()
    shown = page.api("traced()")
    order = toposort(cost)
    assert len(shown) == len(order)
    for node, v in zip(shown, order):
        assert node["name"] == v.label or not v.label
        assert abs(node["data"] - v.data) <= 1e-12 * max(1.0, abs(v.data))
        assert abs(node["grad"] - v.grad) <= 1e-12 * max(1.0, abs(v.grad))
    cells = page.page.evaluate("""[...document.querySelectorAll('.pp-stage g.node text')]
        .map(t => t.textContent).filter(t => t.startsWith('data '))""")
    assert f"data {number(order[-2].data)}" in cells  # the output neuron's z, as drawn
    page.page.locator("g.node", has=page.page.locator("text", has_text="neuron 2[0]")).first.click()
    panel = page.page.locator(".pp-panel").inner_text()
    assert "paths to the loss" in panel and "z2[0]" in panel
    page.page.locator(".pp-panel .pg-members button", has_text="w2[0,1]").click()
    w = next(j for j, v in enumerate(order) if v.label == "w2[0,1]")
    head = page.page.locator(".pp-panel h2").inner_text()
    assert head.startswith("∂C_x/∂w2[0,1] = ") and abs(
        float(head.split("= ")[1].replace("−", "-")) - order[w].grad) <= 6e-4 * max(1, abs(
            order[w].grad)), (head, order[w].grad)
    page.page.locator(".pp-lower").scroll_into_view_if_needed()
    page.page.screenshot(path=str(shots / "playground_traced.png"))
    page.close()


def test_an_added_point_changes_the_next_step_as_in_python(browser: Any, tmp_path: Path,
                                                           shots: Path) -> None:
    model = _demo_model()
    page = _page(browser, tmp_path, model, l2=1e-4, lr=0.5)
    page.api("train(20)")
    page.page.get_by_role("button", name="Add", exact=True).click()
    page.page.get_by_role("button", name="1", exact=True).click()
    plane = build_spec(model, X, Y)["plane"]
    page.click_plane(-0.8, 0.9, plane)  # the top left: the -1 class's side
    got = page.api("data()")
    assert len(got["y"]) == 101 and got["y"][-1] == 1
    new = np.array(got["X"][-2:])
    assert np.allclose(new, [-0.8, 0.9], atol=0.02)
    for p, x in zip(model.parameters(), page.api("parameters()")):
        p.data = x
    with_point = page.api("train(1)")[0]
    opt = optim.SGD(model.parameters(), lr=0.5)
    value, _ = train_step(model, np.vstack([X, new]), np.append(Y, 1), "max_margin", opt, 1e-4)
    assert abs(value - with_point) <= 1e-12
    assert np.abs(np.array(page.api("parameters()")) - _params(model)).max() <= 1e-12
    page.page.screenshot(path=str(shots / "playground_moons.png"))
    page.api("goto(19)")  # back before the point: the data as it was then
    assert len(page.api("data()")["y"]) == 100
    page.api("goto(20)")  # the point was added at step 20
    assert len(page.api("data()")["y"]) == 101
    page.close()


def test_inputs_that_are_not_2d_train_without_the_plane(browser: Any, tmp_path: Path,
                                                        shots: Path) -> None:
    rng = np.random.default_rng(0)
    X3 = rng.normal(size=(40, 3))
    Y3 = np.where(X3[:, 0] * X3[:, 1] > X3[:, 2], 1, -1)
    page = _page(browser, tmp_path, MLP(3, [6, 1], seed=0), X3, Y3, lr=0.3, l2=1e-3)
    assert page.page.locator(".pp-plane").count() == 0
    assert "not 2" in page.page.locator(".pp-left").inner_text()
    page.api("train(25)")
    model = MLP(3, [6, 1], seed=0)
    fit(model, X3, Y3, "max_margin", optim.SGD(model.parameters(), lr=0.3), epochs=25,
        l2=1e-3, verbose=False)
    assert np.abs(np.array(page.api("parameters()")) - _params(model)).max() <= 1e-9
    page.page.screenshot(path=str(shots / "playground_3d.png"))
    page.close()


def test_a_diverging_run_stops_naming_the_step_and_keeps_the_last_finite_weights(
        browser: Any, tmp_path: Path) -> None:
    settings = dict(loss="squared_error", lr=40.0)
    page = _page(browser, tmp_path, _demo_model(), **settings)
    model = _demo_model()
    with pytest.raises(DivergenceError) as failed:
        fit(model, X, Y, "squared_error", optim.SGD(model.parameters(), lr=40.0), epochs=200,
            verbose=False)
    step = failed.value.epoch
    message = page.page.evaluate("""() => { try { window.pathgrad.train(200); return null; }
                                           catch (e) { return e.message; } }""")
    assert message is not None and f"at step {step}:" in message, (message, step)
    assert len(page.api("history()")) == step - 1
    kept = np.array(page.api("parameters()"))  # huge but finite: relative agreement
    assert np.isfinite(kept).all() and np.allclose(kept, _params(model), rtol=1e-9, atol=1e-9)
    assert page.page.locator(".pp-error").is_visible()
    page.close()


def test_classes_by_cross_entropy_and_the_widget_follows_the_page(browser: Any, tmp_path: Path,
                                                                  shots: Path) -> None:
    """Three spirals (softmax cross-entropy, Adam) train as fit does; the widget's script,
    given a stand-in of anywidget's model, sends the page's parameters after a Step, and the
    Python widget loads them into its model."""
    from pathgrad.viz import Playground

    Xs, Ys = data.spirals(90, n_classes=3, noise=0.1, seed=0)
    model = MLP(2, [12, 3], seed=0)
    widget = Playground(model, Xs, Ys, loss="cross_entropy", optimizer="adam", lr=0.02)
    html = tmp_path / "widget.html"
    html.write_text(
        "<!DOCTYPE html><meta charset='utf-8'><style>" + widget._css + "</style><div id=w></div>"
        "<script type='application/json' id=spec>" + _json(widget.spec) + "</script>"
        "<script type='module'>\n" + widget._esm + "\nconst spec = JSON.parse("
        "document.getElementById('spec').textContent); window.sent = [];\n"
        "renderPlayground({el: document.getElementById('w'), model: {get: (k) => k === 'spec'"
        " ? spec : null, set: (k, v) => window.sent.push([k, v]), save_changes: () => {},"
        " on: () => {}}});\nwindow.pathgrad = true;\n</script>", encoding="utf-8")
    page = Page(browser, html)
    for _ in range(3):
        page.page.get_by_role("button", name="Step", exact=True).click()
    sent = page.page.evaluate("window.sent.filter(([k]) => k === 'parameters').map(([, v]) => v)")
    widget.parameters = sent[-1]
    check = MLP(2, [12, 3], seed=0)
    fit(check, Xs, Ys, "cross_entropy", optim.Adam(check.parameters(), lr=0.02), epochs=3,
        verbose=False)
    assert np.abs(_params(model) - _params(check)).max() <= 1e-9
    page.page.screenshot(path=str(shots / "playground_spirals_widget.png"))
    page.close()


def _json(spec: dict[str, Any]) -> str:
    import json

    return json.dumps(spec).replace("</", "<\\/")


def test_hovering_an_edge_of_the_traced_graph_names_its_rate_factor(browser: Any,
                                                                   tmp_path: Path) -> None:
    page = _page(browser, tmp_path, MLP(2, [2, 1], seed=0), lr=0.5)
    page.api("train(3)")
    page.page.locator(".pp-stage .pg-grip").first.hover(force=True)
    tip = page.page.locator(".pg-tip")
    assert tip.is_visible() and re.match(r"∂.+/∂.+ = ", tip.inner_text()), tip.inner_text()
    assert "rule " in tip.inner_text()
    page.close()
