"""The sum over all paths made callable (Nielsen ch. 2, eqs. 47–53).

Every edge of the graph carries its rate factor (the local derivative stored when the node was
made). A path's rate factor is the product of the factors along it, and ∂output/∂node is the sum
of those products over every path from ``node`` to ``output``. This module lets a user count
those paths, walk them one by one, find the few that matter most, and summarise them:

* ``count_paths``: the exact number (a Python int), a DP over the topological order;
* ``paths``: a lazy generator of ``Path`` objects, depth-first with an explicit stack;
* ``top_paths``: the k paths with the largest |product|, by best-first search guided by an
  exact bound, so it works where the count is astronomically large;
* ``contributions``: the count, the sum (= the gradient), the top few and their share.

>>> from pathgrad.autograd import Value
>>> w, a_prev, b = Value(0.8, label="w"), Value(0.31, label="a_prev"), Value(0.1, label="b")
>>> z = w * a_prev + b; z.label = "z"
>>> a = z.sigmoid(); a.label = "a"
>>> y = Value(1.0, label="y")
>>> C = (a - y) ** 2; C.label = "C"
>>> [p] = paths(C, w)
>>> print(p)
∂C/∂w = a_prev · σ'(z) · 2(a−y) = 0.31 · 0.24 · (−0.83) = −0.062
>>> x = Value(3.0, label="x")
>>> count_paths(x * x, x)
2
"""

from __future__ import annotations

import gc
import heapq
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._checks import positive_int
from .graph import forward_sweep, reverse_sweep, toposort
from .modes import finite, ieee_on
from .notation import MINUS, Name, const_text, count_text, notation_of, number_text
from .value import Value

__all__ = [
    "MAX_TOP_PATHS", "Contributions", "Path", "all_contributions", "contributions",
    "count_paths", "log_count_paths", "paths", "top_paths",
]

MAX_TOP_PATHS = 1000
"""The most paths ``top_paths`` and ``contributions`` build (``k``): each is a list of nodes
and factors, and a k of 10^9 grew by 200 MB/s until MemoryError. ``count_paths`` and the sums
of ``contributions`` cover every path, however many."""

# ---- naming nodes and factors: each row writes its own -----------------------------------------
# A node's name is its label; an unlabeled node is shown as its row's ``text`` over its operands'
# names, two levels deep at most (three compositions below, no recursion), so ``(a - y)`` built
# from labeled ``a`` and ``y`` reads ``a−y``.
def _leaf_or_label(v: Value) -> Name | None:
    if v.label:
        return Name(v.label, True)
    if not v._edges:
        return Name(const_text(v.data), v.data >= 0.0)
    return None


def _wrap(name: Name) -> str:
    return f"{name:w}"


def _render(v: Value, sub: Callable[[Value], tuple[str, bool]]) -> Name:
    """``v`` as an expression whose operands are named by ``sub``."""
    known = _leaf_or_label(v)
    if known is not None:
        return known
    rule = v._rule
    if rule is None:  # made under no_grad(): it names its op but has no operands
        return Name(f"{v.op}(…)", True)
    names = [Name(*sub(p)) for p in v.parents]
    written = notation_of(rule.name)
    return Name(written.node_text(names, v.constant), written.atomic)


def _elided(v: Value) -> Name:
    known = _leaf_or_label(v)
    return known if known is not None else Name("…", True)


def _name1(v: Value) -> Name:
    return _render(v, _elided)


def node_name(v: Value) -> str:
    """A readable name for ``v``: its label, else a short expression of its operands.

    >>> from pathgrad.autograd import Value
    >>> a, y = Value(0.7, label="a"), Value(1.0, label="y")
    >>> node_name((a - y) ** 2), node_name(a * 0.5)
    ('(a−y)²', '0.5·a')
    """
    return _render(v, _name1).text


def _operand(v: Value) -> Name:
    return _render(v, _name1)


