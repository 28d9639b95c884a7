"""Cost functions on ``Value``: per example, and averaged over a batch.

Each loss is an object with

* ``loss.example(output, target)`` — the cost of one example, one scalar ``Value`` (Nielsen's
  C_x, 3Blue1Brown's C_0). This is the function ``autograd.compile`` traces;
* ``loss(outputs, targets)`` — the mean over a batch (``reduction="sum"`` or ``"none"`` too),
  built as micrograd builds it: ``sum(losses) * (1.0 / n)``;
* ``loss.accuracy(outputs, targets)`` — the fraction classified correctly, from plain numbers
  (``None`` where the targets are not classes).

``output`` is a Value (one output neuron) or a list of Values; ``target`` a number, a class
index, or a list of numbers (one-hot or probabilities).

A ``Loss`` is built of ``Value`` operations and the engine differentiates it; ``nn.matrix``'s
``Cost`` is the same C_x on numpy arrays with its gradient and δ^L written by hand (Nielsen's
``network2.py`` name): two ideas, two names.

>>> from pathgrad.autograd import Value
>>> a, y = Value(0.8), 1.0
>>> c = squared_error.example(a, y)           # 3Blue1Brown's C_0 = (a − y)²
>>> c.backward()
>>> round(c.data, 12), round(a.grad, 12)      # ∂C_0/∂a = 2(a − y)
(0.04, -0.4)
>>> round(quadratic([Value(0.8), Value(0.1)], [1.0, 0.0]).data, 12)  # Nielsen: 1/(2n) Σ‖y − a‖²
0.0125
"""

from __future__ import annotations

import math  # noqa: F401  (the doctests use it)
import numbers
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from pathgrad.autograd import Value, sum_values
from pathgrad.autograd._checks import finite_number, positive_number

__all__ = [
    "LOSSES",
    "BinaryCrossEntropy",
    "Loss",
    "MaxMargin",
    "Quadratic",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "binary_cross_entropy",
    "get",
    "l2",
    "max_margin",
    "quadratic",
    "softmax_cross_entropy",
    "squared_error",
]

Output = Value | Sequence[Value]


def _outputs(output: Any, what: str) -> list[Value]:
    if isinstance(output, Value):
        return [output]
    if isinstance(output, Sequence) and output and all(isinstance(v, Value) for v in output):
        return list(output)
    raise TypeError(f"{what}: the output must be a Value or a list of Values, got {output!r}")


def _target_number(t: Any, what: str) -> float:
    return finite_number(f"{what}: a target", t)


def _targets(target: Any, n: int, what: str) -> list[Any]:
    """One target per output: a class index with n > 1 outputs becomes its one-hot vector."""
    if isinstance(target, Value) or (
        isinstance(target, numbers.Real) and not isinstance(target, bool)
    ):
        if n == 1:
            return [target if isinstance(target, Value) else _target_number(target, what)]
        if isinstance(target, Value):
            raise TypeError(f"{what}: {n} outputs need {n} targets, got one Value")
        k = _class_index(target, n, what)
        return [1.0 if j == k else 0.0 for j in range(n)]
    if isinstance(target, np.ndarray):
        target = target.tolist()
    if not isinstance(target, Sequence) or isinstance(target, (str, bytes)):
        raise TypeError(f"{what}: a target must be a number, a class index or a list, "
                        f"got {target!r}")
    if len(target) != n:
        raise ValueError(f"{what}: expected a target of length {n}, got length {len(target)}")
    return [t if isinstance(t, Value) else _target_number(t, what) for t in target]


def _class_index(target: Any, n: int, what: str) -> int:
    f = _target_number(target, what)
    if f != int(f) or not 0 <= f < n:
        raise ValueError(f"{what}: class index {target!r} is not an integer in [0, {n})")
    return int(f)


class Loss(ABC):
    """A cost per example (``example``) and its mean over a batch (``__call__``)."""

    name = "loss"

    @abstractmethod
    def example(self, output: Output, target: Any) -> Value:
        """The cost of one example's output against its target, as a Value."""

    def __call__(
        self, outputs: Sequence[Output], targets: Sequence[Any], reduction: str = "mean"
    ) -> Any:
        """The batch cost: ``"mean"`` (default), ``"sum"``, or ``"none"`` (the list)."""
        if isinstance(targets, np.ndarray):
            targets = targets.tolist()
        if len(outputs) != len(targets):
            raise ValueError(
                f"{self.name}: {len(outputs)} outputs but {len(targets)} targets"
            )
        if not outputs:
            raise ValueError(f"{self.name}: the batch is empty")
        losses = [self.example(o, t) for o, t in zip(outputs, targets)]
        if reduction == "none":
            return losses
        total = sum_values(losses)
        if reduction == "sum":
            total.label = "C"
            return total
        if reduction != "mean":
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        mean = total * (1.0 / len(losses))  # micrograd's form: sum(losses) * (1.0 / n)
        mean.label = "C"
        return mean

    def accuracy(self, outputs: Any, targets: Any) -> float | None:
        """Fraction of examples classified correctly (``None``: the targets are not classes).

        ``outputs``: numbers, shape (n,) or (n, k) (``.data`` of the output Values).
        """
        out = np.asarray(outputs, dtype=np.float64)
        y = np.asarray(targets, dtype=np.float64)
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if out.ndim == 2:
            predicted = out.argmax(axis=1)
            wanted = y.argmax(axis=1) if y.ndim == 2 else y
            return float(np.mean(predicted == wanted))
        labels = set(np.unique(y).tolist())
        if labels <= {0.0, 1.0}:
            return float(np.mean((out > self._threshold01) == (y > 0.5)))
        if labels <= {-1.0, 1.0}:
            return float(np.mean((out > 0.0) == (y > 0.0)))
        return None

    _threshold01 = 0.5

    def __repr__(self) -> str:
        return f"<loss {self.name}>"


