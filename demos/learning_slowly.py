"""Demo 4 — when a weight learns slowly: saturated outputs (BP1), low activations (BP4).

Nielsen, chapter 2, after the four equations: "a weight in the final layer will learn slowly
if the output neuron is either low activation (≈ 0) or high activation (≈ 1)", because
σ'(z^L) ≈ 0 in BP1 δ^L = ∇_a C ⊙ σ'(z^L); "weights output from low-activation neurons learn
slowly", because BP4 says ∂C/∂w = a_in δ_out; and through BP2 "any weights input to a
saturated neuron will learn slowly".

Part 1 is the experiment Nielsen runs at the start of chapter 3 to show the first lesson: one
sigmoid neuron, input 1, desired output 0, starting at w = b = 2.0 (output 0.98, saturated),
gradient descent with η = 0.15. Under the quadratic cost ∂C/∂w = x · σ'(z) · (a − y) carries
σ'(z) ≈ 0.018 and the neuron hardly moves for many epochs; under the cross-entropy cost
C = −[y ln a + (1 − y) ln(1 − a)] the factor 1/(1 − a) cancels σ'(z) and ∂C/∂w = x (a − y), so
it learns fastest when it is most wrong. Part 2 shows BP4: two weights into the same output
neuron, one from an input neuron with a_in = 0.01 and one from a_in = 0.9, get gradients in
the ratio 1 : 90. Part 3 shows BP2: a weight into a saturated hidden neuron.
All gradients come from the engine's ``backward()``; the path formulas show the factors.

Run alone: ``python -m pathgrad.demos.learning_slowly [--fast] [--out DIR]``.
"""

from __future__ import annotations

import math
from typing import Any

from pathgrad.autograd import Value, paths, weighted_sum

from .common import DEFAULT_OUT, Pictures, heading, run_alone

__all__ = ["main", "train_neuron"]

ETA = 0.15
START = 2.0


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def train_neuron(cost: str, epochs: int, w0: float = START, b0: float = START,
                 eta: float = ETA, x: float = 1.0, y: float = 0.0) -> dict[str, list[float]]:
    """Gradient descent on one sigmoid neuron; per epoch (before its step): C, a, ∂C/∂w, w.

    ``cost`` is ``"quadratic"`` (½(a − y)², Nielsen's eq. 27) or ``"cross-entropy"``.

    >>> run = train_neuron("cross-entropy", 3)
    >>> [round(a, 4) for a in run["a"]]
    [0.982, 0.976, 0.9681]
    """
    from pathgrad.nn.losses import BinaryCrossEntropy, quadratic

    loss = quadratic if cost == "quadratic" else BinaryCrossEntropy(from_logits=False)
    if cost not in ("quadratic", "cross-entropy"):
        raise ValueError(f"cost must be 'quadratic' or 'cross-entropy', got {cost!r}")
    w_val, b_val = w0, b0
    record: dict[str, list[float]] = {"cost": [], "a": [], "dw": [], "db": [], "w": [], "b": []}
    for _ in range(epochs):
        w, b = Value(w_val, label="w"), Value(b_val, label="b")
        z = w * x + b
        a = z.sigmoid()
        C = loss.example(a, y)
        C.backward()
        for key, v in (("cost", C.data), ("a", a.data), ("dw", w.grad), ("db", b.grad),
                       ("w", w_val), ("b", b_val)):
            record[key].append(v)
        w_val -= eta * w.grad
        b_val -= eta * b.grad
    return record


def _first_below(values: list[float], threshold: float) -> int | None:
    return next((i for i, v in enumerate(values) if v < threshold), None)


