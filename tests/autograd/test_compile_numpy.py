"""The numpy replay's own forms: ufuncs written in place of rule helpers, layers as one product.

The oracle for gradients is the eager engine run example by example (``test_compile.eager``);
the helpers' fast forms are pinned to the rule table's helpers on special values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_compile import assert_matches

from pathgrad.autograd import Value, compile, ieee, weighted_sum
from pathgrad.autograd.compiler import numpy_fused, replay_numpy
from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.rules import ROWS
from pathgrad.nn import MLP

SPECIAL = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1e-300, -1e300, 2.5])


@pytest.mark.parametrize("name", ["relu", "step"])
def test_fast_forms_are_kept_here_and_equal_the_rule_helpers_bit_for_bit(name: str) -> None:
    form = replay_numpy.FAST[name]  # a KeyError: this platform's numpy lost the fast form
    x = np.repeat(SPECIAL, 7)  # long enough for numpy's SIMD loops
    out = np.full_like(x, 7.0)
    eval(form.format(x="x", out="out"), {"np": np, "x": x, "out": out})
    want = getattr(NUMPY_MATH, name)(x)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(want))  # relu(−0.0) is 0.0


def test_a_rate_read_off_the_output_equals_the_rule_helper_bit_for_bit() -> None:
    form = replay_numpy.FAST_OF_OUTPUT["relu", "step"]  # step(x) as sign(relu(x))
    x = np.repeat(SPECIAL, 7)
    out, o = np.full_like(x, 7.0), NUMPY_MATH.relu(x)
    eval(form.format(o="o", out="out"), {"np": np, "o": o, "out": out})
    np.testing.assert_array_equal(out, NUMPY_MATH.step(x))
    np.testing.assert_array_equal(np.signbit(out), np.signbit(NUMPY_MATH.step(x)))


def _demo(l2: bool) -> tuple[MLP, list[Value], object]:
    model = MLP(2, [16, 16, 1], seed=3)
    params = model.parameters()

    def loss(x1: Value, x2: Value, y: Value) -> Value:
        c = (1 + -y * model([x1, x2])).relu()
        return c + 1e-4 * sum(p * p for p in params) if l2 else c

    return model, params, loss


@pytest.mark.parametrize("l2", [True, False])
def test_each_layer_is_one_matrix_product_with_its_bias_and_matches_eager(l2: bool) -> None:
    _, params, loss = _demo(l2)
    step = compile(loss, params, backend="numpy")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 2)), np.sign(rng.normal(size=30))
    assert_matches(step, loss, params, X[:, 0], X[:, 1], Y)
    replay = step._replays["numpy"]
    assert len(replay.ones_rows) == 3  # [A; 1] for each of the three layers
    # forward: −y, 3 products, 3 relus, the hinge's ×, +1 (and + L2); backward: fewer still
    assert replay.n_statements <= 21


def test_a_layer_weight_also_used_elsewhere_gets_every_contribution() -> None:
    # w00 feeds the first layer and, later in the graph, a product and a rule group: the
    # layer's gradient must add to what backward has already written there, not replace it
    model = MLP(2, [3, 1], seed=4)
    params = model.parameters()
    w00 = model.layers[0].neurons[0].w[0]

    def f(x: Value, y: Value) -> Value:
        out = model([x, y])
        tied = weighted_sum([w00, w00], [out, y], Value(0.5))
        return (out * w00).tanh() + (w00 * y).relu() + tied

    rng = np.random.default_rng(1)
    xs, ys = rng.normal(size=11), rng.normal(size=11)
    assert_matches(compile(f, params, backend="numpy"), f, params, xs, ys)


@pytest.mark.parametrize("l2", [True, False])
def test_chunks_add_up_the_adjoints_each_chunk_writes(
    l2: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_numpy, "MAX_ENTRIES", 100)
    monkeypatch.setattr(replay_numpy, "MIN_CHUNK", 3)
    _, params, loss = _demo(l2)
    step = compile(loss, params, backend="numpy")
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(17, 2)), np.sign(rng.normal(size=17))
    assert_matches(step, loss, params, X[:, 0], X[:, 1], Y)


def test_relu_kinks_and_nan_under_ieee_as_the_eager_engine() -> None:
    w = Value(1.0)
    step = compile(lambda x: (x * w).relu() * 3.0, [w], backend="numpy")
    xs = np.array([-0.0, 0.0, -1.0, 2.0, np.nan, np.inf, -np.inf])
    with ieee():
        out, g = step.value_and_grad(xs, reduction="sum")
        per = step(xs)
        eager = [(Value(float(x)) * w).relu() * 3.0 for x in xs]
    np.testing.assert_array_equal(per, [v.data for v in eager])
    assert not np.signbit(per[0])
    assert np.isnan(out) and np.isnan(g[0])


def test_a_long_chain_keeps_few_adjoint_rows_and_matches_eager() -> None:
    # adjoints take rows when first written and give them back once passed on
    w = Value(0.999)

    def chain(x: Value) -> Value:
        for _ in range(100):
            x = (x * w + 0.001).relu()
        return x

    step = compile(chain, [w], backend="numpy")
    assert_matches(step, chain, [w], np.linspace(-0.5, 1.0, 9))
    replay = step._replays["numpy"]
    assert replay.n_rows > 300 and replay.n_grows <= 3


@pytest.mark.parametrize("used", [True, False], ids=["every-argument-used", "one-unused"])
def test_non_finite_inputs_after_the_trace_are_refused_by_name_and_huge_ones_pass(used) -> None:
    # after the first call the numpy replay tests the rows it copies the inputs into (one dot
    # per call); a hit, or an overflow of that dot, is sorted out array by array
    a = Value(2.0)
    step = compile((lambda x, y, z: a * x + y * z) if used else (lambda x, y, z: a * x + y),
                   params=[a], backend="numpy")
    step.value_and_grad([1.0, 2.0], [1.0, 2.0], [3.0, 4.0])
    for k in range(3):
        for bad in (np.nan, np.inf, -np.inf):
            xs = [np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.array([3.0, 4.0])]
            xs[k][1] = bad
            with pytest.raises(ValueError, match=rf"array {k} has the non-finite entry .* "
                                                 "at example 1"):
                step.value_and_grad(*xs)
    # 1e200² overflows the dot; the entries are finite, so the call goes through: closed form
    loss, grads = step.value_and_grad([1e200, 0.0], [1.0, 2.0], [3.0, 4.0], reduction="sum")
    assert loss == 2e200 + (11.0 if used else 3.0) and grads.tolist() == [1e200]


# ---- large batches: the fused relu backward, odd sizes and chunk edges against PyTorch ---------
def test_the_fused_relu_backward_equals_the_rule_helpers_bit_for_bit() -> None:
    pytest.importorskip("numba")
    times_step = numpy_fused.fused("times_step")
    assert times_step is not None  # numba is here: the fused ufunc must build and pass its pin
    d, x = (a.ravel() for a in np.meshgrid(np.repeat(SPECIAL, 3), SPECIAL))
    o = NUMPY_MATH.relu(x)
    out = np.full_like(d, 7.0)
    with np.errstate(all="ignore"):
        times_step(d, o, out=out)
        want = d * NUMPY_MATH.step(x)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(want))


def _torch_demo(model: MLP, X: np.ndarray, Y: np.ndarray, l2: bool) -> tuple[float, np.ndarray]:
    """The demo loss and its gradient in PyTorch float64, in micrograd's parameter order."""
    torch = pytest.importorskip("torch")
    tensors = []
    for layer in model.layers:
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
        tensors.append((W.requires_grad_(True), b.requires_grad_(True)))
    a = torch.tensor(X)
    for k, (W, b) in enumerate(tensors):
        a = a @ W.T + b
        a = torch.relu(a) if k < len(tensors) - 1 else a
    loss = torch.relu(1 - torch.tensor(Y) * a[:, 0]).mean()
    if l2:
        loss = loss + 1e-4 * sum((W * W).sum() + (b * b).sum() for W, b in tensors)
    loss.backward()
    flat = [g for W, b in tensors for j in range(W.shape[0])
            for g in (*W.grad[j].tolist(), float(b.grad[j]))]
    return loss.item(), np.array(flat)


