"""``Network``: Nielsen's trainer, feedforward, BP1–BP4 per example or per mini-batch, and SGD.

>>> import numpy as np
>>> net = Network([2, 3, 1], seed=0)
>>> [w.shape for w in net.weights]
[(3, 2), (1, 3)]
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pathgrad.autograd._checks import positive_int, positive_number

from ..train import DivergenceError
from .activations import SIGMOID, Activation, get_activation, sigmoid_unguarded
from .costs import UNBOUNDED, Cost, CrossEntropyCost, QuadraticCost, get_cost
from .equations import (
    Array,
    Example,
    bp2_backpropagate_error,
    bp3_bias_gradient,
    bp4_weight_gradient,
    deltas_sigma_prime,
)

__all__ = ["Network"]


class Network:
    """A feedforward network in the book's notation, trained by BP1–BP4 and SGD.

    ``sizes`` lists the neurons per layer, input first (``[784, 30, 10]``). ``activation`` is a
    name (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"linear"``, ``"softplus"``), an
    ``Activation``, or one of those per non-input layer. ``cost`` is ``"quadratic"``,
    ``"cross-entropy"`` or a ``Cost``. Weights and biases are drawn from N(0, 1) as in the
    book's ``network.py`` (``weight_init="normal"``), or with weights N(0, 1/n_in)
    (``"scaled"``, the book's chapter 3). ``seed`` (an int or a numpy Generator) makes the
    initial weights and SGD's shuffling reproducible.

    After ``backprop`` the network keeps, for inspection, ``zs`` (z^l, one per non-input layer),
    ``activations`` (a^l, the input first) and ``deltas`` (δ^l = ∂C/∂z^l, one per non-input
    layer); with a mini-batch each has one column per example.

    >>> net = Network([3, 4, 2], activation="tanh", cost="quadratic", seed=1)
    >>> net.num_layers, net.sizes
    (3, [3, 4, 2])
    >>> net.feedforward(np.zeros((3, 1))).shape
    (2, 1)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        cost: str | Cost = "quadratic",
        seed: int | np.random.Generator | None = None,
        weight_init: str = "normal",
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs an input and an output layer, got {sizes!r}")
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, numbers.Integral):
                raise TypeError(f"layer sizes must be ints, got {n!r} ({type(n).__name__})")
            if n < 1:
                raise ValueError(f"layer sizes must be at least 1, got {sizes!r}")
        n_weight_layers = len(sizes) - 1
        if isinstance(activation, (str, Activation)):
            layer_activations = [get_activation(activation)] * n_weight_layers
        else:
            layer_activations = [get_activation(a) for a in activation]
            if len(layer_activations) != n_weight_layers:
                raise ValueError(
                    f"{len(layer_activations)} activations given for "
                    f"{n_weight_layers} non-input layers"
                )
        the_cost = get_cost(cost)
        if isinstance(the_cost, CrossEntropyCost) and layer_activations[-1].name in UNBOUNDED:
            raise ValueError(
                f"the cross-entropy cost needs outputs in (0, 1), but the output activation "
                f"is {layer_activations[-1].name!r}: use a sigmoid output layer"
            )
        if weight_init not in ("normal", "scaled"):
            raise ValueError(f"unknown weight_init {weight_init!r}: choose 'normal' or 'scaled'")
        self.sizes: list[int] = [int(n) for n in sizes]
        self.num_layers: int = len(sizes)
        self.layer_activations: list[Activation] = layer_activations
        self.cost: Cost = the_cost
        self.rng: np.random.Generator = np.random.default_rng(seed)
        rng = self.rng
        biases = [rng.standard_normal((n, 1)) for n in self.sizes[1:]]
        weights = [
            rng.standard_normal((n, k)) / (math.sqrt(k) if weight_init == "scaled" else 1.0)
            for k, n in zip(self.sizes[:-1], self.sizes[1:])
        ]
        # (weights, biases) in one attribute: a step replaces both by one assignment
        self._params: tuple[list[Array], list[Array]] = (weights, biases)
        self.zs: list[Array] = []
        self.activations: list[Array] = []
        self.deltas: list[Array] = []
        # the fast path's two sets of parameter arrays (laid out on its first step)
        self._slots: tuple[_Slot, _Slot] | None = None

    @property
    def weights(self) -> list[Array]:
        """w^l for each non-input layer, shape (n_l, n_{l-1}).

        A matrix step (``update_batch``, ``update_mini_batch_matrix``, ``SGD``) writes the new
        weights and biases into a second set of arrays and swaps them in, so the arrays read
        from ``weights`` before a step are overwritten by the step after it: copy them to keep
        a snapshot. Assigning a list of arrays replaces the weights (they are not written to).
        """
        return self._params[0]

    @weights.setter
    def weights(self, value: list[Array]) -> None:
        self._params = (value, self._params[1])

    @property
    def biases(self) -> list[Array]:
        """b^l for each non-input layer, shape (n_l, 1); swapped by a step like ``weights``."""
        return self._params[1]

    @biases.setter
    def biases(self, value: list[Array]) -> None:
        self._params = (self._params[0], value)

    def __getstate__(self) -> dict[str, Any]:
        # a copy (copy.copy, deepcopy, pickle) lays out buffers of its own on its first step
        state = self.__dict__.copy()
        state["_slots"] = None
        return state

    def __repr__(self) -> str:
        names = [a.name for a in self.layer_activations]
        act = names[0] if len(set(names)) == 1 else names
        return f"Network({self.sizes}, activation={act!r}, cost={self.cost.name!r})"

    # ---- checking input -------------------------------------------------------------------
    def _columns(self, x: Any, n: int, what: str, finite: bool = True) -> Array:
        """x as a float array of shape (n, m), or a ValueError naming both shapes (and, unless
        ``finite`` is False, any nan or inf)."""
        if type(x) is not np.ndarray or x.dtype != np.float64:
            try:
                x = np.asarray(x, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{what} must be a numeric array, got {type(x).__name__}") from None
        if x.ndim != 2 or x.shape[0] != n or x.shape[1] < 1:
            hint = " (one example is a column: use x.reshape(-1, 1))" if x.ndim == 1 else ""
            raise ValueError(
                f"{what}: expected shape ({n}, 1), or ({n}, m) for m examples, got {x.shape}{hint}"
            )
        if finite:
            _refuse_non_finite(x, what)
        return x

    def _pair(self, x: Any, y: Any, x_finite: bool = True, y_finite: bool = True
              ) -> tuple[Array, Array]:
        x = self._columns(x, self.sizes[0], "input x", x_finite)
        y = self._columns(y, self.sizes[-1], "target y", y_finite)
        if y.shape[1] != x.shape[1]:
            raise ValueError(f"x has {x.shape[1]} examples (columns) but y has {y.shape[1]}")
        return x, y

    def _stack(self, data: Sequence[Example], what: str, x_finite: bool = True,
               y_finite: bool = True) -> tuple[Array, Array]:
        """A list of (x, y) column pairs as the matrices X = [x_1 ... x_m], Y = [y_1 ... y_m];
        with ``x_finite=False`` (``y_finite``) the x's (y's) are not checked for nan and inf."""
        if len(data) == 0:
            raise ValueError(f"{what} is empty")
        try:
            xs, ys = zip(*data)
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be a list of (x, y) pairs") from None
        X = self._stack_columns(xs, self.sizes[0], what, "x", x_finite)
        Y = self._stack_columns(ys, self.sizes[-1], what, "y", y_finite)
        return X, Y

    def _stack_columns(self, columns: Sequence[Any], n: int, data: str, part: str,
                       finite: bool = True) -> Array:
        # np.array of m columns (n, 1) is one copy into (m, n, 1); its transpose view is X with
        # the examples as contiguous columns (Fortran order), which BLAS reads as it is.
        m = len(columns)
        try:
            stacked = np.array(columns, dtype=np.float64)
        except (TypeError, ValueError):
            stacked = np.empty(0)  # ragged or not numeric: report the first odd one below
        if stacked.shape != (m, n, 1):
            what = f"{data}: {part}"
            for i, column in enumerate(columns):
                if np.shape(column) != (n, 1):
                    raise ValueError(
                        f"{what}[{i}]: expected shape ({n}, 1), got {np.shape(column)}"
                    )
            raise TypeError(f"{what}: every entry must be a numeric ({n}, 1) array")
        X = stacked.reshape(m, n).T
        if finite:
            _refuse_non_finite(X, f"{data}: {part}", per_example=True)
        return X

    # ---- forward ----------------------------------------------------------------------------
    def feedforward(self, a: Any) -> Array:
        """The output a^L for input a: a^l = σ(w^l a^{l-1} + b^l) layer by layer (eq. 25).

        ``a`` has shape (n_in, 1), or (n_in, m) for m examples at once. Keeps no state.
        """
        a = self._columns(a, self.sizes[0], "input a")
        for w, b, act in zip(self.weights, self.biases, self.layer_activations):
            z = w @ a
            z += b
            a = act.function(z)
        return a

    # ---- backward ---------------------------------------------------------------------------
    def _forward_backward(self, x: Array, y: Array, quiet: bool = False
                          ) -> tuple[list[Array], list[Array], list[Array]]:
        """Feedforward keeping z^l and a^l, then BP1 and BP2 for every δ^l: (zs, activations,
        deltas), for x and y already checked. ``quiet``: the caller silences numpy's overflow
        warnings (then the sigmoid need not)."""
        weights, biases = self._params
        layer_activations = self.layer_activations
        activation = x
        activations = [x]  # a^1 = x, then one a^l per layer
        zs = []  # z^l = w^l a^{l-1} + b^l
        for w, b, act in zip(weights, biases, layer_activations):
            z = w @ activation
            z += b
            zs.append(z)
            # a copied network's activations are copies: compare the function, not the object
            activation = (sigmoid_unguarded(z) if quiet and act.function is SIGMOID.function
                          else act.function(z))
            activations.append(activation)
        # backward pass: BP1 at the output, then BP2 from l = L-1 down to the first hidden layer
        delta = self.cost.delta(z, activation, y, layer_activations[-1])
        deltas = [delta]  # δ^L first, reversed at the end
        for l in range(len(zs) - 2, -1, -1):
            sp = layer_activations[l].prime(zs[l], activations[l + 1])
            delta = bp2_backpropagate_error(weights[l + 1], delta, sp)
            deltas.append(delta)
        deltas.reverse()
        return zs, activations, deltas

    def backprop(self, x: Any, y: Any) -> tuple[list[Array], list[Array]]:
        """``(nabla_b, nabla_w)``: the gradient of the cost C_x, layer by layer like the weights.

        BP1 gives δ^L, BP2 each earlier δ^l, BP3 ∂C/∂b^l = δ^l, BP4 ∂C/∂w^l = δ^l (a^{l-1})^T.
        With m columns in x and y the result is the gradient of Σ_x C_x (the sum, not the mean).
        Afterwards ``zs``, ``activations`` and ``deltas`` hold this pass's z^l, a^l and δ^l.

        >>> net = Network([2, 2], activation="linear", seed=0)
        >>> net.weights[0][:], net.biases[0][:] = [[1.0, 0.0], [0.0, 1.0]], 0.0
        >>> nabla_b, nabla_w = net.backprop(np.array([[1.0], [2.0]]), np.zeros((2, 1)))
        >>> nabla_w[0]                                   # δ a^T with δ = a − y = x
        array([[1., 2.],
               [2., 4.]])
        """
        x, y = self._pair(x, y)
        self.zs, self.activations, self.deltas = self._forward_backward(x, y)
        nabla_b = [bp3_bias_gradient(d) for d in self.deltas]
        nabla_w = [bp4_weight_gradient(d, a) for d, a in zip(self.deltas, self.activations)]
        return nabla_b, nabla_w

    def backprop_sigma_prime(self, x: Any, y: Any) -> tuple[list[Array], list[Array]]:
        """The same gradient as ``backprop``, with every δ^l from eq. 35 (Σ'(z) matrices).

        σ'(z) comes from ``Activation.derivative(z)`` and ∇_a C from ``Cost.derivative``, never
        from the shortcuts the fast path takes, so this is a second, independent route. For
        several columns each example is done on its own and the gradients summed.
        """
        x, y = self._pair(x, y)
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(w) for w in self.weights]
        for i in range(x.shape[1]):
            a = x[:, i : i + 1]
            activations, sigma_primes = [a], []
            for w, b, act in zip(self.weights, self.biases, self.layer_activations):
                z = w @ a + b
                a = act.function(z)
                activations.append(a)
                sigma_primes.append(act.derivative(z))
            nabla_a = self.cost.derivative(activations[-1], y[:, i : i + 1])
            deltas = deltas_sigma_prime(self.weights, sigma_primes, nabla_a)
            for l, delta in enumerate(deltas):
                nabla_b[l] += delta
                nabla_w[l] += delta @ activations[l].T
        return nabla_b, nabla_w

    # ---- learning ----------------------------------------------------------------------------
    def update_mini_batch(self, mini_batch: Sequence[Example], eta: float) -> None:
        """One gradient-descent step, the book's way: ``backprop`` on each example in turn.

        w^l → w^l − (η/m) Σ_x δ^{x,l} (a^{x,l-1})^T and b^l → b^l − (η/m) Σ_x δ^{x,l}, for
        every layer l (``mini_batch`` is a list of (x, y) column pairs, m its length).
        """
        eta = _learning_rate(eta)
        if len(mini_batch) == 0:
            raise ValueError("mini_batch is empty")
        try:
            pairs = [self._pair(x, y) for x, y in mini_batch]  # check all, then change anything
        except (TypeError, ValueError) as error:
            if "unpack" in str(error):
                raise TypeError("mini_batch must be a list of (x, y) pairs") from None
            raise
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in pairs:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            for nb, dnb in zip(nabla_b, delta_nabla_b):
                nb += dnb
            for nw, dnw in zip(nabla_w, delta_nabla_w):
                nw += dnw
        step = eta / len(pairs)
        new_w = [w - step * nw for w, nw in zip(self.weights, nabla_w)]
        new_b = [b - step * nb for b, nb in zip(self.biases, nabla_b)]
        if not all(np.isfinite(a).all() for a in (*new_w, *new_b)):
            raise _diverged(self.activations[-1], eta)
        self._params = (new_w, new_b)

    def update_mini_batch_matrix(self, mini_batch: Sequence[Example], eta: float) -> None:
        """The same step, fully matrix-based: the mini-batch's x's are the columns of X.

        One pass forward and one backward with matrices instead of m passes with vectors (the
        chapter's Problem); BP4's δ^l (a^{l-1})^T then sums over the examples by itself.
        """
        eta = _learning_rate(eta)
        X, Y = self._stack(mini_batch, "mini_batch", not _DEFER_X_CHECK, not self._defers_y())
        self._update(X, Y, eta, _LIST_NAMES)

    def update_batch(self, X: Any, Y: Any, eta: float) -> None:
        """``update_mini_batch_matrix`` for a mini-batch already stacked: X (n_in, m), Y (n_out, m).

        The fast path: the new weights and biases are written into a second set of arrays kept
        between calls (no allocation), checked for nan and inf by one reduction, and swapped in
        all at once; a step that would make any of them non-finite raises ``DivergenceError``
        and changes nothing. X and Y are checked for nan and inf only when that reduction fails
        (a nan or inf in X or Y makes the new parameters non-finite), with the same ValueError
        as a check up front, and nothing changed either.
        """
        eta = _learning_rate(eta)
        X, Y = self._pair(X, Y, not _DEFER_X_CHECK, not self._defers_y())
        self._update(X, Y, eta, _MATRIX_NAMES)

    def _defers_y(self) -> bool:
        """True if a nan or inf in Y surely makes the new b^L non-finite, so that Y needs
        checking only when the new parameters fail: the built-in costs' δ^L = (a − y) ⊙ ...
        is nan or inf wherever y is (0·inf = nan), and BP3 sums it into b^L. A cost of one's
        own might hide it: then Y is checked first."""
        return type(self.cost) in (QuadraticCost, CrossEntropyCost)

    def _update(self, X: Array, Y: Array, eta: float,
                unchecked: tuple[str, str, bool] | None = None) -> None:
        # All or nothing: the new w and b of every layer are written into the spare set of
        # arrays, checked, and swapped in by one assignment, so an error or an interrupt leaves
        # the old network. numpy's overflow warnings are silenced: a non-finite result is a
        # DivergenceError. ``unchecked`` names X and Y (and whether the errors name the
        # example) if they may hold nan or inf: a nan or inf in X makes the new w^1 non-finite
        # (BP4 multiplies every entry of X, and 0·nan = 0·inf = nan), one in Y the new b^L
        # (see _defers_y), so they are checked only when the new parameters fail.
        slots, (weights, biases) = self._slots, self._params
        spare = slots[0] if slots is not None and slots[1].holds(weights, biases) else self._spare()
        with np.errstate(over="ignore", invalid="ignore"):
            zs, activations, deltas = self._forward_backward(X, Y, quiet=True)
            step = eta / X.shape[1]
            for w, b, delta, a_prev, new_w, new_b in zip(
                weights, biases, deltas, activations, spare.weights, spare.biases
            ):
                scaled = delta * step  # (η/m) δ^l: n_l × m, smaller than ∂C/∂w^l to scale
                bp4_weight_gradient(scaled, a_prev, out=new_w)  # BP4
                np.subtract(w, new_w, out=new_w)
                np.add.reduce(scaled, axis=1, keepdims=True, out=new_b)  # BP3, summed over x
                np.subtract(b, new_b, out=new_b)
            flat = spare.flat
            # nan or inf anywhere makes the sum nan or inf; numpy's sum, not BLAS: OpenBLAS's
            # dot wakes a second thread for this size (~30 µs a step on 2 cores, milliseconds
            # when they are busy). If the sum overflows, the entries are checked one by one.
            finite = math.isfinite(np.add.reduce(flat)) or bool(np.isfinite(flat).all())
        if not finite and unchecked is not None:
            x_name, y_name, per_example = unchecked
            _refuse_non_finite(X, x_name, per_example)
            _refuse_non_finite(Y, y_name, per_example)
        self.zs, self.activations, self.deltas = zs, activations, deltas
        if not finite:
            raise _diverged(activations[-1], eta)
        self._params = (list(spare.weights), list(spare.biases))
        self._slots = (self._slots[1], spare)  # type: ignore[index]

    def _spare(self) -> _Slot:
        """The set of arrays the next step writes into: the one not holding the parameters.

        ``_slots`` is (spare, in use) after each step; if the parameters are not the arrays of
        the set in use (the first step, or ``weights``/``biases`` assigned), two new sets of
        their shapes are laid out (the assigned arrays themselves are never written to).
        """
        slots = self._slots
        if slots is not None and slots[1].holds(*self._params):
            return slots[0]
        shapes = [np.shape(w) for w in self.weights], [np.shape(b) for b in self.biases]
        self._slots = (_Slot(*shapes), _Slot(*shapes))
        return self._slots[0]

    def SGD(
        self,
        training_data: Sequence[Example],
        epochs: int,
        mini_batch_size: int,
        eta: float,
        test_data: Sequence[Example] | None = None,
        verbose: bool = True,
    ) -> list[int]:
        """Mini-batch stochastic gradient descent, as the book's ``SGD``.

        ``training_data`` is a list of (x, y) column pairs; each epoch shuffles it (with the
        network's seeded generator; the caller's list is not touched), cuts it into
        mini-batches and takes one fully matrix-based step per mini-batch. With ``test_data``
        the network is evaluated after each epoch and progress printed as in the book
        (``verbose=False`` prints nothing). Returns the per-epoch ``evaluate`` counts.
        """
        eta = _learning_rate(eta)
        epochs = positive_int("epochs", epochs)
        mini_batch_size = positive_int("mini_batch_size", mini_batch_size)
        X, Y = self._stack(training_data, "training_data")
        # examples as rows: a shuffled mini-batch is then a contiguous slice, transposed (a view)
        x_rows, y_rows = np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)
        n = x_rows.shape[0]
        if test_data is not None:
            X_test, labels = self._test_matrices(test_data)
        history = []
        for j in range(epochs):
            order = self.rng.permutation(n)
            xs, ys = x_rows[order], y_rows[order]
            for k in range(0, n, mini_batch_size):
                try:
                    self._update(xs[k : k + mini_batch_size].T, ys[k : k + mini_batch_size].T,
                                 eta)
                except DivergenceError as error:
                    step = k // mini_batch_size + 1
                    raise DivergenceError(
                        str(error).replace("training diverged",
                                           f"training diverged at epoch {j + 1}, step {step}"),
                        j + 1, step) from None
            if test_data is not None:
                correct = self._count_correct(X_test, labels)
                history.append(correct)
                if verbose:
                    print(f"Epoch {j}: {correct} / {len(labels)}")
            elif verbose:
                print(f"Epoch {j} complete")
        return history

    def _test_matrices(self, test_data: Sequence[Example]) -> tuple[Array, NDArray[np.intp]]:
        if len(test_data) == 0:
            raise ValueError("test_data is empty")
        try:
            xs, ys = zip(*test_data)
        except (TypeError, ValueError):
            raise TypeError("test_data must be a list of (x, y) pairs") from None
        X = self._stack_columns(xs, self.sizes[0], "test_data", "x")
        labels = np.array([int(np.argmax(y)) if np.ndim(y) else int(y) for y in ys])
        return X, labels

    def _count_correct(self, X: Array, labels: NDArray[np.intp]) -> int:
        return int(np.count_nonzero(np.argmax(self.feedforward(X), axis=0) == labels))

    def evaluate(self, test_data: Sequence[Example]) -> int:
        """How many test inputs the network classifies right: argmax of a^L equals the label.

        ``test_data`` is a list of (x, y) with y an int label (as the book's test data) or a
        one-hot column.

        >>> net = Network([2, 2], activation="linear", seed=0)
        >>> net.weights[0][:], net.biases[0][:] = [[1.0, 0.0], [0.0, 1.0]], 0.0
        >>> net.evaluate([(np.array([[1.0], [0.0]]), 0), (np.array([[0.0], [1.0]]), 0)])
        1
        """
        return self._count_correct(*self._test_matrices(test_data))

    def total_cost(self, data: Sequence[Example]) -> float:
        """The cost C = (1/n) Σ_x C_x over ``data`` (a list of (x, y) column pairs)."""
        X, Y = self._stack(data, "data")
        return self.cost.fn(self.feedforward(X), Y) / X.shape[1]




