"""The README's recipe for a new op, followed once: ``atan`` added as one row and nothing else
(``math``, numpy, JAX and PyTorch all have a function of that name, which the math namespaces
find). It then works eagerly, with ``create_graph``, in ``jvp``, compiled (numpy and Python back
ends, and JAX and PyTorch where installed), in expressions, in ``paths`` formulas and in
pictures. Oracles: sympy's derivatives of atan."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import sympy as sp

from pathgrad.autograd import ROWS, Value, compile, grad, jvp, paths
from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.expr import parse
from pathgrad.autograd.rules import FLOAT_MATH, Rule, register
from pathgrad.autograd.value import VALUE_MATH

X = sp.Symbol("x", real=True)
POINTS = [-2.5, -0.3, 0.0, 0.7, 4.0]


def _d(n: int, x: float) -> float:
    return float(sp.diff(sp.atan(X), X, n).subs(X, sp.Float(x, 30)))


@pytest.fixture
def atan() -> Iterator[Rule]:
    # The recipe: the row (and a namespace function only where a library lacks one by its name)
    row = Rule(
        "atan",
        lambda m, x: m.atan(x),
        lambda m, o, x: (1.0 / (1.0 + x * x),),
        1,
        symbol="atan",
        micrograd="atan",
        rate_text=("1/(1+{x:^2})",),
    )
    register(row)
    yield row
    del ROWS["atan"]
    delattr(Value, "atan")
    for namespace in (VALUE_MATH, FLOAT_MATH, NUMPY_MATH):  # given to them by register
        vars(namespace).pop("atan", None)


def test_eager_value_and_rate(atan: Rule) -> None:
    for p in POINTS:
        x = Value(p)
        y = x.atan()
        y.backward()
        assert y.data == pytest.approx(math.atan(p), rel=1e-15, abs=1e-300)
        assert x.grad == pytest.approx(_d(1, p), rel=1e-14)
        assert (y.op, y._op, y.parents) == ("atan", "atan", (x,))


def test_create_graph_gives_second_derivatives(atan: Rule) -> None:
    for p in POINTS:
        x = Value(p)
        (d1,) = grad(x.atan() * 3.0, [x], create_graph=True)
        (d2,) = grad(d1, [x])
        assert d1.data == pytest.approx(3 * _d(1, p), rel=1e-14)
        assert d2 == pytest.approx(3 * _d(2, p), rel=1e-12, abs=1e-15)


def test_jvp(atan: Rule) -> None:
    d = jvp(lambda x, y: (x * y).atan(), [0.5, 2.0], [1.0, -1.0])
    want = (2.0 - 0.5) / (1.0 + 1.0)  # (y·tx + x·ty) / (1 + (xy)²) at xy = 1
    assert d == pytest.approx(want, rel=1e-15) and d.value == pytest.approx(math.pi / 4)


@pytest.mark.parametrize("backend", ["numpy", "python", "jax", "torch"])
def test_compiled_replay_matches_the_closed_form(atan: Rule, backend: str) -> None:
    if backend in ("jax", "torch"):
        pytest.importorskip(backend, reason=f"the {backend} extra is not installed")
    w = Value(0.8, label="w")
    step = compile(lambda x: (w * x).atan(), params=[w], backend=backend)
    xs = np.array(POINTS)
    loss, (gw,) = step.value_and_grad(xs, reduction="sum")
    assert loss == pytest.approx(sum(math.atan(0.8 * x) for x in POINTS), rel=1e-14)
    assert gw == pytest.approx(sum(x * _d(1, 0.8 * x) for x in POINTS), rel=1e-13)


def test_expressions_call_it(atan: Rule) -> None:
    v = parse("y = atan(2*x)").evaluate({"x": 0.25})
    assert v["y"].data == pytest.approx(math.atan(0.5), rel=1e-15) and v["y"].op == "atan"


def test_paths_formula_and_picture(atan: Rule) -> None:
    x = Value(0.5, label="x")
    y = x.atan(); y.label = "y"  # noqa: E702
    (p,) = paths(y, x)
    assert str(p) == "∂y/∂x = 1/(1+x²) = 0.80"
    assert p.product == pytest.approx(_d(1, 0.5))
    viz = pytest.importorskip("pathgrad.viz")
    source = viz.draw_dot(y).source
    assert "label=atan" in source  # the op node shows the row's symbol
    assert "label=0.8 " in source and "∂y/∂x = 0.8" in source  # the edge: its rate factor


def test_a_function_no_library_has_is_named() -> None:
    row = register(Rule("frob", lambda m, x: m.frob(x), lambda m, o, x: (1.0,), 1))
    try:
        with pytest.raises(AttributeError, match="over math has no function 'frob'"):
            Value(0.5).frob()
        with pytest.raises(AttributeError, match="over numpy has no function 'frob'"):
            row.forward(NUMPY_MATH, np.zeros(2))
    finally:
        del ROWS["frob"]
        delattr(Value, "frob")
        for namespace in (VALUE_MATH, FLOAT_MATH, NUMPY_MATH):
            vars(namespace).pop("frob", None)
