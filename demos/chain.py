"""Demo 1 — 3Blue1Brown's chain: one neuron per layer, the chain rule factor by factor.

3Blue1Brown, "Backpropagation calculus": a network with one neuron per layer is determined by
3 weights and 3 biases. For one training example the cost is C_0 = (a^(L) − y)², with
z^(L) = w^(L) a^(L−1) + b^(L) and a^(L) = σ(z^(L)). The chain rule breaks ∂C_0/∂w^(L) into
three constituent derivatives,

    ∂C_0/∂w^(L) = ∂z^(L)/∂w^(L) · ∂a^(L)/∂z^(L) · ∂C_0/∂a^(L) = a^(L−1) · σ'(z^(L)) · 2(a^(L) − y),

and the same for the bias (∂z/∂b = 1) and the previous activation (∂z/∂a^(L−1) = w^(L));
∂C_0/∂w^(L−1) extends the chain by two more factors. This demo evaluates each factor with
``math`` (σ'(z) = σ(z)(1 − σ(z))), multiplies them, and compares with what ``backward()``
leaves in ``.grad``; then it prints each parameter's single path (``autograd.paths``) and draws
the dependency tree (``viz.draw_dot``) and the path from w^(1) (``viz.draw_paths``).

Run alone: ``python -m pathgrad.demos.chain [--out DIR]``.
"""

from __future__ import annotations

import math
from typing import Any

from pathgrad.autograd import Value, paths, weighted_sum

from .common import DEFAULT_OUT, Pictures, heading, run_alone

__all__ = ["build_chain", "last_layer", "main"]

INPUT = 0.6
WEIGHTS = (0.9, -1.4, 2.1)
BIASES = (0.2, 0.5, -0.3)
TARGET = 1.0


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def build_chain(
    a0: float = INPUT,
    weights: tuple[float, ...] = WEIGHTS,
    biases: tuple[float, ...] = BIASES,
    y: float = TARGET,
) -> dict[str, Value]:
    """The chain as engine ``Value`` nodes, by name: a0, w1, b1, z1, a1, …, y, C0.

    Each z^(l) = w^(l) a^(l−1) + b^(l) is one node (``weighted_sum``), as in 3Blue1Brown's
    tree, so its three incoming edges carry a^(l−1), w^(l) and 1.

    >>> nodes = build_chain()
    >>> sorted(k for k in nodes if k.startswith("w")), nodes["C0"].op
    (['w1', 'w2', 'w3'], 'pow_c')
    """
    nodes: dict[str, Value] = {"a0": Value(a0, label="a0")}
    a = nodes["a0"]
    for l, (w_l, b_l) in enumerate(zip(weights, biases), start=1):
        w, b = Value(w_l, label=f"w{l}"), Value(b_l, label=f"b{l}")
        z = weighted_sum([w], [a], b)
        z.label = f"z{l}"
        a = z.sigmoid()
        a.label = f"a{l}"
        nodes.update({f"w{l}": w, f"b{l}": b, f"z{l}": z, f"a{l}": a})
    target = Value(y, label="y")
    cost = (a - target) ** 2
    cost.label = "C0"
    nodes["y"], nodes["C0"] = target, cost
    return nodes


def last_layer(a_prev: float | None = None) -> tuple[Value, Value]:
    """3Blue1Brown's first tree: only the last layer, with a(L−1) a given number; returns
    the cost C0 after ``backward()`` and the weight w(L).

    >>> C0, w = last_layer()
    >>> w.label, round(C0.data, 4)
    ('w3 = w(L)', 0.1392)
    """
    if a_prev is None:
        a_prev = build_chain()["a2"].data
    a = Value(a_prev, label="a2 = a(L−1)")
    w_last, b_last = Value(WEIGHTS[2], label="w3 = w(L)"), Value(BIASES[2], label="b3 = b(L)")
    z_last = weighted_sum([w_last], [a], b_last)
    z_last.label = "z3 = z(L)"
    a_last = z_last.sigmoid()
    a_last.label = "a3 = a(L)"
    diff = a_last - Value(TARGET, label="y")
    diff.label = "a3 − y"
    c_last = diff**2
    c_last.label = "C0"
    c_last.backward()
    return c_last, w_last


