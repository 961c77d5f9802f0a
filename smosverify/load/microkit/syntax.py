"""Microkit SDF syntax: XML elements to the `MicrokitSystem` layout, each element on its own.

Follows the SDF the Microkit tool reads (seL4/microkit 2.x, `tool/microkit/src/sdf`): the same
elements, attributes, defaults and per-element limits. Anything else is an InputError at its
position. Checks that need the whole file (names, references, ids, overlaps, architecture) are in
smosverify/load/microkit/checks.py.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Callable

from smosverify.errors import InputError
from smosverify.load.microkit.xml_source import XmlElement
from smosverify.model.microkit import (
    IrqIoapic, IrqLine, IrqMsi, MicrokitCapMap, MicrokitChannel, MicrokitDomain, MicrokitDomains, MicrokitEnd,
    MicrokitIoMap, MicrokitIoPort, MicrokitIoSpace, MicrokitIrq, MicrokitMap, MicrokitMr, MicrokitPd,
    MicrokitScheduleEntry, MicrokitSetVar, MicrokitSystem, MicrokitVcpu, MicrokitVm,
)

ID_MAX = 61  # channel, irq, child and vCPU ids: the badge has 62 usable bits
PRIORITY_MAX = 254
BUDGET_DEFAULT = 1000  # microseconds
STACK_DEFAULT, STACK_MIN, STACK_MAX = 0x2000, 0x1000, 16 * 1024 * 1024
PAGE_SIZES = (0x1000, 0x200000)
CAP_SLOT_MAX = 127  # slot 0 holds the Microkit CNode itself
X86_VECTOR_MAX = 107
BOOTINFO = ("x86_vbe", "x86_mbmmap", "x86_acpi_rsdp", "x86_framebuffer", "x86_tsc_freq", "fdt")
U64_MAX = 2**64 - 1
PCI_LIMITS = (("bus", 255), ("device", 31), ("function", 7))


HEX_DIGITS = re.compile(r"[0-9a-fA-F]+")


def parse_number(text: str) -> int | None:
    """Microkit's numbers: decimal or 0x-prefixed hexadecimal, underscores ignored. A leading '-'
    is read too, so that a negative id is reported as out of range rather than as no number.
    A decimal number of more digits than 2^64 has is read as 2^64: past every range, and not
    converted digit by digit (Python refuses to convert more than 4300 decimal digits)."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.removeprefix("-")
    if digits.isascii() and digits.isdigit():
        significant = digits.lstrip("0")
        return sign * (int(significant or "0") if len(significant) <= len(str(U64_MAX)) else U64_MAX + 1)
    if digits.startswith("0x") and HEX_DIGITS.fullmatch(digits, 2):
        return sign * int(digits[2:], 16)
    return None


def _written(name: str, text: str) -> str:
    """An attribute as written, its value cut short: an error names the token, never a file's contents."""
    return f'{name}="{text if len(text) <= 40 else text[:40] + "..."}"'


class _Attrs:
    """One element's attributes: unknown ones refused, values parsed with their positions."""

    def __init__(self, el: XmlElement, allowed: tuple[str, ...]):
        self.el = el
        for name in el.attrs:
            if name not in allowed:
                expected = ", ".join(allowed) if allowed else "none"
                raise InputError(f"unknown attribute '{name}' on <{el.tag}> (expected: {expected})", el.attr_span(name))

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.el.attrs.get(name)
        if value is None and required:
            raise InputError(f"<{self.el.tag}> needs the attribute '{name}'", self.el.span)
        return value

    def number(self, name: str, default: int | None = None, required: bool = False, low: int = 0, high: int = U64_MAX) -> int | None:
        text = self.text(name, required)
        if text is None:
            return default
        value = parse_number(text)
        if value is None:
            raise InputError(f"{_written(name, text)} is not a number (expected decimal or 0x-prefixed hexadecimal)", self.el.attr_span(name))
        if not low <= value <= high:
            raise InputError(f"{_written(name, text)} is out of range (expected {low} to {high})", self.el.attr_span(name))
        return value

    def flag(self, name: str, default: bool) -> bool:
        return self.choice(name, ("true", "false"), "true" if default else "false") == "true"

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        text = self.text(name)
        if text is None:
            return default
        if text not in options:
            raise InputError(f"{_written(name, text)} must be one of: {', '.join(options)}", self.el.attr_span(name))
        return text


