"""Read a capDL spec written as JSON into the same CapDLSpec as a capDL text.

The JSON is the serde form of rust-sel4's `sel4_capdl_initializer_types::Spec`: what Microkit
writes with `microkit ... --capdl-json FILE` (the capabilities its capDL initialiser really
creates) and what rust-sel4's `sel4-capdl-initializer-add-spec` reads. Objects are a list and
are named by their index; an object or a cap is `{"Variant": {fields}}`, or `"Variant"` when it
has no fields. docs/capdl.md describes the mapping to capDL's object and cap types.

The JSON says nothing of the architecture, which decides what a page table is (a PGD, a PML4...):
it is the one given by the caller (`--arch`, or the system a spec is conformed to) if any, and
must fit what only one architecture has (ARM or x86 interrupts, I/O ports, EPT), the depth of the
page tables (RISC-V Sv39 keeps 4 KiB pages at level 2, AArch64 and x86-64 at level 3) and, last,
the names Microkit gives VSpace roots (`pgd_...`, `pml4_...`).

Python's json module keeps no positions, so the offsets that spans need come from a second walk
that decodes each object and slot entry again (at C speed) to learn where it starts.
"""

from __future__ import annotations

import json
import re

from smosverify.errors import InputError, Span, quote
from smosverify.model.capdl import (
    SPECIAL_CAPS,
    Cap,
    CapDLSpec,
    CapObject,
    CapType,
    DomainEntry,
    Domains,
    ObjectType,
    SourceMap,
)

T = ObjectType
MAX_WORD = 2**64 - 1
_WS = re.compile(r"[ \t\n\r]*")
_LONG_NUMBER = re.compile(r"[0-9]{4000,}")

# Object variant -> capDL object type (None: the page tables, typed by architecture and level).
_OBJECTS: dict[str, ObjectType | None] = {
    "Untyped": T.UT, "Endpoint": T.EP, "Notification": T.NOTIFICATION, "CNode": T.CNODE, "Tcb": T.TCB,
    "Irq": T.IRQ, "VCpu": T.VCPU, "Frame": T.FRAME, "PageTable": None, "AsidPool": T.ASID_POOL,
    "IOSpace": T.IO_DEVICE, "IOPageTable": T.IO_PT, "ArmIrq": T.ARM_IRQ, "IrqMsi": T.MSI_IRQ,
    "IrqIOApic": T.IOAPIC_IRQ, "RiscvIrq": T.IRQ, "IOPorts": T.IO_PORTS, "SchedContext": T.SC, "Reply": T.RTREPLY,
    "ArmSmc": T.SMC, "DomainSet": None,
}
_SLOTTED = frozenset({"CNode", "Tcb", "Irq", "PageTable", "IOSpace", "IOPageTable", "ArmIrq", "IrqMsi", "IrqIOApic",
                      "RiscvIrq"})
# Cap variant -> (the object variant it must name, its capDL cap type; None: by the table's type).
_CAPS: dict[str, tuple[str, CapType | None]] = {
    "Untyped": ("Untyped", CapType.UNTYPED), "Endpoint": ("Endpoint", CapType.ENDPOINT),
    "Notification": ("Notification", CapType.NOTIFICATION), "CNode": ("CNode", CapType.CNODE),
    "Tcb": ("Tcb", CapType.TCB), "IrqHandler": ("Irq", CapType.IRQ_HANDLER), "VCpu": ("VCpu", CapType.VCPU),
    "Frame": ("Frame", CapType.FRAME), "PageTable": ("PageTable", None), "AsidPool": ("AsidPool", CapType.ASID_POOL),
    "IOSpace": ("IOSpace", CapType.IO_SPACE), "IOPageTable": ("IOPageTable", CapType.IO_PT),
    "ArmIrqHandler": ("ArmIrq", CapType.ARM_IRQ_HANDLER), "IrqMsiHandler": ("IrqMsi", CapType.IRQ_MSI_HANDLER),
    "IrqIOApicHandler": ("IrqIOApic", CapType.IRQ_IOAPIC_HANDLER), "RiscvIrqHandler": ("RiscvIrq", CapType.IRQ_HANDLER),
    "IOPorts": ("IOPorts", CapType.IO_PORTS), "SchedContext": ("SchedContext", CapType.SC),
    "Reply": ("Reply", CapType.RTREPLY), "ArmSmc": ("ArmSmc", CapType.ARM_SMC), "DomainSet": ("DomainSet", CapType.DOMAIN),
}
_TABLE_CAP = {T.PT: CapType.PT, T.PD: CapType.PD, T.PDPT: CapType.PDPT, T.PML4: CapType.PML4, T.PUD: CapType.PUD,
              T.PGD: CapType.PGD}
