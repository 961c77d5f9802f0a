"""Reading capDL: every construct of the three architectures, and bad input with its position."""

from __future__ import annotations

import re

import pytest

from smosverify.errors import InputError
from smosverify.load.capdl.reader import load_capdl
from smosverify.model.capdl import CapType, ObjectType

from .conftest import ALL_CONSTRUCTS, SPECS

BAD = sorted((SPECS / "bad").glob("*.cdl"))


@pytest.fixture(scope="module")
def x86():
    return load_capdl(ALL_CONSTRUCTS["x86_64"])


@pytest.fixture(scope="module")
def arm():
    return load_capdl(ALL_CONSTRUCTS["aarch64"])


@pytest.fixture(scope="module")
def riscv():
    return load_capdl(ALL_CONSTRUCTS["riscv"])


def _types(spec) -> set[str]:
    return {o.type.value for o in spec.objects.values()}


def test_every_object_type_of_each_arch(x86, arm, riscv):
    assert _types(x86) == {"tcb", "cnode", "pml4", "pdpt", "pd", "pt", "frame", "ep", "notification", "asid_pool",
                           "ut", "irq", "ioapic_irq", "msi_irq", "io_ports", "io_device", "io_pt", "vcpu", "sc",
                           "rtreply"}
    assert _types(arm) == {"tcb", "cnode", "pgd", "pud", "pd", "pt", "frame", "vcpu", "arm_irq", "notification",
                           "streamid", "contextbank", "smc", "arm_io_device", "ep", "sc", "rtreply", "asid_pool"}
    assert _types(riscv) == {"tcb", "cnode", "pt", "frame", "irq", "notification", "ep", "sc", "ut"}
    assert (x86.arch, arm.arch, riscv.arch) == ("x86_64", "aarch64", "riscv")


def test_object_parameters(x86, arm, riscv):
    client = x86.objects["client_tcb"]
    assert dict(client.params) == {"addr": 0x10000, "ip": 0x400000, "sp": 0x20000, "prio": 100, "max_prio": 200,
                                   "affinity": 0, "resume": False, "init": (1, 2, 3), "dom": 0, "fault_ep": 5}
    assert dict(x86.objects["server_tcb"].params) == {"addr": 0x10000, "affinity": 1}
    assert x86.objects["idle_tcb"].params == ()
    assert x86.objects["server_cnode"].param("bits") == 6
    assert dict(x86.objects["big_page"].params) == {"size": 2 << 20, "paddr": 0x40000000}
    assert x86.objects["data"].param("fill") == (("0", "100", "CDL_FrameFill_FileData", '"app.bin"', "0x1000"),
                                                 ("200", "8", "CDL_FrameFill_BootInfo"))
    assert dict(x86.objects["pool"].params) == {"bits": 20, "paddr": 0x80000000}
    assert x86.objects["com1"].param("ports") == (0x3F8, 0x3FF)
    assert dict(x86.objects["nic"].params) == {"domainID": 1, "pci": (0, 3, 0)}
    assert x86.objects["nic_pt"].param("level") == 0
    assert dict(x86.objects["serial_irq"].params) == {"ioapic_num": 0, "ioapic_pin": 4, "ioapic_level": 1,
                                                      "ioapic_polarity": 0}
    assert dict(x86.objects["nic_irq"].params)["msi_pci_dev"] == 3
    assert dict(x86.objects["client_sc"].params) == {"period": 1000, "budget": 500, "data": 1, "bits": 12}
    assert x86.objects["asids"].param("asid_high") == 1
    assert dict(arm.objects["uart_irq"].params) == {"trigger": "level", "target": 0}
    assert arm.objects["gpu_cb"].param("bank") == 3
    assert arm.objects["smmu_dev"].param("iospace") == 2
    assert arm.objects["vm_tcb"].param("resume") is True
    assert arm.objects["huge"].param("size") == 1 << 30
    assert riscv.objects["other_tcb"].param("dom") == 1


def test_arrays_are_counted_element_by_element(x86, riscv):
    assert [n for n in x86.objects if n.startswith("buf")] == ["buf[0]", "buf[1]", "buf[2]", "buf[3]"]
    assert {n for n in riscv.objects if n.startswith("hart_leaf")} == {"hart_leaf[0]", "hart_leaf[1]"}


def test_ranges_and_unnumbered_slots(x86):
    slots = x86.objects["client_cnode"].slots
    assert (slots[1].target, slots[2].target) == ("service", "events")  # slot 2 follows slot 1
    assert [slots[i].target for i in (4, 5)] == ["buf[0]", "buf[1]"]  # buf[0..1]
    assert [slots[i].target for i in (6, 7)] == ["buf[3]", "buf[2]"]  # buf[3, 2]: in the order written
    assert [slots[i].target for i in (8, 9)] == ["buf[0]", "buf[1]"]  # buf[..1]
    assert [x86.objects["client_pt"].slots[i].target for i in range(0x11, 0x15)] == [f"buf[{i}]" for i in range(4)]


