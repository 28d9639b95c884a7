"""compile(backend="jax" | "torch") against the eager engine, on test_compile's programs.

The oracle is the same as in test_compile: the eager engine example by example, to 1e-12
relative. JAX and PyTorch are optional (``pathgrad[jax]``, ``pathgrad[torch]``): each test skips
with a reason when its library is missing. Every op of the rule table runs in one program, so
XLA compiles once; the two-device sharding test runs in a subprocess (XLA_FLAGS must be set
before JAX starts).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from test_compile import P0, P1, P2, assert_matches, moons, op_case
from test_compile_spec import assert_meets_the_spec

from pathgrad.autograd import ROWS, Value, compile, ieee, sum_values, weighted_sum
from pathgrad.nn import MLP

HAVE = {name: importlib.util.find_spec(name) is not None for name in ("jax", "torch")}
ARRAY_BACKENDS = [
    pytest.param(name, marks=pytest.mark.skipif(
        not HAVE[name], reason=f"{name} is not installed (pip install 'pathgrad[{name}]')"))
    for name in ("jax", "torch")
]


@pytest.mark.parametrize("backend", ARRAY_BACKENDS)
def test_micrograds_demo_step_with_l2(backend: str) -> None:
    model = MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()

    def loss_one(x1: Value, x2: Value, y: Value) -> Value:
        hinge = (1 + -y * model([x1, x2])).relu()
        return hinge + 1e-4 * sum_values([p * p for p in params])

    X, y = moons(37)
    step = compile(loss_one, params=params, backend=backend)
    assert_matches(step, loss_one, params, X[:, 0], X[:, 1], y)
    assert step.backend == backend


@pytest.mark.parametrize("backend", ARRAY_BACKENDS)
def test_every_op_of_the_table_in_one_program(backend: str) -> None:
    def f(x: Value, y: Value) -> Value:
        # each op four times side by side (a vectorised group) and once alone (a single node);
        # short sums, since XLA's compile time grows fast with the depth of a chain
        # (XLA compiles a program of this size in ~10 s: the single nodes run on torch only)
        wide = [sum_values([op_case(op, x + 0.1 * k, y) for k in range(4)]) for op in ROWS]
        total = sum_values([sum_values(wide[k : k + 6]) for k in range(0, len(wide), 6)])
        if backend == "jax":
            return total
        alone = [op_case(op, x * 0.9, y) for op in ROWS]
        return total + sum_values([sum_values(alone[k : k + 6])
                                   for k in range(0, len(alone), 6)]) * 0.5

    params = [P0, P1, P2]
    xs = np.array([-1.3, -0.5, 0.0, 0.25, 0.9, 1.4])
    ys = np.array([0.5, -1.2, 0.3, 1.0, -0.1, 0.7])
    step = compile(f, params=params, backend=backend)
    assert_matches(step, f, params, xs, ys)
    assert set(ROWS) <= set(step.tape.ops)
    assert_meets_the_spec(step, params, xs, ys)  # the tape's reference interpreter


@pytest.mark.parametrize("backend", ARRAY_BACKENDS)
def test_mlps_shared_weights_and_batch_sizes(backend: str) -> None:
    w = [Value(0.3), Value(-0.7), Value(1.1)]
    b = Value(0.2)

    def f(x: Value, y: Value) -> Value:
        z = [weighted_sum([w[0], w[1], w[2]], [x, y, x], b) for _ in range(5)]
        z.append(weighted_sum([w[2], w[2], w[0]], [x, y, x], b))
        h = [zi.tanh() for zi in z]
        return weighted_sum([w[1]] * len(h), h, w[0])

    rng = np.random.default_rng(2)
    step = compile(f, [*w, b], backend=backend)
    for n in (9, 1, 9, 4):
        assert_matches(step, f, [*w, b], rng.normal(size=n), rng.normal(size=n))
    model = MLP(3, [5, 4, 1], seed=11, activation="tanh", output_activation="sigmoid")
    params = model.parameters()

    def loss_one(a: Value, b_: Value, c: Value, y: Value) -> Value:
        return (model([a, b_, c]) - y) ** 2 + 1e-3 * sum_values([p * p for p in params])

    X, Y = rng.normal(size=(25, 3)), rng.normal(size=25)
    assert_matches(compile(loss_one, params, backend=backend), loss_one, params,
                   X[:, 0], X[:, 1], X[:, 2], Y)


@pytest.mark.parametrize("backend", ARRAY_BACKENDS)
def test_a_chain_and_ieee_nan(backend: str) -> None:
    w = Value(0.999)

    def chain(x: Value) -> Value:
        for _ in range(8):
            x = (x * w + 0.001).relu()
        return x

    assert_matches(compile(chain, [w], backend=backend), chain, [w], np.linspace(-1, 1, 7))
    step = compile(lambda x: (x * w).log(), [w], backend=backend)
    with pytest.raises(ValueError, match="example 1"):
        step.value_and_grad([1.0, -1.0])
    with ieee():
        out = step([1.0, -1.0])
    assert out[0] == pytest.approx(np.log(0.999)) and np.isnan(out[1])


def test_a_missing_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_jax(name: str, *args: object, **kwargs: object) -> object:
        if name == "jax" or name.startswith("jax."):
            raise ImportError("No module named 'jax'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jax)
    monkeypatch.delitem(sys.modules, "jax", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'pathgrad\[jax\]'"):
        compile(lambda x: x * 2.0, backend="jax")


def test_device_only_with_jax_or_torch() -> None:
    with pytest.raises(ValueError, match="device= is for backend 'jax' or 'torch'"):
        compile(lambda x: x * 2.0, backend="numpy", device="cuda")


@pytest.mark.skipif(not HAVE["torch"], reason="torch is not installed")
def test_torch_refuses_a_device_it_does_not_have() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    w = Value(2.0)
    step = compile(lambda x: x * w, [w], backend="torch", device="cuda")
    with pytest.raises((RuntimeError, AssertionError), match=r"(?i)cuda"):
        step.value_and_grad([1.0, 2.0])


@pytest.mark.skipif(not HAVE["jax"], reason="jax is not installed")
def test_jax_splits_the_batch_over_two_devices() -> None:
    # Two forced host devices; a batch of 7 (odd: padded) and the gradients match numpy's.
    script = textwrap.dedent("""
        import jax, numpy as np
        from pathgrad.autograd import compile, sum_values
        from pathgrad.nn import MLP
        assert len(jax.devices()) == 2, jax.devices()
        model = MLP(2, [8, 1], seed=3)
        ps = model.parameters()
        def f(a, b):
            return model([a, b]).tanh() + 1e-3 * sum_values([p * p for p in ps])
        X = np.random.default_rng(0).normal(size=(7, 2))
        on_jax = compile(f, ps, backend="jax")
        v, g = on_jax.value_and_grad(X[:, 0], X[:, 1])
        v0, g0 = compile(f, ps, backend="numpy").value_and_grad(X[:, 0], X[:, 1])
        assert abs(v - v0) <= 1e-12 * abs(v0), (v, v0)
        np.testing.assert_allclose(g, g0, rtol=1e-12, atol=1e-15)
        replay = on_jax._replays["jax"]
        assert len(replay.devices) == 2
        print("sharded over", len(replay.devices), "devices")
    """)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sharded over 2 devices" in done.stdout


@pytest.mark.parametrize("backend", ARRAY_BACKENDS)
def test_a_comparison_that_flips_is_named(backend: str) -> None:
    from pathgrad.autograd.compiler.compile import TraceMismatchError

    w = Value(1.0)

    def f(x: Value) -> Value:
        z = x * w
        return z * 2.0 if z > 0.5 else -z

    step = compile(f, [w], check=0, backend=backend)
    with pytest.raises(TraceMismatchError, match="example 3"):
        step.value_and_grad(np.array([1.0, 2.0, 3.0, 0.2, 4.0]))
