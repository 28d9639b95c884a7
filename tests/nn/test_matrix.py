"""nn.matrix (BP1–BP4 in numpy) against the scalar engine, which is built here neuron by neuron.

The oracle: the same network as ``autograd.Value`` nodes, one ``weighted_sum`` per neuron
(Nielsen's z_j^l) and then the activation op, the cost built from Values, and ``grad``. Its
gradients towards the weight and bias leaves are ∂C/∂w and ∂C/∂b, its gradients towards the
z nodes are δ^l = ∂C/∂z^l. Nothing in it shares code with nn.matrix.

"Relative 1e-12" below, against the engine: |ours − engine| ≤ 1e-12 · S elementwise, where S
is the same quantity recomputed with the absolute value of every term (|w|, |δ|, |a|, |σ'|):
a sum's rounding error is relative to the sum of its terms' sizes (|fl(Σ t) − Σ t| ≤ n ε Σ|t|),
not to the sum, which cancellation can make as small as it likes. Where no terms cancel, S is
|engine| and this is plain relative error. Other comparisons use ``assert_close``: relative
1e-12 with an absolute floor of 1e-12 times the array's largest entry.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pathgrad.autograd import Value, grad, sum_values, weighted_sum
from pathgrad.nn.matrix import (
    ACTIVATIONS,
    Activation,
    CrossEntropyCost,
    Network,
    QuadraticCost,
    bp1_output_error,
    bp2_backpropagate_error,
    bp3_bias_gradient,
    bp4_weight_gradient,
    deltas_sigma_prime,
    hadamard,
    load_digits_data,
    sigma_prime_matrix,
)

ENGINE_OPS: dict[str, Callable[[Value], Value]] = {
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "softplus": Value.softplus,
    "linear": lambda z: z,  # σ(z) = z: the activation *is* the weighted input
}
NAMES = sorted(ENGINE_OPS)


def assert_close(ours: np.ndarray, ref: np.ndarray, rtol: float = 1e-12) -> None:
    ref = np.asarray(ref, dtype=float)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    floor = rtol * float(np.abs(ref).max()) if ref.size else 0.0
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=floor)


def assert_within(
    ours: np.ndarray, ref: np.ndarray, scale: np.ndarray, rtol: float = 1e-12
) -> None:
    """|ours − ref| ≤ rtol · max(|ref|, scale), elementwise (scale: see the module docstring)."""
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    bound = rtol * np.maximum(np.abs(ref), scale)
    excess = np.abs(ours - ref) - bound
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess[worst] <= 0.0, (
        f"at {worst}: ours {ours[worst]!r}, engine {ref[worst]!r}, allowed ±{bound[worst]:.3g}"
    )


@dataclass
class Scales:
    """Every quantity of one backprop recomputed with absolute values: no cancellation."""

    zs: list[np.ndarray]
    activations: list[np.ndarray]
    nabla_a: np.ndarray
    deltas: list[np.ndarray]
    nabla_b: list[np.ndarray]
    nabla_w: list[np.ndarray]


def scales(net: Network, ref: EngineNet, Y: np.ndarray) -> Scales:
    m_a = [np.abs(ref.activations[0])]
    m_z, sp = [], []
    for w, b, act, z, a in zip(
        net.weights, net.biases, net.layer_activations, ref.zs, ref.activations[1:]
    ):
        m_z.append(np.abs(w) @ m_a[-1] + np.abs(b))
        sp.append(np.abs(act.derivative(z)))
        m_a.append(np.abs(a) + sp[-1] * m_z[-1])  # |a| plus how far z's rounding moves it
    a_L = ref.activations[-1]
    if net.cost.name == "quadratic":
        m_nabla_a = m_a[-1] + np.abs(Y)  # a − y
    else:  # −y/a + (1 − y)/(1 − a), term by term
        m_nabla_a = Y / a_L + (1.0 - Y) / (1.0 - a_L) + m_a[-1] / (a_L * (1.0 - a_L))
    deltas = [m_nabla_a * sp[-1]]
    for l in range(len(net.weights) - 2, -1, -1):
        deltas.insert(0, (np.abs(net.weights[l + 1]).T @ deltas[0]) * sp[l])
    nabla_b = [d.sum(axis=1, keepdims=True) for d in deltas]
    nabla_w = [d @ a.T for d, a in zip(deltas, m_a)]
    return Scales(m_z, m_a, m_nabla_a, deltas, nabla_b, nabla_w)


# ---- the oracle: the network as a scalar graph ------------------------------------------------
@dataclass
class EngineNet:
    """The gradients the engine finds for C = Σ_x C_x, arranged like nn.matrix's lists."""

    cost: float
    nabla_w: list[np.ndarray]
    nabla_b: list[np.ndarray]
    deltas: list[np.ndarray]  # ∂C/∂z^l, one column per example
    nabla_a_output: np.ndarray  # ∂C/∂a^L
    zs: list[np.ndarray]
    activations: list[np.ndarray]


