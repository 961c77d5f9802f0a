"""Why a thread of a capDL spec can obtain a right it does not start with: a well-founded chain.

Search backwards from the thread's CSpace root along transfer edges, through nodes that end up
holding a cap with the right, to the nearest CNode that holds one from the start or gains one by
a rule on a cap it controls (tcbCNode, tcbVSpace, vspaceFrames, untypedCover). Each transfer is
enabled by one cap of one of its ends (the sender's send+grant cap, the receiver's receive
cap...); an enabling cap that is itself obtained gets its own chain first, and so does the
controlled cap of a rule. A need being explained further up is never used, so no chain explains
a cap by itself; transfers whose needs are held from the start are preferred (a 0-1 breadth-first
search), which keeps chains short and direct.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from smosverify.analyses.capdl.authority import (
    Holding,
    SpecAuthority,
    SpecCap,
    SpecTransfer,
    cap_rights,
    control_gains,
    rights_text,
)
from smosverify.model.kernel import Right
from smosverify.semantics.rules import controls


@dataclass(frozen=True)
class Has:
    """Rights that include one right."""

    right: Right

    def __call__(self, rights: frozenset[Right]) -> bool:
        return self.right in rights


@dataclass(frozen=True)
class Exactly:
    """Exactly these rights: one particular cap."""

    rights: frozenset[Right]

    def __call__(self, rights: frozenset[Right]) -> bool:
        return rights == self.rights


@dataclass(frozen=True)
class Want:
    """The cap a chain explains: one to `obj` whose rights pass `rights`, with `badge` if given.
    Values, so that a need met further up a chain is recognised and never used again below."""

    obj: str
    rights: Callable[[frozenset[Right]], bool]
    badge: int | None = None

    def __call__(self, cap: SpecCap) -> bool:
        return cap.target == self.obj and self.rights(cap.rights) and self.badge in (None, cap.badge)


def explain_obtained(auth: SpecAuthority, thread: str, want: Want, what: str) -> list[str]:
    """The steps by which `thread` obtains a cap `want` accepts (`what` names it for messages)."""
    root = auth.roots[thread]
    if root is None:
        return [f"{thread} has no CSpace; {what} reaches it only with a thread it controls"]
    into: dict[str, list[SpecTransfer]] = {}
    for tr in auth.transfers:
        into.setdefault(tr.sink, []).append(tr)
    return _Explainer(auth, into).chain(root, want, frozenset()) or [
        f"{thread} can obtain {what} (no chain found within the transfer graph)"]


def _need(tr: SpecTransfer) -> tuple[str, Want]:
    """The one cap (node, what it must be) that makes a transfer possible."""
    node, accept = tr.enabler
    return node, Want(tr.via, accept)


class _Explainer:
    def __init__(self, auth: SpecAuthority, into: dict[str, list[SpecTransfer]]):
        self.auth, self.spec, self.into = auth, auth.spec, into
        self.owner = {c: t for t in auth.threads for c in auth.cspaces[t]}

    def held_at_start(self, node: str, want: Want) -> bool:
        cnode = self.spec.objects.get(node)
        return cnode is not None and any(want(SpecCap(cap.target, cap_rights(cap), cap.badge))
                                         for cap in cnode.slots.values())

    def chain(self, node: str, want: Want, visiting: frozenset) -> list[str] | None:
        visiting = visiting | {(node, want)}
        parent: dict[str, SpecTransfer | None] = {node: None}
        queue = deque([node])
        while queue:
            c = queue.popleft()
            origin = self.origin(c, want, visiting)
            if origin is not None:
                return self.steps(origin, c, parent, visiting)
            for tr in self.into.get(c, ()):
                need = _need(tr)
                if tr.source in parent or need in visiting or not self.auth.node_has(tr.source, want):
                    continue
                parent[tr.source] = tr
                (queue.appendleft if self.held_at_start(*need) else queue.append)(tr.source)
        return None

    def steps(self, origin: list[str], c: str, parent: dict, visiting: frozenset) -> list[str]:
        steps = list(origin)
        while parent[c] is not None:
            tr = parent[c]
            need = _need(tr)
            if not self.held_at_start(*need):
                steps += [s for s in self.chain(*need, visiting) or () if s not in steps]
            steps.append(tr.describe())
            c = tr.sink
        return steps

    def origin(self, cnode: str, want: Want, visiting: frozenset) -> list[str] | None:
        """How a CNode holds such a cap without a transfer: in a slot, or by a rule on a cap it
        controls (whose own origin comes first)."""
        holder = self.spec.objects.get(cnode)
        if holder is None:
            return None  # an endpoint's mailbox holds nothing of its own
        for slot, cap in holder.slots.items():
            rights = cap_rights(cap)
            if want(SpecCap(cap.target, rights, cap.badge)):
                return [f"{Holding(cnode, slot, cap, rights).describe()} gives {rights_text(rights)} on {cap.target}"]
        who = self.owner.get(cnode, cnode)
        for rule, via in self.auth.gains.get(cnode, ()):
            gained = next((cap for r, cap in control_gains(self.spec, via) if r == rule and want(cap)), None)
            control = Want(via, controls)
            if gained is None or (cnode, control) in visiting:
                continue
            before = self.chain(cnode, control, visiting)
            if before is not None:
                return before + [f"{who}, controlling {via}, gains {gained.describe()} ({rule} rule)"]
        return None
