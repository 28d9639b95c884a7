"""``animate``: the backward pass as a film, one frame per step of the reverse sweep.

Frame 0 seeds ∂root/∂root = 1. Each later frame processes one computed value in reverse
topological order — it is framed, the edges into its operands are lit, each operand's grad grows
by rate × grad, and the chain-rule line of that step is written under the graph. With ``wrt``
the frames instead add the paths from ``wrt`` one at a time, and the running sum under the graph
converges to ∂root/∂wrt. The graph is laid out once (Graphviz's ``dot``) and every frame is
drawn at those positions (Graphviz's ``nop2``, neato -n2), so nothing jumps between frames.

>>> import os, tempfile
>>> from pathgrad.autograd import Value
>>> x = Value(0.5, label="x"); y = (2 * x).tanh(); y.label = "y"
>>> with tempfile.TemporaryDirectory() as d:
...     out = animate(y, os.path.join(d, "backward.gif"))
...     out.stat().st_size > 0
True
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pathgrad.autograd import Value, contributions, paths, toposort
from pathgrad.autograd.graph import reverse_sweep
from pathgrad.autograd.notation import count_text
from pathgrad.autograd.paths import node_name

from ._quiet import quiet_fontconfig
from .dot import Highlight, build
from .rendering import _write
from .style import FONT_BOLD, number, path_color, rate, short

__all__ = ["FILM_PATHS", "MAX_FRAMES", "MAX_NODES", "Frame", "animate", "backward_frames",
           "frame_layouts", "path_frames"]

MAX_NODES = 60
"""The most values ``animate`` films: every frame draws the whole graph, and the frames are
laid out one by one (an 801-value chain ran past 90 s). ``draw_dot`` and ``explore`` take
larger graphs."""
MAX_FRAMES = 41
"""The most frames of a film. The reverse sweep takes one per computed value and the seed, so
a graph of more steps is refused."""
FILM_PATHS = 14
"""A path film (``wrt=``) shows every path when there are at most this many (two rounds of
the seven colours), else the largest 14 by |product| and a last frame that says how many more
paths add the rest (x squared 40 times has 2^40 paths: a frame each never finished)."""

_MARK = "#D55E00"
_CAPTION = 600  # characters of a frame's caption; longer ones end in …


@dataclass
class Frame:
    """One picture of the film: every value's grad at that moment, what is lit, the caption."""

    grads: list[float]  # by topological index
    highlight: Highlight | None
    caption: str


def _short(label: str) -> str:
    """A value's name in a formula: ``a3`` for ``a3 = a(L)``, ``(a3 − y)`` for ``a3 − y``."""
    short = label.split(" = ")[0]
    return f"({short})" if " " in short else short


def _name(v: Value) -> str:
    """How a caption names a value: its label, else the expression the picture's ops spell
    (``w·a_prev``, not an internal id no picture shows)."""
    if v.label:
        return _short(short(v.label))
    text = short(node_name(v))  # its operands' labels may be long
    return text if re.fullmatch(r"\w+", text) else f"({text})"


def _signed(x: float) -> str:
    return f"({rate(x)})" if x < 0 else rate(x)


def backward_frames(root: Value) -> list[Frame]:
    """The reverse sweep step by step: frame 0 the seed, then one frame per computed value
    (``graph.reverse_sweep``'s steps, each right after its node passed its grad on)."""
    order = toposort(root)
    index = {v: i for i, v in enumerate(order)}
    name = {v: _name(v) for v in order}
    seed = [0.0] * len(order)
    seed[-1] = 1.0
    frames = [Frame(seed, None, f"seed: ∂{name[root]}/∂{name[root]} = 1")]
    n_computed = sum(1 for v in order if v.op)

    def step(v: Value, grads: dict[Value, float]) -> None:
        if not v.op:
            return
        i = index[v]
        terms = [f"∂{name[root]}/∂{name[p]} += {_signed(r)} × {_signed(grads[v])}"
                 for p, r in zip(v.parents, v.local_grads)]
        edges: dict[tuple[int, int], list[str]] = {(i, k): [_MARK] for k in range(len(terms))}
        lit = {i: [_MARK], **{index[p]: [_MARK] for p in v.parents}}
        caption = f"step {len(frames)}/{n_computed} at {name[v]}: " + ";  ".join(terms)
        frames.append(Frame([grads.get(u, 0.0) for u in order], Highlight(edges, lit, wrt=i),
                            caption))

    reverse_sweep(order, 1.0, step=step)
    return frames


