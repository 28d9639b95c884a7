"""Paths: the sum over all paths equals grad; counts, enumeration and top paths against brute force.

The brute-force oracle below walks *backwards* from the output over the parents (the engine's
own direction), independently of ``autograd.paths``, which walks forwards over child lists.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections import Counter

import pytest
import sympy as sp
from dag_strategies import Dag, dags
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad import autograd
from pathgrad.autograd import (
    Path,
    Value,
    all_contributions,
    contributions,
    count_paths,
    grad,
    paths,
    top_paths,
    weighted_sum,
)
from pathgrad.autograd.graph import reverse_sweep, toposort
from pathgrad.autograd.paths import (
    _forward_edges,
    _log_magnitude,
    _ranked_options,
    factor_name,
    node_name,
)

Key = tuple[tuple[int, int], ...]  # ((id(child), operand position), ...) from node to output


def brute_paths(output: Value, node: Value) -> list[tuple[Key, float]]:
    """Every path as (edge key, product), by an explicit-stack walk from the output backwards."""
    found: list[tuple[Key, float]] = []
    stack: list[tuple[Value, tuple[tuple[int, int], ...], tuple[float, ...]]] = [
        (output, (), ())
    ]
    while stack:
        v, key, rates = stack.pop()
        if v is node:
            found.append((tuple(reversed(key)), math.prod(reversed(rates))))
        for k, (p, r) in enumerate(zip(v.parents, v.local_grads)):
            stack.append((p, (*key, (id(v), k)), (*rates, r)))
    return found


def key_of(p: Path) -> Key:
    return tuple((id(c), k) for c, k in zip(p.nodes[1:], p.edge_indices))


def assert_well_formed(p: Path, output: Value, node: Value) -> None:
    assert p.nodes[0] is node and p.nodes[-1] is output
    assert len(p.factors) == len(p.edge_indices) == len(p.nodes) - 1 == len(p.names)
    for i, k in enumerate(p.edge_indices):
        child = p.nodes[i + 1]
        assert child.parents[k] is p.nodes[i]
        assert child.local_grads[k] == p.factors[i]


def diamond_ladder(n: int, seed: int | None = None) -> tuple[Value, Value]:
    """n diamonds in a row: v -> (v·c1, v·c2) -> their sum; 2**n paths from x to the end."""
    rng = random.Random(seed)
    x = Value(0.7, label="x")
    v = x
    for _ in range(n):
        c1, c2 = (rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)) if seed is not None else (
            0.4, 0.6)
        v = v * c1 + v * c2
    return v, x


def three_blue_one_brown(y: Value | float) -> dict[str, Value]:
    """One neuron per layer, the chapter's last step: z = w a_prev + b, a = σ(z), C0 = (a − y)²."""
    w, a_prev, b = Value(0.83, label="w"), Value(0.31, label="a_prev"), Value(-0.4, label="b")
    z = w * a_prev + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    C = (a - y) ** 2
    C.label = "C"
    return {"w": w, "a_prev": a_prev, "b": b, "z": z, "a": a, "C": C}


@st.composite
def dense_dags(draw: st.DrawFn) -> tuple[Value, list[Value]]:
    """Deeper graphs whose ops draw operands from the last few nodes: many shared
    sub-expressions, hundreds to thousands of paths, ``x*x``-style repeats, wsum and sum nodes."""
    leaves = [
        Value(draw(st.floats(-1.5, 1.5, allow_nan=False)), label=f"x{i}")
        for i in range(draw(st.integers(1, 3)))
    ]
    nodes = list(leaves)
    for _ in range(draw(st.integers(4, 28))):
        recent = nodes[-4:]
        pick = st.sampled_from(recent)
        op = draw(st.sampled_from(["add", "mul", "sub", "square", "tanh", "sin", "wsum", "sum",
                                   "div", "sigmoid"]))
        a, b = draw(pick), draw(pick)
        if op == "add":
            v = a + b
        elif op == "mul":
            v = a * b
        elif op == "sub":
            v = a - b
        elif op == "square":
            v = a * a
        elif op == "tanh":
            v = a.tanh()
        elif op == "sin":
            v = a.sin()
        elif op == "sigmoid":
            v = a.sigmoid()
        elif op == "div":
            v = a / (b * b + 1.0)
        elif op == "wsum":
            v = weighted_sum([a, b], [b, draw(pick)], draw(pick))
        else:
            v = autograd.sum_values([a, b, draw(pick)])
        if abs(v.data) > 4.0:
            v = v.tanh()
        nodes.append(v)
    return nodes[-1], leaves


