"""docs/equations.md maps each equation of the source texts to a function and a test: every
function named there must import and every test named there must exist."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "equations.md"
FUNCTION = re.compile(r"`(pathgrad\.(?:autograd|nn|viz|demos)(?:\.[A-Za-z_][A-Za-z_0-9]*)+)`")
TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
# An equation number in a row's first cell: "(23)", "(36)–(39)", "R(46)", "R(36)–R(38)"; not
# a function's argument such as "f(2)".
NUMBER = re.compile(r"(?<![^\s,;(–/])(R?)\((\d+)\)(?:–R?\((\d+)\))?")
# The numbers the seeds print: Nielsen ch. 2 (nielsen-ch2-backpropagation.txt) has (23)–(53)
# without (40) and (41); the restatement (backpropagation-four-equations.txt) tags (34)–(57).
NIELSEN = set(range(23, 54)) - {40, 41}
RESTATEMENT = set(range(34, 58))


def _rows() -> list[str]:
    return [line for line in TABLE.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and not line.startswith("| Equation")]


def _resolve(dotted: str) -> object:
    """Attributes first (``autograd.paths`` is the function the package exports), then
    submodules (``nn.matrix``)."""
    parts = dotted.split(".")
    obj: object = importlib.import_module(parts[0])
    for i, name in enumerate(parts[1:], start=1):
        if hasattr(obj, name):
            obj = getattr(obj, name)
        else:
            obj = importlib.import_module(".".join(parts[: i + 1]))
    return obj


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _problems(row: str) -> list[str]:
    """What is wrong with one row of the table: its shape, a function that does not import or
    is not callable, a test file or test that does not exist."""
    cells = row.strip("|").split(" | ")
    if len(cells) != 3:
        return [f"not three cells: {row}"]
    found = []
    functions, tests = FUNCTION.findall(cells[1]), TEST.findall(cells[2])
    if not functions:
        found.append(f"no function in: {row}")
    if not tests:
        found.append(f"no test in: {row}")
    for dotted in functions:
        try:
            obj = _resolve(dotted)
        except (ImportError, AttributeError) as error:
            found.append(f"{dotted} does not import: {error}")
            continue
        if not (callable(obj) or isinstance(obj, property)):
            found.append(f"{dotted} is not a function or class")
    for path, name in tests:
        file = ROOT / path
        if not file.is_file():
            found.append(f"{path} does not exist")
        elif name not in _defined_tests(file):
            found.append(f"{path} has no {name}")
    return found


def test_every_row_names_functions_that_import_and_tests_that_exist() -> None:
    rows = _rows()
    assert len(rows) >= 40
    problems = [p for row in rows for p in _problems(row)]
    assert problems == []


def test_equation_numbers_are_the_seeds_and_each_is_mapped() -> None:
    """A bare number is Nielsen's, R(n) the restatement's: each must be one its text prints
    (no numbers from memory of other chapters), and every number of both texts has a row."""
    seen: dict[str, set[int]] = {"": set(), "R": set()}
    for row in _rows():
        first = row.strip("|").split(" | ")[0]
        for prefix, start, end in NUMBER.findall(first):
            seen[prefix].update(range(int(start), int(end or start) + 1))
    assert seen[""] <= NIELSEN, f"not in Nielsen's chapter 2: {sorted(seen[''] - NIELSEN)}"
    assert seen["R"] <= RESTATEMENT, f"not in the restatement: {sorted(seen['R'] - RESTATEMENT)}"
    assert NIELSEN - seen[""] == set(), f"Nielsen's equations without a row: {NIELSEN - seen['']}"
    missing = RESTATEMENT - seen["R"]
    assert missing == set(), f"the restatement's equations without a row: {sorted(missing)}"
