"""micrograd's own engine tests (its ``test/test_engine.py``), restated for pathgrad's ``Value``.

The same three checks, the same expressions, tolerances and oracle (PyTorch float64): the
sanity-check graph, the graph with every operator micrograd has (``+= - * / ** relu``, numbers
on either side), and tanh and exp at three points. Each expression is written once and run on
both engines, so the two sides cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import pytest

from pathgrad.autograd import Value

torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle of micrograd's tests")


def _tensor(x: float) -> Any:
    t = torch.Tensor([x]).double()
    t.requires_grad = True
    return t


def _sanity(x: Any) -> Any:
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def _more_ops(a: Any, b: Any) -> Any:
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def test_sanity_check() -> None:
    xmg = Value(-4.0)
    ymg = _sanity(xmg)
    ymg.backward()
    xpt = _tensor(-4.0)
    ypt = _sanity(xpt)
    ypt.backward()
    assert ymg.data == ypt.data.item()  # forward pass went well
    assert xmg.grad == xpt.grad.item()  # backward pass went well


def test_more_ops() -> None:
    amg, bmg = Value(-4.0), Value(2.0)
    gmg = _more_ops(amg, bmg)
    gmg.backward()
    apt, bpt = _tensor(-4.0), _tensor(2.0)
    gpt = _more_ops(apt, bpt)
    gpt.backward()
    tol = 1e-6
    assert abs(gmg.data - gpt.data.item()) < tol
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol


def test_more_ops_with_in_place_operators_as_micrograd_writes_them() -> None:
    # micrograd's test builds the graph with +=; on Values that is a new node each time too.
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    a2, b2 = Value(-4.0), Value(2.0)
    g2 = _more_ops(a2, b2)
    g2.backward()
    assert (g.data, a.grad, b.grad) == (g2.data, a2.grad, b2.grad)


@pytest.mark.parametrize("name", ["tanh", "exp"])
@pytest.mark.parametrize("x", [-1.0, 0.123, 2.0])
def test_unary_tensor_fns(name: str, x: float) -> None:
    tol = 1e-6
    xv = Value(x)
    yv = getattr(Value, name)(xv)
    yv.backward()
    xt = _tensor(x)
    yt = getattr(torch.Tensor, name)(xt)
    yt.backward()
    assert abs(yv.data - yt.data.item()) < tol
    assert abs(xv.grad - xt.grad.item()) < tol
