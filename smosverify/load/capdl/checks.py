"""What capDL-tool checks about a spec's objects and caps, each failure an InputError at its place.

- object parameters: which each type takes, which it needs, and capDL-tool's fixed combinations
  (a TCB that sets ip/sp/prio/max_prio sets addr and affinity too, resume and fpu_disabled
  only with them; a scheduling context sets period and budget together);
- cap parameters: which each kind of cap takes (rights only on endpoint, notification and frame
  caps; badges on endpoint, notification and SMC caps; guards on CNode caps...);
- slot contents: a TCB's slots hold what their names say (cspace a CNode, vspace the
  architecture's root page table, ...), page tables hold the next level or frames, ASID pools
  the architecture's VSpace roots, IRQ objects
  one notification in slot 0 (CNodes hold anything; like capDL-tool, slots are not bounded by size);
- mappings: a frame cap's `mapping:` names a page-table slot holding a frame, from a CNode only,
  once; a page directory sits in at most one ASID pool and a page table in one page directory.
"""

from __future__ import annotations

from smosverify.errors import InputError
from smosverify.load.capdl.syntax import Param, Positions
from smosverify.model.capdl import (
    IRQ_OBJECTS,
    PAGE_TABLE_CAPS,
    SPECIAL_CAPS,
    TCB_SLOT_NAMES,
    Cap,
    CapDLSpec,
    CapObject,
    CapType,
    ObjectType,
)

T = ObjectType
_TCB_FIELDS = ("addr", "ip", "sp", "prio", "max_prio", "affinity")
_IOAPIC = ("ioapic_num", "ioapic_pin", "ioapic_level", "ioapic_polarity")
_MSI = ("msi_handle", "msi_pci_bus", "msi_pci_dev", "msi_pci_fun")
# Parameters each object type takes, and those it needs.
OBJECT_PARAMS: dict[ObjectType, tuple[str, ...]] = {
    T.TCB: _TCB_FIELDS + ("resume", "fpu_disabled", "init", "dom", "fault_ep"),
    T.CNODE: ("bits",), T.UT: ("bits", "paddr"), T.FRAME: ("size", "paddr", "fill"), T.ASID_POOL: ("asid_high",),
    T.IO_PT: ("level",), T.IO_PORTS: ("ports",), T.IO_DEVICE: ("domainID", "pci"), T.ARM_IO_DEVICE: ("iospace",),
    T.SC: ("period", "budget", "data", "bits"), T.IOAPIC_IRQ: _IOAPIC, T.MSI_IRQ: _MSI,
    T.ARM_IRQ: ("trigger", "target"), T.CONTEXTBANK: ("bank",), T.ARM_SGI_SIGNAL: ("irq", "target"),
}
_REQUIRED: dict[ObjectType, tuple[str, ...]] = {
    T.CNODE: ("bits",), T.FRAME: ("size",), T.IO_PT: ("level",), T.IO_PORTS: ("ports",),
    T.IO_DEVICE: ("domainID", "pci"), T.ARM_IO_DEVICE: ("iospace",), T.IOAPIC_IRQ: _IOAPIC, T.MSI_IRQ: _MSI,
    T.ARM_IRQ: ("trigger", "target"), T.ARM_SGI_SIGNAL: ("irq", "target"),
}
_HOW = {"bits": "`(N bits)`", "size": "a size such as `(4k)` or `(2M)`", "pci": "`bus:dev.fun`"}

