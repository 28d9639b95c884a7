"""``Playground``: the playground page as a notebook widget (anywidget), its ``model``
following the page: every step the page takes (Play, Step, the slider, Reset) is copied into
the model's parameters, so ``model`` is the page's model after training.

>>> from pathgrad.nn import MLP, data
>>> X, y = data.moons(20, noise=0.1, seed=0, signed=True)
>>> model = MLP(2, [4, 1], seed=0)
>>> w = Playground(model, X, y, lr=0.5)
>>> w.parameters = [0.25] * len(model.parameters())   # what the page sends after a step
>>> model.parameters()[0].data, w.step
(0.25, 0)
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Any

import anywidget
import traitlets

from .playground import build_spec, script_source

__all__ = ["Playground"]


def _css() -> str:
    viz = resources.files("pathgrad.viz")
    return "\n".join(viz.joinpath(folder).joinpath(name).read_text(encoding="utf-8") for
                     folder, name in (("explorer", "explorer.css"),
                                      ("playground_page", "playground.css")))


class Playground(anywidget.AnyWidget):
    """``viz.playground``'s page for ``model`` on ``(X, Y)`` as a widget; the arguments are
    ``playground``'s. ``parameters`` (flat, ``model.parameters()`` order) and ``step`` follow
    the page, and each new ``parameters`` is loaded into ``model``."""

    _esm = script_source() + "\nexport default { render: renderPlayground };\n"
    _css = _css()
    spec = traitlets.Dict().tag(sync=True)
    parameters = traitlets.List(traitlets.Float()).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)

    def __init__(self, model: Any, X: Any, Y: Any, **settings: Any) -> None:
        spec = build_spec(model, X, Y, **settings)
        super().__init__(spec=spec, parameters=list(spec["theta"]))
        self.model = model
        self.observe(self._follow, names="parameters")

    def _follow(self, change: dict[str, Any]) -> None:
        values = change["new"]
        params = self.model.parameters()
        if len(values) != len(params) or not all(math.isfinite(x) for x in values):
            return  # not the page's numbers: the model keeps its own
        for p, x in zip(params, values):
            p.data = float(x)
