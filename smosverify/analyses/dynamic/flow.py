"""P5 and P6 on a dynamic state: the flow and leakage analyses, run on the state's flow graph.

The flow graph (`flow_graph`) derives object reads and writes from what the policy allows each
caller; in a dynamic state a component may also hold handle authority the policy does not allow
it (a handle passed to it, a badged cap it received). Those operations move information too, so
they are added as object edges before the unchanged P5 and P6 analyses run on the graph.
"""

from __future__ import annotations

from dataclasses import replace

from smosverify.analyses.dynamic.state import DynamicState
from smosverify.analyses.flow.information import check_information_flow
from smosverify.analyses.flow.graph import (
    ENDPOINT_BITS,
    FlowEdge,
    FlowGraph,
    channel_capacity,
    flow_graph,
    operation_directions,
)
from smosverify.analyses.flow.leakage import check_leakage
from smosverify.analyses.result import Evidence, PropertyResult, Status

Beyond = tuple[str, str, frozenset[str]]  # (holder, object key, operations the policy does not allow it)


def handles_beyond_policy(state: DynamicState) -> list[Beyond]:
    """The handle operations a holder can perform that the policy does not allow its sid."""
    policy = state.base.policy
    denied: dict[tuple[str, str, str], frozenset[str]] = {}  # (sid, object sid, class) -> operations denied
    out = []
    for holder, by in state.handles.items():
        sid = state.system.components[holder].sid
        for obj_key, ops in by.items():
            obj = state.objects[obj_key]
            request = (sid, obj.sid, obj.cls)
            if request not in denied:
                denied[request] = frozenset(op for op in policy.classes[obj.cls].operations
                                            if not policy.allows(sid, obj.sid, obj.cls, op))
            if ops & denied[request]:
                out.append((holder, obj_key, ops & denied[request]))
    return out


def state_flow_graph(state: DynamicState, extended: bool = True, graph: FlowGraph | None = None) -> FlowGraph:
    """The state's flow graph (`graph` when the caller has it), with an edge for every handle
    operation beyond the policy."""
    graph = graph or flow_graph(state.system, state.closure)
    beyond = handles_beyond_policy(state) if extended else []
    if not beyond:
        return graph
    policy = state.base.policy
    bits = channel_capacity(policy, "object", None, ENDPOINT_BITS)
    extra = []
    for holder, obj_key, ops in beyond:
        obj = state.objects[obj_key]
        reads, writes = operation_directions(policy, obj.cls)
        h, o = graph.index[holder], graph.index[obj_key]
        if ops & writes:
            ops_text = " ".join(sorted(ops & writes))
            extra.append(FlowEdge(h, o, "object", bits, f"{holder} writes {obj_key} by {ops_text} through a handle the policy does not allow it", obj.span))
        if ops & reads:
            ops_text = " ".join(sorted(ops & reads))
            extra.append(FlowEdge(o, h, "object", bits, f"{holder} reads {obj_key} by {ops_text} through a handle the policy does not allow it", obj.span))
    return replace(graph, edges=graph.edges + tuple(extra)) if extra else graph


def flow_findings(state: DynamicState, extended: bool = True, graph: FlowGraph | None = None) -> list[Evidence]:
    """P5's violations in the state."""
    if not state.base.policy.labels:  # not applicable: no graph needed
        return []
    return forbidden_flows(check_information_flow(state.system, state.closure, state_flow_graph(state, extended, graph)))


def forbidden_flows(result: PropertyResult) -> list[Evidence]:
    if result.status is not Status.VIOLATED:
        return []
    return [ev for ev in result.evidence if ev.kind == "forbidden-flow"]


def leakage_findings(state: DynamicState, extended: bool = True, graph: FlowGraph | None = None) -> list[Evidence]:
    """P6's exceeded budgets in the state, each confirmed by Z3 as in `check`."""
    if not state.base.policy.budgets:  # not applicable: no graph needed
        return []
    return exceeded_budgets(check_leakage(state.system, state_flow_graph(state, extended, graph)))


def exceeded_budgets(result: PropertyResult) -> list[Evidence]:
    """The evidence of each exceeded budget, named by its labels so that two budgets of equal
    bits stay apart."""
    if result.status is not Status.VIOLATED:
        return []
    return [replace(ev, data={**ev.data, "labels": [r.budget.source, r.budget.sink]})
            for r, ev in zip(result.certificate, result.evidence) if not r.holds]
