"""P4 decision correctness and policy sanity.

The policy server decides a request (subject, object, class, operation) by `Policy.allows`: some
allow rule covers it and no deny rule does (deny overrides). P4 checks that this decision table is
well defined for every request the system can make, that no allow rule is wholly cancelled by
denies (an unresolved conflict: the policy says two opposite things), and that no request the
policy permits is forbidden by a neverallow (attributes expanded).
"""

from __future__ import annotations

from itertools import islice, product

from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.model.policy import AccessRule, Policy, RuleKind
from smosverify.model.system import System

ID, NAME = "P4", "decision correctness and policy sanity"
WITNESSES = 5


def overlap(a: AccessRule, b: AccessRule):
    """Every request (s, o, cls, op) that both rules cover, in a stable order."""
    perms = sorted(a.permissions & b.permissions)
    for s in sorted(a.subjects & b.subjects):
        if a.self_target or b.self_target:
            objects = [s] if _covers_object(a, s, s) and _covers_object(b, s, s) else []
        else:
            objects = sorted(a.objects & b.objects)
        for o, (cls, op) in product(objects, perms):
            yield s, o, cls, op


def _covers_object(rule: AccessRule, subject: str, obj: str) -> bool:
    return obj == subject if rule.self_target else obj in rule.objects


def decision_table(system: System) -> dict[tuple[str, str, str, str], bool]:
    """Every mediated request the system's connections make possible, and the policy's decision."""
    policy = system.policy
    table = {}
    callers = {(system.components[c.client].sid, c.server) for c in system.connections}
    for subject, server in sorted(callers):
        for obj in system.components[server].objects:
            for op in policy.classes[obj.cls].operations:
                key = (subject, obj.sid, obj.cls, op)
                if key not in table:
                    table[key] = policy.allows(*key)
    return dict(sorted(table.items()))


def check_policy_sanity(system: System) -> PropertyResult:
    policy = system.policy
    evidence = _shadowed_allows(policy) + _neverallow_violations(policy)
    table = decision_table(system)
    permitted = sum(table.values())
    if evidence:
        return PropertyResult(ID, NAME, Status.VIOLATED, f"{len(evidence)} policy problem(s)", tuple(evidence), table)
    return PropertyResult(
        ID, NAME, Status.HOLDS,
        f"{len(policy.rules)} rule(s) consistent; {len(table)} mediated request(s) decided: {permitted} permitted, {len(table) - permitted} denied",
        (), table,
    )


def _shadowed_allows(policy: Policy) -> list[Evidence]:
    denies = policy.rules_of(RuleKind.DENY)
    out = []
    for allow in policy.rules_of(RuleKind.ALLOW):
        overlapping = [d for d in denies if next(overlap(allow, d), None) is not None]
        if not overlapping:
            continue
        survivor = next((req for req in _requests(allow) if policy.matching(RuleKind.DENY, *req) is None), None)
        if survivor is None:
            out.append(Evidence(
                "allow-deny-conflict",
                f"`{allow.text}` is cancelled entirely by deny rule(s): it permits nothing",
                (allow.span,) + tuple(d.span for d in overlapping),
                {"allow": allow.text, "denies": [d.text for d in overlapping],
                 "example": list(next(overlap(allow, overlapping[0])))},
            ))
    return out


def _requests(rule: AccessRule):
    for s in sorted(rule.subjects):
        objects = [s] if rule.self_target else sorted(rule.objects)
        for o, (cls, op) in product(objects, sorted(rule.permissions)):
            yield s, o, cls, op


def _neverallow_violations(policy: Policy) -> list[Evidence]:
    out = []
    for never in policy.rules_of(RuleKind.NEVERALLOW):
        for allow in policy.rules_of(RuleKind.ALLOW):
            permitted = (r for r in overlap(allow, never) if policy.matching(RuleKind.DENY, *r) is None)
            witnesses = list(islice(permitted, WITNESSES))
            if not witnesses:
                continue
            shown = "; ".join(f"{s} {o} : {c} {op}" for s, o, c, op in witnesses)
            out.append(Evidence(
                "neverallow-violated",
                f"`{allow.text}` permits what `{never.text}` forbids: {shown}",
                (allow.span, never.span),
                {"allow": allow.text, "neverallow": never.text, "witnesses": [list(w) for w in witnesses]},
            ))
    return out
