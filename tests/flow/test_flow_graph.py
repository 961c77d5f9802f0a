"""The flow graph (smosverify/analyses/flow/graph.py): one small system per rule of
docs/flow-and-leakage.md, each edge checked with its channel kind and capacity."""

from __future__ import annotations

import pytest

from smosverify.analyses.flow.graph import ENDPOINT_BITS, PAGE_BITS, operation_directions
from smosverify.errors import InputError
from smosverify.load.system import load_system

from .util import build, edges, pairs, server_system, write

CALL = """\
components:
  auth: {sid: policy_t, role: policy}
  fs: {sid: server_t, role: server}
  alice: {sid: alice_t, role: client}
connections:
  - {from: alice, to: fs, rights: RIGHTS}
  - {from: fs, to: auth, rights: [send, grant_reply]}
"""


@pytest.mark.parametrize("rights, back", [
    ("[send, grant_reply]", ("fs", "alice", "endpoint", ENDPOINT_BITS)),
    ("[send, grant]", ("fs", "alice", "endpoint", ENDPOINT_BITS)),
    ("[send]", ("fs", "alice", "endpoint", 1)),  # a blocking send: synchronisation only
])
def test_endpoint_request_and_the_way_back(tmp_path, rights, back):
    _, _, graph = build(tmp_path, CALL.replace("RIGHTS", rights))
    got = edges(graph)
    assert ("alice", "fs", "endpoint", ENDPOINT_BITS) in got
    assert back in got
    cause = next(e.cause for e in graph.edges if graph.nodes[e.source].name == "fs" and graph.nodes[e.sink].name == "alice")
    assert ("took the message" in cause) == (rights == "[send]")


def test_the_policy_server_answers_with_one_bit_decisions(tmp_path):
    _, _, graph = build(tmp_path, CALL.replace("RIGHTS", "[send, grant_reply]"))
    assert ("auth", "fs", "decision", 1) in edges(graph)
    assert ("fs", "auth", "endpoint", ENDPOINT_BITS) in edges(graph)
    _, _, graph = build(tmp_path, CALL.replace("RIGHTS", "[send, grant_reply]"), "capacity decision 3 bits;\n")
    assert ("auth", "fs", "decision", 3) in edges(graph)


def test_a_declared_connection_capacity_bounds_the_way_back_only(tmp_path):
    text = CALL.replace("rights: RIGHTS}", "rights: [send, grant_reply], capacity: 5}")
    got = edges(build(tmp_path, text, "capacity endpoint 100 bits;\n")[2])
    assert ("fs", "alice", "endpoint", 5) in got
    assert ("alice", "fs", "endpoint", 100) in got


REGION = """\
components:
  a: {sid: alice_t, role: client}
  b: {sid: bob_t, role: client}
  c: {sid: carol_t, role: client}
  d: {sid: carol_t, role: client}
  e: {sid: carol_t, role: client}
regions:
  buf: {sid: buf_t, size: 8192, map: {a: [read, write], b: [read], c: [read, execute], d: [write], e: [execute]}CAP}
"""


def test_region_writers_flow_in_and_readers_out(tmp_path):
    system, _, graph = build(tmp_path, REGION.replace("CAP", ""))
    # a frame cap without read gives no user mapping (seL4 maps it kernel-only), so d and e get nothing
    assert pairs(graph) == {("a", "buf"), ("buf", "a"), ("buf", "b"), ("buf", "c")}
    assert graph.nodes[graph.index["buf"]].capacity == 8192 * 8
    assert {e.capacity for e in graph.edges} == {8192 * 8}


@pytest.mark.parametrize("declared, policy_default, expected", [
    ("", "", 8192 * 8), ("", "capacity memory 40 bits;\n", 40), (", capacity: 7", "capacity memory 40 bits;\n", 7)])
def test_region_capacity_declared_then_policy_then_size(tmp_path, declared, policy_default, expected):
    _, _, graph = build(tmp_path, REGION.replace("CAP", declared), policy_default)
    assert graph.nodes[graph.index["buf"]].capacity == expected


def test_notification_signallers_flow_in_waiters_out(tmp_path):
    text = """\
    components:
      a: {sid: alice_t, role: client}
      b: {sid: bob_t, role: client}
    notifications:
      ping: {sid: note_t, signal: [a], wait: [b]}
    """
    _, _, graph = build(tmp_path, text)
    assert edges(graph) == {("a", "ping", "notification", 64), ("ping", "b", "notification", 64)}


