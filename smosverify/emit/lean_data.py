"""A system as the data of a Lean instance module (docs/lean.md, "The contract").

Every name becomes a number in declaration order; each Lean value is a Python tuple shaped like
the Lean term, so the renderer only prints and the checker mirror (`lean_check`) only reads:

    Component (id, sid, role, spawned)      Target ("own", comp, kind) | ("chan", kind, id, sid)
    Cap (holder, target, rights, badge)     SObj (id, cls, sid, server)   Handle (holder, obj, op)
    Perm (subject, object, cls, op)         KPerm (subject, object, kind, right)

Caps are kept one by one, as the closure finds them; a cap's rights are a tuple in `Right`'s
order. Rights and kinds use the Lean constructor names (`grantReply`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from smosverify.analyses.authority.closure import AuthorityClosure
from smosverify.analyses.dynamic.state import DynamicState
from smosverify.analyses.flow.graph import operation_directions
from smosverify.analyses.flow.policy import flow_policy
from smosverify.analyses.policy.sanity import decision_table
from smosverify.model.authority import initial_caps
from smosverify.model.kernel import KIND_CLASS, SHARED_KINDS, ObjectKind, Right, rights_for
from smosverify.model.policy import AccessRule, RuleKind
from smosverify.model.system import Role, System, Target

LEAN_RIGHT = {r: ("grantReply" if r is Right.GRANT_REPLY else r.value) for r in Right}
CLASS_KINDS: dict[str, tuple[str, ...]] = {}
for _kind, _cls in KIND_CLASS.items():
    CLASS_KINDS.setdefault(_cls, ())
    CLASS_KINDS[_cls] += (_kind.value,)


@dataclass(frozen=True)
class Numbering:
    """Numbers for every name; `names[kind][i]` is the name numbered i."""

    names: dict[str, tuple[str, ...]]
    ops: dict[str, tuple[str, ...]]  # per class, operations in declaration order

    def num(self, kind: str, name: str) -> int:
        return self._index[kind][name]

    @property
    def _index(self) -> dict[str, dict[str, int]]:
        return {k: {n: i for i, n in enumerate(v)} for k, v in self.names.items()}


def numbering(system: System, summaries: tuple[str, ...]) -> Numbering:
    policy = system.policy
    classes = tuple(n for n, c in policy.classes.items() if not c.builtin)
    return Numbering(
        {
            "sid": tuple(policy.sids),
            "class": classes,
            "label": tuple(policy.labels),
            "comp": tuple(system.components),
            "summary": summaries,
            "obj": tuple(f"{o.server}.{o.name}" for o in system.objects()),
            "region": tuple(system.regions),
            "notification": tuple(system.notifications),
            "untyped": tuple(system.untyped),
        },
        {c: policy.classes[c].operations for c in classes},
    )


class Terms:
    """Maps model elements to Lean-shaped tuples under one numbering."""

    def __init__(self, system: System, num: Numbering):
        self.system, self.num = system, num
        self._index = num._index  # computed once
        self.summary_values = {s: self.summary(s) for s in num.names["summary"]}

    def n(self, kind: str, name: str) -> int:
        return self._index[kind][name]

    def sid(self, name: str) -> int:
        return self.n("sid", name)

    def summary(self, name: str) -> tuple:
        _, sid, role = name.split(":")
        return (0, self.sid(sid), role, True)

    def comp(self, name: str) -> tuple:
        if name in self.summary_values:
            return self.summary_values[name]
        c = self.system.components[name]
        return (self.n("comp", name), self.sid(c.sid), c.role.value, False)

    def target(self, t: Target, sid: str) -> tuple:
        if t.kind in SHARED_KINDS:
            return ("chan", t.kind.value, self.n(t.kind.value, t.name), self.sid(sid))
        return ("own", self.comp(t.name), t.kind.value)

    def obj(self, key: str) -> tuple:
        server, name = key.split(".", 1)
        o = next(o for o in self.system.components[server].objects if o.name == name)
        return (self.n("obj", key), self.n("class", o.cls), self.sid(o.sid), self.comp(server))

    def op(self, cls: str, op: str) -> int:
        return self.num.ops[cls].index(op)

    def cap(self, holder: str, target: Target, rights, badge: int, sid: str) -> tuple:
        return (self.comp(holder), self.target(target, sid), lean_rights(rights), badge)


def lean_rights(rights) -> tuple[str, ...]:
    """A cap's rights in `Right`'s order, by their Lean names."""
    return tuple(LEAN_RIGHT[r] for r in Right if r in rights)


def _rule_pairs(rule: AccessRule):
    for s in sorted(rule.subjects):
        for o in ([s] if rule.self_target else sorted(rule.objects)):
            yield s, o


def lean_policy(system: System, terms: Terms) -> dict:
    """The policy expanded into tuples, each list sorted by the numbering."""
    policy = system.policy
    allow, kernel_allow, never, kernel_never = set(), set(), set(), set()
    for rule in policy.rules:
        if rule.kind is RuleKind.DENY:
            continue
        for (s, o), (cls, op) in product(_rule_pairs(rule), sorted(rule.permissions)):
            if rule.kind is RuleKind.ALLOW and not policy.allows(s, o, cls, op):
                continue
            user = cls in terms.num.ops
            out = (allow if user else kernel_allow) if rule.kind is RuleKind.ALLOW else (never if user else kernel_never)
            if user:
                out.add((terms.sid(s), terms.sid(o), terms.n("class", cls), terms.op(cls, op)))
            else:
                right = LEAN_RIGHT[Right(op)]
                out.update((terms.sid(s), terms.sid(o), kind, right) for kind in CLASS_KINDS[cls])
    labels = terms.num.names["label"]
    fp = flow_policy(policy) if labels else None
    directions = {cls: operation_directions(policy, cls) for cls in terms.num.ops}
    return {
        "allow": sorted(allow),
        "kernelAllow": sorted(kernel_allow, key=kperm_order),
        "neverallow": sorted(never),
        "kernelNeverallow": sorted(kernel_never, key=kperm_order),
        "labelOf": sorted((terms.sid(b.sid), terms.n("label", b.label)) for b in policy.label_of.values()),
        "flows": [(a, b) for a, b in product(range(len(labels)), repeat=2) if fp.allowed(labels[a], labels[b])] if fp else [],
        "order": [(a, b) for a, b in product(range(len(labels)), repeat=2)
                  if fp.below[fp.position[labels[b]]] >> fp.position[labels[a]] & 1] if fp else [],
        "trust": [(terms.sid(s), terms.n("label", r.source), terms.n("label", r.sink))
                  for r in policy.trusted for s in sorted(r.subjects)],
        "reads": [(terms.n("class", cls), terms.op(cls, op)) for cls, (reads, _) in directions.items()
                  for op in terms.num.ops[cls] if op in reads],
        "writes": [(terms.n("class", cls), terms.op(cls, op)) for cls, (_, writes) in directions.items()
                   for op in terms.num.ops[cls] if op in writes],
        "budgets": [(terms.n("label", b.source), terms.n("label", b.sink), b.bits) for b in policy.budgets],
        "spawn": sorted({(terms.sid(p), terms.sid(c), r.role or Role.CLIENT.value)
                         for r in policy.spawn_rules for p in r.parents for c in r.children}, key=role_order),
        "connect": sorted({(terms.sid(c), terms.sid(s)) for r in policy.connect_rules for c in r.clients for s in r.servers}),
        "pass": sorted({(terms.sid(s), terms.sid(r), terms.n("class", c)) for rule in policy.pass_rules
                        for s in rule.senders for r in rule.receivers for c in rule.classes if c in terms.num.ops}),
    }


KINDS = tuple(k.value for k in ObjectKind)
RIGHTS = tuple(LEAN_RIGHT[r] for r in Right)
ROLES = tuple(r.value for r in Role)


def kperm_order(p: tuple) -> tuple:
    return (p[0], p[1], KINDS.index(p[2]), RIGHTS.index(p[3]))


def kperm_key(p: tuple) -> int:
    """The bit of `(subject, object, kind, right)` in a row of its subject (Lean's `KPerm.key`)."""
    return (p[1] * len(KINDS) + KINDS.index(p[2])) * len(RIGHTS) + RIGHTS.index(p[3])


def role_order(p: tuple) -> tuple:
    return (p[0], p[1], ROLES.index(p[2]))


def initial_cap_terms(system: System, terms: Terms) -> list[tuple]:
    """`initial_caps(system)`, one cap each, in the model's order without repeats."""
    out: dict[tuple, None] = {}
    for cap in initial_caps(system):
        out.setdefault(terms.cap(cap.holder, cap.target, cap.rights, cap.badge, target_sid(system, cap.target)))
    return list(out)


def lean_clients(system: System, terms: Terms) -> list[tuple]:
    """The declared connections as (server, badge, client sid): `Sys.clients`."""
    return sorted({(terms.comp(c.server), c.badge, terms.sid(system.components[c.client].sid)) for c in system.connections},
                  key=lambda d: (comp_order(d[0]), d[1], d[2]))


def lean_decisions(system: System, terms: Terms) -> list[tuple]:
    """P4's decision table, the policy server's answers: ((subject, object, class, op), permit)."""
    return [((terms.sid(s), terms.sid(o), terms.n("class", c), terms.op(c, op)), permit)
            for (s, o, c, op), permit in decision_table(system).items()]


def target_sid(system: System, target: Target) -> str:
    if target.kind is ObjectKind.REGION:
        return system.regions[target.name].sid
    if target.kind is ObjectKind.NOTIFICATION:
        return system.notifications[target.name].sid
    if target.kind is ObjectKind.UNTYPED:
        return system.untyped[target.name].sid
    return system.components[target.name].sid


def closure_caps(system: System, closure: AuthorityClosure, terms: Terms) -> list[tuple]:
    """Every cap of the closure, one by one (badges included), sorted by the numbering."""
    caps = {terms.cap(holder, target, rights, badge, target_sid(system, target))
            for holder, target, rights, badge in closure.caps()}
    return sorted(caps, key=cap_order)


def lean_covers(system: System, terms: Terms) -> list[tuple]:
    """(untyped, covered object) pairs: `Sys.covers`."""
    return [(terms.target(Target(ObjectKind.UNTYPED, ut.name), ut.sid), terms.target(t, target_sid(system, t)))
            for ut in system.untyped.values() for t in ut.covers]


def kind_rights(kind: str) -> tuple[str, ...]:
    """Lean's `kindRights`: every right of an object kind, in `Right`'s order."""
    return lean_rights(rights_for(ObjectKind(kind)))


def state_handles(state: DynamicState, terms: Terms) -> list[tuple]:
    out = set()
    for holder, by in state.handles.items():
        for key, ops in by.items():
            cls = state.objects[key].cls
            out.update((terms.comp(holder), terms.obj(key), terms.op(cls, op)) for op in ops)
    return sorted(out, key=lambda h: (comp_order(h[0]), h[1][0], h[2]))


def comp_order(c: tuple) -> tuple:
    return (c[3], c[0], c[1], ROLES.index(c[2]))


def target_order(t: tuple) -> tuple:
    if t[0] == "own":
        return (0, comp_order(t[1]), KINDS.index(t[2]))
    return (1, KINDS.index(t[1]), t[2], t[3])


def cap_order(c: tuple) -> tuple:
    return (comp_order(c[0]), target_order(c[1]), [RIGHTS.index(r) for r in c[2]], c[3])
