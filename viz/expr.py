"""Expressions as text, made into ``Value`` graphs safely: what the ``pathgrad`` command reads.

``parse(text)`` reads numbers, names, ``+ - * / **``, unary minus, parentheses and calls of the
engine's functions (``FUNCTIONS``); several definitions may be given, separated by ``;`` or new
lines and in any order (``"C = (a - y)**2; a = sigmoid(z); z = w*a_prev + b"``). The text is
parsed by Python's ``ast`` and every node is checked against an allow-list; nothing is ever
passed to ``eval`` or ``exec``, and nothing is computed while parsing (no constant folding:
``9**9**9`` reaches the engine, which names the overflow). Anything else — attributes,
subscripts, strings, lambdas, comprehensions, keywords, unknown functions, cycles among the
definitions — raises ``ExpressionError``, whose message echoes the line with a caret under the
offending column. Limits on length (``MAX_LENGTH``), nesting (``MAX_DEPTH``) and size
(``MAX_OPERATIONS``) are checked on the raw text before Python's parser sees it, so hostile
input gives an error at once, never a ``RecursionError`` or a hang.

``Expression.evaluate(values)`` builds the graph with the engine's own ops: each input becomes a
leaf ``Value`` labelled with its name, each defined name labels its node, an unnamed
expression is called ``f``. A math error from the engine (domain, overflow, division by zero)
comes out as ``EvaluationError``, which keeps the engine's exception and points at the op.

>>> e = parse("C = (a - y)**2; a = sigmoid(z); z = w*a_prev + b")
>>> e.inputs, e.outputs
(('y', 'w', 'a_prev', 'b'), ('C',))
>>> v = e.evaluate({"w": 0.8, "a_prev": 0.31, "b": 0.1, "y": 1.0})
>>> round(v["C"].data, 4), v["z"].label
(0.1713, 'z')
>>> parse("x.data")
Traceback (most recent call last):
...
pathgrad.viz.expr.ExpressionError: attribute access ('.data') is not allowed
  x.data
   ^
"""

from __future__ import annotations

import ast
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pathgrad.autograd.notation import notation_of
from pathgrad.autograd.rules import ROWS
from pathgrad.autograd.value import Value

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_OPERATIONS",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "parse",
]

MAX_LENGTH = 10_000
"""Characters in an expression; a slide's formula is a few dozen."""
MAX_DEPTH = 100
"""Levels of nested parentheses and calls."""
MAX_OPERATIONS = 1_000
"""Operators, calls and definitions together: bounds the size and the depth of the tree."""

class _Functions(Mapping[str, Callable[[Value], Value]]):
    """The functions an expression may call: each unary row of the rule table that is written as
    a function (not an operator such as ``neg``), by the row's name, as its ``Value`` method.
    Read from ``ROWS`` on each use, so a row added by ``rules.register`` is callable at once."""

    def _names(self) -> list[str]:
        return [r.name for r in ROWS.values()
                if r.n_values == 1 and r.n_consts == 0 and notation_of(r.name).atomic]

    def __getitem__(self, name: str) -> Callable[[Value], Value]:
        if name not in self._names():
            raise KeyError(name)
        method: Callable[[Value], Value] = getattr(Value, name)
        return method

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


FUNCTIONS: Mapping[str, Callable[[Value], Value]] = _Functions()
"""The functions an expression may call, each the engine's op of that name (one argument)."""

_BINARY: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Pow: ("**", operator.pow),
}

# What each refused construct is called in the error message.
_REFUSED: dict[type, str] = {
    ast.Subscript: "subscripts (x[...])",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' and 'or'",
    ast.IfExp: "if-expressions",
    ast.NamedExpr: "':=' assignments",
    ast.JoinedStr: "strings",
    ast.Starred: "'*' unpackings",
    ast.Await: "await expressions",
    ast.Yield: "yield expressions",
    ast.YieldFrom: "yield expressions",
    ast.Slice: "slices",
}

