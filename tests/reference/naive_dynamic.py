"""A deliberately naive reference for P7 dynamic safety (issue 11, "Evidence of soundness"),
written from docs/dynamic-safety.md, docs/properties.md and the rule table
smosverify/semantics/rules.py, never from smosverify/analyses: the fast explorer is compared with it.

The abstract state is four sets of facts: components (name, sid, role), the connections the
dynamic steps made (client, server, badge), caps (holder, target, rights, badge) and handles
(holder, `server.object`, operation). Starting from the initial system, every rule is applied to
every fact each round, until a round adds nothing:

- spawn: a component of a parent sid makes the summary `spawned:SID:ROLE` of the child and holds
  control of its TCB, CNode and VSpace;
- connect: a client gets a send cap with a fresh badge to the server's endpoint; the connection
  is declared, so the badge names the client; the server receives on its endpoint (as every
  server of a connection does);
- pass: the receiver gets a send cap with a fresh badge to the object's server (no declared
  connection: the badge names no one) and the sender's handles on that one object;
- the seL4 transfers: naive.py's rules, as they are;
- open: whoever other than S holds send on S's endpoint holds, for each object of S, the
  operations the policy allows some sid it acts as (naive_flow.acting_sids);
- handle authority moves as caps do: whoever gains every cap X holds (grant, reply, copyOut,
  copyIn) gains X's handles too.

The closed state is checked by naive.py's P1-P3 and naive_flow.py's P5, on the system with the
summaries and the new connections, plus the two checks only dynamic states need. A fresh badge is
a number no connection or cap of the system description carries and no other fresh badge has: the
comparison with the fast explorer is by what a badge names, not by its number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

from smosverify.model.kernel import COMPONENT_KINDS, KIND_CLASS, ObjectKind, Right
from smosverify.model.policy import RuleKind
from smosverify.model.system import Component, Connection, ExtraCap, Role, System, Target

from . import naive, naive_flow
from .naive import Cap, Finding, Verdict

Fact = tuple[str, str, str]  # a component (name, sid, role) or a handle (holder, object, operation)
NewConnection = tuple[str, str, int]  # (client, server, badge)

SEND_ONLY, RECEIVE_ONLY, CONTROL_ONLY = frozenset({Right.SEND}), frozenset({Right.RECEIVE}), frozenset({Right.CONTROL})
PARENT_CONTROL = (ObjectKind.TCB, ObjectKind.CNODE, ObjectKind.VSPACE)
MOVES_CAPS = ("grant", "reply", "copyOut", "copyIn")  # the rules by which one gains every cap another holds


class Facts(NamedTuple):
    components: frozenset[Fact]
    connections: frozenset[NewConnection]
    caps: frozenset[Cap]
    handles: frozenset[Fact]
    given: frozenset[Cap]  # the caps a spawn or a pass gave (also in `caps`)

    def __or__(self, other: Facts) -> Facts:
        return Facts(*(a | b for a, b in zip(self, other)))


NOTHING = Facts(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


@dataclass(frozen=True)
class State:
    """The closed facts and the system they describe (`abstract_system`), which the checks read."""

    system: System
    facts: Facts


def summary(sid: str, role: str) -> str:
    return f"spawned:{sid}:{role}"


def endpoint(name: str) -> Target:
    return Target(ObjectKind.ENDPOINT, name)


def object_key(server: str, name: str) -> str:
    return f"{server}.{name}"


def apart(a: str, b: str) -> bool:
    """Two components, or one summary meeting itself (it stands for many instances)."""
    return a != b or a.startswith("spawned:")


# -- the closed state ------------------------------------------------------------------------

def closed_state(base: System) -> State:
    facts = Facts(frozenset((c.name, c.sid, c.role.value) for c in base.components.values()),
                  frozenset(), naive.initial(base), frozenset(), frozenset())
    declared = [c.badge for c in base.connections] + [e.badge for c in base.components.values() for e in c.caps]
    first_fresh = 1 + max(declared, default=0)  # held or not (a root may drop it), a declared badge names its client
    fresh: dict[tuple[str, str, str], int] = {}

    def badge(why: tuple[str, str, str]) -> int:
        return fresh.setdefault(why, first_fresh + len(fresh))

    while True:
        system = abstract_system(base, facts)
        grown = facts
        for rule in RULES:
            grown = grown | rule(system, facts, badge)
        if grown == facts:
            return State(system, facts)
        facts = grown


def abstract_system(base: System, facts: Facts) -> System:
    """The system the checks read: with the summaries, the new connections and the caps the steps
    gave (what P1 calls holding a cap "from the start" is holding it in this system)."""
    components = dict(base.components)
    for name, sid, role in sorted(facts.components):
        components.setdefault(name, Component(name, sid, Role(role), base.span))
    for holder, target, rights, badge in sorted(facts.given):
        gained = ExtraCap(holder, target, rights, base.span, badge, after_boot=True)
        components[holder] = replace(components[holder], caps=components[holder].caps + (gained,))
    connections = tuple(Connection(c, s, SEND_ONLY, b, base.span, after_boot=True) for c, s, b in sorted(facts.connections))
    return replace(base, components=components, connections=base.connections + connections)


def spawn(system: System, facts: Facts, badge) -> Facts:
    made = {
        (parent, child, rule.role or Role.CLIENT.value)
        for rule in system.policy.spawn_rules
        for parent, sid, _ in facts.components if sid in rule.parents
        for child in rule.children
    }
    control = frozenset((parent, Target(kind, summary(sid, role)), CONTROL_ONLY, 0)
                        for parent, sid, role in made for kind in PARENT_CONTROL)
    return NOTHING._replace(components=frozenset((summary(sid, role), sid, role) for _, sid, role in made),
                            caps=control, given=control)


def connect(system: System, facts: Facts, badge) -> Facts:
    pairs = {
        (client, server)
        for rule in system.policy.connect_rules
        for client, client_sid, _ in facts.components if client_sid in rule.clients
        for server, server_sid, _ in facts.components if server_sid in rule.servers and apart(client, server)
    }
    made = {(client, server, badge(("connect", client, server))) for client, server in pairs}
    return NOTHING._replace(
        connections=frozenset(made),
        caps=frozenset((client, endpoint(server), SEND_ONLY, b) for client, server, b in made)
        | frozenset((server, endpoint(server), RECEIVE_ONLY, 0) for _, server, _ in made),
    )


def pass_handles(system: System, facts: Facts, badge) -> Facts:
    """Each handle the sender holds on the object goes with the pass."""
    objects = {object_key(o.server, o.name): o for o in system.objects()}
    passed = {
        (receiver, key, op)
        for rule in system.policy.pass_rules
        for sender, key, op in facts.handles
        if system.components[sender].sid in rule.senders and objects[key].cls in rule.classes
        for receiver, receiver_sid, _ in facts.components if receiver_sid in rule.receivers and apart(sender, receiver)
    }
    handle_caps = frozenset((receiver, endpoint(objects[key].server), SEND_ONLY, badge(("pass", receiver, key)))
                            for receiver, key, _ in passed)
    return NOTHING._replace(caps=handle_caps, given=handle_caps, handles=frozenset(passed))


def transfers(system: System, facts: Facts, badge) -> Facts:
    return NOTHING._replace(caps=frozenset().union(*(rule(system, facts.caps) for rule in naive.RULES.values())))


def opens(system: System, facts: Facts, badge) -> Facts:
    return NOTHING._replace(handles=frozenset(
        (caller, object_key(server, o.name), op)
        for caller, server, sid in naive_flow.acting_sids(system, facts.caps) if caller != server
        for o in system.components[server].objects
        for op in system.policy.classes[o.cls].operations if system.policy.allows(sid, o.sid, o.cls, op)
    ))


def handles_move(system: System, facts: Facts, badge) -> Facts:
    return NOTHING._replace(handles=frozenset(
        (sink, key, op) for source, sink in carriers(system, facts.caps) for holder, key, op in facts.handles if holder == source
    ))


def carriers(system: System, caps: frozenset[Cap]) -> set[tuple[str, str]]:
    """(X, Y) when Y gains every cap X holds: a token put in each component's CSpace, moved by
    the rules that move caps, shows where X's caps (and its handle caps with them) go."""
    tokens = {(name, Target(ObjectKind.REGION, f"token:{name}"), frozenset(), 0) for name in system.components}
    moved = set().union(*(naive.RULES[name](system, caps | tokens) for name in MOVES_CAPS))
    return {(t.name.removeprefix("token:"), holder) for holder, t, _, _ in moved if t.name.startswith("token:")}


