"""The authority closure: every cap any component can come to hold under seL4's transfer rules.

Rules (docs/authority-rules.md has an example of each):
- grant: S holding send+grant on endpoint E passes any cap it holds to every R with receive on E;
- reply: R with receive+grant on E passes any cap it holds back to every caller C holding send and
  grant or grant_reply on E (the kernel gives the reply cap R's grant right);
- cnode: H holding control of X's CNode takes every cap X holds and can copy its own into it;
- tcb: H holding control of X's TCB controls X's CNode and VSpace;
- vspace: H holding control of X's VSpace can map X's frames (read, write, execute).

Caps are bitsets over (target, right) pairs; caps flow along "transfer" edges between
components, and the edges themselves appear as caps arrive, so the closure alternates between
adding edges and propagating over the SCC condensation until nothing changes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from smosverify.graph import propagate_union, set_bits
from smosverify.model.authority import Cap, KernelObject, initial_caps, kernel_objects
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import System, Target

RIGHTS = tuple(Right)
NR = len(RIGHTS)
RIGHT_INDEX = {r: i for i, r in enumerate(RIGHTS)}


@dataclass(frozen=True)
class Transfer:
    """Why the caps of `source` can reach `sink`: the rule and the cap that enables it."""

    source: str
    sink: str
    rule: str  # "grant", "reply", "cnode"
    via: Target

    def describe(self) -> str:
        if self.rule == "grant":
            return f"{self.source} sends caps over {self.via} (send+grant) to {self.sink}, which receives on it"
        if self.rule == "reply":
            return f"{self.source} replies with caps over {self.via} (receive+grant) to its caller {self.sink}"
        return f"caps move between {self.source} and {self.sink} through {self.via} (CNode control)"


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

    `final` maps each component to {target: rights}; `initial` is what it started with.
    """

    components: tuple[str, ...]
    objects: dict[Target, KernelObject]
    initial_caps: tuple[Cap, ...]
    initial: dict[str, dict[Target, frozenset[Right]]]
    final: dict[str, dict[Target, frozenset[Right]]]
    transfers: tuple[Transfer, ...]
    derivations: tuple[Derivation, ...]

    def edges(self):
        """(holder, target, rights) for every cap in the closure, in a stable order."""
        for holder in self.components:
            for target, rights in self.final[holder].items():
                yield holder, target, rights

    def explain(self, holder: str, target: Target, right: Right) -> list[str]:
        """The shortest chain of steps by which `holder` comes to hold `right` on `target`."""
        return _explain(self, holder, target, right)