# ---- the sum over paths is the gradient ------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(dense_dags())
def test_sum_of_path_products_equals_grad_on_dense_dags(graph: tuple[Value, list[Value]]) -> None:
    out, _ = graph
    nodes = toposort(out)
    grads = grad(out, nodes)
    for node, g in zip(nodes, grads):
        want = brute_paths(out, node) if count_paths(out, node) <= 1000 else None
        if want is None:
            continue
        got = list(paths(out, node))
        assert count_paths(out, node) == len(got) == len(want)
        assert Counter(key_of(p) for p in got) == Counter(k for k, _ in want)
        products = [p.product for p in got]
        scale = math.fsum(abs(q) for q in products)
        assert abs(math.fsum(products) - g) <= 1e-12 * max(scale, 1e-300), (node, g)
        top = top_paths(out, node, 7)
        expected = sorted((abs(q) for _, q in want), reverse=True)[:7]
        for t, e in zip(top, expected):
            assert math.isclose(abs(t.product), e, rel_tol=1e-12, abs_tol=1e-300)


@settings(max_examples=50, deadline=None)
@given(dags())
def test_sum_of_path_products_equals_grad(dag: Dag) -> None:
    out = dag.output
    nodes = toposort(out)
    grads = grad(out, nodes)
    for node, g in zip(nodes, grads):
        if count_paths(out, node) > 5000:
            continue
        products = [p.product for p in paths(out, node)]
        # relative 1e-12 of the sum of |products|: the scale on which rounding happens even
        # where the paths cancel
        scale = math.fsum(abs(q) for q in products)
        assert abs(math.fsum(products) - g) <= 1e-12 * max(scale, 1e-300), (node, g)
        if scale <= 2 * abs(g):  # no heavy cancellation: plain relative error too
            assert math.isclose(math.fsum(products), g, rel_tol=1e-12, abs_tol=1e-300)


@settings(max_examples=40, deadline=None)
@given(dags())
def test_paths_match_brute_force_enumeration(dag: Dag) -> None:
    out = dag.output
    for node in toposort(out):
        want = brute_paths(out, node)
        if len(want) > 3000:
            continue
        got = list(paths(out, node))
        assert count_paths(out, node) == len(want) == len(got)
        assert Counter(key_of(p) for p in got) == Counter(k for k, _ in want)
        assert len({key_of(p) for p in got}) == len(got)  # no path twice
        for p in got:
            assert_well_formed(p, out, node)


@settings(max_examples=40, deadline=None)
@given(dags(), st.integers(1, 12))
def test_top_paths_equal_a_brute_force_sort(dag: Dag, k: int) -> None:
    out = dag.output
    for node in toposort(out):
        want = brute_paths(out, node)
        if len(want) > 3000:
            continue
        top = top_paths(out, node, k)
        assert len(top) == min(k, len(want))
        # ties may pick different paths: compare the |products| as multisets
        expected = sorted((abs(q) for _, q in want), reverse=True)[:k]
        got = [abs(p.product) for p in top]
        assert got == sorted(got, reverse=True)
        for a, b in zip(got, expected):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)
        assert len({key_of(p) for p in top}) == len(top)
        valid = {kk for kk, _ in want}
        for p in top:
            assert key_of(p) in valid
            assert_well_formed(p, out, node)


