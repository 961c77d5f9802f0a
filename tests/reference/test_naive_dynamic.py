"""The naive P7 reference itself, on small systems whose closed state is derived by hand from
docs/dynamic-safety.md and the rule table (semantics/rules.py)."""

from __future__ import annotations

from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import Target

from . import naive_dynamic
from .strategies import SystemText

HEADER = "system: steps\npolicy: policy.pol\ncomponents:\n"
POLICY = "class file { open read write close }\nsid a_t, b_t, c_t, s_t, o_t;\n"
CHILD = "spawned:b_t:client"


def test_a_spawn_gives_the_parent_control_and_the_child_what_the_parent_holds():
    # spawn: p controls the child's TCB, CNode, VSpace; vspaceFrames: its frames; copyIn (p
    # controls the child's CNode): the child gets every one of those caps; copyOut adds nothing.
    system = SystemText(HEADER + "  p: {sid: a_t, role: client}\n", POLICY + "spawn a_t -> b_t;\n").load()
    facts = naive_dynamic.closed_state(system).facts
    control = frozenset({Right.CONTROL})
    held = {(Target(kind, CHILD), control, 0) for kind in (ObjectKind.TCB, ObjectKind.CNODE, ObjectKind.VSPACE)}
    held.add((Target(ObjectKind.FRAMES, CHILD), frozenset({Right.READ, Right.WRITE, Right.EXECUTE}), 0))
    assert facts.components == {("p", "a_t", "client"), (CHILD, "b_t", "client")}
    assert facts.caps == {(h, *cap) for h in ("p", CHILD) for cap in held}
    assert not facts.connections and not facts.handles


def test_a_passed_handle_comes_with_a_cap_naming_no_one_and_moves_with_a_grant():
    # c opens f (a_t may open and read it) and passes its handle to d, which gets a send cap to s
    # with a fresh badge; d grants its caps to r, and its handle goes with them. d and r act only
    # as themselves: c_t and b_t may do nothing on f, so each holds the handle beyond the policy.
    body = """\
  s: {sid: s_t, role: server, objects: {f: {class: file, sid: o_t}}}
  c: {sid: a_t, role: client}
  d: {sid: c_t, role: client}
  r: {sid: b_t, role: client}
connections:
  - {from: c, to: s, rights: [send], badge: 1}
  - {from: d, to: r, rights: [send, grant], badge: 1}
"""
    system = SystemText(HEADER + body, POLICY + "allow a_t o_t : file { open read };\npass a_t -> c_t : file;\n").load()
    facts = naive_dynamic.closed_state(system).facts
    assert facts.handles == {(h, "s.f", op) for h in ("c", "d", "r") for op in ("open", "read")}
    to_s = {(h, b) for h, t, rights, b in facts.caps if t == Target(ObjectKind.ENDPOINT, "s") and Right.SEND in rights}
    fresh = next(b for h, b in to_s if h == "d")
    assert fresh not in (0, 1) and to_s == {("c", 1), ("d", fresh), ("r", fresh)}
    found = naive_dynamic.handle_findings(system, facts.handles)
    assert found == {("handle-not-allowed", h, "s.f", op) for h in ("d", "r") for op in ("open", "read")}
