"""The numba back end's source: one tape interpreter whose op branches the rows write.

``replay_numba`` runs a tape through an interpreter with a branch for each op it uses, compiled
once per op set (and cached on disk): a loop over instructions ``(op, out, a, b, ...)`` that
branches on ``op``, each branch a loop over a block of examples (or one example). Nothing here
restates an op. Each row's ``forward`` and ``partials`` are called on symbolic operands
(``symbolic``) in a scalar-math dialect: a function the row calls, ``m.exp``, is written
``f_exp(...)``, and the module defines ``f_exp`` from ``FLOAT_MATH``'s own: ``math.exp`` itself, a
helper of ``rules.HELPERS`` written out the same way, or a plain function's source (``xlogy``)
compiled as it is. A row registered at run time is one more branch of a new interpreter (its
source, so its cache key, changes).

Variable-arity rows run as folds of their smallest form (``FOLDS``): ``sum`` as
``acc = a₀; acc = acc + aₖ``, ``wsum`` as ``acc = b; acc = acc + wₖ·aₖ``, the eager order.

>>> m = Dialect()
>>> ROWS["sigmoid"].partials(m, m.sym("ov"), m.sym("x0"))[0].text
'f_dsigmoid(x0)'
>>> "def f_dsigmoid(x):" in functions_source(["dsigmoid"])
True
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import inspect
import math
import re
import textwrap
import types
from collections.abc import Iterable
from typing import Any

from ..rules import FLOAT_MATH, HELPERS, ROWS, Rule
from .symbolic import Sym, SymMath, literal, term

__all__ = [
    "FOLDS", "Dialect", "Unsupported", "functions_source", "kernel_source", "opcodes", "supported",
]

FOLDS = {"sum": (True, 1), "wsum": (False, 2)}
"""Variable-arity rows as folds: (accumulator first among the operands, operands per term).
``sum(a₀, a₁, …)``: the accumulator starts as a₀, one operand a term; ``wsum(w…, a…, b)``:
it starts as ``b`` (the last), a term is ``(wₖ, aₖ)`` (``k``-th of each half)."""


class Unsupported(ValueError):
    """A row the interpreter cannot run (an arity it has no branch for, a function it cannot
    compile); the numba back end refuses tapes that use it."""


class Dialect(SymMath):
    """``SymMath`` writing ``m.name(x)`` as ``f_name(x)`` and remembering each name used; a
    function that is one expression of its operands and no other function (``where``, and a
    helper built of it, ``relu``, ``step``, ``sign``) is written out in place instead, so numba
    has no function of its own to compile for it (a few tenths of a second each)."""

    def __init__(self) -> None:
        super().__init__()
        self.used: dict[str, None] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any) -> Sym:
            syms = [a if isinstance(a, Sym) else Sym(literal(float(a)), 80, 0, self)
                    for a in args]
            depth = 1 + max((s.depth for s in syms), default=0)
            written = _in_place(name, syms)
            if written is not None:
                return Sym(written, 100, depth, self)
            self.used[name] = None
            return Sym(f"f_{name}({', '.join(s.text for s in syms)})", 100, depth, self)

        return call


def _in_place(name: str, syms: list[Sym]) -> str | None:
    """``name`` on ``syms`` as one parenthesised expression calling no function, or None."""
    try:
        f = getattr(FLOAT_MATH, name)
    except AttributeError:
        return None
    if isinstance(f, functools.partial) and f.func in HELPERS.values():
        probe = Dialect()
        out = f.func(probe, *(Sym(s.text, s.prec, s.depth, probe) for s in syms))
        if probe.used or not isinstance(out, Sym):
            return None
        return out.text if out.prec == 100 else f"({out.text})"
    found = _expression(f) if isinstance(f, types.FunctionType) else None
    if found is None or len(found[0]) != len(syms):
        return None
    params, body = found
    env = {p: ast.parse(f"({s.text})", mode="eval").body for p, s in zip(params, syms)}

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.expr:
            return env.get(node.id, node)

    return f"({ast.unparse(Substitute().visit(copy.deepcopy(body)))})"


@functools.cache
def _expression(f: types.FunctionType) -> tuple[list[str], ast.expr] | None:
    """(parameters, the returned expression) of a function whose body is ``return <expr>`` of
    its parameters alone (no globals, no calls); else None."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (OSError, TypeError, SyntaxError):
        return None
    fn = tree.body[0] if tree.body else None
    if (not isinstance(fn, ast.FunctionDef) or len(fn.body) != 1
            or not isinstance(fn.body[0], ast.Return) or fn.body[0].value is None
            or fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs or fn.args.defaults):
        return None
    params, body = [a.arg for a in fn.args.args], fn.body[0].value
    nodes = list(ast.walk(body))
    if any(isinstance(n, ast.Call) for n in nodes) or not {
            n.id for n in nodes if isinstance(n, ast.Name)} <= set(params):
        return None
    return params, body


