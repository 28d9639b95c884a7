"""The compiler as a visible pipeline: the reference interpreter of the tape is the spec every
generated replay meets (numpy grouped and wide, Python, the once-per-call scalar part; JAX and
PyTorch in ``test_compile_backends.py``, on one program of every row); ``print(step.tape)``
lists the program like a jaxpr; ``step.source`` keeps the generated code."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compile import P0, P1, P2, _apply, op_case, programs

from pathgrad import autograd
from pathgrad.autograd import ROWS, Value, compile, grad, sum_values
from pathgrad.autograd.compiler import replay_numba, replay_scalar
from pathgrad.autograd.compiler.compile import Compiled
from pathgrad.autograd.compiler.interpret import interpret
from pathgrad.nn import MLP

REL = 1e-12
XS = np.array([-1.3, -0.5, 0.0, 0.25, 0.9, 1.4])
YS = np.array([0.5, -1.2, 0.3, 1.0, -0.1, 0.7])


MODES = ["numpy", "numpy-wide", "python", "python-scalar-wide",
         *(["numba", "numba-block"] if replay_numba.available() else [])]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "numpy-wide":
        monkeypatch.setattr(autograd.compiler.tape, "WIDE", 1)  # every group one rule call
    if request.param == "numba-block":
        monkeypatch.setattr(replay_numba, "BLOCK_BYTES", 8 * 40 * 4)  # blocks of a few examples
    if request.param == "python-scalar-wide":
        monkeypatch.setattr(replay_scalar, "SCALAR_WIDE", 1)  # the scalar part as numpy
    yield request.param.split("-")[0]


def assert_meets_the_spec(step: Compiled, params: list[Value], *arrays: np.ndarray) -> None:
    """The replay's outputs and batch-summed gradients are the interpreter's, to rounding."""
    out, grads = step.value_and_grad(*arrays, reduction="sum")
    per_example = step(*arrays)
    want_out, leaf_grads = interpret(step.tape, *arrays)
    by_leaf = {id(v): g for v, g in zip(step.tape.leaf_values, leaf_grads)}
    want = [by_leaf.get(id(p), 0.0) for p in params]
    scale = max(1.0, float(np.abs(want_out).max()))
    np.testing.assert_allclose(per_example, want_out, rtol=REL, atol=REL * scale)
    assert out == pytest.approx(sum(want_out), rel=REL, abs=REL * scale * len(want_out))
    np.testing.assert_allclose(grads, want, rtol=1e-11, atol=1e-11 * max(map(abs, want),
                                                                          default=1.0))


def _with_rows(ops: list[str]) -> Callable[[Value, Value], Value]:
    def f(x: Value, y: Value) -> Value:
        # six copies of each op side by side (a group), and six that read no input (scalars)
        batch = [op_case(op, x + 0.1 * k, y) for op in ops for k in range(6)]
        once = [op_case(op, P0 + 0.1 * k, P1) for op in ops for k in range(6)]
        return sum_values(batch) + x * sum_values(once)

    return f


@pytest.mark.parametrize("op", sorted(ROWS))
def test_every_row_in_every_replay_meets_the_spec(op: str, mode: str) -> None:
    params = [P0, P1, P2]
    assert_meets_the_spec(compile(_with_rows([op]), params, backend=mode), params, XS, YS)


@settings(max_examples=25, deadline=None)
@given(programs(), st.data())
def test_random_programs_meet_the_spec(
    program: tuple[list[tuple[str, int, int, int]], int], data: st.DataObject
) -> None:
    steps, batch = program
    params = [Value(v) for v in (0.5, -0.8, 1.2)]

    def f(x: Value, y: Value) -> Value:
        nodes = [x, y, *params]
        for op, i, j, k in steps:
            nodes.append(_apply(op, nodes[i], nodes[j], nodes[k]))
        return nodes[-1] + x * 0.0

    floats = st.floats(-2.0, 2.0, allow_nan=False)
    xs = np.array(data.draw(st.lists(floats, min_size=batch, max_size=batch)))
    ys = np.array(data.draw(st.lists(floats, min_size=batch, max_size=batch)))
    backend = data.draw(st.sampled_from(["numpy", "python", *MODES[4:5]]))
    assert_meets_the_spec(compile(f, params, backend=backend, check=0), params, xs, ys)


def test_the_spec_is_the_eager_engine_example_by_example() -> None:
    model = MLP(2, [4, 3, 1], seed=3)
    params = model.parameters()

    def loss(x: Value, y: Value) -> Value:
        return (1.0 - y * model([x, y])).relu() + 1e-3 * sum_values([p * p for p in params])

    step = compile(loss, params)
    step(XS, YS)
    outputs, leaf_grads = interpret(step.tape, XS, YS)
    total = np.zeros(len(params))
    for b, (x, y) in enumerate(zip(XS, YS)):
        out = loss(Value(float(x)), Value(float(y)))
        assert outputs[b] == pytest.approx(out.data, rel=1e-14)
        total += grad(out, params)
    by_leaf = {id(v): g for v, g in zip(step.tape.leaf_values, leaf_grads)}
    np.testing.assert_allclose([by_leaf[id(p)] for p in params], total, rtol=1e-12, atol=1e-15)


# ---- the tape as text, the generated code ----------------------------------------------------
def _mlp_step() -> Compiled:
    model = MLP(2, [16, 16, 1], seed=1337)  # micrograd's demo network
    params = model.parameters()

    def loss(x: Value, y: Value) -> Value:
        return (1.0 - y * model([x, y])).relu() + 1e-4 * sum_values([p * p for p in params])

    return compile(loss, params, backend="numpy")


def test_the_tape_prints_one_line_per_group_like_a_jaxpr() -> None:
    step = _mlp_step()
    step(XS, YS)
    text = str(step.tape)
    lines = text.splitlines()
    assert lines[0].startswith("{ lambda ") and lines[0].endswith("; x:f64[B], y:f64[B] .")
    assert "…" in lines[0]  # 337 parameters: the ends and a count
    assert lines[1] == "  let" and lines[-1].startswith("  in ( ") and lines[-1].endswith(" ) }")
    body = lines[2:-1]
    # the L2 term once per call: 337 squares as one group, their sum, the scale
    assert body[0].endswith(":f64[337] = mul " + body[0].split(" = mul ")[1])
    assert any(":f64[] = sum *" in line for line in body)
    # three layers as matrix products of shapes 16, 16 and 1, each followed by its activation
    layers = [line for line in body if "wsum[matmul]" in line]
    assert [line.split(":f64[")[1].split("]")[0] for line in layers] == ["16,B", "16,B", "B"]
    assert sum(":f64[16,B] = relu " in line for line in body) == 2
    n_groups = sum(len(level) for level in autograd.compiler.tape.plan(step.tape))
    assert len(body) == n_groups + 3  # one line per group: the batch's plus the scalar part's


def test_the_source_of_each_back_end_is_kept() -> None:
    step = _mlp_step()
    assert step.source == {}  # nothing generated before the first call
    step(XS, YS)
    step.value_and_grad(XS, YS)
    assert set(step.source) == {"scalar", "numpy"}
    numpy_code = step.source["numpy"]
    assert numpy_code.startswith("def f0(V, S, RV):") and "np.matmul(" in numpy_code
    assert "def f0(V, G, S, GS, RV, RG):" in numpy_code  # the backward sweep too
    step.backend_choice = "python"
    step(XS, YS)
    assert set(step.source) == {"scalar", "numpy", "python"}
    assert "def f0(v, s):" in step.source["python"]
    for text in step.source.values():
        builtins.compile(text, "<source>", "exec")  # each is Python as written


def test_the_tape_before_the_first_call_is_refused_by_name() -> None:
    step = compile(lambda x: x * 2.0)
    with pytest.raises(ValueError, match="not traced yet"):
        _ = step.tape
