"""P6 (smosverify/analyses/flow/leakage.py, maxflow.py, smt/flow_network.py): max-flow against
networkx, cuts and witnesses checked from their definitions, the network construction, the
examples, and Z3 agreeing with the max-flow computation on examples and generated networks."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.check import check_system
from smosverify.analyses.flow.graph import FlowEdge, FlowGraph, FlowNode, NodeKind, flow_graph
from smosverify.analyses.flow.leakage import bound_budget, check_leakage, decompose, leakage_network
from smosverify.analyses.flow.maxflow import max_flow
from smosverify.analyses.result import Status
from smosverify.errors import InputError, Span
from smosverify.load.system import load_system
from smosverify.model.policy import Budget
from smosverify.smt.flow_network import answer, budget_query, witness

from .util import assert_feasible_flow, assert_separating_cut, build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HERE = Span("test", 1, 1)

networks = st.integers(2, 9).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, 12)), max_size=30),
))


@settings(max_examples=300, deadline=None)
@given(networks)
def test_max_flow_matches_networkx_with_a_feasible_flow_and_a_separating_cut(case):
    n, arcs = case
    tails, heads, caps = [a for a, _, _ in arcs], [b for _, b, _ in arcs], [c for _, _, c in arcs]
    result = max_flow(n, tails, heads, caps, 0, n - 1)
    reference = nx.DiGraph()
    reference.add_nodes_from(range(n))
    for a, b, c in arcs:
        if a != b:
            reference.add_edge(a, b, capacity=reference.get_edge_data(a, b, {"capacity": 0})["capacity"] + c)
    assert result.value == nx.maximum_flow_value(reference, 0, n - 1)
    assert_feasible_flow(n, tails, heads, caps, 0, n - 1, result.flow, result.value)
    assert_separating_cut(n, tails, heads, caps, 0, n - 1, result.cut, result.value)


def test_max_flow_rejects_bad_networks():
    with pytest.raises(ValueError):
        max_flow(2, [0], [1], [1], 0, 0)
    with pytest.raises(ValueError):
        max_flow(2, [0], [1], [-1], 0, 1)


def random_graph(n: int, arcs, labels) -> FlowGraph:
    nodes = tuple(FlowNode(NodeKind.COMPONENT if cap is None else NodeKind.REGION, f"n{v}", "s_t", lab, HERE, cap)
                  for v, (lab, cap) in enumerate(labels))
    return FlowGraph(nodes, tuple(FlowEdge(a, b, "memory", c, "arc", HERE) for a, b, c in arcs if a != b), {})


graphs = st.integers(2, 8).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, 9)), max_size=24),
    st.lists(st.tuples(st.sampled_from(["A", "B", None]), st.one_of(st.none(), st.integers(0, 9))), min_size=n, max_size=n),
))


def reference_leak(graph: FlowGraph) -> int:
    """The max flow of the unreduced network built by hand with networkx: channel nodes split in
    two by their capacity, a super-source joined to the entry of every node labelled A, the exit
    of every node labelled B joined to a super-sink (a channel node passes at most its capacity
    whether it is a source, a sink or neither)."""
    g = nx.DiGraph()
    big = 10**9

    def add(a, b, c):
        g.add_edge(a, b, capacity=g.get_edge_data(a, b, {"capacity": 0})["capacity"] + c)

    for v, node in enumerate(graph.nodes):
        g.add_node(("in", v))
        g.add_node(("out", v))
        add(("in", v), ("out", v), big if node.capacity is None else node.capacity)
        if node.label == "A":
            add("s", ("in", v), big)
        if node.label == "B":
            add(("out", v), "t", big)
    for e in graph.edges:
        add(("out", e.source), ("in", e.sink), e.capacity)
    g.add_nodes_from(["s", "t"])
    return nx.maximum_flow_value(g, "s", "t")


@settings(max_examples=200, deadline=None)
@given(graphs)
def test_the_reduced_network_has_the_max_flow_of_the_plain_one_and_z3_agrees(case):
    graph = random_graph(*case)
    net = leakage_network(graph, "A", "B")
    result = max_flow(net.nodes, net.tails, net.heads, net.caps, net.source, net.sink)
    assert result.value == reference_leak(graph)
    routes = decompose(net, result.flow)
    assert sum(bits for bits, _ in routes) == result.value
    for k in {max(result.value - 1, 0), result.value}:
        query = budget_query(net, k, "t", "t", "A", "B", "")
        expected = "sat" if result.value > k else "unsat"
        assert answer(query) == expected
        if expected == "sat":
            assert_z3_flow(net, witness(query), k)


def assert_z3_flow(net, model: dict[str, Fraction], k: int) -> None:
    """Z3's witness, checked here: within capacity, conserved, more than k out of the source."""
    flow = [model.get(f"f{i}", Fraction(0)) for i in range(len(net.tails))]
    assert all(0 <= f <= c for f, c in zip(flow, net.caps))
    balance = [Fraction(0)] * net.nodes
    for a, b, f in zip(net.tails, net.heads, flow):
        balance[a] -= f
        balance[b] += f
    assert all(balance[v] == 0 for v in range(net.nodes) if v not in (net.source, net.sink))
    assert -balance[net.source] > k


