"""The README's recipe for a new op, followed once: ``cosh`` added as one row through
``rules.register`` and nothing else — no notation, no namespace entry, no test table. Its rate
calls ``m.sinh``, which has no row: the namespaces find ``sinh`` by name in their libraries, and
on Values ``create_graph`` differentiates it by a complex step. It then works eagerly, with
``create_graph``, in ``jvp``, compiled (numpy and Python back ends, JAX and PyTorch where
installed), in expressions, in ``paths`` formulas and in pictures, and passes the generated op
tests. Oracles: sympy's derivatives of cosh."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import sympy as sp
from op_table import check_row

from pathgrad.autograd import ROWS, Value, compile, grad, jvp, paths
from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.rules import FLOAT_MATH, Rule, register
from pathgrad.autograd.value_math import VALUE_MATH
from pathgrad.viz.expr import parse

X = sp.Symbol("x", real=True)
POINTS = [-2.5, -0.3, 0.0, 0.7, 4.0]


def _d(n: int, x: float) -> float:
    return float(sp.diff(sp.cosh(X), X, n).subs(X, sp.Float(x, 30)))


@pytest.fixture
def cosh() -> Iterator[Rule]:
    # The recipe: one row, its math only
    row = register(Rule("cosh", lambda m, x: m.cosh(x), lambda m, o, x: (m.sinh(x),), 1))
    yield row
    del ROWS["cosh"]
    delattr(Value, "cosh")
    for namespace in (VALUE_MATH, FLOAT_MATH, NUMPY_MATH):  # taken from the libraries on use
        for name in ("cosh", "sinh"):
            vars(namespace).pop(name, None)


def test_eager_value_and_rate(cosh: Rule) -> None:
    for p in POINTS:
        x = Value(p)
        y = x.cosh()
        y.backward()
        assert y.data == pytest.approx(math.cosh(p), rel=1e-15)
        assert x.grad == pytest.approx(_d(1, p), rel=1e-14, abs=1e-300)
        assert (y.op, y._op, y.parents) == ("cosh", "cosh", (x,))


def test_create_graph_gives_second_derivatives(cosh: Rule) -> None:
    for p in POINTS:
        x = Value(p)
        (d1,) = grad(x.cosh() * 3.0, [x], create_graph=True)
        (d2,) = grad(d1, [x])
        assert d1.data == pytest.approx(3 * _d(1, p), rel=1e-14, abs=1e-300)
        assert d2 == pytest.approx(3 * _d(2, p), rel=1e-14)


def test_a_third_derivative_through_a_function_without_a_row_is_refused(cosh: Rule) -> None:
    # d1 = sinh(x) as a graph; its derivative as a graph (for a third) would need sinh's own
    # rate as a graph: only a row gives that. The number is fine (test above).
    x = Value(0.7)
    (d1,) = grad(x.cosh(), [x], create_graph=True)
    with pytest.raises(ValueError, match=r"third derivative through 'sinh'.*register a row"):
        grad(d1, [x], create_graph=True)


def test_jvp(cosh: Rule) -> None:
    d = jvp(lambda x, y: (x * y).cosh(), [0.5, 2.0], [1.0, -1.0])
    want = math.sinh(1.0) * (2.0 - 0.5)  # sinh(xy) · (y·tx + x·ty)
    assert d == pytest.approx(want, rel=1e-15) and d.value == pytest.approx(math.cosh(1.0))


@pytest.mark.parametrize("backend", ["numpy", "python", "numba", "jax", "torch"])
def test_compiled_replay_matches_the_closed_form(cosh: Rule, backend: str) -> None:
    if backend in ("jax", "torch", "numba"):
        pytest.importorskip(backend, reason=f"the {backend} extra is not installed")
    w = Value(0.8, label="w")
    step = compile(lambda x: (w * x).cosh(), params=[w], backend=backend)
    xs = np.array(POINTS)
    loss, (gw,) = step.value_and_grad(xs, reduction="sum")
    assert loss == pytest.approx(sum(math.cosh(0.8 * x) for x in POINTS), rel=1e-14)
    assert gw == pytest.approx(sum(x * _d(1, 0.8 * x) for x in POINTS), rel=1e-13)
    if backend == "numba":  # an interpreter of the tape's two ops, which serves any subset
        from pathgrad.autograd.compiler import replay_numba

        _, codes, source = replay_numba.kernel({"cosh"})
        assert codes == {"cosh": 0, "mul": 1} and step.source["numba"] == source


def test_expressions_call_it(cosh: Rule) -> None:
    v = parse("y = cosh(2*x)").evaluate({"x": 0.25})
    assert v["y"].data == pytest.approx(math.cosh(0.5), rel=1e-15) and v["y"].op == "cosh"
    v["y"].backward()
    assert v["x"].grad == pytest.approx(2 * math.sinh(0.5), rel=1e-15)


def test_paths_formula_and_picture(cosh: Rule) -> None:
    x = Value(0.5, label="x")
    y = x.cosh(); y.label = "y"  # noqa: E702
    (p,) = paths(y, x)
    assert str(p) == "∂y/∂x = ∂y/∂x = 0.52"  # a row without notation names its rate ∂y/∂x
    assert p.product == pytest.approx(_d(1, 0.5))
    viz = pytest.importorskip("pathgrad.viz")
    source = viz.draw_dot(y).source
    assert "label=cosh" in source  # the op node shows the row's name
    assert "label=0.5211 " in source and "∂y/∂x = 0.5210953" in source  # the edge: its rate factor


def test_the_generated_op_tests_take_it(cosh: Rule) -> None:
    check_row(cosh)


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
