"""The flow graph of a system: where information can move, derived from its closed authority.

Nodes are components, server objects, shared regions, notifications, and endpoints with more than
one receiver; each edge is one channel in one direction with its kind, capacity (bits per epoch)
and cause. The rules are the flow rules of smosverify/semantics/rules.py, read on single caps
(docs/flow-and-leakage.md has a table):
- call / answer: every holder of a cap with send on an endpoint flows to every holder of receive
  on it (the request); back again as the reply when that cap can be replied to (send with grant or
  grant_reply), otherwise as 1 bit of synchronisation (a blocking send tells the sender when the
  receiver took the message). A reply from a policy server over its own endpoint is a decision.
  A connection's declared capacity bounds the way back (reply, decision or synchronisation):
  what a server answers is its protocol's to bound, while a request is always a full message;
- receiveAffects: two or more receivers on one endpoint (waiters on one notification) flow to
  each other through it: whoever receives first consumes what the other would have seen;
- memory: a frame cap gives a mapping only with read, so a cap without read moves nothing;
  with read the memory flows to its holder, with read and write also from it (execute counts as
  reading); control of another component's TCB, CNode or VSpace is a memory channel both ways;
- signal: signallers flow into a notification, it flows to waiters;
- object: a server and its objects flow both ways; a component that can call a server flows into
  each of its objects by the operations the policy allows it that write, and out by those that
  read, under its own sid and under every sid its cap's badge lets it act as (docs/properties.md).
Edges are listed object, memory, notification, endpoint, so that among equally short paths the
one through mediated object operations is found first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from smosverify.analyses.authority.closure import AuthorityClosure
from smosverify.errors import InputError, Span
from smosverify.model.authority import Cap
from smosverify.model.kernel import KERNEL_CLASSES, ObjectKind, Right
from smosverify.model.policy import Policy, RuleKind
from smosverify.model.system import Role, ServerObject, System, Target
from smosverify.semantics.rules import MEMORY_KINDS, gets_replies_with_caps, mapped

# Built-in capacities in bits per epoch (an epoch: one use of each channel).
ENDPOINT_BITS = 120 * 64  # one IPC message: 120 message registers of 64 bits
NOTIFICATION_BITS = 64  # one notification word
DECISION_BITS = 1  # permit or deny
SYNC_BITS = 1  # when a blocking send was taken
PAGE_BITS = 4096 * 8  # private memory reached through another component's frames or control


VERBS = {Right.WRITE: "writes", Right.SIGNAL: "signals", Right.READ: "reads", Right.EXECUTE: "executes", Right.WAIT: "waits on"}


class NodeKind(str, Enum):
    COMPONENT = "component"
    OBJECT = "object"
    REGION = "region"
    NOTIFICATION = "notification"
    ENDPOINT = "endpoint"  # only when several components receive on it (receiveAffects)


@dataclass(frozen=True)
class FlowNode:
    kind: NodeKind
    name: str  # components, regions, notifications by name; objects as `server.object`
    sid: str
    label: str | None
    span: Span
    capacity: int | None = None  # a channel node carries at most this much; components: unbounded


class FlowEdge(NamedTuple):
    """One channel in one direction. `authority` is the cap it comes from, if one does.
    (A named tuple rather than a dataclass: large systems have hundreds of thousands.)"""

    source: int
    sink: int
    channel: str  # a policy channel kind: endpoint, memory, notification, object, decision
    capacity: int
    cause: str
    span: Span
    authority: tuple[str, Target, Right] | None = None
    initial: bool = True  # the cap is held from the start (else obtained by transfers)


@dataclass(frozen=True)
class FlowGraph:
    nodes: tuple[FlowNode, ...]
    edges: tuple[FlowEdge, ...]
    index: dict[str, int]

    def successors(self) -> list[list[int]]:
        succ: list[list[int]] = [[] for _ in self.nodes]
        for e in self.edges:
            succ[e.source].append(e.sink)
        return succ

    def out_edges(self) -> list[list[int]]:
        """Edge numbers leaving each node, in edge order."""
        out: list[list[int]] = [[] for _ in self.nodes]
        for i, e in enumerate(self.edges):
            out[e.source].append(i)
        return out


def operation_directions(policy: Policy, cls: str) -> tuple[frozenset[str], frozenset[str]]:
    """(reads, writes) of a class: as declared by `reads`/`writes` statements, or, for a class
    with none, every operation both ways (an operation of unknown direction may move data)."""
    declared = [f for f in policy.operation_flows if f.cls == cls]
    if not declared:
        ops = frozenset(policy.classes[cls].operations)
        return ops, ops
    reads = frozenset(op for f in declared if f.direction == "reads" for op in f.operations)
    writes = frozenset(op for f in declared if f.direction == "writes" for op in f.operations)
    return reads, writes


def channel_capacity(policy: Policy, kind: str, declared: int | None, builtin: int) -> int:
    """Declared on the channel, else the policy's `capacity KIND` default, else built in."""
    if declared is not None:
        return declared
    default = policy.capacities.get(kind)
    return default.bits if default else builtin