def path_frames(root: Value, wrt: Value) -> list[Frame]:
    """The paths from ``wrt`` to ``root`` added one at a time, with the running sum: every path
    in the order ``paths`` gives them when there are at most ``FILM_PATHS``, else the largest
    ``FILM_PATHS`` and a last frame for all the others."""
    order = toposort(root)
    index = {v: i for i, v in enumerate(order)}
    grads = [v.grad for v in order]
    d = f"∂{_name(root)}/∂{_name(wrt)}"
    frames = [Frame(grads, Highlight({}, {}, wrt=index.get(wrt)), f"{d} = Σ over paths: 0")]
    total = 0.0
    edges: dict[tuple[int, int], list[str]] = {}
    values: dict[int, list[str]] = {}
    summary = contributions(root, wrt, FILM_PATHS)
    shown = list(paths(root, wrt)) if len(summary.top) == summary.n_paths else summary.top
    for j, p in enumerate(shown):
        color = path_color(j)
        for child, k in zip(p.nodes[1:], p.edge_indices):
            lit = edges.setdefault((index[child], k), [])
            lit.extend([color] if color not in lit else [])  # a line per colour, not per path
        for v in p.nodes:
            values.setdefault(index[v], []).append(color)
        total += p.product
        frames.append(Frame(grads, Highlight(dict(edges), dict(values), index.get(wrt)),
                            f"path {j + 1}: {p.formula(digits=4)};  {d} so far = "
                            f"{number(total, 6)}"))
    rest = summary.n_paths - len(shown)
    if rest:
        frames.append(Frame(grads, Highlight(dict(edges), dict(values), index.get(wrt)),
                            f"the other {count_text(rest)} paths add "
                            f"{number(summary.gradient - total, 6)}:  {d} = Σ of all "
                            f"{count_text(summary.n_paths)} paths = "
                            f"{number(summary.gradient, 6)}"))
    return frames


def _graph_source(root: Value, frame: Frame, order: list[Value], plan: dict[str, object]
                  ) -> str:
    kept = [v.grad for v in order]
    try:
        for v, g in zip(order, frame.grads):
            v.grad = g
        graph = build(root, "TB", None, None, 4, frame.highlight, op_nodes=True, plan=plan)[0]
    finally:
        for v, g in zip(order, kept):
            v.grad = g
    return str(graph.source)


def _sized(source: str, sizes: dict[str, tuple[float, float]]) -> Any:
    """``source`` as a pygraphviz graph whose every node has the size ``sizes`` gives it
    (inches): the largest it has in any frame, its label centred in it."""
    import pygraphviz

    g = pygraphviz.AGraph(string=source)
    for n in g.nodes():
        w, h = sizes[str(n)]
        if n.attr.get("shape") == "plain":  # plain ignores width and height; none keeps them
            n.attr.update(shape="none", margin="0")
        n.attr.update(width=f"{w:.4f}", height=f"{h:.4f}")
    return g


def _pin(graph: Any, layout: Any) -> Any:
    """``graph`` laid out at the positions of ``layout`` (a laid-out pygraphviz graph)."""
    for n in graph.nodes():
        n.attr["pos"] = layout.get_node(n).attr["pos"]
    for e, e0 in zip(graph.edges(keys=True), layout.edges(keys=True)):
        edge, ref = graph.get_edge(*e), layout.get_edge(*e0)
        for key in ("pos", "lp"):
            if ref.attr.get(key):
                edge.attr[key] = ref.attr[key]
    graph.graph_attr.update(bb=layout.graph_attr["bb"], notranslate="true")
    # nop2 is neato -n2 as an engine of its own: it keeps the given positions (pygraphviz
    # runs layouts in-process and drops the -n2 argument)
    graph.layout(prog="nop2")
    return graph


@quiet_fontconfig()  # the first layout of a process loads fontconfig
def frame_layouts(root: Value, frames: list[Frame]) -> list[Any]:
    """Each frame's graph (pygraphviz), laid out once and pinned: every node at one position
    and one size in every frame, the largest it takes in any (a lit box has a thicker border
    and a grad may grow wider), so no box reaches into its neighbour's place."""
    import pygraphviz

    order = toposort(root)
    plan: dict[str, object] = {}  # the last frame's cut into columns, made in every frame
    last = _graph_source(root, frames[-1], order, plan)
    sources = [_graph_source(root, f, order, plan) for f in frames[:-1]] + [last]
    sizes: dict[str, tuple[float, float]] = {}
    for source in sources:
        g = pygraphviz.AGraph(string=source)
        for n in g.nodes():
            n.attr["pos"] = "0,0"
        g.layout(prog="nop")  # sizes the nodes, places nothing
        for n in g.nodes():
            w, h = sizes.get(str(n), (0.0, 0.0))
            sizes[str(n)] = (max(w, float(n.attr["width"])), max(h, float(n.attr["height"])))
    layout = _sized(sources[-1], sizes)
    for e in layout.edges():  # a lit edge's label is bold: lay every label out at that width
        if e.attr.get("label"):
            e.attr["fontname"] = FONT_BOLD
    layout.layout(prog="dot")
    return [_pin(_sized(s, sizes), layout) for s in sources]


