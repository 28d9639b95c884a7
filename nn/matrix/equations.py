"""The four equations of backpropagation (BP1–BP4) and the Σ'(z) form, one function each.

Nielsen's chapter 2 notation: columns are examples, ``weights[l]`` has shape (n_l, n_{l-1}).

>>> import numpy as np
>>> bp3_bias_gradient(np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[3.],
       [7.]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Array",
    "Example",
    "bp1_output_error",
    "bp2_backpropagate_error",
    "bp3_bias_gradient",
    "bp4_weight_gradient",
    "deltas_sigma_prime",
    "hadamard",
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
