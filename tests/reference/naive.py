"""A deliberately naive reference for the authority closure and P1, P2, P3 (issue 11, "Evidence of
soundness"), written from the definitions alone (docs/authority-rules.md, docs/properties.md and
the rule table smosverify/semantics/rules.py), never from smosverify/analyses: the fast analyses
are compared against it, so it must not share their code or their shortcuts.

A cap is (holder, target, rights, badge). The closure starts from the initial caps and applies
every rule of the table, as written, to every cap, until a round adds nothing. The properties are
set comprehensions over that closure (each takes it, so that it is computed once). A finding is a
flat tuple (kind, holder, target, detail), "" where a field does not apply, so that sets of
findings compare exactly.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from smosverify.model.authority import initial_caps
from smosverify.model.kernel import COMPONENT_KINDS, KIND_CLASS, ObjectKind, Right, rights_for
from smosverify.model.system import Role, System, Target

Cap = tuple[str, Target, frozenset[Right], int]
Finding = tuple[str, str, str, str]

SEND, RECEIVE, GRANT, GRANT_REPLY, CONTROL = Right.SEND, Right.RECEIVE, Right.GRANT, Right.GRANT_REPLY, Right.CONTROL
ENDPOINT = ObjectKind.ENDPOINT


class Verdict(NamedTuple):
    status: str  # holds, violated or not_applicable (Status values)
    findings: frozenset[Finding]


# -- the closure ---------------------------------------------------------------------------

def initial(system: System) -> frozenset[Cap]:
    return frozenset((c.holder, c.target, c.rights, c.badge) for c in initial_caps(system))


def closure(system: System) -> frozenset[Cap]:
    """The least set of caps containing the initial caps and closed under every rule."""
    caps = initial(system)
    while True:
        grown = caps.union(*(rule(system, caps) for rule in RULES.values()))
        if grown == caps:
            return caps
        caps = grown


def held_by(caps: frozenset[Cap], holder: str) -> set[Cap]:
    return {cap for cap in caps if cap[0] == holder}


def given_to(receiver: str, caps: set[Cap]) -> set[Cap]:
    """The same caps (target, rights, badge), now held by `receiver`."""
    return {(receiver, target, rights, badge) for _, target, rights, badge in caps}


def grant(system: System, caps: frozenset[Cap]) -> set[Cap]:
    """S's one cap to E has send and grant, R has a cap to E with receive: R gains S's caps."""
    return {
        gained
        for s, e, s_rights, _ in caps if e.kind is ENDPOINT and {SEND, GRANT} <= s_rights
        for r, e2, r_rights, _ in caps if e2 == e and RECEIVE in r_rights
        for gained in given_to(r, held_by(caps, s))
    }


def reply(system: System, caps: frozenset[Cap]) -> set[Cap]:
    """C's one cap to E has send and grant or grant_reply, V's one cap to E has receive and grant:
    C gains V's caps."""
    return {
        gained
        for c, e, c_rights, _ in caps if e.kind is ENDPOINT and SEND in c_rights and c_rights & {GRANT, GRANT_REPLY}
        for v, e2, v_rights, _ in caps if e2 == e and {RECEIVE, GRANT} <= v_rights
        for gained in given_to(c, held_by(caps, v))
    }


def copy_out(system: System, caps: frozenset[Cap]) -> set[Cap]:
    return {
        gained
        for a, x, rights, _ in caps if x.kind is ObjectKind.CNODE and CONTROL in rights
        for gained in given_to(a, held_by(caps, x.name))
    }


def copy_in(system: System, caps: frozenset[Cap]) -> set[Cap]:
    return {
        gained
        for a, x, rights, _ in caps if x.kind is ObjectKind.CNODE and CONTROL in rights
        for gained in given_to(x.name, held_by(caps, a))
    }


def tcb_cnode(system: System, caps: frozenset[Cap]) -> set[Cap]:
    return {(a, Target(ObjectKind.CNODE, x.name), frozenset({CONTROL}), 0)
            for a, x, rights, _ in caps if x.kind is ObjectKind.TCB and CONTROL in rights}


