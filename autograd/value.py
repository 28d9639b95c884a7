"""``Value``: a scalar that remembers how it was computed.

Every op makes a node whose edges point to its operands and carry the op's **local
derivative** — Nielsen's *rate factor* — taken from the one table in ``autograd.rules``.
Edges are stored flat, ``(parent0, rate0, parent1, rate1, ...)``: one tuple and six slots per
node keep a node at about a quarter of micrograd's memory. Parents keep order and duplicates, so
``x * x`` has two edges to ``x`` and two paths.

A plain number operand does not become a node: ``y * 0.999`` is one node with one parent and
the rate factor 0.999, and the number is kept in the node's ``constant`` slot (pictures show it
in the op's label; ``None`` for the other nodes). micrograd wraps the number in a node of its
own; the gradients are the same.

>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b + 10
>>> c.backward()
>>> c.data, a.grad, b.grad
(4.0, -3.0, 2.0)
>>> c.op, c.constant, c.parents[0].op
('add_c', 10.0, 'mul')
"""

from __future__ import annotations

import cmath
import math
import numbers
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from . import closure as _closure
from .graph import fill_grads, toposort
from .modes import NO_GRAD_ALIVE, grad_on, ieee, ieee_on
from .notation import notation_of
from .rules import _ON_REGISTER, FLOAT_MATH, ROWS, MathNamespace, Rule, _where

__all__ = ["VALUE_MATH", "Value", "sum_values", "weighted_sum", "weighted_sums"]

_ADD, _ADD_C, _SUB, _SUB_C, _RSUB_C = (ROWS[n] for n in ("add", "add_c", "sub", "sub_c", "rsub_c"))
_MUL, _MUL_C, _DIV, _NEG, _RELU = (ROWS[n] for n in ("mul", "mul_c", "div", "neg", "relu"))
_TANH, _SIGMOID, _WSUM, _SUM = (ROWS[n] for n in ("tanh", "sigmoid", "wsum", "sum"))

Number = int | float
_new = object.__new__
_INF = math.inf


def _make(data: float, edges: tuple[Any, ...], rule: Rule, const: float | None = None) -> Value:
    # How ops make nodes: under no_grad() they record no parents. The hottest ops (+, −, ×,
    # relu) write these lines out in place: a call here costs a fifth of their time.
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._edges = edges if not NO_GRAD_ALIVE or grad_on() else ()
    v._rule = rule
    v._const = const
    v.label = ""
    return v


def _to_float(x: Any, where: str) -> float:
    """``float(x)`` for a real number, with an error naming it where it is too large."""
    try:
        return float(x)
    except OverflowError:
        size = f"an int of {x.bit_length()} bits" if isinstance(x, int) else f"{type(x).__name__}"
        raise OverflowError(
            f"{where} got {size}, too large for a float (the largest is about 1.8e308)"
        ) from None


def _nonfinite_operand(name: str, args: tuple[float, ...]) -> ValueError:
    return ValueError(
        f"non-finite operand in {name!r} at ({', '.join(repr(a) for a in args)}): a Value holding "
        "inf or nan (made inside pathgrad.autograd.ieee()) cannot be used outside it"
    )


def _as_constant(other: Any) -> float | None:
    """A plain real number as a float, or None for anything else (then the op is not ours)."""
    if isinstance(other, (float, int)) and not isinstance(other, bool):
        c = _to_float(other, "an operand")
    elif isinstance(other, numbers.Real) and not isinstance(other, bool):
        c = _to_float(other, "an operand")
    else:
        return None
    if c - c != 0.0 and not ieee_on():
        raise ValueError(
            f"non-finite operand {other!r}: use pathgrad.autograd.ieee() for IEEE inf/nan semantics"
        )
    return c


def _written(rule: Rule) -> str:
    """The op as Python code writes it ('/', '**', 'log'), not the row's name ('div_c')."""
    return notation_of(rule.name).micrograd.replace("{c}", "") or rule.name


