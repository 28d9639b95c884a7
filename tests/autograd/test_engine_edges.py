"""Edge cases found in review: overflowing rates and gradients, x**0 at 0, create_graph under
no_grad, copying and pickling deep graphs, nan through kinks under ieee()."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

from pathgrad.autograd import ROWS, Value, grad, ieee, no_grad, toposort
from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.rules import FLOAT_MATH


def test_a_division_whose_rate_overflows_raises_instead_of_storing_inf() -> None:
    with pytest.raises(OverflowError, match=r"overflow in '/' at \(1\.0, 1e-160\).*rate factor"):
        Value(1.0) / Value(1e-160)
    with ieee():
        y = Value(1.0) / Value(1e-160)
    assert y.local_grads == (1e160, -math.inf)


def test_gradient_overflow_raises_and_restores_every_grad() -> None:
    a = Value(1e-160, label="a")
    b = (a * 1e200) * 1e200  # finite value 1e240, but ∂b/∂a = 1e400
    a.grad = 0.5
    with pytest.raises(OverflowError, match="gradient at 'a' is inf"):
        b.backward()
    assert a.grad == 0.5 and b.grad == 0.0
    with pytest.raises(OverflowError, match="gradient at 'a' is not finite"):
        grad(b, [a])
    with ieee():
        assert grad(b, [a]) == [math.inf]


@pytest.mark.parametrize("seed", [math.nan, math.inf])
def test_a_non_finite_seed_is_refused(seed: float) -> None:
    y = Value(1.0) * 2
    with pytest.raises(ValueError, match="gradient must be finite"):
        y.backward(seed)
    assert y.grad == 0.0


def test_x_to_the_zero_is_flat_at_zero_too() -> None:
    x = Value(0.0)
    y = x**0
    assert (y.data, y.local_grads) == (1.0, (0.0,))
    (d,) = grad(x**1, [x], create_graph=True)  # d = 1·x⁰: its own derivative at 0 is 0
    assert d.data == 1.0 and grad(d, [x]) == [0.0]
    cube = x**3
    (d1,) = grad(cube, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert (d1.data, d2.data, d3) == (0.0, 0.0, 6.0)
    assert NUMPY_MATH.powgrad(np.array([0.0, 2.0]), np.array([0.0, 3.0])).tolist() == [0.0, 12.0]
    assert ROWS["pow_c"].partials(FLOAT_MATH, 1.0, 0.0, 0.0) == (0.0,)


def test_create_graph_builds_the_derivative_graph_even_inside_no_grad() -> None:
    x = Value(2.0)
    y = x * x * x
    with no_grad():
        (d,) = grad(y, [x], create_graph=True)
    assert grad(d, [x]) == [12.0]
    assert (x * 1.0).parents == (x,)  # the switch is restored


def _chain(depth: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for _ in range(depth):
        y = (y * 1.0001).tanh()
    return x, y


def test_deepcopy_of_a_deep_graph_needs_no_recursion() -> None:
    x, y = _chain(5000)
    y.backward()
    twin = copy.deepcopy(y)
    nodes, original = toposort(twin), toposort(y)
    assert len(nodes) == len(original)
    assert all(a is not b for a, b in zip(nodes, original))
    assert [(n.data, n.grad, n.op, n.local_grads) for n in nodes] == [
        (n.data, n.grad, n.op, n.local_grads) for n in original
    ]
    leaf_copy, y_copy = copy.deepcopy([x, y])
    assert toposort(y_copy)[0] is leaf_copy  # one deepcopy call keeps identity


def test_pickle_of_a_deep_graph_round_trips_and_keeps_shared_leaves_shared() -> None:
    x, y = _chain(5000)
    x2, y2 = pickle.loads(pickle.dumps([x, y]))
    assert toposort(y2)[0] is x2
    assert grad(y2, [x2]) == grad(y, [x])
    w = Value(3.0, label="w")
    z = (w * w + 1).tanh()
    w3, z3 = pickle.loads(pickle.dumps([w, z]))
    mul = z3.parents[0].parents[0]
    assert mul.parents == (w3, w3) and mul.local_grads == (3.0, 3.0) and z3.op == "tanh"


def test_nan_goes_through_kinks_as_nan_under_ieee() -> None:
    with ieee():
        v = Value(math.nan)
        r, a = v.relu(), abs(v)
    assert math.isnan(r.data) and math.isnan(r.local_grads[0]) and math.isnan(a.local_grads[0])
    nan = np.array([math.nan])
    assert np.isnan(NUMPY_MATH.relu(nan)).all() and np.isnan(NUMPY_MATH.step(nan)).all()
    assert NUMPY_MATH.relu(np.array([-0.0, 2.0])).tolist() == [0.0, 2.0]