def authority_closure(system: System) -> AuthorityClosure:
    """Close the initial caps under the transfer rules. O(rounds × (components + transfers))
    bitset unions; rounds are bounded by the length of the longest chain of enabling caps."""
    objects = kernel_objects(system)
    targets = list(objects)
    target_index = {t: i for i, t in enumerate(targets)}
    names = list(system.components)
    index = {n: i for i, n in enumerate(names)}
    n = len(names)
    caps = initial_caps(system)

    bits = [0] * n
    for cap in caps:
        base = target_index[cap.target] * NR
        for r in cap.rights:
            bits[index[cap.holder]] |= 1 << (base + RIGHT_INDEX[r])
    initial_bits = list(bits)

    def has(h: int, t: int, r: Right) -> bool:
        return bool(bits[h] >> (t * NR + RIGHT_INDEX[r]) & 1)

    succ: list[set[int]] = [set() for _ in range(n)]
    transfers: dict[tuple[int, int], Transfer] = {}
    derivations: list[Derivation] = []
    receivers: dict[int, set[int]] = {}  # endpoint target → holders with receive
    granters: dict[int, set[int]] = {}  # → holders with send+grant
    callers: dict[int, set[int]] = {}  # → holders with send and grant or grant_reply
    repliers: dict[int, set[int]] = {}  # → holders with receive+grant

    def add_edge(a: int, b: int, rule: str, via: Target) -> None:
        if a != b and b not in succ[a]:
            succ[a].add(b)
            transfers[a, b] = Transfer(names[a], names[b], rule, via)

    def gain(h: int, gained: Target, rights: tuple[Right, ...], rule: str, via: Target) -> None:
        base = target_index[gained] * NR
        before = bits[h]
        for r in rights:
            bits[h] |= 1 << (base + RIGHT_INDEX[r])
        if bits[h] != before:
            derivations.append(Derivation(names[h], gained, rule, via))

    def _apply_rules(h: int, t: int) -> None:
        target = targets[t]
        kind = target.kind
        if kind is ObjectKind.ENDPOINT:
            _endpoint_roles(h, t, has, receivers, granters, callers, repliers, add_edge, target)
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

    seen = [0] * n
    while True:
        for h in range(n):
            while bits[h] != seen[h]:
                fresh = bits[h] & ~seen[h]
                seen[h] = bits[h]
                for t in sorted({b // NR for b in set_bits(fresh)}):
                    _apply_rules(h, t)
        if not any(succ):
            break
        propagated = propagate_union(n, [list(s) for s in succ], bits)
        if propagated == bits:
            break
        bits = propagated

    def decode(b: int) -> dict[Target, frozenset[Right]]:
        out: dict[Target, set[Right]] = {}
        for i in set_bits(b):
            out.setdefault(targets[i // NR], set()).add(RIGHTS[i % NR])
        return {t: frozenset(r) for t, r in out.items()}

    return AuthorityClosure(
        components=tuple(names),
        objects=objects,
        initial_caps=caps,
        initial={names[h]: decode(initial_bits[h]) for h in range(n)},
        final={names[h]: decode(bits[h]) for h in range(n)},
        transfers=tuple(transfers[k] for k in sorted(transfers)),
        derivations=tuple(derivations),
    )


def _endpoint_roles(h, t, has, receivers, granters, callers, repliers, add_edge, target) -> None:
    """Record the roles h now plays on endpoint t and add the transfer edges they enable."""
    send, grant = has(h, t, Right.SEND), has(h, t, Right.GRANT)
    if has(h, t, Right.RECEIVE) and h not in receivers.setdefault(t, set()):
        receivers[t].add(h)
        for s in granters.get(t, ()):
            add_edge(s, h, "grant", target)
    if has(h, t, Right.RECEIVE) and grant and h not in repliers.setdefault(t, set()):
        repliers[t].add(h)
        for c in callers.get(t, ()):
            add_edge(h, c, "reply", target)
    if send and grant and h not in granters.setdefault(t, set()):
        granters[t].add(h)
        for r in receivers.get(t, ()):
            add_edge(h, r, "grant", target)
    if send and (grant or has(h, t, Right.GRANT_REPLY)) and h not in callers.setdefault(t, set()):
        callers[t].add(h)
        for r in repliers.get(t, ()):
            add_edge(r, h, "reply", target)


def _explain(closure: AuthorityClosure, holder: str, target: Target, right: Right) -> list[str]:
    """Breadth-first search backwards over transfers, through holders that end up with the cap,
    to the nearest one that holds it from the start or derives it from another of its caps."""
    into: dict[str, list[Transfer]] = {}
    for tr in closure.transfers:
        into.setdefault(tr.sink, []).append(tr)
    parent: dict[str, Transfer | None] = {holder: None}
    queue = deque([holder])
    while queue:
        c = queue.popleft()
        steps = _local_origin(closure, c, target, right)
        if steps is not None:
            while parent[c] is not None:
                tr = parent[c]
                steps.append(tr.describe())
                c = tr.sink
            return steps
        for tr in into.get(c, ()):
            if tr.source not in parent and right in closure.final[tr.source].get(target, frozenset()):
                parent[tr.source] = tr
                queue.append(tr.source)
    raise AssertionError(f"no origin for {right.value} on {target} at {holder}")


def _local_origin(closure: AuthorityClosure, c: str, target: Target, right: Right) -> list[str] | None:
    if right in closure.initial[c].get(target, frozenset()):
        cause = next(
            (cap for cap in closure.initial_caps if cap.holder == c and cap.target == target and right in cap.rights),
            None,
        )
        return [f"{c} holds {right.value} on {target} from the start ({cause.cause}, {cause.span})"]
    for d in closure.derivations:
        if d.holder == c and d.gained == target:
            return _explain(closure, c, d.via, Right.CONTROL) + [
                f"{c}, controlling {d.via}, gains {right.value} on {target} ({d.rule} rule)"
            ]
    return None
