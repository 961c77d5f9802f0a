"""The authority closure: every cap any component can come to hold under seL4's transfer rules.

Rules (docs/authority-rules.md has an example of each):
- grant: S holding send+grant on endpoint E passes any cap it holds to every R with receive on E;
- reply: R with receive+grant on E passes any cap it holds back to every caller C holding send and
  grant or grant_reply on E (the kernel gives the reply cap R's grant right);
- cnode: H holding control of X's CNode takes every cap X holds and can copy its own into it;
- tcb: H holding control of X's TCB controls X's CNode and VSpace;
- vspace: H holding control of X's VSpace can map X's frames (read, write, execute).

Caps are bitsets over (target, right) pairs. Caps flow along transfer edges; each endpoint has two
mailbox nodes (one for grants, one for replies) so that n senders and m receivers cost n + m edges,
not n * m. Edges appear as caps arrive, so the closure alternates between adding edges and
propagating over the SCC condensation until nothing changes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property

from smosverify.gc_pause import cycle_collection_paused
from smosverify.graph import propagate_union, set_bits
from smosverify.model.authority import Cap, KernelObject, initial_caps, kernel_objects
from smosverify.model.kernel import COMPONENT_KINDS, ObjectKind, Right
from smosverify.model.system import System, Target

RIGHTS = tuple(Right)
NR = len(RIGHTS)
RIGHT_INDEX = {r: i for i, r in enumerate(RIGHTS)}
STEP = {
    "grant-in": "{a} sends caps into {via} (it holds send+grant on it)",
    "grant-out": "{b} receives caps sent into {via} (it holds receive on it)",
    "reply-in": "{a} replies with caps on {via} (it holds receive+grant on it)",
    "reply-out": "{b} gets caps in replies on {via} (it calls with send and grant or grant_reply)",
    "cnode": "caps move between {a} and {b} through {via} (CNode control)",
}


@dataclass(frozen=True)
class Transfer:
    """An edge caps travel along: from node `source` to node `sink`, by `rule`, over `via`."""

    source: str
    sink: str
    rule: str
    via: Target

    def describe(self) -> str:
        return STEP[self.rule].format(a=self.source, b=self.sink, via=self.via)


@dataclass(frozen=True)
class Derivation:
    """A cap a holder gains from another cap it holds (tcb → cnode/vspace, vspace → frames)."""

    holder: str
    gained: Target
    rule: str
    via: Target


@dataclass(frozen=True)
class AuthorityClosure:
    """The closed authority of a system: the certificate for P2 and P3.

    Nodes are the components (first) and the endpoint mailboxes; `bits[i]` is node i's final set
    of (target, right) pairs, `initial_bits[i]` what it started with.
    """

    components: tuple[str, ...]
    nodes: tuple[str, ...]
    targets: tuple[Target, ...]
    objects: dict[Target, KernelObject]
    initial_caps: tuple[Cap, ...]
    initial_bits: tuple[int, ...]
    bits: tuple[int, ...]
    transfers: tuple[Transfer, ...]
    derivations: tuple[Derivation, ...]
    stages: tuple[tuple[int, ...], ...]  # node bits after each phase: processing 0, propagation 0, ...
    transfer_stage: dict[tuple[str, str], int]  # the stage after which each transfer exists
    held: tuple[dict[int, int], ...]  # per component: target index → mask of rights (the final caps)

    @cached_property
    def _target_index(self) -> dict[Target, int]:
        return {t: i for i, t in enumerate(self.targets)}

    @cached_property
    def _node_index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.nodes)}

    def _decode(self, b: int) -> dict[Target, frozenset[Right]]:
        out: dict[Target, set[Right]] = {}
        for i in set_bits(b):
            out.setdefault(self.targets[i // NR], set()).add(RIGHTS[i % NR])
        return {t: frozenset(r) for t, r in out.items()}

    @cached_property
    def final(self) -> dict[str, dict[Target, frozenset[Right]]]:
        """Each component's caps in the closure: {target: rights}."""
        rights_of: dict[int, frozenset[Right]] = {}
        for mask in {m for held in self.held for m in held.values()}:
            rights_of[mask] = frozenset(r for i, r in enumerate(RIGHTS) if mask >> i & 1)
        targets = self.targets
        return {
            c: {targets[t]: rights_of[m] for t, m in sorted(self.held[i].items())}
            for i, c in enumerate(self.components)
        }

    @cached_property
    def initial(self) -> dict[str, dict[Target, frozenset[Right]]]:
        return {c: self._decode(self.initial_bits[i]) for i, c in enumerate(self.components)}

    def holds(self, node: str, target: Target, right: Right, at_start: bool = False) -> bool:
        bits = self.initial_bits if at_start else self.bits
        return bool(bits[self._node_index[node]] >> (self._target_index[target] * NR + RIGHT_INDEX[right]) & 1)

    def edges(self):
        """(holder, target, rights) for every cap in the closure, in a stable order."""
        for holder in self.components:
            for target, rights in self.final[holder].items():
                yield holder, target, rights

    @cached_property
    def _into(self) -> dict[str, list[Transfer]]:
        into: dict[str, list[Transfer]] = {}
        for tr in self.transfers:
            into.setdefault(tr.sink, []).append(tr)
        return into

    def stage(self, node: str, target: Target, right: Right) -> int:
        """When the fact first holds: -1 from the start, else the first phase that produced it."""
        bit = 1 << (self._target_index[target] * NR + RIGHT_INDEX[right])
        i = self._node_index[node]
        if self.initial_bits[i] & bit:
            return -1
        return next(k for k, snapshot in enumerate(self.stages) if snapshot[i] & bit)

    def explain(self, holder: str, target: Target, right: Right) -> list[str]:
        """A chain of steps, in the order they can happen, by which `holder` comes to hold
        `right` on `target`, each step's own enabling caps explained before it."""
        return list(dict.fromkeys(_explain(self, holder, target, right)))


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
    # Objects many components hold caps to (endpoints, regions, notifications) get the low bit
    # numbers, so each component's bitset stays as short as the caps it really holds.
    targets = tuple(sorted(objects, key=lambda t: t.kind in COMPONENT_KINDS))
    target_index = {t: i for i, t in enumerate(targets)}
    names = tuple(system.components)
    index = {n: i for i, n in enumerate(names)}
    endpoints = [t for t in targets if t.kind is ObjectKind.ENDPOINT]
    nodes = names + tuple(f"{t} ({box})" for t in endpoints for box in ("grants", "replies"))
    grant_box = {target_index[t]: len(names) + 2 * k for k, t in enumerate(endpoints)}
    caps = initial_caps(system)

    bits = [0] * len(nodes)
    patterns: dict[frozenset[Right], int] = {}
    for cap in caps:
        pattern = patterns.get(cap.rights)
        if pattern is None:
            pattern = patterns[cap.rights] = sum(1 << RIGHT_INDEX[r] for r in cap.rights)
        bits[index[cap.holder]] |= pattern << (target_index[cap.target] * NR)
    initial_bits = tuple(bits)

    succ: list[set[int]] = [set() for _ in nodes]
    transfers: dict[tuple[int, int], Transfer] = {}
    derivations: list[Derivation] = []

    held: list[dict[int, int]] = [{} for _ in names]  # target index → rights mask, as processed
    pending: list[list[int]] = [[] for _ in names]  # bit indices a component gained, not yet processed
    for cap in caps:
        base = target_index[cap.target] * NR
        pending[index[cap.holder]].extend(base + RIGHT_INDEX[r] for r in cap.rights)

    def has(h: int, t: int, r: Right) -> bool:
        return bool(held[h].get(t, 0) >> RIGHT_INDEX[r] & 1)

    stages: list[tuple[int, ...]] = []
    transfer_stage: dict[tuple[str, str], int] = {}

    def add_edge(a: int, b: int, rule: str, via: Target) -> None:
        if a != b and b not in succ[a]:
            succ[a].add(b)
            transfers[a, b] = Transfer(nodes[a], nodes[b], rule, via)
            transfer_stage[nodes[a], nodes[b]] = len(stages)  # the processing phase adding it

    def gain(h: int, gained: Target, rights: tuple[Right, ...], rule: str, via: Target) -> None:
        base = target_index[gained] * NR
        before = bits[h]
        for r in rights:
            bits[h] |= 1 << (base + RIGHT_INDEX[r])
            pending[h].append(base + RIGHT_INDEX[r])
        if bits[h] != before:
            derivations.append(Derivation(names[h], gained, rule, via))

    def apply_rules(h: int, t: int) -> None:
        target = targets[t]
        kind = target.kind
        if kind is ObjectKind.ENDPOINT:
            grants, replies = grant_box[t], grant_box[t] + 1
            send, grant = has(h, t, Right.SEND), has(h, t, Right.GRANT)
            receive = has(h, t, Right.RECEIVE)
            if send and grant:
                add_edge(h, grants, "grant-in", target)
            if receive:
                add_edge(grants, h, "grant-out", target)
            if receive and grant:
                add_edge(h, replies, "reply-in", target)
            if send and (grant or has(h, t, Right.GRANT_REPLY)):
                add_edge(replies, h, "reply-out", target)
        elif not has(h, t, Right.CONTROL):
            return
        elif kind is ObjectKind.CNODE:
            add_edge(index[target.name], h, "cnode", target)
            add_edge(h, index[target.name], "cnode", target)
        elif kind is ObjectKind.TCB:
            gain(h, Target(ObjectKind.CNODE, target.name), (Right.CONTROL,), "tcb", target)
            gain(h, Target(ObjectKind.VSPACE, target.name), (Right.CONTROL,), "tcb", target)
        elif kind is ObjectKind.VSPACE:
            frames = Target(ObjectKind.FRAMES, target.name)
            gain(h, frames, (Right.READ, Right.WRITE, Right.EXECUTE), "vspace", target)

    while True:
        for h in range(len(names)):
            while pending[h]:
                batch, pending[h] = pending[h], []
                touched = set()
                for b in batch:
                    t, r = divmod(b, NR)
                    mask = held[h].get(t, 0)
                    if not mask >> r & 1:
                        held[h][t] = mask | 1 << r
                        touched.add(t)
                for t in sorted(touched):
                    apply_rules(h, t)
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
        targets=targets,
        objects=objects,
        initial_caps=caps,
        initial_bits=initial_bits,
        bits=tuple(bits),
        transfers=tuple(transfers[k] for k in sorted(transfers)),
        derivations=tuple(derivations),
        stages=tuple(stages),
        transfer_stage=transfer_stage,
        held=tuple(held),
    )


