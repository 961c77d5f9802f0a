"""The semantic difference between two versions of a policy, or of a system (docs/diff.md).

Decisions: every (subject sid, object sid, class, operation) whose decision changes. Only a
request some allow rule of either version covers can be permitted by either, so those are the
requests compared; Z3 answers independently whether NEW permits anything OLD does not. Flow
policy: label pairs newly allowed or forbidden, sids whose flows change through relabelling, trust
declarations added or removed, budgets tightened or loosened. For two systems, also the flows the
system realises, P5's violations and each budget's maximum flow, before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.flow.information import reachable_facts, violations
from smosverify.analyses.flow.graph import FlowGraph, flow_graph
from smosverify.analyses.flow.policy import FlowPolicy, flow_policy
from smosverify.analyses.flow.leakage import leakage_network
from smosverify.analyses.flow.maxflow import max_flow
from smosverify.graph import set_bits
from smosverify.model.policy import Policy, RuleKind
from smosverify.model.system import System
from smosverify.smt.policy import solve, wider_query

Request = tuple[str, str, str, str]


@dataclass(frozen=True)
class DecisionGroup:
    """Requests whose decision changed the same way, for one object sid, class and operations."""

    subjects: tuple[str, ...]
    obj: str
    cls: str
    ops: tuple[str, ...]
    permitted: bool  # True: NEW permits what OLD denied; False: the reverse
    because: str  # the NEW rule that permits or denies it, or why nothing does

    def requests(self) -> int:
        return len(self.subjects) * len(self.ops)


@dataclass(frozen=True)
class Change:
    """One change of the flow policy or of a system's flows, and whether it widens."""

    area: str  # flow-policy, relabel, trust, budget, capacity, realised-flow, P5, P6
    text: str
    wider: bool  # NEW allows or leaks more here
    neutral: bool = False  # neither wider nor narrower: a changed assumption (capacities)


@dataclass(frozen=True)
class PolicyDiff:
    kind: str  # "policy" or "system"
    old_files: tuple[str, ...]
    new_files: tuple[str, ...]
    decisions: tuple[DecisionGroup, ...]
    changes: tuple[Change, ...]
    z3_wider: str  # Z3's answer to "does NEW permit a request OLD does not?"

    @property
    def newly_permitted(self) -> int:
        return sum(g.requests() for g in self.decisions if g.permitted)

    @property
    def newly_denied(self) -> int:
        return sum(g.requests() for g in self.decisions if not g.permitted)

    @property
    def z3_agrees(self) -> bool:
        return self.z3_wider == ("sat" if self.newly_permitted else "unsat")

    @property
    def wider(self) -> bool:
        """NEW permits something OLD did not (or Python and Z3 disagree, which is a bug)."""
        return bool(self.newly_permitted) or any(c.wider for c in self.changes) or not self.z3_agrees


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    return PolicyDiff("policy", old.files, new.files, decision_changes(old, new), tuple(flow_policy_changes(old, new)),
                      solve(wider_query(old, new))[0])


def diff_systems(old: System, new: System) -> PolicyDiff:
    """The policy diff of the two systems' policies, plus what changes in the systems' flows."""
    base = diff_policies(old.policy, new.policy)
    before, after = _flows(old), _flows(new)
    changes = list(base.changes)
    for a, b in sorted(after.realised - before.realised):
        changes.append(Change("realised-flow", f"information labelled {a} now reaches nodes labelled {b}", True))
    for a, b in sorted(before.realised - after.realised):
        changes.append(Change("realised-flow", f"information labelled {a} no longer reaches nodes labelled {b}", False))
    for a, b in sorted(set(after.violations) - set(before.violations)):
        changes.append(Change("P5", f"P5 newly violated: {a} reaches {b} at {', '.join(after.violations[a, b])}", True))
    for a, b in sorted(set(before.violations) - set(after.violations)):
        changes.append(Change("P5", f"P5 no longer violated for {a} -> {b}", False))
    old_bits = {(x.source, x.sink): x.bits for x in old.policy.budgets}
    new_bits = {(x.source, x.sink): x.bits for x in new.policy.budgets}
    for a, b in sorted(set(old_bits) | set(new_bits)):
        v0, v1 = _max_flow(before.graph, a, b), _max_flow(after.graph, a, b)
        if v0 != v1:
            states = [f"budget {bits}: {'holds' if v <= bits else 'exceeded'}" if bits is not None else "no budget"
                      for v, bits in ((v0, old_bits.get((a, b))), (v1, new_bits.get((a, b))))]
            changes.append(Change("P6", f"max flow {a} -> {b}: {v0} -> {v1} bits per epoch ({states[0]} -> {states[1]})", v1 > v0))
    files = (old.file,) + old.policy.files, (new.file,) + new.policy.files
    return PolicyDiff("system", *files, base.decisions, tuple(changes), base.z3_wider)


@dataclass(frozen=True)
class _SystemFlows:
    graph: FlowGraph
    realised: set[tuple[str, str]]  # (source label, label of a node its information reaches)
    violations: dict[tuple[str, str], list[str]]  # P5 groups: (source, sink label) -> sink nodes


def _flows(system: System) -> _SystemFlows:
    graph = flow_graph(system, authority_closure(system))
    fp = flow_policy(system.policy, system)
    facts = reachable_facts(graph, fp)
    realised = {
        (fp.labels[facts.facts[f][0]], node.label)
        for v, node in enumerate(graph.nodes) if node.label is not None for f in set_bits(facts.reached[v])
    }
    groups = {(fp.labels[a], fp.labels[b]): [graph.nodes[v].name for v in vs] for (a, b), vs in violations(facts).items()}
    return _SystemFlows(graph, realised, groups)


