"""No third-party warning reaches stderr when pathgrad renders (the pygraphviz wheel's
fontconfig 2.13 warned about the system's newer configuration in every process that drew a
picture); the project's own warnings still do. Each case runs in a fresh child process, since
the warning came once per process, at the first render."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygraphviz")

CLI = [sys.executable, "-m", "pathgrad.viz"]
CHAIN = "C = (a - y)**2; a = sigmoid(z); z = w*a_prev + b"
AT = ["--at", "w=0.8", "a_prev=0.6", "b=-0.2", "y=1"]


def _stderr(args: list[str], cwd: Path) -> str:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("FONTCONFIG_FILE", None)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


SCRIPT = """
import warnings
from pathgrad.autograd import Value
from pathgrad.viz import draw_paths, render, explore, animate
w, x = Value(0.5, label="w"), Value(1.0, label="x")
y = (w * x + 0.1).tanh()
render(draw_paths(y, w), "y.png")
render(draw_paths(y, w), "y.pdf")
explore(y, "y.html")
animate(y, "y.gif", wrt=w)
warnings.warn("pathgrad's own warning still shows")
"""


def test_render_explore_animate_print_only_the_projects_own_warning(tmp_path: Path) -> None:
    err = _stderr([sys.executable, "-c", SCRIPT], tmp_path)
    assert "Fontconfig" not in err
    assert "pathgrad's own warning still shows" in err


@pytest.mark.parametrize("command", [
    ["draw", "tanh(w*x + b)", "--at", "w=0.5", "x=1", "b=0", "--wrt", "w", "-o", "g.png"],
    ["explore", CHAIN, *AT, "-o", "chain.html"],
])  # `pathgrad demo chain` (make demo's first demo) is run by tests/test_readme_claims.py
def test_the_command_line_prints_no_third_party_warning(tmp_path: Path, command) -> None:
    err = _stderr([*CLI, *command], tmp_path)
    assert "Fontconfig" not in err and "warning" not in err.lower(), err
