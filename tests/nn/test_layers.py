"""Neuron, Layer, MLP: against micrograd, Nielsen's equations, sympy, and on bad input."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd import nn as mg
from micrograd.engine import Value as MValue

from pathgrad.autograd import Value
from pathgrad.nn import MLP, Layer, Neuron, copy_parameters
from pathgrad.nn.layers import ACTIVATIONS

X = [[0.3, -1.2], [1.5, 0.25], [-0.7, 0.9]]


def _micrograd_loss(model, rows, ys):
    scores = [model(list(map(MValue, r))) for r in rows]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in model.parameters())


def _our_loss(model, rows, ys):
    scores = [model(r) for r in rows]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in model.parameters())


@pytest.mark.parametrize("fused", [True, False])
def test_mlp_matches_micrograd_outputs_and_grads(fused):
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(12, 2)).tolist()
    ys = [1.0 if i % 2 else -1.0 for i in range(12)]
    random.seed(11)
    theirs = mg.MLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1], seed=11, fused=fused)
    assert [p.data for p in ours.parameters()] == [float(p.data) for p in theirs.parameters()]
    for r in rows:
        assert ours(r).data == pytest.approx(theirs(list(map(MValue, r))).data, abs=1e-12)
    lt, lo = _micrograd_loss(theirs, rows, ys), _our_loss(ours, rows, ys)
    assert lo.data == pytest.approx(lt.data, abs=1e-12)
    lt.backward()
    lo.backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.grad == pytest.approx(q.grad, abs=1e-12)


def test_global_random_matches_micrograd_and_copy_both_ways():
    random.seed(5)
    theirs = mg.MLP(3, [4, 2])
    random.seed(5)
    ours = MLP(3, [4, 2])  # seed=None draws from the global generator, as micrograd does
    assert [p.data for p in ours.parameters()] == [float(p.data) for p in theirs.parameters()]
    other = MLP(3, [4, 2], seed=99)
    copy_parameters(other, theirs)
    assert [float(p.data) for p in theirs.parameters()] == [p.data for p in other.parameters()]
    copy_parameters(ours, theirs)
    out_t = theirs([MValue(0.1), MValue(0.2), MValue(-0.3)])
    out_o = ours([0.1, 0.2, -0.3])
    assert [v.data for v in out_o] == pytest.approx([v.data for v in out_t], abs=1e-12)
    with pytest.raises(ValueError, match="source has 26 parameters, the target 9"):
        copy_parameters(ours, MLP(2, [2, 1], seed=0))


def test_seeded_init_is_reproducible_and_private():
    state = random.getstate()
    a, b = MLP(2, [8, 1], seed=4), MLP(2, [8, 1], seed=4)
    assert random.getstate() == state
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in MLP(2, [8, 1], seed=5).parameters()]
    for layer in a.layers:
        assert all(n.b.data == 0.0 for n in layer.neurons)  # micrograd: biases start at 0
        assert all(-1.0 <= w.data <= 1.0 for n in layer.neurons for w in n.w)


def test_other_inits():
    big = MLP(100, [200], activation="sigmoid", output_activation="sigmoid", seed=0,
              init="scaled_normal")
    w = big.layers[0].weight_matrix()
    assert abs(w.std() - 1 / math.sqrt(100)) < 0.002  # Nielsen ch. 3: N(0, 1/n_in)
    assert abs(w.mean()) < 0.002
    b = big.layers[0].bias_vector()
    assert abs(b.std() - 1.0) < 0.15
    normal = MLP(100, [200], seed=0, init="normal").layers[0].weight_matrix()
    assert abs(normal.std() - 1.0) < 0.02
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        MLP(2, [1], init="xavier")


def test_labels_follow_nielsen():
    net = MLP(2, [3, 2], activation="sigmoid", output_activation="linear", seed=0)
    n = net.layers[1].neurons[1]
    assert [p.label for p in n.parameters()] == ["w3[1,0]", "w3[1,1]", "w3[1,2]", "b3[1]"]
    out = net([0.5, -0.5])
    assert out[1] is n.last_activation is n.last_z  # linear output: a = z, no extra node
    assert out[1].label == "z3[1]" and out[1].op == "wsum"
    hidden = net.layers[0].neurons[2]
    assert hidden.last_activation.label == "a2[2]" and hidden.last_z.label == "z2[2]"
    assert hidden.last_activation.parents == (hidden.last_z,)
    z = hidden.last_z
    assert [p.label for p in z.parents] == ["w2[2,0]", "w2[2,1]", "a1[0]", "a1[1]", "b2[2]"]
    names = [name for name, _ in net.named_parameters()]
    assert names[:3] == ["w2[0,0]", "w2[0,1]", "b2[0]"] and len(set(names)) == len(names)
    assert np.array_equal(net.layers[0].weight_matrix()[2], [w.data for w in hidden.w])


def test_parameters_order_is_micrograds():
    net = MLP(2, [3, 1], seed=0)
    expected = [p for layer in net.layers for n in layer.neurons for p in [*n.w, n.b]]
    assert net.parameters() == expected
    assert len(net.parameters()) == 2 * 3 + 3 + 3 + 1


def test_unfused_graph_is_micrographs_chain():
    n = Neuron(3, nonlin=False, seed=0, fused=False)
    z = n([1.0, 2.0, 3.0])
    ops = []
    node = z
    while node.op:  # (((b + w0x0) + w1x1) + w2x2)
        ops.append(node.op)
        node = node.parents[0]
    assert ops == ["add", "add", "add"] and node is n.b
    assert z.parents[1].op == "mul"
    fused = Neuron(3, nonlin=False, seed=0)([1.0, 2.0, 3.0])
    assert fused.op == "wsum" and fused.data == z.data


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation_closed_form_and_derivative_against_sympy(activation):
    s = sp.Symbol("z")
    forms = {
        "sigmoid": 1 / (1 + sp.exp(-s)),
        "tanh": sp.tanh(s),
        "relu": sp.Piecewise((s, s > 0), (0, True)),
        "linear": s,
        "softplus": sp.log(1 + sp.exp(s)),
    }
    f = forms[activation]
    df = sp.diff(f, s)
    for z0 in [-3.2, -0.4, 0.7, 2.5]:
        n = Neuron(1, activation, seed=0)
        n.w[0].data, n.b.data = 1.0, 0.0
        x = Value(z0)
        a = n([x])
        a.backward()
        assert a.data == pytest.approx(float(f.subs(s, z0)), rel=1e-13, abs=1e-15)
        assert x.grad == pytest.approx(float(df.subs(s, z0)), rel=1e-12, abs=1e-15)
        assert n.b.grad == pytest.approx(float(df.subs(s, z0)), rel=1e-12, abs=1e-15)


def test_neuron_gradient_is_a_in_times_delta():
    """Nielsen eq. (32): ∂C/∂w_jk = a_k^(l−1) δ_j^l, and BP3: ∂C/∂b_j = δ_j."""
    n = Neuron(3, "sigmoid", seed=2)
    a_in = [Value(0.2), Value(-0.8), Value(0.5)]
    y = 0.3
    a = n(a_in)
    c = (a - y) ** 2 * 0.5
    c.backward()
    z = n.last_z.data
    sig = 1 / (1 + math.exp(-z))
    delta = (sig - y) * sig * (1 - sig)  # BP1: (a − y) σ'(z)
    for w, x in zip(n.w, a_in):
        assert w.grad == pytest.approx(x.data * delta, rel=1e-12)
    assert n.b.grad == pytest.approx(delta, rel=1e-12)
    for w, x in zip(n.w, a_in):  # BP2 towards the input: w δ
        assert x.grad == pytest.approx(w.data * delta, rel=1e-12)


def test_feedforward_matches_the_graph():
    net = MLP(3, [5, 4, 2], activation=["tanh", "sigmoid", "relu"], seed=1)
    Xb = np.random.default_rng(0).normal(size=(6, 3))
    batch = net.feedforward(Xb)
    for row, expected in zip(Xb, batch):
        assert [v.data for v in net(row.tolist())] == pytest.approx(expected, abs=1e-12)
    assert net.feedforward(Xb[0]).shape == (2,)
    with pytest.raises(ValueError, match="expects inputs of length 3"):
        net.feedforward(np.zeros((2, 4)))


def test_activation_choices():
    assert MLP(2, [3, 3, 1], seed=0).activations == ["relu", "relu", "linear"]
    assert MLP(2, [3, 1], "tanh", seed=0).activations == ["tanh", "linear"]
    assert MLP(2, [3, 1], ["tanh", "sigmoid"], seed=0).activations == ["tanh", "sigmoid"]
    assert MLP(2, [3, 1], ["tanh", "sigmoid"], "relu", seed=0).activations == ["tanh", "relu"]
    assert MLP.from_sizes([2, 3, 1], seed=0).layer_sizes == [2, 3, 1]
    net = MLP(2, [3, 1], seed=0)
    assert (net.n_inputs, net.n_outputs) == (2, 1)
    assert repr(Neuron(2, nonlin=False, seed=0)) == "LinearNeuron(2)"
    assert Neuron(2, seed=0).nonlin and not Neuron(2, "linear", seed=0).nonlin
    layer = Layer(2, 1, seed=0)
    assert isinstance(layer([1.0, 2.0]), Value)  # one neuron: the Value itself (micrograd)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: MLP(2, [3, 1], activation="softmax"), ValueError, "unknown activation"),
        (lambda: MLP(2, [3, 1], activation=["tanh"]), ValueError, "has 1 entries, the MLP has 2"),
        (lambda: MLP(0, [3]), ValueError, "nin must be an int >= 1"),
        (lambda: MLP(2, []), ValueError, "non-empty list"),
        (lambda: MLP(2, 3), ValueError, "non-empty list"),
        (lambda: MLP(2, [3, -1]), ValueError, "each layer size"),
        (lambda: MLP(2, [3], seed="x"), TypeError, "seed must be"),
        (lambda: Neuron(2, "relu", nonlin=True), ValueError, "not both"),
        (lambda: Layer(2, 2, layer=1), ValueError, "layer number"),
    ],
)
def test_bad_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    "model", [Neuron(3, seed=0), Layer(3, 2, seed=0), MLP(3, [2, 1], seed=0)]
)
def test_wrong_input_length_names_expected_and_given(model):
    with pytest.raises(ValueError, match="expects an input of length 3, got length 2"):
        model([1.0, 2.0])
    with pytest.raises(TypeError, match="sequence of 3"):
        model(1.0)
    with pytest.raises(TypeError, match="Value needs an int or float"):
        model([1.0, "a", 2.0])


_PRIME = {
    "sigmoid": lambda z: (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(float),
    "linear": lambda z: np.ones_like(z),
    "softplus": lambda z: 1 / (1 + np.exp(-z)),
}


def _bp_by_hand(net, x, y):
    """BP1–BP4 in numpy, written out here as an independent oracle for the engine."""
    a, zs, acts = np.asarray(x, float), [], [np.asarray(x, float)]
    for layer in net.layers:
        z = layer.weight_matrix() @ a + layer.bias_vector()
        a = {"sigmoid": lambda t: 1 / (1 + np.exp(-t)), "tanh": np.tanh,
             "relu": lambda t: np.maximum(t, 0), "linear": lambda t: t,
             "softplus": lambda t: np.log1p(np.exp(t))}[layer.activation](z)
        zs.append(z)
        acts.append(a)
    delta = (a - y) * _PRIME[net.layers[-1].activation](zs[-1])  # BP1, quadratic cost
    grads = [None] * len(net.layers)
    for i in range(len(net.layers) - 1, -1, -1):
        grads[i] = (np.outer(delta, acts[i]), delta)  # BP4, BP3
        if i:
            w = net.layers[i].weight_matrix()
            delta = (w.T @ delta) * _PRIME[net.layers[i - 1].activation](zs[i - 1])  # BP2
    out = []
    for gw, gb in grads:
        for j in range(len(gb)):
            out += [*gw[j], gb[j]]
    return out


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    acts=st.lists(st.sampled_from(list(ACTIVATIONS)), min_size=3, max_size=3),
    seed=st.integers(0, 10_000),
    fused=st.booleans(),
)
def test_gradients_equal_the_four_equations(sizes, acts, seed, fused):
    n_layers = len(sizes) - 1
    net = MLP(sizes[0], sizes[1:], activation=acts[:n_layers], seed=seed, init="normal",
              fused=fused)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])
    out = net(x.tolist())
    out = [out] if isinstance(out, Value) else out
    cost = sum(((a - t) ** 2 for a, t in zip(out, y.tolist())), Value(0.0)) * 0.5
    cost.backward()
    expected = _bp_by_hand(net, x, y)
    assert [p.grad for p in net.parameters()] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_micrograds_positional_nonlin_flag():
    # micrograd's signature is Neuron(nin, nonlin=True): lecture code writes Neuron(3, False)
    from micrograd import nn as mg

    assert repr(Neuron(3, False, seed=0)) == "LinearNeuron(3)" == repr(mg.Neuron(3, False))
    assert repr(Neuron(3, True, seed=0)) == "ReLUNeuron(3)" == repr(mg.Neuron(3, True))
    with pytest.raises(ValueError, match="not both"):
        Neuron(3, False, nonlin=True)
