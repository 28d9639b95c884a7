"""Neurons, layers and multilayer perceptrons on ``Value`` — micrograd's names, Nielsen's notation.

A neuron computes Nielsen's weighted input z = Σ_k w_k a_k + b as **one** node (op ``wsum``,
``autograd.weighted_sum``): its rate factors are a_k towards each weight (BP4's a_in), w_k
towards each input (BP2's w) and 1 towards the bias (BP3). ``fused=False`` builds micrograd's
chain ``sum((wi*xi for wi, xi in zip(w, x)), b)`` instead, for lecture-faithful pictures; the
numbers are the same.

Nodes are labelled in the book's language: weights ``w{l}[{j},{k}]``, biases ``b{l}[{j}]``,
weighted inputs ``z{l}[{j}]``, activations ``a{l}[{j}]`` and inputs ``a1[{k}]``, with l Nielsen's
layer number (the input layer is 1, so an MLP's first ``Layer`` is l = 2) and j, k 0-based:
``w{l}[j,k]`` is ``nn.matrix``'s ``weights[l-2][j, k]``. A linear neuron has no activation
node: its output *is* z, labelled ``z{l}[{j}]``.

Initialisation follows micrograd: weights ``uniform(-1, 1)``, biases 0, drawn layer by layer,
neuron by neuron. ``seed=None`` draws from Python's global ``random`` exactly as micrograd
does, so after ``random.seed(s)`` both libraries build the same weights; an int ``seed`` uses
a private ``random.Random(seed)`` and gives those same numbers without touching global state.
Any trained weights copy one for one, either way, with ``nn.copy_parameters(source, target)``
(both models list ``parameters()`` in micrograd's order).

>>> import random
>>> from micrograd import nn as mg
>>> random.seed(7); theirs = mg.MLP(2, [4, 1])
>>> ours = MLP(2, [4, 1], seed=7)
>>> [p.data for p in ours.parameters()] == [float(p.data) for p in theirs.parameters()]
True
>>> ours([1.0, -2.0]).data == float(theirs([1.0, -2.0]).data)
True
>>> [p.label for p in ours.layers[0].neurons[1].parameters()]
['w2[1,0]', 'w2[1,1]', 'b2[1]']
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pathgrad.autograd import Value, weighted_sum
from pathgrad.autograd._checks import positive_int
from pathgrad.autograd.notation import notation_of
from pathgrad.autograd.rules import ROWS
from pathgrad.autograd.sums import weighted_sums

from .matrix.activations import ACTIVATIONS
from .module import Module, Tensor

__all__ = ["ACTIVATIONS", "INITS", "MLP", "Layer", "Neuron"]

INITS = ("uniform", "normal", "scaled_normal")
"""Weight initialisations: ``uniform`` is micrograd's (w ~ U(−1, 1), b = 0); ``normal`` is
Nielsen's ``network.py`` (w, b ~ N(0, 1)); ``scaled_normal`` is Nielsen's chapter 3
(w ~ N(0, 1/n_in), b ~ N(0, 1))."""

def _check_activation(activation: Any) -> str:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    return activation


def _on_value(activation: str) -> Callable[[Value], Value] | None:
    """The activation as one node: the Value method of its rule row (none for linear)."""
    return None if activation == "linear" else getattr(Value, activation)


def _class_name(activation: str) -> str:
    # micrograd's repr: ReLUNeuron, LinearNeuron; the others after their row's _op
    op = notation_of(activation).micrograd if activation in ROWS else activation
    return op[0].upper() + op[1:]


def _rng(seed: int | random.Random | None) -> Any:
    if seed is None or seed is random:
        return random  # the global generator, as micrograd uses it
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, a random.Random or None, got {seed!r}")
    return random.Random(int(seed))


def _draw(rng: Any, init: str, n_inputs: int) -> tuple[list[float], float]:
    if init == "uniform":
        return [rng.uniform(-1, 1) for _ in range(n_inputs)], 0.0
    if init == "normal":
        return [rng.gauss(0.0, 1.0) for _ in range(n_inputs)], rng.gauss(0.0, 1.0)
    if init == "scaled_normal":
        s = 1.0 / math.sqrt(n_inputs)
        return [rng.gauss(0.0, s) for _ in range(n_inputs)], rng.gauss(0.0, 1.0)
    raise ValueError(f"unknown init {init!r}; choose one of {INITS}")


def _length_error(what: str, expected: int, x: Any) -> ValueError:
    return ValueError(f"{what} expects an input of length {expected}, got length {len(x)}")


def _inputs(x: Any, labels: list[str], what: str) -> list[Value]:
    """The input as Values: numbers become leaves labelled ``a1[k]`` (Nielsen's a¹ = x)."""
    try:
        n = len(x)
    except TypeError:
        raise TypeError(
            f"{what} expects a sequence of {len(labels)} numbers or Values, got "
            f"{type(x).__name__}"
        ) from None
    if n != len(labels):
        raise _length_error(what, len(labels), x)
    return [v if type(v) is Value else Value(v, label=label) for v, label in zip(x, labels)]


class Neuron(Module):
    """One neuron: a = activation(Σ_k w_k a_k + b).

    ``Neuron(nin, activation="relu")``: micrograd's ``Neuron(nin, nonlin=True)`` is also
    accepted, by keyword or positionally (``nonlin=False`` means linear). After each call
    ``last_z`` and ``last_activation`` hold the Values it made (the same Value for a linear neuron).

    >>> n = Neuron(3, activation="sigmoid", seed=0)
    >>> a = n([1.0, 0.0, -1.0])
    >>> a.op, a.parents[0].op, a is n.last_activation
    ('sigmoid', 'wsum', True)
    >>> n([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: Neuron expects an input of length 3, got length 2
    """

    def __init__(
        self,
        nin: int,
        activation: str | bool | None = None,
        *,
        nonlin: bool | None = None,
        seed: int | random.Random | None = None,
        init: str = "uniform",
        fused: bool = True,
        layer: int | None = None,
        index: int | None = None,
    ) -> None:
        nin = positive_int("nin", nin)
        if isinstance(activation, bool):  # micrograd's positional flag: Neuron(nin, nonlin)
            if nonlin is not None:
                raise ValueError("give either activation or micrograd's nonlin, not both")
            activation, nonlin = None, activation
        if activation is None:
            activation = "linear" if nonlin is False else "relu"
        elif nonlin is not None:
            raise ValueError("give either activation or micrograd's nonlin, not both")
        self.activation = _check_activation(activation)
        self.fused = bool(fused)
        if layer is None:
            w_names = [f"w[{k}]" for k in range(nin)]
            b_name, z_name, a_name = "b", "z", "a"
        else:
            j = 0 if index is None else index
            w_names = [f"w{layer}[{j},{k}]" for k in range(nin)]
            b_name, z_name, a_name = f"b{layer}[{j}]", f"z{layer}[{j}]", f"a{layer}[{j}]"
        weights, bias = _draw(_rng(seed), init, nin)
        self.w = [Value(x, label=name) for x, name in zip(weights, w_names)]
        self.b = Value(bias, label=b_name)
        self.layer, self.index = layer, index
        self._z_label = z_name
        self._a_label = z_name if activation == "linear" else a_name
        self._apply = _on_value(activation)
        self._input_labels = [f"a{1 if layer is None else layer - 1}[{k}]" for k in range(nin)]
        self.last_z: Value | None = None
        self.last_activation: Value | None = None

    @property
    def n_inputs(self) -> int:
        """How many inputs the neuron takes (micrograd's ``nin``)."""
        return len(self.w)

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the activation is linear."""
        return self.activation != "linear"

    def _forward(self, xs: list[Value]) -> Value:
        # xs: already Values of the right length (Layer checks once for all its neurons).
        if self.fused:
            z = weighted_sum(self.w, xs, self.b)
        else:
            z = sum((wi * xi for wi, xi in zip(self.w, xs)), self.b)
        return self._activate(z)

    def _activate(self, z: Value) -> Value:
        # z is this neuron's weighted input: label it, apply the activation, keep both
        z.label = self._z_label
        self.last_z = z
        if self._apply is None:
            self.last_activation = z
            return z
        a = self._apply(z)
        a.label = self._a_label
        self.last_activation = a
        return a

    def __call__(self, x: Sequence[Value | float]) -> Value:
        return self._forward(_inputs(x, self._input_labels, "Neuron"))

    def parameters(self) -> list[Value]:
        """Its weights, then its bias (micrograd's order)."""
        return [*self.w, self.b]

    def _tensors(self) -> list[Tensor]:
        if self.layer is None:
            return [("w", (len(self.w),), list(self.w)), ("b", (), [self.b])]
        j = 0 if self.index is None else self.index
        return [
            (f"w{self.layer}[{j}]", (len(self.w),), list(self.w)),
            (f"b{self.layer}[{j}]", (), [self.b]),
        ]

    def __repr__(self) -> str:
        return f"{_class_name(self.activation)}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; Nielsen's layer ``l`` (default 2).

    A call returns a list of Values, or the single Value when ``nout == 1`` (micrograd).

    >>> layer = Layer(2, 3, activation="tanh", seed=1)
    >>> [v.label for v in layer([0.5, -0.5])]
    ['a2[0]', 'a2[1]', 'a2[2]']
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = None,
        *,
        nonlin: bool | None = None,
        seed: int | random.Random | None = None,
        init: str = "uniform",
        fused: bool = True,
        layer: int = 2,
    ) -> None:
        nin, nout = positive_int("nin", nin), positive_int("nout", nout)
        layer = positive_int("layer (Nielsen's layer number)", layer, 2)
        rng = _rng(seed)
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
        self.neurons = [
            Neuron(nin, activation, nonlin=nonlin, seed=rng, init=init, fused=fused,
                   layer=layer, index=j)
            for j in range(nout)
        ]
        self.layer = layer
        self.activation = self.neurons[0].activation
        self._input_labels = [f"a{layer - 1}[{k}]" for k in range(nin)]

    @property
    def n_inputs(self) -> int:
        return len(self.neurons[0].w)

    @property
    def n_outputs(self) -> int:
        return len(self.neurons)

    def _forward(self, xs: list[Value]) -> list[Value]:
        neurons = self.neurons
        if not all(n.fused for n in neurons):
            return [n._forward(xs) for n in neurons]
        # the layer's weighted inputs in one call (the inputs read once), then each activation
        zs = weighted_sums([n.w for n in neurons], xs, [n.b for n in neurons])
        return [n._activate(z) for n, z in zip(neurons, zs)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = self._forward(_inputs(x, self._input_labels, f"Layer {self.layer}"))
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def _tensors(self) -> list[Tensor]:
        l = self.layer
        rows, cols = len(self.neurons), self.n_inputs
        return [
            (f"w{l}", (rows, cols), [w for n in self.neurons for w in n.w]),
            (f"b{l}", (rows,), [n.b for n in self.neurons]),
        ]

    def weight_matrix(self) -> np.ndarray:
        """Nielsen's w^l as an array of shape (n_out, n_in): entry [j, k] is ``w{l}[j,k]``."""
        return np.array([[w.data for w in n.w] for n in self.neurons])

    def bias_vector(self) -> np.ndarray:
        """Nielsen's b^l as an array of shape (n_out,)."""
        return np.array([n.b.data for n in self.neurons])

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """micrograd's ``MLP(nin, nouts)``: layers of sizes ``nouts`` on ``nin`` inputs.

    With no activation given it is micrograd's: relu hidden layers, a linear output layer.
    ``activation`` is a name for every hidden layer or a list with one name per layer
    (output included); ``output_activation`` names the output layer's.

    >>> net = MLP(784, [30, 10], activation="sigmoid", output_activation="sigmoid", seed=0)
    >>> net.layer_sizes, net.activations
    ([784, 30, 10], ['sigmoid', 'sigmoid'])
    >>> MLP(2, [16, 1], seed=0)
    MLP of [Layer of [ReLUNeuron(2), ...], Layer of [LinearNeuron(16)]]
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Sequence[str] | None = None,
        output_activation: str | None = None,
        *,
        seed: int | random.Random | None = None,
        init: str = "uniform",
        fused: bool = True,
    ) -> None:
        nin = positive_int("nin", nin)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        sizes = [nin] + [positive_int("each layer size", n) for n in nouts]
        n_layers = len(sizes) - 1
        if activation is None or isinstance(activation, str):
            hidden = _check_activation(activation or "relu")
            out = _check_activation(output_activation or "linear")
            names = [hidden] * (n_layers - 1) + [out]
        else:
            names = [_check_activation(a) for a in activation]
            if len(names) != n_layers:
                raise ValueError(
                    f"activation has {len(names)} entries, the MLP has {n_layers} layers"
                )
            if output_activation is not None:
                names[-1] = _check_activation(output_activation)
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
        rng = _rng(seed)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], names[i], seed=rng, init=init, fused=fused,
                  layer=i + 2)
            for i in range(n_layers)
        ]
        self.layer_sizes = sizes
        self.activations = names
        self._input_labels = [f"a1[{k}]" for k in range(nin)]

    @classmethod
    def from_sizes(cls, sizes: Sequence[int], **kwargs: Any) -> MLP:
        """Nielsen's ``Network(sizes)`` form: ``MLP.from_sizes([2, 16, 1])`` = ``MLP(2, [16, 1])``.

        >>> MLP.from_sizes([2, 3, 1], seed=0).layer_sizes
        [2, 3, 1]
        """
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs the input size and at least one layer, got {sizes}")
        return cls(sizes[0], sizes[1:], **kwargs)

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        xs = _inputs(x, self._input_labels, "MLP")
        for layer in self.layers:
            xs = layer._forward(xs)
        return xs[0] if len(xs) == 1 else xs

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for n in layer.neurons for p in (*n.w, n.b)]

    def _tensors(self) -> list[Tensor]:
        return [t for layer in self.layers for t in layer._tensors()]

    def feedforward(self, X: Any) -> np.ndarray:
        """Outputs for a batch in numpy, building no graph (Nielsen's ``feedforward``).

        ``X`` has shape (n, n_inputs) or (n_inputs,); the result (n, n_outputs) or
        (n_outputs,). Fast enough to draw a decision boundary over a grid.

        >>> net = MLP(2, [3, 1], seed=0)
        >>> abs(float(net.feedforward([0.5, -1.0])[0]) - net([0.5, -1.0]).data) < 1e-12
        True
        """
        a = np.asarray(X, dtype=np.float64)
        single = a.ndim == 1
        if single:
            a = a[None, :]
        if a.ndim != 2 or a.shape[1] != self.n_inputs:
            raise ValueError(
                f"MLP expects inputs of length {self.n_inputs}, got shape {np.shape(X)}"
            )
        for layer in self.layers:
            a = ACTIVATIONS[layer.activation](a @ layer.weight_matrix().T + layer.bias_vector())
        return a[0] if single else a

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
