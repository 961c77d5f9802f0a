"""One regression test per defect class of issue 11 ("Sound verdicts"). Each system is small, and
its expected verdict is derived by hand from seL4's semantics (the kernel manual, l4v's access
control and information-flow models) in the comment above it, before the tool was run on it.
Each comes with a twin that differs in the one point the class is about, so that a test cannot
pass by the tool answering the same whatever the system."""

from __future__ import annotations

import json

import pytest

from smosverify.analyses.authority.closure import authority_closure
from smosverify.analyses.check import check_system
from smosverify.analyses.result import PropertyResult, Report, Status
from smosverify.load.system import load_system
from smosverify.model.kernel import ObjectKind
from smosverify.model.system import Target
from smosverify.report.text import render_text

SIDS = """\
class file { open read write close }
sid policy_t, server_t, alice_t, mallory_t, boot_t, secret_t, buf_t, hi_t, lo_t, tr_t, evil_t, sig_t, n_t;
"""
LABELS = """\
lattice { low < high; }
label hi_t : high;
label lo_t : low;
"""

# A server with one object and the policy server it consults (classes 1, 3 and 6 add to them).
MEDIATED = """\
  fs:
    sid: server_t
    role: server
    objects:
      diary: {class: file, sid: secret_t}
  auth: {sid: policy_t, role: policy}
"""


def system_yaml(name: str, components_and_rest: str) -> str:
    return f"system: {name}\npolicy: policy.pol\ncomponents:\n{components_and_rest}"


def report_for(tmp_path, write_system, yaml_text: str, rules: str = "") -> Report:
    return check_system(load_system(write_system(tmp_path, yaml_text, SIDS + rules)))


def result(report: Report, pid: str) -> PropertyResult:
    return next(r for r in report.results if r.id == pid)


def found(res: PropertyResult) -> set[tuple[str, str | None, str | None]]:
    """(kind, holder, target) of each finding."""
    return {(e.kind, e.data.get("holder"), e.data.get("target")) for e in res.evidence}


def rights_found(res: PropertyResult) -> set[tuple[str, str, str]]:
    """(holder, target, right) of each finding, one per right (P3 names it last in its request)."""
    return {(e.data["holder"], e.data["target"], r) for e in res.evidence
            for r in e.data.get("rights") or [e.data["right"] if "right" in e.data else e.data["request"][-1]]}


# -- 1. Badges survive transfer -------------------------------------------------------------
# alice calls fs with badge 1 and holds a send cap to mallory's endpoint. With send+grant on that
# one cap, `grant` gives mallory every cap alice holds, badge included: mallory then calls fs with
# badge 1 and fs cannot tell mallory (mallory_t) from alice (alice_t): P1 is violated by exactly
# that pair on fs, and P3 by the identity mallory borrows (the policy lets alice_t, not
# mallory_t, use the diary), although every cap mallory holds is itself allowed. Without grant
# nothing moves and both hold. An unbadged cap of mallory's to fs is the same defect: it can be
# minted with alice's badge.
BADGES = system_yaml("class1", MEDIATED + """\
  alice: {sid: alice_t, role: client%s}
  mallory: {sid: mallory_t, role: client%s}
connections:
  - {from: alice, to: fs, rights: [send, grant_reply], badge: 1}
  - {from: fs, to: auth, rights: [send, grant_reply], badge: 1}
  - {from: alice, to: mallory, rights: [%s], badge: 1}
""")
BADGE_RULES = """\
allow { alice_t mallory_t } server_t : endpoint { send grant_reply };
allow server_t policy_t : endpoint { send grant_reply };
allow alice_t mallory_t : endpoint { send grant };
allow alice_t secret_t : file *;
"""
UNBADGED = ", caps: [{to: fs.endpoint, rights: [send]}]"


