"""Whole-file checks on a Microkit layout: names, references, ids, overlaps and architecture.

These are the checks the Microkit tool makes after parsing (an SDF it would refuse is bad input
here too), each reported at the element that breaks it, pointing at the one it clashes with.
"""

from __future__ import annotations

from typing import Iterable

from smosverify.errors import InputError, Span
from smosverify.model.microkit import IrqIoapic, IrqLine, IrqMsi, MicrokitMap, MicrokitMr, MicrokitPd, MicrokitSystem

RESERVED_PD = "monitor"  # the Microkit monitor's name
ARCHES = ("aarch64", "riscv64", "x86_64")


class _Unique:
    """Remembers where each key was first seen; a second sighting is an InputError."""

    def __init__(self, what: str):
        self.what = what
        self.seen: dict[object, Span] = {}

    def add(self, key: object, span: Span, shown: str | None = None) -> None:
        if key in self.seen:
            raise InputError(f"duplicate {self.what} {shown if shown is not None else repr(key)} (first at {self.seen[key]})", span)
        self.seen[key] = span


def check_layout(sdf: MicrokitSystem, arch: str | None = None, arch_span: Span | None = None) -> str:
    """Raise an InputError for the first thing Microkit would refuse; return the architecture
    (as declared, else x86_64 when x86-only elements are used, else aarch64)."""
    pds = dict(_names(sdf))
    mrs = {mr.name: mr for mr in sdf.memory_regions}
    for pd, parent in sdf.all_pds():
        _address_space(f"protection_domain '{pd.name}'", pd.maps, mrs)
        if pd.virtual_machine:
            _address_space(f"virtual_machine '{pd.virtual_machine.name}'", pd.virtual_machine.maps, mrs)
        ids = _Unique(f"child/vcpu id in '{pd.name}':")
        for child in pd.children:
            ids.add(child.child_id, child.span)
        for vcpu in pd.virtual_machine.vcpus if pd.virtual_machine else ():
            ids.add(vcpu.id, vcpu.span)
        slots = _Unique(f"cspace slot in '{pd.name}':")
        for cap in pd.cap_maps:
            if cap.pd not in pds:
                raise InputError(f"<cap_{cap.kind}> names '{cap.pd}', which is not a protection domain", cap.span)
            slots.add(cap.slot, cap.span)
        ports = _Unique(f"ioport id in '{pd.name}':")
        for port in pd.ioports:
            ports.add(port.id, port.span)
    _channels(sdf, pds)
    _setvars(sdf, mrs)
    _hardware(sdf)
    _domains(sdf)
    _io_spaces(sdf, mrs)
    return _arch(sdf, arch, arch_span)


def _names(sdf: MicrokitSystem) -> Iterable[tuple[str, MicrokitPd]]:
    names = _Unique("name")
    for pd, _ in sdf.all_pds():
        if pd.name == RESERVED_PD:
            raise InputError(f"the name '{RESERVED_PD}' is reserved for the Microkit monitor", pd.span)
        names.add(pd.name, pd.span, f"'{pd.name}' (protection domain)")
        yield pd.name, pd
    for pd, _ in sdf.all_pds():
        if pd.virtual_machine:
            names.add(pd.virtual_machine.name, pd.virtual_machine.span, f"'{pd.virtual_machine.name}' (virtual machine)")
    regions = _Unique("memory_region name")
    for mr in sdf.memory_regions:
        regions.add(mr.name, mr.span)


def _page(mr: MicrokitMr) -> int:
    return mr.page_size or 0x1000


def _address_space(where: str, maps: tuple[MicrokitMap, ...], mrs: dict[str, MicrokitMr]) -> None:
    ranges = []
    for m in maps:
        mr = mrs.get(m.mr)
        if mr is None:
            raise InputError(f"<map> of '{m.mr}', which is not a memory_region", m.span)
        if m.vaddr % _page(mr):
            raise InputError(f"vaddr 0x{m.vaddr:x} is not aligned to the page size 0x{_page(mr):x} of '{m.mr}'", m.span)
        if m.setvar_prefill_size and mr.prefill_path is None:
            raise InputError(f"setvar_prefill_size on '{m.mr}', which has no prefill_path", m.span)
        ranges.append((m.vaddr, m.vaddr + mr.size, m))
    ranges.sort(key=lambda r: (r[0], r[2].span))
    for (_, end, first), (start, _, second) in zip(ranges, ranges[1:]):
        if start < end:
            raise InputError(f"map of '{second.mr}' overlaps the map of '{first.mr}' at {first.span} in {where}", second.span)


