"""Training: one gradient step (``train_step``) and the loop over epochs and batches (``fit``).

A step is micrograd's demo loop body: forward every example of the batch, average the
per-example costs (plus L2), ``zero_grad``, ``backward``, ``optimizer.step()``.

>>> from pathgrad.nn import MLP, data, optim
>>> X, y = data.moons(100, noise=0.1, seed=1337, signed=True)
>>> model = MLP(2, [16, 16, 1], seed=1337)
>>> history = fit(model, X, y, "max_margin", optim.SGD(model.parameters(), lr=0.5),
...               epochs=3, l2=1e-4, verbose=False)
>>> len(history.loss), history.loss[-1] < history.loss[0]
(3, True)
"""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pathgrad.autograd import Value, no_grad
from pathgrad.autograd._checks import positive_int

from . import losses as _losses
from .optim import NonFiniteError, Optimizer

__all__ = ["DivergenceError", "History", "fit", "train_step"]


class DivergenceError(FloatingPointError):
    """The loss, a gradient or an update became nan or inf (or overflowed) during ``fit``.

    ``epoch`` and ``step`` are 1-based (``step`` counts batches within the epoch); the model
    keeps the parameters it had before the failing step.
    """

    def __init__(self, message: str, epoch: int, step: int) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.step = step


@dataclass
class History:
    """Per-epoch records of ``fit``: mean training loss, accuracy (None if not classes), lr.

    Loss and accuracy are averaged over the epoch's batches (weighted by batch size), each
    batch measured before its own update, as Keras and micrograd's demo report them.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    steps: int = 0


def _output_data(outputs: list[Any]) -> list[Any]:
    if outputs and type(outputs[0]) is Value:
        return [o.data for o in outputs]
    return [[v.data for v in o] for o in outputs]


def train_step(
    model: Any,
    X: Any,
    y: Any,
    loss: str | _losses.Loss,
    optimizer: Optimizer,
    l2: float = 0.0,
) -> tuple[float, float | None]:
    """One gradient step on the batch (X, y); returns the batch loss and accuracy (before it).

    All or nothing: if the loss, a gradient or an updated parameter is not finite, raise
    ``NonFiniteError`` and leave the parameters as they were. Python's cycle collector is
    paused during the step (the graph has no cycles to collect) and restored after it.
    """
    loss_fn = _losses.get(loss)
    with _collector_paused():
        return _train_step(model, X, y, loss_fn, optimizer, l2)


def _train_step(
    model: Any, X: Any, y: Any, loss_fn: _losses.Loss, optimizer: Optimizer, l2: float
) -> tuple[float, float | None]:
    rows = X.tolist() if isinstance(X, np.ndarray) else [list(r) for r in X]
    targets = y.tolist() if isinstance(y, np.ndarray) else list(y)
    outputs = [model(r) for r in rows]
    total = loss_fn(outputs, targets)
    if l2:
        total = total + _losses.l2(model.parameters(), l2)
    value = total.data
    if not math.isfinite(value):
        raise NonFiniteError(f"the loss is {value!r}; nothing was updated")
    accuracy = loss_fn.accuracy(_output_data(outputs), targets)
    touched = [*optimizer.params, *getattr(model, "parameters", list)()]
    with _grads_kept_on_failure(touched):
        if hasattr(model, "zero_grad"):
            model.zero_grad()
        else:
            optimizer.zero_grad()
        total.backward()
        optimizer.step()
    return value, accuracy


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the duration of a step, as it was before afterwards.

    A step allocates thousands of nodes, and every 700 allocations the collector would scan
    them for reference cycles; a graph of Values has none (edges point to parents only), so
    reference counting frees it, and the scans were about an eighth of the step. Cycles made
    by other code meanwhile are collected once the collector is back on.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextmanager
def _grads_kept_on_failure(params: Sequence[Value]) -> Iterator[None]:
    """A step that raises (a non-finite update, an interrupt) leaves every ``.grad`` as it was."""
    saved = [p.grad for p in params]
    try:
        yield
    except BaseException:
        for p, g in zip(params, saved):
            p.grad = g
        raise


def _progress_bar() -> Any:
    """tqdm's notebook bar where a kernel can draw it (ipywidgets present), else the text bar.

    ``tqdm.auto`` picks the notebook bar in any kernel and, without ipywidgets, warns
    "IProgress not found" before falling back; choosing here keeps a notebook's output clean.
    """
    import importlib.util

    in_kernel = type(sys.stderr).__module__.startswith("ipykernel")
    if in_kernel and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as notebook_tqdm

        return notebook_tqdm
    from tqdm.std import tqdm as text_tqdm

    return text_tqdm


def _quiet() -> bool:
    """True unless stderr is a terminal or a Jupyter kernel's stream (where tqdm draws too)."""
    stream = sys.stderr
    if type(stream).__module__.startswith("ipykernel"):
        return False
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True