def main(fast: bool = False, out_dir: str = DEFAULT_OUT) -> dict[str, Any]:
    """Run the demo; return the training records, the gradient ratios and picture paths."""
    heading(
        "4. Learning slowly: saturated output neurons and low-activation inputs",
        "Nielsen ch. 2 (the lessons of BP1, BP2, BP4) and the single-neuron experiment that "
        "opens ch. 3:\ninput x = 1, desired output y = 0, start w = b = 2.0, learning rate "
        "η = 0.15.",
    )
    epochs = 300
    runs, below = _costs_compared(epochs)
    a_in, first, trace, moved = _low_activation_inputs()
    sp, hidden_w, z_sat, z_mid = _saturated_hidden_neuron()
    print("\npictures: cost and output against epoch for both costs (Nielsen's plots), and the "
          "two weights of part 2")
    pics = Pictures(out_dir)
    _cost_figure(pics, runs, epochs)
    _weights_figure(pics, trace)
    return {
        "runs": runs,
        "first_below_half": below,
        "bp4": {"a_in": a_in, **first},
        "bp4_moved": moved,
        "bp2": {"sigma_prime": sp, "delta": (z_sat.grad, z_mid.grad),
                "grads": (hidden_w[0].grad, hidden_w[1].grad)},
        "pictures": pics.paths,
    }


def _costs_compared(epochs: int) -> tuple[dict[str, dict[str, list[float]]], dict[str, Any]]:
    """Part 1: the first gradient of each cost as a path, then gradient descent with both."""
    from pathgrad.nn.losses import BinaryCrossEntropy, quadratic

    # --- part 1: quadratic vs cross-entropy --------------------------------------------------
    print("part 1 — the first gradient of each cost, as a product of rate factors:")
    for name, loss in (("quadratic", quadratic),
                       ("cross-entropy", BinaryCrossEntropy(from_logits=False))):
        w, b, x = Value(START, label="w"), Value(START, label="b"), Value(1.0, label="x")
        z = w * x + b
        z.label = "z"
        a = z.sigmoid()
        a.label = "a"
        C = loss.example(a, 0.0)
        C.backward()
        [p] = list(paths(C, w))
        print(f"  {name:>13}: {p.formula(digits=3)}")
    print("  σ'(z) = σ'(4) = 0.0177 is in both products; in the cross-entropy's, 1/(1 − a) "
          "= 55.6 cancels it,\n  leaving ∂C/∂w = x(a − y) = 0.982.")
    print()

    runs = {name: train_neuron(name, epochs) for name in ("quadratic", "cross-entropy")}
    print(f"gradient descent, {epochs} epochs (values before each epoch's step):")
    print(f"  {'epoch':>5}   {'quadratic: a':>12} {'C':>8} {'∂C/∂w':>9}   "
          f"{'cross-entropy: a':>16} {'C':>8} {'∂C/∂w':>9}")
    for e in (0, 10, 25, 50, 100, 150, 200, 299):
        q, c = runs["quadratic"], runs["cross-entropy"]
        print(f"  {e:>5}   {q['a'][e]:>12.4f} {q['cost'][e]:>8.4f} {q['dw'][e]:>9.5f}   "
              f"{c['a'][e]:>16.4f} {c['cost'][e]:>8.4f} {c['dw'][e]:>9.5f}")
    below = {name: _first_below(r["a"], 0.5) for name, r in runs.items()}
    print(f"  the output first drops below 0.5 at epoch {below['quadratic']} (quadratic) and "
          f"{below['cross-entropy']} (cross-entropy)")
    print()

    return runs, below


