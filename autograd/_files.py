"""Safe file writing and reading, shared by ``nn.Module.save``/``load`` and ``viz.render``.

``write_atomic(path, data)`` replaces a file so that a crash, a full disk or an interrupt leaves
either the old file or the new one, never half of one:

* only a regular file (or nothing) is replaced: a FIFO, a device, a socket or a directory at the
  path is refused (saving to ``/dev/null`` as root would otherwise replace ``/dev/null``);
* **a symlink is followed**: the file it points to is replaced and the link stays a link, as
  ``open(path, "w")`` would write through it. A link to something that is not a regular file
  is refused like that thing;
* a read-only file is refused (also as root, who could write it): its mode says "keep";
* the new file keeps an existing file's mode (and owner, where the process may set it); a new
  file gets ``0o666 & ~umask``, what ``open`` gives;
* the data is written to a temporary file beside the target, flushed and fsync'ed, renamed over
  the target, and the directory is fsync'ed so the rename itself survives a crash.

``read_regular(path, limit)`` reads a regular file of at most ``limit`` bytes (a FIFO or
``/dev/zero`` is refused before anything is read).

>>> import os, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     p = os.path.join(d, "a.txt")
...     write_atomic(p, b"hello", "save")
...     read_regular(p, 100, "load")
b'hello'
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

__all__ = ["check_target", "read_regular", "write_atomic"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _umask() -> int:
    """The process's umask, read from /proc where it can be (setting it, even for a moment,
    would race with other threads creating files)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _existing(real: str, shown: str, where: str) -> os.stat_result | None:
    """The stat of the file to replace, or None when there is none; refuses what is not one."""
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(
            f"{where}: {shown!r} is {_kind(st.st_mode)}, not a regular file; pathgrad only "
            "replaces regular files — choose another path"
        )
    if not st.st_mode & 0o222 or (os.geteuid() != 0 and not os.access(real, os.W_OK)):
        raise PermissionError(
            f"{where}: {shown!r} is read-only (mode {stat.filemode(st.st_mode)}); make it "
            "writable or choose another path"
        )
    return st


def check_target(path: str | os.PathLike[str], where: str) -> None:
    """Refuse now, with ``write_atomic``'s errors, a target it would refuse: a caller about to
    spend minutes on the data (a layout, a film) learns first that it cannot be written."""
    shown = os.fspath(path)
    real = os.path.realpath(shown)
    directory = os.path.dirname(real)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"{where}: cannot write {shown!r}: the directory {directory!r} does not exist"
        )
    _existing(real, shown, where)


def write_atomic(path: str | os.PathLike[str], data: bytes, where: str) -> None:
    """Replace the regular file at ``path`` (following a symlink) with ``data``, atomically.

    ``where`` names the caller in error messages (``"save"``, ``"render"``). On any error the
    target is as it was and no temporary file is left behind.
    """
    shown = os.fspath(path)
    real = os.path.realpath(shown)  # a symlink is followed: its target is what gets replaced
    directory = os.path.dirname(real)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"{where}: cannot write {shown!r}: the directory {directory!r} does not exist"
        )
    before = _existing(real, shown, where)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", suffix=".tmp",
                                   dir=directory)
    except OSError as error:
        raise _named(error, f"{where}: cannot write {shown!r}: {error.strerror or error} in "
                     f"{directory!r}") from None
    try:
        try:
            if before is None:
                os.fchmod(fd, 0o666 & ~_umask())
            else:
                os.fchmod(fd, stat.S_IMODE(before.st_mode))
                with contextlib.suppress(OSError):  # only root may give the file back its owner
                    if (before.st_uid, before.st_gid) != (os.geteuid(), os.getegid()):
                        os.fchown(fd, before.st_uid, before.st_gid)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, real)
        except OSError as error:
            raise _named(error, f"{where}: cannot write {shown!r}: {error.strerror or error}; "
                         "the file there (if any) is unchanged") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _named(error: OSError, message: str) -> OSError:
    """The same kind of OSError (errno kept), saying which target failed, not the temp file."""
    if error.errno is None:
        return type(error)(message)
    return type(error)(error.errno, message)


def _fsync_directory(directory: str) -> None:
    # The rename lives in the directory: without this a crash can bring the old file back.
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some systems cannot open a directory; the data itself is on disk
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def read_regular(path: str | os.PathLike[str], limit: int, where: str) -> bytes:
    """The bytes of the regular file at ``path``; a ``ValueError`` if it is larger than
    ``limit`` bytes or not a regular file (nothing is read from a FIFO or a device)."""
    shown = os.fspath(path)
    st = os.stat(shown)  # FileNotFoundError names the path itself
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{where}: {shown!r} is {_kind(st.st_mode)}, not a regular file")
    if st.st_size > limit:
        raise ValueError(
            f"{where}: {shown!r} has {st.st_size:,} bytes, over the limit of {limit:,} bytes "
            "(pass a larger max_bytes= if the file is right)"
        )
    with open(shown, "rb") as f:
        # read(n) allocates n bytes at once: the file's own size (and one byte to see it grow),
        # not the limit (256 MiB for every 9 MB checkpoint)
        data = f.read(min(limit, st.st_size) + 1)
        if len(data) > st.st_size:
            data += f.read(limit + 1 - len(data))
    if len(data) > limit:
        raise ValueError(f"{where}: {shown!r} grew past the limit of {limit:,} bytes while read")
    return data
