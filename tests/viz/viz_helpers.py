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


def text_of(label: str) -> str:
    """A label's text: an HTML-like label (``<TABLE…><TD>3</TD>…``) without its tags."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", label))


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


@dataclass
class Layout:
    """What Graphviz's own layout (its JSON output) says about a picture, in points."""

    width: float
    height: float
    fonts: list[float]
    label_boxes: list[tuple[float, float, float, float]]  # edge labels: x0, y0, x1, y1
    edge_paths: list[list[tuple[float, float]]]  # each edge's bezier points, sampled

    @property
    def ratio(self) -> float:
        return max(self.width / self.height, self.height / self.width)

    def min_text_px(self, shown: float = 1000.0) -> float:
        """The smallest text in pixels with the picture shown ``shown`` px wide (or at its
        own size, 96 dpi, when it is narrower than that)."""
        scale = min(shown / self.width, 96 / 72)
        return min(self.fonts) * scale

    def labels_on_edges(self) -> int:
        """How many edge-label boxes some edge's path passes through."""
        hits = 0
        for x0, y0, x1, y1 in self.label_boxes:
            # 1 pt in from each side: a glyph's side bearing (text that only touches a line)
            if any(x0 + 1 < x < x1 - 1 and y0 < y < y1 for path in self.edge_paths
                   for x, y in path):
                hits += 1
        return hits


def _bezier(points: list[list[float]], steps: int = 12) -> list[tuple[float, float]]:
    out = []
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        for s in range(steps + 1):
            t = s / steps
            a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
            out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                        a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def layout(source: str) -> Layout:
    """Lay ``source`` out with the bundled Graphviz and read sizes back from its JSON."""
    return read_layout(pygraphviz.AGraph(string=source).draw(format="json", prog="dot"))


def read_layout(json_text: bytes | str) -> Layout:
    """Sizes, fonts, edge-label boxes and edge paths from Graphviz's JSON output."""
    import json

    out = json.loads(json_text)
    x0, y0, x1, y1 = map(float, out["bb"].split(","))
    fonts: list[float] = []
    for obj in out.get("objects", []) + out.get("edges", []) + [out]:
        for key in ("_ldraw_", "_hldraw_", "_tldraw_"):
            fonts += [float(op["size"]) for op in obj.get(key, []) if op["op"] == "F"]
    boxes, paths = [], []
    for e in out.get("edges", []):
        if e.get("style") == "invis":
            continue
        for op in e.get("_draw_", []):
            if op["op"] == "b":
                paths.append(_bezier(op["points"]))
        size = 10.0
        for op in e.get("_ldraw_", []):
            if op["op"] == "F":
                size = float(op["size"])
            if op["op"] == "T":
                x, y, w = float(op["pt"][0]), float(op["pt"][1]), float(op["width"])
                left = x - w / 2 if op["align"] == "c" else (x - w if op["align"] == "r" else x)
                boxes.append((left, y - 0.25 * size, left + w, y + 0.8 * size))
    return Layout(x1 - x0, y1 - y0, fonts, boxes, paths)
