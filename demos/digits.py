"""Demo 7 — digits: the matrix form of BP1–BP4 trains a real classifier.

Nielsen's ``network.py`` set-up from chapter 1, on scikit-learn's 8×8 handwritten digits
(1,797 images that ship inside scikit-learn, so nothing is downloaded) instead of MNIST:
``Network([64, 30, 10])`` with sigmoid neurons, the quadratic cost, mini-batch SGD with
mini-batches of 10 and η = 3.0, each mini-batch one fully matrix-based pass of BP1–BP4 (the
chapter's Problem). The book prints "Epoch j: correct / total" after each epoch; so does this
demo. A second run with the cross-entropy cost (η = 0.5, chapter 3) shows the slow-learning
fix of demo 4 at work on a real network. The picture shows test accuracy per epoch and a few
test digits with the network's answers.

Run alone: ``python -m pathgrad.demos.digits [--fast] [--out DIR]``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .common import DEFAULT_OUT, Pictures, heading, run_alone

__all__ = ["main"]

SIZES = [64, 30, 10]


def _figure(X: np.ndarray, labels: np.ndarray, predicted: np.ndarray, wrong: np.ndarray,
            histories: tuple[list[int], list[int]], accuracy: float, epochs: int) -> Any:
    """Test accuracy per epoch for both costs, and test digits with the network's answers."""
    from matplotlib.figure import Figure

    quadratic_history, ce_history = histories
    n_test = len(labels)
    fig = Figure(figsize=(12, 4.2))
    grid = fig.add_gridspec(3, 9, width_ratios=[4, 0.5, 1, 1, 1, 1, 1, 1, 1], wspace=0.15,
                            hspace=0.45)
    ax = fig.add_subplot(grid[:, 0])
    ep = np.arange(1, epochs + 1)
    ax.plot(ep, np.array(quadratic_history) / n_test, "o-", ms=3, color="#D55E00",
            label="quadratic cost, η = 3.0")
    ax.plot(ep, np.array(ce_history) / n_test, "s--", ms=3, color="#0072B2",
            label="cross-entropy cost, η = 0.5")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"test accuracy ({n_test} images)")
    ax.set_ylim(0.5, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower right", fontsize=9)
    ax.set_title(f"Network({SIZES}): {accuracy:.1%} after {epochs} epochs", fontsize=10)
    # the first mistakes, then correct answers, 21 cells in all
    shown = [*wrong[:7].tolist()]
    shown += [i for i in range(n_test) if i not in set(wrong)][: 21 - len(shown)]
    for cell, i in enumerate(shown):
        a = fig.add_subplot(grid[cell // 7, 2 + cell % 7])
        a.imshow(X[:, i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ok = predicted[i] == labels[i]
        a.set_title(f"{predicted[i]}" if ok else f"{predicted[i]} (is {labels[i]})",
                    fontsize=9, color="#333333" if ok else "#D55E00")
        a.set_xticks([])
        a.set_yticks([])
    fig.suptitle("Nielsen's network.py on scikit-learn's 8×8 digits (mistakes first, in "
                 "vermillion: answer (true digit))", fontsize=11)
    return fig


def main(fast: bool = False, out_dir: str = DEFAULT_OUT) -> dict[str, Any]:
    """Run the demo; return per-epoch test counts, final accuracies and picture paths."""
    from pathgrad.nn.matrix import Network, load_digits_data

    epochs = 5 if fast else 30
    heading(
        f"7. Digits: Network({SIZES}) on scikit-learn's 8×8 handwritten digits",
        f"Nielsen's network.py: sigmoid neurons, quadratic cost, mini-batches of 10, η = 3.0, "
        f"{epochs} epochs;\neach mini-batch is one matrix-based pass of BP1–BP4.",
    )
    training_data, test_data = load_digits_data(seed=0)
    print(f"{len(training_data)} training images, {len(test_data)} test images "
          "(a stratified split; pixels scaled to [0, 1])")
    net = Network(SIZES, activation="sigmoid", cost="quadratic", seed=0)
    start = time.perf_counter()
    quadratic_history = net.SGD(training_data, epochs, 10, 3.0, test_data=test_data)
    quadratic_s = time.perf_counter() - start
    accuracy = net.evaluate(test_data) / len(test_data)
    print(f"test accuracy {accuracy:.1%} after {epochs} epochs ({quadratic_s:.1f} s)")

    ce_net = Network(SIZES, activation="sigmoid", cost="cross-entropy", seed=0)
    ce_history = ce_net.SGD(training_data, epochs, 10, 0.5, test_data=test_data, verbose=False)
    ce_accuracy = ce_net.evaluate(test_data) / len(test_data)
    print(f"the same network with the cross-entropy cost (η = 0.5): test accuracy "
          f"{ce_accuracy:.1%}; after epoch 1: {ce_history[0] / len(test_data):.1%} vs "
          f"{quadratic_history[0] / len(test_data):.1%} (quadratic)")

    X = np.concatenate([x for x, _ in test_data], axis=1)
    labels = np.array([y for _, y in test_data])
    predicted = np.argmax(net.feedforward(X), axis=0)
    wrong = np.flatnonzero(predicted != labels)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    off = confusion - np.diag(np.diag(confusion))
    worst = np.unravel_index(int(np.argmax(off)), off.shape)
    print(f"{len(wrong)} test images wrong; the most common mistake: a {worst[0]} read as a "
          f"{worst[1]} ({off[worst]} times)")

    print("\npicture: test accuracy per epoch, and test digits with the network's answers")
    pics = Pictures(out_dir)
    n_test = len(test_data)
    fig = _figure(X, labels, predicted, wrong, (quadratic_history, ce_history), accuracy, epochs)
    pics.figure(fig, "digits")
    return {
        "epochs": epochs, "history": list(quadratic_history), "n_test": n_test,
        "accuracy": accuracy, "cross_entropy_history": list(ce_history),
        "cross_entropy_accuracy": ce_accuracy, "seconds": quadratic_s,
        "n_wrong": len(wrong), "pictures": pics.paths,
    }


if __name__ == "__main__":
    run_alone(main, __doc__ or "")
