"""nn.matrix's activations are the autograd rule rows on arrays; the fast forms are pinned to
them (issue 13: σ, σ′, tanh′, relu′, softplus written once)."""

from __future__ import annotations

import numpy as np
import pytest

from pathgrad.autograd import Value
from pathgrad.autograd.compiler.numpy_math import NUMPY_MATH
from pathgrad.autograd.rules import ROWS
from pathgrad.nn.matrix import ACTIVATIONS

Z = np.concatenate([np.linspace(-40, 40, 801), [-745.0, -0.0, 0.0, 1e-300, 745.0]])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "softplus"])
def test_forward_and_rate_factor_are_the_rows(name):
    act, row = ACTIVATIONS[name], ROWS[name]
    out = row.forward(NUMPY_MATH, Z)
    np.testing.assert_allclose(act.function(Z), out, rtol=5e-16, atol=1e-300)  # 2 ulp
    assert np.array_equal(act.derivative(Z), row.partials(NUMPY_MATH, out, Z)[0])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "softplus"])
def test_the_scalar_engine_gives_the_same_rate_factors(name):
    act = ACTIVATIONS[name]
    for z in Z[::40]:
        v = getattr(Value(float(z)), name)()
        assert act.derivative(np.array([z]))[0] == pytest.approx(v.local_grads[0], rel=1e-15)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_the_fast_path_prime_from_the_output_matches(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-8, 8, 161)
    np.testing.assert_allclose(act.prime(z, act.function(z)), act.derivative(z), atol=2e-16)
