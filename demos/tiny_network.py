"""Demo 6 — train a tiny network: micrograd's moons demo on pathgrad's engine.

micrograd's ``demo.ipynb``: ``MLP(2, [16, 16, 1])`` (ReLU hidden layers, a linear output) on 100
points of scikit-learn's two moons with labels ±1, the max-margin loss
``(1 + −y·score).relu()`` averaged over the batch plus L2 regularisation 1e-4·Σp², full-batch
gradient descent with learning rate 1.0 − 0.9·k/100 for 100 steps. Every step builds the scalar
graph of all 100 examples (about 34,000 parameter uses) and runs one ``backward()``;
``nn.fit`` shows a progress bar when run in a terminal. Afterwards the same training is
replayed with ``fit(compiled=True)`` (``autograd.compile``: the graph recorded once, replayed
with numpy) to show it gives the same numbers. The decision boundary and the loss curve are
plotted, and the accuracy is measured on the training points and on 500 fresh ones.

Run alone: ``python -m pathgrad.demos.tiny_network [--fast] [--out DIR]``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .common import DEFAULT_OUT, Pictures, heading, run_alone

__all__ = ["main", "train"]

SEED = 1337


def train(epochs: int, compiled: bool = False, verbose: bool = True) -> tuple[Any, Any, float]:
    """micrograd's set-up for ``epochs`` steps; returns (model, history, seconds)."""
    from pathgrad.nn import MLP, data, fit, optim

    X, y = data.moons(100, noise=0.1, seed=SEED, signed=True)
    model = MLP(2, [16, 16, 1], seed=SEED)
    opt = optim.SGD(model.parameters(), lr=1.0)
    start = time.perf_counter()
    history = fit(model, X, y, "max_margin", opt, epochs=epochs, l2=1e-4,
                  lr_schedule=lambda k: 1.0 - 0.9 * k / 100, verbose=verbose,
                  compiled=compiled)
    return model, history, time.perf_counter() - start


