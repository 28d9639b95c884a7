"""create_graph=True: derivatives are graphs too, checked against sympy's second derivatives."""

from __future__ import annotations

import pytest
import sympy as sp

from pathgrad.autograd import Value, grad

X, Y = sp.symbols("x y", real=True)

CASES = [
    (lambda x, y: x * x * y, X * X * Y),
    (lambda x, y: (x * y).tanh(), sp.tanh(X * Y)),
    (lambda x, y: (x / y).sigmoid(), 1 / (1 + sp.exp(-X / Y))),
    (lambda x, y: x.exp() * y.sin() + x.log(), sp.exp(X) * sp.sin(Y) + sp.log(X)),
    (lambda x, y: x**y, X**Y),
    (lambda x, y: (x * x + y * y).sqrt(), sp.sqrt(X * X + Y * Y)),
    (lambda x, y: (x - y).softplus() * x.cos(), sp.log(1 + sp.exp(X - Y)) * sp.cos(X)),
    (lambda x, y: 2**x / y + 3 / x - y**3, 2**X / Y + 3 / X - Y**3),
    (lambda x, y: abs(x - y) * (x * y).relu(), sp.Abs(X - Y) * X * Y),
]
POINTS = [(0.7, 1.3), (1.9, 0.4), (2.5, 2.0)]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_hessian_entries_match_sympy(case: int) -> None:
    f, expr = CASES[case]
    for px, py in POINTS:
        x, y = Value(px), Value(py)
        out = f(x, y)
        gx, gy = grad(out, [x, y], create_graph=True)
        hxx, hxy = grad(gx, [x, y])
        hyx, hyy = grad(gy, [x, y])
        subs = {X: sp.Float(px, 40), Y: sp.Float(py, 40)}
        for got, (a, b) in [(hxx, (X, X)), (hxy, (X, Y)), (hyx, (Y, X)), (hyy, (Y, Y))]:
            want = float(sp.diff(expr, a, b).subs(subs).evalf(30))
            assert got == pytest.approx(want, rel=1e-10, abs=1e-12), (case, px, py, a, b)
        assert gx.data == pytest.approx(float(sp.diff(expr, X).subs(subs)), rel=1e-12)


def test_third_derivative_of_tanh() -> None:
    x = Value(0.3)
    (d1,) = grad(x.tanh(), [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    want = float(sp.diff(sp.tanh(X), X, 3).subs(X, sp.Float(0.3, 40)))
    assert d3 == pytest.approx(want, rel=1e-10)


def test_create_graph_leaves_grad_untouched_and_rates_match_stored() -> None:
    x = Value(1.1)
    y = (x * x).sin()
    (g,) = grad(y, [x], create_graph=True)
    assert x.grad == 0.0 and y.grad == 0.0
    assert g.data == pytest.approx(grad(y, [x])[0], rel=1e-15)
