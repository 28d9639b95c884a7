"""Optimizers: SGD (Nielsen's mini-batch rule), SGD with momentum, and Adam (PyTorch's formulas).

Each takes the parameters, reads their ``.grad`` in ``step()`` and updates ``.data`` in place.
Parameters are leaves, so assigning ``.data`` builds no graph (the same as updating under
``autograd.no_grad()``, only faster). A step is all or nothing: if a gradient is not finite, or
the update would make a parameter non-finite, ``step()`` raises ``NonFiniteError`` naming the
parameter and leaves every parameter and the optimizer's state as they were.

How Nielsen's m enters: his rule for a mini-batch of m examples is
w → w − (η/m) Σ_x ∂C_x/∂w. The losses in ``nn.losses`` average over the batch, so after
``loss.backward()`` each ``.grad`` already is (1/m) Σ_x ∂C_x/∂w, and ``SGD(lr=η)`` applies his
rule exactly. (With a summed loss, use lr = η/m.)

>>> from pathgrad.autograd import Value
>>> w = Value(1.0, label="w")
>>> opt = SGD([w], lr=0.1)
>>> loss = (w * 3.0 - 1.0) ** 2
>>> loss.backward(); opt.step()
>>> round(w.data, 12)           # 1 − 0.1 · 2(3·1 − 1)·3
-0.2
>>> opt.zero_grad(); w.grad
0.0
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from pathgrad.autograd import Value
from pathgrad.autograd._checks import positive_number

__all__ = ["SGD", "Adam", "NonFiniteError", "Optimizer"]


class NonFiniteError(FloatingPointError):
    """A gradient or an updated parameter is nan or inf; nothing was changed."""


def _fraction(name: str, x: Any) -> float:
    f = positive_number(name, x, allow_zero=True)
    if f >= 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {x!r}")
    return f


class Optimizer(ABC):
    """Holds the parameters; ``zero_grad()`` clears their grads, ``step()`` updates them."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"parameter {i} is not a Value: {p!r} ({type(p).__name__})")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{type(self).__name__}: a parameter appears more than once")
        self.params: list[Value] = params
        self.lr = lr
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate η (settable, e.g. by a schedule)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = positive_number("lr", value)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0."""
        for p in self.params:
            p.grad = 0.0

    def _grads(self) -> list[float]:
        grads = [p.grad for p in self.params]
        for i, g in enumerate(grads):
            if g - g != 0.0:
                raise NonFiniteError(
                    f"{type(self).__name__}.step: the gradient of {self._name(i)} is {g!r}; "
                    "nothing was updated"
                )
        return grads

    def _name(self, i: int) -> str:
        label = self.params[i].label
        return f"parameter {i} ({label})" if label else f"parameter {i}"

    def _check_state(self, what: str, values: Sequence[float]) -> None:
        for i, x in enumerate(values):
            if x - x != 0.0:
                raise NonFiniteError(
                    f"{type(self).__name__}.step: {what} of {self._name(i)} would be {x!r} "
                    f"(gradient {self.params[i].grad!r}, lr={self.lr!r}); nothing was updated"
                )

    def _commit(self, new: Sequence[float], **state: list[float]) -> None:
        """Assign the new parameters and optimizer state together, or nothing: every number
        is computed and checked first, and an exception while assigning (a KeyboardInterrupt
        from a signal) puts back what was there."""
        for i, x in enumerate(new):
            if x - x != 0.0:
                raise NonFiniteError(
                    f"{type(self).__name__}.step: the update makes {self._name(i)} {x!r} "
                    f"(lr={self.lr!r}); nothing was updated"
                )
        old_data = [p.data for p in self.params]
        old_state = {name: getattr(self, name) for name in state}
        old_steps = self.steps
        try:
            for name, values in state.items():
                setattr(self, name, values)
            for p, x in zip(self.params, new):
                p.data = x
            self.steps = old_steps + 1
        except BaseException:
            for p, x in zip(self.params, old_data):
                p.data = x
            for name, values in old_state.items():
                setattr(self, name, values)
            self.steps = old_steps
            raise

    @abstractmethod
    def step(self) -> None:
        """Update every parameter from its ``.grad`` (all or nothing)."""


class SGD(Optimizer):
    """Gradient descent: w → w − η·g, with PyTorch's optional momentum and weight decay.

    With ``momentum=μ``: b → μ·b + g, w → w − η·b (PyTorch's form; Nielsen's chapter 3
    writes v → μv − η∇C, w → w + v, which is the same with v = −η·b for a fixed η).
    ``nesterov=True`` uses g + μ·b instead of b. ``weight_decay=λ`` adds λ·w to g.

    >>> from pathgrad.autograd import Value
    >>> w = Value(0.0)
    >>> opt = SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad = 1.0; opt.step()
    >>> w.data                      # −0.5·1, then −0.5·(0.9·1 + 1)
    -1.45
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.1,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _fraction("momentum", momentum)
        self.weight_decay = positive_number("weight_decay", weight_decay, allow_zero=True)
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov momentum needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocity: list[float] | None = None

    def step(self) -> None:
        """One update from the current ``.grad``; all or nothing."""
        grads = self._grads()
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        data = [p.data for p in self.params]
        if wd:
            grads = [g + wd * w for g, w in zip(grads, data)]
        if mu == 0.0:
            self._commit([w - lr * g for w, g in zip(data, grads)])
            return
        if self.velocity is None:
            velocity = list(grads)
        else:
            velocity = [mu * b + g for b, g in zip(self.velocity, grads)]
        self._check_state("the velocity", velocity)
        direction = [g + mu * b for g, b in zip(grads, velocity)] if self.nesterov else velocity
        self._commit([w - lr * d for w, d in zip(data, direction)], velocity=velocity)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}, momentum={self.momentum})"


