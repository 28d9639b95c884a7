"""Checkpoints with an integrity check (issue 14.6): every single-bit flip of a saved file is
refused or loads the identical model; a file's spec must be the model's; hostile files are
ValueErrors with a size limit."""

from __future__ import annotations

import json
import os
import threading

import pytest

from pathgrad.nn import MLP, Module
from pathgrad.nn.module import MAX_FILE_BYTES


def _values(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


def test_every_single_bit_flip_is_refused_or_loads_the_identical_model(tmp_path):
    source = MLP(2, [3, 1], seed=0)
    path = tmp_path / "model.json"
    source.save(path)
    good = path.read_bytes()
    expected = _values(source)
    target = MLP(2, [3, 1], seed=1)
    before = _values(target)
    tried = refused = identical = 0
    for i in range(len(good)):
        for bit in range(8):
            flipped = bytearray(good)
            flipped[i] ^= 1 << bit
            path.write_bytes(bytes(flipped))
            tried += 1
            try:
                target.load(path)
            except ValueError:
                refused += 1
                assert _values(target) == before  # a refused file changes nothing
                continue
            assert _values(target) == expected, f"byte {i} bit {bit} loaded other weights"
            identical += 1
            for p, x in zip(target.parameters(), before):
                p.data = x
    assert tried == 8 * len(good) == refused + identical
    assert refused > 0.9 * tried
    print(f"bit flips: {tried} tried, {refused} refused, {identical} loaded the identical model")


def test_a_tanh_models_file_does_not_load_into_a_relu_model(tmp_path):
    path = tmp_path / "tanh.json"
    MLP(2, [3, 1], activation="tanh", seed=0).save(path)
    relu = MLP(2, [3, 1], activation="relu", seed=0)
    before = _values(relu)
    with pytest.raises(ValueError, match=r"activations is \['tanh', 'linear'\]; this MLP has "
                                         r"\['relu', 'linear'\]"):
        relu.load(path)
    assert _values(relu) == before


def test_another_shape_is_named(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    with pytest.raises(ValueError, match="tensors is"):
        MLP(2, [4, 1], seed=0).load(path)


def _rewrite(path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("version", [True, 2.0, "2", None, 1, 3])
def test_a_version_that_is_not_the_int_2_is_refused(tmp_path, version):
    path = tmp_path / "m.json"
    MLP(2, [1], seed=0).save(path)
    _rewrite(path, lambda d: d.update(version=version))
    with pytest.raises(ValueError, match=f"has version {version!r}"):
        MLP(2, [1], seed=0).load(path)


def test_an_edited_number_fails_the_checksum(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [1], seed=0).save(path)
    _rewrite(path, lambda d: d["state"]["b2"].__setitem__(0, 0.5))
    with pytest.raises(ValueError, match="SHA-256 does not match"):
        MLP(2, [1], seed=0).load(path)


def test_a_huge_file_is_refused_by_its_size(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ValueError, match=r"over the limit of 268,435,456 bytes"):
        MLP(2, [1], seed=0).load(path)
    small = tmp_path / "small.json"
    MLP(2, [1], seed=0).save(small)
    with pytest.raises(ValueError, match="over the limit of 100 bytes"):
        MLP(2, [1], seed=0).load(small, max_bytes=100)


def test_a_deeply_nested_file_is_a_value_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": "pathgrad.nn/state", "state": ' + "[" * 200_000 + "]" * 200_000
                    + "}")
    with pytest.raises(ValueError, match=r"nested too deeply|lists and objects"):
        MLP(2, [1], seed=0).load(path)


def test_dev_zero_and_a_fifo_are_refused_before_reading(tmp_path):
    if os.path.exists("/dev/zero"):
        with pytest.raises(ValueError, match="is a character device"):
            MLP(2, [1], seed=0).load("/dev/zero")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def load() -> None:
        try:
            MLP(2, [1], seed=0).load(fifo)
        except BaseException as error:
            errors.append(error)

    t = threading.Thread(target=load, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "load blocked on a FIFO"
    assert isinstance(errors[0], ValueError) and "FIFO" in str(errors[0])
