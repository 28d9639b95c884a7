"""Helpers for the viz tests: parse DOT with an independent parser, make random graphs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pygraphviz
from hypothesis import strategies as st

from pathgrad.autograd import Value

TOOLTIP_RATE = re.compile(r"= (\S+)$")


@dataclass
class Edge:
    tail: str
    head: str
    attr: dict[str, str]


def parse(source: str) -> tuple[dict[str, dict[str, str]], list[Edge], dict[str, str]]:
    """Nodes (name -> attributes), edges (in order, parallel ones kept) and graph attributes,
    read by Graphviz's own parser through pygraphviz, not by our code."""
    g = pygraphviz.AGraph(string=source)
    nodes = {str(n): dict(n.attr) for n in g.nodes()}
    edges = [Edge(str(e[0]), str(e[1]), dict(e.attr)) for e in g.edges()]
    return nodes, edges, dict(g.graph_attr)


def rate_of(edge: Edge) -> float:
    """The exact rate factor an operand edge carries in its tooltip (``∂y/∂x = 0.25``)."""
    match = TOOLTIP_RATE.search(edge.attr["tooltip"])
    assert match, edge.attr
    return float(match[1])


UNARY = [
    lambda a: a.tanh(),
    lambda a: a.sigmoid(),
    lambda a: a * 0.75,
    lambda a: 2 - a,
    lambda a: a**2,
    lambda a: -a,
    lambda a: a.exp(),
]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b]


@st.composite
def graphs(draw: Any, max_leaves: int = 3, max_ops: int = 10) -> tuple[list[Value], Value]:
    """A random expression DAG: operands drawn from every node so far (sharing and x*x)."""
    n = draw(st.integers(1, max_leaves))
    leaves = [Value(draw(st.floats(-1.2, 1.2, allow_nan=False)), label=f"x{i}")
              for i in range(n)]
    nodes: list[Value] = list(leaves)
    for _ in range(draw(st.integers(1, max_ops))):
        if draw(st.booleans()):
            f = draw(st.sampled_from(UNARY))
            nodes.append(f(draw(st.sampled_from(nodes))))
        else:
            g = draw(st.sampled_from(BINARY))
            nodes.append(g(draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))))
    return leaves, nodes[-1]
