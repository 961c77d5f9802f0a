"""P1 complete mediation: objects are reached only through their server, every such server
consults a policy server, and each server can tell its callers apart."""

from __future__ import annotations

from smosverify.analyses.authority import AuthorityClosure, Explainer
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.model.kernel import COMPONENT_KINDS, ObjectKind, Right
from smosverify.model.system import Role, System, Target

ID, NAME = "P1", "complete mediation"


def check_complete_mediation(system: System, closure: AuthorityClosure) -> PropertyResult:
    evidence: list[Evidence] = []
    monitors = {c.name for c in system.by_role(Role.POLICY)}
    roots = {c.name for c in system.by_role(Role.ROOT)}
    servers = [c for c in system.components.values() if c.objects]
    if servers and not monitors:
        evidence.append(Evidence("no-policy-server", "servers implement objects but the system has no component with role policy", (system.span,)))
    for server in servers:
        consults = [
            m for m in sorted(monitors)
            if closure.holds(server.name, Target(ObjectKind.ENDPOINT, m), Right.SEND, at_start=True)
        ]
        if monitors and not consults and server.role is not Role.POLICY:
            evidence.append(Evidence(
                "server-not-mediated",
                f"server {server.name} implements {len(server.objects)} object(s) but holds no send cap to a policy server",
                (server.span,) + tuple(o.span for o in server.objects[:3]),
                {"server": server.name, "objects": [o.name for o in server.objects]},
            ))
    evidence.extend(_bypasses(system, closure, {s.name for s in servers}, roots))
    evidence.extend(_ambiguous_badges(system))
    if evidence:
        return PropertyResult(ID, NAME, Status.VIOLATED, f"{len(evidence)} way(s) around the reference monitor", tuple(evidence))
    n = sum(len(s.objects) for s in servers)
    return PropertyResult(ID, NAME, Status.HOLDS, f"all {n} object(s) of {len(servers)} server(s) are reached only through their server, which consults the policy server")


def _bypasses(system: System, closure: AuthorityClosure, servers: set[str], roots: set[str]) -> list[Evidence]:
    """Caps that reach a server's backing resources, or let someone else receive its requests."""
    private = {Target(k, s): s for s in servers for k in COMPONENT_KINDS}
    endpoints = {Target(ObjectKind.ENDPOINT, s): s for s in servers}
    explainer = Explainer(closure)
    out = []
    for holder, target, rights in closure.edges():
        if holder in roots:
            continue
        if private.get(target, holder) != holder:
            bad = sorted(rights, key=lambda r: r.value)
            kind = "backing-resource-reachable"
            what = f"{holder} can obtain {', '.join(r.value for r in bad)} on {target}, bypassing {target.name}"
        elif endpoints.get(target, holder) != holder and Right.RECEIVE in rights:
            bad = [Right.RECEIVE]
            kind = "requests-interceptable"
            what = f"{holder} can receive on {target} and answer requests meant for {target.name}"
        else:
            continue
        chain = explainer.chain(holder, target, bad[0])
        out.append(Evidence(
            kind, what,
            (system.components[holder].span, closure.objects[target].span),
            {"holder": holder, "target": str(target), "rights": [r.value for r in bad], "chain": chain},
        ))
    return out


def _ambiguous_badges(system: System) -> list[Evidence]:
    """Two callers of different sids sharing a badge: the server cannot tell who asks."""
    out = []
    seen: dict[tuple[str, int], object] = {}
    for conn in system.connections:
        key = (conn.server, conn.badge)
        first = seen.setdefault(key, conn)
        if first is conn:
            continue
        a, b = system.components[first.client], system.components[conn.client]
        if a.sid != b.sid:
            out.append(Evidence(
                "ambiguous-badge",
                f"{first.client} ({a.sid}) and {conn.client} ({b.sid}) call {conn.server} with the same badge {conn.badge}",
                (first.span, conn.span),
                {"server": conn.server, "badge": conn.badge, "clients": [first.client, conn.client]},
            ))
    return out
