"""Engine defects of issue 14: create_graph at pow's edges (7), non-finite results outside
ieee() (8), errors that name the problem (10). Oracles: PyTorch float64 and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pathgrad.autograd import (
    Value,
    contributions,
    grad,
    ieee,
    jvp,
    top_paths,
    toposort,
)

# ---- 7: grad(create_graph=True) gives plain grad's numbers -----------------------------------
POW_CASES = [
    ("x**1.5 at 0", lambda x, y: x**1.5, (0.0, 1.0)),
    ("x**2.5 at 0", lambda x, y: x**2.5, (0.0, 1.0)),
    ("x**y at (0, 0)", lambda x, y: x**y, (0.0, 0.0)),
    ("x**y at (0, 1.5)", lambda x, y: x**y, (0.0, 1.5)),
    ("x**y at (0, 3)", lambda x, y: x**y, (0.0, 3.0)),
    ("0**y at y = 0", lambda x, y: 0.0**y + x, (1.0, 0.0)),
]


@pytest.mark.parametrize("name, f, point", POW_CASES, ids=[c[0] for c in POW_CASES])
def test_create_graph_gives_plain_grads_numbers_at_pows_edges(name, f, point):
    x, y = Value(point[0]), Value(point[1])
    plain = grad(f(x, y), [x, y])
    x2, y2 = Value(point[0]), Value(point[1])
    built = [g.data for g in grad(f(x2, y2), [x2, y2], create_graph=True)]
    assert built == plain


@pytest.mark.parametrize("name, f, point", POW_CASES, ids=[c[0] for c in POW_CASES])
def test_pows_edges_match_pytorch_float64(name, f, point):
    torch = pytest.importorskip("torch")
    tx = torch.tensor(point[0], dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(point[1], dtype=torch.float64, requires_grad=True)
    gx, gy = torch.autograd.grad(f(tx, ty), [tx, ty], allow_unused=True)
    expected = [0.0 if g is None else float(g) for g in (gx, gy)]
    x, y = Value(point[0]), Value(point[1])
    assert grad(f(x, y), [x, y]) == expected


def test_second_derivative_of_x_to_the_1_5_at_0_is_infinite_and_named():
    x = Value(0.0, label="x")
    (dx,) = grad(x**1.5, [x], create_graph=True)
    assert dx.data == 0.0
    with pytest.raises(OverflowError, match="'x'"):
        grad(dx, [x])
    with ieee():
        assert grad(dx, [x]) == [math.inf]  # 0.75 · 0^(−0.5), PyTorch gives inf too


# ---- 8: outside ieee(), every public result is finite or a named error ------------------------
def test_jvp_overflow_is_named():
    with pytest.raises(OverflowError, match="jvp: the directional derivative"):
        jvp(lambda a: a * 1e300, [1.0], [1e300])
    with ieee():
        assert jvp(lambda a: a * 1e300, [1.0], [1e300]) == math.inf


def _cancelling_chain(depth: int) -> tuple[Value, Value]:
    x = Value(1.0, label="x")
    y = x
    for _ in range(depth):  # 4 edges a level, rates 3, 3, 3, −8: y stays x, Σ|products| = 17^n
        y = (y * 3.0 + y * 3.0 + y * 3.0) - y * 8.0
    return x, y


def test_contributions_whose_sums_overflow_are_named():
    x, y = _cancelling_chain(700)
    assert grad(y, [x]) == [1.0]
    with pytest.raises(OverflowError, match=r"contributions: Σ\|products\| over .* paths"):
        contributions(y, x)
    with ieee():
        assert math.isinf(contributions(y, x).abs_total)


def test_contributions_that_fit_still_work():
    x, y = _cancelling_chain(20)
    c = contributions(y, x, k=2)
    assert c.n_paths == 4**20
    assert c.gradient == 1.0 and math.isclose(c.abs_total, 17.0**20, rel_tol=1e-12)


def test_a_nan_value_made_inside_ieee_is_refused_outside():
    with ieee():
        bad = Value(math.nan, label="bad")
        worse = Value(math.inf)
    for op in (
        lambda: bad * 2.0,
        lambda: bad + Value(1.0),
        lambda: -bad,
        lambda: bad.tanh(),
        lambda: bad.sigmoid(),
        lambda: bad.relu(),
        lambda: worse.relu(),
        lambda: bad.exp(),
        lambda: worse * Value(0.0),
        lambda: 1.0 / bad,
    ):
        with pytest.raises(ValueError, match="non-finite operand"):
            op()
    with ieee():
        assert math.isnan((bad * 2.0).data)


# ---- 10: errors that name things -----------------------------------------------------------------
def test_huge_ints_are_named():
    with pytest.raises(OverflowError, match="Value got an int of 1329 bits, too large"):
        Value(10**400)
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(1.0) + 10**400


def test_numpy_scalars_are_numbers_everywhere():
    x = Value(3.0)
    y = x * x
    y.backward(gradient=np.float32(2))
    assert x.grad == 12.0
    assert jvp(lambda a: a * a, [np.float64(3.0)], [np.float32(1.0)]) == 6.0
    z = x * 2.0 + x * x
    assert len(top_paths(z, x, k=np.int64(2))) == 2
    assert contributions(z, x, k=np.int32(1)).n_paths == 3


def test_toposort_of_a_non_value_is_a_type_error():
    with pytest.raises(TypeError, match=r"toposort needs a Value, got 3\.0"):
        toposort(3.0)


def test_bools_stay_refused_as_counts_and_gradients():
    x = Value(1.0)
    with pytest.raises(TypeError):
        (x * x).backward(gradient=True)
    with pytest.raises(TypeError):
        top_paths(x * x, x, k=True)