_UNNAMED = ("f", "g", "h", "out", "output")
_OPERATION = re.compile(r"\*\*|[-+*/%@=,(\[{<>&|^~;]")


class ExpressionError(ValueError):
    """An expression that cannot be read: the problem, then the line with a caret under it."""

    def __init__(self, problem: str, line: str = "", column: int | None = None) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        super().__init__(problem + _pointer(line, column))


class EvaluationError(ArithmeticError):
    """The engine refused an op (domain, overflow, division by zero): ``error`` is its own
    exception, ``str()`` its message with the line and a caret under the op."""

    def __init__(self, error: Exception, line: str = "", column: int | None = None) -> None:
        self.error = error
        self.line = line
        self.column = column
        super().__init__(f"{type(error).__name__}: {error}" + _pointer(line, column))


def _pointer(line: str, column: int | None) -> str:
    """``line`` on a line of its own and a caret under ``column`` (long lines are cut)."""
    if not line:
        return ""
    if column is None:
        column = -1
    width = 76
    start = 0
    if len(line) > width:
        start = max(0, min(column - width // 2, len(line) - width))
    shown = line[start : start + width]
    if start:
        shown = "…" + shown[1:]
    if start + width < len(line):
        shown = shown[:-1] + "…"
    shown = "".join(c if c.isprintable() else "?" for c in shown)
    text = f"\n  {shown}"
    if column >= 0:
        text += "\n  " + " " * (column - start) + "^"
    return text


@dataclass(frozen=True)
class _Where:
    """A position in the text: its line (the text of it) and the column, in characters."""

    line: str
    column: int


@dataclass(frozen=True)
class Expression:
    """A parsed expression: definitions by name, the order to evaluate them, inputs, outputs.

    ``inputs`` are the names without a definition (each needs a value), in the order they
    first appear; ``outputs`` the defined names no other definition uses (or the ``names``
    chosen with ``parse(..., outputs=...)``); ``defined`` every defined name, each after the
    names it uses.
    """

    source: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    defined: tuple[str, ...]
    _trees: Mapping[str, ast.expr]
    _lines: tuple[str, ...]
    made_up: str | None = None
    """The name given to an expression written without one (``f`` for ``w*x``), else None."""
    spelling: Mapping[str, str] = field(default_factory=dict)
    """Python reads names in NFKC form (``ℌ`` is ``H``): each such form's first spelling in
    the text, which is how the names are reported."""

    def spelled(self, name: str) -> str:
        """``name`` as the text spells it, if it writes it another way Python reads the same.

        >>> parse("ℌ*2").inputs, parse("ℌ*2").spelled("H")
        (('ℌ',), 'ℌ')
        """
        return self.spelling.get(unicodedata.normalize("NFKC", name), name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name: the inputs, then the defined names."""
        return self.inputs + self.defined

    @property
    def written(self) -> tuple[str, ...]:
        """The names the text itself writes (``names`` without a made-up output name).

        >>> parse("w*x").written, parse("w*x").names
        (('w', 'x'), ('w', 'x', 'f'))
        """
        return tuple(n for n in self.names if n != self.made_up)

    def text_of(self, name: str) -> str:
        """The source text of a definition: ``text_of("z") == "w*a_prev + b"``."""
        tree = self._trees[name]
        return ast.get_source_segment("\n".join(self._lines), tree) or name

    def evaluate(self, values: Mapping[str, float]) -> dict[str, Value]:
        """A ``Value`` for every name, the inputs as leaves from ``values``.

        Raises ``ExpressionError`` naming missing or unknown inputs, ``EvaluationError`` where
        the engine refuses an op.
        """
        missing = [n for n in self.inputs if n not in values]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)}")
        unknown = [n for n in values if n not in self.inputs]
        if unknown:
            defined = [n for n in unknown if n in self._trees]
            if defined:
                n = defined[0]
                raise ExpressionError(
                    f"{n} is defined by the expression ({n} = {self.text_of(n)}), so it takes no "
                    "value of its own")
            have = ", ".join(self.inputs) or "none"
            raise ExpressionError(
                f"{', '.join(unknown)}: not a name in the expression (its inputs: {have})")
        env: dict[str, Value] = {}
        for name in self.inputs:
            env[name] = Value(values[name], label=name)
        for name in self.defined:
            result = self._evaluate_tree(self._trees[name], env)
            if not isinstance(result, Value):  # a definition that is a plain number: a leaf
                result = Value(result)
            if not result.label:
                result.label = name
            env[name] = result
        return env

    def _where(self, node: ast.AST) -> _Where:
        return _where(self._lines, node)

    def _op_column(self, node: ast.BinOp) -> _Where:
        # The AST keeps where the operands are, not the operator: it is the first character
        # after the left operand (and its closing parentheses) that is not a space.
        left = _where(self._lines, node.left, end=True)
        line = left.line
        col = left.column
        while col < len(line) and line[col] in " \t)":
            col += 1
        return _Where(line, col)

    def _evaluate_tree(self, tree: ast.expr, env: Mapping[str, Value]) -> Value | float:
        # Post-order with an explicit stack: a node is pushed, then its operands; it is
        # computed when it comes back to the top with its operands' results ready.
        results: dict[int, Value | float] = {}
        stack: list[tuple[ast.expr, bool]] = [(tree, False)]
        while stack:
            node, ready = stack.pop()
            if not ready:
                stack.append((node, True))
                for child in _operands(node):
                    stack.append((child, False))
                continue
            try:
                results[id(node)] = self._compute(node, results, env)
            except (ArithmeticError, ValueError) as error:
                if isinstance(error, (ExpressionError, EvaluationError)):
                    raise
                where = self._op_column(node) if isinstance(node, ast.BinOp) else self._where(node)
                raise EvaluationError(error, where.line, where.column) from None
            for child in _operands(node):
                del results[id(child)]
        return results[id(tree)]

    def _compute(self, node: ast.expr, results: Mapping[int, Value | float],
                 env: Mapping[str, Value]) -> Value | float:
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # parse() refused every other constant
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            x = results[id(node.operand)]
            return -x if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.BinOp):
            left, right = results[id(node.left)], results[id(node.right)]
            if not isinstance(left, Value) and not isinstance(right, Value):
                # Two plain numbers: the left one becomes a node, so the engine computes (and
                # checks) the op instead of Python folding it.
                left = Value(left)
            result: Value = _BINARY[type(node.op)][1](left, right)
            return result
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            (arg,) = node.args
            x = results[id(arg)]
            return FUNCTIONS[node.func.id](x if isinstance(x, Value) else Value(x))
        raise AssertionError(f"unchecked node {type(node).__name__}")  # parse() refused it


def _operands(node: ast.expr) -> tuple[ast.expr, ...]:
    if isinstance(node, ast.BinOp):
        return (node.left, node.right)
    if isinstance(node, ast.UnaryOp):
        return (node.operand,)
    if isinstance(node, ast.Call):
        return tuple(node.args)
    return ()


def _where(lines: tuple[str, ...], node: ast.AST, end: bool = False) -> _Where:
    lineno = getattr(node, "end_lineno" if end else "lineno", None) or 1
    offset = getattr(node, "end_col_offset" if end else "col_offset", None) or 0
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    # ast counts columns in UTF-8 bytes; the caret goes under characters (names may be σ, α).
    column = len(line.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
    return _Where(line, column)


def _prescan(lines: list[str]) -> None:
    """The limits, checked on the raw text: Python's parser recurses, so a text too deep or
    too large must never reach it."""
    total = sum(len(line) + 1 for line in lines) - 1
    if total > MAX_LENGTH:
        raise ExpressionError(
            f"expression too long: {total:,} characters (the limit is {MAX_LENGTH:,})")
    depth = 0
    operations = 0
    for line in lines:
        for col, c in enumerate(line):
            if c in "([{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ExpressionError(
                        f"expression nested too deeply: more than {MAX_DEPTH} levels of "
                        "parentheses", line, col)
            elif c in ")]}":
                depth = max(depth - 1, 0)
        for match in _OPERATION.finditer(line):
            operations += 1
            if operations > MAX_OPERATIONS:
                raise ExpressionError(
                    f"expression too large: more than {MAX_OPERATIONS:,} operators, calls and "
                    "definitions", line, match.start())


def _syntax_error(error: SyntaxError, lines: list[str]) -> ExpressionError:
    lineno = error.lineno or 1
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    column = (error.offset or 1) - 1 if line else None
    message = error.msg
    if message == "invalid syntax":
        message = "not an expression pathgrad can read (invalid syntax)"
    return ExpressionError(message, line, column)


_Problem = tuple[int, int, str, _Where]  # (line, column, message, where)


def _refusal(node: ast.AST, lines: tuple[str, ...]) -> tuple[str, _Where] | None:
    """Why ``node`` is not allowed (and where to point), or None when it is fine."""
    if isinstance(node, ast.BinOp):
        return None if type(node.op) in _BINARY else _operator_refusal(node, lines)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            return None
        return "only unary minus and plus are allowed", _where(lines, node)
    if isinstance(node, ast.Constant):
        problem = _constant_problem(node, lines)
        return None if problem is None else (problem, _where(lines, node))
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            return f"the name {node.id!r} is not allowed (names may not start with __)", \
                _where(lines, node)
        if node.id in FUNCTIONS:
            return f"{node.id} is a function: call it, as in {node.id}(x)", _where(lines, node)
        return None
    if isinstance(node, ast.Call):
        return _call_refusal(node, lines)
    if isinstance(node, ast.Attribute):
        return f"attribute access ('.{node.attr}') is not allowed", _after(lines, node.value)
    what = _REFUSED.get(type(node), f"'{type(node).__name__}' expressions")
    return f"{what} are not allowed", _where(lines, node)


def _after(lines: tuple[str, ...], node: ast.AST) -> _Where:
    """The first column after ``node`` and any closing parentheses: where an operator is."""
    end = _where(lines, node, end=True)
    col = end.column
    while col < len(end.line) and end.line[col] in " \t)":
        col += 1
    return _Where(end.line, col)


def _operator_refusal(node: ast.BinOp, lines: tuple[str, ...]) -> tuple[str, _Where]:
    symbol = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitAnd: "&",
              ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
    text = symbol.get(type(node.op), type(node.op).__name__)
    hint = " (for a power write **)" if text == "^" else ""
    return (f"the operator {text!r} is not allowed; use + - * / **{hint}",
            _after(lines, node.left))


def _constant_problem(node: ast.Constant, lines: tuple[str, ...]) -> str | None:
    value = node.value
    if isinstance(value, bool) or value is None or value is Ellipsis:
        return f"{value!r} is not a number"
    if isinstance(value, (str, bytes)):
        return "strings are not allowed"
    if isinstance(value, complex):
        return "complex numbers are not allowed"
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        text = ast.get_source_segment("\n".join(lines), node) or repr(value)
        return f"the number {text[:40]} is too large for a float"
    return None


def _call_refusal(node: ast.Call, lines: tuple[str, ...]) -> tuple[str, _Where] | None:
    func = node.func
    if not isinstance(func, ast.Name):
        return None  # the callee itself is checked (an attribute, a lambda, ...)
    if func.id not in FUNCTIONS:
        known = " ".join(FUNCTIONS)
        return f"unknown function {func.id!r}; the functions are: {known}", _where(lines, func)
    if node.keywords:
        return f"{func.id}() takes no keyword arguments", _where(lines, node.keywords[0])
    if len(node.args) != 1:
        return f"{func.id}() takes exactly one argument, got {len(node.args)}", \
            _where(lines, node)
    return None


def _check_tree(tree: ast.expr, lines: tuple[str, ...]) -> list[_Problem]:
    """Every refused node under ``tree`` as (line, column, message, where)."""
    problems = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        problem = _refusal(node, lines)
        if problem is not None:
            message, where = problem
            problems.append((getattr(node, "lineno", 0), where.column, message, where))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            stack.extend(node.args)  # the callee's name was checked with the call
            stack.extend(k.value for k in node.keywords)
        else:
            stack.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr))
    return problems


def _dependencies(tree: ast.expr) -> list[ast.Name]:
    """The names ``tree`` uses, callees left out, in the order they are written."""
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in callees]
    return sorted(names, key=lambda n: (n.lineno, n.col_offset))


def parse(text: str, outputs: list[str] | tuple[str, ...] | None = None) -> Expression:
    """Read ``text`` into an ``Expression``; ``ExpressionError`` says what is wrong and where.

    ``outputs`` picks the names that count as outputs (default: the defined names nothing else
    uses, and the unnamed expression if there is one).

    >>> parse("tanh(w*x + b)").inputs
    ('w', 'x', 'b')
    >>> parse("x = x + 1")
    Traceback (most recent call last):
    ...
    pathgrad.viz.expr.ExpressionError: x is defined in terms of itself: x → x
      x = x + 1
          ^
    """
    if not isinstance(text, str):
        raise TypeError(f"parse needs a str, got {type(text).__name__}")
    module, frozen = _read(text)
    spelling = _respell(module, frozen)
    trees, targets, unnamed = _definitions(module, frozen)
    made_up = None
    if unnamed is not None:
        used = {n.id for tree in trees.values() for n in _dependencies(tree)}
        used |= {n.id for n in _dependencies(unnamed)}
        made_up = next((n for n in _UNNAMED if n not in trees and n not in used), "output_")
        trees[made_up] = unnamed

    uses = {name: _dependencies(tree) for name, tree in trees.items()}
    order = _definition_order(trees, uses, frozen, targets)
    inputs = _inputs(trees)
    used_names = {n.id for deps in uses.values() for n in deps}
    roots = tuple(n for n in trees if n not in used_names)
    if outputs is not None:
        known = set(trees) | set(inputs)
        for name in outputs:
            if name not in known:
                raise ExpressionError(
                    f"{name}: not a name in the expression (its names: "
                    f"{', '.join(n for n in [*inputs, *order] if n != made_up)})")
        roots = tuple(outputs)
    return Expression("\n".join(frozen), inputs, roots, tuple(order), trees, frozen, made_up,
                      spelling)


def _respell(module: ast.Module, lines: tuple[str, ...]) -> dict[str, str]:
    """Give each name (callees aside) the spelling the text first writes it in: Python's
    parser hands back NFKC forms (``ℌ`` as ``H``), and messages, labels and outputs should say
    what the user typed. Returns NFKC form -> spelling."""
    callees = {id(n.func) for n in ast.walk(module) if isinstance(n, ast.Call)}
    names = sorted((n for n in ast.walk(module)
                    if isinstance(n, ast.Name) and id(n) not in callees),
                   key=lambda n: (n.lineno, n.col_offset))
    spelling: dict[str, str] = {}
    for n in names:
        line = lines[n.lineno - 1].encode("utf-8")  # the offsets count UTF-8 bytes
        written = line[n.col_offset:n.end_col_offset or n.col_offset].decode("utf-8", "replace")
        same = written.isidentifier() and unicodedata.normalize("NFKC", written) == n.id
        n.id = spelling.setdefault(n.id, written if same else n.id)
    return spelling


def _read(text: str) -> tuple[ast.Module, tuple[str, ...]]:
    """The text's lines (stripped, checked against the limits) and Python's tree of them."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    _prescan(lines)
    source = "\n".join(lines)
    if not source.strip(" \n;"):
        raise ExpressionError("empty expression")
    try:
        module = ast.parse(source, mode="exec")
    except SyntaxError as error:
        raise _syntax_error(error, lines) from None
    except (RecursionError, MemoryError):  # the prescan's limits should make this unreachable
        raise ExpressionError("expression nested too deeply") from None
    except ValueError as error:  # null bytes, an integer of more than 4,300 digits
        raise ExpressionError(f"cannot read the expression: {error}") from None
    return module, tuple(lines)


def _definitions(
    module: ast.Module, lines: tuple[str, ...]
) -> tuple[dict[str, ast.expr], dict[str, ast.Name], ast.expr | None]:
    """Each defined name's tree and target, and the unnamed expression (if any); the first of
    all the problems found, by position, as an ``ExpressionError`` naming how many more."""
    trees: dict[str, ast.expr] = {}
    targets: dict[str, ast.Name] = {}
    unnamed: ast.expr | None = None
    problems: list[_Problem] = []
    for statement in module.body:
        where = _where(lines, statement)
        problem = _statement_problem(statement, trees, unnamed is not None)
        if problem is not None:
            problems.append((statement.lineno, where.column, problem, where))
            continue
        if isinstance(statement, ast.Expr):
            unnamed = statement.value
        else:
            assert isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name)
            target = statement.targets[0]
            trees[target.id], targets[target.id] = statement.value, target
        problems += _check_tree(statement.value, lines)
    if problems:
        _, _, message, where = min(problems, key=lambda p: (p[0], p[1]))
        more = len(problems) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ExpressionError(message, where.line, where.column)
    return trees, targets, unnamed


def _statement_problem(
    statement: ast.stmt, trees: Mapping[str, ast.expr], have_unnamed: bool
) -> str | None:
    """Why a statement is not a definition or the one unnamed expression, else None."""
    if isinstance(statement, ast.Expr):
        return "only one output may go unnamed; name this one (y = ...)" if have_unnamed else None
    if not isinstance(statement, ast.Assign):
        kind = {ast.AugAssign: "augmented assignments (+= ...)", ast.AnnAssign: "annotations",
                ast.Import: "import statements", ast.ImportFrom: "import statements"}.get(
                    type(statement), f"'{type(statement).__name__}' statements")
        return f"{kind} are not allowed"
    target = statement.targets[0]
    if len(statement.targets) != 1 or not isinstance(target, ast.Name):
        return "a definition gives one name a value: name = expression"
    name = target.id
    if name.startswith("__") or name in FUNCTIONS:
        why = "a function" if name in FUNCTIONS else "not allowed (it starts with __)"
        return f"the name {name!r} is {why}; pick another name"
    if name in trees:
        return f"{name} is defined twice"
    return None


def _inputs(trees: Mapping[str, ast.expr]) -> tuple[str, ...]:
    """The names used but not defined, in the order of their first use in the text."""
    seen: dict[str, tuple[int, int]] = {}
    for tree in trees.values():
        for n in _dependencies(tree):
            if n.id not in trees:
                pos = (n.lineno, n.col_offset)
                if n.id not in seen or pos < seen[n.id]:
                    seen[n.id] = pos
    return tuple(sorted(seen, key=seen.__getitem__))


def _definition_order(trees: Mapping[str, ast.expr], uses: Mapping[str, list[ast.Name]],
                      lines: tuple[str, ...], targets: Mapping[str, ast.Name]) -> list[str]:
    """The defined names, each after the ones it uses; a cycle is an ``ExpressionError``."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    for start in trees:
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            name, i = stack[-1]
            deps = [n for n in uses[name] if n.id in trees]
            if i < len(deps):
                stack[-1] = (name, i + 1)
                nxt = deps[i].id
                if state.get(nxt) == 1:
                    walk = [n for n, _ in stack]
                    cycle = [*walk[walk.index(nxt):], nxt]
                    if len(cycle) == 2:
                        where = _where(lines, deps[i])
                        raise ExpressionError(
                            f"{nxt} is defined in terms of itself: {nxt} → {nxt}",
                            where.line, where.column)
                    where = _where(lines, targets[nxt]) if nxt in targets else _where(
                        lines, deps[i])
                    raise ExpressionError(
                        "the definitions go round in a circle: " + " → ".join(cycle),
                        where.line, where.column)
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                stack.pop()
                state[name] = 2
                order.append(name)
    return order
