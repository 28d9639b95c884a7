"""Data sets: scikit-learn's geometry, seeded reproducibility, label conventions, bad input."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn import datasets as skd

from pathgrad.nn import data


@pytest.mark.parametrize("n", [7, 100])
def test_moons_and_circles_have_sklearns_geometry(n):
    X, y = data.moons(n, shuffle=False)
    Xs, ys = skd.make_moons(n, shuffle=False, noise=None)
    assert np.allclose(X, Xs, atol=1e-15) and np.array_equal(y, ys)
    X, y = data.circles(n, factor=0.6, shuffle=False)
    Xs, ys = skd.make_circles(n, shuffle=False, factor=0.6)
    assert np.allclose(X, Xs, atol=1e-15) and np.array_equal(y, ys)


@pytest.mark.parametrize(
    "make",
    [
        lambda s: data.moons(50, noise=0.1, seed=s),
        lambda s: data.circles(50, noise=0.05, seed=s),
        lambda s: data.xor(50, noise=0.05, seed=s),
        lambda s: data.spirals(60, n_classes=3, seed=s),
        lambda s: data.blobs(50, centers=4, seed=s),
    ],
)
def test_seeded_and_typed(make):
    X, y = make(3)
    X2, y2 = make(3)
    X3, _ = make(4)
    assert np.array_equal(X, X2) and np.array_equal(y, y2) and not np.array_equal(X, X3)
    assert X.dtype == np.float64 and y.dtype == np.int64 and X.ndim == 2 and len(X) == len(y)
    assert set(y.tolist()) == set(range(y.max() + 1))


def test_noise_is_gaussian_with_the_given_std():
    clean, _ = data.moons(4000, shuffle=False)
    noisy, _ = data.moons(4000, noise=0.1, seed=0, shuffle=False)
    assert abs(np.std(noisy - clean) - 0.1) < 0.005


def test_signed_labels_for_micrograd():
    _, y = data.moons(100, seed=0, signed=True)
    assert set(y.tolist()) == {-1, 1} and (y == 1).sum() == 50
    with pytest.raises(ValueError, match="signed labels need 2 classes"):
        data.spirals(30, n_classes=3, signed=True)


def test_xor_and_spirals_shape():
    X, y = data.xor(400, seed=1)
    assert np.all(np.abs(X) <= 1)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    X, y = data.spirals(100, n_classes=2, noise=0.0, seed=0, shuffle=False)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[:50], np.linspace(0, 1, 50))


def test_blobs_centres():
    X, y = data.blobs(300, centers=[[0, 0], [4, 4], [-4, 4]], cluster_std=0.5, seed=0)
    for k, c in enumerate([[0, 0], [4, 4], [-4, 4]]):
        assert np.allclose(X[y == k].mean(axis=0), c, atol=0.15)
        assert np.allclose(X[y == k].std(axis=0), 0.5, atol=0.08)


def test_digits():
    X, y = data.digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and X.max() == 16.0
    assert np.array_equal(np.bincount(y) > 170, np.ones(10, bool))
    assert data.digits(scale=True)[0].max() == 1.0


def test_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install pathgrad\[digits\]"):
        data.digits()


def test_one_hot_and_split():
    assert data.one_hot(np.array([1, 0, 2])).tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="does not fit n_classes=2"):
        data.one_hot([0, 2], 2)
    with pytest.raises(ValueError, match="class labels"):
        data.one_hot([0.5])
    X, y = data.moons(40, seed=0)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, 0.25, seed=1)
    assert len(Xte) == len(yte) == 10 and len(Xtr) == len(ytr) == 30
    rows = {tuple(r) for r in np.vstack([Xtr, Xte])}
    assert rows == {tuple(r) for r in X}
    with pytest.raises(ValueError, match="X has 40 rows but y has 39"):
        data.train_test_split(X, y[:-1])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: data.moons(1), ValueError, "n_samples must be an int >= 2, got 1"),
        (lambda: data.moons(10.5), ValueError, "n_samples must be an int"),
        (lambda: data.moons(10, noise=-0.1), ValueError, "noise must be finite and >= 0"),
        (lambda: data.moons(10, noise="a"), TypeError, "noise must be a number"),
        (lambda: data.circles(10, factor=1.5), ValueError, r"factor must be in \(0, 1\)"),
        (lambda: data.spirals(10, n_classes=1), ValueError, "n_classes must be an int >= 2"),
        (lambda: data.blobs(10, centers=[[np.nan, 0]]), ValueError, "finite"),
        (lambda: data.train_test_split([[1]] * 4, [0] * 4, 1.5), ValueError, "test_fraction"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("n, noise, seed, shuffle", [
    (100, 0.1, 1337, True), (7, 0.3, 0, True), (50, 0.0, 5, True), (33, 0.2, 2**31, False),
])
def test_moons_is_sklearns_make_moons_bit_for_bit(n, noise, seed, shuffle):
    X, y = data.moons(n, noise=noise, seed=seed, shuffle=shuffle)
    Xs, ys = skd.make_moons(n_samples=n, noise=noise, random_state=seed, shuffle=shuffle)
    assert X.tobytes() == Xs.tobytes() and np.array_equal(y, ys)


def test_seed_1337_is_micrograds_demo_and_its_first_loss():
    # micrograd's demo.ipynb: np.random.seed(1337); random.seed(1337);
    # make_moons(n_samples=100, noise=0.1); MLP(2, [16, 16, 1]); it prints loss 0.8958441028683222
    import random

    engine = pytest.importorskip("micrograd.engine")
    micrograd_nn = pytest.importorskip("micrograd.nn")
    from pathgrad.nn import MLP, fit, optim

    np.random.seed(1337)
    X, y = skd.make_moons(n_samples=100, noise=0.1)
    ours, ours_y = data.moons(100, noise=0.1, seed=1337, signed=True)
    assert X.tobytes() == ours.tobytes() and np.array_equal(y * 2 - 1, ours_y)
    random.seed(1337)
    model = micrograd_nn.MLP(2, [16, 16, 1])
    scores = [model([engine.Value(a) for a in row]) for row in X]
    hinge = sum((1 + -yi * si).relu() for yi, si in zip(y * 2 - 1, scores)) * (1.0 / len(y))
    theirs = (hinge + 1e-4 * sum(p * p for p in model.parameters())).data
    assert round(theirs, 4) == 0.8958
    net = MLP(2, [16, 16, 1], seed=1337)
    history = fit(net, ours, ours_y, "max_margin", optim.SGD(net.parameters(), lr=1.0),
                  epochs=1, l2=1e-4, verbose=False)
    assert history.loss[0] == pytest.approx(theirs, rel=1e-14)
