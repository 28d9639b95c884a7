"""`make demo` installs only what the demos need ([demo]); `make test` adds the test tools
([dev]); the stamps keep a second run from installing again, in either order. Checked with
`make -n` (prints the commands, runs none) in a copy of the Makefile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
TOOLS = {"pytest", "hypothesis", "sympy", "mypy", "ruff", "playwright", "ipykernel", "nbclient",
         "pytest-xdist", "mpmath", "micrograd"}

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _plan(tmp: Path, target: str) -> list[str]:
    done = subprocess.run(["make", "-n", target], cwd=tmp, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if "pip install" in line]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()  # a venv made already: only the stamps count
    return tmp_path


def test_the_demo_extra_holds_no_test_tool() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    names = {r.split(">")[0].split("=")[0].split("[")[0].strip() for r in extras["demo"]}
    names |= {r.split(">")[0].strip() for e in ("digits",) for r in extras[e]}
    assert names & TOOLS == set()
    assert "pathgrad[demo]" in extras["dev"]  # make test can run the demos too


def test_make_demo_installs_the_demo_extra_only_and_make_test_then_adds_dev(checkout) -> None:
    demo = _plan(checkout, "demo")
    assert len(demo) == 1 and ".[demo]" in demo[0] and "--no-compile" in demo[0]
    run = subprocess.run(["make", "-n", "demo"], cwd=checkout, capture_output=True, text=True,
                         timeout=60).stdout
    assert "PYTHONDONTWRITEBYTECODE=1" in run  # no caches written into .venv by the demos
    (checkout / ".venv" / ".installed-demo").touch()
    assert _plan(checkout, "demo") == []  # the stamp: nothing to install the second time
    test = _plan(checkout, "test")
    assert len(test) == 1 and ".[dev]" in test[0]
    (checkout / ".venv" / ".installed-dev").touch()
    assert _plan(checkout, "test") == [] and _plan(checkout, "demo") == []


def test_after_make_test_make_demo_installs_nothing(checkout) -> None:
    done = subprocess.run(["make", "-n", "test"], cwd=checkout, capture_output=True, text=True,
                          timeout=60)
    assert "touch .venv/.installed-dev .venv/.installed-demo" in done.stdout
