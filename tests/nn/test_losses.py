"""Each loss against its closed form, its derivative against sympy, and on bad targets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from pathgrad.autograd import Value, numeric_grad
from pathgrad.nn import losses


def _grad(loss, outs, target):
    vs = [Value(o) for o in outs]
    c = loss.example(vs if len(vs) > 1 else vs[0], target)
    c.backward()
    return c.data, [v.grad for v in vs]


A = sp.symbols("a0 a1 a2")


@pytest.mark.parametrize(
    ("loss", "outs", "target", "form"),
    [
        # Nielsen: C_x = ½‖y − a‖²
        (losses.quadratic, [0.7], 1.0, sp.Rational(1, 2) * (1 - A[0]) ** 2),
        (losses.quadratic, [0.7, 0.2, 0.1], [0.0, 1.0, 0.0],
         sp.Rational(1, 2) * (A[0] ** 2 + (1 - A[1]) ** 2 + A[2] ** 2)),
        (losses.quadratic, [0.7, 0.2, 0.1], 1,  # a class index: one-hot, as Nielsen's data
         sp.Rational(1, 2) * (A[0] ** 2 + (1 - A[1]) ** 2 + A[2] ** 2)),
        # 3Blue1Brown: C_0 = Σ (a_j − y_j)²
        (losses.squared_error, [0.66], 1.0, (A[0] - 1) ** 2),
        (losses.squared_error, [0.2, 0.9], [0.0, 1.0], A[0] ** 2 + (A[1] - 1) ** 2),
        # binary cross-entropy from the logit s: −[y log σ(s) + (1−y) log(1−σ(s))]
        (losses.binary_cross_entropy, [0.3], 1, -sp.log(1 / (1 + sp.exp(-A[0])))),
        (losses.binary_cross_entropy, [-1.7], 0, -sp.log(1 - 1 / (1 + sp.exp(-A[0])))),
        (losses.binary_cross_entropy, [0.4], 0.25,
         -(sp.Rational(1, 4) * sp.log(1 / (1 + sp.exp(-A[0])))
           + sp.Rational(3, 4) * sp.log(1 - 1 / (1 + sp.exp(-A[0]))))),
        (losses.BinaryCrossEntropy(from_logits=False), [0.8], 1, -sp.log(A[0])),
        (losses.BinaryCrossEntropy(from_logits=False), [0.8], 0, -sp.log(1 - A[0])),
        (losses.BinaryCrossEntropy(from_logits=False), [0.8], 0.5,
         -(sp.log(A[0]) + sp.log(1 - A[0])) / 2),
        # softmax cross-entropy: log Σ e^(s_j) − s_y
        (losses.softmax_cross_entropy, [1.0, -0.5, 2.0], 2,
         sp.log(sp.exp(A[0]) + sp.exp(A[1]) + sp.exp(A[2])) - A[2]),
        (losses.softmax_cross_entropy, [1.0, -0.5, 2.0], [0.2, 0.0, 0.8],
         sp.log(sp.exp(A[0]) + sp.exp(A[1]) + sp.exp(A[2]))
         - sp.Rational(1, 5) * A[0] - sp.Rational(4, 5) * A[2]),
        # micrograd's max-margin: relu(1 − y·s)
        (losses.max_margin, [0.25], -1, 1 + A[0]),
        (losses.max_margin, [0.25], 1, 1 - A[0]),
        (losses.max_margin, [1.5], 1, sp.Integer(0)),
    ],
)
def test_loss_closed_form_and_sympy_derivative(loss, outs, target, form):
    value, grads = _grad(loss, outs, target)
    subs = dict(zip(A, outs))
    assert value == pytest.approx(float(form.subs(subs)), rel=1e-12, abs=1e-14)
    for sym, g in zip(A, grads):
        assert g == pytest.approx(float(sp.diff(form, sym).subs(subs)), rel=1e-10, abs=1e-14)


def test_batch_mean_is_nielsens_cost():
    a = [[Value(0.1), Value(0.9)], [Value(0.6), Value(0.3)]]
    y = [[0.0, 1.0], [1.0, 0.0]]
    c = losses.quadratic(a, y)
    expected = (0.1**2 + 0.1**2 + 0.4**2 + 0.3**2) / (2 * 2)  # 1/(2n) Σ ‖y − a‖²
    assert c.data == pytest.approx(expected, rel=1e-14)
    assert c.label == "C"
    parts = losses.quadratic(a, y, reduction="none")
    assert [p.data for p in parts] == pytest.approx([0.01, 0.125])
    assert losses.quadratic(a, y, reduction="sum").data == pytest.approx(0.135)
    with pytest.raises(ValueError, match="reduction must be"):
        losses.quadratic(a, y, reduction="max")
    with pytest.raises(ValueError, match="2 outputs but 1 targets"):
        losses.quadratic(a, y[:1])


def test_stable_at_extreme_scores():
    for s in [800.0, -800.0]:
        for y in [0, 1]:
            c = losses.binary_cross_entropy.example(Value(s), y)
            expected = max(s, 0) - y * s + math.log1p(math.exp(-abs(s)))
            assert c.data == pytest.approx(expected)
    x = [Value(1000.0), Value(-1000.0), Value(999.0)]
    c = losses.softmax_cross_entropy.example(x, 2)
    c.backward()
    assert c.data == pytest.approx(math.log(1 + math.exp(-1)) + 1, rel=1e-12)
    p0 = 1 / (1 + math.exp(-1))
    assert [v.grad for v in x] == pytest.approx([p0, 0.0, (1 - p0) - 1], abs=1e-12)


def test_probability_bce_accepts_saturated_correct_outputs():
    assert losses.BinaryCrossEntropy(from_logits=False).example(Value(1.0), 1).data == 0.0


def test_losses_against_finite_differences():
    for loss, outs, target in [
        (losses.softmax_cross_entropy, [0.3, -0.2, 0.9, 0.1], 1),
        (losses.binary_cross_entropy, [0.77], 1),
        (losses.quadratic, [0.3, 0.6], [1.0, 0.0]),
    ]:
        vs = [Value(o) for o in outs]

        def f(*v, loss=loss, target=target):
            return loss.example(list(v) if len(v) > 1 else v[0], target)

        f(*vs).backward()
        numeric = numeric_grad(f, vs)
        assert [v.grad for v in vs] == pytest.approx(list(numeric), abs=1e-7)


def test_targets_as_values_for_tracing():
    s, y = Value(0.4), Value(-1.0)
    assert losses.max_margin.example(s, y).data == pytest.approx(1.4)
    assert losses.binary_cross_entropy.example(s, Value(1.0)).data == pytest.approx(
        losses.binary_cross_entropy.example(Value(0.4), 1).data
    )
    sc = [Value(0.1), Value(0.7)]
    assert losses.softmax_cross_entropy.example(sc, [Value(0.0), Value(1.0)]).data == \
        pytest.approx(losses.softmax_cross_entropy.example(sc, 1).data)


def test_l2():
    ps = [Value(1.0), Value(-2.0), Value(0.5)]
    r = losses.l2(ps, 1e-2)
    r.backward()
    assert r.data == pytest.approx(1e-2 * 5.25)
    assert [p.grad for p in ps] == pytest.approx([2e-2 * p.data for p in ps])
    with pytest.raises(ValueError, match="alpha must be finite and >= 0"):
        losses.l2(ps, -1.0)
    with pytest.raises(TypeError, match="alpha must be a number"):
        losses.l2(ps, "1")


def test_accuracy():
    assert losses.max_margin.accuracy([0.5, -0.2, 0.1], [1, -1, -1]) == pytest.approx(2 / 3)
    assert losses.binary_cross_entropy.accuracy([0.5, -0.2], [1, 1]) == 0.5
    assert losses.BinaryCrossEntropy(False).accuracy([0.6, 0.4], [1, 1]) == 0.5
    assert losses.softmax_cross_entropy.accuracy([[0.1, 0.9], [0.8, 0.2]], [1, 1]) == 0.5
    assert losses.quadratic.accuracy([[0.1, 0.9], [0.8, 0.2]], [[0, 1], [0, 1]]) == 0.5
    assert losses.quadratic.accuracy([0.3, 1.7], [0.25, 2.0]) is None  # regression


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: losses.max_margin.example(Value(0.1), 0), ValueError, "labels are -1 and"),
        (lambda: losses.binary_cross_entropy.example(Value(0.1), 2), ValueError, r"in \[0, 1\]"),
        (lambda: losses.softmax_cross_entropy.example([Value(0.1), Value(0.2)], 2),
         ValueError, "class index 2"),
        (lambda: losses.softmax_cross_entropy.example([Value(0.1)], 0), ValueError, "at least 2"),
        (lambda: losses.quadratic.example([Value(0.1), Value(0.2)], [1.0]), ValueError,
         "length 2, got length 1"),
        (lambda: losses.quadratic.example(Value(0.1), "y"), TypeError, "a target must be"),
        (lambda: losses.quadratic.example(0.3, 1.0), TypeError, "must be a Value"),
        (lambda: losses.quadratic.example(Value(0.1), float("nan")), ValueError, "not finite"),
        (lambda: losses.max_margin([], []), ValueError, "empty"),
        (lambda: losses.get("mse"), ValueError, "unknown loss 'mse'"),
    ],
)
def test_bad_targets(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_batch_with_numpy_targets():
    outs = [Value(0.5), Value(-0.5)]
    c = losses.max_margin(outs, np.array([1, -1]))
    assert c.data == pytest.approx(0.5)


def _structure(root):
    from pathgrad.autograd import toposort

    order = toposort(root)
    index = {id(v): i for i, v in enumerate(order)}
    return [(v.op, v.constant, tuple(index[id(p)] for p in v.parents)) for v in order]


def test_traced_softmax_has_one_graph_for_every_example():
    """With Value targets (autograd.compile's tracing) the max shift is in the graph."""
    graphs, eager = [], []
    for scores, k in [([0.3, 2.0, -1.0], 1), ([5.0, -2.0, 0.5], 0)]:
        s = [Value(x) for x in scores]
        y = [Value(1.0 if j == k else 0.0) for j in range(3)]
        c = losses.softmax_cross_entropy.example(s, y)
        c.backward()
        graphs.append(_structure(c))
        s2 = [Value(x) for x in scores]
        c2 = losses.softmax_cross_entropy.example(s2, k)
        c2.backward()
        assert c.data == pytest.approx(c2.data, rel=1e-14)
        assert [v.grad for v in s] == pytest.approx([v.grad for v in s2], abs=1e-14)
        eager.append(_structure(c2))
    assert graphs[0] == graphs[1]
    assert eager[0] != eager[1]  # eagerly the shift is the example's own max, a constant


@pytest.mark.parametrize(
    "cost, loss",
    [
        ("QuadraticCost", losses.quadratic),
        ("CrossEntropyCost", losses.BinaryCrossEntropy(from_logits=False)),
    ],
)
def test_each_array_cost_is_its_value_loss(cost, loss):
    """``nn.matrix``'s Cost (arrays, ∇_a C by hand) and ``nn.losses``' Loss (Values, the engine
    differentiates) are the same C_x: equal costs, and ∇_a C equal to the engine's gradient."""
    from pathgrad.nn import matrix

    c = getattr(matrix, cost)()
    rng = np.random.default_rng(3)
    a, y = rng.uniform(0.05, 0.95, size=(4, 1)), np.array([[1.0], [0.0], [0.0], [1.0]])
    outs = [Value(float(x)) for x in a[:, 0]]
    parts = (
        [loss.example(outs, y[:, 0].tolist())]
        if loss is losses.quadratic
        else [loss.example(o, t) for o, t in zip(outs, y[:, 0].tolist())]
    )
    total = parts[0] if len(parts) == 1 else sum(parts[1:], parts[0])
    total.backward()
    assert c.fn(a, y) == pytest.approx(total.data, rel=1e-13)
    assert c.derivative(a, y)[:, 0] == pytest.approx([o.grad for o in outs], rel=1e-12)
