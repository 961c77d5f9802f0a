"""The authority of every thread of a capDL spec, closed under seL4's transfer rules.

A thread holds every cap in its CSpace: the CNode in its `cspace` slot and every CNode reachable
from it through CNode caps. It also uses what its TCB slots and VSpace give it: the frames mapped
in its page tables and its IPC buffer (read/write/execute as mapped), send on its fault
endpoints, wait on its bound notification, send to the caller its reply cap names, control of
its bound VCPU. What a cap confers (docs/capdl.md has the table): on an endpoint R receive,
W send, G grant, P grant-reply; on a notification R wait, W signal; on a frame R read, W write,
X execute; a reply cap send to its thread; every other cap control of its object.

Caps are tracked one by one, as (object, rights, badge), and move between CNodes by the rules of
smosverify/semantics/rules.py, by name, each firing only on one cap that carries every right its
premise names (a CNode whose send and grant on an endpoint sit in two caps grants nothing):
- grant: a CNode with one send+grant cap to an endpoint passes its caps to every CNode with a
  receive cap to it (through a mailbox node per endpoint: n senders and m receivers cost n + m
  edges);
- reply: a CNode with one receive+grant cap passes its caps to every caller with one cap carrying
  send and grant or grant-reply, through a second mailbox;
- copyOut, copyIn: a CNode holding a CNode cap takes that CNode's caps and gives it its own;
- tcbCNode, tcbVSpace: a TCB cap gives control of the thread's CSpace root and VSpace root;
- vspaceFrames: a page-table cap gives read, write and execute on the frames mapped under it;
- untypedCover: an untyped cap gives every right on each object the untyped covers.
What a thread uses through its TCB slots stays its own: no rule moves it. CNodes that reach each
other are merged into one (smosverify.analyses.flow.merging); rounds alternate between applying
the rules to new caps and pushing caps along the transfer edges until nothing changes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from smosverify.analyses.authority.closure import ENABLER, RULE_OF_STEP, STEP
from smosverify.analyses.flow.merging import MergingFlow
from smosverify.gc_pause import cycle_collection_paused
from smosverify.load.capdl.checks import CAP_OF
from smosverify.model.capdl import PAGE_TABLES, TCB_SLOTS, Cap, CapDLSpec, CapType, ObjectType
from smosverify.model.kernel import ObjectKind, Right
from smosverify.semantics.rules import (
    CONTROL,
    DERIVED,
    can_receive,
    can_send_caps,
    controls,
    gets_replies_with_caps,
    replies_with_caps,
)

_LETTERS = {
    CapType.ENDPOINT: {"R": Right.RECEIVE, "W": Right.SEND, "G": Right.GRANT, "P": Right.GRANT_REPLY},
    CapType.NOTIFICATION: {"R": Right.WAIT, "W": Right.SIGNAL},
    CapType.FRAME: {"R": Right.READ, "W": Right.WRITE, "G": Right.EXECUTE},
}
_SENDING = (CapType.REPLY, CapType.MASTER_REPLY)
# TCB slots that give the thread no authority of their own: its CSpace and VSpace roots (what
# they hold is counted instead) and its scheduling context.
_NOT_USED_SLOTS = (TCB_SLOTS["cspace"], TCB_SLOTS["vspace"], TCB_SLOTS["sc_slot"])
# The rule table's kinds of the capDL objects its derived rules speak of.
_KIND = {ObjectType.TCB: ObjectKind.TCB, **{t: ObjectKind.VSPACE for t in PAGE_TABLES}}
# Which end of a transfer holds the one cap to `via` that enables it, and what that cap needs.


def cap_rights(cap: Cap) -> frozenset[Right]:
    """The authority a cap confers on its object."""
    letters = _LETTERS.get(cap.type)
    if letters is not None:
        return frozenset(letters[r] for r in cap.rights if r in letters)
    return frozenset({Right.SEND if cap.type in _SENDING else Right.CONTROL})


def all_rights(kind: ObjectType) -> frozenset[Right]:
    """Every right a cap to an object of this type can carry (what `untypedCover` gives)."""
    letters = _LETTERS.get(CAP_OF.get(kind))
    return frozenset(letters.values()) if letters else CONTROL


class SpecCap(NamedTuple):
    """A cap without its holder: the object it names, the rights it confers, its badge (0: none)."""

    target: str
    rights: frozenset[Right]
    badge: int

    def describe(self) -> str:
        return f"{rights_text(self.rights)} on {self.target}" + (f" (badge {self.badge})" if self.badge else "")


def rights_text(rights: frozenset[Right]) -> str:
    return "+".join(r.value for r in Right if r in rights)


def control_gains(spec: CapDLSpec, name: str) -> list[tuple[str, SpecCap]]:
    """(rule, cap) for every cap one gains by holding control of object `name`: the table's
    tcbCNode, tcbVSpace and vspaceFrames, and untypedCover."""
    obj = spec.objects.get(name)
    if obj is None:
        return []
    if obj.type is ObjectType.UT:
        return [("untypedCover", SpecCap(t, all_rights(spec.objects[t].type), 0)) for t in spec.covers.get(name, ())]
    out = []
    for held, gained, rights, rule in DERIVED:
        if _KIND.get(obj.type) is held:
            out += [(rule, SpecCap(target, rights, 0)) for target in _part(spec, name, gained)]
    return out


def _part(spec: CapDLSpec, name: str, kind: ObjectKind) -> list[str]:
    """A thread's CSpace or VSpace root, or the frames mapped under a page table."""
    if kind is ObjectKind.FRAMES:
        return list(dict.fromkeys(cap.target for _, _, cap in mapped_frames(spec, name)))
    cap = spec.objects[name].slots.get(TCB_SLOTS["cspace" if kind is ObjectKind.CNODE else "vspace"])
    return [cap.target] if cap is not None else []