def _enabler(tr: Transfer) -> tuple[str, Right]:
    """The component whose cap makes a transfer possible, and the right that matters."""
    if tr.rule in ("grant-in", "reply-in"):
        return tr.source, Right.GRANT
    if tr.rule == "grant-out":
        return tr.sink, Right.RECEIVE
    if tr.rule == "reply-out":
        return tr.sink, Right.SEND
    return (tr.sink if tr.via.name == tr.source else tr.source), Right.CONTROL


def _explain(closure: AuthorityClosure, holder: str, target: Target, right: Right) -> list[str]:
    """Explain a fact from facts of earlier stages only, so the chain is well founded.

    A fact first produced by a propagation phase k arrived along transfers that existed before
    it, from a node that had it when the phase began: search backwards over those transfers,
    through nodes that have it after phase k, for the nearest such node.
    """
    stage = closure.stage(holder, target, right)
    if stage == -1:
        cause = next(
            cap for cap in closure.initial_caps if cap.holder == holder and cap.target == target and right in cap.rights
        )
        return [f"{holder} holds {right.value} on {target} from the start ({cause.cause}, {cause.span})"]
    if stage % 2 == 0:  # a processing phase: derived from another cap the holder has
        d = next(d for d in closure.derivations if d.holder == holder and d.gained == target)
        return _explain(closure, holder, d.via, Right.CONTROL) + [
            f"{holder}, controlling {d.via}, gains {right.value} on {target} ({d.rule} rule)"
        ]
    bit = 1 << (closure._target_index[target] * NR + RIGHT_INDEX[right])
    before, after = closure.stages[stage - 1], closure.stages[stage]
    node_index = closure._node_index
    parent: dict[str, Transfer | None] = {holder: None}
    queue = deque([holder])
    while queue:
        c = queue.popleft()
        if before[node_index[c]] & bit:
            steps = _explain(closure, c, target, right)
            while parent[c] is not None:
                tr = parent[c]
                who, needed = _enabler(tr)
                if not closure.holds(who, tr.via, needed, at_start=True):
                    steps += _explain(closure, who, tr.via, needed)
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
    raise AssertionError(f"no origin for {right.value} on {target} at {holder}")