def _text(x: Any) -> str:
    return x.text if isinstance(x, Sym) else literal(float(x))


def _function(name: str, m: Dialect) -> str:
    """``f_name``'s definition from ``FLOAT_MATH.name`` (its helpers' names land in ``m``)."""
    try:
        f = getattr(FLOAT_MATH, name)
    except AttributeError as error:
        raise Unsupported(str(error)) from None
    if isinstance(f, functools.partial) and f.func in HELPERS.values():
        params = list(inspect.signature(f.func).parameters)[1:]
        body = _text(f.func(m, *(m.sym(p) for p in params)))
        return f"@_jit\ndef f_{name}({', '.join(params)}):\n    return {body}\n"
    if isinstance(f, types.BuiltinFunctionType):
        called: str = f.__name__
        for module, prefix in ((math, "math."), (builtins, "")):
            if getattr(module, called, None) is f:
                return f"f_{name} = {prefix}{called}\n"
    if isinstance(f, types.FunctionType) and f.__code__.co_freevars == ():
        source = textwrap.dedent(inspect.getsource(f))
        source = re.sub(rf"^def {re.escape(f.__name__)}\(", f"def f_{name}(", source, flags=re.M)
        return f"@_jit\n{source}"
    raise Unsupported(f"FLOAT_MATH.{name} ({f!r}) has no numba form: not a math or builtin "
                      "function, a rule helper or a plain Python function")


def functions_source(names: list[str]) -> str:
    """The definitions of ``f_name`` for ``names`` and every function their helpers call."""
    m = Dialect()
    m.used.update(dict.fromkeys(names))
    done: dict[str, str] = {}
    while len(done) < len(m.used):
        for name in [n for n in m.used if n not in done]:
            done[name] = _function(name, m)
    return "\n".join(done[n] for n in sorted(done))


def opcodes(ops: Iterable[str] | None = None) -> dict[str, int]:
    """The op code of each row of ``ops`` (default: every row) the interpreter runs (fixed
    arity: ≤ 2 Values, ≤ 1 constant; variable: ``FOLDS``), by name, in sorted order: the same
    op set always gets the same codes."""
    chosen = ROWS if ops is None else ops
    names = [name for name in sorted(chosen) if _shape(ROWS[name]) is not None]
    return {name: k for k, name in enumerate(names)}


def _shape(rule: Rule) -> tuple[int, int] | None:
    if rule.n_values is None:
        return (-1, 0) if rule.name in FOLDS else None
    if 1 <= rule.n_values <= 2 and rule.n_consts <= 1:
        return rule.n_values, rule.n_consts
    return None


def _fixed(rule: Rule, m: Dialect) -> tuple[list[str], list[str]]:
    """Forward and backward loop bodies of a fixed-arity row (operands ``x0``, ``x1``)."""
    n_values, n_consts = rule.n_values or 0, rule.n_consts
    xs = [m.sym(f"x{j}") for j in range(n_values)]
    cs = [m.sym("cst")] * n_consts
    loads = [f"x{j} = V[r{'ab'[j]}, i]" for j in range(n_values)]
    fwd = [*loads, f"V[o, i] = {_text(rule.forward(m, *xs, *cs))}"]
    rates = rule.partials(m, m.sym("ov"), *xs, *cs)
    bwd = [*loads, "ov = V[o, i]", "gi = G[go, i]"]
    bwd += [f"G[g{'ab'[j]}, i] += {term('gi', rate)}" for j, rate in enumerate(rates)]
    return fwd, bwd


