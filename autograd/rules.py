"""The one table of local derivatives (Nielsen's *rate factors*), beside the forward ops.

Each row names a primitive, how to compute it, and its partial derivative towards each
``Value`` operand. Rows are written against a small math namespace ``m`` (``m.exp``,
``m.log``, ``m.step`` ...) instead of a fixed module, so the *same* row runs on

* Python floats (``FLOAT_MATH``): the eager engine stores these numbers on the edges;
* ``Value`` objects (``autograd.value.VALUE_MATH``): ``grad(..., create_graph=True)``
  rebuilds each rate factor as a graph of its own, so derivatives can be differentiated again;
* numpy arrays (``autograd.compile``): a recorded graph is replayed over a whole batch;
* tangents in forward mode (``autograd.forward.jvp``).

The graph walks (``backward``, ``grad``, ``paths``) know no op: they only multiply the
numbers stored on the edges.

Operands: ``args`` are the operands in order. For ops with a constant (a plain number on one
side, as in ``y * 0.999``) the constant is the *last* argument and gets no partial: the
number does not become a node, the node keeps one parent and one rate factor, and pictures
show the constant in the op's label. micrograd wraps the number in a node of its own; the
numbers are the same either way.

>>> ROWS["mul"].partials(FLOAT_MATH, 6.0, 2.0, 3.0)
(3.0, 2.0)
>>> ROWS["tanh"].partials(FLOAT_MATH, 0.0, 0.0)
(1.0,)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

__all__ = ["FLOAT_MATH", "ROWS", "Rule", "sigmoid", "softplus"]


def sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^(-x)), computed without overflow for any finite x.

    >>> sigmoid(0.0)
    0.5
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    """log(1 + e^x), computed without overflow: max(x, 0) + log1p(e^(-|x|)).

    >>> round(softplus(0.0), 12) == round(math.log(2.0), 12)
    True
    """
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _step(x: float) -> float:
    # relu'(x): 1 for x > 0, else 0. The kink at 0 takes 0, as micrograd, PyTorch and tinygrad do.
    # nan (only under ieee()) stays nan.
    return 1.0 if x > 0.0 else (0.0 if x <= 0.0 else x)


def _dtanh(x: float) -> float:
    # tanh'(x) = sech²(x) = 4e/(1+e)² with e = exp(−2|x|): no cancellation where tanh saturates
    # (1 − tanh² is 0.0 in floats from |x| ≈ 19 on, while the true slope is still ~1e−16).
    e = math.exp(-2.0 * abs(x))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def _dsigmoid(x: float) -> float:
    # σ'(x) = σ(x)(1 − σ(x)) (eq. 40) = e/(1+e)² with e = exp(−|x|), exact in both tails.
    e = math.exp(-abs(x))
    return e / ((1.0 + e) * (1.0 + e))


def _xlogy(o: float, x: float) -> float:
    # o · log x, taken as 0 where o = 0 or x = 0: d(b^e)/de = b^e · log b is 0 at b = 0, e >= 0
    # (PyTorch's rule; the forward already refused e < 0 there).
    return 0.0 if o == 0.0 or x == 0.0 else o * math.log(x)


def _sign(x: float) -> float:
    # abs'(x): the sign of x, and 0 at the kink x = 0 (PyTorch's convention).
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x))


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x  # nan (only under ieee()) stays nan, as in PyTorch


def _powgrad(x: float, c: float) -> float:
    # d(x^c)/dx = c·x^(c−1), taken as 0 where c = 0: x^0 is flat, also at x = 0.
    return 0.0 if c == 0.0 else c * x ** (c - 1.0)


FLOAT_MATH = SimpleNamespace(
    exp=math.exp,
    log=math.log,
    sqrt=math.sqrt,
    tanh=math.tanh,
    sin=math.sin,
    cos=math.cos,
    abs=abs,
    sigmoid=sigmoid,
    softplus=softplus,
    step=_step,
    sign=_sign,
    xlogy=_xlogy,
    dtanh=_dtanh,
    dsigmoid=_dsigmoid,
    relu=_relu,
    powgrad=_powgrad,
)
"""The math namespace for Python floats: the eager engine's fast path."""


