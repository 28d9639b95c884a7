"""The restatement's rate-factor equations (backpropagation-four-equations.txt, eqs. 46–57) on
the engine's graph, each against its closed form.

R(47) ∂z/∂b = 1, R(49) ∂z/∂w = a_k, R(55) ∂z/∂a = w and R(54) ∂a/∂z = σ'(z) are the numbers
stored on the edges of a ``wsum`` node and a ``sigmoid`` node; R(56) ∂a_j^l/∂a_k^{l−1} =
σ'(z_j) w_jk is the product along the one two-edge path between two activations; R(52), R(53)
and R(57) are the products along the paths from a weight to the cost. The oracle is the closed
form evaluated with ``math`` from the forward values, index by index, not the engine's sweep.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

import pytest

from pathgrad.autograd import Value, count_paths, grad, paths, sum_values, weighted_sum

SIZES = [2, 3, 3, 2]  # a^0 (inputs), then layers 1..L = 3


def _sigma(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _sigma_prime(z: float) -> float:
    # e^(−|z|)/(1 + e^(−|z|))², exact in both tails (a(1 − a) is not)
    e = math.exp(-abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def test_weighted_input_edges_carry_a_w_and_1() -> None:
    """R(46) z_j = Σ_k w_jk a_k + b_j: R(49) ∂z/∂w_jk = a_k, R(55) ∂z/∂a_k = w_jk, R(47)
    ∂z/∂b_j = 1, stored on the node's edges and returned by grad."""
    w = [Value(0.7, label="w0"), Value(-1.3, label="w1"), Value(0.25, label="w2")]
    a = [Value(0.2, label="a0"), Value(0.9, label="a1"), Value(-0.4, label="a2")]
    b = Value(0.05, label="b")
    z = weighted_sum(w, a, b)
    assert z.data == pytest.approx(0.7 * 0.2 - 1.3 * 0.9 - 0.25 * 0.4 + 0.05, rel=1e-15)
    rates = dict(zip(map(id, z.parents), z.local_grads))
    for w_k, a_k in zip(w, a):
        assert rates[id(w_k)] == a_k.data  # R(49)
        assert rates[id(a_k)] == w_k.data  # R(55)
    assert rates[id(b)] == 1.0  # R(47)
    got = grad(z, [*w, *a, b])
    assert got == [x.data for x in a] + [x.data for x in w] + [1.0]


@pytest.mark.parametrize("z0", [-35.0, -6.0, -0.8, 0.0, 0.3, 2.5, 12.0, 35.0])
def test_sigmoid_edge_carries_sigma_prime(z0: float) -> None:
    """R(54) ∂a/∂z = σ'(z), and R(40) σ'(z) = a(1 − a) where that form keeps its digits."""
    z = Value(z0)
    a = z.sigmoid()
    assert a.parents == (z,)
    [rate] = a.local_grads
    assert rate == pytest.approx(_sigma_prime(z0), rel=1e-14, abs=0.0)
    if abs(z0) <= 6.0:
        assert rate == pytest.approx(a.data * (1.0 - a.data), rel=1e-13)


@dataclass
class Net:
    """W[l][j][k] = w_jk^l, Z[l][j] = z_j^l, A[l][j] = a_j^l (A[0] the inputs), y the target."""

    W: list[list[list[Value]]]
    Z: list[list[Value]]
    A: list[list[Value]]
    y: list[float]


def _network(seed: int) -> tuple[Net, Value]:
    """Layers of ``weighted_sum`` + ``sigmoid`` and C = ½ Σ_j (a_j^L − y_j)², as Values."""
    rng = random.Random(seed)
    acts: list[list[Value]] = [[Value(rng.uniform(-1, 1), label=f"x{k}") for k in range(SIZES[0])]]
    W: list[list[list[Value]]] = [[]]
    Z: list[list[Value]] = [[]]
    for l in range(1, len(SIZES)):
        W.append([[Value(rng.gauss(0, 1.2)) for _ in range(SIZES[l - 1])]
                  for _ in range(SIZES[l])])
        b = [Value(rng.gauss(0, 0.5)) for _ in range(SIZES[l])]
        Z.append([weighted_sum(W[l][j], acts[l - 1], b[j]) for j in range(SIZES[l])])
        acts.append([z.sigmoid() for z in Z[l]])
    y = [rng.uniform(0, 1) for _ in range(SIZES[-1])]
    cost = sum_values([(a - t) ** 2 for a, t in zip(acts[-1], y)]) * 0.5
    return Net(W, Z, acts, y), cost


