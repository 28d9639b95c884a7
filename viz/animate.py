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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pathgrad.autograd import Value, paths, toposort

from .dot import Highlight, build
from .rendering import _write
from .style import number, path_color, rate

__all__ = ["Frame", "animate", "backward_frames"]

_MARK = "#D55E00"


@dataclass
class Frame:
    """One picture of the film: every value's grad at that moment, what is lit, the caption."""

    grads: list[float]  # by topological index
    highlight: Highlight | None
    caption: str


def backward_frames(root: Value) -> list[Frame]:
    """The reverse sweep step by step: frame 0 the seed, then one frame per computed value."""
    order = toposort(root)
    index = {v: i for i, v in enumerate(order)}
    grads = [0.0] * len(order)
    grads[-1] = 1.0
    name = {v: v.label or f"v{i}" for v, i in index.items()}
    frames = [Frame(list(grads), None, f"seed: ∂{name[root]}/∂{name[root]} = 1")]
    computed = [v for v in reversed(order) if v.op]
    for step, v in enumerate(computed, 1):
        i = index[v]
        terms = []
        edges: dict[tuple[int, int], list[str]] = {}
        for k, (p, r) in enumerate(zip(v.parents, v.local_grads)):
            grads[index[p]] += r * grads[i]
            edges[(i, k)] = [_MARK]
            terms.append(f"∂{name[root]}/∂{name[p]} += {rate(r)} × {rate(grads[i])}")
        lit = {i: [_MARK], **{index[p]: [_MARK] for p in v.parents}}
        caption = f"step {step}/{len(computed)} at {name[v]}: " + ";  ".join(terms)
        frames.append(Frame(list(grads), Highlight(edges, lit, wrt=i), caption))
    return frames


def path_frames(root: Value, wrt: Value) -> list[Frame]:
    """The paths from ``wrt`` to ``root`` added one at a time, with the running sum."""
    order = toposort(root)
    index = {v: i for i, v in enumerate(order)}
    grads = [v.grad for v in order]
    d = f"∂{root.label or 'root'}/∂{wrt.label or 'x'}"
    frames = [Frame(grads, Highlight({}, {}, wrt=index.get(wrt)), f"{d} = Σ over paths: 0")]
    total = 0.0
    edges: dict[tuple[int, int], list[str]] = {}
    values: dict[int, list[str]] = {}
    for j, p in enumerate(paths(root, wrt)):
        color = path_color(j)
        for child, k in zip(p.nodes[1:], p.edge_indices):
            edges.setdefault((index[child], k), []).append(color)
        for v in p.nodes:
            values.setdefault(index[v], []).append(color)
        total += p.product
        frames.append(Frame(grads, Highlight(dict(edges), dict(values), index.get(wrt)),
                            f"path {j + 1}: {p.formula(digits=4)};  {d} so far = "
                            f"{number(total, 6)}"))
    return frames


def _graph_source(root: Value, frame: Frame, order: list[Value]) -> str:
    kept = [v.grad for v in order]
    try:
        for v, g in zip(order, frame.grads):
            v.grad = g
        graph = build(root, "TB", None, None, 4, frame.highlight, op_nodes=True)[0]
    finally:
        for v, g in zip(order, kept):
            v.grad = g
    return str(graph.source)


def _pinned_png(source: str, layout: Any) -> bytes:
    """``source`` drawn at the positions of ``layout`` (a laid-out pygraphviz graph)."""
    import pygraphviz

    g = pygraphviz.AGraph(string=source)
    for n in g.nodes():
        n.attr["pos"] = layout.get_node(n).attr["pos"]
    for e, e0 in zip(g.edges(keys=True), layout.edges(keys=True)):
        edge, ref = g.get_edge(*e), layout.get_edge(*e0)
        for key in ("pos", "lp"):
            if ref.attr.get(key):
                edge.attr[key] = ref.attr[key]
    g.graph_attr["bb"] = layout.graph_attr["bb"]
    # nop2 is neato -n2 as an engine of its own: it keeps the given positions (pygraphviz
    # runs layouts in-process and drops the -n2 argument)
    return bytes(g.draw(format="png", prog="nop2"))


def _frame_images(root: Value, frames: list[Frame]) -> list[Any]:
    import pygraphviz
    from PIL import Image, ImageDraw, ImageFont

    order = toposort(root)
    sources = [_graph_source(root, f, order) for f in frames]
    layout = pygraphviz.AGraph(string=sources[-1])
    layout.layout(prog="dot")
    pictures = [Image.open(io.BytesIO(_pinned_png(s, layout))).convert("RGB") for s in sources]
    width = max(p.width for p in pictures)
    height = max(p.height for p in pictures)
    font = _font(ImageFont, 15)
    out = []
    for picture, frame in zip(pictures, frames):
        lines = _wrap(frame.caption, max(40, width // 9))
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
    one frame per path from ``wrt`` (plus the empty sum). GIF needs Pillow (matplotlib brings
    it); MP4 needs imageio with an ffmpeg encoder (``pip install imageio imageio-ffmpeg``).
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
    frames = path_frames(root, wrt) if wrt is not None else backward_frames(root)
    images = _frame_images(root, frames)
    _write(target, writer(images, fps))
    return target


def _gif(images: list[Any], fps: float) -> bytes:
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=int(1000 / fps), loop=0)
    return buffer.getvalue()


def _mp4_writer() -> Any:
    try:
        import imageio.v3 as iio
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise RuntimeError("animate: MP4 needs imageio and an ffmpeg encoder, which are not "
                           "installed (pip install imageio imageio-ffmpeg); .gif works with "
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