def _children(el: XmlElement, handlers: dict[str, Callable[[XmlElement], None]]) -> None:
    for child in el.children:
        handler = handlers.get(child.tag)
        if handler is None:
            expected = f"one of: {', '.join(handlers)}" if handlers else "no child elements"
            raise InputError(f"unknown element <{child.tag}> inside <{el.tag}> (expected {expected})", child.span)
        handler(child)


def _once(el: XmlElement, found: list, what: str) -> None:
    if found:
        raise InputError(f"<{el.tag}> may appear only once in a {what} (first at {found[0].span})", el.span)


def read_system(root: XmlElement, prefill_dirs: tuple[Path, ...]) -> MicrokitSystem:
    """The layout of an SDF's document element; a `prefill_path` is looked up in `prefill_dirs`, in order."""
    if root.tag != "system":
        raise InputError(f"expected <system> as the document element, found <{root.tag}>", root.span)
    _Attrs(root, ())
    pds: list[MicrokitPd] = []
    mrs: list[MicrokitMr] = []
    channels: list[MicrokitChannel] = []
    domains: list[MicrokitDomains] = []
    spaces: list[MicrokitIoSpace] = []

    def misplaced_vm(el: XmlElement) -> None:
        raise InputError("a <virtual_machine> must be inside the <protection_domain> that runs it (its VMM)", el.span)

    def add_domains(el: XmlElement) -> None:
        _once(el, domains, "system")
        domains.append(_domains(el))

    _children(root, {
        "protection_domain": lambda el: pds.append(_pd(el, child=False)),
        "memory_region": lambda el: mrs.append(_memory_region(el, prefill_dirs)),
        "channel": lambda el: channels.append(_channel(el)),
        "domains": add_domains,
        "io_address_space": lambda el: spaces.append(_io_space(el)),
        "virtual_machine": misplaced_vm,
    })
    if not pds:
        raise InputError("an SDF needs at least one <protection_domain>", root.span)
    return MicrokitSystem(tuple(pds), tuple(mrs), tuple(channels), domains[0] if domains else None, tuple(spaces), root.span)


def _scheduling(a: _Attrs) -> tuple[int, int]:
    budget = a.number("budget", BUDGET_DEFAULT)
    period = a.number("period", budget)
    if budget > period:
        raise InputError(f"budget ({budget}) must not exceed period ({period})", a.el.span)
    return budget, period


def _pd(el: XmlElement, child: bool) -> MicrokitPd:
    names = ("name", "priority", "budget", "period", "passive", "stack_size", "smc", "cpu", "domain", "fpu")
    a = _Attrs(el, names + (("id", "setvar_id") if child else ()))
    name = a.text("name", required=True)
    child_id = a.number("id", required=True, high=ID_MAX) if child else None
    budget, period = _scheduling(a)
    stack = a.number("stack_size", STACK_DEFAULT, low=STACK_MIN, high=STACK_MAX)
    if stack % PAGE_SIZES[0]:
        raise InputError(f"stack_size 0x{stack:x} is not a multiple of the page size (0x1000)", el.attr_span("stack_size"))
    # every attribute is read before the children, so that a bad value is the first error, as in Microkit
    priority, passive, smc = a.number("priority", 0, high=PRIORITY_MAX), a.flag("passive", False), a.flag("smc", False)
    cpu, fpu = a.number("cpu", 0, high=255), a.flag("fpu", True)
    images: list[XmlElement] = []
    maps: list[MicrokitMap] = []
    irqs: list[MicrokitIrq] = []
    ioports: list[MicrokitIoPort] = []
    setvars: list[MicrokitSetVar] = []
    caps: list[MicrokitCapMap] = []
    vms: list[MicrokitVm] = []
    cspaces: list[XmlElement] = []
    children: list[MicrokitPd] = []

    def image(c: XmlElement) -> None:
        _once(c, images, "protection domain")
        _Attrs(c, ("path", "path_for_symbols")).text("path", required=True)
        _children(c, {})
        images.append(c)

    def vm(c: XmlElement) -> None:
        _once(c, vms, "protection domain")
        vms.append(_vm(c))

    def cspace(c: XmlElement) -> None:
        _once(c, cspaces, "protection domain")
        cspaces.append(c)
        caps.extend(_cspace(c))

    _children(el, {
        "program_image": image,
        "map": lambda c: maps.append(_map(c, in_pd=True)),
        "irq": lambda c: irqs.append(_irq(c)),
        "ioport": lambda c: ioports.append(_ioport(c)),
        "setvar": lambda c: setvars.append(_setvar(c)),
        "protection_domain": lambda c: children.append(_pd(c, child=True)),
        "virtual_machine": vm,
        "cspace": cspace,
    })
    if not images:
        raise InputError(f"protection_domain '{name}' has no <program_image>", el.span)
    return MicrokitPd(
        name=name,
        program_image=images[0].attrs["path"],
        path_for_symbols=images[0].attrs.get("path_for_symbols"),
        priority=priority,
        budget=budget,
        period=period,
        passive=passive,
        stack_size=stack,
        smc=smc,
        cpu=cpu,
        fpu=fpu,
        domain=a.text("domain"),
        child_id=child_id,
        setvar_id=a.text("setvar_id"),
        maps=tuple(maps), irqs=tuple(irqs), ioports=tuple(ioports), setvars=tuple(setvars), cap_maps=tuple(caps),
        virtual_machine=vms[0] if vms else None,
        children=tuple(children),
        span=el.span,
    )


