"""Fused kernels for the numpy replay's large batches, compiled by numba where it is installed.

numpy makes one pass over the ``(k, batch)`` rows per ufunc, and XLA fuses what numpy cannot:
a relu's backward ``δz = δa · step(z)`` is two passes (the rate read off the relu's output, then
the product), a layer of 2 inputs a BLAS product slow for so few (it packs its operands) and a
relu after it. The kernels here do each in one pass: ``times_step`` (a real numpy ufunc, with
``out=`` and numpy's own call overhead), ``outer_times_step``, ``layer`` and ``relu_neuron``
(see ``fused``). At batch 10,000 of micrograd's demo MLP (16 × 10,000 rows, one thread): a relu's
backward 142 -> 53 µs, the first layer and its relu 160 -> 80, the output layer's Wᵀδ into the
relu's backward 105 -> 58, the second relu and the output layer 95 -> 67.

Built on first use (numba's import and the kernels: ~2 s the first time, then ~1 s a process
from numba's cache on disk), and only by the replay's program for large batches
(``replay_numpy.LARGE_BATCH``). Each kernel is pinned here, at build, to the rule table's rows on
special values (±0, ±inf, nan, subnormals) bit for bit, and left out where any bit differs;
without numba, or where the build fails, ``fused`` returns None and the replay keeps its numpy
forms. The sums run in the wsum rule's order, so the layers' values are the eager engine's bit
for bit (a BLAS product's may differ in the last bit).

>>> import numpy as np
>>> f = fused("times_step")
>>> f is None or f(np.array([2.0, 2.0]), np.array([0.0, 3.0])).tolist() == [0.0, 2.0]
True
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from ..rules import _wsum_forward
from .numpy_math import NUMPY_MATH

__all__ = ["FEW", "SPECIAL", "fused"]

SPECIAL = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1e-300, -1e300, 2.5])
"""The values every fused ufunc is checked on (as both operands), against the rule helpers."""

_BUILT: dict[str, Any] = {}


def _times_step(d: float, o: float) -> float:
    # δ · step(z) read off o = relu(z) (0.0, positive or nan): step is 1, 0 or nan as the rule's
    # helper writes it (where(x > 0, 1, where(x <= 0, 0, x))); the product as eager makes it
    return d * (1.0 if o > 0.0 else (0.0 if o <= 0.0 else o))


def _same_bits(out: np.ndarray, want: np.ndarray) -> bool:
    return bool(np.array_equal(out, want, equal_nan=True)) and bool(
        np.array_equal(np.signbit(out), np.signbit(want)))


FEW = 3
"""A layer of at most this many inputs runs as the ``"layer"`` kernel (numba) where it is built."""


def _layer(WB: Any, A: Any, Z: Any, R: Any, relu: bool) -> None:
    # Z = [W b] [A; 1] for a layer of n ≤ 3 inputs, added up as the wsum rule does (b first, then
    # each w a in turn, so bit for bit the eager engine's), and R = relu(Z) where `relu`
    n = WB.shape[1] - 1
    a0 = A[0]
    a1 = A[1] if n > 1 else a0
    a2 = A[2] if n > 2 else a0
    for i in range(WB.shape[0]):
        zi, ri, b, w0 = Z[i], R[i], WB[i, n], WB[i, 0]
        w1 = WB[i, 1] if n > 1 else 0.0
        w2 = WB[i, 2] if n > 2 else 0.0
        if n == 1:
            for e in range(A.shape[1]):
                zi[e] = b + w0 * a0[e]
        elif n == 2:
            for e in range(A.shape[1]):
                zi[e] = b + w0 * a0[e] + w1 * a1[e]
        else:
            for e in range(A.shape[1]):
                zi[e] = b + w0 * a0[e] + w1 * a1[e] + w2 * a2[e]
        if relu:
            for e in range(A.shape[1]):
                z = zi[e]
                ri[e] = 0.0 if z <= 0.0 else z


def _layer_ok(kernel: Any) -> bool:
    rng = np.random.default_rng(0)
    for n in range(1, FEW + 1):
        A = np.concatenate([rng.normal(size=(n, 64)), np.ones((1, 64))])
        A[:n, : len(SPECIAL)] = SPECIAL
        WB = rng.normal(size=(5, n + 1))
        WB[0, 0] = 0.0
        Z, R = np.empty((5, 64)), np.empty((5, 64))
        kernel(WB, A, Z, R, True)
        z = _wsum_forward(NUMPY_MATH, *(WB[:, j : j + 1] for j in range(n)), *A[:n], WB[:, n:])
        if not (_same_bits(Z, z) and _same_bits(R, NUMPY_MATH.relu(z))):
            return False
    return True


def _relu_neuron(Z: Any, WB: Any, A: Any, z: Any) -> None:
    # A = relu(Z) and a one-neuron layer on it, z = [w b] [A; 1], in the same pass, summed as
    # the wsum rule does (b first, then each w a in turn)
    n, zr, b = Z.shape[0], z[0], WB[0, Z.shape[0]]
    for e in range(Z.shape[1]):
        zr[e] = b
    for i in range(n):
        zi, ai, wi = Z[i], A[i], WB[0, i]
        for e in range(Z.shape[1]):
            x = zi[e]
            a = 0.0 if x <= 0.0 else x
            ai[e] = a
            zr[e] = zr[e] + wi * a


def _relu_neuron_ok(kernel: Any) -> bool:
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(len(SPECIAL), 64)) * 10.0 ** rng.integers(-300, 300, (len(SPECIAL), 64))
    Z[:, : len(SPECIAL)] = SPECIAL
    WB = rng.normal(size=(1, len(SPECIAL) + 1))
    A, z = np.empty_like(Z), np.empty((1, 64))
    kernel(Z, WB, A, z)
    a = NUMPY_MATH.relu(Z)
    return _same_bits(A, a) and _same_bits(z[0], _wsum_forward(NUMPY_MATH, *WB[0, :-1], *a,
                                                                 WB[0, -1]))


def _outer_times_step(d: Any, w: Any, o: Any, out: Any) -> None:
    # out = (d · w) · step(relu⁻¹ o), d a row (1, n) or (k, n), w a column (k, 1): a one-output
    # layer's Wᵀδ into its inputs' relu, in the order the two passes multiply
    for i in range(o.shape[0]):
        di, wi, oi, ri = d[i if d.shape[0] > 1 else 0], w[i, 0], o[i], out[i]
        for e in range(o.shape[1]):
            x = oi[e]
            ri[e] = (di[e] * wi) * (1.0 if x > 0.0 else (0.0 if x <= 0.0 else x))


def _outer_ok(kernel: Any) -> bool:
    n = len(SPECIAL)
    o, w = np.tile(NUMPY_MATH.relu(SPECIAL), (n, 1)), SPECIAL[:, None]
    for d in (SPECIAL[None, :], o.T.copy()):
        out = np.full((n, n), 7.0)
        kernel(d, w, o, out)
        if not _same_bits(out, (d * w) * NUMPY_MATH.step(o)):
            return False
    return True


def _times_step_ok(ufunc: Any) -> bool:
    d, o = np.meshgrid(SPECIAL, NUMPY_MATH.relu(SPECIAL))
    d, o = np.repeat(d.ravel(), 3), np.repeat(o.ravel(), 3)  # long enough for SIMD loops
    return _same_bits(ufunc(d, o), d * NUMPY_MATH.step(o))


_KERNELS = {"times_step": (_times_step, _times_step_ok), "layer": (_layer, _layer_ok),
            "outer_times_step": (_outer_times_step, _outer_ok),
            "relu_neuron": (_relu_neuron, _relu_neuron_ok)}


def _build(name: str) -> Any:
    if importlib.util.find_spec("numba") is None:
        return None
    for cache in (True, False):  # no writable cache folder for numba: compiled each process
        try:
            f = _compiled(name, cache)
            with np.errstate(all="ignore"):
                return f if _KERNELS[name][1](f) else None
        except Exception:  # a numba that cannot compile (or cache) here: numpy's forms stay
            continue
    return None


def _compiled(name: str, cache: bool) -> Any:
    import numba

    if name == "times_step":
        return numba.vectorize(["float64(float64, float64)"], cache=cache)(_times_step).ufunc
    return numba.njit(boundscheck=False, cache=cache)(_KERNELS[name][0])


def fused(name: str) -> Any:
    """The fused kernel ``name``, built (and cached on disk by numba) on first use; None without
    numba or where it differs from the rows on special values:

    * ``"times_step"``, a ufunc: ``δ · step(relu⁻¹ o)`` from δ and a relu's output ``o``;
    * ``"outer_times_step(δ, w, o, out)"``: ``(δ · w) · step(relu⁻¹ o)`` into ``out``;
    * ``"relu_neuron(Z, WB, A, z)"``: ``A = relu(Z)`` and a one-neuron layer on it,
      ``z = [w b] [A; 1]``, in one pass (at batch 10,000, 16 rows: 93 µs against 62);
    * ``"layer(WB, A, Z, R, relu)"``: ``Z = [W b] [A; 1]`` for ``n ≤ FEW`` inputs in the wsum
      rule's order, and ``R = relu(Z)`` in the same pass where ``relu`` (a BLAS product is slow
      for so few inputs: at batch 10,000, 16 × 3, product and relu 160 µs against 80).
    """
    if name not in _BUILT:
        _BUILT[name] = _build(name)
    return _BUILT[name]