def _low_activation_inputs() -> tuple[tuple[float, float], dict[str, Any],
                                      dict[str, list[float]], tuple[float, float]]:
    """Part 2: BP4, the weight out of a low-activation input learns slowly."""
    from pathgrad.nn.losses import quadratic

    # --- part 2: BP4, weights out of a low-activation neuron ---------------------------------
    print("part 2 — BP4, ∂C/∂w = a_in · δ_out: two weights into one output neuron (target 0)")
    a_in = (0.01, 0.9)
    w_vals = [0.5, 0.5]
    b_val = 0.0
    trace: dict[str, list[float]] = {"w_low": [], "w_high": [], "g_low": [], "g_high": []}
    first: dict[str, Any] = {}
    for epoch in range(100):
        ws = [Value(w_vals[0], label="w_low"), Value(w_vals[1], label="w_high")]
        b = Value(b_val, label="b")
        inputs = [Value(a_in[0], label="a_in_low"), Value(a_in[1], label="a_in_high")]
        z = weighted_sum(ws, inputs, b)
        z.label = "z"
        out = z.sigmoid()
        out.label = "a"
        C = quadratic.example(out, 0.0)
        C.backward()
        if epoch == 0:
            first = {"delta": z.grad, "g_low": ws[0].grad, "g_high": ws[1].grad}
            for wv in ws:
                [p] = list(paths(C, wv))
                print(f"  {p.formula(digits=3)}")
            print(f"  δ_out = ∂C/∂z = {z.grad:.5f}; ∂C/∂w = a_in · δ_out: "
                  f"{a_in[0]} × {z.grad:.5f} = {ws[0].grad:.6f} and "
                  f"{a_in[1]} × {z.grad:.5f} = {ws[1].grad:.6f}")
            print(f"  ratio of the gradients {ws[1].grad / ws[0].grad:.1f} = ratio of the "
                  f"activations {a_in[1] / a_in[0]:.1f}")
        trace["w_low"].append(w_vals[0])
        trace["w_high"].append(w_vals[1])
        trace["g_low"].append(ws[0].grad)
        trace["g_high"].append(ws[1].grad)
        w_vals = [w_vals[0] - 0.5 * ws[0].grad, w_vals[1] - 0.5 * ws[1].grad]
        b_val -= 0.5 * b.grad
    moved = (trace["w_low"][0] - w_vals[0], trace["w_high"][0] - w_vals[1])
    print(f"  after 100 steps of η = 0.5 the weight from a_in = 0.01 moved by {moved[0]:.4f}, "
          f"the one from a_in = 0.9 by {moved[1]:.4f}")
    print()

    return a_in, first, trace, moved


def _saturated_hidden_neuron() -> tuple[list[float], list[Value], Value, Value]:
    """Part 3: BP2, the weights into a saturated hidden neuron learn slowly."""
    from pathgrad.nn.losses import quadratic

    # --- part 3: BP2, weights into a saturated hidden neuron -----------------------------------
    print("part 3 — BP2, δ^l = ((w^{l+1})^T δ^{l+1}) ⊙ σ'(z^l): weights into a saturated "
          "hidden neuron")
    x_in = Value(1.0, label="x")
    hidden_w = [Value(1.0, label="w_sat"), Value(1.0, label="w_mid")]
    hidden_b = [Value(5.0, label="b_sat"), Value(-1.0, label="b_mid")]
    hidden = []
    for wv, bv, name in zip(hidden_w, hidden_b, ("sat", "mid")):
        zh = weighted_sum([wv], [x_in], bv)
        zh.label = f"z_{name}"
        ah = zh.sigmoid()
        ah.label = f"a_{name}"
        hidden.append(ah)
    out_w = [Value(1.0, label="v_sat"), Value(1.0, label="v_mid")]
    z_out = weighted_sum(out_w, hidden, Value(-1.0, label="b_out"))
    z_out.label = "z_out"
    C3 = quadratic.example(z_out.sigmoid(), 0.0)
    C3.backward()
    z_sat, z_mid = (h.parents[0] for h in hidden)
    sp = [_sigmoid(z.data) * (1 - _sigmoid(z.data)) for z in (z_sat, z_mid)]
    print(f"  two hidden neurons with the same outgoing weight and the same input x = 1: "
          f"z = {z_sat.data:.1f} (saturated, σ' = {sp[0]:.4f}) and z = {z_mid.data:.1f} "
          f"(σ' = {sp[1]:.4f})")
    print(f"  δ = ∂C/∂z: {z_sat.grad:.6f} and {z_mid.grad:.6f}; the weights into them get "
          f"∂C/∂w = x·δ = {hidden_w[0].grad:.6f} and {hidden_w[1].grad:.6f} (BP4 with x = 1)")
    print(f"  ratio {hidden_w[0].grad / hidden_w[1].grad:.4f} = σ'({z_sat.data:.0f}) / "
          f"σ'({z_mid.data:.0f}) = {sp[0] / sp[1]:.4f}")

    return sp, hidden_w, z_sat, z_mid


