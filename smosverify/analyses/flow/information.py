"""P5 information-flow security: every fact that can reach a labelled node may flow there.

Every labelled node is a source of a fact (its label, {its label}); facts spread along the flow
graph and trusted components widen them (smosverify/analyses/flow/policy.py). Reachability is
computed once for all facts: bitsets propagated over the SCC condensation, a trusted component
split into an entry and an exit joined by its widening, repeated until no exit gains a fact
(rounds bounded by the depth of chained trusted components), never enumerating paths. Only for
a violation is a shortest path found, by breadth-first search from the sources of one label.
Unlabelled nodes carry information through but make no claim of their own.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from smosverify.analyses.authority.closure import AuthorityClosure
from smosverify.analyses.flow.graph import FlowGraph
from smosverify.analyses.flow.policy import FlowPolicy, flow_policy, trusted_components
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.analyses.authority.tamper import tampering
from smosverify.graph import propagate_union, set_bits
from smosverify.model.policy import TrustRule
from smosverify.model.system import System

ID, NAME = "P5", "information-flow security"


@dataclass(frozen=True)
class FlowFacts:
    """The closed set of reachable flows, the certificate of P5.

    `facts[i]` is (source label, labels it may be treated as), as label bitmasks over
    `policy.labels`; `reached[v]` is the bitmask of facts arriving at node v; `leaving[v]` those
    leaving it (different only at trusted components). Closed: every edge u -> v has
    leaving[u] within reached[v]; each labelled node's own fact is in reached[v].
    """

    graph: FlowGraph
    policy: FlowPolicy
    facts: tuple[tuple[int, int], ...]
    reached: tuple[int, ...]
    leaving: tuple[int, ...]
    relied_on: tuple[tuple[str, TrustRule], ...]  # (component, rule) that admitted some fact

    def bad_at(self, label: int) -> int:
        """Facts that may not arrive at a node with this label."""
        allowed = self.policy.may_reach[label]
        return sum(1 << i for i, (_, mask) in enumerate(self.facts) if not mask & allowed)


class _Facts:
    """Numbering of facts and the cached widening of each at each trusted component."""

    def __init__(self, policy: FlowPolicy):
        self.policy = policy
        self.index: dict[tuple[int, int], int] = {}
        self.facts: list[tuple[int, int]] = []
        self.widened: dict[tuple[str, int], tuple[int, tuple[TrustRule, ...]]] = {}

    def of(self, source: int, mask: int) -> int:
        key = (source, mask)
        if key not in self.index:
            self.index[key] = len(self.facts)
            self.facts.append(key)
        return self.index[key]

    def widen(self, component: str, fact: int) -> tuple[int, tuple[TrustRule, ...]]:
        key = (component, fact)
        if key not in self.widened:
            source, mask = self.facts[fact]
            wider, fired = self.policy.declassify(component, mask)
            self.widened[key] = (self.of(source, wider), fired)
        return self.widened[key]

    def widen_all(self, component: str, bits: int) -> int:
        out = 0
        for fact in set_bits(bits):
            out |= 1 << self.widen(component, fact)[0]
        return out


def reachable_facts(graph: FlowGraph, policy: FlowPolicy) -> FlowFacts:
    """Close the facts under the flow graph. O(rounds × (nodes + edges)) bitset unions."""
    n = len(graph.nodes)
    numbering = _Facts(policy)
    trusted = [v for v, node in enumerate(graph.nodes) if node.name in policy.trust]
    exit_of = {v: n + k for k, v in enumerate(trusted)}
    succ = graph.successors()
    split = [[] if v in exit_of else list(s) for v, s in enumerate(succ)] + [list(succ[v]) for v in trusted]
    seeds = [0] * (n + len(trusted))
    for v, node in enumerate(graph.nodes):
        if node.label is not None:
            label = policy.position[node.label]
            seeds[v] |= 1 << numbering.of(label, 1 << label)
    while True:
        bits = propagate_union(len(split), split, seeds)
        grew = False
        for v in trusted:
            out = numbering.widen_all(graph.nodes[v].name, bits[v])
            if out & ~seeds[exit_of[v]]:
                seeds[exit_of[v]] |= out
                grew = True
        if not grew:
            break
    reached = tuple(bits[:n])
    leaving = tuple(bits[exit_of[v]] if v in exit_of else reached[v] for v in range(n))
    facts = FlowFacts(graph, policy, tuple(numbering.facts), reached, leaving, ())
    return FlowFacts(graph, policy, facts.facts, reached, leaving, _relied_on(facts, numbering, trusted, succ))


def _relied_on(facts: FlowFacts, numbering: _Facts, trusted: list[int], succ) -> tuple[tuple[str, TrustRule], ...]:
    """Trust rules that widened a fact which then arrived, downstream of the trusted component,
    at a node where the unwidened fact may not. One more bitset propagation finds which trusted
    components reach each node; then (label, fact) pairs are matched, never paths."""
    graph, policy = facts.graph, facts.policy
    seeds = [0] * len(graph.nodes)
    for k, v in enumerate(trusted):
        seeds[v] = 1 << k
    downstream = propagate_union(len(graph.nodes), succ, seeds)  # trusted components reaching v
    reaching: dict[tuple[int, int], int] = {}  # (label, fact arriving) -> trusted components upstream
    for v, node in enumerate(graph.nodes):
        if node.label is not None and downstream[v]:
            b = policy.position[node.label]
            for fact in set_bits(facts.reached[v]):
                reaching[b, fact] = reaching.get((b, fact), 0) | downstream[v]
    bad = [facts.bad_at(b) for b in range(len(policy.labels))]
    used: dict[tuple[str, str], tuple[str, TrustRule]] = {}
    for k, v in enumerate(trusted):
        name = graph.nodes[v].name
        for fact in set_bits(facts.reached[v]):
            wider, fired = numbering.widen(name, fact)
            if fired and any(reaching.get((b, wider), 0) >> k & 1 and bad[b] >> fact & 1 and not bad[b] >> wider & 1
                             for b in range(len(policy.labels))):
                for rule in fired:
                    used.setdefault((name, rule.text), (name, rule))
    return tuple(used[k] for k in sorted(used))


def check_information_flow(system: System, closure: AuthorityClosure, graph: FlowGraph | None) -> PropertyResult:
    """P5 over the flow graph of `closure` (the closure explains caps obtained by transfers); the
    graph may be None when the policy has no labels, as nothing is read from it then."""
    if not system.policy.labels:
        return PropertyResult(ID, NAME, Status.NOT_APPLICABLE, "the policy declares no labels (no lattice, no flow policy to check)")
    trusted = trusted_components(system.policy, system)
    void = {name: found[0] for name in trusted if (found := tampering(closure, name))}
    policy = flow_policy(system.policy, system, frozenset(void))
    facts = reachable_facts(graph, policy)
    groups = violations(facts)
    relied = tuple(_trust_evidence(system, component, rule) for component, rule in facts.relied_on)
    trust = relied + tuple(
        Evidence("trust-void", f"not relying on {name}'s trust: {holder} can obtain {right.value} on {target}, "
                 "so its code may not be what was trusted (P2 reports it); flows through it are checked like anyone's",
                 (system.components[name].span,), {"component": name, "holder": holder, "target": str(target)})
        for name, (holder, target, right) in void.items())
    unlabelled = sum(1 for node in graph.nodes if node.label is None)
    size = f"{len(graph.nodes)} node(s), {len(graph.edges)} edge(s)"
    notes = "".join([
        f"; relies on {len(relied)} trust assumption(s): " + "; ".join(f"{e.data['component']} `{e.data['rule']}`" for e in relied) if relied else "",
        f"; trust void for {', '.join(void)} (others can tamper with them)" if void else "",
        f"; {unlabelled} unlabelled node(s) pass information through unchecked" if unlabelled else "",
    ])
    if groups:
        evidence = tuple(_witnesses(facts, closure, groups)) + trust
        return PropertyResult(ID, NAME, Status.VIOLATED, f"{len(groups)} forbidden flow(s) between labels over {size}{notes}", evidence, facts)
    return PropertyResult(ID, NAME, Status.HOLDS, f"every flow over {size} is allowed by the flow policy{notes}", trust, facts)


def violations(facts: FlowFacts) -> dict[tuple[int, int], list[int]]:
    """(source label, sink label) -> nodes where a fact from the source may not arrive, sorted."""
    bad = [facts.bad_at(b) for b in range(len(facts.policy.labels))]
    out: dict[tuple[int, int], list[int]] = {}
    for v, node in enumerate(facts.graph.nodes):
        if node.label is None:
            continue
        b = facts.policy.position[node.label]
        for fact in set_bits(facts.reached[v] & bad[b]):
            sinks = out.setdefault((facts.facts[fact][0], b), [])
            if not sinks or sinks[-1] != v:
                sinks.append(v)
    return dict(sorted(out.items()))


def shortest_path(facts: FlowFacts, source: int, sink_label: int) -> list[int]:
    """Edge numbers of a shortest path from a node labelled `source` to a node labelled
    `sink_label` where the fact arrives forbidden; breadth-first over (node, fact)."""
    graph, policy = facts.graph, facts.policy
    numbering = {f: i for i, f in enumerate(facts.facts)}
    bad = facts.bad_at(sink_label)
    out_edges = graph.out_edges()
    start = numbering[(source, 1 << source)]
    parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {}
    queue: deque[tuple[int, int]] = deque()
    for v, node in enumerate(graph.nodes):
        if node.label is not None and policy.position[node.label] == source:
            parent[(v, start)] = None
            queue.append((v, start))
    while queue:
        here = queue.popleft()
        v, fact = here
        node = graph.nodes[v]
        if node.label is not None and policy.position[node.label] == sink_label and bad >> fact & 1:
            path = []
            while parent[here] is not None:
                here, e = parent[here]
                path.append(e)
            return path[::-1]
        onward = fact
        if node.name in policy.trust:
            src, mask = facts.facts[fact]
            onward = numbering[(src, policy.declassify(node.name, mask)[0])]
        for e in out_edges[v]:
            key = (graph.edges[e].sink, onward)
            if key not in parent:
                parent[key] = (here, e)
                queue.append(key)
    raise AssertionError("a reported violation has no path")


def _witnesses(facts: FlowFacts, closure: AuthorityClosure, groups: dict[tuple[int, int], list[int]]):
    graph, labels = facts.graph, facts.policy.labels
    for (a, b), sinks in groups.items():
        path = shortest_path(facts, a, b)
        first, last = graph.nodes[graph.edges[path[0]].source], graph.nodes[graph.edges[path[-1]].sink]
        hops = [_hop(facts, closure, e) for e in path]
        others = [graph.nodes[v].name for v in sinks]
        yield Evidence(
            "forbidden-flow",
            f"information labelled {labels[a]} flows from {first.name} to {last.name} (labelled {labels[b]}) in "
            f"{len(path)} hop(s); the flow policy does not allow {labels[a]} -> {labels[b]}"
            + (f" ({len(sinks)} node(s) labelled {labels[b]} affected)" if len(sinks) > 1 else ""),
            tuple(dict.fromkeys([first.span] + [graph.edges[e].span for e in path] + [last.span])),
            {"source_label": labels[a], "sink_label": labels[b], "source": first.name, "sink": last.name,
             "path": hops, "sinks": others},
        )


def _hop(facts: FlowFacts, closure: AuthorityClosure, e: int) -> str:
    graph = facts.graph
    edge = graph.edges[e]
    src, dst = graph.nodes[edge.source], graph.nodes[edge.sink]
    text = f"{src.name} -> {dst.name}: {edge.cause} [{edge.channel}, {edge.capacity} bit(s)] at {edge.span}"
    rules = facts.policy.trust.get(src.name, ())
    if rules:
        text += "; " + src.name + " is trusted: " + " ".join(f"`{r.text}`" for r in rules)
    if not edge.initial:
        holder, target, right = edge.authority
        text += "; the cap is obtained: " + "; ".join(closure.explain(holder, target, right))
    return text


def _trust_evidence(system: System, component: str, rule: TrustRule) -> Evidence:
    return Evidence(
        "trust-assumption",
        f"relies on {component} ({system.components[component].sid}) being trusted: `{rule.text}`",
        (rule.span, system.components[component].span),
        {"component": component, "rule": rule.text},
    )
