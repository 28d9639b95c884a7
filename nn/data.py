"""Toy data sets made from a seed (no network), and scikit-learn's 8×8 digits.

Every generator returns ``X`` of shape (n, d), float64, and ``y`` of shape (n,), int64, with
class labels 0, 1, … . Two-class sets take ``signed=True`` for labels −1 and +1, the
convention of micrograd's moons demo and its max-margin loss (``y*2 - 1`` there).
The same ``seed`` gives the same arrays on every machine (``numpy.random.default_rng``;
``moons`` draws as scikit-learn's ``make_moons`` does, so its seeds give scikit-learn's sets).

>>> X, y = moons(100, noise=0.1, seed=1337, signed=True)
>>> X.shape, X.dtype, sorted(set(y.tolist()))
((100, 2), dtype('float64'), [-1, 1])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from pathgrad.autograd._checks import positive_int, positive_number

__all__ = [
    "blobs",
    "circles",
    "digits",
    "load_digits_data",
    "moons",
    "one_hot",
    "spirals",
    "train_test_split",
    "xor",
]

Arrays = tuple[np.ndarray, np.ndarray]


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: Any,
            shuffle: bool, signed: bool, n_classes: int = 2) -> Arrays:
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    if signed:
        if n_classes != 2:
            raise ValueError(f"signed labels need 2 classes, this set has {n_classes}")
        y = y * 2 - 1
    return np.ascontiguousarray(X, dtype=np.float64), y.astype(np.int64)


def moons(n_samples: int = 100, noise: float = 0.0, seed: int | None = None, *,
          shuffle: bool = True, signed: bool = False) -> Arrays:
    """Two interleaving half circles: scikit-learn's ``make_moons``, bit for bit.

    The outer moon (label 0) has ``n_samples // 2`` points on the upper unit half circle, the
    inner moon (label 1) the rest on (1 − cos t, 0.5 − sin t); ``noise`` is the standard
    deviation of Gaussian noise added to each coordinate. The random numbers are drawn as
    scikit-learn draws them (``numpy.random.RandomState(seed)``: a shuffle of the indices, then
    the noise), so ``moons(n, noise=s, seed=k)`` equals ``make_moons(n_samples=n, noise=s,
    random_state=k)`` without needing scikit-learn; ``seed=1337`` is micrograd's demo
    (``np.random.seed(1337)`` before ``make_moons(n_samples=100, noise=0.1)``), whose first
    loss, 0.8958, pathgrad's ``MLP(2, [16, 16, 1], seed=1337)`` reproduces.

    >>> X, y = moons(4, shuffle=False)
    >>> X.round(3).tolist(), y.tolist()
    ([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], [0, 0, 1, 1])
    >>> moons(100, noise=0.1, seed=1337)[0][0].round(4).tolist()  # micrograd's first point
    [1.1221, 0.0815]
    """
    n = positive_int("n_samples", n_samples, 2)
    noise = positive_number("noise", noise, allow_zero=True)
    rng = np.random.RandomState(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]),
    ])
    y = np.hstack([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    if shuffle:  # sklearn.utils.shuffle: RandomState.shuffle of arange(n), before the noise
        order = np.arange(n)
        rng.shuffle(order)
        X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return _finish(X, y, 0.0, rng, False, signed)


def circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.8,
            seed: int | None = None, *, shuffle: bool = True, signed: bool = False) -> Arrays:
    """A large circle (label 0) around a smaller one of radius ``factor`` (label 1).

    scikit-learn's ``make_circles`` geometry: points evenly spaced in angle.

    >>> X, y = circles(8, factor=0.5, seed=0)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 6)[np.argsort(y)].tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    """
    n = positive_int("n_samples", n_samples, 2)
    noise = positive_number("noise", noise, allow_zero=True)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
    ])
    y = np.hstack([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    return _finish(X, y, noise, rng, shuffle, signed)


def xor(n_samples: int = 200, noise: float = 0.0, seed: int | None = None, *,
        signed: bool = False) -> Arrays:
    """Points uniform in [−1, 1]², label 1 where the coordinates' signs differ (XOR).

    Labels come from the clean points; ``noise`` then jitters them, blurring the axes.

    >>> X, y = xor(500, seed=0)
    >>> bool(np.all(y == ((X[:, 0] > 0) != (X[:, 1] > 0))))
    True
    """
    n = positive_int("n_samples", n_samples)
    noise = positive_number("noise", noise, allow_zero=True)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return _finish(X, y, noise, rng, False, signed)


def spirals(n_samples: int = 300, n_classes: int = 2, noise: float = 0.2,
            seed: int | None = None, *, shuffle: bool = True, signed: bool = False) -> Arrays:
    """Interleaved spiral arms, one per class (the CS231n spiral).

    Arm j has radius r from 0 to 1 and angle 4j + 4r (radians) plus Gaussian ``noise`` on
    the angle; point = (r sin θ, r cos θ).

    >>> X, y = spirals(300, n_classes=3, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((300, 2), [100, 100, 100])
    """
    n = positive_int("n_samples", n_samples, 2)
    k = positive_int("n_classes", n_classes, 2)
    noise = positive_number("noise", noise, allow_zero=True)
    rng = np.random.default_rng(seed)
    counts = [n // k + (1 if j < n % k else 0) for j in range(k)]
    parts, labels = [], []
    for j, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        theta = np.linspace(4.0 * j, 4.0 * (j + 1), m) + rng.normal(scale=noise, size=m)
        parts.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        labels.append(np.full(m, j, dtype=np.int64))
    return _finish(np.vstack(parts), np.hstack(labels), 0.0, rng, shuffle, signed, k)


def blobs(n_samples: int = 100, centers: int | Any = 3, n_features: int = 2,
          cluster_std: float = 1.0, seed: int | None = None, *,
          center_box: tuple[float, float] = (-10.0, 10.0), shuffle: bool = True,
          signed: bool = False) -> Arrays:
    """Gaussian clusters (scikit-learn's ``make_blobs``): one class per centre.

    ``centers`` is a count (centres drawn uniformly from ``center_box``) or an array of
    shape (k, n_features).

    >>> X, y = blobs(90, centers=[[0, 0], [5, 5], [-5, 5]], cluster_std=0.1, seed=0)
    >>> np.round(X[y == 1].mean(axis=0)).tolist()
    [5.0, 5.0]
    """
    n = positive_int("n_samples", n_samples)
    std = positive_number("cluster_std", cluster_std, allow_zero=True)
    rng = np.random.default_rng(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = positive_int("centers", centers)
        d = positive_int("n_features", n_features)
        lo, hi = center_box
        C = rng.uniform(lo, hi, size=(k, d))
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2 or len(C) == 0 or not np.all(np.isfinite(C)):
            raise ValueError(f"centers must be a count or a finite (k, d) array, got {centers!r}")
        k, d = C.shape
    counts = [n // k + (1 if j < n % k else 0) for j in range(k)]
    y = np.repeat(np.arange(k, dtype=np.int64), counts)
    X = C[y] + rng.normal(scale=std, size=(n, d))
    return _finish(X, y, 0.0, rng, shuffle, signed, k)


def digits(*, scale: bool = False) -> Arrays:
    """scikit-learn's 8×8 handwritten digits: X (1797, 64) with pixels 0–16, y the digit.

    The data ships inside scikit-learn (``sklearn.datasets.load_digits``), so no network is
    used; scikit-learn is the optional extra ``pip install pathgrad[digits]``. ``scale=True``
    divides the pixels by 16, into [0, 1] like Nielsen's MNIST inputs.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "nn.data.digits() needs scikit-learn, which ships the 8x8 digits: "
            "pip install pathgrad[digits]"
        ) from None
    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    if scale:
        X = X / 16.0
    return np.ascontiguousarray(X), np.asarray(bunch.target, dtype=np.int64)


def load_digits_data(
    test_size: float = 0.25, seed: int = 0
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, int]]]:
    """``digits(scale=True)`` in the book's format for ``nn.matrix``: ``(training, test)``.

    x is a (64, 1) column with pixels in [0, 1]; training pairs have a one-hot (10, 1) y, test
    pairs an int label (as ``load_data_wrapper`` in the book). The split is stratified and
    seeded (scikit-learn's ``train_test_split``).
    """
    from sklearn.model_selection import train_test_split

    images, labels = digits(scale=True)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    eye = np.eye(10)
    training = [(x.reshape(-1, 1), eye[:, [t]]) for x, t in zip(x_train, y_train)]
    test = [(x.reshape(-1, 1), int(t)) for x, t in zip(x_test, y_test)]
    return training, test


