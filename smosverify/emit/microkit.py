"""A system as a Microkit SDF, written with sdfgen, and the labels that give it back its sids.

`render_sdf` hands the layout (smosverify/emit/microkit_layout.py) to sdfgen's SystemDescription
API: memory regions, protection domains with their maps, interrupts, I/O ports, child PDs and
virtual machines, then channels. What sdfgen's API cannot write is refused rather than dropped.
`labels_yaml` writes the labels file that binds the emitted elements to the model's sids, roles
and objects, so that reading the SDF with it gives the same model (`emit yaml` writes the same
labels inline). Both are deterministic.
"""

from __future__ import annotations

from importlib.metadata import version

import yaml
from sdfgen import SystemDescription as SD

from smosverify.errors import InputError, Span
from smosverify.load.microkit.system import notification_name
from smosverify.model.microkit import IrqIoapic, IrqLine, IrqMsi, MicrokitIrq, MicrokitMap, MicrokitPd, MicrokitSystem
from smosverify.model.system import Role, System

ARCH = {"aarch64": SD.Arch.AARCH64, "riscv64": SD.Arch.RISCV64, "x86_64": SD.Arch.X86_64}
PADDR_TOP = 1 << 48  # sdfgen allocates physical addresses below this; every region we write has its own or none
TRIGGER = {"level": 1, "edge": 0}  # sdfgen's Trigger enums (IrqConventional, IrqIoapic agree)
POLARITY = {"low": 0, "high": 1}


def render_sdf(layout: MicrokitSystem, arch: str) -> str:
    """The SDF XML of a layout, as sdfgen renders it."""
    _refuse_unwritable(layout)
    sdf = SD(ARCH[arch], PADDR_TOP)
    regions = {}
    for mr in layout.memory_regions:
        regions[mr.name] = SD.MemoryRegion(sdf, mr.name, mr.size, paddr=mr.phys_addr)
        sdf.add_mr(regions[mr.name])
    pds: dict[str, SD.ProtectionDomain] = {}

    def make(pd: MicrokitPd) -> SD.ProtectionDomain:
        obj = SD.ProtectionDomain(pd.name, pd.program_image, priority=pd.priority, budget=pd.budget, period=pd.period,
                                  passive=pd.passive, stack_size=pd.stack_size, cpu=pd.cpu)
        pds[pd.name] = obj
        for m in pd.maps:
            obj.add_map(_map(m, regions))
        for irq in pd.irqs:
            obj.add_irq(_irq(irq))
        for port in pd.ioports:
            obj.add_ioport(SD.IoPort(port.addr, port.size, id=port.id))
        vm = pd.virtual_machine
        if vm is not None:
            machine = SD.VirtualMachine(vm.name, [SD.VirtualMachine.Vcpu(id=v.id, cpu=v.cpu) for v in vm.vcpus],
                                        priority=vm.priority, budget=vm.budget, period=vm.period)
            for m in vm.maps:
                machine.add_map(_map(m, regions))
            obj.set_virtual_machine(machine)
        for child in pd.children:
            # sdfgen reads an id of 0 as "choose one" and then chooses the lowest free id, which is 0 too.
            if obj.add_child_pd(make(child), child_id=child.child_id) != child.child_id:
                raise InputError(f"sdfgen gave child '{child.name}' another id than {child.child_id}", child.span)
        return obj

    try:
        for pd in layout.protection_domains:
            sdf.add_pd(make(pd))
        for ch in layout.channels:
            a, b = ch.a, ch.b
            sdf.add_channel(SD.Channel(
                pds[a.pd], pds[b.pd], a_id=a.id, b_id=b.id, pp_a=True if a.pp else None, pp_b=True if b.pp else None,
                notify_a=a.notify, notify_b=b.notify, pd_a_setvar_id=a.setvar_id, pd_b_setvar_id=b.setvar_id,
            ))
    except Exception as err:  # sdfgen reports every refusal as a bare Exception
        raise InputError(f"sdfgen refused the system: {err}", layout.span) from None
    return sdf.render()


def _map(m: MicrokitMap, regions: dict) -> SD.Map:
    return SD.Map(regions[m.mr], m.vaddr, m.perms, cached=m.cached, setvar_vaddr=m.setvar_vaddr, setvar_size=m.setvar_size)


