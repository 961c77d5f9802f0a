"""Graph algorithms on integer-numbered nodes, written for speed: SCCs and bitset propagation.

Nodes are 0..n-1 and `succ[v]` is an iterable of successors. Sets of facts are Python ints
used as bitsets, so a union is one C-level `|`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_NONZERO_BYTE = re.compile(rb"[^\x00]")


def strongly_connected_components(n: int, succ: Sequence[Sequence[int]]) -> list[list[int]]:
    """Tarjan's algorithm, iterative; components come out in topological order (sources first).

    O(n + e) time.
    """
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, iter(succ[w])))
                    advanced = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                if low[v] < low[parent]:
                    low[parent] = low[v]
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    component.append(w)
                    if w == v:
                        break
                components.append(component)
    components.reverse()
    return components


def propagate_union(n: int, succ: Sequence[Sequence[int]], bits: list[int]) -> list[int]:
    """Each node's bits joined with the bits of every node that reaches it.

    Condenses the graph into SCCs and unions along the DAG in topological order: O(n + e)
    unions, never a path enumeration.
    """
    components = strongly_connected_components(n, succ)
    component_of = [0] * n
    for c, members in enumerate(components):
        for v in members:
            component_of[v] = c
    value = [0] * len(components)
    for c, members in enumerate(components):
        acc = 0
        for v in members:
            acc |= bits[v]
        value[c] |= acc
    for c, members in enumerate(components):
        acc = value[c]
        if not acc:
            continue
        for v in members:
            for w in succ[v]:
                d = component_of[w]
                if d != c:
                    value[d] |= acc
    return [value[component_of[v]] for v in range(n)]


def set_bits(x: int) -> list[int]:
    """Indices of the 1 bits of x, in increasing order.

    Scans the int's bytes for nonzero ones in C (a regex over `to_bytes`), so a wide, sparse
    set costs its width in bytes, not in characters as `bin()` would."""
    data = x.to_bytes((x.bit_length() + 7) // 8, "little")
    out = []
    for match in _NONZERO_BYTE.finditer(data):
        i = match.start()
        byte, base = data[i], i * 8
        while byte:
            low = byte & -byte
            out.append(base + low.bit_length() - 1)
            byte ^= low
    return out
