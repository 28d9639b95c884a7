"""Concurrent backward passes into a shared leaf lose no update (issue 14.3)."""

from __future__ import annotations

import sys
import threading

import pytest

from pathgrad.autograd import Value


@pytest.fixture
def switch_often():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # make the interpreter change threads inside every pass
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("threads, passes", [(2, 300), (4, 100)])
def test_threads_backward_into_one_leaf_add_up_exactly(switch_often, threads, passes):
    shared = Value(0.5, label="shared")
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []
    owns: list[float] = []

    def work(k: int) -> None:
        own = Value(float(k), label=f"own{k}")
        y = shared
        for _ in range(400):
            y = y * 1.0
        y = y + own  # each pass adds exactly 1 to shared.grad and to own.grad
        barrier.wait()
        try:
            for _ in range(passes):
                y.backward()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        owns.append(own.grad)

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    assert owns == [passes] * threads
    assert shared.grad == threads * passes
