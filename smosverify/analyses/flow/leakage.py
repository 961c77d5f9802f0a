"""P6 leakage bounds: the most that can flow from sources labelled A to sinks labelled B per epoch.

The flow graph becomes a network: each edge keeps its capacity, and each channel node (object,
region, notification) is split into an entry and an exit joined by its own capacity, so a region
carries its size once however many read it. A super-source feeds every node labelled A and every
node labelled B drains into a super-sink. The maximum flow equals the minimum cut (max-flow /
min-cut): a budget `A -> B <= k bits` holds exactly when the minimum cut is at most k, and that
cut is the certificate; otherwise the maximum flow, edge by edge, is the witness. Trust plays no
part here: a budget bounds what trusted components release too. Each answer is cross-checked
on the same network in Z3 (smosverify/smt/flow_network.py): for a bound that holds Z3 finds no
flow above k (unsat); for one that is exceeded Z3 finds a flow above k (sat), or, when k is so
close to the maximum that this takes Z3 more than SEARCH_SECONDS, checks the witness flow.
"""

from __future__ import annotations

from dataclasses import dataclass

from smosverify.analyses.flow.graph import FlowGraph
from smosverify.analyses.flow.maxflow import MaxFlow, max_flow
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.errors import InputError
from smosverify.model.policy import Budget
from smosverify.model.system import System
from smosverify.smt.flow_network import answer, budget_query

ID, NAME = "P6", "leakage bound"
SEARCH_SECONDS = 1.0


@dataclass(frozen=True)
class LeakNetwork:
    """A flow network over ints. `origin[i]` says what edge i is: a flow-graph edge (>= 0) or the
    capacity of channel node v (-1 - v)."""

    nodes: int
    tails: tuple[int, ...]
    heads: tuple[int, ...]
    caps: tuple[int, ...]
    origin: tuple[int, ...]
    source: int
    sink: int
    graph: FlowGraph
    exits: tuple[int, ...]  # network node len(graph.nodes) + k is the exit of channel node exits[k]

    def node_name(self, v: int) -> str:
        n = len(self.graph.nodes)
        if v == self.source:
            return "the super-source (every node labelled as the budget's source)"
        if v == self.sink:
            return "the super-sink (every node labelled as the budget's sink)"
        if v >= n:
            return f"the exit of {self.graph.nodes[self.exits[v - n]].name}"
        node = self.graph.nodes[v]
        return f"the entry of {node.name}" if node.capacity is not None else node.name

    def describe(self, i: int) -> str:
        o = self.origin[i]
        if o < 0:
            node = self.graph.nodes[-1 - o]
            return f"through {node.kind.value} {node.name} (capacity of the channel itself)"
        e = self.graph.edges[o]
        return f"{self.graph.nodes[e.source].name} -> {self.graph.nodes[e.sink].name}: {e.cause} [{e.channel}] at {e.span}"


@dataclass(frozen=True)
class BudgetResult:
    budget: Budget
    network: LeakNetwork
    flow: MaxFlow
    query: str  # the SMT-LIB query: is there a flow above the budget?
    z3: str  # "unsat" confirms the bound; "sat" that it is exceeded
    z3_how: str  # how Z3 came to its answer

    @property
    def holds(self) -> bool:
        return self.flow.value <= self.budget.bits

    @property
    def agrees(self) -> bool:
        return self.z3 == ("unsat" if self.holds else "sat")


