"""The numba back end's source: one tape interpreter whose op branches the rows write.

``replay_numba`` runs every tape through one interpreter compiled once per process (and cached on
disk): a loop over instructions ``(op, out, a, b, ...)`` that branches on ``op``, each branch a
loop over a block of examples. Nothing here restates an op. Each row's ``forward`` and
``partials`` are called on symbolic operands (``symbolic``) in a scalar-math dialect: a
function the row calls, ``m.exp``, is written ``f_exp(...)``, and the module defines ``f_exp``
from ``FLOAT_MATH``'s own: ``math.exp`` itself, a helper of ``rules.HELPERS`` written out the
same way, or a plain function's source (``xlogy``) compiled as it is. A row registered at run
time is one more branch of a new interpreter (its source, so its cache key, changes).

Variable-arity rows run as folds of their smallest form (``FOLDS``): ``sum`` as
``acc = a₀; acc = acc + aₖ``, ``wsum`` as ``acc = b; acc = acc + wₖ·aₖ``, the eager order.

>>> m = Dialect()
>>> ROWS["sigmoid"].partials(m, m.sym("ov"), m.sym("x0"))[0].text
'f_dsigmoid(x0)'
>>> "def f_dsigmoid(x):" in functions_source(["dsigmoid"])
True
"""

from __future__ import annotations

import builtins
import functools
import inspect
import math
import re
import textwrap
import types
from typing import Any

from ..rules import FLOAT_MATH, HELPERS, ROWS, Rule
from .symbolic import Sym, SymMath, literal, term

__all__ = ["FOLDS", "Dialect", "Unsupported", "functions_source", "kernel_source", "opcodes"]

FOLDS = {"sum": (True, 1), "wsum": (False, 2)}
"""Variable-arity rows as folds: (accumulator first among the operands, operands per term).
``sum(a₀, a₁, …)``: the accumulator starts as a₀, one operand a term; ``wsum(w…, a…, b)``:
it starts as ``b`` (the last), a term is ``(wₖ, aₖ)`` (``k``-th of each half)."""


class Unsupported(ValueError):
    """A row the interpreter cannot run (an arity it has no branch for, a function it cannot
    compile); the numba back end refuses tapes that use it."""


class Dialect(SymMath):
    """``SymMath`` writing ``m.name(x)`` as ``f_name(x)`` and remembering each name used."""

    def __init__(self) -> None:
        super().__init__()
        self.used: dict[str, None] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self.used[name] = None

        def call(*args: Any) -> Sym:
            syms = [a if isinstance(a, Sym) else Sym(literal(float(a)), 80, 0, self)
                    for a in args]
            depth = 1 + max((s.depth for s in syms), default=0)
            return Sym(f"f_{name}({', '.join(s.text for s in syms)})", 100, depth, self)

        return call


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
        return f"@_inline\ndef f_{name}({', '.join(params)}):\n    return {body}\n"
    if isinstance(f, types.BuiltinFunctionType):
        for module, prefix in ((math, "math."), (builtins, "")):
            if getattr(module, f.__name__, None) is f:
                return f"f_{name} = {prefix}{f.__name__}\n"
    if isinstance(f, types.FunctionType) and f.__code__.co_freevars == ():
        source = textwrap.dedent(inspect.getsource(f))
        source = re.sub(rf"^def {re.escape(f.__name__)}\(", f"def f_{name}(", source, flags=re.M)
        return f"@_inline\n{source}"
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


def opcodes() -> dict[str, int]:
    """The op code of each row the interpreter runs (fixed arity: ≤ 2 Values, ≤ 1 constant;
    variable: ``FOLDS``), by name, in a fixed order."""
    import os
    only = os.environ.get("PG_ONLY")
    names = [name for name in sorted(ROWS) if _shape(ROWS[name]) is not None
             and (not only or name in only.split(","))]
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
OP, OUT, A, B, CI, GO, GA, GB, ZA, ZB, SA, SB, BACK = range(13)
WIDTH = 13
REF, GROW, ZERO, SCALAR = range(4)

