"""viz.explore and viz.Explorer without a browser: the numbers the page carries against the
engine's own (``autograd.paths``, ``backward()``), a page that references nothing outside
itself, the widget in a notebook, size limits, and bad input (clear errors, no file written).
The page in a real browser: test_explore_browser.py."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from pathgrad.autograd import Value, count_paths, toposort
from pathgrad.demos.chain import build_chain
from pathgrad.nn.layers import MLP
from pathgrad.viz import MAX_NODES, explore
from pathgrad.viz.explore import build_scene, scene

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


def test_page_carries_the_graph_and_the_engines_numbers(tmp_path: Path) -> None:
    _, C = _mlp_loss()
    page = explore(C, tmp_path / "mlp.html")
    s = _scene_of(page)
    order = toposort(C)
    index = {v: i for i, v in enumerate(order)}
    assert len(s["nodes"]) == len(order)
    engine = s["engine"]
    assert len(engine["sig"]) == len(order) and engine["start"][-1] == len(s["factors"])
    for i, v in enumerate(order):
        node = s["nodes"][i]
        assert node["data"] == v.data and node["grad"] == v.grad  # exact: the engine's floats
        assert node["count"] == count_paths(C, v)
        assert engine["data"][i] == v.data and (engine["sig"][i] < 0) == (not v.parents)
        edges = engine["parents"][engine["start"][i]:engine["start"][i + 1]]
        assert edges == [index[p] for p in v.parents]
        kernel = engine["kernels"][engine["sig"][i]]["op"] if v.parents else None
        assert kernel == (v.op or None)
    # one kernel per (row, operands, constant) signature, both fast and checked
    assert engine["source"].count("(v, P, s, c, R) =>") == 2 * len(engine["kernels"])


def test_edges_and_replay_texts_come_from_the_rows() -> None:
    nodes = build_chain()
    C = nodes["C0"]
    s = scene(C)
    order = toposort(C)
    index = {v: i for i, v in enumerate(order)}
    a3 = nodes["a3"]
    e = s["engine"]["start"][index[a3]]
    assert s["factors"][e] == "σ'(z3)"
    assert s["rules"][s["nodes"][index[a3]]["rule"]].startswith("rule sigmoid (σ)")
    z1 = s["nodes"][index[nodes["z1"]]]
    assert (z1["expr"], z1["tpl"]) == ("w1·a0+b1", "⟦0⟧·⟦1⟧+⟦2⟧")


def test_no_backward_needs_no_warning_and_an_unlabelled_root_is_L() -> None:
    x = Value(2.0, label="x")
    y = x * x + 1.0  # no backward(): x.grad is 0, the page's own sweep gives ∂L/∂x = 4
    s = scene(y)
    assert s["nodes"][0]["grad"] == 4.0 and "stale" not in s
    assert s["root_name"] == "L" and s["title"].startswith("∂L/∂·")
    assert s["nodes"][-1]["name"] == "L"


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


def test_model_opens_on_the_network(tmp_path: Path) -> None:
    model, C = _mlp_loss()
    s = build_scene(model, loss=C)
    assert "<svg" in s["network"]["svg"] and s["svg"] is not None
    w = model.layers[0].neurons[0].w[1]
    i = s["network"]["weights"]["w2_0_1"]
    assert s["nodes"][i]["label"] == w.label and s["nodes"][i]["grad"] == w.grad
    # every number labelled ∂C/∂x is x.grad: the weights' and every other node's
    for n, v in zip(s["nodes"], toposort(C)):
        assert n["grad"] == pytest.approx(v.grad, rel=1e-12, abs=1e-15), n["name"]


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


def test_large_graph_groups_by_neuron_or_draws_the_part_nearest_the_output(tmp_path: Path) -> None:
    _, C = _mlp_loss([16, 16, 1], n_in=8)
    n = len(toposort(C))
    assert n > MAX_NODES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = _scene_of(explore(C, tmp_path / "big.html"))
    assert s["grouped"] and any(key.startswith("n") for key, _ in s["picture"]["cells"])
    y = Value(0.3, label="y0")
    for _ in range(300):  # 901 values and no long sum to box: the part nearest the output
        y = (y * 0.9 + 0.1).tanh()
    s = scene(y)
    assert s["picture"]["cut"] is not None and s["picture"]["cut"] <= MAX_NODES
    assert len(s["nodes"]) == 901 and len(s["picture"]["fixed"]) == s["picture"]["cut"]
    assert s["picture"]["fixed"][-1] == 900  # the output is drawn


def test_a_long_sum_is_a_box_and_above_the_live_limit_the_refusal_names_views(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    explore_module = importlib.import_module("pathgrad.viz.explore")

    xs = [Value(0.01 * k, label=f"x{k}") for k in range(300)]
    total = sum((x * 2.0).tanh() for x in xs)  # Python's sum: 0 + t0, then a chain of +
    s = scene(total)
    [box] = s["picture"]["boxes"]
    assert box["what"] == "Σ over 300 examples" and box["opens"] and len(box["aligned"]) == 300
    assert len(s["nodes"]) == len(toposort(total))
    monkeypatch.setattr(explore_module, "MAX_LIVE_NODES", 500)
    with pytest.raises(ValueError, match=r"1,200 value nodes, over MAX_LIVE_NODES = 500.*"
                                         r"Views that work: explore\(model"):
        explore(total, tmp_path / "live.html")
    assert not (tmp_path / "live.html").exists()


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
    assert s["nodes"][0]["grad"] == 1.0 and s["nodes"][0]["count"] == 1
    with ieee():
        z = Value(0.0, label="z")
        y = z.log() * Value(1.0, label="w")
        y.label = "y"
        y.backward()
        page = explore(y, tmp_path / "inf.html")
    s = _scene_of(page)  # strict JSON: no NaN or Infinity tokens
    [node] = [n for n in s["nodes"] if n["name"] == "z"]
    assert node["grad"] is None and s["engine"]["ieee"]