def test_cap_parameters(x86):
    cnode = x86.objects["client_cnode"].slots
    assert (cnode[1].type, cnode[1].rights, cnode[1].badge) == (CapType.ENDPOINT, {"W"}, 1)
    assert cnode[2].badge == 0x10
    assert (cnode[6].rights, cnode[6].rights_text()) == ({"R", "G"}, "RX")  # X is grant, written X on frames
    assert cnode[8].cached and not cnode[10].cached and cnode[10].asid == (1, 0)
    assert cnode[11].mapping == ("client_pd", 1)
    assert (cnode[12].type, cnode[12].guard, cnode[12].guard_size) == (CapType.CNODE, 0, 58)
    assert (cnode[13].type, cnode[13].asid) == (CapType.PML4, (1, 2))
    assert cnode[15].type is CapType.IRQ_CONTROL
    server = x86.objects["server_cnode"].slots
    assert server[1].rights == {"R", "G"}
    assert server[23].rights == {"R", "W", "G", "P"} and server[23].badge == 0xFF
    assert [server[i].type for i in (6, 7, 8, 9, 10, 11, 12, 13)] == [
        CapType.REPLY, CapType.MASTER_REPLY, CapType.IRQ_HANDLER, CapType.IRQ_IOAPIC_HANDLER, CapType.IRQ_MSI_HANDLER,
        CapType.IO_PORTS, CapType.IO_SPACE, CapType.IO_PT]
    assert [server[i].type for i in range(14, 23)] == [
        CapType.ASID_CONTROL, CapType.IO_SPACE_MASTER, CapType.DOMAIN, CapType.SCHED_CONTROL, CapType.UNTYPED,
        CapType.TCB, CapType.VCPU, CapType.SC, CapType.RTREPLY]
    assert server[17].core == 0


def test_tcb_slots_by_name(x86, arm):
    slots = x86.objects["client_tcb"].slots
    assert [slots[i].type for i in range(10)] == [
        CapType.CNODE, CapType.PML4, CapType.MASTER_REPLY, CapType.REPLY, CapType.FRAME, CapType.ENDPOINT,
        CapType.SC, CapType.ENDPOINT, CapType.NOTIFICATION, CapType.VCPU]
    assert arm.objects["vm_tcb"].slots[1].type is CapType.PGD


def test_cap_names_copies_and_masks(x86):
    assert x86.cap_names["the_service"] == ("server_cnode", 1)
    assert x86.cap_names["event_wait"] == ("client_cnode", 3)
    assert x86.cap_names["frame_pair[1]"] == ("client_cnode", 9)
    server = x86.objects["server_cnode"].slots
    assert (server[2].target, server[2].rights, server[2].copy_of) == ("events", {"R"}, "event_wait")
    assert (server[3].target, server[3].rights) == ("service", {"R"})  # RG masked by RW
    assert [server[i].target for i in (4, 5)] == ["buf[0]", "buf[1]"]  # <frame_pair[]>
    assert server[4].rights == {"R", "W", "G"}


def test_cdt_irq_maps_and_untyped_covers(x86, arm, riscv):
    assert x86.cdt == {("client_cnode", 2): ("client_cnode", 1), ("server_cnode", 1): ("client_cnode", 1),
                       ("server_cnode", 22): ("server_cnode", 1), ("server_cnode", 3): ("server_cnode", 1),
                       ("server_cnode", 23): ("server_cnode", 1)}
    assert x86.irq_map == {3: "timer_irq", 4: "serial_irq", 5: "nic_irq"}
    assert arm.irq_map == {33: "uart_irq", 27: "timer_irq"}
    assert riscv.irq_map == {0: "plic_irq[0]", 1: "plic_irq[1]"}
    assert x86.covers == {"a": ("b",), "b": ("c",), "more[0]": ("late_ep",), "pool": ("kid_ep", "sub"),
                          "sub": ("grandkid",)}
    assert x86.objects["a"].type is ObjectType.UT  # made by the path a/b/c
    assert riscv.covers == {"mem": ("hart_ipc", "mega")}


def test_nested_cdt_blocks(spec_of):
    """capDL's language lets cdt blocks nest (capDL-tool's own parser cannot read them)."""
    spec = spec_of("arch x86_64\nobjects { c = cnode (2 bits)\n e = ep }\ncaps { c { 0: e (RW); 1: e (W); 2: e (R) } }\n"
                   "cdt { (c, 0) { (c, 1) { (c, 2) } } }")
    assert spec.cdt == {("c", 1): ("c", 0), ("c", 2): ("c", 1)}


@pytest.mark.parametrize("text", [
    "arch x86_64 -- a comment\nobjects { e = ep }",
    "arch x86_64 /* one /* two /* three /* four /* five */ */ */ */ */ objects { e = ep }",
    "arch /*\n*/ x86_64\n\nobjects\n{\n e\n =\n ep\n }\n",
    "arch x86_64 objects { e-1.x@y = ep }",
])
def test_comments_whitespace_and_names(spec_of, text):
    assert len(spec_of(text).objects) == 1


def test_numbers_in_every_base(spec_of):
    """Hexadecimal 0x, octal 0o, and decimal even with leading zeros (as capDL-tool reads them)."""
    spec = spec_of("arch x86_64 objects { c = cnode (0x4 bits) } caps { c { 0o17: c; 010: c; 0xB: c } }")
    assert set(spec.objects["c"].slots) == {15, 10, 11}


def test_spans_point_at_the_declaration(x86):
    span = x86.span(x86.objects["late_ep"].at)
    assert (span.line, span.col) == (35, 3)
    assert str(x86.span(x86.objects["client_cnode"].slots[1].at)).endswith("x86_64_all.cdl:56:5")


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_input_is_an_error_at_its_position(path):
    expected = re.match(r"-- expect: (\d+):(\d+): (.*)", path.read_text().splitlines()[0])
    with pytest.raises(InputError) as err:
        load_capdl(path)
    span = err.value.span
    assert (span.file, span.line, span.col) == (str(path), int(expected.group(1)), int(expected.group(2)))
    assert expected.group(3) in err.value.message


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_capdl(tmp_path / "absent.cdl")
