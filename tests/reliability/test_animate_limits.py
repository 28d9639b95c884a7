"""``animate`` has documented limits (issue 27, defect 6): a graph over ``MAX_NODES`` values or a
sweep over ``MAX_FRAMES`` frames is refused at once, by name; a path film with more paths than
``FILM_PATHS`` shows the largest and a last frame that counts and adds the rest."""

from __future__ import annotations

import math

import pytest
from PIL import Image

from pathgrad.autograd import Value, count_paths, grad, top_paths
from pathgrad.autograd.notation import count_text
from pathgrad.viz import animate
from pathgrad.viz.animate import FILM_PATHS, MAX_FRAMES, MAX_NODES, path_frames


def chain(n: int) -> Value:
    y = Value(0.5, label="x")
    for _ in range(n - 1):
        y = y.tanh()
    return y


def squarings(n: int) -> tuple[Value, Value]:
    x = Value(1.0, label="x")
    y = x
    for _ in range(n):
        y = y * y
    y.label = "y"
    return y, x


def test_too_many_values_is_refused_before_any_work(tmp_path) -> None:
    with pytest.raises(ValueError, match=f"801 values, over MAX_NODES = {MAX_NODES}"):
        animate(chain(801), tmp_path / "a.gif")
    assert list(tmp_path.iterdir()) == []


def test_too_many_steps_is_refused_before_any_work(tmp_path) -> None:
    n = MAX_FRAMES + 5
    assert n <= MAX_NODES
    with pytest.raises(ValueError, match=f"{n} frames .*over MAX_FRAMES = {MAX_FRAMES}"):
        animate(chain(n), tmp_path / "a.gif")
    assert list(tmp_path.iterdir()) == []


def test_a_path_film_of_2_to_the_40_paths_shows_the_top_ones_and_counts_the_rest() -> None:
    y, x = squarings(40)  # the reproducer: 41 values, 2^40 paths
    assert count_paths(y, x) == 2**40
    frames = path_frames(y, x)
    assert len(frames) == FILM_PATHS + 2  # the empty sum, the top paths, the rest
    rest = 2**40 - FILM_PATHS
    assert f"the other {count_text(rest)} paths add" in frames[-1].caption
    total = float(frames[-1].caption.rsplit("= ", 1)[1])
    assert math.isclose(total, grad(y, [x])[0], rel_tol=1e-5)  # 2^40, to the digits shown
    assert [f.caption.split(":")[0] for f in frames[1:-1]] == [
        f"path {j}" for j in range(1, FILM_PATHS + 1)]
    assert len(top_paths(y, x, FILM_PATHS)) == FILM_PATHS


def test_a_path_film_with_more_paths_than_shown_is_drawn(tmp_path) -> None:
    y, x = squarings(4)  # 16 paths: 14 shown and one frame for the other 2
    y.backward()
    out = animate(y, tmp_path / "paths.gif", wrt=x)
    with Image.open(out) as film:
        assert film.n_frames == FILM_PATHS + 2
