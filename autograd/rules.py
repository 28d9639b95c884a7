"""The one table of local derivatives (Nielsen's *rate factors*), beside the forward ops.

Each row names a primitive, how to compute it, and its partial derivative towards each
``Value`` operand. Rows are written against a small math namespace ``m`` (``m.exp``,
``m.log``, ``m.step`` ...) instead of a fixed module, so the *same* row runs on

* Python floats (``FLOAT_MATH``): the eager engine stores these numbers on the edges;
* ``Value`` objects (``autograd.value_math.VALUE_MATH``): ``grad(..., create_graph=True)``
  rebuilds each rate factor as a graph of its own, so derivatives can be differentiated again;
* numpy arrays (``compiler.numpy_math.NUMPY_MATH``): a recorded graph is replayed over a batch;
* any other namespace a caller brings (a symbolic one writes the row out as code).

A row is the math of its op and nothing else: its forward, its partials, and a sample domain
from which the op tests are generated. How it is written (symbol, path text, micrograd's
``_op``, where it is undefined in words) is ``notation.NOTATION``, keyed by the row's name.
The graph walks know no op: they only multiply the numbers stored on the edges.

Operands: ``args`` are the operands in order. For ops with a constant (a plain number on one
side, as in ``y * 0.999``) the constant is the *last* argument and gets no partial: the
number does not become a node, the node keeps one parent and one rate factor and keeps the
number in its ``constant`` slot. micrograd wraps the number in a node of its own; the numbers
are the same either way.

A new op is one row here (``register`` adds one at run time). The math namespaces find the
functions it calls by name in their libraries on first use (``m.atan``: ``math.atan``,
``numpy.atan``); only a function a library lacks by that name needs an entry (``FLOAT_MATH``
below, ``array_math``).

>>> ROWS["mul"].partials(FLOAT_MATH, 6.0, 2.0, 3.0)
(3.0, 2.0)
>>> ROWS["tanh"].partials(FLOAT_MATH, 0.0, 0.0)
(1.0,)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

__all__ = [
    "ANYWHERE", "FLOAT_MATH", "HELPERS", "ROWS", "Domain", "MathNamespace", "Rule",
    "math_namespace", "register", "sigmoid", "softplus",
]


# ---- helpers, written once against the math namespace m (floats, numpy arrays, Values) -------
# Branches are m.where (a mask on arrays); nan (only under ieee()) stays nan.
def _sigmoid(m: Any, x: Any) -> Any:
    # σ(x) = 1 / (1 + e^(−x)), from e^(−|x|): no overflow for any finite x
    e = m.exp(-m.abs(x))
    return m.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(m: Any, x: Any) -> Any:
    # log(1 + e^x) = max(x, 0) + log1p(e^(−|x|)), without overflow
    return m.maximum(x, 0.0) + m.log1p(m.exp(-m.abs(x)))


def _dsigmoid(m: Any, x: Any) -> Any:
    # σ'(x) = σ(x)(1 − σ(x)) (Nielsen eq. 40) = σ(x)σ(−x): exact in both tails, and smooth, so
    # create_graph can differentiate it again
    return m.sigmoid(x) * m.sigmoid(-x)


def _dtanh(m: Any, x: Any) -> Any:
    # tanh'(x) = sech²(x) = 4σ(2x)σ(−2x): no cancellation where tanh saturates (1 − tanh² is
    # 0.0 in floats from |x| ≈ 19 on, while the true slope is still ~1e−16)
    return 4.0 * m.sigmoid(2.0 * x) * m.sigmoid(-2.0 * x)


def _step(m: Any, x: Any) -> Any:
    # relu'(x): 1 for x > 0, else 0. The kink at 0 takes 0, as micrograd, PyTorch and tinygrad do.
    return m.where(x > 0.0, 1.0, m.where(x <= 0.0, 0.0, x))


def _sign(m: Any, x: Any) -> Any:
    # abs'(x): the sign of x, and 0 at the kink x = 0 (PyTorch's convention)
    return m.where(x > 0.0, 1.0, m.where(x < 0.0, -1.0, m.where(x >= 0.0, 0.0, x)))


def _relu(m: Any, x: Any) -> Any:
    return m.where(x <= 0.0, 0.0, x)  # −0.0 becomes 0.0


HELPERS: dict[str, Callable[..., Any]] = {
    "sigmoid": _sigmoid, "softplus": _softplus, "dsigmoid": _dsigmoid, "dtanh": _dtanh,
    "step": _step, "sign": _sign, "relu": _relu,
}
"""The functions rows use beyond a namespace's primitives, each written once against ``m``."""


ROWS: dict[str, Rule] = {}
"""Every primitive by name. A meta-test checks that every op of ``Value`` has a row here."""


