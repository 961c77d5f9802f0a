"""P5 (smosverify/analyses/flow/information.py): lattice and explicit rules, unlabelled sids, trusted
components, shortest paths, the certificate, and agreement with a naive path-by-path reference."""

from __future__ import annotations

import textwrap
from collections import deque
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smosverify.analyses.check import check_system
from smosverify.analyses.flow.information import check_information_flow, reachable_facts, shortest_path, violations
from smosverify.analyses.flow.graph import FlowEdge, FlowGraph, FlowNode, NodeKind
from smosverify.analyses.flow.policy import flow_policy
from smosverify.analyses.result import Status
from smosverify.errors import InputError, Span
from smosverify.load.policy import load_policy

from .util import build, server_system

CHAIN = """\
components:
  a: {sid: alice_t, role: client}
  b: {sid: bob_t, role: client}
  c: {sid: carol_t, role: client}
regions:
  ab: {sid: buf_t, map: {a: [read, write], b: [read]}}
notifications:
  bc: {sid: note_t, signal: [b], wait: [c]}
"""


def p5(tmp_path, text: str, rules: str):
    system, closure, graph = build(tmp_path, text, rules)
    return check_information_flow(system, closure, graph)


def test_no_labels_means_no_flow_policy(tmp_path):
    result = p5(tmp_path, CHAIN, "")
    assert result.status is Status.NOT_APPLICABLE and "no labels" in result.message


def test_the_lattice_is_transitive(tmp_path):
    rules = """\
    lattice { low < mid < high }
    label { alice_t buf_t } : low;
    label bob_t : mid;
    label { carol_t note_t } : high;
    """
    assert p5(tmp_path, CHAIN, textwrap.dedent(rules)).status is Status.HOLDS


def test_explicit_flow_rules_are_not_transitive(tmp_path):
    rules = """\
    lattice { x; y; z }
    flow x -> y;
    flow y -> z;
    label alice_t : x;
    label { bob_t note_t } : y;
    label carol_t : z;
    """
    result = p5(tmp_path, CHAIN, textwrap.dedent(rules))
    assert result.status is Status.VIOLATED
    (ev,) = result.evidence
    assert ev.kind == "forbidden-flow"
    assert (ev.data["source_label"], ev.data["sink_label"], ev.data["source"], ev.data["sink"]) == ("x", "z", "a", "c")
    hops = ev.data["path"]
    assert [h.split(":")[0] for h in hops] == ["a -> ab", "ab -> b", "b -> bc", "bc -> c"]
    assert all(" at " in h and "system.yaml:" in h for h in hops)  # each hop with its source span
    assert len(ev.spans) >= len(hops)


def test_a_downward_edge_is_reported_at_its_first_hop(tmp_path):
    rules = """\
    lattice { low < high }
    label alice_t : high;
    label { bob_t carol_t note_t } : low;
    """
    (ev,) = p5(tmp_path, CHAIN, textwrap.dedent(rules)).evidence
    assert ev.data["source"] == "a" and ev.data["sink"] == "b" and len(ev.data["path"]) == 2
    assert set(ev.data["sinks"]) == {"b", "bc", "c"}  # every low node it reaches


def test_unlabelled_nodes_carry_information_through(tmp_path):
    rules = """\
    lattice { low < high }
    label alice_t : high;
    label carol_t : low;
    """
    result = p5(tmp_path, CHAIN, textwrap.dedent(rules))
    assert result.status is Status.VIOLATED
    assert "3 unlabelled node(s)" in result.message
    assert result.evidence[0].data["sinks"] == ["c"]  # not b, ab or bc: they make no claim


SERVER = server_system()
MLS = """\
lattice { public < secret }
label { server_t file_t policy_t alice_t } : secret;
label bob_t : public;
"""


def test_a_multi_level_server_is_reported_without_a_trust_declaration(tmp_path):
    result = p5(tmp_path, SERVER, MLS)
    assert result.status is Status.VIOLATED
    assert result.evidence[0].data["path"][0].startswith("fs -> bob")


def test_a_trusted_server_may_release_what_it_is_trusted_for_and_is_named(tmp_path):
    result = p5(tmp_path, SERVER, MLS + "trusted server_t for secret -> public;\n")
    assert result.status is Status.HOLDS
    (trust,) = result.evidence
    assert trust.kind == "trust-assumption" and trust.data == {"component": "fs", "rule": "trusted server_t for secret -> public;"}
    assert "relies on 1 trust assumption(s)" in result.message and trust.spans[0].file.endswith("policy.pol")