def test_activation_to_activation_rate_is_sigma_prime_times_w() -> None:
    """R(56): a_k^{l−1} → z_j^l → a_j^l is one path with factors (w_jk^l, σ'(z_j^l)); and
    R(44) = Nielsen (44): z_k^{l−1} → a_k^{l−1} → z_j^l is one path (σ'(z_k^{l−1}), w_jk^l)."""
    net, _ = _network(seed=4)
    W, Z, A = net.W, net.Z, net.A
    for l in range(2, len(SIZES)):
        for j, k in itertools.product(range(SIZES[l]), range(SIZES[l - 1])):
            [pz] = list(paths(Z[l][j], Z[l - 1][k]))
            want44 = (_sigma_prime(Z[l - 1][k].data), W[l][j][k].data)
            assert pz.factors == pytest.approx(want44, rel=1e-14)
            assert grad(Z[l][j], [Z[l - 1][k]])[0] == pytest.approx(
                want44[0] * want44[1], rel=1e-14)
            a_j, a_k = A[l][j], A[l - 1][k]
            [p] = list(paths(a_j, a_k))
            want = (W[l][j][k].data, _sigma_prime(Z[l][j].data))
            assert p.factors == pytest.approx(want, rel=1e-14)
            closed = _sigma_prime(Z[l][j].data) * W[l][j][k].data
            assert p.product == pytest.approx(closed, rel=1e-14)
            assert grad(a_j, [a_k])[0] == pytest.approx(closed, rel=1e-14)


@pytest.mark.parametrize("layer", [3, 2, 1], ids=["R52-output", "R53-one-back", "R57-two-back"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paths_from_a_weight_to_the_cost_are_the_chain_rule_products(layer: int, seed: int) -> None:
    """R(52), R(53), R(57): ∂C/∂w_qr^i = Σ over the neurons j, k, … of the later layers of
    ∂C/∂a_j^L · ∂a_j^L/∂a_k^{L−1} ··· ∂a_q^i/∂z_q^i · ∂z_q^i/∂w_qr^i, with ∂C/∂a_j^L = a_j − y_j
    (R(39)), each ∂a/∂a = σ'(z) w (R(56)), ∂a/∂z = σ'(z) (R(54)) and ∂z/∂w = a_r (R(49)).

    Here w_qr^i runs from neuron r of layer i − 1 into neuron q of layer i (Nielsen's
    convention, the restatement's in R(46)), and the chain runs through z_q^i. R(57) as printed
    calls w_qr^i the weight from r in layer i to q in layer i + 1, yet ends its chain
    ∂a_r^i/∂z_r^i · ∂z_r^i/∂w_qr^i, which needs a weight into neuron r of layer i."""
    net, cost = _network(seed)
    W, Z, A, y = net.W, net.Z, net.A, net.y
    L = len(SIZES) - 1
    rng = random.Random(100 + seed)
    q, r = rng.randrange(SIZES[layer]), rng.randrange(SIZES[layer - 1])
    w = W[layer][q][r]
    where = {id(z): (l, j) for l in range(1, L + 1) for j, z in enumerate(Z[l])}

    def closed_form(route: tuple[int, ...]) -> float:
        """The term of the neurons route = (q, n_{i+1}, ..., n_L), one per layer i..L."""
        term = A[layer - 1][r].data * _sigma_prime(Z[layer][q].data)  # ∂z/∂w · ∂a/∂z
        for l in range(layer + 1, L + 1):  # ∂a_n^l/∂a_m^{l−1} = σ'(z_n^l) w_nm^l
            n, m = route[l - layer], route[l - layer - 1]
            term *= _sigma_prime(Z[l][n].data) * W[l][n][m].data
        return term * (A[L][route[-1]].data - y[route[-1]])  # ∂C/∂a_j^L

    routes = [(q, *rest) for rest in itertools.product(*(range(SIZES[l])
                                                         for l in range(layer + 1, L + 1)))]
    assert count_paths(cost, w) == len(routes)
    seen = set()
    for p in paths(cost, w):
        route = tuple(where[id(n)][1] for n in p.nodes if id(n) in where)
        assert [where[id(n)][0] for n in p.nodes if id(n) in where] == list(range(layer, L + 1))
        assert p.product == pytest.approx(closed_form(route), rel=1e-12, abs=1e-300)
        seen.add(route)
    assert seen == set(routes)
    total = math.fsum(closed_form(route) for route in routes)
    assert grad(cost, [w])[0] == pytest.approx(total, rel=1e-12, abs=1e-15)
