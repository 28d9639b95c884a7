"""Demo 2 — the four equations BP1–BP4 in numpy, side by side with the scalar engine.

Nielsen, chapter 2, "The four fundamental equations behind backpropagation":

    δ^L = ∇_a C ⊙ σ'(z^L)                    (BP1)
    δ^l = ((w^{l+1})^T δ^{l+1}) ⊙ σ'(z^l)    (BP2)
    ∂C/∂b^l_j = δ^l_j                        (BP3)
    ∂C/∂w^l_jk = a^{l−1}_k δ^l_j             (BP4)

with δ^l_j ≡ ∂C/∂z^l_j (eq. 29) and the quadratic cost C = ½‖y − a^L‖² (eq. 27). The matrix
side is ``nn.matrix`` (each equation a function of its own); the engine side is an
``nn.MLP`` with the same weights, whose ``backward()`` knows nothing of δ: it just sums rate
factors. δ^l on the engine side is ``z.grad`` of each neuron's weighted-input node. The demo
prints both, their largest difference, the Σ'(z) form (eqs. 33–35) and the Hadamard product
example (eq. 28), and draws the network with z, a and δ on each neuron.

Run alone: ``python -m pathgrad.demos.four_equations [--out DIR]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .common import DEFAULT_OUT, Pictures, heading, run_alone

__all__ = ["SIZES", "main"]

SIZES = [3, 4, 2]
SEED = 2


def _matrix_rows(name: str, left: np.ndarray, right: np.ndarray) -> float:
    """Print a matrix from BP1–BP4 next to the engine's; return the largest |difference|."""
    diff = float(np.max(np.abs(left - right)))
    print(f"{name}   (BP side | engine side; vectors shown as rows)   "
          f"max |difference| = {diff:.1e}")
    for row_l, row_r in zip(np.atleast_2d(left), np.atleast_2d(right)):
        a = " ".join(f"{x:+.8f}" for x in row_l)
        b = " ".join(f"{x:+.8f}" for x in row_r)
        print(f"    [{a}]   [{b}]")
    return diff


def _matrix_side(net: Any, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], ...]:
    """BP1–BP4 one call at a time, as the chapter's algorithm: activations, δ, ∂C/∂b, ∂C/∂w."""
    from pathgrad.nn.matrix import (
        bp1_output_error,
        bp2_backpropagate_error,
        bp3_bias_gradient,
        bp4_weight_gradient,
    )

    # --- the matrix side, one equation at a time (as the algorithm in the chapter) ------------
    activations, zs = [x], []
    for w, b in zip(net.weights, net.biases):
        zs.append(w @ activations[-1] + b)
        activations.append(1.0 / (1.0 + np.exp(-zs[-1])))

    def sigma_prime(z: np.ndarray) -> np.ndarray:
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)

    nabla_a = activations[-1] - y  # ∂C/∂a^L for the quadratic cost (eq. 30)
    delta_L = bp1_output_error(nabla_a, sigma_prime(zs[-1]))
    delta_hidden = bp2_backpropagate_error(net.weights[1], delta_L, sigma_prime(zs[0]))
    deltas = [delta_hidden, delta_L]
    nabla_b = [bp3_bias_gradient(d) for d in deltas]
    nabla_w = [bp4_weight_gradient(d, a) for d, a in zip(deltas, activations)]

    return activations, deltas, nabla_b, nabla_w


def _engine_side(net: Any, x: np.ndarray, y: np.ndarray) -> tuple[Any, ...]:
    """The same network as Values: C and the engine's δ (z.grad), ∂C/∂b and ∂C/∂w."""
    from pathgrad.nn import MLP

    # --- the engine side: the same network as Values --------------------------------------------
    model = MLP(SIZES[0], SIZES[1:], activation="sigmoid", output_activation="sigmoid", seed=0)
    for layer, w, b in zip(model.layers, net.weights, net.biases):
        for j, neuron in enumerate(layer.neurons):
            for k, wk in enumerate(neuron.w):
                wk.data = float(w[j, k])
            neuron.b.data = float(b[j, 0])
    out = model(x[:, 0].tolist())
    from pathgrad.nn.losses import quadratic

    C = quadratic.example(out, y[:, 0].tolist())
    C.backward()
    # δ^l_j = ∂C/∂z^l_j: the grad of each neuron's weighted-input node from this forward pass
    z_nodes = [[n.last_z for n in layer.neurons] for layer in model.layers]
    engine_delta = [np.array([[z.grad if z is not None else math.nan] for z in zs])
                    for zs in z_nodes]
    engine_b = [np.array([[n.b.grad] for n in layer.neurons]) for layer in model.layers]
    engine_w = [np.array([[wk.grad for wk in n.w] for n in layer.neurons])
                for layer in model.layers]

    return C, engine_delta, engine_b, engine_w


