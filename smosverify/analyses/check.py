"""Run every property analysis over one system: the engine behind `smosverify check`."""

from __future__ import annotations

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.authority.conformance import check_authority_conformance
from smosverify.analyses.dynamic.safety import InitialChecks, check_dynamic_safety
from smosverify.analyses.flow.information import check_information_flow
from smosverify.analyses.flow.graph import check_operation_flows, flow_graph
from smosverify.analyses.flow.leakage import check_leakage
from smosverify.analyses.authority.mediation import check_complete_mediation
from smosverify.analyses.policy.sanity import check_policy_sanity
from smosverify.analyses.result import Report
from smosverify.analyses.authority.tamper import check_tamper_proofness
from smosverify.gc_pause import cycle_collection_paused
from smosverify.model.system import System


def check_system(system: System) -> Report:
    """Each property once on the initial state; P7 reuses the closure, the flow graph and those
    results for the initial state of its exploration."""
    with cycle_collection_paused():  # the analyses make millions of small objects and no cycles
        return _check(system)


def _check(system: System) -> Report:
    closure = authority_closure(system)
    policy = system.policy
    check_operation_flows(policy)
    # Only P5 (with labels) and P6 (with budgets) read the flow graph: without either it is not built.
    graph = flow_graph(system, closure) if policy.labels or policy.budgets else None
    results = (
        check_complete_mediation(system, closure),
        check_tamper_proofness(system, closure),
        check_authority_conformance(system, closure),
        check_policy_sanity(system),
        check_information_flow(system, closure, graph),
        check_leakage(system, graph),
    )
    dynamic = check_dynamic_safety(system, InitialChecks(closure, graph, results))
    files = (system.file,) + system.policy.files
    return Report(system.name, files, results + (dynamic,))