def _show(name: str, symbols: list[str], names: list[str], factors: list[float],
          engine: float) -> dict[str, Any]:
    """Print one chain-rule product next to backward's gradient; return the numbers."""
    product = math.prod(factors)
    diff = abs(product - engine)
    print(f"{name} = " + " · ".join(symbols))
    print(" " * len(name) + " = " + " · ".join(names))
    values = " · ".join(f"({f:.6g})" if f < 0 else f"{f:.6g}" for f in factors)
    print(" " * len(name) + f" = {values} = {product:.12g}")
    print(f"  backward() left {engine:.12g} in .grad; difference {diff:.1e}")
    print()
    return {"factors": factors, "product": product, "backward": engine, "abs_diff": diff}


def _forward_by_hand(engine_cost: float) -> tuple[list[float], list[float], float]:
    """The forward pass recomputed with math, independent of the engine's numbers."""
    a_vals = [INPUT]
    z_vals = []
    print("forward pass")
    print(f"  a0 = {INPUT} (the input), y = {TARGET} (the desired output)")
    for l in range(1, 4):
        z = WEIGHTS[l - 1] * a_vals[-1] + BIASES[l - 1]
        z_vals.append(z)
        a_vals.append(_sigmoid(z))
        b = BIASES[l - 1]
        print(f"  z{l} = w{l}·a{l - 1} + b{l} = {WEIGHTS[l - 1]}·{a_vals[l - 1]:.6g} "
              f"{'-' if b < 0 else '+'} {abs(b)} = {z:.6g},   a{l} = σ(z{l}) = {a_vals[l]:.6g}")
    cost = (a_vals[3] - TARGET) ** 2
    print(f"  C0 = (a3 − y)² = {cost:.6g}   (engine: {engine_cost:.6g})")
    print()
    return a_vals, z_vals, cost


def _chain_rule_by_hand(n: dict[str, Value], a_vals: list[float],
                        z_vals: list[float]) -> dict[str, Any]:
    """Each chain-rule product, factor by factor with math, against backward's gradient."""

    def dsig(z: float) -> float:
        s = _sigmoid(z)
        return s * (1.0 - s)

    dC_da3 = 2.0 * (a_vals[3] - TARGET)
    results: dict[str, Any] = {}
    print("the chain rule, factor by factor (each factor computed with math), against backward")
    print()
    results["w3"] = _show(
        "∂C0/∂w(L)", ["∂z(L)/∂w(L)", "∂a(L)/∂z(L)", "∂C0/∂a(L)"],
        ["a(L−1)", "σ'(z(L))", "2(a(L) − y)"],
        [a_vals[2], dsig(z_vals[2]), dC_da3], n["w3"].grad)
    results["b3"] = _show(
        "∂C0/∂b(L)", ["∂z(L)/∂b(L)", "∂a(L)/∂z(L)", "∂C0/∂a(L)"],
        ["1", "σ'(z(L))", "2(a(L) − y)"],
        [1.0, dsig(z_vals[2]), dC_da3], n["b3"].grad)
    results["a2"] = _show(
        "∂C0/∂a(L−1)", ["∂z(L)/∂a(L−1)", "∂a(L)/∂z(L)", "∂C0/∂a(L)"],
        ["w(L)", "σ'(z(L))", "2(a(L) − y)"],
        [WEIGHTS[2], dsig(z_vals[2]), dC_da3], n["a2"].grad)
    print("one layer further back the chain grows by ∂z(L−1)/∂w(L−1) · ∂a(L−1)/∂z(L−1):")
    results["w2"] = _show(
        "∂C0/∂w(L−1)",
        ["∂z(L−1)/∂w(L−1)", "∂a(L−1)/∂z(L−1)", "∂z(L)/∂a(L−1)", "∂a(L)/∂z(L)", "∂C0/∂a(L)"],
        ["a(L−2)", "σ'(z(L−1))", "w(L)", "σ'(z(L))", "2(a(L) − y)"],
        [a_vals[1], dsig(z_vals[1]), WEIGHTS[2], dsig(z_vals[2]), dC_da3], n["w2"].grad)
    return results