@dataclass(frozen=True)
class Rule:
    """One primitive: its forward computation and its local derivatives.

    ``forward(m, *args)`` gives the output; ``partials(m, out, *args)`` gives a tuple with one
    rate factor per ``Value`` operand, in operand order. ``n_values`` is the number of Value
    operands (``None``: any number), ``n_consts`` the number of trailing constant operands.
    ``symbol`` is how pictures and path formulas show the op; ``micrograd`` is micrograd's
    ``_op`` for it (``{c}`` stands for the constant operand, as in ``'**{c}'``).
    """

    name: str
    forward: Callable[..., Any]
    partials: Callable[..., tuple[Any, ...]]
    n_values: int | None
    n_consts: int = 0
    symbol: str = ""
    note: str = ""
    domain: str = ""
    micrograd: str = ""

    def micrograd_op(self, const: float | None = None) -> str:
        """micrograd's ``_op`` string for a node of this rule: ``'*'``, ``'**2'``, ``'ReLU'``.

        >>> ROWS["pow_c"].micrograd_op(2.0), ROWS["pow_c"].micrograd_op(-0.5)
        ('**2', '**-0.5')
        """
        if const is None:
            return self.micrograd
        return self.micrograd.format(c=int(const) if const.is_integer() else const)


def _wsum_forward(m: Any, *args: Any) -> Any:
    n = (len(args) - 1) // 2
    acc = args[-1]
    for k in range(n):
        acc = acc + args[k] * args[n + k]
    return acc


def _wsum_partials(m: Any, out: Any, *args: Any) -> tuple[Any, ...]:
    # z = Σ_k w_k a_k + b: towards w_k the rate is a_k, towards a_k it is w_k, towards b it is 1.
    n = (len(args) - 1) // 2
    return (*args[n : 2 * n], *args[:n], 1.0)


def _sum_forward(m: Any, *args: Any) -> Any:
    acc = args[0]
    for a in args[1:]:
        acc = acc + a
    return acc


