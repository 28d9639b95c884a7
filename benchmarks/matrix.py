"""The fully matrix-based mini-batch update against the book's loop, PyTorch CPU and numpy GEMM.

Network [784, 30, 10] (MNIST's shapes; random data, no download), sigmoid neurons, quadratic
cost, float64 everywhere (numpy and torch). One "update" is a whole SGD step on one mini-batch:
forward, backprop, w ← w − (η/m) Σ ∂C_x/∂w, the same for b.

* mini-batches of 10 and 100: ``update_mini_batch_matrix`` (X = [x_1 ... x_m]) against the
  book's per-example loop ``update_mini_batch`` (same arguments: a list of (x, y) pairs), and
  ``update_batch`` (the mini-batch already stacked, as SGD keeps it) against PyTorch doing the
  same step from tensors, by autograd and by hand (float64, torch's default threads).
* mini-batch 1,000: ``update_batch`` against the machine's numpy GEMM rate. The update's FLOPs
  are those of its matrix products (2·n_out·n_in·m for each of z = w a, (w^{l+1})^T δ and
  δ a^T; elementwise work is not counted), and the ceiling is the time of exactly those
  products, same shapes and layouts, into preallocated outputs.

Targets: matrix ≥ 8x the loop and ≥ 6x the book's listing (mini-batch 10), ≥ 2x faster than
PyTorch CPU (mini-batch 10), ≥ 50% of the GEMM rate (mini-batch 1,000). Medians of several
runs, interleaved: each run times every contender back to back, and each ratio is the median of
the run-by-run ratios.
Last, the ratios at every mini-batch size 1–10,000: the book's loop ÷ the matrix step, and
PyTorch autograd ÷ ``update_batch``, min–median–max over rounds.
``python -m benchmarks.matrix --quick`` runs tiny sizes as a smoke test; ``--threads N`` limits
BLAS (through threadpoolctl) and torch to N threads, for a machine whose cores are busy.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from benchmarks.common import print_table, quick, spread, verdict
from pathgrad.nn.matrix import Network

__all__ = ["main"]

ETA = 0.01


class Timing(dict[str, list[float]]):
    """Seconds per call, one sample per run for each contender; run i of all contenders ran
    back to back, so a ratio is taken run by run (the same load on the machine) and its median
    reported: steadier than a ratio of medians on a busy machine."""

    def median(self, name: str) -> float:
        return statistics.median(self[name])

    def best(self, name: str) -> float:
        return min(self[name])

    def ratio(self, slow: str, fast: str) -> float:
        return statistics.median(s / f for s, f in zip(self[slow], self[fast]))

    def best_ratio(self, slow: str, fast: str) -> float:
        return self.best(slow) / self.best(fast)


def _median_time(fns: dict[str, Callable[[], object]], runs: int, block: float) -> Timing:
    """Seconds per call of each function over ``runs`` interleaved blocks of ``block`` s."""
    inner = {}
    for name, fn in fns.items():  # calibrate: enough calls per block to last ``block`` seconds
        fn()
        n, t = 1, 0.0
        while True:
            start = time.perf_counter()
            for _ in range(n):
                fn()
            t = time.perf_counter() - start
            if t >= block / 4 or n >= 1 << 20:
                break
            n *= 4
        inner[name] = max(1, int(n * block / max(t, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            for name, fn in fns.items():
                n = inner[name]
                start = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter() - start) / n)
    finally:
        if gc_was_enabled:
            gc.enable()
    return Timing(samples)


def _mini_batch(sizes: list[int], m: int, rng: np.random.Generator) -> list[tuple]:
    eye = np.eye(sizes[-1])
    labels = rng.integers(0, sizes[-1], size=m)
    return [(rng.uniform(size=(sizes[0], 1)), eye[:, [k]]) for k in labels]


def _stacked(batch: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    # as SGD holds a shuffled mini-batch: examples as rows, X and Y are transposed views
    rows_x = np.ascontiguousarray(np.hstack([x for x, _ in batch]).T)
    rows_y = np.ascontiguousarray(np.hstack([y for _, y in batch]).T)
    return rows_x.T, rows_y.T


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_prime(z):
    return _sigmoid(z) * (1 - _sigmoid(z))


class BookNetwork:
    """The book's network.py ``update_mini_batch``/``backprop``, with the loop's indices fixed."""

    def __init__(self, net: Network) -> None:
        self.num_layers = net.num_layers
        self.weights = [w.copy() for w in net.weights]
        self.biases = [b.copy() for b in net.biases]

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = _sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * _sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = _sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


def _torch_steps(net: Network, X: np.ndarray, Y: np.ndarray):
    """Two torch float64 versions of the same step, and a way to read their weights back."""
    import torch

    step = ETA / X.shape[1]
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)  # same layout as ours (a transposed view)
    P = [torch.tensor(p, requires_grad=True) for pair in zip(net.weights, net.biases) for p in pair]
    W_h = [torch.tensor(w) for w in net.weights]
    B_h = [torch.tensor(b) for b in net.biases]

    def autograd_step() -> None:
        a = Xt
        for w, b in zip(P[0::2], P[1::2]):
            a = torch.sigmoid(torch.addmm(b, w, a))
        cost = 0.5 * ((a - Yt) ** 2).sum()
        cost.backward()
        with torch.no_grad():
            for p in P:
                p.sub_(p.grad, alpha=step)  # type: ignore[arg-type]
                p.grad = None

    def by_hand_step() -> None:
        with torch.inference_mode():
            acts = [Xt]
            for w, b in zip(W_h, B_h):
                acts.append(torch.sigmoid(torch.addmm(b, w, acts[-1])))
            a = acts[-1]
            delta = (a - Yt) * a * (1.0 - a)  # BP1
            for l in range(len(W_h) - 1, -1, -1):
                nabla_w = delta @ acts[l].T  # BP4
                nabla_b = delta.sum(dim=1, keepdim=True)  # BP3
                if l > 0:  # BP2, with w^{l+1} before its update
                    a = acts[l]
                    delta = (W_h[l].T @ delta) * a * (1.0 - a)
                W_h[l].sub_(nabla_w, alpha=step)
                B_h[l].sub_(nabla_b, alpha=step)

    def weights() -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [p.detach().numpy().copy() for p in P[0::2]], [w.numpy().copy() for w in W_h]

    return autograd_step, by_hand_step, weights, torch


def _update_flops(sizes: list[int], m: int) -> int:
    pairs = list(itertools.pairwise(sizes))
    forward = sum(2 * n_out * n_in * m for n_in, n_out in pairs)  # z = w a
    bp2 = sum(2 * n_out * n_in * m for n_in, n_out in pairs[1:])  # (w^{l+1})^T δ^{l+1}
    bp4 = forward  # δ^l (a^{l-1})^T
    return forward + bp2 + bp4


def _gemm_ceiling(net: Network, X: np.ndarray, Y: np.ndarray) -> Callable[[], None]:
    """Exactly the update's matrix products, into preallocated outputs."""
    net.update_batch(X, Y, ETA)  # fills zs, activations and deltas with the right shapes
    acts, deltas, weights = net.activations, net.deltas, net.weights
    z_out = [np.empty_like(d) for d in deltas]
    back_out = [np.empty_like(a) for a in acts[1:-1]]
    w_out = [np.empty_like(w) for w in weights]
    a_in = [acts[0], *(a.copy() for a in acts[1:-1])]
    d_in = [d.copy() for d in deltas]

    def products() -> None:
        for w, a, out in zip(weights, a_in, z_out):
            np.matmul(w, a, out=out)
        for w, d, out in zip(weights[1:], d_in[1:], back_out):
            np.matmul(w.T, d, out=out)
        for d, a, out in zip(d_in, a_in, w_out):
            np.matmul(d, a.T, out=out)

    return products


