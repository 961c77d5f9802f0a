"""A Microkit system description as written: everything an SDF says beyond the security view.

The loader turns an SDF into the same `System` the YAML loader builds; this layout keeps what the
security view does not need (addresses, channel ids, interrupts, scheduling, program images) so
that the SDF can be written back unchanged (`smosverify emit microkit`). Defaults are resolved as
Microkit resolves them, so a written-back SDF reads as the same layout. docs/microkit.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from smosverify.errors import Span


@dataclass(frozen=True)
class MicrokitMap:
    """`<map>`: a memory region in a PD's or VM's address space."""

    mr: str
    vaddr: int
    perms: str  # a subset of "rwx", in that order ("" maps nothing)
    cached: bool
    setvar_vaddr: str | None
    setvar_size: str | None
    setvar_prefill_size: str | None
    span: Span


@dataclass(frozen=True)
class IrqLine:
    """An ARM or RISC-V interrupt line (`irq="N"`)."""

    irq: int
    trigger: str  # "level" | "edge"


@dataclass(frozen=True)
class IrqIoapic:
    """An x86 I/O APIC interrupt (`pin="N"`)."""

    ioapic: int
    pin: int
    trigger: str  # "level" | "edge"
    polarity: str  # "low" | "high"
    vector: int


@dataclass(frozen=True)
class IrqMsi:
    """An x86 message-signalled interrupt (`pcidev="bus:dev.fn"`, hexadecimal fields)."""

    bus: int
    device: int
    function: int
    handle: int
    vector: int


@dataclass(frozen=True)
class MicrokitIrq:
    id: int  # the channel id the PD sees
    source: IrqLine | IrqIoapic | IrqMsi
    setvar_id: str | None
    span: Span


@dataclass(frozen=True)
class MicrokitIoPort:
    """`<ioport>`: an x86 I/O port range."""

    id: int
    addr: int
    size: int
    setvar_id: str | None
    setvar_addr: str | None
    span: Span


@dataclass(frozen=True)
class MicrokitSetVar:
    """`<setvar symbol=... region_paddr=...>`: a symbol patched with a region's physical address."""

    symbol: str
    region_paddr: str
    span: Span


@dataclass(frozen=True)
class MicrokitCapMap:
    """`<cspace>` child: a cap to another PD's TCB, scheduling context or VSpace in a slot."""

    kind: str  # "tcb" | "sc" | "vspace"
    pd: str
    slot: int
    span: Span


@dataclass(frozen=True)
class MicrokitVcpu:
    id: int
    cpu: int | None
    setvar_id: str | None
    span: Span


@dataclass(frozen=True)
class MicrokitVm:
    """`<virtual_machine>`: a guest run by the PD that contains it (its VMM)."""

    name: str
    vcpus: tuple[MicrokitVcpu, ...]
    maps: tuple[MicrokitMap, ...]
    priority: int | None  # scheduling attributes exist on AArch64 only
    budget: int | None
    period: int | None
    span: Span


@dataclass(frozen=True)
class MicrokitPd:
    """`<protection_domain>`, with its nested children."""

    name: str
    program_image: str
    path_for_symbols: str | None
    priority: int
    budget: int
    period: int
    passive: bool
    stack_size: int
    smc: bool
    cpu: int
    fpu: bool
    domain: str | None
    child_id: int | None  # set on nested PDs: the id their parent knows them by
    setvar_id: str | None
    maps: tuple[MicrokitMap, ...]
    irqs: tuple[MicrokitIrq, ...]
    ioports: tuple[MicrokitIoPort, ...]
    setvars: tuple[MicrokitSetVar, ...]
    cap_maps: tuple[MicrokitCapMap, ...]
    virtual_machine: MicrokitVm | None
    children: tuple[MicrokitPd, ...]
    span: Span


@dataclass(frozen=True)
class MicrokitMr:
    """`<memory_region>`."""

    name: str
    size: int
    page_size: int | None  # None: the tool chooses
    phys_addr: int | None
    prefill_path: str | None
    prefill_bootinfo: str | None
    span: Span


@dataclass(frozen=True)
class MicrokitEnd:
    pd: str
    id: int
    pp: bool  # this end may call the other end (protected procedure call)
    notify: bool  # this end may notify the other end
    setvar_id: str | None
    span: Span


@dataclass(frozen=True)
class MicrokitChannel:
    a: MicrokitEnd
    b: MicrokitEnd
    span: Span


@dataclass(frozen=True)
class MicrokitDomain:
    name: str
    id: int | None
    span: Span


@dataclass(frozen=True)
class MicrokitScheduleEntry:
    """A `<schedule_entry>` (domain and duration) or a `<schedule_end_marker>` (both None)."""

    domain: str | None
    duration: int | None
    unit: str | None  # "us" | "ticks"
    span: Span


@dataclass(frozen=True)
class MicrokitDomains:
    """`<domains>`: seL4's domain scheduler configuration."""

    domains: tuple[MicrokitDomain, ...]
    schedule: tuple[MicrokitScheduleEntry, ...]
    start_index: int | None
    index_shift: int | None
    span: Span


@dataclass(frozen=True)
class MicrokitIoMap:
    mr: str
    iovaddr: int
    perms: str  # a non-empty subset of "rw"
    span: Span


@dataclass(frozen=True)
class MicrokitIoSpace:
    """`<io_address_space>`: what a DMA-capable device may reach through the IOMMU."""

    name: str
    peripheral_id: str
    domain_id: int | None
    iomaps: tuple[MicrokitIoMap, ...]
    span: Span


@dataclass(frozen=True)
class MicrokitSystem:
    protection_domains: tuple[MicrokitPd, ...]  # top level; nested PDs are their children
    memory_regions: tuple[MicrokitMr, ...]
    channels: tuple[MicrokitChannel, ...]
    domains: MicrokitDomains | None
    io_address_spaces: tuple[MicrokitIoSpace, ...]
    span: Span

    def all_pds(self) -> Iterator[tuple[MicrokitPd, MicrokitPd | None]]:
        """Every PD with its parent (None at top level), parents before children, in file order."""
        stack = [(pd, None) for pd in reversed(self.protection_domains)]
        while stack:
            pd, parent = stack.pop()
            yield pd, parent
            stack.extend((child, pd) for child in reversed(pd.children))