def _map(el: XmlElement, in_pd: bool) -> MicrokitMap:
    setvars = ("setvar_vaddr", "setvar_size", "setvar_prefill_size") if in_pd else ()
    a = _Attrs(el, ("mr", "vaddr", "perms", "cached") + setvars)
    _children(el, {})
    perms = el.attrs.get("perms", "rw")  # Microkit maps read-write by default
    if set(perms) - set("rwx"):
        raise InputError(f"{_written('perms', perms)} may only combine 'r', 'w' and 'x'", el.attr_span("perms"))
    if "w" in perms and "r" not in perms:
        raise InputError(f"{_written('perms', perms)}: write without read is not allowed (seL4 has no write-only mappings)", el.attr_span("perms"))
    return MicrokitMap(
        mr=a.text("mr", required=True),
        vaddr=a.number("vaddr", required=True),
        perms="".join(p for p in "rwx" if p in perms),
        cached=a.flag("cached", True),
        setvar_vaddr=a.text("setvar_vaddr"),
        setvar_size=a.text("setvar_size"),
        setvar_prefill_size=a.text("setvar_prefill_size"),
        span=el.span,
    )


def _irq(el: XmlElement) -> MicrokitIrq:
    common = ("id", "setvar_id")
    _children(el, {})
    if "irq" in el.attrs:
        a = _Attrs(el, ("irq",) + common + ("trigger",))
        source = IrqLine(a.number("irq"), a.choice("trigger", ("level", "edge"), "level"))
    elif "pin" in el.attrs:
        a = _Attrs(el, ("ioapic", "pin") + common + ("trigger", "polarity", "vector"))
        source = IrqIoapic(
            a.number("ioapic", 0), a.number("pin"), a.choice("trigger", ("level", "edge"), "level"),
            a.choice("polarity", ("low", "high"), "high"), a.number("vector", required=True, high=X86_VECTOR_MAX),
        )
    elif "pcidev" in el.attrs:
        a = _Attrs(el, ("pcidev",) + common + ("handle", "vector"))
        bus, device, function = pci_address(el, "pcidev")
        source = IrqMsi(bus, device, function, a.number("handle", required=True), a.number("vector", required=True, high=X86_VECTOR_MAX))
    else:
        _Attrs(el, ("irq", "pin", "pcidev") + common)
        raise InputError("an <irq> needs irq= (ARM, RISC-V), pin= (x86 I/O APIC) or pcidev= (x86 MSI)", el.span)
    return MicrokitIrq(a.number("id", required=True, high=ID_MAX), source, a.text("setvar_id"), el.span)


def pci_address(el: XmlElement, name: str) -> tuple[int, int, int]:
    """A PCI address `bus:device.function`, each field hexadecimal (Microkit's format)."""
    text = el.attrs[name]
    match = re.fullmatch(r"([^:]*):([^.]*)\.(.*)", text)
    if not match:
        raise InputError(f"{_written(name, text)} is not a PCI address (expected bus:device.function in hexadecimal)", el.attr_span(name))
    fields = []
    for (what, limit), field in zip(PCI_LIMITS, match.groups()):
        digits = field.strip()
        if not re.fullmatch(r"-?[0-9a-fA-F]+", digits):
            raise InputError(f"{_written(name, text)}: the PCI {what} '{digits}' is not a hexadecimal number", el.attr_span(name))
        value = int(digits, 16)
        if not 0 <= value <= limit:
            raise InputError(f"{_written(name, text)}: the PCI {what} must be within 0 and 0x{limit:x}", el.attr_span(name))
        fields.append(value)
    return fields[0], fields[1], fields[2]


