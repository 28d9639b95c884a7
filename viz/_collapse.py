"""Large losses drawn as boxes: a sum over a batch (or over the parameters) becomes one Σ node.

micrograd's demo loss, ``sum(losses) * (1/n) + alpha * sum(p*p for p in params)``, has 8,114
value nodes: no layout of them all is readable. ``collapse`` finds each long sum (a ``sum``
node, or a chain of ``+`` whose partial sums are used once, as Python's ``sum`` builds it) and
draws it as one box: a sum over examples shows one example's graph at a time (the page switches
examples by binding the same drawn elements to another example's nodes, whose graph has the
same shape), a sum of squares of parameters stays closed (its terms are listed in the panel).
The page's engine still holds and recomputes every node.

>>> from pathgrad.autograd import Value, toposort
>>> xs = [Value(float(k), label=f"x{k}") for k in range(10)]
>>> L = sum(x * x for x in xs); L.label = "L"
>>> c = collapse(L, toposort(L))
>>> [(b.what, len(b.terms)) for b in c.boxes], len(toposort(c.root))
([('Σ p² over 10 parameters', 10)], 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pathgrad.autograd import ROWS, Value, toposort

__all__ = ["MIN_TERMS", "Box", "Collapsed", "collapse"]

MIN_TERMS = 8
"""A sum of at least this many terms is drawn as a box."""

_SUMS = ("add", "add_c", "sum")


@dataclass
class Box:
    """One long sum: its top node (the total), the partial sums inside it, its terms in order,
    and for a box that opens, each term's nodes aligned position by position with term 0's."""

    top: Value
    members: list[Value]
    terms: list[Value]
    what: str
    opens: bool = False
    aligned: list[list[Value] | None] = field(default_factory=list)


@dataclass
class Collapsed:
    """The graph to draw (``root``, made of stand-ins) and, per stand-in, the real node."""

    root: Value
    real: dict[Value, Value]
    boxes: list[Box]
    box_of: dict[Value, int]  # a box's stand-in -> its index


def _chain(v: Value, consumers: dict[Value, int]) -> tuple[list[Value], list[Value]]:
    """The partial sums and the terms (in order) of the sum whose total is ``v``."""
    members: list[Value] = [v]
    terms: list[Value] = []
    cur = v
    while True:
        if cur.op == "sum":
            terms.extend(reversed(cur.parents))
            break
        if cur.op == "add_c":
            terms.append(cur.parents[0])
            break
        a, b = cur.parents
        terms.append(b)
        if a.op in _SUMS and consumers.get(a, 0) == 1 and a.parents:
            members.append(a)
            cur = a
            continue
        terms.append(a)
        break
    terms.reverse()
    return members, terms


def _find_boxes(order: list[Value]) -> list[Box]:
    consumers: dict[Value, int] = {}
    for v in order:
        for p in v.parents:
            consumers[p] = consumers.get(p, 0) + 1
    boxes: list[Box] = []
    inside: set[Value] = set()
    for v in reversed(order):
        if v in inside or v.op not in _SUMS or not v.parents:
            continue
        members, terms = _chain(v, consumers)
        if len(terms) < MIN_TERMS:
            continue
        inside.update(members)
        squares = all(t.op == "mul" and t.parents[0] is t.parents[1] and not t.parents[0].parents
                      for t in terms)
        what = (f"Σ p² over {len(terms)} parameters" if squares
                else f"Σ over {len(terms)} examples")
        boxes.append(Box(v, members, terms, what, opens=not squares))
    return boxes


def _align(box: Box) -> None:
    """Each term's nodes in term 0's positions (None: a term of another shape)."""
    first = toposort(box.terms[0])
    others = [set(toposort(t)) for t in box.terms[1:2]]
    shared = set(first) & others[0] if others else set()
    box.aligned = [first]
    for t in box.terms[1:]:
        nodes = toposort(t)
        ok = len(nodes) == len(first) and all(
            (a is b) if a in shared else (a.op == b.op and len(a.parents) == len(b.parents))
            for a, b in zip(first, nodes))
        box.aligned.append(nodes if ok else None)


def _stand_in(v: Value, edges: tuple[object, ...]) -> Value:
    twin = object.__new__(Value)
    twin.data, twin.grad, twin.label = v.data, v.grad, v.label
    twin._rule, twin._const, twin._edges = v._rule, v._const, edges
    return twin


def collapse(root: Value, order: list[Value]) -> Collapsed:
    """The graph with each long sum as one Σ node over its first term (a box that opens) or
    over nothing (a closed box), made of stand-ins of the real nodes."""
    boxes = _find_boxes(order)
    top_of = {b.top: k for k, b in enumerate(boxes)}
    for b in boxes:
        if b.opens:
            _align(b)
    twin: dict[Value, Value] = {}
    real: dict[Value, Value] = {}
    box_of: dict[Value, int] = {}
    # real nodes the drawing reaches, operands first (an explicit stack, no recursion)
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, ready = stack.pop()
        if v in twin:
            continue
        k = top_of.get(v)
        below = ([boxes[k].terms[0]] if boxes[k].opens else []) if k is not None else list(
            v.parents)
        if not ready:
            stack.append((v, True))
            stack.extend((p, False) for p in reversed(below) if p not in twin)
            continue
        if k is not None:
            s = _stand_in(v, tuple(x for p in below for x in (twin[p], 1.0)))
            s._rule, s._const, s.label = ROWS["sum"], None, boxes[k].what
            box_of[s] = k
        else:
            s = _stand_in(v, tuple(x for p, r in zip(v.parents, v.local_grads)
                                   for x in (twin[p], r)))
        twin[v] = s
        real[s] = v
    return Collapsed(twin[root], real, boxes, box_of)


def nearest(root: Value, order: list[Value], limit: int) -> Collapsed:
    """The part of the graph nearest the output, at most ``limit`` values drawn: values taken
    breadth-first from the root while they and their operands fit; an operand not taken is
    drawn as a leaf of its own (its numbers shown, its operands cut), so every drawn value
    keeps its operands in order. For a graph no boxing brings under ``limit``."""
    taken: list[Value] = []
    drawn: set[Value] = {root}
    queue, seen = [root], {root}
    head = 0
    while head < len(queue):
        v = queue[head]
        head += 1
        new = {p for p in v.parents if p not in drawn}
        if len(drawn) + len(new) > limit:
            break
        drawn |= new
        taken.append(v)
        for p in v.parents:
            if p not in seen:
                seen.add(p)
                queue.append(p)
    inside = set(taken)
    twin: dict[Value, Value] = {}
    real: dict[Value, Value] = {}
    for v in order:  # topological: operands first
        if v not in drawn:
            continue
        edges: tuple[object, ...] = ()
        if v in inside:
            edges = tuple(x for p, r in zip(v.parents, v.local_grads) for x in (twin[p], r))
        s = _stand_in(v, edges)
        twin[v] = s
        real[s] = v
    return Collapsed(twin[root], real, [], {})
