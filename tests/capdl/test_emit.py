"""Emitting capDL: accepted by our reader and by capDL-tool, deterministic, traceable names, the
model's objects and caps exactly, capDL-tool's quirks respected, on every architecture."""

from __future__ import annotations

import dataclasses

import pytest

from smosverify.analyses.capdl.conformance import conform_capdl
from smosverify.emit.capdl import emit_capdl
from smosverify.load.capdl.reader import parse_capdl
from smosverify.load.system import load_system
from smosverify.model.authority import initial_caps, kernel_objects
from smosverify.model.capdl import CapType, ObjectType

from .capdl_tool import parse_capdl_tool, tool_accepts
from .conftest import EXAMPLES, REPO

ARCHES = ("x86_64", "aarch64", "riscv64")


def system_on(path, arch):
    return dataclasses.replace(load_system(path), arch=arch)


@pytest.fixture(scope="module")
def multi():
    return load_system(REPO / "examples" / "multi-server" / "system.yaml")


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_emitted_specs_read_back(path, arch):
    system = system_on(path, arch)
    spec = parse_capdl(emit_capdl(system), "emitted.cdl")
    assert spec.arch == {"riscv64": "riscv"}.get(arch, arch)
    tcbs = {o.name for o in spec.objects.values() if o.type is ObjectType.TCB}
    assert tcbs == {f"tcb_{c}" for c in system.components}


def test_output_is_deterministic(multi):
    assert emit_capdl(multi) == emit_capdl(load_system(multi.file))


def test_every_kernel_object_has_its_traceable_name(multi):
    spec = parse_capdl(emit_capdl(multi), "e.cdl")
    for target in kernel_objects(multi):
        prefix = {"frames": "ipc"}.get(target.kind.value, {"endpoint": "ep", "notification": "ntfn"}.get(
            target.kind.value, target.kind.value))
        name = f"{prefix}_{target.name}"
        assert name in spec.objects or f"{name}[0]" in spec.objects, name
    assert spec.objects["region_rx_buffer[3]"].type is ObjectType.FRAME  # 16 KiB = four 4 KiB frames


def test_cnode_slots_are_the_models_caps(multi):
    spec = parse_capdl(emit_capdl(multi), "e.cdl")
    letters = {"send": "W", "receive": "R", "grant": "G", "grant_reply": "P", "signal": "W", "wait": "R"}
    for component in multi.components:
        held = [c for c in initial_caps(multi) if c.holder == component and c.target.kind.value != "region"]
        slots = spec.objects[f"cnode_{component}"].slots
        assert sorted(slots) == list(range(1, len(held) + 1))
        for slot, cap in zip(sorted(slots), held):
            assert slots[slot].rights == {letters[r.value] for r in cap.rights}


def test_badges_follow_the_connections(multi):
    spec = parse_capdl(emit_capdl(multi), "e.cdl")
    badges = {(c.client, c.server): c.badge for c in multi.connections}
    for (client, server), badge in badges.items():
        caps = [c for c in spec.objects[f"cnode_{client}"].slots.values() if c.target == f"ep_{server}"]
        assert [c.badge for c in caps] == [badge]


@pytest.mark.parametrize("arch", ARCHES)
def test_capdl_tool_quirks(multi, arch):
    """resume: False with a capital F, affinity with ip/sp/prio, and a VSpace and an IPC buffer for
    every thread (without them the capDL loader leaves the thread's CSpace unset)."""
    text = emit_capdl(dataclasses.replace(multi, arch=arch))
    spec = parse_capdl(text, "e.cdl")
    for tcb in (o for o in spec.objects.values() if o.type is ObjectType.TCB):
        params = dict(tcb.params)
        assert params["resume"] is False and "affinity" in params and "prio" in params
        assert {0, 1, 4} <= set(tcb.slots) and tcb.slots[4].type is CapType.FRAME
    assert "resume: False" in text and "resume: false" not in text


def test_regions_are_mapped_with_their_rights(multi):
    spec = parse_capdl(emit_capdl(multi), "e.cdl")
    leaf = spec.objects["pt3_alice[0]"].slots
    mapped = {cap.target: cap.rights for cap in leaf.values()}
    assert mapped["region_rx_buffer[0]"] == {"R", "W"} and mapped["ipc_alice"] == {"R", "W"}


@pytest.mark.skipif(parse_capdl_tool() is None, reason="capDL-tool's parse-capDL is not available")
@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_capdl_tool_accepts_the_emitted_specs(path, arch, tmp_path):
    out = tmp_path / "emitted.cdl"
    out.write_text(emit_capdl(system_on(path, arch)), encoding="utf-8")
    accepted, messages = tool_accepts(parse_capdl_tool(), out)
    assert accepted, messages


UNTYPED_SYSTEM = """\
system: ut
policy: policy.pol
components:
  fs: {sid: fs_t, role: server}
  c: {sid: c_t, role: client, caps: [{to: fs.endpoint, rights: [send], badge: 9}, {to: pool, rights: [control]}]}
connections:
  - {from: c, to: fs, rights: [send]}
regions:
  buf: {sid: fs_t, size: 8192, map: {fs: [read, write]}}
untyped:
  pool: {sid: fs_t, covers: [fs.tcb, fs.frames, buf]}
"""


def test_untyped_and_badged_caps_are_emitted_and_conform(tmp_path):
    """An untyped is a `ut` covering what it covers (a region by all its frames), and a listed cap
    keeps its badge; the spec then refines the model: the untyped's holder gets the same rights
    on both sides (rule untypedCover)."""
    (tmp_path / "policy.pol").write_text("sid fs_t, c_t;\n", encoding="utf-8")
    (tmp_path / "system.yaml").write_text(UNTYPED_SYSTEM, encoding="utf-8")
    system = load_system(tmp_path / "system.yaml")
    text = emit_capdl(system)
    assert "ut_pool = ut (" in text and "{ tcb_fs, ipc_fs, region_buf[] }" in text
    assert "ep_fs (W, badge: 9)" in text and "ep_fs (W, badge: 1)" in text
    spec = parse_capdl(text, "emitted.cdl")
    assert set(spec.covers["ut_pool"]) == {"tcb_fs", "ipc_fs", "region_buf[0]", "region_buf[1]"}
    report = conform_capdl(system, spec)
    assert [r.status.value for r in report.results] == ["holds"] * len(report.results), report.results
    tool = parse_capdl_tool()
    if tool:  # capDL-tool reads it too, when it is at hand
        out = tmp_path / "emitted.cdl"
        out.write_text(text, encoding="utf-8")
        accepted, messages = tool_accepts(tool, out)
        assert accepted, messages