# The cap an object's type gives, and the cap parameters each kind of cap takes.
CAP_OF: dict[ObjectType, CapType] = {
    T.EP: CapType.ENDPOINT, T.NOTIFICATION: CapType.NOTIFICATION, T.TCB: CapType.TCB, T.UT: CapType.UNTYPED,
    T.CNODE: CapType.CNODE, T.FRAME: CapType.FRAME, T.ASID_POOL: CapType.ASID_POOL, T.IRQ: CapType.IRQ_HANDLER,
    T.IOAPIC_IRQ: CapType.IRQ_IOAPIC_HANDLER, T.MSI_IRQ: CapType.IRQ_MSI_HANDLER, T.ARM_IRQ: CapType.ARM_IRQ_HANDLER,
    T.IO_PORTS: CapType.IO_PORTS, T.IO_DEVICE: CapType.IO_SPACE, T.ARM_IO_DEVICE: CapType.ARM_IO_SPACE,
    T.IO_PT: CapType.IO_PT, T.VCPU: CapType.VCPU, T.SC: CapType.SC, T.RTREPLY: CapType.RTREPLY,
    T.STREAMID: CapType.ARM_SID, T.CONTEXTBANK: CapType.ARM_CB, T.SMC: CapType.ARM_SMC,
    T.ARM_SGI_SIGNAL: CapType.ARM_SGI_SIGNAL,
    T.PT: CapType.PT, T.PD: CapType.PD, T.PDPT: CapType.PDPT, T.PML4: CapType.PML4, T.PUD: CapType.PUD,
    T.PGD: CapType.PGD,
}
_CAP_PARAMS: dict[CapType, frozenset[str]] = {
    CapType.ENDPOINT: frozenset({"rights", "badge"}), CapType.NOTIFICATION: frozenset({"rights", "badge"}),
    CapType.ARM_SMC: frozenset({"badge"}), CapType.TCB: frozenset({"reply", "master_reply"}),
    CapType.CNODE: frozenset({"guard", "guard_size"}), **{c: frozenset({"asid"}) for c in PAGE_TABLE_CAPS},
    CapType.FRAME: frozenset({"rights", "asid", "cached", "uncached", "mapping"}),
    CapType.SCHED_CONTROL: frozenset({"core"}),
}
_NONE: frozenset[str] = frozenset()

# What a TCB slot may hold: the cap type, and for the vspace slot the root page-table types.
_TCB_SLOT_CAP = {0: CapType.CNODE, 1: None, 2: CapType.MASTER_REPLY, 3: CapType.REPLY,
                 4: CapType.FRAME, 5: CapType.ENDPOINT, 6: CapType.SC, 7: CapType.ENDPOINT,
                 8: CapType.NOTIFICATION, 9: CapType.VCPU}
_VSPACE_ROOTS = {"x86_64": {T.PML4}, "aarch64": {T.PGD, T.PUD}, "riscv": {T.PT}, "ia32": {T.PD}, "arm11": {T.PD}}
# What each page-table level holds (page-table caps by the type of table they name).
_TABLE_HOLDS: dict[ObjectType, frozenset[ObjectType]] = {
    T.PT: frozenset({T.FRAME}), T.PD: frozenset({T.FRAME, T.PT}), T.PDPT: frozenset({T.FRAME, T.PD}),
    T.PML4: frozenset({T.PDPT}), T.PUD: frozenset({T.FRAME, T.PD}), T.PGD: frozenset({T.PUD}),
    T.IO_PT: frozenset({T.FRAME, T.IO_PT}),
}

