"""P3 authority conformance (the shape of seL4's pas_refined): every cap any component can ever
hold, after closing the initial caps under the transfer rules, is one the policy allows.

A send cap to a server's endpoint also carries an identity: the server knows its caller by the
badge, so whoever holds a client's badged cap acts with that client's sid (an unbadged cap can be
minted with any client's badge). The operations that identity opens must be allowed to the
holder's own sid too."""

from __future__ import annotations

from smosverify.analyses.authority.closure import AuthorityClosure, Explainer
from smosverify.analyses.authority.mediation import decisions
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.model.kernel import ObjectKind, Right, by_name
from smosverify.model.system import System, Target

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
        for right in by_name(rights):
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
    evidence.extend(_borrowed_identities(system, closure, explainer))
    if evidence:
        return PropertyResult(ID, NAME, Status.VIOLATED, f"{len(evidence)} finding(s) over {checked} authority edge(s): authority the policy does not allow", tuple(evidence), closure)
    if not checked:
        return PropertyResult(ID, NAME, Status.NOT_APPLICABLE, "no component holds a cap to another's object: no authority edge to check", (), closure)
    return PropertyResult(ID, NAME, Status.HOLDS, f"all {checked} authority edge(s) of the closure are allowed by the policy, and no caller acts with a sid that opens more", (), closure)


def _borrowed_identities(system: System, closure: AuthorityClosure, explainer: Explainer) -> list[Evidence]:
    """Holders of a send cap whose badge names a client of another sid, for which the policy opens
    operations it does not open to the holder's own sid."""
    policy = system.policy
    out = []
    rows: dict[tuple[str, str], tuple[bool, ...]] = {}  # (sid, server) -> smos_auth's answers
    for name, callers in closure.acting_sids.items():
        server = system.components[name]
        endpoint = Target(ObjectKind.ENDPOINT, name)
        ops = [(o, op) for o in server.objects for op in policy.classes[o.cls].operations]

        def row(sid: str) -> tuple[bool, ...]:
            if (sid, name) not in rows:
                rows[sid, name] = decisions(policy, sid, server.objects)
            return rows[sid, name]

        for holder, sids in callers.items():
            if len(sids) == 1:
                continue  # it acts only as itself (its own sid is always among them)
            own = system.components[holder].sid
            for sid in sorted(sids - {own}):
                gained = [ops[i] for i, (theirs, mine) in enumerate(zip(row(sid), row(own))) if theirs and not mine]
                if not gained:
                    continue
                shown = ", ".join(f"{o.name} {op}" for o, op in gained[:5]) + (" ..." if len(gained) > 5 else "")
                out.append(Evidence(
                    "borrowed-identity",
                    f"{holder} ({own}) can call {server.name} as {sid} (a badge it holds names a client of that sid, "
                    f"or an unbadged cap mints one), which the policy lets do what {own} may not: {shown}",
                    (system.components[holder].span, server.span),
                    {"holder": holder, "server": server.name, "as": sid,
                     "operations": [[o.name, op] for o, op in gained],
                     "chain": explainer.chain(holder, endpoint, Right.SEND)},
                ))
    return out