RULES = (spawn, connect, pass_handles, transfers, opens, handles_move)


# -- the checks on the closed state ----------------------------------------------------------

def handle_findings(system: System, handles: frozenset[Fact]) -> set[Finding]:
    objects = {object_key(o.server, o.name): o for o in system.objects()}
    return {
        ("handle-not-allowed", holder, key, op) for holder, key, op in handles
        if not system.policy.allows(system.components[holder].sid, objects[key].sid, objects[key].cls, op)
    }


def instance_findings(system: System, caps: frozenset[Cap]) -> set[Finding]:
    """A summary's right on its own TCB, CNode, VSpace, frames or endpoint may be one instance's
    on another's: allowed only from the sid to itself. Receive on its own endpoint is each
    instance's own."""
    return {
        ("instance-authority-not-allowed", h, str(t), r.value)
        for h, t, rights, _ in caps if h.startswith("spawned:") and t.name == h
        and (t.kind in COMPONENT_KINDS or t.kind is ObjectKind.ENDPOINT)
        for r in rights if (t.kind, r) != (ObjectKind.ENDPOINT, Right.RECEIVE)
        and not system.policy.allows(system.components[h].sid, system.components[h].sid, KIND_CLASS[t.kind], r.value)
    }


def handle_edges(system: System, handles: frozenset[Fact]) -> frozenset[naive_flow.Edge]:
    """What an operation through a handle moves: a writing one into the object, a reading one out."""
    objects = {object_key(o.server, o.name): o for o in system.objects()}
    edges = set()
    for holder, key, op in handles:
        if op in naive_flow.moves(system, objects[key].cls, "writes"):
            edges.add((holder, key))
        if op in naive_flow.moves(system, objects[key].cls, "reads"):
            edges.add((key, holder))
    return frozenset(edges)


