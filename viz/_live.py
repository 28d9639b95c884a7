"""The graph as the page's engine holds it: flat arrays and the kernels the rows write.

``engine_spec(order)`` gives the JSON the explorer's ``Engine`` runs: per value node (in the
topological order) the index of its kernel (``-1`` for a leaf), its constant, its first edge;
per edge its parent; every node's value as the engine computed it; and the JavaScript source of
one kernel per signature (row, operands, constant) in the graph, with its checked twin, both
written by ``viz.javascript`` from the rows. A node made by hand (micrograd's ``_backward``
closure, no row) is kept as exported (``opaque``: its rates), and nudges upstream of it are
refused by the page. Building it is one pass over the nodes and edges.

>>> from pathgrad.autograd import Value, toposort
>>> x = Value(2.0, label="x")
>>> y = (x * x).exp()
>>> spec = engine_spec(toposort(y))
>>> spec["sig"], spec["start"], spec["parents"], [k["op"] for k in spec["kernels"]]
([-1, 0, 1], [0, 0, 2, 3], [0, 0, 1], ['mul', 'exp'])
"""

from __future__ import annotations

import math
from typing import Any

from pathgrad.autograd import ROWS, Value
from pathgrad.autograd.notation import notation_of

from .javascript import kernel_source, runtime_source

__all__ = ["engine_spec"]


def engine_spec(order: list[Value]) -> dict[str, Any]:
    """The engine's arrays and generated source for the nodes ``order`` (topological)."""
    index = {v: i for i, v in enumerate(order)}
    signatures: dict[tuple[str, int, int], int] = {}
    sig: list[int] = []
    start = [0]
    parents: list[int] = []
    consts: list[float | None] = []
    opaque: dict[int, list[float]] = {}  # a node made by hand: its exported rates
    for i, v in enumerate(order):
        edges = v.parents
        if not edges:
            sig.append(-1)
            consts.append(None)
        elif ROWS.get(v.op) is not v._rule:
            # micrograd's Value(data, children, op) with a _backward closure: no row writes it,
            # so the page keeps its value and rates and refuses nudges that would change them
            sig.append(-2)
            consts.append(None)
            opaque[i] = list(v.local_grads)
            parents.extend(index[p] for p in edges)
        else:
            c = v.constant
            key = (v.op, len(edges), 0 if c is None else 1)
            sig.append(signatures.setdefault(key, len(signatures)))
            consts.append(c)
            parents.extend(index[p] for p in edges)
        start.append(len(parents))
    kernels, fast, checked = [], [], []
    for (op, n_values, n_consts), _k in sorted(signatures.items(), key=lambda kv: kv[1]):
        row = ROWS[op]
        kernels.append({"op": op, "domain": notation_of(op).domain})
        fast.append(kernel_source(row, n_values, n_consts))
        checked.append(kernel_source(row, n_values, n_consts, checked=True))
    source = "\n".join([
        runtime_source(),
        "const K = [\n" + ",\n".join(fast) + "];",
        "const KC = [\n" + ",\n".join(checked) + "];",
        "return { K, KC };",
    ])
    # a graph made inside ieee() holds inf or nan: the page then computes as IEEE 754 does
    ieee = any(not math.isfinite(x) for v in order for x in (v.data, *v.local_grads))
    return {
        "source": source, "ieee": ieee, "kernels": kernels, "sig": sig, "start": start,
        "parents": parents, "consts": consts, "opaque": opaque,
        "data": [v.data if math.isfinite(v.data) else None for v in order],
    }
