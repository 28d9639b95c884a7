"""The rows' math namespace on Values, ``VALUE_MATH``: rate factors as graphs, for
``grad(..., create_graph=True)``.

A function a rate calls is found on first use: a row's own function is its ``Value`` method (a
node, so the rate can be differentiated again; σ′ and tanh′ are the shared helpers of
``autograd.rules``, smooth too). A function with no row (``m.sinh`` in a ``cosh`` row's rate)
becomes a node whose rate factor is its complex-step derivative through ``cmath``, exact to
rounding for an analytic function; a third derivative through it asks for a row. Kinks (relu's
step, abs's sign) are constants here: their own derivative is 0.

>>> from pathgrad.autograd import Value, grad
>>> x = Value(0.5)
>>> rate = VALUE_MATH.dtanh(x)            # tanh'(x) as a graph of Values
>>> round(rate.data, 6), round(grad(rate, [x])[0], 6)
(0.786448, -0.726862)
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from typing import Any

from .modes import ieee
from .rules import _ON_REGISTER, FLOAT_MATH, ROWS, MathNamespace, Rule, _where
from .value import Value, _apply

__all__ = ["VALUE_MATH"]


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


def _register(rule: Rule) -> None:
    # a function lifted by _without_row before its row came is replaced by the row's
    if _is_unary(rule) and rule.name not in _GIVEN:
        setattr(VALUE_MATH, rule.name, _lift(rule.name))


_GIVEN = {"abs": abs, "where": _where, "xlogy": _value_xlogy, "powgrad": _value_powgrad}
VALUE_MATH = _ValueMath(None, None, **_GIVEN)
"""The rule table's math namespace on Values (see the module's docstring)."""
_ON_REGISTER.append(_register)