def test_trust_does_not_excuse_a_flow_the_access_policy_itself_permits(tmp_path):
    rules = MLS + "trusted server_t for secret -> public;\nallow bob_t file_t : file read;\n"
    result = p5(tmp_path, SERVER, rules)
    assert result.status is Status.VIOLATED
    forbidden = [e for e in result.evidence if e.kind == "forbidden-flow"]
    assert forbidden[0].data["path"] == [forbidden[0].data["path"][0]] and forbidden[0].data["path"][0].startswith("fs.doc -> bob")


def test_trust_for_other_labels_does_not_help(tmp_path):
    rules = "lattice { public < secret; other }\n" + MLS.split("\n", 1)[1] + "trusted server_t for other -> public;\n"
    assert p5(tmp_path, SERVER, rules).status is Status.VIOLATED


def test_trust_covers_labels_below_its_source_and_chains(tmp_path):
    text = """\
    components:
      a: {sid: alice_t, role: client}
      t1: {sid: server_t, role: client}
      t2: {sid: bob_t, role: client}
      c: {sid: carol_t, role: client}
    regions:
      r1: {sid: buf_t, map: {a: [read, write], t1: [read]}}
      r2: {sid: note_t, map: {t1: [read, write], t2: [read]}}
      r3: {sid: file_t, map: {t2: [read, write], c: [read]}}
    """
    rules = textwrap.dedent("""\
    lattice { low < mid < high; top }
    label alice_t : mid;
    label server_t : high;
    label bob_t : top;
    label carol_t : low;
    trusted server_t for high -> top;
    """)
    # a's mid data is below high, so t1 may release it as top; but nothing releases top to low.
    # (The regions are unlabelled conduits; each writer maps its region read-write, since seL4
    # has no write-only user mapping, so information also flows back to the writer.)
    result = p5(tmp_path, text, rules)
    assert result.status is Status.VIOLATED
    assert {(e.data["source_label"], e.data["sink_label"]) for e in result.evidence if e.kind == "forbidden-flow"} == {
        ("mid", "low"), ("high", "low"), ("top", "low")}
    result = p5(tmp_path, text, rules + "trusted bob_t for top -> low;\n")
    assert result.status is Status.HOLDS, result.evidence
    assert {e.data["component"] for e in result.evidence} == {"t1", "t2"}


@pytest.mark.parametrize("statement, message", [
    ("trusted server_t for secret -> nowhere;", "unknown label 'nowhere'"),
    ("trusted server_t for secret -> secret;", "two different labels"),
    ("trusted nobody_t for secret -> public;", "unknown sid or attribute 'nobody_t'"),
    ("trusted server_t secret -> public;", "expected"),
])
def test_bad_trust_declarations_are_errors_with_a_place(tmp_path, statement, message):
    path = Path(tmp_path) / "p.pol"
    path.write_text("sid server_t;\nlattice { public < secret }\n" + statement + "\n")
    with pytest.raises(InputError, match=message) as err:
        load_policy([(path, None)])
    assert err.value.span.line == 3


def test_the_certificate_is_closed_and_every_arrival_is_allowed(tmp_path):
    system, closure, graph = build(tmp_path, SERVER, MLS + "trusted server_t for secret -> public;\n")
    facts = check_information_flow(system, closure, graph).certificate
    assert_certificate(facts)


def assert_certificate(facts) -> None:
    """Checked from the definitions: seeded, closed under every edge, widened only by trust."""
    graph, fp = facts.graph, facts.policy
    for v, node in enumerate(graph.nodes):
        if node.label is not None:
            own = facts.facts.index((fp.position[node.label], fp.bit(node.label)))
            assert facts.reached[v] >> own & 1
        if node.name not in fp.trust:
            assert facts.leaving[v] == facts.reached[v]
        for i, (source, mask) in enumerate(facts.facts):
            if facts.reached[v] >> i & 1 and node.name in fp.trust:
                wider = fp.declassify(node.name, mask)[0]
                assert facts.leaving[v] >> facts.facts.index((source, wider)) & 1
    for e in graph.edges:
        assert facts.leaving[e.source] & ~facts.reached[e.sink] == 0


# -- agreement with a naive reference on generated graphs -------------------------------------

def reference_violations(graph: FlowGraph, labels, order, explicit, trust) -> set[tuple[str, str]]:
    """(source label, sink node) pairs, by exploring (node, label set) states from every source."""
    below = {a: {a} for a in labels}  # below[h]: the labels <= h
    changed = True
    while changed:
        changed = False
        for lo, hi in order:
            if not below[lo] <= below[hi]:
                below[hi] |= below[lo]
                changed = True

    def allowed(e, b):
        return e in below[b] or (e, b) in explicit

    def widen(node, labels_now):
        out = set(labels_now)
        grew = True
        while grew:
            grew = False
            for src, dst in trust.get(node, ()):
                if any(e in below[src] for e in out) and dst not in out:
                    out.add(dst)
                    grew = True
        return frozenset(out)

    succ = {}
    for e in graph.edges:
        succ.setdefault(e.source, []).append(e.sink)
    found = set()
    for u, node in enumerate(graph.nodes):
        if node.label is None:
            continue
        start = (u, frozenset({node.label}))
        seen = {start}
        queue = deque([start])
        while queue:
            v, labs = queue.popleft()
            here = graph.nodes[v]
            if here.label is not None and not any(allowed(e, here.label) for e in labs):
                found.add((node.label, here.name))
            onward = widen(here.name, labs)
            for w in succ.get(v, ()):
                if (w, onward) not in seen:
                    seen.add((w, onward))
                    queue.append((w, onward))
    return found


