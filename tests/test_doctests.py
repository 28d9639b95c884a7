"""The packages' docstring examples, run on the installed modules (``pathgrad.*``).

pytest's own ``--doctest-modules`` would import the source folders a second time under their bare
folder names (``autograd.value``); walking the installed package keeps one import path per module.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ["pathgrad.autograd", "pathgrad.nn", "pathgrad.viz", "pathgrad.demos"]
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        pkg = importlib.import_module(package)
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")
                  if not m.name.endswith("__main__")]
    return sorted(names)


MODULES = _modules()


def test_every_package_has_docstring_examples() -> None:
    finder = doctest.DocTestFinder()
    counted = {
        p: sum(len(t.examples) for m in MODULES if m.startswith(p)
               for t in finder.find(importlib.import_module(m)))
        for p in PACKAGES[:3]
    }
    assert all(n > 0 for n in counted.values()), counted


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
