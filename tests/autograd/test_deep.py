"""Depth is limited only by memory: no recursion anywhere."""

from __future__ import annotations

import math
import sys

import pytest

from autograd import Value, grad, toposort
from autograd.graph import ancestors

N = 500_000  # two nodes per step: a chain of 1,000,000 nodes


def test_million_node_chain_backward_matches_closed_form() -> None:
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(N):
        y = y * 0.999999 + 1e-7
    # y_N = x r^N + c (1 − r^N)/(1 − r), so ∂y/∂x = r^N
    assert len(toposort(y)) == 2 * N + 1
    y.backward()
    assert x.grad == pytest.approx(0.999999**N, rel=1e-9)
    r = 0.999999
    assert y.data == pytest.approx(r**N + 1e-7 * (1 - r**N) / (1 - r), rel=1e-9)
    assert sys.getrecursionlimit() == limit


def test_deep_chain_grad_and_create_graph_without_recursion() -> None:
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = (y * 1.0001).tanh() * 1.00005
    (g,) = grad(y, [x], create_graph=True)
    assert math.isfinite(g.data)
    (h,) = grad(g, [x])
    assert math.isfinite(h)
    assert len(toposort(y)) == len(ancestors(y)) == 60_001
