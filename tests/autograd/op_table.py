"""The one test table of ops: a row per rule of ``autograd.rules.ROWS``, making a node of it
from two Values ``x`` and ``y``. A new op adds one line here; the meta-tests (every row has a
maker, every maker a row) and the per-row checks read it."""

from __future__ import annotations

from collections.abc import Callable

from pathgrad.autograd import Value, sum_values, weighted_sum

MAKERS: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x**y,
    "add_c": lambda x, y: x + 0.3,
    "sub_c": lambda x, y: x - 0.3,
    "rsub_c": lambda x, y: 0.3 - x,
    "mul_c": lambda x, y: x * 0.3,
    "div_c": lambda x, y: x / 0.3,
    "rdiv_c": lambda x, y: 0.3 / x,
    "pow_c": lambda x, y: x**2.5,
    "rpow_c": lambda x, y: 1.7**x,
    "neg": lambda x, y: -x,
    "abs": lambda x, y: abs(x),
    "exp": lambda x, y: x.exp(),
    "log": lambda x, y: x.log(),
    "sqrt": lambda x, y: x.sqrt(),
    "tanh": lambda x, y: x.tanh(),
    "sigmoid": lambda x, y: x.sigmoid(),
    "relu": lambda x, y: x.relu(),
    "softplus": lambda x, y: x.softplus(),
    "sin": lambda x, y: x.sin(),
    "cos": lambda x, y: x.cos(),
    "wsum": lambda x, y: weighted_sum([x, y], [y, x], Value(0.4)),
    "sum": lambda x, y: sum_values([x, y, x]),
}