def _check_same_update(net: Network, batch: list[tuple], torch_parts) -> None:
    """Every contender takes the same step from the same weights (else the timing means little)."""
    X, Y = _stacked(batch)
    ref = copy.deepcopy(net)
    ref.update_batch(X, Y, ETA)
    loop, matrix, book = copy.deepcopy(net), copy.deepcopy(net), BookNetwork(net)
    loop.update_mini_batch(batch, ETA)
    matrix.update_mini_batch_matrix(batch, ETA)
    book.update_mini_batch(batch, ETA)
    candidates = {"loop": loop.weights, "matrix": matrix.weights, "book": book.weights}
    if torch_parts is not None:
        autograd_step, by_hand_step, weights, _ = torch_parts
        autograd_step()
        by_hand_step()
        candidates["torch autograd"], candidates["torch by hand"] = weights()
    for name, ws in candidates.items():
        for w, w_ref in zip(ws, ref.weights):
            if not np.allclose(w, w_ref, rtol=1e-10, atol=1e-13):
                raise AssertionError(f"{name} does not take the same step as update_batch")


def _compare_small(
    base: Network, m: int, rng: np.random.Generator, torch_ok: bool, runs: int, block: float
) -> Timing:
    """Seconds per update of every contender at mini-batch m, after checking they agree."""
    batch = _mini_batch(base.sizes, m, rng)
    X, Y = _stacked(batch)
    _check_same_update(base, batch, _torch_steps(base, X, Y) if torch_ok else None)
    loop, matrix, stacked = (copy.deepcopy(base) for _ in range(3))
    book = BookNetwork(base)
    fns: dict[str, Callable[[], object]] = {
        BOOK: lambda: book.update_mini_batch(batch, ETA),
        LOOP: lambda: loop.update_mini_batch(batch, ETA),
        MATRIX: lambda: matrix.update_mini_batch_matrix(batch, ETA),
        STACKED: lambda: stacked.update_batch(X, Y, ETA),
    }
    if torch_ok:
        autograd_step, by_hand_step, _, _ = _torch_steps(copy.deepcopy(base), X, Y)
        fns[TORCH_AUTOGRAD], fns[TORCH_BY_HAND] = autograd_step, by_hand_step
    return _median_time(fns, runs, block)


