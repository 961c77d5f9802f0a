"""conform: emitted specs conform; each way a spec can go beyond or fall short of the model is
found and named; mapping files for specs other tools wrote."""

from __future__ import annotations

import dataclasses

import pytest

from smosverify.analyses.capdl.conformance import conform_capdl
from smosverify.analyses.result import Status
from smosverify.emit.capdl import emit_capdl
from smosverify.errors import InputError
from smosverify.load.capdl.reader import load_capdl, parse_capdl
from smosverify.load.capdl.mapping import load_capdl_map
from smosverify.load.system import load_system

from .conftest import EXAMPLES, REPO, SPECS

PINK = REPO / "examples" / "pink-file" / "system.yaml"
CAMKES = SPECS.parent / "systems" / "camkes_style"
ALICE_CAP = "0x1: ep_fs (WP, badge: 1)  -- connection alice->fs"


@pytest.fixture(scope="module")
def pink():
    return load_system(PINK)


@pytest.fixture(scope="module")
def pink_text(pink):
    return emit_capdl(pink)


def statuses(report) -> dict[str, Status]:
    return {r.id: r.status for r in report.results}


def findings(report, rid) -> list:
    return next(r for r in report.results if r.id == rid).evidence


@pytest.mark.parametrize("arch", ["x86_64", "aarch64", "riscv64"])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_emitted_specs_conform(path, arch):
    system = dataclasses.replace(load_system(path), arch=arch)
    report = conform_capdl(system, parse_capdl(emit_capdl(system), "e.cdl"))
    assert report.verdict is Status.HOLDS, [e.message for r in report.results for e in r.evidence]
    assert report.exit_code() == 0


def mutate(pink, pink_text, replacement):
    assert ALICE_CAP in pink_text
    return conform_capdl(pink, parse_capdl(pink_text.replace(ALICE_CAP, replacement), "mutant.cdl"))


def test_extra_cap(pink, pink_text):
    report = mutate(pink, pink_text, ALICE_CAP + "\n    0x2: ep_auth (WP, badge: 7)")
    assert statuses(report)["CONFORM-AUTHORITY"] is Status.VIOLATED
    [finding] = findings(report, "CONFORM-AUTHORITY")
    assert finding.kind == "extra-authority"
    assert finding.data["object"] == "ep_auth" and finding.data["target"] == "auth.endpoint"
    assert finding.data["slots"] == ["cnode_alice slot 0x2: EndpointCap to ep_auth (WP) badge 7"]
    assert (finding.spans[0].file, finding.spans[0].line) == ("mutant.cdl", pink_text.splitlines().index(
        "  cnode_alice {  -- alice's CSpace") + 3)


def test_widened_right(pink, pink_text):
    report = mutate(pink, pink_text, "0x1: ep_fs (RWP, badge: 1)")
    [finding] = findings(report, "CONFORM-AUTHORITY")
    assert (finding.data["thread"], finding.data["object"], finding.data["rights"]) == ("tcb_alice", "ep_fs", ["receive"])
    assert finding.data["initial"] and "cnode_alice slot 0x1" in finding.message


def test_grant_right_added(pink, pink_text):
    report = mutate(pink, pink_text, "0x1: ep_fs (WGP, badge: 1)")
    found = findings(report, "CONFORM-AUTHORITY")
    first = found[0]
    assert (first.data["thread"], first.data["object"], first.data["held"]) == ("tcb_alice", "ep_fs", ["grant"])
    # alice's caps reach fs (only this one, to fs's own endpoint); fs's replies carry no caps, since its
    # receive cap has no grant (seL4's setupCallerCap), so bob gains nothing
    assert len(found) == 1


def test_missing_endpoint(pink, pink_text):
    report = mutate(pink, pink_text, "")
    assert statuses(report) == {"CONFORM-MAP": Status.HOLDS, "CONFORM-AUTHORITY": Status.HOLDS,
                                "CONFORM-CONNECTIONS": Status.VIOLATED}
    [finding] = findings(report, "CONFORM-CONNECTIONS")
    assert finding.kind == "missing-cap" and finding.data["cause"] == "connection alice->fs"
    assert finding.data["missing"] == ["grant_reply", "send"] and finding.spans[0].file == str(PINK)