class _Names(Sequence[Name]):
    """The operands' names, each made when a row's formula first reads it (a Σ over 784
    inputs names only the operands its rate factor shows)."""

    def __init__(self, parents: tuple[Value, ...]) -> None:
        self._parents = parents
        self._made: dict[int, Name] = {}

    def __len__(self) -> int:
        return len(self._parents)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        if i not in self._made:
            self._made[i] = _operand(self._parents[i])
        return self._made[i]


def factor_name(child: Value, k: int) -> str:
    """The name of the rate factor ∂child/∂child.parents[k], from the child's row.

    For ``mul`` the rate towards one operand is the other operand; for ``sigmoid`` it is
    σ'(z); for ``x ** 2`` it is 2x; a row that names no rate gives ``∂child/∂parent``.

    >>> from pathgrad.autograd import Value
    >>> w, a_prev = Value(0.8, label="w"), Value(0.3, label="a_prev")
    >>> z = w * a_prev; z.label = "z"
    >>> factor_name(z, 0), factor_name(z.sigmoid(), 0)
    ('a_prev', "σ'(z)")
    """
    ps = child.parents
    if not 0 <= k < len(ps):
        raise IndexError(f"factor_name: {node_name(child)} has no operand {k}")
    names = _Names(ps)
    rule = child._rule
    text = notation_of(rule.name).rate_name(k, names, child.constant) if rule is not None else ""
    return text or f"∂{_operand(child):w}/∂{names[k]:w}"