@pytest.mark.parametrize("with_numba", [True, False])
@pytest.mark.parametrize("l2", [True, False])
@pytest.mark.parametrize(("chunk", "batch"), [(None, 1), (None, 3), (None, 5001),
                                              (1000, 999), (1000, 1000), (1000, 2501)])
def test_demo_at_large_and_odd_batches_and_chunk_edges_against_pytorch_float64(
    chunk: int | None, batch: int, l2: bool, with_numba: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if with_numba:
        pytest.importorskip("numba")
    else:  # numpy's own forms, as without the extra
        monkeypatch.setattr(replay_numpy, "fused", lambda name: None)
    if chunk is not None:  # chunks of `chunk` examples
        monkeypatch.setattr(replay_numpy, "MAX_ENTRIES", 1)
        monkeypatch.setattr(replay_numpy, "MIN_CHUNK", chunk)
    model, params, loss = _demo(l2)
    step = compile(loss, params, backend="numpy")
    rng = np.random.default_rng(batch)
    X, Y = rng.normal(size=(batch, 2)), np.sign(rng.normal(size=batch))
    value, grads = step.value_and_grad(X[:, 0], X[:, 1], Y)
    want_value, want_grads = _torch_demo(model, X, Y, l2)
    assert math.isclose(value, want_value, rel_tol=1e-12)
    np.testing.assert_allclose(grads, want_grads, rtol=1e-10, atol=1e-13)
    source = step.source["numpy"]  # the large-batch program from LARGE_BATCH on
    large = batch >= replay_numpy.LARGE_BATCH
    assert ("dot_rows(" in source) == large  # each layer's δ [A; 1]ᵀ
    assert ("times_step(" in source) == ("layer(K" in source) == (large and with_numba)
    assert ("outer_times_step(" in source) == (large and with_numba)  # Wᵀδ into relu's δ
    assert ("relu_neuron(" in source) == (large and with_numba)  # relu and the output layer


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("relu", [True, False])
def test_a_layer_of_few_inputs_adds_up_as_the_wsum_rule_bit_for_bit(n: int, relu: bool) -> None:
    pytest.importorskip("numba")
    kernel = numpy_fused.fused("layer")
    assert kernel is not None
    rng = np.random.default_rng(n)
    A = np.concatenate([rng.normal(size=(n, 40)) * 10.0 ** rng.integers(-300, 300, (n, 40)),
                        np.ones((1, 40))])
    A[:n, : len(SPECIAL)] = SPECIAL
    WB = rng.normal(size=(4, n + 1))
    outs = [np.full((4, 40), 7.0) for _ in range(2)]
    with np.errstate(all="ignore"):
        kernel(WB, A, outs[0], outs[1], relu)
        eager = [[ROWS["wsum"].forward(NUMPY_MATH, *WB[i, :n], *A[:n, e], WB[i, n])
                  for e in range(40)] for i in range(4)]
    want = [np.array(eager), NUMPY_MATH.relu(np.array(eager))][: 1 + relu]
    for out, w in zip(outs, want):
        np.testing.assert_array_equal(out, w)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(w))
    if not relu:
        assert (outs[1] == 7.0).all()  # R untouched
    else:  # Z and R one array: the relu in place, as the replay writes it where Z is unread
        same = np.full((4, 40), 7.0)
        with np.errstate(all="ignore"):
            kernel(WB, A, same, same, True)
        np.testing.assert_array_equal(same, want[1])


