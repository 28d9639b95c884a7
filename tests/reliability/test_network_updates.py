"""nn.matrix.Network validates as nn.fit does and updates all or nothing (issue 14.5, 14.9)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from interrupts import count_instructions, interrupted_at

from pathgrad.nn import DivergenceError
from pathgrad.nn.matrix import Network, network


def _data(n: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((3, 1)), np.eye(2)[:, [int(rng.integers(2))]]) for _ in range(n)]


def _snapshot(net: Network) -> list[np.ndarray]:
    return [a.copy() for a in (*net.weights, *net.biases)]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("eta", [-1, 0, float("nan"), float("inf"), True, 10**400])
def test_a_bad_learning_rate_is_refused(eta):
    net = Network([3, 4, 2], seed=0)
    with pytest.raises((ValueError, TypeError, OverflowError), match="eta"):
        net.SGD(_data(), 1, 10, eta, verbose=False)


def test_non_finite_data_is_refused_naming_the_example():
    data = _data()
    data[7] = (np.full((3, 1), np.nan), data[7][1])
    net = Network([3, 4, 2], seed=0)
    before = _snapshot(net)
    with pytest.raises(ValueError, match=r"training_data: x\[7\] contains nan or inf"):
        net.SGD(data, 1, 10, 0.5, verbose=False)
    with pytest.raises(ValueError, match="input x contains nan or inf"):
        net.update_batch(np.full((3, 2), np.inf), np.zeros((2, 2)), 0.5)
    assert _same(_snapshot(net), before)


def test_a_diverging_eta_stops_with_divergence_error_and_keeps_the_last_good_weights():
    net = Network([3, 4, 2], activation="linear", seed=0)
    data = [(x * 1e50, y) for x, y in _data()]
    with pytest.raises(DivergenceError, match=r"diverged at epoch \d+, step \d+") as info:
        net.SGD(data, 50, 10, 1e3, verbose=False)
    assert info.value.epoch >= 1 and info.value.step >= 1
    assert all(np.isfinite(a).all() for a in (*net.weights, *net.biases))


def test_update_batch_interrupted_at_random_points_is_all_or_nothing():
    import random

    rng = random.Random(1)
    net = Network([20, 30, 30, 10], seed=0)
    X = np.random.default_rng(0).standard_normal((20, 16))
    Y = np.random.default_rng(1).standard_normal((10, 16))
    net.update_batch(X, Y, 0.01)
    probe = Network([20, 30, 30, 10], seed=0)
    total = count_instructions(lambda: probe.update_batch(X, Y, 0.01))
    assert total > 100
    interrupted = 0
    for i in range(30):
        before = _snapshot(net)
        expected = Network([20, 30, 30, 10], seed=0)
        expected.weights = [w.copy() for w in net.weights]
        expected.biases = [b.copy() for b in net.biases]
        expected.update_batch(X, Y, 0.01)
        at = total * 10 if i == 0 else rng.randint(1, total)
        if interrupted_at(lambda: net.update_batch(X, Y, 0.01), at):
            interrupted += 1
            assert _same(_snapshot(net), before), f"an interrupt at {at} changed weights"
        else:
            assert _same(_snapshot(net), _snapshot(expected))
    assert 0 < interrupted < 30


def test_huge_finite_weights_are_not_mistaken_for_divergence():
    # the finiteness check is one sum over every new parameter, which overflows here
    # (1e308 + 1e308): the entries are then checked one by one. Closed form for linear neurons:
    # a = w x + b = 0, δ = a − y = 1 per output, ∂C/∂w = δ xᵀ = [0, 1], ∂C/∂b = 1.
    net = Network([2, 2], activation="linear", seed=0)
    net.weights, net.biases = [np.array([[1e308, 0.0], [1e308, 0.0]])], [np.zeros((2, 1))]
    net.update_batch(np.array([[0.0], [1.0]]), np.array([[-1.0], [-1.0]]), 0.5)
    assert net.weights[0].tolist() == [[1e308, -0.5], [1e308, -0.5]]
    assert net.biases[0].tolist() == [[-0.5], [-0.5]]


def test_assigned_arrays_and_copies_are_never_written_by_later_steps():
    X = np.random.default_rng(0).standard_normal((3, 8))
    Y = np.full((2, 8), 0.5)
    net = Network([3, 4, 2], seed=0)
    mine = [np.ones((4, 3)), np.ones((2, 4))]
    net.weights = mine
    for _ in range(3):
        net.update_batch(X, Y, 0.5)
    assert all((w == 1.0).all() for w in mine)  # the step wrote into arrays of its own
    twin, shallow = copy.deepcopy(net), copy.copy(net)
    kept = _snapshot(net)
    for _ in range(3):
        twin.update_batch(X, Y, 0.5)
        shallow.update_batch(X, Y, 0.5)
    assert _same(_snapshot(net), kept)  # copies step on buffers of their own
    assert _same(_snapshot(twin), _snapshot(shallow))
    net.update_batch(X, Y, 0.5)
    assert not _same(_snapshot(net), kept) and _same(_snapshot(twin), _snapshot(shallow))


@pytest.mark.parametrize("m", [1, 2, 7])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("weights", ["random", "zero", "saturating"])
@pytest.mark.parametrize("deferred", [True, False])
def test_a_non_finite_input_is_refused_with_nothing_changed(m, bad, weights, deferred,
                                                            monkeypatch):
    # X is checked for nan and inf only when the new parameters fail the check (where BP4's
    # products spread nan and inf, as OpenBLAS's do: deferred): these are the cases where a bad
    # entry could hide (δ = 0 where the weights are zero or the sigmoids saturate, so only
    # 0·nan = 0·inf = nan spreads it), at every place in X.
    assert network._DEFER_X_CHECK
    monkeypatch.setattr(network, "_DEFER_X_CHECK", deferred)
    rng = np.random.default_rng(m)
    net = Network([3, 4, 2], seed=0)
    if weights == "zero":
        net.weights = [np.zeros((4, 3)), np.zeros((2, 4))]
    elif weights == "saturating":
        net.weights = [w * 1e3 for w in net.weights]
    X, Y = rng.standard_normal((3, m)), np.full((2, m), 0.5)
    net.update_batch(X, Y, 0.1)  # the network has seen a step: zs, activations, deltas are set
    inspected = [[a.copy() for a in arrays] for arrays in (net.zs, net.activations, net.deltas)]
    before, twin = _snapshot(net), copy.deepcopy(net)
    for i in range(3):
        for j in range(m):
            bad_X = X.copy()
            bad_X[i, j] = bad
            with pytest.raises(ValueError, match="input x contains nan or inf"):
                net.update_batch(bad_X, Y, 0.1)
            batch = [(bad_X[:, [k]], Y[:, [k]]) for k in range(m)]
            with pytest.raises(ValueError, match=rf"mini_batch: x\[{j}\] contains nan or inf"):
                net.update_mini_batch_matrix(batch, 0.1)
    assert _same(_snapshot(net), before)
    for arrays, kept in zip((net.zs, net.activations, net.deltas), inspected):
        assert _same(arrays, kept)
    net.update_batch(X, Y, 0.1)  # and the next good step is the one an untouched copy takes
    twin.update_batch(X, Y, 0.1)
    assert _same(_snapshot(net), _snapshot(twin))


def test_a_non_finite_target_is_refused_with_nothing_changed():
    net = Network([3, 4, 2], seed=0)
    before = _snapshot(net)
    X, Y = np.ones((3, 2)), np.full((2, 2), 0.5)
    Y[1, 1] = np.nan
    with pytest.raises(ValueError, match="target y contains nan or inf"):
        net.update_batch(X, Y, 0.1)
    with pytest.raises(ValueError, match=r"mini_batch: y\[1\] contains nan or inf"):
        net.update_mini_batch_matrix([(X[:, [k]], Y[:, [k]]) for k in range(2)], 0.1)
    assert _same(_snapshot(net), before) and net.zs == []