class Quadratic(Loss):
    """Nielsen's quadratic cost: C_x = ½‖y − a‖², so the batch mean is C = 1/(2n) Σ‖y − a‖².

    >>> from pathgrad.autograd import Value
    >>> a = Value(0.7)
    >>> c = quadratic.example(a, 1.0)
    >>> c.backward(); round(c.data, 12), round(a.grad, 12)     # ∂C_x/∂a = (a − y), eq. (BP1)
    (0.045, -0.3)
    """

    name = "quadratic"

    def example(self, output: Output, target: Any) -> Value:
        c = _sum_of_squares(output, target, self.name) * 0.5
        c.label = "C_x"
        return c


def _sum_of_squares(output: Output, target: Any, what: str) -> Value:
    a = _outputs(output, what)
    y = _targets(target, len(a), what)
    squares = [(aj - yj) ** 2 for aj, yj in zip(a, y)]
    return squares[0] if len(squares) == 1 else sum_values(squares)


class SquaredError(Quadratic):
    """3Blue1Brown's cost: C_0 = Σ_j (a_j − y_j)² for one example; the batch mean is C.

    >>> from pathgrad.autograd import Value
    >>> round(squared_error.example([Value(0.2), Value(0.9)], 1).data, 12)  # class 1: y = (0, 1)
    0.05
    """

    name = "squared_error"

    def example(self, output: Output, target: Any) -> Value:
        c = _sum_of_squares(output, target, self.name)
        c.label = "C_0"
        return c


class BinaryCrossEntropy(Loss):
    """−[y log a + (1 − y) log(1 − a)] for targets y in [0, 1] (labels 0 and 1).

    ``from_logits=True`` (the default, stable): the output is the score s and a = σ(s); the
    cost is softplus(s) − y·s, computed without overflow for any s, with ∂C/∂s = σ(s) − y.
    ``from_logits=False``: the output is already the probability a (a sigmoid neuron). This
    form takes log a and log(1 − a) and fails once a saturates to exactly 0 or 1 (terms
    whose factor y or 1 − y is 0 are skipped); prefer logits.

    >>> from pathgrad.autograd import Value
    >>> s = Value(0.3)
    >>> c = binary_cross_entropy.example(s, 1)
    >>> c.backward(); round(s.grad, 12) == round(1 / (1 + math.exp(-0.3)) - 1, 12)
    True
    >>> big = binary_cross_entropy.example(Value(800.0), 0)   # no overflow
    >>> big.data
    800.0
    """

    def __init__(self, from_logits: bool = True) -> None:
        self.from_logits = bool(from_logits)
        self.name = "binary_cross_entropy" + ("" if from_logits else "(probabilities)")
        self._threshold01 = 0.0 if from_logits else 0.5

    def example(self, output: Output, target: Any) -> Value:
        (a,) = _check_single(output, self.name)
        (y,) = _targets(target, 1, self.name)
        if not isinstance(y, Value) and not 0.0 <= y <= 1.0:
            raise ValueError(f"{self.name}: the target {target!r} is not in [0, 1] "
                             "(labels are 0 and 1)")
        if self.from_logits:
            c = a.softplus() if (type(y) is float and y == 0.0) else a.softplus() - a * y
        elif isinstance(y, Value):
            c = -(y * a.log() + (1 - y) * (1 - a).log())
        elif y == 1.0:
            c = -a.log()
        elif y == 0.0:
            c = -(1 - a).log()
        else:
            c = -(a.log() * y + (1 - a).log() * (1.0 - y))
        c.label = "C_x"
        return c


def _check_single(output: Output, what: str) -> list[Value]:
    a = _outputs(output, what)
    if len(a) != 1:
        raise ValueError(f"{what} expects one output per example, got {len(a)}")
    return a


