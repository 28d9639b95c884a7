"""Interrupt a call at a chosen bytecode instruction: the effect of a signal (Ctrl-C, SIGALRM)
landing there, made deterministic. A signal's Python handler runs between two instructions;
tracing with ``f_trace_opcodes`` raises at exactly such a point, chosen by its index, so a test
covers random points of a step without aiming timers at a shared machine's clock."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


class Interrupt(BaseException):
    """What the 'signal' raises (a BaseException, like KeyboardInterrupt)."""


def _run(fn: Callable[[], Any], at: int | None) -> int:
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "opcode":
            count += 1
            if at is not None and count == at:
                raise Interrupt
        return local

    def global_(frame, event, arg):
        frame.f_trace_opcodes = True
        return local

    sys.settrace(global_)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def count_instructions(fn: Callable[[], Any]) -> int:
    """Run ``fn`` once, traced, and return how many instructions it executed."""
    return _run(fn, None)


def interrupted_at(fn: Callable[[], Any], at: int) -> bool:
    """Run ``fn``, raising :class:`Interrupt` before its ``at``-th instruction (1-based); True if
    that cut it short, False if it finished first."""
    try:
        _run(fn, at)
    except Interrupt:
        return True
    return False
