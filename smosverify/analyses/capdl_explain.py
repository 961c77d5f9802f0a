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

from smosverify.analyses.capdl_authority import Holding, SpecAuthority, SpecTransfer, cap_rights, control_gains, rights_text
from smosverify.model.kernel import Right
from smosverify.semantics.rules import controls

Accept = Callable[[frozenset[Right]], bool]
# "the cap carries right r", one predicate per right, so that a need can be recognised again.
_HAS: dict[Right, Accept] = {r: (lambda rights, r=r: r in rights) for r in Right}


def explain_obtained(auth: SpecAuthority, thread: str, obj: str, right: Right) -> list[str]:
    root = auth.roots[thread]
    if root is None:
        return [f"{thread} has no CSpace; {right.value} on {obj} reaches it only with a thread it controls"]
    into: dict[str, list[SpecTransfer]] = {}
    for tr in auth.transfers:
        into.setdefault(tr.sink, []).append(tr)
    return _Explainer(auth, into).chain(root, obj, _HAS[right], frozenset()) or [
        f"{thread} can obtain {right.value} on {obj} (no chain found within the transfer graph)"]


def _need(tr: SpecTransfer) -> tuple[str, str, Accept]:
    """The one cap (node, object, what its rights must satisfy) that makes a transfer possible."""
    node, accept = tr.enabler
    return node, tr.via, accept


class _Explainer:
    def __init__(self, auth: SpecAuthority, into: dict[str, list[SpecTransfer]]):
        self.auth, self.spec, self.into = auth, auth.spec, into
        self.owner = {c: t for t in auth.threads for c in auth.cspaces[t]}

    def held_at_start(self, node: str, obj: str, accept: Accept) -> bool:
        cnode = self.spec.objects.get(node)
        return cnode is not None and any(cap.target == obj and accept(cap_rights(cap)) for cap in cnode.slots.values())

    def chain(self, node: str, obj: str, accept: Accept, visiting: frozenset) -> list[str] | None:
        visiting = visiting | {(node, obj, accept)}
        parent: dict[str, SpecTransfer | None] = {node: None}
        queue = deque([node])
        while queue:
            c = queue.popleft()
            origin = self.origin(c, obj, accept, visiting)
            if origin is not None:
                return self.steps(origin, c, parent, visiting)
            for tr in self.into.get(c, ()):
                need = _need(tr)
                if tr.source in parent or need in visiting or not self.auth.node_has(tr.source, obj, accept):
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

    def origin(self, cnode: str, obj: str, accept: Accept, visiting: frozenset) -> list[str] | None:
        """How a CNode holds such a cap without a transfer: in a slot, or by a rule on a cap it
        controls (whose own origin comes first)."""
        holder = self.spec.objects.get(cnode)
        if holder is None:
            return None  # an endpoint's mailbox holds nothing of its own
        for slot, cap in holder.slots.items():
            if cap.target == obj and accept(cap_rights(cap)):
                return [f"{Holding(cnode, slot, cap, cap_rights(cap)).describe()} gives {rights_text(cap_rights(cap))} on {obj}"]
        who = self.owner.get(cnode, cnode)
        for rule, via in self.auth.gains.get(cnode, ()):
            gained = next((cap for r, cap in control_gains(self.spec, via)
                           if r == rule and cap.target == obj and accept(cap.rights)), None)
            if gained is None or (cnode, via, controls) in visiting:
                continue
            before = self.chain(cnode, via, controls, visiting)
            if before is not None:
                return before + [f"{who}, controlling {via}, gains {gained.describe()} ({rule} rule)"]
        return None
