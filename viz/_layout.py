"""Layout rules for ``draw_dot``: pictures that stay readable at README width.

Graphviz's ``dot`` draws a computation graph as one long band of ranks. A chain of 60 ops is
then 30 times wider than tall and its text a fraction of a pixel at 1000 px; a leaf that feeds
every other op (``x`` in an unrolled recurrence) drags an edge across the whole band, and dot's
crossing minimisation over those long edges grows so fast that 200 steps did not finish in ten
minutes. The rules here, applied before Graphviz sees the graph:

* a leaf whose consumers lie far apart is drawn again (dashed, by name) beside each far
  consumer, so no edge spans more than a few ranks;
* the ranks are cut into k consecutive segments, each laid out as its own component, side by
  side (top-down) or one under another (left-right); an edge cut by that arrives from a dashed
  copy of its tail at the top of the next segment;
* a rank that would be wider than the page top-down (a DAG's busy middle, a neuron's seven
  operands) gets every value box with data over grad, half as wide, instead of in one row;
* direction and k are chosen from the nodes' estimated sizes so that the picture is at most
  ``WIDTH`` points wide (its smallest text, 10 pt, is then at least 10 px at 1000 px) and at
  most ``RATIO`` : 1 either way.

Each segment is small, so the layout time grows about linearly with the graph.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from .rendering import Digraph

__all__ = ["RATIO", "WIDTH", "Link", "Unit", "lay_out"]

WIDTH = 1000.0  # points: 10 pt text is 10 px when the picture is shown 1000 px wide
RATIO = 3.0
_MARGIN = 0.85  # the estimates are rough: aim inside the limits
_RANKSEP = 0.3  # inches
_NODESEP = 0.08
_LABEL = (45.0, 14.0)  # an edge label's size, points
_ECHO_SPAN = 4  # ranks a leaf's edge may span before the leaf is drawn again
# Where edges leave and enter a port (a neuron box's row), so they do not wrap around it.
_SIDES = {"LR": ("e", "w"), "RL": ("w", "e"), "TB": ("s", "n"), "BT": ("n", "s")}


@dataclass
class Unit:
    """A node to draw: its DOT attributes (label included) and estimated size in points."""

    id: str
    attrs: dict[str, str]
    size: tuple[float, float]
    copy: dict[str, str] | None = None  # how a copy of it is drawn; None: never copied
    copy_size: tuple[float, float] = (40.0, 21.0)
    # the same node with data stacked over grad: the attributes that change, and its size
    stacked: tuple[dict[str, str], tuple[float, float]] | None = None


@dataclass
class Link:
    """An edge: tail and head unit ids, their ports (``a_out``), attributes."""

    tail: str
    head: str
    attrs: dict[str, str] = field(default_factory=dict)
    tail_port: str = ""
    head_port: str = ""


def _ranks(units: dict[str, Unit], links: list[Link]) -> dict[str, int]:
    """Longest-path ranks (iterative), each source moved to just before its first consumer."""
    heads: dict[str, list[str]] = {u: [] for u in units}
    indegree = dict.fromkeys(units, 0)
    for link in links:
        heads[link.tail].append(link.head)
        indegree[link.head] += 1
    rank = dict.fromkeys(units, 0)
    sources = [u for u, d in indegree.items() if d == 0]
    queue = deque(sources)
    while queue:
        u = queue.popleft()
        for h in heads[u]:
            rank[h] = max(rank[h], rank[u] + 1)
            indegree[h] -= 1
            if indegree[h] == 0:
                queue.append(h)
    for u in sources:
        if heads[u]:
            rank[u] = min(rank[h] for h in heads[u]) - 1
    return rank


def _echo(units: dict[str, Unit], links: list[Link], rank: dict[str, int]) -> None:
    """Draw a copyable source again beside each consumer more than ``_ECHO_SPAN`` ranks on."""
    by_tail: dict[str, list[Link]] = {}
    has_in = {link.head for link in links}
    for link in links:
        if link.tail not in has_in and units[link.tail].copy is not None:
            by_tail.setdefault(link.tail, []).append(link)
    for tail, out in by_tail.items():
        if len(out) < 3:
            continue
        copy = tail
        for link in sorted(out, key=lambda lk: rank[lk.head]):
            if rank[link.head] - rank[copy] > _ECHO_SPAN:
                copy = _copy_of(units, tail, f"{tail}c{rank[link.head]}")
                rank[copy] = rank[link.head] - 1
            link.tail = copy


def _straighten(units: dict[str, Unit], links: list[Link], rank: dict[str, int]) -> None:
    """Give each run of single-consumer values one Graphviz ``group``: dot then keeps the run
    on one straight line instead of letting it drift sideways."""
    out_degree = dict.fromkeys(units, 0)
    main: dict[str, str] = {}
    for link in links:
        out_degree[link.tail] += 1
        if link.head not in main or rank[link.tail] > rank[main[link.head]]:
            main[link.head] = link.tail
    group: dict[str, str] = {}
    for u in sorted(units, key=rank.__getitem__):
        tail = main.get(u)
        group[u] = group[tail] if tail is not None and out_degree[tail] == 1 else u
        if group[u] != u or out_degree[u] == 1:
            units[u].attrs["group"] = group[u]


def _copy_of(units: dict[str, Unit], original: str, new: str) -> str:
    if new not in units:
        unit = units[original]
        assert unit.copy is not None
        units[new] = Unit(new, dict(unit.copy), unit.copy_size)
    return new


def _bands(units: dict[str, Unit], links: list[Link], rank: dict[str, int], across_tb: bool,
           stacked: bool = False) -> tuple[list[float], list[float]]:
    """Per rank: its thickness along the flow and its extent across, estimated."""
    top = max(rank.values()) + 1
    low = min(rank.values())
    along = [0.0] * (top - low)
    across = [0.0] * (top - low)
    for u, r in rank.items():
        unit = units[u]
        w, h = unit.stacked[1] if stacked and unit.stacked is not None else unit.size
        along[r - low] = max(along[r - low], h if across_tb else w)
        across[r - low] += (w if across_tb else h) + 72 * _NODESEP
    labelled = {rank[lk.head] - low for lk in links if lk.attrs.get("label")}
    gap = 72 * _RANKSEP
    for r in range(len(along)):
        # dot gives an edge label a rank of its own: in LR that is one more gap too
        extra = _LABEL[1] if across_tb else _LABEL[0] + gap
        along[r] += gap + (extra if r in labelled else 0.0)
    return along, across


def _cuts(along: list[float], k: int) -> list[int]:
    """Ranks where segments 2..k begin, so that each segment is about as long."""
    total = sum(along)
    cuts: list[int] = []
    run = 0.0
    for r, t in enumerate(along):
        if run >= total * (len(cuts) + 1) / k and len(cuts) < k - 1:
            cuts.append(r)
        run += t
    return cuts


def _extent(along: list[float], across: list[float], cuts: list[int], tb: bool
            ) -> tuple[float, float]:
    edges = [0, *cuts, len(along)]
    lengths = [sum(along[a:b]) for a, b in itertools.pairwise(edges)]
    widths = [max(across[a:b], default=0.0) + 40 for a, b in itertools.pairwise(edges)]
    side, length = sum(widths), max(lengths)
    return (side, length) if tb else (length, side)


def _choose(along_of: dict[str, tuple[list[float], list[float]]],
            below: tuple[float, float] = (0.0, 0.0)) -> tuple[str, list[int]]:
    """The direction and cuts of the picture closest to the limits, fewest cuts first, with
    ``below`` (a legend's width and height, points) under it. A picture narrow enough as it
    is stays in one piece (cutting would only scatter it)."""
    best: tuple[float, int, str, list[int]] | None = None
    for direction, (along, across) in along_of.items():
        for k in range(1, max(len(along) // 3, 1) + 1):
            cuts = _cuts(along, k)
            w, h = _extent(along, across, cuts, direction == "TB")
            w, h = max(w, below[0]), h + below[1]
            if k > 1 and w > h and direction == "TB":
                break  # more columns only widen it
            ratio = max(w / h, h / w) if w > 0 and h > 0 else 1.0
            badness = max(w / (WIDTH * _MARGIN), ratio / (RATIO * _MARGIN), 1.0)
            if k == 1 and w <= WIDTH * _MARGIN and ratio <= RATIO:
                badness = 1.0
            if direction == "LR":
                badness *= 1.1  # top-down reads better at README width: LR only when clearly so
            key = (badness, k, direction, cuts)
            if best is None or key[:2] < best[:2]:
                best = key
    assert best is not None
    return best[2], best[3]


def _too_wide(units: dict[str, Unit], links: list[Link], rank: dict[str, int]) -> bool:
    """Whether some rank drawn top-down with one-row boxes would be wider than the page: its
    value boxes are then drawn with data over grad (a chain never is; a wide DAG or a neuron
    with seven operands is)."""
    if not any(u.stacked for u in units.values()):
        return False
    _along, across = _bands(units, links, rank, True)
    low = min(rank.values())
    for lk in links:
        # beside its edge a label takes room across; an edge over several ranks passes each
        # rank between as a thin virtual node
        if lk.attrs.get("label"):
            across[rank[lk.head] - low] += _LABEL[0]
        for r in range(rank[lk.tail] + 1, rank[lk.head]):
            across[r - low] += 72 * _NODESEP + 8
    return max(across) > WIDTH * _MARGIN


def lay_out(g: Digraph, units: dict[str, Unit], links: list[Link], rankdir: str | None,
            below: tuple[float, float] = (0.0, 0.0), plan: dict[str, object] | None = None
            ) -> dict[str, int]:
    """Emit ``units`` and ``links`` into ``g`` by the rules above, leaving room for ``below``
    (a legend's estimated width and height in points); returns each unit's segment (0 when
    the picture is one piece). ``plan``: an empty dict is filled with the choices made
    (direction, cuts, stacked); a filled one makes them again, so that the frames of a film,
    whose sizes differ a little, are cut into the same pieces."""
    rank = _ranks(units, links)
    if len(units) > 12:
        _echo(units, links, rank)
    _straighten(units, links, rank)
    directions = ("TB", "LR") if rankdir is None else (rankdir,)
    flat = rankdir in ("BT", "RL")
    if plan:
        stacked = bool(plan["stacked"])
    else:
        stacked = rankdir in (None, "TB", "BT") and _too_wide(units, links, rank)
    if stacked:
        for u in units.values():
            if u.stacked is not None:
                u.attrs.update(u.stacked[0])
    along_of = {d: _bands(units, links, rank, d in ("TB", "BT"), stacked) for d in directions}
    if plan:
        direction, cuts = str(plan["direction"]), list(plan["cuts"])  # type: ignore[call-overload]
    elif rankdir is not None and flat:
        direction, cuts = rankdir, []
    else:
        direction, cuts = _choose(along_of, below)
    if plan is not None:
        plan.update(direction=direction, cuts=cuts, stacked=stacked)
    low = min(rank.values())
    segment = {u: sum(rank[u] - low >= c for c in cuts) for u in units}
    for link in links:  # an edge into a later segment starts from a copy of its tail there
        s = segment[link.head]
        if segment[link.tail] != s and units[link.tail].copy is not None:
            link.tail = _copy_of(units, link.tail, f"{link.tail}s{s}")
            segment[link.tail] = s
            link.tail_port = ""
    g.attr(rankdir=direction, ranksep=str(_RANKSEP), nodesep=str(_NODESEP))
    # The segments share no edge: dot lays each out as a component and sets the components
    # side by side across the flow, in the order their nodes come (Graphviz's pack would do
    # the same but drops every edge label in dot).
    # (left to right in TB; in LR dot stacks them upwards, so the first segment comes last)
    last = max(segment.values())
    for u in sorted(units.values(), key=lambda u: segment[u.id] if direction == "TB"
                    else last - segment[u.id]):
        g.node(u.id, **u.attrs)
    out_side, in_side = _SIDES[direction]
    across = direction in ("LR", "RL")  # ports are rows: their cells' ends face the flow
    for link in links:
        tail, head = link.tail, link.head
        if link.tail_port:
            tail += f":{link.tail_port}:{out_side}" if across else f":{out_side}"
        if link.head_port:
            head += f":{link.head_port}:{in_side}" if across else f":{in_side}"
        g.edge(tail, head, **link.attrs)
    return segment
