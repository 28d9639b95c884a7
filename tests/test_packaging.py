"""pathgrad installs one top-level import name, ``pathgrad``, and lives beside HIPS autograd.

The wheel is built once from this checkout. HIPS autograd (the PyPI package ``autograd``, whose
import name our ``autograd/`` folder would otherwise shadow) is downloaded from the package index;
where no index can be reached those tests skip with the reason. Each install goes into a fresh
virtual environment that borrows the dev environment's dependencies (numpy, graphviz, ...) through
a ``.pth`` line placed *after* its own site-packages, so only the two packages under test are
installed, in the order the test says.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # Build from a copy of the tracked sources: the checkout's build/ and egg-info stay untouched.
    files = _run(["git", "ls-files", "-z"], cwd=ROOT).stdout.split("\0")
    if not any(files):  # not a git checkout: copy the folders the wheel is made of
        files = [str(p.relative_to(ROOT)) for d in ("autograd", "nn", "viz", "demos")
                 for p in (ROOT / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        files += ["pyproject.toml", "README.md", "LICENSE"]
    for name in filter(None, files):
        src, dst = ROOT / name, build / name
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())
    done = _run([*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(build)])
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("pathgrad-*.whl")
    return found


@pytest.fixture(scope="module")
def hips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hips")
    got = _run([*PIP, "download", "--no-deps", "--only-binary", ":all:", "-d", str(out),
                "autograd"])
    wheels = list(out.glob("autograd-*.whl"))
    if got.returncode != 0 or not wheels:
        pytest.skip(f"HIPS autograd could not be downloaded (no package index?): "
                    f"{got.stderr.strip().splitlines()[-1:] or got.returncode}")
    return wheels[0]


def test_wheel_holds_pathgrad_and_its_dist_info_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"pathgrad", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}
    packages = {n.split("/")[1] for n in names if n.startswith("pathgrad/") and n.count("/") >= 2}
    assert packages == {"autograd", "nn", "viz", "demos"}
    assert "pathgrad/__init__.py" not in names  # a namespace package: nothing to shadow
    for package in ("autograd", "nn", "viz"):
        assert f"pathgrad/{package}/py.typed" in names
    assert "pathgrad/demos/tour.ipynb" in names


def test_no_second_copy_under_the_bare_folder_names(tmp_path: Path) -> None:
    code = ("import importlib.util as u, pathgrad.autograd as a; "
            "print([n for n in ('autograd', 'nn', 'viz', 'demos') if u.find_spec(n)]); "
            "print(a.__name__, a.Value.__module__)")
    done = _run([sys.executable, "-c", code], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "pathgrad.autograd pathgrad.autograd.value"]


def _fresh_env(where: Path) -> Path:
    """A venv with no packages of its own that can import the dev environment's dependencies."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(where)]).check_returncode()
    python = where / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    # "zz" sorts after the packages' own .pth files; the path is appended after site-packages.
    Path(site.stdout.strip(), "zz_dev_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n")
    return python


def _install(python: Path, wheel: Path) -> None:
    done = _run([*PIP, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)])
    assert done.returncode == 0, done.stderr


USE_BOTH = """
import importlib
anp = importlib.import_module("autograd.numpy")  # HIPS autograd, the package we must not shadow
hips_grad = importlib.import_module("autograd").grad
from pathgrad.autograd import Value, grad
from pathgrad.nn import MLP
from pathgrad.viz import draw_dot

h = hips_grad(lambda x: anp.tanh(x) * x)(0.5)
x = Value(0.5)
(p,) = grad(x.tanh() * x, [x])
assert abs(h - p) < 1e-15, (h, p)
assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
assert 'digraph' in draw_dot(x.tanh()).source
print("both", h)
"""


def _both_orders(order: str, wheel: Path, hips: Path, where: Path) -> None:
    python = _fresh_env(where / "env")
    first, second = (wheel, hips) if order == "pathgrad-first" else (hips, wheel)
    _install(python, first)
    _install(python, second)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    used = _run([str(python), "-c", USE_BOTH], cwd=where, env=env)
    assert used.returncode == 0, f"{order}: {used.stderr}"
    assert used.stdout.startswith("both "), order
    # Uninstalling either leaves the other whole.
    gone = "autograd" if order == "pathgrad-first" else "pathgrad"
    done = _run([*PIP, "--python", str(python), "uninstall", "-y", gone])
    assert done.returncode == 0, done.stderr
    check = ("from pathgrad.autograd import Value; print((Value(2.0) * 3).data)"
             if gone == "autograd" else
             "from autograd import grad; import autograd.numpy as np; "
             "print(grad(lambda x: np.sin(x))(0.0))")
    left = _run([str(python), "-c", check], cwd=where, env=env)
    assert left.returncode == 0, f"{order}, {gone} uninstalled: {left.stderr}"
    assert left.stdout.strip() in {"6.0", "1.0"}


def test_beside_hips_autograd_in_either_order(wheel: Path, hips: Path, tmp_path: Path) -> None:
    """Both install orders, each in its own fresh environment (run side by side: pip is slow)."""
    orders = ["pathgrad-first", "hips-first"]
    for order in orders:
        (tmp_path / order).mkdir()
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(_both_orders, o, wheel, hips, tmp_path / o) for o in orders]:
            done.result()


def test_the_license_file_is_mit_as_pyproject_says_and_ships_in_the_wheel(wheel: Path) -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert shipped, names
    assert zipfile.ZipFile(wheel).read(shipped[0]).decode() == text
