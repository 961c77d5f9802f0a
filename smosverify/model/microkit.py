"""A Microkit system description as written: everything an SDF says beyond the security view.

The loader turns an SDF into the same `System` the YAML loader builds; this layout keeps what the
security view does not need (addresses, channel ids, interrupts, scheduling, program images) so
that the SDF can be written back unchanged (`smosverify emit microkit`). Defaults are resolved as
Microkit resolves them, so a written-back SDF reads as the same layout. docs/microkit.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterator

from smosverify.errors import Span

PAGE = 0x1000
# seL4_UserVSpaceTop, the last user virtual address, as the Microkit SDK builds each kernel: AArch64
# with hypervisor support and 40 physical address bits (without hypervisor: 48-bit virtual
# addresses), RISC-V Sv39, x86_64 (libsel4 sel4_arch/constants.h).
USER_TOP = {"aarch64": 0xFF_FFFF_FFFF, "riscv64": 0x3F_FFFF_EFFF, "x86_64": 0x7FFF_FFFF_EFFF}
USER_TOP_AARCH64_NO_HYPERVISOR = 0x7FFF_FFFF_FFFF


@dataclass(frozen=True)
class MicrokitBoard:
    """The kernel configuration an SDF is checked against, with the Microkit SDK's defaults.

    The Microkit tool reads these from the board's kernel configuration; they decide whether an
    SDF is valid (a cpu, a domain, a mapping or an I/O address that fits one board does not fit
    another), so they are parameters here rather than constants."""

    cores: int = 1  # KernelMaxNumNodes of an SMP build, else 1
    domains: int = 16  # KernelNumDomains
    domain_schedule: int = 100  # KernelNumDomainSchedules: room for schedule entries and their index_shift
    hypervisor: bool = True  # virtual machines (AArch64: KernelArmHypervisorSupport, x86_64: KernelVTX)
    iommu: bool = True  # io_address_space (x86_64: KernelIOMMU)
    smc: bool = True  # smc="true" (AArch64: KernelAllowSMCCalls)
    user_top: int | None = None  # seL4_UserVSpaceTop; None: the architecture's (USER_TOP)
    iommu_bits: int = 39  # I/O virtual address bits the capDL initialiser maps (3 levels of 9 bits over 4 KiB pages)
    max_pds: int = 63  # the tool's and the monitor's MAX_PDS

    def changed(self) -> tuple[str, ...]:
        """The parameters that differ from the defaults, by name."""
        default = MicrokitBoard()
        return tuple(f.name for f in fields(self) if getattr(self, f.name) != getattr(default, f.name))

    def last_user_address(self, arch: str) -> int:
        if self.user_top is not None:
            return self.user_top
        if arch == "aarch64" and not self.hypervisor:
            return USER_TOP_AARCH64_NO_HYPERVISOR
        return USER_TOP[arch]

    def pd_map_limit(self, arch: str, stack_size: int) -> int:
        """The first address a PD cannot map: its IPC buffer is the top page, a guard page is below it,
        and its stack below that."""
        ipc_buffer = self.last_user_address(arch) & ~(PAGE - 1)
        return ipc_buffer - PAGE - stack_size

    def vm_map_limit(self, arch: str) -> int:
        """The first address a virtual machine cannot map (a guest has no stack or IPC buffer)."""
        return self.last_user_address(arch) + 1


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