def _check_data(model: Any, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    if np.iscomplexobj(X) or any(isinstance(x, complex) for row in _rows(X) for x in row):
        raise TypeError("X must hold real numbers, got complex ones")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must have shape (n_examples, n_inputs), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} examples but y has {len(y)}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains nan or inf")
    if y.dtype == object or not np.issubdtype(y.dtype, np.number):
        raise TypeError(f"y must hold numbers, got dtype {y.dtype}")
    if np.iscomplexobj(y):  # astype(float) would drop the imaginary parts with a mere warning
        raise TypeError(f"y must hold real numbers, got dtype {y.dtype}")
    n_inputs = getattr(model, "n_inputs", None)
    if isinstance(n_inputs, int) and X.shape[1] != n_inputs:
        raise ValueError(
            f"{type(model).__name__} expects inputs of length {n_inputs}, X has rows of "
            f"length {X.shape[1]}"
        )
    return X, y


def _rows(X: Any) -> list[Any]:
    """The rows of a nested list (a numpy array is checked by its dtype instead)."""
    if isinstance(X, np.ndarray) or not isinstance(X, (list, tuple)):
        return []
    return [r for r in X if isinstance(r, (list, tuple))]


def _check_targets(loss: _losses.Loss, y: np.ndarray, n_outputs: int | None) -> None:
    """Refuse targets the loss cannot use before the first step, naming the bad value."""
    flat = y.astype(np.float64).reshape(-1)
    if not np.all(np.isfinite(flat)):
        raise ValueError("y contains nan or inf")
    if isinstance(loss, _losses.MaxMargin):
        bad = flat[(flat != 1.0) & (flat != -1.0)]
        if bad.size:
            raise ValueError(f"max_margin needs labels -1 and +1, y contains {float(bad[0])!r} "
                             "(use signed=True in nn.data)")
    elif isinstance(loss, _losses.BinaryCrossEntropy):
        bad = flat[(flat < 0.0) | (flat > 1.0)]
        if bad.size:
            raise ValueError(f"binary_cross_entropy needs targets in [0, 1], y contains "
                             f"{float(bad[0])!r}")
    elif isinstance(loss, _losses.SoftmaxCrossEntropy) and y.ndim == 1 and n_outputs:
        bad = flat[(flat != np.round(flat)) | (flat < 0) | (flat >= n_outputs)]
        if bad.size:
            raise ValueError(f"softmax_cross_entropy: class index {float(bad[0])!r} is not in "
                             f"[0, {n_outputs})")