def _fold(rule: Rule, m: Dialect) -> tuple[str, str, list[str]]:
    """The fold step of a variable-arity row, the adjoint term of the accumulator's start and
    those of the term's operands (no rate may read the accumulator)."""
    first, width = FOLDS[rule.name]
    acc, xs = m.sym("acc"), [m.sym(f"x{j}") for j in range(width)]
    operands = [acc, *xs] if first else [*xs, acc]
    step = _text(rule.forward(m, *operands))
    rates = list(rule.partials(m, m.sym("ov"), *operands))
    start = rates.pop(0 if first else width)
    if any(re.search(r"\bacc\b", _text(r)) for r in [start, *rates]):
        raise Unsupported(f"row {rule.name!r}: a rate reads the accumulator")
    return step, term("gi", start), [term("gi", r) for r in rates]


# The instruction table's columns (``replay_numba`` writes them, the interpreter reads them):
# op code, out (its V row), operand refs a and b (a V row, or -1 - k for scalar S[k]), constant
# index into C, the G rows of out / a / b, whether a / b's G row is zeroed first, the scalar
# a / b's adjoint is summed into (-1: none), whether backward visits the instruction. For a
# variable-arity row, a and b are the first row and the count of its operands in ``args``,
# whose columns are the ref, G row, zero flag and scalar index of each operand.
# A block of examples reads the same instructions through columns 13-16: the operands' value
# rows and adjoint rows there, a scalar's being a row of its own (filled with S[k] and summed
# into GS[k] once a block, ``scalars``).
OP, OUT, A, B, CI, GO, GA, GB, ZA, ZB, SA, SB, BACK, RA, RB, GA2, GB2 = range(17)
WIDTH = 17
REF, GROW, ZERO, SCALAR, VROW, GBLOCK = range(6)
ARGS_WIDTH = 6

_PRELUDE = '''\
# generated by pathgrad.autograd.compiler.numba_code: the numba back end's tape interpreter
from __future__ import annotations

import math

import numba

_jit = numba.njit(cache=CACHE, error_model="numpy", nogil=True)

'''

