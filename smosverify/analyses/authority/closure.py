"""The authority closure: every cap any component can come to hold under seL4's transfer rules.

The rules are those of smosverify/semantics/rules.py, by name (docs/authority-rules.md has an
example of each): grant, reply, copyOut, copyIn, tcbCNode, tcbVSpace, vspaceFrames, untypedCover.
Caps are tracked one by one: a cap is (object, rights, badge), numbered as it first appears, and a
rule fires only on one cap that carries every right its premise names.

Each node's caps are a bitset over cap numbers. Caps flow along transfer edges; each endpoint has
two mailbox nodes (one for grants, one for replies) so that n senders and m receivers cost n + m
edges, not n * m. Edges appear as caps arrive, so the closure alternates between applying the
rules to new caps (adding edges and derived caps) and propagating over the SCC condensation
until nothing changes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, NamedTuple

from smosverify.gc_pause import cycle_collection_paused
from smosverify.graph import propagate_union, set_bits
from smosverify.model.authority import Cap, KernelObject, initial_caps, kernel_objects
from smosverify.model.kernel import COMPONENT_KINDS, ObjectKind, Right, rights_for
from smosverify.model.system import System, Target
from smosverify.semantics.rules import (
    DERIVED,
    can_receive,
    can_send_caps,
    controls,
    gets_replies_with_caps,
    replies_with_caps,
)

STEP = {
    "grant-in": "{a} sends caps into {via} (one cap to it with send+grant) [grant]",
    "grant-out": "{b} receives caps sent into {via} (it holds receive on it) [grant]",
    "reply-in": "{a} replies with caps on {via} (one cap to it with receive+grant) [reply]",
    "reply-out": "{b} gets caps in replies on {via} (one cap to it with send and grant or grant_reply) [reply]",
    "copy-out": "{b} copies {a}'s caps out of {via}, which it controls [copyOut]",
    "copy-in": "{a} copies its caps into {via}, which it controls [copyIn]",
}
# Which end of each step holds the cap that enables it, and what that one cap must carry.
ENABLER: dict[str, tuple[str, Callable[[frozenset[Right]], bool]]] = {
    "grant-in": ("source", can_send_caps), "grant-out": ("sink", can_receive),
    "reply-in": ("source", replies_with_caps), "reply-out": ("sink", gets_replies_with_caps),
    "copy-out": ("sink", controls), "copy-in": ("source", controls),
}
RULE_OF_STEP = {"grant-in": "grant", "grant-out": "grant", "reply-in": "reply", "reply-out": "reply",
                "copy-out": "copyOut", "copy-in": "copyIn"}


class CapKey(NamedTuple):
    """A cap as the kernel sees it, without its holder: what it names, with which rights and badge."""

    target: Target
    rights: frozenset[Right]
    badge: int


class Transfer(NamedTuple):
    """An edge caps travel along: from node `source` to node `sink`, by `step` of a rule, over `via`
    (a named tuple: a large system has hundreds of thousands)."""

    source: str
    sink: str
    step: str
    via: Target

    @property
    def rule(self) -> str:
        return RULE_OF_STEP[self.step]

    def describe(self) -> str:
        return STEP[self.step].format(a=self.source, b=self.sink, via=self.via)


@dataclass(frozen=True)
class Derivation:
    """A cap a holder gains from another cap it holds (tcbCNode, tcbVSpace, vspaceFrames, untypedCover)."""

    holder: str
    gained: int  # the cap number gained
    rule: str
    via: Target


@dataclass(frozen=True)
class AuthorityClosure:
    """The closed authority of a system: the certificate for P1, P2 and P3.

    Nodes are the components (first) and the endpoint mailboxes; `bits[i]` is node i's final set
    of cap numbers (`caps_known[n]` is cap n), `initial_bits[i]` what it started with.
    """

    components: tuple[str, ...]
    nodes: tuple[str, ...]
    caps_known: tuple[CapKey, ...]
    objects: dict[Target, KernelObject]
    initial_caps: tuple[Cap, ...]
    initial_bits: tuple[int, ...]
    bits: tuple[int, ...]
    transfers: tuple[Transfer, ...]
    derivations: tuple[Derivation, ...]
    stages: tuple[tuple[int, ...], ...]  # node bits after each phase: processing 0, propagation 0, ...
    transfer_stage: dict[tuple[str, str], int]  # the stage after which each transfer exists
    held: tuple[tuple[int, ...], ...]  # each component's cap numbers in the closure, ascending
    sids: tuple[str, ...]  # each component's sid, in component order
    declared_badges: dict[str, dict[int, frozenset[str]]]  # object server -> badge -> sids of its declared clients

    @cached_property
    def acting_sids(self) -> dict[str, dict[str, frozenset[str]]]:
        """For each server with objects: every caller with the sids it can act as: its own, and
        those of the clients whose declared connections carry a badge it holds (all of them for
        an unbadged cap, which can be minted with any badge). Computed once per closure: P3, P5
        and P7 all ask."""
        sid_of = dict(zip(self.components, self.sids))
        alone: dict[str, frozenset[str]] = {}  # sid -> {sid}, shared by every caller acting only as itself
        out: dict[str, dict[str, frozenset[str]]] = {}
        for server, badges in self.declared_badges.items():
            endpoint = Target(ObjectKind.ENDPOINT, server)
            if endpoint not in self.objects:
                continue
            everyone = frozenset().union(*badges.values())
            callers: dict[str, frozenset[str]] = {}
            for holder, badge in self.holding(endpoint, Right.SEND):
                if holder == server:
                    continue
                sids = callers.get(holder)
                if sids is None:
                    sid = sid_of[holder]
                    sids = alone.get(sid) or alone.setdefault(sid, frozenset((sid,)))
                extra = everyone if badge == 0 else badges.get(badge, ())
                if extra and not sids.issuperset(extra):
                    sids = sids | extra
                callers[holder] = sids
            out[server] = callers
        return out

    @cached_property
    def _node_index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.nodes)}

    @cached_property
    def _caps_of_target(self) -> dict[Target, tuple[int, ...]]:
        out: dict[Target, list[int]] = {}
        for n, key in enumerate(self.caps_known):
            out.setdefault(key.target, []).append(n)
        return {t: tuple(ns) for t, ns in out.items()}

    @cached_property
    def _carrying(self) -> dict[Right, tuple[bool, ...]]:
        """For each right asked about, which cap numbers carry it (filled as rights are asked)."""
        return {}

    def caps(self):
        """(holder, target, rights, badge) for every cap in the closure, components in order."""
        known = self.caps_known
        for holder, numbers in zip(self.components, self.held):
            for n in numbers:
                key = known[n]
                yield holder, key.target, key.rights, key.badge

    @cached_property
    def _origins(self) -> dict[tuple[str, CapKey], Cap]:
        out: dict[tuple[str, CapKey], Cap] = {}
        for cap in self.initial_caps:
            out.setdefault((cap.holder, CapKey(cap.target, cap.rights, cap.badge)), cap)
            out.setdefault((cap.holder, CapKey(cap.target, frozenset(), -1)), cap)
        return out

    def origin(self, holder: str, target: Target, key: CapKey | None = None) -> Cap | None:
        """The declared cap that gives `holder` cap `key` (or, without a key, its first cap to
        `target`) from the start, if one does."""
        return self._origins.get((holder, key or CapKey(target, frozenset(), -1)))

    @cached_property
    def _by_target(self) -> dict[Target, list[tuple[str, int]]]:
        out: dict[Target, list[tuple[str, int]]] = {}
        known = self.caps_known
        for holder, numbers in zip(self.components, self.held):
            for n in numbers:
                out.setdefault(known[n].target, []).append((holder, n))
        return out

    def holding(self, target: Target, right: Right) -> list[tuple[str, int]]:
        """(holder, badge) of every cap to `target` carrying `right` in the closure."""
        known, carrying = self.caps_known, self._carrying
        carries = carrying.get(right) or carrying.setdefault(right, tuple(right in key.rights for key in known))
        return [(holder, known[n].badge) for holder, n in self._by_target.get(target, ()) if carries[n]]

    def held_targets(self):
        """Every object some component holds a cap to, in component then cap order."""
        return iter(self._by_target)

    def holders(self, target: Target) -> list[tuple[str, frozenset[Right], int]]:
        """(holder, rights, badge) of every cap to `target` in the closure, one entry per cap,
        components in order."""
        known = self.caps_known
        return [(holder, known[n].rights, known[n].badge) for holder, n in self._by_target.get(target, ())]

    @cached_property
    def final(self) -> dict[str, dict[Target, frozenset[Right]]]:
        """Each component's rights per object in the closure: the union over its caps (exact for
        "can it exercise right r on t"; rule premises look at single caps, see `caps`)."""
        return {c: self._merged(numbers) for c, numbers in zip(self.components, self.held)}

    @cached_property
    def initial(self) -> dict[str, dict[Target, frozenset[Right]]]:
        out: dict[str, dict[Target, frozenset[Right]]] = {c: {} for c in self.components}
        for cap in self.initial_caps:
            held = out[cap.holder]
            held[cap.target] = held.get(cap.target, frozenset()) | cap.rights
        return {c: dict(sorted(held.items())) for c, held in out.items()}

    def _merged(self, numbers) -> dict[Target, frozenset[Right]]:
        out: dict[Target, frozenset[Right]] = {}
        for n in numbers:
            key = self.caps_known[n]
            out[key.target] = out.get(key.target, frozenset()) | key.rights
        return dict(sorted(out.items()))

    def holds(self, holder: str, target: Target, right: Right, at_start: bool = False) -> bool:
        """Does component `holder` hold some cap to `target` carrying `right`?"""
        return right in (self.initial if at_start else self.final)[holder].get(target, ())

    def edges(self):
        """(holder, target, rights) for every object a component holds caps to, rights merged."""
        for holder in self.components:
            for target, rights in self.final[holder].items():
                yield holder, target, rights

    @cached_property
    def _into(self) -> dict[str, list[Transfer]]:
        into: dict[str, list[Transfer]] = {}
        for tr in self.transfers:
            into.setdefault(tr.sink, []).append(tr)
        return into

    def stage(self, node: str, n: int) -> int:
        """When `node` first holds cap n: -1 from the start, else the first phase that produced it."""
        bit = 1 << n
        i = self._node_index[node]
        if self.initial_bits[i] & bit:
            return -1
        return next(k for k, snapshot in enumerate(self.stages) if snapshot[i] & bit)

    def earliest(self, node: str, target: Target, accept: Callable[[frozenset[Right]], bool],
                 before: int | None = None) -> int | None:
        """The cap of `node` to `target` whose rights `accept` that it holds first (before stage
        `before`, if given), or None."""
        best, when = None, None
        b = self.bits[self._node_index[node]]
        for n in self._caps_of_target.get(target, ()):
            if b >> n & 1 and accept(self.caps_known[n].rights):
                k = self.stage(node, n)
                if (before is None or k < before) and (when is None or k < when):
                    best, when = n, k
        return best

    def explain(self, holder: str, target: Target, right: Right) -> list[str]:
        """A chain of steps, in the order they can happen, by which `holder` comes to hold
        `right` on `target`, each step's own enabling cap explained before it."""
        n = self.earliest(holder, target, lambda rights: right in rights)
        return list(dict.fromkeys(_explain(self, holder, n)))


