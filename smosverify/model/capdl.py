"""A parsed capDL spec: every kernel object with its parameters and cap slots, as capDL-tool
understands the text (arrays expanded, ranges resolved, copies made, slots numbered).

Object names are capDL's: `name` or, for an element of an array, `name[i]`. Cap rights are
capDL-tool's four: R (read), W (write), G (grant; written X on frames, where it means execute)
and P (grant-reply).

Caps and objects are NamedTuples (immutable, and four times cheaper to make than frozen
dataclasses: a large spec has hundreds of thousands) and remember where they were written as a
character offset, which `CapDLSpec.span` turns into file:line:col when a finding needs it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from smosverify.errors import Span
from smosverify.model.system import Target

ARCHES = ("x86_64", "aarch64", "riscv", "ia32", "arm11")  # the words of capDL's `arch` line
ARCH_OF_SYSTEM = {"x86_64": "x86_64", "aarch64": "aarch64", "riscv64": "riscv"}  # System.arch -> capDL


class ObjectType(str, Enum):
    """capDL's object type keywords."""

    EP = "ep"
    NOTIFICATION = "notification"
    TCB = "tcb"
    CNODE = "cnode"
    UT = "ut"
    IRQ = "irq"
    IOAPIC_IRQ = "ioapic_irq"
    MSI_IRQ = "msi_irq"
    ARM_IRQ = "arm_irq"
    ASID_POOL = "asid_pool"
    PT = "pt"
    PD = "pd"
    PDPT = "pdpt"
    PML4 = "pml4"
    PUD = "pud"
    PGD = "pgd"
    FRAME = "frame"
    IO_PORTS = "io_ports"
    IO_DEVICE = "io_device"
    ARM_IO_DEVICE = "arm_io_device"
    IO_PT = "io_pt"
    VCPU = "vcpu"
    SC = "sc"
    RTREPLY = "rtreply"
    STREAMID = "streamid"
    CONTEXTBANK = "contextbank"
    SMC = "smc"
    ARM_SGI_SIGNAL = "arm_sgi_signal"


PAGE_TABLES = frozenset({ObjectType.PT, ObjectType.PD, ObjectType.PDPT, ObjectType.PML4, ObjectType.PUD, ObjectType.PGD})
IRQ_OBJECTS = frozenset({ObjectType.IRQ, ObjectType.IOAPIC_IRQ, ObjectType.MSI_IRQ, ObjectType.ARM_IRQ})
# Objects that hold cap slots (capDL-tool's `hasSlots`).
SLOTTED = PAGE_TABLES | IRQ_OBJECTS | {
    ObjectType.TCB, ObjectType.CNODE, ObjectType.ASID_POOL, ObjectType.IO_DEVICE,
    ObjectType.ARM_IO_DEVICE, ObjectType.IO_PT,
}

_COMMON = frozenset({
    ObjectType.EP, ObjectType.NOTIFICATION, ObjectType.TCB, ObjectType.CNODE, ObjectType.UT, ObjectType.IRQ,
    ObjectType.ASID_POOL, ObjectType.PT, ObjectType.PD, ObjectType.FRAME, ObjectType.SC, ObjectType.RTREPLY,
})
_X86 = {ObjectType.IO_PORTS, ObjectType.IO_DEVICE, ObjectType.IO_PT, ObjectType.IOAPIC_IRQ, ObjectType.MSI_IRQ, ObjectType.VCPU}
_ARM = {ObjectType.ARM_IRQ, ObjectType.ARM_IO_DEVICE, ObjectType.VCPU, ObjectType.ARM_SGI_SIGNAL}
# Which object types exist on which architecture (capDL-tool's `validObjArch`).
OBJECTS_OF_ARCH: dict[str, frozenset[ObjectType]] = {
    "x86_64": _COMMON | _X86 | {ObjectType.PDPT, ObjectType.PML4},
    "ia32": _COMMON | _X86,
    "aarch64": _COMMON | _ARM | {ObjectType.PUD, ObjectType.PGD, ObjectType.STREAMID, ObjectType.CONTEXTBANK, ObjectType.SMC},
    "arm11": _COMMON | _ARM,
    "riscv": _COMMON,
}
# The page-table levels a thread's VSpace needs, root first (what smosverify emits).
VSPACE_LEVELS: dict[str, tuple[ObjectType, ...]] = {
    "x86_64": (ObjectType.PML4, ObjectType.PDPT, ObjectType.PD, ObjectType.PT),
    "aarch64": (ObjectType.PGD, ObjectType.PUD, ObjectType.PD, ObjectType.PT),
    "riscv": (ObjectType.PT, ObjectType.PT, ObjectType.PT),
}


class CapType(str, Enum):
    """The kind of a cap, decided by the type of the object it names (capDL-tool's names)."""

    ENDPOINT = "EndpointCap"
    NOTIFICATION = "NotificationCap"
    TCB = "TCBCap"
    REPLY = "ReplyCap"
    MASTER_REPLY = "MasterReplyCap"
    UNTYPED = "UntypedCap"
    CNODE = "CNodeCap"
    FRAME = "FrameCap"
    PT = "PTCap"
    PD = "PDCap"
    PDPT = "PDPTCap"
    PML4 = "PML4Cap"
    PUD = "PUDCap"
    PGD = "PGDCap"
    ASID_POOL = "ASIDPoolCap"
    IRQ_HANDLER = "IRQHandlerCap"
    IRQ_IOAPIC_HANDLER = "IRQIOAPICHandlerCap"
    IRQ_MSI_HANDLER = "IRQMSIHandlerCap"
    ARM_IRQ_HANDLER = "ARMIRQHandlerCap"
    IO_PORTS = "IOPortsCap"
    IO_SPACE = "IOSpaceCap"
    ARM_IO_SPACE = "ARMIOSpaceCap"
    IO_PT = "IOPTCap"
    VCPU = "VCPUCap"
    SC = "SCCap"
    RTREPLY = "RTReplyCap"
    ARM_SID = "ARMSIDCap"
    ARM_CB = "ARMCBCap"
    ARM_SMC = "ARMSMCCap"
    ARM_SGI_SIGNAL = "ARMSGISignalCap"
    IRQ_CONTROL = "IRQControlCap"
    ASID_CONTROL = "ASIDControlCap"
    IO_SPACE_MASTER = "IOSpaceMasterCap"
    DOMAIN = "DomainCap"
    SCHED_CONTROL = "SchedControlCap"