@dataclass(frozen=True)
class Holding:
    """Where a thread's initial authority over an object comes from: a slot, its cap, and the
    rights it gives the thread there."""

    container: str
    slot: int | str  # a number, or a TCB slot name, or "mapped" for a frame in the thread's VSpace
    cap: Cap
    rights: frozenset[Right]

    def describe(self) -> str:
        rights = f" ({self.cap.rights_text()})" if self.cap.rights else ""
        badge = f" badge {self.cap.badge}" if self.cap.badge else ""
        where = f"slot {self.slot:#x}" if isinstance(self.slot, int) else self.slot
        return f"{self.container} {where}: {self.cap.type.value} to {self.cap.target}{rights}{badge}"


def slot_use(cap: Cap) -> SpecCap:
    """What a cap in a TCB slot lets the thread itself do: send its faults on a fault endpoint,
    wait on its bound notification; the IPC buffer, reply caps and bound VCPU as any cap."""
    if cap.type is CapType.ENDPOINT:
        return SpecCap(cap.target, frozenset({Right.SEND}), cap.badge)
    if cap.type is CapType.NOTIFICATION:
        return SpecCap(cap.target, frozenset({Right.WAIT}), cap.badge)
    return SpecCap(cap.target, cap_rights(cap), cap.badge)


@dataclass(frozen=True)
class SpecTransfer:
    """An edge caps travel along between CNodes (or endpoint mailboxes), by `step` of a rule."""

    source: str
    sink: str
    step: str  # grant-in, grant-out, reply-in, reply-out, copy-out, copy-in
    via: str  # the object whose cap enables it

    @property
    def rule(self) -> str:
        return RULE_OF_STEP[self.step]

    @property
    def enabler(self) -> tuple[str, Callable[[frozenset[Right]], bool]]:
        """The node whose one cap to `via` enables this transfer, and what that cap needs."""
        end, needs = ENABLER[self.step]
        return (self.source if end == "source" else self.sink), needs

    def describe(self) -> str:
        return STEP[self.step].format(a=self.source, b=self.sink, via=self.via)