def test_password_checker_budget_holds_with_the_one_bit_reply_as_cut():
    system = load_system(EXAMPLES / "password-checker" / "system.yaml")
    result = check_leakage(system, flow_graph(system, authority_closure(system)))
    assert result.status is Status.HOLDS
    (ev,) = result.evidence
    assert ev.kind == "budget-holds" and ev.data["max_flow"] == 1 and ev.data["z3"] == "unsat"
    assert [(c["from"], c["to"], c["capacity"]) for c in ev.data["cut"]] == [("checker", "user", 1)]
    (budget_result,) = result.certificate
    net = budget_result.network
    assert_separating_cut(net.nodes, net.tails, net.heads, net.caps, net.source, net.sink, budget_result.flow.cut, 1)


def test_parallel_leak_witness_uses_both_channels():
    system = load_system(EXAMPLES / "parallel-leak" / "system.yaml")
    result = check_leakage(system, flow_graph(system, authority_closure(system)))
    assert result.status is Status.VIOLATED and "confirmed by Z3" in result.message
    (ev,) = result.evidence
    assert ev.kind == "budget-exceeded" and ev.data["max_flow"] == 2 and ev.data["z3"] == "sat"
    used = {(item.get("from"), item.get("to"), item.get("channel")) for item in ev.data["flow"]}
    assert ("vault", "app", "endpoint") in used and ("vault", "done", "notification") in used
    assert sum(1 for line in ev.data["path"] if line.startswith("route ")) == len(ev.data["path"])
    (budget_result,) = result.certificate
    net, flow = budget_result.network, budget_result.flow
    assert_feasible_flow(net.nodes, net.tails, net.heads, net.caps, net.source, net.sink, flow.flow, 2)


def test_a_channel_node_keeps_its_capacity_at_the_sink(tmp_path):
    text = """\
    components:
      a: {sid: alice_t, role: client}
      b: {sid: bob_t, role: client}
    regions:
      buf: {sid: buf_t, map: {a: [read, write], b: [read, write]}, capacity: 5}
    """
    system, _, graph = build(tmp_path, text, "lattice { lo < hi }\nlabel { alice_t bob_t } : hi;\nlabel buf_t : lo;\nbudget hi -> lo <= 5 bits;\n")
    result = check_leakage(system, graph)
    assert result.status is Status.HOLDS and result.evidence[0].data["max_flow"] == 5  # not 10


def test_a_budget_from_a_label_to_itself_is_bad_input(tmp_path):
    system, _, graph = build(tmp_path, "components:\n  a: {sid: alice_t, role: client}\n", "lattice { lo }\nbudget lo -> lo <= 1 bits;\n")
    with pytest.raises(InputError, match="two different labels"):
        check_leakage(system, graph)


def test_no_budget_means_p6_is_skipped(tmp_path):
    system, _, graph = build(tmp_path, "components:\n  a: {sid: alice_t, role: client}\n")
    assert check_leakage(system, graph).status is Status.NOT_APPLICABLE


@pytest.mark.parametrize("example", ["password-checker", "parallel-leak", "diff/v1", "diff/v2"])
def test_z3_agrees_on_every_example_budget(example):
    path = EXAMPLES / (f"{example}.yaml" if "/" in example else f"{example}/system.yaml")
    system = load_system(path)
    graph = flow_graph(system, authority_closure(system))
    assert system.policy.budgets
    for budget in system.policy.budgets:
        result = bound_budget(graph, budget, system.name)
        assert result.agrees
        net = result.network
        assert answer(budget_query(net, result.flow.value, "t", "t", budget.source, budget.sink, "")) == "unsat"
        if result.flow.value:
            assert answer(budget_query(net, result.flow.value - 1, "t", "t", budget.source, budget.sink, "")) == "sat"
    assert check_system(system).results  # and the whole check runs


def test_z3_disagreement_would_make_p6_unknown(tmp_path, monkeypatch):
    import smosverify.analyses.flow.leakage as leakage

    system, _, graph = build(tmp_path, "components:\n  a: {sid: alice_t, role: client}\n  b: {sid: bob_t, role: client}\n"
                             "notifications:\n  n: {sid: note_t, signal: [a], wait: [b]}\n",
                             "lattice { lo < hi }\nlabel alice_t : hi;\nlabel bob_t : lo;\nbudget hi -> lo <= 100 bits;\n")
    monkeypatch.setattr(leakage, "answer", lambda text: "sat")
    result = check_leakage(system, graph)
    assert result.status is Status.UNKNOWN and "disagree" in result.message


def test_bound_budget_on_a_hand_built_network():
    graph = random_graph(4, [(0, 1, 3), (1, 3, 2), (0, 2, 1), (2, 3, 5)], [("A", None), (None, None), (None, None), ("B", None)])
    result = bound_budget(graph, Budget("A", "B", 2, HERE), "hand")
    assert result.flow.value == 3 and not result.holds and result.agrees



def test_an_exceeded_budget_is_found_by_z3_or_its_witness_checked(monkeypatch):
    import smosverify.analyses.flow.leakage as leakage

    graph = random_graph(4, [(0, 1, 3), (1, 3, 2), (0, 2, 1), (2, 3, 5)], [("A", None), (None, None), (None, None), ("B", None)])
    budget = Budget("A", "B", 2, HERE)
    assert bound_budget(graph, budget, "hand").z3_how == "Z3 finds a flow above the budget"
    real = leakage.answer
    monkeypatch.setattr(leakage, "answer", lambda text, seconds=None: "unknown" if seconds else real(text))
    result = bound_budget(graph, budget, "hand")
    assert (result.z3, result.z3_how, result.agrees) == ("sat", "Z3 checks the witness flow against the query", True)
