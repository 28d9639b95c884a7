"""Optimizers against closed-form steps and PyTorch (float64, when installed); bad input."""

from __future__ import annotations

import math

import pytest

from pathgrad.autograd import Value, ieee
from pathgrad.nn import SGD, Adam
from pathgrad.nn.optim import NonFiniteError

GRADS = [[0.5, -1.0], [0.25, 2.0], [-3.0, 0.125], [1.0, 1.0]]
START = [0.3, -0.7]


def _run(opt_cls, grads=GRADS, **kwargs):
    ps = [Value(x) for x in START]
    opt = opt_cls(ps, **kwargs)
    trace = []
    for g in grads:
        for p, gi in zip(ps, g):
            p.grad = gi
        opt.step()
        trace.append([p.data for p in ps])
    return trace


def test_sgd_is_nielsens_rule_on_mean_gradients():
    # w → w − (η/m) Σ_x ∂C_x/∂w: the batch mean's gradient already carries 1/m.
    w = Value(0.5)
    xs, ys = [1.0, 2.0, -1.0], [1.0, 0.0, 2.0]
    c = sum(((w * x - y) ** 2 for x, y in zip(xs, ys)), Value(0.0)) * (1 / 3)
    c.backward()
    SGD([w], lr=0.1).step()
    per_example = [2 * (0.5 * x - y) * x for x, y in zip(xs, ys)]
    assert w.data == pytest.approx(0.5 - 0.1 / 3 * sum(per_example), rel=1e-15)


def test_sgd_closed_form():
    trace = _run(SGD, lr=0.1)
    w = list(START)
    for g, got in zip(GRADS, trace):
        w = [wi - 0.1 * gi for wi, gi in zip(w, g)]
        assert got == pytest.approx(w, rel=1e-15)


def test_momentum_closed_form_equals_nielsens_velocity():
    trace = _run(SGD, lr=0.1, momentum=0.9)
    w, v = list(START), [0.0, 0.0]  # Nielsen ch. 3: v → μv − η∇C, w → w + v
    for g, got in zip(GRADS, trace):
        v = [0.9 * vi - 0.1 * gi for vi, gi in zip(v, g)]
        w = [wi + vi for wi, vi in zip(w, v)]
        assert got == pytest.approx(w, rel=1e-12)


def test_adam_closed_form():
    trace = _run(Adam, lr=0.01)
    w, m, v = list(START), [0.0, 0.0], [0.0, 0.0]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t, (g, got) in enumerate(zip(GRADS, trace), start=1):
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        mhat = [mi / (1 - b1**t) for mi in m]
        vhat = [vi / (1 - b2**t) for vi in v]
        w = [wi - 0.01 * mh / (math.sqrt(vh) + eps) for wi, mh, vh in zip(w, mhat, vhat)]
        assert got == pytest.approx(w, rel=1e-12)


@pytest.mark.parametrize(
    ("ours", "kwargs"),
    [
        (SGD, {"lr": 0.1}),
        (SGD, {"lr": 0.1, "momentum": 0.9}),
        (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
        (Adam, {"lr": 0.01}),
        (Adam, {"lr": 0.05, "betas": (0.5, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ],
)
def test_against_pytorch(ours, kwargs):
    torch = pytest.importorskip("torch")
    trace = _run(ours, **kwargs)
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, ours.__name__)([p], **kwargs)
    for g, got in zip(GRADS, trace):
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        assert got == pytest.approx(p.detach().tolist(), rel=1e-13, abs=1e-15)


def test_zero_grad_and_schedule():
    ps = [Value(1.0), Value(2.0)]
    opt = SGD(ps, lr=0.1)
    for p in ps:
        p.grad = 5.0
    opt.zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]
    opt.lr = 0.05
    assert opt.lr == 0.05
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        opt.lr = float("inf")
    assert opt.lr == 0.05


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: SGD(p, lr=0), ValueError, "lr must be finite and > 0, got 0"),
        (lambda p: SGD(p, lr=-0.1), ValueError, "lr must be"),
        (lambda p: SGD(p, lr=float("nan")), ValueError, "lr must be"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a number"),
        (lambda p: SGD(p, momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
        (lambda p: SGD(p, nesterov=True), ValueError, "nesterov"),
        (lambda p: SGD(p, weight_decay=-1), ValueError, "weight_decay"),
        (lambda p: Adam(p, betas=(0.9,)), ValueError, "betas must be a pair"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, "beta2"),
        (lambda p: Adam(p, eps=0.0), ValueError, "eps"),
        (lambda p: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda p: SGD([*p, 1.0], lr=0.1), TypeError, "parameter 2 is not a Value"),
        (lambda p: SGD([*p, p[0]], lr=0.1), ValueError, "more than once"),
    ],
)
def test_bad_hyperparameters(make, error, message):
    with pytest.raises(error, match=message):
        make([Value(1.0), Value(2.0)])


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_non_finite_step_changes_nothing(cls):
    ps = [Value(1.0, label="w"), Value(2.0)]
    opt = cls(ps, lr=0.1, momentum=0.5) if cls is SGD else cls(ps, lr=0.1)
    for p in ps:
        p.grad = 1.0
    opt.step()
    before = [p.data for p in ps]
    state = dict(vars(opt))
    ps[0].grad, ps[1].grad = 1.0, float("nan")
    with pytest.raises(NonFiniteError, match=r"gradient of parameter 1 is nan"):
        opt.step()
    assert [p.data for p in ps] == before and vars(opt) == state
    if cls is SGD:
        ps[0].grad, ps[1].grad = 1e308, 0.0
        opt.lr = 1e10
        with ieee(), pytest.raises(NonFiniteError, match=r"makes parameter 0 \(w\) -inf"):
            opt.step()
        assert [p.data for p in ps] == before
