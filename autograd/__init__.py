"""pathgrad's engine: a scalar ``Value`` graph whose edges carry their local derivatives.

>>> from autograd import Value
>>> x = Value(0.5, label="x")
>>> y = (2 * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.839949
"""

from .backprop import backward, grad
from .check import GradcheckError, NumericGradient, gradcheck, numeric_grad
from .graph import ancestors, toposort
from .modes import ieee, is_grad_enabled, no_grad
from .rules import ROWS
from .value import Value, sum_values, weighted_sum

__all__ = [
    "ROWS",
    "GradcheckError",
    "NumericGradient",
    "Value",
    "ancestors",
    "backward",
    "grad",
    "gradcheck",
    "ieee",
    "is_grad_enabled",
    "no_grad",
    "numeric_grad",
    "sum_values",
    "toposort",
    "weighted_sum",
]
