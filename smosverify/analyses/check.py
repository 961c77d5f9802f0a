"""Run every property analysis over one system: the engine behind `smosverify check`."""

from __future__ import annotations

from smosverify.analyses.authority import authority_closure
from smosverify.analyses.conformance import check_authority_conformance
from smosverify.analyses.dynamic import check_dynamic_safety
from smosverify.analyses.flow import check_information_flow
from smosverify.analyses.flow_graph import flow_graph
from smosverify.analyses.leakage import check_leakage
from smosverify.analyses.mediation import check_complete_mediation
from smosverify.analyses.policy_sanity import check_policy_sanity
from smosverify.analyses.result import Report
from smosverify.analyses.tamper import check_tamper_proofness
from smosverify.gc_pause import cycle_collection_paused
from smosverify.model.system import System


def check_system(system: System) -> Report:
    with cycle_collection_paused():  # the analyses make millions of small objects, no cycles
        return _check(system)


def _check(system: System) -> Report:
    closure = authority_closure(system)
    graph = flow_graph(system, closure)
    results = (
        check_complete_mediation(system, closure),
        check_tamper_proofness(system, closure),
        check_authority_conformance(system, closure),
        check_policy_sanity(system),
        check_information_flow(system, closure, graph),
        check_leakage(system, graph),
        check_dynamic_safety(system),
    )
    files = (system.file,) + system.policy.files
    return Report(system.name, files, results)
