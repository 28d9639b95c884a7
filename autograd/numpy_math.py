"""The rule table's math namespace for numpy arrays (and numpy scalars).

Used by ``autograd.compile`` to replay a recorded graph over a batch, and by the engine under
``ieee()`` to get IEEE 754 results (inf, nan) where Python's ``math`` raises. Kinks are masks,
never Python branches, and each function gives the same numbers as ``FLOAT_MATH`` does on floats.

This is the only module of ``autograd`` that needs numpy; nothing imports it until it is needed.

>>> import numpy as np
>>> NUMPY_MATH.step(np.array([-1.0, 0.0, 2.0]))
array([0., 0., 1.])
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = ["NUMPY_MATH"]


def _sigmoid(x: Any) -> Any:
    # The same two branches as rules.sigmoid, so replay and eager give the same bits.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: Any) -> Any:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _step(x: Any) -> Any:
    return np.where(x > 0.0, 1.0, np.where(x <= 0.0, 0.0, x))  # nan stays nan


def _relu(x: Any) -> Any:
    return np.where(x <= 0.0, 0.0, x)  # nan stays nan, −0.0 becomes 0.0


def _powgrad(x: Any, c: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(c == 0.0, 0.0, c * x ** (c - 1.0))


def _dtanh(x: Any) -> Any:
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def _dsigmoid(x: Any) -> Any:
    e = np.exp(-np.abs(x))
    return e / ((1.0 + e) * (1.0 + e))


def _xlogy(o: Any, x: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((o == 0.0) | (x == 0.0), 0.0, o * np.log(x))


NUMPY_MATH = SimpleNamespace(
    exp=np.exp,
    log=np.log,
    sqrt=np.sqrt,
    tanh=np.tanh,
    sin=np.sin,
    cos=np.cos,
    abs=np.abs,
    sigmoid=_sigmoid,
    softplus=_softplus,
    step=_step,
    sign=np.sign,
    relu=_relu,
    powgrad=_powgrad,
    xlogy=_xlogy,
    dtanh=_dtanh,
    dsigmoid=_dsigmoid,
)
