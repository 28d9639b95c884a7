"""Updates are all or nothing (issue 14.4, 14.9): non-finite optimizer state is an error that
changes nothing, and a signal at a random point of a step leaves either the whole step or none."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from interrupts import count_instructions, interrupted_at

from pathgrad.autograd import Value
from pathgrad.nn import MLP, SGD, Adam, DivergenceError, fit
from pathgrad.nn.optim import NonFiniteError


def _state(opt) -> tuple:
    extra = tuple(
        list(getattr(opt, name)) if getattr(opt, name) is not None else None
        for name in ("velocity", "exp_avg", "exp_avg_sq") if hasattr(opt, name)
    )
    return ([p.data for p in opt.params], extra, opt.steps)


def test_adam_state_that_would_overflow_is_an_error_and_changes_nothing():
    w = Value(1.0, label="w")
    opt = Adam([w], lr=0.1)
    w.grad = 1.0
    opt.step()
    before = _state(opt)
    w.grad = 1e160  # g² overflows: exp_avg_sq would be inf and w would never move again
    with pytest.raises(NonFiniteError, match=r"second moment \(exp_avg_sq\) of parameter 0 \(w\)"):
        opt.step()
    assert _state(opt) == before
    w.grad = 1.0
    opt.step()  # still trains
    assert math.isfinite(opt.exp_avg_sq[0]) and w.data != before[0][0]


def test_sgd_momentum_velocity_that_would_overflow_changes_nothing():
    w = Value(1.0)
    opt = SGD([w], lr=1e-300, momentum=0.9)
    w.grad = 1.7e308
    opt.step()
    before = _state(opt)
    with pytest.raises(NonFiniteError, match="velocity"):
        opt.step()
    assert _state(opt) == before


def test_huge_learning_rates_are_named():
    with pytest.raises(OverflowError, match="lr is an int too large for a float"):
        SGD([Value(1.0)], lr=10**400)
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        Adam([Value(1.0)], lr=-1)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.01, momentum=0.9),
    lambda ps: Adam(ps, lr=0.01),
], ids=["sgd-momentum", "adam"])
def test_an_interrupt_at_a_random_point_of_a_step_leaves_all_or_nothing(make):
    """A signal lands between two bytecode instructions; every such point is equally likely
    here (chosen by index, not by a timer aimed at a shared machine's clock)."""
    rng = random.Random(0)
    params = [Value(rng.uniform(-1, 1)) for _ in range(200)]
    opt = make(params)
    for p in params:
        p.grad = rng.uniform(-1, 1)
    opt.step()  # state exists: velocity / moments
    probe = make([Value(p.data) for p in params])
    for q, p in zip(probe.params, params):
        q.grad = p.grad
    probe.step()
    total = count_instructions(probe.step)
    assert total > 1000
    outcomes = {"none": 0, "all": 0}
    for i in range(40):
        before = _state(opt)
        at = total + 1 if i == 0 else rng.randint(1, total)  # the first step runs through
        if interrupted_at(opt.step, at):
            assert _state(opt) == before, f"an interrupt at instruction {at} changed something"
            outcomes["none"] += 1
        else:
            assert opt.steps == before[2] + 1
            outcomes["all"] += 1
    assert outcomes["none"] >= 30 and outcomes["all"] >= 1, outcomes


def test_a_failed_fit_step_leaves_grads_and_parameters_as_they_were():
    model = MLP(2, [3, 1], seed=0)
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([1.0, -1.0])
    for p in model.parameters():
        p.grad = 0.25
    grads = [p.grad for p in model.parameters()]
    data = [p.data for p in model.parameters()]
    with pytest.raises(DivergenceError):
        fit(model, X * 1e100, y, "quadratic", SGD(model.parameters(), lr=1e300), epochs=1,
            verbose=False)
    assert [p.data for p in model.parameters()] == data
    assert [p.grad for p in model.parameters()] == grads
