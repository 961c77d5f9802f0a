"""The flow policy as bitsets over labels: which label may flow to which, and what trust adds.

A flow from label a to label b is allowed when a <= b in the lattice (reflexive and transitive)
or an explicit `flow a -> b;` says so (explicit rules are not transitive). Information is
tracked as a *fact* (source label, set of labels it may be treated as): it starts as (a, {a});
a trusted component with `trusted ... for L1 -> L2;` adds L2 to the facts it passes on whose
labels include L1 or a label below L1 in the lattice. A fact may arrive at a node labelled b
when one of its labels may flow to b.
"""

from __future__ import annotations

from dataclasses import dataclass

from smosverify.model.policy import Policy, TrustRule
from smosverify.model.system import System


@dataclass(frozen=True)
class FlowPolicy:
    labels: tuple[str, ...]
    position: dict[str, int]
    below: tuple[int, ...]  # below[l]: labels <= l in the lattice (bitmask, includes l)
    may_reach: tuple[int, ...]  # may_reach[b]: labels that may flow to b (bitmask)
    trust: dict[str, tuple[TrustRule, ...]]  # component name -> trust rules that apply to it

    def bit(self, label: str) -> int:
        return 1 << self.position[label]

    def allowed(self, a: str, b: str) -> bool:
        return bool(self.may_reach[self.position[b]] >> self.position[a] & 1)

    def names(self, mask: int) -> list[str]:
        return [name for i, name in enumerate(self.labels) if mask >> i & 1]

    def declassify(self, component: str, mask: int) -> tuple[int, tuple[TrustRule, ...]]:
        """The labels a fact with labels `mask` may carry when it leaves `component`, and the
        trust rules that added some (applied until nothing changes, so they chain)."""
        fired: list[TrustRule] = []
        changed = True
        while changed:
            changed = False
            for rule in self.trust.get(component, ()):
                source, sink = self.position[rule.source], self.position[rule.sink]
                if mask & self.below[source] and not mask >> sink & 1:
                    mask |= 1 << sink
                    fired.append(rule)
                    changed = True
        return mask, tuple(fired)


def flow_policy(policy: Policy, system: System | None = None, void: frozenset[str] = frozenset()) -> FlowPolicy:
    """The relation of `policy`, with its trust rules applied to the components of `system`
    except those in `void` (trusted components others can tamper with: their trust is void)."""
    labels = tuple(sorted(policy.labels))
    index = {name: i for i, name in enumerate(labels)}
    higher: list[list[int]] = [[] for _ in labels]
    for edge in policy.order:
        higher[index[edge.lower]].append(index[edge.higher])
    above = [_reachable(i, higher) for i in range(len(labels))]  # above[a]: labels b with a <= b
    below = [sum(1 << a for a in range(len(labels)) if above[a] >> b & 1) for b in range(len(labels))]
    may_reach = list(below)
    for rule in policy.flows:
        may_reach[index[rule.sink]] |= 1 << index[rule.source]
    trusted = trusted_components(policy, system) if system else {}
    trust = {name: rules for name, rules in trusted.items() if name not in void}
    return FlowPolicy(labels, index, tuple(below), tuple(may_reach), trust)


def trusted_components(policy: Policy, system: System) -> dict[str, tuple[TrustRule, ...]]:
    """The components whose sid a `trusted` declaration names, with those declarations."""
    out: dict[str, tuple[TrustRule, ...]] = {}
    for comp in system.components.values():
        rules = tuple(r for r in policy.trusted if comp.sid in r.subjects)
        if rules:
            out[comp.name] = rules
    return out


def _reachable(start: int, succ: list[list[int]]) -> int:
    seen = 1 << start
    stack = [start]
    while stack:
        for w in succ[stack.pop()]:
            if not seen >> w & 1:
                seen |= 1 << w
                stack.append(w)
    return seen