def engine(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    ops: Sequence[Sequence[Callable[[Value], Value]]],
    cost: str,
    X: np.ndarray,
    Y: np.ndarray,
) -> EngineNet:
    """Build C = Σ_x C_x from Values (``ops[l][j]`` is neuron j's activation op) and take grad."""
    W = [[[Value(float(w)) for w in row] for row in Wl] for Wl in weights]
    B = [[Value(float(b)) for b in Bl[:, 0]] for Bl in biases]
    m = X.shape[1]
    z_nodes: list[list[list[Value]]] = [[] for _ in weights]  # [layer][example][neuron]
    a_nodes: list[list[list[Value]]] = [[] for _ in weights]
    terms: list[Value | float] = []
    for i in range(m):
        a: list = [float(v) for v in X[:, i]]
        for l, (Wl, Bl) in enumerate(zip(W, B)):
            z = [weighted_sum(row, a, b) for row, b in zip(Wl, Bl)]
            a = [op(zj) for op, zj in zip(ops[l], z)]
            z_nodes[l].append(z)
            a_nodes[l].append(a)
        for a_j, z_j, y_j in zip(a, z, Y[:, i]):
            y_j = float(y_j)
            if cost == "quadratic":
                terms.append((a_j - y_j) ** 2 * 0.5)
            elif (
                cost == "cross-entropy from z"
            ):  # ln σ(z) = −softplus(−z), ln(1 − σ(z)) = −softplus(z)
                terms.append(y_j * (-z_j).softplus() + (1.0 - y_j) * z_j.softplus())
            else:
                terms.append(-(y_j * a_j.log() + (1.0 - y_j) * (1.0 - a_j).log()))
    C = sum_values(terms)
    leaves_w = [w for Wl in W for row in Wl for w in row]
    leaves_b = [b for Bl in B for b in Bl]
    zs_flat = [zj for layer in z_nodes for ex in layer for zj in ex]
    out_flat = [aj for ex in a_nodes[-1] for aj in ex]
    g = iter(grad(C, leaves_w + leaves_b + zs_flat + out_flat))
    nabla_w = [np.array([[next(g) for _ in row] for row in Wl]) for Wl in weights]
    nabla_b = [np.array([[next(g)] for _ in range(len(Bl))]) for Bl in biases]
    deltas = [np.array([[next(g) for _ in range(len(Bl))] for _ in range(m)]).T for Bl in biases]
    nabla_a = np.array([[next(g) for _ in range(Y.shape[0])] for _ in range(m)]).T
    zs = [np.array([[zj.data for zj in ex] for ex in layer]).T for layer in z_nodes]
    acts = [X] + [np.array([[aj.data for aj in ex] for ex in layer]).T for layer in a_nodes]
    return EngineNet(C.data, nabla_w, nabla_b, deltas, nabla_a, zs, acts)


def engine_for(net: Network, X: np.ndarray, Y: np.ndarray) -> EngineNet:
    ops = [[ENGINE_OPS[act.name]] * n for act, n in zip(net.layer_activations, net.sizes[1:])]
    return engine(net.weights, net.biases, ops, net.cost.name, X, Y)