def fit(
    model: Any,
    X: Any,
    y: Any,
    loss: str | _losses.Loss,
    optimizer: Optimizer,
    epochs: int = 10,
    batch_size: int | None = None,
    *,
    l2: float = 0.0,
    lr_schedule: Callable[[int], float] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    verbose: bool = True,
    compiled: bool = False,
    on_epoch_end: Callable[[int, History], Any] | None = None,
) -> History:
    """Train ``model`` on (X, y) by mini-batch gradient descent; return the ``History``.

    ``X``: (n, n_inputs) numbers; ``y``: (n,) labels/targets, or (n, k) target vectors.
    ``loss``: a loss from ``nn.losses`` or its name (``"max_margin"``, ``"quadratic"``, …).
    ``batch_size=None`` trains on the full batch each step (micrograd's demo); otherwise the
    examples are shuffled each epoch (seeded by ``seed``) and cut into mini-batches.
    ``l2`` adds ``l2 * Σ p²`` over ``model.parameters()``; ``lr_schedule(epoch)`` (0-based)
    sets the learning rate at the start of each epoch. A tqdm bar shows loss and accuracy
    when stderr is a terminal or a Jupyter notebook, unless ``verbose=False``.

    ``compiled=True`` records the per-example cost once with ``autograd.compile`` and replays
    it over each batch with numpy (same numbers, much faster).

    If the loss, a gradient or an update becomes nan or inf, or a step overflows, raises
    ``DivergenceError`` naming the epoch and step; the model keeps its last finite parameters.
    """
    loss_fn = _losses.get(loss)
    X, y, epochs, size = _check_fit(model, X, y, loss_fn, optimizer, epochs, batch_size, l2)
    n, rng = len(X), np.random.default_rng(seed)
    step_fn = _step_function(model, X, y, loss_fn, optimizer, l2, compiled)
    history = History()
    bar: Any = None
    if verbose and not _quiet():
        bar = _progress_bar()(range(epochs), desc="fit", unit="epoch", file=sys.stderr)
    epoch_iter: Sequence[int] | Any = range(epochs) if bar is None else bar
    try:
        for epoch in epoch_iter:
            if lr_schedule is not None:
                optimizer.lr = lr_schedule(epoch)
            order = rng.permutation(n) if (shuffle and size < n) else np.arange(n)
            _run_epoch(step_fn, X, y, order, size, epoch, history)
            history.lr.append(optimizer.lr)
            if bar is not None:
                bar.set_postfix(_postfix(history))
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
    finally:
        if bar is not None:
            bar.close()
    if compiled and history.steps:
        _keep_last_delta(model, X[-1].tolist(), y[-1], loss_fn, size)
    return history


def _keep_last_delta(model: Any, row: list[float], target: Any, loss_fn: _losses.Loss,
                     batch: int) -> None:
    """After a compiled fit, run one example eagerly so each neuron's last z, a and
    δ = ∂C/∂z (``last_z.grad``, what ``viz.draw_network`` shows) are there, as after an eager
    fit, at the final parameters; the parameters' grads are left as the last step set them."""
    params = model.parameters()
    kept = [p.grad for p in params]
    cost = loss_fn.example(model(row), target) * (1.0 / batch)
    cost.backward()
    for p, g in zip(params, kept):
        p.grad = g


def _check_fit(
    model: Any, X: Any, y: Any, loss_fn: _losses.Loss, optimizer: Any, epochs: Any,
    batch_size: Any, l2: float,
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Every argument of ``fit`` checked before the first step: X, y, epochs, batch size."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nn.optim optimizer, got {optimizer!r}")
    X, y = _check_data(model, X, y)
    epochs = positive_int("epochs", epochs)
    n = len(X)
    size = n if batch_size is None else min(positive_int("batch_size", batch_size), n)
    if l2:
        _losses.l2(model.parameters(), l2)  # validates alpha
    n_outputs = getattr(model, "n_outputs", None)
    _check_targets(loss_fn, y, n_outputs if isinstance(n_outputs, int) else None)
    return X, y, epochs, size


def _postfix(history: History) -> dict[str, str]:
    post = {"loss": f"{history.loss[-1]:.4g}"}
    if history.accuracy[-1] is not None:
        post["acc"] = f"{history.accuracy[-1]:.1%}"
    return post


_Step = Callable[[np.ndarray, np.ndarray], tuple[float, float | None]]


def _step_function(
    model: Any, X: np.ndarray, y: np.ndarray, loss_fn: _losses.Loss, optimizer: Optimizer,
    l2: float, compiled: bool,
) -> _Step:
    """One gradient step on a batch: eager (``train_step``) or the compiled replay."""
    if compiled:
        return _compiled_step(model, X, y, loss_fn, optimizer, l2)

    def step_fn(Xb: np.ndarray, yb: np.ndarray) -> tuple[float, float | None]:
        return train_step(model, Xb, yb, loss_fn, optimizer, l2)

    return step_fn


