"""Forward mode: push a small perturbation from the inputs to the output (Nielsen's big picture).

Nielsen's chapter 2 imagines a nudge Δw to one weight rippling forward, Δw → Δa → … → ΔC, each
step multiplying by the edge's rate factor. ``jvp`` does exactly that for a perturbation of all
inputs at once: it calls ``f`` on fresh Values (recording the graph, whose edges carry the
rate factors from the rule table) and sweeps the topological order *forwards*, each node's
tangent being Σ rate · tangent over its incoming edges. The result is the directional
derivative ∇f · t. One pass gives one direction: a full gradient of n inputs costs n passes
(one per unit tangent), where reverse mode gets all n from one backward sweep.

>>> from pathgrad.autograd import Value
>>> d = jvp(lambda x, y: x * y + x.sin(), [2.0, 3.0], [1.0, 0.0])  # ∂/∂x = y + cos x
>>> round(d, 6), round(d.value, 6)
(2.583853, 6.909297)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from ._checks import real_number
from .graph import forward_sweep, toposort
from .modes import ieee_on, recording
from .value import Value

__all__ = ["JVP", "jvp"]


class JVP(float):
    """The directional derivative (this float itself), with ``value``: f at the inputs.

    A float subclass so ``jvp(...)`` reads as the number the issue asks for, while the
    output's value from the same pass stays at hand (JAX and PyTorch return both).
    """

    value: float

    def __new__(cls, derivative: float, value: float) -> JVP:
        self = super().__new__(cls, derivative)
        self.value = value
        return self

    @property
    def derivative(self) -> float:
        """The directional derivative as a plain float."""
        return float(self)

    def __repr__(self) -> str:
        return f"JVP(derivative={float(self)!r}, value={self.value!r})"


def _argument(x: Any, what: str, i: int) -> float:
    """Input, tangent or output number ``i`` of ``jvp`` as a float; inf and nan only under
    ``ieee()``."""
    if isinstance(x, Value) and what == "input":
        return x.data
    f = real_number(f"jvp: {what} {i}", x)
    if f - f != 0.0 and not ieee_on():
        raise ValueError(f"jvp: {what} {i} is not finite: {f!r}")
    return f


def jvp(
    f: Callable[..., Any], inputs: Sequence[Value | float], tangents: Sequence[float]
) -> JVP:
    """The directional derivative of ``f`` at ``inputs`` along ``tangents``: Σ_i ∂f/∂x_i · t_i.

    ``f`` is called with one fresh ``Value`` per input (labels kept) and returns a ``Value``
    (a plain number counts as a constant: derivative 0). The perturbation is pushed forward in
    topological order through the stored rate factors. Returns a ``JVP``: a float equal to the
    derivative, with ``.value`` the output's value. The graph is recorded even inside
    ``no_grad()``, since the rates are what forward mode multiplies.

    >>> import math
    >>> from pathgrad.autograd import Value
    >>> w = Value(0.5, label="w")
    >>> d = jvp(lambda w: (w * w).tanh(), [w], [1.0])
    >>> math.isclose(d, 2 * 0.5 * (1 - math.tanh(0.25) ** 2), rel_tol=1e-15)
    True
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {f!r} ({type(f).__name__})")
    inputs, tangents = list(inputs), list(tangents)
    if len(inputs) != len(tangents):
        raise ValueError(f"jvp: {len(inputs)} inputs but {len(tangents)} tangents")
    point = [_argument(x, "input", i) for i, x in enumerate(inputs)]
    directions = [_argument(t, "tangent", i) for i, t in enumerate(tangents)]
    leaves = [
        Value(p, label=x.label if isinstance(x, Value) else "") for p, x in zip(point, inputs)
    ]
    with recording():
        y = f(*leaves)
    if not isinstance(y, Value):
        if isinstance(y, bool) or not isinstance(y, numbers.Real):
            raise TypeError(f"jvp: f must return a Value or a number, got {y!r} "
                            f"({type(y).__name__})")
        return JVP(0.0, _argument(y, "output", 0))
    tangent = forward_sweep(toposort(y), dict(zip(leaves, directions)))
    derivative = tangent.get(y, 0.0)
    if derivative - derivative != 0.0 and not ieee_on():
        raise OverflowError(
            f"jvp: the directional derivative is {derivative!r}: a product of rate factors and "
            "tangents overflowed a float; use pathgrad.autograd.ieee() for IEEE inf/nan"
        )
    return JVP(derivative, y.data)