def _cost_figure(pics: Pictures, runs: dict[str, dict[str, list[float]]], epochs: int) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.6))  # under 3 : 1
    ax1, ax2, ax3 = fig.subplots(1, 3)
    t = list(range(epochs))
    q, c = runs["quadratic"], runs["cross-entropy"]
    ax1.plot(t, q["cost"], color="#D55E00")
    ax1.set_title("quadratic cost ½(a − y)²", fontsize=10)
    ax2.plot(t, c["cost"], color="#0072B2")
    ax2.set_title("cross-entropy cost −ln(1 − a)", fontsize=10)
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.set_ylabel("cost")
        ax.set_ylim(bottom=0)
    ax1.annotate(f"slow start: ∂C/∂w = {q['dw'][0]:.3f}\n(σ'(z) ≈ 0.018)",
                 # below the plateau, left of where the curve falls: the curve never crosses it
                 xy=(5, q["cost"][5]), xytext=(5, q["cost"][0] * 0.25), fontsize=9,
                 arrowprops={"arrowstyle": "->", "color": "0.3"})
    ax2.annotate(f"fast start: ∂C/∂w = {c['dw'][0]:.3f}\n(σ'(z) cancelled)",
                 xy=(5, c["cost"][5]), xytext=(60, c["cost"][0] * 0.55), fontsize=9,
                 arrowprops={"arrowstyle": "->", "color": "0.3"})
    ax3.plot(t, q["a"], color="#D55E00", label="quadratic")
    ax3.plot(t, c["a"], color="#0072B2", label="cross-entropy")
    ax3.axhline(0.0, color="0.6", lw=0.8, ls="--")
    ax3.set_title("output a (target y = 0)", fontsize=10)
    ax3.set_xlabel("epoch")
    ax3.set_ylabel("a")
    ax3.set_ylim(-0.02, 1.02)
    ax3.legend(frameon=False)
    fig.suptitle("One sigmoid neuron, x = 1, y = 0, start w = b = 2.0, η = 0.15", fontsize=11)
    fig.tight_layout()
    pics.figure(fig, "learning_slowly_cost")



def _weights_figure(pics: Pictures, trace: dict[str, list[float]]) -> None:
    from matplotlib.figure import Figure

    fig2 = Figure(figsize=(10, 3.6))
    bx1, bx2 = fig2.subplots(1, 2)
    t2 = list(range(len(trace["w_low"])))
    bx1.plot(t2, trace["w_high"], color="#0072B2", label="w from a_in = 0.9")
    bx1.plot(t2, trace["w_low"], color="#E69F00", label="w from a_in = 0.01")
    bx1.set_xlabel("step")
    bx1.set_ylabel("weight")
    bx1.set_title("the two weights during gradient descent", fontsize=10)
    bx1.legend(frameon=False)
    bx2.semilogy(t2, [abs(g) for g in trace["g_high"]], color="#0072B2", label="a_in = 0.9")
    bx2.semilogy(t2, [abs(g) for g in trace["g_low"]], color="#E69F00", label="a_in = 0.01")
    bx2.set_xlabel("step")
    bx2.set_ylabel("|∂C/∂w| = a_in · |δ_out|")
    bx2.set_title("their gradients: always 90× apart (BP4)", fontsize=10)
    bx2.legend(frameon=False)
    fig2.suptitle("Two weights into one sigmoid output neuron (target 0), η = 0.5: "
                  "BP4, ∂C/∂w = a_in · δ_out", fontsize=11)
    fig2.tight_layout()
    pics.figure(fig2, "learning_slowly_weights")


if __name__ == "__main__":
    run_alone(main, __doc__ or "")