def main(fast: bool = False, out_dir: str = DEFAULT_OUT) -> dict[str, Any]:
    """Run the demo; return the losses, accuracies, timings and picture paths."""
    from pathgrad.nn import data

    epochs = 15 if fast else 100
    heading(
        "6. Train a tiny network: MLP(2, [16, 16, 1]) on the two moons",
        "micrograd's demo: its data (scikit-learn's make_moons, seed 1337), its initial "
        "weights, max-margin loss + L2 1e-4, full-batch SGD, learning rate "
        f"1.0 − 0.9·k/100, {epochs} steps; its notebook's first loss is 0.8958.",
    )
    model, history, seconds = train(epochs)
    n_params = len(model.parameters())
    print(f"{n_params} parameters; {epochs} steps on the scalar engine in {seconds:.1f} s "
          f"({seconds / epochs * 1e3:.0f} ms per step: forward 100 examples, one backward)")
    for k in sorted({0, 4, 9, epochs // 2, epochs - 1}):
        acc = history.accuracy[k]
        print(f"  step {k + 1:>3}: loss {history.loss[k]:.4f}, accuracy {acc:.0%}")
    X, y = data.moons(100, noise=0.1, seed=SEED, signed=True)
    scores = model.feedforward(X)[:, 0]
    train_acc = float(np.mean((scores > 0) == (y > 0)))
    X_new, y_new = data.moons(500, noise=0.1, seed=SEED + 1, signed=True)
    test_acc = float(np.mean((model.feedforward(X_new)[:, 0] > 0) == (y_new > 0)))
    print(f"final accuracy: {train_acc:.1%} on the 100 training points, {test_acc:.1%} on 500 "
          "fresh moons")

    compiled_model, compiled_history, compiled_s = train(epochs, compiled=True, verbose=False)
    same = max(abs(a - b) for a, b in zip(history.loss, compiled_history.loss))
    param_diff = max(abs(p.data - q.data) for p, q in
                     zip(model.parameters(), compiled_model.parameters()))
    print(f"the same training with fit(compiled=True): {compiled_s:.2f} s; largest difference "
          f"in the loss curve {same:.1e}, in the final parameters {param_diff:.1e}")

    print("\npicture: the decision boundary (score > 0 is class +1) and the loss per step")
    pics = Pictures(out_dir)
    fig = _figure(model, X, y, history, epochs, (train_acc, test_acc))
    pics.figure(fig, "tiny_network")
    worst = int(np.argmin(y * scores))  # the point nearest the wrong side: its loss teaches
    pics.paths.append(_explorer_page(model, X[worst], float(y[worst]), pics.dir))
    return {
        "epochs": epochs, "n_params": n_params, "loss": list(history.loss),
        "accuracy": list(history.accuracy), "train_accuracy": train_acc,
        "test_accuracy": test_acc, "seconds": seconds, "compiled_seconds": compiled_s,
        "compiled_loss_diff": same, "compiled_param_diff": param_diff,
        "pictures": pics.paths,
    }


def _figure(model: Any, X: np.ndarray, y: np.ndarray, history: Any, epochs: int,
            accuracies: tuple[float, float]) -> Any:
    """The decision boundary over the moons, and the loss and accuracy per step."""
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    train_acc, test_acc = accuracies
    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    h = 0.05
    xx, yy = np.meshgrid(np.arange(X[:, 0].min() - 0.6, X[:, 0].max() + 0.6, h),
                         np.arange(X[:, 1].min() - 0.6, X[:, 1].max() + 0.6, h))
    grid = np.c_[xx.ravel(), yy.ravel()]
    zz = (model.feedforward(grid)[:, 0] > 0).reshape(xx.shape)
    ax1.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5],
                 cmap=ListedColormap(["#F6D3BF", "#C6DDF0"]), alpha=0.9)
    ax1.contour(xx, yy, model.feedforward(grid)[:, 0].reshape(xx.shape), levels=[0.0],
                colors="0.3", linewidths=1.0)
    for label, color, marker in ((-1, "#D55E00", "o"), (1, "#0072B2", "s")):
        pts = X[y == label]
        ax1.scatter(pts[:, 0], pts[:, 1], c=color, marker=marker, s=22, edgecolors="white",
                    linewidths=0.5, label=f"y = {label:+d}")
    ax1.set_title(f"decision boundary after {epochs} steps: train {train_acc:.1%}, "
                  f"fresh points {test_acc:.1%}", fontsize=10)
    ax1.set_xlabel("x₁")
    ax1.set_ylabel("x₂")
    ax1.legend(frameon=True, fontsize=8, loc="lower left")
    steps = np.arange(1, epochs + 1)
    ax2.plot(steps, history.loss, color="#0072B2", label="loss (max-margin + L2)")
    ax2.set_xlabel("step (one full batch)")
    ax2.set_ylabel("loss")
    ax2.set_ylim(bottom=0)
    twin = ax2.twinx()
    twin.plot(steps, [a for a in history.accuracy], color="#009E73", ls="--", label="accuracy")
    twin.set_ylabel("training accuracy")
    twin.set_ylim(0.4, 1.02)
    lines = ax2.get_lines() + twin.get_lines()
    ax2.legend(lines, [str(ln.get_label()) for ln in lines], frameon=False, fontsize=8,
               loc="center right")
    ax2.set_title("loss and accuracy per step", fontsize=10)
    fig.suptitle("MLP(2, [16, 16, 1]) on two moons, trained by pathgrad's scalar engine",
                 fontsize=11)
    fig.tight_layout()
    return fig


def _explorer_page(model: Any, x: Any, y: float, out: Any) -> str:
    """The trained network's explorer page for one training point's loss (the whole batch's
    graph would be 100 times bigger): Nielsen's diagram, the graph one toggle away."""
    from pathgrad.autograd import Value
    from pathgrad.viz import explore

    model.zero_grad()
    score = model([Value(float(x[0]), label="a1[0]"), Value(float(x[1]), label="a1[1]")])
    loss = (1.0 - y * score).relu()
    loss.label = "C"
    loss.backward()
    title = f"MLP(2, [16, 16, 1]) after training: one point's max-margin loss (y = {y:+g})"
    page = explore(model, out / "tiny_network_explorer.html", loss=loss, title=title)
    print(f"  wrote {page}: open it in a browser, click a weight")
    return str(page)


if __name__ == "__main__":
    run_alone(main, __doc__ or "")
