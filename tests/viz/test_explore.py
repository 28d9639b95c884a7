"""viz.explore and viz.Explorer without a browser: the numbers the page carries against the
engine's own (``autograd.paths``, ``backward()``), a page that references nothing outside
itself, the widget in a notebook, size limits, and bad input (clear errors, no file written).
The page in a real browser: test_explore_browser.py."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from pathgrad.autograd import Value, count_paths, top_paths, toposort
from pathgrad.demos.chain import build_chain
from pathgrad.nn.layers import MLP
from pathgrad.viz import MAX_NODES, explore
from pathgrad.viz.explore import K_PATHS, MAX_PATHS, build_scene, scene

ASSETS = Path(__file__).resolve().parents[2] / "viz" / "explorer"


def _mlp_loss(sizes: list[int] | None = None, n_in: int = 2) -> tuple[MLP, Value]:
    model = MLP(n_in, sizes or [4, 4, 1], activation="tanh", seed=1)
    out = model([Value(0.5 - 0.1 * k, label=f"a1[{k}]") for k in range(n_in)])
    assert isinstance(out, Value)
    C = (out - 1.0) ** 2
    C.label = "C"
    C.backward()
    return model, C


def _scene_of(page: Path) -> dict[str, Any]:
    text = page.read_text(encoding="utf-8")
    blob = re.search(r'<script type="application/json" id="pathgrad-scene">(.*?)</script>',
                     text, re.S)
    assert blob is not None
    return dict(json.loads(blob[1]))


def test_page_carries_the_engines_paths_and_grads(tmp_path: Path) -> None:
    _, C = _mlp_loss()
    page = explore(C, tmp_path / "mlp.html")
    s = _scene_of(page)
    order = toposort(C)
    assert len(s["nodes"]) == len(order)
    for i, v in enumerate(order):
        node = s["nodes"][i]
        assert node["data"] == v.data and node["grad"] == v.grad  # exact: the engine's floats
        info = s["paths"][i]
        assert info["count"] == count_paths(C, v)
        want = [p.product for p in top_paths(C, v, MAX_PATHS)]
        assert [p["product"] for p in info["paths"]] == want
        if info["count"] <= MAX_PATHS:
            assert math.isclose(math.fsum(want), v.grad, rel_tol=1e-12, abs_tol=1e-15)
        assert (info["legend_all"] is not None) == (len(want) > K_PATHS)


def test_backward_replay_is_the_engines_sweep() -> None:
    nodes = build_chain()
    C = nodes["C0"]
    C.backward()
    s = scene(C)
    order = toposort(C)
    index = {v: i for i, v in enumerate(order)}
    assert [st["node"] for st in s["backward"]] == [index[v] for v in reversed(order)]
    assert [st["node"] for st in s["forward"]] == list(range(len(order)))
    final: dict[int, str] = {len(order) - 1: s["backward"][0]["grad_text"]}
    for st in s["backward"]:
        for j, text in st["updates"]:
            final[j] = text
    for i, v in enumerate(order):
        assert final[i] == f"grad {v.grad:.4f}", (v.label, final[i], v.grad)
    # the chain-rule line of the node z3 = w3·a2 + b3 for its bias: b3.grad += 1 × z3.grad
    z3 = nodes["z3"]
    [step] = [st for st in s["backward"] if st["node"] == index[z3]]
    want = f"b3.grad += 1 × {z3.grad:.4g}".replace("-", "−").replace("× −", "× (−")
    assert any(line.startswith(want) for line in step["lines"]), step["lines"]
    a3 = nodes["a3"]
    [edge] = [e for e in s["edges"] if e["id"] == f"e{index[a3]}_0"]
    assert edge["tip"] == f"∂a3/∂z3 = σ'(z3) = {a3.local_grads[0]:.4g}"
    assert edge["rule"].startswith("rule sigmoid (σ)")


def test_forward_lines_name_and_number_each_operand() -> None:
    nodes = build_chain()
    s = scene(nodes["C0"])
    lines = [f["line"] for f in s["forward"]]
    z1 = nodes["z1"]
    assert any(line.startswith("z1 = w1·a0+b1 = 0.9·0.6+0.2 = ") for line in lines), lines
    assert f"{z1.data:.4g}" in next(line for line in lines if line.startswith("z1 ="))


def test_page_is_self_contained(tmp_path: Path) -> None:
    _, C = _mlp_loss()
    text = explore(C, tmp_path / "p.html").read_text(encoding="utf-8")
    js = (ASSETS / "explorer.js").read_text(encoding="utf-8")
    assert js in text  # the package's one script, inline
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text, re.I)
    assert "<link" not in text and "@import" not in text and "fetch(" not in text
    # the only URLs are XML namespaces, which are names, not requests
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert _scene_of(tmp_path / "p.html")["svg"].startswith("<svg")  # no XML prolog, no DTD


def test_wrt_preselects_and_title(tmp_path: Path) -> None:
    nodes = build_chain()
    C = nodes["C0"]
    s = _scene_of(explore(C, tmp_path / "c.html", wrt=nodes["w2"], title="chain <3>"))
    assert s["nodes"][s["select"]]["name"] == "w2"
    assert "<title>chain &lt;3&gt;</title>" in (tmp_path / "c.html").read_text("utf-8")


def test_stale_grads_are_reported_not_shown() -> None:
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"  # no backward(): x.grad is 0, the page shows ∂y/∂x = 4 and says why
    s = scene(y)
    assert s["nodes"][0]["grad"] == 4.0 and s["n_stale"] == 2 and "x" in s["stale"]


def test_model_opens_on_the_network(tmp_path: Path) -> None:
    model, C = _mlp_loss()
    s = build_scene(model, loss=C)
    assert "<svg" in s["network"]["svg"] and s["svg"] is not None
    w = model.layers[0].neurons[0].w[1]
    i = s["network"]["weights"]["w2_0_1"]
    assert s["nodes"][i]["label"] == w.label and s["nodes"][i]["grad"] == w.grad
    assert ["w2_0_1", "L2_0"] == s["paths"][i]["network"][0][:2]
    # every number labelled ∂C/∂x is x.grad: the weights' and every other node's
    for n in s["nodes"]:
        assert n["grad"] == pytest.approx(n["user_grad"], rel=1e-12, abs=1e-15), n["name"]


def test_model_without_its_loss_is_refused(tmp_path: Path) -> None:
    """The reviewer's case: paths to the output (∂z4[0]/∂w3[3,2] = −0.0637) beside a .grad of
    0.2240 under the diagram's "∂C/∂w". The page asks for loss= instead, and writes nothing."""
    m = MLP(2, [4, 4, 1], seed=3)
    loss = (m([0.5, -1.2]) - 1.0) ** 2
    loss.backward()
    target = tmp_path / "p.html"
    with pytest.raises(ValueError, match=r"needs the loss.*loss=C"):
        explore(m, target)
    assert not target.exists()
    s = _scene_of(explore(m, target, loss=loss))
    w = m.layers[1].neurons[3].w[2]
    i = s["network"]["weights"]["w3_3_2"]
    assert s["nodes"][i]["grad"] == pytest.approx(w.grad, rel=1e-12)
    assert s["paths"][i]["gradient"] == pytest.approx(w.grad, rel=1e-12)
    other = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="does not depend on this model"):
        explore(other, tmp_path / "q.html", loss=loss)