def leakage_network(graph: FlowGraph, source_label: str, sink_label: str) -> LeakNetwork:
    """The network for one pair of labels. Nodes labelled A are merged into the super-source and
    nodes labelled B into the super-sink (exact: they would be joined to them by unbounded edges,
    so no flow needs to enter a source or leave a sink), except that a channel node keeps its own
    capacity (an A-labelled one as what it can release, a B-labelled one as what it can take in);
    then the network is pruned to edges on some route."""
    n = len(graph.nodes)
    exits = [v for v, node in enumerate(graph.nodes) if node.capacity is not None]
    exit_of = {v: n + k for k, v in enumerate(exits)}
    s, t = n + len(exits), n + len(exits) + 1
    entry = [s if node.label == source_label else t if node.label == sink_label else v for v, node in enumerate(graph.nodes)]
    for v in exits:  # a channel node labelled B still carries at most its capacity into the sink
        if graph.nodes[v].label == sink_label:
            entry[v], exit_of[v] = v, t
    edges: list[tuple[int, int, int, int]] = []
    for v in exits:
        edges.append((entry[v], exit_of[v], graph.nodes[v].capacity, -1 - v))
    for i, e in enumerate(graph.edges):
        edges.append((exit_of.get(e.source, entry[e.source]), entry[e.sink], e.capacity, i))
    edges = [e for e in edges if e[0] != t and e[1] != s and e[0] != e[1]]
    kept = _on_some_route(t + 1, edges, s, t)
    return LeakNetwork(
        t + 1,
        tuple(edges[i][0] for i in kept), tuple(edges[i][1] for i in kept),
        tuple(edges[i][2] for i in kept), tuple(edges[i][3] for i in kept), s, t, graph, tuple(exits),
    )


def _on_some_route(n: int, edges, s: int, t: int) -> list[int]:
    forward: list[list[int]] = [[] for _ in range(n)]
    backward: list[list[int]] = [[] for _ in range(n)]
    for a, b, cap, _ in edges:
        if cap > 0:
            forward[a].append(b)
            backward[b].append(a)
    from_s, to_t = _reach(n, forward, s), _reach(n, backward, t)
    return [i for i, (a, b, cap, _) in enumerate(edges) if cap > 0 and from_s[a] and to_t[b]]


def _reach(n: int, succ: list[list[int]], start: int) -> list[bool]:
    seen = [False] * n
    seen[start] = True
    stack = [start]
    while stack:
        for w in succ[stack.pop()]:
            if not seen[w]:
                seen[w] = True
                stack.append(w)
    return seen


def bound_budget(graph: FlowGraph, budget: Budget, system: str) -> BudgetResult:
    """Max-flow / min-cut for one budget, cross-checked by Z3 on the same network."""
    if budget.source == budget.sink:
        raise InputError(f"budget from label '{budget.source}' to itself: a budget needs two different labels", budget.span)
    network = leakage_network(graph, budget.source, budget.sink)
    flow = max_flow(network.nodes, network.tails, network.heads, network.caps, network.source, network.sink)
    holds = flow.value <= budget.bits
    where = f"budget {budget.source} -> {budget.sink} <= {budget.bits} bits; at {budget.span}"
    expected = f"maximum flow {flow.value} bit(s): the budget {'holds (unsat)' if holds else 'is exceeded (sat)'}"
    query = budget_query(network, budget.bits, where, system, budget.source, budget.sink, expected)
    if holds:
        return BudgetResult(budget, network, flow, query, answer(query), "Z3 finds no flow above the budget")
    # Exceeded: Z3 looks for a flow above the budget itself; when the budget is so close to the
    # maximum that its simplex needs long, it checks the max-flow witness against the same query.
    found = answer(query, SEARCH_SECONDS)
    if found != "unknown":
        return BudgetResult(budget, network, flow, query, found, "Z3 finds a flow above the budget")
    witness = budget_query(network, budget.bits, where, system, budget.source, budget.sink, expected, flow.flow)
    return BudgetResult(budget, network, flow, query, answer(witness), "Z3 checks the witness flow against the query")


def check_leakage(system: System, graph: FlowGraph | None) -> PropertyResult:
    """Every budget bounded on `graph`, which may be None when the policy has no budgets."""
    budgets = system.policy.budgets
    if not budgets:
        return PropertyResult(ID, NAME, Status.NOT_APPLICABLE, "the policy declares no budgets")
    results = tuple(bound_budget(graph, b, system.name) for b in budgets)
    evidence = tuple(_evidence(r) for r in results)
    summary = "; ".join(f"{r.budget.source} -> {r.budget.sink}: max flow {r.flow.value} bit(s), budget {r.budget.bits}" for r in results)
    if not all(r.agrees for r in results):
        return PropertyResult(ID, NAME, Status.UNKNOWN, "the max-flow computation and Z3 disagree (a bug: please report it): " + summary, evidence, results)
    broken = [r for r in results if not r.holds]
    if broken:
        return PropertyResult(ID, NAME, Status.VIOLATED, f"{len(broken)} of {len(results)} budget(s) exceeded (confirmed by Z3): {summary}", evidence, results)
    return PropertyResult(ID, NAME, Status.HOLDS, f"{len(results)} budget(s) hold, each with a minimum cut as certificate (confirmed by Z3): {summary}", evidence, results)


