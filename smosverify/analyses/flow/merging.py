"""Sets of facts flowing along a growing graph, with strongly connected components merged as they form.

Nodes hold sets of ints. An edge a -> b means everything a holds, b holds too. Members of one
strongly connected component therefore always hold the same set, so each component is merged
into one node (its smallest member, kept by union-find) the moment it appears: rules that add
edges then run once per component instead of once per member, and edges between members vanish.
When every node ends up reaching every other, this keeps the work linear in the number of facts
rather than in nodes x edges (a 10k-thread capDL spec whose threads all reach each other has
millions of member edges but few components).

The caller runs its rules on `fresh` facts of each leader (stopping when `edge` merges that
leader away), adds edges between any nodes, and calls `propagate` until it reports no growth
and `take_merged` no merge. A leader's `seen` facts survive a merge but those
the merged members bring are fresh again: a rule that needs two facts then sees them together.
"""

from __future__ import annotations

from smosverify.graph import strongly_connected_components


class MergingFlow:
    def __init__(self):
        self.parent: list[int] = []
        self.sets: list[set[int] | None] = []
        self.seen: list[set[int] | None] = []
        self.succ: list[set[int] | None] = []
        self.merged = False

    def add(self, facts: set[int]) -> int:
        self.parent.append(len(self.parent))
        self.sets.append(facts)
        self.seen.append(set())
        self.succ.append(set())
        return len(self.parent) - 1

    def find(self, v: int) -> int:
        parent = self.parent
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    def leaders(self) -> list[int]:
        return [v for v, p in enumerate(self.parent) if p == v]

    def facts(self, v: int) -> set[int]:
        return self.sets[self.find(v)]

    def fresh(self, leader: int) -> set[int]:
        """Facts of a leader its rules have not seen yet; marks them seen."""
        new = self.sets[leader] - self.seen[leader]
        self.seen[leader] |= new
        return new

    def edge(self, a: int, b: int) -> tuple[int, int] | None:
        """Add a -> b between their leaders; the leaders when the edge is new. When b already
        leads back to a, the two form a component and are merged at once: a thread that joins a
        large component this way adds its later edges to the component, not its own."""
        a, b = self.find(a), self.find(b)
        if a == b or b in self.succ[a]:
            return None
        self.succ[a].add(b)
        if a in self.succ[b]:
            self.merge(a, b)
        return a, b

    def merge(self, a: int, b: int) -> None:
        leader, other = min(a, b), max(a, b)
        self.parent[other] = leader
        self.sets[leader] |= self.sets[other]
        self.succ[leader] |= self.succ[other]
        self.sets[other] = self.seen[other] = self.succ[other] = None
        self.merged = True

    def take_merged(self) -> bool:
        """Did `edge` merge anything since the last call (so leaders may have fresh facts)?"""
        merged, self.merged = self.merged, False
        return merged

    def propagate(self) -> bool:
        """Merge the components of the leader graph, then push each one's facts to its successors in
        topological order. True when some leader's set grew."""
        leaders = self.leaders()
        number = {v: i for i, v in enumerate(leaders)}
        succ_lists = []
        for v in leaders:
            targets = {self.find(w) for w in self.succ[v]}
            targets.discard(v)
            self.succ[v] = targets
            succ_lists.append([number[w] for w in targets])
        grew = False
        order = []
        for members in strongly_connected_components(len(leaders), succ_lists):
            leader = min(leaders[i] for i in members)
            before = len(self.sets[leader])
            for i in members:
                if leaders[i] != leader:
                    self.merge(leader, leaders[i])
            grew |= len(self.sets[leader]) != before
            order.append(leader)
        for leader in order:
            facts = self.sets[leader]
            for w in self.succ[leader]:
                d = self.find(w)
                if d != leader:
                    before = len(self.sets[d])
                    self.sets[d] |= facts
                    grew |= len(self.sets[d]) != before
        return grew
