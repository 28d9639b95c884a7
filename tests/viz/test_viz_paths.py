"""draw_paths: the highlighted edges are exactly the chosen paths' edges, each path in its own
colour, and the legend adds the products up to the gradient (closed forms as the oracle)."""

from __future__ import annotations

import html
import math
import re

import pytest
from hypothesis import given, settings
from viz_helpers import graphs, parse

from pathgrad.autograd import Value, count_paths, grad, top_paths, toposort
from pathgrad.nn.layers import MLP
from pathgrad.viz import draw_paths
from pathgrad.viz.style import DIM, PALETTE


def lit_edges(source: str) -> dict[str, list[str]]:
    """Operand edge id -> the path colours drawn on it (empty for a dimmed edge)."""
    _, edges, _ = parse(source)
    out = {}
    for e in edges:
        if "id" in e.attr:
            colors = e.attr["color"].split(":")
            out[e.attr["id"]] = [] if colors == [DIM] else colors
    return out


def expected_edges(root: Value, shown: list) -> dict[str, list[str]]:
    index = {v: i for i, v in enumerate(toposort(root))}
    want: dict[str, list[str]] = {}
    for j, p in enumerate(shown):
        for child, k in zip(p.nodes[1:], p.edge_indices):
            want.setdefault(f"e{index[child]}_{k}", []).append(PALETTE[j % len(PALETTE)])
    return want


def legend(source: str) -> str:
    label = parse(source)[2]["label"]
    return html.unescape(re.sub(r"<[^>]+>", "", label))  # the legend's text, no HTML tags


def multi(x0: float = 0.5) -> tuple[Value, Value]:
    x = Value(x0, label="x")
    u = x * x
    u.label = "u"
    v = x.tanh() + u
    v.label = "v"
    L = v * u + x.exp()
    L.label = "L"
    return L, x


def dL_dx(x: float) -> float:
    # L = (tanh x + x²)·x² + eˣ, differentiated by hand
    t = math.tanh(x)
    return (1 - t * t + 2 * x) * x * x + (t + x * x) * 2 * x + math.exp(x)


def test_highlighted_edges_are_exactly_the_top_paths() -> None:
    L, x = multi()
    assert count_paths(L, x) == 6
    source = draw_paths(L, x, k=3).source
    got = {e: cs for e, cs in lit_edges(source).items() if cs}
    assert got == expected_edges(L, top_paths(L, x, 3))
    assert len({c for cs in got.values() for c in cs}) == 3  # three paths, three colours


def test_the_legend_of_every_path_sums_to_the_gradient() -> None:
    L, x = multi()
    text = legend(draw_paths(L, x, k=7).source)
    total = float(re.search(r"Σ of all 6 paths = (\S+) = ∂L/∂x", text)[1])  # type: ignore[index]
    assert total == pytest.approx(dL_dx(0.5), rel=1e-6)
    rows = [p.product for p in top_paths(L, x, 10)]
    assert math.fsum(rows) == pytest.approx(dL_dx(0.5), rel=1e-12)
    for p in rows:
        assert f"= {p:.4g}" in text


def test_fewer_paths_than_all_report_their_share_and_the_gradient() -> None:
    L, x = multi()
    text = legend(draw_paths(L, x, k=2).source)
    shown = math.fsum(p.product for p in top_paths(L, x, 2))
    g = dL_dx(0.5)
    m = re.search(r"Σ of these 2 = (\S+), ([0-9.]+)% of the gradient ∂L/∂x = ([0-9.]+)"
                  r"\s*\(the sum over all 6 paths\)", text)
    assert m, text
    assert float(m[1]) == pytest.approx(shown, rel=1e-6)
    assert float(m[2]) == pytest.approx(100 * shown / g, abs=0.05)
    assert float(m[3]) == pytest.approx(g, rel=1e-6)
    assert "the top 2 of 6 by |product|" in text