Case = tuple[Network, np.ndarray, np.ndarray]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A random network (sizes, a per-layer activation, cost, weights) and m examples."""
    sizes = draw(st.lists(st.integers(1, 5), min_size=2, max_size=5))
    cost = draw(st.sampled_from(["quadratic", "cross-entropy"]))
    hidden = [draw(st.sampled_from(NAMES)) for _ in sizes[2:]]
    output = "sigmoid" if cost == "cross-entropy" else draw(st.sampled_from(NAMES))
    seed = draw(st.integers(0, 2**32 - 1))
    m = draw(st.integers(1, 3))
    net = Network(sizes, activation=[*hidden, output], cost=cost, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(sizes[0], m))
    Y = rng.uniform(size=(sizes[-1], m))  # targets in [0, 1] suit both costs
    # Away from saturation: where σ' is tiny, the fast path's σ' from the output, a(1 − a) and
    # 1 − a² (as PyTorch's sigmoid and tanh backward), and the engine's own 1 − a inside the
    # cross-entropy lose relative digits. The tails have tests of their own.
    assume(_unsaturated(net, X))
    return net, X, Y


SATURATION = {"sigmoid": 6.0, "tanh": 3.5}  # |z| where σ'(z) falls to about 2.5e-3 and 3.6e-3


def _unsaturated(net: Network, X: np.ndarray) -> bool:
    a = X
    for w, b, act in zip(net.weights, net.biases, net.layer_activations):
        z = w @ a + b
        if np.abs(z).max() > SATURATION.get(act.name, np.inf):
            return False
        a = act.function(z)
    return True


# ---- backprop against the engine ----------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(cases())
def test_backprop_equals_the_engines_gradients(case: Case) -> None:
    net, X, Y = case
    ref = engine_for(net, X, Y)
    S = scales(net, ref, Y)
    nabla_b, nabla_w = net.backprop(X, Y)
    for l in range(net.num_layers - 1):
        assert_within(nabla_w[l], ref.nabla_w[l], S.nabla_w[l])
        assert_within(nabla_b[l], ref.nabla_b[l], S.nabla_b[l])
        assert_within(net.deltas[l], ref.deltas[l], S.deltas[l])  # ∂C/∂z^l from the z nodes
        assert_within(net.zs[l], ref.zs[l], S.zs[l])
    assert len(net.activations) == net.num_layers
    for a, a_ref, scale in zip(net.activations, ref.activations, S.activations):
        assert_within(a, a_ref, scale)
    assert math.isclose(net.cost.fn(net.activations[-1], Y), ref.cost, rel_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(cases())
def test_each_equation_on_its_own(case: Case) -> None:
    """Each of BP1–BP4 fed only the engine's numbers reproduces the engine's next number."""
    net, X, Y = case
    ref = engine_for(net, X, Y)
    S = scales(net, ref, Y)
    acts, L = net.layer_activations, net.num_layers - 1
    sigma_prime = [act.derivative(z) for act, z in zip(acts, ref.zs)]
    # ∇_a C of the cost module is the engine's ∂C/∂a^L (quadratic: a − y, eq. 30)
    assert_within(net.cost.derivative(ref.activations[-1], Y), ref.nabla_a_output, S.nabla_a)
    # BP1: δ^L = ∇_a C ⊙ σ'(z^L), with ∇_a C taken from the engine
    delta_L = bp1_output_error(ref.nabla_a_output, sigma_prime[-1])
    assert_within(delta_L, ref.deltas[-1], S.deltas[-1])
    for l in range(L - 1):
        # BP2: δ^l = ((w^{l+1})^T δ^{l+1}) ⊙ σ'(z^l), from the engine's δ^{l+1}
        delta = bp2_backpropagate_error(net.weights[l + 1], ref.deltas[l + 1], sigma_prime[l])
        assert_within(delta, ref.deltas[l], S.deltas[l])
    for l in range(L):
        # BP3: ∂C/∂b^l = δ^l and BP4: ∂C/∂w^l = δ^l (a^{l-1})^T, from the engine's δ^l
        assert_within(bp3_bias_gradient(ref.deltas[l]), ref.nabla_b[l], S.nabla_b[l])
        nabla_w = bp4_weight_gradient(ref.deltas[l], ref.activations[l])
        assert_within(nabla_w, ref.nabla_w[l], S.nabla_w[l])


@settings(max_examples=50, deadline=None)
@given(cases())
def test_sigma_prime_form_equals_the_engine(case: Case) -> None:
    """Eqs. 33–35: δ^l = Σ'(z^l)(w^{l+1})^T ··· (w^L)^T Σ'(z^L) ∇_a C, no Hadamard product."""
    net, X, Y = case
    ref = engine_for(net, X, Y)
    S = scales(net, ref, Y)
    nabla_b, nabla_w = net.backprop_sigma_prime(X, Y)
    for l in range(net.num_layers - 1):
        assert_within(nabla_w[l], ref.nabla_w[l], S.nabla_w[l])
        assert_within(nabla_b[l], ref.nabla_b[l], S.nabla_b[l])
    # and, example by example, the δ's it builds are the engine's
    sigma_prime = [act.derivative(z) for act, z in zip(net.layer_activations, ref.zs)]
    for i in range(X.shape[1]):
        column = [sp[:, [i]] for sp in sigma_prime]
        deltas = deltas_sigma_prime(net.weights, column, ref.nabla_a_output[:, [i]])
        for delta, delta_ref, scale in zip(deltas, ref.deltas, S.deltas):
            assert_within(delta, delta_ref[:, [i]], scale[:, [i]])


def _saturated_case(cost: str, seed: int) -> tuple[Network, np.ndarray, np.ndarray]:
    net = Network([3, 4, 2], cost=cost, seed=seed)
    net.weights = [w * 12.0 for w in net.weights]
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(3, 3)), rng.uniform(size=(2, 3))
    net.backprop(X, Y)
    assert min(float(np.abs(z).max()) for z in net.zs) > 15.0  # every layer saturates somewhere
    return net, X, Y


def test_saturated_sigmoid_neurons() -> None:
    """|z| of 15 to 60: σ'(z) down to 1e-26. The Σ' route uses the exact σ' and matches the
    engine to 1e-12; the fast path's σ' = a(1 − a) (eq. 40, as PyTorch) is exact to 1e-16
    absolute, so its δ^L is off by at most that times |a − y|."""
    net, X, Y = _saturated_case("quadratic", seed=12)
    ref = engine_for(net, X, Y)
    nabla_b, nabla_w = net.backprop_sigma_prime(X, Y)
    for l in range(2):
        assert_close(nabla_w[l], ref.nabla_w[l])
        assert_close(nabla_b[l], ref.nabla_b[l])
    net.backprop(X, Y)
    a_minus_y = np.abs(net.activations[-1] - Y).max()
    assert np.abs(net.deltas[-1] - ref.deltas[-1]).max() <= 1e-15 * a_minus_y


def test_saturated_cross_entropy_output() -> None:
    """δ^L = a − y stays exact at saturation. The engine's cost written with 1 − a loses those
    digits (1 − a rounds); written from z with softplus it does not, and agrees with ours."""
    net, X, Y = _saturated_case("cross-entropy", seed=3)
    assert net.zs[-1].max() > 25.0  # an output a = σ(z) within 1e-10 of 1
    ops = [[Value.sigmoid] * n for n in net.sizes[1:]]
    stable = engine(net.weights, net.biases, ops, "cross-entropy from z", X, Y)
    from_a = engine(net.weights, net.biases, ops, "cross-entropy", X, Y)
    nabla_b, nabla_w = net.backprop(X, Y)
    for l in range(2):
        assert_close(net.deltas[l], stable.deltas[l])
        assert_close(nabla_w[l], stable.nabla_w[l])
        assert_close(nabla_b[l], stable.nabla_b[l])
    worst = np.abs(from_a.deltas[-1] - stable.deltas[-1]) / np.abs(stable.deltas[-1])
    assert worst.max() > 1e-9  # why the random networks above stay out of saturation


def test_sigma_prime_matrix_is_the_hadamard_product() -> None:
    sp, v = np.array([[0.25], [0.5], [2.0]]), np.array([[4.0], [-2.0], [3.0]])
    S = sigma_prime_matrix(sp)
    assert S.shape == (3, 3) and np.count_nonzero(S - np.diag(np.diag(S))) == 0
    assert np.array_equal(S @ v, hadamard(sp, v))


def test_hadamard_example_of_eq_28() -> None:
    assert hadamard([1, 2], [3, 4]).tolist() == [3, 8]
    assert hadamard(np.array([[1.0], [2.0]]), np.array([[3.0], [4.0]])).tolist() == [[3.0], [8.0]]
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        hadamard([1, 2], [3, 4, 5])


# ---- the three ways to take one mini-batch step -------------------------------------------------
@pytest.mark.parametrize(
    ("sizes", "activation", "cost"),
    [
        ([6, 5, 4, 3], "sigmoid", "quadratic"),
        ([6, 5, 4, 3], "sigmoid", "cross-entropy"),
        ([4, 7, 2], ["tanh", "linear"], "quadratic"),
        ([5, 6, 6, 3], ["relu", "softplus", "sigmoid"], "cross-entropy"),
    ],
)
def test_loop_matrix_and_sigma_prime_updates_agree(sizes, activation, cost) -> None:
    rng = np.random.default_rng(7)
    m, eta = 7, 0.3
    batch = [(rng.normal(size=(sizes[0], 1)), rng.uniform(size=(sizes[-1], 1))) for _ in range(m)]
    loop = Network(sizes, activation=activation, cost=cost, seed=3)
    matrix, stacked, sigma = (copy.deepcopy(loop) for _ in range(3))
    X, Y = np.hstack([x for x, _ in batch]), np.hstack([y for _, y in batch])
    ref = engine_for(loop, X, Y)  # the engine's gradient of Σ_x C_x at the starting weights
    expected_w = [w - eta / m * g for w, g in zip(loop.weights, ref.nabla_w)]
    expected_b = [b - eta / m * g for b, g in zip(loop.biases, ref.nabla_b)]

    loop.update_mini_batch(batch, eta)  # the book's loop over examples
    matrix.update_mini_batch_matrix(batch, eta)  # X = [x_1 ... x_m], one pass
    stacked.update_batch(X, Y, eta)  # the same, already stacked
    nabla_b, nabla_w = sigma.backprop_sigma_prime(X, Y)  # eq. 35, then the same step
    sigma.weights = [w - eta / m * g for w, g in zip(sigma.weights, nabla_w)]
    sigma.biases = [b - eta / m * g for b, g in zip(sigma.biases, nabla_b)]

    for net in (loop, matrix, stacked, sigma):
        for w, w_ref in zip(net.weights, expected_w):
            assert_close(w, w_ref)
        for b, b_ref in zip(net.biases, expected_b):
            assert_close(b, b_ref)
    # after the matrix step the network keeps the mini-batch's δ^l, one column per example
    assert [d.shape for d in matrix.deltas] == [(n, m) for n in sizes[1:]]
    for d, d_ref in zip(matrix.deltas, ref.deltas):
        assert_close(d, d_ref)


def test_update_batch_reads_strided_views_and_keeps_working_after_weights_are_replaced() -> None:
    net = Network([3, 4, 2], seed=0)
    rows = np.random.default_rng(1).normal(size=(5, 3))  # examples as rows, as SGD keeps them
    X, Y = rows.T, np.full((2, 5), 0.5)  # X is a transposed view
    twin = copy.deepcopy(net)
    net.update_batch(X, Y, 0.5)
    twin.update_mini_batch([(x.reshape(-1, 1), np.full((2, 1), 0.5)) for x in rows], 0.5)
    for w, w_ref in zip(net.weights, twin.weights):
        assert_close(w, w_ref)
    net.weights = [np.zeros((4, 3)), np.zeros((2, 4))]
    net.update_batch(X, Y, 0.5)
    assert np.all(np.isfinite(net.weights[0]))


# ---- the book's listing, transcribed, is wrong; ours is right ------------------------------------
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_prime(z):
    return _sigmoid(z) * (1 - _sigmoid(z))


def book_backprop(net: Network, x, y, fixed: bool = False):
    """The seed's ``backprop`` listing, line for line (``xrange`` → ``range``).

    ``fixed=True`` changes exactly the three indices inside the loop: ``zs[-1]`` → ``zs[-l]``,
    ``nabla_b[-1]`` → ``nabla_b[-l]``, ``nabla_w[-1]`` → ``nabla_w[-l]``.
    """
    nabla_b = [np.zeros(b.shape) for b in net.biases]
    nabla_w = [np.zeros(w.shape) for w in net.weights]
    # feedforward
    activation = x
    activations = [x]  # list to store all the activations, layer by layer
    zs = []  # list to store all the z vectors, layer by layer
    for b, w in zip(net.biases, net.weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = _sigmoid(z)
        activations.append(activation)
    # backward pass
    delta = (activations[-1] - y) * _sigmoid_prime(zs[-1])
    nabla_b[-1] = delta
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for l in range(2, net.num_layers):
        if not fixed:
            z = zs[-1]
            sp = _sigmoid_prime(z)
            delta = np.dot(net.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-1] = delta
            nabla_w[-1] = np.dot(delta, activations[-l - 1].transpose())
        else:
            z = zs[-l]
            sp = _sigmoid_prime(z)
            delta = np.dot(net.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
    return (nabla_b, nabla_w)


def _max_rel_error(ours: list[np.ndarray], ref: list[np.ndarray]) -> float:
    worst = 0.0
    for a, b in zip(ours, ref):
        if a.shape != b.shape:
            return math.inf
        worst = max(worst, float(np.abs(a - b).max() / np.abs(b).max()))
    return worst


def test_the_books_backprop_listing_disagrees_with_the_engine_and_ours_agrees() -> None:
    # equal widths, so that the listing's wrong indices still give arrays of the right shapes
    net = Network([4, 4, 4, 4], seed=5)
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 1)), rng.uniform(size=(4, 1))
    ref = engine_for(net, x, y)

    book_b, book_w = book_backprop(net, x, y)
    assert _max_rel_error(book_b, ref.nabla_b) > 0.1  # silently wrong numbers
    assert _max_rel_error(book_w, ref.nabla_w) > 0.1
    assert np.count_nonzero(book_b[0]) == 0  # the first layers' gradients are never written

    fixed_b, fixed_w = book_backprop(net, x, y, fixed=True)  # only those three indices changed
    assert _max_rel_error(fixed_b, ref.nabla_b) < 1e-12
    assert _max_rel_error(fixed_w, ref.nabla_w) < 1e-12

    ours_b, ours_w = net.backprop(x, y)
    assert _max_rel_error(ours_b, ref.nabla_b) < 1e-12
    assert _max_rel_error(ours_w, ref.nabla_w) < 1e-12


def test_the_books_backprop_listing_fails_on_the_books_own_shapes() -> None:
    # [784, 30, 10] in small: σ'(z^L) (10 rows) meets (w^L)^T δ^L (30 rows)
    net = Network([7, 5, 3], seed=0)
    x, y = np.ones((7, 1)), np.zeros((3, 1))
    with pytest.raises(ValueError, match="broadcast"):
        book_backprop(net, x, y)
    nabla_b, _ = book_backprop(net, x, y, fixed=True)
    assert_close(nabla_b[0], net.backprop(x, y)[0][0])


def _by_book_layer(items: list[np.ndarray]) -> dict[int, np.ndarray]:
    """The book numbers layers 1..L, and weights and biases from layer 2: w^2 is items[0]."""
    return {l: item for l, item in enumerate(items, start=2)}


def test_the_pseudocodes_update_rule_is_off_by_one() -> None:
    """Step 3 of the seed's mini-batch algorithm: "for each l = L, ..., 2 update w^{l+1}"."""
    net = Network([3, 3, 3], seed=2)
    rng = np.random.default_rng(2)
    batch = [(rng.normal(size=(3, 1)), rng.uniform(size=(3, 1))) for _ in range(4)]
    eta, m, L = 0.5, len(batch), net.num_layers
    grads = [engine_for(net, x, y) for x, y in batch]  # the engine's δ^{x,l} and a^{x,l-1}
    delta = [_by_book_layer(g.deltas) for g in grads]
    act = [{l: a for l, a in enumerate(g.activations, start=1)} for g in grads]

    w = _by_book_layer([v.copy() for v in net.weights])
    with pytest.raises(KeyError):  # as printed: there is no w^{L+1}
        for l in range(L, 1, -1):
            w[l + 1] = w[l + 1] - eta / m * sum(d[l] @ a[l - 1].T for d, a in zip(delta, act))

    # the other seed's version of step 3 runs l = L−1, ..., 2 and so never updates w^L
    w = _by_book_layer([v.copy() for v in net.weights])
    for l in range(L - 1, 1, -1):
        w[l] = w[l] - eta / m * sum(d[l] @ a[l - 1].T for d, a in zip(delta, act))
    expected = [v - eta / m * sum(g.nabla_w[i] for g in grads) for i, v in enumerate(net.weights)]
    assert np.array_equal(w[L], net.weights[-1])
    assert not np.allclose(w[L], expected[-1])

    net.update_mini_batch(batch, eta)  # ours updates every w^l, l = L, ..., 2, with layer l's
    for v, v_ref in zip(net.weights, expected):
        assert_close(v, v_ref)


