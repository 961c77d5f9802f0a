"""P1 complete mediation: objects are reached only through their server, every such server
consults a policy server, and each server can tell its callers apart.

A server knows its caller only by the badge of the cap the call came through. Badges survive
transfer, so the callers are every holder of a send cap to the endpoint in the closure, not the
declared connections; an unbadged cap can be minted with any badge (`mint`)."""

from __future__ import annotations

from smosverify.analyses.authority.closure import AuthorityClosure, Explainer
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.analyses.authority.tamper import tampering
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.policy import Policy
from smosverify.model.system import Role, ServerObject, System, Target

ID, NAME = "P1", "complete mediation"


def check_complete_mediation(system: System, closure: AuthorityClosure) -> PropertyResult:
    servers = [c for c in system.components.values() if c.objects]
    if not servers:
        return PropertyResult(ID, NAME, Status.NOT_APPLICABLE, "no component implements objects: nothing to mediate")
    evidence: list[Evidence] = []
    monitors = {c.name for c in system.by_role(Role.POLICY)}
    if not monitors:
        evidence.append(Evidence("no-policy-server", "servers implement objects but the system has no component with role policy", (system.span,)))
    monitor_endpoints = {Target(ObjectKind.ENDPOINT, m) for m in monitors}
    consulting = {cap.holder for cap in closure.initial_caps if cap.target in monitor_endpoints and Right.SEND in cap.rights}
    for server in servers:
        if monitors and server.name not in consulting and server.role is not Role.POLICY:
            evidence.append(Evidence(
                "server-not-mediated",
                f"server {server.name} implements {len(server.objects)} object(s) but holds no send cap to a policy server",
                (server.span,) + tuple(o.span for o in server.objects[:3]),
                {"server": server.name, "objects": [o.name for o in server.objects]},
            ))
    evidence.extend(_bypasses(system, closure, {s.name for s in servers}))
    evidence.extend(_ambiguous_callers(system, closure))
    if evidence:
        return PropertyResult(ID, NAME, Status.VIOLATED, f"{len(evidence)} way(s) around the reference monitor", tuple(evidence))
    n = sum(len(s.objects) for s in servers)
    return PropertyResult(ID, NAME, Status.HOLDS, f"all {n} object(s) of {len(servers)} server(s) are reached only through their server, which consults the policy server")


def _bypasses(system: System, closure: AuthorityClosure, servers: set[str]) -> list[Evidence]:
    """Caps that reach a server's backing resources, or let someone else receive its requests."""
    explainer = Explainer(closure)
    out = []
    for server in sorted(servers):
        found: dict[tuple[str, Target], list[Right]] = {}
        for holder, target, right in tampering(closure, server):
            found.setdefault((holder, target), []).append(right)
        for (holder, target), rights in found.items():
            bad = sorted(rights, key=lambda r: r.value)  # one holder's caps may list them in any order
            if target.kind is ObjectKind.ENDPOINT:
                kind = "requests-interceptable"
                what = f"{holder} can receive on {target} and answer requests meant for {server}"
            else:
                kind = "backing-resource-reachable"
                what = f"{holder} can obtain {', '.join(r.value for r in bad)} on {target}, bypassing {server}"
            out.append(Evidence(
                kind, what,
                (system.components[holder].span, closure.objects[target].span),
                {"holder": holder, "target": str(target), "rights": [r.value for r in bad],
                 "chain": explainer.chain(holder, target, bad[0])},
            ))
    return out


def callers_by_badge(closure: AuthorityClosure, server: str) -> dict[int, set[str]]:
    """Who can call `server` with each badge, from every send cap in the closure; badge 0 (an
    unbadged cap) means "with any badge"."""
    out: dict[int, set[str]] = {}
    for holder, badge in closure.holding(Target(ObjectKind.ENDPOINT, server), Right.SEND):
        if holder != server:
            out.setdefault(badge, set()).add(holder)
    return out


def decisions(policy: Policy, sid: str, objects: tuple[ServerObject, ...]) -> tuple[bool, ...]:
    """What smos_auth answers a caller of `sid` for every operation on every object of a server."""
    return tuple(policy.allows(sid, o.sid, o.cls, op) for o in objects for op in policy.classes[o.cls].operations)


def _ambiguous_callers(system: System, closure: AuthorityClosure) -> list[Evidence]:
    """Two callers the server sees with the same badge, whose sids the policy treats differently:
    the server cannot tell which of them asks, so it cannot ask smos_auth the right question."""
    explainer = Explainer(closure)
    out = []
    for server in system.components.values():
        endpoint = Target(ObjectKind.ENDPOINT, server.name)
        if not server.objects or endpoint not in closure.objects:
            continue
        rows: dict[str, tuple[bool, ...]] = {}
        by_badge = callers_by_badge(closure, server.name)
        anyone = by_badge.get(0, set())
        for badge in sorted(by_badge):
            if len(by_badge[badge]) == 1 and (not anyone or not badge):
                continue  # one caller with this badge: nothing to confuse it with
            holders = sorted(by_badge[badge] | (anyone if badge else set()))
            for h in holders:
                sid = system.components[h].sid
                if sid not in rows:
                    rows[sid] = decisions(system.policy, sid, server.objects)
            first = holders[0]
            row = rows[system.components[first].sid]
            other = next((h for h in holders if rows[system.components[h].sid] != row), None)
            if other is None:
                continue
            shown = f"badge {badge}" if badge else "an unbadged cap, which can be minted with any badge,"
            out.append(Evidence(
                "ambiguous-badge",
                f"{first} ({system.components[first].sid}) and {other} ({system.components[other].sid}) can call "
                f"{server.name} with {shown}: {server.name} cannot tell them apart, and the policy decides differently for them",
                (_cap_span(system, closure, first, endpoint), _cap_span(system, closure, other, endpoint)),
                {"server": server.name, "badge": badge, "callers": holders,
                 "chain": explainer.chain(other, endpoint, Right.SEND)},
            ))
    return out


def _cap_span(system: System, closure: AuthorityClosure, holder: str, target: Target):
    """Where `holder`'s cap to `target` is declared, or the holder itself for an obtained cap."""
    cap = closure.origin(holder, target)
    return cap.span if cap else system.components[holder].span
