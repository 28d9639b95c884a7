"""The workbooks ``viz.spreadsheet`` writes, recalculated by LibreOffice: every value, rate
factor and gradient read back equals the engine's (micrograd's for the lecture's neuron).

All workbooks go through one soffice call (a few seconds); random graphs cover every row of
``autograd.rules``. The files hold no cached values, and one copy carries stale ones that
LibreOffice must not read back. Without soffice the LibreOffice tests skip, and the
``formulas`` package (a Python interpreter of Excel formulas) recalculates a smaller batch
(``PATH=.venv/bin .venv/bin/pytest tests/viz/test_spreadsheet_recalc.py`` runs it here).

Tolerance: 1e-12 relative for every value, rate factor and gradient, whatever the function
(LibreOffice calls the C library's EXP, LN, TANH, SQRT, SIN, COS, as Python's math does; the
worst of 3,404 numbers measured differs by 4.6e-15, about what its 15-digit output keeps). The
precedence test's random expressions may cancel: there the tolerance is relative to the size
of their terms (LibreOffice rounds a difference within 2⁻⁴⁸ of its operands to 0).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sheet_helpers import NO_SOFFICE, SOFFICE, Cells, libreoffice_recalculate

from pathgrad.autograd import Value, sum_values, toposort, weighted_sum
from pathgrad.autograd.rules import ROWS
from pathgrad.nn import MLP
from pathgrad.viz import spreadsheet
from pathgrad.viz.sheet_exercise import AnswerCodes
from pathgrad.viz.sheet_formulas import Formula, cell, formula

HOSTILE = ['=HYPERLINK("http://evil.example/","click")', "+cmd|' /C calc'!A0", "@SUM(1)",
           "-2+3", "=1+1"]
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason=NO_SOFFICE)
RTOL = 1e-12


# ---- graphs -----------------------------------------------------------------------------------
def _make(op: str, a: Value, b: Value, c: Value) -> Value:
    # one maker per row; operands squashed where an op needs a domain or could overflow
    t = a.tanh() if op in ("exp", "rpow_c", "pow_c", "mul", "pow") else a
    table: dict[str, Callable[[], Value]] = {
        "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: t * b.tanh(),
        "div": lambda: a / (1.5 + b.sin()), "pow": lambda: (1 + t * t) ** b.tanh(),
        "add_c": lambda: a + 0.5, "sub_c": lambda: a - 0.25, "rsub_c": lambda: 1.0 - a,
        "mul_c": lambda: a * -0.5, "div_c": lambda: a / 3.0, "rdiv_c": lambda: 2.0 / (1 + a * a),
        "pow_c": lambda: t**2.5 if t.data > 0 else t**2, "rpow_c": lambda: 3.0**t,
        "neg": lambda: -a, "abs": lambda: abs(a), "exp": lambda: t.exp(),
        "log": lambda: (1 + a * a).log(), "sqrt": lambda: (1 + a * a).sqrt(),
        "tanh": lambda: (a * 3.0).tanh(), "sigmoid": lambda: (a * 4.0).sigmoid(),
        "relu": lambda: a.relu(), "softplus": lambda: (a * 20.0).softplus(),
        "sin": lambda: a.sin(), "cos": lambda: a.cos(),
        "wsum": lambda: weighted_sum([b, c], [a, b], c), "sum": lambda: sum_values([a, b, c, a]),
    }
    return table[op]()


def random_graph(seed: int, ops: list[str]) -> Value:
    """Four leaves, then each op of ``ops`` over nodes drawn from all made so far (shared
    sub-expressions, a node used twice by one op); the output sums every node made, so each
    op is in the output's graph."""
    rng = random.Random(seed)
    nodes = [Value(round(rng.uniform(-1.5, 1.5), 3), label=f"x{i}") for i in range(4)]
    for op in ops:
        nodes.append(_make(op, *(rng.choice(nodes[-6:] + nodes[:4]) for _ in range(3))))
    root = sum_values(nodes[4:]) * 0.5
    root.label = "f"
    return root


def random_graphs(n: int) -> Value:
    """``n`` random graphs as one: their outputs summed (each output's grad stays 1), so one
    workbook holds them all. The first four graphs cover every row between them."""
    names = sorted(ROWS)
    rng = random.Random(2026)
    roots = []
    for seed in range(n):
        ops = rng.sample(names, len(names))[:8] if seed >= 4 else names[seed::4]
        roots.append(random_graph(seed, ops))
    total = sum_values(roots)
    total.label = "Σf"
    return total


