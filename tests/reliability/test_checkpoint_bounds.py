"""Checkpoints bounded before parsing, and numbers no float holds named (issue 27, defects 7-8).

The hostile files are valid in every other way: their SHA-256 is recomputed as ``save`` computes
it (a checksum detects damage, not intent). Peak memory is measured with ``tracemalloc``.
"""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from pathgrad.nn import MLP


def resealed(document: dict[str, Any]) -> str:
    """The document with its checksum recomputed the way ``save`` does (numbers written as the
    test gives them: ``_raw`` strings are pasted in as they are)."""
    body = {k: v for k, v in document.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    document["sha256"] = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return json.dumps(document)


def saved(tmp_path: Path) -> tuple[MLP, dict[str, Any]]:
    model = MLP(2, [3, 1], seed=0)
    model.save(tmp_path / "good.json")
    return model, json.loads((tmp_path / "good.json").read_text())


def test_a_file_of_empty_lists_is_refused_within_4x_its_size(tmp_path) -> None:
    model, document = saved(tmp_path)
    document["extra"] = [[] for _ in range(2_250_000)]  # the reproducer: 8.6 MiB
    path = tmp_path / "lists.json"
    path.write_text(resealed(document))
    size = path.stat().st_size
    assert 8.5 * 2**20 < size < 8.8 * 2**20
    before = [p.data for p in model.parameters()]
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"lists and objects.*refused before parsing"):
            model.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 4 * size, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.1f} MiB file"
    assert [p.data for p in model.parameters()] == before
    print(f"8.6 MiB of empty lists: peak {peak / 2**20:.2f} MiB = {peak / size:.2f}x the file")


def test_an_unknown_top_level_key_is_refused(tmp_path) -> None:
    model, document = saved(tmp_path)
    document["note"] = "x" * 1000
    (tmp_path / "extra.json").write_text(resealed(document))
    with pytest.raises(ValueError, match="top-level keys that save does not write: 'note'"):
        model.load(tmp_path / "extra.json")


@pytest.mark.parametrize("digits", [400, 5000])
def test_an_integer_no_float_holds_is_named_by_tensor_and_entry(tmp_path, digits) -> None:
    model, document = saved(tmp_path)
    name = next(iter(document["state"]))
    marker = 123456.0
    rows = document["state"][name]
    rows[0][1] = marker
    text = resealed(document) if digits < 4300 else json.dumps(document)
    text = text.replace("123456.0", "9" * digits)
    if digits < 4300:  # a checksum over the big number itself, as a hostile writer would
        document["state"][name][0][1] = 10**digits - 1
        text = resealed(document)
    (tmp_path / "big.json").write_text(text)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=rf"big.json'.*'{name}' entry 1 is an integer of "
                                         rf"about {digits:,} digits, too large for a float"):
        model.load(tmp_path / "big.json")
    assert [p.data for p in model.parameters()] == before


def test_load_state_dict_names_a_huge_int_too() -> None:
    model = MLP(1, [1], seed=0)
    state = model.state_dict()
    name = next(iter(state))
    state[name] = [[10**400]]
    with pytest.raises(ValueError, match=rf"'{name}' entry 0 is an integer of about 401 digits"):
        model.load_state_dict(state)


def test_a_good_file_still_loads(tmp_path) -> None:
    model, _ = saved(tmp_path)
    other = MLP(2, [3, 1], seed=5)
    other.load(tmp_path / "good.json")
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]