@pytest.mark.parametrize("mallory_caps, rights", [("", "send, grant"), (UNBADGED, "send")])
def test_a_badge_another_component_can_call_with_is_ambiguous(tmp_path, write_system, mallory_caps, rights):
    report = report_for(tmp_path, write_system, BADGES % ("", mallory_caps, rights), BADGE_RULES)
    p1, p3 = result(report, "P1"), result(report, "P3")
    assert p1.status is Status.VIOLATED
    assert [e.kind for e in p1.evidence] == ["ambiguous-badge"]
    assert p1.evidence[0].data["server"] == "fs"
    assert sorted(p1.evidence[0].data["callers"]) == ["alice", "mallory"]
    assert p3.status is Status.VIOLATED
    assert {e.data["holder"] for e in p3.evidence} == {"mallory"}
    assert not any(e.kind == "authority-not-allowed" for e in p3.evidence)


def test_without_grant_the_badge_stays_with_its_client(tmp_path, write_system):
    report = report_for(tmp_path, write_system, BADGES % ("", "", "send"), BADGE_RULES)
    assert result(report, "P1").status is Status.HOLDS
    assert result(report, "P3").status is Status.HOLDS


# -- 2. Rights are not merged per (component, object) -----------------------------------------
# s holds two caps to r's endpoint, one with send and one with grant. seL4 transfers caps only
# through one cap with both (transferCaps looks at the rights of the cap invoked), so r gains
# nothing: P3 holds. With the two rights on one cap, r gains s's read cap to buf, which r's sid
# (server_t) may not hold: P3 violated by exactly (r, buf, read). r then holds {receive} and
# {send, grant} to its own endpoint as two caps, so its replies still carry no caps.
MERGE = system_yaml("class2", """\
  s:
    sid: alice_t
    role: client
    caps: [{to: r.endpoint, rights: [grant]}]
  r: {sid: server_t, role: server}
connections:
  - {from: s, to: r, rights: [%s], badge: 1}
regions:
  buf: {sid: secret_t, map: {s: [read]}}
""")
MERGE_RULES = """\
allow alice_t server_t : endpoint { send grant };
allow alice_t secret_t : memory read;
"""
BUF = Target(ObjectKind.REGION, "buf")


def test_send_and_grant_on_two_caps_transfer_nothing(tmp_path, write_system):
    system = load_system(write_system(tmp_path, MERGE % "send", SIDS + MERGE_RULES))
    assert not [cap for cap in authority_closure(system).caps() if cap[0] == "r" and cap[1] == BUF]
    report = check_system(system)
    assert result(report, "P3").status is Status.HOLDS


def test_send_and_grant_on_two_caps_pass_no_badge_on(tmp_path, write_system):
    """Class 1's system where alice's send and grant to mallory's endpoint are two caps: mallory
    gains nothing, so it cannot call fs with alice's badge; P1 and P3 hold."""
    grant_alone = ", caps: [{to: mallory.endpoint, rights: [grant]}]"
    report = report_for(tmp_path, write_system, BADGES % (grant_alone, "", "send"), BADGE_RULES)
    assert result(report, "P1").status is Status.HOLDS
    assert result(report, "P3").status is Status.HOLDS


def test_send_and_grant_on_one_cap_transfer(tmp_path, write_system):
    report = report_for(tmp_path, write_system, MERGE % "send, grant", MERGE_RULES)
    p3 = result(report, "P3")
    assert p3.status is Status.VIOLATED
    assert rights_found(p3) == {("r", "buf", "read")}


# -- 3. Untyped memory --------------------------------------------------------------------------
# alice holds control of the untyped `mem`. When mem covers fs's TCB, `untypedCover` gives alice
# every right on fs.tcb; `tcbCNode`/`tcbVSpace` give control of fs.cnode and fs.vspace,
# `vspaceFrames` fs.frames, and `copyOut` every cap fs holds: its receive on fs.endpoint and its
# badge-1 send cap to auth. P1 is violated by these bypasses of fs (and maybe by alice calling
# auth with fs's badge, which is not what this class is about). When mem covers nothing, alice
# gains nothing and P1 holds.
UNTYPED = system_yaml("class3", MEDIATED + """\
  alice: {sid: alice_t, role: client, caps: [{to: mem, rights: [control]}]}
connections:
  - {from: alice, to: fs, rights: [send, grant_reply], badge: 1}
  - {from: fs, to: auth, rights: [send, grant_reply], badge: 1}
untyped:
  mem: {sid: secret_t, covers: [%s]}
""")