class Explainer:
    """Chains for the findings of one analysis: the first MAX_CHAINS get a full chain, the rest
    a note, so that a badly broken large system still reports in seconds."""

    MAX_CHAINS = 100

    def __init__(self, closure: AuthorityClosure):
        self.closure = closure
        self.given = 0

    def chain(self, holder: str, target: Target, right: Right) -> list[str]:
        self.given += 1
        if self.given > self.MAX_CHAINS:
            return [f"(chain not computed: only the first {self.MAX_CHAINS} findings of a property get one)"]
        return self.closure.explain(holder, target, right)


def authority_closure(system: System) -> AuthorityClosure:
    """Close the initial caps under the transfer rules.

    Each round costs O(nodes + edges) bitset unions; rounds are bounded by the length of the
    longest chain of caps that enable further transfers (small in practice).
    """
    with cycle_collection_paused():  # millions of small objects, no reference cycles
        return _close(system)


def _close(system: System) -> AuthorityClosure:
    objects = kernel_objects(system)
    covers = {Target(ObjectKind.UNTYPED, ut.name): ut.covers for ut in system.untyped.values()}
    names = tuple(system.components)
    index = {n: i for i, n in enumerate(names)}
    endpoints = [t for t in objects if t.kind is ObjectKind.ENDPOINT]
    nodes = names + tuple(f"{t} ({box})" for t in endpoints for box in ("grants", "replies"))
    grant_box = {t: len(names) + 2 * k for k, t in enumerate(endpoints)}
    caps = initial_caps(system)

    known: list[CapKey] = []
    number: dict[CapKey, int] = {}

    def intern(key: CapKey) -> int:
        n = number.get(key)
        if n is None:
            n = number[key] = len(known)
            known.append(key)
        return n

    # Caps to objects many components share get the low numbers, so each component's bitset
    # stays as short as the caps it really holds.
    for cap in sorted(caps, key=lambda c: c.target.kind in COMPONENT_KINDS):
        intern(CapKey(cap.target, cap.rights, cap.badge))
    bits = [0] * len(nodes)
    pending: list[list[int]] = [[] for _ in names]  # cap numbers a component gained, not yet processed
    for cap in caps:
        n = number[CapKey(cap.target, cap.rights, cap.badge)]
        bits[index[cap.holder]] |= 1 << n
        pending[index[cap.holder]].append(n)
    initial_bits = tuple(bits)

    succ: list[set[int]] = [set() for _ in nodes]
    transfers: dict[tuple[int, int], Transfer] = {}
    derivations: list[Derivation] = []
    processed: list[set[int]] = [set() for _ in names]
    stages: list[tuple[int, ...]] = []
    transfer_stage: dict[tuple[str, str], int] = {}

    def add_edge(a: int, b: int, step: str, via: Target) -> None:
        if a != b and b not in succ[a]:
            succ[a].add(b)
            transfers[a, b] = Transfer(nodes[a], nodes[b], step, via)
            transfer_stage[nodes[a], nodes[b]] = len(stages)  # the processing phase adding it

    def gain(h: int, key: CapKey, rule: str, via: Target) -> None:
        n = intern(key)
        if not bits[h] >> n & 1:
            bits[h] |= 1 << n
            pending[h].append(n)
            derivations.append(Derivation(names[h], n, rule, via))

    def rules_of(target: Target, rights: frozenset[Right]) -> tuple[tuple, ...]:
        """What holding a cap to `target` with `rights` does, whoever holds it and whatever its
        badge: ("out", node, step, via) adds an edge from the holder to node, ("in", ...) one from
        node to the holder, ("gain", key, rule, via) a derived cap."""
        kind = target.kind
        if kind is ObjectKind.ENDPOINT:
            grants, replies = grant_box[target], grant_box[target] + 1
            return tuple(action for holds, action in (
                (can_send_caps(rights), ("out", grants, "grant-in", target)),
                (can_receive(rights), ("in", grants, "grant-out", target)),
                (replies_with_caps(rights), ("out", replies, "reply-in", target)),
                (gets_replies_with_caps(rights), ("in", replies, "reply-out", target)),
            ) if holds)
        if not controls(rights):
            return ()
        if kind is ObjectKind.CNODE:
            owner = index[target.name]
            return (("in", owner, "copy-out", target), ("out", owner, "copy-in", target))
        if kind is ObjectKind.UNTYPED:
            return tuple(("gain", CapKey(covered, frozenset(rights_for(covered.kind)), 0), "untypedCover", target)
                         for covered in covers[target])
        return tuple(("gain", CapKey(Target(gained_kind, target.name), gained_rights, 0), rule, target)
                     for held_kind, gained_kind, gained_rights, rule in DERIVED if kind is held_kind)

    actions: dict[tuple[Target, frozenset[Right]], tuple[tuple, ...]] = {}  # many caps differ only by badge

    def apply_rules(h: int, key: CapKey) -> None:
        todo = actions.get(key[:2])
        if todo is None:
            todo = actions[key[:2]] = rules_of(key.target, key.rights)
        for what, other, rule, via in todo:
            if what == "out":
                add_edge(h, other, rule, via)
            elif what == "in":
                add_edge(other, h, rule, via)
            else:
                gain(h, other, rule, via)

    while True:
        for h in range(len(names)):
            while pending[h]:
                batch, pending[h] = pending[h], []
                fresh = sorted(set(batch) - processed[h])
                processed[h].update(fresh)
                for n in fresh:
                    apply_rules(h, known[n])
        stages.append(tuple(bits))
        if not transfers:
            break
        propagated = propagate_union(len(nodes), succ, bits)
        stages.append(tuple(propagated))
        if propagated == bits:
            break
        for h in range(len(names)):  # only what propagation brought needs scanning
            if propagated[h] != bits[h]:
                pending[h].extend(set_bits(propagated[h] & ~bits[h]))
        bits = propagated

    return AuthorityClosure(
        components=names,
        nodes=nodes,
        caps_known=tuple(known),
        objects=objects,
        initial_caps=caps,
        initial_bits=initial_bits,
        bits=tuple(bits),
        transfers=tuple(transfers[k] for k in sorted(transfers)),
        derivations=tuple(derivations),
        stages=tuple(stages),
        transfer_stage=transfer_stage,
        held=tuple(tuple(sorted(p)) for p in processed),
        sids=tuple(c.sid for c in system.components.values()),
        declared_badges=_declared_badges(system),
    )


