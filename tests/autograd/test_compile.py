"""autograd.compile against the eager engine: MLPs, every op of the rule table, random graphs.

The oracle is the eager engine run example by example: ``autograd.grad`` of each example's loss,
summed over the batch by hand. Both replays (numpy per level, straight-line Python) and the
vectorised rule groups (``WIDE = 1``) must agree with it to 1e-12, relative to the size of the
numbers being added up (a sum that cancels to ~0 keeps only absolute accuracy).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_table import arity, constant, make, squashed

from pathgrad import autograd
from pathgrad.autograd import (
    ROWS,
    Value,
    compile,
    grad,
    ieee,
    no_grad,
    sum_values,
    weighted_sum,
)
from pathgrad.autograd.compiler import replay_numba, replay_numpy, replay_scalar
from pathgrad.autograd.compiler.compile import Compiled, TraceMismatchError
from pathgrad.autograd.rules import ANYWHERE
from pathgrad.nn import MLP

REL = 1e-12
BACKENDS = ["numpy", "python", *(["numba"] if replay_numba.available() else [])]
"""The back ends every test here runs on (numba's where it is installed: ``test_numba.py``
says so when it is not)."""


def eager(
    fn: Callable[..., Value], params: Sequence[Value], *arrays: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-example losses, Σ of per-example gradients, Σ of |per-example gradients|."""
    n = len(arrays[0])
    losses = np.empty(n)
    total = np.zeros(len(params))
    scale = np.zeros(len(params))
    for b in range(n):
        out = fn(*(Value(float(a[b])) for a in arrays))
        losses[b] = out.data
        g = np.asarray(grad(out, list(params)), dtype=float)
        total += g
        scale += np.abs(g)
    return losses, total, scale


def assert_matches(
    step: Compiled, fn: Callable[..., Value], params: Sequence[Value], *arrays: Any
) -> None:
    losses, total, scale = eager(fn, params, *arrays)
    n = len(losses)
    loss, grads = step.value_and_grad(*arrays)
    assert isinstance(loss, float)
    assert grads.shape == (len(params),)
    assert math.isclose(loss, losses.mean(), rel_tol=REL, abs_tol=REL * np.abs(losses).mean())
    floor = REL * max(float(scale.max(initial=0.0)) / n, 1e-300)
    np.testing.assert_allclose(grads, total / n, rtol=REL, atol=floor)
    np.testing.assert_allclose(step(*arrays), losses, rtol=REL, atol=REL * np.abs(losses).max())
    loss_sum, grads_sum = step.value_and_grad(*arrays, reduction="sum")
    assert math.isclose(loss_sum, losses.sum(), rel_tol=REL, abs_tol=REL * np.abs(losses).sum())
    np.testing.assert_allclose(grads_sum, total, rtol=REL, atol=floor * n)