def _evidence(r: BudgetResult) -> Evidence:
    """A holding budget shows its minimum cut; an exceeded one its maximum flow, route by route."""
    net, flow, b = r.network, r.flow, r.budget
    text = f"`budget {b.source} -> {b.sink} <= {b.bits} bits;`"
    if r.holds:
        kind, key, items = "budget-holds", "cut", list(flow.cut)
        bits = [net.caps[i] for i in items]
        lines = [f"cut {net.caps[i]} bit(s): {net.describe(i)}" for i in items]
        message = f"{text} holds: a cut of {flow.value} bit(s) per epoch separates them"
    else:
        routes = decompose(net, flow.flow)
        kind, key, items = "budget-exceeded", "flow", list(dict.fromkeys(i for _, route in routes for i in route))
        bits = [flow.flow[i] for i in items]
        lines = [f"route {k}, {carried} bit(s): {net.describe(i)} (carries {flow.flow[i]} of {net.caps[i]})"
                 for k, (carried, route) in enumerate(routes, 1) for i in route]
        message = f"up to {flow.value} bit(s) per epoch can flow from {b.source} to {b.sink}, over {text}"
    return Evidence(
        kind, message, tuple(dict.fromkeys([b.span, *_spans(net, items)])),
        {"budget": b.bits, "max_flow": flow.value, key: [_item(net, i, x) for i, x in zip(items, bits)], "path": lines, "z3": r.z3, "z3_how": r.z3_how},
    )


def decompose(net: LeakNetwork, flow: tuple[int, ...]) -> list[tuple[int, list[int]]]:
    """The flow as source-to-sink routes (bits, edges). Follows edges that still carry flow;
    conservation guarantees a way on from every inner node, and a cycle met on the way carries
    nothing from source to sink, so it is cancelled. Each step empties at least one edge."""
    left = list(flow)
    out_edges: list[list[int]] = [[] for _ in range(net.nodes)]
    for i, a in enumerate(net.tails):
        out_edges[a].append(i)
    routes = []
    while True:
        path: list[int] = []
        at = {net.source: 0}
        v = net.source
        while v != net.sink:
            i = next((i for i in out_edges[v] if left[i] > 0), None)
            if i is None:
                return routes
            w = net.heads[i]
            if w in at:
                cycle = path[at[w]:] + [i]
                least = min(left[c] for c in cycle)
                for c in cycle:
                    left[c] -= least
                for c in path[at[w]:]:
                    del at[net.heads[c]]
                del path[at[w]:]
                v = w
                continue
            path.append(i)
            at[w] = len(path)
            v = w
        bits = min(left[i] for i in path)
        for i in path:
            left[i] -= bits
        routes.append((bits, path))


def _spans(net: LeakNetwork, items: list[int]):
    for i in items:
        o = net.origin[i]
        yield net.graph.nodes[-1 - o].span if o < 0 else net.graph.edges[o].span


def _item(net: LeakNetwork, i: int, bits: int) -> dict:
    o = net.origin[i]
    if o < 0:
        node = net.graph.nodes[-1 - o]
        return {"through": node.name, "bits": bits, "capacity": net.caps[i], "span": str(node.span)}
    e = net.graph.edges[o]
    return {"from": net.graph.nodes[e.source].name, "to": net.graph.nodes[e.sink].name, "channel": e.channel,
            "bits": bits, "capacity": e.capacity, "cause": e.cause, "span": str(e.span)}