def _channels(sdf: MicrokitSystem, pds: dict[str, MicrokitPd]) -> None:
    vms = {pd.virtual_machine.name for pd in pds.values() if pd.virtual_machine}
    ids: dict[str, _Unique] = {name: _Unique(f"channel id in '{name}':") for name in pds}
    for pd in pds.values():
        for irq in pd.irqs:
            ids[pd.name].add(irq.id, irq.span)
    for ch in sdf.channels:
        for end in (ch.a, ch.b):
            if end.pd not in pds:
                kind = "a virtual machine (channels connect protection domains)" if end.pd in vms else "not a protection domain"
                raise InputError(f"channel end names '{end.pd}', which is {kind}", end.span)
            ids[end.pd].add(end.id, end.span)
        if ch.a.pd == ch.b.pd:
            raise InputError(f"a channel from '{ch.a.pd}' to itself", ch.span)
        for caller, callee in ((ch.a, ch.b), (ch.b, ch.a)):
            low, high = pds[caller.pd], pds[callee.pd]
            if caller.pp and low.priority >= high.priority:
                raise InputError(
                    f"a protected procedure call needs a callee of strictly higher priority: '{low.name}' "
                    f"(priority {low.priority}) calls '{high.name}' (priority {high.priority})", caller.span)


def _setvars(sdf: MicrokitSystem, mrs: dict[str, MicrokitMr]) -> None:
    symbols: dict[str, _Unique] = {}

    def add(pd: str, symbol: str | None, span: Span) -> None:
        if symbol is not None:
            symbols.setdefault(pd, _Unique(f"setvar symbol in '{pd}':")).add(symbol, span)

    for pd, _ in sdf.all_pds():
        for m in pd.maps:
            for symbol in (m.setvar_vaddr, m.setvar_size, m.setvar_prefill_size):
                add(pd.name, symbol, m.span)
        for irq in pd.irqs:
            add(pd.name, irq.setvar_id, irq.span)
        for port in pd.ioports:
            add(pd.name, port.setvar_id, port.span)
            add(pd.name, port.setvar_addr, port.span)
        for var in pd.setvars:
            if var.region_paddr not in mrs:
                raise InputError(f"<setvar> region_paddr names '{var.region_paddr}', which is not a memory_region", var.span)
            add(pd.name, var.symbol, var.span)
        for child in pd.children:
            add(pd.name, child.setvar_id, child.span)
        for vcpu in pd.virtual_machine.vcpus if pd.virtual_machine else ():
            add(pd.name, vcpu.setvar_id, vcpu.span)
    for ch in sdf.channels:
        for end in (ch.a, ch.b):
            add(end.pd, end.setvar_id, end.span)


def _hardware(sdf: MicrokitSystem) -> None:
    """One owner per interrupt, I/O ports and physical memory that do not overlap."""
    irqs = _Unique("interrupt")
    ports: list[tuple[int, int, Span]] = []
    for pd, _ in sdf.all_pds():
        for irq in pd.irqs:
            s = irq.source
            if isinstance(s, IrqLine):
                irqs.add(("irq", s.irq), irq.span, f"irq {s.irq}")
            elif isinstance(s, IrqIoapic):
                irqs.add(("pin", s.ioapic, s.pin), irq.span, f"I/O APIC {s.ioapic} pin {s.pin}")
            else:
                irqs.add(("msi", s.bus, s.device, s.function, s.handle), irq.span, f"MSI {s.bus:02x}:{s.device:02x}.{s.function:x} handle {s.handle}")
        ports.extend((p.addr, p.addr + p.size, p.span) for p in pd.ioports)
    _no_overlap(ports, "I/O port range")
    _no_overlap([(mr.phys_addr, mr.phys_addr + mr.size, mr.span) for mr in sdf.memory_regions if mr.phys_addr is not None], "physical address range")


def _no_overlap(ranges: list[tuple[int, int, Span]], what: str) -> None:
    ranges.sort()
    for (_, end, first), (start, _, second) in zip(ranges, ranges[1:]):
        if start < end:
            raise InputError(f"{what} overlaps the one at {first}", second)