_RUNTIME = '''
@_jit
def _flipped(guards, C, S, V, n):
    for j in range(guards.shape[0]):
        cmp = guards[j, 0]
        want = guards[j, 5] == 1
        kx, ky = guards[j, 2], guards[j, 4]
        for i in range(n):
            x = V[kx, i] if guards[j, 1] == 0 else (S[kx] if guards[j, 1] == 1 else C[kx])
            y = V[ky, i] if guards[j, 3] == 0 else (S[ky] if guards[j, 3] == 1 else C[ky])
            if cmp == 0:
                r = x < y
            elif cmp == 1:
                r = x <= y
            elif cmp == 2:
                r = x > y
            else:
                r = x >= y
            if r != want:
                return True
    return False


@_jit
def _start(GS, X, with_grad, check):
    if with_grad:
        for k in range(GS.shape[0]):
            GS[k] = 0.0
    if check:
        total = 0.0
        for k in range(X.shape[0]):
            for i in range(X.shape[1]):
                total += X[k, i] * X[k, i]
        return total - total == 0.0
    return True


@_jit
def run1(code, args, guards, scalars, C, S, GS, X, inrow, out, V, G, root, groot, with_grad,
         check):
    """``runs`` on one example, through the one-example functions (compiled apart, on the
    first such call)."""
    if not _start(GS, X, with_grad, check):
        return 2, 0.0, 0.0
    for k in range(inrow.shape[0]):
        if inrow[k] >= 0:
            V[inrow[k], 0] = X[k, 0]
    _forward1(code, args, C, S, V)
    if _flipped(guards, C, S, V, 1):
        return 1, 0.0, 0.0
    out[0] = V[root, 0]
    sum_gs = 0.0
    if with_grad:
        G[groot, 0] = 1.0
        _backward1(code, args, C, S, GS, V, G)
        for k in range(GS.shape[0]):
            sum_gs += GS[k]
    return 0, out[0], sum_gs


@_jit
def runs(code, args, guards, scalars, C, S, GS, X, inrow, out, V, G, root, groot, with_grad,
         check):
    """Replay the tape over the batch X (inputs, examples) in blocks of V's width; gives
    (status, the outputs' sum, GS's sum): status 0, or 1 where a guard flips, 2 where an
    input is not finite (check). GS gets each scalar's adjoint summed over the batch."""
    if not _start(GS, X, with_grad, check):
        return 2, 0.0, 0.0
    B = X.shape[1]
    blk = V.shape[1]
    sum_out = 0.0
    for start in range(0, B, blk):
        n = min(blk, B - start)
        for k in range(inrow.shape[0]):
            r = inrow[k]
            if r >= 0:
                for i in range(n):
                    V[r, i] = X[k, start + i]
        for k in range(scalars.shape[0]):
            s = S[scalars[k, 2]]
            r = scalars[k, 0]
            g = scalars[k, 1]
            for i in range(n):
                V[r, i] = s
                G[g, i] = 0.0
        _forward(code, args, C, S, V, n)
        if _flipped(guards, C, S, V, n):
            return 1, 0.0, 0.0
        for i in range(n):
            out[start + i] = V[root, i]
            sum_out += V[root, i]
        if with_grad:
            for i in range(n):
                G[groot, i] = 1.0
            _backward(code, args, C, S, GS, V, G, n)
            for k in range(scalars.shape[0]):
                g = scalars[k, 1]
                total = 0.0
                for i in range(n):
                    total += G[g, i]
                GS[scalars[k, 2]] += total
    sum_gs = 0.0
    if with_grad:
        for k in range(GS.shape[0]):
            sum_gs += GS[k]
    return 0, sum_out, sum_gs
'''


def _begin(g: str, zero: str) -> list[str]:
    return [f"if {zero}:", "    for i in range(n):", f"        G[{g}, i] = 0.0"]


def _indent(lines: list[str], depth: int) -> list[str]:
    return ["    " * depth + line for line in lines]


def _fixed_branches(rule: Rule, m: Dialect) -> tuple[list[str], list[str]]:
    """A fixed-arity row on a block; backward assigns ``a``'s adjoint where it is the first
    contribution (no zeroing pass: the common case, a chain's every node)."""
    fwd, bwd = _fixed(rule, m)
    assign = [line.replace("G[ga, i] += ", "G[ga, i] = ") for line in bwd]
    return (["for i in range(n):", *_indent(fwd, 1)],
            ["if za:", "    for i in range(n):", *_indent(assign, 2),
             "else:", "    for i in range(n):", *_indent(bwd, 2)])


def _fold_branches(rule: Rule, m: Dialect) -> tuple[list[str], list[str]]:
    """A variable-arity row on a block, folded (``_fold``): operands' rows from ``args``."""
    first, width = FOLDS[rule.name]
    step, start_term, terms = _fold(rule, m)
    head = ["s0 = code[q, 2]", "cnt = code[q, 3]", f"h = (cnt - 1) // {width}",
            f"e = s0{'' if first else ' + cnt - 1'}", f"base = s0{' + 1' if first else ''}"]
    slots = [(f"x{j}", "ab"[j], f"base + {j} * h + j") for j in range(width)]
    rows = [f"r{s} = args[{at}, {VROW}]" for _, s, at in slots]
    loads = [f"{x} = V[r{s}, i]" for x, s, _ in slots]
    fwd = [*head, f"r = args[e, {VROW}]", "for i in range(n):",
           "    V[o, i] = V[r, i]", "for j in range(h):", *_indent(rows, 1),
           "    for i in range(n):", "        acc = V[o, i]", *_indent(loads, 2),
           f"        V[o, i] = {step}"]
    bwd = [*head, f"g = args[e, {GBLOCK}]", *_begin("g", "args[e, 2]"), "for i in range(n):",
           "    ov = V[o, i]", "    gi = G[go, i]", f"    G[g, i] += {start_term}",
           "for j in range(h):", *_indent(rows, 1)]
    for _, s, at in slots:
        bwd += [f"    g{s} = args[{at}, {GBLOCK}]", *_indent(_begin(f"g{s}", f"args[{at}, 2]"), 1)]
    bwd += ["    for i in range(n):", *_indent(loads, 2), "        ov = V[o, i]",
            "        gi = G[go, i]"]
    bwd += [f"        G[g{s}, i] += {t}" for (_, s, _), t in zip(slots, terms)]
    return fwd, bwd


