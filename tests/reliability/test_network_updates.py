"""nn.matrix.Network validates as nn.fit does and updates all or nothing (issue 14.5, 14.9)."""

from __future__ import annotations

import signal

import numpy as np
import pytest

from pathgrad.nn import DivergenceError
from pathgrad.nn.matrix import Network


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


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer (POSIX)")
def test_update_batch_interrupted_at_random_points_is_all_or_nothing():
    import random
    import time

    rng = random.Random(1)
    net = Network([200, 300, 300, 10], seed=0)
    X = np.random.default_rng(0).standard_normal((200, 64))
    Y = np.random.default_rng(1).standard_normal((10, 64))
    took = float("inf")
    for _ in range(3):  # the fastest of three: a slow first step (a shared machine, two xdist
        t0 = time.perf_counter()  # workers) would aim every signal past the later, faster ones
        net.update_batch(X, Y, 0.01)
        took = min(took, time.perf_counter() - t0)

    class Interrupt(BaseException):
        pass

    finished = [False]

    def handler(signum, frame):
        if not finished[0]:  # a signal after the step returned does not cut it short
            raise Interrupt

    old = signal.signal(signal.SIGALRM, handler)
    interrupted = 0
    try:
        for _ in range(15):
            before = _snapshot(net)
            expected = Network([200, 300, 300, 10], seed=0)
            expected.weights = [w.copy() for w in net.weights]
            expected.biases = [b.copy() for b in net.biases]
            expected.update_batch(X, Y, 0.01)
            finished[0] = False
            signal.setitimer(signal.ITIMER_REAL, rng.uniform(0.05, 1.0) * took)
            try:
                net.update_batch(X, Y, 0.01)
                finished[0] = True
                signal.setitimer(signal.ITIMER_REAL, 0)
                assert _same(_snapshot(net), _snapshot(expected))
            except Interrupt:
                interrupted += 1
                assert _same(_snapshot(net), before), "an interrupted step changed weights"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert interrupted > 0
