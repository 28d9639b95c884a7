"""Issue 27's "Also": a name Python normalises is reported as written, ``fit`` refuses complex
numbers, and braces in a registered row's symbol are text in every picture and page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest

from pathgrad.autograd import ROWS, Value
from pathgrad.autograd.notation import NOTATION, Notation
from pathgrad.autograd.rules import Rule, register
from pathgrad.nn import MLP, fit, optim
from pathgrad.viz import cli, draw_dot, draw_paths, explore
from pathgrad.viz.expr import parse


def test_a_name_python_normalises_is_reported_as_written(capsys) -> None:
    assert parse("y = ℌ*2 + H").inputs == ("ℌ",)  # one name to Python (NFKC), spelled as first
    for at in ("ℌ=1", "H=1"):
        assert cli.main(["grad", "y = ℌ*2", "--at", at, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["gradients"] == {"y": {"ℌ": 2.0}}
    assert cli.main(["grad", "y = 𝑥**2", "--at", "x=3", "--wrt", "x"]) == 0
    assert "∂y/∂𝑥 = 6" in capsys.readouterr().out


def test_fit_refuses_complex_numbers() -> None:
    model = MLP(2, [1], seed=0)
    before = [p.data for p in model.parameters()]
    X = [[0.0, 1.0], [1.0, 0.0]]
    for xs, ys, what in ((X, [1 + 2j, 1j], "y"), (X, np.array([1 + 0j, 0j]), "y"),
                         ([[0.0, 1j], [1.0, 0.0]], [1.0, 0.0], "X"),
                         (np.array([[0.0, 1j], [1.0, 0.0]]), [1.0, 0.0], "X")):
        with pytest.raises(TypeError, match=f"{what} must hold real numbers"):
            fit(model, xs, ys, "squared_error", optim.SGD(model.parameters(), lr=0.1),
                epochs=1, verbose=False)
    assert [p.data for p in model.parameters()] == before


@pytest.fixture
def braces() -> Iterator[str]:
    register(Rule("twice", lambda m, x: x * 2.0, lambda m, o, x: (2.0,), 1))
    NOTATION["twice"] = Notation("twice", symbol="{}{0}{x")
    yield "{}{0}{x"
    del ROWS["twice"], NOTATION["twice"]
    delattr(Value, "twice")


def test_braces_in_a_rows_symbol_are_text(braces: str, tmp_path) -> None:
    x = Value(0.5, label="x")
    y = x.twice().tanh()  # type: ignore[attr-defined]
    y.label = "y"
    y.backward()
    assert f"{braces}(x)" in draw_paths(y, x).source
    assert braces in draw_dot(y).source
    page = explore(y, tmp_path / "p.html", wrt=x).read_text(encoding="utf-8")
    blob = json.loads(page.split('id="pathgrad-scene">', 1)[1].split("</script>", 1)[0])
    assert braces in json.dumps(blob, ensure_ascii=False)  # the page names the op as written
