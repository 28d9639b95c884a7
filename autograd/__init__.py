"""pathgrad's engine: a scalar ``Value`` graph whose edges carry their local derivatives.

>>> from pathgrad.autograd import Value
>>> x = Value(0.5, label="x")
>>> y = (2 * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.839949
"""

from .backprop import grad
from .check import GradcheckError, NumericGradient, gradcheck, numeric_grad
from .compiler.compile import TraceMismatchError, compile
from .forward import jvp
from .graph import toposort
from .modes import ieee, is_grad_enabled, no_grad
from .paths import (
    Contributions,
    Path,
    all_contributions,
    contributions,
    count_paths,
    log_count_paths,
    paths,
    top_paths,
)
from .rules import ROWS
from .sums import sum_values, weighted_sum
from .value import Value

__all__ = [
    "ROWS",
    "Contributions",
    "GradcheckError",
    "NumericGradient",
    "Path",
    "TraceMismatchError",
    "Value",
    "all_contributions",
    "compile",
    "contributions",
    "count_paths",
    "grad",
    "gradcheck",
    "ieee",
    "is_grad_enabled",
    "jvp",
    "log_count_paths",
    "no_grad",
    "numeric_grad",
    "paths",
    "sum_values",
    "top_paths",
    "toposort",
    "weighted_sum",
]
