"""Fused ufuncs for the numpy replay's large batches, compiled by numba where it is installed.

numpy writes a relu's backward ``δz = δa · step(z)`` as two passes over the ``(k, batch)`` rows
(the rate read off the relu's output, then the product); ``times_step`` does both in one, a real
numpy ufunc (``out=``, the call overhead of numpy's own), compiled by numba once per process on
first use. At batch 10,000 of micrograd's demo MLP each relu layer's backward took 142 µs and
takes 53 (one pass, what a plain product costs); at batch 1, 0.9 µs and 0.45.

The ufunc is pinned here, at build, to the rule table's helpers on special values (±0, ±inf,
nan, subnormals) bit for bit, and left out where any bit differs; without numba, or where the
build fails, ``fused`` returns None and the replay keeps its numpy forms.

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

__all__ = ["FEW", "SPECIAL", "fused", "layer"]

SPECIAL = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1e-300, -1e300, 2.5])
"""The values every fused ufunc is checked on (as both operands), against the rule helpers."""

_BUILT: dict[str, Any] = {}


def _times_step(d: float, o: float) -> float:
    # δ · step(z) read off o = relu(z) (0.0, positive or nan): step is 1, 0 or nan as the rule's
    # helper writes it (where(x > 0, 1, where(x <= 0, 0, x))); the product as eager makes it
    return d * (1.0 if o > 0.0 else (0.0 if o <= 0.0 else o))


def _want_times_step(d: np.ndarray, o: np.ndarray) -> np.ndarray:
    return d * NUMPY_MATH.step(o)


_KERNELS = {"times_step": (_times_step, _want_times_step)}


def _same_bits(out: np.ndarray, want: np.ndarray) -> bool:
    return bool(np.array_equal(out, want, equal_nan=True)) and bool(
        np.array_equal(np.signbit(out), np.signbit(want)))


def _build(name: str) -> Any:
    if importlib.util.find_spec("numba") is None:
        return None
    kernel, want = _KERNELS[name]
    try:
        import numba

        ufunc = numba.vectorize(["float64(float64, float64)"], nopython=True)(kernel).ufunc
    except Exception:  # a numba that cannot compile here: numpy's forms stay
        return None
    d, o = np.meshgrid(SPECIAL, NUMPY_MATH.relu(SPECIAL))
    d, o = np.repeat(d.ravel(), 3), np.repeat(o.ravel(), 3)  # long enough for SIMD loops
    with np.errstate(all="ignore"):
        ok = _same_bits(ufunc(d, o), want(d, o))
    return ufunc if ok else None


FEW = 3
"""A layer of at most this many inputs runs as ``numpy_fused.layer`` (numba) where it is built."""

_LAYER = """
def layer(WB, A, Z{r_arg}):
    # Z = [W b] [A; 1] as the rule's wsum adds it up (b first, then each w a in turn){r_doc}
    {rows} = {a_rows}
    for i in range(WB.shape[0]):
        b, {ws} = WB[i, {n}], {w_i}
        zi{r_i} = Z[i]{r_row}
        for e in range(A.shape[1]):
            z = b + {terms}
            zi[e] = z{r_set}