def test_the_pseudocodes_feedforward_is_off_by_one() -> None:
    """The seed's mini-batch algorithm computes z^{x,l} = w^{x,l-1} a^{x,l-1} + b^{x,l}."""
    net = Network([3, 3, 3], seed=4)
    w, b = _by_book_layer(net.weights), _by_book_layer(net.biases)
    a = {1: np.ones((3, 1))}
    with pytest.raises(KeyError):  # as printed: w^1 does not exist (the input layer has none)
        for l in range(2, net.num_layers + 1):
            a[l] = _sigmoid(w[l - 1] @ a[l - 1] + b[l])
    for l in range(2, net.num_layers + 1):  # z^l = w^l a^{l-1} + b^l (eq. 25)
        a[l] = _sigmoid(w[l] @ a[l - 1] + b[l])
    assert_close(net.feedforward(a[1]), a[net.num_layers])


# ---- the chapter's exercises and the cross-entropy cost -----------------------------------------
def test_a_single_modified_neuron() -> None:
    """Exercise: one neuron outputs f(z) = tanh(z): only its σ'(z_j) in BP1/BP2 changes."""
    j = 2

    def mixed(f_other: Callable, f_j: Callable) -> Callable:
        def fn(z):
            out = f_other(z)
            out[j] = f_j(z[j])
            return out

        return fn

    sig, tanh = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"]
    modified = Activation(
        "sigmoid, tanh at neuron 2",
        mixed(sig.function, tanh.function),
        mixed(sig.derivative, tanh.derivative),
    )
    net = Network([3, 4, 2], activation=[modified, "sigmoid"], seed=8)
    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(3, 2)), rng.uniform(size=(2, 2))
    ops: list[list[Callable[[Value], Value]]] = [[Value.sigmoid] * 4, [Value.sigmoid] * 2]
    ops[0][j] = Value.tanh
    ref = engine(net.weights, net.biases, ops, "quadratic", X, Y)
    nabla_b, nabla_w = net.backprop(X, Y)
    for l in range(2):
        assert_close(nabla_w[l], ref.nabla_w[l])
        assert_close(nabla_b[l], ref.nabla_b[l])
        assert_close(net.deltas[l], ref.deltas[l])


