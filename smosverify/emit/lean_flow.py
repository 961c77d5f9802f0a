"""The flow certificate and the leakage network of a Lean instance module.

The flow certificate is what `FlowClosed` asks for, computed as the Lean checker reads it: the
graph is every flow step the rules of `FlowStep` derive from the certificate's caps and handles
(`ruleEdges`, mirrored by `rule_edges`), the facts are (source label, labels it may be treated
as) closed under the graph from every labelled node, widened when leaving a trusted component the
certificate shows untampered (`leaveL`). The
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
from smosverify.emit.lean_data import Terms, comp_order, target_order

PRIVATE = ("tcb", "cnode", "vspace", "frames")


def kind(t: tuple) -> str:
    return t[2] if t[0] == "own" else t[1]


def target_sid(t: tuple) -> int:
    return t[1][1] if t[0] == "own" else t[3]


def apart(a: tuple, b: tuple) -> bool:
    """`Apart`: different components, or a summary (which stands for many)."""
    return a != b or a[3]


def memory_node(t: tuple) -> tuple | None:
    if t[0] == "own" and t[2] == "frames":
        return ("comp", t[1])
    return ("chan", t) if t[0] == "chan" and t[1] == "region" else None


def send_pairs(caps: list[tuple], handles: list[tuple]) -> list[tuple]:
    """`sendPairs`: who can send on what (caps with send, handles to their server's endpoint)."""
    return [(e[0], e[1]) for e in caps if "send" in e[2]] + [(h[0], ("own", h[1][3], "endpoint")) for h in handles]


def acting(sys: dict, caps: list[tuple], handles: list[tuple]) -> dict[tuple, set[tuple]]:
    """`actingOf` of every server: (caller, sid it acts as), indexed by the server's endpoint."""
    out: dict[tuple, set[tuple]] = {}
    for a, t in send_pairs(caps, handles):
        if t[0] == "own" and t[2] == "endpoint" and apart(a, t[1]):
            out.setdefault(t, set()).add((a, a[1]))
    clients: dict[tuple, list[tuple]] = {}
    for server, b, sid in sys["clients"]:
        clients.setdefault(("own", server, "endpoint"), []).append((b, sid))
    for holder, t, rights, badge in caps:
        if t in clients and "send" in rights and apart(holder, t[1]):
            out.setdefault(t, set()).update((holder, sid) for b, sid in clients[t] if badge in (0, b))
    return out


def rule_edges(sys: dict, cert: dict) -> set[tuple]:
    """`ruleEdges`: every flow step of the certificate's caps and handles, by the rules of
    `FlowStep` (call, answer, receiveAffects, signal, memory, control, object)."""
    caps, handles, pol = cert["caps"], cert["handles"], sys["policy"]
    out: set[tuple] = set()
    by_target: dict[tuple, list[tuple]] = {}
    for e in caps:
        by_target.setdefault(e[1], []).append(e)
    receivers = {t: {e[0] for e in held if "receive" in e[2]} for t, held in by_target.items() if kind(t) == "endpoint"}
    for a, t in send_pairs(caps, handles):  # call and answer
        for b in receivers.get(t, ()):
            if apart(a, b):
                out.update({(("comp", a), ("comp", b)), (("comp", b), ("comp", a))})
    for t, held in by_target.items():
        r = {"endpoint": "receive", "notification": "wait"}.get(kind(t))
        receivers = {e[0] for e in held if r in e[2]}
        out.update(edge for a in receivers if any(apart(a, b) for b in receivers)  # receiveAffects
                   for edge in ((("comp", a), ("chan", t)), (("chan", t), ("comp", a))))
    for holder, t, rights, _ in caps:
        if kind(t) == "notification":  # signal
            out.update([(("comp", holder), ("chan", t))] if "signal" in rights else [])
            out.update([(("chan", t), ("comp", holder))] if "wait" in rights else [])
        m = memory_node(t)
        if m and "read" in rights and (m[0] != "comp" or apart(m[1], holder)):  # memory
            out.add((m, ("comp", holder)))
            out.update([(("comp", holder), m)] if "write" in rights else [])
        if t[0] == "own" and t[2] in ("tcb", "cnode", "vspace") and "control" in rights and apart(holder, t[1]):
            out.update({(("comp", holder), ("comp", t[1])), (("comp", t[1]), ("comp", holder))})  # control
    reads, writes = set(pol["reads"]), set(pol["writes"])
    callers = acting(sys, caps, handles)
    ops: dict[tuple, list[int]] = {}
    for s, ob, cls, op in pol["allow"]:
        ops.setdefault((s, ob, cls), []).append(op)
    for o in sys["objects"]:  # object
        out.update({(("comp", o[3]), ("obj", o)), (("obj", o), ("comp", o[3]))})
        for h, sid in callers.get(("own", o[3], "endpoint"), ()):
            for op in ops.get((sid, o[2], o[1]), ()):
                out.update([(("comp", h), ("obj", o))] if (o[1], op) in writes else [])
                out.update([(("obj", o), ("comp", h))] if (o[1], op) in reads else [])
    return out


def labels_of(pol: dict, v: tuple) -> list[int]:
    """`labelsOf`: an endpoint is unlabelled; other nodes by their sid."""
    if v[0] == "comp":
        sid = v[1][1]
    elif v[0] == "obj":
        sid = v[1][2]
    elif kind(v[1]) == "endpoint":
        return []
    else:
        sid = target_sid(v[1])
    return [label for s, label in pol["labelOf"] if s == sid]


def widen(pol: dict, sid: int, m: tuple) -> tuple:
    """`widenL` with as many rounds as trust rules: each round adds, in rule order, the sink of
    every rule for `sid` not yet in `m` whose source is at or above a label of `m`."""
    order = set(pol["order"])
    for _ in pol["trust"]:
        m = m + tuple(sink for subject, source, sink in pol["trust"]
                      if subject == sid and sink not in m and any((l, source) in order for l in m))
    return m


def leave(pol: dict, trusted: list[tuple], u: tuple, m: tuple) -> tuple:
    """`leaveL`: widened when `u` is a component the certificate trusts."""
    return widen(pol, u[1][1], m) if u[0] == "comp" and u[1] in trusted else m


def untampered(caps: list[tuple], c: tuple) -> bool:
    """`checkUntampered`: an initial component nobody else controls or receives for."""
    return not c[3] and not any(e[0] != c and e[1][0] == "own" and e[1][1] == c and
                                (e[1][2] in PRIVATE or (e[1][2] == "endpoint" and "receive" in e[2])) for e in caps)


def flow_certificate(sys: dict, cert: dict) -> dict:
    """`declared`, `trusted`, `edges` and `facts` of a certificate with `comps`, `caps` and
    `handles`: the graph is `ruleEdges`, the facts its closure from every labelled node."""
    pol = sys["policy"]
    trusting = {subject for subject, _, _ in pol["trust"]}
    trusted = [c for c in cert["comps"] if c[1] in trusting and untampered(cert["caps"], c)]
    succ: dict[tuple, set[tuple]] = {}
    for u, v in rule_edges(sys, cert):
        succ.setdefault(u, set()).add(v)
    facts: dict[tuple, set[tuple]] = {}
    todo = []
    for u, vs in succ.items():
        for label in labels_of(pol, u):
            todo.extend((v, (label, leave(pol, trusted, u, (label,)))) for v in vs)
    while todo:
        v, fact = todo.pop()
        if fact not in facts.setdefault(v, set()):
            facts[v].add(fact)
            todo.extend((w, (fact[0], leave(pol, trusted, v, fact[1]))) for w in succ.get(v, ()))
    return {
        "declared": sorted({b for _, b, _ in sys["clients"]}),
        "trusted": trusted,
        "edges": [(u, sorted(succ[u], key=node_order)) for u in sorted(succ, key=node_order)],
        "facts": [(v, sorted(facts[v])) for v in sorted(facts, key=node_order)],
    }


def node_order(v: tuple) -> tuple:
    if v[0] == "comp":
        return (0, comp_order(v[1]))
    if v[0] == "obj":
        return (1, v[1][0])
    return (2, target_order(v[1]))


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