def p4(system: System) -> Verdict:
    """Policy sanity as the generated policies can break it: an allow rule every request of which a
    deny cancels (the strategies write no neverallow)."""
    policy = system.policy
    cancelled = {
        ("allow-deny-conflict", rule.text, "", "") for rule in policy.rules if rule.kind is RuleKind.ALLOW
        and not any(policy.allows(s, s if rule.self_target else o, cls, op)
                    for s in rule.subjects for o in ([s] if rule.self_target else rule.objects)
                    for cls, op in rule.permissions)
    }
    return naive.verdict(cancelled)


def p5(system: System, caps: frozenset[Cap], extra: frozenset[naive_flow.Edge] = frozenset()) -> Verdict:
    status, violations = naive_flow.p5(system, caps, extra)
    return Verdict(status, frozenset(("forbidden-flow", a, b, "") for a, b in violations))


def properties(system: System, caps: frozenset[Cap], handles: frozenset[Fact] | None = None) -> dict[str, Verdict]:
    """P1-P5 on a state; with `handles` (a dynamic state), P3 with its handle and instance checks
    and P5 with the flows handles add."""
    p3 = naive.p3(system, caps)
    extra: set[Finding] = set()
    if handles is not None:
        extra = handle_findings(system, handles) | instance_findings(system, caps)
    return {
        "P1": naive.p1(system, caps),
        "P2": naive.p2(system, caps),
        "P3": naive.verdict(set(p3.findings) | extra) if extra else p3,
        "P4": p4(system),
        "P5": p5(system, caps, handle_edges(system, handles) if handles is not None else frozenset()),
    }


def violations(verdicts: dict[str, Verdict]) -> frozenset[tuple[str, Finding]]:
    return frozenset((pid, f) for pid, v in verdicts.items() for f in v.findings)


def p7(base: System) -> tuple[str, frozenset[tuple[str, Finding]]]:
    """P7's status and the findings (property, finding) in the closed state. Violated when the
    initial state or the closed state violates a property."""
    state = closed_state(base)
    closed = violations(properties(state.system, state.facts.caps, state.facts.handles))
    at_start = violations(properties(base, naive.closure(base)))
    return ("violated" if closed or at_start else "holds"), closed
