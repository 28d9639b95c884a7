"""The op tests' generator: everything a test needs to try any row of ``autograd.rules.ROWS`` —
a row registered at run time too — read from the row itself. A new op needs no edit here.

* ``operands(rule)``: sample points for its Value operands, spread over its domain's intervals;
* ``make(rule, values)``: the node as users make it: the operator they write (``x + y``,
  ``2.0 ** x``) for the rows that have one, else the Value method (``x.cosh()``), else the row;
* ``sympy_forward(rule, symbols)``: the row's own forward written out by sympy, whose
  derivatives are the oracle for the rates (sympy differentiates; the row's partials are ours);
* ``check_row(rule)``: the generated checks, run for every row by ``test_rows.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import sympy as sp

from pathgrad.autograd import Value, grad, jvp, sum_values, weighted_sum
from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.rules import FLOAT_MATH, MathNamespace, Rule
from pathgrad.autograd.value import _apply
from pathgrad.autograd.value_math import VALUE_MATH

# The rows users reach through an operator (or a function of several Values): the spelling of
# each. Any other row is reached as its Value method or, if it has none, as the row itself.
OPERATORS: dict[str, Callable[[Sequence[Value], float | None], Value]] = {
    "add": lambda v, c: v[0] + v[1],
    "sub": lambda v, c: v[0] - v[1],
    "mul": lambda v, c: v[0] * v[1],
    "div": lambda v, c: v[0] / v[1],
    "pow": lambda v, c: v[0] ** v[1],
    "add_c": lambda v, c: v[0] + c,
    "sub_c": lambda v, c: v[0] - c,
    "rsub_c": lambda v, c: c - v[0],
    "mul_c": lambda v, c: v[0] * c,
    "div_c": lambda v, c: v[0] / c,
    "rdiv_c": lambda v, c: c / v[0],
    "pow_c": lambda v, c: v[0] ** c,
    "rpow_c": lambda v, c: c ** v[0],
    "neg": lambda v, c: -v[0],
    "abs": lambda v, c: abs(v[0]),
    "wsum": lambda v, c: weighted_sum(v[: len(v) // 2], v[len(v) // 2 : -1], v[-1]),
    "sum": lambda v, c: sum_values(v),
}


def arity(rule: Rule) -> int:
    """How many Value operands a sample of ``rule`` has."""
    return rule.n_values if rule.n_values is not None else rule.domain.arity


def constant(rule: Rule) -> float | None:
    """The constant operand the samples use (None for a row without one)."""
    return rule.domain.consts[0] if rule.n_consts else None


def operands(rule: Rule, n_points: int = 3) -> list[tuple[float, ...]]:
    """``n_points`` samples of the Value operands, each inside its interval (never its ends nor
    its middle, so a kink at 0 of a symmetric interval is not hit)."""
    fractions = [0.13, 0.71, 0.38, 0.92, 0.57][:n_points]
    samples = []
    for i, t in enumerate(fractions):
        point = []
        for k in range(arity(rule)):
            lo, hi = rule.domain.interval(k)
            point.append(lo + (hi - lo) * ((t + 0.29 * (k + i)) % 1.0 * 0.9 + 0.05))
        samples.append(tuple(point))
    return samples


def make(rule: Rule, values: Sequence[Value], const: float | None = None) -> Value:
    """The node of ``rule`` on ``values``, made the way users make it."""
    if rule.name in OPERATORS:
        return OPERATORS[rule.name](values, const)
    if rule.n_values == 1 and rule.n_consts == 0 and hasattr(Value, rule.name):
        method: Callable[[Value], Value] = getattr(Value, rule.name)
        return method(values[0])
    return _apply(rule, tuple(values), const)


def squashed(rule: Rule, k: int, v: Value) -> Value:
    """``v`` (any number) mapped smoothly into the interval of operand ``k``: a graph node."""
    lo, hi = rule.domain.interval(k)
    return v.sigmoid() * (hi - lo) + lo


def _where(condition: Any, a: Any, b: Any) -> Any:
    return sp.Piecewise((a, condition), (b, True))


SYMPY_MATH = MathNamespace(
    sp, None, abs=sp.Abs, where=_where, maximum=sp.Max,
    log1p=lambda x: sp.log(1 + x), xlogy=lambda o, x: o * sp.log(x),
    powgrad=lambda x, c: c * x ** (c - 1),
)
"""The rows' math namespace on sympy expressions: a row's forward becomes a formula."""


def sympy_forward(rule: Rule, symbols: Sequence[sp.Symbol]) -> Any:
    """The row's forward as a sympy expression of ``symbols`` (and its sample constant)."""
    args: list[Any] = list(symbols)
    if rule.n_consts:
        args.append(sp.Float(constant(rule), 30))
    return rule.forward(SYMPY_MATH, *args)


def _at(expr: Any, subs: dict[sp.Symbol, sp.Float]) -> float:
    return float(sp.N(expr.subs(subs), 30))


def check_row(rule: Rule, rel: float = 1e-11) -> None:
    """A row's value, rates and second derivatives against sympy, on floats, Values (create_graph)
    and numpy arrays, and jvp's directional derivative, at the samples of its domain."""
    symbols = sp.symbols(f"x0:{arity(rule)}", real=True)
    expr = sympy_forward(rule, symbols)
    firsts = [sp.diff(expr, s) for s in symbols]
    c = constant(rule)
    for point in operands(rule):
        subs = {s: sp.Float(p, 30) for s, p in zip(symbols, point)}
        values = [Value(p) for p in point]
        node = make(rule, values, c)
        assert node.op == rule.name and node.parents == tuple(values)
        assert node.data == pytest.approx(_at(expr, subs), rel=1e-13, abs=1e-300)
        want = [_at(d, subs) for d in firsts]
        assert node.local_grads == pytest.approx(want, rel=rel, abs=1e-300)
        args = (*point, *([c] if c is not None else []))
        rates = rule.partials(NUMPY_MATH, np.asarray(node.data), *map(np.asarray, args))
        assert [float(r) for r in rates] == pytest.approx(want, rel=rel, abs=1e-300)
        assert rule.partials(FLOAT_MATH, node.data, *args) == pytest.approx(want, rel=1e-15)
        _check_create_graph(rule, node, values, symbols, firsts, subs, rel)
        tangents = [0.5 - 0.3 * k for k in range(len(point))]
        d = jvp(lambda *xs: make(rule, xs, c), list(point), tangents)
        assert float(d) == pytest.approx(sum(w * t for w, t in zip(want, tangents)),
                                         rel=rel, abs=1e-12)


def _check_create_graph(rule: Rule, node: Value, values: list[Value], symbols: Sequence[Any],
                        firsts: list[Any], subs: dict[Any, Any], rel: float) -> None:
    vargs = (*values, *([constant(rule)] if rule.n_consts else []))
    as_values = rule.partials(VALUE_MATH, node, *vargs)
    numbers = [r.data if isinstance(r, Value) else r for r in as_values]
    assert numbers == pytest.approx(node.local_grads, rel=1e-13, abs=1e-300)
    for i, dg in enumerate(grad(node, values, create_graph=True)):
        if not isinstance(dg, Value):
            continue
        second = grad(dg, values)
        want = [_at(sp.diff(firsts[i], s), subs) for s in symbols]
        assert second == pytest.approx(want, rel=rel, abs=1e-12), (rule.name, i)
