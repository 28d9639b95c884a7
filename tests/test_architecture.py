"""The packages' shape, all four at once: imports one way (no cycle between any two modules of
autograd, nn, viz and demos), no function over 60 lines, one validator for counts."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import pathgrad.autograd
import pathgrad.demos
import pathgrad.nn
import pathgrad.viz

PACKAGES = {
    p.__name__: Path(p.__file__).parent
    for p in (pathgrad.autograd, pathgrad.nn, pathgrad.viz, pathgrad.demos)
}
LONG_ALLOWED: set[str] = set()  # "folder/file.py:function" that may exceed 60 lines: none


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the packages: dotted name -> (file, is a package's __init__)."""
    found: dict[str, tuple[Path, bool]] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            is_init = parts[-1] == "__init__"
            found[".".join([package, *parts[: -1 if is_init else None]])] = (path, is_init)
    return found


def _imports(modules: dict[str, tuple[Path, bool]]) -> dict[str, set[str]]:
    """Module -> the modules of the packages it imports (lazy and TYPE_CHECKING ones too).

    ``from . import losses`` depends on the submodule, not on the package being initialised.
    """
    graph: dict[str, set[str]] = {}
    for name, (path, is_init) in modules.items():
        here = name.split(".") if is_init else name.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                subs = [f"{module}.{a.name}" for a in node.names]
                subs = [s for s in subs if s in modules]
                deps.update(subs if len(subs) == len(node.names) else [module, *subs])
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def test_the_import_check_sees_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from .b import f\n")
    (tmp_path / "b.py").write_text("def f():\n    from . import a\n")
    modules = {f"pathgrad.nn.{m}": (tmp_path / f"{m}.py", False) for m in ("a", "b")}
    graph = _imports(modules)
    assert graph == {"pathgrad.nn.a": {"pathgrad.nn.b"}, "pathgrad.nn.b": {"pathgrad.nn.a"}}
    with pytest.raises(graphlib.CycleError):  # static_order() is lazy: consuming it raises
        list(graphlib.TopologicalSorter(graph).static_order())


def test_no_import_cycles_across_the_packages() -> None:
    modules = _modules()
    graph = _imports(modules)
    assert "pathgrad.autograd.rules" in graph["pathgrad.nn.layers"]
    list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    autograd = [m for m in graph if m.startswith("pathgrad.autograd")]
    assert all(not d.startswith(("pathgrad.nn", "pathgrad.viz")) for m in autograd
               for d in graph[m]), "autograd imports nothing of nn or viz"


def test_no_function_over_60_lines() -> None:
    long = []
    for path, _ in _modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                where = f"{path.parent.name}/{path.name}:{node.name}"
                if node.end_lineno - node.lineno + 1 > 60 and where not in LONG_ALLOWED:
                    long.append(f"{where} ({node.end_lineno - node.lineno + 1} lines)")
    assert long == []


def test_one_validator_for_counts() -> None:
    """nn's sizes and paths' k go through one check: a wrong type is a TypeError (and, for nn's
    earlier callers, a ValueError), a count out of range a ValueError; the messages alike."""
    from pathgrad.autograd import Value, top_paths
    from pathgrad.autograd._checks import CountTypeError
    from pathgrad.nn import MLP, data

    x = Value(1.0)
    y = x * 2.0
    errors = []
    for call in (lambda: top_paths(y, x, 1.5), lambda: data.moons(10.5), lambda: MLP(2.0, [1])):
        with pytest.raises(CountTypeError) as caught:
            call()
        errors.append(caught.value)
    assert all(isinstance(e, TypeError) and isinstance(e, ValueError) for e in errors)
    assert [str(e) for e in errors] == [
        "top_paths: k must be an int, got 1.5 (float)",
        "n_samples must be an int, got 10.5 (float)",
        "nin must be an int, got 2.0 (float)",
    ]
    with pytest.raises(ValueError, match=r"^top_paths: k must be an int >= 1, got 0$"):
        top_paths(y, x, 0)
    with pytest.raises(ValueError, match=r"^n_samples must be an int >= 2, got 1$"):
        data.moons(1)


@pytest.mark.parametrize("package", ["pathgrad.autograd", "pathgrad.nn", "pathgrad.nn.matrix",
                                     "pathgrad.viz"])
def test_a_package_shows_what_users_call_and_nothing_else(package: str) -> None:
    import importlib
    import types

    module = importlib.import_module(package)
    public = {name for name, value in vars(module).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)
              and name not in ("annotations", "TYPE_CHECKING")}
    assert public <= set(module.__all__), "a public name the package does not export"
    assert all(hasattr(module, name) for name in module.__all__)
    internals = {"find_neurons", "op_text", "network_view", "pipe", "FORMATS", "ancestors",
                 "backward", "number_text", "positive_int", "math_namespace", "forward_sweep"}
    assert not internals & set(module.__all__)