PAGE_TABLE_CAPS = frozenset({CapType.PT, CapType.PD, CapType.PDPT, CapType.PML4, CapType.PUD, CapType.PGD})

# Caps that name no object: capDL writes them with these reserved names.
SPECIAL_CAPS: dict[str, CapType] = {
    "irq_control": CapType.IRQ_CONTROL,
    "asid_control": CapType.ASID_CONTROL,
    "io_space_master": CapType.IO_SPACE_MASTER,
    "domain": CapType.DOMAIN,
    "sched_control": CapType.SCHED_CONTROL,
}

# TCB slot numbers and their capDL names.
TCB_SLOTS: dict[str, int] = {
    "cspace": 0, "vspace": 1, "reply_slot": 2, "caller_slot": 3, "ipc_buffer_slot": 4, "fault_ep_slot": 5,
    "sc_slot": 6, "temp_fault_ep_slot": 7, "bound_notification": 8, "bound_vcpu": 9,
}
TCB_SLOT_NAMES: dict[int, str] = {v: k for k, v in TCB_SLOTS.items()}

RIGHT_LETTERS = "RWGP"


class Cap(NamedTuple):
    """A cap in a slot. `target` is the object's name, or a reserved name for caps to no object."""

    type: CapType
    target: str
    at: int  # offset of the entry in the spec's text
    rights: frozenset[str] = frozenset()  # subset of R W G P
    badge: int = 0
    guard: int = 0
    guard_size: int = 0
    asid: tuple[int, int] | None = None
    cached: bool = True
    mapping: tuple[str, int] | None = None  # (page table, slot) a frame cap stands for
    core: int | None = None  # sched_control caps
    copy_of: str | None = None  # the cap name a `<name>` copy was made from

    def rights_text(self) -> str:
        """The rights as capDL writes them (X for grant on a frame)."""
        letters = {"G": "X"} if self.type is CapType.FRAME else {}
        return "".join(letters.get(r, r) for r in RIGHT_LETTERS if r in self.rights)


class CapObject(NamedTuple):
    """A kernel object. `params` holds the parameters as written (`bits`, `paddr`, tcb fields...)."""

    name: str
    type: ObjectType
    at: int  # offset of the declaration in the spec's text
    params: tuple[tuple[str, object], ...]
    slots: dict[int, Cap]  # filled while the spec is read, then left alone

    def param(self, key: str, default=None):
        for k, v in self.params:
            if k == key:
                return v
        return default


@dataclass(frozen=True)
class SourceMap:
    """Offsets in one file -> file:line:col."""

    file: str
    line_starts: tuple[int, ...]

    @classmethod
    def of(cls, text: str, file: str) -> SourceMap:
        starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        return cls(file, tuple(starts))

    def span(self, offset: int) -> Span:
        line = bisect_right(self.line_starts, offset)
        return Span(self.file, line, offset - self.line_starts[line - 1] + 1)


class DomainEntry(NamedTuple):
    """One entry of a domain schedule: run `domain` for `duration`; duration 0 ends the schedule."""

    domain: int
    duration: int
    unit: str = "ticks"  # capDL text counts ticks; a JSON spec may give microseconds ("us")


@dataclass(frozen=True)
class Domains:
    """A `domains` section: the kernel's domain schedule, set by the loader at boot (no authority).

    `schedule` is None when the spec gives none (the loader then leaves the kernel's own);
    `start` is the entry the loader starts (None: `no_start`, domain 0 keeps running); the
    schedule is installed from kernel index `index_shift` on.
    """

    schedule: tuple[DomainEntry, ...] | None = None
    start: int | None = 0
    index_shift: int = 0


@dataclass(frozen=True)
class CapDLSpec:
    source: SourceMap
    arch: str
    objects: dict[str, CapObject]  # in declaration order
    irq_map: dict[int, str]  # irq number -> irq object
    cdt: dict[tuple[str, int], tuple[str, int]]  # (container, slot) of a cap -> of its parent
    cap_names: dict[str, tuple[str, int]]  # named slots
    covers: dict[str, tuple[str, ...]]  # untyped -> the objects made from it
    domains: Domains = Domains()

    @property
    def file(self) -> str:
        return self.source.file

    def span(self, at: int) -> Span:
        return self.source.span(at)

    def caps(self):
        """(container, slot, cap) for every cap of every object, in order."""
        for obj in self.objects.values():
            for slot, cap in obj.slots.items():
                yield obj.name, slot, cap


@dataclass(frozen=True)
class MapRule:
    """One line of a mapping file: capDL objects matching `pattern` stand for a model element."""

    pattern: str  # an object name, an array's name (all its elements), or a glob with * and ?
    target: Target | None  # COMPONENT.kind, a region or a notification
    component: str | None  # a component: each object's type says which of its elements
    span: Span


@dataclass(frozen=True)
class CapDLMap:
    """How the objects of a capDL spec written by another tool stand for a system's elements."""

    file: str
    rules: tuple[MapRule, ...]
    ignore: tuple[MapRule, ...]  # objects and threads outside the model (neither target nor component)
