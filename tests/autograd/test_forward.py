"""Forward mode: jvp equals grad · tangent, sympy's directional derivative and PyTorch's jvp."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from dag_strategies import OPS
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.autograd import Value, contributions, grad, jvp, no_grad, weighted_sum
from pathgrad.autograd.forward import JVP


@st.composite
def programs(draw: st.DrawFn) -> tuple[int, list[tuple[str, list[int]]], list[float], list[float]]:
    """A random straight-line program over n inputs (operands drawn from every earlier value,
    so sub-expressions are shared and one value can feed both operands of one op)."""
    n = draw(st.integers(1, 4))
    steps = []
    for i in range(draw(st.integers(1, 14))):
        name = draw(st.sampled_from(sorted(OPS)))
        arity = OPS[name][0]
        steps.append((name, [draw(st.integers(0, n + i - 1)) for _ in range(arity)]))
    point = draw(st.lists(st.floats(-1.5, 1.5), min_size=n, max_size=n))
    tangent = draw(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n))
    return n, steps, point, tangent


def run(steps: list[tuple[str, list[int]]], inputs: list, on: int = 1) -> object:
    values = list(inputs)
    for name, idx in steps:
        values.append(OPS[name][on](*(values[i] for i in idx)))
    return values[-1]


@settings(max_examples=60, deadline=None)
@given(programs())
def test_jvp_equals_grad_dot_tangent(program: tuple) -> None:
    _, steps, point, tangent = program
    leaves = [Value(p) for p in point]
    out = run(steps, leaves)
    assert isinstance(out, Value)
    g = grad(out, leaves)
    terms = [gi * ti for gi, ti in zip(g, tangent)]
    d = jvp(lambda *xs: run(steps, list(xs)), point, tangent)
    # the rounding scale: Σ over paths of |product| · |tangent| (paths may cancel inside a node)
    scale = math.fsum(contributions(out, x).abs_total * abs(t) for x, t in zip(leaves, tangent))
    assert abs(d - math.fsum(terms)) <= 1e-12 * max(scale, 1e-300)
    assert d.value == out.data


@settings(max_examples=25, deadline=None)
@given(programs())
def test_jvp_equals_sympy_directional_derivative(program: tuple) -> None:
    n, steps, point, tangent = program
    syms = sp.symbols(f"x0:{n}", real=True)
    expr = run(steps, list(syms), on=2)
    subs = {s: sp.Float(p, 30) for s, p in zip(syms, point)}
    want = float(sum(sp.diff(expr, s) * sp.Float(t, 30) for s, t in zip(syms, tangent))
                 .subs(subs).evalf(30))
    d = jvp(lambda *xs: run(steps, list(xs)), point, tangent)
    assert math.isclose(d, want, rel_tol=1e-10, abs_tol=1e-12)


def test_jvp_against_torch_forward_ad() -> None:
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as fwAD

    point, tangent = [0.3, -1.2, 0.7], [1.0, 0.5, -2.0]

    def f_ours(a: Value, b: Value, c: Value) -> Value:
        return (a * b + c.sigmoid()).tanh() * (a - c) ** 2 + (b / (1 + c * c)).sin()

    with fwAD.dual_level():
        a, b, c = (
            fwAD.make_dual(torch.tensor(p, dtype=torch.float64),
                           torch.tensor(t, dtype=torch.float64))
            for p, t in zip(point, tangent)
        )
        out = (a * b + torch.sigmoid(c)).tanh() * (a - c) ** 2 + torch.sin(b / (1 + c * c))
        value, want = fwAD.unpack_dual(out)
        value, want = float(value), float(want)
    d = jvp(f_ours, point, tangent)
    assert math.isclose(d, want, rel_tol=1e-13)
    assert math.isclose(d.value, value, rel_tol=1e-14)


def test_unit_tangents_give_the_gradient_one_pass_each() -> None:
    # Nielsen's chain with a wsum neuron: forward mode needs one pass per input
    def loss(w1: Value, w2: Value, b: Value) -> Value:
        a = weighted_sum([w1, w2], [0.5, -1.0], b).sigmoid()
        return (a - 1.0) ** 2

    point = [0.2, -0.4, 0.1]
    leaves = [Value(p) for p in point]
    want = grad(loss(*leaves), leaves)
    got = [jvp(loss, point, [1.0 if j == i else 0.0 for j in range(3)]) for i in range(3)]
    for g, w in zip(got, want):
        assert math.isclose(g, w, rel_tol=1e-14)


def test_a_small_nudge_moves_the_output_by_about_jvp_times_the_nudge() -> None:
    # Δw → Δa → … → ΔC (Nielsen's eq. 47 read forwards)
    def f(w: Value, x: Value) -> Value:
        return ((w * x).tanh() - 0.3) ** 2

    point, direction = [0.8, 1.5], [1.0, -0.25]
    d = jvp(f, point, direction)
    for h in (1e-3, 1e-4):
        moved = jvp(f, [p + h * t for p, t in zip(point, direction)], [0.0, 0.0]).value
        assert abs((moved - d.value) - h * d) < 10 * h * h


def test_result_is_a_float_with_the_value() -> None:
    d = jvp(lambda x: x * x, [3.0], [2.0])
    assert isinstance(d, float) and isinstance(d, JVP)
    assert d == 12.0 and d.derivative == 12.0 and type(d.derivative) is float
    assert d.value == 9.0
    assert repr(d) == "JVP(derivative=12.0, value=9.0)"


def test_value_inputs_keep_their_labels_and_are_not_touched() -> None:
    w = Value(0.5, label="w")
    w.grad = 0.25
    seen = []

    def f(x: Value) -> Value:
        seen.append((x.label, x is w))
        return x.exp()

    d = jvp(f, [w], [1.0])
    assert seen == [("w", False)]
    assert math.isclose(d, math.exp(0.5), rel_tol=1e-15)
    assert w.grad == 0.25 and w.data == 0.5 and w.parents == ()


def test_constant_outputs_and_identity() -> None:
    c = Value(4.0)
    assert jvp(lambda x: c, [1.0], [1.0]) == 0.0
    assert jvp(lambda x: 7, [1.0], [1.0]) == 0.0
    assert jvp(lambda x: 7, [1.0], [1.0]).value == 7.0
    assert jvp(lambda x, y: y, [1.0, 2.0], [3.0, 5.0]) == 5.0
    assert jvp(lambda: Value(1.0), [], []) == 0.0


def test_jvp_works_inside_no_grad() -> None:
    with no_grad():
        d = jvp(lambda x: x.sin(), [0.0], [1.0])
        assert (Value(1.0) * 2).parents == ()  # the switch is restored
    assert d == 1.0


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="2 inputs but 1 tangents"):
        jvp(lambda x, y: x * y, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="input 1 must be a number, got 'a'"):
        jvp(lambda x, y: x * y, [1.0, "a"], [1.0, 1.0])
    with pytest.raises(TypeError, match="tangent 0 must be a number, got Value"):
        jvp(lambda x: x, [1.0], [Value(1.0)])
    with pytest.raises(TypeError, match="tangent 0 must be a number, got True"):
        jvp(lambda x: x, [1.0], [True])
    with pytest.raises(ValueError, match="tangent 0 is not finite"):
        jvp(lambda x: x, [1.0], [math.inf])
    with pytest.raises(TypeError, match="f must be callable"):
        jvp(3, [1.0], [1.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="f must return a Value or a number, got 'x'"):
        jvp(lambda x: "x", [1.0], [1.0])