def test_linear_neurons() -> None:
    """Exercise: σ(z) = z everywhere: δ^L = a^L − y, δ^l = (w^{l+1})^T ··· (w^L)^T (a^L − y)."""
    net = Network([3, 4, 5, 2], activation="linear", seed=9)
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(3, 1)), rng.normal(size=(2, 1))
    net.backprop(x, y)
    a_L = net.weights[2] @ (net.weights[1] @ (net.weights[0] @ x + net.biases[0]) + net.biases[1])
    a_L += net.biases[2]
    assert_close(net.activations[-1], a_L)
    assert_close(net.deltas[2], a_L - y)
    assert_close(net.deltas[1], net.weights[2].T @ (a_L - y))
    assert_close(net.deltas[0], net.weights[1].T @ net.weights[2].T @ (a_L - y))
    assert net.activations[1] is net.zs[0]  # a^l is z^l itself


def test_cross_entropy_output_error_is_a_minus_y() -> None:
    net = Network([4, 3, 5], cost="cross-entropy", seed=10)
    rng = np.random.default_rng(10)
    X, Y = rng.normal(size=(4, 6)), rng.uniform(size=(5, 6))
    net.backprop(X, Y)
    a, z = net.activations[-1], net.zs[-1]
    assert np.array_equal(net.deltas[-1], a - Y)  # the shortcut, bit for bit
    nabla_a, sigma_prime = CrossEntropyCost().derivative(a, Y), ACTIVATIONS["sigmoid"].derivative(z)
    assert_close(net.deltas[-1], bp1_output_error(nabla_a, sigma_prime))  # ∇_a C ⊙ σ'(z^L)
    assert isinstance(Network([2, 2]).cost, QuadraticCost)


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivatives_match_the_engines_rules(name: str) -> None:
    act = ACTIVATIONS[name]
    z = np.array([-40.0, -12.0, -3.0, -0.5, 0.0, 0.7, 2.0, 15.0, 40.0]).reshape(-1, 1)
    slopes, values = [], []
    for v in z[:, 0]:
        node = Value(float(v))
        out = ENGINE_OPS[name](node)
        values.append(out.data)
        slopes.append(grad(out, [node])[0] if out is not node else 1.0)
    values_a, slopes_a = np.array(values).reshape(-1, 1), np.array(slopes).reshape(-1, 1)
    np.testing.assert_allclose(act.function(z), values_a, rtol=1e-14, atol=1e-300)
    # the exact derivative holds to 1e-14 relative even in the tails (σ'(40) ≈ 4e-18)
    np.testing.assert_allclose(act.derivative(z), slopes_a, rtol=1e-14, atol=1e-300)
    # the fast path's σ'(z) from a = σ(z) (a(1 − a), 1 − a²) is exact to the scale of σ'
    np.testing.assert_allclose(act.prime(z, act.function(z)), slopes_a, rtol=0, atol=1e-15)