def one_hot(y: Any, n_classes: int | None = None) -> np.ndarray:
    """Class labels as one-hot rows (Nielsen's ``vectorized_result``), float64.

    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or (
        labels.size and labels.min() < 0
    ):
        raise ValueError("one_hot needs a 1-D array of class labels 0, 1, …")
    k = int(labels.max()) + 1 if n_classes is None else positive_int("n_classes", n_classes)
    if labels.size and labels.max() >= k:
        raise ValueError(f"label {int(labels.max())} does not fit n_classes={k}")
    out = np.zeros((labels.size, k))
    out[np.arange(labels.size), labels] = 1.0
    return out


def train_test_split(X: Any, y: Any, test_fraction: float = 0.25,
                     seed: int | None = None) -> tuple[np.ndarray, ...]:
    """A seeded random split: ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    >>> X, y = moons(100, seed=0)
    >>> [a.shape for a in train_test_split(X, y, 0.2, seed=0)]
    [(80, 2), (20, 2), (80,), (20,)]
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real) or not (
        0 < test_fraction < 1
    ):
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    n_test = max(1, round(len(y) * test_fraction))
    if n_test >= len(y):
        raise ValueError(f"{len(y)} examples are too few to split")
    order = np.random.default_rng(seed).permutation(len(y))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
