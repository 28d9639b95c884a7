"""``playground``: train a model in the page — micrograd's demo, made visible and replayable.

One self-contained HTML file (no network, like ``explore``): the data over the decision
boundary, the loss curve, a heat map per hidden neuron, controls (Play/Pause, Step, learning
rate, L2, batch size, Reset), the traced example (click a point or the plane: its scalar graph,
laid out as the explorer lays it out, with values, grads and rate factors updated every step;
click a node and its paths to the loss light up), points added and removed by clicking, a
slider over every step taken (training on from an earlier step forks the history), and the
weights as ``model.state_dict()`` gives them.

The training step in the page is written from the compiled tape (``autograd.compile``'s trace
and plan, ``viz.playground_code``) and the rule rows (``viz.javascript``): the loss, the
model, the L2 term, ``nn.optim``'s SGD (momentum) and Adam, and ``fit``'s mini-batch order
(numpy's generator, re-implemented bit for bit). 100 page steps equal 100 ``fit`` steps to
rounding. The page API, for scripts and tests::

    window.pathgrad.train(n)      // n steps; their losses
    window.pathgrad.parameters()  // flat, in model.parameters() order
    window.pathgrad.history()     // every loss so far
    window.pathgrad.goto(t)       // the state after step t (0: the initial model)
    window.pathgrad.state_dict()  // as model.state_dict() gives it

>>> import tempfile, os
>>> from pathgrad.nn import MLP, data
>>> X, y = data.moons(20, noise=0.1, seed=0, signed=True)
>>> with tempfile.TemporaryDirectory() as d:
...     page = playground(MLP(2, [4, 1], seed=0), X, y, os.path.join(d, "p.html"))
...     text = page.read_text(encoding="utf-8")
>>> "window.pathgrad" in text and "http://" not in text.split("<script")[0]
True
"""

from __future__ import annotations

import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from pathgrad.autograd import Value
from pathgrad.autograd.compiler.tape import Tape
from pathgrad.autograd.compiler.trace import Trace, first_difference, signature, trace
from pathgrad.nn import losses as _losses
from pathgrad.nn import optim as _optim
from pathgrad.nn.train import _check_data, _check_targets

from ._neurons import Z_LABEL, find_neurons
from .javascript import helpers_source
from .playground_code import step_source
from .rendering import _write
from .style import PALETTE

__all__ = ["DEFAULT_LR", "MAX_EXAMPLES", "build_spec", "page_html", "playground"]

DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}
"""The learning rate when none is given (``nn.optim``'s SGD default; Adam a step livelier)."""
MAX_EXAMPLES = 20_000
"""More examples than this make a page too slow to train live; refused with the figure."""
_MAX_GRAPH = 250  # boxes of the traced example's graph drawn (explore's limit)


def _asset(name: str) -> str:
    folder = "explorer" if name.startswith("explorer") else "playground_page"
    return resources.files("pathgrad.viz").joinpath(folder).joinpath(name).read_text(
        encoding="utf-8")


def _optimizer(optimizer: Any, lr: float | None, momentum: float) -> tuple[dict[str, Any], float]:
    """The optimizer's settings for the page, from a name or an ``nn.optim`` optimizer."""
    if isinstance(optimizer, _optim.SGD):
        spec = {"kind": "sgd", "momentum": optimizer.momentum, "nesterov": optimizer.nesterov,
                "weight_decay": optimizer.weight_decay}
        return spec, optimizer.lr if lr is None else lr
    if isinstance(optimizer, _optim.Adam):
        spec = {"kind": "adam", "betas": list(optimizer.betas), "eps": optimizer.eps,
                "weight_decay": optimizer.weight_decay}
        return spec, optimizer.lr if lr is None else lr
    if not isinstance(optimizer, str) or optimizer.lower() not in DEFAULT_LR:
        raise ValueError(f"optimizer must be 'sgd', 'adam' or an nn.optim SGD/Adam, got "
                         f"{optimizer!r}")
    kind = optimizer.lower()
    made: Any = (_optim.SGD([Value(0.0)], lr=1.0, momentum=momentum) if kind == "sgd"
                 else _optim.Adam([Value(0.0)], lr=1.0))
    if kind == "adam" and momentum:
        raise ValueError("momentum= is SGD's; Adam has betas (pass an nn.optim.Adam)")
    spec, _ = _optimizer(made, None, 0.0)
    return spec, DEFAULT_LR[kind] if lr is None else lr