def lecture_neuron() -> tuple[Value, dict[str, Value]]:
    """Karpathy's neuron from "building micrograd", its tanh written out with exp."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def mlp_loss() -> Value:
    """The lecture's MLP(3, [4, 4, 1]) with tanh, its squared loss on the four examples."""
    model = MLP(3, [4, 4, 1], activation="tanh", seed=1)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum_values([(model(x) - y) ** 2 for x, y in zip(xs, ys)])
    loss.label = "loss"
    return loss


# ---- comparing ---------------------------------------------------------------------------------
def engine_numbers(root: Value) -> list[tuple[Value, float, float, tuple[float, ...]]]:
    """Per row of the graph sheet: the node, its data, its grad, its rate factors."""
    order = toposort(root)
    root.backward()
    return [(n, n.data, n.grad, n.local_grads) for n in order]


def assert_sheet_matches(cells: Cells, root: Value) -> int:
    """Data, grad and rate columns of the graph sheet against the engine; returns the count."""
    checked = 0
    for r, (node, data, grad, rates) in enumerate(engine_numbers(root), 2):
        _close(cells["graph", f"D{r}"], data, 0.0, f"data of row {r} ({node.op})")
        _close(cells["graph", f"E{r}"], grad, 0.0, f"grad of row {r} ({node.op})")
        for k, rate in enumerate(rates[:21]):  # columns F to Z
            _close(cells["graph", f"{chr(ord('F') + k)}{r}"], rate, 0.0,
                   f"rate {k + 1} of row {r} ({node.op})")
        checked += 2 + len(rates[:21])
    return checked


def _close(got: Any, want: float, scale: float, what: str) -> None:
    """Equal to ``RTOL`` relative; ``scale``: the size of the terms where they may cancel."""
    assert isinstance(got, (int, float)), f"{what}: {got!r}"
    assert abs(got - want) <= RTOL * max(abs(want), scale), (what, got, want)


# ---- the batch -------------------------------------------------------------------------------
def _expressions(seed: int) -> list[tuple[Formula, float, float]]:
    """Random trees of + − × ÷ ^ and negation over cells A1..A4: (formula, value, size)."""
    rng = random.Random(seed)
    values = [1.25, -0.75, 2.5, -3.0]
    out = []
    while len(out) < 60:
        items = [(cell(f"A{i + 1}"), v, abs(v)) for i, v in enumerate(values)]
        items += [(formula(c), c, abs(c)) for c in (-2.0, 0.5)]
        for _ in range(rng.randint(1, 5)):
            (fa, a, sa), (fb, b, sb) = rng.choice(items), rng.choice(items)
            op = rng.choice("+-*/^n")
            if op == "+":
                item = (fa + fb, a + b, sa + sb)
            elif op == "-":
                item = (fa - fb, a - b, sa + sb)
            elif op == "*":
                item = (fa * fb, a * b, abs(a * b))
            elif op == "/" and abs(b) > 0.1:
                item = (fa / fb, a / b, abs(a / b))
            elif op == "^" and a > 0.1 and abs(b) < 3:
                item = (fa**fb, a**b, a**b)
            elif op == "^":
                item = (fa**2.0, a**2.0, a * a)
            else:
                item = (-fa, -a, sa)
            items.append(item)
        f, v, s = items[-1]
        if math.isfinite(v) and abs(v) < 1e12:
            out.append((f, v, s))
    return out


def precedence_workbook(path: Path, seed: int) -> list[tuple[str, float, float]]:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "graph"
    for i, v in enumerate([1.25, -0.75, 2.5, -3.0], 1):
        sheet.cell(row=i, column=1, value=v)
    expected = []
    for r, (f, v, s) in enumerate(_expressions(seed), 1):
        sheet.cell(row=r, column=2, value=f"={f}")
        expected.append((f"B{r}", v, s))
    book.save(path)
    return expected


