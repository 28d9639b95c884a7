"""numeric_grad: Nielsen's eq. (46) and its central form, against mpmath and grad; pass counts."""

from __future__ import annotations

import math

import mpmath
import pytest
from dag_strategies import Dag, dags
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.autograd import NumericGradient, Value, grad, numeric_grad
from pathgrad.autograd.graph import toposort

mpmath.mp.dps = 40


def f_value(x: Value, y: Value) -> Value:
    return x.sin() * y.exp() + x * y * y + (x * y).tanh()


def f_mp(x: mpmath.mpf, y: mpmath.mpf) -> mpmath.mpf:
    return mpmath.sin(x) * mpmath.exp(y) + x * y * y + mpmath.tanh(x * y)


POINT = [0.7, -0.4]


def partial(j: int, order: int, point: list[float]) -> float:
    """The order-th derivative of f_mp along input j at point, to 40 digits."""
    x = [mpmath.mpf(p) for p in point]

    def along(t: mpmath.mpf) -> mpmath.mpf:
        args = list(x)
        args[j] = t
        return f_mp(*args)

    return float(mpmath.diff(along, x[j], order))


@pytest.mark.parametrize("eps", [1e-3, 1e-4, 1e-5])
def test_forward_difference_error_is_its_truncation_term(eps: float) -> None:
    # eq. (46): (f(x + ε e_j) − f(x)) / ε = f' + (ε/2) f'' + O(ε²), plus rounding ~ u|f|/ε
    g = numeric_grad(f_value, POINT, eps=eps, method="forward")
    f0 = abs(float(f_mp(*map(mpmath.mpf, POINT))))
    for j in range(2):
        exact, second = partial(j, 1, POINT), partial(j, 2, POINT)
        error = g[j] - exact
        predicted = eps / 2 * second
        rounding = 8 * 2.2e-16 * (f0 + 1.0) / eps
        third = abs(partial(j, 3, POINT))
        assert abs(error - predicted) <= eps * eps / 6 * third * 1.5 + rounding, (j, eps)
        assert abs(error) > 0.5 * abs(predicted)  # it really is a one-sided difference


@pytest.mark.parametrize("eps", [1e-2, 1e-3])
def test_central_difference_error_is_its_truncation_term(eps: float) -> None:
    # (f(x + ε) − f(x − ε)) / 2ε = f' + (ε²/6) f''' + O(ε⁴)
    g = numeric_grad(f_value, POINT, eps=eps, method="central")
    f0 = abs(float(f_mp(*map(mpmath.mpf, POINT))))
    for j in range(2):
        exact, third = partial(j, 1, POINT), partial(j, 3, POINT)
        error = g[j] - exact
        predicted = eps * eps / 6 * third
        fifth = abs(partial(j, 5, POINT))
        rounding = 8 * 2.2e-16 * (f0 + 1.0) / eps
        assert abs(error - predicted) <= eps**4 / 120 * fifth * 1.5 + rounding, (j, eps)
        assert abs(error) > 0.5 * abs(predicted)


def test_forward_estimate_is_literally_equation_46() -> None:
    x, eps = 0.3, 1e-4
    g = numeric_grad(lambda v: v * v * v, [x], eps=eps, method="forward")
    assert g[0] == ((x + eps) ** 3 - x**3) / eps or math.isclose(
        g[0], ((x + eps) * (x + eps) * (x + eps) - x * x * x) / eps, rel_tol=1e-15)


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_pass_counts_are_n_plus_one_forward_and_two_n_central(n: int) -> None:
    calls = []

    def f(*xs: Value) -> Value:
        calls.append(1)
        out = xs[0]
        for x in xs[1:]:
            out = out * x + x.sin()
        return out

    point = [0.1 * (i + 1) for i in range(n)]
    forward = numeric_grad(f, point, method="forward")
    assert forward.passes == len(calls) == n + 1
    calls.clear()
    central = numeric_grad(f, point, method="central")
    assert central.passes == len(calls) == 2 * n
    assert isinstance(central, NumericGradient) and len(central) == n
    assert forward.method == "forward" and central.method == "central"