@pytest.mark.parametrize("z_read", [True, False])
def test_a_few_input_layer_keeps_its_rows_where_more_than_its_relu_reads_them(z_read) -> None:
    pytest.importorskip("numba")
    ws = [(Value(0.3 * k - 0.5), Value(0.7 - 0.2 * k), Value(0.1 * k)) for k in range(4)]
    params = [p for w in ws for p in w]

    def f(x: Value, y: Value) -> Value:
        zs = [weighted_sum([a, b], [x, y], c) for a, b, c in ws]
        out = sum((z.relu() for z in zs), Value(0.0))
        return out + zs[1] * 0.5 if z_read else out

    rng = np.random.default_rng(9)
    xs, ys = rng.normal(size=1100), rng.normal(size=1100)
    step = compile(f, params, backend="numpy")
    assert_matches(step, f, params, xs, ys)
    call = next(line for line in step.source["numpy"].splitlines() if "layer(" in line)
    z, r = call.split(", ")[2:4]
    assert (z != r) == z_read


@pytest.mark.parametrize("rows", [3, 17])
@pytest.mark.parametrize("batch", [511, 512, 513])
def test_dot_rows_either_side_of_its_switches_is_the_product(batch: int, rows: int) -> None:
    rng = np.random.default_rng(batch)
    d, a, out = rng.normal(size=(5, batch)), rng.normal(size=(rows, batch)), np.empty((5, rows))
    replay_numpy.dot_rows(d, a, out)
    want = [[math.fsum(d[i] * a[j]) for j in range(rows)] for i in range(5)]
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


