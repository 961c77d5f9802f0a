"""P2 tamper-proofness: only the policy server (and the root task) can ever touch its TCB, CNode,
VSpace or frames, or receive on its endpoint (which would let it answer in its place)."""

from __future__ import annotations

from smosverify.analyses.authority import AuthorityClosure, Explainer
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.model.kernel import COMPONENT_KINDS, ObjectKind, Right
from smosverify.model.system import Role, System, Target

ID, NAME = "P2", "tamper-proofness"


def check_tamper_proofness(system: System, closure: AuthorityClosure) -> PropertyResult:
    monitors = system.by_role(Role.POLICY)
    if not monitors:
        return PropertyResult(ID, NAME, Status.SKIPPED, "no policy server in the system (see P1)")
    trusted = {c.name for c in monitors} | {c.name for c in system.by_role(Role.ROOT)}
    protected: dict[Target, Right | None] = {}  # None: every right is protected
    for monitor in monitors:
        protected.update({Target(k, monitor.name): None for k in COMPONENT_KINDS})
        protected[Target(ObjectKind.ENDPOINT, monitor.name)] = Right.RECEIVE
    evidence = []
    explainer = Explainer(closure)
    for holder, target, rights in closure.edges():
        if holder in trusted or target not in protected:
            continue
        only = protected[target]
        for right in sorted(rights, key=lambda r: r.value):
            if only is None or right is only:
                evidence.append(_finding(system, closure, explainer, holder, target, right))
    if evidence:
        return PropertyResult(ID, NAME, Status.VIOLATED, f"{len(evidence)} way(s) to tamper with the policy server", tuple(evidence), closure)
    names = ", ".join(c.name for c in monitors)
    return PropertyResult(ID, NAME, Status.HOLDS, f"no component but {names} can reach the policy server's objects", (), closure)


def _finding(system: System, closure: AuthorityClosure, explainer: Explainer, holder: str, target: Target, right: Right) -> Evidence:
    chain = explainer.chain(holder, target, right)
    return Evidence(
        "policy-server-reachable",
        f"{holder} can obtain {right.value} on {target}",
        (system.components[holder].span, closure.objects[target].span),
        {"holder": holder, "target": str(target), "right": right.value, "chain": chain},
    )