def test_object_edges_follow_the_allowed_operations_and_their_directions(tmp_path):
    rules = "allow alice_t file_t : file { open read };\n"
    got = pairs(build(tmp_path, server_system("file", ("alice",)), rules)[2])
    assert {("fs", "fs.doc"), ("fs.doc", "fs")} <= got  # the server holds its object
    assert ("fs.doc", "alice") in got and ("alice", "fs.doc") not in got  # read only
    assert not any("bob" in p for p in got)  # no connection, no flow


def test_write_operations_flow_into_the_object_and_denies_count(tmp_path):
    rules = "allow alice_t file_t : file *;\ndeny alice_t file_t : file read;\n"
    system, _, graph = build(tmp_path, server_system("file", ("alice",)), rules)
    got = pairs(graph)
    assert ("alice", "fs.doc") in got and ("fs.doc", "alice") not in got
    cause = next(e.cause for e in graph.edges if graph.nodes[e.sink].name == "fs.doc" and graph.nodes[e.source].name == "alice")
    assert "file { write }" in cause and "allow alice_t file_t : file *;" in cause


def test_a_class_without_reads_or_writes_moves_data_both_ways(tmp_path):
    rules = "allow alice_t file_t : blob get;\n"
    system, _, graph = build(tmp_path, server_system("blob", ("alice",)), rules)
    assert operation_directions(system.policy, "blob") == (frozenset({"get", "put"}),) * 2
    assert {("alice", "fs.doc"), ("fs.doc", "alice")} <= pairs(graph)


def test_a_class_declared_in_one_direction_moves_nothing_the_other_way(tmp_path):
    rules = "writes blob put;\nallow alice_t file_t : blob *;\n"
    system, _, graph = build(tmp_path, server_system("blob", ("alice",)), rules)
    assert operation_directions(system.policy, "blob") == (frozenset(), frozenset({"put"}))
    assert ("alice", "fs.doc") in pairs(graph) and ("fs.doc", "alice") not in pairs(graph)


def test_reads_or_writes_for_a_kernel_class_is_an_error(tmp_path):
    path = write(tmp_path, CALL.replace("RIGHTS", "[send]"), "reads memory read;\n")
    system = load_system(path)
    from smosverify.analyses.authority.closure import authority_closure
    from smosverify.analyses.flow.graph import flow_graph

    with pytest.raises(InputError, match="kernel classes have fixed flow rules") as err:
        flow_graph(system, authority_closure(system))
    assert err.value.span.line == 6  # the line after the five of POLICY


def test_control_of_another_components_objects_is_a_memory_channel(tmp_path):
    text = """\
    components:
      boss: {sid: alice_t, role: client, caps: [{to: w.tcb, rights: [control]}, {to: v.frames, rights: [read]}]}
      w: {sid: bob_t, role: client}
      v: {sid: carol_t, role: client}
    """
    got = edges(build(tmp_path, text)[2])
    assert {("boss", "w", "memory", PAGE_BITS), ("w", "boss", "memory", PAGE_BITS), ("v", "boss", "memory", PAGE_BITS)} <= got
    assert ("boss", "v", "memory", PAGE_BITS) not in got


def test_caps_obtained_by_transfer_make_flows_marked_as_obtained(tmp_path):
    # bob holds send+grant on alice's endpoint, so every cap bob holds (its call cap to fs) can be
    # granted to alice: alice can come to call fs.
    text = """\
    components:
      fs: {sid: server_t, role: server}
      alice: {sid: alice_t, role: server}
      bob: {sid: bob_t, role: client, caps: [{to: alice.endpoint, rights: [send, grant]}]}
      carol: {sid: carol_t, role: client}
    connections:
      - {from: bob, to: fs, rights: [send, grant_reply]}
      - {from: carol, to: alice, rights: [send]}
    """
    _, _, graph = build(tmp_path, text)
    obtained = [e for e in graph.edges if (graph.nodes[e.source].name, graph.nodes[e.sink].name) == ("alice", "fs")]
    assert obtained and not obtained[0].initial and obtained[0].authority[0] == "alice"
    direct = [e for e in graph.edges if (graph.nodes[e.source].name, graph.nodes[e.sink].name) == ("bob", "fs")]
    assert direct and direct[0].initial
