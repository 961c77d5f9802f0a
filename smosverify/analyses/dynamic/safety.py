"""P7 dynamic safety: every state the dynamic rules allow satisfies the properties P1-P6.

The finder explores the abstract states of `dynamic_state` breadth first: level k holds every
step enabled after level k-1. Summary components make the state space finite, so the levels
reach a fixpoint: the closed state. It contains the initial state, it is closed under every
step (spawn, connect, open, pass, and seL4's transfer rules through its authority closure), and
P1-P6 are checked on it, together with two checks only dynamic states need (handle authority,
and authority across the instances a summary stands for). That closed state is the certificate.

A violation comes with a trace (`dynamic_trace`): the steps of the first BFS level at which it
appears, reduced until no single step can be dropped, replayed from the initial state.
"""

from __future__ import annotations

import json

from dataclasses import dataclass

from smosverify.analyses.authority.closure import AuthorityClosure
from smosverify.analyses.authority.conformance import check_authority_conformance
from smosverify.analyses.dynamic.flow import (
    exceeded_budgets,
    flow_findings,
    forbidden_flows,
    handles_beyond_policy,
    leakage_findings,
)
from smosverify.analyses.dynamic.state import DynamicState, build_state, enabled_steps
from smosverify.analyses.dynamic.trace import HandlePaths, traced
from smosverify.analyses.flow.graph import FlowGraph
from smosverify.analyses.authority.mediation import check_complete_mediation
from smosverify.analyses.policy.sanity import check_policy_sanity
from smosverify.analyses.result import Evidence, PropertyResult, Status
from smosverify.analyses.authority.tamper import check_tamper_proofness
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import System

ID, NAME = "P7", "dynamic safety"
MAX_TRACES = 10
# Evidence data that depends on how a state was reached rather than on what is wrong in it.
VOLATILE = ("chain", "path", "initial", "sinks", "source", "sink", "max_flow", "flow", "cut", "z3", "steps")

Key = tuple[str, str, str]


@dataclass(frozen=True)
class InitialChecks:
    """What `check` already computed on the initial state, reused by P7 rather than computed
    again: the authority closure, the flow graph (None when neither P5 nor P6 needs one) and
    the results of P1-P6."""

    closure: AuthorityClosure
    graph: FlowGraph | None
    results: tuple[PropertyResult, ...]


def check_dynamic_safety(system: System, initial: InitialChecks | None = None) -> PropertyResult:
    """Findings P1-P6 already report on the initial state are summarised, not repeated."""
    levels = explore(system, initial.closure if initial else None)
    final = levels[-1]
    reported = set(findings(levels[0], extended=False, known=initial))
    found = findings(final, known=initial if final is levels[0] else None)
    fresh = [k for k in found if k not in reported]
    evidence = []
    if reported:
        ids = sorted({k[0] for k in reported})
        evidence.append(Evidence(
            "initial-state-violated",
            f"the initial state already violates {', '.join(ids)} (reported under those properties)",
            (system.span,), {"properties": ids},
        ))
    paths = HandlePaths(final)
    at_level: dict[tuple[int, str], dict] = {}  # findings per (BFS level, property), shared by the traces

    def findings_of(state: DynamicState, pid: str) -> dict:
        if not any(state is level for level in levels):
            return findings(state, pid)
        if (id(state), pid) not in at_level:
            at_level[id(state), pid] = findings(state, pid, known=initial if state is levels[0] else None)
        return at_level[id(state), pid]

    classes = {str(t): o.cls for t, o in final.closure.objects.items()}
    groups: dict[Key, list[Key]] = {}
    for k in fresh:  # as long as every finding can have its own trace, each is its own cause
        groups.setdefault(cause(classes, *found[k]) if len(fresh) > MAX_TRACES else k, []).append(k)
    for i, (why, members) in enumerate(groups.items()):
        # the member that appears at the earliest level: the fewest rounds of steps reach it
        first = min(members, key=lambda k: next(n for n, s in enumerate(levels) if k in findings_of(s, k[0])))
        pid, ev = found[first]
        if i < MAX_TRACES:
            ev = traced(levels, first, pid, lambda s, pid=pid: findings_of(s, pid), explained)
        else:
            ev = explained(final, ev, paths)
            ev = Evidence(ev.kind, f"{pid} fails in a reachable state: {ev.message} (trace not computed: "
                          f"only the first {MAX_TRACES} causes get one)", ev.spans, {**ev.data, "property": pid})
        evidence.append(ev if len(members) == 1 else grouped(ev, why, [found[k][1] for k in members]))
    counts = summary(final)
    if evidence:
        before = f"the initial state violates {', '.join(sorted({k[0] for k in reported}))}; " if reported else ""
        return PropertyResult(
            ID, NAME, Status.VIOLATED,
            f"{before}{len(fresh)} further violation(s) reachable by dynamic steps; explored {counts}",
            tuple(evidence), final,
        )
    rules = len(system.policy.spawn_rules) + len(system.policy.connect_rules) + len(system.policy.pass_rules)
    if not rules:
        return PropertyResult(ID, NAME, Status.HOLDS, f"no dynamic rules: the closed state adds only opens; {counts}", (), final)
    return PropertyResult(ID, NAME, Status.HOLDS, f"P1-P6 hold in every state reachable under {rules} dynamic rule(s); closed state: {counts}", (), final)


