"""The rule table's math namespace for arrays: numpy, and the same functions for JAX or PyTorch.

``NUMPY_MATH`` is used by ``autograd.compile`` to replay a recorded graph over a batch, and by
the engine under ``ieee()`` to get IEEE 754 results (inf, nan) where Python's ``math`` raises.
``array_math(xp)`` builds the same namespace over another array library with numpy's names
(``jax.numpy``, or ``autograd.replay_array``'s PyTorch shim), so the JAX and PyTorch replays
run the very same rows. Kinks are masks (``where``), never Python branches; σ, σ′, tanh′,
softplus, step, sign and relu are the helpers of ``autograd.rules``, written once for floats,
arrays and Values.

This is the only module of ``autograd`` that needs numpy; nothing imports it until it is needed.

>>> import numpy as np
>>> NUMPY_MATH.step(np.array([-1.0, 0.0, 2.0]))
array([0., 0., 1.])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import numpy as np

from .rules import math_namespace

__all__ = ["NUMPY_MATH", "array_math"]


@contextmanager
def _no_errstate(**_: str) -> Iterator[None]:
    yield


def array_math(xp: Any) -> SimpleNamespace:
    """The math namespace over array library ``xp`` (numpy's names: exp, where, maximum ...).

    >>> array_math(np).relu(np.array([-2.0, 3.0]))
    array([0., 3.])
    """
    quiet = np.errstate if xp is np else _no_errstate  # the masked-out lanes may overflow

    def powgrad(x: Any, c: Any) -> Any:
        if isinstance(c, float):  # a constant exponent: the mask is known now
            return xp.zeros_like(x) if c == 0.0 else c * x ** (c - 1.0)
        with quiet(divide="ignore", invalid="ignore", over="ignore"):
            return xp.where(c == 0.0, 0.0, c * x ** (c - 1.0))

    def xlogy(o: Any, x: Any) -> Any:
        with quiet(divide="ignore", invalid="ignore"):
            return xp.where((o == 0.0) | (x == 0.0), 0.0, o * xp.log(x))

    return math_namespace(
        exp=xp.exp, log=xp.log, log1p=xp.log1p, sqrt=xp.sqrt, tanh=xp.tanh, sin=xp.sin,
        cos=xp.cos, abs=xp.abs, maximum=xp.maximum, where=xp.where, powgrad=powgrad, xlogy=xlogy,
    )


NUMPY_MATH = array_math(np)
"""The math namespace for numpy arrays (and numpy scalars); callers set ``np.errstate``."""
