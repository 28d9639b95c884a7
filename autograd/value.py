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

import math
import numbers
import operator
from collections.abc import Callable
from typing import Any

from . import closure as _closure
from . import pickling
from .graph import fill_grads
from .modes import NO_GRAD_ALIVE, ieee_on, is_grad_enabled, refused
from .notation import notation_of
from .operands import as_constant, comparison, evaluate, nonfinite_operand, overflow, to_float
from .rules import _ON_REGISTER, ROWS, Rule

__all__ = ["Value"]

_ADD, _ADD_C, _SUB, _SUB_C, _RSUB_C = (ROWS[n] for n in ("add", "add_c", "sub", "sub_c", "rsub_c"))
_MUL, _MUL_C, _DIV, _NEG, _RELU = (ROWS[n] for n in ("mul", "mul_c", "div", "neg", "relu"))
_TANH, _SIGMOID = ROWS["tanh"], ROWS["sigmoid"]

Number = int | float
_new = object.__new__
_INF = math.inf


def _make(data: float, edges: tuple[Any, ...], rule: Rule, const: float | None = None) -> Value:
    # How ops make nodes: under no_grad() they record no parents. The hottest ops (+, −, ×,
    # relu) write these lines out in place: a call here costs a fifth of their time.
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._edges = edges if not NO_GRAD_ALIVE or is_grad_enabled() else ()
    v._rule = rule
    v._const = const
    v.label = ""
    return v


def _apply(rule: Rule, values: tuple[Value, ...], const: float | None = None) -> Value:
    """Make the node for ``rule`` on ``values`` (and a trailing constant), rates from the table."""
    args = tuple(v.data for v in values)
    out, local = evaluate(rule, args if const is None else (*args, const))
    edges: tuple[Any, ...] = ()
    for v, d in zip(values, local):
        edges += (v, d)
    return _make(out, edges, rule, const)


