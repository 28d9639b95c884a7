"""use_bundled_graphviz: micrograd's lecture ``draw_dot`` (a plain ``graphviz.Digraph``)
renders, pipes and displays with no ``dot`` on PATH after one opt-in call, and not before."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

LECTURE = '''
from graphviz import Digraph

def trace(root):
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()
    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges

def draw_dot(root, format='svg', rankdir='LR'):
    assert rankdir in ['LR', 'TB']
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={'rankdir': rankdir})
    for n in nodes:
        dot.node(name=str(id(n)), label = "{ data %.4f | grad %.4f }" % (n.data, n.grad),
                 shape='record')
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot
'''

SCRIPT = LECTURE + '''
import shutil, sys, graphviz
from pathgrad.autograd import Value
from pathgrad import viz
assert shutil.which("dot") is None
a, b = Value(2.0), Value(-3.0)
L = (a * b + 10.0).tanh()
L.backward()
dot = draw_dot(L)
try:
    dot.pipe()
    print("piped before opting in")
except graphviz.ExecutableNotFound:
    print("not routed on import")
viz.use_bundled_graphviz()
viz.use_bundled_graphviz()  # twice: harmless
svg = dot.pipe().decode()
assert svg.lstrip().startswith("<?xml") and "grad" in svg, svg[:200]
out = dot.render(sys.argv[1] + "/lecture")
print("rendered", out)
png = dot.render(sys.argv[1] + "/lecture_png", format="png")
assert open(png, "rb").read()[:4] == b"\\x89PNG"
bundle = dot._repr_mimebundle_()
assert "<svg" in bundle["image/svg+xml"]
ours = viz.draw_dot(L)
print("ours", ours.render(sys.argv[1] + "/ours", format="svg"))
print("ok")
'''


def test_the_lectures_draw_dot_renders_without_dot_after_opting_in(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT), str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "not routed on import"
    assert (tmp_path / "lecture.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "lecture").read_text().startswith("digraph")  # the DOT file, as graphviz
    assert (tmp_path / "ours.svg").exists() and lines[-1] == "ok"


def test_viz_graphs_render_without_opting_in(tmp_path: Path) -> None:
    code = textwrap.dedent('''
        import sys
        from pathgrad.autograd import Value
        from pathgrad.viz import draw_dot
        g = draw_dot(Value(2.0, label="x") * 3)
        print(g.render(sys.argv[1] + "/g", format="png"))
    ''')
    env = {**os.environ, "PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
