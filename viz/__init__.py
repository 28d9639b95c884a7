"""viz: pictures of the chain rule — computation graphs with every edge's local derivative,
the largest derivative paths highlighted, and neural-network diagrams — rendered by the
Graphviz engine bundled in the pygraphviz wheel (no system ``dot`` needed).

* ``draw_dot(root)``: a node per value (label, data, grad), a node per op, each edge labelled
  with its rate factor; ``group="neuron"`` collapses neurons into boxes; over ``max_nodes``
  (``MAX_NODES``, 250) it warns and returns a note instead of an unreadable picture.
* ``draw_paths(root, wrt, k=3)``: the k largest paths from ``wrt`` in colour, with a legend
  that adds their products up to ∂root/∂wrt.
* ``draw_network(model, by="weight"|"grad")``: Nielsen's diagrams for ``nn`` and
  ``nn.matrix.Network`` models (a, z, δ per neuron).
* ``explore(root, "page.html")``: one self-contained page — click a node and its paths
  light up; Step / Back / Play / Reset replay the backward pass. ``Explorer(root)`` is the
  same in a notebook (an anywidget widget, imported on first use).
* ``playground(model, X, Y, "page.html")``: one self-contained page that trains the model
  (the step written from the compiled tape): the decision boundary, a heat map per hidden
  neuron, any point's graph with its paths, a slider over every step; ``Playground(model, X,
  Y)`` is the same widget, its model following the page.
* ``render(graph, "file.svg")``: SVG, PNG, PDF or DOT by extension, written atomically. Every
  graph is a ``viz.Digraph`` (a ``graphviz.Digraph``) that displays inline in Jupyter.
* ``animate(root, "backward.gif", wrt=None, fps=2)``: the reverse sweep (or, with ``wrt``,
  the paths adding up to the gradient) as a GIF or MP4, one frame per step.
* ``spreadsheet(root, "graph.xlsx")``: the graph as a live workbook, every value, rate factor
  and gradient a formula; a paths sheet; ``exercise=True`` hides the gradients behind checks.
* ``use_bundled_graphviz()``: one opt-in call after which any ``graphviz.Digraph`` (micrograd's
  lecture ``draw_dot``) renders and displays with no system ``dot``.
* ``python -m pathgrad.viz.examples [outdir]`` redraws the README's pictures (``docs/img``).

>>> from pathgrad.autograd import Value
>>> from pathgrad.viz import draw_dot, to_svg
>>> x = Value(0.5, label="x")
>>> "<svg" in to_svg(draw_dot((2 * x).tanh()))
True
"""

from typing import TYPE_CHECKING

from .animate import animate
from .dot import MAX_NODES, draw_dot
from .explore import explore
from .network import draw_network
from .paths import draw_paths
from .playground import playground
from .rendering import Digraph, render, to_svg, use_bundled_graphviz
from .spreadsheet import spreadsheet

if TYPE_CHECKING:
    from .playground_widget import Playground
    from .widget import Explorer

__all__ = [
    "MAX_NODES",
    "Digraph",
    "Explorer",
    "Playground",
    "animate",
    "draw_dot",
    "draw_network",
    "draw_paths",
    "explore",
    "playground",
    "render",
    "spreadsheet",
    "to_svg",
    "use_bundled_graphviz",
]


def __getattr__(name: str) -> object:
    # The widget imports anywidget and ipywidgets (a second or so): only when asked for.
    if name == "Explorer":
        from .widget import Explorer

        return Explorer
    if name == "Playground":
        from .playground_widget import Playground

        return Playground
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
