"""``Explorer``: the explorer page as a notebook widget (anywidget: Jupyter, JupyterLab,
VS Code, Colab), loading the same ``explorer.js`` and ``explorer.css`` as ``viz.explore``.

The page is live both ways: its ``values`` trait (leaf name -> data) follows every nudge made
in the page, and setting it from Python moves the page (everything downstream recomputes in
the browser, by the same JavaScript the rows write for ``explore``).

>>> from pathgrad.autograd import Value
>>> x = Value(0.5, label="x")
>>> w = Explorer(x * x)
>>> sorted(w.scene)[:3], w.values
(['engine', 'factors', 'grouped'], {'x': 0.5})
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import anywidget
import traitlets

from pathgrad.autograd import Value

from .explore import build_scene

__all__ = ["Explorer"]

_HERE = resources.files("pathgrad.viz").joinpath("explorer")


class Explorer(anywidget.AnyWidget):
    """The explorer of ``root`` (a Value, or an nn model after backward) as a widget.

    Arguments are ``viz.explore``'s: ``wrt`` selects a node, ``title`` names the view,
    ``loss`` gives a model's cost. ``values`` maps each leaf's name (its label, the first leaf
    of a name where several share one) to its data in the page: nudges in the page update it,
    and assigning it (``w.values = {**w.values, "w": 0.3}``) sets those leaves in the page.
    A value that leaves an op's domain is refused by the page, which keeps its last state.
    """

    _esm = _HERE.joinpath("explorer.js").read_text(encoding="utf-8")
    _css = _HERE.joinpath("explorer.css").read_text(encoding="utf-8")
    scene = traitlets.Dict().tag(sync=True)
    values = traitlets.Dict().tag(sync=True)

    def __init__(self, root: Any, *, wrt: Value | None = None, title: str | None = None,
                 loss: Value | None = None, **kwargs: Any) -> None:
        scene = build_scene(root, wrt=wrt, title=title, loss=loss)
        values: dict[str, float] = {}
        engine = scene.get("engine")
        if engine is not None:
            for node, sig, x in zip(scene["nodes"], engine["sig"], engine["data"]):
                if sig == -1 and x is not None:  # a leaf (-2: a node made by hand)
                    values.setdefault(node["name"], x)
        super().__init__(scene=scene, values=values, **kwargs)
