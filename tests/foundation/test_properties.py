"""P1-P4 on small systems: each holds on a sound system, and each kind of violation is found with
its evidence (kind, message, spans, chain)."""

from __future__ import annotations

import pytest

from smosverify.analyses.check import check_system
from smosverify.analyses.policy.sanity import decision_table, overlap
from smosverify.analyses.result import Status
from smosverify.load.system import load_system
from smosverify.model.policy import RuleKind


def results(path):
    return {r.id: r for r in check_system(load_system(path)).results}


def kinds(result) -> list[str]:
    return [e.kind for e in result.evidence]


def line_of(text: str, start: str) -> int:
    """The number of the first line of `text` that starts with `start`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


@pytest.fixture
def check(tmp_path, write_system, small_yaml, small_policy):
    """check(yaml_extra="", policy_extra="", yaml=None): results of the small system, edited."""

    def run(yaml_extra: str = "", policy_extra: str = "", yaml: str | None = None, policy: str | None = None):
        text = (small_yaml if yaml is None else yaml) + yaml_extra
        return results(write_system(tmp_path, text, (small_policy if policy is None else policy) + policy_extra))

    return run


def with_caps(yaml: str, component: str, caps: str) -> str:
    """Give a component of the small system a `caps:` list."""
    line = {"alice": "  alice: {sid: alice_t, role: client}", "bob": "  bob: {sid: bob_t, role: client}"}[component]
    return yaml.replace(line, line[:-1] + f", caps: [{caps}]}}")


def test_small_system_holds(check):
    got = check()
    for pid in ("P1", "P2", "P3", "P4"):
        assert got[pid].status is Status.HOLDS, (pid, got[pid].message, got[pid].evidence)
        assert got[pid].evidence == ()
    assert "2 object(s) of 1 server(s)" in got["P1"].message


# -- P1 complete mediation ----------------------------------------------------------------------

def test_p1_no_policy_server(check, small_yaml):
    yaml = small_yaml.replace("  auth: {sid: policy_t, role: policy}\n", "").replace(
        "  - {from: fs, to: auth, rights: [send, grant_reply], badge: 1}\n", "")
    got = check(yaml=yaml)
    assert got["P1"].status is Status.VIOLATED
    assert kinds(got["P1"]) == ["no-policy-server"]
    assert got["P2"].status is Status.NOT_APPLICABLE  # nothing the verdict relies on to protect


def test_p1_server_that_does_not_consult_the_policy_server(check, small_yaml):
    yaml = small_yaml.replace("  auth:", "  db:\n    sid: server_t\n    role: server\n"
                                         "    objects: {table: {class: file, sid: public_t}}\n  auth:")
    got = check(yaml=yaml)
    assert got["P1"].status is Status.VIOLATED
    (ev,) = got["P1"].evidence
    assert ev.kind == "server-not-mediated" and ev.data["server"] == "db" and ev.data["objects"] == ["table"]
    assert "db" in ev.message and "no send cap to a policy server" in ev.message
    assert ev.spans[0].line == yaml.splitlines().index("  db:") + 1


def test_p1_cap_to_a_servers_frames(check, small_yaml):
    got = check(yaml=with_caps(small_yaml, "bob", "{to: fs.frames, rights: [read]}"))
    assert got["P1"].status is Status.VIOLATED
    (ev,) = got["P1"].evidence
    assert ev.kind == "backing-resource-reachable"
    assert (ev.data["holder"], ev.data["target"], ev.data["rights"]) == ("bob", "fs.frames", ["read"])
    assert "bypassing fs" in ev.message
    assert ev.data["chain"] and "from the start" in ev.data["chain"][0]
    assert [s.line for s in ev.spans] == [line_of(small_yaml, "  bob:"), line_of(small_yaml, "  fs:")]
    assert got["P3"].status is Status.VIOLATED  # the policy does not allow that cap either


@pytest.mark.parametrize("kernel_object", ["tcb", "cnode", "vspace"])
def test_p1_control_of_a_servers_kernel_objects(check, small_yaml, kernel_object):
    got = check(yaml=with_caps(small_yaml, "bob", f"{{to: fs.{kernel_object}, rights: [control]}}"))
    assert got["P1"].status is Status.VIOLATED
    targets = {e.data["target"] for e in got["P1"].evidence if e.kind == "backing-resource-reachable"}
    assert f"fs.{kernel_object}" in targets
    if kernel_object != "cnode":
        assert "fs.frames" in targets  # tcb -> vspace -> frames


def test_p1_requests_interceptable(check, small_yaml):
    got = check(yaml=with_caps(small_yaml, "bob", "{to: fs.endpoint, rights: [receive]}"))
    assert got["P1"].status is Status.VIOLATED
    (ev,) = [e for e in got["P1"].evidence if e.kind == "requests-interceptable"]
    assert ev.data["holder"] == "bob" and ev.data["target"] == "fs.endpoint" and ev.data["rights"] == ["receive"]
    assert "answer requests meant for fs" in ev.message


@pytest.mark.parametrize("keeps, status", [
    ("", Status.VIOLATED),  # root keeps every cap it was given: they count like anyone's
    (", keeps: [fs.frames]", Status.VIOLATED),
    (", keeps: []", Status.HOLDS),  # root deletes its caps at hand-over
    (", keeps: [auth.endpoint]", Status.HOLDS),
])
def test_p1_root_is_not_exempt_unless_it_gives_up_its_caps(check, small_yaml, keeps, status):
    boot = "  boot: {sid: root_t, role: root, caps: [{to: fs.frames, rights: [read, write]}]%s}\n  auth:" % keeps
    got = check(yaml=small_yaml.replace("  auth:", boot), policy_extra="allow root_t server_t : memory { read write };\n")
    assert got["P1"].status is status
    if status is Status.VIOLATED:
        (ev,) = got["P1"].evidence
        assert ev.kind == "backing-resource-reachable" and ev.data["holder"] == "boot"


def test_p1_ambiguous_badges(check, small_yaml):
    yaml = small_yaml.replace("{from: bob, to: fs, rights: [send, grant_reply], badge: 2}",
                              "{from: bob, to: fs, rights: [send, grant_reply], badge: 1}")
    got = check(yaml=yaml)
    assert got["P1"].status is Status.VIOLATED
    (ev,) = got["P1"].evidence
    assert ev.kind == "ambiguous-badge"
    assert (ev.data["server"], ev.data["badge"], ev.data["callers"]) == ("fs", 1, ["alice", "bob"])
    assert [s.line for s in ev.spans] == [line_of(yaml, "  - {from: alice"), line_of(yaml, "  - {from: bob")]


def test_p1_shared_badge_within_one_sid_is_fine(check, small_yaml):
    yaml = small_yaml.replace("  bob: {sid: bob_t, role: client}", "  bob: {sid: alice_t, role: client}").replace(
        "badge: 2}", "badge: 1}")
    assert check(yaml=yaml)["P1"].status is Status.HOLDS


# -- P2 tamper-proofness ------------------------------------------------------------------------

@pytest.mark.parametrize("target, right", [
    ("auth.tcb", "control"), ("auth.cnode", "control"), ("auth.vspace", "control"),
    ("auth.frames", "read"), ("auth.frames", "write"), ("auth.endpoint", "receive"),
])
def test_p2_caps_to_the_policy_server(check, small_yaml, target, right):
    got = check(yaml=with_caps(small_yaml, "bob", f"{{to: {target}, rights: [{right}]}}"))
    assert got["P2"].status is Status.VIOLATED
    found = {(e.data["target"], e.data["right"]) for e in got["P2"].evidence}
    assert (target, right) in found
    assert all(e.kind == "policy-server-reachable" and e.data["holder"] == "bob" for e in got["P2"].evidence)
    ev = next(e for e in got["P2"].evidence if e.data["target"] == target)
    assert [s.line for s in ev.spans] == [line_of(small_yaml, "  bob:"), line_of(small_yaml, "  auth:")]


def test_p2_send_to_the_policy_server_is_not_tampering(check):
    got = check()
    assert got["P2"].status is Status.HOLDS
    assert "auth" in got["P2"].message


def test_p2_grant_path_to_the_policy_servers_cnode(check, small_yaml):
    yaml = small_yaml.replace(
        "  auth:", "  boot: {sid: root_t, role: root, caps: [{to: auth.cnode, rights: [control]}]}\n"
                   "  logger: {sid: public_t, role: server}\n  auth:"
    ) + "  - {from: boot, to: logger, rights: [send, grant]}\n"
    got = check(yaml=yaml)
    assert got["P2"].status is Status.VIOLATED
    holders = {e.data["holder"] for e in got["P2"].evidence}
    assert holders == {"boot", "logger"}  # root keeps its caps (no `keeps`), so they count like anyone's
    ev = next(e for e in got["P2"].evidence if e.data["target"] == "auth.cnode" and e.data["holder"] == "logger")
    chain = ev.data["chain"]
    assert chain[0].startswith("boot holds control on auth.cnode from the start")
    assert any("logger.endpoint" in step and "send+grant" in step for step in chain)


def test_p2_certificate_is_the_closure(check):
    p2 = check()["P2"]
    assert p2.certificate is not None and "auth" in p2.certificate.final


# -- P3 authority conformance -------------------------------------------------------------------

def test_p3_connection_the_policy_does_not_allow(check, small_yaml, small_policy):
    policy = small_policy.replace("allow { alice_t bob_t } server_t", "allow alice_t server_t")
    got = check(policy=policy)
    assert got["P3"].status is Status.VIOLATED
    found = {tuple(e.data["request"]) for e in got["P3"].evidence}
    assert found == {("bob_t", "server_t", "endpoint", "send"), ("bob_t", "server_t", "endpoint", "grant_reply")}
    ev = got["P3"].evidence[0]
    assert ev.kind == "authority-not-allowed" and ev.data["initial"] is True
    assert "allow bob_t server_t : endpoint" in ev.message
    assert [s.line for s in ev.spans] == [line_of(small_yaml, "  bob:"), line_of(small_yaml, "  fs:")]


def test_p3_deny_overrides_allow(check):
    got = check(policy_extra="deny bob_t server_t : endpoint grant_reply;\n")
    assert got["P3"].status is Status.VIOLATED
    assert [tuple(e.data["request"]) for e in got["P3"].evidence] == [("bob_t", "server_t", "endpoint", "grant_reply")]


def test_p3_authority_obtained_later_is_checked(check, small_yaml, small_policy):
    yaml = small_yaml.replace("{from: alice, to: fs, rights: [send, grant_reply], badge: 1}",
                              "{from: alice, to: fs, rights: [send, grant], badge: 1}") + (
        "regions:\n  buf: {sid: public_t, map: {alice: [read]}}\n")
    policy = small_policy.replace("endpoint { send grant_reply };\nallow server_t",
                                  "endpoint { send grant grant_reply };\nallow server_t") + (
        "allow alice_t public_t : memory read;\n")
    got = check(yaml=yaml, policy=policy)
    assert got["P3"].status is Status.VIOLATED
    obtained = {e.data["holder"]: e for e in got["P3"].evidence if e.data["target"] == "buf"}
    # fs receives alice's cap (send+grant on fs.endpoint), but its own receive cap still has no grant:
    # seL4 gives the reply cap the grant right of the ONE cap fs receives on, so replies carry nothing to bob
    assert set(obtained) == {"fs"}
    assert obtained["fs"].data["initial"] is False and "can obtain read on buf" in obtained["fs"].message
    assert any("send+grant" in step for step in obtained["fs"].data["chain"])


def test_p3_own_kernel_objects_are_intrinsic(check, small_yaml):
    got = check(yaml=with_caps(small_yaml, "alice", "{to: alice.tcb, rights: [control]}"))
    assert got["P3"].status is Status.HOLDS


def test_p3_counts_checked_edges(check):
    # alice, bob and fs each hold send and grant_reply on an endpoint; fs's own receive is intrinsic
    assert check()["P3"].message.startswith("all 6 authority edge(s)")


# -- P4 decision correctness and policy sanity ---------------------------------------------------

def test_p4_decisions_are_the_policys(tmp_path, write_system, small_yaml, small_policy):
    system = load_system(write_system(tmp_path, small_yaml, small_policy))
    table = decision_table(system)
    assert table[("alice_t", "secret_t", "file", "write")] is True
    assert table[("bob_t", "secret_t", "file", "read")] is False
    assert table[("bob_t", "public_t", "file", "read")] is True
    assert table[("bob_t", "public_t", "file", "write")] is False
    assert len(table) == 2 * 2 * 4  # two client sids x two object sids x four file operations
    assert all(system.policy.allows(*k) == v for k, v in table.items())
    p4 = results(write_system(tmp_path, small_yaml, small_policy))["P4"]
    assert p4.certificate == table
    assert "16 mediated request(s) decided: 10 permitted, 6 denied" in p4.message


def test_p4_allow_cancelled_by_deny(check):
    got = check(policy_extra="allow bob_t public_t : file write;\ndeny bob_t public_t : file write;\n")
    assert got["P4"].status is Status.VIOLATED
    (ev,) = got["P4"].evidence
    assert ev.kind == "allow-deny-conflict"
    assert ev.data["allow"] == "allow bob_t public_t : file write;"
    assert ev.data["denies"] == ["deny bob_t public_t : file write;"]
    assert ev.data["example"] == ["bob_t", "public_t", "file", "write"]
    assert [s.line for s in ev.spans] == [8, 9]


def test_p4_allow_cancelled_by_several_denies(check):
    got = check(policy_extra="allow bob_t public_t : file { write close };\n"
                             "deny bob_t public_t : file write;\ndeny bob_t * : file close;\n")
    (ev,) = got["P4"].evidence
    assert ev.kind == "allow-deny-conflict" and len(ev.data["denies"]) == 2


def test_p4_partial_deny_is_not_a_conflict(check):
    got = check(policy_extra="deny bob_t public_t : file read;\n")
    assert got["P4"].status is Status.HOLDS


def test_p4_neverallow_with_attributes_expanded(check):
    got = check(policy_extra="attribute readers = { alice_t bob_t };\nallow readers secret_t : file read;\n"
                             "neverallow ~alice_t secret_t : file *;\n")
    assert got["P4"].status is Status.VIOLATED
    (ev,) = got["P4"].evidence
    assert ev.kind == "neverallow-violated"
    assert ev.data["witnesses"] == [["bob_t", "secret_t", "file", "read"]]
    assert ev.data["allow"] == "allow readers secret_t : file read;"
    assert ev.data["neverallow"] == "neverallow ~alice_t secret_t : file *;"
    assert "bob_t secret_t : file read" in ev.message
    assert [s.line for s in ev.spans] == [9, 10]


def test_p4_neverallow_through_an_attribute_on_the_object_side(check):
    got = check(policy_extra="attribute files = { secret_t public_t };\nneverallow bob_t files : file write;\n"
                             "allow bob_t public_t : file write;\n")
    (ev,) = got["P4"].evidence
    assert ev.kind == "neverallow-violated" and ev.data["witnesses"] == [["bob_t", "public_t", "file", "write"]]


def test_p4_neverallow_respected_when_denied(check):
    got = check(policy_extra="allow bob_t secret_t : file read;\ndeny bob_t secret_t : file read;\n"
                             "neverallow bob_t secret_t : file *;\n")
    assert kinds(got["P4"]) == ["allow-deny-conflict"]  # the allow is dead, but the neverallow holds


def test_p4_neverallow_witnesses_are_bounded(check):
    got = check(policy_extra="allow * * : file *;\nneverallow * * : file *;\n")
    ev = next(e for e in got["P4"].evidence if e.kind == "neverallow-violated")
    assert len(ev.data["witnesses"]) == 5


def test_p4_self_rules(check):
    got = check(policy_extra="allow { alice_t bob_t } self : socket send;\nneverallow bob_t self : socket *;\n")
    (ev,) = got["P4"].evidence
    assert ev.kind == "neverallow-violated" and ev.data["witnesses"] == [["bob_t", "bob_t", "socket", "send"]]


def test_p4_self_against_explicit_sids(check):
    got = check(policy_extra="allow { alice_t bob_t } self : socket send;\nneverallow alice_t alice_t : socket send;\n")
    assert got["P4"].evidence[0].data["witnesses"] == [["alice_t", "alice_t", "socket", "send"]]
    got = check(policy_extra="allow { alice_t bob_t } self : socket send;\nneverallow alice_t bob_t : socket send;\n")
    assert got["P4"].status is Status.HOLDS  # self covers (alice_t, alice_t) only


def test_p4_deny_self_cancels_allow_self(check):
    got = check(policy_extra="allow bob_t self : socket recv;\ndeny bob_t self : socket *;\n")
    assert kinds(got["P4"]) == ["allow-deny-conflict"]


def test_overlap_of_rules(tmp_path, write_system, small_yaml, small_policy):
    policy = small_policy + "allow { alice_t bob_t } { alice_t secret_t } : file { read write };\n" \
                            "neverallow bob_t self : file *;\nneverallow * secret_t : file write;\n"
    rules = load_system(write_system(tmp_path, small_yaml, policy)).policy.rules
    allow, never_self, never_write = rules[-3:]
    assert allow.kind is RuleKind.ALLOW and never_self.self_target
    assert list(overlap(allow, never_self)) == []  # bob_t is not in allow's objects
    assert list(overlap(allow, never_write)) == [("alice_t", "secret_t", "file", "write"), ("bob_t", "secret_t", "file", "write")]
