"""The P7 certificate (the closed state) checked independently of the analysis that found it:
it contains the initial state, every step the policy permits leads back into it (one step of
each rule, checked directly on the final caps and handles), and it lies inside the policy."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from smosverify.analyses.dynamic.safety import check_dynamic_safety
from smosverify.analyses.dynamic.state import summary_name
from smosverify.analyses.result import Status
from smosverify.load.system import load_system
from smosverify.model.authority import initial_caps
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import Target

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DYNAMIC = ["dynamic-safe", "dynamic-handle-leak"]


def caps_of(state) -> dict[str, set[tuple[Target, Right]]]:
    return {h: {(t, r) for t, rights in caps.items() for r in rights} for h, caps in state.closure.final.items()}


def closure_problems(system, state) -> list[str]:
    """Every way the final state is not closed under one step of a rule."""
    caps = caps_of(state)
    comps = state.system.components
    policy = system.policy
    bad = [f"initial component {c}" for c in system.components if c not in comps]
    bad += [f"initial cap {c.holder} {c.target} {r}" for c in initial_caps(system) for r in c.rights
            if (c.target, r) not in caps[c.holder]]
    for rule in policy.spawn_rules:
        for parent in list(comps.values()):
            if parent.sid not in rule.parents:
                continue
            for sid in rule.children:
                kid = summary_name(sid, rule.role or "client")
                bad += [f"spawn {kid}"] if kid not in comps else []
                bad += [f"spawn control {parent.name} {kid} {k.value}" for k in (ObjectKind.TCB, ObjectKind.CNODE, ObjectKind.VSPACE)
                        if (Target(k, kid), Right.CONTROL) not in caps[parent.name]]
    for rule in policy.connect_rules:
        for c in comps.values():
            for v in comps.values():
                if c.sid in rule.clients and v.sid in rule.servers and (c.name != v.name or c.name.startswith("spawned:")):
                    if (Target(ObjectKind.ENDPOINT, v.name), Right.SEND) not in caps[c.name]:
                        bad.append(f"connect {c.name} {v.name}")
    # seL4's rules, one step each, on the final caps
    for a in comps:
        for t, r in caps[a]:
            if r is Right.CONTROL and t.kind is ObjectKind.CNODE:
                bad += [f"cnode {a} {t}"] if not (caps[t.name] <= caps[a] and caps[a] <= caps[t.name]) else []
            if r is Right.CONTROL and t.kind is ObjectKind.TCB:
                bad += [f"tcb {a} {t}" for k in (ObjectKind.CNODE, ObjectKind.VSPACE) if (Target(k, t.name), Right.CONTROL) not in caps[a]]
            if r is Right.CONTROL and t.kind is ObjectKind.VSPACE:
                bad += [f"vspace {a} {t}" for x in (Right.READ, Right.WRITE, Right.EXECUTE) if (Target(ObjectKind.FRAMES, t.name), x) not in caps[a]]
            if t.kind is ObjectKind.ENDPOINT and r is Right.RECEIVE:
                for s in comps:
                    held = caps[s]
                    if (t, Right.SEND) in held and (t, Right.GRANT) in held and not held <= caps[a]:
                        bad.append(f"grant {s} -> {a}")
                    if (t, Right.GRANT) in caps[a] and (t, Right.SEND) in held and \
                            ((t, Right.GRANT) in held or (t, Right.GRANT_REPLY) in held) and not caps[a] <= held:
                        bad.append(f"reply {a} -> {s}")
    # handles: opens by every caller, passes as the rules allow
    handles = state.handles
    for h in comps:
        for t, r in caps[h]:
            if t.kind is ObjectKind.ENDPOINT and r is Right.SEND:
                for obj in comps[t.name].objects:
                    ops = {op for op in policy.classes[obj.cls].operations if policy.allows(comps[h].sid, obj.sid, obj.cls, op)}
                    if not ops <= handles.get(h, {}).get(f"{obj.server}.{obj.name}", frozenset()):
                        bad.append(f"open {h} {obj.name}")
    for rule in policy.pass_rules:
        for s, by in handles.items():
            if comps[s].sid not in rule.senders:
                continue
            for key, ops in by.items():
                if state.objects[key].cls in rule.classes:
                    bad += [f"pass {s} {r} {key}" for r in comps if comps[r].sid in rule.receivers and r != s
                            and not ops <= handles.get(r, {}).get(key, frozenset())]
    return bad


@pytest.mark.parametrize("name", DYNAMIC)
def test_closed_state_is_an_inductive_invariant(name):
    system = load_system(EXAMPLES / name / "system.yaml")
    result = check_dynamic_safety(system)
    assert closure_problems(system, result.certificate) == []


def test_holding_certificate_lies_inside_the_policy():
    system = load_system(EXAMPLES / "dynamic-safe" / "system.yaml")
    result = check_dynamic_safety(system)
    assert result.status is Status.HOLDS
    state = result.certificate
    policy = system.policy
    for holder, by in state.handles.items():
        sid = state.system.components[holder].sid
        for key, ops in by.items():
            obj = state.objects[key]
            assert all(policy.allows(sid, obj.sid, obj.cls, op) for op in ops), (holder, key, ops)
    for holder, target, rights in state.closure.edges():
        obj = state.closure.objects[target]
        if obj.owner == holder and not holder.startswith("spawned:"):
            continue
        sid = state.system.components[holder].sid
        assert all(policy.allows(sid, obj.sid, obj.cls, r.value) for r in rights), (holder, target, rights)


def test_checker_notices_a_step_the_certificate_does_not_cover():
    system = load_system(EXAMPLES / "dynamic-safe" / "system.yaml")
    state = check_dynamic_safety(system).certificate
    rule = system.policy.spawn_rules[0]
    wider = replace(rule, parents=frozenset({"bob_t"}))
    other = replace(system, policy=replace(system.policy, spawn_rules=(rule, wider)))
    assert "spawn control bob spawned:alice_worker_t:client tcb" in closure_problems(other, state)