def _value(target: str, ref: str) -> str:
    return f"{target} = V[{ref}, 0] if {ref} >= 0 else S[-1 - {ref}]"


def _put(t: str, g: str, zero: str, k: str) -> list[str]:
    """One example's adjoint term ``t`` into its row (assigned if first) or scalar."""
    return [f"if {k} >= 0:", f"    GS[{k}] += {t}", f"elif {zero}:", f"    G[{g}, 0] = {t}",
            "else:", f"    G[{g}, 0] += {t}"]


def _one_fixed(rule: Rule, m: Dialect) -> tuple[list[str], list[str]]:
    """A fixed-arity row on one example: forward, and the adjoint terms ``ta``, ``tb``."""
    n_values = rule.n_values or 0
    xs, cs = [m.sym(f"x{j}") for j in range(n_values)], [m.sym("cst")] * rule.n_consts
    terms = [term("gi", r) for r in rule.partials(m, m.sym("ov"), *xs, *cs)]
    return ([f"V[o, 0] = {_text(rule.forward(m, *xs, *cs))}"],
            [f"t{'ab'[j]} = {t}" for j, t in enumerate(terms)] + ["tb = 0.0"] * (n_values == 1))


def _one_fold(rule: Rule, m: Dialect) -> tuple[list[str], list[str]]:
    """A variable-arity row on one example, folded (see ``_fold``)."""
    first, width = FOLDS[rule.name]
    step, start_term, terms = _fold(rule, m)
    head = ["s0 = code[q, 2]", "cnt = code[q, 3]", f"h = (cnt - 1) // {width}",
            f"e = s0{'' if first else ' + cnt - 1'}", f"base = s0{' + 1' if first else ''}"]
    at = [f"base + {j} * h + j" for j in range(width)]
    loads = [_value(f"x{j}", f"args[{a}, 0]") for j, a in enumerate(at)]
    fwd = [*head, _value("acc", "args[e, 0]"), "for j in range(h):", *_indent(loads, 1),
           f"    acc = {step}", "V[o, 0] = acc"]
    bwd = [*head, f"t = {start_term}", *_put("t", "args[e, 1]", "args[e, 2]", "args[e, 3]"),
           "for j in range(h):", *_indent(loads, 1)]
    for j, a in enumerate(at):
        bwd += [f"    t = {terms[j]}",
                *_indent(_put("t", f"args[{a}, 1]", f"args[{a}, 2]", f"args[{a}, 3]"), 1)]
    return fwd, bwd


def _one_source(branches: list[tuple[int, list[str], list[str]]]) -> list[str]:
    """``_forward1``/``_backward1``: the tape on one example (column 0), no loops: scalars read
    from ``S``, adjoints assigned where first written, scalar adjoints straight into ``GS``."""
    operands = ["o = code[q, 1]", _value("x0", "code[q, 2]"), _value("x1", "code[q, 3]"),
                "cst = C[code[q, 4]]"]
    fwd = [(k, f) for k, f, _ in branches]
    bwd = [(k, b) for k, _, b in branches]
    return ["@_jit", "def _forward1(code, args, C, S, V):",
            "    for q in range(code.shape[0]):", "        op = code[q, 0]",
            *_indent(operands, 2), *_indent(_dispatch(fwd), 2), "", "",
            "@_jit", "def _backward1(code, args, C, S, GS, V, G):",
            "    for q in range(code.shape[0] - 1, -1, -1):",
            "        if code[q, 12] == 0:", "            continue", "        op = code[q, 0]",
            *_indent(operands, 2), "        ov = V[o, 0]", "        gi = G[code[q, 5], 0]",
            "        ta = 0.0", "        tb = 0.0",
            *_indent(_dispatch(bwd), 2),
            *_indent(_put("ta", "code[q, 6]", "code[q, 8]", "code[q, 10]"), 2),
            *_indent(_put("tb", "code[q, 7]", "code[q, 9]", "code[q, 11]"), 2)]