@dataclass(frozen=True)
class SpecAuthority:
    """Every thread's authority, before (`initial`) and after (`final`) the transfer rules.

    `initial`/`final` map a thread (TCB name) to {object: rights}, the union over its caps (exact
    for "can it exercise this right"); `caps` gives the caps one by one. Objects are capDL names,
    or the reserved names of caps to no object (irq_control, asid_control, ...).
    """

    spec: CapDLSpec
    threads: tuple[str, ...]
    roots: dict[str, str | None]  # thread -> CSpace root CNode
    cspaces: dict[str, tuple[str, ...]]  # thread -> the CNodes its CSpace reaches at the start
    initial: dict[str, dict[str, frozenset[Right]]]
    final: Mapping[str, dict[str, frozenset[Right]]]  # decoded per thread when first read
    transfers: tuple[SpecTransfer, ...]
    gains: dict[str, tuple[tuple[str, str], ...]]  # node -> (rule, object controlled) it gained caps by
    nodes: tuple[str, ...]  # CNodes, then endpoint mailboxes
    node_caps: tuple[set[int], ...] = field(repr=False)  # closed caps per node, by number
    cap_table: tuple[SpecCap, ...] = field(repr=False)  # cap number -> cap
    uses: dict[str, frozenset[int]] = field(repr=False)  # thread -> caps its TCB slots and VSpace give it
    initial_numbers: dict[str, frozenset[int]] = field(repr=False)  # thread -> its caps at the start

    @cached_property
    def _node_number(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.nodes)}

    def node_has(self, node: str, accept: Callable[[SpecCap], bool]) -> bool:
        """Does a CNode (or mailbox) hold, once the rules are closed, a cap `accept` takes?"""
        table = self.cap_table
        return any(accept(table[n]) for n in self.node_caps[self._node_number[node]])

    def caps(self, thread: str) -> frozenset[SpecCap]:
        """The thread's caps once the rules are closed, one by one (what it uses included)."""
        root = self.roots[thread]
        held = self.node_caps[self._node_number[root]] if root is not None else ()
        return frozenset(self.cap_table[n] for n in (*held, *self.uses[thread]))

    def initial_caps(self, thread: str) -> frozenset[SpecCap]:
        """The thread's caps at the start: those in every CNode its CSpace reaches, and its uses."""
        return frozenset(self.cap_table[n] for n in self.initial_numbers[thread])

    def edges(self):
        """(thread, object, rights) for every closed authority edge, threads in spec order."""
        for thread in self.threads:
            for obj, rights in self.final[thread].items():
                yield thread, obj, rights

    def holdings(self, thread: str, obj: str) -> list[Holding]:
        """The slots that give `thread` authority over `obj` at the start."""
        out = []
        for cnode in self.cspaces[thread]:
            out += [Holding(cnode, slot, cap, cap_rights(cap)) for slot, cap in self.spec.objects[cnode].slots.items()
                    if cap.target == obj]
        tcb = self.spec.objects[thread]
        out += [Holding(thread, _slot_name(slot), cap, slot_use(cap).rights) for slot, cap in tcb.slots.items()
                if cap.target == obj and slot not in _NOT_USED_SLOTS]
        out += [Holding(table, slot, cap, cap_rights(cap))
                for table, slot, cap in mapped_frames(self.spec, vspace_of(self.spec, thread)) if cap.target == obj]
        return out

    def explain(self, thread: str, obj: str, right: Right) -> list[str]:
        """How `thread` comes to hold `right` on `obj`: where it starts and each step after."""
        if right in self.initial[thread].get(obj, ()):
            return [f"{thread} holds {right.value} on {obj} from the start: "
                    + "; ".join(h.describe() for h in self.holdings(thread, obj))]
        from smosverify.analyses.capdl.explain import Has, Want, explain_obtained

        return explain_obtained(self, thread, Want(obj, Has(right)), f"{right.value} on {obj}")

    def explain_cap(self, thread: str, cap: SpecCap) -> list[str]:
        """How `thread` comes to hold this very cap (rights and badge) when it does not at the start."""
        from smosverify.analyses.capdl.explain import Exactly, Want, explain_obtained

        return explain_obtained(self, thread, Want(cap.target, Exactly(cap.rights), cap.badge), cap.describe())


class _PerThread(Mapping):
    """thread -> its closed authority, decoded on first use: a dense closure (every thread
    reaching most endpoints) has millions of edges that a query about one thread never needs."""

    def __init__(self, threads: tuple[str, ...], compute):
        self._threads = dict.fromkeys(threads)
        self._compute = compute
        self._done: dict[str, dict] = {}

    def __getitem__(self, thread: str) -> dict[str, frozenset[Right]]:
        if thread not in self._done:
            if thread not in self._threads:
                raise KeyError(thread)
            self._done[thread] = self._compute(thread)
        return self._done[thread]

    def __iter__(self):
        return iter(self._threads)

    def __len__(self) -> int:
        return len(self._threads)