def check_operation_flows(policy: Policy) -> None:
    """`reads`/`writes` statements name object classes only: kernel classes have fixed flow rules."""
    for cls in {f.cls for f in policy.operation_flows} & set(KERNEL_CLASSES):
        first = next(f for f in policy.operation_flows if f.cls == cls)
        raise InputError(
            f"`{first.direction} {cls}`: kernel classes have fixed flow rules (docs/flow-and-leakage.md); "
            "reads/writes statements apply to object classes", first.span)


def flow_graph(system: System, closure: AuthorityClosure) -> FlowGraph:
    """Derive the flow graph; O(caps + senders × receivers per endpoint + callers × objects)."""
    return _Builder(system, closure).build()


class _Builder:
    def __init__(self, system: System, closure: AuthorityClosure):
        self.system = system
        self.policy = system.policy
        self.closure = closure
        self.nodes: list[FlowNode] = []
        self.index: dict[str, int] = {}
        self.edges: list[FlowEdge] = []
        self.origin: dict[tuple[str, Target], Cap] = {}
        self.initial: dict[tuple[str, Target], set[Right]] = {}
        for cap in closure.initial_caps:
            self.origin.setdefault((cap.holder, cap.target), cap)
            self.initial.setdefault((cap.holder, cap.target), set()).update(cap.rights)
        check_operation_flows(self.policy)

    def node(self, kind: NodeKind, name: str, sid: str, span: Span, capacity: int | None = None) -> None:
        """A node labelled as its sid is; an endpoint is only a conduit between its receivers."""
        label = self.policy.label_of.get(sid) if kind is not NodeKind.ENDPOINT else None
        self.index[name] = len(self.nodes)
        self.nodes.append(FlowNode(kind, name, sid, label.label if label else None, span, capacity))

    def edge(self, a: str, b: str, channel: str, capacity: int, cause: str, span: Span,
             authority: tuple[str, Target, Right] | None = None) -> None:
        initial = authority is None or authority[2] in self.initial.get(authority[:2], ())
        self.edges.append(FlowEdge(self.index[a], self.index[b], channel, capacity, cause, span, authority, initial))

    def cap_span(self, holder: str, target: Target) -> Span:
        cap = self.origin.get((holder, target))
        return cap.span if cap else self.closure.objects[target].span

    def build(self) -> FlowGraph:
        system, policy = self.system, self.policy
        object_bits = channel_capacity(policy, "object", None, ENDPOINT_BITS)
        for comp in system.components.values():
            self.node(NodeKind.COMPONENT, comp.name, comp.sid, comp.span)
        for obj in system.objects():
            self.node(NodeKind.OBJECT, _object_name(obj), obj.sid, obj.span, object_bits)
        for region in system.regions.values():
            bits = channel_capacity(policy, "memory", region.capacity, region.size * 8)
            self.node(NodeKind.REGION, region.name, region.sid, region.span, bits)
        for note in system.notifications.values():
            bits = channel_capacity(policy, "notification", note.capacity, NOTIFICATION_BITS)
            self.node(NodeKind.NOTIFICATION, note.name, note.sid, note.span, bits)
        holders = _holders_by_target(self.closure)
        self._objects(object_bits)
        self._regions_and_notifications(holders)
        self._endpoints(holders)
        self._control(holders)
        return FlowGraph(tuple(self.nodes), tuple(self.edges), self.index)

    def _objects(self, object_bits: int) -> None:
        access: dict[tuple[str, str, str], tuple[tuple[str, Span] | None, tuple[str, Span] | None]] = {}
        callers = self.closure.acting_sids
        for server in self.system.components.values():
            if not server.objects:
                continue
            for obj in server.objects:
                name = _object_name(obj)
                self.edge(server.name, name, "object", object_bits, f"{server.name} implements {name}", obj.span)
                self.edge(name, server.name, "object", object_bits, f"{server.name} implements {name}", obj.span)
            for caller, sids in callers.get(server.name, {}).items():
                for obj in server.objects:
                    name = _object_name(obj)
                    writes = reads = None
                    for subject in sorted(sids):
                        key = (subject, obj.sid, obj.cls)
                        if key not in access:
                            access[key] = self._access(*key)
                        writes, reads = writes or access[key][0], reads or access[key][1]
                    if writes:
                        self.edge(caller, name, "object", object_bits, f"{caller} writes {name} {writes[0]}", writes[1])
                    if reads:
                        self.edge(name, caller, "object", object_bits, f"{caller} reads {name} {reads[0]}", reads[1])

    def _access(self, subject: str, sid: str, cls: str) -> tuple[tuple[str, Span] | None, tuple[str, Span] | None]:
        """For (writes, reads): the operations the policy allows, described with the rule that
        allows the first of them and its span; None when it allows none."""
        reads, writes = operation_directions(self.policy, cls)
        allowed = [op for op in self.policy.classes[cls].operations if self.policy.allows(subject, sid, cls, op)]

        def described(ops: list[str]) -> tuple[str, Span] | None:
            if not ops:
                return None
            rule = self.policy.matching(RuleKind.ALLOW, subject, sid, cls, ops[0])
            return f"by {cls} {{ {' '.join(ops)} }} (`{rule.text}`)", rule.span

        return described([op for op in allowed if op in writes]), described([op for op in allowed if op in reads])

    def _regions_and_notifications(self, holders) -> None:
        """Writers (signallers) flow into each shared channel, it flows to readers (waiters);
        waiters on one notification flow to each other through it."""
        channels = [(ObjectKind.REGION, r.name, "memory", "region ") for r in self.system.regions.values()]
        channels += [(ObjectKind.NOTIFICATION, n.name, "notification", "") for n in self.system.notifications.values()]
        for kind, name, channel, noun in channels:
            target = Target(kind, name)
            bits = self.nodes[self.index[name]].capacity
            caps = holders.get(target, ())
            waiters = {h for h, rights, _ in caps if Right.WAIT in rights}
            for holder, held, _ in caps:
                rights = mapped(held) if kind in MEMORY_KINDS else held
                span = self.cap_span(holder, target)
                into = next((r for r in (Right.WRITE, Right.SIGNAL) if r in rights), None)
                out_of = next((r for r in (Right.READ, Right.EXECUTE, Right.WAIT) if r in rights), None)
                if into:
                    self.edge(holder, name, channel, bits, f"{holder} {VERBS[into]} {noun}{name}", span, (holder, target, into))
                elif out_of is Right.WAIT and len(waiters) > 1:
                    self.edge(holder, name, channel, bits, f"{holder} waits on {name}, consuming what another waiter would see",
                              span, (holder, target, Right.WAIT))
                if out_of:
                    self.edge(name, holder, channel, bits, f"{holder} {VERBS[out_of]} {noun}{name}", span, (holder, target, out_of))

    def _endpoints(self, holders) -> None:
        declared = {(c.client, c.server): c.capacity for c in self.system.connections}
        endpoint_bits = channel_capacity(self.policy, "endpoint", None, ENDPOINT_BITS)
        decision_bits = channel_capacity(self.policy, "decision", None, DECISION_BITS)
        for target, held in holders.items():
            if target.kind is not ObjectKind.ENDPOINT:
                continue
            receivers = list(dict.fromkeys(h for h, rights, _ in held if Right.RECEIVE in rights))
            monitor = self.system.components[target.name].role is Role.POLICY
            shown = str(target)
            if len(receivers) > 1:
                self._shared_receive(target, receivers, endpoint_bits)
            sent: set[tuple[str, bool]] = set()
            for sender, rights, _ in held:
                replied = gets_replies_with_caps(rights)
                if Right.SEND not in rights or (sender, replied) in sent:
                    continue
                sent.add((sender, replied))
                own = declared.get((sender, target.name))
                span = self.cap_span(sender, target)
                send = (sender, target, Right.SEND)
                for receiver in receivers:
                    if receiver == sender:
                        continue
                    self.edge(sender, receiver, "endpoint", endpoint_bits, f"{sender} calls {receiver} over {shown}", span, send)
                    if not replied:
                        kind, bits = "endpoint", SYNC_BITS
                        cause = f"{sender}'s blocking send over {shown} tells it when {receiver} took the message"
                    elif monitor and receiver == target.name:
                        kind, bits = "decision", decision_bits
                        cause = f"{receiver} answers {sender}'s request over {shown} with a decision"
                    else:
                        kind, bits = "endpoint", endpoint_bits
                        cause = f"{receiver} replies to {sender} over {shown}"
                    self.edge(receiver, sender, kind, own if own is not None else bits, cause, span, send)

    def _shared_receive(self, target: Target, receivers: list[str], bits: int) -> None:
        """receiveAffects: whoever receives a message first takes it from the others."""
        name = str(target)
        self.node(NodeKind.ENDPOINT, name, self.closure.objects[target].sid, self.closure.objects[target].span, bits)
        for receiver in receivers:
            span = self.cap_span(receiver, target)
            how = (receiver, target, Right.RECEIVE)
            self.edge(receiver, name, "endpoint", bits, f"{receiver} receives on {name}, taking what another receiver would see", span, how)
            self.edge(name, receiver, "endpoint", bits, f"{receiver} receives on {name}", span, how)

    def _control(self, holders) -> None:
        bits = channel_capacity(self.policy, "memory", None, PAGE_BITS)
        for target, held in holders.items():
            if target.kind not in (ObjectKind.TCB, ObjectKind.CNODE, ObjectKind.VSPACE, ObjectKind.FRAMES):
                continue
            owner = target.name
            merged: dict[str, frozenset[Right]] = {}
            for holder, rights, _ in held:
                if holder != owner:
                    usable = mapped(rights) if target.kind in MEMORY_KINDS else rights
                    merged[holder] = merged.get(holder, frozenset()) | usable
            for holder, rights in merged.items():
                span = self.cap_span(holder, target)
                shown = " ".join(sorted(r.value for r in rights))
                into = next((r for r in (Right.CONTROL, Right.WRITE) if r in rights), None)
                out_of = next((r for r in (Right.CONTROL, Right.READ, Right.EXECUTE) if r in rights), None)
                if into:
                    self.edge(holder, owner, "memory", bits, f"{holder} holds {shown} on {target}", span, (holder, target, into))
                if out_of:
                    self.edge(owner, holder, "memory", bits, f"{holder} holds {shown} on {target}", span, (holder, target, out_of))


def _object_name(obj: ServerObject) -> str:
    return f"{obj.server}.{obj.name}"


def _holders_by_target(closure: AuthorityClosure) -> dict[Target, list[tuple[str, frozenset[Right], int]]]:
    """(holder, rights, badge) of each cap to each target, in component then target order."""
    return {target: closure.holders(target) for target in closure.held_targets()}
