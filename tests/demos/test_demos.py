"""Each demo in its fast mode: the numbers it prints are checked against independent oracles
(sympy, closed forms, finite differences, micrograd, the matrix form) and every picture it
claims to write is a real PNG or SVG."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from demo_images import check_picture

from pathgrad.demos import (
    DEMOS,
    chain,
    digits,
    four_equations,
    learning_slowly,
    sum_over_paths,
    tiny_network,
    why_fast,
)
from pathgrad.demos.__main__ import main as run_demos


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo_out")


def _run(module: Any, out: Path) -> dict[str, Any]:
    result = module.main(fast=True, out_dir=str(out / module.__name__.rsplit(".", 1)[-1]))
    assert result["pictures"], f"{module.__name__} wrote no pictures"
    for path in result["pictures"]:
        check_picture(path)
    return result


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _dsigmoid(z: float) -> float:
    return _sigmoid(z) * (1.0 - _sigmoid(z))


# ---- 1. the 3Blue1Brown chain -----------------------------------------------------------------
@pytest.fixture(scope="module")
def chain_result(out: Path) -> dict[str, Any]:
    return _run(chain, out)


def test_chain_factor_products_equal_backward(chain_result: dict[str, Any]) -> None:
    for key in ("w3", "b3", "a2", "w2"):
        row = chain_result[key]
        assert math.prod(row["factors"]) == pytest.approx(row["product"], rel=1e-15)
        assert abs(row["product"] - row["backward"]) <= 1e-12 * max(1.0, abs(row["backward"]))
    assert len(chain_result["w2"]["factors"]) == 5  # one layer back: two more factors
    assert chain_result["max_abs_diff"] <= 1e-12
    for name, product in chain_result["path_products"].items():
        assert product == pytest.approx(chain_result["grads"][name], rel=1e-12, abs=1e-15)


def test_chain_against_sympy(chain_result: dict[str, Any]) -> None:
    sp = pytest.importorskip("sympy")
    w1, w2, w3, b1, b2, b3, a_prev = sp.symbols("w1 w2 w3 b1 b2 b3 a_prev")

    def s(z: Any) -> Any:
        return 1 / (1 + sp.exp(-z))

    a3 = s(w3 * s(w2 * s(w1 * chain.INPUT + b1) + b2) + b3)
    C0 = (a3 - chain.TARGET) ** 2
    at = dict(zip((w1, w2, w3), chain.WEIGHTS)) | dict(zip((b1, b2, b3), chain.BIASES))
    for name, symbol in (("w1", w1), ("w2", w2), ("w3", w3), ("b1", b1), ("b2", b2),
                         ("b3", b3)):
        exact = float(sp.diff(C0, symbol).subs(at).evalf(30))
        assert chain_result["grads"][name] == pytest.approx(exact, rel=1e-12)
    # ∂C0/∂a^(L−1): a2 as a free symbol in the last layer
    last = (s(w3 * a_prev + b3) - chain.TARGET) ** 2
    a2 = _sigmoid(chain.WEIGHTS[1] * _sigmoid(chain.WEIGHTS[0] * chain.INPUT + chain.BIASES[0])
                  + chain.BIASES[1])
    exact = float(sp.diff(last, a_prev).subs(at | {a_prev: a2}).evalf(30))
    assert chain_result["a2"]["backward"] == pytest.approx(exact, rel=1e-12)
    assert chain_result["cost"] == pytest.approx(float(C0.subs(at).evalf(30)), rel=1e-12)


def test_chain_pictures(chain_result: dict[str, Any]) -> None:
    names = {Path(p).name for p in chain_result["pictures"]}
    assert {"chain_graph.svg", "chain_graph.png", "chain_path_w1.svg",
            "chain_last_layer.png", "chain.xlsx"} <= names
    svg = Path(next(p for p in chain_result["pictures"] if p.endswith("chain_path_w1.svg")))
    assert "the one path" in svg.read_text(encoding="utf-8")


# ---- 2. the four equations --------------------------------------------------------------------
@pytest.fixture(scope="module")
def four_result(out: Path) -> dict[str, Any]:
    return _run(four_equations, out)


def test_four_equations_agree_with_the_engine(four_result: dict[str, Any]) -> None:
    assert set(four_result["differences"]) == {"delta_L", "delta_l", "b2", "b3", "w2", "w3"}
    assert four_result["max_abs_diff"] <= 1e-12
    assert four_result["backprop_diff"] <= 1e-12
    assert four_result["sigma_prime_diff"] <= 1e-12
    for side in ("bp", "engine"):
        # BP3: ∂C/∂b^l = δ^l on both sides
        for d, nb in zip(four_result[side]["delta"], four_result[side]["nabla_b"]):
            np.testing.assert_allclose(d, nb, rtol=0, atol=1e-15)
    shapes = [w.shape for w in four_result["engine"]["nabla_w"]]
    assert shapes == [(4, 3), (2, 4)]


def test_four_equations_against_finite_differences(four_result: dict[str, Any]) -> None:
    from pathgrad.nn.matrix import Network

    net = Network(four_equations.SIZES, activation="sigmoid", cost="quadratic",
                  seed=four_equations.SEED)
    x = np.array([[0.5], [-1.0], [2.0]])
    y = np.array([[1.0], [0.0]])

    def cost() -> float:
        return 0.5 * float(np.sum((net.feedforward(x) - y) ** 2))

    assert four_result["cost"] == pytest.approx(cost(), rel=1e-14)
    eps = 1e-6
    for l, W in enumerate(net.weights):
        for j, k in np.ndindex(W.shape):
            keep = W[j, k]
            W[j, k] = keep + eps
            up = cost()
            W[j, k] = keep - eps
            down = cost()
            W[j, k] = keep
            numeric = (up - down) / (2 * eps)
            assert four_result["bp"]["nabla_w"][l][j, k] == pytest.approx(numeric, abs=1e-9)


# ---- 3. sum over paths ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def paths_result(out: Path) -> dict[str, Any]:
    return _run(sum_over_paths, out)


def test_sum_over_paths_is_the_gradient(paths_result: dict[str, Any]) -> None:
    r = paths_result
    assert r["n_paths"] == len(r["products"]) == 3  # [2, 3, 3, 1]: one path per layer-3 neuron
    assert r["sum"] == pytest.approx(math.fsum(r["products"]), rel=1e-15)
    assert abs(r["sum"] - r["grad"]) <= 1e-12 * abs(r["grad"])
    assert abs(r["bp4"] - r["grad"]) <= 1e-12 * abs(r["grad"])
    assert r["finite_difference"] == pytest.approx(r["grad"], rel=1e-6)
    width, depth = r["big_sizes"][1], len(r["big_sizes"]) - 2
    assert r["big_count"] == width ** (depth - 1)
    assert r["big_path_sum"] == pytest.approx(r["big_grad"], rel=1e-12)
    assert any(Path(p).name == "sum_over_paths.svg" for p in r["pictures"])


# ---- 4. learning slowly -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def slow_result(out: Path) -> dict[str, Any]:
    return _run(learning_slowly, out)


def _closed_form_run(cost: str, epochs: int) -> dict[str, list[float]]:
    """Gradient descent on σ(w·1 + b) with hand-derived gradients (Nielsen ch. 3)."""
    w = b = learning_slowly.START
    rec: dict[str, list[float]] = {"a": [], "dw": []}
    for _ in range(epochs):
        z = w + b
        a = _sigmoid(z)
        # quadratic: (a − y) σ'(z); cross-entropy: a − y (σ' cancels), with y = 0 and x = 1
        dz = a * _dsigmoid(z) if cost == "quadratic" else a
        rec["a"].append(a)
        rec["dw"].append(dz)
        w -= learning_slowly.ETA * dz
        b -= learning_slowly.ETA * dz
    return rec


def test_learning_slowly_matches_the_closed_form(slow_result: dict[str, Any]) -> None:
    for cost in ("quadratic", "cross-entropy"):
        run = slow_result["runs"][cost]
        oracle = _closed_form_run(cost, len(run["a"]))
        np.testing.assert_allclose(run["a"], oracle["a"], rtol=1e-12)
        np.testing.assert_allclose(run["dw"], oracle["dw"], rtol=1e-10)
    q = slow_result["runs"]["quadratic"]
    assert q["dw"][0] == pytest.approx(_sigmoid(4.0) * _dsigmoid(4.0), rel=1e-14)


def test_cross_entropy_learns_faster_at_the_start(slow_result: dict[str, Any]) -> None:
    q, c = slow_result["runs"]["quadratic"], slow_result["runs"]["cross-entropy"]
    assert c["dw"][0] > 50 * q["dw"][0]  # σ'(4) ≈ 0.018 is missing from the cross-entropy's
    assert c["a"][10] < q["a"][10] - 0.2
    for epoch in (25, 50):
        assert c["a"][epoch] < q["a"][epoch] - 0.5
    assert q["a"][50] > 0.97  # the quadratic run has hardly moved (saturated)
    below = slow_result["first_below_half"]
    assert below["cross-entropy"] < 30 < 150 < below["quadratic"]


def test_low_activation_and_saturated_neurons(slow_result: dict[str, Any]) -> None:
    bp4 = slow_result["bp4"]
    assert bp4["g_low"] == pytest.approx(bp4["a_in"][0] * bp4["delta"], rel=1e-14)
    assert bp4["g_high"] / bp4["g_low"] == pytest.approx(90.0, rel=1e-12)
    assert slow_result["bp4_moved"][1] > 50 * slow_result["bp4_moved"][0]
    bp2 = slow_result["bp2"]
    expected = _dsigmoid(6.0) / _dsigmoid(0.0)
    assert bp2["grads"][0] / bp2["grads"][1] == pytest.approx(expected, rel=1e-12)
    assert bp2["sigma_prime"] == pytest.approx([_dsigmoid(6.0), _dsigmoid(0.0)], rel=1e-14)


# ---- 5. why backprop is fast ------------------------------------------------------------------
@pytest.fixture(scope="module")
def fast_result(out: Path) -> dict[str, Any]:
    return _run(why_fast, out)


def test_pass_counts_and_agreement(fast_result: dict[str, Any]) -> None:
    rows = fast_result["rows"]
    assert [r["n"] for r in rows] == [9, 31, 99]
    for r in rows:
        h = r["sizes"][1]
        assert r["n"] == 5 * h + h * (h + 1) + h + 1
        assert r["fd_passes"] == r["n"] + 1
        assert r["jvp_passes"] == r["n"]
        assert r["bp_passes"] == 1 and r["bp_forward_passes"] == 1
        assert r["jvp_err"] <= 1e-12
        assert r["fd_err"] <= 1e-6
        assert len(r["grad"]) == r["n"]
    big = rows[-1]
    assert big["fd_s"] > big["bp_s"]  # ~100 passes against one: a wide margin on any machine


def test_why_fast_gradient_against_numpy_bp1_to_bp4(fast_result: dict[str, Any]) -> None:
    """The reference gradient, recomputed with numpy by BP1–BP4 written out here."""
    r = fast_result["rows"][1]
    sizes = r["sizes"]
    rng = random.Random(0)
    theta = [rng.uniform(-1.0, 1.0) for _ in range(r["n"])]
    it = iter(theta)
    Ws, bs = [], []
    for n_in, n_out in itertools.pairwise(sizes):
        rows = [[next(it) for _ in range(n_in + 1)] for _ in range(n_out)]
        Ws.append(np.array([row[:-1] for row in rows]))
        bs.append(np.array([[row[-1]] for row in rows]))
    a = [np.array([why_fast.INPUT]).T]
    zs = []
    for W, b in zip(Ws, bs):
        zs.append(W @ a[-1] + b)
        a.append(1 / (1 + np.exp(-zs[-1])))
    delta = (a[-1] - why_fast.TARGET) * a[-1] * (1 - a[-1])
    grads: list[np.ndarray] = []
    for l in range(len(Ws) - 1, -1, -1):
        grads.insert(0, np.hstack([delta @ a[l].T, delta]))
        if l:
            delta = (Ws[l].T @ delta) * a[l] * (1 - a[l])
    flat = np.concatenate([g.ravel() for g in grads])
    np.testing.assert_allclose(r["grad"], flat, rtol=1e-10, atol=1e-15)


# ---- 6. the tiny network ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_result(out: Path) -> dict[str, Any]:
    return _run(tiny_network, out)


def test_tiny_network_learns(tiny_result: dict[str, Any]) -> None:
    r = tiny_result
    assert r["n_params"] == 337 and len(r["loss"]) == r["epochs"] == 15
    assert r["loss"][-1] < 0.5 * r["loss"][0]
    assert r["train_accuracy"] >= 0.85
    assert r["test_accuracy"] >= 0.8
    assert r["compiled_loss_diff"] <= 1e-12 and r["compiled_param_diff"] <= 1e-12


def test_tiny_network_first_loss_equals_micrograds(tiny_result: dict[str, Any]) -> None:
    """micrograd, seeded the same way, computes the same first loss (its demo's formula)."""
    mg = pytest.importorskip("micrograd.nn")
    from pathgrad.nn import data

    X, y = data.moons(100, noise=0.1, seed=tiny_network.SEED, signed=True)
    random.seed(tiny_network.SEED)
    model = mg.MLP(2, [16, 16, 1])
    scores = [model([float(a), float(b)]) for a, b in X.tolist()]
    losses = [(1 + -float(yi) * s).relu() for yi, s in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg = 1e-4 * sum(p * p for p in model.parameters())
    assert tiny_result["loss"][0] == pytest.approx((data_loss + reg).data, rel=1e-12)
    accuracy = np.mean([(float(yi) > 0) == (s.data > 0) for yi, s in zip(y, scores)])
    assert tiny_result["accuracy"][0] == pytest.approx(accuracy)


# ---- 7. digits --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits_result(out: Path) -> dict[str, Any]:
    return _run(digits, out)


def test_digits_accuracy(digits_result: dict[str, Any]) -> None:
    r = digits_result
    assert r["n_test"] == 450 and len(r["history"]) == r["epochs"]
    assert r["accuracy"] >= 0.9
    assert r["accuracy"] == pytest.approx(r["history"][-1] / r["n_test"])
    assert r["n_wrong"] == r["n_test"] - r["history"][-1]
    assert r["cross_entropy_accuracy"] >= 0.9
    assert r["cross_entropy_history"][0] > r["history"][0]  # the faster start of demo 4


# ---- the runner -------------------------------------------------------------------------------
def test_every_demo_module_has_main() -> None:
    import importlib
    import inspect

    for name, what in DEMOS:
        module = importlib.import_module(f"pathgrad.demos.{name}")
        params = inspect.signature(module.main).parameters
        assert list(params) == ["fast", "out_dir"], name
        assert what and module.__doc__


def test_runner_runs_named_demos_and_refuses_unknown_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_demos(["chain", "--fast", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "summary" in printed and "chain" in printed
    assert (tmp_path / "chain_graph.svg").is_file()
    with pytest.raises(SystemExit):
        run_demos(["nonexistent"])
    assert "unknown demo 'nonexistent'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["common", *[name for name, _ in DEMOS]])
def test_the_demo_modules_doctests(name: str) -> None:
    """demos/ is outside pytest's doctest paths: run each module's examples here."""
    import doctest
    import importlib

    module = importlib.import_module(f"pathgrad.demos.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