def fill_exercise(source: Path, target: Path, root: Value) -> dict[str, Any]:
    """A student's entries: right ones (full and rounded to 4 figures), wrong ones, text; and a
    probe sheet that evaluates the file's own conditional-formatting rules at chosen cells."""
    from openpyxl.formula.translate import Translator

    book = openpyxl.load_workbook(source)
    sheet = book["graph"]
    numbers = engine_numbers(root)
    entries: dict[str, Any] = {}
    for r, (_, _, grad, rates) in enumerate(numbers[:-1], 2):
        kind = ("full", "rounded", "wrong", "sign", "text", "blank")[r % 6]
        value = {"full": grad, "rounded": float(f"{grad:.4g}"), "wrong": grad * 1.01 + 1e-3,
                 "sign": -grad if abs(grad) > 1e-9 else 1.0, "text": "abc", "blank": None}[kind]
        sheet[f"E{r}"] = value
        entries[f"E{r}"] = kind
        if rates:
            right = r % 2 == 0
            sheet[f"G{r}"] = float(f"{rates[0]:.6g}") if right else rates[0] + 0.5
            entries[f"G{r}"] = "full" if right else "wrong"
    probe = book.create_sheet("probe")
    for rule_range in sheet.conditional_formatting:
        origin = str(rule_range.sqref).split(":")[0]
        for rule in rule_range.rules:
            color = rule.dxf.fill.fgColor.rgb[-6:]
            for ref in entries:
                if ref[0] == origin[0]:
                    text = Translator("=" + rule.formula[0], origin=origin).translate_formula(ref)
                    # the rule's own cells are the graph sheet's: say so on the probe sheet
                    text = re.sub(r"ISNUMBER\((\$?[A-Z]+\d+)\)", r"ISNUMBER(graph!\1)", text)
                    probe.append([ref, color, text])
    book.save(target)
    return entries


def codes_workbook(path: Path) -> list[tuple[float, tuple[int, ...]]]:
    """Numbers over the whole range of doubles (powers of ten and their neighbours included),
    beside the exercise hash formula of each: the sheet's hash must be one Python accepts."""
    codes = AnswerCodes(seed=11)
    rng = random.Random(4)
    numbers = [0.0, 1e-13, -5e-324, 1.0, -1.0, 0.001, 1000.0, 9.9995, 9.99949, 0.099995,
               1e-12 * 1.5, 1.7e308, -2.2e-308 * 1e296, 123456789.0, 0.30000000000000004]
    numbers += [s * 10.0 ** e * rng.uniform(1, 10) for s, e in
                ((rng.choice([-1, 1]), rng.randint(-11, 300)) for _ in range(120))]
    book = openpyxl.Workbook()
    sheet = book.active
    expected = []
    for r, x in enumerate(numbers, 1):
        sheet.cell(row=r, column=1, value=x)
        sheet.cell(row=r, column=2, value=codes.formula(f"A{r}"))
        expected.append((x, codes.of(x)))
    book.save(path)
    return expected


def stale_copy(source: Path, target: Path, changes: dict[str, float]) -> None:
    """``source`` with every formula's cached value set to 12345, leaves changed in the XML, and
    no request to recalculate on load: only a real recalculation gives the right numbers."""
    import zipfile

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename).decode("utf-8")
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(r"(<f>[^<]*</f>)<v\s*/>", r"\1<v>12345</v>", data)
                assert n > 5
                for ref, value in changes.items():
                    data, n = re.subn(rf'(<c r="{ref}"[^>]*>)<v>[^<]*</v>',
                                      rf"\g<1><v>{value!r}</v>", data)
                    assert n == 1
            if item.filename == "xl/workbook.xml":
                data = data.replace('fullCalcOnLoad="1"', "")
            zout.writestr(item, data)


CASES = 40  # random graphs in one workbook


