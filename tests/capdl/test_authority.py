"""The authority of a spec's threads: what CSpaces, TCB slots and VSpaces give, and each rule."""

from __future__ import annotations

import pytest

from smosverify.analyses.capdl.authority import SpecCap, spec_authority
from smosverify.model.kernel import Right as R

from .conftest import ALL_CONSTRUCTS


def rights(auth, thread, obj, final=True):
    return set((auth.final if final else auth.initial)[thread].get(obj, ()))


def two_threads(a_caps: str, b_caps: str, extra_objects: str = "", extra_caps: str = "") -> str:
    """Threads a and b, each with its own CNode; the caps given go into those CNodes."""
    return f"""arch x86_64
objects {{
  a = tcb
  b = tcb
  ca = cnode (4 bits)
  cb = cnode (4 bits)
  e = ep
  n = notification
  {extra_objects}
}}
caps {{
  a {{ cspace: ca }}
  b {{ cspace: cb }}
  ca {{ {a_caps} }}
  cb {{ {b_caps} }}
  {extra_caps}
}}"""


def test_rights_each_cap_confers(spec_of):
    auth = spec_authority(spec_of(two_threads("1: e (RWGP); 2: n (RW); 3: f (RWX); 4: cb; 5: b; 6: u", "",
                                              "f = frame (4k)\n  u = ut")))
    assert rights(auth, "a", "e", final=False) == {R.RECEIVE, R.SEND, R.GRANT, R.GRANT_REPLY}
    assert rights(auth, "a", "n", final=False) == {R.WAIT, R.SIGNAL}
    assert rights(auth, "a", "f", final=False) == {R.READ, R.WRITE, R.EXECUTE}
    assert rights(auth, "a", "cb", final=False) == rights(auth, "a", "b", final=False) == {R.CONTROL}
    assert rights(auth, "a", "u", final=False) == {R.CONTROL}


def test_nested_cnodes_belong_to_the_cspace(spec_of):
    auth = spec_authority(spec_of(two_threads("1: inner", "", "inner = cnode (2 bits)\n  deeper = cnode (2 bits)",
                                              "inner { 0: deeper }\n  deeper { 3: n (R) }")))
    assert auth.cspaces["a"] == ("ca", "inner", "deeper")
    assert rights(auth, "a", "n", final=False) == {R.WAIT}
    assert auth.holdings("a", "n")[0].describe() == "deeper slot 0x3: NotificationCap to n (R)"


def test_grant_passes_caps_to_receivers(spec_of):
    auth = spec_authority(spec_of(two_threads("1: e (WG); 2: n (W)", "1: e (R)")))
    assert rights(auth, "b", "n", final=False) == set()
    assert rights(auth, "b", "n") == {R.SIGNAL}
    assert rights(auth, "b", "e") == {R.RECEIVE, R.SEND, R.GRANT}  # b receives a's cap too
    # caps stay one by one: b's own receive cap and a's send+grant cap, badges kept
    assert {c for c in auth.caps("b") if c.target == "e"} == {SpecCap("e", frozenset({R.RECEIVE}), 0),
                                                             SpecCap("e", frozenset({R.SEND, R.GRANT}), 0)}
    assert auth.explain("b", "n", R.SIGNAL) == [
        "ca slot 0x2: NotificationCap to n (W) gives signal on n",
        "ca sends caps into e (one cap to it with send+grant) [grant]",
        "cb receives caps sent into e (it holds receive on it) [grant]",
    ]
    # a's send+grant cap also lets it take caps out of replies (none come: b has no receive+grant cap)
    assert {(t.step, t.rule) for t in auth.transfers} == {("grant-in", "grant"), ("grant-out", "grant"),
                                                          ("reply-out", "reply")}