@st.composite
def flow_problems(draw):
    labels = [f"L{i}" for i in range(draw(st.integers(2, 4)))]
    n = draw(st.integers(1, 8))
    node_labels = [draw(st.sampled_from(labels + [None])) for _ in range(n)]
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    arcs = draw(st.lists(pairs, max_size=18))
    label_pairs = st.tuples(st.sampled_from(labels), st.sampled_from(labels)).filter(lambda p: p[0] != p[1])
    # A lattice is a partial order (a cyclic one is bad input): order edges go up the label list.
    order = draw(st.lists(label_pairs.filter(lambda p: labels.index(p[0]) < labels.index(p[1])), max_size=3))
    explicit = draw(st.lists(label_pairs, max_size=3))
    trust = draw(st.lists(st.tuples(st.integers(0, n - 1), label_pairs), max_size=3))
    return labels, node_labels, arcs, order, explicit, trust


def problem(tmp_path: Path, labels, node_labels, arcs, order, explicit, trust):
    text = ["sid " + ", ".join(f"s{v}" for v in range(len(node_labels))) + ";"]
    text.append("lattice { " + "; ".join([f"{a} < {b}" for a, b in order] + labels) + " }")
    text += [f"flow {a} -> {b};" for a, b in explicit]
    text += [f"label s{v} : {lab};" for v, lab in enumerate(node_labels) if lab]
    text += [f"trusted s{v} for {a} -> {b};" for v, (a, b) in trust]
    path = tmp_path / "gen.pol"
    path.write_text("\n".join(text) + "\n")
    policy = load_policy([(path, None)])
    here = Span("gen", 1, 1)
    nodes = tuple(FlowNode(NodeKind.COMPONENT, f"n{v}", f"s{v}", lab, here) for v, lab in enumerate(node_labels))
    graph = FlowGraph(nodes, tuple(FlowEdge(a, b, "endpoint", 1, "arc", here) for a, b in arcs if a != b), {})
    fp = flow_policy(policy)
    fp = replace(fp, trust={f"n{v}": tuple(r for r in policy.trusted if f"s{v}" in r.subjects)
                            for v in range(len(node_labels)) if any(f"s{v}" in r.subjects for r in policy.trusted)})
    by_node = {}
    for v, pair in trust:
        by_node.setdefault(f"n{v}", []).append(pair)
    return graph, fp, by_node


@settings(max_examples=150, deadline=None)
@given(flow_problems())
def test_p5_agrees_with_a_naive_reference(tmp_path_factory, case):
    labels, node_labels, arcs, order, explicit, trust = case
    graph, fp, by_node = problem(tmp_path_factory.mktemp("p5"), *case)
    facts = reachable_facts(graph, fp)
    assert_certificate(facts)
    found = violations(facts)
    got = {(fp.labels[a], graph.nodes[v].name) for (a, _), sinks in found.items() for v in sinks}
    assert got == reference_violations(graph, labels, order, set(explicit), by_node)
    for (a, b) in found:
        path = shortest_path(facts, a, b)
        assert graph.nodes[graph.edges[path[0]].source].label == fp.labels[a] if path else True
        for e1, e2 in zip(path, path[1:]):
            assert graph.edges[e1].sink == graph.edges[e2].source
        end = graph.edges[path[-1]].sink if path else None
        assert end is None or graph.nodes[end].label == fp.labels[b]


def test_every_example_with_labels_checks_and_its_certificate_holds():
    from smosverify.analyses.authority.closure import authority_closure
    from smosverify.analyses.flow.graph import flow_graph
    from smosverify.load.system import load_system

    examples = Path(__file__).resolve().parents[2] / "examples"
    checked = 0
    for path in sorted(examples.glob("*/system.yaml")) + sorted(examples.glob("diff/v*.yaml")):
        system = load_system(path)
        if not system.policy.labels:
            continue
        closure = authority_closure(system)
        result = check_information_flow(system, closure, flow_graph(system, closure))
        assert_certificate(result.certificate)
        checked += 1
    assert checked >= 6
    assert check_system(load_system(examples / "pink-file" / "system.yaml")).exit_code() == 0
