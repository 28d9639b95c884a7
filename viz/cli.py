"""``pathgrad`` on the command line: an expression in, its value, gradients, paths and pictures out.

``pathgrad grad|paths|draw|explore|sheet EXPR --at NAME=NUMBER ...`` and ``pathgrad demo [NAME]``
(also ``python -m pathgrad.viz``). Expressions are read by ``pathgrad.viz.expr`` (Python's
``ast`` and an allow-list, never ``eval``). Exit codes: 0 done; 2 a usage or parse error
(argparse's convention), a count over its documented limit (``-k``) or an ``-o`` target the
safe writer refuses (a FIFO, a device, a read-only file); 1 a math error from the engine
(domain, overflow, division by zero) or a picture that cannot be made in time. No traceback
reaches the user, and a failed command writes no file.

>>> main(["grad", "tanh(w*x + b)", "--at", "w=0.5", "x=1", "b=0", "--wrt", "w"])
f = tanh(w*x + b) = 0.4621171573
∂f/∂w = 0.786447733
0
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pathgrad.autograd._files import check_target, write_atomic
from pathgrad.autograd.paths import MAX_TOP_PATHS
from pathgrad.viz.expr import (
    MAX_LENGTH,
    EvaluationError,
    Expression,
    ExpressionError,
    parse,
)

from .dot import MAX_NODES
from .paths import MAX_DRAWN_PATHS

if TYPE_CHECKING:
    from pathgrad.autograd import Value

__all__ = ["main"]

PROG = "pathgrad"
CHAIN = "C = (a - y)**2; a = sigmoid(z); z = w*a_prev + b"
CHAIN_AT = "w=0.8 a_prev=0.6 b=-0.2 y=1"

EXAMPLES = {
    "grad": f"""\
example (3Blue1Brown's chain, one neuron per layer):
  $ pathgrad grad "{CHAIN}" --at {CHAIN_AT}
  z = w*a_prev + b = 0.28
  a = sigmoid(z) = 0.5695462239
  C = (a - y)**2 = 0.1852904533
  ∂C/∂y = 0.8609075521
  ∂C/∂w = -0.1266377736
  ∂C/∂a_prev = -0.1688503648
  ∂C/∂b = -0.211062956

--wrt picks the gradients (inputs or defined names: --wrt z gives ∂C/∂z); --json prints
{{"values": {{name: value}}, "outputs": [name], "gradients": {{output: {{name: gradient}}}}}}
with every digit.""",
    "paths": f"""\
examples: each gradient is the sum over paths of the products of rate factors (Nielsen's eq. 53)
  $ pathgrad paths "{CHAIN}" --at {CHAIN_AT} --wrt w
  ∂C/∂w = −0.1266, the sum over 1 path
  all sum to −0.1266, 100.0% of the gradient, 100.0% of Σ|products| = 0.1266
    1. ∂C/∂w = a_prev · σ'(z) · 2(a−y) = 0.60 · 0.25 · (−0.86) = −0.13   (100.0%)

  $ pathgrad paths "y = x*x + 3*x" --at x=2 --wrt x -k 2
  ∂y/∂x = 7.000, the sum over 3 paths
  the top 2 sum to 5.000, 71.4% of the gradient, 71.4% of Σ|products| = 7.000
    1. ∂y/∂x = 3 = 3.0   (42.9%)
    2. ∂y/∂x = x = 2.0   (28.6%)""",
    "draw": f"""\
examples:
  $ pathgrad draw "{CHAIN}" --at {CHAIN_AT} -o chain.svg
  wrote chain.svg
  $ pathgrad draw "{CHAIN}" --at {CHAIN_AT} --wrt w -o chain_w.png
  wrote chain_w.png

  Every value shows its data and grad, every edge its rate factor ∂child/∂operand; with --wrt
  the top -k paths from that name are coloured and a legend adds their products up to the
  gradient. The extension picks the format: .svg .png .pdf .dot (.gv).""",
    "explore": f"""\
example:
  $ pathgrad explore "{CHAIN}" --at {CHAIN_AT} --wrt w -o chain.html
  wrote chain.html

One self-contained page (no server, no network): click a node and its paths to the output light
up with their factors and products; Step / Back / Play replay the reverse sweep. --wrt selects a
name when the page opens.""",
    "sheet": f"""\
examples:
  $ pathgrad sheet "{CHAIN}" --at {CHAIN_AT} -o chain.xlsx
  wrote chain.xlsx
  $ pathgrad sheet "{CHAIN}" --at {CHAIN_AT} --exercise -o homework.xlsx
  wrote homework.xlsx

A workbook (Excel, LibreOffice) whose every value, rate factor and gradient is a formula: change
an input's cell and everything downstream recomputes. A paths sheet writes each gradient (of
--wrt, default every input) as a sum of products of rate factors. --exercise leaves the grads
empty (--exercise rates: the rate factors too) with checks that turn green when right.""",
    "demo": """\
examples:
  $ pathgrad demo                 # lists the walk-throughs
  $ pathgrad demo chain --fast    # runs one; its pictures go to out/""",
}


