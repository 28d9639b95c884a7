"""The one table and its notation: each notation is of a row, a row without one is written by
its name, a layer's weighted sums are the row's nodes. (The rows' rates on floats, Values and
arrays are checked for every row by the generated tests of ``test_rows.py``.)"""

from __future__ import annotations

from pathgrad.autograd import ROWS, Value
from pathgrad.autograd.notation import NOTATION, Name, notation_of
from pathgrad.autograd.rules import FLOAT_MATH


def test_every_notation_is_of_a_row_and_kinks_are_documented() -> None:
    assert set(NOTATION) <= set(ROWS)
    assert "relu'(0) = 0" in NOTATION["relu"].note and "abs'(0) = 0" in NOTATION["abs"].note


def test_a_row_without_notation_is_written_by_its_name() -> None:
    written = notation_of("frob")
    assert (written.symbol, written.micrograd_op(), written.node_text([Name("x", True)])) == (
        "frob", "frob", "frob(x)")


def test_a_layers_weighted_sums_are_the_rows_nodes() -> None:
    # nn.Layer makes its neurons' wsum nodes in one call, the inputs laid out once for all
    from pathgrad.autograd.sums import weighted_sums

    xs = [Value(0.7), Value(-1.3), Value(2.2)]
    rows = [[Value(0.1 * (j + k) - 0.4) for k in range(3)] for j in range(4)]
    biases = [Value(0.05 * j) for j in range(4)]
    rule = ROWS["wsum"]
    for row, b, z in zip(rows, biases, weighted_sums(rows, xs, biases)):
        assert z.op == "wsum" and z.parents == (*row, *xs, b)
        args = tuple(p.data for p in z.parents)
        assert rule.forward(FLOAT_MATH, *args) == z.data
        assert rule.partials(FLOAT_MATH, z.data, *args) == z.local_grads
