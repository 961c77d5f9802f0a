"""`emit lean` carries caps one by one, badges and untyped included, and the Python mirror of the
Lean checkers (lean_check, itself tested against Lean in test_mirror_against_lean.py) applies
KStep's rules to single caps. Expected caps are derived by hand from the rules (docs/authority-rules.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from smosverify.emit import lean_check
from smosverify.emit.lean import lean_module, write_lean_module
from smosverify.load.system import load_system

REPO = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("lean_library_tests", REPO / "tests" / "test_lean_library.py")
LIBRARY_TESTS = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(LIBRARY_TESTS)

POLICY = "sid server_t, alice_t, mallory_t, secret_t;\n"
SYSTEM = """\
system: caps
policy: policy.pol
components:
  fs: {sid: server_t, role: server}
  alice: {sid: alice_t, role: client%s}
  mallory: {sid: mallory_t, role: server}
connections:
  - {from: alice, to: fs, rights: [send], badge: 7}
  - {from: alice, to: mallory, rights: [%s]}
"""
# fs = comp0, alice = comp1, mallory = comp2 (declaration order); sids likewise 0..3.
FS, ALICE, MALLORY = (0, 0, "server", False), (1, 1, "client", False), (2, 2, "server", False)
FS_EP, MALLORY_EP = ("own", FS, "endpoint"), ("own", MALLORY, "endpoint")


def emit(tmp_path, write_system, extra_caps: str, rights: str, untyped: str = ""):
    module = lean_module(load_system(write_system(tmp_path, SYSTEM % (extra_caps, rights) + untyped, POLICY)))
    return module, module.data["system"], module.data["certificate"]


def test_one_cap_with_send_and_grant_passes_every_cap_badge_included(tmp_path, write_system):
    # grant: alice's one cap to mallory's endpoint has send and grant, mallory receives on it, so
    # mallory gains both of alice's caps as they are: fs's endpoint with badge 7, and its own
    # endpoint with the connection's default badge (the smallest free one: 1).
    _, sys, cert = emit(tmp_path, write_system, "", "send, grant")
    assert (ALICE, FS_EP, ("send",), 7) in sys["caps"]
    assert {c for c in cert["caps"] if c[0] == MALLORY} == {
        (MALLORY, MALLORY_EP, ("receive",), 0),
        (MALLORY, FS_EP, ("send",), 7),
        (MALLORY, MALLORY_EP, ("send", "grant"), 1),
    }
    assert lean_check.kernel_closed(sys, cert) == []
    without = dict(cert, caps=[c for c in cert["caps"] if c != (MALLORY, FS_EP, ("send",), 7)])
    assert lean_check.kernel_closed(sys, without)


def test_send_and_grant_on_two_caps_pass_nothing(tmp_path, write_system):
    # The same rights on two caps: seL4 checks the one cap a send goes through, so no grant.
    module, sys, cert = emit(tmp_path, write_system, ", caps: [{to: mallory.endpoint, rights: [grant]}]", "send")
    assert {c for c in cert["caps"] if c[0] == MALLORY} == {(MALLORY, MALLORY_EP, ("receive",), 0)}
    assert lean_check.kernel_closed(sys, cert) == []
    assert "⟨comp1, .own comp2 .endpoint, [.send], 1⟩" in module.text
    assert "⟨comp1, .own comp2 .endpoint, [.grant], 0⟩" in module.text


@pytest.mark.parametrize("dropped", [
    (ALICE, ("own", FS, "frames"), ("read", "write", "execute"), 0),  # vspaceFrames
    (ALICE, FS_EP, ("receive",), 0),  # copyOut of fs's cap
])
def test_untyped_control_covers_what_was_made_from_it(tmp_path, write_system, dropped):
    # untypedCover: control of mem, which covers fs.tcb, gives control of fs.tcb; then tcbCNode,
    # tcbVSpace, vspaceFrames and copyOut (fs's receive cap) follow.
    untyped = "untyped:\n  mem: {sid: secret_t, covers: [fs.tcb]}\n"
    module, sys, cert = emit(tmp_path, write_system, ", caps: [{to: mem, rights: [control]}]", "send", untyped)
    mem = ("chan", "untyped", 0, 3)
    assert sys["covers"] == [(mem, ("own", FS, "tcb"))]
    assert (ALICE, mem, ("control",), 0) in sys["caps"]
    assert {c for c in cert["caps"] if c[0] == ALICE and c[1][0] == "own" and c[1][1] == FS} == {
        (ALICE, ("own", FS, "tcb"), ("control",), 0),
        (ALICE, ("own", FS, "cnode"), ("control",), 0),
        (ALICE, ("own", FS, "vspace"), ("control",), 0),
        (ALICE, ("own", FS, "frames"), ("read", "write", "execute"), 0),
        (ALICE, FS_EP, ("receive",), 0),
        (ALICE, FS_EP, ("send",), 7),  # its connection
    }
    assert lean_check.kernel_closed(sys, cert) == []
    assert lean_check.kernel_closed(sys, dict(cert, caps=[c for c in cert["caps"] if c != dropped]))
    path = write_lean_module(module, tmp_path / "out")
    assert LIBRARY_TESTS.read_instance(path)["system"]["covers"] == sys["covers"]
    assert "covers := [\n    (.chan .untyped 0 3, .own comp0 .tcb)]" in module.text