def _ioport(el: XmlElement) -> MicrokitIoPort:
    a = _Attrs(el, ("id", "setvar_id", "setvar_addr", "addr", "size"))
    _children(el, {})
    return MicrokitIoPort(
        a.number("id", required=True, high=ID_MAX), a.number("addr", required=True, high=0xFFFF),
        a.number("size", required=True, low=1, high=0x10000), a.text("setvar_id"), a.text("setvar_addr"), el.span,
    )


def _setvar(el: XmlElement) -> MicrokitSetVar:
    a = _Attrs(el, ("symbol", "region_paddr"))
    _children(el, {})
    return MicrokitSetVar(a.text("symbol", required=True), a.text("region_paddr", required=True), el.span)


def _cspace(el: XmlElement) -> list[MicrokitCapMap]:
    _Attrs(el, ())
    out: list[MicrokitCapMap] = []

    def cap(kind: str) -> Callable[[XmlElement], None]:
        def read(c: XmlElement) -> None:
            a = _Attrs(c, ("slot", "pd"))
            _children(c, {})
            pd = a.text("pd", required=True)
            if a.number("slot", required=True, high=CAP_SLOT_MAX) == 0:
                raise InputError("slot=\"0\" holds the Microkit CNode; a <cspace> cap goes in slot 1 or above", c.attr_span("slot"))
            out.append(MicrokitCapMap(kind, pd, a.number("slot"), c.span))
        return read

    _children(el, {"cap_tcb": cap("tcb"), "cap_sc": cap("sc"), "cap_vspace": cap("vspace")})
    return out


def _vm(el: XmlElement) -> MicrokitVm:
    a = _Attrs(el, ("name", "priority", "budget", "period"))
    vcpus: list[MicrokitVcpu] = []
    maps: list[MicrokitMap] = []

    def vcpu(c: XmlElement) -> None:
        v = _Attrs(c, ("id", "setvar_id", "cpu"))
        _children(c, {})
        vcpus.append(MicrokitVcpu(v.number("id", required=True, high=ID_MAX), v.number("cpu", high=255), v.text("setvar_id"), c.span))

    _children(el, {"vcpu": vcpu, "map": lambda c: maps.append(_map(c, in_pd=False))})
    name = a.text("name", required=True)
    if not vcpus:
        raise InputError(f"virtual_machine '{name}' has no <vcpu>", el.span)
    budget = a.number("budget")
    period = a.number("period")
    if budget is not None and budget > (period if period is not None else budget):
        raise InputError(f"budget ({budget}) must not exceed period ({period})", el.span)
    return MicrokitVm(name, tuple(vcpus), tuple(maps), a.number("priority", high=PRIORITY_MAX), budget, period, el.span)


