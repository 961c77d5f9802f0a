"""Boots checked against systems, on recorded boots of examples (no seL4 tools needed): the kernel's
view as capDL, BOOT-* against the emitted spec, BOOT-CONFORM-* against the model; another system's
log and edited logs (a cap added, a right widened, an object dropped, a foreign thread)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smosverify.analyses.capdl.authority import spec_authority
from smosverify.analyses.result import Status
from smosverify.image.kernel_view import kernel_view
from smosverify.image.naming import frame_addresses, name_kernel_objects
from smosverify.image.system_boot import conform_system_boot
from smosverify.load.capdl.reader import parse_capdl

DATA = Path(__file__).parent / "data"
IDS = ["BOOT-OBJECTS", "BOOT-CAPS", "BOOT-EXTRA", "BOOT-CONFORM-MAP", "BOOT-CONFORM-AUTHORITY",
       "BOOT-CONFORM-CONNECTIONS"]
# pink-file's kernel objects in its recorded x86_64 boot
EP_AUTH, EP_FS = "0xffffff8010016800_ep", "0xffffff8010016810_ep"
ALICE_EP_LINE = f"0x1: {EP_FS} (WP, badge: 1)"


def _findings(report) -> dict[str, list[str]]:
    return {r.id: [e.message for e in r.evidence] for r in report.results}


def _insert_after(text: str, line: str, *new: str) -> str:
    assert text.count(line + "\n") == 1, line
    return text.replace(line + "\n", line + "\n" + "".join(n + "\n" for n in new))


@pytest.mark.parametrize("example,arch", [("pink-file", "x86_64"), ("fail-p1-frames", "x86_64"),
                                          ("transitive-flow", "x86_64"), ("fail-p1-frames", "aarch64")])
def test_recorded_boot_conforms_to_its_system(recorded, boot_of, example, arch):
    system, spec, log = recorded(example, arch)
    report = conform_system_boot(system, spec, boot_of(log))
    assert [r.id for r in report.results] == IDS
    assert report.exit_code() == 0, _findings(report)


@pytest.mark.parametrize("example,arch", [("pink-file", "x86_64"), ("fail-p1-frames", "x86_64"),
                                          ("transitive-flow", "x86_64"), ("fail-p1-frames", "aarch64")])
def test_kernel_view_has_the_specs_authority(recorded, boot_of, example, arch):
    """Independently of the model: the authority of the kernel's view, closed, is the spec's."""
    system, spec, log = recorded(example, arch)
    boot = boot_of(log)
    view = kernel_view(spec, boot, name_kernel_objects(boot, spec))
    from_kernel = spec_authority(parse_capdl(view.text, view.file))
    cdl = DATA / f"{example}.{arch}.cdl"
    from_spec = spec_authority(parse_capdl(cdl.read_text(), str(cdl)))
    assert from_kernel.initial == from_spec.initial
    assert from_kernel.final == from_spec.final


def test_unmapped_frame_cap_is_named_by_its_address(recorded, boot_of):
    """fail-p1-frames gives bob a cap to fs's IPC frame: the loader puts it in bob's CNode unmapped,
    and the patched dump names it by physical address, as the frame fs maps."""
    system, spec, log = recorded("fail-p1-frames")
    boot = boot_of(log)
    names = name_kernel_objects(boot, spec)
    bob_slot = next(cap for kid, slots in boot.dump.slots.items() if names.get(kid) == "cnode_bob"
                    for key, cap in slots.items() if key == "0x2")
    assert bob_slot.target.startswith("frame_paddr_") and names[bob_slot.target] == "ipc_fs"
    assert bob_slot.rights == frozenset("R")


def test_shared_frames_are_one_object_across_mappings(recorded, boot_of):
    system, spec, log = recorded("transitive-flow")
    boot = boot_of(log)
    names = name_kernel_objects(boot, spec)
    by_name: dict[str, set[str]] = {}
    for kid in frame_addresses(boot):
        by_name.setdefault(names.get(kid, "(the kernel's own)"), set()).add(kid)
    mappings = {name: len(kids) for name, kids in by_name.items() if name.startswith("region_")}
    assert mappings == {f"region_web_buffer[{i}]": 2 for i in range(16)}  # mapped by its writer and its reader


def test_another_systems_log(recorded, boot_of):
    """pink-file checked against the boot of fail-p1-frames (bob also holds fs's frames)."""
    system, spec, _ = recorded("pink-file")
    _, _, other = recorded("fail-p1-frames")
    report = conform_system_boot(system, spec, boot_of(other))
    found = _findings(report)
    assert found["BOOT-EXTRA"] == ["cnode_bob slot 2 holds a frame cap the spec does not give"]
    assert found["BOOT-CONFORM-AUTHORITY"] == [
        "tcb_bob (bob) has read on ipc_fs (fs.frames), which the model does not give bob: it holds read through "
        "cnode_bob slot 0x2: FrameCap to ipc_fs (R)"]
    assert not found["BOOT-CAPS"] and not found["BOOT-CONFORM-CONNECTIONS"]
    authority = next(r for r in report.results if r.id == "BOOT-CONFORM-AUTHORITY").evidence[0]
    where = {(s.file, s.line) for s in authority.spans}
    assert ("boot.log", other.splitlines().index("0x2: frame_paddr_0x10003000 (R)") + 1) in where
    assert (system.file, system.components["bob"].span.line) in where


def test_log_of_a_system_with_less(recorded, boot_of):
    """fail-p1-frames checked against the boot of pink-file: bob's frame cap is missing."""
    system, spec, _ = recorded("fail-p1-frames")
    _, _, other = recorded("pink-file")
    found = _findings(conform_system_boot(system, spec, boot_of(other)))
    assert found["BOOT-CAPS"] == [
        "cnode_bob slot 2 should hold a FrameCap to ipc_fs (R); it is empty"]
    assert found["BOOT-CONFORM-CONNECTIONS"] == [
        "bob should hold read on fs.frames (cap listed in bob.caps); the kernel gives it nothing"]


def test_added_cap(recorded, boot_of):
    system, spec, log = recorded("pink-file")
    log = _insert_after(log, ALICE_EP_LINE, f"0x2: {EP_AUTH} (W)")
    log = _insert_after(log, "smosverify: slot cnode_alice 0x1 endpoint", "smosverify: slot cnode_alice 0x2 endpoint")
    found = _findings(conform_system_boot(system, spec, boot_of(log)))
    assert found["BOOT-EXTRA"] == ["cnode_alice slot 2 holds an endpoint cap the spec does not give"]
    assert found["BOOT-CONFORM-AUTHORITY"] == [
        "tcb_alice (alice) has send on ep_auth (auth.endpoint), which the model does not give alice: it holds send "
        "through cnode_alice slot 0x2: EndpointCap to ep_auth (W)"]


def test_widened_right(recorded, boot_of):
    """Grant on alice's endpoint cap: alice can pass her caps to fs; fs's replies carry none (its
    receive cap has no grant, seL4's setupCallerCap), so nobody gains more than that."""
    system, spec, log = recorded("pink-file")
    report = conform_system_boot(system, spec, boot_of(log.replace(ALICE_EP_LINE, f"0x1: {EP_FS} (WGP, badge: 1)")))
    found = _findings(report)
    assert found["BOOT-CAPS"] == ["cnode_alice slot 1 holds ep_fs with rights WGP instead of WP"]
    authority = next(r for r in report.results if r.id == "BOOT-CONFORM-AUTHORITY")
    first = authority.evidence[0]
    assert first.data["thread"] == "tcb_alice" and first.data["object"] == "ep_fs"
    assert first.data["held"] == first.data["rights"] == ["grant"]
    assert len(authority.evidence) == 1


def test_dropped_object(recorded, boot_of):
    """The kernel without the policy server's endpoint: the walk cannot find it, its slots are empty."""
    system, spec, log = recorded("pink-file")
    gone = ("smosverify: object ep_auth endpoint", "smosverify: slot cnode_fs 0x1 endpoint",
            "smosverify: slot cnode_auth 0x1 endpoint")
    log = "\n".join(line for line in log.split("\n") if EP_AUTH not in line and line not in gone)
    found = _findings(conform_system_boot(system, spec, boot_of(log)))
    assert found["BOOT-OBJECTS"] == ["ep_auth (Endpoint) is not in the kernel (the loader created it)"]
    assert sorted(found["BOOT-CAPS"]) == [
        "cnode_auth slot 1 should hold an EndpointCap to ep_auth (R); it is empty (the loader filled it with ep_auth)",
        "cnode_fs slot 1 should hold an EndpointCap to ep_auth (WP, badge 1); it is empty (the loader filled it with ep_auth)"]
    assert found["BOOT-CONFORM-CONNECTIONS"] == [
        "fs should hold grant_reply, send on auth.endpoint (connection fs->auth); the kernel gives it nothing",
        "auth should hold receive on auth.endpoint (auth serves its endpoint); the kernel gives it nothing"]


def test_foreign_thread(recorded, boot_of):
    """A thread the spec does not declare, with a CNode of its own holding the policy server's
    endpoint: it is extra, and it stands for no component of the model."""
    system, spec, log = recorded("pink-file")
    row = next(line for line in log.split("\n") if line.strip().startswith("tcb_alice\t"))
    log = _insert_after(log, row, row.replace("tcb_alice", "intruder"))  # last in the kernel's list
    tcb, cnode = "0xffffff80100f0000_tcb", "0xffffff80100f1000_cnode"
    objects_end = log.index("}\ncaps {\n")
    log = (log[:objects_end] + f"{tcb} = tcb (addr: 0x0, ip: 0x0, sp: 0x0, prio: 1, max_prio: 1, dom: 0)\n"
           f"{cnode} = cnode (4 bits)\n" + log[objects_end:])
    caps_end = log.index("}\nirq maps {")
    log = (log[:caps_end] + f"{cnode} {{\n0x1: {EP_AUTH} (W)\n}}\n{tcb} {{\ncspace: {cnode} (guard: 0, guard_size: 60)\n}}\n"
           + log[caps_end:])
    report = conform_system_boot(system, spec, boot_of(log))
    found = _findings(report)
    assert "the kernel runs a thread 'intruder' the spec does not declare" in found["BOOT-EXTRA"]
    assert found["BOOT-CONFORM-MAP"] == [
        "thread kernel_0xffffff80100f0000_tcb stands for no component of pink-file (name it tcb_COMPONENT, or map it "
        "in a mapping file)"]
    assert next(r for r in report.results if r.id == "BOOT-CONFORM-MAP").status is Status.VIOLATED
