"""animate: one frame per step of the reverse sweep (+ the seed), frames that differ, the last
frame's grads equal the engine's, files with the umask's mode, clear errors."""

from __future__ import annotations

import itertools
import os
import stat
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageChops
from viz_helpers import read_layout

from pathgrad.autograd import Value, count_paths, toposort
from pathgrad.viz.animate import animate, backward_frames, frame_layouts, path_frames
from pathgrad.viz.examples import chain_3b1b_values


def test_one_frame_per_sweep_step_and_the_last_grads_are_the_engines(tmp_path: Path) -> None:
    v = chain_3b1b_values()
    C = v["C"]
    order = toposort(C)
    frames = backward_frames(C)
    assert len(frames) == sum(1 for u in order if u.op) + 1
    assert frames[-1].grads == pytest.approx([u.grad for u in order], rel=1e-12)
    assert frames[0].grads[:-1] == [0.0] * (len(order) - 1)
    old = os.umask(0o027)
    try:
        out = animate(C, tmp_path / "backward.gif", fps=4)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    with Image.open(out) as gif:
        assert gif.n_frames == len(frames)
        pictures = []
        for n in range(gif.n_frames):
            gif.seek(n)
            pictures.append(gif.convert("RGB"))
    assert len({p.size for p in pictures}) == 1  # laid out once: one size
    for a, b in itertools.pairwise(pictures):
        assert ImageChops.difference(a, b).getbbox() is not None  # every frame changes
    assert [u.grad for u in order] == frames[-1].grads  # the graph's own grads untouched


def test_with_wrt_the_paths_add_up_to_the_gradient(tmp_path: Path) -> None:
    x = Value(0.5, label="x")
    u = x * x
    L = u * x.tanh() + x.exp()
    L.label = "L"
    L.backward()
    frames = path_frames(L, x)
    assert len(frames) == count_paths(L, x) + 1
    last = frames[-1].caption
    assert last.endswith(f"{x.grad:.6f}")
    out = animate(L, tmp_path / "paths.gif", wrt=x)
    with Image.open(out) as gif:
        assert gif.n_frames == len(frames)


def test_bad_input(tmp_path: Path) -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="root must be a Value"):
        animate(1.0, tmp_path / "a.gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"use \.gif or \.mp4"):
        animate(x * 2, tmp_path / "a.avi")
    with pytest.raises(ValueError, match="fps must be"):
        animate(x * 2, tmp_path / "a.gif", fps=0)
    with pytest.raises(FileNotFoundError, match="no directory"):
        animate(x * 2, tmp_path / "missing" / "a.gif")


def test_mp4_has_one_frame_per_step_at_the_gifs_size_and_decodes_back(tmp_path: Path) -> None:
    iio = pytest.importorskip("imageio.v3", reason="MP4 needs imageio (the dev extra has it)")
    pytest.importorskip("imageio_ffmpeg", reason="MP4 needs imageio-ffmpeg (the dev extra)")
    x = Value(0.5, label="x")
    y = (2 * x).tanh()
    y.label = "y"
    frames = backward_frames(y)
    gif = animate(y, tmp_path / "b.gif")
    mp4 = animate(y, tmp_path / "b.mp4", fps=4)
    with Image.open(gif) as g:
        width, height = g.size
    video = iio.imread(mp4, index=None, extension=".mp4")
    assert video.shape[0] == len(frames)
    # the GIF's frames padded with white to whole 16-pixel blocks (what H.264 players expect),
    # not rescaled
    assert video.shape[1:3] == (-(-height // 16) * 16, -(-width // 16) * 16)
    with Image.open(gif) as g:
        for n in (0, len(frames) - 1):
            g.seek(n)
            want = np.asarray(g.convert("RGB"), dtype=float)
            got = video[n, :height, :width].astype(float)
            assert np.abs(got - want).mean() < 6.0  # lossy, but the same picture


def test_mp4_without_an_encoder_says_what_to_install(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import now raises ImportError
    (tmp_path / "a.mp4").write_bytes(b"old")
    with pytest.raises(RuntimeError, match=r"pip install 'pathgrad\[video\]'.*\.gif works"):
        animate(Value(1.0) * 2, tmp_path / "a.mp4")
    assert (tmp_path / "a.mp4").read_bytes() == b"old"  # the failed call left the file alone


def boxes(graph: Any) -> dict[str, tuple[float, float, float, float]]:
    """Each node's box in points (x0, y0, x1, y1), from Graphviz's layout."""
    out = {}
    for n in graph.nodes():
        x, y = map(float, n.attr["pos"].split(","))
        w, h = 36 * float(n.attr["width"]), 36 * float(n.attr["height"])
        out[str(n)] = (x - w, y - h, x + w, y + h)
    return out


@pytest.mark.parametrize("wrt", [False, True])
def test_frames_are_laid_out_once_and_no_two_boxes_overlap_in_any_frame(wrt: bool) -> None:
    from pathgrad.demos.chain import last_layer

    C, w = last_layer()
    frames = path_frames(C, w) if wrt else backward_frames(C)
    layouts = frame_layouts(C, frames)
    assert len(layouts) == len(frames)
    first = {n: n.attr["pos"] for n in layouts[0].nodes()}
    for graph in layouts:
        assert {n: n.attr["pos"] for n in graph.nodes()} == first  # nothing moves
        drawn = sorted(boxes(graph).items())
        for (a, (ax0, ay0, ax1, ay1)), (b, (bx0, by0, bx1, by1)) in itertools.combinations(
                drawn, 2):
            gap = max(bx0 - ax1, ax0 - bx1, by0 - ay1, ay0 - by1)
            assert gap >= 2.0, (a, b, gap)  # apart, with a visible gap
        assert read_layout(graph.draw(format="json")).labels_on_edges() == 0


def test_captions_name_values_as_the_picture_shows_them() -> None:
    # the README's film ended on "step 5/5 at v2": an internal id that no picture shows
    import re

    from pathgrad.viz.examples import chain_3b1b_values

    captions = [f.caption for f in backward_frames(chain_3b1b_values()["C"])]
    assert not any(re.search(r"\bv\d+\b", c) for c in captions), captions
    assert captions[-1].startswith("step 5/5 at (w·a_prev): ∂C/∂w += 0.6 × ")
