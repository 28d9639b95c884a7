"""Finite differences (Nielsen's eq. 46) and ``gradcheck``: backward against the numbers.

>>> from pathgrad.autograd import Value
>>> g = numeric_grad(lambda x, y: x * y, [3.0, 4.0])
>>> [round(d, 6) for d in g], g.passes
([4.0, 3.0], 4)
>>> gradcheck(lambda x: (x * x).tanh(), [Value(0.3)])
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .backprop import grad
from .modes import no_grad
from .value import Value

__all__ = ["GradcheckError", "NumericGradient", "gradcheck", "numeric_grad"]


class NumericGradient(list[float]):
    """The finite-difference gradient, one float per input, with ``passes``: forward passes used."""

    passes: int
    method: str

    def __init__(self, values: list[float], passes: int, method: str) -> None:
        super().__init__(values)
        self.passes = passes
        self.method = method

    def __repr__(self) -> str:
        return f"NumericGradient({list(self)!r}, passes={self.passes}, method={self.method!r})"


class GradcheckError(AssertionError):
    """Backward and finite differences disagree; the message is a table of the inputs."""


def _point(inputs: Sequence[Value | float]) -> list[float]:
    out = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            out.append(x.data)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            out.append(float(x))
        else:
            raise TypeError(f"input {i} must be a Value or a number, got {x!r}")
    return out


def _evaluate(f: Callable[..., Any], point: list[float]) -> float:
    with no_grad():
        y = f(*(Value(p) for p in point))
    if isinstance(y, Value):
        return y.data
    if isinstance(y, (int, float)):
        return float(y)
    raise TypeError(f"f must return a Value or a number, got {y!r} ({type(y).__name__})")


def numeric_grad(
    f: Callable[..., Any],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    method: str = "central",
) -> NumericGradient:
    """∂f/∂x_j ≈ (f(x + ε e_j) − f(x)) / ε for each j (eq. 46), or the central form.

    ``f`` takes one argument per input (it is called with fresh Values) and returns a Value or
    a number. Forward differences cost n + 1 passes, central differences 2n; the result's
    ``passes`` says how many were used.
    """
    if method not in ("central", "forward"):
        raise ValueError(f"method must be 'central' or 'forward', got {method!r}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
        raise TypeError(f"eps must be a number, got {eps!r} ({type(eps).__name__})")
    if not eps > 0.0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    x = _point(inputs)
    passes = 0
    base = 0.0
    if method == "forward":
        base = _evaluate(f, x)
        passes += 1
    out: list[float] = []
    for j in range(len(x)):
        up = list(x)
        up[j] += eps
        f_up = _evaluate(f, up)
        passes += 1
        if method == "forward":
            out.append((f_up - base) / eps)
        else:
            down = list(x)
            down[j] -= eps
            out.append((f_up - _evaluate(f, down)) / (2.0 * eps))
            passes += 1
    return NumericGradient(out, passes, method)


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    raise_exception: bool = True,
) -> bool:
    """Compare backward with central finite differences at ``inputs``.

    True when |analytic − numeric| <= atol + rtol·|numeric| for every input; otherwise raises
    ``GradcheckError`` with a report naming each input (its label or position), the analytic and
    numeric values and the error — or returns False with ``raise_exception=False``.
    """
    x = _point(inputs)
    leaves = [Value(p, label=getattr(v, "label", "") or "") for p, v in zip(x, inputs)]
    y = f(*leaves)
    if not isinstance(y, Value):
        raise TypeError(f"f must return a Value, got {y!r} ({type(y).__name__})")
    analytic = grad(y, leaves)
    numeric = numeric_grad(f, x, eps=eps, method="central")
    rows, ok = [], True
    for i, (leaf, a, n) in enumerate(zip(leaves, analytic, numeric)):
        err = abs(a - n)
        good = err <= atol + rtol * abs(n)
        ok = ok and good
        name = leaf.label or f"input {i}"
        rows.append(
            f"  {name:>12}: analytic {a:+.10g}  numeric {n:+.10g}  error {err:.3g}"
            f"{'' if good else '  <-- mismatch'}"
        )
    if ok:
        return True
    if raise_exception:
        raise GradcheckError(
            f"gradcheck failed (eps={eps}, rtol={rtol}, atol={atol}):\n" + "\n".join(rows)
        )
    return False