# ---- training on the 8×8 digits ---------------------------------------------------------------
def test_digits_reach_95_percent() -> None:
    training_data, test_data = load_digits_data(seed=0)
    assert len(training_data) + len(test_data) == 1797
    x, y = training_data[0]
    assert x.shape == (64, 1) and y.shape == (10, 1) and 0.0 <= x.min() <= x.max() <= 1.0
    net = Network([64, 30, 10], cost="cross-entropy", seed=0)
    history = net.SGD(training_data, 20, 10, 0.5, test_data=test_data, verbose=False)
    accuracy = net.evaluate(test_data) / len(test_data)
    assert history[-1] == net.evaluate(test_data)
    assert accuracy >= 0.95, accuracy


def test_sgd_is_seeded_and_leaves_the_callers_data_alone() -> None:
    training_data, _ = load_digits_data(seed=1)
    training_data = training_data[:203]  # 203 = 20 mini-batches of 10 and one of 3
    order = [id(pair) for pair in training_data]
    nets = [Network([64, 8, 10], seed=3) for _ in range(2)]
    for net in nets:
        assert net.SGD(training_data, 2, 10, 1.0, verbose=False) == []
    assert [id(pair) for pair in training_data] == order
    for w1, w2 in zip(nets[0].weights, nets[1].weights):
        assert np.array_equal(w1, w2)


