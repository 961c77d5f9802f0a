"""Reading SDFs: every construct lands in the model or the layout, with its position."""

from __future__ import annotations

from smosverify.analyses.authority.closure import authority_closure
from smosverify.load.microkit.system import load_microkit
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.microkit import IrqIoapic, IrqLine, IrqMsi
from smosverify.model.system import Role, Target

from .conftest import ALL_CONSTRUCTS, X86_CONSTRUCTS

LABELS = """\
components:
  parent: a_t
  child: a_t
  "vm*": b_t
  guest: b_t
  server: c_t
regions:
  shared: c_t
"""


def load_all(sdf_files):
    files = sdf_files(ALL_CONSTRUCTS, LABELS)
    return load_microkit(files["sdf"], files["policy"], files["labels"]), files


def test_components_roles_and_sids(sdf_files):
    system, files = load_all(sdf_files)
    assert list(system.components) == ["parent", "child", "vmm", "guest", "server"]
    assert {n: c.sid for n, c in system.components.items()} == {"parent": "a_t", "child": "a_t", "vmm": "b_t", "guest": "b_t", "server": "c_t"}
    assert system.components["server"].role is Role.SERVER  # parent calls it (pp on parent's end)
    assert all(c.role is Role.CLIENT for n, c in system.components.items() if n != "server")
    assert system.arch == "aarch64" and system.name == "system" and system.file == str(files["sdf"])
    assert system.components["parent"].span.line == 17 and system.components["child"].span.line == 26


def test_pd_attributes_are_kept(sdf_files):
    system, _ = load_all(sdf_files)
    parent = dict(system.components["parent"].attributes)
    assert parent == {
        "microkit": "protection_domain", "program_image": "parent.elf", "path_for_symbols": "parent.debug.elf",
        "priority": "100", "budget": "200", "period": "400", "passive": "false", "stack_size": "0x4000", "cpu": "0",
        "smc": "true", "fpu": "false", "domain": "low",
    }
    child = dict(system.components["child"].attributes)
    assert child["parent"] == "parent" and child["id"] == "0" and child["budget"] == "1000" and child["period"] == "1000"
    assert child["stack_size"] == "0x2000" and child["fpu"] == "true"  # Microkit's defaults
    guest = dict(system.components["guest"].attributes)
    assert guest == {"microkit": "virtual_machine", "vmm": "vmm", "vcpus": "1 2", "priority": "140", "budget": "100", "period": "100"}
    assert dict(system.components["vmm"].attributes)["virtual_machine"] == "guest"


def test_regions_and_maps(sdf_files):
    system, _ = load_all(sdf_files)
    shared = system.regions["shared"]
    assert shared.sid == "c_t" and shared.size == 0x2000
    assert [(m.component, m.rights) for m in shared.maps] == [
        ("parent", {Right.READ, Right.WRITE}), ("guest", {Right.READ}), ("server", {Right.READ})]
    assert system.regions["big"].maps[0].rights == {Right.READ, Right.WRITE, Right.EXECUTE}
    assert system.regions["big"].sid == "a_t"  # the sid its only mapper has
    assert system.regions["guest_ram"].sid == "b_t"
    assert system.regions["dtb"].size == 0x1000  # a prefilled boot-info region is one page


def test_channels_become_connections_and_notifications(sdf_files):
    system, _ = load_all(sdf_files)
    (conn,) = system.connections
    assert (conn.client, conn.server, conn.rights, conn.badge) == ("parent", "server", {Right.SEND, Right.GRANT_REPLY}, 3)
    assert (conn.span.line, conn.span.col) == (50, 9)  # the calling end
    # parent's end has notify="false"; server's ends notify by default, except the one with notify="false".
    assert set(system.notifications) == {"parent.notification", "server.notification"}
    parent_n = system.notifications["parent.notification"]
    assert [s for s, _ in parent_n.signallers] == ["server"] and parent_n.waiters[0][0] == "parent" and parent_n.sid == "a_t"
    assert [s for s, _ in system.notifications["server.notification"].signallers] == ["vmm"]


def test_nested_pds_and_vms_give_control_of_their_tcbs(sdf_files):
    system, _ = load_all(sdf_files)
    caps = {(c.target, c.rights) for c in system.components["parent"].caps}
    control = frozenset({Right.CONTROL})
    assert (Target(ObjectKind.TCB, "child"), control) in caps
    assert (Target(ObjectKind.TCB, "server"), control) in caps  # cap_tcb
    assert (Target(ObjectKind.VSPACE, "server"), control) in caps  # cap_vspace
    assert len(caps) == 3  # cap_sc gives no authority over model objects
    assert [(c.target, c.rights) for c in system.components["vmm"].caps] == [(Target(ObjectKind.TCB, "guest"), control)]