def _declared_badges(system: System) -> dict[str, dict[int, frozenset[str]]]:
    """For each server with objects (in component order), the sids of the clients whose declared
    connections carry each badge."""
    declared: dict[str, dict[int, set[str]]] = {c.name: {} for c in system.components.values() if c.objects}
    for conn in system.connections:
        if conn.server in declared:
            declared[conn.server].setdefault(conn.badge, set()).add(system.components[conn.client].sid)
    return {server: {badge: frozenset(sids) for badge, sids in badges.items()} for server, badges in declared.items()}


def _enabler(tr: Transfer) -> tuple[str, Callable[[frozenset[Right]], bool]]:
    """The component whose one cap to `via` makes a transfer possible, and what that cap needs."""
    end, needs = ENABLER[tr.step]
    return (tr.source if end == "source" else tr.sink), needs


def _explain(closure: AuthorityClosure, holder: str, n: int) -> list[str]:
    """Explain how `holder` comes to hold cap n from facts of earlier stages only, so the chain
    is well founded.

    A cap first produced by a propagation phase k arrived along transfers that existed before
    it, from a node that had it when the phase began: search backwards over those transfers,
    through nodes that have it after phase k, for the nearest such node.
    """
    key = closure.caps_known[n]
    shown = _cap_text(key)
    stage = closure.stage(holder, n)
    if stage == -1:
        cause = closure.origin(holder, key.target, key)
        return [f"{holder} holds {shown} from the start ({cause.cause}, {cause.span})"]
    if stage % 2 == 0:  # a processing phase: derived from another cap the holder has
        d = next(d for d in closure.derivations if d.holder == holder and d.gained == n)
        via = closure.earliest(holder, d.via, controls, before=stage + 1)
        return _explain(closure, holder, via) + [
            f"{holder}, controlling {d.via}, gains {shown} ({d.rule} rule)"
        ]
    bit = 1 << n
    before, after = closure.stages[stage - 1], closure.stages[stage]
    node_index = closure._node_index
    parent: dict[str, Transfer | None] = {holder: None}
    queue = deque([holder])
    while queue:
        c = queue.popleft()
        if before[node_index[c]] & bit:
            steps = _explain(closure, c, n)
            while parent[c] is not None:
                tr = parent[c]
                who, needed = _enabler(tr)
                enabling = closure.earliest(who, tr.via, needed)
                if closure.stage(who, enabling) != -1:
                    steps += _explain(closure, who, enabling)
                steps.append(tr.describe())
                c = tr.sink
            return steps
        for tr in closure._into.get(c, ()):
            if (
                tr.source not in parent
                and closure.transfer_stage[tr.source, tr.sink] < stage
                and after[node_index[tr.source]] & bit
            ):
                parent[tr.source] = tr
                queue.append(tr.source)
    raise AssertionError(f"no origin for {shown} at {holder}")


def _cap_text(key: CapKey) -> str:
    rights = "+".join(r.value for r in Right if r in key.rights)
    badge = f" (badge {key.badge})" if key.badge else ""
    return f"{rights} on {key.target}{badge}"