def _dispatch(branches: list[tuple[int, list[str]]]) -> list[str]:
    """``if op == k:`` branches as a balanced tree of comparisons (a few tests per op)."""
    if not branches:
        return ["pass"]
    if len(branches) == 1:
        return branches[0][1]
    mid = len(branches) // 2
    return [f"if op < {branches[mid][0]}:", *_indent(_dispatch(branches[:mid]), 1),
            "else:", *_indent(_dispatch(branches[mid:]), 1)]


def kernel_source(cache: bool, ops: Iterable[str] | None = None) -> tuple[str, dict[str, int]]:
    """The interpreter's module source (numba's disk cache on or off) with branches for the rows
    of ``ops`` only (default: every row; numba compiles each branch, so a tape's interpreter
    holds its own ops'), and the op codes."""
    codes = opcodes(ops)
    m = Dialect()
    fwd: list[tuple[int, list[str]]] = []
    bwd: list[tuple[int, list[str]]] = []
    skipped = []
    one: list[tuple[int, list[str], list[str]]] = []
    for name, k in codes.items():
        rule = ROWS[name]
        try:
            own = Dialect()  # the functions this row calls, each with a numba form
            (_fold_branches if rule.n_values is None else _fixed_branches)(rule, own)
            functions_source(list(own.used))
            f, b = (_fold_branches if rule.n_values is None else _fixed_branches)(rule, m)
            one.append((k, *(_one_fold if rule.n_values is None else _one_fixed)(rule, m)))
        except Unsupported:
            skipped.append(name)
            continue
        fwd.append((k, f))
        bwd.append((k, b))
    functions = functions_source(list(m.used))
    operands = ["o = code[q, 1]", "ra = code[q, 13]", "rb = code[q, 14]", "cst = C[code[q, 4]]"]
    forward = ["@_jit", "def _forward(code, args, C, S, V, n):",
               "    for q in range(code.shape[0]):", "        op = code[q, 0]",
               *_indent(operands, 2), *_indent(_dispatch(fwd), 2)]
    backward = ["@_jit", "def _backward(code, args, C, S, GS, V, G, n):",
                "    for q in range(code.shape[0] - 1, -1, -1):",
                "        if code[q, 12] == 0:", "            continue", "        op = code[q, 0]",
                *_indent(operands, 2), "        go = code[q, 5]", "        ga = code[q, 15]",
                "        gb = code[q, 16]", "        za = code[q, 8]",
                *_indent(_begin("gb", "code[q, 9]"), 2), *_indent(_dispatch(bwd), 2)]
    text = (_PRELUDE.replace("CACHE", repr(cache)) + functions + "\n\n" + "\n".join(forward)
            + "\n\n\n" + "\n".join(backward) + "\n\n\n" + "\n".join(_one_source(one))
            + "\n\n" + _RUNTIME)
    return text, {name: k for name, k in codes.items() if name not in skipped}


_SUPPORTED: dict[Any, frozenset[str]] = {}


def supported() -> frozenset[str]:
    """The ops the interpreter for the rows registered now has branches for (its source is
    written, not compiled, to find out)."""
    key = tuple((name, id(rule)) for name, rule in ROWS.items())
    if key not in _SUPPORTED:
        try:
            _SUPPORTED[key] = frozenset(kernel_source(cache=True)[1])
        except Unsupported:
            _SUPPORTED[key] = frozenset()
    return _SUPPORTED[key]
