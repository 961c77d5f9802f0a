"""Whole-file checks on a Microkit layout: names, references, ids, overlaps, architecture and board.

These are the checks the Microkit tool makes after parsing (an SDF it would refuse is bad input
here too), each reported at the element that breaks it, pointing at the one it clashes with.
What depends on the kernel the SDF is built for (cores, domains, hypervisor, IOMMU, the highest
user address, the number of PDs) is checked against a `MicrokitBoard`.
"""

from __future__ import annotations

from typing import Iterable

from smosverify.errors import InputError, Span
from smosverify.model.microkit import (
    IrqIoapic, IrqLine, IrqMsi, MicrokitBoard, MicrokitCapMap, MicrokitMap, MicrokitMr, MicrokitPd, MicrokitSystem,
)

RESERVED_PD = "monitor"  # the Microkit monitor's name
ADDRESS_END = 2**64  # a map whose region would end here or past it wraps around (its end is no 64-bit number)
LARGE_PAGE = 0x200000


class _Unique:
    """Remembers where each key was first seen; a second sighting is an InputError."""

    def __init__(self, what: str):
        self.what = what
        self.seen: dict[object, Span] = {}

    def add(self, key: object, span: Span, shown: str | None = None) -> None:
        if key in self.seen:
            raise InputError(f"duplicate {self.what} {shown if shown is not None else repr(key)} (first at {self.seen[key]})", span)
        self.seen[key] = span


def check_layout(sdf: MicrokitSystem, board: MicrokitBoard = MicrokitBoard(), arch: str | None = None,
                 arch_span: Span | None = None) -> str:
    """Raise an InputError for the first thing Microkit would refuse on `board`; return the
    architecture (as declared, else x86_64 when x86-only elements are used, else aarch64)."""
    _kernel_features(sdf, board)
    arch = _arch(sdf, arch, arch_span)
    pds = dict(_names(sdf))
    mrs = {mr.name: mr for mr in sdf.memory_regions}
    for pd, _ in sdf.all_pds():
        _cpus(pd, board)
        _address_space(f"protection_domain '{pd.name}'", pd.maps, mrs, board.pd_map_limit(arch, pd.stack_size))
        if pd.virtual_machine:
            _address_space(f"virtual_machine '{pd.virtual_machine.name}'", pd.virtual_machine.maps, mrs, board.vm_map_limit(arch))
        ids = _Unique(f"child/vcpu id in '{pd.name}':")
        for child in pd.children:
            ids.add(child.child_id, child.span)
        for vcpu in pd.virtual_machine.vcpus if pd.virtual_machine else ():
            ids.add(vcpu.id, vcpu.span)
        slots: dict[int, MicrokitCapMap] = {}
        for cap in pd.cap_maps:
            if cap.pd not in pds:
                raise InputError(f"<cap_{cap.kind}> names '{cap.pd}', which is not a protection domain", cap.span)
            first = slots.setdefault(cap.slot, cap)
            if first is not cap:
                raise InputError(f"slot {cap.slot} of protection_domain '{pd.name}' already holds the cap_{first.kind} of "
                                 f"'{first.pd}' (at {first.span})", cap.span)
        ports = _Unique(f"ioport id in '{pd.name}':")
        for port in pd.ioports:
            ports.add(port.id, port.span)
    _channels(sdf, pds, arch)
    _setvars(sdf, mrs, arch)
    _hardware(sdf)
    _domains(sdf, board)
    _io_spaces(sdf, mrs, board)
    return arch


def _kernel_features(sdf: MicrokitSystem, board: MicrokitBoard) -> None:
    """Elements that need a kernel feature the board's kernel is built without."""
    count = sum(1 for _ in sdf.all_pds())
    if count > board.max_pds:
        raise InputError(f"{count} protection domains; Microkit supports at most {board.max_pds} (MAX_PDS)", sdf.span)
    if sdf.io_address_spaces and not board.iommu:
        raise InputError("an <io_address_space> needs a kernel built with IOMMU support (the board has none)",
                         sdf.io_address_spaces[0].span)
    if sdf.domains and board.cores != 1:
        raise InputError(f"<domains>: seL4's domain scheduler is not supported on a multicore kernel (the board has "
                         f"{board.cores} cores)", sdf.domains.span)
    for pd, _ in sdf.all_pds():
        if pd.virtual_machine and not board.hypervisor:
            raise InputError(f"virtual_machine '{pd.virtual_machine.name}' needs a kernel built with hypervisor support "
                             "(the board has none)", pd.virtual_machine.span)
        if pd.smc and not board.smc:
            raise InputError(f"protection_domain '{pd.name}': smc=\"true\" needs a kernel that forwards SMC calls "
                             "(the board does not)", pd.span)


