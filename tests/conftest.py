"""Suite-wide settings: how `make test` spreads the tests over two pytest-xdist workers, and
the collector's heap kept out of the garbage collector's full sweeps.

A module that defines a module-scoped fixture (one Chromium for the browser tests, one notebook
kernel, one built wheel, one run of each demo, ...) goes to one worker as a whole, so the fixture
is built once; every other test is handed out on its own to whichever worker is free. (xdist's
own ``xdist_group`` marks would say the same test by test, but xdist 3.8 records them by setting
``item._nodeid``, which pytest 9 no longer reads: the marks are silently lost.)
"""

from __future__ import annotations

import gc
import re
from pathlib import Path
from typing import Any

import pytest

SHARED_FIXTURE = re.compile(r"@pytest\.fixture\([^)]*scope=[\"'](?:module|package|class)[\"']")


def modules_with_shared_fixtures(root: Path) -> set[str]:
    """The test modules (as in node ids: relative to ``root``) that define a module-, class- or
    package-scoped fixture."""
    here = Path(__file__).resolve().parent
    return {path.relative_to(root).as_posix() for path in here.rglob("test_*.py")
            if SHARED_FIXTURE.search(path.read_text(encoding="utf-8"))}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection left on the heap (torch, sympy, scikit-learn, hypothesis, the test
    modules): the engine's big graphs (a million-node chain, 100 epochs of micrograd's demo)
    trigger full collections, and each would walk that heap again; frozen, it is skipped. The
    tests' own objects are collected as before."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    shared = modules_with_shared_fixtures(config.rootpath.resolve())

    class ModuleFixtureScheduling(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if "@" not in nodeid and module in shared:
                return module
            return str(super()._split_scope(nodeid))

    return ModuleFixtureScheduling(config, log)


@pytest.fixture(scope="session", autouse=True)
def one_numba_kernel() -> Any:
    """Every numba replay of the suite on the built-in rows runs on one interpreter with every
    row's branch (compiled once per machine, loaded by each worker), not one per op set as for
    a user (dozens of op sets here, a few seconds of numba each on a cold cache). A tape with a
    row registered by a test (``cosh``) still gets its own small interpreter."""
    import importlib.util

    if importlib.util.find_spec("numba") is None:
        yield
        return
    from pathgrad.autograd.compiler import numba_code, replay_numba

    original, base = replay_numba.kernel, numba_code.supported()

    def kernel(ops: Any = None) -> Any:
        wanted = base if ops is None else set(ops)
        return original(base if wanted <= base else wanted)

    replay_numba.kernel = kernel
    yield
    replay_numba.kernel = original
