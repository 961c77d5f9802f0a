"""P5 and P6 on a dynamic state: the flow and leakage analyses, run on the state's flow graph.

The flow graph (`flow_graph`) derives object reads and writes from what the policy allows each
caller; in a dynamic state a component may also hold handle authority the policy does not allow
it (a handle passed to it, a badged cap it received). Those operations move information too, so
they are added as object edges before the unchanged P5 and P6 analyses run on the graph.
"""

from __future__ import annotations

from dataclasses import replace

from smosverify.analyses.dynamic_state import DynamicState
from smosverify.analyses.flow import check_information_flow
from smosverify.analyses.flow_graph import (
    ENDPOINT_BITS,
    FlowEdge,
    FlowGraph,
    channel_capacity,
    flow_graph,
    operation_directions,
)
from smosverify.analyses.leakage import check_leakage
from smosverify.analyses.result import Evidence, Status


def state_flow_graph(state: DynamicState, extended: bool = True) -> FlowGraph:
    """The state's flow graph, with an edge for every handle operation beyond the policy."""
    graph = flow_graph(state.system, state.closure)
    if not extended:
        return graph
    policy = state.base.policy
    bits = channel_capacity(policy, "object", None, ENDPOINT_BITS)
    extra = []
    for holder, by in state.handles.items():
        comp = state.system.components[holder]
        for obj_key, ops in by.items():
            obj = state.objects[obj_key]
            beyond = {op for op in ops if not policy.allows(comp.sid, obj.sid, obj.cls, op)}
            reads, writes = operation_directions(policy, obj.cls)
            h, o = graph.index[holder], graph.index[obj_key]
            if beyond & writes:
                ops_text = " ".join(sorted(beyond & writes))
                extra.append(FlowEdge(h, o, "object", bits, f"{holder} writes {obj_key} by {ops_text} through a handle the policy does not allow it", obj.span))
            if beyond & reads:
                ops_text = " ".join(sorted(beyond & reads))
                extra.append(FlowEdge(o, h, "object", bits, f"{holder} reads {obj_key} by {ops_text} through a handle the policy does not allow it", obj.span))
    return replace(graph, edges=graph.edges + tuple(extra)) if extra else graph


def flow_findings(state: DynamicState, extended: bool = True) -> list[Evidence]:
    """P5's violations in the state."""
    result = check_information_flow(state.system, state.closure, state_flow_graph(state, extended))
    if result.status is not Status.VIOLATED:
        return []
    return [ev for ev in result.evidence if ev.kind == "forbidden-flow"]


def leakage_findings(state: DynamicState, extended: bool = True) -> list[Evidence]:
    """P6's exceeded budgets in the state, each confirmed by Z3 as in `check`, named by their
    labels so that two budgets of equal bits stay apart."""
    result = check_leakage(state.system, state_flow_graph(state, extended))
    if result.status is not Status.VIOLATED:
        return []
    return [replace(ev, data={**ev.data, "labels": [r.budget.source, r.budget.sink]})
            for r, ev in zip(result.certificate, result.evidence) if not r.holds]