def test_granted_caps_keep_their_badge(spec_of):
    auth = spec_authority(spec_of(two_threads("1: e (WG); 2: n (W, badge: 7)", "1: e (R)")))
    assert SpecCap("n", frozenset({R.SIGNAL}), 7) in auth.caps("b")
    assert SpecCap("n", frozenset({R.SIGNAL}), 0) not in auth.caps("b")
    assert auth.explain_cap("b", SpecCap("n", frozenset({R.SIGNAL}), 7)) == [
        "ca slot 0x2: NotificationCap to n (W) badge 7 gives signal on n",
        "ca sends caps into e (one cap to it with send+grant) [grant]",
        "cb receives caps sent into e (it holds receive on it) [grant]",
    ]


def test_send_without_grant_passes_nothing(spec_of):
    auth = spec_authority(spec_of(two_threads("1: e (W); 2: n (W)", "1: e (R)")))
    assert rights(auth, "b", "n") == set()
    assert [t.step for t in auth.transfers] == ["grant-out"]  # b waits at the mailbox; nothing goes in


def test_separate_send_and_grant_caps_transfer_nothing(spec_of):
    """seL4 checks the rights of the one cap a message is sent through: send on one cap and grant
    on another do not make a grant (issue 11, class 2)."""
    auth = spec_authority(spec_of(two_threads("1: e (W); 2: e (G); 3: n (W)", "1: e (R)")))
    assert rights(auth, "a", "e") == {R.SEND, R.GRANT}  # a can exercise both rights...
    assert rights(auth, "b", "n") == set()  # ...but never through one cap
    assert "grant-in" not in {t.step for t in auth.transfers}


def test_reply_needs_the_receivers_grant(spec_of):
    with_grant = spec_authority(spec_of(two_threads("1: e (WP)", "1: e (RG); 2: n (R)")))
    assert rights(with_grant, "a", "n") == {R.WAIT}
    assert with_grant.explain("a", "n", R.WAIT)[-2:] == [
        "cb replies with caps on e (one cap to it with receive+grant) [reply]",
        "ca gets caps in replies on e (one cap to it with send and grant or grant_reply) [reply]",
    ]
    without = spec_authority(spec_of(two_threads("1: e (WP)", "1: e (R); 2: n (R)")))
    assert rights(without, "a", "n") == set()


@pytest.mark.parametrize("receiver", ["1: e (RP)", "1: e (R); 3: e (G)"])
def test_reply_without_one_receive_grant_cap_carries_nothing(spec_of, receiver):
    """The reply cap gets the receiver's grant (setupCallerCap): grant-reply on the receiver's cap,
    or grant on another of its caps, lets no cap into the reply."""
    auth = spec_authority(spec_of(two_threads("1: e (WGP)", f"{receiver}; 2: n (R)")))
    assert rights(auth, "a", "n") == set()
    assert "reply-in" not in {t.step for t in auth.transfers}


def test_cnode_cap_shares_caps_both_ways(spec_of):
    auth = spec_authority(spec_of(two_threads("1: cb; 2: n (W)", "1: e (R)")))
    assert rights(auth, "a", "e", final=False) == {R.RECEIVE}  # cb is part of a's CSpace from the start
    assert rights(auth, "b", "n") == {R.SIGNAL}  # and a can copy its caps into cb (copyIn)
    assert {(t.source, t.sink, t.rule) for t in auth.transfers} >= {("cb", "ca", "copyOut"), ("ca", "cb", "copyIn")}


def test_tcb_cap_gives_the_threads_cspace_and_vspace(spec_of):
    text = two_threads("1: b", "1: e (R)", "vb = pml4\n  p3 = pdpt\n  p2 = pd\n  p1 = pt\n  mem = frame (4k)",
                       "b { vspace: vb; ipc_buffer_slot: mem (RW); bound_notification: n (R) }\n"
                       "  vb { 0: p3 }\n  p3 { 0: p2 }\n  p2 { 0: p1 }\n  p1 { 1: mem (RW) }")
    auth = spec_authority(spec_of(text))
    assert rights(auth, "b", "mem", final=False) == {R.READ, R.WRITE}
    assert rights(auth, "a", "cb") == rights(auth, "a", "vb") == {R.CONTROL}  # tcbCNode, tcbVSpace
    assert rights(auth, "a", "e") == {R.RECEIVE}  # copyOut from b's CNode
    assert rights(auth, "a", "mem") == {R.READ, R.WRITE, R.EXECUTE}  # vspaceFrames: it can remap them
    assert rights(auth, "a", "n") == set()  # the bound notification is the thread's, not a cap in its CSpace
    assert auth.explain("a", "mem", R.READ) == [
        "ca slot 0x1: TCBCap to b gives control on b",
        "a, controlling b, gains control on vb (tcbVSpace rule)",
        "a, controlling vb, gains read+write+execute on mem (vspaceFrames rule)",
    ]