@settings(max_examples=40, deadline=None)
@given(dags())
def test_top_paths_bound_is_the_max_plus_log_reverse_sweep(dag: Dag) -> None:
    # top_paths fuses the (max, +log) sweep with its ranking; both must still be that sweep,
    # and the best Σ log|rate| of a brute-force enumeration
    out = dag.output
    for node in toposort(out):
        kept, children = _forward_edges(out, node)
        if not kept or node is out:
            continue
        best, _ = _ranked_options(kept, children)
        swept = reverse_sweep(kept, 0.0, max, lambda b, rate: b + _log_magnitude(rate))
        assert best[node] == swept[node]
        # Σ log|rate| along every path, summed in logs (log|Π| would underflow: subnormal and
        # zero products, x0 = 4e-301 or 5e-324, were found by hypothesis)
        logs = _brute_log_sums(out, node, limit=3000)
        if logs:
            top = max(logs)
            assert best[node] == top or math.isclose(best[node], top, abs_tol=1e-9)


def _brute_log_sums(output: Value, node: Value, limit: int) -> list[float]:
    """Σ log|rate| of every path from node to output (log 0 = −inf), or [] past ``limit``."""
    found: list[float] = []
    stack = [(output, 0.0)]
    while stack:
        v, total = stack.pop()
        if v is node:
            found.append(total)
            if len(found) > limit:
                return []
        for p, r in zip(v.parents, v.local_grads):
            stack.append((p, total + (math.log(abs(r)) if r != 0.0 else -math.inf)))
    return found


def test_sum_over_paths_against_sympy() -> None:
    # y = x·w + sin(x)·x + (x·w)² : independent symbolic oracle, no engine gradient involved
    x, w = Value(0.6, label="x"), Value(-1.3, label="w")
    xw = x * w
    y = xw + x.sin() * x + xw**2
    sx, sw = sp.symbols("x w")
    expr = sx * sw + sp.sin(sx) * sx + (sx * sw) ** 2
    for leaf, sym in ((x, sx), (w, sw)):
        want = float(sp.diff(expr, sym).subs({sx: 0.6, sw: -1.3}).evalf(30))
        got = math.fsum(p.product for p in paths(y, leaf))
        assert math.isclose(got, want, rel_tol=1e-13)
    # x -> xw -> +, x -> xw -> xw² -> +, x -> sin -> sin·x -> +, x -> sin·x -> +
    assert count_paths(y, x) == 4
    assert count_paths(y, x) == len(brute_paths(y, x))


def test_x_times_x_has_two_paths_one_per_edge() -> None:
    x = Value(3.0, label="x")
    y = x * x
    ps = list(paths(y, x))
    assert [p.edge_indices for p in ps] == [(0,), (1,)]
    assert [p.factors for p in ps] == [(3.0,), (3.0,)]
    assert count_paths(y, x) == 2
    assert sum(p.product for p in ps) == grad(y, [x])[0] == 6.0


# ---- counting -------------------------------------------------------------------------------
def test_count_is_exactly_two_to_the_hundred_on_a_ladder_of_100_diamonds() -> None:
    out, x = diamond_ladder(100)
    n = count_paths(out, x)  # one sweep: 2**100 paths are never visited (timed in benchmarks)
    assert n == 2**100 and type(n) is int


def test_count_on_small_ladders_matches_brute_force() -> None:
    for n in range(6):
        out, x = diamond_ladder(n)
        assert count_paths(out, x) == len(brute_paths(out, x)) == 2**n


def test_count_is_exact_beyond_float_range() -> None:
    # 2**1100 overflows a float; the DP keeps Python ints
    out, x = diamond_ladder(1100)
    assert count_paths(out, x) == 2**1100


# ---- laziness and depth ---------------------------------------------------------------------
def test_paths_is_lazy_on_an_astronomical_graph() -> None:
    out, x = diamond_ladder(100)
    gen = paths(out, x)
    first = list(itertools.islice(gen, 1000))  # a generator that listed 2**100 would hang
    assert len(first) == 1000 and len({key_of(p) for p in first}) == 1000
    for p in first[:5]:
        assert_well_formed(p, out, x)