def _check_number(name: str, x: Any, allow_zero: bool = True) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or (
            x < 0 or (x == 0 and not allow_zero)):
        raise ValueError(f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'}, "
                         f"got {x!r}")
    return float(x)


def _targets(loss: _losses.Loss, y: np.ndarray, k: int) -> tuple[np.ndarray, int]:
    """The labels as floats and how many one-hot target columns the tape reads (0: one)."""
    if k > 1 and y.ndim == 1:
        return y.astype(np.float64), k
    if y.ndim == 2:
        raise ValueError("playground takes one label per example (a class index or a number), "
                         f"got y of shape {y.shape}")
    return y.astype(np.float64), 0


def _trace(model: Any, loss: _losses.Loss, X: np.ndarray, y: np.ndarray, k: int,
           one_hot: int) -> tuple[Trace, list[Value]]:
    """One example's loss traced (``fit(compiled=True)``'s function, L2 apart), the model's
    outputs in it, and a check that other examples build the same graph."""
    params = model.parameters()
    d = X.shape[1]
    outputs: list[Value] = []

    def loss_one(*args: Any) -> Value:
        out = model(list(args[:d]))
        outputs[:] = [out] if isinstance(out, Value) else list(out)
        target = args[d] if not one_hot else list(args[d:])
        return loss.example(out, target)

    def example(b: int) -> list[float]:
        t = [float(y[b])] if not one_hot else [1.0 if int(y[b]) == j else 0.0
                                                 for j in range(one_hot)]
        return [*X[b].tolist(), *t]

    names = [f"x{c}" for c in range(d)] + (["y"] if not one_hot else
                                          [f"y{j}" for j in range(one_hot)])
    first = trace(loss_one, params, example(0), names)
    kept = list(outputs)
    sig = signature(first)
    for b in sorted({len(X) - 1, len(X) // 2, int(np.argmax(np.abs(X - X[0]).sum(axis=1)))}):
        diff = first_difference(first, trace(loss_one, params, example(b), names), sig)
        if diff is not None:
            raise ValueError(f"playground: the model builds a different graph for example {b} "
                             f"than for example 0 ({diff}): its Python control flow depends "
                             "on the data, so one recorded step cannot train it in the page")
    return first, kept


def _tensors(model: Any) -> list[tuple[str, list[int], list[int]]]:
    """``state_dict``'s tensors as (name, shape, positions in ``model.parameters()``)."""
    params = model.parameters()
    at = {id(p): j for j, p in enumerate(params)}
    tensors = model._tensors() if hasattr(model, "_tensors") else [
        ("parameters", (len(params),), params)]
    return [(name, list(shape), [at[id(v)] for v in values]) for name, shape, values in tensors]


def _graph(first: Trace, tape: Tape) -> dict[str, Any]:
    """The traced example's graph as the explorer holds it (``explore.scene``: the drawing,
    the nodes' names and cells, the engine the rows write), and where its leaves come from:
    ``input_of`` (a column of the example) and ``scalar_of`` (a parameter or constant)."""
    from pathgrad.autograd import toposort

    from .explore import scene

    root = first.nodes[first.output]
    base: dict[str, Any] = {"input_of": tape.input_of, "scalar_of": tape.scalar_of,
                            "scene": None, "note": ""}
    order = toposort(root)
    if len(order) != len(first.nodes) or any(a is not b for a, b in zip(order, first.nodes)):
        base["note"] = "the graph reads comparisons on Values: its picture is left out"
        return base
    try:
        base["scene"] = scene(root, title="the traced example")
    except ValueError as error:  # too many boxes to draw even one per neuron
        base["note"] = str(error)
    return base


def _neurons(first: Trace, row: list[int], outputs: list[Value]) -> list[dict[str, Any]]:
    """Each hidden neuron's activation row, for its heat map (the output layer left out)."""
    last = {id(v) for v in outputs}
    boxes: list[dict[str, Any]] = []
    for box in find_neurons(first.nodes):
        shown = box.activation if box.activation is not None else box.z
        if id(shown) in last or id(box.z) in last:
            continue
        m = Z_LABEL.match(box.z.label)
        layer, j = (int(m[1]), int(m[2])) if m else (0, len(boxes))
        boxes.append({"row": row[first.nodes.index(shown)], "layer": layer, "index": j,
                      "title": shown.label or box.title})
    return sorted(boxes, key=lambda b: (b["layer"], b["index"]))


def _check_inputs(model: Any, X: Any, Y: Any, loss_fn: _losses.Loss, batch_size: Any,
                  seed: Any) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The data, labels, outputs and one-hot columns, every argument checked first."""
    if not callable(model) or not hasattr(model, "parameters"):
        raise TypeError(f"playground needs an nn model (callable, with parameters()), got "
                        f"{type(model).__name__}")
    Xa, ya = _check_data(model, X, Y)
    if len(Xa) > MAX_EXAMPLES:
        raise ValueError(f"playground: {len(Xa):,} examples is more than a page trains live "
                         f"(at most {MAX_EXAMPLES:,})")
    if not model.parameters():
        raise ValueError("playground: the model has no parameters to train")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
            batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a whole number >= 1 or None, got {batch_size!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be a whole number >= 0 or None, got {seed!r}")
    probe = model(Xa[0].tolist())
    k = 1 if isinstance(probe, Value) else len(probe)
    _check_targets(loss_fn, ya, k)
    labels, one_hot = _targets(loss_fn, ya, k)
    return Xa, labels, k, one_hot


def build_spec(model: Any, X: Any, Y: Any, *, loss: str | _losses.Loss = "max_margin",
               l2: float = 0.0, optimizer: Any = "sgd", lr: float | None = None,
               batch_size: int | None = None, seed: int | None = 0, momentum: float = 0.0,
               title: str | None = None) -> dict[str, Any]:
    """Everything the page needs, JSON-ready: data, generated step, settings, traced graph.

    >>> from pathgrad.nn import MLP, data
    >>> X, y = data.moons(10, seed=0, signed=True)
    >>> spec = build_spec(MLP(2, [3, 1], seed=0), X, y)
    >>> spec["n_params"], spec["plane"] is not None, spec["optimizer"]["kind"]
    (13, True, 'sgd')
    """
    loss_fn = _losses.get(loss)
    Xa, labels, k, one_hot = _check_inputs(model, X, Y, loss_fn, batch_size, seed)
    d = Xa.shape[1]
    params = model.parameters()
    opt, rate = _optimizer(optimizer, lr, momentum)
    rate = _check_number("lr", rate, allow_zero=False)
    l2 = _check_number("l2", l2)
    first, outputs = _trace(model, loss_fn, Xa, labels, k, one_hot)
    tape = Tape(first)
    code = step_source(tape)
    node = {id(v): i for i, v in enumerate(first.nodes)}
    scalars = [v.data for v in tape.leaf_values] + [0.0] * len(tape.scalar_ops)
    classes = sorted(set(labels.tolist()))
    return {
        "title": title or f"pathgrad playground: {type(model).__name__}, {loss_fn.name}",
        "n_inputs": d, "n_outputs": k, "n_params": len(params), "one_hot": one_hot,
        "X": Xa.ravel().tolist(), "y": labels.tolist(), "classes": classes[:12],
        "addable": len(classes) <= 12, "loss": loss_fn.name,
        "threshold": _threshold(loss_fn, classes),
        "theta": [p.data for p in params], "names": [p.label or f"p{j}" for j, p in
                                                     enumerate(params)],
        "tensors": _tensors(model), "optimizer": opt, "lr": rate, "l2": l2,
        "batch_size": batch_size, "seed": seed, "rng": _rng_state(seed),
        "code": {"source": code.source, "helpers": helpers_source(), "n_rows": code.n_rows,
                 "n_scalars": code.n_scalars, "input_rows": code.input_rows,
                 "root_row": code.root_row, "root_scalar": tape.scalar_of[tape.root],
                 "scalars": scalars,
                 "param_scalar": [tape.scalar_of[node[id(p)]] if id(p) in node else -1
                                  for p in params]},
        "output_rows": [code.row[node[id(o)]] for o in outputs if id(o) in node],
        "neurons": _neurons(first, code.row, outputs) if d == 2 else [],
        "plane": _plane(Xa) if d == 2 else None,
        "graph": _graph(first, tape), "palette": list(PALETTE),
    }


def _threshold(loss: _losses.Loss, classes: list[float]) -> float:
    if isinstance(loss, _losses.BinaryCrossEntropy):
        return loss._threshold01
    return 0.5 if set(classes) <= {0.0, 1.0} else 0.0


def _plane(X: np.ndarray) -> list[float]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-9)
    return [float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]),
            float(hi[1] + pad[1])]


def _rng_state(seed: int | None) -> dict[str, Any]:
    """numpy's ``default_rng(seed)`` state (PCG64), as fit's generator starts."""
    state = np.random.default_rng(seed).bit_generator.state
    return {"state": str(state["state"]["state"]), "inc": str(state["state"]["inc"]),
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def script_source() -> str:
    """The page's one module: the trainer, the explorer's picture class and the playground's
    views, with their ``export`` lines taken out (one module, one ``export default``)."""
    parts = [_asset("trainer.js"), _asset("explorer.js"), _asset("playground.js")]
    return "\n".join(re.sub(r"^export .*;\s*$", "", p, flags=re.M) for p in parts)


def page_html(spec: dict[str, Any]) -> str:
    """The page for a spec: the scripts and styles inline, the spec as JSON."""
    from html import escape

    from .explore import script_json

    blob = script_json(spec)  # safe in a <script>: <, >, & escaped (a label "<!--<script>" too)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(spec['title'])}</title>\n"
        f"<style>\n{_asset('explorer.css')}\n{_asset('playground.css')}\n</style>\n"
        "</head>\n<body>\n<div id=\"pathgrad-playground\"></div>\n"
        f"<script type=\"application/json\" id=\"pathgrad-spec\">{blob}</script>\n"
        f"<script type=\"module\">\n{script_source()}\n"
        "const spec = JSON.parse(document.getElementById(\"pathgrad-spec\").textContent);\n"
        "renderPlayground({model: {get: () => spec, set: () => {}, save_changes: () => {}, "
        "on: () => {}}, el: document.getElementById(\"pathgrad-playground\")});\n"
        "</script>\n</body>\n</html>\n"
    )


def playground(model: Any, X: Any, Y: Any, path: str | os.PathLike[str] | None = None, *,
               loss: str | _losses.Loss = "max_margin", l2: float = 0.0,
               optimizer: Any = "sgd", lr: float | None = None,
               batch_size: int | None = None, seed: int | None = 0, momentum: float = 0.0,
               title: str | None = None) -> Path:
    """Write the playground page for ``model`` on ``(X, Y)`` to ``path`` (one HTML file).

    ``loss``: an ``nn.losses`` loss or its name; ``l2``: ``l2 · Σ p²`` over the parameters;
    ``optimizer``: ``"sgd"`` (``momentum=``), ``"adam"`` or an ``nn.optim`` SGD/Adam (its
    settings are used); ``lr``: default ``DEFAULT_LR``; ``batch_size``: None for the full batch
    (micrograd's demo), else mini-batches shuffled per epoch as ``fit(..., seed=seed)`` draws
    them. Inputs that are not 2-D train without the plane and the neuron maps. The file is
    written atomically (default ``playground.html``); a failed call writes nothing.
    """
    target = Path("playground.html" if path is None else path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"playground writes an HTML page: {str(target)!r} should end in .html")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: no directory "
                                f"{str(target.parent)!r}")
    spec = build_spec(model, X, Y, loss=loss, l2=l2, optimizer=optimizer, lr=lr,
                      batch_size=batch_size, seed=seed, momentum=momentum, title=title)
    _write(target, page_html(spec).encode("utf-8"))
    return target