def test_page_table_cap_gives_the_frames_mapped_under_it(spec_of):
    auth = spec_authority(spec_of(two_threads("1: p2", "", "p2 = pd\n  p1 = pt\n  mem[2] = frame (4k)",
                                              "p2 { 0: p1 }\n  p1 { 0: mem[0] (R); 1: mem[1] (RWX) }")))
    assert rights(auth, "a", "mem[0]") == rights(auth, "a", "mem[1]") == {R.READ, R.WRITE, R.EXECUTE}
    assert rights(auth, "a", "p1") == set()  # the frames, not the tables below


def test_untyped_cap_controls_what_it_covers(spec_of):
    """A ut cap lets its holder revoke and retype everything made from it (issue 11, class 3):
    the covered TCB's control, and through it the thread's CSpace; nested untypeds too."""
    text = """arch x86_64
objects {
  a = tcb
  ca = cnode (4 bits)
  pool = ut (20 bits) {
    b = tcb
    inner = ut (16 bits) { e = ep  n = notification  f = frame (4k) }
  }
  cb = cnode (4 bits)
}
caps {
  a { cspace: ca }
  b { cspace: cb }
  ca { 1: pool }
  cb { 1: e (R) }
}"""
    auth = spec_authority(spec_of(text))
    assert rights(auth, "a", "b") == rights(auth, "a", "inner") == rights(auth, "a", "cb") == {R.CONTROL}
    assert rights(auth, "a", "e") == {R.SEND, R.RECEIVE, R.GRANT, R.GRANT_REPLY}
    assert rights(auth, "a", "n") == {R.SIGNAL, R.WAIT}
    assert rights(auth, "a", "f") == {R.READ, R.WRITE, R.EXECUTE}
    assert rights(auth, "b", "n") == {R.SIGNAL, R.WAIT}  # a, controlling cb, copies its caps in (copyIn)
    assert auth.explain("a", "cb", R.CONTROL) == [
        "ca slot 0x1: UntypedCap to pool gives control on pool",
        "a, controlling pool, gains control on b (untypedCover rule)",
        "a, controlling b, gains control on cb (tcbCNode rule)",
    ]


def test_what_tcb_slots_give_the_thread(spec_of):
    text = two_threads("", "", "r = rtreply\n  v = vcpu\n  s = sc",
                       "a { fault_ep_slot: e (RWG, badge: 1); bound_notification: n (RW); caller_slot: b (reply); "
                       "sc_slot: s; bound_vcpu: v }")
    initial = spec_authority(spec_of(text)).initial["a"]
    assert initial == {"e": {R.SEND}, "n": {R.WAIT}, "b": {R.SEND}, "v": {R.CONTROL}}


def test_special_caps_and_unreached_threads(spec_of):
    auth = spec_authority(spec_of(two_threads("1: irq_control; 2: sched_control (core: 0)", "")))
    assert rights(auth, "a", "irq_control") == rights(auth, "a", "sched_control") == {R.CONTROL}
    assert auth.final["b"] == {}


@pytest.mark.parametrize("arch", sorted(ALL_CONSTRUCTS))
def test_closure_contains_the_start_on_every_arch(arch):
    from smosverify.load.capdl.reader import load_capdl

    auth = spec_authority(load_capdl(ALL_CONSTRUCTS[arch]))
    for thread in auth.threads:
        for obj, held in auth.initial[thread].items():
            assert held <= auth.final[thread][obj]
