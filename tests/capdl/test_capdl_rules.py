"""The capDL closure speaks the rule table's language (smosverify/semantics/rules.py), and untyped
memory reaches `conform` and `capdl inspect` (issue 11, classes 2 and 3 on the capDL side)."""

from __future__ import annotations

import pytest

from smosverify.analyses.capdl.authority import spec_authority
from smosverify.analyses.capdl.conformance import conform_capdl
from smosverify.emit.capdl import emit_capdl
from smosverify.load.capdl.reader import load_capdl, parse_capdl
from smosverify.load.system import load_system
from smosverify.report.capdl_inspect import inspect_summary, thread_authority
from smosverify.semantics.rules import AUTHORITY_RULE

from .conftest import ALL_CONSTRUCTS, REPO

ALICE_CAP = "0x1: ep_fs (WP, badge: 1)  -- connection alice->fs"
POOL = """arch x86_64
objects {
  a = tcb
  ca = cnode (4 bits)
  pool = ut (20 bits) { b = tcb  e = ep }
  cb = cnode (4 bits)
}
caps {
  a { cspace: ca }
  b { cspace: cb }
  ca { 1: pool; 2: e (WG) }
  cb { 1: e (R) }
}"""


@pytest.mark.parametrize("text", [POOL, *(path.read_text() for path in ALL_CONSTRUCTS.values())],
                         ids=["pool", *ALL_CONSTRUCTS])
def test_transfers_and_gains_are_named_by_the_rule_table(text):
    auth = spec_authority(parse_capdl(text, "t.cdl"))
    used = {t.rule for t in auth.transfers} | {rule for gains in auth.gains.values() for rule, _ in gains}
    assert used and used <= AUTHORITY_RULE.keys()


def test_inspect_json_names_each_transfers_rule_and_step():
    spec = parse_capdl(POOL, "pool.cdl")
    summary = inspect_summary(spec, spec_authority(spec))
    assert {"from": "ca", "to": "e (grants)", "rule": "grant", "step": "grant-in", "via": "e"} in summary["transfers"]
    assert summary["untyped_covers"] == 1
    edge = next(e for e in thread_authority(spec, spec_authority(spec), "a")["authority"] if e["object"] == "b")
    assert edge["rights"] == edge["obtained"] == ["control"]  # by untypedCover


def test_inspect_of_every_construct_spec_lists_rules_by_name():
    spec = load_capdl(ALL_CONSTRUCTS["x86_64"])
    summary = inspect_summary(spec, spec_authority(spec))
    assert all(t["rule"] in AUTHORITY_RULE for t in summary["transfers"])


def test_conform_finds_authority_an_untyped_cap_gives():
    """An untyped cap to the memory bob's thread was made from gives alice control of bob: his
    TCB, and through it his CSpace and VSpace. conform names the untyped and the chain of rules."""
    pink = load_system(REPO / "examples" / "pink-file" / "system.yaml")
    text = emit_capdl(pink)
    assert ALICE_CAP in text and text.count("objects {\n") == 1
    text = text.replace("objects {\n", "objects {\n  spare = ut (20 bits) { tcb_bob }\n")
    report = conform_capdl(pink, parse_capdl(text.replace(ALICE_CAP, ALICE_CAP + "\n    0x2: spare"), "ut.cdl"))
    mapping, authority, _ = report.results
    assert [e.data["object"] for e in mapping.evidence if e.kind == "unmapped-object"] == ["spare"]
    found = {(e.data["thread"], e.data["target"]): e for e in authority.evidence}
    assert {("tcb_alice", "bob.tcb"), ("tcb_alice", "bob.cnode"), ("tcb_alice", "bob.vspace"),
            ("tcb_alice", "bob.frames")} <= found.keys()
    assert found["tcb_alice", "bob.tcb"].data["chain"] == [
        "cnode_alice slot 0x2: UntypedCap to spare gives control on spare",
        "tcb_alice, controlling spare, gains control on tcb_bob (untypedCover rule)",
    ]


def _pink_with(extra_caps: str):
    pink = load_system(REPO / "examples" / "pink-file" / "system.yaml")
    text = emit_capdl(pink)
    assert ALICE_CAP in text
    return conform_capdl(pink, parse_capdl(text.replace(ALICE_CAP, ALICE_CAP + extra_caps), "badge.cdl"))


@pytest.mark.parametrize(("cap", "badge"), [("ep_fs (WP, badge: 2)", 2), ("ep_fs (WP)", 0)])
def test_conform_finds_a_cap_with_another_clients_badge(cap, badge):
    """alice's rights on fs's endpoint are the model's (send, grant_reply), but a second cap with
    bob's badge, or an unbadged one that can be minted with any badge, lets her call fs as bob
    (issue 11, class 1): the model gives her no such cap."""
    report = _pink_with(f"\n    0x2: {cap}")
    authority = report.results[1]
    [finding] = authority.evidence
    assert finding.kind == "extra-cap"
    assert (finding.data["thread"], finding.data["target"], finding.data["rights"], finding.data["badge"]) == (
        "tcb_alice", "fs.endpoint", ["grant_reply", "send"], badge)
    assert finding.data["initial"] and finding.data["slots"][0].startswith("cnode_alice slot 0x2: EndpointCap to ep_fs")
    assert "the model's caps to it: grant_reply, send badge 1" in finding.message


def test_conform_accepts_a_second_copy_of_the_models_cap():
    assert _pink_with("\n    0x2: ep_fs (W, badge: 1)").results[1].evidence == ()