def test_the_output_layers_product_and_relu_fuse_only_where_relu_alone_reads_it() -> None:
    pytest.importorskip("numba")
    model = MLP(2, [6, 1], seed=5)
    params = model.parameters()

    def loss(x: Value, y: Value) -> Value:  # the output layer's product alone feeds relu's δ
        return (1 + -y * model([x, y])).relu()

    def also_read(x: Value, y: Value) -> Value:  # a hidden relu's δ has a second source
        hidden = model.layers[0]([x, y])
        return model.layers[1](hidden) * y + hidden[2] * 0.5

    rng = np.random.default_rng(5)
    xs, ys = rng.normal(size=1100), np.sign(rng.normal(size=1100))  # over LARGE_BATCH
    for fn, fused_here in ((loss, True), (also_read, False)):
        step = compile(fn, params, backend="numpy")
        assert_matches(step, fn, params, xs, ys)
        assert ("outer_times_step(" in step.source["numpy"]) == fused_here


def test_the_fused_outer_relu_backward_equals_the_two_passes_bit_for_bit() -> None:
    pytest.importorskip("numba")
    kernel = numpy_fused.fused("outer_times_step")
    assert kernel is not None
    o, w = np.tile(NUMPY_MATH.relu(SPECIAL), (10, 1)), SPECIAL[:, None]
    for d in (SPECIAL[None, :], np.tile(SPECIAL[::-1], (10, 1))):
        out = np.full_like(o, 7.0)
        with np.errstate(all="ignore"):
            kernel(d, w, o, out)
            want = np.multiply(d, w) * NUMPY_MATH.step(o)
        np.testing.assert_array_equal(out, want)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(want))


def test_a_relu_and_the_one_neuron_layer_on_it_add_up_as_the_rows_bit_for_bit() -> None:
    pytest.importorskip("numba")
    kernel = numpy_fused.fused("relu_neuron")
    assert kernel is not None
    rng = np.random.default_rng(7)
    Z = np.concatenate([np.tile(SPECIAL, (3, 1)), rng.normal(size=(5, len(SPECIAL)))])
    WB = rng.normal(size=(1, len(Z) + 1))
    A, z = np.full_like(Z, 7.0), np.full((1, Z.shape[1]), 7.0)
    with np.errstate(all="ignore"):
        kernel(Z, WB, A, z)
        a = NUMPY_MATH.relu(Z)
        want = [ROWS["wsum"].forward(NUMPY_MATH, *WB[0, :-1], *a[:, e], WB[0, -1])
                for e in range(Z.shape[1])]
    np.testing.assert_array_equal(A, a)
    np.testing.assert_array_equal(np.signbit(A), np.signbit(a))
    np.testing.assert_array_equal(z[0], want)


@pytest.mark.parametrize("with_numba", [True, False])
def test_large_batches_under_ieee_give_the_eager_engines_inf_and_nan(
    with_numba: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if with_numba:
        pytest.importorskip("numba")
    else:
        monkeypatch.setattr(replay_numpy, "fused", lambda name: None)
    model = MLP(2, [5, 1], seed=8)
    params = model.parameters()

    def loss(x: Value, y: Value) -> Value:
        return (1 + -y * model([x, y])).relu()

    n = replay_numpy.LARGE_BATCH + 3
    rng = np.random.default_rng(8)
    xs, ys = rng.normal(size=n), np.sign(rng.normal(size=n))
    xs[[5, 700]], ys[[9, 900]] = [np.inf, -1e308], [np.nan, -np.inf]
    step = compile(loss, params, backend="numpy")
    with ieee():
        per = step(xs, ys)
        _, grads = step.value_and_grad(xs, ys, reduction="sum")
        eager = []
        for x, y in zip(xs, ys):
            out = loss(Value(float(x)), Value(float(y)))
            out.backward()
            eager.append(out.data)
        want = np.array([p.grad for p in params])
    eager_out = np.array(eager)
    for got, exact in ((per, eager_out), (grads, want)):  # nan and ±inf where eager has them
        np.testing.assert_array_equal(np.isnan(got), np.isnan(exact))
        np.testing.assert_array_equal(got[np.isinf(exact)], exact[np.isinf(exact)])
    ok = np.isfinite(eager_out)  # a BLAS product adds up in its own order: the last bit may move
    np.testing.assert_allclose(per[ok], eager_out[ok], rtol=1e-12)
    assert not np.isfinite(per[[5, 9, 900]]).any()  # the test reaches inf and nan
    finite = np.isfinite(want)
    np.testing.assert_allclose(grads[finite], want[finite], rtol=1e-10)