def _domains(sdf: MicrokitSystem) -> None:
    d = sdf.domains
    names = {dom.name for dom in d.domains} if d else set()
    if d:
        unique_names, unique_ids = _Unique("domain name"), _Unique("domain id")
        for dom in d.domains:
            unique_names.add(dom.name, dom.span)
            if dom.id is not None:
                unique_ids.add(dom.id, dom.span)
        for entry in d.schedule:
            if entry.domain is not None and entry.domain not in names:
                raise InputError(f"schedule_entry names domain '{entry.domain}', which is not declared", entry.span)
        if d.start_index is not None and d.start_index >= len(d.schedule):
            raise InputError(f"start_index {d.start_index} is past the end of the schedule ({len(d.schedule)} entries)", d.span)
    for pd, _ in sdf.all_pds():
        if pd.domain is None and d:
            raise InputError(f"protection_domain '{pd.name}' needs a domain= attribute (the system declares <domains>)", pd.span)
        if pd.domain is not None and pd.domain not in names:
            raise InputError(f"domain '{pd.domain}' is not declared in <domains>", pd.span)


def _io_spaces(sdf: MicrokitSystem, mrs: dict[str, MicrokitMr]) -> None:
    names, domains, devices = _Unique("io_address_space name"), _Unique("IOMMU domain_id"), _Unique("peripheral_id")
    for space in sdf.io_address_spaces:
        names.add(space.name, space.span)
        if space.domain_id is not None:
            domains.add(space.domain_id, space.span)
        devices.add(space.peripheral_id.replace(" ", "").lower(), space.span, space.peripheral_id)
        ranges = []
        for m in space.iomaps:
            mr = mrs.get(m.mr)
            if mr is None:
                raise InputError(f"<iomap> of '{m.mr}', which is not a memory_region", m.span)
            if mr.page_size == 0x200000:
                raise InputError(f"'{m.mr}' uses large pages, which the IOMMU does not support", m.span)
            if m.iovaddr % 0x1000:
                raise InputError(f"iovaddr 0x{m.iovaddr:x} is not page aligned", m.span)
            ranges.append((m.iovaddr, m.iovaddr + mr.size, m.span))
        _no_overlap(ranges, f"iomap range in '{space.name}'")


def _arch(sdf: MicrokitSystem, declared: str | None, declared_span: Span | None) -> str:
    x86: list[tuple[Span, str]] = [(s.span, "<io_address_space>") for s in sdf.io_address_spaces]
    lines: list[tuple[Span, str]] = []  # ARM and RISC-V only
    aarch64: list[tuple[Span, str]] = []
    for pd, _ in sdf.all_pds():
        x86 += [(p.span, "<ioport>") for p in pd.ioports]
        x86 += [(i.span, "an x86 <irq> (pin= or pcidev=)") for i in pd.irqs if isinstance(i.source, (IrqIoapic, IrqMsi))]
        lines += [(i.span, "an <irq irq=...> (ARM and RISC-V only)") for i in pd.irqs if isinstance(i.source, IrqLine)]
        if pd.smc:
            aarch64.append((pd.span, "smc=\"true\" (ARM only)"))
        vm = pd.virtual_machine
        if vm and (vm.priority, vm.budget, vm.period) != (None, None, None):
            aarch64.append((vm.span, "virtual_machine scheduling attributes (AArch64 only)"))
    x86 += [(mr.span, f"prefill_bootinfo=\"{mr.prefill_bootinfo}\"") for mr in sdf.memory_regions if (mr.prefill_bootinfo or "").startswith("x86")]
    arch = declared or ("x86_64" if x86 else "aarch64")
    clash = {"x86_64": lines + aarch64, "riscv64": x86 + aarch64, "aarch64": x86}[arch]
    if clash:
        span, what = min(clash)
        reason = f"declared at {declared_span}" if declared else f"implied by {min(x86)[1]} at {min(x86)[0]}"
        raise InputError(f"{what} cannot be used on {arch} ({reason})", span)
    if arch == "x86_64":
        for pd, _ in sdf.all_pds():
            if pd.virtual_machine and pd.children:
                raise InputError(f"on x86_64 a PD with a virtual machine ('{pd.name}') cannot have child PDs", pd.span)
    return arch
