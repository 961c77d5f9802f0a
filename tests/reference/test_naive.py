"""The naive reference itself, on one small system per rule: the caps it adds to the initial ones
are the ones derived by hand from the rule table (semantics/rules.py), no more, no fewer."""

from __future__ import annotations

import pytest

from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import Target

from . import naive
from .strategies import SystemText

SHARED = {"buf": ObjectKind.REGION, "n": ObjectKind.NOTIFICATION, "u": ObjectKind.UNTYPED}
HEADER = "system: rules\npolicy: policy.pol\ncomponents:\n"


def cap(holder: str, target: str, rights: str, badge: int = 0) -> naive.Cap:
    owner, _, kind = target.partition(".")
    where = Target(ObjectKind(kind), owner) if kind else Target(SHARED[owner], owner)
    return holder, where, frozenset(Right(r) for r in rights.split()), badge


CASES = {
    # grant: s's one cap has send and grant; r receives: r gains all of s's caps, badges kept.
    "grant": ("""\
  s: {sid: a_t, role: client, caps: [{to: n, rights: [signal], badge: 7}]}
  r: {sid: a_t, role: server}
connections:
  - {from: s, to: r, rights: [send, grant], badge: 5}
notifications:
  n: {sid: a_t, signal: [r], wait: [r]}
""", {cap("r", "n", "signal", 7), cap("r", "r.endpoint", "send grant", 5)}),
    # send and grant on two caps: no single cap carries both, nothing moves.
    "grant on two caps": ("""\
  s: {sid: a_t, role: client, caps: [{to: r.endpoint, rights: [grant]}]}
  r: {sid: a_t, role: server}
connections:
  - {from: s, to: r, rights: [send], badge: 1}
regions:
  buf: {sid: a_t, map: {s: [read]}}
""", set()),
    # reply: c calls with send+grant_reply, v's cap to its endpoint has receive+grant: c gains all
    # of v's caps (its plain receive cap too).
    "reply": ("""\
  c: {sid: a_t, role: client}
  v: {sid: a_t, role: server, caps: [{to: v.endpoint, rights: [receive, grant]}]}
connections:
  - {from: c, to: v, rights: [send, grant_reply], badge: 1}
regions:
  buf: {sid: a_t, map: {v: [read]}}
""", {cap("c", "v.endpoint", "receive"), cap("c", "v.endpoint", "receive grant"), cap("c", "buf", "read")}),
    # reply without grant on the receiver's cap carries nothing.
    "reply without the receiver's grant": ("""\
  c: {sid: a_t, role: client}
  v: {sid: a_t, role: server}
connections:
  - {from: c, to: v, rights: [send, grant_reply], badge: 1}
regions:
  buf: {sid: a_t, map: {v: [read]}}
""", set()),
    # copyOut takes x's caps; copyIn puts a's caps (here its CNode cap) into x.
    "copyOut and copyIn": ("""\
  a: {sid: a_t, role: client, caps: [{to: x.cnode, rights: [control]}]}
  x: {sid: a_t, role: client}
regions:
  buf: {sid: a_t, map: {x: [read]}}
""", {cap("a", "buf", "read"), cap("x", "x.cnode", "control")}),
    # tcbCNode, tcbVSpace, then vspaceFrames; copyIn hands x caps to its own objects.
    "tcb control": ("""\
  a: {sid: a_t, role: client, caps: [{to: x.tcb, rights: [control]}]}
  x: {sid: a_t, role: client}
""", {cap(h, t, r) for h in ("a", "x") for t, r in
      (("x.cnode", "control"), ("x.vspace", "control"), ("x.frames", "read write execute"))}
     | {cap("x", "x.tcb", "control")}),
    # untypedCover: every right of each covered object's kind.
    "untyped": ("""\
  a: {sid: a_t, role: client, caps: [{to: u, rights: [control]}]}
  x: {sid: a_t, role: client}
regions:
  buf: {sid: a_t, map: {x: [read]}}
notifications:
  n: {sid: a_t, signal: [x], wait: [x]}
untyped:
  u: {sid: a_t, covers: [buf, n]}
""", {cap("a", "buf", "read write execute"), cap("a", "n", "signal wait")}),
    # keeps: [] leaves the root nothing to pass on.
    "root keeps nothing": ("""\
  boot: {sid: a_t, role: root, keeps: [], caps: [{to: x.cnode, rights: [control]}]}
  x: {sid: a_t, role: client}
regions:
  buf: {sid: a_t, map: {x: [read]}}
""", set()),
}


@pytest.mark.parametrize("body, gained", CASES.values(), ids=CASES.keys())
def test_the_reference_adds_exactly_the_caps_derived_by_hand(body, gained):
    system = SystemText(HEADER + body, "sid a_t;\n").load()
    assert naive.closure(system) - naive.initial(system) == gained