def _names(sdf: MicrokitSystem) -> Iterable[tuple[str, MicrokitPd]]:
    """PD, VM and memory region names are unique within their kind (Microkit keeps them apart)."""
    names = _Unique("protection_domain name")
    vms = _Unique("virtual_machine name")
    for pd, _ in sdf.all_pds():
        if pd.name == RESERVED_PD:
            raise InputError(f"the name '{RESERVED_PD}' is reserved for the Microkit monitor", pd.span)
        names.add(pd.name, pd.span, f"'{pd.name}'")
        if pd.virtual_machine:
            vms.add(pd.virtual_machine.name, pd.virtual_machine.span, f"'{pd.virtual_machine.name}'")
        yield pd.name, pd
    regions = _Unique("memory_region name")
    for mr in sdf.memory_regions:
        regions.add(mr.name, mr.span, f"'{mr.name}'")


def _cpus(pd: MicrokitPd, board: MicrokitBoard) -> None:
    placed = [(pd.cpu, pd.span, f"protection_domain '{pd.name}'")]
    placed += [(v.cpu, v.span, f"vcpu {v.id}") for v in (pd.virtual_machine.vcpus if pd.virtual_machine else ()) if v.cpu is not None]
    for cpu, span, what in placed:
        if cpu >= board.cores:
            raise InputError(f"{what} runs on cpu {cpu}, but the board has {board.cores} core(s) (cpu must be less than {board.cores})", span)


def _page(mr: MicrokitMr) -> int:
    return mr.page_size or 0x1000


def _address_space(where: str, maps: tuple[MicrokitMap, ...], mrs: dict[str, MicrokitMr], limit: int) -> None:
    """Maps of existing regions, aligned, below `limit` (the first address the space cannot map), disjoint."""
    ranges = []
    for m in maps:
        mr = mrs.get(m.mr)
        if mr is None:
            raise InputError(f"<map> of '{m.mr}', which is not a memory_region", m.span)
        if m.vaddr >= limit:
            raise InputError(f"vaddr 0x{m.vaddr:x} is not below 0x{limit:x}, the first address {where} cannot map", m.span)
        if m.vaddr % _page(mr):
            raise InputError(f"vaddr 0x{m.vaddr:x} is not aligned to the page size 0x{_page(mr):x} of '{m.mr}'", m.span)
        _fits(f"map of '{m.mr}'", m.vaddr, mr.size, limit, where, m.span)
        if m.setvar_prefill_size and mr.prefill_path is None:
            raise InputError(f"setvar_prefill_size on '{m.mr}', which has no prefill_path", m.span)
        ranges.append((m.vaddr, m.vaddr + mr.size, f"map of '{m.mr}'", m.span))
    _no_overlap(ranges, f"in {where}")


def _fits(what: str, start: int, size: int, limit: int, where: str, span: Span) -> None:
    end = start + size
    if end >= ADDRESS_END:
        raise InputError(f"{what} at 0x{start:x} with size 0x{size:x} overflows the 64-bit address range", span)
    if end > limit:
        raise InputError(f"{what} covers [0x{start:x}..0x{end:x}), which exceeds the addresses {where} can map "
                         f"[0x0..0x{limit:x})", span)


def _channels(sdf: MicrokitSystem, pds: dict[str, MicrokitPd], arch: str) -> None:
    ids: dict[str, _Unique] = {name: _Unique(f"channel id in '{name}':") for name in pds}
    for pd in pds.values():
        for irq in pd.irqs:
            ids[pd.name].add(irq.id, irq.span)
    for ch in sdf.channels:
        for end in (ch.a, ch.b):
            if end.pd not in pds:
                raise InputError(f"channel end names '{end.pd}', which is not a protection domain", end.span)
            ids[end.pd].add(end.id, end.span)
        for caller, callee in ((ch.a, ch.b), (ch.b, ch.a)):
            low, high = pds[caller.pd], pds[callee.pd]
            if caller.pp and low.priority >= high.priority:
                raise InputError(
                    f"a protected procedure call needs a callee of strictly higher priority: '{low.name}' "
                    f"(priority {low.priority}) calls '{high.name}' (priority {high.priority})", caller.span)
            if caller.pp and arch == "x86_64" and high.virtual_machine:
                # seL4_VMEnter on x86 looks only at the VMM's bound notification, so a call would wait forever
                raise InputError(f"on x86_64 '{low.name}' cannot call (pp) '{high.name}', whose virtual machine has a "
                                 "bound vCPU", caller.span)


