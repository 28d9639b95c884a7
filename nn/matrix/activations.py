"""Activation functions σ with their derivatives σ′, taken from the engine's rule rows.

The rows of ``autograd.rules`` run on numpy arrays through ``NUMPY_MATH``, so σ, σ′, tanh′,
relu′ (the step) and softplus are written once for the scalar engine, the compiled replay and
these matrices (the tail-exact forms: σ′ = e/(1+e)² with e = e^(−|z|), never a(1 − a) alone).

>>> import numpy as np
>>> SIGMOID.derivative(np.array([0.0]))
array([0.25])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.rules import ROWS

from .equations import Array

__all__ = ["ACTIVATIONS", "LINEAR", "RELU", "SIGMOID", "SOFTPLUS", "TANH", "Activation",
           "get_activation"]


@dataclass(frozen=True)
class Activation:
    """An activation function σ with its derivative σ': all that BP1 and BP2 need of it.

    The four equations hold for any f with a derivative (the chapter's "single modified
    neuron" and "linear neurons" exercises): give ``function`` and ``derivative`` on arrays.
    ``derivative_from_output``, if given, computes σ'(z) from a = σ(z) (for the sigmoid,
    a(1 − a), eq. 40): cheaper, and what the fast path uses, as PyTorch's sigmoid and tanh
    backward do. It is exact to ~1e-16 absolute but loses relative digits where σ' is tiny
    (|z| ≳ 10 for the sigmoid); ``derivative(z)`` is exact there too, and ``backprop_sigma_prime``
    uses it.

    >>> square = Activation("square", lambda z: z * z, lambda z: 2 * z)
    >>> square.prime(np.array([3.0]), np.array([9.0]))
    array([6.])
    """

    name: str
    function: Callable[[Array], Array]
    derivative: Callable[[Array], Array]
    derivative_from_output: Callable[[Array], Array] | None = None

    def __call__(self, z: Array) -> Array:
        return self.function(z)

    def prime(self, z: Array, a: Array) -> Array:
        """σ'(z), from the output a = σ(z) where that is cheaper."""
        if self.derivative_from_output is not None:
            return self.derivative_from_output(a)
        return self.derivative(z)


def _from_row(
    name: str,
    function: Callable[[Array], Array] | None = None,
    from_output: Callable[[Array], Array] | None = None,
) -> Activation:
    """The activation of the rule row ``name``: σ′ is the row's rate factor on arrays; σ is the
    row's forward unless a faster in-place form is given (pinned to the row by a test)."""
    row = ROWS[name]

    def forward(z: Array) -> Array:
        return np.asarray(row.forward(NUMPY_MATH, z), dtype=np.float64)

    def derivative(z: Array) -> Array:
        out = row.forward(NUMPY_MATH, z)
        return np.asarray(row.partials(NUMPY_MATH, out, z)[0], dtype=np.float64)

    return Activation(name, function or forward, derivative, from_output)


def _sigmoid(z: Array) -> Array:
    with np.errstate(over="ignore"):
        return sigmoid_unguarded(z)


def sigmoid_unguarded(z: Array) -> Array:
    """The hot path's σ: 1/(1 + e^(−z)) in place on one new array (e^(−z) = inf for z < −709
    gives the right 0.0); within an ulp of the row's two-branch form. numpy warns of that
    overflow unless the caller silences it (``SIGMOID.function`` does; ``Network``'s matrix
    step calls this under its own ``np.errstate``, one context a step instead of one a layer).

    >>> sigmoid_unguarded(np.array([0.0]))
    array([0.5])
    """
    a = np.negative(z)
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)
    return a


def _sigmoid_prime_from_output(a: Array) -> Array:
    s = 1.0 - a  # σ' = σ(1 − σ), eq. 40
    s *= a
    return s


def _tanh_prime_from_output(a: Array) -> Array:
    s = a * a
    np.subtract(1.0, s, out=s)
    return s


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_prime_from_output(a: Array) -> Array:
    return (a > 0.0).astype(np.float64)  # a > 0 exactly where z > 0: relu'(0) = 0


SIGMOID = _from_row("sigmoid", _sigmoid, _sigmoid_prime_from_output)
TANH = _from_row("tanh", np.tanh, _tanh_prime_from_output)
RELU = _from_row("relu", _relu, _relu_prime_from_output)
SOFTPLUS = _from_row("softplus")
# σ(z) = z: the "linear neurons" exercise. a^l is z^l itself (no copy); σ' = 1 everywhere.
LINEAR = Activation("linear", lambda z: z, np.ones_like)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (SIGMOID, TANH, RELU, LINEAR, SOFTPLUS)}
"""The activations known by name: the one table for ``nn.Neuron``/``Layer``/``MLP`` (on Values a
neuron applies the row of that name as one node; ``MLP.feedforward`` these functions) and for
``Network``, which also takes any other ``Activation`` as an object."""


def get_activation(spec: Any) -> Activation:
    """An ``Activation`` given as itself or by name, or a ValueError listing the names."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str) and spec in ACTIVATIONS:
        return ACTIVATIONS[spec]
    known = ", ".join(sorted(ACTIVATIONS))
    raise ValueError(f"unknown activation {spec!r}: choose one of {known}, or pass an Activation")