"""


def _layer_source(n: int, relu: bool) -> str:
    return _LAYER.format(
        n=n, rows=", ".join(f"a{j}" for j in range(n)) + ("," if n == 1 else ""),
        a_rows=", ".join(f"A[{j}]" for j in range(n)) + ("," if n == 1 else ""),
        ws=", ".join(f"w{j}" for j in range(n)), w_i=", ".join(f"WB[i, {j}]" for j in range(n)),
        terms=" + ".join(f"w{j} * a{j}[e]" for j in range(n)),
        r_arg=", R" if relu else "", r_doc="; R = relu(Z) in the same pass" if relu else "",
        r_i=", ri" if relu else "", r_row=", R[i]" if relu else "",
        r_set="\n            ri[e] = 0.0 if z <= 0.0 else z" if relu else "")


def _want_layer(WB: np.ndarray, A: np.ndarray, relu: bool) -> tuple[np.ndarray, ...]:
    n = WB.shape[1] - 1
    z = _wsum_forward(NUMPY_MATH, *(WB[:, j : j + 1] for j in range(n)), *A[:n], WB[:, n:])
    return (z, NUMPY_MATH.relu(z)) if relu else (z,)


def _build_layer(n: int, relu: bool) -> Any:
    if importlib.util.find_spec("numba") is None:
        return None
    try:
        import numba

        scope: dict[str, Any] = {}
        exec(_layer_source(n, relu), scope)
        kernel = numba.njit(boundscheck=False)(scope["layer"])
        rng = np.random.default_rng(0)
        A = np.concatenate([rng.normal(size=(n, 64)), np.ones((1, 64))])
        A[:n, : len(SPECIAL)] = SPECIAL
        WB = rng.normal(size=(5, n + 1))
        WB[0, 0] = 0.0
        outs = [np.empty((5, 64)) for _ in range(1 + relu)]
        with np.errstate(all="ignore"):
            kernel(WB, A, *outs)
            ok = all(map(_same_bits, outs, _want_layer(WB, A, relu)))
    except Exception:  # a numba that cannot compile here: numpy's forms stay
        return None
    return kernel if ok else None


def layer(n: int, relu: bool) -> Any:
    """``layer(WB, A, Z[, R])`` for a layer of ``n ≤ FEW`` inputs: ``Z = [W b] [A; 1]`` summed in
    the rule's order (bit for bit the eager engine's), and ``R = relu(Z)`` with it where ``relu``;
    one pass instead of a BLAS product (slow for so few inputs) and a second for the relu. None
    without numba or where it differs from the rows."""
    key = f"layer{n}{'r' if relu else ''}"
    if key not in _BUILT:
        _BUILT[key] = _build_layer(n, relu)
    return _BUILT[key]


def _outer_times_step(d: Any, w: Any, o: Any, out: Any) -> None:
    # out = (d · w) · step(relu⁻¹ o), d a row (1, n) or (k, n), w a column (k, 1): a one-output
    # layer's Wᵀδ into its inputs' relu, in the order the two passes multiply
    for i in range(o.shape[0]):
        di, wi, oi, ri = d[i if d.shape[0] > 1 else 0], w[i, 0], o[i], out[i]
        for e in range(o.shape[1]):
            x = oi[e]
            ri[e] = (di[e] * wi) * (1.0 if x > 0.0 else (0.0 if x <= 0.0 else x))


def _build_outer() -> Any:
    if importlib.util.find_spec("numba") is None:
        return None
    try:
        import numba

        kernel = numba.njit(boundscheck=False)(_outer_times_step)
        n = len(SPECIAL)
        o = np.tile(NUMPY_MATH.relu(SPECIAL), (n, 1))
        w = SPECIAL[:, None]
        outs = [np.full((n, n), 7.0) for _ in range(2)]
        with np.errstate(all="ignore"):
            kernel(SPECIAL[None, :], w, o, outs[0])
            kernel(o.T.copy(), w, o, outs[1])
            wants = [(SPECIAL[None, :] * w) * NUMPY_MATH.step(o), (o.T * w) * NUMPY_MATH.step(o)]
        ok = all(map(_same_bits, outs, wants))
    except Exception:  # a numba that cannot compile here: numpy's forms stay
        return None
    return kernel if ok else None


def fused(name: str) -> Any:
    """The fused ufunc ``name`` (``"times_step"``: ``δ · step(relu⁻¹ o)`` from δ and the relu's
    output ``o``; ``"outer_times_step"``, a numba function: ``(δ · w) · step(relu⁻¹ o)`` into
    ``out``), built on first use; None without numba or where it differs from the rows."""
    if name not in _BUILT:
        _BUILT[name] = _build_outer() if name == "outer_times_step" else _build(name)
    return _BUILT[name]
