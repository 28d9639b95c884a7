"""animate: one frame per step of the reverse sweep (+ the seed), frames that differ, the last
frame's grads equal the engine's, files with the umask's mode, clear errors."""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from pathgrad.autograd import Value, count_paths, toposort
from pathgrad.viz.animate import animate, backward_frames, path_frames
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


def test_mp4_without_an_encoder_says_what_to_install(tmp_path: Path) -> None:
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="imageio-ffmpeg"):
            animate(Value(1.0) * 2, tmp_path / "a.mp4")
        assert not (tmp_path / "a.mp4").exists()
    else:
        out = animate(Value(1.0) * 2, tmp_path / "a.mp4")
        assert out.stat().st_size > 0
