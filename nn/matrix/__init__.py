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

import numpy as np  # noqa: F401  (the doctests above use it)

from ..data import load_digits_data
from .activations import ACTIVATIONS, Activation
from .costs import COSTS, Cost, CrossEntropyCost, QuadraticCost
from .equations import (
    bp1_output_error,
    bp2_backpropagate_error,
    bp3_bias_gradient,
    bp4_weight_gradient,
    deltas_sigma_prime,
    hadamard,
    sigma_prime_matrix,
)
from .network import Network

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
