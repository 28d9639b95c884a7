"""fit and train_step: micrograd's demo, equality with micrograd's loop, divergence, bad input."""

from __future__ import annotations

import gc
import random

import numpy as np
import pytest
from micrograd import nn as mg
from micrograd.engine import Value as MValue

from pathgrad import nn
from pathgrad.autograd import ieee
from pathgrad.nn import (
    MLP,
    SGD,
    Adam,
    DivergenceError,
    copy_parameters,
    data,
    fit,
    losses,
    train_step,
)


def _params(model):
    return [p.data for p in model.parameters()]


def test_micrograd_demo_reaches_full_training_accuracy():
    X, y = data.moons(100, noise=0.1, seed=1337, signed=True)
    model = MLP(2, [16, 16, 1], seed=1337)
    history = fit(model, X, y, losses.max_margin, SGD(model.parameters(), lr=1.0), epochs=100,
                  l2=1e-4, lr_schedule=lambda k: 1.0 - 0.9 * k / 100, verbose=False)
    assert history.steps == 100 and history.lr[0] == 1.0 and history.lr[-1] == pytest.approx(0.109)
    assert history.loss[-1] < 0.1 * history.loss[0]
    scores = model.feedforward(X)[:, 0]
    assert np.mean((scores > 0) == (y > 0)) == 1.0


def test_fit_is_micrograds_loop():
    X, y = data.moons(30, noise=0.1, seed=2, signed=True)
    random.seed(3)
    theirs = mg.MLP(2, [8, 8, 1])
    ours = MLP(2, [8, 8, 1], seed=0)
    copy_parameters(theirs, ours)
    their_losses = []
    for k in range(3):
        inputs = [list(map(MValue, row)) for row in X.tolist()]
        scores = list(map(theirs, inputs))
        ls = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
        total = sum(ls) * (1.0 / len(ls)) + 1e-4 * sum(p * p for p in theirs.parameters())
        their_losses.append(total.data)
        theirs.zero_grad()
        total.backward()
        for p in theirs.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
    history = fit(ours, X, y, "max_margin", SGD(ours.parameters(), lr=1.0), epochs=3, l2=1e-4,
                  lr_schedule=lambda k: 1.0 - 0.9 * k / 100, verbose=False)
    assert _params(ours) == pytest.approx([p.data for p in theirs.parameters()], abs=1e-12)
    assert history.loss == pytest.approx(their_losses, abs=1e-12)


def test_minibatches_of_changing_size_are_micrograds_loop():
    # batches of 12, 12 and 6: the graph's shape changes within every epoch, and backward's
    # reused order must notice each time
    X, y = data.moons(30, noise=0.1, seed=4, signed=True)
    random.seed(5)
    theirs = mg.MLP(2, [6, 1])
    ours = MLP(2, [6, 1], seed=0)
    copy_parameters(theirs, ours)
    for _ in range(4):
        for start in range(0, 30, 12):
            rows, labels = X[start : start + 12].tolist(), y[start : start + 12].tolist()
            scores = [theirs(list(map(MValue, r))) for r in rows]
            ls = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
            total = sum(ls) * (1.0 / len(ls)) + 1e-4 * sum(p * p for p in theirs.parameters())
            theirs.zero_grad()
            total.backward()
            for p in theirs.parameters():
                p.data -= 0.5 * p.grad
    fit(ours, X, y, "max_margin", SGD(ours.parameters(), lr=0.5), epochs=4, batch_size=12,
        shuffle=False, l2=1e-4, verbose=False)
    assert _params(ours) == pytest.approx([p.data for p in theirs.parameters()], abs=1e-12)


@pytest.mark.parametrize("enabled", [True, False])
def test_train_step_leaves_the_cycle_collector_as_it_found_it(enabled):
    X, y = data.moons(10, noise=0.1, seed=0, signed=True)
    model = MLP(2, [3, 1], seed=0)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        train_step(model, X, y, "hinge", SGD(model.parameters(), lr=0.1))
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError, match="input of length 2"):
            train_step(model, X[:, :1], y, "hinge", SGD(model.parameters(), lr=0.1))
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_train_step_reports_loss_and_accuracy_before_the_update():
    X, y = data.moons(20, noise=0.1, seed=0, signed=True)
    model = MLP(2, [4, 1], seed=0)
    scores = [model(r).data for r in X.tolist()]
    expected = np.mean([max(0.0, 1 - yi * s) for yi, s in zip(y, scores)])
    before = _params(model)
    value, acc = train_step(model, X, y, "hinge", SGD(model.parameters(), lr=0.1))
    assert value == pytest.approx(expected, rel=1e-12)
    assert acc == np.mean((np.array(scores) > 0) == (y > 0))
    assert _params(model) != before


def test_minibatches_are_seeded():
    X, y = data.blobs(40, centers=3, cluster_std=0.5, seed=0)

    def run(seed):
        model = MLP(2, [6, 3], seed=0)
        h = fit(model, X, y, "cross_entropy", Adam(model.parameters(), lr=0.05), epochs=3,
                batch_size=16, seed=seed, verbose=False)
        return _params(model), h

    (a, ha), (b, _), (c, _) = run(1), run(1), run(2)
    assert a == b and a != c
    assert ha.steps == 3 * 3 and len(ha.accuracy) == 3


def test_classes_with_quadratic_cost_and_integer_labels():
    X, y = data.blobs(90, centers=[[0, 0], [3, 3], [-3, 3]], cluster_std=0.4, seed=1)
    model = MLP(2, [3], activation="sigmoid", output_activation="sigmoid", seed=0,
                init="normal")
    h = fit(model, X, y, "quadratic", SGD(model.parameters(), lr=3.0), epochs=30,
            batch_size=10, seed=0, verbose=False)
    assert h.accuracy[-1] >= 0.9


