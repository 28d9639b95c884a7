"""Σ nodes: a weighted input z = Σ w_k a_k + b (Nielsen's) and a sum of many values, each as
one node with one edge per operand (``wsum`` and ``sum`` rows), instead of a chain of ``+``.

>>> from pathgrad.autograd import Value
>>> s = sum_values([Value(1.0), Value(2.0), 3.0])
>>> s.data, s.op, s.local_grads
(6.0, 'sum', (1.0, 1.0, 1.0))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .modes import NO_GRAD_ALIVE, finite, is_grad_enabled, refused
from .operands import nonfinite_operand
from .rules import ROWS
from .value import Number, Value, _make, _new

__all__ = ["sum_values", "weighted_sum", "weighted_sums"]

_WSUM, _SUM = ROWS["wsum"], ROWS["sum"]


def weighted_sum(weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value) -> Value:
    """Nielsen's weighted input z = Σ_k w_k a_k + b as **one** node.

    Its rate factors are a_k towards each weight, w_k towards each input and 1 towards the
    bias (BP2's w, BP4's a_in). Number inputs become constant leaves.

    >>> w = [Value(0.5), Value(-1.0)]
    >>> z = weighted_sum(w, [2.0, 3.0], Value(0.25))
    >>> z.data, z.local_grads
    (-1.75, (2.0, 3.0, 0.5, -1.0, 1.0))
    """
    return weighted_sums((weights,), inputs, (bias,))[0]


def weighted_sums(
    weights: Sequence[Sequence[Value]], inputs: Sequence[Value | Number], biases: Sequence[Value]
) -> list[Value]:
    """A layer's weighted inputs z_j = Σ_k w_jk a_k + b_j: one ``wsum`` node per row of weights.

    The same nodes as ``weighted_sum`` row by row; the inputs are read once for the layer.

    >>> a = [Value(2.0), Value(3.0)]
    >>> zs = weighted_sums([[Value(1.0), Value(0.0)], [Value(0.5), Value(-1.0)]], a,
    ...                    [Value(0.0), Value(0.25)])
    >>> [z.data for z in zs]
    [2.0, -1.75]
    """
    if len(weights) != len(biases):
        raise ValueError(f"weighted_sums: {len(weights)} rows of weights but {len(biases)} biases")
    if all(type(x) is Value for x in inputs):
        xs: Sequence[Value] = inputs  # type: ignore[assignment]
    else:
        xs = [x if isinstance(x, Value) else Value(x) for x in inputs]
    n = len(xs)
    n2, n4 = 2 * n, 4 * n
    xd = [x.data for x in xs]
    # edges: (w_1, a_1, ..., w_n, a_n, a_1, w_1, ..., a_n, w_n, b, 1.0); the inputs' half is the
    # same for every row, so it is laid out once and copied.
    base: list[Any] = [1.0] * (n4 + 2)
    base[1:n2:2] = xd
    base[n2:n4:2] = xs
    out = []
    keep = not NO_GRAD_ALIVE or is_grad_enabled()
    for row, bias in zip(weights, biases):
        if len(row) != n:
            raise ValueError(f"weighted_sum: {len(row)} weights but {n} inputs")
        try:
            wd = [w.data for w in row]
            acc = bias.data
        except AttributeError:
            raise TypeError("weighted_sum needs Value weights and a Value bias") from None
        for w_k, a_k in zip(wd, xd):
            acc += w_k * a_k
        if refused(acc):
            _wsum_nonfinite(wd, xd, bias.data)
        edges = base.copy()
        edges[0:n2:2] = row
        edges[n2 + 1 : n4 : 2] = wd
        edges[n4] = bias
        v = _new(Value)  # _make, written out
        v.data = acc
        v.grad = 0.0
        v._edges = tuple(edges) if keep else ()
        v._rule = _WSUM
        v._const = None
        v.label = ""
        out.append(v)
    return out


def _wsum_nonfinite(wd: list[float], xd: list[float], b: float) -> None:
    operands = (*wd, *xd, b)
    if all(map(finite, operands)):
        raise OverflowError("overflow in 'wsum': the weighted input is too large for a float")
    raise nonfinite_operand("wsum", tuple(d for d in operands if not finite(d)))


def sum_values(values: Sequence[Value | Number]) -> Value:
    """Σ of many values as one node with rate factor 1 on each edge (micrograd chains ``+``).

    >>> s = sum_values([Value(1.0), Value(2.0), 3.0])
    >>> s.data, len(s.parents)
    (6.0, 3)
    """
    xs = [x if isinstance(x, Value) else Value(x) for x in values]
    if not xs:
        raise ValueError("sum_values needs at least one value")
    acc = xs[0].data
    for x in xs[1:]:
        acc += x.data
    if refused(acc):
        bad = tuple(x.data for x in xs if not finite(x.data))
        if bad:
            raise nonfinite_operand("sum", bad)
        raise OverflowError("overflow in 'sum': the sum is too large for a float")
    edges: list[Any] = []
    for x in xs:
        edges += (x, 1.0)
    return _make(acc, tuple(edges), _SUM)
