"""The policy: sids, attributes, classes, access rules, flow policy, budgets, dynamic rules.

Names in rules are resolved when the policy is loaded: every rule holds the expanded sets of
sids and (class, operation) pairs it covers, and the text it was written as for reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from smosverify.errors import Span


@dataclass(frozen=True)
class SidDecl:
    name: str
    span: Span


@dataclass(frozen=True)
class Attribute:
    """A named group of sids (SELinux's `attribute`)."""

    name: str
    members: frozenset[str]
    span: Span


@dataclass(frozen=True)
class ClassDecl:
    name: str
    operations: tuple[str, ...]
    span: Span | None  # None for the built-in kernel classes
    builtin: bool = False


class RuleKind(str, Enum):
    ALLOW = "allow"
    DENY = "deny"
    NEVERALLOW = "neverallow"


@dataclass(frozen=True)
class AccessRule:
    """`allow|deny|neverallow SUBJECTS OBJECTS : CLASSES OPS;` with every set expanded.

    `self_target` is true when the object side is `self`: then the rule covers (s, s) for each
    subject s, and `objects` is empty.
    """

    kind: RuleKind
    subjects: frozenset[str]
    objects: frozenset[str]
    self_target: bool
    permissions: frozenset[tuple[str, str]]  # (class, operation)
    text: str
    span: Span

    def covers(self, subject: str, obj: str, cls: str, op: str) -> bool:
        if subject not in self.subjects or (cls, op) not in self.permissions:
            return False
        return obj == subject if self.self_target else obj in self.objects


@dataclass(frozen=True)
class OrderEdge:
    """`lower < higher` in the label lattice: information may flow upwards."""

    lower: str
    higher: str
    span: Span


@dataclass(frozen=True)
class FlowRule:
    """`flow SOURCE -> SINK;` between labels: one explicit, non-transitive permission."""

    source: str
    sink: str
    span: Span


@dataclass(frozen=True)
class TrustRule:
    """`trusted SUBJECTS for SOURCE -> SINK;`: components of these sids are trusted to release
    SOURCE-labelled information to SINK (an MLS trusted subject / declassifier), so flows through
    them are checked against this declaration instead of being reported (docs/flow-and-leakage.md)."""

    subjects: frozenset[str]
    source: str
    sink: str
    text: str
    span: Span


@dataclass(frozen=True)
class LabelBinding:
    sid: str
    label: str
    span: Span


@dataclass(frozen=True)
class Budget:
    """`budget SOURCE -> SINK <= BITS bits;`: at most BITS bits per epoch between labels."""

    source: str
    sink: str
    bits: int
    span: Span


@dataclass(frozen=True)
class CapacityDefault:
    """`capacity KIND BITS bits;`: the default capacity of one kind of channel."""

    kind: str
    bits: int
    span: Span


@dataclass(frozen=True)
class OperationFlow:
    """`reads|writes CLASS { OPS };`: which operations move data out of / into an object."""

    direction: str  # "reads" or "writes"
    cls: str
    operations: frozenset[str]
    span: Span


@dataclass(frozen=True)
class SpawnRule:
    """`spawn PARENTS -> CHILDREN [as ROLE];`: who may create components of which sids."""

    parents: frozenset[str]
    children: frozenset[str]
    role: str | None
    text: str
    span: Span


@dataclass(frozen=True)
class ConnectRule:
    """`connect CLIENTS -> SERVERS;`: who may open a new connection to which server."""

    clients: frozenset[str]
    servers: frozenset[str]
    text: str
    span: Span


@dataclass(frozen=True)
class PassRule:
    """`pass SENDERS -> RECEIVERS : CLASSES;`: who may hand handle caps of which classes to whom."""

    senders: frozenset[str]
    receivers: frozenset[str]
    classes: frozenset[str]
    text: str
    span: Span


@dataclass(frozen=True)
class Policy:
    files: tuple[str, ...]  # every file loaded, the root first
    sids: dict[str, SidDecl]
    attributes: dict[str, Attribute]
    classes: dict[str, ClassDecl]
    rules: tuple[AccessRule, ...]
    labels: dict[str, Span]
    order: tuple[OrderEdge, ...]
    flows: tuple[FlowRule, ...]
    label_of: dict[str, LabelBinding]
    budgets: tuple[Budget, ...]
    capacities: dict[str, CapacityDefault]
    operation_flows: tuple[OperationFlow, ...]
    spawn_rules: tuple[SpawnRule, ...] = ()
    connect_rules: tuple[ConnectRule, ...] = ()
    pass_rules: tuple[PassRule, ...] = ()
    trusted: tuple[TrustRule, ...] = ()
    roots: tuple[str, ...] = ()  # the files the system named (the rest were imported)
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def rules_of(self, kind: RuleKind) -> tuple[AccessRule, ...]:
        return tuple(r for r in self.rules if r.kind is kind)

    def matching(self, kind: RuleKind, subject: str, obj: str, cls: str, op: str) -> AccessRule | None:
        """The first rule of `kind` covering the request, or None."""
        for rule in self._rules_for(kind, cls, op):
            if rule.covers(subject, obj, cls, op):
                return rule
        return None

    def allows(self, subject: str, obj: str, cls: str, op: str) -> bool:
        """The decision the policy server must make: some allow covers it and no deny does."""
        return (
            self.matching(RuleKind.ALLOW, subject, obj, cls, op) is not None
            and self.matching(RuleKind.DENY, subject, obj, cls, op) is None
        )

    def _rules_for(self, kind: RuleKind, cls: str, op: str) -> tuple[AccessRule, ...]:
        # A per-(kind, class, op) index built lazily: the policy itself stays immutable.
        key = (kind, cls, op)
        if key not in self._index:
            self._index[key] = tuple(
                r for r in self.rules if r.kind is kind and (cls, op) in r.permissions
            )
        return self._index[key]
