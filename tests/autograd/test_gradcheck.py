"""gradcheck passes on correct rules and reports each input on a wrong one."""

from __future__ import annotations

import pytest

from pathgrad.autograd import GradcheckError, Value, gradcheck
from pathgrad.autograd.value import _make


def test_gradcheck_passes_on_every_op() -> None:
    ops = [
        lambda a, b: a * b + b.exp() - a / b,
        lambda a, b: (a.tanh() * b.sigmoid()).softplus(),
        lambda a, b: a.sin() * b.cos() + abs(a - 2 * b) ** 1.5,
        lambda a, b: (a * a + 1).log() + (b * b + 1).sqrt() + 2**a + a**b,
        lambda a, b: (a - b).relu() + (3 - a) / (1 + b * b),
    ]
    for f in ops:
        assert gradcheck(f, [Value(0.8, label="a"), Value(1.7, label="b")])


def test_gradcheck_report_names_each_input() -> None:
    def wrong(a: Value, b: Value) -> Value:
        # a product whose stored rate towards b is off by 10%
        return _make(a.data * b.data, (a, b.data, b, 1.1 * a.data), "mul")

    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong, [Value(2.0, label="a"), Value(3.0, label="b")])
    text = str(info.value)
    assert "a: analytic +3" in text and "b: analytic +2.2" in text and "numeric +2" in text
    assert text.count("mismatch") == 1
    assert gradcheck(wrong, [2.0, 3.0], raise_exception=False) is False