class _Failure(Exception):
    """A command that cannot go on: the message for stderr and the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if "required: EXPR" in message:
            # --at/--wrt/--of take every word after them, the expression too when it comes last
            message += f" (it goes right after the command: {self.prog} EXPR --at ...)"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


class _Version(argparse.Action):
    # The version is looked up only when asked for: importlib.metadata costs a noticeable
    # part of the start-up time of every other command.
    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            text = version("pathgrad")
        except PackageNotFoundError:  # a source tree that was never installed
            text = "(not installed)"
        print(f"pathgrad {text}")  # on stdout, as --help and every other tool's --version
        parser.exit(0)


# ---- the command line -----------------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {k}")
    return k


def _count(limit: int) -> Any:
    """An argparse type: a whole number from 1 to ``limit`` (a documented limit, named)."""

    def parse(text: str) -> int:
        k = _positive(text)
        if k > limit:
            raise argparse.ArgumentTypeError(f"at most {limit:,} (the documented limit), "
                                             f"got {k:,}")
        return k

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0.0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _output_args(command: argparse.ArgumentParser, what: str) -> None:
    """``-o FILE`` and ``--timeout`` for a command that lays out a picture."""
    command.add_argument("-o", "--output", required=True, metavar="FILE", help=what)
    command.add_argument("--timeout", type=_seconds, default=60.0, metavar="SECONDS",
                         help="stop the layout after this long (default 60)")


def _expression_args(parser: argparse.ArgumentParser, wrt_help: str) -> None:
    parser.add_argument("expr", metavar="EXPR",
                        help="numbers, names, + - * / **, unary minus, parentheses and "
                        "tanh exp log sqrt sigmoid relu softplus sin cos abs; several "
                        "definitions separated by ';' in any order; '-' reads it from stdin")
    parser.add_argument("--at", nargs="+", action="extend", default=[], metavar="NAME=NUMBER",
                        help="the value of each input")
    parser.add_argument("--wrt", nargs="+", action="extend", default=[], metavar="NAME",
                        help=wrt_help)
    parser.add_argument("--of", nargs="+", action="extend", default=[], metavar="NAME",
                        help="which names are outputs (default: the defined names nothing "
                        "else uses)")


def build_parser() -> argparse.ArgumentParser:
    """The ``pathgrad`` parser and its commands."""
    top = _Parser(
        prog=PROG,
        description="An expression in; its value, gradients, derivative paths and "
        "pictures out. Each gradient is the sum over paths of products of rate factors.",
        epilog="Run 'pathgrad COMMAND --help' for a worked example of each command.",
    )
    top.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, summary: str, usage: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=summary, epilog=EXAMPLES[name],
            usage=f"{PROG} {name} {usage}", formatter_class=argparse.RawDescriptionHelpFormatter)

    _add_math_commands(add)
    _add_page_commands(add)
    return top


_Add = Callable[[str, str, str], argparse.ArgumentParser]
_VALUES = "EXPR --at NAME=NUMBER ... [--wrt NAME ...] [--of NAME ...]"


def _add_math_commands(add: _Add) -> None:
    """grad, paths and draw: numbers and pictures of one expression."""
    values = _VALUES
    grad = add("grad", "the value of each definition and the gradient of each output",
               f"{values} [--json]")
    _expression_args(grad, "gradients with respect to these names (default: every input)")
    grad.add_argument("--json", action="store_true", help="print JSON instead of text")

    paths = add("paths", "each derivative path's rate factors and product, and their sum "
                "(the gradient)", f"{values} [-k K]")
    _expression_args(paths, "the paths from these names (default: every input)")
    paths.add_argument("-k", type=_count(MAX_TOP_PATHS), default=10, metavar="K",
                       help="show the K paths with the largest |product| (default 10, at most "
                       f"{MAX_TOP_PATHS:,})")

    draw = add("draw", "the graph with every edge's rate factor; with --wrt, the top paths",
               f"{values} [-k K] [--max-nodes N] [--timeout S] -o FILE")
    _expression_args(draw, "highlight the top paths from this name, with their legend")
    _output_args(draw, "the picture: .svg, .png, .pdf or .dot")
    draw.add_argument("-k", type=_count(MAX_DRAWN_PATHS), default=3, metavar="K",
                      help="with --wrt, how many paths to highlight (default 3, at most "
                      f"{MAX_DRAWN_PATHS}: one colour each)")
    draw.add_argument("--max-nodes", type=_positive, default=None, metavar="N",
                      help=f"refuse graphs of more than N values (default {MAX_NODES}: beyond that "
                      "a picture is unreadable and slow to lay out)")


def _add_page_commands(add: _Add) -> None:
    """explore, sheet, playground and demo: pages, workbooks and walk-throughs."""
    values = _VALUES
    explore = add("explore", "the explorer page: click a node, its paths light up",
                  f"{values} [--timeout S] -o FILE")
    _expression_args(explore, "the name selected when the page opens (its paths lit)")
    _output_args(explore, "the page (.html)")

    sheet = add("sheet", "the graph as a live spreadsheet: every value, rate factor and gradient "
                "a formula", f"{values} [--exercise [grads|rates]] -o FILE")
    _expression_args(sheet, "the paths sheet writes these gradients as sums over paths "
                     "(default: every input)")
    sheet.add_argument("-o", "--output", required=True, metavar="FILE", help="the workbook (.xlsx)")
    sheet.add_argument("--exercise", nargs="?", const="grads", choices=["grads", "rates"],
                       help="leave the grads (and with 'rates' the rate factors) for a student")

    from . import playground_cli  # the playground command's arguments live with it

    EXAMPLES.setdefault("playground", playground_cli.EXAMPLES)
    playground_cli.add_arguments(add("playground", "train a model in a page: the decision "
                                     "boundary, any point's graph, every step replayable",
                                     playground_cli.USAGE))

    demo = add("demo", "run one walk-through of the source texts, or list them",
               "[NAME] [--fast] [--out DIR]")
    demo.add_argument("name", nargs="?", metavar="NAME", help="which demo (default: list them)")
    demo.add_argument("--fast", action="store_true", help="smaller sizes, fewer epochs")
    demo.add_argument("--out", default="out", metavar="DIR",
                      help="where the pictures go (default: out)")


# ---- reading the expression and its values --------------------------------------------------
def _assignment(item: str) -> tuple[str, float]:
    name, eq, text = item.partition("=")
    name, text = name.strip(), text.strip()
    if not eq or not name:
        raise _Failure(f"--at {item}: expected NAME=NUMBER, as in --at w=0.5", 2)
    try:
        value = float(text)
    except ValueError:
        raise _Failure(f"--at {item}: {text!r} is not a number", 2) from None
    if not math.isfinite(value):
        raise _Failure(f"--at {item}: {text!r} is not a finite number (the engine refuses nan "
                       "and inf)", 2)
    return name, value


def _read(args: argparse.Namespace) -> tuple[Expression, dict[str, Value]]:
    """Parse EXPR, check --at, --wrt and --of against its names, evaluate it."""
    if args.expr == "-":
        args.expr = _stdin_expression()
    expr = parse(args.expr)
    values: dict[str, float] = {}
    args.wrt = [expr.spelled(n) for n in args.wrt]  # H names the ℌ the text writes
    args.of = [expr.spelled(n) for n in args.of]
    for item in args.at:
        name, value = _assignment(item)
        name = expr.spelled(name)
        if name in values:
            raise _Failure(f"--at {item}: {name} is given twice", 2)
        if name not in expr.inputs:
            if name in expr.defined:
                raise _Failure(f"--at {item}: {name} is defined by the expression ({name} = "
                               f"{expr.text_of(name)}); only inputs take values", 2)
            have = ", ".join(expr.inputs) or "none"
            raise _Failure(f"--at {item}: {name} is not a name in the expression "
                           f"(its inputs: {have})", 2)
        values[name] = value
    missing = [n for n in expr.inputs if n not in values]
    if missing:
        hint = " ".join(f"{n}=..." for n in missing)
        noun = "value" if len(missing) == 1 else "values"
        raise _Failure(f"missing {noun} for {', '.join(missing)}: add --at {hint}", 2)
    for option, names in (("--wrt", args.wrt), ("--of", args.of)):
        for name in names:
            if name not in expr.names:
                raise _Failure(f"{option} {name}: {name} is not a name in the expression "
                               f"(its names: {', '.join(expr.written)})", 2)
    if args.of:
        expr = parse(args.expr, outputs=list(dict.fromkeys(args.of)))
    return expr, expr.evaluate(values)


def _stdin_expression() -> str:
    # Read no more than the limit (and one character to know it is exceeded): a huge or endless
    # stdin gives the length error at once.
    chunks: list[str] = []
    size = 0
    while size <= MAX_LENGTH:
        chunk = sys.stdin.read(MAX_LENGTH + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_LENGTH:
        raise ExpressionError(f"expression too long: more than {MAX_LENGTH:,} characters on stdin "
                              f"(the limit is {MAX_LENGTH:,})")
    return "".join(chunks).strip()


def _wrt(args: argparse.Namespace, expr: Expression) -> list[str]:
    return list(dict.fromkeys(args.wrt)) or list(expr.inputs)


def _single_output(expr: Expression, command: str) -> str:
    if len(expr.outputs) != 1:
        raise _Failure(f"{command} shows one output; pick one with --of "
                       f"(outputs: {', '.join(expr.outputs)})", 2)
    return expr.outputs[0]


def _fmt(x: float) -> str:
    return f"{x:.10g}"


# ---- the commands ---------------------------------------------------------------------------
def _grad(args: argparse.Namespace) -> None:
    from pathgrad.autograd import grad

    expr, env = _read(args)
    names = _wrt(args, expr)
    gradients: dict[str, dict[str, float]] = {}
    for out in expr.outputs:
        result = grad(env[out], [env[n] for n in names])
        gradients[out] = dict(zip(names, result))
    if args.json:
        print(json.dumps({"values": {n: env[n].data for n in expr.names},
                          "outputs": list(expr.outputs), "gradients": gradients}, indent=2))
        return
    for name in expr.defined:
        print(f"{name} = {expr.text_of(name)} = {_fmt(env[name].data)}")
    for out in expr.outputs:
        if out not in expr.defined:
            print(f"{out} = {_fmt(env[out].data)}")
        for name, g in gradients[out].items():
            print(f"∂{out}/∂{name} = {_fmt(g)}")


def _paths(args: argparse.Namespace) -> None:
    from pathgrad.autograd import contributions

    expr, env = _read(args)
    blocks = [str(contributions(env[out], env[name], args.k))
              for out in expr.outputs for name in _wrt(args, expr)]
    print("\n\n".join(blocks))


def _check_target(path: str, extensions: Sequence[str]) -> Path:
    target = Path(path)
    ext = target.suffix.lower().lstrip(".")
    if ext not in extensions:
        shown = target.suffix or "no extension"
        allowed = " ".join(f".{e}" for e in extensions)
        raise _Failure(f"-o {path}: {shown} is not a format pathgrad writes ({allowed})", 2)
    if not target.parent.is_dir():
        raise _Failure(f"-o {path}: there is no directory {str(target.parent)!r}", 2)
    _file_check(check_target, target)  # a FIFO, a device, a read-only file: refused before work
    return target


def _file_check(check: Any, target: Path, *data: bytes) -> None:
    """``check(target, *data, "-o")`` (the safe writer's check or write); a refused target is a
    file error, exit 2, with the writer's message."""
    try:
        check(target, *data, "-o")
    except (OSError, ValueError) as error:
        raise _Failure(str(error), 2) from None


def _draw(args: argparse.Namespace) -> None:
    from pathgrad.autograd import toposort
    from pathgrad.viz.rendering import FORMATS

    target = _check_target(args.output, sorted(FORMATS))
    expr, env = _read(args)
    out = _single_output(expr, "draw")
    if len(set(args.wrt)) > 1:
        raise _Failure("draw highlights the paths from one name: give --wrt once", 2)
    root = env[out]
    limit = args.max_nodes or MAX_NODES
    size = len(toposort(root))
    if size > limit:
        raise _Failure(f"the graph has {size:,} values, more than {limit:,}: a picture that size "
                       "is unreadable and slow to lay out (--max-nodes raises the limit)", 2)
    root.backward()
    wrt = env[args.wrt[0]] if args.wrt else None
    # the paths are found in the timed child too: they can take long (issue 27)
    _write_in_time(_draw_file, (root, wrt, args.k), target, args.timeout, "picture")
    print(f"wrote {target}")


def _draw_file(path: str, root: Value, wrt: Value | None, k: int) -> None:
    from pathgrad.viz import draw_dot, draw_paths, render

    if wrt is not None:
        render(draw_paths(root, wrt, k, max_nodes=None), path)
    else:
        render(draw_dot(root, max_nodes=None), path)


def _explore_file(path: str, root: Value, wrt: Value | None, title: str) -> None:
    from pathgrad.viz import explore

    explore(root, path, wrt=wrt, title=title)


def _run_child(job: Any, args: tuple[Any, ...], report: Any) -> None:
    # In the child process: do the job, send back None or the error's message (no traceback).
    try:
        job(*args)
        report.send(None)
    except Exception as error:
        report.send(f"{type(error).__name__}: {error}")


def _write_in_time(job: Any, args: tuple[Any, ...], target: Path, seconds: float,
                   what: str) -> None:
    """Run ``job(path, *args)`` in a child process stopped after ``seconds``; it writes into a
    fresh directory beside ``target`` and the finished file goes into place through the safe
    writer (``autograd._files.write_atomic``: a symlink followed, a FIFO, device or read-only
    file refused with exit 2).

    Graphviz's layout runs in C and cannot be interrupted; some graphs of a few hundred values
    take minutes. A stopped or failed job leaves no file behind (an existing target untouched).
    """
    import multiprocessing
    import shutil
    import tempfile

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context: Any = multiprocessing.get_context(method)
    work = Path(tempfile.mkdtemp(prefix=".pathgrad-", dir=target.parent))
    staged = work / target.name
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_child, args=(job, (str(staged), *args), send),
                            daemon=True)
    sys.stdout.flush()  # a forked child flushes what it inherited: nothing may be pending
    sys.stderr.flush()
    try:
        child.start()
        send.close()
        child.join(seconds)
        if child.is_alive():
            raise _Failure(f"laying out the {what} took longer than {seconds:g} s; try a "
                           "smaller expression, or give --timeout more seconds", 1)
        error = receive.recv() if receive.poll() else f"it stopped (exit code {child.exitcode})"
        if error is not None:
            raise _Failure(f"cannot make the {what}: {error}", 1)
        _file_check(write_atomic, target, staged.read_bytes())
    finally:
        if child.is_alive():
            child.kill()
            child.join()
        receive.close()
        shutil.rmtree(work, ignore_errors=True)


