"""Fixtures for the Microkit tests: SDFs that use every construct, a policy that allows them, and
a comparison of models that ignores source positions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smosverify.errors import Span

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# Every element and attribute an AArch64 SDF can have (x86-only ones are in X86_CONSTRUCTS).
ALL_CONSTRUCTS = """\
<?xml version="1.0" encoding="UTF-8"?>
<system>
    <memory_region name="shared" size="0x2000" />
    <memory_region name="big" size="0x200000" page_size="0x200000" />
    <memory_region name="uart" size="0x1000" phys_addr="0x9_000_000" />
    <memory_region name="dtb" prefill_bootinfo="fdt" />
    <memory_region name="guest_ram" size="0x10000" />
    <domains>
        <domain name="low" id="1" />
        <domain name="high" />
        <domain_schedule start_index="0" index_shift="2">
            <schedule_entry domain="low" duration="1000 us" />
            <schedule_entry domain="high" duration="5 ticks" />
            <schedule_end_marker />
        </domain_schedule>
    </domains>
    <protection_domain name="parent" priority="100" budget="200" period="400" passive="false" stack_size="0x4000"
                       smc="true" cpu="0" fpu="false" domain="low">
        <program_image path="parent.elf" path_for_symbols="parent.debug.elf" />
        <map mr="shared" vaddr="0x4000000" perms="rw" cached="true" setvar_vaddr="shared_vaddr" setvar_size="shared_size" />
        <map mr="uart" vaddr="0x5000000" perms="r" cached="false" />
        <map mr="dtb" vaddr="0x6000000" perms="r" />
        <irq irq="33" id="7" trigger="edge" setvar_id="uart_irq" />
        <irq irq="34" id="8" />
        <setvar symbol="uart_paddr" region_paddr="uart" />
        <protection_domain name="child" id="0" setvar_id="child_id" priority="90" domain="low">
            <program_image path="child.elf" />
            <map mr="big" vaddr="0x200000" perms="rwx" />
        </protection_domain>
        <cspace>
            <cap_tcb slot="1" pd="server" />
            <cap_sc slot="2" pd="server" />
            <cap_vspace slot="3" pd="server" />
        </cspace>
    </protection_domain>
    <protection_domain name="vmm" priority="150" domain="high">
        <program_image path="vmm.elf" />
        <virtual_machine name="guest" priority="140" budget="100" period="100">
            <vcpu id="1" cpu="0" setvar_id="vcpu_id" />
            <vcpu id="2" />
            <map mr="guest_ram" vaddr="0x40000000" perms="rwx" />
            <map mr="shared" vaddr="0x50000000" perms="r" />
        </virtual_machine>
    </protection_domain>
    <protection_domain name="server" priority="200" passive="true" domain="high">
        <program_image path="server.elf" />
        <map mr="shared" vaddr="0x4000000" perms="r" />
    </protection_domain>
    <channel>
        <end pd="parent" id="1" pp="true" notify="false" setvar_id="server_channel" />
        <end pd="server" id="3" />
    </channel>
    <channel>
        <end pd="vmm" id="4" notify="true" />
        <end pd="server" id="5" notify="false" pp="false" />
    </channel>
</system>
"""

X86_CONSTRUCTS = """\
<?xml version="1.0" encoding="UTF-8"?>
<system>
    <memory_region name="rsdp" prefill_bootinfo="x86_acpi_rsdp" />
    <memory_region name="dma" size="0x4000" />
    <io_address_space name="nic" peripheral_id="0:1f.3" domain_id="1">
        <iomap mr="dma" iovaddr="0x100000" perms="rw" />
    </io_address_space>
    <protection_domain name="driver" priority="10">
        <program_image path="driver.elf" />
        <map mr="dma" vaddr="0x4000000" perms="rw" />
        <map mr="rsdp" vaddr="0x5000000" perms="r" />
        <ioport id="0" addr="0x3f8" size="8" setvar_id="port_id" setvar_addr="port_addr" />
        <irq pin="4" ioapic="0" trigger="edge" polarity="low" vector="36" id="1" setvar_id="serial_irq" />
        <irq pcidev="0:1f.3" handle="2" vector="40" id="2" />
    </protection_domain>
</system>
"""

# Rules allowing every authority the fixtures give (P3 holds on them).
ALLOW_ALL = """\
sid a_t, b_t, c_t;
attribute all = { a_t b_t c_t };
allow all all : { tcb cnode vspace memory endpoint notification } *;
"""


def strip_spans(value):
    """A copy of a model (dataclasses, dicts, tuples, sets) with every Span replaced by None."""
    if isinstance(value, Span):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: strip_spans(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init})
    if isinstance(value, dict):
        return {k: strip_spans(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple (Target, Cap)
        return type(value)(*(strip_spans(v) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(strip_spans(v) for v in value)
    if isinstance(value, frozenset):
        return frozenset(strip_spans(v) for v in value)
    return value


def security_view(system) -> dict:
    """What the analyses see of a system: no positions, attributes, layout or names of notifications
    (a notification is keyed by its waiters)."""
    return {
        "components": {n: (c.sid, c.role, tuple((o.name, o.cls, o.sid) for o in c.objects),
                           tuple((x.target, x.rights) for x in c.caps)) for n, c in system.components.items()},
        "connections": sorted((c.client, c.server, tuple(sorted(c.rights)), c.badge, c.capacity) for c in system.connections),
        "regions": {n: (r.sid, r.size, tuple((m.component, m.rights) for m in r.maps), r.capacity) for n, r in system.regions.items()},
        "notifications": {tuple(w for w, _ in n.waiters): (n.sid, sorted(s for s, _ in n.signallers), n.capacity)
                          for n in system.notifications.values()},
        "arch": system.arch,
    }


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def sdf_files(tmp_path):
    """Write an SDF, a policy (ALLOW_ALL plus extra) and optional labels; return their paths."""

    def make(sdf: str, labels: str | None = None, extra_policy: str = "", name: str = "system.system"):
        paths = {"sdf": write(tmp_path, name, sdf), "policy": write(tmp_path, "policy.pol", ALLOW_ALL + extra_policy)}
        if labels is not None:
            paths["labels"] = write(tmp_path, "labels.yaml", labels)
        return paths

    return make