def build_batch(work: Path, small: bool) -> dict[str, Any]:
    """Every workbook of the tests, written into ``work``: name -> (file, what to compare)."""
    batch: dict[str, Any] = {}
    graphs = random_graphs(4 if small else CASES)
    spreadsheet(graphs, work / "random.xlsx")
    batch["random"] = (work / "random.xlsx", graphs)
    neuron, _leaves = lecture_neuron()
    spreadsheet(neuron, work / "neuron.xlsx")
    batch["neuron"] = (work / "neuron.xlsx", neuron)
    book = openpyxl.load_workbook(work / "neuron.xlsx")  # a leaf changed, as a user would
    book["graph"]["D2"] = 1.5
    book.save(work / "neuron_changed.xlsx")
    batch["neuron_changed"] = (work / "neuron_changed.xlsx", lecture_neuron_at(x1=1.5))
    stale_copy(work / "neuron.xlsx", work / "neuron_stale.xlsx", {"D2": -0.25, "D3": 0.75})
    batch["neuron_stale"] = (work / "neuron_stale.xlsx", lecture_neuron_at(x1=-0.25, w1=0.75))
    ex_root = random_graph(99, ["mul", "tanh", "sigmoid", "wsum", "softplus", "sub", "pow_c"])
    spreadsheet(ex_root, work / "exercise.xlsx", exercise="rates")
    entries = fill_exercise(work / "exercise.xlsx", work / "exercise_filled.xlsx", ex_root)
    batch["exercise_filled"] = (work / "exercise_filled.xlsx", (ex_root, entries))
    batch["codes"] = (work / "codes.xlsx", codes_workbook(work / "codes.xlsx"))
    hostile = [Value(0.5 + i, label=label) for i, label in enumerate(HOSTILE)]
    spreadsheet(sum_values([x.tanh() for x in hostile]), work / "hostile.xlsx")
    batch["hostile"] = (work / "hostile.xlsx", hostile)
    if not small:
        loss = mlp_loss()
        spreadsheet(loss, work / "mlp.xlsx")
        batch["mlp"] = (work / "mlp.xlsx", loss)
        batch["precedence"] = (work / "precedence.xlsx",
                               precedence_workbook(work / "precedence.xlsx", 3))
    return batch


def lecture_neuron_at(**values: float) -> Value:
    _root, leaves = lecture_neuron()
    for name, v in values.items():
        leaves[name].data = v
    # the same ops again at the new point: the engine's own numbers there
    x1, x2, w1, w2, b = (Value(leaves[n].data, label=n) for n in ("x1", "x2", "w1", "w2", "b"))
    n = x1 * w1 + x2 * w2 + b
    e = (2 * n).exp()
    return (e - 1) / (e + 1)