def explore(system: System, closure: AuthorityClosure | None = None) -> list[DynamicState]:
    """The BFS levels: the initial state (with `closure`, the system's, when the caller has it),
    then each state after taking every newly enabled step. Terminates because summaries bound
    the components, hence the possible steps."""
    state = build_state(system, (), closure=closure)
    levels = [state]
    while True:
        new = enabled_steps(state)
        if not new:
            return levels
        state = build_state(system, state.steps + tuple(new), state)
        levels.append(state)


def findings(state: DynamicState, only: str | None = None, extended: bool = True,
             known: InitialChecks | None = None) -> dict[Key, tuple[str, Evidence]]:
    """Every violation in `state`, keyed by what it is about (not how it was reached). `extended`
    adds what dynamic states need: handle authority (P3, and its flows in P5 and P6) and
    authority across a summary's instances (P3). Handle findings get their chain from
    `explained`, only when reported. `known` holds P1-P6 already decided on this state's system
    and closure: they are reused, P5 and P6 unless handles beyond the policy add flow edges."""
    system, closure = state.system, state.closure
    given = {r.id: r for r in known.results} if known else {}
    graph = known.graph if known else None
    if extended and any(pid in given for pid in ("P5", "P6")) and handles_beyond_policy(state):
        given = {pid: r for pid, r in given.items() if pid not in ("P5", "P6")}
    checks = {
        "P1": lambda: _violations(given.get("P1") or check_complete_mediation(system, closure)),
        "P2": lambda: _violations(given.get("P2") or check_tamper_proofness(system, closure)),
        "P3": lambda: _violations(given.get("P3") or check_authority_conformance(system, closure))
        + ((_handle_findings(state) + _instance_findings(state)) if extended else []),
        "P4": lambda: _violations(given.get("P4") or check_policy_sanity(system)),
        "P5": lambda: forbidden_flows(given["P5"]) if "P5" in given else flow_findings(state, extended, graph),
        "P6": lambda: exceeded_budgets(given["P6"]) if "P6" in given else leakage_findings(state, extended, graph),
    }
    out = {}
    for pid, run in checks.items():
        if only in (None, pid):
            out.update({key(pid, ev): (pid, ev) for ev in run()})
    return out


def cause(classes: dict[str, str], pid: str, ev: Evidence) -> Key:
    """What a finding is grouped by: its property, its kind and the class of the object it is
    about (`classes`: by kernel object name); a finding about no one object (a flow, a budget, a
    server's callers) is its own cause."""
    if "request" in ev.data:
        return pid, ev.kind, ev.data["request"][2]
    if "target" in ev.data:
        return pid, ev.kind, classes[ev.data["target"]]
    return key(pid, ev)


def grouped(example: Evidence, why: Key, members: list[Evidence]) -> Evidence:
    """One entry for the findings of one cause: their count, what each is about, and the trace
    of one of them (`example`)."""
    pid, kind, cls = why
    return Evidence(
        kind, f"{len(members)} findings of {pid} {kind} on {cls} objects; for example, {example.message}",
        example.spans, {**example.data, "count": len(members), "cause": list(why), "members": [_about(e) for e in members]},
    )