def _explore(args: argparse.Namespace) -> None:
    target = _check_target(args.output, ["html", "htm"])
    expr, env = _read(args)
    out = _single_output(expr, "explore")
    if len(set(args.wrt)) > 1:
        raise _Failure("the page opens on one name: give --wrt once", 2)
    root = env[out]
    root.backward()
    wrt = env[args.wrt[0]] if args.wrt else None
    title = "; ".join(f"{n} = {expr.text_of(n)}" for n in reversed(expr.defined))
    _write_in_time(_explore_file, (root, wrt, title), target, args.timeout, "page")
    print(f"wrote {target}")


def _sheet(args: argparse.Namespace) -> None:
    from pathgrad.viz import spreadsheet

    target = _check_target(args.output, ["xlsx"])
    expr, env = _read(args)
    root = env[_single_output(expr, "sheet")]
    wrt = [env[n] for n in dict.fromkeys(args.wrt)] if args.wrt else None
    spreadsheet(root, target, wrt=wrt, exercise=args.exercise or False)
    print(f"wrote {target}")


def _demo(args: argparse.Namespace) -> None:
    import importlib

    from pathgrad.demos import DEMOS, missing_requirement

    names = [n for n, _ in DEMOS]
    if args.name is None:
        width = max(len(n) for n in names)
        print("pathgrad's walk-throughs of the source texts (run one: pathgrad demo NAME):")
        for name, what in DEMOS:
            how = missing_requirement(name)
            print(f"  {name:<{width}}  {what}" + (f" (needs {how})" if how else ""))
        return
    if args.name not in names:
        raise _Failure(f"unknown demo {args.name!r}; the demos are: {', '.join(names)}", 2)
    how = missing_requirement(args.name)
    if how is not None:
        raise _Failure(f"the {args.name} demo needs {how}", 1)
    if not Path(args.out).parent.is_dir():
        raise _Failure(f"--out {args.out}: there is no directory {str(Path(args.out).parent)!r}",
                       2)
    module = importlib.import_module(f"pathgrad.demos.{args.name}")
    module.main(fast=args.fast, out_dir=args.out)


