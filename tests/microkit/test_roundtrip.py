"""`smosverify emit microkit`: read -> emit -> read gives the same model; output is deterministic;
what sdfgen or Microkit cannot express is refused with its position, never dropped."""

from __future__ import annotations

import dataclasses

import pytest

from smosverify.analyses.check import check_system
from smosverify.load.any import SdfOptions, load_any
from smosverify.load.microkit.system import load_microkit
from smosverify.load.system import load_system

from .conftest import ALL_CONSTRUCTS, ALLOW_ALL, EXAMPLES, security_view, strip_spans, write

# The constructs sdfgen's API can write, on AArch64 and on x86-64.
WRITABLE = """\
<system>
    <memory_region name="shared" size="0x2000" />
    <memory_region name="uart" size="0x1000" phys_addr="0x9000000" />
    <memory_region name="ram" size="0x10000" />
    <protection_domain name="parent" priority="100" budget="200" period="400" stack_size="0x4000" cpu="0">
        <program_image path="parent.elf" />
        <map mr="shared" vaddr="0x4000000" perms="rw" setvar_vaddr="shared_vaddr" setvar_size="shared_size" />
        <map mr="uart" vaddr="0x5000000" perms="r" cached="false" />
        <irq irq="33" id="7" trigger="edge" setvar_id="uart_irq" />
        <irq irq="34" id="8" />
        <protection_domain name="child1" id="1" priority="90">
            <program_image path="child.elf" />
        </protection_domain>
        <protection_domain name="child0" id="0" priority="90">
            <program_image path="child.elf" />
            <map mr="ram" vaddr="0x1000000" perms="rwx" />
        </protection_domain>
    </protection_domain>
    <protection_domain name="vmm" priority="150" passive="true">
        <program_image path="vmm.elf" />
        <virtual_machine name="guest" priority="140">
            <vcpu id="1" cpu="0" />
            <vcpu id="2" />
            <map mr="ram" vaddr="0x40000000" perms="rwx" />
            <map mr="shared" vaddr="0x50000000" perms="r" />
        </virtual_machine>
    </protection_domain>
    <protection_domain name="server" priority="200">
        <program_image path="server.elf" />
        <map mr="shared" vaddr="0x4000000" perms="" />
    </protection_domain>
    <channel>
        <end pd="parent" id="1" pp="true" notify="false" setvar_id="server_channel" />
        <end pd="server" id="3" />
    </channel>
    <channel>
        <end pd="vmm" id="4" />
        <end pd="server" id="5" notify="false" />
    </channel>
</system>
"""

WRITABLE_X86 = """\
<system>
    <protection_domain name="driver" priority="10">
        <program_image path="driver.elf" />
        <ioport id="0" addr="0x3f8" size="8" />
        <irq pin="4" ioapic="0" trigger="edge" polarity="low" vector="36" id="1" setvar_id="serial_irq" />
        <irq pcidev="0:3.1" handle="2" vector="40" id="2" />
    </protection_domain>
</system>
"""

# Names Microkit keeps apart and the model renames: a region and a PD `timer`, a VM and a PD `guest`.
SHARED_NAMES = """\
<system>
    <memory_region name="timer" size="0x1000" phys_addr="0x9000000" />
    <protection_domain name="timer" priority="10">
        <program_image path="timer.elf" />
        <map mr="timer" vaddr="0x2000000" perms="rw" cached="false" />
    </protection_domain>
    <protection_domain name="guest" priority="5">
        <program_image path="guest.elf" />
    </protection_domain>
    <protection_domain name="vmm" priority="20">
        <program_image path="vmm.elf" />
        <virtual_machine name="guest">
            <vcpu id="0" />
            <map mr="timer" vaddr="0x0" perms="r" />
        </virtual_machine>
    </protection_domain>
</system>
"""


def emit(run_cli, source, out_dir, *options):
    out, labels = out_dir / f"{source.stem}.system", out_dir / f"{source.stem}.labels.yaml"
    result = run_cli("emit", "microkit", source, "-o", out, "--labels-out", labels, *options)
    assert result.exit_code == 0, result.output
    return out, labels


def same_model(a, b) -> bool:
    """Equal but for where they were read from."""
    def where_from(s):
        return strip_spans(dataclasses.replace(s, file="", policy_spans=()))

    return where_from(a) == where_from(b)


@pytest.mark.parametrize("sdf,default", [(WRITABLE, "a_t"), (WRITABLE_X86, "b_t"), (SHARED_NAMES, "c_t")],
                         ids=["aarch64", "x86_64", "shared-names"])
