"""Labels are text in every picture (issue 27, defects 1 and 2).

The oracle is Graphviz itself: the DOT we write is parsed back by pygraphviz (Graphviz's own
parser) and the SVG by an XML parser; a label must come back as the same text (a tooltip), add
no attribute, node or link, and a label Graphviz cannot hold whole is drawn shortened with "…".
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

import pygraphviz
import pytest

from pathgrad.autograd import Value
from pathgrad.nn.matrix import Network
from pathgrad.viz import draw_dot, draw_network, draw_paths, explore, render, to_svg
from pathgrad.viz.style import LABEL_CHARS, TOOLTIP_CHARS, visible

INJECTION = '<b>, URL="javascript:alert(document.title)", target=<_self>'
XLINK = "{http://www.w3.org/1999/xlink}href"
SVG = "{http://www.w3.org/2000/svg}"


def chain(label: str) -> tuple[Value, Value]:
    x = Value(0.5, label=label)
    y = (x * 2.0).tanh() + x
    y.label = "y"
    return y, x


def links(svg: str) -> list[str]:
    """Every link target in an SVG (what a click can open)."""
    root = ET.fromstring(svg.encode("utf-8"))
    return [a.get(XLINK, "") or a.get("href", "") for a in root.iter(f"{SVG}a")
            if a.get(XLINK) or a.get("href")]


def tooltips(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8"))
    return [a.get("{http://www.w3.org/1999/xlink}title", "") for a in root.iter(f"{SVG}a")]


@pytest.mark.parametrize("label", [INJECTION, "<<TABLE><TR><TD>x</TD></TR></TABLE>>",
                                   '"; node [URL="javascript:1"]; "', "\\N \\G \\L",
                                   "] x [URL=javascript:1", "<>", "node", "a\nb",
                                   "&lt;b&gt; &amp; &#92;N"])
def test_a_label_reaches_graphviz_as_text(label: str) -> None:
    y, x = chain(label)
    plain, px = chain("x")
    pairs = ((draw_dot(y), draw_dot(plain)), (draw_paths(y, x), draw_paths(plain, px)))
    for graph, benign in pairs:
        parsed = pygraphviz.AGraph(string=graph.source)
        reference = pygraphviz.AGraph(string=benign.source)
        assert parsed.number_of_nodes() == reference.number_of_nodes()  # no node added
        assert parsed.number_of_edges() == reference.number_of_edges()
        assert not any(n.attr.get("URL") or n.attr.get("href") for n in parsed.nodes())
        assert not any(e.attr.get("URL") or e.attr.get("href") for e in parsed.edges())
        svg = to_svg(graph)
        assert links(svg) == []
        assert label in tooltips(svg)  # as written: no escape of Graphviz's expanded


def test_the_reproducer_carries_no_javascript_link_in_any_writer(tmp_path) -> None:
    y, x = chain(INJECTION)
    y.backward()
    render(draw_dot(y), tmp_path / "g.svg")
    render(draw_paths(y, x), tmp_path / "p.svg")
    page = explore(y, tmp_path / "e.html", wrt=x)
    from pathgrad.viz import Explorer

    widget = Explorer(y)
    for svg in ((tmp_path / "g.svg").read_text(), (tmp_path / "p.svg").read_text(),
                widget.scene["svg"]):
        assert links(svg) == []
    assert not re.search(r"href\s*=\s*\\?[\"']?javascript", page.read_text())


def test_draw_network_writes_an_activation_name_as_text() -> None:
    net = Network([2, 2, 1], seed=0)
    net.layer_activations[0] = dataclasses.replace(net.layer_activations[0], name=INJECTION)
    graph = draw_network(net)
    parsed = pygraphviz.AGraph(string=graph.source)
    assert not any(n.attr.get("URL") for n in parsed.nodes())
    captions = [s.graph_attr.get("label") for s in parsed.subgraphs()]
    assert f"layer 2: hidden, {INJECTION}" in captions
    assert links(to_svg(graph)) == []


@pytest.mark.parametrize("label", ["C:\\", "a\x00b", "x" * 17_000, "\\" * 9000,
                                   "é" * 5000, "\x1b[31m\x7f", "<" * 20_000, "\U0001F600" * 5000])
def test_awkward_labels_are_drawn(label: str, tmp_path) -> None:
    y, x = chain(label)
    y.backward()
    for graph in (draw_dot(y), draw_paths(y, x)):
        svg = to_svg(graph)  # no DotError
        ET.fromstring(svg.encode("utf-8"))  # valid XML: no NUL or ESC reached it
        root = ET.fromstring(svg.encode("utf-8"))
        texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
        shown = [t for t in texts if t and t[0] == visible(label)[0]]
        assert shown and all(len(t) <= LABEL_CHARS for t in shown)
        if len(label) > LABEL_CHARS:
            assert any(t.endswith("…") for t in shown)
    tips = tooltips(to_svg(draw_dot(y)))
    if len(label) <= TOOLTIP_CHARS:
        assert label.replace("\x00", "␀").replace("\x1b", "␛").replace("\x7f", "␡") in tips
    else:
        assert f"… ({len(label):,} characters in all)" in "".join(tips)
    explore(y, tmp_path / "page.html", wrt=x)  # the page too


def test_a_lone_surrogate_is_refused_by_name() -> None:
    y, _ = chain("bad\ud800label")
    with pytest.raises(ValueError, match=r"lone surrogate \(U\+D800"):
        draw_dot(y)


def test_render_of_the_reproducers_gives_files(tmp_path) -> None:
    for n, label in enumerate(["C:\\", "a\x00b", "z" * 17_000]):
        out = render(draw_dot(chain(label)[0]), tmp_path / f"{n}.png")
        assert out.read_bytes()[:4] == b"\x89PNG"


def test_a_lone_surrogate_in_a_page_is_a_named_error(tmp_path) -> None:
    y, _ = chain("x")
    with pytest.raises(ValueError, match=r"lone surrogate \(U\+DC80\)"):
        explore(y, tmp_path / "page.html", title="t\udc80")
    assert not (tmp_path / "page.html").exists()


def test_the_page_escapes_markup_in_its_json(tmp_path) -> None:
    y, _ = chain("<!--<script>&")
    text = explore(y, tmp_path / "page.html", title="</script>").read_text(encoding="utf-8")
    blob = text.split('id="pathgrad-scene">', 1)[1].split("</script>", 1)[0]
    assert not set("<>&") & set(blob)
    import json

    assert json.loads(blob)["nodes"][0]["label"] == "<!--<script>&"
