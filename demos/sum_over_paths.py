"""Demo 3 — ∂C/∂w as a sum over paths of products of rate factors (Nielsen's eq. 53).

Nielsen, chapter 2, "Backpropagation: the big picture": a nudge Δw to one weight changes the
activation of its neuron (eq. 48), which changes *every* activation of the next layer (eq. 49),
and so on to the cost; along one path the change is a product of rate factors (eq. 51), and

    ∂C/∂w^l_jk = Σ_{mnp…q} ∂C/∂a^L_m · ∂a^L_m/∂a^{L−1}_n ··· ∂a^{l+1}_q/∂a^l_j · ∂a^l_j/∂w^l_jk
                                                                                    (eq. 53)

"every edge between two neurons in the network is associated with a rate factor … the total
rate of change ∂C/∂w is just the sum of the rate factors of all paths from the initial weight
to the final cost". This demo takes one first-layer weight of a [2, 3, 3, 1] sigmoid network
with the quadratic cost, lists every path (``autograd.paths``) with its factors and product,
adds them up, and compares the sum with ``backward()``, with BP1–BP4 (``nn.matrix``) and with
finite differences. Then a wider, deeper network shows why nobody sums the paths one by one:
``count_paths`` counts them exactly, ``top_paths`` finds the largest, and one backward pass
gets the same number.

Run alone: ``python -m pathgrad.demos.sum_over_paths [--fast] [--out DIR]``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from pathgrad.autograd import (
    Value,
    contributions,
    count_paths,
    numeric_grad,
    paths,
    top_paths,
)

from .common import DEFAULT_OUT, Pictures, heading, run_alone
from .why_fast import cost

__all__ = ["SIZES", "main"]

SIZES = [2, 3, 3, 1]
X = [0.8, -0.4]
Y = 1.0


def _network(sizes: list[int], seed: int) -> Any:
    from pathgrad.nn import MLP

    return MLP(sizes[0], sizes[1:], activation="sigmoid", output_activation="sigmoid",
               seed=seed)


def _each_path(C: Value, w: Value) -> tuple[list[float], float]:
    """Every path from w to C, factor by factor; their products and the products' sum."""
    products = []
    for i, p in enumerate(paths(C, w), 1):
        route = " → ".join(v.label for v in p.nodes if v.label)
        print(f"path {i}: {route}")
        for name, factor in p.terms:
            print(f"    {name:>14} = {factor:+.6f}")
        print(f"    {'product':>14} = {p.product:+.10f}")
        if i == 1:
            print("    (the last two factors are ∂C/∂a = ½ · 2(a − y) = a − y, BP1's ∇_a C)")
        products.append(p.product)
    total = math.fsum(products)
    print()
    print(f"Σ over the {len(products)} paths      = {total:+.15f}")
    print(f"backward(): {w.label}.grad   = {w.grad:+.15f}   "
          f"(difference {abs(total - w.grad):.1e})")
    return products, total


def _two_other_routes(model: Any, w: Value, total: float) -> tuple[float, float]:
    """The same derivative by BP1–BP4 in numpy and by a central finite difference."""
    from pathgrad.nn.matrix import Network

    # BP1–BP4 in numpy on the same weights: an independent route to the same number
    net = Network(SIZES, activation="sigmoid", cost="quadratic", seed=0)
    for layer, W, b in zip(model.layers, net.weights, net.biases):
        W[:] = [[wk.data for wk in n.w] for n in layer.neurons]
        b[:] = [[n.b.data] for n in layer.neurons]
    _, nabla_w = net.backprop(np.array([X]).T, np.array([[Y]]))
    bp4 = float(nabla_w[0][0, 0])
    print(f"BP1–BP4 (nn.matrix): ∂C/∂w = {bp4:+.15f}   (difference {abs(total - bp4):.1e})")

    params = model.parameters()
    index = next(i for i, p in enumerate(params) if p is w)

    theta = [Value(p.data) for p in params]

    def cost_of_w(t: Value) -> Value:  # the cost as a function of this one weight
        return cost(SIZES, [*theta[:index], t, *theta[index + 1:]], X, Y)

    fd = numeric_grad(cost_of_w, [w.data])[0]
    print(f"central finite difference:   {fd:+.15f}   (difference {abs(total - fd):.1e}, "
          f"the truncation error of ε = 1e-6)")
    return bp4, fd