def test_3b1b_chain_one_path_equals_the_chain_rule() -> None:
    w, a_prev, b = Value(0.8, label="w"), Value(0.6, label="a_prev"), Value(-0.2, label="b")
    z = w * a_prev + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    C = (a - 1.0) ** 2
    C.label = "C"
    source = draw_paths(C, w).source
    text = legend(source)
    s = 1 / (1 + math.exp(-(0.8 * 0.6 - 0.2)))
    closed = 0.6 * s * (1 - s) * 2 * (s - 1)  # ∂z/∂w · ∂a/∂z · ∂C/∂a
    assert "one path" in text and "a_prev · 1 · σ'(z) · 1 · 2(a−1)" in text
    m = re.search(r"the one path = (\S+) = ∂C/∂w", text)
    assert m and float(m[1]) == pytest.approx(closed, rel=1e-5)
    lit = {e for e, cs in lit_edges(source).items() if cs}
    assert lit == set(expected_edges(C, top_paths(C, w, 1)))
    assert len(lit) == 5  # w→×, ×→+, +→σ, σ→−, −→^2


@settings(max_examples=20, deadline=None)
@given(graphs(), )
def test_random_graphs_highlight_and_sum(g: tuple[list[Value], Value]) -> None:
    leaves, root = g
    x = leaves[0]
    n = count_paths(root, x)
    source = draw_paths(root, x, k=4).source
    got = {e: cs for e, cs in lit_edges(source).items() if cs}
    assert got == expected_edges(root, top_paths(root, x, 4))
    text = legend(source)
    if n == 0:
        assert "does not depend on" in text
    elif n <= 4:
        m = re.search(r"(?:Σ of all \S+ paths|the one path) = (\S+) = ", text)
        assert m, text
        assert float(m[1]) == pytest.approx(grad(root, [x])[0], rel=1e-5, abs=1e-6)


def test_paths_through_neuron_boxes() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    out = model([Value(0.3, label="x0"), Value(-0.4, label="x1")])
    assert isinstance(out, Value)
    loss = (out - 1.0) ** 2
    w = model.layers[0].neurons[0].w[0]
    source = draw_paths(loss, w, k=1, group="neuron").source
    nodes, edges, _ = parse(source)
    # w2[0,0] → z2[0] → a2[0] runs inside box n0, then into box n3 (z3[0]), then to C
    order = toposort(loss)
    c, d = f"v{order.index(loss)}", f"v{order.index(loss.parents[0])}"
    lit = [e for e in edges if e.attr.get("color", DIM) not in (DIM, "#444444")]
    assert sorted((e.tail.split(":")[0], e.head.split(":")[0]) for e in lit) == sorted([
        ("n0", "n3"), ("n3", f"{d}op"), (f"{d}op", d), (d, f"{c}op"), (f"{c}op", c)])
    assert PALETTE[0] in nodes["n0"]["label"] and PALETTE[0] in nodes["n3"]["label"]


def test_bad_arguments() -> None:
    L, x = multi()
    with pytest.raises(TypeError, match="wrt must be a Value, got float"):
        draw_paths(L, 0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be an int >= 1, got 0"):
        draw_paths(L, x, k=0)
    with pytest.raises(TypeError, match="k must be an int"):
        draw_paths(L, x, k=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="root must be a Value"):
        draw_paths("L", x)  # type: ignore[arg-type]


def test_a_count_beyond_float_range_is_written_in_the_legend() -> None:
    # 1,100 diamonds: 2^1100 ≈ 1.359e331 paths, more than a float holds
    from decimal import Decimal

    x = y = Value(0.1, label="x")
    for _ in range(1100):
        y = y.sin() + y.cos()
    y.label = "y"
    mantissa, exponent = format(Decimal(2**1100), ".3e").split("e+")
    source = draw_paths(y, x, k=2, max_nodes=None).source
    assert f"the top 2 of {mantissa}e{exponent} by |product|" in html.unescape(source)
