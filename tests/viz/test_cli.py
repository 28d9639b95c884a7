"""The ``pathgrad`` command: gradients against sympy and the engine, paths, pictures, and a list
of hostile inputs that must each fail fast, with the right exit code and message, writing nothing.

Most cases call ``main(argv)`` in this process (fast); a handful run the installed console
script (``.venv/bin/pathgrad``, next to ``sys.executable``) in a subprocess, as a user would.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy

from pathgrad.autograd import Value, contributions, grad, paths, toposort
from pathgrad.viz import cli
from pathgrad.viz.style import rate

SCRIPT = Path(sys.executable).with_name("pathgrad")
CHAIN = "C = (a - y)**2; a = sigmoid(z); z = w*a_prev + b"
AT = {"w": 0.8, "a_prev": 0.6, "b": -0.2, "y": 1.0}
AT_ARGS = [f"{k}={v!r}" for k, v in AT.items()]
ENV = {**os.environ, "MPLBACKEND": "Agg"}


def run_script(*args: str, stdin: str | None = None, cwd: Path | None = None
               ) -> subprocess.CompletedProcess[str]:
    """The installed command in a child; the 60 s guard only catches a hang (no time is
    asserted: timings live in benchmarks/)."""
    return subprocess.run([str(SCRIPT), *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=ENV, timeout=60)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def chain_values() -> dict[str, Value]:
    """The chain built directly with the engine (no parser)."""
    v = {k: Value(x, label=k) for k, x in AT.items()}
    z = v["w"] * v["a_prev"] + v["b"]
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    v["C"] = C = (a - v["y"]) ** 2
    C.label = "C"
    return v


def sympy_gradients() -> dict[str, float]:
    w, a_prev, b, y = sympy.symbols("w a_prev b y")
    C = (1 / (1 + sympy.exp(-(w * a_prev + b))) - y) ** 2
    at = {w: AT["w"], a_prev: AT["a_prev"], b: AT["b"], y: AT["y"]}
    return {str(s): float(sympy.diff(C, s).evalf(30, subs=at)) for s in (w, a_prev, b, y)}


# ---- what the commands compute --------------------------------------------------------------
def test_installed_script_gradient_of_the_chain_equals_engine_and_sympy() -> None:
    assert SCRIPT.exists(), f"no console script at {SCRIPT}: is the [project.scripts] entry there?"
    done = run_script("grad", CHAIN, "--at", *AT_ARGS, "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["outputs"] == ["C"]
    v = chain_values()
    names = ["w", "a_prev", "b", "y"]
    engine = dict(zip(names, grad(v["C"], [v[n] for n in names])))
    closed = sympy_gradients()
    for n in names:
        assert got["gradients"]["C"][n] == engine[n]  # the same ops in the same order
        assert got["gradients"]["C"][n] == pytest.approx(closed[n], rel=1e-12, abs=1e-15)
    assert got["values"]["C"] == v["C"].data
    assert got["values"]["z"] == pytest.approx(0.8 * 0.6 - 0.2)


def test_text_lists_each_definition_and_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "grad", CHAIN, "--at", *AT_ARGS, "--wrt", "w", "z")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:3] == ["z = w*a_prev + b = 0.28", "a = sigmoid(z) = 0.5695462239",
                         "C = (a - y)**2 = 0.1852904533"]
    closed = sympy_gradients()
    assert lines[3] == f"∂C/∂w = {closed['w']:.10g}"
    # ∂C/∂z: the gradient at a defined name, 2(a − y)·σ'(z)
    a = 1 / (1 + math.exp(-0.28))
    assert float(lines[4].split(" = ")[1]) == pytest.approx(2 * (a - 1) * a * (1 - a), rel=1e-9)


def test_several_outputs_each_get_their_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "grad", "u = x*y; v = x + y", "--at", "x=2", "y=3",
                                 "--json")
    assert code == 0, err
    assert json.loads(out)["gradients"] == {"u": {"x": 3.0, "y": 2.0}, "v": {"x": 1.0, "y": 1.0}}
    code, out, err = run_main(capsys, "grad", "u = x*y; v = x + y", "--at", "x=2", "y=3",
                                 "--of", "v", "--json")
    assert json.loads(out)["gradients"] == {"v": {"x": 1.0, "y": 1.0}}


def test_installed_script_paths_are_the_engines_text_and_sum_to_the_gradient() -> None:
    done = run_script("paths", CHAIN, "--at", *AT_ARGS, "--wrt", "w")
    assert done.returncode == 0, done.stderr
    v = chain_values()
    assert done.stdout == str(contributions(v["C"], v["w"], 10)) + "\n"
    [p] = paths(v["C"], v["w"])
    assert p.product == pytest.approx(sympy_gradients()["w"], rel=1e-12)
    assert done.stdout.startswith(f"∂C/∂w = {'−0.1266'}, the sum over 1 path")


def test_paths_of_a_diamond_sum_to_the_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    # y = x·x·x + 3x at x = 2: four paths (three x² = 4 and one 3), ∂y/∂x = 3x² + 3 = 15.
    expr = "y = x*x*x + 3*x"
    code, out, err = run_main(capsys, "paths", expr, "--at", "x=2")
    assert code == 0, err
    assert out.splitlines()[0] == "∂y/∂x = 15.00, the sum over 4 paths"
    products = [float(m) for m in re.findall(r"= (\d+\.\d+)   \(", out)]
    assert sorted(products) == [3.0, 4.0, 4.0, 4.0] and math.fsum(products) == 15.0
    code, out, err = run_main(capsys, "paths", expr, "--at", "x=2", "-k", "2")
    assert "the top 2 sum to 8.000" in out and out.count("∂y/∂x = x") == 2


# ---- pictures ---------------------------------------------------------------------------------
def _edge_labels(root: Value) -> set[str]:
    return {rate(g) for v in toposort(root) for g in v.local_grads}


def test_installed_script_draws_an_svg_with_names_and_rate_factors(tmp_path: Path) -> None:
    out = tmp_path / "chain.svg"
    done = run_script("draw", CHAIN, "--at", *AT_ARGS, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out}"
    svg = ET.parse(out).getroot()
    texts = {t.text.strip() for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.text}
    assert {"w", "a_prev", "b", "y", "z", "a", "C"} <= texts
    labels = _edge_labels(chain_values()["C"])
    assert {"0.6", "0.8", "-1", "0.2452"} <= labels
    assert labels <= texts, labels - texts


def test_draw_png_and_dot_with_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from PIL import Image

    png, dot = tmp_path / "chain.png", tmp_path / "chain.dot"
    for target in (png, dot):
        code, _, err = run_main(capsys, "draw", CHAIN, "--at", *AT_ARGS, "--wrt", "w",
                                   "-o", str(target))
        assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(png) as image:
        image.verify()
        assert image.size[0] > 300
    source = dot.read_text()
    for label in _edge_labels(chain_values()["C"]):
        assert f'label="{label}"' in source or f"label={label}" in source, label
    assert "= ∂C/∂w, the gradient" in source  # the legend of the highlighted path


def test_a_layout_that_takes_too_long_is_stopped_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Graphviz's layout cannot be interrupted; a render that never ends stands in for a graph
    # that takes minutes (the forked child that draws sees the patched function).
    import multiprocessing

    import pathgrad.viz

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork to hand the child the slow renderer")

    def slow(source: str, path: str) -> None:
        Path(path).write_text("half a picture")
        time.sleep(60)

    monkeypatch.setattr(pathgrad.viz, "render", slow)
    target = tmp_path / "chain.svg"
    target.write_text("the old picture")
    code, out, err = run_main(capsys, "draw", CHAIN, "--at", *AT_ARGS, "-o", str(target),
                                       "--timeout", "0.5")
    assert code == 1 and "took longer than 0.5 s" in err and out == ""  # the child was stopped
    assert [p.name for p in tmp_path.iterdir()] == ["chain.svg"]
    assert target.read_text() == "the old picture"


# ---- hostile and malformed input --------------------------------------------------------------
NESTED = "(" * 10_000 + "x" + ")" * 10_000
HUGE = "x+" * 500_000 + "x"  # 1 MB
HOSTILE = [
    # (argv after the command, exit code, what the first line of stderr says)
    (["__import__('os').system('touch pwned')"], 2, "unknown function '__import__'"),
    (["().__class__"], 2, "are not allowed"),
    (["x.data", "--at", "x=1"], 2, "attribute access ('.data') is not allowed"),
    (["lambda: 0"], 2, "lambdas are not allowed"),
    (["[x for x in y]"], 2, "comprehensions are not allowed"),
    (["'a'*9"], 2, "strings are not allowed"),
    ([NESTED, "--at", "x=1"], 2, "expression too long"),
    (["(" * 150 + "x" + ")" * 150, "--at", "x=1"], 2, "nested too deeply"),
    (["-" * 5_000 + "x", "--at", "x=1"], 2, "too large: more than 1,000"),
    ([HUGE, "--at", "x=1"], 2, "expression too long: 1,000,001 characters"),
    (["9**9**9"], 1, "math error: OverflowError: overflow in '**' at (9.0, 387420489.0)"),
    (["x = x + 1"], 2, "x is defined in terms of itself: x → x"),
    (["a = b + 1; b = c*2; c = a"], 2, "go round in a circle: a → b → c → a"),
    (["foo(x)", "--at", "x=1"], 2, "unknown function 'foo'"),
    (["tanh(x, y)", "--at", "x=1", "y=1"], 2, "tanh() takes exactly one argument"),
    (["w*x + b", "--at", "w=1"], 2, "missing values for x, b: add --at x=... b=..."),
    (["w*x", "--at", "w=nan", "x=1"], 2, "--at w=nan: 'nan' is not a finite number"),
    (["w*x", "--at", "w=abc", "x=1"], 2, "--at w=abc: 'abc' is not a number"),
    (["w*x", "--at", "w=1", "x=1", "--wrt", "q"], 2, "--wrt q: q is not a name in the expr"),
    (["w*x", "--at", "w=1", "x=1", "q=2"], 2, "--at q=2: q is not a name in the expression"),
    (["z = 2*x; z", "--at", "x=1", "z=2"], 2, "z is defined by the expression (z = 2*x)"),
    (["x ^ 2", "--at", "x=1"], 2, "the operator '^' is not allowed"),
    (["tanh(x=1)"], 2, "tanh() takes no keyword arguments"),
    (["x[0]", "--at", "x=1"], 2, "subscripts (x[...]) are not allowed"),
    (["import os"], 2, "import statements are not allowed"),
    (["x if x else x", "--at", "x=1"], 2, "if-expressions are not allowed"),
    (["w*x", "--at", "w=1e999", "x=1"], 2, "--at w=1e999: '1e999' is not a finite number"),
    (["1e999"], 2, "the number 1e999 is too large for a float"),
    (["x +", "--at", "x=1"], 2, "invalid syntax"),
    (["log(x)", "--at", "x=0"], 1, "math error: ValueError: math domain error in 'log'"),
    (["x/y", "--at", "x=1", "y=0"], 1, "math error: ZeroDivisionError: division by zero"),
    (["exp(x)*exp(x)", "--at", "x=400"], 1, "math error: OverflowError: overflow in '*'"),
]


def _ids() -> list[str]:
    return [(args[0][:24] + ("…" if len(args[0]) > 24 else "")) for args, _, _ in HOSTILE]


@pytest.mark.parametrize(("args", "code", "message"), HOSTILE, ids=_ids())
@pytest.mark.parametrize("command", ["grad", "draw", "explore"])
def test_hostile_input(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch, command: str, args: list[str], code: int,
                       message: str) -> None:
    monkeypatch.chdir(tmp_path)
    extra = {"draw": ["-o", str(tmp_path / "g.svg")], "explore": ["-o", str(tmp_path / "g.html")],
             }.get(command, [])
    got, out, err = run_main(capsys, command, *args, *extra)
    assert got == code, err
    first = err.splitlines()[0]
    assert first.startswith(f"pathgrad {command}: error: ") and message in first, err
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []  # no picture, no 'pwned'


def test_parse_errors_point_at_the_column(capsys: pytest.CaptureFixture[str]) -> None:
    for expr, column in [("x.data", 1), ("w*x + sinh(x)", 6), ("a = 1; b = a.real", 12),
                         ("σ = w*α + b[0]", 10), ("9**9**9", 1)]:
        code, _, err = run_main(capsys, "grad", expr)
        assert code == (1 if expr == "9**9**9" else 2)
        lines = err.splitlines()
        assert lines[1] == f"  {expr}" and lines[2] == "  " + " " * column + "^", (expr, err)


HOSTILE_SCRIPT = [
    (["grad", "__import__('os').system('touch pwned')"], None, 2, "unknown function"),
    (["draw", NESTED, "--at", "x=1", "-o", "g.png"], None, 2, "expression too long"),
    (["draw", "-", "--at", "x=1", "-o", "g.svg"], HUGE, 2, "expression too long"),
    (["draw", "9**9**9", "-o", "g.svg"], None, 1, "OverflowError: overflow in '**' at (9.0, "),
    (["grad", "w*x", "--at", "w=nan", "x=1"], None, 2, "'nan' is not a finite number"),
]


@pytest.mark.parametrize(("args", "stdin", "code", "message"), HOSTILE_SCRIPT,
                         ids=[a[1][:20] for a, *_ in HOSTILE_SCRIPT])
def test_installed_script_refuses_hostile_input_fast(tmp_path: Path,
                                                     args: list[str], stdin: str | None,
                                                     code: int, message: str) -> None:
    done = run_script(*args, stdin=stdin, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []
    # Unrefused, each of these runs for minutes (9**9**9 alone has 3.7e8 digits): the message
    # names the limit that refused it, and run_script's 60 s guard only catches a hang.


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for args, message in [
        ([], "COMMAND"),
        (["grad"], "the following arguments are required: EXPR"),
        (["draw", "x*2", "--at", "x=1", "-o", str(tmp_path / "g.jpg")], ".jpg is not a format"),
        (["draw", "x*2", "--at", "x=1", "-o", str(tmp_path / "no" / "g.svg")], "no directory"),
        (["draw", "u = x*y; v = x + y", "--at", "x=1", "y=2", "-o", str(tmp_path / "g.svg")],
         "pick one with --of"),
        (["paths", "x*2", "--at", "x=1", "-k", "0"], "expected a whole number >= 1"),
        (["demo", "nope"], "unknown demo 'nope'"),
    ]:
        code, _, err = run_main(capsys, *args)
        assert code == 2 and message in err and "Traceback" not in err, (args, err)
    assert list(tmp_path.iterdir()) == []


# ---- help, demos, the module entry point ------------------------------------------------------
def _examples(text: str) -> list[tuple[str, str]]:
    """The ``$ pathgrad ...`` lines of a help text, each with the output printed under it."""
    found = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  $ pathgrad "):
            out = []
            for following in lines[i + 1:]:
                if not following.startswith("  ") or following.startswith("  $"):
                    break
                out.append(following[2:])
            found.append((line[4:].split("  #")[0], "\n".join(out)))
    return found


@pytest.mark.parametrize("command", ["grad", "paths", "draw", "explore", "demo"])
def test_help_shows_a_worked_example(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run_main(capsys, command, "--help")
    assert code == 0
    assert _examples(out), out


@pytest.mark.parametrize("command", ["grad", "paths"])
def test_help_examples_print_what_they_show(capsys: pytest.CaptureFixture[str],
                                            command: str) -> None:
    _, text, _ = run_main(capsys, command, "--help")
    for line, expected in _examples(text):
        code, out, err = run_main(capsys, *shlex.split(line)[1:])
        assert code == 0, err
        assert out.rstrip("\n") == expected, line


def test_demo_lists_and_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from pathgrad.demos import DEMOS

    code, out, _ = run_main(capsys, "demo")
    assert code == 0 and all(name in out for name, _ in DEMOS)
    code, out, err = run_main(capsys, "demo", "chain", "--fast", "--out", str(tmp_path))
    assert code == 0, err
    assert "∂C" in out and any(tmp_path.iterdir())


def test_explore_writes_the_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "chain.html"
    code, out, err = run_main(capsys, "explore", CHAIN, "--at", *AT_ARGS, "--wrt", "w", "-o",
                                 str(page))
    assert code == 0, err
    assert out == f"wrote {page}\n"
    text = page.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html") and "<svg" in text
    assert "a_prev" in text and "σ'(z)" in text
    code, _, err = run_main(capsys, "explore", CHAIN, "--at", *AT_ARGS, "-o",
                               str(tmp_path / "chain.svg"))
    assert code == 2 and ".svg is not a format" in err
    assert [p.name for p in tmp_path.iterdir()] == ["chain.html"]


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run([sys.executable, "-m", "pathgrad.viz", "grad", "x*y", "--at", "x=2",
                           "y=3", "--wrt", "x"], capture_output=True, text=True, env=ENV,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "f = x*y = 6\n∂f/∂x = 3\n"


def test_draw_help_states_the_real_node_limit(capsys: pytest.CaptureFixture[str]) -> None:
    from pathgrad.viz import MAX_NODES

    _, out, _ = run_main(capsys, "draw", "--help")
    text = " ".join(out.split())
    assert f"(default {MAX_NODES}:" in text, text


def test_unknown_wrt_lists_only_the_names_written(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "grad", "w*x", "--at", "w=1", "x=2", "--wrt", "q")
    assert code == 2 and "(its names: w, x)" in err, err


def test_version_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "--version")
    assert code == 0 and err == ""
    assert re.fullmatch(r"pathgrad \S+\n", out), out