def _irq(irq: MicrokitIrq) -> SD.Irq:
    s = irq.source
    if isinstance(s, IrqLine):
        return SD.IrqConventional(s.irq, trigger=TRIGGER[s.trigger], id=irq.id, setvar_id=irq.setvar_id)
    if isinstance(s, IrqIoapic):
        return SD.IrqIoapic(s.ioapic, s.pin, s.vector, trigger=TRIGGER[s.trigger], polarity=POLARITY[s.polarity],
                            id=irq.id, setvar_id=irq.setvar_id)
    return SD.IrqMsi(s.bus, s.device, s.function, s.vector, s.handle, id=irq.id, setvar_id=irq.setvar_id)


def _refuse_unwritable(layout: MicrokitSystem) -> None:
    """sdfgen's Python API has no way to write these: refuse the first, never drop it."""
    found: list[tuple[Span, str]] = []
    if layout.domains is not None:
        found.append((layout.domains.span, "<domains>"))
    found += [(s.span, "<io_address_space>") for s in layout.io_address_spaces]
    for mr in layout.memory_regions:
        for attr in ("page_size", "prefill_path", "prefill_bootinfo"):
            if getattr(mr, attr) is not None:
                found.append((mr.span, f"memory_region {attr}"))
    for pd, _ in layout.all_pds():
        checks = [(pd.smc, "smc=\"true\""), (not pd.fpu, "fpu=\"false\""), (pd.domain is not None, "domain="),
                  (pd.path_for_symbols is not None, "path_for_symbols="), (pd.setvar_id is not None, "a child's setvar_id=")]
        found += [(pd.span, what) for present, what in checks if present]
        found += [(v.span, "<setvar>") for v in pd.setvars] + [(c.span, "<cspace>") for c in pd.cap_maps]
        found += [(m.span, "setvar_prefill_size=") for m in pd.maps if m.setvar_prefill_size]
        found += [(p.span, "an <ioport> setvar") for p in pd.ioports if p.setvar_id or p.setvar_addr]
        vm = pd.virtual_machine
        if vm is not None:
            found += [(v.span, "a <vcpu> setvar_id=") for v in vm.vcpus if v.setvar_id]
            if vm.budget is not None or vm.period is not None:
                found.append((vm.span, "a virtual_machine's budget or period (sdfgen drops them)"))
        found += [(i.span, "an MSI pcidev= field above 9 (sdfgen writes decimal, Microkit reads hexadecimal)")
                  for i in pd.irqs if isinstance(i.source, IrqMsi) and max(i.source.bus, i.source.device, i.source.function) > 9]
    if found:
        span, what = min(found)
        raise InputError(f"sdfgen {version('sdfgen')} has no way to write {what}; smosverify cannot emit this SDF", span)


def labels_yaml(system: System, layout: MicrokitSystem) -> str:
    """The labels file for the emitted SDF: every element bound by its exact name."""
    head = f"# Labels for {system.name}: the sids of the SDF's elements (smosverify emit microkit; docs/microkit.md)."
    return f"{head}\n{labels_body(system, layout)}"


def labels_body(system: System, layout: MicrokitSystem) -> str:
    """The labels as YAML: `layout`'s elements bound to `system`'s sids, roles and objects by exact
    name (sections that would be empty are left out)."""
    callees = {other.pd for ch in layout.channels for end, other in ((ch.a, ch.b), (ch.b, ch.a)) if end.pp}
    waiters = {other.pd for ch in layout.channels for end, other in ((ch.a, ch.b), (ch.b, ch.a)) if end.notify}
    note_sids = {n.waiters[0][0]: n.sid for n in system.notifications.values() if len(n.waiters) == 1}
    data: dict = {"arch": system.arch, "components": {n: c.sid for n, c in system.components.items()}}
    data["regions"] = {n: r.sid for n, r in system.regions.items()}
    data["notifications"] = {notification_name(w): note_sids[w] for w in sorted(waiters)
                             if note_sids.get(w, system.components[w].sid) != system.components[w].sid}
    data["roles"] = {n: c.role.value for n, c in system.components.items()
                     if c.role is not (Role.SERVER if n in callees else Role.CLIENT)}
    data["objects"] = {c.name: {o.name: {"class": o.cls, "sid": o.sid} for o in c.objects}
                       for c in system.components.values() if c.objects}
    body = {k: v for k, v in data.items() if v}
    return yaml.safe_dump(body, sort_keys=False, default_flow_style=False, width=4096, allow_unicode=True)