def test_deep_chain_has_one_path_and_no_recursion() -> None:
    x = Value(0.5, label="x")
    v = x
    for _ in range(30_000):  # 30x Python's recursion limit
        v = v * 1.000001
    assert count_paths(v, x) == 1
    [p] = list(paths(v, x))
    assert len(p) == 30_000
    assert math.isclose(p.product, grad(v, [x])[0], rel_tol=1e-12)
    [t] = top_paths(v, x, 3)
    assert t.edge_indices == p.edge_indices


# ---- top paths on graphs too big to enumerate ----------------------------------------------
def test_top_paths_on_a_ladder_of_1000_diamonds() -> None:
    out, x = diamond_ladder(1000, seed=4)
    top = top_paths(out, x, 10)  # 2**1000 paths: only a search that prunes returns at all
    # closed form: the best path takes the larger |rate| in every diamond; the second best
    # swaps the one diamond whose min/max ratio is largest
    ratios, best = [], 0.0
    v = out
    while v is not x:  # walk back down the ladder: v = a + b, a = u·c1, b = u·c2
        a, b = v.parents
        c1, c2 = abs(a.local_grads[0]), abs(b.local_grads[0])
        best += math.log(max(c1, c2))
        ratios.append(min(c1, c2) / max(c1, c2))
        v = a.parents[0]
    ratios.sort(reverse=True)
    assert math.isclose(math.log(abs(top[0].product)), best, rel_tol=1e-9)
    assert math.isclose(math.log(abs(top[1].product)), best + math.log(ratios[0]), rel_tol=1e-9)
    assert [abs(p.product) for p in top] == sorted((abs(p.product) for p in top), reverse=True)
    assert len({key_of(p) for p in top}) == 10


def test_top_paths_rank_paths_whose_products_underflow() -> None:
    # 3000 diamonds with rates below 0.75: every product is 0.0 as a float, yet the best path
    # must still take the larger rate in every diamond (ranking is done on log|rate| sums)
    rng = random.Random(11)
    x = Value(0.5, label="x")
    out = x
    for _ in range(3000):
        out = out * rng.uniform(0.05, 0.75) + out * -rng.uniform(0.05, 0.75)
    top = top_paths(out, x, 3)
    assert all(p.product == 0.0 for p in top)
    best = top[0]
    for i in range(0, len(best.nodes) - 1, 2):
        v, chosen = best.nodes[i], best.nodes[i + 1]  # v -> v·c (one of two) -> sum
        options = [n for n in best.nodes[i + 2].parents]
        assert chosen in options and all(o.parents[0] is v for o in options)
        assert abs(chosen.local_grads[0]) == max(abs(o.local_grads[0]) for o in options)
    assert len({key_of(p) for p in top}) == 3


def test_top_paths_of_a_small_random_ladder_against_brute_force() -> None:
    out, x = diamond_ladder(10, seed=1)
    want = sorted((abs(q) for _, q in brute_paths(out, x)), reverse=True)
    got = [abs(p.product) for p in top_paths(out, x, 50)]
    assert len(got) == 50
    for a, b in zip(got, want):
        assert math.isclose(a, b, rel_tol=1e-12)


def test_top_paths_returns_all_when_fewer_than_k() -> None:
    x = Value(0.5)
    y = x.sin() + x.exp()
    assert len(top_paths(y, x, 100)) == 2


# ---- no dependence, the trivial path, bad input -------------------------------------------
def test_a_node_the_output_does_not_depend_on() -> None:
    x, other = Value(1.0, label="x"), Value(2.0, label="other")
    y = x * 3.0
    assert count_paths(y, other) == 0
    assert list(paths(y, other)) == []
    assert top_paths(y, other, 5) == []
    # a descendant of the output is not an ancestor either
    assert count_paths(x, y) == 0 and list(paths(x, y)) == [] and top_paths(x, y, 1) == []
    c = contributions(y, other)
    assert c.n_paths == 0 and c.gradient == 0.0 and c.top == ()
    assert "does not depend" in str(c)


def test_a_node_to_itself_is_the_empty_path() -> None:
    x = Value(1.5, label="x")
    [p] = list(paths(x, x))
    assert p.nodes == (x,) and p.factors == () and p.product == 1.0
    assert count_paths(x, x) == 1 and top_paths(x, x, 3) == [p]
    assert str(p) == "∂x/∂x = 1"