def _compare_large(
    base: Network, m: int, rng: np.random.Generator, runs: int, block: float
) -> Timing:
    batch = _mini_batch(base.sizes, m, rng)
    X, Y = _stacked(batch)
    stacked, matrix = copy.deepcopy(base), copy.deepcopy(base)
    fns: dict[str, Callable[[], object]] = {
        GEMM: _gemm_ceiling(copy.deepcopy(base), X, Y),
        STACKED: lambda: stacked.update_batch(X, Y, ETA),
        MATRIX: lambda: matrix.update_mini_batch_matrix(batch, ETA),
    }
    return _median_time(fns, runs, block)


BOOK = "book network.py listing (indices fixed)"
LOOP = "update_mini_batch (per-example loop)"
MATRIX = "update_mini_batch_matrix (list of pairs)"
STACKED = "update_batch (X, Y stacked)"
TORCH_AUTOGRAD = "torch autograd (X, Y stacked)"
TORCH_BY_HAND = "torch by hand (X, Y stacked)"
GEMM = "GEMM: the update's matrix products only"


def _anchored_steps(base: Network, batch: list[tuple], torch_ok: bool
                    ) -> dict[str, Callable[[], object]]:
    X, Y = _stacked(batch)
    matrix, stacked, book = copy.deepcopy(base), copy.deepcopy(base), BookNetwork(base)
    fns: dict[str, Callable[[], object]] = {
        BOOK: lambda: book.update_mini_batch(batch, ETA),
        MATRIX: lambda: matrix.update_mini_batch_matrix(batch, ETA),
        STACKED: lambda: stacked.update_batch(X, Y, ETA),
    }
    if torch_ok:
        fns[TORCH_AUTOGRAD] = _torch_steps(copy.deepcopy(base), X, Y)[0]
    return fns


def _batch_ratios(base: Network, torch_ok: bool, is_quick: bool) -> None:
    """The matrix step against its anchors at every mini-batch size, as ratios per round.

    The book's ``network.py`` loop (the listing, indices fixed) ÷ ``update_mini_batch_matrix``
    (the same list of pairs in), and PyTorch autograd ÷ ``update_batch`` (both from the stacked
    X, Y), min–median–max over interleaved rounds (each round times every contender back to
    back, so each ratio is taken under one load).
    """
    sizes = (1, 4, 16) if is_quick else (1, 10, 100, 1_000, 10_000)
    rng = np.random.default_rng(1)
    rows = []
    for m in sizes:
        fns = _anchored_steps(base, _mini_batch(base.sizes, m, rng), torch_ok)
        rounds = 3 if is_quick else (15 if m <= 100 else 5)
        t = _median_time(fns, rounds, 0.0 if m >= 1_000 else 0.02)
        book_ratio = [b / f for b, f in zip(t[BOOK], t[MATRIX])]
        torch_ratio = ([s / f for s, f in zip(t[TORCH_AUTOGRAD], t[STACKED])]
                       if torch_ok else [])
        rows.append([m, spread(t[MATRIX]), spread(t[STACKED]), spread(book_ratio, 1.0),
                     spread(torch_ratio, 1.0) if torch_ok else "-"])
    print("\nThe matrix step against its anchors by mini-batch size "
          "(min–median–max over rounds of the per-round ratio; times in ms)")
    print_table(["batch", "update_mini_batch_matrix", "update_batch", "book loop ÷ matrix",
                 "torch autograd ÷ update_batch"], rows)


def _threads() -> int | None:
    """``--threads N`` on the command line: limit BLAS and torch to N threads (else defaults)."""
    if "--threads" not in sys.argv:
        return None
    i = sys.argv.index("--threads")
    try:
        return int(sys.argv[i + 1])
    except (IndexError, ValueError):
        raise SystemExit("--threads needs a number, e.g. --threads 1") from None


