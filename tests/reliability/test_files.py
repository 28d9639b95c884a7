"""Files that cannot be clobbered: Module.save and viz.render through one safe writer (14.2, 14.10).

Special files are refused, a symlink is followed (its target replaced, the link kept), a
read-only file is refused, modes follow the old file or the umask, and a full disk (a small
tmpfs, where the machine lets us mount one) leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pathgrad.autograd import Value
from pathgrad.nn import MLP
from pathgrad.viz import draw_dot, render


def _save(path: Path) -> None:
    MLP(2, [3, 1], seed=0).save(path)


def _render(path: Path) -> None:
    render(draw_dot(Value(2.0, label="x") * 3), path.with_suffix(".svg") if path.suffix != ".svg"
           else path)


def _save_big(path: Path) -> None:
    MLP(8, [64, 64, 1], seed=0).save(path)


WRITERS: list[tuple[str, Callable[[Path], None], str]] = [
    ("save", _save, "model.json"),
    ("render", _render, "graph.svg"),
]


@pytest.fixture(params=WRITERS, ids=[w[0] for w in WRITERS])
def writer(request):
    return request.param


def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path, writer):
    where, write, name = writer
    target = tmp_path / name
    os.mkfifo(target)
    with pytest.raises(ValueError, match=rf"{where}: .* is a FIFO .*not a regular file"):
        write(target)
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert sorted(os.listdir(tmp_path)) == [name]  # no temp file left


def test_a_character_device_is_refused(tmp_path, writer):
    _where, write, name = writer
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null")
    link = tmp_path / name
    link.symlink_to("/dev/null")  # a link to a device is refused like the device
    with pytest.raises(ValueError, match="is a character device"):
        write(link)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_directory_is_refused(tmp_path, writer):
    _where, write, name = writer
    (tmp_path / name).mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        write(tmp_path / name)


def test_a_symlink_is_followed_and_stays_a_link(tmp_path, writer):
    _where, write, name = writer
    real = tmp_path / "real" / name
    real.parent.mkdir()
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / name
    link.symlink_to(real)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() != "old"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640  # the old file's mode is kept
    assert sorted(os.listdir(real.parent)) == [name]


def test_a_dangling_symlink_creates_its_target(tmp_path, writer):
    _where, write, name = writer
    link = tmp_path / name
    link.symlink_to(tmp_path / "made" )
    write(link)
    assert link.is_symlink() and (tmp_path / "made").stat().st_size > 0


def test_a_read_only_file_is_refused_also_as_root(tmp_path, writer):
    where, write, name = writer
    target = tmp_path / name
    target.write_text("keep me")
    os.chmod(target, 0o444)
    with pytest.raises(PermissionError, match=rf"{where}: .*{name}.* is read-only"):
        write(target)
    assert target.read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == [name]


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    before = os.umask(mask)
    try:
        yield
    finally:
        os.umask(before)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_umasks_mode(tmp_path, writer, mask):
    _where, write, name = writer
    with _umask(mask):
        write(tmp_path / name)
    assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o666 & ~mask


def test_an_existing_files_mode_is_kept(tmp_path, writer):
    _where, write, name = writer
    target = tmp_path / name
    target.write_text("old")
    os.chmod(target, 0o604)
    with _umask(0o077):
        write(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o604


def test_a_read_only_directory_names_the_target_not_the_temp_file(read_only_dir, writer):
    where, write, name = writer
    with pytest.raises(OSError, match=rf"{where}: cannot write .*{name}'"):
        write(read_only_dir / name)


def test_a_missing_directory_is_named(tmp_path, writer):
    _where, write, name = writer
    with pytest.raises(FileNotFoundError, match=r"does not exist|no directory"):
        write(tmp_path / "nowhere" / name)


def _mount_tmpfs(mount: Path, options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def read_only_dir(tmp_path) -> Iterator[Path]:
    """A directory nobody can write: mode 0555, or for root (who ignores modes) a read-only
    tmpfs."""
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() != 0:
        os.chmod(d, 0o555)
        yield d
        os.chmod(d, 0o755)
        return
    _mount_tmpfs(d, "ro,size=64k")
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=False)


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A 256 KiB tmpfs, where the machine lets us mount one (root in a privileged container)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    _mount_tmpfs(mount, "size=256k")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_leaves_the_old_file_whole(tiny_disk):
    target = tiny_disk / "model.json"
    _save(target)
    old = target.read_bytes()
    filler = tiny_disk / "filler"
    with open(filler, "wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:  # fill the disk up to its last block
            f.write(b"\0" * 4096)
            f.flush()
    with pytest.raises(OSError, match=r"save: cannot write .*model\.json.*unchanged"):
        _save_big(target)
    assert target.read_bytes() == old
    assert sorted(os.listdir(tiny_disk)) == ["filler", "model.json"]
    os.unlink(filler)
    _save_big(target)  # and with room again it works
    assert MLP(8, [64, 64, 1], seed=1).load(target)
