"""P3 authority conformance (the shape of seL4's pas_refined): every cap any component can ever
hold, after closing the initial caps under the transfer rules, is one the policy allows."""

from __future__ import annotations

from smosverify.analyses.authority import AuthorityClosure, Explainer
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.model.system import System

ID, NAME = "P3", "authority conformance"


def check_authority_conformance(system: System, closure: AuthorityClosure) -> PropertyResult:
    """A component's authority over its own kernel objects is intrinsic and not checked."""
    policy = system.policy
    evidence = []
    explainer = Explainer(closure)
    checked = 0
    decisions: dict[tuple[str, str, str, str], bool] = {}  # sids repeat: decide each request once
    for holder, target, rights in closure.edges():
        obj = closure.objects[target]
        if obj.owner == holder:
            continue
        subject = system.components[holder].sid
        for right in sorted(rights, key=lambda r: r.value):
            checked += 1
            request = (subject, obj.sid, obj.cls, right.value)
            if request not in decisions:
                decisions[request] = policy.allows(*request)
            if decisions[request]:
                continue
            initial = closure.holds(holder, target, right, at_start=True)
            evidence.append(Evidence(
                "authority-not-allowed",
                f"{holder} ({subject}) {'holds' if initial else 'can obtain'} {right.value} on {target} ({obj.sid}), "
                f"but the policy has no `allow {subject} {obj.sid} : {obj.cls} {right.value};`",
                (system.components[holder].span, obj.span),
                {
                    "holder": holder,
                    "target": str(target),
                    "request": [subject, obj.sid, obj.cls, right.value],
                    "initial": initial,
                    "chain": explainer.chain(holder, target, right),
                },
            ))
    if evidence:
        return PropertyResult(ID, NAME, Status.VIOLATED, f"{len(evidence)} of {checked} authority edge(s) are not allowed by the policy", tuple(evidence), closure)
    return PropertyResult(ID, NAME, Status.HOLDS, f"all {checked} authority edge(s) of the closure are allowed by the policy", (), closure)
