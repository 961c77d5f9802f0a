"""P7 on small fixtures and on the examples: what holds, what is violated, and the traces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smosverify.analyses.dynamic.safety import check_dynamic_safety, explore, findings, key
from smosverify.analyses.dynamic.trace import replay
from smosverify.analyses.result import Status
from smosverify.load.system import load_system

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CONTROL = """\
allow {parent} {child} : {{ tcb cnode vspace }} control;
allow {parent} {child} : memory {{ read write execute }};
allow {child} self : {{ tcb cnode vspace }} control;
allow {child} self : memory {{ read write execute }};
"""


@pytest.fixture
def system_with(write_system, tmp_path, small_yaml, small_policy):
    """The small system with bob unconnected, its policy plus `extra` (and the YAML edited)."""
    spawner = small_yaml.replace("  - {from: bob, to: fs, rights: [send, grant_reply], badge: 2}\n", "")

    def build(extra: str, edit=lambda text: text):
        return load_system(write_system(tmp_path, edit(spawner), small_policy + extra))
    return build


def new_findings(result):
    return [ev for ev in result.evidence if ev.kind != "initial-state-violated"]


def traced(result):
    return [ev for ev in new_findings(result) if "steps" in ev.data]


def test_static_system_without_rules_holds(small_system):
    result = check_dynamic_safety(load_system(small_system))
    assert result.status is Status.HOLDS
    assert "no dynamic rules" in result.message


def test_initial_violations_are_summarised_not_repeated(system_with):
    system = system_with("", lambda text: text + "  - {from: bob, to: auth, rights: [send]}\n")
    result = check_dynamic_safety(system)
    assert result.status is Status.VIOLATED
    assert [ev.kind for ev in result.evidence] == ["initial-state-violated"]
    assert "P3" in result.evidence[0].data["properties"]


def test_spawn_with_its_authority_allowed_holds(system_with):
    # bob holds no caps, so a child of his gets nothing but what spawning gives
    extra = "spawn bob_t -> alice_t;\n" + CONTROL.format(parent="bob_t", child="alice_t")
    result = check_dynamic_safety(system_with(extra))
    assert result.status is Status.HOLDS, [e.message for e in result.evidence]
    assert result.certificate.summaries() == ("spawned:alice_t:client",)


def test_a_child_can_be_given_its_parents_caps(system_with):
    # alice controls her child's CNode, so she can hand it her connection: it acts as alice
    extra = "spawn alice_t -> bob_t;\n" + CONTROL.format(parent="alice_t", child="bob_t")
    result = check_dynamic_safety(system_with(extra))
    leak = next(ev for ev in traced(result) if ev.kind == "handle-not-allowed")
    assert leak.data["holder"] == "spawned:bob_t:client" and leak.data["object"] == "fs.secret"
    assert any("[copyIn]" in line for line in leak.data["chain"])


def test_spawn_gives_the_parent_control_which_the_policy_must_allow(system_with):
    result = check_dynamic_safety(system_with("spawn alice_t -> bob_t;\n"))
    assert result.status is Status.VIOLATED
    found = new_findings(result)
    assert any(ev.data["property"] == "P3" and ev.data.get("holder") == "alice" and "tcb" in ev.data.get("target", "") for ev in found)
    for ev in traced(result):
        assert [s["step"] for s in ev.data["steps"]][:1] == ["spawn"]


def test_connect_to_the_policy_server_is_a_violation_with_a_one_step_trace(system_with):
    result = check_dynamic_safety(system_with("connect bob_t -> policy_t;\n"))
    found = [ev for ev in new_findings(result) if ev.data.get("target") == "auth.endpoint"]
    assert found and all(len(ev.data["steps"]) == 1 and ev.data["steps"][0]["step"] == "connect" for ev in found)
    assert found[0].data["chain"][0].startswith("bob connects to auth")


def test_spawn_chain_trace_has_both_spawns(system_with):
    extra = ("sid worker_t;\nspawn alice_t -> bob_t;\nspawn bob_t -> worker_t;\n"
             + CONTROL.format(parent="alice_t", child="bob_t"))
    result = check_dynamic_safety(system_with(extra))
    # the worker can only come to hold alice's connection through bob's summary: both spawns
    deep = [ev for ev in traced(result) if ev.data.get("holder") == "spawned:worker_t:client" and ev.data.get("target") == "fs.endpoint"]
    assert deep, [e.message for e in result.evidence]
    assert [s["other"] for s in deep[0].data["steps"]] == ["spawned:bob_t:client", "spawned:worker_t:client"]


def test_findings_of_one_cause_are_one_entry_with_a_count_and_the_shortest_trace(system_with):
    extra = ("sid worker_t;\nspawn alice_t -> bob_t;\nspawn bob_t -> worker_t;\n"
             + CONTROL.format(parent="alice_t", child="bob_t"))
    system = system_with(extra)
    levels = explore(system)
    fresh = set(findings(levels[-1])) - set(findings(levels[0], extended=False))
    entries = new_findings(check_dynamic_safety(system))
    assert sum(ev.data.get("count", 1) for ev in entries) == len(fresh)  # every finding counted once
    causes = [tuple(ev.data["cause"]) for ev in entries if "cause" in ev.data]
    assert len(causes) == len(set(causes))
    tcb = next(ev for ev in entries if ev.data.get("cause") == ["P3", "authority-not-allowed", "tcb"])
    # control of the worker's TCB: alice, bob, bob's summary, and a worker on bob's summary's
    assert tcb.data["count"] == len(tcb.data["members"]) == 4
    assert "bob: control on spawned:worker_t:client.tcb" in tcb.data["members"]
    # bob spawns a worker in the first round: one step, where alice's grandchild needs two
    assert [s["step"] for s in tcb.data["steps"]] == ["spawn"]


def test_self_spawning_terminates_and_needs_authority_across_instances(system_with):
    extra = "spawn alice_t -> bob_t;\nspawn bob_t -> bob_t;\n" + "allow alice_t bob_t : { tcb cnode vspace } control;\nallow alice_t bob_t : memory { read write execute };\n"
    system = system_with(extra)
    levels = explore(system)
    assert len(levels) <= 4
    result = check_dynamic_safety(system)
    kinds = {ev.kind for ev in new_findings(result)}
    assert "instance-authority-not-allowed" in kinds


def test_handle_passed_to_a_spawned_client_is_reported_with_its_trace():
    result = check_dynamic_safety(load_system(EXAMPLES / "dynamic-handle-leak" / "system.yaml"))
    assert result.status is Status.VIOLATED
    guest = next(ev for ev in result.evidence if ev.kind == "handle-not-allowed" and ev.data["holder"] == "spawned:guest_t:client")
    assert [s["step"] for s in guest.data["steps"]] == ["spawn", "pass"]
    assert guest.data["request"][:3] == ["guest_t", "secret_file_t", "file"]
    assert "read" in guest.data["request"][3]
    assert any("opens fs.pink_file" in line for line in guest.data["chain"])
    flow = next(ev for ev in result.evidence if ev.kind == "forbidden-flow")
    assert (flow.data["source_label"], flow.data["sink_label"]) == ("secret", "public")
    assert flow.data["property"] == "P5"


@pytest.mark.parametrize("name", ["dynamic-handle-leak"])
def test_every_trace_reaches_its_violation_and_is_one_minimal(name):
    system = load_system(EXAMPLES / name / "system.yaml")
    levels = explore(system)
    by_key = {key(pid, ev): pid for pid, ev in findings(levels[-1]).values()}
    result = check_dynamic_safety(system)
    for ev in new_findings(result):
        pid = ev.data["property"]
        steps = [s for s in levels[-1].steps if s.to_json() in ev.data["steps"]]
        assert len(steps) == len(ev.data["steps"])
        wanted = next(k for k in by_key if k[0] == pid and k[1] == ev.kind and all(str(v) in k[2] for v in (ev.data.get("holder"), ev.data.get("object")) if v))
        assert wanted in findings(replay(system, tuple(steps)), pid)
        for i in range(len(steps)):
            shorter = tuple(steps[:i] + steps[i + 1:])
            assert wanted not in findings(replay(system, shorter), pid), f"step {i} of {ev.message} is not needed"


def test_dynamic_safe_example_holds_and_check_reports_p7(run_cli):
    result = run_cli("check", EXAMPLES / "dynamic-safe" / "system.yaml", "--format", "json", "--lean", "off")
    report = json.loads(result.stdout)
    p7 = next(p for p in report["properties"] if p["id"] == "P7")
    assert p7["status"] == "holds" and result.exit_code == 0
    assert "every state reachable" in p7["message"]


def test_leak_example_fails_check_naming_p7(run_cli):
    result = run_cli("check", EXAMPLES / "dynamic-handle-leak" / "system.yaml", "--lean", "off")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].endswith("VIOLATED (P7)")
    assert "spawns a client of sid guest_t" in result.stdout
