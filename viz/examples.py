"""The README's pictures, made from scratch: ``python -m pathgrad.viz.examples [outdir]``.

Each function builds one picture's graph (small, seeded, so the files are reproducible);
``make_pictures`` renders them all as PNG and SVG into ``outdir`` (default ``docs/img``).

>>> g = chain_3b1b()
>>> "a_prev" in g.source and "σ" in g.source
True
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

from pathgrad.autograd import Value
from pathgrad.autograd._files import write_atomic
from pathgrad.nn.layers import MLP, Neuron

from .dot import draw_dot
from .network import draw_network
from .paths import draw_paths
from .rendering import Digraph, render

__all__ = [
    "PICTURES",
    "chain_3b1b",
    "chain_3b1b_values",
    "make_pictures",
    "mlp_grouped",
    "mlp_network",
    "mlp_top_paths",
    "single_neuron",
]


def chain_3b1b_values() -> dict[str, Value]:
    """3Blue1Brown's one-neuron-per-layer chain: z = w·a_prev + b, a = σ(z), C = (a − y)²."""
    w, a_prev = Value(0.8, label="w"), Value(0.6, label="a_prev")
    b, y = Value(-0.2, label="b"), Value(1.0, label="y")
    z = w * a_prev + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    C = (a - y) ** 2
    C.label = "C"
    C.backward()
    return {"w": w, "a_prev": a_prev, "b": b, "y": y, "z": z, "a": a, "C": C}


def chain_3b1b() -> Digraph:
    """The chain's graph: every value with data and grad, every edge with its rate factor."""
    return draw_dot(chain_3b1b_values()["C"], rankdir="TB")  # top-down: README-width


def chain_3b1b_path() -> Digraph:
    """The chain's one path from w to C: ∂C/∂w = a_prev · σ'(z) · 2(a − y)."""
    v = chain_3b1b_values()
    return draw_paths(v["C"], v["w"], rankdir="TB")


def single_neuron() -> Digraph:
    """One sigmoid neuron on three inputs, quadratic cost: z = Σ w_k a_k + b is one Σ node."""
    neuron = Neuron(3, activation="sigmoid", seed=4, layer=2, index=0)
    xs = [Value(x, label=f"a1[{k}]") for k, x in enumerate((0.5, -1.0, 2.0))]
    a = neuron(xs)
    C = 0.5 * (a - 1.0) ** 2
    C.label = "C"
    C.backward()
    return draw_dot(C)  # top-down, the seven operands' boxes with data over grad


def mlp_loss(hidden: tuple[int, ...] = (4, 4), seed: int = 1) -> tuple[MLP, Value]:
    """A tanh MLP(2, [*hidden, 1]) on one example, its quadratic cost C after backward."""
    model = MLP(2, [*hidden, 1], activation="tanh", seed=seed)
    out = model([Value(0.5, label="a1[0]"), Value(-1.0, label="a1[1]")])
    assert isinstance(out, Value)
    C = (out - 1.0) ** 2
    C.label = "C"
    C.backward()
    return model, C


def mlp_grouped() -> Digraph:
    """MLP(2, [4, 4, 1]) with one box per neuron: z, a, grads, weights and bias in each box."""
    return draw_dot(mlp_loss()[1], group="neuron")


def mlp_top_paths() -> Digraph:
    """The largest paths from the first-layer weight w2[0,0] to the cost, neuron boxes kept."""
    model, C = mlp_loss()
    return draw_paths(C, model.layers[0].neurons[0].w[0], k=3, group="neuron")


def mlp_network() -> Digraph:
    """Nielsen's picture of the same MLP after backward: a, z, δ per neuron, edges ∂C/∂w."""
    model, _ = mlp_loss()
    return draw_network(model, by="grad")


PICTURES: dict[str, Callable[[], Digraph]] = {
    "chain_3b1b": chain_3b1b,
    "chain_3b1b_path": chain_3b1b_path,
    "single_neuron": single_neuron,
    "mlp_grouped": mlp_grouped,
    "mlp_top_paths": mlp_top_paths,
    "mlp_network": mlp_network,
}
"""Each picture's file stem and the function that draws it."""


def make_pictures(outdir: str | Path = "docs/img",
                  formats: tuple[str, ...] = ("png", "svg", "gif")) -> list[Path]:
    """Render every picture in ``PICTURES`` into ``outdir`` (and, with "gif", the chain's
    backward pass as ``chain_3b1b_backward.gif``); returns the files written."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, draw in PICTURES.items():
        graph = draw()
        for fmt in (f for f in formats if f != "gif"):
            path = render(graph, out / f"{stem}.{fmt}")
            if fmt == "png":
                _shrink_png(path)
            written.append(path)
    if "gif" in formats:  # the backward pass of the chain as a film, one frame per step
        from .animate import animate

        written.append(animate(chain_3b1b_values()["C"], out / "chain_3b1b_backward.gif"))
    return written


def _shrink_png(path: Path) -> None:
    """Re-save a PNG with a 64-colour palette (a third of the size, same look), if Pillow is
    there (it comes with matplotlib); otherwise leave the file as Graphviz wrote it."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(
            colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    write_atomic(path, buffer.getvalue(), "make_pictures")  # the one safe writer


def main() -> None:
    for path in make_pictures(sys.argv[1] if len(sys.argv) > 1 else "docs/img"):
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