class Adam(Optimizer):
    """Adam as PyTorch computes it (``torch.optim.Adam``, amsgrad off).

    m → m + (1−β₁)(g − m),  v → β₂v + (1−β₂)g²,
    w → w − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).

    >>> from pathgrad.autograd import Value
    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = 3.0; opt.step()
    >>> round(w.data, 6)            # the first step moves by about lr, whatever the gradient
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, Sequence) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_fraction("beta1", betas[0]), _fraction("beta2", betas[1]))
        self.eps = positive_number("eps", eps)
        self.weight_decay = positive_number("weight_decay", weight_decay, allow_zero=True)
        n = len(self.params)
        self.exp_avg = [0.0] * n
        self.exp_avg_sq = [0.0] * n

    def step(self) -> None:
        """One update from the current ``.grad``; all or nothing."""
        grads = self._grads()
        b1, b2 = self.betas
        wd = self.weight_decay
        data = [p.data for p in self.params]
        if wd:
            grads = [g + wd * w for g, w in zip(grads, data)]
        t = self.steps + 1
        w1 = 1.0 - b1
        if w1 < 0.5:  # torch's lerp, exactly
            m = [mi + w1 * (g - mi) for mi, g in zip(self.exp_avg, grads)]
        else:
            m = [g - (g - mi) * (1.0 - w1) for mi, g in zip(self.exp_avg, grads)]
        v = [vi * b2 + (1.0 - b2) * g * g for vi, g in zip(self.exp_avg_sq, grads)]
        self._check_state("the first moment (exp_avg)", m)
        self._check_state("the second moment (exp_avg_sq)", v)
        step_size = self.lr / (1.0 - b1**t)
        c2 = math.sqrt(1.0 - b2**t)
        eps = self.eps
        new = [w - step_size * mi / (math.sqrt(vi) / c2 + eps) for w, mi, vi in zip(data, m, v)]
        self._commit(new, exp_avg=m, exp_avg_sq=v)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps})"