def _run_epoch(
    step_fn: _Step, X: np.ndarray, y: np.ndarray, order: np.ndarray, size: int, epoch: int,
    history: History,
) -> None:
    """Every batch of one epoch; appends the epoch's mean loss and accuracy to ``history``.

    A step whose numbers stop being finite becomes a ``DivergenceError`` naming the epoch and
    step (the step itself changed nothing)."""
    n = len(order)
    total, correct, counted = 0.0, 0.0, 0
    for b in range(math.ceil(n / size)):
        idx = order[b * size : (b + 1) * size]
        try:
            value, acc = step_fn(X[idx], y[idx])
        except (ArithmeticError, ValueError) as error:
            if isinstance(error, ValueError) and "domain error" not in str(error):
                raise
            raise DivergenceError(
                f"training diverged at epoch {epoch + 1}, step {b + 1} "
                f"(step {history.steps + 1} overall): {error}; the model keeps its "
                "parameters from before this step",
                epoch + 1,
                b + 1,
            ) from error
        history.steps += 1
        total += value * len(idx)
        if acc is not None:
            correct += acc * len(idx)
            counted += len(idx)
    history.loss.append(total / n)
    history.accuracy.append(correct / counted if counted else None)


def _compiled_step(
    model: Any, X: np.ndarray, y: np.ndarray, loss_fn: _losses.Loss, optimizer: Optimizer,
    l2: float,
) -> Callable[[np.ndarray, np.ndarray], tuple[float, float | None]]:
    """The step of ``fit(compiled=True)``: one traced per-example cost, replayed per batch."""
    from pathgrad.autograd.compiler.compile import compile as compile_graph

    params = model.parameters()
    d = X.shape[1]
    probe = model(X[0].tolist())
    k = 1 if isinstance(probe, Value) else len(probe)
    targets = y.astype(np.float64)
    if k > 1 and targets.ndim == 1:  # class indices -> one-hot columns (traced targets)
        one_hot = np.zeros((len(targets), k))
        one_hot[np.arange(len(targets)), targets.astype(np.int64)] = 1.0
        targets = one_hot
    n_targets = 1 if targets.ndim == 1 else targets.shape[1]

    def loss_one(*args: Any) -> Value:
        out = model(list(args[:d]))
        target = args[d] if n_targets == 1 else list(args[d:])
        c = loss_fn.example(out, target)
        if l2:
            c = c + _losses.l2(params, l2)
        return c

    compiled = compile_graph(loss_one, params=params)
    feedforward = getattr(model, "feedforward", None)

    def step(Xb: np.ndarray, yb: np.ndarray) -> tuple[float, float | None]:
        tb = _targets_for(yb, targets)
        columns = [Xb[:, i] for i in range(d)]
        columns += [tb] if n_targets == 1 else [tb[:, j] for j in range(n_targets)]
        if feedforward is not None:
            outputs = feedforward(Xb)
        else:
            with no_grad():
                outputs = np.asarray(_output_data([model(r) for r in Xb.tolist()]))
        accuracy = loss_fn.accuracy(outputs, yb)
        value, grads = compiled.value_and_grad(*columns)
        value = float(value)
        if not math.isfinite(value):
            raise NonFiniteError(f"the loss is {value!r}; nothing was updated")
        with _grads_kept_on_failure(params):
            for p, g in zip(params, np.asarray(grads, dtype=np.float64).tolist()):
                p.grad = g
            optimizer.step()
        return value, accuracy

    return step


def _targets_for(yb: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The traced target columns for a batch's labels ``yb``."""
    if targets.ndim == 1 or yb.ndim == 2:
        return yb.astype(np.float64)
    out = np.zeros((len(yb), targets.shape[1]))
    out[np.arange(len(yb)), yb.astype(np.int64)] = 1.0
    return out

