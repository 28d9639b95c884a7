"""The tape as text: ``print(compiled.tape)`` reads like a jaxpr, one line per group.

The first line binds the *scalars* (parameters and other leaves read afresh each call, shape
``[]``) and, after ``;``, the *inputs* (one entry per example, shape ``[B]``). Then come the
nodes that depend on no input (computed once per call), then the plan's groups level by level:
a group of ``k`` nodes of one op is one line with shape ``[k,B]`` (``matmul``: a layer of
``wsum`` nodes as one matrix product), a single node ``[B]``. Each operand is a name, a part of
a group (``c[2]``, ``c[0:4]``), or a list of names; a constant operand is written as a number.

>>> from pathgrad.autograd import Value, compile
>>> w, b = Value(0.5, label="w"), Value(-1.0, label="b")
>>> step = compile(lambda x, y: ((w * x + b - y) ** 2).tanh(), params=[w, b])
>>> _ = step([1.0, 2.0], [0.0, 1.0])
>>> print(step.tape)
{ lambda w:f64[], b:f64[] ; x:f64[B], y:f64[B] .
  let
    a:f64[B] = mul w x
    c:f64[B] = add a b
    d:f64[B] = sub c y
    e:f64[B] = pow_c d 2.0
    f:f64[B] = tanh e
  in ( f ) }
"""

from __future__ import annotations

from typing import Any

# ``tape.Tape`` calls this module from its ``__str__``, with its plan: this module imports
# nothing of the compiler (a tape is typed as Any here), so the imports stay one way.
Tape = Any

__all__ = ["listing"]

_SHOWN = 4  # names listed of an operand that gathers from many places


def _letters(k: int) -> str:
    # a, b, ..., z, ba, bb, ...: jaxpr's names
    text = ""
    while True:
        text = chr(ord("a") + k % 26) + text
        k //= 26
        if k == 0:
            return text


class _Names:
    """Where each node lives: a group's name and its row in the group."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        self.where: dict[int, tuple[str, int, int]] = {}  # node -> (name, row, size of group)
        self.taken: set[str] = set()
        self.count = 0
        for k, i in enumerate(tape.scalar_nodes[: len(tape.leaf_values)]):
            label = tape.leaf_values[k].label
            self._bind([i], label if label.isidentifier() else f"s{k}")
        for i in range(tape.n):
            if tape.input_of[i] >= 0:
                label = tape.input_names[tape.input_of[i]]
                self._bind([i], label if label.isidentifier() else f"x{tape.input_of[i]}")

    def _bind(self, members: list[int], name: str) -> str:
        while name in self.taken:
            name += "'"
        self.taken.add(name)
        for row, i in enumerate(members):
            self.where[i] = (name, row, len(members))
        return name

    def fresh(self, members: list[int]) -> str:
        """A new jaxpr-style name for a group of nodes."""
        while True:
            name = _letters(self.count)
            self.count += 1
            if name not in self.taken:
                return self._bind(members, name)

    def one(self, i: int) -> str:
        name, row, size = self.where[i]
        return name if size == 1 else f"{name}[{row}]"

    def column(self, nodes: list[int]) -> str:
        """An operand: the nodes a group reads at one position, as briefly as they go."""
        if len(set(nodes)) == 1:
            return self.one(nodes[0])
        places = [self.where[i] for i in nodes]
        name, first, size = places[0]
        if all(p[0] == name for p in places) and [p[1] for p in places] == list(
            range(first, first + len(nodes))
        ):
            return name if len(nodes) == size else f"{name}[{first}:{first + len(nodes)}]"
        shown = [self.one(i) for i in nodes[:_SHOWN]]
        more = f", … {len(nodes) - _SHOWN} more" if len(nodes) > _SHOWN else ""
        return f"[{', '.join(shown)}{more}]"


def _operands(tape: Tape, names: _Names, members: list[int]) -> list[str]:
    """One text per operand position; runs of single rows of one group become ``*a`` (all of
    group ``a``, spread) or ``*a[2:9]``, and a long list keeps its ends."""
    out: list[str] = []
    run: tuple[str, int, int, int] | None = None  # (group, first row, rows, size of group)
    for j in range(len(tape.parents[members[0]])):
        column = [tape.parents[i][j] for i in members]
        where = names.where[column[0]] if len(set(column)) == 1 else None
        if where is not None and where[2] > 1:
            if run is not None and run[0] == where[0] and run[1] + run[2] == where[1]:
                run = (run[0], run[1], run[2] + 1, run[3])
                continue
            _flush(out, run)
            run = (where[0], where[1], 1, where[2])
            continue
        _flush(out, run)
        run = None
        out.append(names.column(column))
    _flush(out, run)
    if len(out) > 2 * _SHOWN:
        out = [*out[:_SHOWN], f"…{len(out) - _SHOWN - 1} more…", out[-1]]
    return out


def _flush(out: list[str], run: tuple[str, int, int, int] | None) -> None:
    if run is None:
        return
    name, first, rows, size = run
    if rows == 1:
        out.append(f"{name}[{first}]")
    else:
        out.append(f"*{name}" if rows == size else f"*{name}[{first}:{first + rows}]")


def _line(tape: Tape, names: _Names, members: list[int], kind: str, batched: bool) -> str:
    first = members[0]
    columns = _operands(tape, names, members)
    name = names.fresh(members)
    k = len(members)
    shape = ",".join(([str(k)] if k > 1 else []) + (["B"] if batched else []))
    op = tape.ops[first] + ("[matmul]" if kind == "matmul" else "")
    consts = {tape.consts[i] for i in members}
    if tape.consts[first] is not None:
        columns.append(repr(next(iter(consts))) if len(consts) == 1 else
                       "[" + ", ".join(repr(tape.consts[i]) for i in members) + "]")
    return f"    {name}:f64[{shape}] = {op} {' '.join(columns)}"


def _scalar_groups(tape: Tape) -> list[list[int]]:
    groups: list[list[int]] = []
    last = None
    for i in tape.scalar_ops:  # sorted by level, op, arity: each run is one group
        key = (tape.level[i], tape.ops[i], len(tape.parents[i]))
        if key == last:
            groups[-1].append(i)
        else:
            groups.append([i])
        last = key
    return groups


def listing(tape: Tape, levels: list[list[Any]]) -> str:
    """The tape, one line per group (``levels``: its ``plan``): see the module's docstring."""
    names = _Names(tape)
    leaves = [f"{names.one(i)}:f64[]" for i in tape.scalar_nodes[: len(tape.leaf_values)]]
    if len(leaves) > 2 * _SHOWN:  # a model's parameters: the ends and the count
        leaves = [*leaves[:_SHOWN], f"…{len(leaves) - _SHOWN - 1} more…", leaves[-1]]
    scalars = ", ".join(leaves)
    node_of = {tape.input_of[i]: i for i in range(tape.n) if tape.input_of[i] >= 0}
    inputs = ", ".join(  # in argument order; an argument the graph does not read keeps its name
        f"{names.one(node_of[k]) if k in node_of else tape.input_names[k]}:f64[B]"
        for k in range(tape.n_inputs))
    lines = [f"{{ lambda {scalars} ; {inputs} .", "  let"]
    lines += [_line(tape, names, g, "rule", False) for g in _scalar_groups(tape)]
    for level in levels:
        lines += [_line(tape, names, g.members, g.kind, True) for g in level]
    lines.append(f"  in ( {names.one(tape.root)} ) }}")
    return "\n".join(lines)