def _max_flow(graph: FlowGraph, source: str, sink: str) -> int:
    net = leakage_network(graph, source, sink)
    return max_flow(net.nodes, net.tails, net.heads, net.caps, net.source, net.sink).value


def covered(policy: Policy) -> set[Request]:
    """Every request some allow rule of the policy covers."""
    out: set[Request] = set()
    for rule in policy.rules_of(RuleKind.ALLOW):
        for s in rule.subjects:
            objects = (s,) if rule.self_target else rule.objects
            out.update((s, o, c, op) for o, (c, op) in product(objects, rule.permissions))
    return out


def decision_changes(old: Policy, new: Policy) -> tuple[DecisionGroup, ...]:
    by_request: dict[tuple[str, str, str, bool, str], list[str]] = {}
    for request in sorted(covered(old) | covered(new)):
        before, after = old.allows(*request), new.allows(*request)
        if before != after:
            s, o, c, op = request
            by_request.setdefault((s, o, c, after, _because(new, request, after)), []).append(op)
    groups: dict[tuple[str, str, tuple[str, ...], bool, str], list[str]] = {}
    for (s, o, c, after, because), ops in by_request.items():
        groups.setdefault((o, c, tuple(ops), after, because), []).append(s)
    return tuple(
        DecisionGroup(tuple(subjects), o, c, ops, after, because)
        for (o, c, ops, after, because), subjects in sorted(groups.items(), key=lambda kv: (not kv[0][3], kv[0][:3], kv[1]))
    )


def _because(policy: Policy, request: Request, permitted: bool) -> str:
    if permitted:
        rule = policy.matching(RuleKind.ALLOW, *request)
        return f"`{rule.text}` at {rule.span}"
    deny = policy.matching(RuleKind.DENY, *request)
    return f"denied by `{deny.text}` at {deny.span}" if deny else "no allow rule covers it any more"


def flow_policy_changes(old: Policy, new: Policy):
    """Label pairs, relabelled sids, trust declarations and budgets that differ."""
    a, b = flow_policy(old), flow_policy(new)
    for x in sorted(set(a.labels) | set(b.labels)):
        for y in sorted(set(a.labels) | set(b.labels)):
            before, after = _allowed(a, x, y), _allowed(b, x, y)
            if x != y and before != after:
                yield Change("flow-policy", f"{x} -> {y} {'now allowed' if after else 'no longer allowed'}", after)
    yield from _relabelled(old, new, a, b)
    old_trust, new_trust = _trust(old), _trust(new)
    for sid, source, sink in sorted(new_trust - old_trust):
        yield Change("trust", f"{sid} is now trusted for {source} -> {sink}", True)
    for sid, source, sink in sorted(old_trust - new_trust):
        yield Change("trust", f"{sid} is no longer trusted for {source} -> {sink}", False)
    old_budgets = {(x.source, x.sink): x.bits for x in old.budgets}
    new_budgets = {(x.source, x.sink): x.bits for x in new.budgets}
    for pair in sorted(set(old_budgets) | set(new_budgets)):
        before, after = old_budgets.get(pair), new_budgets.get(pair)
        if before == after:
            continue
        what = f"budget {pair[0]} -> {pair[1]}: " + (
            f"added, {after} bits" if before is None else f"removed (was {before} bits)" if after is None
            else f"{before} -> {after} bits ({'looser' if after > before else 'tighter'})"
        )
        yield Change("budget", what, after is None or (before is not None and after > before))
    for kind in sorted(set(old.capacities) | set(new.capacities)):
        before, after = old.capacities.get(kind), new.capacities.get(kind)
        if (before and before.bits) != (after and after.bits):
            shown = [f"{c.bits} bits" if c else "built-in default" for c in (before, after)]
            yield Change("capacity", f"capacity {kind}: {shown[0]} -> {shown[1]} (an assumption; see the budgets)", False, True)


def _allowed(fp: FlowPolicy, a: str, b: str) -> bool:
    return a in fp.position and b in fp.position and fp.allowed(a, b)


def _relabelled(old: Policy, new: Policy, a: FlowPolicy, b: FlowPolicy):
    """Sids whose flows to or from other sids change because their labels changed."""
    def label(policy: Policy, sid: str) -> str | None:
        binding = policy.label_of.get(sid)
        return binding.label if binding else None

    def ok(fp: FlowPolicy, x: str | None, y: str | None) -> bool:
        return x is None or y is None or _allowed(fp, x, y)  # an unlabelled sid makes no claim

    classes: dict[tuple[str | None, str | None], list[str]] = {}
    for sid in sorted(set(old.sids) | set(new.sids)):
        classes.setdefault((label(old, sid), label(new, sid)), []).append(sid)
    for (x0, x1), xs in classes.items():
        for (y0, y1), ys in classes.items():
            if x0 == x1 and y0 == y1:
                continue
            before, after = ok(a, x0, y0), ok(b, x1, y1)
            if before != after:
                moved = "; ".join(f"{', '.join(ss)} relabelled {l0 or 'unlabelled'} -> {l1 or 'unlabelled'}"
                                  for ss, l0, l1 in ((xs, x0, x1), (ys, y0, y1)) if l0 != l1)
                yield Change("relabel", f"flows {', '.join(xs)} -> {', '.join(ys)} {'now allowed' if after else 'no longer allowed'} ({moved})", after)


def _trust(policy: Policy) -> set[tuple[str, str, str]]:
    return {(sid, r.source, r.sink) for r in policy.trusted for sid in r.subjects}
