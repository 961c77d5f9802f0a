"""P2 tamper-proofness: nobody but a component the verdict relies on can ever touch its TCB,
CNode, VSpace or frames, or receive on its endpoint (which would let it answer in its place).

Relied on: the policy server (every decision comes from it) and every component whose sid a
`trusted` flow declaration names (P5 lets information through it only because its code is
trusted). Object servers' backing is P1's. The root task has no exemption: what it keeps after
boot counts like anyone's caps (docs/properties.md)."""

from __future__ import annotations

from smosverify.analyses.authority.closure import AuthorityClosure, Explainer
from smosverify.analyses.flow.policy import trusted_components
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.model.kernel import COMPONENT_KINDS, ObjectKind, Right, by_name
from smosverify.model.system import Role, System, Target

ID, NAME = "P2", "tamper-proofness"


def relied_on(system: System) -> dict[str, str]:
    """The components whose integrity a verdict relies on, each with why."""
    out = {c.name: "the policy server" for c in system.by_role(Role.POLICY)}
    for name, rules in trusted_components(system.policy, system).items():
        out.setdefault(name, f"trusted by `{rules[0].text}`")
    return out


def tampering(closure: AuthorityClosure, component: str) -> list[tuple[str, Target, Right]]:
    """Who else can obtain a right on `component`'s TCB, CNode, VSpace or frames, or receive on
    its endpoint: (holder, target, right), in a stable order."""
    out = []
    for kind in COMPONENT_KINDS:
        target = Target(kind, component)
        for holder, rights, _ in closure.holders(target):
            if holder != component:
                out.extend((holder, target, right) for right in by_name(rights))
    endpoint = Target(ObjectKind.ENDPOINT, component)
    out.extend((holder, endpoint, Right.RECEIVE) for holder, _ in closure.holding(endpoint, Right.RECEIVE)
               if holder != component)
    return list(dict.fromkeys(out))


def check_tamper_proofness(system: System, closure: AuthorityClosure) -> PropertyResult:
    protected = relied_on(system)
    if not protected:
        return PropertyResult(ID, NAME, Status.NOT_APPLICABLE,
                              "no policy server and no trusted component: nothing the verdict relies on")
    evidence = []
    explainer = Explainer(closure)
    for name, why in protected.items():
        for holder, target, right in tampering(closure, name):
            policy_server = system.components[name].role is Role.POLICY
            kind = "policy-server-reachable" if policy_server else "trusted-component-reachable"
            evidence.append(Evidence(
                kind,
                f"{holder} can obtain {right.value} on {target}: {name} is {why}, and its integrity is void",
                (system.components[holder].span, closure.objects[target].span),
                {"holder": holder, "target": str(target), "right": right.value, "protected": name, "why": why,
                 "chain": explainer.chain(holder, target, right)},
            ))
    if evidence:
        return PropertyResult(ID, NAME, Status.VIOLATED,
                              f"{len(evidence)} way(s) to tamper with a component the verdict relies on",
                              tuple(evidence), closure)
    names = ", ".join(f"{n} ({why})" for n, why in protected.items())
    return PropertyResult(ID, NAME, Status.HOLDS, f"nobody else can reach the objects of {names}", (), closure)