def _frame_images(root: Value, frames: list[Frame]) -> list[Any]:
    from PIL import Image, ImageDraw, ImageFont

    with quiet_fontconfig():
        pictures = [Image.open(io.BytesIO(bytes(g.draw(format="png")))).convert("RGB")
                    for g in frame_layouts(root, frames)]
    width = max(p.width for p in pictures)
    height = max(p.height for p in pictures)
    font = _font(ImageFont, 15)
    out = []
    for picture, frame in zip(pictures, frames):
        # at most _CAPTION characters: a path's formula names every factor by its label
        lines = _wrap(short(frame.caption, _CAPTION), max(40, width // 9))
        canvas = Image.new("RGB", (max(width, 480), height + 24 * len(lines) + 16), "white")
        canvas.paste(picture, (0, 0))
        draw = ImageDraw.Draw(canvas)
        for n, line in enumerate(lines):
            draw.text((10, height + 8 + 24 * n), line, fill="#222222", font=font)
        out.append(canvas)
    tall = max(c.height for c in out)  # one size for every frame
    return [_pad(c, tall, Image) for c in out]


def _pad(image: Any, height: int, image_module: Any) -> Any:
    if image.height == height:
        return image
    canvas = image_module.new("RGB", (image.width, height), "white")
    canvas.paste(image, (0, 0))
    return canvas


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def _font(image_font: Any, size: int) -> Any:
    from matplotlib import font_manager

    try:
        return image_font.truetype(font_manager.findfont("DejaVu Sans"), size)
    except OSError:
        return image_font.load_default()


def animate(root: Value, path: str | os.PathLike[str], *, wrt: Value | None = None,
            fps: float = 2) -> Path:
    """Write the backward pass of ``root`` as a GIF or MP4 (by extension); returns the path.

    Without ``wrt``: one frame per step of the reverse sweep (plus the seed); with ``wrt``:
    one frame per path from ``wrt`` (plus the empty sum), the largest ``FILM_PATHS`` (14) and a
    frame for the rest when there are more. A graph of more than ``MAX_NODES`` (60) values, or
    a sweep of more than ``MAX_FRAMES`` (41) frames, is a ValueError naming the limit, raised
    before any work. GIF needs Pillow (matplotlib brings it); MP4 needs imageio with an ffmpeg
    encoder (``pip install 'pathgrad[video]'``).
    """
    if not isinstance(root, Value):
        raise TypeError(f"animate: root must be a Value, got {type(root).__name__}")
    if wrt is not None and not isinstance(wrt, Value):
        raise TypeError(f"animate: wrt must be a Value or None, got {type(wrt).__name__}")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 60:
        raise ValueError(f"animate: fps must be a number in (0, 60], got {fps!r}")
    target = Path(path)
    ext = target.suffix.lower()
    if ext not in (".gif", ".mp4"):
        raise ValueError(f"animate: unknown extension {target.suffix or '(none)'!r} in "
                         f"{str(path)!r}: use .gif or .mp4")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: no directory "
                                f"{str(target.parent)!r}")
    writer = _mp4_writer() if ext == ".mp4" else _gif
    _check_size(root, wrt)
    frames = path_frames(root, wrt) if wrt is not None else backward_frames(root)
    images = _frame_images(root, frames)
    _write(target, writer(images, fps))
    return target


def _check_size(root: Value, wrt: Value | None) -> None:
    order = toposort(root)
    if len(order) > MAX_NODES:
        raise ValueError(
            f"animate: the graph has {len(order):,} values, over MAX_NODES = {MAX_NODES} (every "
            "frame draws the whole graph): film a smaller part, or use draw_dot or explore, "
            "which take larger graphs")
    steps = sum(1 for v in order if v.op) + 1
    if wrt is None and steps > MAX_FRAMES:
        raise ValueError(
            f"animate: the reverse sweep has {steps:,} frames (a step per computed value and "
            f"the seed), over MAX_FRAMES = {MAX_FRAMES}: film a smaller part of the graph")


def _gif(images: list[Any], fps: float) -> bytes:
    from PIL import Image

    # one 64-colour palette for the film, from its busiest frame, mapped without dithering:
    # Pillow's own median cut per frame took 0.2 s a frame, two thirds of the film's time
    palette = images[-1].quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                   duration=int(1000 / fps), loop=0)
    return buffer.getvalue()


def _mp4_writer() -> Any:
    try:
        import imageio.v3 as iio
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise RuntimeError("animate: MP4 needs imageio and an ffmpeg encoder, which are not "
                           "installed (pip install 'pathgrad[video]'); .gif works with "
                           "Pillow alone") from None

    def write(images: list[Any], fps: float) -> bytes:
        import numpy as np

        # whole 16-pixel blocks, padded with white: ffmpeg would otherwise rescale the frames
        # (blurring the text) to the block size most H.264 players expect
        h, w = (-(-images[0].height // 16) * 16, -(-images[0].width // 16) * 16)
        stack = np.full((len(images), h, w, 3), 255, dtype=np.uint8)
        for n, im in enumerate(images):
            stack[n, : im.height, : im.width] = np.asarray(im.convert("RGB"))
        return bytes(iio.imwrite("<bytes>", stack, extension=".mp4", fps=fps,
                                 macro_block_size=16))

    return write