@pytest.mark.parametrize("fn", [paths, count_paths, top_paths, contributions])
def test_non_values_are_refused(fn: object) -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="output must be a Value, got 3"):
        fn(3, x)  # type: ignore[operator]
    with pytest.raises(TypeError, match="node must be a Value, got 'x'"):
        fn(x, "x")  # type: ignore[operator]


def test_bad_k_is_refused() -> None:
    x = Value(1.0)
    y = x * 2.0
    with pytest.raises(ValueError, match="k must be an int >= 1, got 0"):
        top_paths(y, x, 0)
    with pytest.raises(TypeError, match=r"k must be an int, got 1\.5"):
        top_paths(y, x, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be an int >= 1, got -2"):
        contributions(y, x, -2)


# ---- the 3Blue1Brown chain and the readable form ---------------------------------------------
@pytest.mark.parametrize("target", [1.0, "Value"])
def test_three_blue_one_brown_chain_has_one_path_with_the_three_constituents(
    target: float | str,
) -> None:
    y: Value | float = Value(1.0, label="y") if target == "Value" else 1.0
    g = three_blue_one_brown(y)
    w, a_prev, C = g["w"], g["a_prev"], g["C"]
    assert count_paths(C, w) == 1
    [p] = list(paths(C, w))
    z = 0.83 * 0.31 - 0.4
    a = 1.0 / (1.0 + math.exp(-z))
    sigma_prime = a * (1.0 - a)
    y_name = "y" if target == "Value" else "1"
    # the chapter's three constituent derivatives, in order w -> z -> a -> C
    assert [n for n, _ in p.terms] == ["a_prev", "σ'(z)", f"2(a−{y_name})"]
    for (_, got), want in zip(p.terms, [0.31, sigma_prime, 2 * (a - 1.0)]):
        assert math.isclose(got, want, rel_tol=1e-14)
    # the engine's edges: w -> w·a_prev -> z (the + adds a rate 1) -> a -> a−y (rate 1) -> C
    assert p.factors[1] == 1.0 and p.factors[3] == 1.0 and len(p.factors) == 5
    assert [n.label for n in p.nodes] == ["w", "", "z", "a", "", "C"]
    assert math.isclose(p.product, 0.31 * sigma_prime * 2 * (a - 1.0), rel_tol=1e-14)
    assert math.isclose(p.product, grad(C, [w])[0], rel_tol=1e-15)
    assert str(p).startswith(f"∂C/∂w = a_prev · σ'(z) · 2(a−{y_name}) = 0.31 · 0.")
    assert str(p).endswith(f"= {2 * (a - 1.0) * sigma_prime * 0.31:.3f}".replace("-", "−"))
    # BP3 for the bias: ∂C/∂b = σ'(z) · 2(a−y), the + edge's rate 1 left out of the terms
    [pb] = list(paths(C, g["b"]))
    assert [n for n, _ in pb.terms] == ["σ'(z)", f"2(a−{y_name})"]
    [pa] = list(paths(C, a_prev))
    assert [n for n, _ in pa.terms] == ["w", "σ'(z)", f"2(a−{y_name})"]


def test_three_blue_one_brown_with_weighted_sum() -> None:
    w, a_prev, b = Value(0.5, label="w"), Value(0.2, label="a_prev"), Value(0.1, label="b")
    z = weighted_sum([w], [a_prev], b)
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    y = Value(0.0, label="y")
    C = (a - y) ** 2
    C.label = "C"
    [p] = list(paths(C, w))
    assert p.names == ("a_prev", "σ'(z)", "1", "2(a−y)")
    assert [n for n, _ in p.terms] == ["a_prev", "σ'(z)", "2(a−y)"]
    assert [q.names[0] for q in paths(C, a_prev)] == ["w"]
    assert [q.names[0] for q in paths(C, b)] == ["1"]


def test_wsum_factor_names() -> None:
    ws = [Value(0.1, label="w1"), Value(0.2, label="w2")]
    xs = [Value(1.0, label="a1"), Value(2.0, label="a2")]
    z = weighted_sum(ws, xs, Value(0.0, label="b"))
    assert [factor_name(z, k) for k in range(5)] == ["a1", "a2", "w1", "w2", "1"]
    assert node_name(z) == "w1·a1+w2·a2+b"


def _named(**labels: float) -> list[Value]:
    return [Value(v, label=k) for k, v in labels.items()]


def test_factor_names_follow_the_rule_table() -> None:
    x, y = _named(x=0.5, y=2.0)
    cases = [
        (x + y, ["1", "1"]),
        (x - y, ["1", "−1"]),
        (x * y, ["y", "x"]),
        (x / y, ["1/y", "−x/y²"]),
        (x**y, ["y·x^(y−1)", "x^y·ln x"]),
        (x * 0.5, ["0.5"]),
        (x / 4.0, ["1/4"]),
        (3.0 / x, ["−3/x²"]),
        (2.0**x, ["2^x·ln 2"]),
        (x**2, ["2x"]),
        (x**3, ["3x²"]),
        ((x - y) ** 2, ["2(x−y)"]),
        ((x - y) ** 3, ["3(x−y)²"]),
        (-x, ["−1"]),
        (1.0 - x, ["−1"]),
        (x.exp(), ["exp(x)"]),
        (x.log(), ["1/x"]),
        (x.sqrt(), ["1/(2√x)"]),
        (x.tanh(), ["tanh'(x)"]),
        (x.sigmoid(), ["σ'(x)"]),
        (x.relu(), ["ReLU'(x)"]),
        (x.softplus(), ["σ(x)"]),
        (x.sin(), ["cos(x)"]),
        (x.cos(), ["−sin(x)"]),
        (abs(x), ["sign(x)"]),
        (autograd.sum_values([x, y, x]), ["1", "1", "1"]),
    ]
    for node, want in cases:
        got = [factor_name(node, k) for k in range(len(node.parents))]
        assert got == want, (node.op, got, want)
    a_prev = Value(0.3, label="a_prev")
    assert factor_name(a_prev**2, 0) == "2·a_prev"


def test_unlabeled_nodes_are_named_by_their_expression() -> None:
    a, y, w = _named(a=0.7, y=1.0, w=0.2)
    assert node_name((a - y) ** 2) == "(a−y)²"
    assert node_name(a - 1.0) == "a−1" and node_name(a + -1.0) == "a−1"
    assert node_name((w * a).tanh()) == "tanh(w·a)"
    assert node_name(((w * a).tanh() + y).sin()) == "sin(…+y)"  # two levels deep at most
    assert node_name(Value(-2.5)) == "−2.5"
    # the sigmoid's rate is named by its operand's expression when that is unlabeled
    assert factor_name((w * a + y).sigmoid(), 0) == "σ'(w·a+y)"


def test_path_is_frozen_and_has_a_readable_repr() -> None:
    x = Value(2.0, label="x")
    y = x.sin() * 3.0
    y.label = "y"
    [p] = list(paths(y, x))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.factors = ()  # type: ignore[misc]
    assert "∂y/∂x = cos(x) · 3" in repr(p)
    want = f"∂y/∂x = cos(x) · 3 = (−0.4161) · 3.000 = {_minus(3 * math.cos(2.0))}"
    assert p.formula(digits=4) == want


def _minus(x: float) -> str:
    return f"{x:.3f}".replace("-", "−")


def test_long_paths_are_elided_in_the_formula() -> None:
    x = Value(0.5, label="x")
    v = x
    for _ in range(40):
        v = v.sin()
    [p] = list(paths(v, x))
    text = p.formula(max_factors=6)
    assert "…(34 more)…" in text and text.count("cos(") == 6 + text.count("cos(…")


# ---- contributions --------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(dags())
def test_contributions_summarise_the_paths(dag: Dag) -> None:
    out = dag.output
    for node in dag.leaves:
        c = contributions(out, node, k=3)
        assert c.n_paths == count_paths(out, node)
        [g] = grad(out, [node])
        if c.n_paths == 0:
            assert c.gradient == 0.0 and c.top == ()
            continue
        if c.n_paths <= 3000:
            products = [p.product for p in paths(out, node)]
            scale = math.fsum(abs(q) for q in products)
            assert math.isclose(c.abs_total, scale, rel_tol=1e-12, abs_tol=1e-300)
            assert abs(c.gradient - math.fsum(products)) <= 1e-12 * max(scale, 1e-300)
        assert abs(c.gradient - g) <= 1e-12 * max(c.abs_total, 1e-300)
        assert [key_of(p) for p in c.top] == [key_of(p) for p in top_paths(out, node, 3)]
        if c.gradient != 0.0:
            share = c.explained
            assert share is not None
            assert math.isclose(share, math.fsum(p.product for p in c.top) / c.gradient)
        assert str(c).splitlines()[0].startswith("∂")


@settings(max_examples=30, deadline=None)
@given(dags(), st.integers(1, 6))
def test_all_contributions_are_each_nodes_contributions(dag: Dag, k: int) -> None:
    # one reverse sweep for every node at once: the same counts, sums and top paths as one
    # contributions() call per node (sums in another order: to rounding)
    out = dag.output
    every = all_contributions(out, k)
    assert list(every) == toposort(out)
    for node, c in every.items():
        one = contributions(out, node, k)
        assert (c.output, c.node, c.n_paths) == (out, node, one.n_paths)
        assert math.isclose(c.abs_total, one.abs_total, rel_tol=1e-12, abs_tol=1e-300)
        assert abs(c.gradient - one.gradient) <= 1e-12 * max(one.abs_total, 1e-300)
        assert [abs(p.product) for p in c.top] == pytest.approx(
            [abs(p.product) for p in one.top], rel=1e-12, abs=1e-300)
        for p in c.top:
            assert_well_formed(p, out, node)


def test_contributions_text_for_a_network_like_graph() -> None:
    g = three_blue_one_brown(Value(1.0, label="y"))
    text = str(contributions(g["C"], g["w"]))
    lines = text.splitlines()
    assert lines[0].startswith("∂C/∂w = ") and lines[0].endswith("the sum over 1 path")
    assert "100.0% of the gradient" in lines[1]
    assert lines[2].startswith("  1. ∂C/∂w = a_prev · σ'(z) · 2(a−y) = ")


def test_contributions_flag_cancelling_paths_and_huge_counts() -> None:
    out, x = diamond_ladder(100, seed=7)
    c = contributions(out, x, k=5)
    assert c.n_paths == 2**100
    assert "1.268e30 paths" in str(c)
    huge, x = diamond_ladder(15_000)  # 2**15000: beyond floats and the int->str digit limit
    assert "the sum over 2.818e4515 paths" in str(contributions(huge, x, k=1))
    assert c.abs_explained is not None and 0.0 < c.abs_explained <= 1.0
    # a gradient of exactly zero made of two cancelling paths
    x = Value(0.3, label="x")
    y = x * 2.0 - x * 2.0
    z = contributions(y, x)
    assert z.gradient == 0.0 and z.explained is None and z.n_paths == 2
    assert "the paths cancel" in str(z)


def test_exports() -> None:
    for name in ("paths", "count_paths", "top_paths", "contributions", "jvp", "numeric_grad",
                 "Path"):
        assert name in autograd.__all__ and hasattr(autograd, name)


def test_infinite_rates_under_ieee_rank_first_without_errors() -> None:
    with autograd.ieee():
        x = Value(0.0, label="x")
        y = x.sqrt() + x * 2.0 + x.log()  # rates inf (√ at 0), 2, inf (log at 0)
        y.label = "y"
        top = top_paths(y, x, 3)
        c = contributions(y, x)
    assert [p.names for p in top] == [("1/(2√x)", "1", "1"), ("1/x", "1"), ("2", "1", "1")]
    assert top[0].product == math.inf and top[2].product == 2.0
    assert c.n_paths == 3 and c.gradient == math.inf
    assert str(c).splitlines()[2].startswith("  1. ∂y/∂x = 1/(2√x) = inf")
