"""``Module``: what every model has — its parameters, their gradients, and saving them.

micrograd's ``Module`` has ``parameters()`` and ``zero_grad()``; this one adds PyTorch's
``named_parameters()``, ``state_dict()`` / ``load_state_dict()`` and JSON files
(``save(path)`` / ``load(path)``). Loading checks everything first (keys, shapes, numbers,
finiteness) and only then assigns, so a bad state or a corrupt file leaves the model unchanged.
Saving writes a temporary file beside the target and renames it over the target, so a crash
never leaves half a file in place of the last good one.

A model is a list of named tensors: ``_tensors()`` returns ``(name, shape, values)`` with the
parameter ``Value`` objects in row-major order. The default is one flat tensor over
``parameters()``, so a subclass that only defines ``parameters()`` can be saved too.

>>> from pathgrad.autograd import Value
>>> class Line(Module):
...     def __init__(self):
...         self.w, self.b = Value(2.0, label="w"), Value(0.5, label="b")
...     def __call__(self, x):
...         return self.w * x + self.b
...     def parameters(self):
...         return [self.w, self.b]
>>> line = Line()
>>> line.state_dict()
{'parameters': [2.0, 0.5]}
>>> line.load_state_dict({"parameters": [1.0, -1.0]})
>>> line(3.0).data
2.0
>>> line.load_state_dict({"parameters": [1.0]})
Traceback (most recent call last):
...
ValueError: load_state_dict: 'parameters' has shape (1,), the model needs (2,)
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pathgrad.autograd import Value
from pathgrad.autograd._checks import positive_int
from pathgrad.autograd._files import read_regular, write_atomic

__all__ = ["FILE_FORMAT", "MAX_FILE_BYTES", "Module", "copy_parameters"]

FILE_FORMAT = "pathgrad.nn/state"
"""The ``format`` field of files written by ``Module.save``."""

_FILE_VERSION = 2

Shape = tuple[int, ...]
Tensor = tuple[str, Shape, list[Value]]


class Module:
    """Base class of every model: parameters, gradients, state dicts and files."""

    def __call__(self, x: Any) -> Any:
        # A Module that only holds parameters (for state dicts and files) need not be callable.
        raise TypeError(f"{type(self).__name__} is not callable: it defines no __call__")

    def parameters(self) -> list[Value]:
        """Every trainable ``Value``, in a fixed order (micrograd's order for its models)."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, parameter)`` pairs in ``parameters()`` order; the name is the label."""
        return [(p.label or f"p{i}", p) for i, p in enumerate(self.parameters())]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (leaves accumulate, PyTorch's rule)."""
        for p in self.parameters():
            p.grad = 0.0

    # ---- state --------------------------------------------------------------------------------
    def _tensors(self) -> list[Tensor]:
        params = self.parameters()
        return [("parameters", (len(params),), list(params))]

    def state_dict(self) -> dict[str, Any]:
        """Parameter values by tensor name, as nested lists of floats (JSON-ready copies)."""
        return {name: _nest([p.data for p in values], shape) for name, shape, values in
                self._tensors()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy values from ``state`` into the parameters; on any problem change nothing.

        ``ValueError`` names missing or unexpected keys, wrong shapes and non-finite numbers;
        ``TypeError`` names entries that are not numbers.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict needs a mapping of tensor names to values, got "
                f"{type(state).__name__}"
            )
        tensors = self._tensors()
        names = [name for name, _, _ in tensors]
        missing = [n for n in names if n not in state]
        unexpected = [k for k in state if k not in set(names)]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise ValueError(f"load_state_dict: {' and '.join(parts)}")
        staged = [(values, _flatten(state[name], shape, name)) for name, shape, values in tensors]
        for values, numbers_ in staged:  # everything checked: now assign
            for p, x in zip(values, numbers_):
                p.data = x

    def _spec(self) -> dict[str, Any]:
        """What the numbers mean: the class, each tensor's name and shape, and the activations
        (a tanh model's weights are not a relu model's). Saved and checked by ``load``."""
        spec: dict[str, Any] = {
            "model": type(self).__name__,
            "tensors": [[name, list(shape)] for name, shape, _ in self._tensors()],
        }
        for attr in ("activation", "activations"):
            value = getattr(self, attr, None)
            if isinstance(value, str):
                spec[attr] = value
            elif isinstance(value, (list, tuple)):
                spec[attr] = [str(v) for v in value]
        return spec

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters, the model's spec and a SHA-256 of both to ``path`` as JSON.

        The write is atomic and safe (``autograd._files.write_atomic``): only a regular file
        is replaced, a symlink is followed, a read-only file is refused, the old file's mode
        (or the umask's) is kept. A failed save leaves the file as it was.
        """
        document: dict[str, Any] = {
            "format": FILE_FORMAT,
            "version": _FILE_VERSION,
            "model": type(self).__name__,
            "repr": repr(self),
            "spec": self._spec(),
            "state": self.state_dict(),
        }
        try:
            document["sha256"] = _checksum(document)
        except ValueError:
            raise ValueError(f"save: {type(self).__name__} has non-finite parameters") from None
        text = json.dumps(document, allow_nan=False)
        write_atomic(path, text.encode("utf-8"), "save")

    def load(self, path: str | os.PathLike[str], max_bytes: int | None = None) -> Module:
        """Read parameters written by ``save``; a corrupt or mismatched file changes nothing.

        Refused with a ``ValueError`` naming the problem: a file over ``max_bytes`` (default
        ``MAX_FILE_BYTES``) or not a regular file, more lists and objects than this model's
        file can hold (counted before parsing: memory stays within a small multiple of the
        file), not JSON or nested too deeply, a top-level key ``save`` does not write, another
        format or version, a spec (class, shapes, activations) that is not this model's, an
        entry that is not a finite float (naming the tensor and the entry: ``10**400`` too), a
        checksum that does not match the content.
        """
        target = os.fspath(path)
        limit = MAX_FILE_BYTES if max_bytes is None else positive_int("max_bytes", max_bytes)
        raw = read_regular(target, limit, "load")
        _bound_structure(raw, self, target)
        document = _parse(raw, target)
        del raw
        version = document.get("version")
        if type(version) is not int or version != _FILE_VERSION:
            raise ValueError(f"load: {target!r} has version {version!r}, this pathgrad reads "
                             f"version {_FILE_VERSION} (a version 1 file holds its numbers "
                             "under 'state': load_state_dict(json.load(f)['state']))")
        _too_large_entry(document.get("state"), target)  # before the checksum writes them out
        stored = document.pop("sha256", None)
        if not isinstance(stored, str) or stored != _checksum(document):
            raise ValueError(f"load: {target!r} is damaged: its SHA-256 does not match its "
                             "content")
        _check_spec(document.get("spec"), self._spec(), target)
        state = document.get("state")
        if not isinstance(state, dict):
            raise ValueError(f"load: {target!r} has no 'state' object")
        self.load_state_dict(state)
        return self


MAX_FILE_BYTES = 256 * 2**20
"""``Module.load`` refuses larger files unless given ``max_bytes=`` (a corrupt or hostile file
must not exhaust memory): 256 MiB, about ten million parameters."""


def _checksum(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of everything but the checksum itself."""
    body = {k: v for k, v in document.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_KEYS = {"format", "version", "model", "repr", "spec", "state", "sha256"}


def _bound_structure(raw: bytes, model: Module, target: str) -> None:
    """Refuse, before parsing, a file with more lists and objects than a file of ``model`` can
    hold: at most one list a row of each tensor, two an entry of the spec, the brackets of its
    repr. (8.6 MiB of empty lists took 224 MiB to parse: Python's lists are 56 bytes each.)"""
    tensors = model._tensors()
    allowed = 2 * (sum(len(values) for _, _, values in tensors) + len(tensors))
    allowed += len(repr(model)) + 64
    found = raw.count(b"[") + raw.count(b"{")
    if found > allowed:
        raise ValueError(
            f"load: {target!r} holds {found:,} lists and objects, more than a "
            f"{type(model).__name__} file of these shapes can ({allowed:,}): it is not this "
            "model's file (refused before parsing)")


def _too_large_entry(state: Any, target: str) -> None:
    """A ``ValueError`` naming the file, the tensor and the entry (row-major) of the first
    integer too large for a float, if any."""
    if not isinstance(state, dict):
        return
    for name, value in state.items():
        stack, entry = [value], 0
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
                continue
            try:
                _finite_size(item, name, entry)
            except ValueError as error:
                raise ValueError(f"load: {target!r}: {error}") from None
            entry += 1


def _finite_size(x: Any, name: str, entry: int) -> None:
    """Refuse an integer entry no float can hold, naming how many digits it has."""
    if isinstance(x, _Huge):
        digits = x.digits
    elif isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 1023:
        try:
            float(x)
            return
        except OverflowError:
            digits = int(x.bit_length() * 0.30103) + 1  # at most one too many:
            digits -= 10 ** (digits - 1) > abs(x)
    else:
        return
    raise ValueError(f"load_state_dict: {name!r} entry {entry} is an integer of about "
                     f"{digits:,} digits, too large for a float")


def _parse_int(text: str) -> Any:
    # Python refuses to read an int of more than 4,300 digits with a ValueError that names no
    # file; a float cannot hold one of more than 309: either is named at its entry later.
    return int(text) if len(text) <= 400 else _Huge(text)


class _Huge(float):
    """An integer of too many digits in a file: inf, knowing how many digits it had."""

    digits: int

    def __new__(cls, text: str) -> _Huge:
        value = super().__new__(cls, "-inf" if text.startswith("-") else "inf")
        value.digits = len(text.lstrip("-"))
        return value


def _parse(raw: bytes, target: str) -> dict[str, Any]:
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant,
                              parse_int=_parse_int)
    except (UnicodeDecodeError, json.JSONDecodeError, _NonFinite) as error:
        raise ValueError(f"load: {target!r} is not a valid model file: {error}") from None
    except RecursionError:
        raise ValueError(f"load: {target!r} is not a valid model file: nested too deeply "
                         "for a model") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ValueError(f"load: {target!r} is not a pathgrad model file (no format "
                         f"{FILE_FORMAT!r})")
    unknown = sorted(set(document) - _KEYS)
    if unknown:
        raise ValueError(f"load: {target!r} has top-level keys that save does not write: "
                         f"{', '.join(repr(k[:40]) for k in unknown[:5])}"
                         + (f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""))
    return document


def _check_spec(stored: Any, wanted: dict[str, Any], target: str) -> None:
    if not isinstance(stored, dict):
        raise ValueError(f"load: {target!r} has no model spec")
    for key in sorted(set(stored) | set(wanted)):
        if stored.get(key) != wanted.get(key):
            raise ValueError(
                f"load: {target!r} holds a model whose {key} is {stored.get(key)!r}; this "
                f"{wanted['model']} has {wanted.get(key)!r}"
            )


class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str) -> float:
    raise _NonFinite(f"non-finite number {name}")


def _nest(flat: list[float], shape: Shape) -> Any:
    """Row-major ``flat`` as nested lists of ``shape`` (a float for shape ())."""
    if not shape:
        return flat[0]
    out: Any = flat
    for size in reversed(shape[1:]):
        out = [out[i : i + size] for i in range(0, len(out), size)]
    return out


def _shape_of(value: Any) -> str:
    # A readable shape for error messages, without assuming the value is well formed.
    dims = []
    while (isinstance(value, Sequence) and not isinstance(value, str)) or hasattr(value, "shape"):
        if hasattr(value, "shape"):
            return str(tuple(value.shape))
        dims.append(len(value))
        if not value:
            break
        value = value[0]
    return str(tuple(dims))


def _flatten(value: Any, shape: Shape, name: str) -> list[float]:
    """The numbers of ``value`` in row-major order, checked against ``shape``."""
    level: list[Any] = [value]
    for depth, size in enumerate(shape):
        nxt: list[Any] = []
        for item in level:
            if isinstance(item, (str, bytes)) or not _is_sequence(item) or len(item) != size:
                raise ValueError(
                    f"load_state_dict: {name!r} has shape {_shape_of(value)}, the model needs "
                    f"{shape}" + ("" if depth == 0 else f" (at depth {depth})")
                )
            nxt.extend(item)
        level = nxt
    out = []
    for i, x in enumerate(level):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            if _is_sequence(x):
                raise ValueError(
                    f"load_state_dict: {name!r} has shape {_shape_of(value)}, the model needs "
                    f"{shape}"
                )
            raise TypeError(
                f"load_state_dict: {name!r} entry {i} is not a number: {x!r} ({type(x).__name__})"
            )
        _finite_size(x, name, i)
        f = float(x)
        if not math.isfinite(f):
            raise ValueError(f"load_state_dict: {name!r} entry {i} is not finite: {f!r}")
        out.append(f)
    return out


def _is_sequence(x: Any) -> bool:
    return (isinstance(x, Sequence) and not isinstance(x, (str, bytes))) or (
        hasattr(x, "shape") and hasattr(x, "__len__") and len(getattr(x, "shape", ())) > 0
    )


def copy_parameters(source: Any, target: Any) -> None:
    """Copy ``.data`` of each parameter of ``source`` into ``target``, one for one.

    Both need ``parameters()`` in the same order, so this copies between pathgrad's models and
    micrograd's (``micrograd.nn.MLP``) in either direction.

    >>> from pathgrad.nn import MLP
    >>> a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    >>> copy_parameters(a, b)
    >>> [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    True
    """
    src: Iterable[Any] = list(source.parameters())
    dst = list(target.parameters())
    src = list(src)
    if len(src) != len(dst):
        raise ValueError(
            f"copy_parameters: the source has {len(src)} parameters, the target {len(dst)}"
        )
    values = [float(p.data) for p in src]
    bad = [i for i, x in enumerate(values) if not math.isfinite(x)]
    if bad:
        raise ValueError(f"copy_parameters: source parameter {bad[0]} is not finite")
    for p, x in zip(dst, values):
        p.data = x
