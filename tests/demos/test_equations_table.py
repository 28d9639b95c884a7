"""docs/equations.md maps each equation of the source texts to a function and a test: every
function named there must import and every test named there must exist."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

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


def test_every_row_names_a_function_and_a_test() -> None:
    rows = _rows()
    assert len(rows) >= 40
    for row in rows:
        cells = row.strip("|").split(" | ")
        assert len(cells) == 3, row
        assert FUNCTION.search(cells[1]), f"no function in: {row}"
        assert TEST.search(cells[2]), f"no test in: {row}"


@pytest.mark.parametrize("dotted", sorted({m for r in _rows() for m in FUNCTION.findall(r)}))
def test_named_function_exists(dotted: str) -> None:
    obj = _resolve(dotted)
    assert callable(obj) or isinstance(obj, property), f"{dotted} is not a function or class"


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


@pytest.mark.parametrize("path,name", sorted({t for r in _rows() for t in TEST.findall(r)}))
def test_named_test_exists(path: str, name: str) -> None:
    file = ROOT / path
    assert file.is_file(), f"{path} does not exist"
    assert name in _defined_tests(file), f"{path} has no {name}"


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
