"""Finding neurons in a computation graph, for ``draw_dot(group="neuron")``.

>>> from pathgrad.autograd import Value, weighted_sum, toposort
>>> w, b, x = [Value(0.5, label="w2[0,0]")], Value(0.1, label="b2[0]"), Value(1.0)
>>> z = weighted_sum(w, [x], b); z.label = "z2[0]"
>>> [box.title for box in find_neurons(toposort(z.tanh()))]
['neuron 2[0]']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pathgrad.autograd import Value

__all__ = ["Z_LABEL", "NeuronBox", "find_neurons"]

# Unary ops that count as a neuron's activation when no a{l}[{j}] label says so.
_ACTIVATIONS = {"tanh", "sigmoid", "relu", "softplus"}
Z_LABEL = re.compile(r"z(\d+)\[(\d+)\]$")


@dataclass
class NeuronBox:
    """One neuron's sub-graph: its weighted input ``z``, activation, weights and bias."""

    z: Value
    activation: Value | None
    params: list[Value]
    title: str
    members: list[Value] = field(default_factory=list)

    @property
    def weights(self) -> list[Value]:
        """The neuron's own weights (its parameters but the bias), in input order."""
        return [p for p in self.params if p is not self.z.parents[-1]]

    @property
    def bias(self) -> Value | None:
        b = self.z.parents[-1]
        return b if b in self.params else None


def _consumers(order: list[Value]) -> dict[Value, list[Value]]:
    kids: dict[Value, list[Value]] = {v: [] for v in order}
    for v in order:
        for p in v.parents:
            kids[p].append(v)
    return kids


def _activation(z: Value, consumers: list[Value], owned: set[Value]) -> Value | None:
    if len(consumers) != 1 or len(consumers[0].parents) != 1:
        return None
    a = consumers[0]
    match = Z_LABEL.match(z.label)
    named = match is not None and a.label == f"a{match[1]}[{match[2]}]"
    return a if named or (a.op in _ACTIVATIONS and a not in owned) else None


def find_neurons(order: list[Value]) -> list[NeuronBox]:
    """The neurons of a graph: each ``wsum`` node with its leaf weights and bias and the one
    activation that consumes it (an op labelled ``a{l}[{j}]``, else tanh/σ/ReLU/softplus)."""
    kids = _consumers(order)
    owned: set[Value] = set()
    boxes: list[NeuronBox] = []
    for z in order:
        if z.op != "wsum" or z in owned:
            continue
        parents = z.parents
        n = (len(parents) - 1) // 2
        params = []
        for p in (*parents[:n], parents[-1]):
            if not p.op and p not in owned and p not in params and p not in parents[n : 2 * n]:
                params.append(p)
        activation = _activation(z, kids[z], owned)
        match = Z_LABEL.match(z.label)
        title = f"neuron {match[1]}[{match[2]}]" if match else f"neuron #{len(boxes) + 1}"
        members = [*params, z] + ([activation] if activation is not None else [])
        owned.update(members)
        boxes.append(NeuronBox(z, activation, params, title, members))
    return boxes