def test_sgd_prints_progress_as_the_book(capsys: pytest.CaptureFixture[str]) -> None:
    training_data, test_data = load_digits_data(seed=0)
    Network([64, 10], seed=0).SGD(training_data[:50], 2, 10, 1.0, test_data=test_data[:20])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 0: ") and lines[0].endswith(" / 20")
    Network([64, 10], seed=0).SGD(training_data[:50], 1, 10, 1.0)
    assert capsys.readouterr().out == "Epoch 0 complete\n"


def test_evaluate_and_feedforward() -> None:
    net = Network([3, 4, 2], seed=11)
    rng = np.random.default_rng(11)
    xs = [rng.normal(size=(3, 1)) for _ in range(9)]
    outputs = [net.feedforward(x) for x in xs]
    assert_close(net.feedforward(np.hstack(xs)), np.hstack(outputs))  # columns = examples
    labels = [int(np.argmax(o)) for o in outputs]
    assert net.evaluate(list(zip(xs, labels))) == 9
    assert net.evaluate([(x, 1 - k) for x, k in zip(xs, labels)]) == 0
    one_hot = [np.eye(2)[:, [k]] for k in labels]
    assert net.evaluate(list(zip(xs, one_hot))) == 9
    data = [(x, rng.uniform(size=(2, 1))) for x in xs]
    expected = sum(0.5 * float(np.sum((net.feedforward(x) - y) ** 2)) for x, y in data) / 9
    assert math.isclose(net.total_cost(data), expected, rel_tol=1e-12)