def test_sdf_read_emit_read(sdf, default, tmp_path, run_cli):
    source = write(tmp_path, "fixture.system", sdf)
    policy = write(tmp_path, "policy.pol", ALLOW_ALL)
    first = load_microkit(source, policy, None, default)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out, labels = emit(run_cli, source, out_dir, "--policy", policy, "--default-sid", default)
    second = load_microkit(out, policy, labels)
    assert same_model(first, second)
    again, _ = emit(run_cli, out, tmp_path, "--policy", policy, "--labels", labels)
    assert again.read_bytes() == out.read_bytes()  # the written SDF is a fixed point


@pytest.mark.parametrize("example", ["microkit-echo/system.yaml", "sddf-net/system.yaml"])
def test_examples_read_emit_read(example, tmp_path, run_cli):
    source = EXAMPLES / example
    first = load_system(source)
    out, labels = emit(run_cli, source, tmp_path)
    second = load_any(str(out), SdfOptions(first.policy.files[0], str(labels)))
    assert same_model(dataclasses.replace(first, name=""), dataclasses.replace(second, name=""))
    assert [r.status for r in check_system(first).results] == [r.status for r in check_system(second).results]


@pytest.mark.parametrize("example", ["pink-file", "multi-server"])
def test_yaml_emit_read(example, tmp_path, run_cli):
    source = EXAMPLES / example / "system.yaml"
    first = load_system(source)
    out, labels = emit(run_cli, source, tmp_path)
    second = load_any(str(out), SdfOptions(first.policy.files[0], str(labels)))
    assert security_view(first) == security_view(second)
    assert [(r.id, r.status) for r in check_system(first).results] == [(r.id, r.status) for r in check_system(second).results]
    # Deterministic: the same input gives the same bytes.
    (tmp_path / "again").mkdir()
    out2, labels2 = emit(run_cli, source, tmp_path / "again")
    assert out2.read_bytes() == out.read_bytes() and labels2.read_bytes() == labels.read_bytes()


def test_renamed_notifications_are_noted(tmp_path, run_cli):
    result = run_cli("emit", "microkit", EXAMPLES / "multi-server" / "system.yaml", "-o", tmp_path / "ms.system")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [f"wrote the SDF of multi-server to {tmp_path / 'ms.system'}",
                                          "note: notification rx_ready is written as alice.notification, the notification of its waiter"]


def test_calls_go_up_in_priority_and_pp_marks_the_caller(tmp_path, run_cli):
    out, _ = emit(run_cli, EXAMPLES / "pink-file" / "system.yaml", tmp_path)
    layout = load_microkit(out, EXAMPLES / "pink-file" / "pink.pol", None, "alice_t").microkit
    priority = {pd.name: pd.priority for pd in layout.protection_domains}
    assert priority["alice"] < priority["fs"] < priority["auth"]
    calls = {(e.pd, o.pd, o.id) for ch in layout.channels for e, o in ((ch.a, ch.b), (ch.b, ch.a)) if e.pp}
    assert calls == {("alice", "fs", 1), ("bob", "fs", 2), ("fs", "auth", 1)}  # the callee's id is the badge
    assert not any(e.notify for ch in layout.channels for e in (ch.a, ch.b))


def test_control_of_a_tcb_is_written_as_nesting(tmp_path, run_cli):
    yaml_text = """\
system: nest
policy: policy.pol
components:
  parent: {sid: a_t, role: client, caps: [{to: kid.tcb, rights: [control]}]}
  kid: {sid: b_t, role: client}
"""
    write(tmp_path, "policy.pol", ALLOW_ALL)
    source = write(tmp_path, "system.yaml", yaml_text)
    out, labels = emit(run_cli, source, tmp_path)
    assert '<protection_domain name="kid" id="0"' in out.read_text()
    assert security_view(load_system(source)) == security_view(load_any(str(out), SdfOptions(str(tmp_path / "policy.pol"), str(labels))))