def object_params(kind: ObjectType, params: tuple[Param, ...], positions: Positions, at: int) -> tuple:
    """The parameters of one declaration (`at`: its name's token) as (key, value) pairs, checked
    against its type."""
    span_of = positions.span
    allowed = OBJECT_PARAMS.get(kind, ())
    seen: dict[str, object] = {}
    for p in params:
        if p.key not in allowed:
            takes = f"its parameters: {', '.join(allowed)}" if allowed else "it takes none"
            raise InputError(f"a {kind.value} object takes no '{p.key}' parameter ({takes})", span_of(p.at))
        if p.key in seen:
            raise InputError(f"parameter '{p.key}' given twice", span_of(p.at))
        seen[p.key] = p.value
    for key in _REQUIRED.get(kind, ()):
        if key not in seen:
            raise InputError(f"a {kind.value} object needs its '{key}' parameter{' ' + _HOW[key] if key in _HOW else ''}",
                             span_of(at))
    if kind is T.TCB:
        given = {k for k in _TCB_FIELDS if k in seen}
        flags = {"resume", "fpu_disabled"} & seen.keys()
        if given not in (set(), set(_TCB_FIELDS), {"addr", "affinity"}) or (not given and flags):
            raise InputError("capDL-tool accepts a tcb's addr, ip, sp, prio, max_prio and affinity all together, or "
                             "addr and affinity alone (resume and fpu_disabled only with them); this one sets "
                             f"{', '.join(sorted(given | flags)) or 'none'}", span_of(at))
    if kind is T.SC and {"period", "budget", "data"} & seen.keys() and not {"period", "budget"} <= seen.keys():
        raise InputError("a scheduling context sets period and budget together (data only with them)", span_of(at))
    if kind is T.FRAME:
        size = seen["size"]
        if size <= 0 or size & (size - 1):
            raise InputError(f"a frame's size must be a power of two, not {size} bytes", span_of(at))
    return tuple((k, v == "True" if k in ("resume", "fpu_disabled") else v) for k, v in seen.items())


def make_cap(target: CapObject, params: tuple[Param, ...], at: int, positions: Positions) -> Cap:
    """The cap an entry (`at`: its first token) gives to `target`: its kind from the target's type,
    its parameters checked."""
    kind = CAP_OF[target.type]
    span_of = positions.span
    allowed = _CAP_PARAMS.get(kind, _NONE)
    values: dict[str, object] = {}
    rights: frozenset[str] = frozenset()
    for p in params:
        key = p.key
        if key not in allowed:
            what = "carries no rights" if key == "rights" else f"takes no '{key}'"
            raise InputError(f"a cap to {target.type.value} '{target.name}' {what}"
                             f"{' (it takes: ' + ', '.join(sorted(allowed)) + ')' if allowed else ''}", span_of(p.at))
        if key == "rights":
            rights |= p.value
        elif key in values:
            raise InputError(f"cap parameter '{key}' given twice", span_of(p.at))
        else:
            values[key] = p.value
    if kind is CapType.TCB and len(values) == 1:
        kind = CapType.REPLY if "reply" in values else CapType.MASTER_REPLY
    elif len(values.keys() & {"reply", "master_reply"}) == 2 or len(values.keys() & {"cached", "uncached"}) == 2:
        raise InputError("contradictory cap parameters", span_of(at))
    return Cap(kind, target.name, positions.offsets[at], rights, values.get("badge", 0), values.get("guard", 0),
               values.get("guard_size", 0), values.get("asid"), "uncached" not in values, values.get("mapping"))


def special_cap(name: str, params: tuple[Param, ...], at: int, positions: Positions) -> Cap:
    """A cap to no object: irq_control, asid_control, io_space_master, domain, sched_control."""
    kind = SPECIAL_CAPS[name]
    span_of = positions.span
    core = None
    for p in params:
        if kind is not CapType.SCHED_CONTROL or p.key != "core" or core is not None:
            raise InputError(f"the {name} cap takes {'only core: N' if kind is CapType.SCHED_CONTROL else 'no parameters'}",
                             span_of(p.at))
        core = p.value
    if kind is CapType.SCHED_CONTROL and core is None:
        raise InputError("the sched_control cap needs its core: `sched_control (core: 0)`", span_of(at))
    return Cap(kind, name, positions.offsets[at], core=core)