def test_a_parent_holds_its_childs_authority_by_closure(sdf_files):
    system, _ = load_all(sdf_files)
    closure = authority_closure(system)
    big = Target(ObjectKind.REGION, "big")
    assert big not in closure.initial["parent"] and big in closure.final["parent"]
    assert Right.WRITE in closure.final["parent"][big]
    # The VMM reaches its guest's memory the same way.
    assert Target(ObjectKind.REGION, "guest_ram") in closure.final["vmm"]


def test_layout_keeps_every_construct(sdf_files):
    system, _ = load_all(sdf_files)
    layout = system.microkit
    parent = layout.protection_domains[0]
    assert parent.maps[0].setvar_vaddr == "shared_vaddr" and parent.maps[0].setvar_size == "shared_size"
    assert parent.maps[1].cached is False and parent.maps[0].cached is True
    assert parent.irqs[0].source == IrqLine(33, "edge") and parent.irqs[0].setvar_id == "uart_irq"
    assert parent.irqs[1].source == IrqLine(34, "level")
    assert [(v.symbol, v.region_paddr) for v in parent.setvars] == [("uart_paddr", "uart")]
    assert [(c.kind, c.pd, c.slot) for c in parent.cap_maps] == [("tcb", "server", 1), ("sc", "server", 2), ("vspace", "server", 3)]
    assert parent.children[0].child_id == 0 and parent.children[0].setvar_id == "child_id"
    vm = layout.protection_domains[1].virtual_machine
    assert [(v.id, v.cpu, v.setvar_id) for v in vm.vcpus] == [(1, 0, "vcpu_id"), (2, None, None)]
    mrs = {mr.name: mr for mr in layout.memory_regions}
    assert mrs["uart"].phys_addr == 0x9000000 and mrs["big"].page_size == 0x200000 and mrs["dtb"].prefill_bootinfo == "fdt"
    d = layout.domains
    assert [(x.name, x.id) for x in d.domains] == [("low", 1), ("high", None)]
    assert [(e.domain, e.duration, e.unit) for e in d.schedule] == [("low", 1000, "us"), ("high", 5, "ticks"), (None, None, None)]
    assert (d.start_index, d.index_shift) == (0, 2)
    a, b = layout.channels[0].a, layout.channels[0].b
    assert (a.pd, a.id, a.pp, a.notify, a.setvar_id) == ("parent", 1, True, False, "server_channel")
    assert (b.pd, b.id, b.pp, b.notify) == ("server", 3, False, True)


def test_x86_constructs_and_arch_inference(sdf_files):
    files = sdf_files(X86_CONSTRUCTS)
    system = load_microkit(files["sdf"], files["policy"], None, "a_t")
    assert system.arch == "x86_64"  # implied by the x86-only elements
    pd = system.microkit.protection_domains[0]
    assert [(p.id, p.addr, p.size, p.setvar_id, p.setvar_addr) for p in pd.ioports] == [(0, 0x3F8, 8, "port_id", "port_addr")]
    assert pd.irqs[0].source == IrqIoapic(0, 4, "edge", "low", 36)
    assert pd.irqs[1].source == IrqMsi(0, 0x1F, 3, 2, 40)
    (space,) = system.microkit.io_address_spaces
    assert (space.name, space.peripheral_id, space.domain_id) == ("nic", "0:1f.3", 1)
    assert [(m.mr, m.iovaddr, m.perms) for m in space.iomaps] == [("dma", 0x100000, "rw")]
    assert system.regions["rsdp"].size == 0x1000


def test_xml_comments_whitespace_and_numbers(sdf_files):
    sdf = """<?xml version="1.0"?>
<!-- a comment before the root -->
<system>
  <!-- inside -->
  <protection_domain name="only" priority="0x1_0" stack_size="8192"><program_image path="a.elf"/></protection_domain>
</system>
"""
    files = sdf_files(sdf)
    system = load_microkit(files["sdf"], files["policy"], None, "a_t")
    attributes = dict(system.components["only"].attributes)
    assert attributes["priority"] == "16" and attributes["stack_size"] == "0x2000"
    assert system.components["only"].span.line == 5 and system.components["only"].span.col == 3
