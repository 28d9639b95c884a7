"""Nielsen's ``network.py`` done right: the four equations of backpropagation in numpy.

The notation is the book's (chapter 2). ``weights[l]`` is the matrix w of one layer, shape
(n_l, n_{l-1}), so that z = w a + b applies "the weight matrix to the activations" (eq. 25);
``biases[l]`` is a column (n_l, 1). List index 0 is the first weight layer (the book's w^2).
Examples are column vectors; a mini-batch is the matrix X = [x_1 x_2 ... x_m] whose columns
are the examples (the chapter's "fully matrix-based approach" Problem).

The four equations, one function each, usable on their own::

    δ^L = ∇_a C ⊙ σ'(z^L)                       (BP1)  bp1_output_error
    δ^l = ((w^{l+1})^T δ^{l+1}) ⊙ σ'(z^l)       (BP2)  bp2_backpropagate_error
    ∂C/∂b^l = δ^l                               (BP3)  bp3_bias_gradient
    ∂C/∂w^l = δ^l (a^{l-1})^T                   (BP4)  bp4_weight_gradient

and the alternate form with the diagonal matrix Σ'(z) (eqs. 33–35): ``sigma_prime_matrix``,
``deltas_sigma_prime`` and ``Network.backprop_sigma_prime``.

The book's listing of ``backprop`` has index bugs inside its loop: ``z = zs[-1]`` must be
``zs[-l]``, and ``nabla_b[-1]``, ``nabla_w[-1]`` must be ``nabla_b[-l]``, ``nabla_w[-l]``
(as printed it reuses the output layer's z and overwrites the output layer's gradient). Its
mini-batch pseudocode also updates ``w^{l+1}`` with layer l's gradient (should be w^l) and
feeds forward with ``w^{l-1}`` (should be w^l); the four-equations notes' version of that step
runs l = L−1, ..., 2 and so never updates w^L. The code below is the corrected algorithm;
``tests/nn/test_matrix.py`` transcribes the printed versions and shows they disagree with the
scalar engine while this module agrees with it to 1e-12.

>>> net = Network([2, 3, 1], seed=0)
>>> [w.shape for w in net.weights], [b.shape for b in net.biases]
([(3, 2), (1, 3)], [(3, 1), (1, 1)])
>>> x, y = np.array([[0.5], [-1.0]]), np.array([[1.0]])
>>> nabla_b, nabla_w = net.backprop(x, y)
>>> [d.shape for d in net.deltas], [a.shape for a in net.activations]
([(3, 1), (1, 1)], [(2, 1), (3, 1), (1, 1)])
>>> bool(np.allclose(nabla_b[-1], net.deltas[-1]))     # BP3
True
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import positive_int, positive_number
from .train import DivergenceError

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "Activation",
    "Cost",
    "CrossEntropyCost",
    "Network",
    "QuadraticCost",
    "bp1_output_error",
    "bp2_backpropagate_error",
    "bp3_bias_gradient",
    "bp4_weight_gradient",
    "deltas_sigma_prime",
    "hadamard",
    "load_digits_data",
    "sigma_prime_matrix",
]

Array = NDArray[np.float64]
Example = tuple[Any, Any]


# ---- the Hadamard product and the four equations ---------------------------------------------
def hadamard(s: Any, t: Any) -> NDArray[Any]:
    """The Hadamard (elementwise) product s ⊙ t, (s ⊙ t)_j = s_j t_j (eq. 28).

    >>> hadamard([1, 2], [3, 4])
    array([3, 8])
    """
    s, t = np.asarray(s), np.asarray(t)
    if s.shape != t.shape:
        raise ValueError(f"hadamard: s has shape {s.shape} but t has shape {t.shape}")
    return s * t


def bp1_output_error(nabla_a_cost: Array, sigma_prime_z: Array) -> Array:
    """(BP1) the error of the output layer: δ^L = ∇_a C ⊙ σ'(z^L).

    ``nabla_a_cost`` holds ∂C/∂a_j^L (for the quadratic cost, a^L − y: eq. 30).

    >>> bp1_output_error(np.array([[0.5], [-1.0]]), np.array([[0.25], [0.5]]))
    array([[ 0.125],
           [-0.5  ]])
    """
    return nabla_a_cost * sigma_prime_z


def bp2_backpropagate_error(weights_next: Array, delta_next: Array, sigma_prime_z: Array) -> Array:
    """(BP2) the error of layer l from the next one: δ^l = ((w^{l+1})^T δ^{l+1}) ⊙ σ'(z^l).

    Multiplying by the transpose moves the error backward through the weights; the Hadamard
    product with σ'(z^l) moves it back through the activation function.

    >>> w_next = np.array([[1.0, 2.0]])                   # one neuron fed by two
    >>> bp2_backpropagate_error(w_next, np.array([[0.5]]), np.array([[1.0], [0.25]]))
    array([[0.5 ],
           [0.25]])
    """
    delta = weights_next.T @ delta_next
    delta *= sigma_prime_z
    return delta


def bp3_bias_gradient(delta: Array) -> Array:
    """(BP3) ∂C/∂b^l = δ^l: the error is exactly the rate of change with respect to the bias.

    With one column per example (a mini-batch), the columns are summed: Σ_x ∂C_x/∂b^l. The
    result is always a new (n_l, 1) array.

    >>> bp3_bias_gradient(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[3.],
           [7.]])
    """
    return delta.sum(axis=1, keepdims=True)


def bp4_weight_gradient(delta: Array, activation_prev: Array, out: Array | None = None) -> Array:
    """(BP4) ∂C/∂w^l = δ^l (a^{l-1})^T, i.e. ∂C/∂w_jk^l = a_k^{l-1} δ_j^l = a_in δ_out.

    With one column per example the matrix product sums over the examples by itself:
    δ^l (a^{l-1})^T = Σ_x δ^{x,l} (a^{x,l-1})^T. ``out`` receives the result if given.

    >>> bp4_weight_gradient(np.array([[2.0]]), np.array([[0.5], [3.0]]))
    array([[1., 6.]])
    """
    if delta.shape[1] == 1:  # one example: an outer product, which np.matmul does without BLAS
        return np.dot(delta, activation_prev.T, out=out)
    return np.matmul(delta, activation_prev.T, out=out)


def sigma_prime_matrix(sigma_prime_z: Array) -> Array:
    """Σ'(z): the square matrix with σ'(z_j) on its diagonal and zeros elsewhere (eq. 33).

    It acts on a vector by ordinary matrix multiplication: Σ'(z) v = σ'(z) ⊙ v.

    >>> sigma_prime_matrix(np.array([[0.25], [0.5]]))
    array([[0.25, 0.  ],
           [0.  , 0.5 ]])
    """
    return np.diag(np.ravel(sigma_prime_z))


def deltas_sigma_prime(
    weights: Sequence[Array], sigma_primes: Sequence[Array], nabla_a_cost: Array
) -> list[Array]:
    """Every δ^l by eq. 35, with no Hadamard product: conventional matrix products only.

    δ^L = Σ'(z^L) ∇_a C (eq. 33), δ^l = Σ'(z^l) (w^{l+1})^T δ^{l+1} (eq. 34), so
    δ^l = Σ'(z^l) (w^{l+1})^T Σ'(z^{l+1}) ··· (w^L)^T Σ'(z^L) ∇_a C (eq. 35). The product of
    matrices M^l = Σ'(z^l) (w^{l+1})^T M^{l+1} is formed first and then applied to ∇_a C, as
    the equation is written. For one example (a column); slower than BP1–BP2 by design.

    >>> w = [np.array([[1.0]]), np.array([[2.0]])]
    >>> deltas_sigma_prime(w, [np.array([[0.5]]), np.array([[0.25]])], np.array([[1.0]]))
    [array([[0.25]]), array([[0.25]])]
    """
    if len(weights) != len(sigma_primes):
        raise ValueError(f"{len(weights)} weight matrices but {len(sigma_primes)} σ'(z) vectors")
    product = sigma_prime_matrix(sigma_primes[-1])  # M^L = Σ'(z^L)
    matrices = [product]
    for l in range(len(weights) - 2, -1, -1):
        product = sigma_prime_matrix(sigma_primes[l]) @ weights[l + 1].T @ product
        matrices.append(product)
    matrices.reverse()
    return [m @ nabla_a_cost for m in matrices]


# ---- activation functions ---------------------------------------------------------------------
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


def _sigmoid(z: Array) -> Array:
    # 1/(1 + e^(−z)) in place on one new array; e^(−z) = inf for z < −709 gives the right 0.0.
    a = np.negative(z)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)
    return a


def _sigmoid_prime(z: Array) -> Array:
    # σ'(z) = e/(1+e)² with e = e^(−|z|): exact in both tails, where a(1 − a) loses digits.
    e = np.exp(-np.abs(z))
    d = 1.0 + e
    return e / (d * d)


def _sigmoid_prime_from_output(a: Array) -> Array:
    s = 1.0 - a  # σ' = σ(1 − σ), eq. 40
    s *= a
    return s


def _tanh_prime(z: Array) -> Array:
    # sech²(z) = 4e/(1+e)² with e = e^(−2|z|), exact where 1 − tanh² would round to 0
    e = np.exp(-2.0 * np.abs(z))
    d = 1.0 + e
    return 4.0 * e / (d * d)


def _tanh_prime_from_output(a: Array) -> Array:
    s = a * a
    np.subtract(1.0, s, out=s)
    return s


def _softplus(z: Array) -> Array:
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _relu_prime(z: Array) -> Array:
    return (z > 0.0).astype(np.float64)  # relu'(0) = 0, as the engine, micrograd and PyTorch


SIGMOID = Activation("sigmoid", _sigmoid, _sigmoid_prime, _sigmoid_prime_from_output)
TANH = Activation("tanh", np.tanh, _tanh_prime, _tanh_prime_from_output)
RELU = Activation("relu", lambda z: np.maximum(z, 0.0), _relu_prime)
# σ(z) = z: the "linear neurons" exercise. a^l is z^l itself (no copy); σ' = 1 everywhere.
LINEAR = Activation("linear", lambda z: z, np.ones_like)
SOFTPLUS = Activation("softplus", _softplus, _sigmoid)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (SIGMOID, TANH, RELU, LINEAR, SOFTPLUS)}
"""The activations known by name; any other ``Activation`` can be passed as an object."""


# ---- cost functions ---------------------------------------------------------------------------
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
        if activation is SIGMOID:
            return a - y  # BP1 with σ'(z) cancelled by hand
        return super().delta(z, a, y, activation)


COSTS: dict[str, Cost] = {
    "quadratic": QuadraticCost(),
    "cross-entropy": CrossEntropyCost(),
    "cross_entropy": CrossEntropyCost(),
}
"""The costs known by name; any other ``Cost`` can be passed as an object."""

_UNBOUNDED = {"linear", "relu", "tanh", "softplus"}  # outputs outside (0, 1)


def _activation(spec: Any) -> Activation:
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str) and spec in ACTIVATIONS:
        return ACTIVATIONS[spec]
    known = ", ".join(sorted(ACTIVATIONS))
    raise ValueError(f"unknown activation {spec!r}: choose one of {known}, or pass an Activation")


def _cost(spec: Any) -> Cost:
    if isinstance(spec, Cost):
        return spec
    if isinstance(spec, str) and spec in COSTS:
        return COSTS[spec]
    raise ValueError(
        f"unknown cost {spec!r}: choose 'quadratic' or 'cross-entropy', or pass a Cost"
    )


# ---- the network ------------------------------------------------------------------------------
class Network:
    """A feedforward network in the book's notation, trained by BP1–BP4 and SGD.

    ``sizes`` lists the neurons per layer, input first (``[784, 30, 10]``). ``activation`` is a
    name (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"linear"``, ``"softplus"``), an
    ``Activation``, or one of those per non-input layer. ``cost`` is ``"quadratic"``,
    ``"cross-entropy"`` or a ``Cost``. Weights and biases are drawn from N(0, 1) as in the
    book's ``network.py`` (``weight_init="normal"``), or with weights N(0, 1/n_in)
    (``"scaled"``, the book's chapter 3). ``seed`` (an int or a numpy Generator) makes the
    initial weights and SGD's shuffling reproducible.

    After ``backprop`` the network keeps, for inspection, ``zs`` (z^l, one per non-input layer),
    ``activations`` (a^l, the input first) and ``deltas`` (δ^l = ∂C/∂z^l, one per non-input
    layer); with a mini-batch each has one column per example.

    >>> net = Network([3, 4, 2], activation="tanh", cost="quadratic", seed=1)
    >>> net.num_layers, net.sizes
    (3, [3, 4, 2])
    >>> net.feedforward(np.zeros((3, 1))).shape
    (2, 1)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        cost: str | Cost = "quadratic",
        seed: int | np.random.Generator | None = None,
        weight_init: str = "normal",
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs an input and an output layer, got {sizes!r}")
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, numbers.Integral):
                raise TypeError(f"layer sizes must be ints, got {n!r} ({type(n).__name__})")
            if n < 1:
                raise ValueError(f"layer sizes must be at least 1, got {sizes!r}")
        n_weight_layers = len(sizes) - 1
        if isinstance(activation, (str, Activation)):
            layer_activations = [_activation(activation)] * n_weight_layers
        else:
            layer_activations = [_activation(a) for a in activation]
            if len(layer_activations) != n_weight_layers:
                raise ValueError(
                    f"{len(layer_activations)} activations given for "
                    f"{n_weight_layers} non-input layers"
                )
        the_cost = _cost(cost)
        if isinstance(the_cost, CrossEntropyCost) and layer_activations[-1].name in _UNBOUNDED:
            raise ValueError(
                f"the cross-entropy cost needs outputs in (0, 1), but the output activation "
                f"is {layer_activations[-1].name!r}: use a sigmoid output layer"
            )
        if weight_init not in ("normal", "scaled"):
            raise ValueError(f"unknown weight_init {weight_init!r}: choose 'normal' or 'scaled'")
        self.sizes: list[int] = [int(n) for n in sizes]
        self.num_layers: int = len(sizes)
        self.layer_activations: list[Activation] = layer_activations
        self.cost: Cost = the_cost
        self.rng: np.random.Generator = np.random.default_rng(seed)
        rng = self.rng
        self.biases: list[Array] = [rng.standard_normal((n, 1)) for n in self.sizes[1:]]
        self.weights: list[Array] = [
            rng.standard_normal((n, k)) / (math.sqrt(k) if weight_init == "scaled" else 1.0)
            for k, n in zip(self.sizes[:-1], self.sizes[1:])
        ]
        self.zs: list[Array] = []
        self.activations: list[Array] = []
        self.deltas: list[Array] = []
        # gradient buffers of the fast path (update_batch), reused on every step
        self._nabla_w: list[Array] = [np.empty_like(w) for w in self.weights]

    def __repr__(self) -> str:
        names = [a.name for a in self.layer_activations]
        act = names[0] if len(set(names)) == 1 else names
        return f"Network({self.sizes}, activation={act!r}, cost={self.cost.name!r})"

    # ---- checking input -------------------------------------------------------------------
    def _columns(self, x: Any, n: int, what: str) -> Array:
        """x as a float array of shape (n, m), or a ValueError naming both shapes."""
        if type(x) is not np.ndarray or x.dtype != np.float64:
            try:
                x = np.asarray(x, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{what} must be a numeric array, got {type(x).__name__}") from None
        if x.ndim != 2 or x.shape[0] != n or x.shape[1] < 1:
            hint = " (one example is a column: use x.reshape(-1, 1))" if x.ndim == 1 else ""
            raise ValueError(
                f"{what}: expected shape ({n}, 1), or ({n}, m) for m examples, got {x.shape}{hint}"
            )
        if not np.isfinite(x).all():
            raise ValueError(f"{what} contains nan or inf")
        return x

    def _pair(self, x: Any, y: Any) -> tuple[Array, Array]:
        x = self._columns(x, self.sizes[0], "input x")
        y = self._columns(y, self.sizes[-1], "target y")
        if y.shape[1] != x.shape[1]:
            raise ValueError(f"x has {x.shape[1]} examples (columns) but y has {y.shape[1]}")
        return x, y

    def _stack(self, data: Sequence[Example], what: str) -> tuple[Array, Array]:
        """A list of (x, y) column pairs as the matrices X = [x_1 ... x_m], Y = [y_1 ... y_m]."""
        if len(data) == 0:
            raise ValueError(f"{what} is empty")
        try:
            xs, ys = zip(*data)
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be a list of (x, y) pairs") from None
        X = self._stack_columns(xs, self.sizes[0], f"{what}: x")
        Y = self._stack_columns(ys, self.sizes[-1], f"{what}: y")
        return X, Y

    def _stack_columns(self, columns: Sequence[Any], n: int, what: str) -> Array:
        # np.array of m columns (n, 1) is one copy into (m, n, 1); its transpose view is X with
        # the examples as contiguous columns (Fortran order), which BLAS reads as it is.
        m = len(columns)
        try:
            stacked = np.array(columns, dtype=np.float64)
        except (TypeError, ValueError):
            stacked = np.empty(0)  # ragged or not numeric: report the first odd one below
        if stacked.shape != (m, n, 1):
            for i, column in enumerate(columns):
                if np.shape(column) != (n, 1):
                    raise ValueError(
                        f"{what}[{i}]: expected shape ({n}, 1), got {np.shape(column)}"
                    )
            raise TypeError(f"{what}: every entry must be a numeric ({n}, 1) array")
        if not np.isfinite(stacked).all():
            bad = int(np.argmax(~np.isfinite(stacked).reshape(m, -1).all(axis=1)))
            raise ValueError(f"{what}[{bad}] contains nan or inf")
        return stacked.reshape(m, n).T

    # ---- forward ----------------------------------------------------------------------------
    def feedforward(self, a: Any) -> Array:
        """The output a^L for input a: a^l = σ(w^l a^{l-1} + b^l) layer by layer (eq. 25).

        ``a`` has shape (n_in, 1), or (n_in, m) for m examples at once. Keeps no state.
        """
        a = self._columns(a, self.sizes[0], "input a")
        for w, b, act in zip(self.weights, self.biases, self.layer_activations):
            z = w @ a
            z += b
            a = act.function(z)
        return a

    # ---- backward ---------------------------------------------------------------------------
    def _forward_backward(self, x: Array, y: Array) -> None:
        """Feedforward keeping z^l and a^l, then BP1 and BP2 for every δ^l (x, y checked)."""
        activation = x
        activations = [x]  # a^1 = x, then one a^l per layer
        zs = []  # z^l = w^l a^{l-1} + b^l
        for w, b, act in zip(self.weights, self.biases, self.layer_activations):
            z = w @ activation
            z += b
            zs.append(z)
            activation = act.function(z)
            activations.append(activation)
        # backward pass: BP1 at the output, then BP2 from l = L-1 down to the first hidden layer
        n = len(zs)
        deltas: list[Array] = [np.empty(0)] * n
        deltas[-1] = self.cost.delta(zs[-1], activations[-1], y, self.layer_activations[-1])
        for l in range(n - 2, -1, -1):
            sp = self.layer_activations[l].prime(zs[l], activations[l + 1])
            deltas[l] = bp2_backpropagate_error(self.weights[l + 1], deltas[l + 1], sp)
        self.zs, self.activations, self.deltas = zs, activations, deltas

    def backprop(self, x: Any, y: Any) -> tuple[list[Array], list[Array]]:
        """``(nabla_b, nabla_w)``: the gradient of the cost C_x, layer by layer like the weights.

        BP1 gives δ^L, BP2 each earlier δ^l, BP3 ∂C/∂b^l = δ^l, BP4 ∂C/∂w^l = δ^l (a^{l-1})^T.
        With m columns in x and y the result is the gradient of Σ_x C_x (the sum, not the mean).
        Afterwards ``zs``, ``activations`` and ``deltas`` hold this pass's z^l, a^l and δ^l.

        >>> net = Network([2, 2], activation="linear", seed=0)
        >>> net.weights[0][:], net.biases[0][:] = [[1.0, 0.0], [0.0, 1.0]], 0.0
        >>> nabla_b, nabla_w = net.backprop(np.array([[1.0], [2.0]]), np.zeros((2, 1)))
        >>> nabla_w[0]                                   # δ a^T with δ = a − y = x
        array([[1., 2.],
               [2., 4.]])
        """
        x, y = self._pair(x, y)
        self._forward_backward(x, y)
        nabla_b = [bp3_bias_gradient(d) for d in self.deltas]
        nabla_w = [bp4_weight_gradient(d, a) for d, a in zip(self.deltas, self.activations)]
        return nabla_b, nabla_w

    def backprop_sigma_prime(self, x: Any, y: Any) -> tuple[list[Array], list[Array]]:
        """The same gradient as ``backprop``, with every δ^l from eq. 35 (Σ'(z) matrices).

        σ'(z) comes from ``Activation.derivative(z)`` and ∇_a C from ``Cost.derivative``, never
        from the shortcuts the fast path takes, so this is a second, independent route. For
        several columns each example is done on its own and the gradients summed.
        """
        x, y = self._pair(x, y)
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(w) for w in self.weights]
        for i in range(x.shape[1]):
            a = x[:, i : i + 1]
            activations, sigma_primes = [a], []
            for w, b, act in zip(self.weights, self.biases, self.layer_activations):
                z = w @ a + b
                a = act.function(z)
                activations.append(a)
                sigma_primes.append(act.derivative(z))
            nabla_a = self.cost.derivative(activations[-1], y[:, i : i + 1])
            deltas = deltas_sigma_prime(self.weights, sigma_primes, nabla_a)
            for l, delta in enumerate(deltas):
                nabla_b[l] += delta
                nabla_w[l] += delta @ activations[l].T
        return nabla_b, nabla_w

    # ---- learning ----------------------------------------------------------------------------
    def update_mini_batch(self, mini_batch: Sequence[Example], eta: float) -> None:
        """One gradient-descent step, the book's way: ``backprop`` on each example in turn.

        w^l → w^l − (η/m) Σ_x δ^{x,l} (a^{x,l-1})^T and b^l → b^l − (η/m) Σ_x δ^{x,l}, for
        every layer l (``mini_batch`` is a list of (x, y) column pairs, m its length).
        """
        eta = _learning_rate(eta)
        if len(mini_batch) == 0:
            raise ValueError("mini_batch is empty")
        try:
            pairs = [self._pair(x, y) for x, y in mini_batch]  # check all, then change anything
        except (TypeError, ValueError) as error:
            if "unpack" in str(error):
                raise TypeError("mini_batch must be a list of (x, y) pairs") from None
            raise
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in pairs:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            for nb, dnb in zip(nabla_b, delta_nabla_b):
                nb += dnb
            for nw, dnw in zip(nabla_w, delta_nabla_w):
                nw += dnw
        step = eta / len(pairs)
        new_w = [w - step * nw for w, nw in zip(self.weights, nabla_w)]
        new_b = [b - step * nb for b, nb in zip(self.biases, nabla_b)]
        if not all(np.isfinite(a).all() for a in (*new_w, *new_b)):
            raise _diverged(self.activations[-1], eta)
        self.weights, self.biases = new_w, new_b

    def update_mini_batch_matrix(self, mini_batch: Sequence[Example], eta: float) -> None:
        """The same step, fully matrix-based: the mini-batch's x's are the columns of X.

        One pass forward and one backward with matrices instead of m passes with vectors (the
        chapter's Problem); BP4's δ^l (a^{l-1})^T then sums over the examples by itself.
        """
        X, Y = self._stack(mini_batch, "mini_batch")
        self._update(X, Y, _learning_rate(eta))

    def update_batch(self, X: Any, Y: Any, eta: float) -> None:
        """``update_mini_batch_matrix`` for a mini-batch already stacked: X (n_in, m), Y (n_out, m).

        The fast path: weights and biases are updated in place, the gradient of the weights is
        written into buffers kept between calls.
        """
        X, Y = self._pair(X, Y)
        self._update(X, Y, _learning_rate(eta))

    def _update(self, X: Array, Y: Array, eta: float) -> None:
        # All or nothing: every layer's new w and b are computed and checked first, then both
        # lists are replaced in one step, so an error or an interrupt leaves the old network.
        # numpy's overflow warnings are silenced: a non-finite result is a DivergenceError.
        with np.errstate(over="ignore", invalid="ignore"):
            self._forward_backward(X, Y)
            step = eta / X.shape[1]
            buffers = self._nabla_w
            new_w, new_b = [], []
            for l, (w, b, delta, a_prev) in enumerate(
                zip(self.weights, self.biases, self.deltas, self.activations)
            ):
                if buffers[l].shape != w.shape:  # the weights were replaced by other shapes
                    buffers[l] = np.empty_like(w)
                scaled = delta * step  # (η/m) δ^l: n_l × m, smaller than ∂C/∂w^l to scale
                new_w.append(w - bp4_weight_gradient(scaled, a_prev, out=buffers[l]))  # BP4
                new_b.append(b - bp3_bias_gradient(scaled))  # BP3, summed over x
        if not (all(np.isfinite(w).all() for w in new_w)
                and all(np.isfinite(b).all() for b in new_b)):
            raise _diverged(self.activations[-1], eta)
        self.weights, self.biases = new_w, new_b

    def SGD(
        self,
        training_data: Sequence[Example],
        epochs: int,
        mini_batch_size: int,
        eta: float,
        test_data: Sequence[Example] | None = None,
        verbose: bool = True,
    ) -> list[int]:
        """Mini-batch stochastic gradient descent, as the book's ``SGD``.

        ``training_data`` is a list of (x, y) column pairs; each epoch shuffles it (with the
        network's seeded generator; the caller's list is not touched), cuts it into
        mini-batches and takes one fully matrix-based step per mini-batch. With ``test_data``
        the network is evaluated after each epoch and progress printed as in the book
        (``verbose=False`` prints nothing). Returns the per-epoch ``evaluate`` counts.
        """
        eta = _learning_rate(eta)
        epochs = positive_int("epochs", epochs)
        mini_batch_size = positive_int("mini_batch_size", mini_batch_size)
        X, Y = self._stack(training_data, "training_data")
        # examples as rows: a shuffled mini-batch is then a contiguous slice, transposed (a view)
        x_rows, y_rows = np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)
        n = x_rows.shape[0]
        if test_data is not None:
            X_test, labels = self._test_matrices(test_data)
        history = []
        for j in range(epochs):
            order = self.rng.permutation(n)
            xs, ys = x_rows[order], y_rows[order]
            for k in range(0, n, mini_batch_size):
                try:
                    self._update(xs[k : k + mini_batch_size].T, ys[k : k + mini_batch_size].T,
                                 eta)
                except DivergenceError as error:
                    step = k // mini_batch_size + 1
                    raise DivergenceError(
                        str(error).replace("training diverged",
                                           f"training diverged at epoch {j + 1}, step {step}"),
                        j + 1, step) from None
            if test_data is not None:
                correct = self._count_correct(X_test, labels)
                history.append(correct)
                if verbose:
                    print(f"Epoch {j}: {correct} / {len(labels)}")
            elif verbose:
                print(f"Epoch {j} complete")
        return history

    def _test_matrices(self, test_data: Sequence[Example]) -> tuple[Array, NDArray[np.intp]]:
        if len(test_data) == 0:
            raise ValueError("test_data is empty")
        try:
            xs, ys = zip(*test_data)
        except (TypeError, ValueError):
            raise TypeError("test_data must be a list of (x, y) pairs") from None
        X = self._stack_columns(xs, self.sizes[0], "test_data: x")
        labels = np.array([int(np.argmax(y)) if np.ndim(y) else int(y) for y in ys])
        return X, labels

    def _count_correct(self, X: Array, labels: NDArray[np.intp]) -> int:
        return int(np.count_nonzero(np.argmax(self.feedforward(X), axis=0) == labels))

    def evaluate(self, test_data: Sequence[Example]) -> int:
        """How many test inputs the network classifies right: argmax of a^L equals the label.

        ``test_data`` is a list of (x, y) with y an int label (as the book's test data) or a
        one-hot column.

        >>> net = Network([2, 2], activation="linear", seed=0)
        >>> net.weights[0][:], net.biases[0][:] = [[1.0, 0.0], [0.0, 1.0]], 0.0
        >>> net.evaluate([(np.array([[1.0], [0.0]]), 0), (np.array([[0.0], [1.0]]), 0)])
        1
        """
        return self._count_correct(*self._test_matrices(test_data))

    def total_cost(self, data: Sequence[Example]) -> float:
        """The cost C = (1/n) Σ_x C_x over ``data`` (a list of (x, y) column pairs)."""
        X, Y = self._stack(data, "data")
        return self.cost.fn(self.feedforward(X), Y) / X.shape[1]


