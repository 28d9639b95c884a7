"""Every op's value and derivative against independent oracles: sympy, mpmath, micrograd."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp
from op_table import constant, make, operands

from pathgrad.autograd import ROWS, Value, grad

X, Y = sp.symbols("x y", real=True)

# name -> (pathgrad function of Values, sympy expression, sample points (x, y))
POINTS_POS = [0.05, 0.3, 0.9, 1.7, 3.2, 1e-6, 25.0]
POINTS_ANY = [-3.1, -1.0, -0.2, 0.05, 0.7, 2.5, 1e-7, -1e-7]
UNARY = {
    "neg": (lambda x: -x, -X, POINTS_ANY),
    "abs": (lambda x: abs(x), sp.Abs(X), POINTS_ANY),
    "exp": (lambda x: x.exp(), sp.exp(X), [*POINTS_ANY, 50.0, -700.0]),
    "log": (lambda x: x.log(), sp.log(X), POINTS_POS),
    "sqrt": (lambda x: x.sqrt(), sp.sqrt(X), POINTS_POS),
    "tanh": (lambda x: x.tanh(), sp.tanh(X), [*POINTS_ANY, 19.0, -19.0]),
    "sigmoid": (lambda x: x.sigmoid(), 1 / (1 + sp.exp(-X)), [*POINTS_ANY, 30.0, -30.0]),
    "relu": (lambda x: x.relu(), sp.Piecewise((X, X > 0), (0, True)), POINTS_ANY),
    "softplus": (lambda x: x.softplus(), sp.log(1 + sp.exp(X)), [*POINTS_ANY, 30.0, -30.0]),
    "sin": (lambda x: x.sin(), sp.sin(X), POINTS_ANY),
    "cos": (lambda x: x.cos(), sp.cos(X), POINTS_ANY),
    "add_c": (lambda x: x + 2.5, X + 2.5, POINTS_ANY),
    "radd_c": (lambda x: 2.5 + x, X + 2.5, POINTS_ANY),
    "sub_c": (lambda x: x - 2.5, X - 2.5, POINTS_ANY),
    "rsub_c": (lambda x: 1 - x, 1 - X, POINTS_ANY),
    "mul_c": (lambda x: x * 0.999, X * sp.Float(0.999, 30), POINTS_ANY),
    "rmul_c": (lambda x: 2 * x, 2 * X, POINTS_ANY),
    "div_c": (lambda x: x / 3.0, X / 3, POINTS_ANY),
    "rdiv_c": (lambda x: 1 / x, 1 / X, POINTS_ANY),
    "pow_c": (lambda x: x**3, X**3, POINTS_ANY),
    "pow_c_frac": (lambda x: x**0.5, sp.sqrt(X), POINTS_POS),
    "pow_c_neg": (lambda x: x**-2, X**-2, POINTS_ANY),
    "rpow_c": (lambda x: 2**x, 2**X, POINTS_ANY),
}
BINARY = {
    "add": (lambda x, y: x + y, X + Y),
    "sub": (lambda x, y: x - y, X - Y),
    "mul": (lambda x, y: x * y, X * Y),
    "div": (lambda x, y: x / y, X / Y),
    "pow": (lambda x, y: x**y, X**Y),
}
BINARY_POINTS = [(0.3, 1.7), (2.0, -0.5), (1.5, 3.0), (0.9, 0.01), (4.0, 2.5)]


def _close(a: float, b: float, rel: float = 1e-12, abs_: float = 1e-300) -> bool:
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_value_and_derivative_match_sympy(name: str) -> None:
    f, expr, points = UNARY[name]
    dexpr = sp.diff(expr, X)
    for p in points:
        x = Value(p)
        y = f(x)
        y.backward()
        want = float(expr.subs(X, sp.Float(p, 40)).evalf(30))
        dwant = float(dexpr.subs(X, sp.Float(p, 40)).evalf(30))
        assert _close(y.data, want, 1e-14, 1e-300), (name, p, y.data, want)
        assert _close(x.grad, dwant, 1e-12, 1e-300), (name, p, x.grad, dwant)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_value_and_derivatives_match_sympy(name: str) -> None:
    f, expr = BINARY[name]
    dx, dy = sp.diff(expr, X), sp.diff(expr, Y)
    for px, py in BINARY_POINTS:
        x, y = Value(px), Value(py)
        out = f(x, y)
        out.backward()
        subs = {X: sp.Float(px, 40), Y: sp.Float(py, 40)}
        assert _close(out.data, float(expr.subs(subs).evalf(30)), 1e-14)
        assert _close(x.grad, float(dx.subs(subs).evalf(30)))
        assert _close(y.grad, float(dy.subs(subs).evalf(30)))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_derivative_matches_mpmath_finite_differences(name: str) -> None:
    f, _, points = UNARY[name]
    mpmath.mp.dps = 50
    fm = {
        "neg": lambda t: -t,
        "abs": abs,
        "exp": mpmath.exp,
        "log": mpmath.log,
        "sqrt": mpmath.sqrt,
        "tanh": mpmath.tanh,
        "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)),
        "relu": lambda t: t if t > 0 else mpmath.mpf(0),
        "softplus": lambda t: mpmath.log1p(mpmath.exp(t)),
        "sin": mpmath.sin,
        "cos": mpmath.cos,
        "add_c": lambda t: t + 2.5,
        "radd_c": lambda t: t + 2.5,
        "sub_c": lambda t: t - 2.5,
        "rsub_c": lambda t: 1 - t,
        "mul_c": lambda t: t * mpmath.mpf(0.999),
        "rmul_c": lambda t: 2 * t,
        "div_c": lambda t: t / 3,
        "rdiv_c": lambda t: 1 / t,
        "pow_c": lambda t: t**3,
        "pow_c_frac": mpmath.sqrt,
        "pow_c_neg": lambda t: t**-2,
        "rpow_c": lambda t: mpmath.power(2, t),
    }[name]
    for p in points:
        if name in ("abs", "relu") and abs(p) < 1e-6:
            continue  # the kink: finite differences straddle it; tested on its own below
        x = Value(p)
        f(x).backward()
        h = mpmath.mpf(abs(p)) * mpmath.mpf("1e-20") + mpmath.mpf("1e-30")
        want = mpmath.diff(fm, mpmath.mpf(p), h=h)
        assert _close(x.grad, float(want), 1e-10, 1e-300), (name, p, x.grad, want)


def test_kinks_take_zero() -> None:
    for f in (lambda x: x.relu(), lambda x: abs(x)):
        x = Value(0.0)
        f(x).backward()
        assert x.grad == 0.0
    x = Value(-0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_pow_with_value_exponent_at_zero_base_is_flat_in_the_exponent() -> None:
    b, e = Value(0.0), Value(2.0)
    assert grad(b**e, [b, e]) == [0.0, 0.0]


MICROGRAD_CASES = [
    lambda a, b: a * b + b**3,
    lambda a, b: (a - b).relu() * a,
    lambda a, b: a / b - 2 * a,
    lambda a, b: (a * a + b * -1.5).relu() + (a + b) ** 2,
    lambda a, b: 3 - a + 1 / b,
]


@pytest.mark.parametrize("case", range(len(MICROGRAD_CASES)))
def test_micrograd_ops_give_micrograd_numbers(case: int) -> None:
    from micrograd.engine import Value as MValue

    f = MICROGRAD_CASES[case]
    for pa, pb in [(0.7, -1.3), (2.0, 0.5), (-0.4, 1.9)]:
        a, b = Value(pa), Value(pb)
        ma, mb = MValue(pa), MValue(pb)
        y, my = f(a, b), f(ma, mb)
        y.backward()
        my.backward()
        assert _close(y.data, my.data, 1e-14)
        assert _close(a.grad, ma.grad, 1e-12) and _close(b.grad, mb.grad, 1e-12)


def test_micrograd_lecture_code_runs() -> None:
    # From micrograd's README, as written for micrograd.
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"
    assert isinstance(g._prev, set) and g._op == "+" and g.op == "add"


def test_every_table_row_is_reachable_from_value() -> None:
    for rule in ROWS.values():
        values = [Value(p) for p in operands(rule, 1)[0]]
        assert make(rule, values, constant(rule)).op == rule.name
    assert math.isclose(Value(2.0).sigmoid().data, 1 / (1 + math.exp(-2.0)))