def main() -> None:
    is_quick = quick()
    sizes = [64, 16, 10] if is_quick else [784, 30, 10]
    small, medium, large = (4, 16, 64) if is_quick else (10, 100, 1000)
    runs, block = (3, 0.01) if is_quick else (41, 0.02)
    threads = _threads()
    limits = contextlib.nullcontext()
    if threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            raise SystemExit("--threads needs threadpoolctl (scikit-learn installs it)") from None
        limits = threadpool_limits(threads)
    rng = np.random.default_rng(0)
    base = Network(sizes, seed=0)
    try:
        import torch

        if threads is not None:
            torch.set_num_threads(threads)
        torch_ok = True
        torch_note = f"torch {torch.__version__} ({torch.get_num_threads()} threads, float64)"
    except ImportError:
        torch_ok, torch_note = False, "torch not installed: the PyTorch rows are skipped"
    coretype = os.environ.get("OPENBLAS_CORETYPE", "unset")
    blas_threads = "default BLAS threads" if threads is None else f"BLAS limited to {threads}"
    print(f"nn.matrix benchmark: Network({sizes}), sigmoid + quadratic cost, float64, eta {ETA}")
    print(f"numpy {np.__version__} (OPENBLAS_CORETYPE={coretype}, {blas_threads}); {torch_note}")
    print(
        f"time per mini-batch update: median and best of {runs} interleaved runs; each ratio "
        "is the median of the run-by-run ratios"
    )
    if hasattr(os, "getloadavg"):
        print("load average at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))

    rows: list[tuple[int, str, float, float, str]] = []
    targets: list[tuple[str, float, float, float, str]] = []
    with limits:
        for m in (small, medium):
            t = _compare_small(base, m, rng, torch_ok, runs, block)
            for name in t:
                note = f"{t.ratio(LOOP, name):6.2f}x the loop"
                if name.startswith("torch"):
                    note += f"; update_batch is {t.ratio(name, STACKED):.2f}x faster"
                rows.append((m, name, t.median(name), t.best(name), note))
            if m == small:
                label = f"matrix vs the per-example loop, mini-batch {m}"
                targets.append((label, t.ratio(LOOP, MATRIX), t.best_ratio(LOOP, MATRIX), 8.0, "x"))
                label = f"matrix vs the book's network.py, mini-batch {m}"
                targets.append((label, t.ratio(BOOK, MATRIX), t.best_ratio(BOOK, MATRIX), 6.0, "x"))
                if torch_ok:
                    for name in (TORCH_AUTOGRAD, TORCH_BY_HAND):
                        label = f"update_batch vs {name[: name.index(' (')]}, mini-batch {m}"
                        targets.append(
                            (label, t.ratio(name, STACKED), t.best_ratio(name, STACKED), 2.0, "x")
                        )

        t = _compare_large(base, large, rng, runs, block)
    flops = _update_flops(sizes, large)
    for name in t:
        rate = flops / t.median(name) / 1e9
        note = f"{rate:6.1f} GFLOP/s = {t.ratio(GEMM, name):.0%} of the GEMM rate"
        rows.append((large, name, t.median(name), t.best(name), note))
    label = f"update_batch share of the GEMM rate, mini-batch {large}"
    targets.append((label, t.ratio(GEMM, STACKED), t.best_ratio(GEMM, STACKED), 0.5, "%"))

    print(f"\n{'batch':>5}  {'method':<42}{'median':>10}{'best':>10}  ratio")
    for m, name, median, best, note in rows:
        print(f"{m:>5}  {name:<42}{_fmt_time(median):>10}{_fmt_time(best):>10}  {note}")
    print(f"\nupdate FLOPs at mini-batch {large}: {flops / 1e6:.1f} M (matrix products only)")
    print("\ntargets" + (" (--quick: not the targets' sizes)" if is_quick else ""))
    print("  (verdicts on the median ratio; the ratio of the best times is shown beside it)")
    for label, value, best, goal, unit in targets:
        if unit == "%":
            shown = f"{value:.0%} (goal >= {goal:.0%}; best {best:.0%})"
        else:
            shown = f"{value:.2f}x (goal >= {goal:g}x; best {best:.2f}x)"
        print(f"  {label:<56} {shown:<36} {verdict(value >= goal)}")
    if not torch_ok:
        print("  torch not installed: the PyTorch target was not measured")
    with limits:
        _batch_ratios(base, torch_ok, is_quick)


def _fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


if __name__ == "__main__":
    main()