def _wide_network(fast: bool) -> dict[str, Any]:
    """Why nobody adds the paths up one by one: a network with millions of paths per weight."""
    from pathgrad.nn.losses import quadratic

    width, depth = (12, 4) if fast else (30, 6)
    big_sizes = [2] + [width] * depth + [1]
    print()
    print(f"a wider, deeper network {big_sizes}: one first-layer weight now has "
          f"{width}^{depth - 1} paths")
    big = _network(big_sizes, seed=1)
    start = time.perf_counter()
    C_big = quadratic.example(big(X), Y)
    C_big.backward()
    backward_s = time.perf_counter() - start
    w_big = big.layers[0].neurons[0].w[0]
    start = time.perf_counter()
    big_count = count_paths(C_big, w_big)
    count_s = time.perf_counter() - start
    start = time.perf_counter()
    top = top_paths(C_big, w_big, k=5)
    top_s = time.perf_counter() - start
    big_summary = contributions(C_big, w_big, k=5)
    top_sum = math.fsum(p.product for p in top)
    print(f"  count_paths = {big_count:,} (= {width}^{depth - 1}; a DP over the graph, "
          f"{count_s * 1e3:.1f} ms)")
    print(f"  forward + backward over all {len(big.parameters()):,} parameters: "
          f"{backward_s * 1e3:.1f} ms; {w_big.label}.grad = {w_big.grad:+.6e}")
    print(f"  the sum over all paths, as a DP (contributions): {big_summary.gradient:+.6e} "
          f"(difference {abs(big_summary.gradient - w_big.grad):.1e})")
    carried = big_summary.abs_explained or 0.0
    print(f"  the 5 largest paths (top_paths, best-first, {top_s * 1e3:.1f} ms) sum to "
          f"{top_sum:+.6e}; they carry {carried:.1e} of Σ|products| = "
          f"{big_summary.abs_total:.3e}")
    print(f"  Σ|products| is {big_summary.abs_total / abs(w_big.grad):.1f}× |gradient|: "
          "positive and negative paths cancel, no few paths")
    print("  stand in for the rest, and backward gets the exact sum without visiting any path")
    return {"big_sizes": big_sizes, "big_count": big_count, "big_grad": w_big.grad,
            "big_path_sum": big_summary.gradient, "big_top_sum": top_sum}


def main(fast: bool = False, out_dir: str = DEFAULT_OUT) -> dict[str, Any]:
    """Run the demo; return the path products, their sum, the gradients and picture paths."""
    from pathgrad.nn.losses import quadratic

    heading(
        f"3. Sum over paths: one first-layer weight of a {SIZES} network",
        "Nielsen ch. 2, \"Backpropagation: the big picture\", eq. 53: ∂C/∂w is the sum, over "
        "every path from w\nto the cost, of the product of the rate factors along the path.",
    )
    model = _network(SIZES, seed=3)
    out = model(X)
    C = quadratic.example(out, Y)
    C.backward()
    w = model.layers[0].neurons[0].w[0]  # w^2_00: layer 2 (the first weight layer), j = k = 0
    n_paths = count_paths(C, w)
    print(f"input x = {X}, target y = {Y}, quadratic cost C = ½(a − y)² = {C.data:.6f}")
    print(f"the weight {w.label} (Nielsen's w^2_00: from input 0 into neuron 0 of layer 2), "
          f"count_paths = {n_paths}")
    print()
    products, total = _each_path(C, w)
    bp4, fd = _two_other_routes(model, w, total)
    print()
    summary = contributions(C, w, k=3)
    print("contributions(C, w): the share of each path")
    print("\n".join("  " + line for line in str(summary).splitlines()))

    big = _wide_network(fast)
    print("\npicture: the [2, 3, 3, 1] network, one box per neuron, the paths from "
          f"{w.label} in colour")
    from pathgrad.viz import draw_paths

    pics = Pictures(out_dir)
    pics.graph(draw_paths(C, w, k=3, group="neuron"), "sum_over_paths")
    return {
        "weight": w.label,
        "n_paths": n_paths,
        "products": products,
        "sum": total,
        "grad": w.grad,
        "bp4": bp4,
        "finite_difference": fd,
        **big,
        "pictures": pics.paths,
    }


if __name__ == "__main__":
    run_alone(main, __doc__ or "")
