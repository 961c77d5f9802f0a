"""The abstract states P7 explores: a system after some dynamic steps, with summary components.

A state is the initial system plus a set of steps taken. Steps that change the system:
- spawn: a component whose sid a `spawn` rule names as parent creates a component of a child
  sid. Every instance of a (sid, role) is represented by ONE summary component, named
  `spawned:SID:ROLE`: whatever any instance can come to hold, the summary holds. The parent
  keeps control of the child's TCB, CNode and VSpace (it created them);
- connect: a component may open a connection (a send cap with a fresh badge) to any component
  a `connect` rule allows;
- pass: a component hands a handle it holds to another component, as a `pass` rule allows;
  the receiver gets a handle cap: a send cap to the object's server with a badge of its own.
Open is not a step of its own: whoever can call a server can open exactly the operations the
policy permits (the server asks smos_auth), so the state always includes every open.
Close and revoke only remove authority and are not explored (docs/dynamic-safety.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from smosverify.analyses.authority.closure import AuthorityClosure, authority_closure
from smosverify.errors import Span
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.policy import Policy
from smosverify.model.system import Component, Connection, ExtraCap, Role, ServerObject, System, Target

CONNECT_RIGHTS = frozenset({Right.SEND})
HANDLE_CAP_RIGHTS = frozenset({Right.SEND})
PARENT_CONTROL = (ObjectKind.TCB, ObjectKind.CNODE, ObjectKind.VSPACE)
SPAWNED = "spawned"


def summary_name(sid: str, role: str) -> str:
    """The one component that stands for every spawned instance of (sid, role)."""
    return f"{SPAWNED}:{sid}:{role}"


def is_summary(name: str) -> bool:
    return name.startswith(SPAWNED + ":")


@dataclass(frozen=True, order=True)
class Step:
    """One dynamic step, and the policy rule that permits it.

    spawn: actor spawns `other` (a summary); connect: actor connects to server `other`;
    pass: actor passes its handle to object `obj` (`server.object`) to `other`.
    """

    kind: str
    actor: str
    other: str
    obj: str
    rule: str
    span: Span

    def describe(self) -> str:
        if self.kind == "spawn":
            _, sid, role = self.other.split(":")
            return f"{self.actor} spawns a {role} of sid {sid} ({self.other}), as `{self.rule}` permits"
        if self.kind == "connect":
            return f"{self.actor} connects to {self.other} (a send cap), as `{self.rule}` permits"
        return f"{self.actor} passes its handle to {self.obj} to {self.other}, as `{self.rule}` permits"

    def to_json(self) -> dict:
        out = {"step": self.kind, "actor": self.actor, "other": self.other, "rule": self.rule,
               "location": self.span.to_json()}
        if self.obj:
            out["object"] = self.obj
        return out


def object_key(obj: ServerObject) -> str:
    return f"{obj.server}.{obj.name}"


def allowed_ops(policy: Policy, sid: str, obj: ServerObject) -> tuple[str, ...]:
    """What an open by a client of `sid` obtains: the operations smos_auth permits."""
    return tuple(op for op in policy.classes[obj.cls].operations if policy.allows(sid, obj.sid, obj.cls, op))


@dataclass(frozen=True)
class DynamicState:
    """The system after `steps`, its authority closure, and who holds which handle authority.

    `handles` maps holder → object key → operations it can perform on that object, whether by
    opening it over a connection whose cap it holds or through a handle passed to it.
    """

    base: System
    steps: tuple[Step, ...]
    system: System
    closure: AuthorityClosure
    objects: dict[str, ServerObject]
    handles: dict[str, dict[str, frozenset[str]]]

    def summaries(self) -> tuple[str, ...]:
        return tuple(n for n in self.system.components if is_summary(n))


def build_state(base: System, steps: tuple[Step, ...], previous: DynamicState | None = None,
                closure: AuthorityClosure | None = None) -> DynamicState:
    """The state after `steps` (each assumed enabled). Reuses `previous` when the steps are the
    same, and `closure` (the base system's, when the caller has it) for the initial state."""
    if previous is not None and previous.steps == steps:
        return previous
    system = _system_after(base, steps)
    closure = closure if closure is not None and not steps else authority_closure(system)
    objects = {object_key(o): o for o in system.objects()}
    handles = _handle_authority(system, closure, objects, steps)
    return DynamicState(base, steps, system, closure, objects, handles)


def _system_after(base: System, steps: tuple[Step, ...]) -> System:
    if not steps:
        return base
    components = dict(base.components)
    extra: dict[str, list[ExtraCap]] = {}
    connections = list(base.connections)
    # per server, every badge its declared connections and listed caps carry (held or not: a badge
    # names its connection's client all the same): a fresh badge is none of them
    badges: dict[str, set[int]] = {}
    for conn in base.connections:
        badges.setdefault(conn.server, set()).add(conn.badge)
    for cap in (cap for comp in base.components.values() for cap in comp.caps):
        if cap.target.kind is ObjectKind.ENDPOINT:
            badges.setdefault(cap.target.name, set()).add(cap.badge)
    handle_caps: set[tuple[str, str]] = set()
    for step in steps:
        if step.kind == "spawn":
            _, sid, role = step.other.split(":")
            components.setdefault(step.other, Component(step.other, sid, Role(role), step.span))
            extra.setdefault(step.actor, []).extend(
                ExtraCap(step.actor, Target(kind, step.other), frozenset({Right.CONTROL}), step.span, after_boot=True)
                for kind in PARENT_CONTROL
            )
        elif step.kind == "connect":
            taken = badges.setdefault(step.other, set())
            badge = max(taken, default=0) + 1
            taken.add(badge)
            connections.append(Connection(step.actor, step.other, CONNECT_RIGHTS, badge, step.span, after_boot=True))
        elif (step.other, step.obj) not in handle_caps:
            handle_caps.add((step.other, step.obj))
            server = step.obj.split(".", 1)[0]
            taken = badges.setdefault(server, set())
            badge = max(taken, default=0) + 1  # the server knows the handle by its own badge
            taken.add(badge)
            extra.setdefault(step.other, []).append(
                ExtraCap(step.other, Target(ObjectKind.ENDPOINT, server), HANDLE_CAP_RIGHTS, step.span, badge, True)
            )
    for name, caps in extra.items():
        components[name] = replace(components[name], caps=components[name].caps + tuple(caps))
    return replace(base, components=components, connections=tuple(connections))


def _handle_authority(system: System, closure: AuthorityClosure, objects: dict[str, ServerObject],
                      steps: tuple[Step, ...]) -> dict[str, dict[str, frozenset[str]]]:
    """Least fixpoint: whoever holds send on a server's endpoint opens its objects with what
    smos_auth permits its own sid; a cap transfer carries all of the sender's handle authority
    (a received badged cap lets its holder act as the cap's owner); a pass carries the sender's
    authority on one object."""
    policy = system.policy
    held: dict[str, dict[str, set[str]]] = {}
    decided: dict[tuple[str, str, str], tuple[str, ...]] = {}  # (sid, object sid, class) -> ops: one decision each
    for server, callers in closure.acting_sids.items():  # a borrowed badge opens as its client
        for holder, sids in callers.items():
            for sid in sorted(sids):
                for obj in system.components[server].objects:
                    request = (sid, obj.sid, obj.cls)
                    if request not in decided:
                        decided[request] = allowed_ops(policy, sid, obj)
                    if decided[request]:
                        held.setdefault(holder, {}).setdefault(object_key(obj), set()).update(decided[request])
    edges: dict[str, list[tuple[str, str | None]]] = {}
    for tr in closure.transfers:
        edges.setdefault(tr.source, []).append((tr.sink, None))
    for step in steps:
        if step.kind == "pass":
            edges.setdefault(step.actor, []).append((step.other, step.obj))
    work = sorted(held)
    while work:
        holder = work.pop()
        for sink, only in edges.get(holder, ()):
            changed = False
            for key, ops in held.get(holder, {}).items():
                if only is not None and key != only:
                    continue
                mine = held.setdefault(sink, {}).setdefault(key, set())
                if not ops <= mine:
                    mine |= ops
                    changed = True
            if changed:
                work.append(sink)
    return {h: {k: frozenset(held[h][k]) for k in sorted(held[h])} for h in system.components if h in held}


def enabled_steps(state: DynamicState) -> list[Step]:
    """Every step the policy permits in `state` that has not been taken, in a stable order."""
    taken = set(state.steps)
    system, policy = state.system, state.base.policy
    comps = list(system.components.values())
    out: list[Step] = []
    for rule in policy.spawn_rules:
        for parent in comps:
            if parent.sid in rule.parents:
                for sid in sorted(rule.children):
                    out.append(Step("spawn", parent.name, summary_name(sid, rule.role or Role.CLIENT.value), "", rule.text, rule.span))
    # one new connection per pair; a declared one does not stand for it (it may lack send, or share its badge)
    connected = {(s.actor, s.other) for s in state.steps if s.kind == "connect"}
    for rule in policy.connect_rules:
        for client in comps:
            if client.sid not in rule.clients:
                continue
            for server in comps:
                pair = (client.name, server.name)
                if server.sid in rule.servers and pair not in connected and _distinct(*pair):
                    connected.add(pair)
                    out.append(Step("connect", client.name, server.name, "", rule.text, rule.span))
    for rule in policy.pass_rules:
        for sender in comps:
            if sender.sid not in rule.senders:
                continue
            for key in state.handles.get(sender.name, {}):
                if state.objects[key].cls not in rule.classes:
                    continue
                for receiver in comps:
                    if receiver.sid in rule.receivers and _distinct(sender.name, receiver.name):
                        out.append(Step("pass", sender.name, receiver.name, key, rule.text, rule.span))
    return [s for s in dict.fromkeys(out) if s not in taken]


def _distinct(a: str, b: str) -> bool:
    """Two different components; a summary stands for many instances, so it may meet itself."""
    return a != b or is_summary(a)


def is_enabled(state: DynamicState, step: Step) -> bool:
    """Whether `step` can be taken in `state` (the rule it cites was checked when it was made)."""
    comps = state.system.components
    if step.actor not in comps:
        return False
    if step.kind == "spawn":
        return True
    if step.other not in comps:
        return False
    if step.kind == "connect":
        return True
    return step.obj in state.handles.get(step.actor, {})