def _setvars(sdf: MicrokitSystem, mrs: dict[str, MicrokitMr], arch: str) -> None:
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
            mr = mrs.get(var.region_paddr)
            if mr is None:
                raise InputError(f"<setvar> region_paddr names '{var.region_paddr}', which is not a memory_region", var.span)
            if mr.phys_addr is None and arch == "x86_64":
                # the tool allocates a physical address only on ARM and RISC-V
                raise InputError(f"on x86_64 a <setvar> region_paddr needs a region with a phys_addr; '{mr.name}' has none", var.span)
            add(pd.name, var.symbol, var.span)
        for child in pd.children:
            add(pd.name, child.setvar_id, child.span)
        for vcpu in pd.virtual_machine.vcpus if pd.virtual_machine else ():
            add(pd.name, vcpu.setvar_id, vcpu.span)
    for ch in sdf.channels:
        for end in (ch.a, ch.b):
            add(end.pd, end.setvar_id, end.span)


def _hardware(sdf: MicrokitSystem) -> None:
    """One owner per interrupt (a line on ARM and RISC-V, a vector on x86, where seL4 hands out an
    IRQ handler per vector), I/O ports and physical memory that do not overlap."""
    irqs = _Unique("interrupt")
    ports: list[tuple[int, int, str, Span]] = []
    for pd, _ in sdf.all_pds():
        for irq in pd.irqs:
            s = irq.source
            key, shown = (("irq", s.irq), f"irq {s.irq}") if isinstance(s, IrqLine) else (("vector", s.vector), f"vector {s.vector}")
            irqs.add(key, irq.span, f"{shown} in protection_domain '{pd.name}'")
        ports.extend((p.addr, p.addr + p.size, f"I/O port {p.id} of protection_domain '{pd.name}'", p.span) for p in pd.ioports)
    _no_overlap(ports)
    _no_overlap([(mr.phys_addr, mr.phys_addr + mr.size, f"memory_region '{mr.name}' (physical addresses)", mr.span)
                 for mr in sdf.memory_regions if mr.phys_addr is not None])


def _no_overlap(ranges: list[tuple[int, int, str, Span]], where: str = "") -> None:
    """Ranges [start, end) with what they are and where; the first two that overlap are an error."""
    ranges.sort(key=lambda r: (r[0], r[3]))
    for (low, end, first, at), (start, high, second, span) in zip(ranges, ranges[1:]):
        if start < end:
            raise InputError(f"{second} [0x{start:x}..0x{high:x}) overlaps {first} [0x{low:x}..0x{end:x}) at {at}"
                             + (f" {where}" if where else ""), span)


def _domains(sdf: MicrokitSystem, board: MicrokitBoard) -> None:
    d = sdf.domains
    names = {dom.name for dom in d.domains} if d else set()
    if d:
        unique_names, unique_ids = _Unique("domain name"), _Unique("domain id")
        for dom in d.domains:
            unique_names.add(dom.name, dom.span)
            if dom.id is not None:
                if dom.id >= board.domains:
                    raise InputError(f"domain id {dom.id} must be less than the kernel's number of domains, {board.domains}", dom.span)
                unique_ids.add(dom.id, dom.span)
        if len(d.domains) > board.domains:
            raise InputError(f"{len(d.domains)} domains, more than the kernel's number of domains, {board.domains}", d.span)
        for entry in d.schedule:
            if entry.domain is not None and entry.domain not in names:
                raise InputError(f"schedule_entry names domain '{entry.domain}', which is not declared", entry.span)
        length = len(d.schedule)
        if length >= board.domain_schedule:
            raise InputError(f"{length} schedule entries; the kernel has room for fewer than {board.domain_schedule}", d.span)
        start = d.start_index or 0
        if start >= length:
            raise InputError(f"start_index {start} is past the end of the schedule ({length} entries)", d.span)
        if d.index_shift is not None and d.index_shift + length >= board.domain_schedule:
            raise InputError(f"index_shift {d.index_shift} with a schedule of {length} entries does not fit the kernel's "
                             f"{board.domain_schedule} schedule slots", d.span)
    for pd, _ in sdf.all_pds():
        if pd.domain is None and d:
            raise InputError(f"protection_domain '{pd.name}' needs a domain= attribute (the system declares <domains>)", pd.span)
        if pd.domain is not None and not d:
            raise InputError(f"protection_domain '{pd.name}' names domain '{pd.domain}', but the system declares no <domains> "
                             "with a domain schedule", pd.span)
        if pd.domain is not None and pd.domain not in names:
            raise InputError(f"domain '{pd.domain}' is not declared in <domains>", pd.span)