# ---- the Path object ------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class Path:
    """One path from ``nodes[0]`` (the node) to ``nodes[-1]`` (the output).

    ``factors[i]`` is the rate factor of the edge from ``nodes[i]`` into ``nodes[i+1]``, which
    is operand number ``edge_indices[i]`` of ``nodes[i+1]`` (``x * x`` has two edges from x,
    so two paths). ``product`` is the path's rate factor, Nielsen's product along the path.
    """

    nodes: tuple[Value, ...]
    factors: tuple[float, ...]
    edge_indices: tuple[int, ...]

    @property
    def product(self) -> float:
        """The product of the factors, left to right (1.0 for the empty path)."""
        product = math.prod(self.factors)
        if product - product != 0.0 and not ieee_on() and all(
            f - f == 0.0 for f in self.factors
        ):  # finite factors whose product overflowed here; recorded inf factors stay readable
            raise OverflowError(
                f"the product of this path's {len(self.factors)} rate factors is {product!r}: it "
                "overflowed a float; use pathgrad.autograd.ieee() for IEEE inf"
            )
        return product

    @property
    def names(self) -> tuple[str, ...]:
        """A readable name for each factor, e.g. ``('a_prev', "σ'(z)", '2(a−y)')``."""
        return tuple(
            factor_name(child, k) for child, k in zip(self.nodes[1:], self.edge_indices)
        )

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        """The factors as the formula shows them: (name, value) pairs in path order, with the
        identity edges left out (rate exactly 1 from ``+``, ``−``'s first operand, ``Σ``).

        The engine makes ``w * a_prev + b`` two nodes, so the path from w to C in the
        3Blue1Brown chain has five edges; its terms are the chapter's three constituent
        derivatives ∂z/∂w = a_prev, ∂a/∂z = σ'(z), ∂C/∂a = 2(a−y). The product is unchanged.
        """
        pairs = tuple(zip(self.names, self.factors))
        kept = tuple((n, f) for n, f in pairs if not (n == "1" and f == 1.0))
        return kept if kept else pairs

    def __len__(self) -> int:
        """The number of edges."""
        return len(self.factors)

    def formula(self, digits: int = 2, max_factors: int = 12) -> str:
        """``∂C/∂w = a_prev · σ'(z) · 2(a−y) = 0.31 · 0.19 · (−0.84) = −0.049``.

        Shows the ``terms`` (identity edges left out) to ``digits`` significant digits; a path
        with more than ``max_factors`` terms shows its first and last few around an ellipsis.
        The product is always over every factor.
        """
        head = f"∂{_wrap(_operand(self.nodes[-1]))}/∂{_wrap(_operand(self.nodes[0]))}"
        if not self.factors:
            return f"{head} = 1"
        names = [n for n, _ in self.terms]
        values = [number_text(f, digits) for _, f in self.terms]
        values = [f"({v})" if v.startswith(MINUS) else v for v in values]
        if len(names) > max_factors:
            keep = max(max_factors // 2, 1)
            gap = f"…({len(names) - 2 * keep} more)…"
            names = [*names[:keep], gap, *names[-keep:]]
            values = [*values[:keep], gap, *values[-keep:]]
        result = number_text(self.product, digits)
        if len(names) == 1:
            return f"{head} = {names[0]} = {result}"
        return f"{head} = {' · '.join(names)} = {' · '.join(values)} = {result}"

    def __str__(self) -> str:
        return self.formula()

    def __repr__(self) -> str:
        return f"Path({self.formula(digits=4, max_factors=6)!r}, edges={len(self.factors)})"


# ---- the shared walk ------------------------------------------------------------------------
def _check(output: Any, node: Any, where: str) -> None:
    if not isinstance(output, Value):
        raise TypeError(
            f"{where}: output must be a Value, got {output!r} ({type(output).__name__})"
        )
    if not isinstance(node, Value):
        raise TypeError(f"{where}: node must be a Value, got {node!r} ({type(node).__name__})")


Edge = tuple[Value, int, float]  # (child, operand position in the child, rate factor)


def _forward_edges(output: Value, node: Value) -> tuple[list[Value], dict[Value, list[Edge]]]:
    """The subgraph of paths from ``node`` to ``output``: its nodes in topological order
    (``node`` first, ``output`` last; empty when the output does not depend on ``node``) and,
    for each of them but the output, its edges towards the output, in a fixed order.

    A node in the subgraph is both a descendant of ``node`` and an ancestor of ``output``, so
    every edge leads on to the output: a depth-first walk never meets a dead end.
    """
    order = toposort(output)
    children: dict[Value, list[Edge]] = {}
    inside: set[Value] = {node}
    kept: list[Value] = []
    started = False
    for v in order:
        if not started:
            if v is node:
                started = True
                kept.append(v)
            continue
        hit = False
        it = iter(v._edges)
        for k, (p, rate) in enumerate(zip(it, it)):
            if p in inside:
                children.setdefault(p, []).append((v, k, rate))
                hit = True
        if hit:
            inside.add(v)
            kept.append(v)
    if not started or kept[-1] is not output:
        return [], {}
    return kept, children


def count_paths(output: Value, node: Value) -> int:
    """The exact number of paths from ``node`` to ``output`` (a Python int; 0 if none).

    A DP over the topological order, linear in the number of edges: the count of a node is the
    sum of its parents' counts, each edge counted once (``x * x`` gives x two paths).
    The count is exact, so its time grows with its digits: on graphs with astronomically many
    paths (2^250001 paths at 10⁶ edges takes ~25 s) use ``log_count_paths``, the same DP on the
    natural logarithm of the count in floats (linear time whatever the count).

    >>> from pathgrad.autograd import Value
    >>> x = Value(1.5)
    >>> for _ in range(100):   # a ladder of 100 diamonds
    ...     x = x.sin() + x.cos()
    >>> count_paths(x, x), count_paths(Value(2.0), x)
    (1, 0)
    """
    _check(output, node, "count_paths")
    order = toposort(output)
    return forward_sweep(order, {node: 1}, times=_count_edge).get(output, 0)


def _count_edge(n: int, rate: float) -> int:
    return n  # every edge is one way on: the count ignores the rate


def log_count_paths(output: Value, node: Value) -> float:
    """The natural logarithm of ``count_paths(output, node)`` in floats (``-inf`` if none).

    The same DP over the topological order, adding counts as logarithms
    (log(a + b) = max + log1p(e^(min − max))), so graphs with 2^1000000 paths take linear time;
    about 1e-15 relative error per addition instead of an exact integer.

    >>> from pathgrad.autograd import Value
    >>> x = y = Value(1.5)
    >>> for _ in range(2000):   # a ladder of 2000 diamonds: 2^2000 paths
    ...     y = y.sin() + y.cos()
    >>> round(log_count_paths(y, x) / math.log(2), 9)
    2000.0
    >>> log_count_paths(Value(2.0), x)
    -inf
    """
    _check(output, node, "log_count_paths")
    order = toposort(output)
    return forward_sweep(order, {node: 0.0}, plus=_log_add, times=_count_edge).get(
        output, -math.inf
    )


def _log_add(a: float, b: float) -> float:
    # log(e^a + e^b) without leaving floats: max + log1p(e^(min − max))
    hi, lo = (a, b) if a > b else (b, a)
    return hi + math.log1p(math.exp(lo - hi))


def paths(output: Value, node: Value) -> Iterator[Path]:
    """Every path from ``node`` to ``output``, lazily, depth-first with an explicit stack.

    At each node the edges towards the output are tried in the topological order of their
    children, then by operand position. Memory: the subgraph's edge lists plus the current
    path; the subgraph is found on the first ``next()``. Nothing is yielded when the output
    does not depend on ``node``; ``paths(y, y)`` yields the one empty path (product 1).

    >>> from pathgrad.autograd import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x; y.label = "y"
    >>> [(p.edge_indices, p.product) for p in paths(y, x)]
    [((0,), 3.0), ((1,), 3.0)]
    >>> sum(p.product for p in paths(y, x))  # = dy/dx
    6.0
    """
    _check(output, node, "paths")
    return _walk(output, node)


def _walk(output: Value, node: Value) -> Iterator[Path]:
    kept, children = _forward_edges(output, node)
    if not kept:
        return
    if node is output:
        yield Path((node,), (), ())
        return
    nodes: list[Value] = [node]
    rates: list[float] = []
    ks: list[int] = []
    next_edge = [0]  # per node of the current path: which of its edges to try next
    while next_edge:
        v = nodes[-1]
        if v is output:
            yield Path(tuple(nodes), tuple(rates), tuple(ks))
            nodes.pop(), rates.pop(), ks.pop(), next_edge.pop()
            continue
        i = next_edge[-1]
        out = children[v]
        if i == len(out):
            nodes.pop()
            next_edge.pop()
            if rates:
                rates.pop(), ks.pop()
            continue
        next_edge[-1] = i + 1
        child, k, rate = out[i]
        nodes.append(child)
        rates.append(rate)
        ks.append(k)
        next_edge.append(0)


_log = math.log


def _log_magnitude(x: float) -> float:
    # log|x| as a ranking key: no underflow on paths of thousands of edges whose products are
    # 0.0 as floats; log 0 = −inf; nan (only under ieee()) ranks first, like inf.
    try:
        r = _log(abs(x))
    except ValueError:  # log 0
        return -math.inf
    return r if r == r else math.inf


def _add_logs(a: float, b: float) -> float:
    s = a + b
    return s if s == s else math.inf  # inf + (−inf): a nan rate times a zero rate


@contextmanager
def _collector_paused() -> Iterator[None]:
    # The search allocates a few small tuples per step, and none of them form cycles; left on,
    # the cyclic collector would rescan the whole graph again and again (superlinear time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def top_paths(output: Value, node: Value, k: int = 10) -> list[Path]:
    """The ``k`` paths from ``node`` to ``output`` with the largest |product|, largest first.

    Best-first search: a DP over the reverse topological order gives, for every node, the
    largest |product| of any path from it to the output (an exact, hence admissible, bound).
    Each search step follows the best continuation to the output and queues the next-best
    alternative at each node it passes, so k paths of length L cost O(k·L·log) work, however
    many paths there are. Ranking is done on log|rate| sums, so paths whose products underflow
    to 0.0 are still ranked right. Fewer than ``k`` paths are returned when fewer exist;
    ``k`` over ``MAX_TOP_PATHS`` (1,000) is a ValueError naming the limit.

    >>> from pathgrad.autograd import Value
    >>> x = Value(0.5, label="x")
    >>> y = x * 3.0 + x * x + x.exp()
    >>> [round(p.product, 4) for p in top_paths(y, x, k=3)]
    [3.0, 1.6487, 0.5]
    """
    _check(output, node, "top_paths")
    k = positive_int("top_paths: k", k, maximum=MAX_TOP_PATHS)
    with _collector_paused():
        return _best_first(output, node, k)


Option = tuple[float, Value, int, float, float]  # (score, child, position, rate, log|rate|)


def _ranked_options(
    kept: list[Value], children: dict[Value, list[Edge]]
) -> tuple[dict[Value, float], dict[Value, list[Option]]]:
    """best[v]: max over paths v -> output of Σ log|rate|; ranked[v]: v's edges, best
    continuation first, scored log|rate| + best[child].

    ``best`` is the reverse sweep with (max, +log), ``graph.reverse_sweep(kept, 0.0, max,
    lambda b, rate: b + log|rate|)``, fused here with the ranking, which needs the same
    log|rate| of every edge: one pass instead of two. A special case that earns its place: on
    benchmarks.ab's "top_paths(k=10), diamond ladder of 30,000 nodes", ranking at the steps of
    ``reverse_sweep`` took 1.8x as long as this (831 against 460 ms, median of 9 interleaved
    rounds; top_paths takes 845 ms in all); test_paths.py's
    test_top_paths_bound_is_the_max_plus_log_reverse_sweep pins the two equal.
    """
    best: dict[Value, float] = {kept[-1]: 0.0}
    ranked: dict[Value, list[Option]] = {}
    for v in reversed(kept[:-1]):
        scored = []
        for child, pos, rate in children[v]:
            log_rate = _log_magnitude(rate)
            scored.append((_add_logs(log_rate, best[child]), child, pos, rate, log_rate))
        scored.sort(key=lambda e: -e[0])  # stable: ties keep operand order
        ranked[v] = scored
        best[v] = scored[0][0]
    return best, ranked


def _best_first(output: Value, node: Value, k: int) -> list[Path]:
    kept, children = _forward_edges(output, node)
    if not kept:
        return []
    if node is output:
        return [Path((node,), (), ())]
    best, ranked = _ranked_options(kept, children)
    return _search(node, output, best, ranked, k)


def _search(node: Value, output: Value, best: dict[Value, float],
            ranked: dict[Value, list[Option]], k: int) -> list[Path]:
    """The ``k`` best paths from ``node`` to ``output``, given the bound and the ranking."""
    # An entry (−bound, id, base, depth, logp, rank): the first ``depth`` edges of path number
    # ``base`` (found earlier, or being built now), Σ log|rate| = logp so far, going on along
    # option ``rank`` of the node reached; the bound logp + that option's score is exact, so
    # each pop yields one path. With r paths still to find only the r best queued entries can
    # ever be popped: ``floor`` (a min-heap of (bound, id)) keeps those, and an alternative that
    # does not beat its minimum is never queued, so the queue stays small on long paths.
    heap: list[tuple[float, int, int, int, float, int]] = [(-best[node], 0, -1, 0, 0.0, 0)]
    push, pop = heapq.heappush, heapq.heappop
    seq = 1
    floor: list[tuple[float, int]] = []
    queued: set[int] = set()  # ids in ``floor`` still waiting in ``heap``
    built: list[Path] = []
    logs: list[float] = []
    while heap and len(built) < k:
        _, entry_id, base, depth, logp, rank = pop(heap)
        queued.discard(entry_id)
        room = k - len(built) - 1  # pops left after this one
        while floor and (len(queued) > room or floor[0][1] not in queued):
            queued.discard(heapq.heappop(floor)[1])
        nodes, factors, positions = _prefix(built[base], depth) if base >= 0 else ([node], [], [])
        me = len(built)
        v = nodes[-1]
        while True:
            options = ranked[v]
            if room and rank + 1 < len(options):
                bound = _add_logs(logp, options[rank + 1][0])
                if len(queued) < room or bound > floor[0][0]:
                    if len(queued) >= room:
                        queued.discard(heapq.heapreplace(floor, (bound, seq))[1])
                    else:
                        push(floor, (bound, seq))
                    queued.add(seq)
                    push(heap, (-bound, seq, me, len(factors), logp, rank + 1))
                    seq += 1
                    while floor[0][1] not in queued:  # drop popped ids from the bottom
                        heapq.heappop(floor)
            _, v, pos, rate, log_rate = options[rank]
            logp = _add_logs(logp, log_rate)
            nodes.append(v)
            factors.append(rate)
            positions.append(pos)
            rank = 0
            if v is output:
                break
        built.append(Path(tuple(nodes), tuple(factors), tuple(positions)))
        logs.append(logp)
    return _largest_first(built, logs)


def _prefix(path: Path, depth: int) -> tuple[list[Value], list[float], list[int]]:
    """The first ``depth`` edges of ``path``: its nodes, factors and operand positions."""
    nodes, factors = list(path.nodes[: depth + 1]), list(path.factors[:depth])
    return nodes, factors, list(path.edge_indices[:depth])


def _largest_first(built: list[Path], logs: list[float]) -> list[Path]:
    order = list(range(len(built)))
    if all(0.0 < abs(math.prod(p.factors)) < math.inf for p in built):
        order.sort(key=lambda i: -abs(built[i].product))  # exact where the floats can say it
    else:
        order.sort(key=lambda i: -logs[i])
    return [built[i] for i in order]


# ---- the summary ----------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class Contributions:
    """How ∂output/∂node splits over paths: ``n_paths``, ``gradient`` (the sum of all path
    products), ``abs_total`` (the sum of their absolute values: how much cancels), ``top`` (the
    largest few) and ``explained`` (the share of the gradient the top paths carry)."""

    output: Value
    node: Value
    n_paths: int
    gradient: float
    abs_total: float
    top: tuple[Path, ...]

    @property
    def explained(self) -> float | None:
        """Σ top products / gradient (None when the gradient is 0)."""
        if self.gradient == 0.0:
            return None
        return math.fsum(p.product for p in self.top) / self.gradient

    @property
    def abs_explained(self) -> float | None:
        """Σ |top products| / Σ |all products|, in [0, 1] (None when every product is 0)."""
        if self.abs_total == 0.0:
            return None
        return math.fsum(abs(p.product) for p in self.top) / self.abs_total

    def __str__(self) -> str:
        name = f"∂{_wrap(_operand(self.output))}/∂{_wrap(_operand(self.node))}"
        n = self.n_paths
        count = count_text(n)
        noun = "path" if n == 1 else "paths"
        lines = [f"{name} = {number_text(self.gradient, 4)}, the sum over {count} {noun}"]
        if n == 0:
            lines[0] = f"{name} = 0: the output does not depend on this node (no paths)"
            return "\n".join(lines)
        top = len(self.top)
        how = "all" if top == n else f"the top {top}"
        top_sum = math.fsum(p.product for p in self.top)
        share, abs_share = self.explained, self.abs_explained
        # Where the paths cancel (Σ|products| ≫ |gradient|) a share of the gradient means
        # little, so each path is shown as a share of Σ|products| instead.
        cancels = self.abs_total > 100.0 * abs(self.gradient)
        parts = [f"{how} sum to {number_text(top_sum, 4)}"]
        if share is not None and not cancels:
            parts.append(f"{_percent(share)} of the gradient")
        if abs_share is not None:
            parts.append(f"{_percent(abs_share)} of Σ|products| = {number_text(self.abs_total, 4)}")
        lines.append(", ".join(parts) + (" (the paths cancel)" if cancels else ""))
        for i, p in enumerate(self.top, 1):
            if cancels or share is None:
                tail = "" if abs_share is None else (
                    f"   ({_percent(abs(p.product) / self.abs_total)} of Σ|products|)")
            else:
                tail = f"   ({_percent(p.product / self.gradient)})"
            lines.append(f"  {i}. {p.formula()}{tail}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"Contributions(n_paths={count_text(self.n_paths)}, gradient={self.gradient!r}, "
                f"top={len(self.top)})")


def _percent(x: float) -> str:
    pct = 100.0 * x
    return f"{pct:.1f}%" if pct == 0.0 or 0.1 <= abs(pct) < 1e4 else f"{number_text(pct, 2)}%"


def contributions(output: Value, node: Value, k: int = 5) -> Contributions:
    """A summary of ∂output/∂node as a sum over paths: count, sum, top ``k`` and their share.

    The count and the two sums (signed and absolute) are DPs over the topological order, so
    this works whatever the number of paths; only the top ``k`` paths are built.

    >>> from pathgrad.autograd import Value
    >>> x = Value(0.5, label="x")
    >>> y = x * 3.0 + x * x; y.label = "y"
    >>> print(contributions(y, x))
    ∂y/∂x = 4.000, the sum over 3 paths
    all sum to 4.000, 100.0% of the gradient, 100.0% of Σ|products| = 4.000
      1. ∂y/∂x = 3 = 3.0   (75.0%)
      2. ∂y/∂x = x = 0.50   (12.5%)
      3. ∂y/∂x = x = 0.50   (12.5%)
    """
    _check(output, node, "contributions")
    k = positive_int("contributions: k", k, maximum=MAX_TOP_PATHS)
    kept, _ = _forward_edges(output, node)
    if not kept:
        return Contributions(output, node, 0, 0.0, 0.0, ())
    # count, Σ products (= the gradient), Σ |products|: one forward sweep over the subgraph
    start = (1, 1.0, 1.0)
    sums = forward_sweep(kept, {node: start}, plus=_add3, times=_extend3)[output]
    n_paths, gradient, abs_total = sums
    if (gradient - gradient != 0.0 or abs_total - abs_total != 0.0) and not ieee_on():
        what = "Σ products" if gradient - gradient != 0.0 else "Σ|products|"
        raise OverflowError(
            f"contributions: {what} over {count_text(n_paths)} paths from "
            f"{node_name(node)} to {node_name(output)} is not finite: a product of rate "
            "factors or their sum overflowed a float; use pathgrad.autograd.ieee() for IEEE inf"
        )
    top = tuple(top_paths(output, node, k))
    return Contributions(output, node, n_paths, gradient, abs_total, top)


def all_contributions(output: Value, k: int = 5) -> dict[Value, Contributions]:
    """``contributions(output, v, k)`` for every node v that ``output`` depends on, at once.

    One reverse sweep gives every node's count, Σ products and Σ|products| (the same DP as
    ``contributions``, run from the output); the bound and ranking of ``top_paths`` are made
    once for the whole graph, then each node's top ``k`` cost O(k·L·log) steps. So the work
    grows with the graph's size (times k and the paths' length), not with nodes × edges.

    >>> from pathgrad.autograd import Value
    >>> x = Value(0.5, label="x")
    >>> y = x * 3.0 + x * x; y.label = "y"
    >>> summary = all_contributions(y, k=2)
    >>> summary[x].n_paths, summary[x].gradient, [p.product for p in summary[x].top]
    (3, 4.0, [3.0, 0.5])
    """
    _check(output, output, "all_contributions")
    k = positive_int("all_contributions: k", k)
    order = toposort(output)
    sums = reverse_sweep(order, (1, 1.0, 1.0), _add3, _extend3)
    for v in order:
        _, gradient, abs_total = sums[v]
        if (not finite(gradient) or not finite(abs_total)) and not ieee_on():
            contributions(output, v, k)  # raises its error, naming the node
    children: dict[Value, list[Edge]] = {v: [] for v in order}
    for v in order:
        it = iter(v._edges)
        for position, (p, rate) in enumerate(zip(it, it)):
            children[p].append((v, position, rate))
    with _collector_paused():
        best, ranked = _ranked_options(order, children)
        found = {}
        for v in order:
            n_paths, gradient, abs_total = sums[v]
            top = _search(v, output, best, ranked, k) if v is not output else [Path((v,), (), ())]
            found[v] = Contributions(output, v, n_paths, gradient, abs_total, tuple(top))
        return found


def _add3(a: tuple[int, float, float], b: tuple[int, float, float]) -> tuple[int, float, float]:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def _extend3(a: tuple[int, float, float], rate: float) -> tuple[int, float, float]:
    return a[0], a[1] * rate, a[2] * abs(rate)
