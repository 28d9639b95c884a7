"""The one table of local derivatives (Nielsen's *rate factors*), beside the forward ops.

Each row names a primitive, how to compute it, and its partial derivative towards each
``Value`` operand. Rows are written against a small math namespace ``m`` (``m.exp``,
``m.log``, ``m.step`` ...) instead of a fixed module, so the *same* row runs on

* Python floats (``FLOAT_MATH``): the eager engine stores these numbers on the edges;
* ``Value`` objects (``autograd.value.VALUE_MATH``): ``grad(..., create_graph=True)``
  rebuilds each rate factor as a graph of its own, so derivatives can be differentiated again;
* numpy arrays (``compiler.numpy_math.NUMPY_MATH``): a recorded graph is replayed over a batch;
* any other namespace a caller brings (a symbolic one writes the row out as code).

The row is the only place that knows its op: how ``paths`` names a node and each rate factor
(``text``, ``rate_text``), the symbol in pictures (``symbol``), micrograd's ``_op``
(``micrograd``), where it is undefined (``domain``). The graph walks know no op: they only
multiply the numbers stored on the edges.

Operands: ``args`` are the operands in order. For ops with a constant (a plain number on one
side, as in ``y * 0.999``) the constant is the *last* argument and gets no partial: the
number does not become a node, the node keeps one parent and one rate factor and keeps the
number in its ``constant`` slot. micrograd wraps the number in a node of its own; the numbers
are the same either way.

A new op is one row here (``register`` adds one at run time). The math namespaces find the
functions it calls by name in their libraries (``m.atan``: ``math.atan``, ``numpy.atan``); only
a function a library lacks by that name needs an entry (``FLOAT_MATH`` below, ``array_math``).

>>> ROWS["mul"].partials(FLOAT_MATH, 6.0, 2.0, 3.0)
(3.0, 2.0)
>>> ROWS["tanh"].partials(FLOAT_MATH, 0.0, 0.0)
(1.0,)
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace
from typing import Any

from .notation import MINUS, Const, Name, const_text, power_text

__all__ = [
    "FLOAT_MATH", "HELPERS", "ROWS", "Rule", "math_namespace", "register", "sigmoid", "softplus",
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


class _Namespace(SimpleNamespace):
    """A math namespace (a ``SimpleNamespace`` that can be weakly referenced)."""


ROWS: dict[str, Rule] = {}
"""Every primitive by name. A meta-test checks that every op of ``Value`` has a row here."""

# Namespaces that take a function a row asks for from a library, by its name: filled for every
# row at creation and for each row added later, so reading a function is a plain attribute.
_FILLED: list[weakref.ref[_Namespace]] = []


def _filled() -> list[_Namespace]:
    alive = [m for m in (r() for r in _FILLED) if m is not None]
    _FILLED[:] = [weakref.ref(m) for m in alive]
    return alive


def math_namespace(
    library: Any = None, aliases: dict[str, str] | None = None, /, **functions: Any
) -> SimpleNamespace:
    """A math namespace: the given primitives, each of ``HELPERS`` not given bound to it, and
    each other function a row calls taken by the same name from ``library`` (``math`` for
    floats, ``numpy`` for arrays; ``aliases`` maps a row's name to the library's where they
    differ). A new op whose functions the libraries have by its name needs no entry here.

    >>> import math
    >>> m = math_namespace(math, exp=math.exp, abs=abs, where=lambda c, a, b: a if c else b)
    >>> m.sigmoid(0.0), m.step(-1.0), m.sin(0.0)
    (0.5, 0.0, 0.0)
    """
    m = _Namespace(**functions)
    for name, helper in HELPERS.items():
        if name not in functions:
            setattr(m, name, partial(helper, m))
    if library is not None:
        m._library = (library, aliases or {})
        _FILLED.append(weakref.ref(m))
        for rule in [None, *ROWS.values()]:
            _provide(m, rule)
    return m


def _provide(m: _Namespace, rule: Rule | None) -> None:
    """Give ``m`` each function ``rule`` (``None``: the helpers) calls that it lacks, from its
    library by name."""
    library, aliases = m._library
    for name in _functions_called(rule):
        if name not in vars(m):
            found = getattr(library, aliases.get(name, name), None)
            setattr(m, name, found if found is not None else _missing(name, library))


class _Any:
    """An operand that takes part in any arithmetic or comparison and stays itself."""

    def _same(self, *_: Any) -> _Any:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = _same
    __lt__ = __le__ = __gt__ = __ge__ = __and__ = __or__ = __invert__ = _same


class _Probe:
    """A math namespace that notes the name of each function called on it."""

    def __init__(self) -> None:
        self.called: set[str] = set()

    def __getattr__(self, name: str) -> Callable[..., _Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        self.called.add(name)
        return lambda *args: _Any()


def _functions_called(rule: Rule | None) -> set[str]:
    """The names ``m.<name>`` a row's forward and partials call (``None``: the helpers')."""
    m = _Probe()
    try:
        if rule is None:
            for helper in HELPERS.values():
                helper(m, _Any())
        else:
            args = [_Any()] * (rule.n_values or 3) + [2.0] * rule.n_consts
            rule.forward(m, *args)
            rule.partials(m, _Any(), *args)
    except Exception:  # a row that runs only on numbers: its functions are given by hand
        pass
    return m.called


def _missing(name: str, library: Any) -> Callable[..., Any]:
    where = getattr(library, "__name__", type(library).__name__)

    def missing(*args: Any) -> Any:
        raise AttributeError(
            f"the math namespace over {where} has no function {name!r}, and {where} has none "
            f"by that name: give it one (README, 'Adding an op')"
        )

    return missing


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
class Rule:
    """One primitive: its forward computation, its local derivatives, and how it is written.

    ``forward(m, *args)`` gives the output; ``partials(m, out, *args)`` gives a tuple with one
    rate factor per ``Value`` operand, in operand order. ``n_values`` is the number of Value
    operands (``None``: any number), ``n_consts`` the number of trailing constant operands.
    ``symbol`` is how pictures show the op; ``micrograd`` is micrograd's ``_op`` for it
    (``{c}`` stands for the constant, as in ``'**{c}'``). ``text`` names a node from its
    operands' names and ``rate_text`` names each rate factor, as ``notation`` templates over
    ``x``, ``y`` (operands) and ``c`` (the constant; ``k`` is its number), or as functions of
    (names, constant) and (position, names, constant) where the arity varies.
    """

    name: str
    forward: Callable[..., Any]
    partials: Callable[..., tuple[Any, ...]]
    n_values: int | None
    n_consts: int = 0
    symbol: str = ""
    micrograd: str = ""
    text: str | Callable[[Sequence[Name], float | None], str] = ""
    atomic: bool = True
    rate_text: tuple[str, ...] | Callable[[int, Sequence[Name], float | None], str] = ()
    note: str = ""
    domain: str = ""

    def micrograd_op(self, const: float | None = None) -> str:
        """micrograd's ``_op`` string for a node of this rule: ``'*'``, ``'**2'``, ``'ReLU'``.

        >>> ROWS["pow_c"].micrograd_op(2.0), ROWS["pow_c"].micrograd_op(-0.5)
        ('**2', '**-0.5')
        """
        if const is None:
            return self.micrograd or self.name
        return self.micrograd.format(c=int(const) if const.is_integer() else const)

    def node_text(self, names: Sequence[Name], const: float | None = None) -> str:
        """A node of this rule written with its operands' names.

        >>> ROWS["pow_c"].node_text([Name("a−y", False)], 2.0)
        '(a−y)²'
        """
        if callable(self.text):
            return self.text(names, const)
        template = self.text or (self.symbol or self.name) + "({x})"
        return _fill(template, names, const)

    def rate_name(self, k: int, names: Sequence[Name], const: float | None = None) -> str:
        """The rate factor towards operand ``k``, or ``''`` where the row does not name it.

        >>> ROWS["sigmoid"].rate_name(0, [Name("z", True)])
        "σ'(z)"
        """
        if callable(self.rate_text):
            return self.rate_text(k, names, const)
        if k < len(self.rate_text):
            return _fill(self.rate_text[k], names, const)
        return ""


def _fill(template: str, names: Sequence[Name], const: float | None) -> str:
    x = names[0] if names else None
    y = names[1] if len(names) > 1 else None
    return template.format(x=x, y=y, c=Const(const), k=const)


# ---- rows of variable arity or with a constant-dependent formula ------------------------------
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


def _wsum_text(names: Sequence[Name], const: float | None) -> str:
    n = (len(names) - 1) // 2
    terms = [f"{names[k]:w}·{names[n + k]:w}" for k in range(n)]
    if len(terms) > 2:
        terms = [terms[0], "…", terms[-1]]
    return "+".join([*terms, names[-1].text])


def _wsum_rate(k: int, names: Sequence[Name], const: float | None) -> str:
    n = (len(names) - 1) // 2
    return names[n + k].text if k < n else names[k - n].text if k < 2 * n else "1"


def _sum_forward(m: Any, *args: Any) -> Any:
    acc = args[0]
    for a in args[1:]:
        acc = acc + a
    return acc


def _sum_text(names: Sequence[Name], const: float | None) -> str:
    texts = [n.text for n in names]
    return "+".join(texts if len(texts) <= 3 else [texts[0], "…", texts[-1]])


def _pow_c_rate(k: int, names: Sequence[Name], c: float | None) -> str:
    # 2(a−y), 2x, 3(a−y)², 0.5·x^−0.5; 0 and 1 for the flat and the identity power
    if c is None or c in (0.0, 1.0):
        return "?" if c is None else str(int(c))
    x = names[0]
    rest = power_text(x.text, x.atomic, c - 1.0)
    glue = "" if rest.startswith("(") or (len(x.text) == 1 and x.text.isalpha()) else "·"
    return f"{const_text(c)}{glue}{rest}"


def _row(name: str, forward: Callable[..., Any], partials: Callable[..., Any], **kw: Any) -> Rule:
    n_values = kw.pop("n_values", forward.__code__.co_argcount - 1 - kw.get("n_consts", 0))
    return Rule(name, forward, partials, n_values, **kw)


M = MINUS
_ROW_LIST = [
    _row("add", lambda m, x, y: x + y, lambda m, o, x, y: (1.0, 1.0), symbol="+", micrograd="+",
         text="{x}+{y}", atomic=False, rate_text=("1", "1")),
    _row("sub", lambda m, x, y: x - y, lambda m, o, x, y: (1.0, -1.0), symbol=M, micrograd="-",
         text="{x:w}" + M + "{y:w}", atomic=False, rate_text=("1", M + "1")),
    _row("mul", lambda m, x, y: x * y, lambda m, o, x, y: (y, x), symbol="×", micrograd="*",
         text="{x:w}·{y:w}", atomic=False, rate_text=("{y}", "{x}")),
    _row("div", lambda m, x, y: x / y, lambda m, o, x, y: (1.0 / y, -o / y), symbol="÷",
         micrograd="/", text="{x:w}/{y:w}", atomic=False,
         rate_text=("1/{y:w}", M + "{x:w}/{y:^2}"),
         note="one node with two rate factors reads better than x · y**-1"),
    _row("pow", lambda m, x, y: x**y, lambda m, o, x, y: (m.powgrad(x, y), m.xlogy(o, x)),
         symbol="^", micrograd="**", text="{x:w}^{y:w}",
         rate_text=("{y:w}·{x:w}^({y}" + M + "1)", "{x:w}^{y:w}·ln {x:w}"),
         domain="a Value exponent needs a base > 0 (or 0 with exponent > 0)"),
    _row("add_c", lambda m, x, c: x + c, lambda m, o, x, c: (1.0,), n_consts=1, symbol="+",
         micrograd="+", text="{x}{c:+}", atomic=False, rate_text=("1",)),
    _row("sub_c", lambda m, x, c: x - c, lambda m, o, x, c: (1.0,), n_consts=1, symbol=M,
         micrograd="-", text="{x}" + M + "{c}", atomic=False, rate_text=("1",)),
    _row("rsub_c", lambda m, x, c: c - x, lambda m, o, x, c: (-1.0,), n_consts=1, symbol=M,
         micrograd="-", text="{c}" + M + "{x:w}", atomic=False, rate_text=(M + "1",)),
    _row("mul_c", lambda m, x, c: x * c, lambda m, o, x, c: (c,), n_consts=1, symbol="×",
         micrograd="*", text="{c}·{x:w}", atomic=False, rate_text=("{c}",)),
    _row("div_c", lambda m, x, c: x / c, lambda m, o, x, c: (1.0 / c,), n_consts=1, symbol="÷",
         micrograd="/", text="{x:w}/{c}", atomic=False, rate_text=("1/{c}",)),
    _row("rdiv_c", lambda m, x, c: c / x, lambda m, o, x, c: (-o / x,), n_consts=1, symbol="÷",
         micrograd="/", text="{c}/{x:w}", atomic=False, rate_text=(M + "{c}/{x:^2}",)),
    _row("pow_c", lambda m, x, c: x**c, lambda m, o, x, c: (m.powgrad(x, c),), n_consts=1,
         symbol="^", micrograd="**{c}", text="{x:^{k}}", rate_text=_pow_c_rate,
         domain="x ** c needs x > 0 for a fractional c, and x != 0 where c < 1"),
    _row("rpow_c", lambda m, x, c: c**x, lambda m, o, x, c: (m.xlogy(o, c),), n_consts=1,
         symbol="^", micrograd="**", text="{c}^{x:w}", rate_text=("{c}^{x:w}·ln {c}",),
         domain="c ** x needs a base c > 0"),
    _row("neg", lambda m, x: -x, lambda m, o, x: (-1.0,), symbol=M, micrograd="-",
         text=M + "{x:w}", atomic=False, rate_text=(M + "1",)),
    _row("abs", lambda m, x: m.abs(x), lambda m, o, x: (m.sign(x),), symbol="abs",
         micrograd="abs", text="|{x}|", rate_text=("sign({x})",), note="abs'(0) = 0"),
    _row("exp", lambda m, x: m.exp(x), lambda m, o, x: (o,), symbol="exp", micrograd="exp",
         rate_text=("exp({x})",)),
    _row("log", lambda m, x: m.log(x), lambda m, o, x: (1.0 / x,), symbol="log",
         micrograd="log", rate_text=("1/{x:w}",), domain="log needs x > 0"),
    _row("sqrt", lambda m, x: m.sqrt(x), lambda m, o, x: (0.5 / o,), symbol="√",
         micrograd="sqrt", text="√{x:w}", rate_text=("1/(2√{x:w})",),
         domain="sqrt needs x > 0 (at 0 its derivative is infinite)"),
    _row("tanh", lambda m, x: m.tanh(x), lambda m, o, x: (m.dtanh(x),), symbol="tanh",
         micrograd="tanh", rate_text=("tanh'({x})",),
         note="tanh' = 1 − tanh², computed as sech² so it stays exact where tanh saturates"),
    _row("sigmoid", lambda m, x: m.sigmoid(x), lambda m, o, x: (m.dsigmoid(x),), symbol="σ",
         micrograd="sigmoid", rate_text=("σ'({x})",),
         note="σ'(z) = σ(z)(1 − σ(z)), Nielsen eq. (40), computed without cancellation"),
    _row("relu", lambda m, x: m.relu(x), lambda m, o, x: (m.step(x),), symbol="ReLU",
         micrograd="ReLU", rate_text=("ReLU'({x})",),
         note="relu'(0) = 0, as micrograd and PyTorch"),
    _row("softplus", lambda m, x: m.softplus(x), lambda m, o, x: (m.sigmoid(x),),
         symbol="softplus", micrograd="softplus", rate_text=("σ({x})",)),
    _row("sin", lambda m, x: m.sin(x), lambda m, o, x: (m.cos(x),), symbol="sin", micrograd="sin",
         rate_text=("cos({x})",)),
    _row("cos", lambda m, x: m.cos(x), lambda m, o, x: (-m.sin(x),), symbol="cos",
         micrograd="cos", rate_text=(M + "sin({x})",)),
    _row("wsum", _wsum_forward, _wsum_partials, n_values=None, symbol="Σ", micrograd="wsum",
         text=_wsum_text, atomic=False, rate_text=_wsum_rate,
         note="Nielsen's weighted input z = Σ_k w_k a_k + b as one node; operands w…, a…, b"),
    _row("sum", _sum_forward, lambda m, o, *args: (1.0,) * len(args), n_values=None, symbol="Σ",
         micrograd="+", text=_sum_text, atomic=False, rate_text=lambda k, names, c: "1"),
]

for _rule in _ROW_LIST:
    ROWS[_rule.name] = _rule
    for _m in _filled():
        _provide(_m, _rule)

_ON_REGISTER: list[Callable[[Rule], None]] = []  # autograd.value: Value's method, VALUE_MATH


def register(rule: Rule) -> Rule:
    """Add a row at run time; a unary row gets its ``Value`` method (``x.<name>()``) too.

    The namespaces find its functions by name in their libraries; one a library lacks needs an
    entry in ``FLOAT_MATH`` or ``numpy_math.array_math`` (``README.md``, "Adding an op").
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"register needs a Rule, got {rule!r} ({type(rule).__name__})")
    if rule.name in ROWS:
        raise ValueError(f"there is already a row named {rule.name!r}")
    ROWS[rule.name] = rule
    for m in _filled():
        _provide(m, rule)
    for hook in _ON_REGISTER:
        hook(rule)
    return rule
