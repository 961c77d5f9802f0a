"""The authority of every thread of a capDL spec, closed under seL4's transfer rules.

A thread holds every cap in its CSpace: the CNode in its `cspace` slot and every CNode reachable
from it through CNode caps. It also uses what its TCB slots and VSpace give it: the frames mapped
in its page tables and its IPC buffer (read/write/execute as mapped), send on its fault
endpoints, wait on its bound notification, send to the caller its reply cap names, control of
its bound VCPU. What a cap confers (docs/capdl.md has the table): on an endpoint R receive,
W send, G grant, P grant-reply; on a notification R wait, W signal; on a frame R read, W write,
X execute; a reply cap send to its thread; every other cap control of its object.

Caps move between CNodes by the rules of the verified model (smosverify/analyses/authority.py),
read at the level of CNodes:
- grant: a CNode holding send+grant on an endpoint passes its caps to every CNode holding receive
  (through a mailbox node per endpoint, so n senders and m receivers cost n + m edges);
- reply: a CNode holding receive+grant passes its caps to every caller holding send and grant or
  grant-reply (the reply cap carries the receiver's grant right), through a second mailbox;
- cnode: a CNode holding a cap to another CNode shares all caps with it, both ways;
- tcb: a cap to a TCB gives control of the thread's CSpace root and VSpace root, and everything
  the thread uses;
- vspace: a cap to a page table gives the frames mapped under it, with their mapping rights.
Caps are sets of (object, right) numbers per CNode; rounds alternate between applying the rules
to new caps and pushing caps along the transfer edges, CNodes that reach each other merged into
one (smosverify.analyses.merging_flow), until nothing changes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from smosverify.analyses.merging_flow import MergingFlow
from smosverify.gc_pause import cycle_collection_paused
from smosverify.model.capdl import PAGE_TABLES, TCB_SLOTS, Cap, CapDLSpec, CapType, ObjectType
from smosverify.model.kernel import Right

RIGHTS = tuple(Right)
NR = len(RIGHTS)
_I = {r: i for i, r in enumerate(RIGHTS)}
_LETTERS = {
    CapType.ENDPOINT: {"R": Right.RECEIVE, "W": Right.SEND, "G": Right.GRANT, "P": Right.GRANT_REPLY},
    CapType.NOTIFICATION: {"R": Right.WAIT, "W": Right.SIGNAL},
    CapType.FRAME: {"R": Right.READ, "W": Right.WRITE, "G": Right.EXECUTE},
}
_SENDING = (CapType.REPLY, CapType.MASTER_REPLY)
# TCB slots that give the thread no authority of their own: its CSpace and VSpace roots (what
# they hold is counted instead) and its scheduling context.
_NOT_USED_SLOTS = (TCB_SLOTS["cspace"], TCB_SLOTS["vspace"], TCB_SLOTS["sc_slot"])


def cap_rights(cap: Cap) -> frozenset[Right]:
    """The authority a cap confers on its object."""
    letters = _LETTERS.get(cap.type)
    if letters is not None:
        return frozenset(letters[r] for r in cap.rights if r in letters)
    return frozenset({Right.SEND if cap.type in _SENDING else Right.CONTROL})


@dataclass(frozen=True)
class Holding:
    """Where a thread's initial authority over an object comes from: a slot and its cap."""

    container: str
    slot: int | str  # a number, or a TCB slot name, or "mapped" for a frame in the thread's VSpace
    cap: Cap

    def describe(self) -> str:
        rights = f" ({self.cap.rights_text()})" if self.cap.rights else ""
        badge = f" badge {self.cap.badge}" if self.cap.badge else ""
        where = f"slot {self.slot:#x}" if isinstance(self.slot, int) else self.slot
        return f"{self.container} {where}: {self.cap.type.value} to {self.cap.target}{rights}{badge}"


@dataclass(frozen=True)
class SpecTransfer:
    source: str  # CNode (or endpoint mailbox) whose caps move
    sink: str
    rule: str  # grant-in, grant-out, reply-in, reply-out, cnode
    via: str  # the object whose cap enables it