def _memory_region(el: XmlElement, prefill_dirs: tuple[Path, ...]) -> MicrokitMr:
    a = _Attrs(el, ("name", "size", "page_size", "phys_addr", "prefill_path", "prefill_bootinfo"))
    _children(el, {})
    name = a.text("name", required=True)
    page_size = a.number("page_size")
    if page_size is not None and page_size not in PAGE_SIZES:
        raise InputError(f"page_size 0x{page_size:x} is not supported (expected 0x1000 or 0x200000)", el.attr_span("page_size"))
    page = page_size or PAGE_SIZES[0]
    prefill, bootinfo = a.text("prefill_path"), a.text("prefill_bootinfo")
    if bootinfo is not None:
        a.choice("prefill_bootinfo", BOOTINFO, bootinfo)
    filled = _prefill_size(el, prefill, prefill_dirs) if prefill is not None else None
    if prefill is not None and bootinfo is not None:
        raise InputError("prefill_path and prefill_bootinfo cannot both be given", el.span)
    size = a.number("size", low=1)
    if size is None:
        if bootinfo is not None:
            size = page
        elif filled is not None:
            size = -(-filled // page) * page
        else:
            raise InputError(f"memory_region '{name}' needs a size (or a prefill_path to take it from)", el.span)
    if size % page:
        raise InputError(f"size 0x{size:x} is not a multiple of the page size 0x{page:x}", el.attr_span("size"))
    if filled is not None and filled > size:
        raise InputError(f"the prefill file '{prefill}' has 0x{filled:x} bytes, more than the region's size 0x{size:x}", el.attr_span("size"))
    phys = a.number("phys_addr")
    if phys is not None and phys % page:
        raise InputError(f"phys_addr 0x{phys:x} is not aligned to the page size 0x{page:x}", el.attr_span("phys_addr"))
    return MicrokitMr(name, size, page_size, phys, prefill, bootinfo, el.span)


def _prefill_size(el: XmlElement, prefill: str, prefill_dirs: tuple[Path, ...]) -> int:
    """The size of a prefill file, the first found in `prefill_dirs`; it must be a regular file
    (a device or a FIFO has no size to fill a region with) and not empty."""
    where = el.attr_span("prefill_path")
    for folder in prefill_dirs:
        try:
            found = (folder / prefill).stat()
        except (OSError, ValueError):  # missing, a name too long, a symlink loop, a NUL byte
            continue
        if not stat.S_ISREG(found.st_mode):
            raise InputError(f"the prefill file '{prefill}' in '{folder}' is not a regular file", where)
        if found.st_size == 0:
            raise InputError(f"the prefill file '{prefill}' is empty", where)
        return found.st_size
    searched = ", ".join(f"'{d}'" for d in prefill_dirs)
    raise InputError(f"cannot find the prefill file '{prefill}' (looked in {searched})", where)


def _channel(el: XmlElement) -> MicrokitChannel:
    _Attrs(el, ())
    ends: list[MicrokitEnd] = []

    def end(c: XmlElement) -> None:
        a = _Attrs(c, ("pd", "id", "pp", "notify", "setvar_id"))
        _children(c, {})
        if len(ends) == 2:
            raise InputError("a <channel> has exactly two <end> elements", c.span)
        ends.append(MicrokitEnd(
            a.text("pd", required=True), a.number("id", required=True, high=ID_MAX), a.flag("pp", False),
            a.flag("notify", True), a.text("setvar_id"), c.span,
        ))

    _children(el, {"end": end})
    if len(ends) != 2:
        raise InputError(f"a <channel> has exactly two <end> elements, this one has {len(ends)}", el.span)
    if ends[0].pp and ends[1].pp:
        raise InputError("both ends have pp=\"true\": a protected procedure call goes one way only", el.span)
    return MicrokitChannel(ends[0], ends[1], el.span)


def _domains(el: XmlElement) -> MicrokitDomains:
    _Attrs(el, ())
    domains: list[MicrokitDomain] = []
    schedules: list[XmlElement] = []

    def domain(c: XmlElement) -> None:
        a = _Attrs(c, ("name", "id"))
        _children(c, {})
        domains.append(MicrokitDomain(a.text("name", required=True), a.number("id", high=255), c.span))

    def schedule(c: XmlElement) -> None:
        _once(c, schedules, "<domains>")
        schedules.append(c)

    _children(el, {"domain": domain, "domain_schedule": schedule})
    if not schedules:
        raise InputError("<domains> needs one <domain_schedule>", el.span)
    s = schedules[0]
    a = _Attrs(s, ("index_shift", "start_index"))
    entries: list[MicrokitScheduleEntry] = []

    def entry(c: XmlElement) -> None:
        e = _Attrs(c, ("domain", "duration"))
        _children(c, {})
        duration = e.text("duration", required=True)
        value, _, unit = duration.partition(" ")
        number = parse_number(value)
        if number is None or not 0 < number <= U64_MAX or unit not in ("us", "ticks"):
            raise InputError(f"{_written('duration', duration)} must be a positive number and a unit, e.g. '1000 us' or '5 ticks'", c.attr_span("duration"))
        entries.append(MicrokitScheduleEntry(e.text("domain", required=True), number, unit, c.span))

    def end_marker(c: XmlElement) -> None:
        _Attrs(c, ())
        _children(c, {})
        entries.append(MicrokitScheduleEntry(None, None, None, c.span))

    _children(s, {"schedule_entry": entry, "schedule_end_marker": end_marker})
    return MicrokitDomains(tuple(domains), tuple(entries), a.number("start_index"), a.number("index_shift"), el.span)


def _io_space(el: XmlElement) -> MicrokitIoSpace:
    a = _Attrs(el, ("name", "peripheral_id", "domain_id"))
    a.text("peripheral_id", required=True)
    pci_address(el, "peripheral_id")
    iomaps: list[MicrokitIoMap] = []

    def iomap(c: XmlElement) -> None:
        m = _Attrs(c, ("mr", "iovaddr", "perms"))
        _children(c, {})
        perms = c.attrs.get("perms", "rw")
        if not perms or set(perms) - set("rw"):
            raise InputError(f"{_written('perms', perms)}: an <iomap> takes a non-empty combination of 'r' and 'w'", c.attr_span("perms"))
        iomaps.append(MicrokitIoMap(m.text("mr", required=True), m.number("iovaddr", required=True), "".join(p for p in "rw" if p in perms), c.span))

    _children(el, {"iomap": iomap})
    return MicrokitIoSpace(a.text("name", required=True), el.attrs["peripheral_id"], a.number("domain_id"), tuple(iomaps), el.span)