def check_spec(spec: CapDLSpec) -> None:
    """Slot contents, mappings and the IRQ table, as capDL-tool's model check does."""
    objects = spec.objects
    mapped_by: dict[str, str] = {}  # page directory -> asid pool; page table -> page directory
    mappings: dict[tuple[str, int], int] = {}
    for obj in objects.values():
        if not obj.slots:
            continue
        if obj.type is T.CNODE and not any(cap.mapping for cap in obj.slots.values()):
            continue  # a cnode holds any cap, in any slot (capDL-tool does not bound slots by its size)
        for slot, cap in obj.slots.items():
            target = objects.get(cap.target)
            problem = _slot_problem(obj, slot, cap, target, spec.arch)
            if problem:
                raise InputError(problem, spec.span(cap.at))
            if cap.type is CapType.IO_SPACE_MASTER and spec.arch not in ("x86_64", "ia32"):
                raise InputError(f"there is no io_space_master cap on {spec.arch}", spec.span(cap.at))
            if target is not None and target.type in (T.PD, T.PT) and obj.type in (T.ASID_POOL, T.PD):
                if mapped_by.setdefault(target.name, obj.name) != obj.name:
                    raise InputError(f"'{target.name}' is mapped into both '{mapped_by[target.name]}' and '{obj.name}'",
                                     spec.span(cap.at))
            if cap.mapping is not None:
                _check_mapping(spec, obj, cap, mappings)
    for irq, name in spec.irq_map.items():
        if objects[name].type not in IRQ_OBJECTS:
            raise InputError(f"irq {irq} maps to '{name}', a {objects[name].type.value}, not an irq object",
                             spec.span(objects[name].at))


def _slot_problem(obj: CapObject, slot: int, cap: Cap, target: CapObject | None, arch: str) -> str | None:
    kind = obj.type
    if kind is T.CNODE:
        return None
    what = f"a {cap.type.value}" + (f" to {target.type.value} '{target.name}'" if target else "")
    if kind is T.TCB:
        if slot not in TCB_SLOT_NAMES:
            return f"a tcb has no slot {slot} (its slots: {', '.join(TCB_SLOT_NAMES.values())})"
        expected = _TCB_SLOT_CAP[slot]
        label = TCB_SLOT_NAMES[slot]
        if (cap.type is not expected if slot != 1 else target is None or target.type not in _VSPACE_ROOTS[arch]) \
                or (slot == 9 and arch == "riscv"):
            need = f"a {' or '.join(t.value for t in sorted(_VSPACE_ROOTS[arch]))}" if slot == 1 else f"a {expected.value}"
            return f"the {label} of tcb '{obj.name}' holds {need}, not {what}"
        return None
    if kind in IRQ_OBJECTS:
        if slot != 0 or cap.type is not CapType.NOTIFICATION:
            return f"irq object '{obj.name}' holds one notification cap, in slot 0; not {what} in slot {slot}"
        return None
    holds = _TABLE_HOLDS.get(kind)
    if kind is T.PT and arch == "riscv":
        holds = frozenset({T.FRAME, T.PT})
    elif kind is T.ASID_POOL:  # an ASID pool holds the roots of VSpaces
        holds = _VSPACE_ROOTS[arch]
    if holds is not None and (target is None or target.type not in holds):
        return f"a {kind.value} holds {' or '.join(sorted(t.value for t in holds))} caps, not {what}"
    return None


def _check_mapping(spec: CapDLSpec, obj: CapObject, cap: Cap, seen: dict[tuple[str, int], int]) -> None:
    table, slot = cap.mapping
    here = spec.span(cap.at)
    if obj.type is not T.CNODE:
        raise InputError(f"a frame cap with a mapping sits in a cnode, not in {obj.type.value} '{obj.name}'", here)
    if spec.objects[table].type not in (T.PT, T.PD):
        raise InputError(f"a mapping names a page table or page directory, not {spec.objects[table].type.value} "
                         f"'{table}'", here)
    mapped = spec.objects[table].slots.get(slot)
    if mapped is None or mapped.type is not CapType.FRAME:
        raise InputError(f"the mapping ({table}, {slot}) names a slot that holds no frame", here)
    if (table, slot) in seen:
        raise InputError(f"the mapping ({table}, {slot}) is claimed by two frame caps (also at "
                         f"{spec.span(seen[table, slot])})", here)
    seen[table, slot] = cap.at
