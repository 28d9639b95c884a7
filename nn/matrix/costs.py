"""Costs C_x of one example's output, with ∇_a C and the output error δ^L (BP1).

Two names for two ideas: a ``Cost`` (Nielsen's ``network2.py``: ``QuadraticCost``,
``CrossEntropyCost``) works on numpy arrays and carries its derivative and δ^L written by hand,
for the four equations; an ``nn.losses.Loss`` (micrograd's and PyTorch's word) is the same C_x
built of ``Value`` operations, which the engine differentiates. ``tests/nn/test_losses.py`` pins
each ``Cost`` to its ``Loss``.

>>> import numpy as np
>>> QuadraticCost().derivative(np.array([[1.0]]), np.array([[0.25]]))
array([[0.75]])
"""

from __future__ import annotations

import math  # noqa: F401  (the doctests use it)
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from .activations import SIGMOID, Activation
from .equations import Array, bp1_output_error

__all__ = ["COSTS", "UNBOUNDED", "Cost", "CrossEntropyCost", "QuadraticCost", "get_cost"]


class Cost(ABC):
    """A cost C_x of one example's output a^L (columns: several examples, costs summed).

    ``fn(a, y)`` is C, ``derivative(a, y)`` is ∇_a C, and ``delta(z, a, y, activation)`` is
    the output error δ^L by BP1 (a cost may simplify it, as the cross-entropy does).
    """

    name = ""

    @abstractmethod
    def fn(self, a: Array, y: Array) -> float:
        """C for the output a and the desired output y."""

    @abstractmethod
    def derivative(self, a: Array, y: Array) -> Array:
        """∇_a C, the rate of change of C with the output activations."""

    def delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        """(BP1) δ^L = ∇_a C ⊙ σ'(z^L)."""
        return bp1_output_error(self.derivative(a, y), activation.prime(z, a))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class QuadraticCost(Cost):
    """C_x = ½ ‖y − a^L‖² (eq. 27), so ∇_a C = a^L − y and δ^L = (a^L − y) ⊙ σ'(z^L) (eq. 30).

    >>> QuadraticCost().fn(np.array([[1.0], [0.0]]), np.array([[0.0], [0.0]]))
    0.5
    """

    name = "quadratic"

    def fn(self, a: Array, y: Array) -> float:
        d = a - y
        return 0.5 * float(np.vdot(d, d))

    def derivative(self, a: Array, y: Array) -> Array:
        return a - y

    def delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        d = a - y
        d *= activation.prime(z, a)  # BP1 in place
        return d


class CrossEntropyCost(Cost):
    """C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)] (the book's chapter 3), a in (0, 1).

    ∇_a C = (a − y) / (a (1 − a)). With sigmoid output neurons σ'(z) = a(1 − a) cancels in BP1
    and δ^L = a^L − y exactly: no learning slow-down when an output saturates.

    >>> CrossEntropyCost().fn(np.array([[0.5]]), np.array([[1.0]])) == math.log(2.0)
    True
    """

    name = "cross-entropy"

    def fn(self, a: Array, y: Array) -> float:
        # 0 · ln 0 is taken as 0 (the limit), so a saturated, correct output costs 0.
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(y == 0.0, 0.0, y * np.log(a))
            t += np.where(y == 1.0, 0.0, (1.0 - y) * np.log1p(-a))
        return -float(t.sum())

    def derivative(self, a: Array, y: Array) -> Array:
        return (a - y) / (a * (1.0 - a))

    def delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        if activation.function is SIGMOID.function:  # SIGMOID or a copy of it
            return a - y  # BP1 with σ'(z) cancelled by hand
        return super().delta(z, a, y, activation)


COSTS: dict[str, Cost] = {
    "quadratic": QuadraticCost(),
    "cross-entropy": CrossEntropyCost(),
    "cross_entropy": CrossEntropyCost(),
}
"""The costs known by name; any other ``Cost`` can be passed as an object."""

UNBOUNDED = {"linear", "relu", "tanh", "softplus"}  # outputs outside (0, 1)


def get_cost(spec: Any) -> Cost:
    """A ``Cost`` given as itself or by name, or a ValueError naming the choices."""
    if isinstance(spec, Cost):
        return spec
    if isinstance(spec, str) and spec in COSTS:
        return COSTS[spec]
    raise ValueError(
        f"unknown cost {spec!r}: choose 'quadratic' or 'cross-entropy', or pass a Cost"
    )