def _protect_expressions(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """argparse reads every word that starts with '-' as an option, so ``pathgrad grad "-x*2"``
    would be refused: such a word that is none of the command's options gets a leading space,
    which makes it a positional argument (and ``parse`` strips it)."""
    if not argv or argv[0] not in ("grad", "paths", "draw", "explore", "sheet"):
        return argv
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    actions = sub.choices[argv[0]]._option_string_actions  # option string -> its action
    valued = [o for o, a in actions.items() if len(o) == 2 and a.nargs != 0]  # -k3, -ofile
    out = [argv[0]]
    for i, word in enumerate(argv[1:], 1):
        if word == "--":
            return out + argv[i:]
        option = (
            not word.startswith("-") or word == "-" or word in actions
            or (word.startswith("--") and any(o.startswith(word.split("=")[0]) for o in actions))
            or any(word.startswith(o) for o in valued)
        )
        out.append(word if option else " " + word)
    return out


def _playground(args: argparse.Namespace) -> None:
    from . import playground_cli

    _check_target(args.output, ["html", "htm"])
    try:
        written = playground_cli.run(args)
    except (TypeError, ValueError) as error:  # the data, model or settings do not fit
        raise _Failure(str(error), 2) from None
    print(f"wrote {written}")


COMMANDS = {"grad": _grad, "paths": _paths, "draw": _draw, "explore": _explore, "sheet": _sheet,
            "demo": _demo, "playground": _playground}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``pathgrad`` command; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    prog = PROG
    try:
        words = list(sys.argv[1:] if argv is None else argv)
        args = parser.parse_args(_protect_expressions(parser, words))
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        prog = f"{PROG} {args.command}"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            COMMANDS[args.command](args)
        for w in caught:
            print(f"{prog}: note: {w.message}", file=sys.stderr)
        return 0
    except SystemExit as done:  # argparse: --help, --version, usage errors
        return done.code if isinstance(done.code, int) else 2
    except _Failure as failure:
        return _fail(prog, str(failure), failure.code)
    except ExpressionError as error:
        return _fail(prog, str(error), 2)
    except EvaluationError as error:
        return _fail(prog, f"math error: {error}", 1)
    except (ArithmeticError, ValueError) as error:  # e.g. a gradient that overflows a float
        return _fail(prog, f"math error: {type(error).__name__}: {error}", 1)
    except BrokenPipeError:
        raise  # the reader of our output left: console() ends quietly
    except OSError as error:
        return _fail(prog, f"cannot write: {error}", 1)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug of ours: still no traceback on the user's screen
        return _fail(prog, f"internal error ({type(error).__name__}: {error}); please report "
                     "it with the command that caused it", 1)


def _fail(prog: str, message: str, code: int) -> int:
    try:
        print(f"{prog}: error: {message}", file=sys.stderr)
    except OSError:
        pass
    return code


def console() -> None:
    """The ``pathgrad`` console script: ``main`` on ``sys.argv``, its code as exit status."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `pathgrad paths ... | head`: the reader left, nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    sys.exit(code)
