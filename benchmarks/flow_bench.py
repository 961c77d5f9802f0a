"""Time P5 (information flow) and P6 (leakage bounds, with the Z3 cross-check) on generated systems.

    python benchmarks/flow_bench.py [N ...]            # default: 1000 10000 components

A generated system of N components has one policy server, N/20 multi-level servers (trusted to
declassify, each with three objects of three labels), and clients of three labels each calling
three servers, with a shared region per tenth client and a notification per twentieth. The
system is built in memory (the YAML loader is timed by benchmarks/check_bench.py), the policy is
parsed from text. Per N it prints the flow graph size, the seconds for the authority closure
and decoding it (shared with P1-P3, not part of P5), for building the flow graph, for P5, and for each budget's
max-flow and Z3 check, with the network's size (after merging sources and sinks). Then the
same for random networks of 10k and 100k edges between unlabelled components, with the budget
set to the maximum flow (Z3: unsat) and one below it (Z3: sat). Each result is printed with a
hash (P5's JSON result; a budget's flow, cut and Z3 answer), which must not change when only
speed does.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.flow.information import check_information_flow
from smosverify.analyses.flow.graph import FlowEdge, FlowGraph, FlowNode, NodeKind, flow_graph
from smosverify.analyses.flow.leakage import bound_budget, leakage_network
from smosverify.analyses.flow.maxflow import max_flow
from smosverify.errors import Span
from smosverify.load.policy import load_policy
from smosverify.model.kernel import Right
from smosverify.model.policy import Budget
from smosverify.model.system import Component, Connection, Notification, Region, RegionMap, Role, ServerObject, System

LEVELS = ("public", "internal", "secret")
POLICY = """
class file { open read write close }
reads file read;
writes file write;
sid policy_t, server_t, public_t, internal_t, secret_t, public_file_t, internal_file_t, secret_file_t;
sid public_mem_t, internal_mem_t, secret_mem_t, note_t;
lattice { public < internal < secret }
label { public_t public_file_t public_mem_t } : public;
label { internal_t internal_file_t internal_mem_t } : internal;
label { secret_t secret_file_t secret_mem_t server_t policy_t } : secret;
attribute clients = { public_t internal_t secret_t };
allow clients server_t : endpoint { send grant_reply };
allow server_t policy_t : endpoint { send grant_reply };
allow public_t public_file_t : file { open read write close };
allow internal_t { public_file_t } : file { open read close };
allow internal_t { internal_file_t } : file { open read write close };
allow secret_t { public_file_t internal_file_t } : file { open read close };
allow secret_t secret_file_t : file { open read write close };
trusted server_t for secret -> internal;
trusted server_t for secret -> public;
budget secret -> public <= 64 bits;
"""


def generate(n: int, policy_file: Path, seed: int = 1) -> System:
    rng = random.Random(seed)
    policy = load_policy([(policy_file, None)])
    here = Span(str(policy_file), 1, 1)
    components: dict[str, Component] = {"auth": Component("auth", "policy_t", Role.POLICY, here)}
    servers = [f"s{i}" for i in range(max(1, n // 20))]
    for s in servers:
        objects = tuple(ServerObject(f"f_{level}", "file", f"{level}_file_t", s, here) for level in LEVELS)
        components[s] = Component(s, "server_t", Role.SERVER, here, objects)
    clients = [f"c{i}" for i in range(n - len(components))]
    level_of = {c: LEVELS[i % 3] for i, c in enumerate(clients)}
    for c in clients:
        components[c] = Component(c, f"{level_of[c]}_t", Role.CLIENT, here)
    call = frozenset({Right.SEND, Right.GRANT_REPLY})
    connections = [Connection(s, "auth", call, 1, here) for s in servers]
    for c in clients:
        # Public clients get one-bit answers: what the budget counts on.
        capacity = 1 if level_of[c] == "public" else None
        connections += [Connection(c, s, call, i + 1, here, capacity) for i, s in enumerate(rng.sample(servers, min(3, len(servers))))]
    regions = {}
    for i, c in enumerate(clients[::10]):
        s = rng.choice(servers)
        maps = (RegionMap(c, frozenset({Right.READ, Right.WRITE}), here), RegionMap(s, frozenset({Right.READ}), here))
        regions[f"r{i}"] = Region(f"r{i}", f"{level_of[c]}_mem_t", 4096, maps, here)
    notifications = {}
    for i, c in enumerate(clients[::20]):
        s = rng.choice(servers)
        notifications[f"n{i}"] = Notification(f"n{i}", "note_t", ((s, here),), ((c, here),), here, 1)
    return System(f"flow-bench-{n}", str(policy_file), "x86_64", policy, components, tuple(connections), regions, notifications, here)


def bench(n: int, policy_file: Path) -> None:
    system = generate(n, policy_file)
    t0 = time.perf_counter()
    closure = authority_closure(system)
    closure.final  # decoded once and shared by P1-P6 in `check`
    t1 = time.perf_counter()
    graph = flow_graph(system, closure)
    t2 = time.perf_counter()
    p5 = check_information_flow(system, closure, graph)
    t3 = time.perf_counter()
    digest = hashlib.sha256(json.dumps(p5.to_json(), sort_keys=True).encode()).hexdigest()[:16]
    print(f"N={n:>6}  flow graph: {len(graph.nodes):>6} nodes {len(graph.edges):>7} edges  closure={t1 - t0:5.2f}s  "
          f"build flow graph={t2 - t1:5.2f}s  P5 check={t3 - t2:5.2f}s  P5 total={t3 - t1:5.2f}s ({p5.status.value}, hash={digest})",
          flush=True)
    for budget in system.policy.budgets:
        bound(graph, budget.source, budget.sink, budget.bits, f"N={n} budget")


def bound(graph: FlowGraph, source: str, sink: str, bits: int, what: str) -> None:
    t0 = time.perf_counter()
    network = leakage_network(graph, source, sink)
    flow = max_flow(network.nodes, network.tails, network.heads, network.caps, network.source, network.sink)
    t1 = time.perf_counter()
    result = bound_budget(graph, Budget(source, sink, bits, Span("benchmark", 1, 1)), what)
    t2 = time.perf_counter()
    verdict = "holds" if result.holds else "exceeded"
    digest = hashlib.sha256(repr((flow.value, flow.flow, flow.cut, result.z3)).encode()).hexdigest()[:16]
    print(f"  {what}: budget {bits}: network {network.nodes} nodes {len(network.tails)} edges; max flow {flow.value} "
          f"({verdict}) {t1 - t0:5.2f}s; bound with Z3 cross-check ({result.z3}, agrees={result.agrees}) {t2 - t1:5.2f}s  "
          f"hash={digest}", flush=True)


def random_network(edges: int, seed: int = 1) -> FlowGraph:
    """A flow graph of `edges` random channels between edges/5 unlabelled components, with 20
    secret and 20 public ones: after merging sources and sinks the network keeps its size."""
    rng = random.Random(seed)
    here = Span("generated", 1, 1)
    n = edges // 5
    nodes = [FlowNode(NodeKind.COMPONENT, f"c{v}", "c_t", "secret" if v < 20 else "public" if v < 40 else None, here)
             for v in range(n)]
    # Edges never leave a public node nor enter a secret one (those would be dropped anyway).
    out = [FlowEdge(_not_public(rng.randrange(n - 20)), rng.randrange(20, n), "endpoint", rng.randint(1, 64), "generated", here)
           for _ in range(edges)]
    return FlowGraph(tuple(nodes), tuple(e for e in out if e.source != e.sink), {})


def _not_public(v: int) -> int:
    return v if v < 20 else v + 20


def bench_networks(sizes: list[int]) -> None:
    for edges in sizes:
        graph = random_network(edges)
        network = leakage_network(graph, "secret", "public")
        value = max_flow(network.nodes, network.tails, network.heads, network.caps, network.source, network.sink).value
        bound(graph, "secret", "public", value, f"{edges}-edge random network, budget = max flow")
        bound(graph, "secret", "public", value - 1, f"{edges}-edge random network, budget = max flow - 1")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy.pol"
        path.write_text(POLICY)
        for size in [int(a) for a in sys.argv[1:]] or [1000, 10000]:
            bench(size, path)
    bench_networks([10000, 100000])