_LEVELS = {"aarch64": (T.PGD, T.PUD, T.PD, T.PT), "x86_64": (T.PML4, T.PDPT, T.PD, T.PT), "riscv": (T.PT, T.PT, T.PT)}
# Objects only one architecture has.
_ARCH_OF = {"ArmIrq": "aarch64", "ArmSmc": "aarch64", "IrqMsi": "x86_64", "IrqIOApic": "x86_64", "IOPorts": "x86_64",
            "IOSpace": "x86_64", "IOPageTable": "x86_64", "RiscvIrq": "riscv"}
_ROOT_NAMES = {"pml4_": {"x86_64"}, "pgd_": {"aarch64", "riscv"}}  # Microkit's names for VSpace roots
_RIGHTS = (("read", "R"), ("write", "W"), ("grant", "G"), ("grant_reply", "P"))
_TRIGGER = {0: "level", 1: "edge"}


def looks_like_json(text: str) -> bool:
    """A capDL text starts with `arch` (after comments); JSON with `{` (or `[`, to be refused as JSON)."""
    return text[_WS.match(text).end():][:1] in ("{", "[")


def parse_capdl_json(text: str, file: str, arch: str | None = None) -> CapDLSpec:
    """The spec; `arch` (capDL's name: aarch64, x86_64, riscv) when the caller knows it."""
    return _Reader(text, file, arch).spec()


