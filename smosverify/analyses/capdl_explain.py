"""Why a thread of a capDL spec can obtain a right it does not start with: a well-founded chain.

Search backwards from the thread's CSpace root along transfer edges, through nodes that end up
holding the right, to the nearest CNode that holds it from the start (or derives it by the tcb or
vspace rule). Each transfer needs some rights (the sender's send and grant, the receiver's
receive...); those that are themselves obtained get their own chain first. A transfer that needs
a right being explained further up is never used, so no chain explains a right by itself;
transfers whose needs are held from the start are preferred (a 0-1 breadth-first search), which
keeps chains short and direct.
"""

from __future__ import annotations

from collections import deque

from smosverify.analyses.capdl_authority import Holding, SpecAuthority, SpecTransfer, cap_rights, mapped_frames, vspace_of
from smosverify.model.kernel import Right

_STEPS = {
    "grant-in": "caps in {a} are sent into {via} (send+grant)",
    "grant-out": "{b} receives the caps sent into {via} (it holds receive)",
    "reply-in": "caps in {a} go into replies on {via} (receive+grant)",
    "reply-out": "{b} gets those replies on {via} (it calls with send and grant or grant-reply)",
    "cnode": "caps move from {a} into {b} through CNode cap {via}",
}


def explain_obtained(auth: SpecAuthority, thread: str, obj: str, right: Right) -> list[str]:
    root = auth.roots[thread]
    if root is None:
        return [f"{thread} has no CSpace; {right.value} on {obj} reaches it only with a thread it controls"]
    into: dict[str, list[SpecTransfer]] = {}
    for tr in auth.transfers:
        into.setdefault(tr.sink, []).append(tr)
    return _Explainer(auth, into).chain(root, obj, right, frozenset()) or [
        f"{thread} can obtain {right.value} on {obj} (no chain found within the transfer graph)"]


def _needs(tr: SpecTransfer) -> list[tuple[str, str, Right]]:
    """The rights (node, object, right) that make a transfer possible."""
    if tr.rule == "grant-in":
        return [(tr.source, tr.via, Right.SEND), (tr.source, tr.via, Right.GRANT)]
    if tr.rule == "reply-in":
        return [(tr.source, tr.via, Right.RECEIVE), (tr.source, tr.via, Right.GRANT)]
    if tr.rule == "grant-out":
        return [(tr.sink, tr.via, Right.RECEIVE)]
    if tr.rule == "reply-out":  # send, and grant or grant-reply: the one listed second is chosen later
        return [(tr.sink, tr.via, Right.SEND), (tr.sink, tr.via, Right.GRANT_REPLY)]
    return [((tr.sink if tr.via == tr.source else tr.source), tr.via, Right.CONTROL)]


class _Explainer:
    def __init__(self, auth: SpecAuthority, into: dict[str, list[SpecTransfer]]):
        self.auth, self.spec, self.into = auth, auth.spec, into
        self.owner = {c: t for t in auth.threads for c in auth.cspaces[t]}

    def held_at_start(self, node: str, obj: str, right: Right) -> bool:
        cnode = self.spec.objects.get(node)
        return cnode is not None and any(cap.target == obj and right in cap_rights(cap) for cap in cnode.slots.values())

    def needs(self, tr: SpecTransfer) -> list[tuple[str, str, Right]]:
        """What a transfer needs; for a caller, grant-reply or else grant, whichever it has."""
        needs = _needs(tr)
        if tr.rule == "reply-out":
            node, obj, _ = needs[1]
            held = [r for r in (Right.GRANT_REPLY, Right.GRANT) if self.held_at_start(node, obj, r)]
            some = held or [r for r in (Right.GRANT_REPLY, Right.GRANT) if self.auth.node_has(node, obj, r)]
            needs[1] = (node, obj, some[0])
        return needs

    def chain(self, node: str, obj: str, right: Right, visiting: frozenset) -> list[str] | None:
        visiting = visiting | {(node, obj, right)}
        parent: dict[str, SpecTransfer | None] = {node: None}
        queue = deque([node])
        while queue:
            c = queue.popleft()
            origin = self.origin(c, obj, right)
            if origin is not None:
                return self.steps(origin, c, parent, visiting)
            for tr in self.into.get(c, ()):
                needs = self.needs(tr)
                if tr.source in parent or visiting.intersection(needs) or not self.auth.node_has(tr.source, obj, right):
                    continue
                parent[tr.source] = tr
                direct = all(self.held_at_start(*need) for need in needs)
                (queue.appendleft if direct else queue.append)(tr.source)
        return None

    def steps(self, origin: str, c: str, parent: dict, visiting: frozenset) -> list[str]:
        steps = [origin]
        while parent[c] is not None:
            tr = parent[c]
            for need in self.needs(tr):
                if not self.held_at_start(*need):
                    steps += [s for s in self.chain(*need, visiting) or () if s not in steps]
            steps.append(_STEPS[tr.rule].format(a=tr.source, b=tr.sink, via=tr.via))
            c = tr.sink
        return steps

    def origin(self, cnode: str, obj: str, right: Right) -> str | None:
        """How a CNode holds the right without a transfer: in a slot, or by the tcb or vspace rule."""
        holder = self.spec.objects.get(cnode)
        if holder is None:
            return None  # an endpoint's mailbox holds nothing of its own
        for slot, cap in holder.slots.items():
            if cap.target == obj and right in cap_rights(cap):
                return f"{Holding(cnode, slot, cap).describe()} gives {right.value} on {obj}"
        who = self.owner.get(cnode, cnode)
        for rule, via in self.auth.gains.get(cnode, ()):
            if rule == "tcb" and (obj in self.auth.initial[via] or obj in (self.auth.roots[via], vspace_of(self.spec, via))):
                return f"{who} controls thread {via}, so it gains {right.value} on {obj} (tcb rule)"
            if rule == "vspace" and any(cap.target == obj for _, _, cap in mapped_frames(self.spec, via)):
                return f"{who} controls page table {via}, so it gains {right.value} on {obj} (vspace rule)"
        return None