_PRELUDE = '''\
# generated by pathgrad.autograd.compiler.numba_code: the numba back end's tape interpreter
from __future__ import annotations

import math

import numba

_jit = numba.njit(cache=CACHE, error_model="numpy", nogil=True)
_inline = numba.njit(cache=CACHE, error_model="numpy", nogil=True, inline="always")

'''

_RUNTIME = '''
@_inline
def _side(kind, k, C, S, V, i):
    if kind == 0:
        return V[k, i]
    if kind == 1:
        return S[k]
    return C[k]


@_jit
def _flipped(guards, C, S, V, n):
    for j in range(guards.shape[0]):
        cmp = guards[j, 0]
        want = guards[j, 5] == 1
        for i in range(n):
            x = _side(guards[j, 1], guards[j, 2], C, S, V, i)
            y = _side(guards[j, 3], guards[j, 4], C, S, V, i)
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
def run(code, args, guards, C, S, GS, X, inrow, out, V, G, root, groot, with_grad, check):
    """Replay the tape over the batch X (inputs, examples) in blocks of V's width; gives
    (status, the outputs' sum): status 0, or 1 where a guard flips, 2 where an input is not
    finite (check). GS is zeroed first, then gets each scalar's adjoint summed over the batch."""
    B = X.shape[1]
    if with_grad:
        for k in range(GS.shape[0]):
            GS[k] = 0.0
    if check:
        total = 0.0
        for k in range(X.shape[0]):
            for i in range(B):
                total += X[k, i] * X[k, i]
        if not total - total == 0.0:
            return 2, 0.0
    blk = V.shape[1]
    sum_out = 0.0
    for start in range(0, B, blk):
        n = min(blk, B - start)
        for k in range(inrow.shape[0]):
            r = inrow[k]
            if r >= 0:
                for i in range(n):
                    V[r, i] = X[k, start + i]
        _forward(code, args, C, S, V, n)
        if _flipped(guards, C, S, V, n):
            return 1, 0.0
        for i in range(n):
            out[start + i] = V[root, i]
            sum_out += V[root, i]
        if with_grad:
            for i in range(n):
                G[groot, i] = 1.0
            _backward(code, args, C, S, GS, V, G, n)
    return 0, sum_out
'''


def _row(target: str, ref: str, scratch: str) -> list[str]:
    """``target`` = the value row of operand ``ref``: a scalar is first copied into the
    ``scratch`` row (written inline: numba's calls cost more than an instruction's work)."""
    return [f"{target} = {ref}", f"if {target} < 0:", f"    s = S[-1 - {target}]",
            "    for i in range(n):", f"        V[{scratch}, i] = s", f"    {target} = {scratch}"]


def _begin(g: str, zero: str) -> list[str]:
    return [f"if {zero}:", "    for i in range(n):", f"        G[{g}, i] = 0.0"]


def _end(g: str, k: str) -> list[str]:
    """A scalar operand's adjoint, summed over the block into ``GS``."""
    return [f"if {k} >= 0:", "    total = 0.0", "    for i in range(n):",
            f"        total += G[{g}, i]", f"    GS[{k}] += total"]


def _indent(lines: list[str], depth: int) -> list[str]:
    return ["    " * depth + line for line in lines]


def _fixed_branches(rule: Rule, m: Dialect) -> tuple[list[str], list[str]]:
    fwd, bwd = _fixed(rule, m)
    return (["for i in range(n):", *_indent(fwd, 1)], ["for i in range(n):", *_indent(bwd, 1)])


