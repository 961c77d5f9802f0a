"""The fast flow graph and P5 agree exactly with the naive reference (tests/reference/naive_flow.py)
on generated systems: the same one-step edges between named nodes, the same status, the same
(source label, sink label) forbidden flows."""

from __future__ import annotations

from hypothesis import given, settings

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.flow.information import check_information_flow
from smosverify.analyses.flow.graph import flow_graph

from . import naive, naive_flow
from .strategies import SystemText, flow_system_texts

EXAMPLES = settings(max_examples=300, deadline=None)


@EXAMPLES
@given(flow_system_texts())
def test_flow_graph_and_p5_agree_with_the_reference(text: SystemText):
    system = text.load()
    closure = authority_closure(system)
    caps = naive.closure(system)
    graph = flow_graph(system, closure)
    fast_edges = {(graph.nodes[e.source].name, graph.nodes[e.sink].name) for e in graph.edges}
    assert {e for e in fast_edges if e[0] != e[1]} == naive_flow.edges(system, caps)
    result = check_information_flow(system, closure, graph)
    forbidden = {(e.data["source_label"], e.data["sink_label"]) for e in result.evidence if e.kind == "forbidden-flow"}
    assert (result.status.value, frozenset(forbidden)) == naive_flow.p5(system, caps)
