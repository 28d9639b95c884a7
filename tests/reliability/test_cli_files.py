"""The command line's ``-o`` goes through the one safe writer, and every count it takes has a
limit (issue 27, defects 4 and 5).

Each output format (.svg .png .pdf .dot from ``draw``, .html from ``explore``) against a
symlink (followed, the link kept), a FIFO, a link to /dev/null and a read-only file (refused,
exit 2, the target as it was); ``-k`` past its documented limit is exit 2 naming the limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pathgrad.autograd import Value, contributions, top_paths
from pathgrad.autograd.paths import MAX_TOP_PATHS
from pathgrad.viz import cli, draw_paths
from pathgrad.viz.paths import MAX_DRAWN_PATHS

MAGIC = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph",
         "html": b"<!DOCTYPE html>"}
SQUARINGS = "; ".join(["a1 = x*x"] + [f"a{i} = a{i - 1}*a{i - 1}" for i in range(2, 301)])


def command(target: Path) -> list[str]:
    verb = "explore" if target.suffix == ".html" else "draw"
    return [verb, "tanh(w*x + b)", "--at", "w=0.5", "x=1", "b=0", "-o", str(target)]


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = cli.main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("ext", sorted(MAGIC))
def test_a_symlink_is_followed_and_stays_a_link(tmp_path, capsys, ext) -> None:
    real = tmp_path / "real" / f"g.{ext}"
    real.parent.mkdir()
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / f"g.{ext}"
    link.symlink_to(real)
    code, err = run(capsys, command(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes().startswith(MAGIC[ext])
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["g." + ext, "real"]  # no staging folder left


@pytest.mark.parametrize("ext", sorted(MAGIC))
def test_a_fifo_is_a_file_error_and_stays_a_fifo(tmp_path, capsys, ext) -> None:
    target = tmp_path / f"g.{ext}"
    os.mkfifo(target)
    code, err = run(capsys, command(target))
    assert code == 2 and "is a FIFO" in err and "math error" not in err, err
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert sorted(os.listdir(tmp_path)) == [target.name]


@pytest.mark.parametrize("ext", sorted(MAGIC))
def test_a_link_to_dev_null_is_refused(tmp_path, capsys, ext) -> None:
    link = tmp_path / f"g.{ext}"
    link.symlink_to("/dev/null")
    code, err = run(capsys, command(link))
    assert code == 2 and "character device" in err, err
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("ext", sorted(MAGIC))
def test_a_read_only_file_is_kept(tmp_path, capsys, ext) -> None:
    target = tmp_path / f"g.{ext}"
    target.write_text("keep me")
    os.chmod(target, 0o444)
    code, err = run(capsys, command(target))
    assert code == 2 and "read-only" in err, err
    assert target.read_text() == "keep me"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444


def test_k_past_its_limit_is_a_usage_error(tmp_path, capsys) -> None:
    code, err = run(capsys, ["paths", SQUARINGS, "--at", "x=1", "--wrt", "x", "-k", "1000000000"])
    assert code == 2 and f"at most {MAX_TOP_PATHS:,}" in err, err
    code, err = run(capsys, ["draw", SQUARINGS, "--at", "x=1", "--wrt", "x", "-k", "1000000000",
                             "--timeout", "5", "-o", str(tmp_path / "g.svg")])
    assert code == 2 and f"at most {MAX_DRAWN_PATHS}" in err, err
    assert os.listdir(tmp_path) == []
    short = SQUARINGS.split("; a21 ")[0]  # 20 squarings: 2^20 paths of 20 factors
    code = cli.main(["paths", short, "--at", "x=1", "--wrt", "x", "-k", str(MAX_TOP_PATHS)])
    out = capsys.readouterr().out
    assert code == 0 and "the sum over 1,048,576 paths" in out, out[:200]
    assert out.count("∂a20/∂x = x · a1") == MAX_TOP_PATHS  # the limit itself is served


def test_k_past_its_limit_is_a_named_value_error() -> None:
    x = Value(1.0, label="x")
    y = x * x + x
    for call, limit in ((lambda: top_paths(y, x, k=10**9), MAX_TOP_PATHS),
                        (lambda: contributions(y, x, 10**9), MAX_TOP_PATHS),
                        (lambda: draw_paths(y, x, k=MAX_DRAWN_PATHS + 1), MAX_DRAWN_PATHS)):
        with pytest.raises(ValueError, match=f"at most {limit:,} \\(the documented limit\\)"):
            call()
    assert len(top_paths(y, x, k=MAX_TOP_PATHS)) == 3


def test_the_paths_of_a_picture_are_found_in_the_timed_child(tmp_path, capsys,
                                                             monkeypatch) -> None:
    import pathgrad.viz as viz

    seen = tmp_path / "pid"
    real = viz.draw_paths

    def spy(*args, **kwargs):  # records which process built the paths
        seen.write_text(str(os.getpid()))
        return real(*args, **kwargs)

    monkeypatch.setattr(viz, "draw_paths", spy)
    out = tmp_path / "out"
    out.mkdir()
    code, err = run(capsys, ["draw", "y = x*x + 3*x", "--at", "x=2", "--wrt", "x", "-o",
                             str(out / "g.svg")])
    assert code == 0, err
    assert int(seen.read_text()) != os.getpid()