def test_an_untyped_cap_controls_what_was_made_from_it(tmp_path, write_system):
    p1 = result(report_for(tmp_path, write_system, UNTYPED % "fs.tcb"), "P1")
    assert p1.status is Status.VIOLATED
    assert found(p1) - {("ambiguous-badge", None, None)} == {
        ("backing-resource-reachable", "alice", "fs.tcb"),
        ("backing-resource-reachable", "alice", "fs.cnode"),
        ("backing-resource-reachable", "alice", "fs.vspace"),
        ("backing-resource-reachable", "alice", "fs.frames"),
        ("requests-interceptable", "alice", "fs.endpoint"),
    }


def test_an_untyped_that_covers_nothing_gives_nothing(tmp_path, write_system):
    assert result(report_for(tmp_path, write_system, UNTYPED % ""), "P1").status is Status.HOLDS


# -- 4. Receiving affects the object --------------------------------------------------------------
# hi (high) and lo (low) both wait on bell. Whoever waits first consumes the signal the other
# would have seen, so hi affects what lo observes (l4v: Receive is an affecting right): a flow
# high -> low the lattice forbids, P5 violated from hi to lo. Two low waiters: P5 holds.
WAITERS = system_yaml("class4", """\
  sig: {sid: sig_t, role: client}
  hi: {sid: hi_t, role: client}
  lo: {sid: lo_t, role: client}
  lo2: {sid: lo_t, role: client}
notifications:
  bell: {sid: n_t, signal: [sig], wait: [%s]}
""")


def test_two_waiters_on_one_notification_flow_to_each_other(tmp_path, write_system):
    p5 = result(report_for(tmp_path, write_system, WAITERS % "hi, lo", LABELS), "P5")
    assert p5.status is Status.VIOLATED
    flows = [e.data for e in p5.evidence if e.kind == "forbidden-flow"]
    assert [(f["source"], f["sink"], f["source_label"], f["sink_label"]) for f in flows] == [("hi", "lo", "high", "low")]


def test_waiters_of_one_label_are_allowed(tmp_path, write_system):
    assert result(report_for(tmp_path, write_system, WAITERS % "lo, lo2", LABELS), "P5").status is Status.HOLDS


# -- 5. Trusted components are protected ------------------------------------------------------
# tr is trusted to release high to low; hi calls tr, tr calls lo. When evil controls tr's VSpace
# (and so, by `vspaceFrames`, its frames) the trust is void: P2 is violated naming tr, by evil's
# control of tr.vspace and read/write/execute of tr.frames; P5 does not rely on tr, so
# hi -> tr -> lo is an ordinary high -> low leak, and P5 says why tr is not trusted. Without
# evil's cap both hold and P5 relies on tr.
TRUSTED = system_yaml("class5", """\
  hi: {sid: hi_t, role: client}
  tr: {sid: tr_t, role: server}
  lo: {sid: lo_t, role: server}
  evil: {sid: evil_t, role: client%s}
connections:
  - {from: hi, to: tr, rights: [send]}
  - {from: tr, to: lo, rights: [send]}
""")
TRUST = LABELS + "trusted tr_t for high -> low;\n"


def test_a_trusted_component_someone_else_controls_is_not_relied_on(tmp_path, write_system):
    report = report_for(tmp_path, write_system, TRUSTED % ", caps: [{to: tr.vspace, rights: [control]}]", TRUST)
    p2, p5 = result(report, "P2"), result(report, "P5")
    assert p2.status is Status.VIOLATED
    assert rights_found(p2) == {("evil", "tr.vspace", "control"), ("evil", "tr.frames", "read"),
                                ("evil", "tr.frames", "write"), ("evil", "tr.frames", "execute")}
    assert {e.data.get("protected") for e in p2.evidence} == {"tr"}
    assert p5.status is Status.VIOLATED
    assert not [e for e in p5.evidence if e.kind == "trust-assumption"]
    flows = [e.data for e in p5.evidence if e.kind == "forbidden-flow"]
    assert [(f["source"], f["sink"]) for f in flows] == [("hi", "lo")]
    said = p5.message + " ".join(e.message for e in p5.evidence)
    assert "tr" in said and "tamper" in said