def _describe(rule: Rule, args: tuple[float, ...]) -> str:
    text = notation_of(rule.name).text
    if rule.n_consts and isinstance(text, str) and text.startswith("{c}"):
        args = (*args[-rule.n_consts:], *args[:-rule.n_consts])  # 2 / x, 2 ** x: as written
    values = ", ".join(repr(a) for a in args)
    return f"'{_written(rule)}' at ({values})"


def _evaluate_slow(rule: Rule, args: tuple[float, ...], error: Exception) -> tuple[float, tuple]:
    """Where ``math`` raised: IEEE results under ``ieee()``, else an error naming op and values."""
    if not ieee_on():
        domain = notation_of(rule.name).domain
        hint = f" ({domain})" if domain else ""
        if isinstance(error, ZeroDivisionError):
            raise ZeroDivisionError(f"division by zero in {_describe(rule, args)}{hint}") from None
        if isinstance(error, OverflowError):
            raise OverflowError(
                f"overflow in {_describe(rule, args)}: the result or its rate factor is too large "
                "for a float; use pathgrad.autograd.ieee() to get inf"
            ) from None
        raise ValueError(f"math domain error in {_describe(rule, args)}{hint}") from None
    import numpy as np

    from .compiler.numpy_math import NUMPY_MATH

    with np.errstate(all="ignore"):
        xs = [np.float64(a) for a in args]
        out = rule.forward(NUMPY_MATH, *xs)
        local = rule.partials(NUMPY_MATH, out, *xs)
        return float(out), tuple(float(d) for d in local)


def _apply(rule: Rule, values: tuple[Value, ...], const: float | None = None) -> Value:
    """Make the node for ``rule`` on ``values`` (and a trailing constant), rates from the table."""
    args = tuple(v.data for v in values)
    if const is not None:
        args += (const,)
    finite_args = True
    try:
        out = rule.forward(FLOAT_MATH, *args)
        local = rule.partials(FLOAT_MATH, out, *args)
        if type(out) is complex or any(type(d) is complex for d in local):
            raise ValueError("complex result")
        if (out - out != 0.0 or any(d - d != 0.0 for d in local)) and not ieee_on():
            finite_args = all(a - a == 0.0 for a in args)
            if finite_args:
                raise OverflowError("non-finite result")
    except (ArithmeticError, ValueError) as error:
        out, local = _evaluate_slow(rule, args, error)
    if not finite_args:
        raise _nonfinite_operand(_written(rule), args)
    edges: tuple[Any, ...] = ()
    for v, d in zip(values, local):
        edges += (v, d)
    return _make(out, edges, rule, const)


def _overflow(symbol: str, a: float, b: float, out: float) -> float:
    if ieee_on():
        return out
    if a - a != 0.0 or b - b != 0.0:
        raise _nonfinite_operand(symbol, (a, b))
    raise OverflowError(
        f"overflow in '{symbol}': {a!r} {symbol} {b!r} = {out!r}; "
        "use pathgrad.autograd.ieee() for IEEE inf/nan semantics"
    )


COMPARISONS: ContextVar[Callable[[str, Any, Any, bool], None] | None] = ContextVar(
    "pathgrad_comparisons", default=None
)
"""While ``autograd.compile`` traces, a recorder of each comparison made on a Value (a guard)."""


def _compare(op: str, a: Value, b: Any, result: bool) -> bool:
    record = COMPARISONS.get()
    if record is not None:
        record(op, a, b, result)
    return result


def _compared(other: Any) -> float | None:
    # The number a comparison reads; None for anything else: then the comparison is not ours,
    # and Python tries the reflected one, then raises its own TypeError naming both types.
    if isinstance(other, Value):
        return other.data
    if isinstance(other, numbers.Real):
        return float(other)
    return None