def _fold_branches(rule: Rule, m: Dialect) -> tuple[list[str], list[str]]:
    first, width = FOLDS[rule.name]
    step, start_term, terms = _fold(rule, m)
    head = ["s0 = code[q, 2]", "cnt = code[q, 3]", f"h = (cnt - 1) // {width}",
            f"e = s0{'' if first else ' + cnt - 1'}", f"base = s0{' + 1' if first else ''}"]
    slots = [(f"x{j}", "ab"[j], f"V{'AB'[j]}", f"base + {j} * h + j") for j in range(width)]
    rows = [line for _, s, scratch, at in slots for line in _row(f"r{s}", f"args[{at}, 0]", scratch)]
    loads = [f"{x} = V[r{s}, i]" for x, s, _, _ in slots]
    fwd = [*head, *_row("r", "args[e, 0]", "VA"), "for i in range(n):",
           "    V[o, i] = V[r, i]", "for j in range(h):", *_indent(rows, 1),
           "    for i in range(n):", "        acc = V[o, i]", *_indent(loads, 2),
           f"        V[o, i] = {step}"]
    bwd = [*head, "g = args[e, 1]", *_begin("g", "args[e, 2]"), "for i in range(n):",
           "    ov = V[o, i]", "    gi = G[go, i]", f"    G[g, i] += {start_term}",
           *_end("g", "args[e, 3]"), "for j in range(h):", *_indent(rows, 1)]
    for x, s, _, at in slots:
        bwd += [f"    g{s} = args[{at}, 1]", *_indent(_begin(f"g{s}", f"args[{at}, 2]"), 1)]
    bwd += ["    for i in range(n):", *_indent(loads, 2), "        ov = V[o, i]",
            "        gi = G[go, i]"]
    bwd += [f"        G[g{s}, i] += {t}" for (_, s, _, _), t in zip(slots, terms)]
    for _, s, _, at in slots:
        bwd += _indent(_end(f"g{s}", f"args[{at}, 3]"), 1)
    return fwd, bwd


def _dispatch(branches: list[tuple[int, list[str]]]) -> list[str]:
    """``if op == k:`` branches as a balanced tree of comparisons (a few tests per op)."""
    if len(branches) == 1:
        return branches[0][1]
    mid = len(branches) // 2
    return [f"if op < {branches[mid][0]}:", *_indent(_dispatch(branches[:mid]), 1),
            "else:", *_indent(_dispatch(branches[mid:]), 1)]


def kernel_source(cache: bool) -> tuple[str, dict[str, int]]:
    """The interpreter's module source (numba's disk cache on or off) and the op codes."""
    codes = opcodes()
    m = Dialect()
    fwd: list[tuple[int, list[str]]] = []
    bwd: list[tuple[int, list[str]]] = []
    skipped = []
    for name, k in codes.items():
        rule = ROWS[name]
        try:
            f, b = (_fold_branches if rule.n_values is None else _fixed_branches)(rule, m)
        except Unsupported:
            skipped.append(name)
            continue
        fwd.append((k, f))
        bwd.append((k, b))
    try:
        functions = functions_source(list(m.used))
    except Unsupported:
        raise
    operands = ["o = code[q, 1]", *_row("ra", "code[q, 2]", "VA"),
                *_row("rb", "code[q, 3]", "VB"), "cst = C[code[q, 4]]"]
    forward = ["@_jit", "def _forward(code, args, C, S, V, n):",
               "    VA = V.shape[0] - 2", "    VB = VA + 1",
               "    for q in range(code.shape[0]):", "        op = code[q, 0]",
               *_indent(operands, 2), *_indent(_dispatch(fwd), 2)]
    backward = ["@_jit", "def _backward(code, args, C, S, GS, V, G, n):",
                "    VA = V.shape[0] - 2", "    VB = VA + 1",
                "    for q in range(code.shape[0] - 1, -1, -1):",
                "        if code[q, 12] == 0:", "            continue", "        op = code[q, 0]",
                *_indent(operands, 2), "        go = code[q, 5]", "        ga = code[q, 6]",
                "        gb = code[q, 7]", *_indent(_begin("ga", "code[q, 8]"), 2),
                *_indent(_begin("gb", "code[q, 9]"), 2), *_indent(_dispatch(bwd), 2),
                *_indent(_end("ga", "code[q, 10]"), 2), *_indent(_end("gb", "code[q, 11]"), 2)]
    text = (_PRELUDE.replace("CACHE", repr(cache)) + functions + "\n\n" + "\n".join(forward)
            + "\n\n\n" + "\n".join(backward) + "\n\n" + _RUNTIME)
    return text, {name: k for name, k in codes.items() if name not in skipped}