def test_a_tamper_proof_trusted_component_is_relied_on(tmp_path, write_system):
    report = report_for(tmp_path, write_system, TRUSTED % "", TRUST)
    assert result(report, "P2").status is Status.HOLDS
    p5 = result(report, "P5")
    assert p5.status is Status.HOLDS
    assert [e.data["component"] for e in p5.evidence if e.kind == "trust-assumption"] == ["tr"]


# -- 6. The root task counts like anyone --------------------------------------------------------
# boot (role root) holds control of auth's CNode. Unless it deletes that cap at hand-over, it can
# take auth's caps (`copyOut`: receive on auth.endpoint) and P2 is violated by exactly
# (boot, auth.cnode, control) and (boot, auth.endpoint, receive). `keeps: []` says it deletes
# every cap: P2 holds.
ROOT = system_yaml("class6", MEDIATED + """\
  boot:
    sid: boot_t
    role: root
    caps: [{to: auth.cnode, rights: [control]}]
%s
connections:
  - {from: fs, to: auth, rights: [send, grant_reply], badge: 1}
""")


@pytest.mark.parametrize("keeps", ["", "    keeps: [auth.cnode]"])
def test_a_root_that_keeps_a_cap_to_the_policy_server_can_tamper(tmp_path, write_system, keeps):
    p2 = result(report_for(tmp_path, write_system, ROOT % keeps), "P2")
    assert p2.status is Status.VIOLATED
    assert rights_found(p2) == {("boot", "auth.cnode", "control"), ("boot", "auth.endpoint", "receive")}


def test_a_root_that_keeps_nothing_cannot(tmp_path, write_system):
    assert result(report_for(tmp_path, write_system, ROOT % "    keeps: []"), "P2").status is Status.HOLDS


# -- 7. A mapping without read carries nothing ---------------------------------------------------
# seL4 maps a frame cap without read as kernel-only (x86, ARM) or not at all (RISC-V), so hi
# with write (or write and execute) on buf cannot put anything there for lo to read: P5 holds.
# With read and write, hi -> buf -> lo is a high -> low flow: P5 violated.
REGION = system_yaml("class7", """\
  hi: {sid: hi_t, role: client}
  lo: {sid: lo_t, role: client}
regions:
  buf: {sid: buf_t, map: {hi: [%s], lo: [read]}}
""")


@pytest.mark.parametrize("rights, status", [("write", Status.HOLDS), ("write, execute", Status.HOLDS),
                                            ("execute", Status.HOLDS), ("read, write", Status.VIOLATED)])
def test_only_a_readable_mapping_carries_information(tmp_path, write_system, rights, status):
    assert result(report_for(tmp_path, write_system, REGION % rights, LABELS), "P5").status is status


# -- 8. Nothing is claimed that was not checked --------------------------------------------------
# No component implements objects: P1 has nothing to mediate and is not applicable, not "holds".
# Every other property holds or is not applicable, so the run exits 0, and its summary does not
# say that all properties hold. A report with a skipped property must exit 1.
NO_OBJECTS = system_yaml("class8", """\
  client: {sid: alice_t, role: client}
  server: {sid: server_t, role: server}
connections:
  - {from: client, to: server, rights: [send]}
""")


def test_p1_without_objects_is_not_applicable(tmp_path, write_system, run_cli):
    path = write_system(tmp_path, NO_OBJECTS, SIDS + "allow alice_t server_t : endpoint send;\n")
    assert result(check_system(load_system(path)), "P1").status is Status.NOT_APPLICABLE
    done = run_cli("check", path, "--lean", "off", "--format", "json")
    assert done.exit_code == 0, done.output
    statuses = {p["id"]: p["status"] for p in json.loads(done.stdout)["properties"]}
    assert statuses["P1"] == "not_applicable"
    text = run_cli("check", path, "--lean", "off")
    assert text.exit_code == 0
    assert "all properties hold" not in text.stdout.splitlines()[0]


def test_a_skipped_property_fails_the_run():
    report = Report("skipped", ("system.yaml",), (
        PropertyResult("P1", "complete mediation", Status.HOLDS, "checked"),
        PropertyResult("P6", "leakage bound", Status.SKIPPED, "not checked"),
    ))
    assert report.exit_code() == 1
    assert "hold" not in render_text(report).splitlines()[0]
