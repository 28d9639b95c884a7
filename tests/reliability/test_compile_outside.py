"""``compile`` and a computed Value made outside ``fn`` (issue 27, defect 9): the compiled program
recomputed it from the parameters while eager ``fn`` reuses its stored number, so after an
optimizer step the two differed ([10, 20] against [2, 4]). It is refused at trace time, with
what to do; a leaf, a parameter, or the same computation inside ``fn`` compile as before."""

from __future__ import annotations

import numpy as np
import pytest

from pathgrad.autograd import Value, compile, no_grad


def test_a_computed_value_made_outside_fn_is_refused_with_what_to_do() -> None:
    w = Value(1.0, label="w")
    h = w * 2
    h.label = "h"
    step = compile(lambda x: h * x, [w])
    with pytest.raises(ValueError,
                       match=r"'h'\), computed before compile traced .*Compute it inside"):
        step([1.0, 2.0])


def test_the_reproducer_agrees_with_eager_when_written_inside_fn() -> None:
    w = Value(1.0, label="w")
    step = compile(lambda x: (w * 2) * x, [w])
    w.data = 5.0
    eager = [((w * 2) * Value(x)).data for x in (1.0, 2.0)]
    assert step([1.0, 2.0]).tolist() == eager == [10.0, 20.0]


def test_a_leaf_copy_made_outside_is_a_constant_read_afresh() -> None:
    w = Value(1.0, label="w")
    h = Value((w * 2).data, label="h")  # a leaf: its .data is read on every call
    step = compile(lambda x: h * x, [w])
    w.data = 5.0
    assert step([1.0, 2.0]).tolist() == [h.data * 1.0, h.data * 2.0] == [2.0, 4.0]


def test_an_l2_term_made_inside_fn_still_compiles() -> None:
    w = Value(0.5, label="w")
    step = compile(lambda x: w * x + w * w, [w])
    assert np.allclose(step([1.0, 2.0]), [0.75, 1.25])


def test_a_no_grad_node_made_outside_is_still_read_afresh() -> None:
    w = Value(1.0, label="w")
    with no_grad():
        h = w * 2  # a leaf that names its op: a constant to the graph
    step = compile(lambda x: h * x, [w])
    assert step([1.0, 2.0]).tolist() == [2.0, 4.0]