def _io_spaces(sdf: MicrokitSystem, mrs: dict[str, MicrokitMr], board: MicrokitBoard) -> None:
    names, domains, devices = _Unique("io_address_space name"), _Unique("IOMMU domain_id"), _Unique("peripheral_id")
    limit = 2**board.iommu_bits
    for space in sdf.io_address_spaces:
        names.add(space.name, space.span, f"'{space.name}'")
        if space.domain_id is None:
            raise InputError(f"io_address_space '{space.name}' needs a domain_id (its x86 IOMMU domain)", space.span)
        domains.add(space.domain_id, space.span)
        devices.add(space.peripheral_id.replace(" ", "").lower(), space.span, space.peripheral_id)
        ranges = []
        for m in space.iomaps:
            mr = mrs.get(m.mr)
            if mr is None:
                raise InputError(f"<iomap> of '{m.mr}', which is not a memory_region", m.span)
            if mr.page_size == LARGE_PAGE:
                raise InputError(f"'{m.mr}' uses large pages, which seL4's IOMMU support does not have", m.span)
            if m.iovaddr >= limit:
                raise InputError(f"iovaddr 0x{m.iovaddr:x} must be less than 0x{limit:x} ({board.iommu_bits} IOMMU address bits)", m.span)
            if m.iovaddr % 0x1000:
                raise InputError(f"iovaddr 0x{m.iovaddr:x} is not page aligned", m.span)
            _fits(f"iomap of '{m.mr}'", m.iovaddr, mr.size, limit, f"io_address_space '{space.name}'", m.span)
            ranges.append((m.iovaddr, m.iovaddr + mr.size, f"iomap of '{m.mr}'", m.span))
        _no_overlap(ranges, f"in io_address_space '{space.name}' (PCI device {space.peripheral_id})")


def _arch(sdf: MicrokitSystem, declared: str | None, declared_span: Span | None) -> str:
    x86: list[tuple[Span, str]] = [(s.span, f"<io_address_space> of peripheral_id '{s.peripheral_id}' (IOMMU devices are "
                                           "x86 PCI devices)") for s in sdf.io_address_spaces]
    lines: list[tuple[Span, str]] = []  # ARM and RISC-V only
    aarch64: list[tuple[Span, str]] = []
    vms: list[tuple[Span, str]] = []  # not on RISC-V, where Microkit builds kernels without hypervisor support
    for pd, _ in sdf.all_pds():
        x86 += [(p.span, "<ioport>") for p in pd.ioports]
        x86 += [(i.span, "an x86 <irq> (pin= or pcidev=)") for i in pd.irqs if isinstance(i.source, (IrqIoapic, IrqMsi))]
        lines += [(i.span, "an <irq irq=...> (ARM and RISC-V only)") for i in pd.irqs if isinstance(i.source, IrqLine)]
        if pd.smc:
            aarch64.append((pd.span, "smc=\"true\" (ARM only)"))
        vm = pd.virtual_machine
        if vm:
            vms.append((vm.span, "a <virtual_machine>"))
        if vm and (vm.priority, vm.budget, vm.period) != (None, None, None):
            aarch64.append((vm.span, "virtual_machine scheduling attributes (priority, budget, period: AArch64 only)"))
    x86 += [(mr.span, f"prefill_bootinfo=\"{mr.prefill_bootinfo}\"") for mr in sdf.memory_regions if (mr.prefill_bootinfo or "").startswith("x86")]
    arch = declared or ("x86_64" if x86 else "aarch64")
    clash = {"x86_64": lines + aarch64, "riscv64": x86 + aarch64 + vms, "aarch64": x86}[arch]
    if clash:
        span, what = min(clash)
        reason = f"declared at {declared_span}" if declared_span else "as declared" if declared else f"implied by {min(x86)[1]} at {min(x86)[0]}"
        raise InputError(f"{what} cannot be used on {arch} ({reason})", span)
    if arch == "x86_64":
        for pd, _ in sdf.all_pds():
            if pd.virtual_machine and pd.children:
                raise InputError(f"on x86_64 a PD with a virtual machine ('{pd.name}') cannot have child PDs", pd.span)
    return arch
