"""``Explorer``: the explorer page as a notebook widget (anywidget: Jupyter, JupyterLab,
VS Code, Colab), loading the same ``explorer.js`` and ``explorer.css`` as ``viz.explore``.

>>> from pathgrad.autograd import Value
>>> x = Value(0.5, label="x")
>>> w = Explorer(x * x)
>>> sorted(w.scene)[:3]
['backward', 'edges', 'forward']
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
    ``loss`` gives a model's cost. The scene is computed once, here, by the engine.
    """

    _esm = _HERE.joinpath("explorer.js").read_text(encoding="utf-8")
    _css = _HERE.joinpath("explorer.css").read_text(encoding="utf-8")
    scene = traitlets.Dict().tag(sync=True)

    def __init__(self, root: Any, *, wrt: Value | None = None, title: str | None = None,
                 loss: Value | None = None, **kwargs: Any) -> None:
        super().__init__(scene=build_scene(root, wrt=wrt, title=title, loss=loss), **kwargs)