class _Slot:
    """One set of every layer's w and b: views into one flat float64 array, which one reduction
    checks for nan and inf."""

    __slots__ = ("biases", "flat", "weights")

    def __init__(self, w_shapes: list[tuple[int, ...]], b_shapes: list[tuple[int, ...]]) -> None:
        shapes = [*w_shapes, *b_shapes]
        sizes = [math.prod(shape) for shape in shapes]
        self.flat: Array = np.empty(sum(sizes))
        ends = np.cumsum(sizes).tolist()
        views = [self.flat[end - size : end].reshape(shape)
                 for shape, size, end in zip(shapes, sizes, ends)]
        self.weights: tuple[Array, ...] = tuple(views[: len(w_shapes)])
        self.biases: tuple[Array, ...] = tuple(views[len(w_shapes) :])

    def holds(self, weights: Sequence[Array], biases: Sequence[Array]) -> bool:
        """True if ``weights`` and ``biases`` are exactly this set's arrays."""
        return (len(weights) == len(self.weights) and len(biases) == len(self.biases)
                and all(map(operator.is_, weights, self.weights))
                and all(map(operator.is_, biases, self.biases)))


def _refuse_non_finite(a: Array, what: str, per_example: bool = False) -> None:
    """A ValueError if ``a`` holds nan or inf, naming the first such column if ``per_example``."""
    if not np.isfinite(a).all():
        if per_example:
            bad = int(np.argmin(np.isfinite(a).all(axis=0)))
            raise ValueError(f"{what}[{bad}] contains nan or inf")
        raise ValueError(f"{what} contains nan or inf")