def _learning_rate(eta: Any) -> float:
    return positive_number("the learning rate eta", eta)


def _diverged(output: Array, eta: float) -> DivergenceError:
    where = "the output a^L is not finite" if not np.isfinite(output).all() else (
        "the update would make a weight or bias inf or nan")
    return DivergenceError(
        f"training diverged: {where} (eta={eta!r}); the network keeps its weights from before "
        "this step — try a smaller eta", 0, 0)


def load_digits_data(test_size: float = 0.25, seed: int = 0) -> tuple[list[Example], list[Example]]:
    """scikit-learn's 8×8 digits in the book's format: ``(training_data, test_data)``.

    Pixels are scaled to [0, 1]; x is a (64, 1) column. Training pairs have a one-hot (10, 1)
    y, test pairs an int label (as ``load_data_wrapper`` in the book). The split is stratified
    and seeded. The data ship inside scikit-learn: no download.
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:  # pragma: no cover - the dev and digits extras install it
        raise ImportError(
            "load_digits_data needs scikit-learn: pip install 'pathgrad[digits]'"
        ) from None
    digits = load_digits()
    images = digits.data.astype(np.float64) / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=test_size, random_state=seed, stratify=digits.target
    )
    eye = np.eye(10)
    training = [(x.reshape(-1, 1), eye[:, [t]]) for x, t in zip(x_train, y_train)]
    test = [(x.reshape(-1, 1), int(t)) for x, t in zip(x_test, y_test)]
    return training, test