def _paths_and_differences(C: Value, n: dict[str, Value], results: dict[str, Any]) -> None:
    """The same products read off the engine's paths; the largest difference of all."""
    print("every weight and bias has exactly one path to C0; autograd.paths multiplies the")
    print("rate factors the engine stored on the edges (identity edges left out):")
    path_products = {}
    for name in ("w1", "b1", "w2", "b2", "w3", "b3"):
        [p] = list(paths(C, n[name]))
        path_products[name] = p.product
        print(f"  {p.formula(digits=3)}   (.grad {n[name].grad:.6g})")
    results["path_products"] = path_products
    results["grads"] = {name: n[name].grad for name in path_products}
    results["max_abs_diff"] = max(
        max(results[k]["abs_diff"] for k in ("w3", "b3", "a2", "w2")),
        max(abs(path_products[k] - results["grads"][k]) for k in path_products),
    )
    print(f"\nlargest difference between a chain-rule product and .grad: "
          f"{results['max_abs_diff']:.1e}")


def _pictures(C: Value, n: dict[str, Value], out_dir: str) -> Pictures:
    """The dependency trees, the path from w1, the explorer page, the live spreadsheet and the
    backward film."""
    print("\npictures: the dependency tree (each edge labelled with its rate factor), and the")
    print("path from w1, the longest chain, highlighted")
    from pathgrad.viz import draw_dot, draw_paths

    pics = Pictures(out_dir)
    c_last, _ = last_layer(n["a2"].data)
    pics.graph(draw_dot(c_last), "chain_last_layer")
    pics.graph(draw_dot(C), "chain_graph")
    pics.graph(draw_paths(C, n["w1"]), "chain_path_w1")
    from pathgrad.viz import explore

    page = explore(C, pics.dir / "chain_explorer.html", wrt=n["w1"],
                   title="3Blue1Brown's chain: click a node, Step through backpropagation")
    pics.paths.append(str(page))
    print(f"  wrote {page}: open it in a browser (one file, no server)")
    from pathgrad.viz import spreadsheet

    sheet = pics.dir / "chain.xlsx"
    spreadsheet(C, sheet, wrt=n["w1"])  # every value, rate factor and grad a live formula
    pics.paths.append(str(sheet))
    print(f"  wrote {sheet}: change w1's cell and watch every gradient recompute")
    from pathgrad.viz import animate

    film = animate(c_last, pics.dir / "chain_backward.gif")  # the reverse sweep, step by step
    pics.paths.append(str(film))
    print(f"  wrote {film}")
    return pics


def main(fast: bool = False, out_dir: str = DEFAULT_OUT) -> dict[str, Any]:
    """Run the demo; return the factors, products, backward's gradients and the picture paths."""
    heading(
        "1. The 3Blue1Brown chain: one neuron per layer, 3 weights and 3 biases",
        "3Blue1Brown, \"Backpropagation calculus\": C0 = (a(L) − y)², z(L) = w(L)·a(L−1) + "
        "b(L), a(L) = σ(z(L)).\nHere L = 3: w3 is w(L), a2 is a(L−1), w2 is w(L−1).",
    )
    n = build_chain()
    C = n["C0"]
    C.backward()

    a_vals, z_vals, cost = _forward_by_hand(C.data)
    results: dict[str, Any] = {"cost": cost, "engine_cost": C.data}
    results.update(_chain_rule_by_hand(n, a_vals, z_vals))
    _paths_and_differences(C, n, results)
    pics = _pictures(C, n, out_dir)
    results["pictures"] = pics.paths
    return results


if __name__ == "__main__":
    run_alone(main, __doc__ or "")