@pytest.fixture(scope="module", params=["libreoffice", "formulas"])
def recalculated(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """Each workbook's values after recalculation, and what to compare them with."""
    evaluator = request.param
    if evaluator == "libreoffice" and SOFFICE is None:
        pytest.skip(NO_SOFFICE)
    if evaluator == "formulas" and SOFFICE is not None:
        pytest.skip("LibreOffice recalculates the batch; the formulas package is the fallback "
                    "evaluator where soffice is missing (PATH without it runs this one)")
    work = tmp_path_factory.mktemp(evaluator)
    batch = build_batch(work, small=evaluator == "formulas")
    names = list(batch)
    if evaluator == "libreoffice":
        paths = libreoffice_recalculate([batch[n][0] for n in names], work)
        cells = [Cells.from_xlsx(p) for p in paths]
    else:
        names = [n for n in names if n != "neuron_stale"]  # a LibreOffice setting's test
        cells = [Cells.from_formulas(batch[n][0]) for n in names]
    return evaluator, {n: (c, batch[n][1], batch[n][0]) for n, c in zip(names, cells)}


# ---- the tests ---------------------------------------------------------------------------------
def test_random_graphs_over_every_row_recalculate_to_the_engines_numbers(
        recalculated: tuple[str, dict[str, Any]]) -> None:
    evaluator, results = recalculated
    ops: set[str] = set()
    checked = 0
    for name, (cells, root, _) in results.items():
        if name == "random":
            checked += assert_sheet_matches(cells, root)
            ops |= {n.op for n in toposort(root)}
    assert ops - {""} == set(ROWS)
    assert checked > (1000 if evaluator == "libreoffice" else 150)


def test_the_lecture_neuron_matches_its_closed_form(
        recalculated: tuple[str, dict[str, Any]]) -> None:
    # o = tanh(n), n = x1·w1 + x2·w2 + b: ∂o/∂x1 = w1·(1 − o²) ... (the lecture: o = 0.7071,
    # x1.grad = −1.5, w1.grad = 1.0, x2.grad = 0.5, w2.grad = 0)
    cells, root, _ = recalculated[1]["neuron"]
    assert_sheet_matches(cells, root)
    x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    slope = 1.0 - o * o
    order = toposort(root)
    rows = {n.label: r for r, n in enumerate(order, 2) if n.label}
    for label, want in (("x1", w1 * slope), ("x2", w2 * slope), ("w1", x1 * slope),
                        ("w2", x2 * slope), ("b", slope)):
        got = cells["graph", f"E{rows[label]}"]
        assert abs(got - want) <= 1e-9, (label, got, want)  # tanh via exp: a few ulps of o
    assert abs(cells["graph", f"D{len(order) + 1}"] - o) <= 1e-12
    assert [round(cells["graph", f"E{rows[n]}"], 4) for n in ("x1", "w1", "x2", "w2")] == \
        [-1.5, 1.0, 0.5, 0.0]


@needs_soffice
def test_a_small_mlp_loss_matches_the_engine(recalculated: tuple[str, dict[str, Any]]) -> None:
    if "mlp" not in recalculated[1]:
        pytest.skip("the MLP's workbook is recalculated by LibreOffice only (formulas is slow)")
    cells, root, path = recalculated[1]["mlp"]
    assert assert_sheet_matches(cells, root) > 300
    _paths_sums_match(cells, root, path)


def _paths_sums_match(cells: Cells, root: Value, path: Path) -> None:
    sheet = openpyxl.load_workbook(path)["paths"]
    heads = [c.row for c in sheet["A"] if isinstance(c.value, str) and c.value.startswith("∂")]
    assert heads
    for r in heads:
        grad, total = cells["paths", f"C{r}"], cells["paths", f"E{r}"]
        note = cells["paths", f"F{r}"]
        if "the sum is the gradient" in note:
            _close(total, grad, abs(grad) + 1e-3, f"paths sum in row {r}")


def test_the_paths_sheets_sums_are_the_gradients(recalculated: tuple[str, dict[str, Any]]) -> None:
    for name, (cells, root, path) in recalculated[1].items():
        if name == "random":
            _paths_sums_match(cells, root, path)


def test_a_changed_leaf_recomputes_everything_downstream(
        recalculated: tuple[str, dict[str, Any]]) -> None:
    results = recalculated[1]
    for name in ("neuron_changed", "neuron_stale"):
        if name in results:
            cells, root, _ = results[name]
            assert_sheet_matches(cells, root)
            assert cells["graph", "D4"] != 12345


def test_exercise_checks_turn_green_for_right_entries_only(
        recalculated: tuple[str, dict[str, Any]]) -> None:
    cells, (_root, entries), path = recalculated[1]["exercise_filled"]
    verdict = {"full": "✓ right", "rounded": "✓ right", "wrong": "✗ not yet",
               "sign": "✗ not yet", "text": None, "blank": None}
    for ref, kind in entries.items():
        if ref.startswith("E"):
            got = cells["graph", f"F{ref[1:]}"]
            assert (got or None) == verdict[kind], (ref, kind, got)
    probe = openpyxl.load_workbook(path)["probe"]
    colours = {"C6EFCE": "right", "FFC7CE": "wrong"}
    seen = set()
    for r in range(1, probe.max_row + 1):
        ref, colour = probe.cell(r, 1).value, probe.cell(r, 2).value
        lit = cells["probe", f"C{r}"]
        kind = entries[ref]
        expect = {"full": "right", "rounded": "right", "wrong": "wrong", "sign": "wrong",
                  "text": None, "blank": None}[kind]
        assert bool(lit) == (colours[colour] == expect), (ref, kind, colour, lit)
        seen.add((ref[0], expect))
    assert {("E", "right"), ("E", "wrong"), ("G", "right"), ("G", "wrong")} <= seen


def test_the_sheets_answer_hash_is_pythons_over_the_range_of_doubles(
        recalculated: tuple[str, dict[str, Any]]) -> None:
    cells, expected, _ = recalculated[1]["codes"]
    for r, (x, accepted) in enumerate(expected, 1):
        assert cells["sheet", f"B{r}"] == accepted[1], (x, cells["sheet", f"B{r}"], accepted)


def test_hostile_labels_read_back_as_the_same_text(
        recalculated: tuple[str, dict[str, Any]]) -> None:
    cells, _, _ = recalculated[1]["hostile"]
    assert [cells["graph", f"A{r}"] for r in range(2, 2 + 2 * len(HOSTILE), 2)] == HOSTILE
    assert cells["graph", "D2"] == 0.5  # the numbers beside them computed as usual
    texts = [v for (sheet, _), v in cells.values.items() if isinstance(v, str)]
    assert not any(t in ("click", "2", "1", "#NAME?", "Err:508") for t in texts)


@needs_soffice
def test_operator_precedence_is_what_the_formulas_say(
        recalculated: tuple[str, dict[str, Any]]) -> None:
    if "precedence" not in recalculated[1]:
        pytest.skip("LibreOffice only")
    cells, expected, _ = recalculated[1]["precedence"]
    for ref, value, size in expected:
        _close(cells["graph", ref], value, size, ref)
