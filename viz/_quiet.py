"""Keep the bundled fontconfig's complaints about the system's newer configuration off stderr.

The pygraphviz wheel bundles fontconfig 2.13, which on its first use (the first render of a
process) parses the system's configuration templates, ``/usr/share/fontconfig/conf.avail``, a
path compiled into the library: ``FONTCONFIG_FILE`` does not move it. A system with a newer
fontconfig ships templates with elements 2.13 does not know, and every process that renders
printed ``Fontconfig warning: ".../05-reset-dirs-sample.conf", line 6: unknown element
"reset-dirs"`` — a warning about a file the pictures never use. So the C-level stderr of a
render call goes to a scratch file, and everything in it but those lines is written back.
Python's own warnings and errors are untouched (the project's among them).

>>> import os
>>> with quiet_fontconfig():
...     _ = os.write(2, b"Fontconfig warning: line 6: unknown element\\n")
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator

__all__ = ["quiet_fontconfig"]

_LOCK = threading.RLock()  # fd 2 is the process's: one render swaps it at a time
_DROPPED = b"Fontconfig warning:"


@contextlib.contextmanager
def quiet_fontconfig() -> Iterator[None]:
    """Run the block with fd 2 in a scratch file; pass on every line but fontconfig's warnings."""
    with _LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no fd 2 at all: nothing to keep quiet
            yield
            return
        _flush()
        with tempfile.TemporaryFile() as scratch:
            os.dup2(scratch.fileno(), 2)
            try:
                yield
            finally:
                _flush()
                os.dup2(saved, 2)
                os.close(saved)
                scratch.seek(0)
                kept = [line for line in scratch.read().splitlines(keepends=True)
                        if not line.startswith(_DROPPED)]
                if kept:
                    os.write(2, b"".join(kept))


def _flush() -> None:
    with contextlib.suppress(Exception):
        sys.stderr.flush()
