"""The page's engine (explorer.js's ``Engine`` over the kernels ``viz.javascript`` writes from the
rule rows) against the Python engine, in headless Chromium: 1,000 random graphs over every row
(binary and unary, constants, shared sub-expressions, saturated tails), each nudged at random
leaves; values and gradients agree to 1e-12 relative after every ``set``, and where Python raises
the page throws and keeps its numbers. A row registered at run time (the new-op recipe's
``cosh``) works in a page with no JavaScript edit. Domain errors name the op and operands.
The graphs are batched into a few pages, so the module takes seconds."""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromium
import pytest
from live_graphs import build, close, leaf_values, python_nodes, random_program

from pathgrad.autograd import ROWS, Value, toposort
from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.rules import FLOAT_MATH, Rule, register
from pathgrad.autograd.value_math import VALUE_MATH
from pathgrad.viz import explore
from pathgrad.viz._live import engine_spec

ASSET = Path(__file__).resolve().parents[2] / "viz" / "explorer" / "explorer.js"
chromium.require()  # skips the module without playwright or chromium

HARNESS = """
window.runAll = (graphs) => graphs.map(({ spec, names, sets }) => {
  const eng = new Engine(spec, names);
  const out = [{ v: Array.from(eng.v), g: Array.from(eng.g) }];
  for (const [i, x] of sets) {
    try { eng.set(i, x); out.push({ v: Array.from(eng.v), g: Array.from(eng.g) }); }
    catch (e) { out.push({ error: `${e.name}: ${e.message}`, v: Array.from(eng.v) }); }
  }
  return out;
});
window.ready = true;
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.launched() as b:
        yield b


def _open(browser: Any, path: Path) -> Any:
    tab = browser.new_page()
    tab.goto(path.as_uri())
    tab.wait_for_function("window.pathgrad !== undefined")
    return tab


@pytest.fixture(scope="module")
def page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    html = tmp_path_factory.mktemp("live") / "harness.html"
    html.write_text("<!DOCTYPE html><meta charset='utf-8'><script type='module'>\n"
                    + ASSET.read_text(encoding="utf-8") + HARNESS + "</script>", encoding="utf-8")
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(html.as_uri())
    tab.wait_for_function("window.ready === true")
    yield tab
    assert errors == []
    tab.close()


def _batch(r: random.Random, n_graphs: int, n_sets: int) -> tuple[list[Any], list[Any]]:
    cases, graphs = [], []
    for _ in range(n_graphs):
        program = random_program(r, r.randint(3, 24))
        values = build(program)
        order = toposort(values[-1])
        index = {v: i for i, v in enumerate(order)}
        leaves = [index[v] for v, step in zip(values, program) if step[0] == "leaf"]
        sets = []
        for _ in range(n_sets):
            k = r.randrange(len(leaves))
            x = r.choice([r.uniform(-2.5, 2.5), r.uniform(-2.5, 2.5), r.uniform(-40, 40)])
            sets.append((k, x))
        graphs.append({"spec": engine_spec(order), "names": [v.label or f"v{i}" for i, v in
                                                            enumerate(order)],
                       "sets": [[leaves[k], x] for k, x in sets]})
        cases.append((program, sets))
    return cases, graphs


def _check(program: list[Any], sets: list[Any], results: list[Any]) -> dict[str, int]:
    current = leaf_values(program)
    tally = {"sets": 0, "errors": 0, "nodes": 0}
    want = python_nodes(program, current)
    for step, got in enumerate(results):
        if step:
            k, x = sets[step - 1]
            trial = list(current)
            trial[k] = x
            try:
                want_now = python_nodes(program, trial)
            except (ArithmeticError, ValueError) as error:
                assert "error" in got, (program, trial, error)  # Python raised: so does the page
                assert got["v"] == [d for d, _ in want], "the page kept its numbers"
                tally["errors"] += 1
                continue
            assert "error" not in got, (program, trial, got.get("error"))
            current, want = trial, want_now
            tally["sets"] += 1
        scale = max(abs(d) for d, _ in want)
        gscale = max(abs(g) for _, g in want)
        for (d, g), v, gv in zip(want, got["v"], got["g"]):
            assert close(v, d, scale), (program, current, v, d)
            assert close(gv, g, gscale), (program, current, gv, g)
            tally["nodes"] += 1
    return tally


def test_the_page_engine_matches_python_on_1000_random_graphs(page: Any) -> None:
    r = random.Random(20261207)
    total = {"sets": 0, "errors": 0, "nodes": 0, "graphs": 0}
    seen_ops: set[str] = set()
    for _ in range(4):
        cases, graphs = _batch(r, 250, 5)
        # one string each way: Playwright moves a string far faster than nested arrays
        results = json.loads(page.evaluate("(s) => JSON.stringify(runAll(JSON.parse(s)))",
                                           json.dumps(graphs)))
        for (program, sets), got in zip(cases, results):
            for key, n in _check(program, sets, got).items():
                total[key] += n
            seen_ops.update(step[0] for step in program)
            total["graphs"] += 1
    assert total["graphs"] == 1000
    assert seen_ops >= set(ROWS), set(ROWS) - seen_ops  # every row took part
    assert total["sets"] >= 4000 and total["nodes"] >= 100_000, total


def _scale(values: list[float]) -> float:
    return max(abs(v) for v in values)


def test_a_page_through_its_api_matches_python(browser: Any, tmp_path: Path) -> None:
    r = random.Random(7)
    program = random_program(r, 20)
    values = build(program)
    values[-1].label = "out"
    path = explore(values[-1], tmp_path / "random.html")
    current = leaf_values(program)
    tab = _open(browser, path)
    for _ in range(10):
        k = r.randrange(len(current))
        current[k] = r.uniform(-2, 2)
        got = tab.evaluate("([n, x]) => window.pathgrad.set(n, x)", [f"x{k}", current[k]])
        want = python_nodes(program, current)
        assert len(got) == len(want)
        for node, (d, g) in zip(got, want):
            assert close(node["data"], d, _scale([w[0] for w in want]))
            assert close(node["grad"], g, _scale([w[1] for w in want]))
    names = [n["name"] for n in tab.evaluate("window.pathgrad.nodes()")]
    assert names[-1] == "out" and "x0" in names
    refused = tab.evaluate("""() => ['out', 'nope', ['x0', NaN], ['x0', '1']].map((a) => {
        const [n, x] = Array.isArray(a) ? a : [a, 1];
        try { window.pathgrad.set(n, x); return null; } catch (e) { return e.message; } })""")
    assert re.search(r"out is computed by '\w+', not a leaf", refused[0]), refused
    assert 'no node named "nope"' in refused[1] and "needs a finite number" in refused[2]
    assert "needs a finite number, got 1" in refused[3]
    reset = tab.evaluate("window.pathgrad.reset()")
    want = python_nodes(program, leaf_values(program))
    assert [n["data"] for n in reset] == pytest.approx([d for d, _ in want], rel=1e-12)
    tab.close()


# ---- domain errors -------------------------------------------------------------------------
def _error_page(tmp_path: Path) -> Path:
    x = Value(2.0, label="x")
    y = Value(1.0, label="y")
    L = x.log() + (y + 1.0).sqrt() + 1.0 / y + (3.0 * x).exp() + x ** 0.5
    L.label = "L"
    return explore(L, tmp_path / "domains.html")


DOMAIN_CASES = [
    ("x", -1.0, r"^ValueError: math domain error in 'log' at \(-1\.0\) \(log needs x > 0\)"),
    ("x", 0.0, r"^ValueError: math domain error in 'log' at \(0\.0\)"),
    ("y", -1.0, r"^ZeroDivisionError: division by zero in 'sqrt' at \(0\.0\)"),
    ("y", -2.0, r"^ValueError: math domain error in 'sqrt' at \(-1\.0\)"),
    ("y", 0.0, r"^ZeroDivisionError: division by zero in 'rdiv_c' at \(0\.0, 1\.0\)"),
    ("x", 300.0, r"^OverflowError: overflow in 'exp' at \(900\.0\)"),
]


def test_domain_errors_name_the_op_and_keep_the_last_state(browser: Any, tmp_path: Path) -> None:
    tab = _open(browser, _error_page(tmp_path))
    before = tab.evaluate("window.pathgrad.nodes()")
    for name, value, pattern in DOMAIN_CASES:
        message = tab.evaluate("""([n, x]) => { try { window.pathgrad.set(n, x); return null; }
                                   catch (e) { return `${e.name}: ${e.message}`; } }""",
                               [name, value])
        assert message is not None and re.search(pattern, message), message
        assert tab.evaluate("window.pathgrad.nodes()") == before  # the last valid state
        alarm = tab.locator(".pg-error").inner_text()
        assert re.search(pattern.lstrip("^"), alarm), alarm
        failed = tab.evaluate("[...document.querySelectorAll('g.node.pg-failed')].length")
        assert failed == 1
    tab.evaluate("window.pathgrad.set('x', 3.0)")  # a valid value clears the alarm
    assert tab.locator(".pg-error").is_hidden()
    assert tab.evaluate("document.querySelectorAll('g.node.pg-failed').length") == 0
    tab.close()


@pytest.fixture
def cosh() -> Iterator[Rule]:
    # the README's recipe: one row, its math only (its rate calls m.sinh, which has no row)
    row = register(Rule("cosh", lambda m, x: m.cosh(x), lambda m, o, x: (m.sinh(x),), 1))
    yield row
    del ROWS["cosh"]
    delattr(Value, "cosh")
    for namespace in (VALUE_MATH, FLOAT_MATH, NUMPY_MATH):
        for name in ("cosh", "sinh"):
            vars(namespace).pop(name, None)


def test_a_row_registered_at_run_time_works_in_the_page(cosh: Rule, browser: Any,
                                                        tmp_path: Path) -> None:
    w = Value(0.8, label="w")
    x = Value(-1.5, label="x")
    L = (w * x).cosh() * w  # type: ignore[attr-defined]
    L.label = "L"
    path = explore(L, tmp_path / "cosh.html")
    assert "Math.cosh(" in path.read_text(encoding="utf-8")
    tab = _open(browser, path)
    for value in (0.3, -2.0, 7.5):
        got = {n["name"]: n for n in tab.evaluate("(x) => window.pathgrad.set('w', x)", value)}
        # d/dw [cosh(w x) w] = x w sinh(w x) + cosh(w x)
        u = value * x.data
        assert got["L"]["data"] == pytest.approx(math.cosh(u) * value, rel=1e-14)
        assert got["w"]["grad"] == pytest.approx(x.data * value * math.sinh(u) + math.cosh(u),
                                                 rel=1e-13)
    tab.close()


def test_a_node_made_by_hand_is_kept_and_nudges_through_it_refused(browser: Any,
                                                                   tmp_path: Path) -> None:
    # micrograd's lecture: an op as Value(data, children, op) plus a _backward closure; no row
    # writes it, so the page keeps its exported numbers and says why it cannot move them
    x, b = Value(0.5, label="x"), Value(2.0, label="b")
    t = math.tanh(x.data)
    n = Value(t, (x,), "tanh")
    n.label = "n"

    def _backward() -> None:
        x.grad += (1 - t**2) * n.grad

    n._backward = _backward  # type: ignore[method-assign]
    L = n * b
    L.label = "L"
    tab = _open(browser, explore(L, tmp_path / "hand.html"))
    message = tab.evaluate("""() => { try { window.pathgrad.set('x', 0.9); return null; }
                                      catch (e) { return e.message; } }""")
    assert message is not None and "x feeds n, a node made by hand" in message, message
    got = {m["name"]: m for m in tab.evaluate("window.pathgrad.set('b', -3.0)")}
    assert got["L"]["data"] == pytest.approx(t * -3.0, rel=1e-15)
    assert got["x"]["grad"] == pytest.approx((1 - t * t) * -3.0, rel=1e-14)
    tab.close()
