"""Every result the README states in a comment or a sentence is what the code gives.

The README's doctests (``>>>``) run through pytest's doctest glob; this file runs the rest: each
``pathgrad ...`` line of its shell blocks, compared with the comment beside it (a comment with no
check here fails the test, so a new claim comes with its check), the ``animate`` lines of its
Python block, and the lecture paragraph's count of stalled seeds.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
Check = Callable[[str, Path], None]


def _shell_lines() -> list[tuple[str, str]]:
    """Each ``pathgrad`` command of the README's sh blocks and the comment beside it."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            if line.startswith("pathgrad "):
                command, _, comment = line.partition("#")
                lines.append((command.strip(), comment.strip()))
    return lines


def _sum_to_7(out: str, tmp: Path) -> None:
    assert re.search(r"∂y/∂x = 7\.000, the sum over 3 paths", out), out
    assert "all sum to 7.000" in out
    values = [float(v) for v in re.findall(r"^\s+\d+\. .* = (\S+)\s+\(", out, re.M)]
    assert len(values) == 3 and sum(values) == 7.0, out


def _top_2_sum_to_5(out: str, tmp: Path) -> None:
    assert "the top 2 sum to 5.000" in out and "∂y/∂x = 7.000" in out, out


def _formats(out: str, tmp: Path) -> None:
    assert (tmp / "g.svg").read_text().lstrip().startswith("<?xml")
    magic = {".png": b"\x89PNG", ".pdf": b"%PDF", ".dot": b"digraph"}
    for ext, head in magic.items():
        _run(["draw", "tanh(w*x + b)", "--at", "w=0.5", "x=1", "b=0", "--wrt", "w",
              "-o", f"g{ext}"], tmp)
        assert (tmp / f"g{ext}").read_bytes().startswith(head), ext


def _lists_demos(out: str, tmp: Path) -> None:
    listing = _run(["demo"], tmp)
    for name in ("chain", "four_equations", "sum_over_paths", "tiny_network", "digits"):
        assert re.search(rf"^\s+{name}\s", listing, re.M), listing


CLAIMS: dict[str, Check] = {
    "each path's factors; the 3 sum to 7": _sum_to_7,
    "the top 2 only: they sum to 5 of the 7": _top_2_sum_to_5,
    ".svg .png .pdf .dot": _formats,
    "or no name, to list them": _lists_demos,
}


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "pathgrad.viz", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, (args, done.stderr)
    assert "Traceback" not in done.stderr
    assert "Fontconfig" not in done.stderr and "arning" not in done.stderr, done.stderr
    return done.stdout


def test_every_comment_of_the_shell_block_has_its_check() -> None:
    comments = [c for _, c in _shell_lines() if c]
    assert comments and set(comments) <= set(CLAIMS), set(comments) - set(CLAIMS)


@pytest.mark.parametrize("command, comment", _shell_lines(), ids=lambda x: x[:40])
def test_the_readme_shell_lines_do_what_their_comments_say(command: str, comment: str,
                                                           tmp_path: Path) -> None:
    words = shlex.split(command)
    assert words[0] == "pathgrad"
    out = _run(words[1:], tmp_path)
    if comment:
        CLAIMS[comment](out, tmp_path)
    written = [w for w in words[words.index("-o") + 1:][:1]] if "-o" in words else []
    for name in written:
        assert (tmp_path / name).stat().st_size > 0


def test_the_animate_lines_give_the_frames_their_comments_say(tmp_path: Path) -> None:
    from PIL import Image

    from pathgrad.autograd import count_paths, toposort
    from pathgrad.viz import animate
    from pathgrad.viz.examples import chain_3b1b_values

    assert 'animate(C, "backward.gif")               # one frame per step of the reverse sweep' \
           in README
    assert 'animate(C, "paths.gif", wrt=w)           # one frame per path from w' in README
    assert ".mp4 needs pip install 'pathgrad[video]'" in README
    v = chain_3b1b_values()
    C, w = v["C"], v["w"]
    steps = sum(1 for n in toposort(C) if n.op)
    with Image.open(animate(C, tmp_path / "backward.gif")) as gif:
        assert gif.n_frames == 1 + steps  # the seed, then each step
    with Image.open(animate(C, tmp_path / "paths.gif", wrt=w)) as gif:
        assert gif.n_frames == 1 + count_paths(C, w)  # the empty sum, then each path
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^video = \[.*"imageio-ffmpeg', pyproject, re.M)
    pytest.importorskip("imageio_ffmpeg")
    assert animate(C, tmp_path / "backward.mp4").read_bytes()[4:8] == b"ftyp"


def test_the_lecture_paragraph_stalled_seed_count() -> None:
    # "with those the lecture's final loop stalls at loss 4.0 (±0.001) on 77 of the seeds 0–99"
    from pathgrad.nn import MLP

    said = re.search(r"stalls at loss 4\.0 \(±0\.001\) on (\d+) of the seeds 0–99", README)
    assert said is not None
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    stalled = 0
    for seed in range(100):
        n = MLP(3, [4, 4, 1], seed=seed)  # micrograd's MLP: relu hidden, linear output
        for _ in range(20):  # the lecture's loop, as written
            ypred = [n(x) for x in xs]
            loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
            for p in n.parameters():
                p.grad = 0.0
            loss.backward()
            for p in n.parameters():
                p.data += -0.1 * p.grad
        stalled += abs(loss.data - 4.0) <= 1e-3
    assert stalled == int(said[1])
    assert 'activation="tanh", output_activation="tanh"' in README.split("stalls at")[0][-600:]