def moons(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([x, y], axis=1) + rng.normal(0, 0.1, (n, 2))
    return X, np.where(upper, 1.0, -1.0)


# ---- the contract and MLPs -----------------------------------------------------------------
@pytest.mark.parametrize("backend", [*BACKENDS, "auto"])
def test_contract_with_nn_mlp_matches_eager(backend: str) -> None:
    model = MLP(2, [16, 16, 1], seed=3)

    def loss_one(x1: Value, x2: Value, y: Value) -> Value:
        return (1 + -y * model([x1, x2])).relu()

    X, Y = moons(40)
    step = compile(loss_one, params=model.parameters(), backend=backend)
    assert_matches(step, loss_one, model.parameters(), X[:, 0], X[:, 1], Y)
    assert step.n_nodes > len(model.parameters()) and math.isfinite(step.trace_seconds)


def test_micrograds_demo_loss_and_gradients() -> None:
    # An oracle outside pathgrad: micrograd 0.1.0's own MLP (same weights for the same seed)
    # and its demo loss, mean hinge + 1e-4 Σ p², differentiated by its own backward.
    from micrograd import nn as mg
    from micrograd.engine import Value as MV

    random.seed(1337)
    theirs = mg.MLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1], seed=1337)
    X, Y = moons(30, seed=7)
    scores = [theirs([MV(float(a)), MV(float(b))]) for a, b in X]
    losses = [(1 + -float(y) * s).relu() for y, s in zip(Y, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in theirs.parameters())
    total.backward()
    params = ours.parameters()

    def loss_one(x1: Value, x2: Value, y: Value) -> Value:
        return (1 + -y * ours([x1, x2])).relu() + 1e-4 * sum_values([p * p for p in params])

    loss, grads = compile(loss_one, params=params).value_and_grad(X[:, 0], X[:, 1], Y)
    assert math.isclose(loss, total.data, rel_tol=1e-12)
    want = np.array([p.grad for p in theirs.parameters()])
    np.testing.assert_allclose(grads, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_tanh_mlp_against_pytorch_float64() -> None:
    torch = pytest.importorskip("torch")
    model = MLP(3, [8, 8, 1], activation="tanh", seed=2)
    params = model.parameters()
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(50, 3)), rng.normal(size=50)

    def loss_one(a: Value, b: Value, c: Value, y: Value) -> Value:
        return (model([a, b, c]) - y) ** 2

    loss, grads = compile(loss_one, params=params).value_and_grad(*X.T, Y)
    tensors = []  # the same weights, layer by layer, as (W, b) leaf tensors
    for layer in model.layers:
        f64 = torch.float64
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=f64)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=f64)
        W.requires_grad_(True)
        b.requires_grad_(True)
        tensors.append((W, b))
    a = torch.tensor(X)
    for k, (W, b) in enumerate(tensors):
        a = a @ W.T + b
        a = torch.tanh(a) if k < len(tensors) - 1 else a
    want = ((a[:, 0] - torch.tensor(Y)) ** 2).mean()
    want.backward()
    flat = []  # micrograd's parameter order: per neuron, its weights then its bias
    for W, b in tensors:
        for j in range(W.shape[0]):
            flat += [*W.grad[j].tolist(), float(b.grad[j])]
    assert math.isclose(loss, want.detach().item(), rel_tol=1e-12)
    np.testing.assert_allclose(grads, flat, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": "tanh", "output_activation": "sigmoid"},
        {"activation": "sigmoid", "fused": False},  # micrograd's graph: chains of × and +
        {"activation": ["sigmoid", "relu", "tanh"]},
    ],
)
def test_mlps_with_an_l2_term_inside_the_loss_match_eager(
    backend: str, kwargs: dict[str, Any]
) -> None:
    model = MLP(3, [5, 4, 1], seed=11, **kwargs)
    params = model.parameters()

    def loss_one(a: Value, b: Value, c: Value, y: Value) -> Value:
        out = model([a, b, c])
        return (out - y) ** 2 + 1e-3 * sum_values([p * p for p in params])

    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(25, 3)), rng.normal(size=25)
    step = compile(loss_one, params=params, backend=backend)
    assert_matches(step, loss_one, params, X[:, 0], X[:, 1], X[:, 2], Y)


def test_matmul_layers_with_shared_and_repeated_weights() -> None:
    # weight sharing (one Value in two neurons) and a repeated input go through scatter-adds
    w = [Value(0.3), Value(-0.7), Value(1.1)]
    b = Value(0.2)

    def f(x: Value, y: Value) -> Value:
        z = [weighted_sum([w[0], w[1], w[2]], [x, y, x], b) for _ in range(5)]
        z.append(weighted_sum([w[2], w[2], w[0]], [x, y, x], b))
        h = [zi.tanh() for zi in z]
        return weighted_sum([w[1]] * len(h), h, w[0])

    rng = np.random.default_rng(2)
    xs, ys = rng.normal(size=9), rng.normal(size=9)
    for backend in BACKENDS:
        assert_matches(compile(f, [*w, b], backend=backend), f, [*w, b], xs, ys)


# ---- every op of the rule table --------------------------------------------------------------
# One function per row, generated from the row's domain: each operand is an input mixed with a
# parameter and squashed into the operand's interval, so a new row needs no edit here.
P0, P1, P2 = Value(0.7, label="p0"), Value(-0.4, label="p1"), Value(1.3, label="p2")


def op_case(op: str, x: Value, y: Value) -> Value:
    rule = ROWS[op]
    sources = [(x, y)[k % 2] * (P0, P1, P2)[k % 3] for k in range(arity(rule))]  # within ±2
    if rule.domain != ANYWHERE:  # short graphs where they do (XLA compiles depth slowly)
        sources = [squashed(rule, k, v) for k, v in enumerate(sources)]
    return make(rule, sources, constant(rule))


