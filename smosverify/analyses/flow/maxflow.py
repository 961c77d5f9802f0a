"""Maximum flow and minimum cut on integer capacities: Dinic's algorithm on flat int arrays.

Edges are numbered 0..m-1 and stored with their reverse as residual arcs 2i and 2i+1, so the
flow on edge i is the residual capacity of arc 2i+1. O(V^2 E) in general, O(E sqrt(V)) on unit
networks; in practice a few BFS phases on the networks flow graphs give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MaxFlow", "max_flow"]


@dataclass(frozen=True)
class MaxFlow:
    value: int
    flow: tuple[int, ...]  # per edge, the witness: within capacity, conserved at inner nodes
    source_side: frozenset[int]  # nodes reachable from the source in the residual network
    cut: tuple[int, ...]  # edges from the source side to the rest: saturated, total = value


def max_flow(n: int, tails: Sequence[int], heads: Sequence[int], caps: Sequence[int], s: int, t: int) -> MaxFlow:
    """Maximum s-t flow of the network with edges tails[i] -> heads[i] of capacity caps[i] >= 0.

    Raises ValueError when s == t or a capacity is negative.
    """
    if s == t:
        raise ValueError("source and sink are the same node")
    m = len(tails)
    to = [0] * (2 * m)
    residual = [0] * (2 * m)
    adjacency: list[list[int]] = [[] for _ in range(n)]
    for i in range(m):
        if caps[i] < 0:
            raise ValueError(f"edge {i} has negative capacity {caps[i]}")
        to[2 * i], to[2 * i + 1] = heads[i], tails[i]
        residual[2 * i] = caps[i]
        adjacency[tails[i]].append(2 * i)
        adjacency[heads[i]].append(2 * i + 1)
    value = 0
    while True:
        level = _levels(n, adjacency, to, residual, s)
        if level[t] < 0:
            break
        value += _blocking_flow(n, adjacency, to, residual, level, s, t)
    side = level  # the last BFS: nodes with level >= 0 are reachable from s
    source_side = frozenset(v for v in range(n) if side[v] >= 0)
    cut = tuple(i for i in range(m) if side[tails[i]] >= 0 and side[heads[i]] < 0)
    return MaxFlow(value, tuple(residual[2 * i + 1] for i in range(m)), source_side, cut)


def _levels(n: int, adjacency, to, residual, s: int) -> list[int]:
    level = [-1] * n
    level[s] = 0
    frontier = [s]
    while frontier:
        nxt = []
        for v in frontier:
            lv = level[v] + 1
            for arc in adjacency[v]:
                w = to[arc]
                if residual[arc] > 0 and level[w] < 0:
                    level[w] = lv
                    nxt.append(w)
        frontier = nxt
    return level


def _blocking_flow(n: int, adjacency, to, residual, level, s: int, t: int) -> int:
    """Augment along level-increasing paths until none is left (iterative DFS with arc pointers)."""
    pointer = [0] * n
    total = 0
    while True:
        path: list[int] = []  # arcs from s
        v = s
        while v != t:
            arcs = adjacency[v]
            i = pointer[v]
            while i < len(arcs):
                arc = arcs[i]
                w = to[arc]
                if residual[arc] > 0 and level[w] == level[v] + 1:
                    break
                i += 1
            pointer[v] = i
            if i == len(arcs):  # dead end: retreat
                if not path:
                    return total
                level[v] = -2  # never enter v again in this phase
                arc = path.pop()
                v = to[arc ^ 1]
                pointer[v] += 1
                continue
            path.append(arcs[i])
            v = to[arcs[i]]
        pushed = min(residual[arc] for arc in path)
        for arc in path:
            residual[arc] -= pushed
            residual[arc ^ 1] += pushed
        total += pushed
