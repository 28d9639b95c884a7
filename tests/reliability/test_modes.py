"""Modes cannot leak: per thread, per asyncio task, blocks exiting in any order (issue 14.1)."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from pathgrad.autograd import Value, grad, ieee, is_grad_enabled, no_grad


def _held(cm):
    with cm():
        yield 1


@pytest.mark.parametrize("order", ["fifo", "lifo"])
def test_no_grad_blocks_closed_out_of_order_leave_recording_on(order):
    a, b = _held(no_grad), _held(no_grad)
    next(a)
    next(b)
    first, second = (a, b) if order == "fifo" else (b, a)
    first.close()
    assert not is_grad_enabled()  # the other block is still open
    second.close()
    assert is_grad_enabled()
    x = Value(2.0)
    (x * x).backward()
    assert x.grad == 4.0


def test_ieee_blocks_closed_out_of_order_leave_errors_on():
    a, b = _held(ieee), _held(ieee)
    next(a)
    next(b)
    a.close()
    b.close()
    with pytest.raises(ValueError, match="log"):
        Value(-1.0).log()


def test_interleaved_modes_each_exit_removes_only_its_own_block():
    a, b = _held(no_grad), _held(ieee)
    next(a)
    next(b)
    a.close()
    assert is_grad_enabled()
    assert Value(0.0).log  # still inside ieee: -inf allowed
    assert Value(0.0).log().data == float("-inf")
    b.close()
    with pytest.raises(ValueError):
        Value(0.0).log()


def test_nested_blocks_restore_what_their_entry_saw():
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_a_block_closed_in_another_thread_is_a_named_error_and_changes_nothing_there():
    gen = _held(no_grad)
    opened = contextvars.copy_context()  # open it in a context of its own, not the test's
    opened.run(next, gen)
    seen = []

    def other():
        try:
            gen.close()  # exits in a context that never entered it
        except RuntimeError as error:
            seen.append(str(error))
        seen.append(is_grad_enabled())

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert "no_grad() exited in a different thread" in seen[0]
    assert seen[1] is True
    assert opened.run(is_grad_enabled) is False
    assert is_grad_enabled()


def test_threads_do_not_share_no_grad():
    """One thread inside no_grad() while another builds graphs with grad(create_graph=True).

    The threads overlap by construction, not by the scheduler's luck: the quiet thread opens its
    no_grad() block and makes a node, then waits inside the block until the loud thread has
    built graphs; the loud thread starts only once the quiet block is open."""
    quiet_open, loud_done = threading.Event(), threading.Event()
    counts = {"leaked_parents": 0, "quiet_made": 0, "lost_parents": 0, "loud_made": 0}

    def quiet():
        w = Value(1.5)
        with no_grad():
            y = w * w + 1.0
            counts["quiet_made"] += 1
            counts["leaked_parents"] += bool(y.parents)
            quiet_open.set()
            while not loud_done.is_set():  # keep making nodes while the other thread records
                for _ in range(50):
                    y = w * w + 1.0
                    counts["quiet_made"] += 1
                    counts["leaked_parents"] += bool(y.parents)
                loud_done.wait(0.0005)

    def loud():
        assert quiet_open.wait(60), "the quiet thread never opened its no_grad() block"
        x = Value(0.7)
        try:
            for _ in range(400):
                y = (x * x).tanh() * x
                (dx,) = grad(y, [x], create_graph=True)
                counts["loud_made"] += 1
                if not (y.parents and dx.parents):
                    counts["lost_parents"] += 1
        finally:
            loud_done.set()

    threads = [threading.Thread(target=quiet), threading.Thread(target=loud)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert counts["quiet_made"] > 0 and counts["loud_made"] == 400
    assert counts["leaked_parents"] == 0
    assert counts["lost_parents"] == 0
    assert is_grad_enabled()


def test_asyncio_tasks_have_their_own_modes():
    async def quiet(started: asyncio.Event, done: asyncio.Event) -> bool:
        with no_grad():
            started.set()
            await done.wait()
            return bool((Value(1.0) * 2).parents)

    async def loud(started: asyncio.Event, done: asyncio.Event) -> bool:
        await started.wait()
        recorded = bool((Value(1.0) * 2).parents) and is_grad_enabled()
        done.set()
        return recorded

    async def main() -> tuple[bool, bool]:
        started, done = asyncio.Event(), asyncio.Event()
        q, lo = await asyncio.gather(quiet(started, done), loud(started, done))
        return q, lo

    quiet_recorded, loud_recorded = asyncio.run(main())
    assert quiet_recorded is False
    assert loud_recorded is True
    assert is_grad_enabled()


def test_a_task_created_inside_no_grad_keeps_it_after_the_block_exits():
    """The fast path skips the context variable only when no no_grad() is alive anywhere."""

    async def later(gate: asyncio.Event) -> tuple[bool, bool]:
        await gate.wait()
        return is_grad_enabled(), bool((Value(1.0) * 2).parents)

    async def main() -> tuple[bool, bool]:
        gate = asyncio.Event()
        with no_grad():
            task = asyncio.create_task(later(gate))  # copies the context: grad off
        assert is_grad_enabled()
        gate.set()
        return await task

    assert asyncio.run(main()) == (False, False)
    assert is_grad_enabled() and (Value(1.0) * 2).parents
