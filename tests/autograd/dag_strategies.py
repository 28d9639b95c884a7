"""Hypothesis strategies: random expression DAGs built twice, as Values and as sympy expressions.

Operands are drawn from every node made so far, so graphs share sub-expressions and reuse one
node several times, also twice in one op (``x*x``, ``x+x``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from hypothesis import strategies as st

from pathgrad.autograd import Value

# op name -> (arity, on Values, on sympy expressions); every op is defined on all of R.
OPS: dict[str, tuple[int, Any, Any]] = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
    "tanh": (1, lambda a: a.tanh(), sp.tanh),
    "sin": (1, lambda a: a.sin(), sp.sin),
    "sigmoid": (1, lambda a: a.sigmoid(), lambda a: 1 / (1 + sp.exp(-a))),
    "neg": (1, lambda a: -a, lambda a: -a),
    "mul_c": (1, lambda a: a * 0.75, lambda a: a * sp.Rational(3, 4)),
    "rsub_c": (1, lambda a: 2 - a, lambda a: 2 - a),
    "square": (1, lambda a: a**2, lambda a: a**2),
    "softplus": (1, lambda a: a.softplus(), lambda a: sp.log(1 + sp.exp(a))),
    "exp_tanh": (1, lambda a: a.tanh().exp(), lambda a: sp.exp(sp.tanh(a))),
}


@dataclass
class Dag:
    leaves: list[Value]
    symbols: list[sp.Symbol]
    nodes: list[Value]
    exprs: list[Any]

    @property
    def output(self) -> Value:
        return self.nodes[-1]

    @property
    def expr(self) -> Any:
        return self.exprs[-1]

    def point(self) -> dict[sp.Symbol, sp.Float]:
        return {s: sp.Float(v.data, 30) for s, v in zip(self.symbols, self.leaves)}


@st.composite
def dags(draw: st.DrawFn, max_leaves: int = 4, max_ops: int = 12) -> Dag:
    n_leaves = draw(st.integers(1, max_leaves))
    values = draw(
        st.lists(st.floats(-1.5, 1.5, allow_nan=False), min_size=n_leaves, max_size=n_leaves)
    )
    leaves = [Value(v, label=f"x{i}") for i, v in enumerate(values)]
    symbols = [sp.Symbol(f"x{i}", real=True) for i in range(n_leaves)]
    nodes: list[Value] = list(leaves)
    exprs: list[Any] = list(symbols)
    for _ in range(draw(st.integers(1, max_ops))):
        name = draw(st.sampled_from(sorted(OPS)))
        arity, on_value, on_sym = OPS[name]
        idx = [draw(st.integers(0, len(nodes) - 1)) for _ in range(arity)]
        nodes.append(on_value(*(nodes[i] for i in idx)))
        exprs.append(on_sym(*(exprs[i] for i in idx)))
    return Dag(leaves, symbols, nodes, exprs)