@pytest.mark.parametrize("op", sorted(ROWS))
@pytest.mark.parametrize("mode", ["numpy", "numpy-wide", "python"])
def test_every_op_replays_like_the_eager_engine(
    op: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if mode == "numpy-wide":
        monkeypatch.setattr(autograd.compiler.tape, "WIDE", 1)  # one vectorised rule call per group

    def f(x: Value, y: Value) -> Value:
        # six copies side by side, so a level holds a group of this op
        return sum_values([op_case(op, x + 0.1 * k, y) for k in range(6)])

    params = [P0, P1, P2]
    step = compile(f, params=params, backend=mode.split("-")[0])
    xs = np.array([-1.3, -0.5, 0.0, 0.25, 0.9, 1.4])
    ys = np.array([0.5, -1.2, 0.3, 1.0, -0.1, 0.7])
    assert_matches(step, f, params, xs, ys)
    assert op in step._tape.ops


@pytest.mark.parametrize("op", sorted(ROWS))
@pytest.mark.parametrize("scalar_wide", [1, 32])
def test_every_op_in_the_batch_independent_part(
    op: str, scalar_wide: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nodes that depend on no input run once per call: as numpy groups (scalar_wide=1) or float
    # code; their adjoints, summed over the batch, are carried back to the parameters once.
    monkeypatch.setattr(replay_scalar, "SCALAR_WIDE", scalar_wide)

    def f(x: Value, y: Value) -> Value:
        return x * sum_values([op_case(op, P0 + 0.1 * k, P1) for k in range(6)]) + y

    params = [P0, P1, P2]
    xs, ys = np.array([-1.3, 0.0, 0.25, 1.4]), np.array([0.5, -1.2, 0.3, 1.0])
    for backend in BACKENDS:
        assert_matches(compile(f, params=params, backend=backend), f, params, xs, ys)


# ---- random expressions ----------------------------------------------------------------------
def _apply(op: str, a: Value, b: Value, c: Value) -> Value:
    # Operands drawn from (a, b, c, a, ...) and squashed into the row's domain: every row, nested.
    rule = ROWS[op]
    sources = [(a, b, c)[k % 3] for k in range(arity(rule))]
    return make(rule, [squashed(rule, k, v) for k, v in enumerate(sources)], constant(rule))


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[tuple[str, int, int, int]], int]:
    """A straight-line program over 2 inputs and 3 parameters: (op, operand indices)."""
    n_ops = draw(st.integers(1, 14))
    steps = []
    for k in range(n_ops):
        n = 5 + k
        op = draw(st.sampled_from(sorted(ROWS)))
        steps.append((op, *(draw(st.integers(0, n - 1)) for _ in range(3))))
    return steps, draw(st.integers(1, 7))


@settings(max_examples=40, deadline=None)
@given(programs(), st.data())
def test_random_expressions_with_every_op_match_eager(
    program: tuple[list[tuple[str, int, int, int]], int], data: st.DataObject
) -> None:
    steps, batch = program
    params = [Value(v) for v in (0.5, -0.8, 1.2)]

    def f(x: Value, y: Value) -> Value:
        nodes = [x, y, *params]
        for op, i, j, k in steps:
            nodes.append(_apply(op, nodes[i], nodes[j], nodes[k]))
        return nodes[-1] + x * 0.0 + params[0] * 0.0  # every output depends on the batch

    floats = st.floats(-2.0, 2.0, allow_nan=False)
    xs = np.array(data.draw(st.lists(floats, min_size=batch, max_size=batch)))
    ys = np.array(data.draw(st.lists(floats, min_size=batch, max_size=batch)))
    backend = data.draw(st.sampled_from(BACKENDS))
    wide = data.draw(st.sampled_from([1, 4]))
    scalar_wide = data.draw(st.sampled_from([1, 32]))
    old = autograd.compiler.tape.WIDE, replay_scalar.SCALAR_WIDE
    autograd.compiler.tape.WIDE, replay_scalar.SCALAR_WIDE = wide, scalar_wide
    try:
        step = compile(f, params=params, backend=backend, check=0)
        assert_matches(step, f, params, xs, ys)
    finally:
        autograd.compiler.tape.WIDE, replay_scalar.SCALAR_WIDE = old


# ---- chains and batch-independent parts ------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_long_chain_matches_eager(backend: str) -> None:
    ws = [Value(random.Random(k).uniform(0.8, 1.1)) for k in range(5)]

    def chain(x: Value) -> Value:
        for i in range(1500):
            x = (x * ws[i % 5] + 0.01).tanh() if i % 3 == 0 else x * 0.999 + ws[i % 5] * 0.001
        return x

    xs = np.array([0.1, -0.4, 0.9])
    assert_matches(compile(chain, ws, backend=backend), chain, ws, xs)


def test_a_loss_that_ignores_its_inputs_is_the_same_for_every_example() -> None:
    w = Value(3.0)
    step = compile(lambda x: w * w, params=[w])
    loss, grads = step.value_and_grad([1.0, 2.0, 5.0])
    assert loss == 9.0 and grads.tolist() == [6.0]
    assert step([1.0, 2.0]).tolist() == [9.0, 9.0]


def test_unused_params_and_inputs_get_zero() -> None:
    a, unused = Value(2.0), Value(5.0)
    step = compile(lambda x, y: a * x, params=[a, unused])
    loss, grads = step.value_and_grad([1.0, 3.0], [7.0, 8.0])
    assert loss == 4.0 and grads.tolist() == [2.0, 0.0]


def test_trace_works_under_no_grad() -> None:
    a = Value(2.0)
    step = compile(lambda x: a * x, params=[a])
    with no_grad():
        loss, grads = step.value_and_grad([1.0, 3.0])
    assert loss == 4.0 and grads.tolist() == [2.0]


def test_auto_picks_by_the_tapes_shape_and_the_batch_size(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    w = Value(0.9)

    def chain(x: Value) -> Value:
        for _ in range(200):
            x = x * w + 0.1
        return x

    model = MLP(2, [16, 16, 1], seed=0)
    for numba in (False, True):  # as without numba installed, then as with it
        if numba and not replay_numba.available():
            continue
        monkeypatch.setattr(replay_numba, "available", lambda numba=numba: numba)
        step = compile(chain, params=[w])
        step.value_and_grad([0.5])
        assert step.backend == ("numba" if numba else "python")
        step.value_and_grad(np.linspace(-1, 1, 5000))
        assert step.backend == ("numba" if numba else "numpy")
        mlp = compile(lambda a, b: model([a, b]), params=model.parameters())
        mlp.value_and_grad(np.zeros(1), np.ones(1))  # one example: numpy's fixed cost is less
        assert mlp.backend == ("numba" if numba else "numpy")  # than 747 edges of Python
        mlp.value_and_grad(np.zeros(1000), np.ones(1000))
        assert mlp.backend == "numpy"  # a layer a matrix product


# ---- nothing cached wrongly --------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_parameter_updates_are_read_on_every_call(backend: str) -> None:
    model = MLP(2, [6, 1], seed=5)
    params = model.parameters()

    def loss_one(x1: Value, x2: Value, y: Value) -> Value:
        return (1 + -y * model([x1, x2])).relu()

    X, Y = moons(20, seed=4)
    step = compile(loss_one, params=params, backend=backend)
    for _ in range(3):
        _, grads = step.value_and_grad(X[:, 0], X[:, 1], Y)
        for p, g in zip(params, grads):
            p.data -= 0.5 * g  # an SGD step
        assert_matches(step, loss_one, params, X[:, 0], X[:, 1], Y)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batches_of_different_sizes(backend: str) -> None:
    model = MLP(2, [5, 1], seed=6)
    params = model.parameters()

    def f(a: Value, b: Value) -> Value:
        return model([a, b]).tanh()

    step = compile(f, params=params, backend=backend)
    rng = np.random.default_rng(0)
    for n in (7, 3, 1, 7, 12):
        X = rng.normal(size=(n, 2))
        assert_matches(step, f, params, X[:, 0], X[:, 1])


# ---- data-dependent control flow ---------------------------------------------------------------
def test_guard_fires_on_a_data_dependent_branch() -> None:
    w = Value(1.5, label="w")

    def branchy(x: Value) -> Value:
        if x.data > 0:  # a Python branch on the data: a different graph per sign
            return (w * x).tanh()
        return w * x * x

    step = compile(branchy, params=[w])
    with pytest.raises(TraceMismatchError, match=r"example \d+ .* node \d+ \(op 'tanh'"):
        step.value_and_grad([1.0, -2.0, 0.5])
    assert isinstance(TraceMismatchError("x"), ValueError)


def test_guard_finds_a_branch_taken_by_one_far_example() -> None:
    w = Value(1.0)

    def clipped(x: Value) -> Value:
        return w * x if x.data < 100 else w * 100.0  # only the outlier takes the other path

    xs = np.zeros(1000)
    xs[617] = 1e4
    with pytest.raises(TraceMismatchError, match="example 617"):
        compile(clipped, params=[w]).value_and_grad(xs)


def test_guard_catches_data_read_into_a_constant() -> None:
    w = Value(1.0)
    step = compile(lambda x: w * Value(x.data * 2), params=[w])
    with pytest.raises(TraceMismatchError, match="constant leaf"):
        step.value_and_grad([1.0, 2.0])


def test_verify_checks_every_example_and_mask_ops_pass() -> None:
    w = Value(1.0)
    step = compile(lambda x: (w * x).relu() + abs(x), params=[w])
    step.verify(np.linspace(-3, 3, 50))  # kinks are masks: one graph for every example
    branchy = compile(lambda x: w * x if x.data < 2.9 else -(w * x), params=[w], check=0)
    branchy.value_and_grad(np.linspace(-3, 3, 50))  # check=0: sampling is off
    with pytest.raises(TraceMismatchError, match="example 49"):
        branchy.verify(np.linspace(-3, 3, 50))


def test_other_values_the_function_closed_over_are_read_afresh() -> None:
    w, scale = Value(2.0), Value(3.0)  # `scale` is no parameter, but fn reads it
    step = compile(lambda x: w * x * scale, params=[w])
    assert step.value_and_grad([1.0, 2.0]) == (9.0, pytest.approx(np.array([4.5])))
    scale.data = -1.0
    step.verify([1.0, 2.0])  # the same Value with new data: no mismatch
    assert step.value_and_grad([1.0, 2.0]) == (-3.0, pytest.approx(np.array([-1.5])))


# ---- bad input ---------------------------------------------------------------------------------
def test_bad_arguments_give_clear_errors_and_leave_the_step_usable() -> None:
    a = Value(2.0)
    step = compile(lambda x, y: a * x + y, params=[a])
    with pytest.raises(ValueError, match="same length"):
        step.value_and_grad([1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="real numbers"):
        step.value_and_grad(["a", "b"], [1.0, 2.0])
    with pytest.raises(ValueError, match="1-D"):
        step.value_and_grad([[1.0, 2.0]], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="empty"):
        step.value_and_grad([], [])
    with pytest.raises(ValueError, match="non-finite"):
        step.value_and_grad([1.0, math.nan], [1.0, 2.0])
    with pytest.raises(TypeError, match="real numbers"):
        step.value_and_grad([True, False], [1.0, 2.0])
    with pytest.raises(TypeError, match="Values"):
        step.value_and_grad([Value(1.0)], [1.0])
    with pytest.raises(ValueError, match="reduction"):
        step.value_and_grad([1.0], [1.0], reduction="max")
    assert step.value_and_grad([1.0, 2.0], [0.5, 0.5]) == (3.5, pytest.approx(np.array([1.5])))
    with pytest.raises(TypeError, match="takes 2 arrays"):
        step.value_and_grad([1.0, 2.0])
    assert step([1.0], [0.0]).tolist() == [2.0]


def test_bad_compile_arguments() -> None:
    a = Value(1.0)
    with pytest.raises(TypeError, match="needs a function"):
        compile(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"params\[1\] is not a Value"):
        compile(lambda x: x, params=[a, 2.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="not a leaf"):
        compile(lambda x: x, params=[a * 2])
    with pytest.raises(TypeError, match="list of Values"):
        compile(lambda x: x, params=a)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backend"):
        compile(lambda x: x, backend="gpu")
    with pytest.raises(ValueError, match="check"):
        compile(lambda x: x, check=-1)
    with pytest.raises(TypeError, match="one scalar Value"):
        compile(lambda x: [x, x])([1.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_domain_errors_name_the_example_and_ieee_lets_nan_through(backend: str) -> None:
    a = Value(1.0)
    step = compile(lambda x: (a * x).log(), params=[a], backend=backend)
    with pytest.raises(ValueError, match=r"example 2: math domain error in 'log'"):
        step.value_and_grad([1.0, 2.0, -3.0, 4.0])
    loss, grads = step.value_and_grad([1.0, math.e])  # the failed call left nothing behind
    assert loss == pytest.approx(0.5) and grads.tolist() == pytest.approx([1.0])
    with ieee():
        out = compile(lambda x: (a * x).log(), params=[a])([1.0, -1.0])
    assert out[0] == 0.0 and math.isnan(out[1])


def test_an_overflow_only_in_the_batch_sum_is_reported() -> None:
    # each example is finite (eagerly too); the sum of their gradients towards `a` is not
    a = Value(1.0)
    for backend in BACKENDS:
        step = compile(lambda x: a * x, params=[a], backend=backend)
        with pytest.raises(OverflowError, match="not finite"):
            step.value_and_grad([1e308, 1.5e308])
        with pytest.raises(OverflowError, match="sum over the batch overflows"):
            compile(lambda x: x * 1.0, backend=backend).value_and_grad([1e308, 1.5e308])


@pytest.mark.parametrize("max_entries", [1, 100])
def test_big_batches_run_in_chunks_of_examples(
    max_entries: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the numpy buffers are capped; a batch larger than the cap is cut into chunks of examples
    monkeypatch.setattr(replay_numpy, "MAX_ENTRIES", max_entries)
    monkeypatch.setattr(replay_numpy, "MIN_CHUNK", 1)
    model = MLP(2, [4, 1], seed=8)
    params = model.parameters()

    def f(a: Value, b: Value) -> Value:
        return model([a, b]).sigmoid()

    step = compile(f, params=params, backend="numpy")
    X = np.random.default_rng(5).normal(size=(23, 2))
    for n in (23, 5, 23):
        assert_matches(step, f, params, X[:n, 0], X[:n, 1])


def test_values_computed_under_no_grad_inside_fn_are_refused_not_frozen() -> None:
    # The eager engine recomputes `s` on every call; a replay would keep the traced value
    # (w = 2) after the update below and silently give 3.0 instead of 7.5.
    w = Value(2.0)

    def fn(x: Value) -> Value:
        with no_grad():
            s = w * 1.0
        return x * s

    with pytest.raises(ValueError, match=r"node \d+ \(op '\*'\) under no_grad\(\)"):
        compile(fn, params=[w]).value_and_grad([1.0, 2.0])
    with pytest.raises(ValueError, match=r"no_grad\(\)"):
        compile(fn, params=[w], check=0).value_and_grad([1.0])
    with no_grad():
        w2 = w * 1.0  # made under no_grad() *outside* fn: one Value, read afresh
    step = compile(lambda x: x * w2, params=[w])
    assert step.value_and_grad([1.0, 2.0])[0] == 3.0
    w2.data = 5.0
    assert step.value_and_grad([1.0, 2.0])[0] == 7.5


def test_verify_names_the_recorded_graph_when_example_0_changes_branch() -> None:
    # issue 14, defect 10: after a parameter update example 0 itself takes the other branch;
    # the message said "for example 0 than for example 0"
    w = Value(1.0)
    step = compile(lambda x: w * x if w.data > 0 else -(w * x), params=[w])
    step.value_and_grad([1.0, 2.0])
    w.data = -1.0
    with pytest.raises(TraceMismatchError) as caught:
        step.verify([1.0, 2.0])
    message = str(caught.value)
    assert "example 0 than the one it recorded" in message
    assert "than for example 0" not in message


# ---- comparisons on Values are guards (issue 14, defect 11) ----------------------------------
def _branchy(w: Value) -> Callable[[Value], Value]:
    def f(x: Value) -> Value:
        z = x * w
        return z * 2.0 if z > 0.5 else -z  # a comparison on a Value: recorded as a guard
    return f


@pytest.mark.parametrize("backend", [*BACKENDS, "auto"])
def test_a_comparison_that_flips_for_an_unchecked_example_is_named(backend: str) -> None:
    # Sampling (check=0: off) would never see example 6; the guard checks every example.
    w = Value(1.0)
    step = compile(_branchy(w), [w], check=0, backend=backend)
    xs = np.array([1.0, 2.0, 3.0, 0.9, 1.5, 2.5, 0.2, 4.0])
    with pytest.raises(TraceMismatchError, match=r"example 6.*z|example 6"):
        step.value_and_grad(xs)
    with pytest.raises(TraceMismatchError, match="example 6"):
        step(xs)
    keep = xs[xs * w.data > 0.5]
    assert_matches(step, _branchy(w), [w], keep)  # every example on the traced side: fine


def test_a_guard_flipped_by_a_parameter_update_and_by_a_far_example_in_a_big_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(replay_numpy, "MAX_ENTRIES", 8)
    monkeypatch.setattr(replay_numpy, "MIN_CHUNK", 4)  # chunks of examples: the index is global
    w = Value(1.0)
    step = compile(_branchy(w), [w], check=0, backend="numpy")
    xs = np.linspace(1.0, 3.0, 50)
    xs[37] = 0.1
    with pytest.raises(TraceMismatchError, match="example 37"):
        step.value_and_grad(xs)
    flat = compile(lambda x: x * w if w > 0 else -x * w, [w], backend="numpy")
    flat.value_and_grad([1.0, 2.0])
    w.data = -1.0
    with pytest.raises(TraceMismatchError, match="every example"):
        flat.value_and_grad([1.0, 2.0])
