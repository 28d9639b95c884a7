"""The numba back end: one tape interpreter whose branches the rows write, checked against
PyTorch float64 and the eager engine on micrograd's demo loss, on one example and in blocks;
its generated source; its disk cache; and that ``import pathgrad`` leaves numba alone. (Every
row, random programs, guards and errors: ``test_compile_spec.py``, ``test_compile.py``.)"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pathgrad.autograd import ROWS, Value, compile, grad, sum_values
from pathgrad.autograd.compiler import numba_code, replay_numba
from pathgrad.autograd.compiler.compile import _numba_runs
from pathgrad.autograd.compiler.tape import Tape
from pathgrad.autograd.compiler.trace import trace
from pathgrad.autograd.rules import Rule
from pathgrad.nn import MLP

numba = pytest.importorskip("numba", reason="numba is not installed: pip install 'pathgrad[numba]'")
torch = pytest.importorskip("torch", reason="PyTorch (the oracle) is not installed")


def _demo(l2: bool) -> tuple[MLP, list[Value], object]:
    model = MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()

    def loss(x1: Value, x2: Value, y: Value) -> Value:
        hinge = (1 + -y * model([x1, x2])).relu()
        return hinge + 1e-4 * sum_values([p * p for p in params]) if l2 else hinge

    return model, params, loss


def _torch_demo(model: MLP, X: np.ndarray, Y: np.ndarray, l2: bool) -> tuple[float, np.ndarray]:
    layers = [[(torch.tensor([w.data for w in n.w], dtype=torch.float64, requires_grad=True),
                torch.tensor(n.b.data, dtype=torch.float64, requires_grad=True))
               for n in layer.neurons] for layer in model.layers]
    a = torch.tensor(X.T, dtype=torch.float64)
    for k, layer in enumerate(layers):
        z = torch.stack([w @ a + b for w, b in layer])
        a = torch.relu(z) if k < len(layers) - 1 else z
    leaves = [t for layer in layers for w, b in layer for t in (w, b)]
    loss = torch.relu(1 - torch.tensor(Y) * a[0]).mean()
    if l2:
        loss = loss + 1e-4 * sum((t * t).sum() for t in leaves)
    loss.backward()
    grads = [g for layer in layers for w, b in layer for g in (*w.grad.tolist(), b.grad.item())]
    return loss.item(), np.array(grads)


@pytest.mark.parametrize("batch", [1, 7, 300])  # one example; a block; blocks of 59 and a rest
@pytest.mark.parametrize("l2", [True, False])
def test_the_demo_loss_matches_pytorch_float64(batch: int, l2: bool) -> None:
    model, params, loss = _demo(l2)
    rng = np.random.default_rng(batch)
    X, Y = rng.normal(size=(batch, 2)), np.sign(rng.normal(size=batch))
    step = compile(loss, params, backend="numba")
    value, grads = step.value_and_grad(X[:, 0], X[:, 1], Y)  # strided views, as users pass
    assert step.backend == "numba"
    want, want_grads = _torch_demo(model, X, Y, l2)
    assert value == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(grads, want_grads, rtol=1e-11, atol=1e-14)


def test_one_example_is_the_eager_engine() -> None:
    _, params, loss = _demo(True)
    step = compile(loss, params, backend="numba")
    value, grads = step.value_and_grad([0.3], [-1.1], [1.0])
    out = loss(Value(0.3), Value(-1.1), Value(1.0))
    assert value == pytest.approx(out.data, rel=1e-14)
    np.testing.assert_allclose(grads, grad(out, params), rtol=1e-13, atol=1e-16)


def test_a_long_chain_in_blocks_is_the_closed_form(monkeypatch: pytest.MonkeyPatch) -> None:
    # x ← relu(x·w + c), 300 ops: for x > 0 it is w^k x + c Σ w^j, d/dw by hand
    monkeypatch.setattr(replay_numba, "BLOCK_BYTES", 8 * 400 * 3)  # blocks of 3 examples
    w, k, c = Value(0.999), 100, 0.001

    def chain(x: Value) -> Value:
        for _ in range(k):
            x = (x * w + c).relu()
        return x

    xs = np.linspace(0.1, 1.0, 10)
    step = compile(chain, [w], backend="numba")
    total, (gw,) = step.value_and_grad(xs, reduction="sum")
    wv = 0.999
    want = sum(wv**k * x + c * sum(wv**j for j in range(k)) for x in xs)
    dwant = sum(k * wv ** (k - 1) * x + c * sum(j * wv ** (j - 1) for j in range(1, k))
                for x in xs)
    assert total == pytest.approx(want, rel=1e-12) and gw == pytest.approx(dwant, rel=1e-12)


def test_the_branches_are_written_by_the_rows() -> None:
    source, codes = numba_code.kernel_source(cache=False)
    assert set(codes) == set(ROWS)  # every row of today's table has its branch
    assert "V[o, i] = x0 * x1" in source  # mul, as its row writes it
    assert "f_dtanh(x0)" in source and "def f_dtanh(x):" in source  # a helper, written out
    assert "f_exp = math.exp" in source  # a library function, taken by name
    assert "def f_xlogy(o: float, x: float)" in source  # a plain function, as it is
    w = Value(2.0)
    step = compile(lambda x: (w * x).tanh(), [w], backend="numba")
    step([0.5])
    assert step.source["numba"] == replay_numba.kernel()[2]


def test_a_row_it_has_no_branch_for_goes_to_numpy() -> None:
    three = Rule("fma3", lambda m, x, y, z: x * y + z, lambda m, o, x, y, z: (y, x, 1.0), 3)
    ROWS["fma3"] = three  # written only, not compiled: no branch for three operands
    try:
        assert "fma3" not in numba_code.supported()
        w = Value(2.0)
        tape = Tape(trace(lambda x: w * x, [w], [1.0]))
        tape.ops[-1] = "fma3"
        assert not _numba_runs(tape)
    finally:
        del ROWS["fma3"]


def test_the_interpreter_module_is_cached_under_a_hash_of_its_source() -> None:
    module, _, source = replay_numba.kernel()
    assert module.__file__.startswith(str(replay_numba.cache_dir()))
    with open(module.__file__) as f:
        assert f.read() == source


def test_an_unwritable_cache_folder_means_no_disk_cache(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHGRAD_CACHE_DIR", "/proc/no-such-folder")
    assert replay_numba._from_file("x = 1\n", "0" * 20) is None


def test_import_pathgrad_does_not_import_numba() -> None:
    code = ("import sys, numpy as np; from pathgrad.autograd import Value, compile; "
            "import pathgrad.nn, pathgrad.viz; w = Value(2.0); "
            "s = compile(lambda x: w * x, [w], backend='numpy'); s([1.0]); "
            "s = compile(lambda x: w * x, [w]); s([1.0]); "
            "assert 'numba' not in sys.modules, 'numba imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