class SoftmaxCrossEntropy(Loss):
    """−log softmax(s)_y = log Σ_j e^(s_j) − s_y, from the scores (logits) s.

    Stable: log Σ_j e^(s_j) is computed as log Σ_j e^(s_j − m) + m with m the largest score
    (held as a constant: the identity holds for any m, so the value and the gradient
    softmax(s) − y are exact). The target is a class index or a probability vector; with
    Value targets (a traced example) m is built in the graph instead, see ``_logsumexp``.

    >>> from pathgrad.autograd import Value
    >>> s = [Value(1000.0), Value(0.0)]
    >>> softmax_cross_entropy.example(s, 0).data     # no overflow
    0.0
    """

    name = "softmax_cross_entropy"

    def example(self, output: Output, target: Any) -> Value:
        s = _outputs(output, self.name)
        if len(s) < 2:
            raise ValueError(f"{self.name} needs at least 2 scores per example, got {len(s)}")
        if isinstance(target, numbers.Real) and not isinstance(target, bool):
            c = _logsumexp(s) - s[_class_index(target, len(s), self.name)]
        else:
            y = _targets(target, len(s), self.name)
            traced = any(isinstance(t, Value) for t in y)
            c = _logsumexp(s, traced) - sum_values([v * t for v, t in zip(s, y)])
        c.label = "C_x"
        return c

    def accuracy(self, outputs: Any, targets: Any) -> float | None:
        out = np.asarray(outputs, dtype=np.float64)
        y = np.asarray(targets, dtype=np.float64)
        wanted = y.argmax(axis=1) if y.ndim == 2 else y
        return float(np.mean(out.argmax(axis=1) == wanted))


def _logsumexp(s: list[Value], traced: bool = False) -> Value:
    """log Σ e^(s_j), shifted by the largest score m: log Σ e^(s_j − m) + m.

    Eagerly m is a constant (the largest ``.data``). When the targets are Values — as when
    ``autograd.compile`` traces one example to replay it over a batch — m is built in the
    graph as max(a, b) = b + relu(a − b), so every example has the same graph (a constant
    taken from one example would differ from the next one's). Its gradient paths cancel.
    """
    if not traced:
        m = max(v.data for v in s)
        return sum_values([(v - m).exp() for v in s]).log() + m
    mv = s[0]
    for v in s[1:]:
        mv = mv + (v - mv).relu()
    return sum_values([(v - mv).exp() for v in s]).log() + mv


class MaxMargin(Loss):
    """micrograd's max-margin (hinge) loss: ``(1 + -y*score).relu()`` with labels y = ±1.

    >>> from pathgrad.autograd import Value
    >>> max_margin.example(Value(0.25), -1).data, max_margin.example(Value(2.0), 1).data
    (1.25, 0.0)
    """

    name = "max_margin"

    def example(self, output: Output, target: Any) -> Value:
        if type(output) is not Value:
            (output,) = _check_single(output, self.name)
        if isinstance(target, Value):
            c = (1 + -target * output).relu()
        else:
            y = _target_number(target, self.name)
            if y != 1.0 and y != -1.0:
                raise ValueError(f"{self.name}: labels are -1 and +1, got {target!r}")
            c = (1 + -y * output).relu()
        c.label = "C_x"
        return c

    def accuracy(self, outputs: Any, targets: Any) -> float | None:
        out = np.asarray(outputs, dtype=np.float64).reshape(-1)
        y = np.asarray(targets, dtype=np.float64).reshape(-1)
        return float(np.mean((y > 0) == (out > 0)))  # micrograd: (yi > 0) == (scorei.data > 0)


def l2(params: Sequence[Value], alpha: float) -> Value:
    """L2 regularisation ``alpha * Σ p²`` (micrograd's demo: ``alpha * sum(p*p for p in ...)``).

    micrograd regularises every parameter; Nielsen's chapter 3 uses λ/(2n) Σ w² over the
    weights only — pass those and ``alpha = λ/(2n)`` for his form.

    >>> from pathgrad.autograd import Value
    >>> l2([Value(1.0), Value(-2.0)], 0.5).data
    2.5
    """
    alpha = positive_number("l2: alpha", alpha, allow_zero=True)
    params = list(params)
    if not params:
        raise ValueError("l2: no parameters")
    r = sum_values([p * p for p in params]) * float(alpha)
    r.label = "L2"
    return r


quadratic = Quadratic()
squared_error = SquaredError()
binary_cross_entropy = BinaryCrossEntropy(from_logits=True)
softmax_cross_entropy = SoftmaxCrossEntropy()
max_margin = MaxMargin()

LOSSES: dict[str, Loss] = {
    "quadratic": quadratic,
    "squared_error": squared_error,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
    "cross_entropy": softmax_cross_entropy,
    "max_margin": max_margin,
    "hinge": max_margin,
}
"""Losses by name (``fit(..., loss="max_margin")``)."""


def get(loss: str | Loss) -> Loss:
    """A loss object from its name (or the object itself).

    >>> get("hinge") is max_margin
    True
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)} or a Loss object")