def tcb_vspace(system: System, caps: frozenset[Cap]) -> set[Cap]:
    return {(a, Target(ObjectKind.VSPACE, x.name), frozenset({CONTROL}), 0)
            for a, x, rights, _ in caps if x.kind is ObjectKind.TCB and CONTROL in rights}


def vspace_frames(system: System, caps: frozenset[Cap]) -> set[Cap]:
    memory = frozenset({Right.READ, Right.WRITE, Right.EXECUTE})
    return {(a, Target(ObjectKind.FRAMES, x.name), memory, 0)
            for a, x, rights, _ in caps if x.kind is ObjectKind.VSPACE and CONTROL in rights}


def untyped_cover(system: System, caps: frozenset[Cap]) -> set[Cap]:
    return {
        (a, covered, frozenset(rights_for(covered.kind)), 0)
        for a, u, rights, _ in caps if u.kind is ObjectKind.UNTYPED and CONTROL in rights
        for covered in system.untyped[u.name].covers
    }


# Every rule of semantics/rules.py that makes caps, by its name there. `mint` adds none (badge 0
# stands for every badge) and `revoke` only removes caps, which an upper bound ignores.
RULES: dict[str, Callable[[System, frozenset[Cap]], set[Cap]]] = {
    "grant": grant,
    "reply": reply,
    "copyOut": copy_out,
    "copyIn": copy_in,
    "tcbCNode": tcb_cnode,
    "tcbVSpace": tcb_vspace,
    "vspaceFrames": vspace_frames,
    "untypedCover": untyped_cover,
}
ADDS_NO_CAPS = ("mint", "revoke")


# -- what the properties need to know about targets ------------------------------------------

def owner(target: Target) -> str:
    """The component a target belongs to ("" for regions, notifications and untyped)."""
    return target.name if target.kind in COMPONENT_KINDS or target.kind is ENDPOINT else ""


def sid_of(system: System, target: Target) -> str:
    if owner(target):
        return system.components[target.name].sid
    shared = {ObjectKind.REGION: system.regions, ObjectKind.NOTIFICATION: system.notifications,
              ObjectKind.UNTYPED: system.untyped}
    return shared[target.kind][target.name].sid


def rights_on(caps: frozenset[Cap]) -> set[tuple[str, Target, Right]]:
    """(holder, target, right) for every right some cap gives: a union over caps is exact here."""
    return {(holder, target, right) for holder, target, rights, _ in caps for right in rights}


def intrudes(holder: str, target: Target, right: Right, names: set[str]) -> bool:
    """`holder` gets at the backing (any right) or the requests (receive) of one of `names`."""
    if holder == target.name or target.name not in names:
        return False
    return target.kind in COMPONENT_KINDS or (target.kind is ENDPOINT and right is RECEIVE)


def verdict(findings: set[Finding]) -> Verdict:
    return Verdict("violated" if findings else "holds", frozenset(findings))


NOT_APPLICABLE = Verdict("not_applicable", frozenset())


# -- P1 complete mediation ------------------------------------------------------------------

def p1(system: System, caps: frozenset[Cap]) -> Verdict:
    """Without a policy server, that one finding stands for every server it leaves unmediated."""
    servers = {c.name for c in system.components.values() if c.objects}
    if not servers:
        return NOT_APPLICABLE
    monitors = {c.name for c in system.by_role(Role.POLICY)}
    at_start = initial(system)
    findings: set[Finding] = {("no-policy-server", "", "", "")} if not monitors else {
        ("server-not-mediated", s, "", "") for s in servers
        if system.components[s].role is not Role.POLICY
        and not any(h == s and t.kind is ENDPOINT and t.name in monitors and SEND in rs for h, t, rs, _ in at_start)
    }
    findings |= {
        ("backing-resource-reachable" if t.kind in COMPONENT_KINDS else "requests-interceptable", h, str(t), r.value)
        for h, t, r in rights_on(caps) if intrudes(h, t, r, servers)
    }
    findings |= ambiguous_callers(system, caps, servers)
    return verdict(findings)


