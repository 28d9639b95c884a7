"""The rule table's math namespace for arrays: numpy, and the same functions for JAX or PyTorch.

``NUMPY_MATH`` is used by ``autograd.compile`` to replay a recorded graph over a batch, and by
the engine under ``ieee()`` to get IEEE 754 results (inf, nan) where Python's ``math`` raises.
``array_math(xp)`` builds the same namespace over another array library with numpy's names
(``jax.numpy``, or ``replay_array``'s PyTorch shim), so the JAX and PyTorch replays
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
from typing import Any

import numpy as np

from ..rules import MathNamespace, math_namespace

__all__ = ["NUMPY_MATH", "array_math"]


@contextmanager
def _no_errstate(**_: str) -> Iterator[None]:
    yield


def array_math(xp: Any) -> MathNamespace:
    """The math namespace over array library ``xp``: each function a row asks for (``m.exp``,
    ``m.where``, ``m.maximum``, a new op's ``m.atan``) is ``xp``'s of that name.

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

    # exp, log, where, maximum ... and any new op's function come from xp by numpy's name
    return math_namespace(xp, _NUMPY_1_NAMES, powgrad=powgrad, xlogy=xlogy)


_NUMPY_1_NAMES = {
    name: "arc" + name[1:] for name in ("acos", "acosh", "asin", "asinh", "atan", "atanh", "atan2")
}
if hasattr(np, "atan"):  # numpy >= 2 has the array API's names too
    _NUMPY_1_NAMES = {}


NUMPY_MATH = array_math(np)
"""The math namespace for numpy arrays (and numpy scalars); callers set ``np.errstate``."""