def _unary(name: str, doc: str) -> Callable[[Value], Value]:
    rule = ROWS[name]

    def method(self: Value) -> Value:
        return _apply(rule, (self,))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    return method


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
        data = to_float(data, "Value")
        if refused(data):
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
        self._edges = edges if not NO_GRAD_ALIVE or is_grad_enabled() else ()
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

    # micrograd code sorts Values: a comparison reads ``data`` (of a Value or a number); while
    # compile traces, each is recorded as a guard
    __lt__ = comparison("<", operator.lt)
    __le__ = comparison("<=", operator.le)
    __gt__ = comparison(">", operator.gt)
    __ge__ = comparison(">=", operator.ge)

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
                out = overflow("+", a, b, out)
            v = _new(Value)
            v.data = out
            v.grad = 0.0
            v._edges = (self, 1.0, other, 1.0) if not NO_GRAD_ALIVE or is_grad_enabled() else ()
            v._rule = _ADD
            v._const = None
            v.label = ""
            return v
        c = other if type(other) is float and other - other == 0.0 else as_constant(other)
        if c is None:
            return NotImplemented
        out = self.data + c
        if out - out != 0.0:
            out = overflow("+", self.data, c, out)
        v = _new(Value)
        v.data = out
        v.grad = 0.0
        v._edges = (self, 1.0) if not NO_GRAD_ALIVE or is_grad_enabled() else ()
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
                out = overflow("-", a, b, out)
            return _make(out, (self, 1.0, other, -1.0), _SUB)
        c = as_constant(other)
        if c is None:
            return NotImplemented
        out = self.data - c
        if out - out != 0.0:
            out = overflow("-", self.data, c, out)
        return _make(out, (self, 1.0), _SUB_C, c)

    def __rsub__(self, other: Number) -> Value:
        """``other - self`` for a number ``other``; rate −1."""
        c = as_constant(other)
        if c is None:
            return NotImplemented
        out = c - self.data
        if out - out != 0.0:
            out = overflow("-", c, self.data, out)
        return _make(out, (self, -1.0), _RSUB_C, c)

    def __mul__(self, other: Value | Number) -> Value:
        """``self * other``; the rate towards each operand is the other operand."""
        if isinstance(other, Value):
            a, b = self.data, other.data
            out = a * b
            if out - out != 0.0:
                out = overflow("*", a, b, out)
            v = _new(Value)
            v.data = out
            v.grad = 0.0
            v._edges = (self, b, other, a) if not NO_GRAD_ALIVE or is_grad_enabled() else ()
            v._rule = _MUL
            v._const = None
            v.label = ""
            return v
        c = other if type(other) is float and other - other == 0.0 else as_constant(other)
        if c is None:
            return NotImplemented
        out = self.data * c
        if out - out != 0.0:
            out = overflow("*", self.data, c, out)
        v = _new(Value)
        v.data = out
        v.grad = 0.0
        v._edges = (self, c) if not NO_GRAD_ALIVE or is_grad_enabled() else ()
        v._rule = _MUL_C
        v._const = c
        v.label = ""
        return v

    __rmul__ = __mul__

    def __truediv__(self, other: Value | Number) -> Value:
        """``self / other`` as one node; rates 1/y and −x/y²."""
        if isinstance(other, Value):
            return _apply(_DIV, (self, other))
        c = as_constant(other)
        if c is None:
            return NotImplemented
        return _apply(ROWS["div_c"], (self,), c)

    def __rtruediv__(self, other: Number) -> Value:
        """``other / self`` for a number ``other``; rate −c/x²."""
        c = as_constant(other)
        if c is None:
            return NotImplemented
        return _apply(ROWS["rdiv_c"], (self,), c)

    def __pow__(self, other: Value | Number) -> Value:
        """``self ** other``; rates c·x^(c−1) and, for a Value exponent, x^y·log x."""
        if isinstance(other, Value):
            return _apply(ROWS["pow"], (self, other))
        c = as_constant(other)
        if c is None:
            return NotImplemented
        return _apply(ROWS["pow_c"], (self,), c)

    def __rpow__(self, other: Number) -> Value:
        """``other ** self`` for a number base c > 0; rate c^x·log c."""
        c = as_constant(other)
        if c is None:
            return NotImplemented
        return _apply(ROWS["rpow_c"], (self,), c)

    def __neg__(self) -> Value:
        """``-self``; rate −1."""
        x = self.data
        if refused(x):
            raise nonfinite_operand("neg", (x,))
        return _make(-x, (self, -1.0), _NEG)

    def __pos__(self) -> Value:
        """``+self`` is ``self`` (no node)."""
        return self

    # the other unary ops: each its row's node, from the table (ValueError etc. name the op)
    __abs__ = _unary("abs", "``abs(self)``; rate sign(x), 0 at the kink x = 0.")
    exp = _unary("exp", "e^x; its rate factor is the output itself.")
    log = _unary("log", "Natural log; ``ValueError`` for x <= 0 (outside ``ieee()``).")
    sqrt = _unary("sqrt", "√x; ``ValueError`` for x < 0, ``ZeroDivisionError`` at 0.")
    softplus = _unary("softplus", "log(1 + e^x); rate σ(x).")
    sin = _unary("sin", "sin x; rate cos x.")
    cos = _unary("cos", "cos x; rate −sin x.")

    def tanh(self) -> Value:
        """tanh x; rate 1 − tanh²x (= sech²x, computed without cancellation)."""
        x = self.data
        if refused(x):
            raise nonfinite_operand("tanh", (x,))
        # The row's rate 4σ(2x)σ(−2x), written out with one exp (2x faster, pinned to the row
        # by tests/autograd/test_rules.py): 4e/(1+e)² with e = e^(−2|x|).
        e = math.exp(-2.0 * abs(x))
        return _make(math.tanh(x), (self, 4.0 * e / ((1.0 + e) * (1.0 + e))), _TANH)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e^(−x)); rate σ(1 − σ), Nielsen's eq. (40)."""
        x = self.data
        if refused(x):
            raise nonfinite_operand("sigmoid", (x,))
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
                raise nonfinite_operand("relu", (x,))
            v.data, rate = x, 1.0
        elif x <= 0.0:
            v.data, rate = 0.0, 0.0
        elif ieee_on():  # nan: relu(nan) = nan, as PyTorch
            v.data = rate = x
        else:
            raise nonfinite_operand("relu", (x,))
        v.grad = 0.0
        v._edges = (self, rate) if not NO_GRAD_ALIVE or is_grad_enabled() else ()
        v._rule = _RELU
        v._const = None
        v.label = ""
        return v

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        return pickling.deep_copy(self, memo)  # no recursion per level of the graph

    def __reduce__(self) -> tuple[Any, ...]:
        return pickling.reduce(self)  # flat records, no recursion per level

    def backward(self, gradient: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on: ∂self/∂node.

        Intermediate nodes get their grad afresh; leaves accumulate (PyTorch's rule).
        """
        fill_grads(self, gradient)


def _install(rule: Rule) -> None:
    """A unary row without a hand-written method gets ``x.<name>()``."""
    if rule.n_values != 1 or rule.n_consts or hasattr(Value, rule.name):
        return

    def method(self: Value) -> Value:
        return _apply(rule, (self,))

    method.__name__ = method.__qualname__ = rule.name
    note = notation_of(rule.name).note
    method.__doc__ = f"{rule.name} x, from its row in ``autograd.rules.ROWS``. {note}"
    setattr(Value, rule.name, method)


for _rule in ROWS.values():
    _install(_rule)
_ON_REGISTER.append(_install)