# ---- bad input ----------------------------------------------------------------------------------
def test_wrong_input_shape_names_expected_and_given() -> None:
    net = Network([4, 3, 2], seed=0)
    with pytest.raises(ValueError, match=r"expected shape \(4, 1\).*got \(3, 1\)"):
        net.feedforward(np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"got \(4,\).*reshape"):
        net.backprop(np.zeros(4), np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"target y: expected shape \(2, 1\).*got \(3, 1\)"):
        net.backprop(np.zeros((4, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"x has 2 examples .* y has 1"):
        net.backprop(np.zeros((4, 2)), np.zeros((2, 1)))
    with pytest.raises(TypeError, match="numeric array"):
        net.feedforward([["a"], ["b"], ["c"], ["d"]])
    with pytest.raises(
        ValueError, match=r"mini_batch: x\[1\]: expected shape \(4, 1\), got \(5, 1\)"
    ):
        net.update_mini_batch_matrix(
            [(np.zeros((4, 1)), np.zeros((2, 1))), (np.zeros((5, 1)), np.zeros((2, 1)))], 0.1
        )


def test_a_mini_batch_must_be_pairs() -> None:
    net = Network([2, 2], seed=0)
    for update in (net.update_mini_batch, net.update_mini_batch_matrix):
        with pytest.raises(TypeError, match=r"list of \(x, y\) pairs"):
            update([1, 2], 0.1)  # type: ignore[list-item]


def test_a_failed_update_leaves_the_network_untouched() -> None:
    net = Network([4, 3, 2], seed=0)
    before = copy.deepcopy((net.weights, net.biases))
    good, bad = (np.ones((4, 1)), np.ones((2, 1))), (np.ones((4, 1)), np.ones((3, 1)))
    for update in (net.update_mini_batch, net.update_mini_batch_matrix):
        with pytest.raises(ValueError):
            update([good, good, bad], 0.5)
        with pytest.raises(ValueError, match="empty"):
            update([], 0.5)
        with pytest.raises(ValueError, match="learning rate"):
            update([good], float("nan"))
    for now, then in zip((net.weights, net.biases), before):
        for a, b in zip(now, then):
            assert np.array_equal(a, b)


def test_unknown_names_and_bad_sizes() -> None:
    with pytest.raises(ValueError, match=r"unknown activation 'swish'.*linear, relu, sigmoid"):
        Network([2, 2], activation="swish")
    with pytest.raises(ValueError, match=r"unknown cost 'hinge'.*quadratic.*cross-entropy"):
        Network([2, 2], cost="hinge")
    with pytest.raises(ValueError, match=r"cross-entropy.*'linear'"):
        Network([2, 2], activation="linear", cost="cross-entropy")
    with pytest.raises(ValueError, match="2 activations given for 1"):
        Network([2, 2], activation=["relu", "relu"])
    with pytest.raises(ValueError, match="input and an output"):
        Network([3])
    with pytest.raises(ValueError, match="at least 1"):
        Network([3, 0, 2])
    with pytest.raises(TypeError, match=r"ints.*2\.5"):
        Network([3, 2.5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="weight_init"):
        Network([2, 2], weight_init="xavier")


def test_network_shapes_and_repr() -> None:
    net = Network([784, 30, 10], seed=0)
    assert [w.shape for w in net.weights] == [(30, 784), (10, 30)]
    assert [b.shape for b in net.biases] == [(30, 1), (10, 1)]
    assert net.num_layers == 3 and net.sizes == [784, 30, 10]
    assert repr(net) == "Network([784, 30, 10], activation='sigmoid', cost='quadratic')"
    assert net.zs == net.activations == net.deltas == []
    scaled = Network([784, 30, 10], seed=0, weight_init="scaled")
    assert 0.02 < float(scaled.weights[0].std()) < 0.05  # N(0, 1/784): std 1/28