def test_matrix_network_shows_the_diagram_only(tmp_path: Path) -> None:
    import numpy as np

    from pathgrad.nn.matrix import Network

    net = Network([2, 3, 1], seed=0)
    net.backprop(np.array([[0.5], [-1.0]]), np.array([[1.0]]))
    s = _scene_of(explore(net, tmp_path / "net.html"))
    assert s["svg"] is None and "<svg" in s["network"]["svg"] and s["nodes"] == []


def test_large_graph_groups_by_neuron_and_huge_is_refused(tmp_path: Path) -> None:
    _, C = _mlp_loss([16, 16, 1], n_in=8)
    n = len(toposort(C))
    assert n > MAX_NODES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = _scene_of(explore(C, tmp_path / "big.html"))
    assert s["grouped"] and any(node["drawn"].startswith("n") for node in s["nodes"])
    total = Value(0.0)
    for k in range(700):
        total = total + Value(float(k)) * 2.0
    with pytest.raises(ValueError, match=rf"2,101 value nodes .*over {MAX_NODES}.*smaller"):
        explore(total, tmp_path / "huge.html")
    assert not (tmp_path / "huge.html").exists()


@pytest.mark.parametrize("bad", [1.5, "C", None, [Value(1.0)]])
def test_root_that_is_not_a_value(tmp_path: Path, bad: Any) -> None:
    with pytest.raises(TypeError, match="needs a Value"):
        explore(bad, tmp_path / "bad.html")
    assert list(tmp_path.iterdir()) == []


def test_wrt_not_in_the_graph_and_not_a_value(tmp_path: Path) -> None:
    x = Value(1.0, label="x")
    y = x * 2.0
    target = tmp_path / "y.html"
    target.write_text("before", encoding="utf-8")
    with pytest.raises(ValueError, match="not in the graph"):
        explore(y, target, wrt=Value(3.0, label="other"))
    with pytest.raises(TypeError, match="wrt must be a Value"):
        explore(y, target, wrt=3.0)  # type: ignore[arg-type]
    assert target.read_text(encoding="utf-8") == "before"  # an existing file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y.html"]


def test_missing_folder_and_wrong_extension(tmp_path: Path) -> None:
    y = Value(1.0) * 2.0
    with pytest.raises(FileNotFoundError, match="no directory"):
        explore(y, tmp_path / "nope" / "y.html")
    with pytest.raises(ValueError, match=r"should end in \.html"):
        explore(y, tmp_path / "y.svg")
    assert list(tmp_path.iterdir()) == []


def test_widget_uses_the_same_script() -> None:
    from pathgrad.viz import Explorer

    js = (ASSETS / "explorer.js").read_text(encoding="utf-8")
    w = Explorer(Value(2.0, label="x") * 3.0)
    assert w._esm == js and "export default" in js
    assert w.scene["root_name"]


def test_widget_in_a_notebook(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from pathgrad.autograd import Value\n"
        "from pathgrad.viz import Explorer\n"
        "x = Value(0.5, label='x'); w = Value(-1.5, label='w')\n"
        "y = (w * x).tanh(); y.label = 'y'; y.backward()\n"
        "Explorer(y, wrt=w)")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    [out] = nb.cells[0].outputs
    view = out["data"]["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] and "text/plain" in out["data"]


def test_a_lone_leaf_and_infinite_grads_make_valid_pages(tmp_path: Path) -> None:
    from pathgrad.autograd import ieee

    s = _scene_of(explore(Value(2.0, label="x"), tmp_path / "leaf.html"))
    assert s["nodes"][0]["grad"] == 1.0 and s["paths"][0]["count"] == 1
    with ieee():
        z = Value(0.0, label="z")
        y = z.log() * Value(1.0, label="w")
        y.label = "y"
        y.backward()
        page = explore(y, tmp_path / "inf.html")
    s = _scene_of(page)  # strict JSON: no NaN or Infinity tokens
    [node] = [n for n in s["nodes"] if n["name"] == "z"]
    assert node["grad"] is None and node["grad_text"] == "grad inf"
