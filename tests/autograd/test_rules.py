"""The one table: every op has a row, and the eager engine's stored rates are the row's rates
on floats, on Values (create_graph) and on numpy arrays (compile)."""

from __future__ import annotations

import numpy as np
import pytest
from op_table import MAKERS

from pathgrad.autograd import ROWS, Value
from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.rules import FLOAT_MATH
from pathgrad.autograd.value import VALUE_MATH


def test_every_row_has_a_maker_and_every_maker_a_row() -> None:
    assert set(MAKERS) == set(ROWS)


@pytest.mark.parametrize("name", sorted(ROWS))
@pytest.mark.parametrize(("px", "py"), [(0.7, 1.3), (2.2, -0.6), (1.1, 0.05), (-0.4, 3.0)])
def test_stored_rates_are_the_rows_rates(name: str, px: float, py: float) -> None:
    if name in ("log", "sqrt", "pow", "pow_c") and px <= 0:
        px = -px
    x, y = Value(px), Value(py)
    node = MAKERS[name](x, y)
    assert node.op == name
    rule = ROWS[name]
    args = tuple(p.data for p in node.parents)
    if node.constant is not None:
        args += (node.constant,)
    assert rule.n_consts == (1 if node.constant is not None else 0)
    assert rule.forward(FLOAT_MATH, *args) == node.data
    assert rule.partials(FLOAT_MATH, node.data, *args) == pytest.approx(node.local_grads, rel=1e-15)
    # the same row on Values: rates as graphs, same numbers
    vargs = tuple(node.parents) + ((node.constant,) if node.constant is not None else ())
    as_values = rule.partials(VALUE_MATH, node, *vargs)
    numbers = [r.data if isinstance(r, Value) else r for r in as_values]
    assert numbers == pytest.approx(node.local_grads, rel=1e-13)
    # and on numpy arrays (a batch of two identical examples)
    nargs = [np.array([a, a]) for a in args]
    if node.constant is not None:
        nargs[-1] = node.constant
    out = rule.forward(NUMPY_MATH, *nargs)
    assert out == pytest.approx([node.data] * 2, rel=1e-15)
    rates = rule.partials(NUMPY_MATH, out, *nargs)
    for got, want in zip(rates, node.local_grads):
        assert np.broadcast_to(got, (2,)) == pytest.approx([want] * 2, rel=1e-14)


def test_rows_have_symbols_and_kinks_are_documented() -> None:
    assert all(rule.symbol for rule in ROWS.values())
    assert "relu'(0) = 0" in ROWS["relu"].note and "abs'(0) = 0" in ROWS["abs"].note


def test_a_layers_weighted_sums_are_the_rows_nodes() -> None:
    # nn.Layer makes its neurons' wsum nodes in one call, the inputs laid out once for all
    from pathgrad.autograd.value import weighted_sums

    xs = [Value(0.7), Value(-1.3), Value(2.2)]
    rows = [[Value(0.1 * (j + k) - 0.4) for k in range(3)] for j in range(4)]
    biases = [Value(0.05 * j) for j in range(4)]
    rule = ROWS["wsum"]
    for row, b, z in zip(rows, biases, weighted_sums(rows, xs, biases)):
        assert z.op == "wsum" and z.parents == (*row, *xs, b)
        args = tuple(p.data for p in z.parents)
        assert rule.forward(FLOAT_MATH, *args) == z.data
        assert rule.partials(FLOAT_MATH, z.data, *args) == z.local_grads