def spec_authority(spec: CapDLSpec) -> SpecAuthority:
    """Close the spec's authority. O(rounds x (caps + transfer edges)) set unions."""
    with cycle_collection_paused():
        return _Closure(spec).run()


def _slot_name(slot: int) -> str:
    return next((name for name, number in TCB_SLOTS.items() if number == slot), str(slot))


def vspace_of(spec: CapDLSpec, thread: str) -> str | None:
    cap = spec.objects[thread].slots.get(1)
    return cap.target if cap is not None else None


def mapped_frames(spec: CapDLSpec, table: str | None):
    """(page table, slot, frame cap) for every frame mapped under a page table, each table once."""
    if table is None or table not in spec.objects:
        return
    seen, todo = {table}, [table]
    while todo:
        current = spec.objects[todo.pop()]
        for slot, cap in current.slots.items():
            if cap.type is CapType.FRAME:
                yield current.name, slot, cap
            elif cap.target in spec.objects and spec.objects[cap.target].type in PAGE_TABLES and cap.target not in seen:
                seen.add(cap.target)
                todo.append(cap.target)


class _Closure:
    def __init__(self, spec: CapDLSpec):
        self.spec = spec
        self.cnodes = [o.name for o in spec.objects.values() if o.type is ObjectType.CNODE]
        self.node = {name: k for k, name in enumerate(self.cnodes)}
        self.threads = tuple(o.name for o in spec.objects.values() if o.type is ObjectType.TCB)
        self.table: list[SpecCap] = []  # cap number -> cap
        self.number: dict[SpecCap, int] = {}
        self.of_cap: dict[tuple, int] = {}  # (target, type, rights as written, badge) -> cap number

    def intern(self, cap: SpecCap) -> int:
        n = self.number.get(cap)
        if n is None:
            n = self.number[cap] = len(self.table)
            self.table.append(cap)
        return n

    def cap_number(self, cap: Cap) -> int:
        key = (cap.target, cap.type, cap.rights, cap.badge)
        n = self.of_cap.get(key)
        if n is None:
            n = self.of_cap[key] = self.intern(SpecCap(cap.target, cap_rights(cap), cap.badge))
        return n

    def uses(self, thread: str) -> set[int]:
        """What a thread uses through its TCB slots and VSpace (no rule moves it)."""
        out = {self.intern(slot_use(cap)) for slot, cap in self.spec.objects[thread].slots.items()
               if slot not in _NOT_USED_SLOTS}
        for _, _, cap in mapped_frames(self.spec, vspace_of(self.spec, thread)):
            out.add(self.cap_number(cap))
        return out

    def run(self) -> SpecAuthority:
        spec, node, table = self.spec, self.node, self.table
        flow = MergingFlow()
        for name in self.cnodes:  # CNodes are nodes 0..n-1; endpoint mailboxes come after
            flow.add({self.cap_number(cap) for cap in spec.objects[name].slots.values()})
        n = len(self.cnodes)
        initial_sets = [frozenset(s) for s in flow.sets]
        roots: dict[str, str | None] = {}
        uses: dict[str, frozenset[int]] = {}
        for t in self.threads:
            slots = spec.objects[t].slots
            roots[t] = slots[0].target if 0 in slots and slots[0].target in node else None
            uses[t] = frozenset(self.uses(t))
        gained: dict[str, tuple[tuple[str, frozenset[int]], ...]] = {}  # object -> (rule, caps) its control gives

        def control_gain(name: str) -> tuple[tuple[str, frozenset[int]], ...]:
            if name not in gained:
                by_rule: dict[str, set[int]] = {}
                for rule, cap in control_gains(spec, name):
                    by_rule.setdefault(rule, set()).add(self.intern(cap))
                gained[name] = tuple((rule, frozenset(caps)) for rule, caps in by_rule.items())
            return gained[name]

        labels = list(self.cnodes)
        transfers: dict[tuple[int, int], tuple[str, str]] = {}
        gains: dict[str, list[tuple[str, str]]] = {}
        mailbox: dict[str, int] = {}  # endpoint -> its grant mailbox node; the reply mailbox is next

        def edge(a: int, b: int, step: str, via: str) -> None:
            added = flow.edge(a, b)
            if added is not None:
                transfers.setdefault(added, (step, via))

        def endpoint(v: int, e: str, rights: frozenset[Right]) -> None:
            """The grant and reply rules for one cap of leader v to endpoint e: senders put caps
            into the endpoint's grant mailbox, every receiver takes them out; receivers with grant
            put caps into the reply mailbox, every caller with grant or grant-reply takes them out."""
            grants = mailbox.get(e)
            if grants is None:
                grants = mailbox[e] = flow.add(set())
                flow.add(set())
                labels.extend((f"{e} (grants)", f"{e} (replies)"))
            if can_send_caps(rights):
                edge(v, grants, "grant-in", e)
            if can_receive(rights):
                edge(grants, v, "grant-out", e)
            if replies_with_caps(rights):
                edge(v, grants + 1, "reply-in", e)
            if gets_replies_with_caps(rights):
                edge(grants + 1, v, "reply-out", e)

        def apply(v: int, cap: SpecCap) -> None:
            """The rules for a new cap of leader v."""
            obj = spec.objects.get(cap.target)
            if obj is None:
                return
            if obj.type is ObjectType.EP:
                endpoint(v, cap.target, cap.rights)
            elif not controls(cap.rights):
                return
            elif obj.type is ObjectType.CNODE:
                edge(node[cap.target], v, "copy-out", cap.target)
                edge(v, node[cap.target], "copy-in", cap.target)
            else:
                for rule, caps in control_gain(cap.target):
                    flow.sets[v] |= caps
                    gains.setdefault(labels[v], []).append((rule, cap.target))

        while True:
            for v in flow.leaders():
                if v < n:  # a component led by a CNode; mailboxes alone only pass caps on
                    while flow.parent[v] == v and (fresh := flow.fresh(v)):
                        for c in fresh:
                            apply(v, table[c])
                            if flow.parent[v] != v:
                                break  # merged into a component whose leader takes over
            merged = flow.take_merged()
            if not transfers or not flow.propagate() and not merged:
                break

        decoded: dict[int, dict[str, frozenset[Right]]] = {}

        order = {name: i for i, name in enumerate(spec.objects)}

        def decode(numbers) -> dict[str, frozenset[Right]]:
            """Rights per object, objects in the spec's order (reserved names after, by name)."""
            out: dict[str, frozenset[Right]] = {}
            for c in numbers:
                cap = table[c]
                out[cap.target] = out.get(cap.target, frozenset()) | cap.rights
            return dict(sorted(out.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))

        def final_of(t: str) -> dict[str, frozenset[Right]]:
            """The thread's CSpace component (decoded once per component) and what it uses itself."""
            own = decode(uses[t])
            if roots[t] is None:
                return own
            leader = flow.find(node[roots[t]])
            if leader not in decoded:
                decoded[leader] = decode(flow.sets[leader])
            merged = dict(decoded[leader])  # objects its CSpace reaches, then those only it uses
            for obj, rights in own.items():
                merged[obj] = rights | merged.get(obj, frozenset())
            return merged

        cspaces = {t: _reach(spec, roots[t]) for t in self.threads}
        initial, initial_numbers = {}, {}
        for t in self.threads:
            start = set(uses[t])
            for c in cspaces[t]:
                start |= initial_sets[node[c]]
            initial[t], initial_numbers[t] = decode(start), frozenset(start)
        return SpecAuthority(spec, self.threads, roots, cspaces, initial, _PerThread(self.threads, final_of),
                             tuple(SpecTransfer(labels[a], labels[b], step, via)
                                   for (a, b), (step, via) in sorted(transfers.items())),
                             {c: tuple(dict.fromkeys(g)) for c, g in gains.items()},
                             tuple(labels), tuple(flow.facts(v) for v in range(len(labels))), tuple(table), uses,
                             initial_numbers)


def _reach(spec: CapDLSpec, root: str | None) -> tuple[str, ...]:
    """The CNodes a CSpace reaches from its root through CNode caps, root first."""
    if root is None:
        return ()
    seen, queue = {root: None}, deque([root])
    while queue:
        for cap in spec.objects[queue.popleft()].slots.values():
            if cap.type is CapType.CNODE and cap.target not in seen:
                seen[cap.target] = None
                queue.append(cap.target)
    return tuple(seen)