_ROW_LIST = [
    Rule("add", lambda m, x, y: x + y, lambda m, o, x, y: (1.0, 1.0), 2, symbol="+", micrograd="+"),
    Rule(
        "sub", lambda m, x, y: x - y, lambda m, o, x, y: (1.0, -1.0), 2, symbol="−", micrograd="-"
    ),
    Rule("mul", lambda m, x, y: x * y, lambda m, o, x, y: (y, x), 2, symbol="×", micrograd="*"),
    Rule(
        "div",
        lambda m, x, y: x / y,
        lambda m, o, x, y: (1.0 / y, -o / y),
        2,
        symbol="÷",
        micrograd="/",
        note="one node with two rate factors reads better than x · y**-1",
    ),
    Rule(
        "pow",
        lambda m, x, y: x**y,
        lambda m, o, x, y: (m.powgrad(x, y), m.xlogy(o, x)),
        2,
        symbol="^",
        micrograd="**",
        domain="a Value exponent needs a base > 0 (or 0 with exponent > 0)",
    ),
    Rule(
        "add_c", lambda m, x, c: x + c, lambda m, o, x, c: (1.0,), 1, 1, symbol="+", micrograd="+"
    ),
    Rule(
        "sub_c", lambda m, x, c: x - c, lambda m, o, x, c: (1.0,), 1, 1, symbol="−", micrograd="-"
    ),
    Rule(
        "rsub_c", lambda m, x, c: c - x, lambda m, o, x, c: (-1.0,), 1, 1, symbol="−", micrograd="-"
    ),
    Rule("mul_c", lambda m, x, c: x * c, lambda m, o, x, c: (c,), 1, 1, symbol="×", micrograd="*"),
    Rule(
        "div_c",
        lambda m, x, c: x / c,
        lambda m, o, x, c: (1.0 / c,),
        1,
        1,
        symbol="÷",
        micrograd="/",
    ),
    Rule(
        "rdiv_c",
        lambda m, x, c: c / x,
        lambda m, o, x, c: (-o / x,),
        1,
        1,
        symbol="÷",
        micrograd="/",
    ),
    Rule(
        "pow_c",
        lambda m, x, c: x**c,
        lambda m, o, x, c: (m.powgrad(x, c),),
        1,
        1,
        symbol="^",
        micrograd="**{c}",
        domain="x ** c needs x > 0 for a fractional c, and x != 0 where c < 1",
    ),
    Rule(
        "rpow_c",
        lambda m, x, c: c**x,
        lambda m, o, x, c: (m.xlogy(o, c),),
        1,
        1,
        symbol="^",
        micrograd="**",
        domain="c ** x needs a base c > 0",
    ),
    Rule("neg", lambda m, x: -x, lambda m, o, x: (-1.0,), 1, symbol="−", micrograd="-"),
    Rule(
        "abs",
        lambda m, x: m.abs(x),
        lambda m, o, x: (m.sign(x),),
        1,
        symbol="abs",
        micrograd="abs",
        note="abs'(0) = 0",
    ),
    Rule("exp", lambda m, x: m.exp(x), lambda m, o, x: (o,), 1, symbol="exp", micrograd="exp"),
    Rule(
        "log",
        lambda m, x: m.log(x),
        lambda m, o, x: (1.0 / x,),
        1,
        symbol="log",
        micrograd="log",
        domain="log needs x > 0",
    ),
    Rule(
        "sqrt",
        lambda m, x: m.sqrt(x),
        lambda m, o, x: (0.5 / o,),
        1,
        symbol="√",
        micrograd="sqrt",
        domain="sqrt needs x > 0 (at 0 its derivative is infinite)",
    ),
    Rule(
        "tanh",
        lambda m, x: m.tanh(x),
        lambda m, o, x: (m.dtanh(x),),
        1,
        symbol="tanh",
        micrograd="tanh",
        note="tanh' = 1 − tanh², computed as sech² so it stays exact where tanh saturates",
    ),
    Rule(
        "sigmoid",
        lambda m, x: m.sigmoid(x),
        lambda m, o, x: (m.dsigmoid(x),),
        1,
        symbol="σ",
        micrograd="sigmoid",
        note="σ'(z) = σ(z)(1 − σ(z)), Nielsen eq. (40), computed without cancellation",
    ),
    Rule(
        "relu",
        lambda m, x: m.relu(x),
        lambda m, o, x: (m.step(x),),
        1,
        symbol="ReLU",
        micrograd="ReLU",
        note="relu'(0) = 0, as micrograd and PyTorch",
    ),
    Rule(
        "softplus",
        lambda m, x: m.softplus(x),
        lambda m, o, x: (m.sigmoid(x),),
        1,
        symbol="softplus",
        micrograd="softplus",
    ),
    Rule(
        "sin", lambda m, x: m.sin(x), lambda m, o, x: (m.cos(x),), 1, symbol="sin", micrograd="sin"
    ),
    Rule(
        "cos", lambda m, x: m.cos(x), lambda m, o, x: (-m.sin(x),), 1, symbol="cos", micrograd="cos"
    ),
    Rule(
        "wsum",
        _wsum_forward,
        _wsum_partials,
        None,
        symbol="Σ",
        micrograd="wsum",
        note="Nielsen's weighted input z = Σ_k w_k a_k + b as one node; operands w…, a…, b",
    ),
    Rule(
        "sum",
        _sum_forward,
        lambda m, o, *args: (1.0,) * len(args),
        None,
        symbol="Σ",
        micrograd="+",
    ),
]

ROWS: dict[str, Rule] = {rule.name: rule for rule in _ROW_LIST}
"""Every primitive by name. A meta-test checks that every op of ``Value`` has a row here."""