def _about(ev: Evidence) -> str:
    """A finding in a few words: who, on what, which rights or operations."""
    data = ev.data
    what = data.get("request", [None] * 4)[3] or data.get("right") or data.get("rights")
    shown = " ".join(what) if isinstance(what, list) else str(what or "")
    return f"{data.get('holder', '')}: {shown} on {data.get('target') or data.get('object')}".strip()


def _violations(result: PropertyResult) -> list[Evidence]:
    return list(result.evidence) if result.status is Status.VIOLATED else []


def key(pid: str, ev: Evidence) -> Key:
    data = {k: v for k, v in ev.data.items() if k not in VOLATILE}
    return pid, ev.kind, json.dumps(data, sort_keys=True, default=str) if data else ev.message


def _handle_findings(state: DynamicState) -> list[Evidence]:
    """P3 for handle authority: every operation a component can perform through a handle (its
    own opens, caps it received, handles passed to it) must be allowed for its sid."""
    out = []
    for holder, obj_key, beyond in handles_beyond_policy(state):
        comp, obj = state.system.components[holder], state.objects[obj_key]
        bad = [op for op in state.base.policy.classes[obj.cls].operations if op in beyond]
        out.append(Evidence(
            "handle-not-allowed",
            f"{holder} ({comp.sid}) can {', '.join(bad)} {obj_key} ({obj.sid}) through a handle, "
            f"but the policy has no `allow {comp.sid} {obj.sid} : {obj.cls} {{ {' '.join(bad)} }};`",
            (comp.span, obj.span),
            {"holder": holder, "object": obj_key, "request": [comp.sid, obj.sid, obj.cls, bad]},
        ))
    return out


def explained(state: DynamicState, ev: Evidence, paths: HandlePaths | None = None) -> Evidence:
    """A handle finding with the chain that explains it in `state` (other findings have theirs)."""
    if ev.kind != "handle-not-allowed" or "chain" in ev.data:
        return ev
    chain = (paths or HandlePaths(state)).path(ev.data["holder"], ev.data["object"], ev.data["request"][3][0])
    return Evidence(ev.kind, ev.message, ev.spans, {**ev.data, "chain": chain})


def _instance_findings(state: DynamicState) -> list[Evidence]:
    """A summary's caps to its own kernel objects may name ANOTHER instance's objects (a
    component's authority over its own objects is never listed, so any such cap was received):
    they must be allowed from the sid to itself. Receive on its own endpoint is every
    instance's own."""
    policy = state.base.policy
    out = []
    for name in state.summaries():
        comp = state.system.components[name]
        for target, rights in state.closure.final[name].items():
            if target.name != name:
                continue
            cls = state.closure.objects[target].cls
            for right in sorted(rights, key=lambda r: r.value):
                if target.kind is ObjectKind.ENDPOINT and right is Right.RECEIVE:
                    continue
                if policy.allows(comp.sid, comp.sid, cls, right.value):
                    continue
                out.append(Evidence(
                    "instance-authority-not-allowed",
                    f"one instance of {name} can obtain {right.value} on another instance's {target.kind.value}, "
                    f"but the policy has no `allow {comp.sid} {comp.sid} : {cls} {right.value};`",
                    (comp.span,),
                    {"holder": name, "target": str(target), "request": [comp.sid, comp.sid, cls, right.value],
                     "chain": state.closure.explain(name, target, right)},
                ))
    return out


def summary(state: DynamicState) -> str:
    handles = sum(len(by) for by in state.handles.values())
    caps = sum(len(t) for t in state.closure.final.values())
    return (f"{len(state.steps)} step(s), {len(state.summaries())} summary component(s), "
            f"{len(state.system.connections)} connection(s), {caps} cap(s), {handles} handle(s)")


def certificate_json(state: DynamicState) -> dict:
    """The closed state as data: what a checker re-checks (docs/dynamic-safety.md)."""
    return {
        "components": [{"name": c.name, "sid": c.sid, "role": c.role.value} for c in state.system.components.values()],
        "connections": [{"client": c.client, "server": c.server, "rights": sorted(r.value for r in c.rights), "badge": c.badge}
                        for c in state.system.connections],
        "caps": [{"holder": h, "target": str(t), "rights": sorted(r.value for r in rights)} for h, t, rights in state.closure.edges()],
        "handles": [{"holder": h, "object": k, "operations": sorted(ops)} for h, by in state.handles.items() for k, ops in by.items()],
        "steps": [s.to_json() for s in state.steps],
    }