class MathNamespace:
    """A math namespace: the given primitives, each of ``HELPERS`` bound to it, and any other
    function a row calls taken on first use by the same name from ``library`` (``math`` for
    floats, ``numpy`` for arrays; ``aliases`` maps a row's name to the library's where they
    differ) and kept. A new op whose functions the libraries have by its name needs no entry.

    >>> import math
    >>> m = MathNamespace(math, exp=math.exp, abs=abs, where=lambda c, a, b: a if c else b)
    >>> m.sigmoid(0.0), m.step(-1.0), m.sin(0.0)
    (0.5, 0.0, 0.0)
    """

    def __init__(
        self, library: Any = None, aliases: dict[str, str] | None = None, /, **functions: Any
    ) -> None:
        self._library = library
        self._aliases = aliases or {}
        for name, helper in HELPERS.items():
            setattr(self, name, partial(helper, self))
        vars(self).update(functions)

    def __getattr__(self, name: str) -> Any:
        # only called for a name not found yet: look it up once, keep it as an attribute
        if name.startswith("_"):
            raise AttributeError(name)
        found = self._lookup(name)
        setattr(self, name, found)
        return found

    def _lookup(self, name: str) -> Any:
        """The function ``name`` from the library; an ``AttributeError`` naming both if none."""
        library = self._library
        found = getattr(library, self._aliases.get(name, name), None)
        if found is None:
            where = getattr(library, "__name__", type(library).__name__)
            raise AttributeError(
                f"the math namespace over {where} has no function {name!r}, and {where} has "
                f"none by that name: give it one (README, 'Adding an op')"
            )
        return found


def math_namespace(
    library: Any = None, aliases: dict[str, str] | None = None, /, **functions: Any
) -> MathNamespace:
    """``MathNamespace(library, aliases, **functions)``: the namespace rows are written against.

    >>> import math
    >>> math_namespace(math, abs=abs, where=lambda c, a, b: a if c else b).relu(-2.0)
    0.0
    """
    return MathNamespace(library, aliases, **functions)


def _where(condition: bool, a: Any, b: Any) -> Any:
    return a if condition else b


def _xlogy(o: float, x: float) -> float:
    # o · log x, taken as 0 where o = 0 or x = 0: d(b^e)/de = b^e · log b is 0 at b = 0, e >= 0
    # (PyTorch's rule; the forward already refused e < 0 there)
    return 0.0 if o == 0.0 or x == 0.0 else o * math.log(x)


def _powgrad(x: float, c: float) -> float:
    # d(x^c)/dx = c·x^(c−1), taken as 0 where c = 0: x^0 is flat, also at x = 0
    return 0.0 if c == 0.0 else c * x ** (c - 1.0)


FLOAT_MATH = math_namespace(
    math, abs=abs, maximum=max, where=_where, xlogy=_xlogy, powgrad=_powgrad,
)
"""The math namespace for Python floats: the eager engine's rates. A function it lacks comes
from ``math`` by the same name (``m.atan`` is ``math.atan``)."""

sigmoid: Callable[[float], float] = FLOAT_MATH.sigmoid
"""σ(x) = 1 / (1 + e^(−x)) on a float, without overflow: ``sigmoid(0.0)`` is 0.5."""
softplus: Callable[[float], float] = FLOAT_MATH.softplus
"""log(1 + e^x) on a float, without overflow."""


# ---- the row ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Domain:
    """Where generated tests evaluate a row: each ``Value`` operand drawn from an interval where
    the row is defined and smooth (the last interval repeats for the further operands), the
    constant operand taken from ``consts``, and a variable-arity row given ``arity`` operands.

    >>> ROWS["log"].domain.interval(0)
    (0.2, 3.0)
    """

    intervals: tuple[tuple[float, float], ...] = ((-2.0, 2.0),)
    consts: tuple[float, ...] = (0.5,)
    arity: int = 0

    def interval(self, k: int) -> tuple[float, float]:
        """The interval of operand ``k``."""
        return self.intervals[min(k, len(self.intervals) - 1)]


ANYWHERE = Domain()


@dataclass(frozen=True)
class Rule:
    """One primitive, as math: its forward computation and its local derivatives.

    ``forward(m, *args)`` gives the output; ``partials(m, out, *args)`` gives a tuple with one
    rate factor per ``Value`` operand, in operand order. ``n_values`` is the number of Value
    operands (``None``: any number), ``n_consts`` the number of trailing constant operands;
    ``domain`` is where the generated tests try it. How the row is written (its symbol, path
    text, micrograd's ``_op``) is ``autograd.notation.NOTATION[name]``.
    """

    name: str
    forward: Callable[..., Any]
    partials: Callable[..., tuple[Any, ...]]
    n_values: int | None
    n_consts: int = 0
    domain: Domain = ANYWHERE


# ---- rows of variable arity ------------------------------------------------------------------
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


