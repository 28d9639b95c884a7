"""The playground's Python side: what the page is given, bad input refused before anything is
written, the ``pathgrad playground`` command and the widget's model. (The page itself is tested
in Chromium: test_playground_browser.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pathgrad.autograd import Value
from pathgrad.nn import MLP, data, optim
from pathgrad.viz import playground
from pathgrad.viz.cli import main
from pathgrad.viz.playground import build_spec

X, Y = data.moons(30, noise=0.1, seed=3, signed=True)


def _model() -> MLP:
    return MLP(2, [5, 1], seed=0)


class Branchy:
    """A model whose Python control flow reads the data: no one recorded step can train it."""

    def __init__(self) -> None:
        self.w = Value(0.5, label="w")

    def parameters(self) -> list[Value]:
        return [self.w]

    def __call__(self, x: list[Value]) -> Value:
        x = [v if isinstance(v, Value) else Value(v) for v in x]
        return self.w * x[0] if x[0].data > 0 else self.w * x[1]


@pytest.mark.parametrize("call,error,message", [
    (lambda p: playground(_model(), X, Y, p, loss="max_margin"), None, None),
    (lambda p: playground(_model(), np.where(X > 1, np.nan, X), Y, p), ValueError,
     "X contains nan or inf"),
    (lambda p: playground(_model(), X, (Y + 1) // 2, p), ValueError,
     "max_margin needs labels -1 and +1, y contains 0.0"),
    (lambda p: playground(MLP(2, [3, 2], seed=0), X, Y + 5, p, loss="cross_entropy"),
     ValueError, "class index 6.0 is not in [0, 2)"),
    (lambda p: playground(_model(), X, Y, p, optimizer="rmsprop"), ValueError, "'rmsprop'"),
    (lambda p: playground(_model(), X, Y, p, lr=float("nan")), ValueError, "lr must be"),
    (lambda p: playground(_model(), X, Y, p, l2=-1.0), ValueError, "l2 must be"),
    (lambda p: playground(_model(), X, Y, p, batch_size=0), ValueError, "batch_size"),
    (lambda p: playground(_model(), X, Y, p, seed=-2), ValueError, "seed"),
    (lambda p: playground(_model(), X[:, :1], Y, p), ValueError, "expects inputs of length 2"),
    (lambda p: playground(Branchy(), X, Y, p), ValueError, "different graph for example"),
    (lambda p: playground("mlp", X, Y, p), TypeError, "needs an nn model"),
])
def test_bad_input_is_refused_and_nothing_is_written(tmp_path: Path, call: Any, error: Any,
                                                     message: str | None) -> None:
    target = tmp_path / "page.html"
    if error is None:
        assert call(target) == target and target.read_text(encoding="utf-8").startswith(
            "<!DOCTYPE html>")
        return
    target.write_text("the old page", encoding="utf-8")
    with pytest.raises(error, match=re.escape(message)):
        call(target)
    assert target.read_text(encoding="utf-8") == "the old page"


def test_the_target_must_be_a_page_in_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"should end in \.html"):
        playground(_model(), X, Y, tmp_path / "page.txt")
    with pytest.raises(FileNotFoundError, match="no directory"):
        playground(_model(), X, Y, tmp_path / "nowhere" / "page.html")


def test_the_spec_holds_what_the_page_needs() -> None:
    model = _model()
    spec = build_spec(model, X, Y, optimizer=optim.Adam(model.parameters(), lr=0.03),
                      batch_size=8, seed=11)
    assert spec["optimizer"] == {"kind": "adam", "betas": [0.9, 0.999], "eps": 1e-8,
                                 "weight_decay": 0.0}
    assert spec["lr"] == 0.03 and spec["batch_size"] == 8
    assert spec["theta"] == [p.data for p in model.parameters()]
    state = np.random.default_rng(11).bit_generator.state["state"]
    assert (int(spec["rng"]["state"]), int(spec["rng"]["inc"])) == (state["state"],
                                                                     state["inc"])
    flat = [p.data for p in model.parameters()]
    rebuilt = {name: np.array([flat[j] for j in idx]).reshape(shape).tolist()
               for name, shape, idx in spec["tensors"]}
    assert rebuilt == model.state_dict()
    assert [n["title"] for n in spec["neurons"]] == [f"a2[{j}]" for j in range(5)]
    json.dumps(spec, allow_nan=False)  # the page's JSON has no nan or inf


def test_inputs_that_are_not_2d_have_no_plane() -> None:
    X3 = np.random.default_rng(1).normal(size=(12, 3))
    spec = build_spec(MLP(3, [4, 1], seed=0), X3, np.sign(X3[:, 0]))
    assert spec["plane"] is None and spec["neurons"] == []
    assert spec["graph"]["scene"] is not None  # the traced example still has its graph


def test_the_command_writes_micrograds_demo_and_refuses_what_does_not_fit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "demo.html"
    assert main(["playground", "-o", str(page), "--n", "40"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {page}"
    text = page.read_text(encoding="utf-8")
    assert "MLP(2, [16, 16, 1]), max_margin" in text
    assert main(["playground", "spirals", "--classes", "3", "-o", str(page)]) == 2
    assert "3 classes need --loss cross_entropy" in capsys.readouterr().err
    assert main(["playground", "-o", str(tmp_path / "demo.svg")]) == 2
    assert main(["playground", "--hidden", "4,x", "-o", str(page)]) == 2
    assert "layer sizes" in capsys.readouterr().err
    assert page.read_text(encoding="utf-8") == text


def test_the_widgets_model_takes_the_pages_parameters_and_refuses_others() -> None:
    from pathgrad.viz import Playground

    model = _model()
    widget = Playground(model, X, Y, lr=0.3)
    before = [p.data for p in model.parameters()]
    widget.parameters = [1.0]  # not this model's count: ignored
    widget.parameters = [float("nan")] * len(before)
    assert [p.data for p in model.parameters()] == before
    widget.parameters = [0.5] * len(before)
    assert [p.data for p in model.parameters()] == [0.5] * len(before)