def test_agrees_with_grad_within_truncation_error_on_an_mlp_loss() -> None:
    # a 2-3-1 tanh network's squared error, 13 parameters
    def loss(*p: Value) -> Value:
        x = (0.5, -1.2)
        hidden = [(p[3 * i] * x[0] + p[3 * i + 1] * x[1] + p[3 * i + 2]).tanh() for i in range(3)]
        out = p[9] * hidden[0] + p[10] * hidden[1] + p[11] * hidden[2] + p[12]
        return (out - 0.3) ** 2

    point = [0.1 * ((i * 7) % 11 - 5) for i in range(13)]
    params = [Value(v) for v in point]
    exact = grad(loss(*params), params)
    central = numeric_grad(loss, point, eps=1e-5)
    forward = numeric_grad(loss, point, eps=1e-7, method="forward")
    for e, c, f in zip(exact, central, forward):
        assert abs(c - e) <= 1e-9  # ε²/6·f''' ~ 1e-11, rounding ~ 1e-11
        assert abs(f - e) <= 1e-6  # ε/2·f'' ~ 1e-7


@settings(max_examples=40, deadline=None)
@given(dags(), st.sampled_from(["central", "forward"]))
def test_agrees_with_grad_on_random_dags(dag: Dag, method: str) -> None:
    point = [leaf.data for leaf in dag.leaves]
    position = {id(leaf): i for i, leaf in enumerate(dag.leaves)}
    steps = [n for n in toposort(dag.output) if id(n) not in position]

    def rebuild(*xs: Value) -> Value:
        # replay the recorded graph on fresh leaves: same ops, same constants
        made = {id(leaf): x for leaf, x in zip(dag.leaves, xs)}
        for node in steps:
            made[id(node)] = _replay(node, [made[id(p)] for p in node.parents])
        return made[id(dag.output)]

    exact = grad(dag.output, dag.leaves)
    eps = 1e-6 if method == "central" else 1e-8
    numeric = numeric_grad(rebuild, point, eps=eps, method=method)
    for e, n in zip(exact, numeric):
        assert abs(n - e) <= 1e-5 * (1.0 + abs(e)), (e, n, method)


def _replay(node: Value, args: list[Value]) -> Value:
    op, c = node.op, node.constant
    a = args[0]
    simple = {
        "add": lambda: a + args[1], "sub": lambda: a - args[1], "mul": lambda: a * args[1],
        "div": lambda: a / args[1], "neg": lambda: -a, "tanh": lambda: a.tanh(),
        "sin": lambda: a.sin(), "sigmoid": lambda: a.sigmoid(), "softplus": lambda: a.softplus(),
        "exp": lambda: a.exp(), "add_c": lambda: a + c, "mul_c": lambda: a * c,
        "rsub_c": lambda: c - a, "pow_c": lambda: a**c,
    }
    return simple[op]()


def test_inputs_are_not_touched_and_no_graph_is_recorded() -> None:
    w = Value(0.4, label="w")
    w.grad = 0.5
    seen = []

    def f(x: Value) -> Value:
        y = x * x
        seen.append((x is w, y.parents))
        return y

    g = numeric_grad(f, [w])
    assert math.isclose(g[0], 0.8, rel_tol=1e-8)
    assert all(not same and parents == () for same, parents in seen)
    assert w.data == 0.4 and w.grad == 0.5


def test_a_number_output_is_accepted() -> None:
    assert numeric_grad(lambda x: 3.0, [1.0]) == [0.0]


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="method must be 'central' or 'forward', got 'back'"):
        numeric_grad(lambda x: x, [1.0], method="back")
    with pytest.raises(ValueError, match="eps must be > 0, got 0"):
        numeric_grad(lambda x: x, [1.0], eps=0.0)
    with pytest.raises(ValueError, match="eps must be > 0, got nan"):
        numeric_grad(lambda x: x, [1.0], eps=math.nan)
    with pytest.raises(TypeError, match="eps must be a number, got 'a'"):
        numeric_grad(lambda x: x, [1.0], eps="a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input 1 must be a Value or a number, got 'b'"):
        numeric_grad(lambda x, y: x, [1.0, "b"])
    with pytest.raises(TypeError, match="f must return a Value or a number"):
        numeric_grad(lambda x: "y", [1.0])