class _Recording(SGD):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.after = []

    def step(self):
        super().step()
        self.after.append([p.data for p in self.params])


@pytest.mark.parametrize("ieee_mode", [False, True])
def test_divergence_names_epoch_and_step_and_keeps_last_finite_parameters(ieee_mode):
    X = np.linspace(-2, 2, 8)[:, None]
    y = 3 * X[:, 0]
    model = MLP(1, [1], seed=0)
    opt = _Recording(model.parameters(), lr=1e60)
    if ieee_mode:
        with ieee(), pytest.raises(DivergenceError) as info:
            fit(model, X, y, "quadratic", opt, epochs=20, batch_size=4, verbose=False)
    else:
        with pytest.raises(DivergenceError) as info:
            fit(model, X, y, "quadratic", opt, epochs=20, batch_size=4, verbose=False)
    error = info.value
    done = len(opt.after)
    assert done >= 1
    assert (error.epoch, error.step) == (done // 2 + 1, done % 2 + 1)
    assert f"epoch {error.epoch}, step {error.step}" in str(error)
    assert _params(model) == opt.after[-1]
    assert all(np.isfinite(_params(model)))


def test_quiet_and_progress_bar(capsys, monkeypatch):
    X, y = data.xor(20, seed=0, signed=True)
    model = MLP(2, [4, 1], seed=0)
    fit(model, X, y, "max_margin", SGD(model.parameters(), lr=0.1), epochs=2)
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    monkeypatch.setattr(nn.train, "_quiet", lambda: False)  # as on a terminal
    fit(model, X, y, "max_margin", SGD(model.parameters(), lr=0.1), epochs=2, verbose=False)
    assert capsys.readouterr().err == ""
    fit(model, X, y, "max_margin", SGD(model.parameters(), lr=0.1), epochs=2)
    err = capsys.readouterr().err
    assert "loss=" in err and "acc=" in err and "2/2" in err


def test_on_epoch_end():
    X, y = data.xor(20, seed=0, signed=True)
    model = MLP(2, [4, 1], seed=0)
    seen = []
    fit(model, X, y, "max_margin", SGD(model.parameters(), lr=0.1), epochs=3,
        on_epoch_end=lambda epoch, h: seen.append((epoch, len(h.loss))), verbose=False)
    assert seen == [(0, 1), (1, 2), (2, 3)]


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "message"),
    [
        (np.zeros((4, 3)), [1, -1, 1, -1], {}, ValueError,
         "MLP expects inputs of length 2, X has rows of length 3"),
        (np.zeros((4, 2)), [1, -1, 1], {}, ValueError, "X has 4 examples but y has 3"),
        (np.zeros(4), [1, -1, 1, -1], {}, ValueError, "shape"),
        (np.full((2, 2), np.nan), [1, -1], {}, ValueError, "nan or inf"),
        (np.zeros((2, 2)), [0, 1], {}, ValueError, "labels -1 and \\+1, y contains 0.0"),
        (np.zeros((2, 2)), ["a", "b"], {}, TypeError, "y must hold numbers"),
        (np.zeros((2, 2)), [1, -1], {"epochs": 0}, ValueError, "epochs must be"),
        (np.zeros((2, 2)), [1, -1], {"batch_size": 0}, ValueError, "batch_size must be"),
        (np.zeros((2, 2)), [1, -1], {"l2": -1.0}, ValueError, "alpha must be"),
        (np.zeros((2, 2)), [1, -1], {"loss": "mse"}, ValueError, "unknown loss"),
        (np.zeros((2, 2)), [1, -1], {"optimizer": "sgd"}, TypeError, "optimizer must be"),
    ],
)
def test_bad_input(X, y, kwargs, error, message):
    model = MLP(2, [3, 1], seed=0)
    before = _params(model)
    args = {"loss": "max_margin", "optimizer": SGD(model.parameters(), lr=0.1), **kwargs}
    with pytest.raises(error, match=message):
        fit(model, X, y, args.pop("loss"), args.pop("optimizer"), verbose=False, **args)
    assert _params(model) == before


def test_bad_class_index_for_cross_entropy():
    model = MLP(2, [3, 3], seed=0)
    with pytest.raises(ValueError, match=r"class index 3.0 is not in \[0, 3\)"):
        fit(model, np.zeros((2, 2)), [0, 3], "cross_entropy", SGD(model.parameters()),
            verbose=False)


@pytest.mark.parametrize(
    ("make", "loss", "nouts", "batch_size"),
    [
        (lambda: data.moons(60, noise=0.1, seed=0, signed=True), "max_margin", [8, 8, 1], None),
        (lambda: data.spirals(60, n_classes=3, seed=0), "cross_entropy", [8, 3], 16),
        (lambda: data.moons(40, noise=0.1, seed=0), "quadratic", [6, 2], 10),
    ],
)
def test_compiled_fit_equals_eager_fit(make, loss, nouts, batch_size):
    pytest.importorskip("pathgrad.autograd.compiler.compile")
    X, y = make()
    runs = []
    for compiled in (False, True):
        model = MLP(2, nouts, seed=0)
        h = fit(model, X, y, loss, SGD(model.parameters(), lr=0.3, momentum=0.5), epochs=3,
                batch_size=batch_size, l2=1e-3, seed=0, verbose=False, compiled=compiled)
        runs.append((_params(model), h))
    (eager, he), (comp, hc) = runs
    assert comp == pytest.approx(eager, rel=1e-9, abs=1e-12)
    assert hc.loss == pytest.approx(he.loss, rel=1e-10)
    assert hc.accuracy == he.accuracy
