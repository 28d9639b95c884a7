"""Neural networks on ``Value``: micrograd's ``Neuron``, ``Layer``, ``MLP`` in Nielsen's notation.

Also losses, optimizers, seeded data sets and ``fit``. The numpy matrix form of the four
equations lives in ``nn.matrix`` (``from pathgrad.nn.matrix import Network``); ``ACTIVATIONS`` is
its table of activations by name, shared with ``Neuron``.

>>> from pathgrad.nn import MLP, data, optim, fit
>>> X, y = data.moons(100, noise=0.1, seed=1337, signed=True)
>>> model = MLP(2, [16, 16, 1], seed=1337)              # micrograd's demo model
>>> history = fit(model, X, y, "max_margin", optim.SGD(model.parameters(), lr=1.0),
...               epochs=2, l2=1e-4, verbose=False)
>>> len(model.parameters()), len(history.loss)
(337, 2)
"""

from . import data, losses, optim
from .layers import ACTIVATIONS, INITS, MLP, Layer, Neuron
from .module import Module, copy_parameters
from .optim import SGD, Adam
from .train import DivergenceError, History, fit, train_step

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "SGD",
    "Adam",
    "DivergenceError",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "copy_parameters",
    "data",
    "fit",
    "losses",
    "optim",
    "train_step",
]