def _bp4_spreads_non_finite() -> bool:
    """True if numpy's products here give nan or inf in every column k of δ (a^{l-1})^T where a
    row k of a^{l-1} holds nan or inf, even where δ is 0 (IEEE: 0·nan = 0·inf = nan). The
    optimized BLAS libraries multiply zeros through; the reference BLAS skips them, and with it
    the inputs are checked up front."""
    for m in (1, 3):
        delta = np.zeros((2, m))
        a = np.ones((4, m))
        a[0, 0], a[2, m - 1] = np.nan, np.inf
        for a_prev in (a, np.asfortranarray(a)):
            with np.errstate(invalid="ignore"):
                product = bp4_weight_gradient(delta, a_prev)
            if np.isfinite(product[:, [0, 2]]).any():
                return False
    return True


# whether update_batch and update_mini_batch_matrix may check X for nan and inf only on failure
_DEFER_X_CHECK = _bp4_spreads_non_finite()
# what update_batch and update_mini_batch_matrix call X and Y, and whether an error names the
# example
_MATRIX_NAMES = ("input x", "target y", False)
_LIST_NAMES = ("mini_batch: x", "mini_batch: y", True)


def _learning_rate(eta: Any) -> float:
    if type(eta) is float and 0.0 < eta < math.inf:  # the common case, without three calls
        return eta
    return positive_number("the learning rate eta", eta)


def _diverged(output: Array, eta: float) -> DivergenceError:
    where = "the output a^L is not finite" if not np.isfinite(output).all() else (
        "the update would make a weight or bias inf or nan")
    return DivergenceError(
        f"training diverged: {where} (eta={eta!r}); the network keeps its weights from before "
        "this step — try a smaller eta", 0, 0)
