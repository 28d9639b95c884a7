"""state_dict, load_state_dict, save and load: exact round trips; bad input changes nothing."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from pathgrad.autograd import Value
from pathgrad.nn import MLP, Layer, Module, Neuron


def _values(model):
    return [p.data for p in model.parameters()]


def test_state_dict_shapes_follow_nielsen():
    net = MLP(3, [4, 2], seed=0)
    state = net.state_dict()
    assert list(state) == ["w2", "b2", "w3", "b3"]
    assert np.shape(state["w2"]) == (4, 3) and np.shape(state["b3"]) == (2,)
    assert state["w3"][1][2] == net.layers[1].neurons[1].w[2].data  # w3[1,2]
    assert np.array_equal(state["w2"], net.layers[0].weight_matrix())
    assert set(Neuron(2, seed=0).state_dict()) == {"w", "b"}
    assert set(Layer(2, 3, seed=0, layer=4).state_dict()) == {"w4", "b4"}


def test_round_trip_in_memory_and_on_disk(tmp_path):
    a, b = MLP(2, [5, 3, 1], seed=1), MLP(2, [5, 3, 1], seed=2)
    b.load_state_dict(a.state_dict())
    assert _values(a) == _values(b)
    c = MLP(2, [5, 3, 1], seed=3)
    path = tmp_path / "model.json"
    a.save(path)
    assert c.load(path) is c
    assert _values(c) == _values(a)  # exact: JSON keeps every float's repr
    assert json.loads(path.read_text())["model"] == "MLP"
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left
    b.load_state_dict({k: np.asarray(v) for k, v in a.state_dict().items()})  # arrays work too
    assert _values(b) == _values(a)


def test_state_dict_is_a_copy():
    net = MLP(2, [2], seed=0)
    state = net.state_dict()
    state["w2"][0][0] = 123.0
    assert net.layers[0].neurons[0].w[0].data != 123.0


@pytest.mark.parametrize(
    ("edit", "error", "message"),
    [
        (lambda s: s.pop("b3"), ValueError, r"missing keys \['b3'\]"),
        (lambda s: s.update(extra=[1.0]), ValueError, r"unexpected keys \['extra'\]"),
        (lambda s: s.update(w2=[[0.0, 0.0]] * 3), ValueError,
         r"'w2' has shape \(3, 2\), the model needs \(4, 2\)"),
        (lambda s: s.update(b2=[0.0] * 5), ValueError, r"'b2' has shape \(5,\)"),
        (lambda s: s.update(b2=[[0.0]] * 4), ValueError, r"'b2' has shape \(4, 1\)"),
        (lambda s: s.update(w3=[0.0] * 4), ValueError, r"'w3' has shape \(4,\)"),
        (lambda s: s["b3"].__setitem__(0, "x"), TypeError, "'b3' entry 0 is not a number"),
        (lambda s: s["b3"].__setitem__(0, True), TypeError, "'b3' entry 0 is not a number"),
        (lambda s: s["w3"][0].__setitem__(3, float("nan")), ValueError, "'w3' entry 3 is not"),
        (lambda s: s["b2"].__setitem__(1, float("inf")), ValueError, "'b2' entry 1 is not fin"),
    ],
)
def test_bad_state_changes_nothing(edit, error, message):
    net = MLP(2, [4, 1], seed=0)
    before = _values(net)
    state = MLP(2, [4, 1], seed=9).state_dict()
    edit(state)
    with pytest.raises(error, match=message):
        net.load_state_dict(state)
    assert _values(net) == before


def test_not_a_mapping():
    with pytest.raises(TypeError, match="needs a mapping"):
        MLP(2, [1], seed=0).load_state_dict([1.0, 2.0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "pathgrad.nn/state", "version": 1, "state": {"w2": [[0.1, ', "not a valid"),
        ("", "not a valid model file"),
        ('{"format": "pathgrad.nn/state", "version": 1, "state": {"w2": [[NaN, 0.0]], '
         '"b2": [0.0]}}', "non-finite number NaN"),
        ('{"format": "other", "state": {}}', "not a pathgrad model file"),
        ("[1, 2]", "not a pathgrad model file"),
        ('{"format": "pathgrad.nn/state", "version": 7, "state": {}}', "version 7"),
        ('{"format": "pathgrad.nn/state", "version": 1}', "version 1, this pathgrad reads"),
        ('{"format": "pathgrad.nn/state", "version": 2, "state": {"w2": [[1.0, 2.0]]}}',
         "SHA-256 does not match"),
    ],
)
def test_corrupt_file_changes_nothing(tmp_path, text, message):
    net = MLP(2, [1], seed=0)
    before = _values(net)
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        net.load(path)
    assert _values(net) == before


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    good = MLP(2, [3, 1], seed=0)
    good.save(path)
    old = path.read_text()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [3, 1], seed=1).save(path)
    assert path.read_text() == old  # the last good file is intact
    assert os.listdir(tmp_path) == ["model.json"]  # and the temporary file is gone


def test_save_refuses_non_finite(tmp_path):
    net = MLP(2, [1], seed=0)
    net.layers[0].neurons[0].b.data = float("nan")
    with pytest.raises(ValueError, match="non-finite parameters"):
        net.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_custom_module_gets_state_for_free(tmp_path):
    class Line(Module):
        def __init__(self, w, b):
            self.w, self.b = Value(w, label="w"), Value(b, label="b")

        def __call__(self, x):
            return self.w * x + self.b

        def parameters(self):
            return [self.w, self.b]

    a, b = Line(2.0, -1.0), Line(0.0, 0.0)
    a.save(tmp_path / "line.json")
    b.load(tmp_path / "line.json")
    assert (b.w.data, b.b.data) == (2.0, -1.0)
    assert b.named_parameters() == [("w", b.w), ("b", b.b)]
    b.w.grad = 3.0
    b.zero_grad()
    assert b.w.grad == 0.0
    with pytest.raises(TypeError, match="Module is not callable"):
        Module()(1.0)


def test_a_binary_file_is_not_a_model_file(tmp_path):
    net = MLP(2, [1], seed=0)
    before = _values(net)
    path = tmp_path / "model.json"
    path.write_bytes(b"\xff\xfe\x00\x89PNG garbage")
    with pytest.raises(ValueError, match="is not a valid model file"):
        net.load(path)
    assert _values(net) == before


def test_save_makes_a_file_with_the_usual_permissions(tmp_path):
    # mkstemp makes its file 0600; the saved model must be readable as open() would make it
    umask = os.umask(0o022)
    try:
        MLP(2, [1], seed=0).save(tmp_path / "m.json")
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "m.json").st_mode & 0o777 == 0o644


def test_save_into_a_missing_directory_names_it(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match=r"no/such/m\.json"):
        MLP(2, [1], seed=0).save(missing / "m.json")