def ambiguous_callers(system: System, caps: frozenset[Cap], servers: set[str]) -> set[Finding]:
    """Two callers of a server with objects whose send caps may carry the same badge (equal
    badges, or one unbadged: `mint` makes any badge from it), and whose sids the policy decides
    differently for some operation on its objects: the server cannot ask for the right one.
    Holder pairs are sorted."""
    senders = {(h, t, b) for h, t, rs, b in caps if t.kind is ENDPOINT and SEND in rs and h != t.name}
    return {
        ("ambiguous-badge", h1, str(t), h2)
        for h1, t, b1 in senders if t.name in servers for h2, t2, b2 in senders
        if t2 == t and h1 < h2 and (b1 == b2 or b1 == 0 or b2 == 0) and decided_differently(system, t.name, h1, h2)
    }


def decided_differently(system: System, server: str, a: str, b: str) -> bool:
    """Whether the policy answers some request on `server`'s objects differently for a's and b's sids."""
    policy, sid = system.policy, {name: c.sid for name, c in system.components.items()}
    return any(policy.allows(sid[a], o.sid, o.cls, op) != policy.allows(sid[b], o.sid, o.cls, op)
               for o in system.components[server].objects for op in policy.classes[o.cls].operations)


# -- P2 tamper-proofness --------------------------------------------------------------------

def protected(system: System) -> set[str]:
    """Policy servers, and components whose sid the flow policy trusts."""
    trusted = {sid for rule in system.policy.trusted for sid in rule.subjects}
    return {c.name for c in system.components.values() if c.role is Role.POLICY or c.sid in trusted}


def p2(system: System, caps: frozenset[Cap]) -> Verdict:
    names = protected(system)
    if not names:
        return NOT_APPLICABLE
    monitors = {c.name for c in system.by_role(Role.POLICY)}
    return verdict({
        ("policy-server-reachable" if t.name in monitors else "trusted-component-reachable", h, str(t), r.value)
        for h, t, r in rights_on(caps) if intrudes(h, t, r, names)
    })


# -- P3 authority conformance ---------------------------------------------------------------

def p3(system: System, caps: frozenset[Cap]) -> Verdict:
    policy = system.policy
    sid = {name: c.sid for name, c in system.components.items()}
    checked = {(h, t, r) for h, t, r in rights_on(caps) if owner(t) != h}
    if not checked:  # a borrowed identity needs a send cap to another's endpoint, itself checked
        return NOT_APPLICABLE
    findings = {
        ("authority-not-allowed", h, str(t), r.value) for h, t, r in checked
        if not policy.allows(sid[h], sid_of(system, t), KIND_CLASS[t.kind], r.value)
    }
    findings |= {
        ("borrowed-identity", h, f"{o.server}.{o.name}", op)
        for h, server, i in borrowed_identities(system, caps)
        for o in system.components[server].objects
        for op in policy.classes[o.cls].operations
        if policy.allows(i, o.sid, o.cls, op) and not policy.allows(sid[h], o.sid, o.cls, op)
    }
    return verdict(findings)


def borrowed_identities(system: System, caps: frozenset[Cap]) -> set[tuple[str, str, str]]:
    """(holder, server, sid) for each sid other than the holder's own that one of its send caps to
    the server's endpoint lets it speak as: the clients declared with that badge, or with an
    unbadged cap (it can be minted with any badge) every client declared to that server. A server
    calling itself borrows nothing: it implements its objects and needs no one's identity."""
    sid = {name: c.sid for name, c in system.components.items()}
    out = set()
    for h, t, rights, badge in caps:
        if t.kind is not ENDPOINT or SEND not in rights or h == t.name:
            continue
        declared = [c for c in system.connections if c.server == t.name]
        speaks_as = {sid[c.client] for c in declared if c.badge == badge or badge == 0}
        out |= {(h, t.name, i) for i in speaks_as if i != sid[h]}
    return out