def _row(name: str, forward: Callable[..., Any], partials: Callable[..., Any], **kw: Any) -> Rule:
    n_values = kw.pop("n_values", forward.__code__.co_argcount - 1 - kw.get("n_consts", 0))
    return Rule(name, forward, partials, n_values, **kw)


_POSITIVE = Domain(((0.2, 3.0),))
_ROW_LIST = [
    _row("add", lambda m, x, y: x + y, lambda m, o, x, y: (1.0, 1.0)),
    _row("sub", lambda m, x, y: x - y, lambda m, o, x, y: (1.0, -1.0)),
    _row("mul", lambda m, x, y: x * y, lambda m, o, x, y: (y, x)),
    # one node with two rate factors reads better than x · y**-1
    _row("div", lambda m, x, y: x / y, lambda m, o, x, y: (1.0 / y, -o / y),
         domain=Domain(((-2.0, 2.0), (0.5, 2.0)))),
    _row("pow", lambda m, x, y: x**y, lambda m, o, x, y: (m.powgrad(x, y), m.xlogy(o, x)),
         domain=Domain(((0.3, 2.5), (-1.5, 1.5)))),
    _row("add_c", lambda m, x, c: x + c, lambda m, o, x, c: (1.0,), n_consts=1),
    _row("sub_c", lambda m, x, c: x - c, lambda m, o, x, c: (1.0,), n_consts=1),
    _row("rsub_c", lambda m, x, c: c - x, lambda m, o, x, c: (-1.0,), n_consts=1),
    _row("mul_c", lambda m, x, c: x * c, lambda m, o, x, c: (c,), n_consts=1),
    _row("div_c", lambda m, x, c: x / c, lambda m, o, x, c: (1.0 / c,), n_consts=1,
         domain=Domain(consts=(1.25,))),
    _row("rdiv_c", lambda m, x, c: c / x, lambda m, o, x, c: (-o / x,), n_consts=1,
         domain=Domain(((0.5, 2.0),))),
    _row("pow_c", lambda m, x, c: x**c, lambda m, o, x, c: (m.powgrad(x, c),), n_consts=1,
         domain=Domain(((0.3, 2.0),), (2.5,))),
    _row("rpow_c", lambda m, x, c: c**x, lambda m, o, x, c: (m.xlogy(o, c),), n_consts=1,
         domain=Domain(consts=(1.7,))),
    _row("neg", lambda m, x: -x, lambda m, o, x: (-1.0,)),
    _row("abs", lambda m, x: m.abs(x), lambda m, o, x: (m.sign(x),)),
    _row("exp", lambda m, x: m.exp(x), lambda m, o, x: (o,)),
    _row("log", lambda m, x: m.log(x), lambda m, o, x: (1.0 / x,), domain=_POSITIVE),
    _row("sqrt", lambda m, x: m.sqrt(x), lambda m, o, x: (0.5 / o,), domain=_POSITIVE),
    _row("tanh", lambda m, x: m.tanh(x), lambda m, o, x: (m.dtanh(x),)),
    _row("sigmoid", lambda m, x: m.sigmoid(x), lambda m, o, x: (m.dsigmoid(x),)),
    _row("relu", lambda m, x: m.relu(x), lambda m, o, x: (m.step(x),)),
    _row("softplus", lambda m, x: m.softplus(x), lambda m, o, x: (m.sigmoid(x),)),
    _row("sin", lambda m, x: m.sin(x), lambda m, o, x: (m.cos(x),)),
    _row("cos", lambda m, x: m.cos(x), lambda m, o, x: (-m.sin(x),)),
    # Nielsen's weighted input z = Σ_k w_k a_k + b as one node; operands w…, a…, b
    _row("wsum", _wsum_forward, _wsum_partials, n_values=None, domain=Domain(arity=5)),
    _row("sum", _sum_forward, lambda m, o, *args: (1.0,) * len(args), n_values=None,
         domain=Domain(arity=3)),
]
for _rule in _ROW_LIST:
    ROWS[_rule.name] = _rule

_ON_REGISTER: list[Callable[[Rule], None]] = []  # value: a Value method; value_math: VALUE_MATH


def register(rule: Rule) -> Rule:
    """Add a row at run time; a unary row gets its ``Value`` method (``x.<name>()``) too.

    The namespaces find its functions by name in their libraries on first use; one a library
    lacks needs an entry in ``FLOAT_MATH`` or ``numpy_math.array_math`` (``README.md``, "Adding
    an op"). How it is written, if not by its name, goes in ``notation.NOTATION``.
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"register needs a Rule, got {rule!r} ({type(rule).__name__})")
    if rule.name in ROWS:
        raise ValueError(f"there is already a row named {rule.name!r}")
    ROWS[rule.name] = rule
    for hook in _ON_REGISTER:
        hook(rule)
    return rule
