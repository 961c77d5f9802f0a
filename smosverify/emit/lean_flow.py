"""The flow pairs and the leakage network of a Lean instance module.

`flows` is the certificate `FlowClosed` asks for: every one-step flow the Lean model's
`FlowStep` rules derive from the certificate's caps and handles, closed under composition. The
network and cuts come from the P6 analysis: the flow graph with each channel node split into an
entry and an exit (as `leakage_network` splits it), and per budget the source side of the
minimum cut the analysis found, extended by every node that cannot reach a sink except through a
source. Every arc leaving that side is then a saturated edge of the analysis' cut (it starts at a
source or on the residual source side, and its end reaches a sink avoiding the sources, so the
edge lies on a source-to-sink route of the analysis' pruned network), so its capacity is at
most the maximum flow.
"""

from __future__ import annotations

from smosverify.analyses.flow.graph import FlowGraph
from smosverify.analyses.flow.leakage import BudgetResult
from smosverify.emit.lean_data import Terms, comp_order

FLOW_PAIRS = {("send", "receive"), ("receive", "send"), ("write", "read"), ("signal", "wait")}
TO_OWNER = ("write", "send", "control")
FROM_OWNER = ("read", "send", "control")


def one_step_flows(caps: list[tuple], handles: list[tuple]) -> set[tuple]:
    """The `FlowStep` pairs (pair, toOwner, fromOwner, handleIn, handleOut) of a certificate; a
    holder has a right on a target when one of its caps to it carries the right."""
    out: set[tuple] = set()
    by_target: dict[tuple, set[tuple]] = {}
    for holder, target, rights, _ in caps:
        by_target.setdefault(target, set()).update((holder, right) for right in rights)
        if target[0] == "own":
            owner = target[1]
            if set(rights) & set(TO_OWNER):
                out.add((holder, owner))
            if set(rights) & set(FROM_OWNER):
                out.add((owner, holder))
    for held in by_target.values():
        out.update((a, b) for a, r1 in held for b, r2 in held if (r1, r2) in FLOW_PAIRS)
    for holder, obj, _ in handles:
        server = obj[3]
        out.update({(holder, server), (server, holder)})
    return out


def lean_flows(caps: list[tuple], handles: list[tuple]) -> list[tuple]:
    """The transitive closure of the one-step flows, sorted: paths of one or more steps."""
    succ: dict[tuple, set[tuple]] = {}
    for a, b in one_step_flows(caps, handles):
        succ.setdefault(a, set()).add(b)
    out = []
    for a in succ:
        seen: set[tuple] = set()
        todo = list(succ[a])
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                todo.extend(succ.get(b, ()))
        out.extend((a, b) for b in seen)
    return sorted(out, key=lambda p: (comp_order(p[0]), comp_order(p[1])))


def lean_network(graph: FlowGraph, terms: Terms) -> dict:
    """Arcs over graph nodes 0..n-1 and channel exits n.., and each labelled node's label."""
    n = len(graph.nodes)
    exits = [v for v, node in enumerate(graph.nodes) if node.capacity is not None]
    exit_of = {v: n + k for k, v in enumerate(exits)}
    arcs = [(v, exit_of[v], graph.nodes[v].capacity) for v in exits]
    arcs += [(exit_of.get(e.source, e.source), e.sink, e.capacity) for e in graph.edges]
    labels = [(v, terms.n("label", node.label)) for v, node in enumerate(graph.nodes) if node.label is not None]
    names = [node.name for node in graph.nodes] + [f"exit of {graph.nodes[v].name}" for v in exits]
    return {"arcs": arcs, "labels": labels, "names": names}


def lean_cuts(results: tuple[BudgetResult, ...], network: dict, terms: Terms) -> list[tuple]:
    """Per budget, the nodes besides the sources on the source side of the analysis' min cut."""
    nodes = len(network["names"])
    reaches: dict[int, set[int]] = {}
    for a, b, cap in network["arcs"]:
        if cap > 0:
            reaches.setdefault(b, set()).add(a)
    out = []
    for r in results:
        b = r.budget
        source, sink = terms.n("label", b.source), terms.n("label", b.sink)
        sources = {v for v, lab in network["labels"] if lab == source}
        sinks = {v for v, lab in network["labels"] if lab == sink}
        to_sink = _backwards(sinks, reaches, sources)
        side = {v for v in r.flow.source_side if v < nodes} | {v for v in range(nodes) if v not in to_sink}
        out.append(((source, sink, b.bits), sorted(side - sources)))
    return out


def _backwards(start: set[int], preds: dict[int, set[int]], avoid: set[int]) -> set[int]:
    """Nodes with a path into `start` whose nodes after the first are not in `avoid`."""
    seen = set(start)
    todo = [v for v in start if v not in avoid]
    while todo:
        for p in preds.get(todo.pop(), ()):
            if p not in seen:
                seen.add(p)
                if p not in avoid:
                    todo.append(p)
    return seen