class _Reader:
    def __init__(self, text: str, file: str, arch: str | None):
        self.text = text
        self.given_arch = arch
        self.source = SourceMap.of(text, file)
        self.decode = json.JSONDecoder().raw_decode

    # -- positions ----------------------------------------------------------------------------

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()

    def members(self, pos: int) -> dict[str, int]:
        """Where each member's value starts, in the JSON object at `pos`."""
        out: dict[str, int] = {}
        pos = self.skip(pos) + 1
        while True:
            pos = self.skip(pos)
            if self.text[pos] == "}":
                return out
            key, pos = self.decode(self.text, pos)
            pos = self.skip(self.skip(pos) + 1)  # past the colon
            out[key] = pos
            pos = self.skip(self.decode(self.text, pos)[1])
            pos += self.text[pos] == ","

    def elements(self, pos: int) -> list[int]:
        """Where each element starts, in the JSON array at `pos`."""
        out: list[int] = []
        pos = self.skip(pos) + 1
        while True:
            pos = self.skip(pos)
            if self.text[pos] == "]":
                return out
            out.append(pos)
            pos = self.skip(self.decode(self.text, pos)[1])
            pos += self.text[pos] == ","

    def offset(self, path: tuple, pos: int | None = None) -> int:
        """Where the value at `path` (keys and indices from the top, or from the value at `pos`)
        starts, or as near as exists."""
        pos = self.skip(0) if pos is None else pos
        for step in path:
            opening = "{" if isinstance(step, str) else "["
            if self.text[pos] != opening:
                break
            inner = self.members(pos) if opening == "{" else dict(enumerate(self.elements(pos)))
            if step not in inner:
                break
            pos = inner[step]
        return pos

    def fail(self, message: str, path: tuple) -> InputError:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "the top level"
        return InputError(f"{where}: {message}", self.source.span(self.offset(path)))

    # -- values -------------------------------------------------------------------------------

    def get(self, value: dict, key: str, path: tuple, kind: str):
        if key not in value:
            raise self.fail(f"expected the field '{key}' ({kind})", path)
        return value[key]

    def int(self, value, path: tuple, limit: int = MAX_WORD) -> int:
        if type(value) is not int or not 0 <= value <= limit:
            raise self.fail(f"expected a whole number from 0 to {limit}, found {_shown(value)}", path)
        return value

    def bool(self, value, path: tuple) -> bool:
        if type(value) is not bool:
            raise self.fail(f"expected true or false, found {_shown(value)}", path)
        return value

    def record(self, value, path: tuple, kind: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(f"expected {kind} (a JSON object), found {_shown(value)}", path)
        return value

    def array(self, value, path: tuple, kind: str) -> list:
        if not isinstance(value, list):
            raise self.fail(f"expected {kind} (a JSON array), found {_shown(value)}", path)
        return value

    def variant(self, value, path: tuple, known, kind: str):
        """serde's form of an enum value: "Name", or {"Name": content}; the name and the content
        ({} for a bare name)."""
        if isinstance(value, str):
            name, body = value, {}
        elif isinstance(value, dict) and len(value) == 1:
            name, body = next(iter(value.items()))
        else:
            raise self.fail(f"expected {kind}: \"Variant\" or {{\"Variant\": {{...}}}}", path)
        if name not in known:
            raise self.fail(f"unknown {kind} {quote(name)} (known: {', '.join(known)})", path)
        return name, body

    # -- the spec -----------------------------------------------------------------------------

    def spec(self) -> CapDLSpec:
        top = self.load()
        entries = self.array(self.get(top, "objects", (), "the list of objects"), ("objects",), "the list of objects")
        decoded = [self.object(entry, ("objects", i)) for i, entry in enumerate(entries)]
        names = _names(decoded)
        levels = self.levels(decoded)
        arch = self.arch(decoded, levels)
        at = self.elements(self.offset(("objects",)))
        objects: dict[str, CapObject] = {}
        for i, (variant, body, _) in enumerate(decoded):
            if variant == "DomainSet":
                continue  # the kernel's domain setter: reached by a cap, not an object of its own
            kind = _LEVELS[arch][levels[i]] if variant == "PageTable" else _OBJECTS[variant]
            objects[names[i]] = CapObject(names[i], kind, at[i], self.params(variant, body, ("objects", i)), {})
        for i, (variant, body, _) in enumerate(decoded):
            if variant in _SLOTTED:
                self.fill(objects[names[i]], body, decoded, names, objects, i, at[i])
        return CapDLSpec(
            source=self.source,
            arch=arch,
            objects=objects,
            irq_map=self.irqs(top, decoded, names),
            cdt={},
            cap_names={},
            covers=self.covers(top, decoded, names),
            domains=self.domains(top),
        )

    def load(self) -> dict:
        try:
            top = json.loads(self.text)
        except json.JSONDecodeError as err:
            raise InputError(f"invalid JSON: {err.msg}", Span(self.source.file, err.lineno, err.colno)) from None
        except ValueError:  # a number too long for Python to convert
            found = _LONG_NUMBER.search(self.text)
            raise InputError("a number with thousands of digits", self.source.span(found.start() if found else 0)) \
                from None
        except RecursionError:
            raise InputError("JSON nested too deeply", Span(self.source.file, 1, 1)) from None
        return self.record(top, (), "a capDL spec")

    def object(self, entry, path: tuple) -> tuple[str, dict, str | None]:
        entry = self.record(entry, path, "an object entry {\"name\": ..., \"object\": ...}")
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            raise self.fail(f"expected the object's name (a string or null), found {_shown(name)}", path + ("name",))
        variant, body = self.variant(self.get(entry, "object", path, "the object"), path + ("object",), _OBJECTS,
                                     "object")
        return variant, self.record(body, path + ("object", variant), f"the fields of {variant}"), name

    def params(self, variant: str, body: dict, path: tuple) -> tuple:
        """The object's fields as capDL's parameters (docs/capdl.md lists the correspondence)."""
        here = path + ("object", variant)

        def number(key: str, limit: int = MAX_WORD, record: dict = body, where: tuple = here) -> int:
            return self.int(self.get(record, key, where, "a number"), where + (key,), limit)

        def extra() -> tuple[dict, tuple]:
            return self.record(self.get(body, "extra", here, "its parameters"), here + ("extra",), "extra"), \
                here + ("extra",)

        if variant in ("Untyped", "Frame"):
            bits = number("size_bits", 63)
            paddr = body.get("paddr")
            params = [("bits", bits) if variant == "Untyped" else ("size", 1 << bits)]
            return tuple(params + ([("paddr", self.int(paddr, here + ("paddr",)))] if paddr is not None else []))
        if variant == "CNode":
            return (("bits", number("size_bits", 63)),)
        if variant == "Tcb":
            tcb, where = extra()
            params = [("addr", number("ipc_buffer_addr", record=tcb, where=where)),
                      ("ip", number("ip", record=tcb, where=where)), ("sp", number("sp", record=tcb, where=where)),
                      ("prio", number("prio", 255, tcb, where)), ("max_prio", number("max_prio", 255, tcb, where)),
                      ("affinity", number("affinity", record=tcb, where=where)),
                      ("resume", self.bool(self.get(tcb, "resume", where, "true or false"), where + ("resume",))),
                      # rust-sel4 before 2026-03 has no fpu_disabled: the FPU was on
                      ("fpu_disabled", self.bool(tcb.get("fpu_disabled", False), where + ("fpu_disabled",)))]
            gprs = self.array(self.get(tcb, "gprs", where, "the initial registers"), where + ("gprs",), "gprs")
            params.append(("init", tuple(self.int(g, where + ("gprs", k)) for k, g in enumerate(gprs))))
            for key, param, limit in (("domain", "dom", 255), ("master_fault_ep", "fault_ep", MAX_WORD)):
                if tcb.get(key) is not None:
                    params.append((param, self.int(tcb[key], where + (key,), limit)))
            return tuple(params)
        if variant == "AsidPool":
            return (("asid_high", number("high")),)
        if variant == "IOSpace":
            pci = self.record(self.get(body, "pci_device", here, "bus, device, function"), here + ("pci_device",),
                              "a PCI device")
            where = here + ("pci_device",)
            return (("domainID", number("domain_id")),
                    ("pci", (number("bus", 255, pci, where), number("device", 31, pci, where),
                             number("function", 7, pci, where))))
        if variant == "IOPageTable":
            return (("level", number("level")),)
        if variant == "IOPorts":
            return (("ports", (number("start_port", 0xFFFF), number("end_port", 0xFFFF))),)
        if variant == "SchedContext":
            sc, where = extra()
            return (("period", number("period", record=sc, where=where)), ("budget", number("budget", record=sc, where=where)),
                    ("data", number("badge", record=sc, where=where)), ("bits", number("size_bits", 63)))
        if variant in ("ArmIrq", "RiscvIrq"):
            irq, where = extra()
            trigger = number("trigger", 1, irq, where)
            return (("trigger", _TRIGGER[trigger]),) + ((("target", number("target", record=irq, where=where)),)
                                                        if variant == "ArmIrq" else ())
        if variant == "IrqMsi":
            msi, where = extra()
            return tuple((param, number(key, record=msi, where=where)) for key, param in (
                ("handle", "msi_handle"), ("pci_bus", "msi_pci_bus"), ("pci_dev", "msi_pci_dev"),
                ("pci_func", "msi_pci_fun")))
        if variant == "IrqIOApic":
            ioapic, where = extra()
            return tuple((param, number(key, record=ioapic, where=where)) for key, param in (
                ("ioapic", "ioapic_num"), ("pin", "ioapic_pin"), ("level", "ioapic_level"),
                ("polarity", "ioapic_polarity")))
        return ()

    # -- caps ---------------------------------------------------------------------------------

    def fill(self, holder: CapObject, body: dict, decoded: list, names: list[str], objects: dict[str, CapObject],
             index: int, at: int) -> None:
        variant = decoded[index][0]
        path = ("objects", index, "object", variant, "slots")
        slots = self.array(self.get(body, "slots", path[:-1], "the cap slots"), path, "the cap slots")
        offsets = self.elements(self.offset(path[2:], at)) if slots else []
        for k, entry in enumerate(slots):
            where = path + (k,)
            entry = self.record(entry, where, "a slot entry {\"slot\": ..., \"cap\": ...}")
            slot = self.int(self.get(entry, "slot", where, "the slot number"), where + ("slot",), 2**32 - 1)
            if slot in holder.slots:
                raise self.fail(f"slot {slot} of {quote(holder.name)} is filled twice", where)
            holder.slots[slot] = self.cap(entry, where, decoded, names, objects, offsets[k])

    def cap(self, entry: dict, path: tuple, decoded: list, names: list[str], objects: dict[str, CapObject],
            at: int) -> Cap:
        variant, body = self.variant(self.get(entry, "cap", path, "the cap"), path + ("cap",), _CAPS, "cap")
        here = path + ("cap", variant)
        body = self.record(body, here, f"the fields of {variant}")
        target = self.index(self.get(body, "object", here, "the object's index"), here + ("object",), decoded)
        wanted, kind = _CAPS[variant]
        if decoded[target][0] != wanted:
            raise self.fail(f"a cap of kind {variant} names object {target} ({quote(names[target])}) of kind "
                            f"{decoded[target][0]}", here + ("object",))
        if kind is CapType.DOMAIN:
            return Cap(kind, "domain", at)
        name = names[target]
        if kind is None:
            kind = _TABLE_CAP[objects[name].type]
        rights: frozenset[str] = frozenset()
        if "rights" in body:
            given = self.record(body["rights"], here + ("rights",), "the rights")
            rights = frozenset(letter for key, letter in _RIGHTS
                               if self.bool(self.get(given, key, here + ("rights",), "true or false"),
                                            here + ("rights", key)))
        if kind is CapType.FRAME:  # a frame's grant means nothing to seL4; capDL's third letter is execute
            executable = self.bool(self.get(body, "executable", here, "true or false"), here + ("executable",))
            rights = (rights & {"R", "W"}) | ({"G"} if executable else frozenset())
            cached = self.bool(self.get(body, "cached", here, "true or false"), here + ("cached",))
            return Cap(kind, name, at, rights, cached=cached)
        badge = self.int(body["badge"], here + ("badge",)) if "badge" in body else 0
        if kind is CapType.CNODE:
            return Cap(kind, name, at, guard=self.int(self.get(body, "guard", here, "a number"), here + ("guard",)),
                       guard_size=self.int(self.get(body, "guard_size", here, "a number"), here + ("guard_size",), 64))
        return Cap(kind, name, at, rights, badge)

    # -- the rest of the spec -----------------------------------------------------------------

    def irqs(self, top: dict, decoded: list, names: list[str]) -> dict[int, str]:
        table: dict[int, str] = {}
        for k, entry in enumerate(self.array(top.get("irqs", []), ("irqs",), "the IRQ table")):
            where = ("irqs", k)
            entry = self.record(entry, where, "an IRQ entry {\"irq\": ..., \"handler\": ...}")
            irq = self.int(self.get(entry, "irq", where, "the IRQ number"), where + ("irq",))
            handler = self.index(self.get(entry, "handler", where, "the handler object"), where + ("handler",), decoded)
            if decoded[handler][0] not in ("Irq", "ArmIrq", "IrqMsi", "IrqIOApic", "RiscvIrq"):
                raise self.fail(f"irq {irq}'s handler {quote(names[handler])} is of kind {decoded[handler][0]}, "
                                "not an IRQ object", where + ("handler",))
            if irq in table:
                raise self.fail(f"irq {irq} is given two handlers", where)
            table[irq] = names[handler]
        return table

    def covers(self, top: dict, decoded: list, names: list[str]) -> dict[str, tuple[str, ...]]:
        covers: dict[str, tuple[str, ...]] = {}
        owner: dict[int, str] = {}
        for k, entry in enumerate(self.array(top.get("untyped_covers", []), ("untyped_covers",), "the untyped covers")):
            where = ("untyped_covers", k)
            entry = self.record(entry, where, "a cover {\"parent\": ..., \"children\": {\"start\": ..., \"end\": ...}}")
            parent = self.index(self.get(entry, "parent", where, "the untyped"), where + ("parent",), decoded)
            if decoded[parent][0] != "Untyped":
                raise self.fail(f"{quote(names[parent])} covers objects but is of kind {decoded[parent][0]}, "
                                "not Untyped", where + ("parent",))
            span = self.record(self.get(entry, "children", where, "a range"), where + ("children",), "a range")
            start = self.int(self.get(span, "start", where + ("children",), "a number"), where + ("children", "start"),
                             len(decoded))
            end = self.int(self.get(span, "end", where + ("children",), "a number"), where + ("children", "end"),
                           len(decoded))
            for child in range(start, end):
                if owner.setdefault(child, names[parent]) != names[parent]:
                    raise self.fail(f"{quote(names[child])} is covered by two untypeds, {quote(owner[child])} and "
                                    f"{quote(names[parent])}", where)
            covers[names[parent]] = covers.get(names[parent], ()) + tuple(  # DomainSet is no object here
                names[child] for child in range(start, end) if decoded[child][0] != "DomainSet")
        return {ut: tuple(dict.fromkeys(children)) for ut, children in covers.items()}  # a repeat counts once

    def domains(self, top: dict) -> Domains:
        """A schedule with its start and shift; a null start means none (capDL's `no_start`)."""
        start = top.get("domain_set_start")
        shift = top.get("domain_idx_shift")
        shift = 0 if shift is None else self.int(shift, ("domain_idx_shift",))
        schedule = top.get("domain_schedule")
        if schedule is None:
            return Domains(None, None if start is None else self.int(start, ("domain_set_start",)), shift)
        entries = []
        for k, entry in enumerate(self.array(schedule, ("domain_schedule",), "the domain schedule")):
            where = ("domain_schedule", k)
            entry = self.record(entry, where, "a schedule entry {\"domain\": ..., \"duration\": ...}")
            if "id" in entry and "domain" not in entry:  # rust-sel4 before 2026-07: {id, time}, time in ticks
                entries.append(DomainEntry(self.int(entry["id"], where + ("id",), 255),
                                           self.int(self.get(entry, "time", where, "a number of ticks"), where + ("time",))))
                continue
            domain = self.int(self.get(entry, "domain", where, "a domain number"), where + ("domain",), 255)
            unit, amount = self.variant(self.get(entry, "duration", where, "the duration"), where + ("duration",),
                                        ("Ticks", "Us", "EndMarker"), "duration")
            if unit == "EndMarker":
                entries.append(DomainEntry(domain, 0))
            else:
                if type(amount) is not int or not 0 < amount <= MAX_WORD:
                    raise self.fail(f"expected a duration above zero, found {_shown(amount)}", where + ("duration",))
                entries.append(DomainEntry(domain, amount, "ticks" if unit == "Ticks" else "us"))
        if start is not None and entries[self.int(start, ("domain_set_start",), len(entries) - 1)].duration == 0:
            raise self.fail(f"the start, entry {start}, is the schedule's end marker", ("domain_set_start",))
        return Domains(tuple(entries), start, shift)

    def index(self, value, path: tuple, decoded: list) -> int:
        if not decoded:
            raise self.fail("names an object, but the spec has none", path)
        return self.int(value, path, len(decoded) - 1)

    # -- architecture and page-table levels ---------------------------------------------------

    def levels(self, decoded: list) -> dict[int, int]:
        """Each page table's level: as given, or one below the table whose slot holds it."""
        levels: dict[int, int] = {}
        for i, (variant, body, _) in enumerate(decoded):
            if variant == "PageTable" and body.get("level") is not None:
                levels[i] = self.int(body["level"], ("objects", i, "object", "PageTable", "level"), 3)
            elif variant == "PageTable" and body.get("is_root"):
                levels[i] = 0
        pending = [i for i in levels]
        while pending:
            i = pending.pop()
            for child in _targets(decoded[i][1], "PageTable", decoded):
                if decoded[child][0] == "PageTable" and child not in levels:
                    levels[child] = min(levels[i] + 1, 3)
                    pending.append(child)
        for i, (variant, _, _) in enumerate(decoded):
            if variant == "PageTable" and i not in levels:
                raise self.fail("a page table with no level, in no other table's slot", ("objects", i, "object"))
        return levels

    def arch(self, decoded: list, levels: dict[int, int]) -> str:
        """The one architecture everything in the spec fits (see the module's docstring)."""
        candidates = {"aarch64", "x86_64", "riscv"}
        reasons: list[str] = []
        if self.given_arch is not None:
            candidates.intersection_update({self.given_arch})
            reasons.append(f"{self.given_arch} as given")

        def narrow(archs: set[str], why: str) -> None:
            if candidates & archs != candidates:
                candidates.intersection_update(archs)
                reasons.append(why)

        for i, (variant, body, _) in enumerate(decoded):
            if variant in _ARCH_OF:
                narrow({_ARCH_OF[variant]}, f"an object of kind {variant}")
            elif variant == "PageTable":
                if body.get("x86_ept"):
                    narrow({"x86_64"}, "an EPT page table")
                if levels[i] == 3:
                    narrow({"aarch64", "x86_64"}, "a fourth page-table level")
                if body.get("is_root") and levels[i] == 1:
                    narrow({"aarch64"}, "a VSpace root at level 1")
                if levels[i] == 2 and _holds_small_frame(body, decoded):
                    narrow({"riscv"}, "4 KiB pages at the third page-table level")
        if len(candidates) > 1:
            roots = [name for variant, body, name in decoded if variant == "PageTable" and body.get("is_root") and name]
            for prefix, archs in _ROOT_NAMES.items():
                if any(name.startswith(prefix) for name in roots):
                    narrow(archs, f"a VSpace root named {prefix}...")
        if len(candidates) != 1:
            found = "; ".join(reasons) or "nothing specific to one architecture"
            problem = "fits no architecture" if not candidates else "does not say which architecture it is for"
            raise self.fail(f"the spec {problem} ({found})", ("objects",))
        return candidates.pop()


def _targets(body: dict, variant: str, decoded: list):
    """The objects the caps of one kind in an object's slots name, skipping what is malformed (the
    slots are checked, with positions, when they are read)."""
    slots = body.get("slots")
    for entry in slots if isinstance(slots, list) else ():
        cap = entry.get("cap") if isinstance(entry, dict) else None
        fields = cap.get(variant) if isinstance(cap, dict) else None
        target = fields.get("object") if isinstance(fields, dict) else None
        if type(target) is int and 0 <= target < len(decoded):
            yield target


def _holds_small_frame(body: dict, decoded: list) -> bool:
    return any(decoded[t][1].get("size_bits") == 12 for t in _targets(body, "Frame", decoded))


def _names(decoded: list) -> list[str]:
    """Each object's name: its own when it has a unique one, else `name#index` (`object#index`
    when it has none), so that no two objects share a name nor one of the names capDL keeps for
    caps to no object (`domain`...)."""
    counts: dict[str, int] = dict.fromkeys(SPECIAL_CAPS, 1)
    for _, _, name in decoded:
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    return [name if name is not None and counts[name] == 1 else f"{name or 'object'}#{i}"
            for i, (_, _, name) in enumerate(decoded)]


def _shown(value) -> str:
    if isinstance(value, (dict, list)):
        return "a JSON " + ("object" if isinstance(value, dict) else "array")
    return quote(json.dumps(value))
