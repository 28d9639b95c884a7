"""viz: pictures of the chain rule — computation graphs with every edge's local derivative,
the largest derivative paths highlighted, and neural-network diagrams — rendered by the
Graphviz engine bundled in the pygraphviz wheel (no system ``dot`` needed).

>>> from autograd import Value
>>> from viz import draw_dot, to_svg
>>> x = Value(0.5, label="x")
>>> "<svg" in to_svg(draw_dot((2 * x).tanh()))
True
"""

from .dot import MAX_NODES, draw_dot, find_neurons, op_text
from .network import draw_network, network_view
from .paths import draw_paths
from .rendering import FORMATS, Digraph, pipe, render, to_svg

__all__ = [
    "FORMATS",
    "MAX_NODES",
    "Digraph",
    "draw_dot",
    "draw_network",
    "draw_paths",
    "find_neurons",
    "network_view",
    "op_text",
    "pipe",
    "render",
    "to_svg",
]