def _side_by_side(deltas: list[np.ndarray], nabla_b: list[np.ndarray],
                  nabla_w: list[np.ndarray], engine_delta: list[np.ndarray],
                  engine_b: list[np.ndarray], engine_w: list[np.ndarray]) -> dict[str, float]:
    """Each equation's two sides printed together; the largest difference of each."""
    delta_hidden, delta_L = deltas
    diffs: dict[str, float] = {}
    print("BP1: δ^L = (a^L − y) ⊙ σ'(z^L); engine: ∂C/∂z of each output neuron")
    diffs["delta_L"] = _matrix_rows("δ^3 (L = 3)", delta_L.T, engine_delta[1].T)
    print()
    print("BP2: δ^l = ((w^{l+1})^T δ^{l+1}) ⊙ σ'(z^l); engine: ∂C/∂z of each hidden neuron")
    diffs["delta_l"] = _matrix_rows("δ^2", delta_hidden.T, engine_delta[0].T)
    print()
    print("BP3: ∂C/∂b^l = δ^l; engine: b.grad")
    for l in range(2):
        diffs[f"b{l + 2}"] = _matrix_rows(f"∂C/∂b^{l + 2}", nabla_b[l].T, engine_b[l].T)
    print()
    print("BP4: ∂C/∂w^l = δ^l (a^{l−1})^T, i.e. ∂C/∂w_jk = a_in · δ_out; engine: w.grad")
    for l in range(2):
        diffs[f"w{l + 2}"] = _matrix_rows(f"∂C/∂w^{l + 2}", nabla_w[l], engine_w[l])
    print()

    return diffs


def main(fast: bool = False, out_dir: str = DEFAULT_OUT) -> dict[str, Any]:
    """Run the demo; return both sides of each equation, their differences, picture paths."""
    from pathgrad.nn.matrix import Network, hadamard

    heading(
        f"2. The four equations of backpropagation, network {SIZES}",
        "Nielsen ch. 2: BP1–BP4 computed in numpy (nn.matrix) against the scalar engine's "
        "backward()\n(an nn.MLP with the same weights); sigmoid neurons, quadratic cost "
        "C = ½‖y − a^L‖².",
    )
    print("The Hadamard product (eq. 28): [1, 2] ⊙ [3, 4] =", hadamard([1, 2], [3, 4]).tolist())
    print()

    net = Network(SIZES, activation="sigmoid", cost="quadratic", seed=SEED)
    x = np.array([[0.5], [-1.0], [2.0]])
    y = np.array([[1.0], [0.0]])

    activations, deltas, nabla_b, nabla_w = _matrix_side(net, x, y)
    C, engine_delta, engine_b, engine_w = _engine_side(net, x, y)
    print(f"input x = {x[:, 0].tolist()}, target y = {y[:, 0].tolist()}, "
          f"cost C = {C.data:.10f}")
    print(f"(cost from numpy: {0.5 * float(np.sum((activations[-1] - y) ** 2)):.10f})")
    print()
    diffs = _side_by_side(deltas, nabla_b, nabla_w, engine_delta, engine_b, engine_w)
    # --- the same from Network.backprop and the Σ'(z) form (eqs. 33–35) -------------------------
    bp_b, bp_w = net.backprop(x, y)
    sp_b, sp_w = net.backprop_sigma_prime(x, y)
    backprop_diff = max(float(np.max(np.abs(p - q))) for p, q in
                        zip([*bp_b, *bp_w], [*nabla_b, *nabla_w]))
    sigma_diff = max(float(np.max(np.abs(p - q))) for p, q in
                     zip([*sp_b, *sp_w], [*engine_b, *engine_w]))
    print(f"Network.backprop (the algorithm as one method) vs the four calls above: "
          f"{backprop_diff:.1e}")
    print(f"the Σ'(z) matrix form δ^l = Σ'(z^l)(w^{{l+1}})^T ··· Σ'(z^L)∇_a C (eq. 35) vs the "
          f"engine: {sigma_diff:.1e}")
    largest = max(diffs.values())
    scale = max(float(np.max(np.abs(v))) for v in [*engine_w, *engine_b])
    print(f"\nlargest difference BP1–BP4 vs engine over δ, ∂C/∂b, ∂C/∂w: {largest:.1e} "
          f"(largest entry {scale:.3f}, relative {largest / scale:.1e})")

    print("\npicture: the network after this backward pass (each neuron: a, z, δ and b; edges "
          "coloured by ∂C/∂w)")
    from pathgrad.viz import draw_network

    pics = Pictures(out_dir)
    pics.graph(draw_network(net, by="grad", edge_labels=False), "four_equations_network")
    return {
        "bp": {"delta": [d.copy() for d in deltas], "nabla_b": nabla_b, "nabla_w": nabla_w},
        "engine": {"delta": engine_delta, "nabla_b": engine_b, "nabla_w": engine_w},
        "differences": diffs,
        "max_abs_diff": largest,
        "backprop_diff": backprop_diff,
        "sigma_prime_diff": sigma_diff,
        "cost": C.data,
        "pictures": pics.paths,
    }


if __name__ == "__main__":
    run_alone(main, __doc__ or "")
