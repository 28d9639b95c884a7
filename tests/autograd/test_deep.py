"""Depth is limited only by memory: no recursion anywhere."""

from __future__ import annotations

import math
import sys

import pytest

from pathgrad.autograd import Value, grad, toposort
from pathgrad.autograd.graph import ancestors

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


def test_deep_create_graph_against_a_float_recurrence() -> None:
    # u_{i+1} = 1.00005 tanh(1.0001 u_i): du_{i+1}/dx = 1.00005 · 1.0001 sech²(1.0001 u_i) du_i,
    # computed here with math alone; its central difference checks the second derivative.
    n = 20_000

    def first(x0: float) -> float:
        u, du = x0, 1.0
        for _ in range(n):
            s = math.tanh(1.0001 * u)
            u, du = 1.00005 * s, 1.00005 * 1.0001 * (1.0 - s * s) * du
        return du

    x = Value(0.5)
    y = x
    for _ in range(n):
        y = (y * 1.0001).tanh() * 1.00005
    (g,) = grad(y, [x], create_graph=True)
    (h,) = grad(g, [x])
    assert g.data == pytest.approx(first(0.5), rel=1e-9)
    eps = 1e-5
    assert h == pytest.approx((first(0.5 + eps) - first(0.5 - eps)) / (2 * eps), rel=1e-5)