@dataclass(frozen=True)
class SpecAuthority:
    """Every thread's authority, before (`initial`) and after (`final`) the transfer rules.

    `initial`/`final` map a thread (TCB name) to {object: rights}; objects are capDL names,
    or the reserved names of caps to no object (irq_control, asid_control, ...).
    """

    spec: CapDLSpec
    threads: tuple[str, ...]
    roots: dict[str, str | None]  # thread -> CSpace root CNode
    cspaces: dict[str, tuple[str, ...]]  # thread -> the CNodes its CSpace reaches at the start
    initial: dict[str, dict[str, frozenset[Right]]]
    final: Mapping[str, dict[str, frozenset[Right]]]  # decoded per thread when first read
    transfers: tuple[SpecTransfer, ...]
    gains: dict[str, tuple[tuple[str, str], ...]]  # CNode -> (rule, object) it derived authority from
    nodes: tuple[str, ...]  # CNodes, then endpoint mailboxes
    node_bits: tuple[set[int], ...] = field(repr=False)  # closed caps per node, (object number, right) packed
    object_names: tuple[str, ...] = field(repr=False)  # object number -> name

    @cached_property
    def _numbers(self) -> tuple[dict[str, int], dict[str, int]]:
        return {n: i for i, n in enumerate(self.nodes)}, {n: i for i, n in enumerate(self.object_names)}

    def node_has(self, node: str, obj: str, right: Right) -> bool:
        """Does a CNode (or mailbox) hold `right` on `obj` once the rules are closed?"""
        nodes, objects = self._numbers
        return obj in objects and objects[obj] * NR + _I[right] in self.node_bits[nodes[node]]

    def edges(self):
        """(thread, object, rights) for every closed authority edge, threads in spec order."""
        for thread in self.threads:
            for obj, rights in self.final[thread].items():
                yield thread, obj, rights

    def holdings(self, thread: str, obj: str) -> list[Holding]:
        """The slots that give `thread` authority over `obj` at the start."""
        out = []
        for cnode in self.cspaces[thread]:
            out += [Holding(cnode, slot, cap) for slot, cap in self.spec.objects[cnode].slots.items() if cap.target == obj]
        tcb = self.spec.objects[thread]
        out += [Holding(thread, _slot_name(slot), cap) for slot, cap in tcb.slots.items()
                if cap.target == obj and slot not in (0, 1)]
        out += [Holding(table, slot, cap) for table, slot, cap in mapped_frames(self.spec, vspace_of(self.spec, thread))
                if cap.target == obj]
        return out

    def explain(self, thread: str, obj: str, right: Right) -> list[str]:
        """How `thread` comes to hold `right` on `obj`: where it starts and each step after."""
        if right in self.initial[thread].get(obj, ()):
            return [f"{thread} holds {right.value} on {obj} from the start: "
                    + "; ".join(h.describe() for h in self.holdings(thread, obj))]
        from smosverify.analyses.capdl_explain import explain_obtained

        return explain_obtained(self, thread, obj, right)


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
        self.names: list[str] = list(spec.objects)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.types: list[ObjectType | None] = [o.type for o in spec.objects.values()]
        self.cnodes = [o.name for o in spec.objects.values() if o.type is ObjectType.CNODE]
        self.node = {name: k for k, name in enumerate(self.cnodes)}
        self.threads = tuple(o.name for o in spec.objects.values() if o.type is ObjectType.TCB)
        self.bits_of: dict[tuple, tuple[int, ...]] = {}

    def obj(self, name: str) -> int:
        """The number of an object, adding the reserved names of caps to no object on first use."""
        i = self.index.get(name)
        if i is None:
            i = self.index[name] = len(self.names)
            self.names.append(name)
            self.types.append(None)
        return i

    def cap_bits(self, cap: Cap) -> tuple[int, ...]:
        key = (cap.target, cap.type, cap.rights)
        bits = self.bits_of.get(key)
        if bits is None:
            base = self.obj(cap.target) * NR
            bits = self.bits_of[key] = tuple(base + _I[r] for r in cap_rights(cap))
        return bits

    def thread_bits(self, thread: str) -> set[int]:
        """What a thread uses through its TCB slots and VSpace (not transferable by itself)."""
        out: set[int] = set()
        for slot, cap in self.spec.objects[thread].slots.items():
            if slot in _NOT_USED_SLOTS:
                continue
            if cap.type is CapType.ENDPOINT:  # a fault endpoint: the kernel sends the thread's faults on it
                out.add(self.obj(cap.target) * NR + _I[Right.SEND])
            elif cap.type is CapType.NOTIFICATION:  # the bound notification: the thread waits on it
                out.add(self.obj(cap.target) * NR + _I[Right.WAIT])
            else:  # IPC buffer, reply caps, bound VCPU
                out.update(self.cap_bits(cap))
        for _, _, cap in mapped_frames(self.spec, vspace_of(self.spec, thread)):
            out.update(self.cap_bits(cap))
        return out

    def run(self) -> SpecAuthority:
        spec, node = self.spec, self.node
        flow = MergingFlow()
        for name in self.cnodes:  # CNodes are nodes 0..n-1; endpoint mailboxes come after
            flow.add({b for cap in spec.objects[name].slots.values() for b in self.cap_bits(cap)})
        n = len(self.cnodes)
        initial_sets = [frozenset(s) for s in flow.sets]
        roots: dict[str, str | None] = {}
        local: dict[str, set[int]] = {}
        for t in self.threads:
            slots = spec.objects[t].slots
            roots[t] = slots[0].target if 0 in slots and slots[0].target in node else None
            local[t] = self.thread_bits(t)
        gained: dict[int, frozenset[int]] = {}  # object -> what control of it gives (tcb and vspace rules)

        def tcb_gain(o: int) -> frozenset[int]:
            if o not in gained:
                slots = spec.objects[self.names[o]].slots
                gained[o] = frozenset(local[self.names[o]] | {self.obj(slots[k].target) * NR + _I[Right.CONTROL]
                                                              for k in (0, 1) if k in slots})
            return gained[o]

        def table_gain(o: int) -> frozenset[int]:
            if o not in gained:
                gained[o] = frozenset(b for _, _, cap in mapped_frames(spec, self.names[o]) for b in self.cap_bits(cap))
            return gained[o]

        labels = list(self.cnodes)
        transfers: dict[tuple[int, int], tuple[str, int]] = {}
        gains: dict[str, list[tuple[str, str]]] = {}
        mailbox: dict[int, int] = {}  # endpoint -> its grant mailbox node; the reply mailbox is next

        def edge(a: int, b: int, rule: str, via: int) -> None:
            added = flow.edge(a, b)
            if added is not None:
                transfers.setdefault(added, (rule, via))

        def endpoint(v: int, o: int) -> None:
            """Senders with grant put caps into the endpoint's grant mailbox, every receiver takes
            them out; receivers with grant reply into the reply mailbox, every caller with grant or
            grant-reply takes those out: n senders and m receivers cost n + m edges."""
            grants = mailbox.get(o)
            if grants is None:
                grants = mailbox[o] = flow.add(set())
                flow.add(set())
                labels.extend((f"{self.names[o]} (grants)", f"{self.names[o]} (replies)"))
            s, base = flow.sets[v], o * NR
            receive, grant = base + _I[Right.RECEIVE] in s, base + _I[Right.GRANT] in s
            send, grant_reply = base + _I[Right.SEND] in s, base + _I[Right.GRANT_REPLY] in s
            if send and grant:
                edge(v, grants, "grant-in", o)
            if receive:
                edge(grants, v, "grant-out", o)
            if receive and grant:
                edge(v, grants + 1, "reply-in", o)
            if send and (grant or grant_reply):
                edge(grants + 1, v, "reply-out", o)

        control = _I[Right.CONTROL]

        def apply(v: int, o: int, fresh: set[int]) -> None:
            """The rules for the new caps of leader v on object o."""
            kind = self.types[o]
            if kind is ObjectType.EP:
                endpoint(v, o)
            elif o * NR + control not in fresh or kind is None:
                return
            elif kind is ObjectType.CNODE:
                edge(v, node[self.names[o]], "cnode", o)
                edge(node[self.names[o]], v, "cnode", o)
            elif kind is ObjectType.TCB:
                flow.sets[v] |= tcb_gain(o)
                gains.setdefault(labels[v], []).append(("tcb", self.names[o]))
            elif kind in PAGE_TABLES:
                flow.sets[v] |= table_gain(o)
                gains.setdefault(labels[v], []).append(("vspace", self.names[o]))

        while True:
            for v in flow.leaders():
                if v < n:  # a component led by a CNode; mailboxes alone only pass caps on
                    while flow.parent[v] == v and (fresh := flow.fresh(v)):
                        done: set[int] = set()
                        for b in fresh:
                            o = b // NR
                            if o not in done:
                                done.add(o)
                                apply(v, o, fresh)
                                if flow.parent[v] != v:
                                    break  # merged into a component whose leader takes over
            merged = flow.take_merged()
            if not transfers or not flow.propagate() and not merged:
                break

        decoded: dict[int, dict[str, frozenset[Right]]] = {}

        def decode(bits) -> dict[str, frozenset[Right]]:
            out: dict[int, set[Right]] = {}
            for b in sorted(bits):
                o, r = divmod(b, NR)
                out.setdefault(o, set()).add(RIGHTS[r])
            return {self.names[o]: frozenset(rs) for o, rs in out.items()}

        def final_of(t: str) -> dict[str, frozenset[Right]]:
            """The thread's CSpace component (decoded once per component) and what it uses itself."""
            own = decode(local[t])
            if roots[t] is None:
                return own
            leader = flow.find(node[roots[t]])
            if leader not in decoded:
                decoded[leader] = decode(flow.sets[leader])
            merged = dict(decoded[leader])
            for obj, rights in own.items():
                merged[obj] = rights | merged.get(obj, frozenset())
            return merged

        cspaces = {t: _reach(spec, roots[t]) for t in self.threads}
        initial = {}
        for t in self.threads:
            start = set(local[t])
            for c in cspaces[t]:
                start |= initial_sets[node[c]]
            initial[t] = decode(start)
        return SpecAuthority(spec, self.threads, roots, cspaces, initial, _PerThread(self.threads, final_of),
                             tuple(SpecTransfer(labels[a], labels[b], rule, self.names[via])
                                   for (a, b), (rule, via) in sorted(transfers.items())),
                             {c: tuple(dict.fromkeys(g)) for c, g in gains.items()},
                             tuple(labels), tuple(flow.facts(v) for v in range(len(labels))), tuple(self.names))


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