def test_cap_to_the_policy_servers_cnode(pink, pink_text):
    report = mutate(pink, pink_text, ALICE_CAP + "\n    0x2: cnode_auth (guard: 0, guard_size: 60)")
    found = findings(report, "CONFORM-AUTHORITY")
    assert found[0].data["target"] == "auth.cnode" and found[0].data["rights"] == ["control"]
    assert "cnode_alice slot 0x2: CNodeCap to cnode_auth" in found[0].message
    assert {f.data["thread"] for f in found} == {"tcb_alice", "tcb_auth"}  # caps flow both ways


def test_wrong_badge(pink, pink_text):
    report = mutate(pink, pink_text, "0x1: ep_fs (WP, badge: 2)")
    [finding] = findings(report, "CONFORM-CONNECTIONS")
    assert finding.kind == "badge-mismatch" and finding.data["spec_badges"] == [2]


def test_unknown_thread_and_object(pink, pink_text):
    text = pink_text.replace("objects {", "objects {\n  stranger = tcb\n  backdoor = ep", 1)
    text = text.replace(ALICE_CAP, ALICE_CAP + "\n    0x2: backdoor (RW)")
    report = conform_capdl(pink, parse_capdl(text, "m.cdl"))
    kinds = [f.kind for f in findings(report, "CONFORM-MAP")]
    assert kinds == ["unmapped-thread", "unmapped-object"]


def test_mapping_file_for_another_tools_names():
    system = load_system(CAMKES / "system.yaml")
    spec = load_capdl(SPECS / "camkes_style.cdl")
    assert conform_capdl(system, spec).verdict is Status.VIOLATED  # its names are not smosverify's
    mapping = load_capdl_map(CAMKES / "map.yaml", system)
    report = conform_capdl(system, spec, mapping)
    assert report.verdict is Status.HOLDS
    assert [e.data["object"] for e in findings(report, "CONFORM-MAP")] == ["sched_control"]  # ignored, listed
    assert str(CAMKES / "map.yaml") in report.files


def test_mapping_file_finds_extra_authority_in_foreign_specs(tmp_path):
    system = load_system(CAMKES / "system.yaml")
    text = (SPECS / "camkes_style.cdl").read_text().replace("3: sched_control (core: 0)", "3: client_cnode")
    report = conform_capdl(system, parse_capdl(text, "m.cdl"), load_capdl_map(CAMKES / "map.yaml", system))
    found = findings(report, "CONFORM-AUTHORITY")
    assert found[0].data["target"] == "client.cnode" and found[0].data["thread"] == "server_control_tcb"
    unused = [f for f in findings(report, "CONFORM-MAP") if f.kind == "unused-mapping"]
    assert [f.data["pattern"] for f in unused] == ["sched_control"]


@pytest.mark.parametrize("text, message", [
    ("objects: {x: nobody}\n", "'nobody' is no component, region or notification"),
    ("objects: {x: client.endpoint}\n", "client has no endpoint in the model"),
    ("objects: {x: client.heap}\n", "unknown part 'heap'"),
    ("objects: [x]\n", "`objects` maps object names"),
    ("ignore: {x: 1}\n", "`ignore` is a list"),
    ("colour: blue\n", "unknown key 'colour'"),
])
def test_bad_mapping_files(tmp_path, text, message):
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        load_capdl_map(path, load_system(CAMKES / "system.yaml"))
    assert err.value.span.file == str(path)


def test_thread_mapped_to_something_else_is_an_input_error(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("objects:\n  client_control_tcb: client.frames\n")
    system = load_system(CAMKES / "system.yaml")
    with pytest.raises(InputError, match="a thread stands for COMPONENT.tcb"):
        conform_capdl(system, load_capdl(SPECS / "camkes_style.cdl"), load_capdl_map(path, system))