class Value:
    """A scalar node of the computation graph: ``data``, ``grad``, and edges to its operands.

    ``Value(data, label="")`` takes an int or float. ``nan`` and ``inf`` are refused unless the
    code runs inside ``ieee()``, where IEEE 754 semantics are what the user asked for.
    micrograd's ``Value(data, (children...), 'op')`` makes a node by hand whose step of the chain
    rule is the ``_backward`` closure then set on it (``autograd.closure``).

    >>> Value(3, label="x")
    Value(data=3.0, grad=0.0, label='x')
    >>> Value("a")
    Traceback (most recent call last):
    ...
    TypeError: Value needs an int or float, got 'a' (str)
    """

    __slots__ = ("_const", "_edges", "_rule", "data", "grad", "label")

    data: float
    grad: float
    label: str
    _edges: tuple[Any, ...]
    _rule: Rule | None  # the row that made this node; None for a leaf
    _const: float | None  # the plain-number operand of ops like x * 0.5; None otherwise

    def __init__(self, data: Number, _children: Any = (), _op: str = "", label: str = "") -> None:
        if (type(data) is float and data - data == 0.0 and not _children and not _op
                and type(label) is str):
            # the common case first, checks that cost a type test each (micrograd: none)
            self.data = data
            self.grad = 0.0
            self._edges = ()
            self._rule = None
            self._const = None
            self.label = label
            return
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value needs an int or float, got {data!r} ({type(data).__name__})")
        data = _to_float(data, "Value")
        if data - data != 0.0 and not ieee_on():
            raise ValueError(
                f"Value got the non-finite number {data!r}; create it inside "
                "pathgrad.autograd.ieee() "
                "if IEEE inf/nan semantics are what you want"
            )
        if isinstance(_children, str) and not _op and not label:
            _children, label = (), _children  # pathgrad's Value(data, "name")
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {label!r} ({type(label).__name__})")
        edges, rule = _closure.hand_made(_children, _op, Value)
        self.data = data
        self.grad = 0.0
        self._edges = edges if not NO_GRAD_ALIVE or grad_on() else ()
        self._rule = rule
        self._const = None
        self.label = label

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands, in order, duplicates kept (``x * x`` has ``(x, x)``)."""
        return self._edges[0::2]

    @property
    def local_grads(self) -> tuple[float, ...]:
        """The rate factor on each edge: ∂self/∂parent, in the order of ``parents``."""
        return self._edges[1::2]

    @property
    def op(self) -> str:
        """The rule's name in ``autograd.rules.ROWS`` ('' for a leaf).

        >>> x = Value(2.0)
        >>> (x * x).op, (x ** 2).op, x.op
        ('mul', 'pow_c', '')
        """
        rule = self._rule
        return rule.name if rule is not None else ""

    @property
    def _op(self) -> str:
        """micrograd's symbol for the op ('+', '*', '**2', 'ReLU', 'tanh', ...; '' for a leaf).

        >>> x = Value(2.0)
        >>> (x * x)._op, (x ** 2)._op, (x + 1)._op, x.relu()._op
        ('*', '**2', '+', 'ReLU')
        """
        rule = self._rule
        return notation_of(rule.name).micrograd_op(self.constant) if rule is not None else ""

    @property
    def constant(self) -> float | None:
        """The plain-number operand of ops like ``x * 0.5`` (None otherwise)."""
        return self._const

    @property
    def _prev(self) -> set[Value]:
        """micrograd's set of operands, for lecture code such as its ``draw_dot``.

        A number operand is a leaf of its own there, as in micrograd (made afresh on each call,
        its grad ∂self/∂number × self.grad); the engine's own edges keep it as a constant.

        >>> n = Value(0.5)
        >>> sorted(v.data for v in (2 * n)._prev)
        [0.5, 2.0]
        """
        return _closure.prev(self, Value)

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's step of the chain rule at this node: each parent's grad += rate × grad.

        ``backward()`` does every node's step in reverse topological order; calling the steps
        by hand, output first, gives the same numbers (the lecture's manual cells). On a node
        made by ``Value(data, children, op)`` it can be set to a closure, as the lecture writes
        its ops; the rate factors are then read from the closure (``autograd.closure``).

        >>> a, b = Value(2.0), Value(-3.0)
        >>> c = a * b
        >>> c.grad = 1.0
        >>> c._backward()
        >>> a.grad, b.grad
        (-3.0, 2.0)
        """
        return _closure.step_of(self)

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        _closure.attach(self, step)

    def __float__(self) -> float:
        """``float(v)`` is ``v.data``."""
        return self.data

    def __lt__(self, other: Value | Number) -> bool:
        """Compare ``data`` with a Value's ``data`` or a number (micrograd code sorts Values)."""
        o = _compared(other)
        return NotImplemented if o is None else _compare('<', self, other, self.data < o)

    def __le__(self, other: Value | Number) -> bool:
        """``self.data <= other``, for a Value or a number."""
        o = _compared(other)
        return NotImplemented if o is None else _compare('<=', self, other, self.data <= o)

    def __gt__(self, other: Value | Number) -> bool:
        """``self.data > other``, for a Value or a number."""
        o = _compared(other)
        return NotImplemented if o is None else _compare('>', self, other, self.data > o)

    def __ge__(self, other: Value | Number) -> bool:
        """``self.data >= other``, for a Value or a number."""
        o = _compared(other)
        return NotImplemented if o is None else _compare('>=', self, other, self.data >= o)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # The arithmetic below is the hot path, written out; each rate matches its row in
    # rules.py (tests/autograd/test_rules.py pins them).

    def __add__(self, other: Value | Number) -> Value:
        """``self + other``; rate 1 towards each operand (a number operand is a constant)."""
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = a + b
            if out - out != 0.0:
                out = _overflow("+", a, b, out)
            v = _new(Value)
            v.data = out
            v.grad = 0.0
            v._edges = (self, 1.0, other, 1.0) if not NO_GRAD_ALIVE or grad_on() else ()
            v._rule = _ADD
            v._const = None
            v.label = ""
            return v
        c = other if type(other) is float and other - other == 0.0 else _as_constant(other)
        if c is None:
            return NotImplemented
        out = self.data + c
        if out - out != 0.0:
            out = _overflow("+", self.data, c, out)
        v = _new(Value)
        v.data = out
        v.grad = 0.0
        v._edges = (self, 1.0) if not NO_GRAD_ALIVE or grad_on() else ()
        v._rule = _ADD_C
        v._const = c
        v.label = ""
        return v

    __radd__ = __add__

    def __sub__(self, other: Value | Number) -> Value:
        """``self - other``; rates 1 and −1."""
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = a - b
            if out - out != 0.0:
                out = _overflow("-", a, b, out)
            v = _new(Value)
            v.data = out
            v.grad = 0.0
            v._edges = (self, 1.0, other, -1.0) if not NO_GRAD_ALIVE or grad_on() else ()
            v._rule = _SUB
            v._const = None
            v.label = ""
            return v
        c = _as_constant(other)
        if c is None:
            return NotImplemented
        out = self.data - c
        if out - out != 0.0:
            out = _overflow("-", self.data, c, out)
        return _make(out, (self, 1.0), _SUB_C, c)

    def __rsub__(self, other: Number) -> Value:
        """``other - self`` for a number ``other``; rate −1."""
        c = _as_constant(other)
        if c is None:
            return NotImplemented
        out = c - self.data
        if out - out != 0.0:
            out = _overflow("-", c, self.data, out)
        return _make(out, (self, -1.0), _RSUB_C, c)

    def __mul__(self, other: Value | Number) -> Value:
        """``self * other``; the rate towards each operand is the other operand."""
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = a * b
            if out - out != 0.0:
                out = _overflow("*", a, b, out)
            v = _new(Value)
            v.data = out
            v.grad = 0.0
            v._edges = (self, b, other, a) if not NO_GRAD_ALIVE or grad_on() else ()
            v._rule = _MUL
            v._const = None
            v.label = ""
            return v
        c = other if type(other) is float and other - other == 0.0 else _as_constant(other)
        if c is None:
            return NotImplemented
        out = self.data * c
        if out - out != 0.0:
            out = _overflow("*", self.data, c, out)
        v = _new(Value)
        v.data = out
        v.grad = 0.0
        v._edges = (self, c) if not NO_GRAD_ALIVE or grad_on() else ()
        v._rule = _MUL_C
        v._const = c
        v.label = ""
        return v

    __rmul__ = __mul__

    def __truediv__(self, other: Value | Number) -> Value:
        """``self / other`` as one node; rates 1/y and −x/y²."""
        if isinstance(other, Value):
            a, b = self.data, other.data
            if b == 0.0 or a - a != 0.0 or b - b != 0.0:
                return _apply(ROWS["div"], (self, other))
            out = a / b
            rate_a, rate_b = 1.0 / b, -out / b
            if out - out != 0.0 or rate_a - rate_a != 0.0 or rate_b - rate_b != 0.0:
                return _apply(ROWS["div"], (self, other))  # names the overflow (or IEEE)
            return _make(out, (self, rate_a, other, rate_b), _DIV)
        c = _as_constant(other)
        if c is None:
            return NotImplemented
        return _apply(ROWS["div_c"], (self,), c)

    def __rtruediv__(self, other: Number) -> Value:
        """``other / self`` for a number ``other``; rate −c/x²."""
        c = _as_constant(other)
        if c is None:
            return NotImplemented
        return _apply(ROWS["rdiv_c"], (self,), c)

    def __pow__(self, other: Value | Number) -> Value:
        """``self ** other``; rates c·x^(c−1) and, for a Value exponent, x^y·log x."""
        if isinstance(other, Value):
            return _apply(ROWS["pow"], (self, other))
        c = _as_constant(other)
        if c is None:
            return NotImplemented
        return _apply(ROWS["pow_c"], (self,), c)

    def __rpow__(self, other: Number) -> Value:
        """``other ** self`` for a number base c > 0; rate c^x·log c."""
        c = _as_constant(other)
        if c is None:
            return NotImplemented
        return _apply(ROWS["rpow_c"], (self,), c)

    def __neg__(self) -> Value:
        """``-self``; rate −1."""
        x = self.data
        if x - x != 0.0 and not ieee_on():
            raise _nonfinite_operand("neg", (x,))
        return _make(-x, (self, -1.0), _NEG)

    def __pos__(self) -> Value:
        """``+self`` is ``self`` (no node)."""
        return self

    def __abs__(self) -> Value:
        """``abs(self)``; rate sign(x), 0 at the kink x = 0."""
        return _apply(ROWS["abs"], (self,))

    def exp(self) -> Value:
        """e^x; its rate factor is the output itself."""
        return _apply(ROWS["exp"], (self,))

    def log(self) -> Value:
        """Natural log; ``ValueError`` for x <= 0 (outside ``ieee()``)."""
        return _apply(ROWS["log"], (self,))

    def sqrt(self) -> Value:
        """√x; ``ValueError`` for x < 0 and ``ZeroDivisionError`` at 0, where x' is infinite."""
        return _apply(ROWS["sqrt"], (self,))

    def tanh(self) -> Value:
        """tanh x; rate 1 − tanh²x (= sech²x, computed without cancellation)."""
        x = self.data
        if x - x != 0.0 and not ieee_on():
            raise _nonfinite_operand("tanh", (x,))
        # The row's rate 4σ(2x)σ(−2x), written out with one exp (2x faster, pinned to the row
        # by tests/autograd/test_rules.py): 4e/(1+e)² with e = e^(−2|x|).
        e = math.exp(-2.0 * abs(x))
        return _make(math.tanh(x), (self, 4.0 * e / ((1.0 + e) * (1.0 + e))), _TANH)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e^(−x)); rate σ(1 − σ), Nielsen's eq. (40)."""
        x = self.data
        if x - x != 0.0 and not ieee_on():
            raise _nonfinite_operand("sigmoid", (x,))
        # The row's σ and σ(x)σ(−x), written out with one exp (2x faster, pinned to the row by
        # tests/autograd/test_rules.py): σ = 1/(1+e) or e/(1+e), σ' = e/(1+e)², e = e^(−|x|).
        e = math.exp(-abs(x))
        s = 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)
        return _make(s, (self, e / ((1.0 + e) * (1.0 + e))), _SIGMOID)

    def relu(self) -> Value:
        """max(x, 0); rate 1 for x > 0 else 0 (relu'(0) = 0, as micrograd)."""
        x = self.data
        v = _new(Value)
        if x > 0.0:
            if x == _INF and not ieee_on():
                raise _nonfinite_operand("relu", (x,))
            v.data, rate = x, 1.0
        elif x <= 0.0:
            v.data, rate = 0.0, 0.0
        elif ieee_on():  # nan: relu(nan) = nan, as PyTorch
            v.data = rate = x
        else:
            raise _nonfinite_operand("relu", (x,))
        v.grad = 0.0
        v._edges = (self, rate) if not NO_GRAD_ALIVE or grad_on() else ()
        v._rule = _RELU
        v._const = None
        v.label = ""
        return v

    def softplus(self) -> Value:
        """log(1 + e^x); rate σ(x)."""
        return _apply(ROWS["softplus"], (self,))

    def sin(self) -> Value:
        """sin x; rate cos x."""
        return _apply(ROWS["sin"], (self,))

    def cos(self) -> Value:
        """cos x; rate −sin x."""
        return _apply(ROWS["cos"], (self,))

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        # copy.deepcopy would recurse once per level of the graph; copy in topological order.
        for node in toposort(self):
            if id(node) in memo:
                continue
            twin = _new(Value)
            twin.data, twin.grad, twin.label = node.data, node.grad, node.label
            twin._rule, twin._const = _closure.copied(node._rule), node._const
            twin._edges = tuple(memo[id(e)] if isinstance(e, Value) else e for e in node._edges)
            memo[id(node)] = twin
        return memo[id(self)]

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle would recurse once per level too: a node with parents is stored as flat records
        # over its graph. Leaves stay objects of their own, so the pickler's memo keeps shared
        # parameters shared.
        if not self._edges:
            return (_leaf, (self.data, self.grad, self.label))
        order = toposort(self)
        _closure.refuse_pickle(order)
        leaves = [n for n in order if not n._edges]
        index = {n: i for i, n in enumerate(order)}
        records = [
            (
                n.data,
                n.grad,
                n.label,
                n.op,
                tuple(index[p] for p in n.parents),
                n.local_grads,
                n.constant,
            )
            for n in order
            if n._edges
        ]
        return (_unflatten, ([index[n] for n in leaves], leaves, records))

    def backward(self, gradient: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on: ∂self/∂node.

        Intermediate nodes get their grad afresh; leaves accumulate (PyTorch's rule).
        """
        fill_grads(self, gradient)


def _leaf(data: float, grad: float, label: str) -> Value:
    v = _new(Value)
    v.data, v.grad, v.label, v._edges, v._rule, v._const = data, grad, label, (), None, None
    return v


def _unflatten(leaf_positions: list[int], leaves: list[Value], records: list[tuple]) -> Value:
    nodes: dict[int, Value] = dict(zip(leaf_positions, leaves))
    position = 0
    for data, grad, label, op, parents, rates, const in records:
        while position in nodes:
            position += 1
        v = _new(Value)
        v.data, v.grad, v.label, v._rule = data, grad, label, ROWS[op]
        edges: tuple[Any, ...] = ()
        for p, r in zip(parents, rates):
            edges += (nodes[p], r)
        v._edges, v._const = edges, const
        nodes[position] = v
    return nodes[position]


def weighted_sum(weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value) -> Value:
    """Nielsen's weighted input z = Σ_k w_k a_k + b as **one** node.

    Its rate factors are a_k towards each weight, w_k towards each input and 1 towards the
    bias (BP2's w, BP4's a_in). Number inputs become constant leaves.

    >>> w = [Value(0.5), Value(-1.0)]
    >>> z = weighted_sum(w, [2.0, 3.0], Value(0.25))
    >>> z.data, z.local_grads
    (-1.75, (2.0, 3.0, 0.5, -1.0, 1.0))
    """
    return weighted_sums((weights,), inputs, (bias,))[0]


def weighted_sums(
    weights: Sequence[Sequence[Value]], inputs: Sequence[Value | Number], biases: Sequence[Value]
) -> list[Value]:
    """A layer's weighted inputs z_j = Σ_k w_jk a_k + b_j: one ``wsum`` node per row of weights.

    The same nodes as ``weighted_sum`` row by row; the inputs are read once for the layer.

    >>> a = [Value(2.0), Value(3.0)]
    >>> zs = weighted_sums([[Value(1.0), Value(0.0)], [Value(0.5), Value(-1.0)]], a,
    ...                    [Value(0.0), Value(0.25)])
    >>> [z.data for z in zs]
    [2.0, -1.75]
    """
    if len(weights) != len(biases):
        raise ValueError(f"weighted_sums: {len(weights)} rows of weights but {len(biases)} biases")
    if all(type(x) is Value for x in inputs):
        xs: Sequence[Value] = inputs  # type: ignore[assignment]
    else:
        xs = [x if isinstance(x, Value) else Value(x) for x in inputs]
    n = len(xs)
    n2, n4 = 2 * n, 4 * n
    xd = [x.data for x in xs]
    # edges: (w_1, a_1, ..., w_n, a_n, a_1, w_1, ..., a_n, w_n, b, 1.0); the inputs' half is the
    # same for every row, so it is laid out once and copied.
    base: list[Any] = [1.0] * (n4 + 2)
    base[1:n2:2] = xd
    base[n2:n4:2] = xs
    out = []
    keep = not NO_GRAD_ALIVE or grad_on()
    for row, bias in zip(weights, biases):
        if len(row) != n:
            raise ValueError(f"weighted_sum: {len(row)} weights but {n} inputs")
        try:
            wd = [w.data for w in row]
            acc = bias.data
        except AttributeError:
            raise TypeError("weighted_sum needs Value weights and a Value bias") from None
        for w_k, a_k in zip(wd, xd):
            acc += w_k * a_k
        if acc - acc != 0.0 and not ieee_on():
            _wsum_nonfinite(wd, xd, bias.data)
        edges = base.copy()
        edges[0:n2:2] = row
        edges[n2 + 1 : n4 : 2] = wd
        edges[n4] = bias
        v = _new(Value)  # _make, written out
        v.data = acc
        v.grad = 0.0
        v._edges = tuple(edges) if keep else ()
        v._rule = _WSUM
        v._const = None
        v.label = ""
        out.append(v)
    return out


def _wsum_nonfinite(wd: list[float], xd: list[float], b: float) -> None:
    operands = (*wd, *xd, b)
    if all(d - d == 0.0 for d in operands):
        raise OverflowError("overflow in 'wsum': the weighted input is too large for a float")
    raise _nonfinite_operand("wsum", tuple(d for d in operands if d - d != 0.0))


def sum_values(values: Sequence[Value | Number]) -> Value:
    """Σ of many values as one node with rate factor 1 on each edge (micrograd chains ``+``).

    >>> s = sum_values([Value(1.0), Value(2.0), 3.0])
    >>> s.data, len(s.parents)
    (6.0, 3)
    """
    xs = [x if isinstance(x, Value) else Value(x) for x in values]
    if not xs:
        raise ValueError("sum_values needs at least one value")
    acc = xs[0].data
    for x in xs[1:]:
        acc += x.data
    if acc - acc != 0.0 and not ieee_on():
        bad = tuple(x.data for x in xs if x.data - x.data != 0.0)
        if bad:
            raise _nonfinite_operand("sum", bad)
        raise OverflowError("overflow in 'sum': the sum is too large for a float")
    edges: list[Any] = []
    for x in xs:
        edges += (x, 1.0)
    return _make(acc, tuple(edges), _SUM)


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _value_xlogy(o: Any, x: Any) -> Any:
    if _data(o) == 0.0 or _data(x) == 0.0:
        return 0.0
    return o * (x.log() if isinstance(x, Value) else math.log(x))


def _value_powgrad(x: Any, c: Any) -> Any:
    # c·x^(c−1), 0 where c = 0 and x = 0 (x^0 is flat; the formula would divide by zero there)
    if _data(c) == 0.0 and _data(x) == 0.0:
        return 0.0
    if not isinstance(x, Value) and not isinstance(c, Value):
        return FLOAT_MATH.powgrad(x, c)
    if _data(x) == 0.0 and _data(c) > 1.0:
        # 0^(c−1) is 0, the number plain grad gives, but for 1 < c < 2 its own slope is
        # infinite: keep that inf on the edge, so only a further derivative meets it.
        with ieee():
            return c * x ** (c - 1.0)
    return c * x ** (c - 1.0)


def _lift(name: str) -> Callable[[Any], Any]:
    # The row's function on a Value (a node, so the rate is a graph), on a float FLOAT_MATH's.
    method = getattr(Value, name)
    return lambda x: method(x) if isinstance(x, Value) else getattr(FLOAT_MATH, name)(x)


def _is_unary(rule: Rule) -> bool:
    return rule.n_values == 1 and rule.n_consts == 0


_STEP = 2.0**-100  # the complex step: f'(x) = Im f(x + ih) / h, exact to rounding for tiny h


def _without_row(name: str) -> Callable[[Any], Any]:
    """A function a rate calls that has no row (``m.sinh`` in a ``cosh`` row's rate), on Values:
    a node whose rate factor is its complex-step derivative through ``cmath`` (exact to rounding
    for an analytic function). One more derivative through it needs a row of its own."""
    complex_form = getattr(cmath, name, None)
    if complex_form is None:
        raise AttributeError(
            f"create_graph: a rate calls {name!r}, which has no row of its own and no complex "
            f"form in cmath to differentiate: register a row for {name!r}"
        )
    real_form = getattr(FLOAT_MATH, name)

    def partials(m: Any, out: Any, x: Any) -> tuple[Any, ...]:
        if isinstance(x, Value):
            raise ValueError(
                f"create_graph: a third derivative through {name!r}, which a rate calls but has "
                f"no row of its own: register a row for {name!r} (README, 'Adding an op')"
            )
        return (complex_form(x + _STEP * 1j).imag / _STEP,)

    rule = Rule(name, lambda m, x: real_form(x), partials, 1)
    return lambda x: _apply(rule, (x,)) if isinstance(x, Value) else real_form(x)


class _ValueMath(MathNamespace):
    """The namespace of the rows on Values: a function a rate calls is its row's ``Value``
    method, so the rate is a graph; one without a row is lifted by ``_without_row``."""

    def _lookup(self, name: str) -> Any:
        rule = ROWS.get(name)
        if rule is not None and _is_unary(rule) and hasattr(Value, name):
            return _lift(name)
        return _without_row(name)


def _install(rule: Rule) -> None:
    """A unary row without a hand-written method gets ``x.<name>()``; VALUE_MATH its function."""
    if not _is_unary(rule):
        return
    if not hasattr(Value, rule.name):

        def method(self: Value) -> Value:
            return _apply(rule, (self,))

        method.__name__ = method.__qualname__ = rule.name
        note = notation_of(rule.name).note
        method.__doc__ = f"{rule.name} x, from its row in ``autograd.rules.ROWS``. {note}"
        setattr(Value, rule.name, method)
    if rule.name not in _GIVEN:  # a function lifted before the row came is replaced
        setattr(VALUE_MATH, rule.name, _lift(rule.name))


_GIVEN = {"abs": abs, "where": _where, "xlogy": _value_xlogy, "powgrad": _value_powgrad}
VALUE_MATH = _ValueMath(None, None, **_GIVEN)
"""The rule table's math namespace on Values: rates as graphs, for ``create_graph=True``.

Each unary row's function is the row itself (a node), found on first use; σ′ and tanh′ are the
shared helpers, so smooth and differentiable again. Kinks (relu's step, abs's sign) are
constants there: their own derivative is 0.
"""
for _rule in ROWS.values():
    _install(_rule)
_ON_REGISTER.append(_install)