UNWRITABLE = [
    ("connection-rights", "connections: [{from: a, to: b, rights: [send, grant]}]\n", 7, "{from: a, to: b", ["a Microkit call carries send and grant_reply", "grant, send"]),
    ("capacity", "connections: [{from: a, to: b, rights: [send, grant_reply], capacity: 8}]\n", 7, "{from: a, to: b", ["no declared capacity"]),
    ("two-waiters", "notifications: {n: {sid: a_t, signal: [a], wait: [b, c]}}\n", 7, "n:", ["one waiter"]),
    ("cyclic-calls", "connections: [{from: a, to: b, rights: [send, grant_reply]}, {from: b, to: a, rights: [send, grant_reply]}]\n",
     7, None, ["cycle", "strictly higher priorities"]),
    ("write-only", "regions: {r: {sid: a_t, map: {a: [write]}}}\n", 7, "a: [write]", ["write-only"]),
    ("untyped", "untyped: {pool: {sid: a_t, covers: [a.tcb]}}\n", 7, "pool:", ["untyped 'pool'", "no PD an untyped cap"]),
    ("frames-cap", "", 4, None, ["a.frames", "only to a parent"]),
    ("shared-badge", "connections: [{from: a, to: c, rights: [send, grant_reply], badge: 1}, {from: b, to: c, rights: [send, grant_reply], badge: 1}]\n",
     7, None, ["badge 1 is used twice at 'c'"]),
]


@pytest.mark.parametrize("case,extra,line,col,words", UNWRITABLE, ids=[c[0] for c in UNWRITABLE])
def test_models_microkit_cannot_express_are_refused(case, extra, line, col, words, tmp_path, run_cli, assert_bad_input):
    caps = ", caps: [{to: a.frames, rights: [read]}]" if case == "frames-cap" else ""
    yaml_text = f"system: s\npolicy: policy.pol\ncomponents:\n  b: {{sid: a_t, role: server{caps}}}\n  a: {{sid: a_t, role: client}}\n  c: {{sid: a_t, role: server}}\n{extra}"
    write(tmp_path, "policy.pol", ALLOW_ALL)
    source = write(tmp_path, "system.yaml", yaml_text)
    result = run_cli("emit", "microkit", source, "-o", tmp_path / "out.system")
    if isinstance(col, str):
        col = yaml_text.splitlines()[line - 1].index(col) + 1
    assert_bad_input(result, source, line, col, *words)
    assert not (tmp_path / "out.system").exists()


def test_what_sdfgen_cannot_write_is_refused(sdf_files, run_cli, assert_bad_input):
    labels = 'components: {parent: a_t, child: a_t, vmm: b_t, guest: b_t, server: c_t}\nregions: {shared: c_t}\n'
    files = sdf_files(ALL_CONSTRUCTS, labels)
    result = run_cli("emit", "microkit", files["sdf"], "--policy", files["policy"], "--labels", files["labels"], "-o", files["sdf"].parent / "o.system")
    assert_bad_input(result, files["sdf"], 4, 5, "has no way to write memory_region page_size", "cannot emit")


def test_msi_fields_sdfgen_would_write_in_decimal_are_refused(sdf_files, run_cli, assert_bad_input):
    files = sdf_files(WRITABLE_X86.replace('pcidev="0:3.1"', 'pcidev="0:1f.1"'))
    result = run_cli("emit", "microkit", files["sdf"], "--policy", files["policy"], "--default-sid", "a_t", "-o", files["sdf"].parent / "o.system")
    assert_bad_input(result, files["sdf"], 6, 9, "sdfgen writes decimal")


def test_vm_budgets_sdfgen_would_drop_are_refused(sdf_files, run_cli, assert_bad_input):
    files = sdf_files(WRITABLE.replace('<virtual_machine name="guest" priority="140">', '<virtual_machine name="guest" priority="140" budget="50">'))
    result = run_cli("emit", "microkit", files["sdf"], "--policy", files["policy"], "--default-sid", "a_t", "-o", files["sdf"].parent / "o.system")
    assert_bad_input(result, files["sdf"], 21, 9, "budget or period", "sdfgen drops them")


def test_an_unwritable_output_is_bad_input(tmp_path, run_cli):
    result = run_cli("emit", "microkit", EXAMPLES / "pink-file" / "system.yaml", "-o", tmp_path / "no" / "such" / "dir.system")
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_renamed_elements_keep_their_sids(tmp_path, run_cli):
    """The labels written for renamed elements (by model name) bind them again, each to its own sid."""
    source = write(tmp_path, "shared.system", SHARED_NAMES)
    policy = write(tmp_path, "policy.pol", ALLOW_ALL)
    given = write(tmp_path, "given.yaml", "components: {timer: a_t, vmm: a_t, guest: b_t, guest.virtual_machine: c_t}\n"
                                          "regions: {timer: c_t}\n")
    first = load_microkit(source, policy, given)
    assert {n: c.sid for n, c in first.components.items()} == {"timer": "a_t", "guest": "b_t", "vmm": "a_t", "guest.virtual_machine": "c_t"}
    assert first.regions["timer.memory_region"].sid == "c_t"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out, labels = emit(run_cli, source, out_dir, "--policy", policy, "--labels", given)
    assert same_model(first, load_microkit(out, policy, labels))
