"""What the kernel holds after boot, written as a capDL spec with the spec's names.

This is how a boot is checked against a system's model: the kernel's view, as capDL, goes
through the same conformance check as a capDL spec (smosverify.analyses.capdl.conformance), so
the authority the kernel really gives every thread is compared with the model's closure.

The view holds every object and cap the kernel's snapshot reaches from the threads (their CNodes,
TCB slots and page tables; on x86_64 not the kernel's own upper half of each PML4), named by
`name_kernel_objects`; a kernel object the spec does not name keeps its kernel name, prefixed
`kernel_`, so it maps to no model element. Spec CNodes the snapshot does not reach (nested ones)
come from the walk, which only knows each cap's type: a slot whose type is the spec's is written
as the spec's cap, any other cap as a cap to an `unknown_CNODE_SLOT` object of the kernel's type.
Frame rights are the mapping's; x86_64 seL4 maps every user page executable (it never sets
execute-never), so execute is left out there, as it says nothing about the spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smosverify.errors import InputError, Span
from smosverify.image.conform import kernel_type as expected_kernel_type
from smosverify.image.naming import kernel_half, slot_number
from smosverify.image.readback import BootLog, DumpCap
from smosverify.image.spec import TCB_SLOTS, Spec, SpecCap

# capDL-tool's object types (its XML) -> capDL keywords.
KEYWORD = {"TCB": "tcb", "CNode": "cnode", "Endpoint": "ep", "Notification": "notification", "Frame": "frame",
           "PML4": "pml4", "PDPT": "pdpt", "PD": "pd", "PT": "pt", "PGD": "pgd", "PUD": "pud",
           "ASIDPool": "asid_pool", "Untyped": "ut", "SC": "sc", "RTReply": "rtreply", "VCPU": "vcpu",
           "IOPorts": "io_ports"}
# The walk's kernel cap types -> capDL keywords (AArch64's page_table stands for every lower level).
_WALK_KEYWORD = {"thread": "tcb", "cnode": "cnode", "endpoint": "ep", "notification": "notification",
                 "frame": "frame", "pml4": "pml4", "pdpt": "pdpt", "page_directory": "pd", "page_table": "pt",
                 "vspace": "pgd", "untyped": "ut", "asid_pool": "asid_pool", "sched_context": "sc", "reply": "rtreply"}
# How the dump names objects it does not declare: by prefix, then by suffix.
_PREFIX = (("frame_", "frame"), ("pdpt_", "pdpt"), ("pud_", "pud"), ("pd_", "pd"), ("pt_", "pt"))
_SUFFIX = (("_ep", "ep"), ("_notification", "notification"), ("_tcb", "tcb"), ("_cnode", "cnode"),
           ("_untyped", "ut"), ("_asid_pool", "asid_pool"), ("_sc", "sc"), ("_reply", "tcb"), ("_vcpu", "vcpu"),
           ("_irq", "irq"), ("_io_port", "io_ports"))
_ROOT = {"x86_64": "pml4", "aarch64": "pgd"}  # the dump's `<addr>_pd`: a VSpace root
_NO_OBJECT = ("irq_control", "asid_control")  # caps capDL writes with a reserved name
_FRAME_SIZE = {12: "4k", 21: "2M", 30: "1G"}
_SIZED = ("cnode", "ut")


@dataclass(frozen=True)
class KernelView:
    text: str
    file: str  # the name findings in `text` carry; `origins` says where each line comes from
    origins: dict[int, tuple[Span, ...]]  # line of `text` -> the boot log line (and spec declaration)


def kernel_view(spec: Spec, boot: BootLog, names: dict[str, str]) -> KernelView:
    """The kernel's objects and caps as capDL text, kernel objects named by `names`."""
    return _Writer(spec, boot, names).write()


class _Writer:
    def __init__(self, spec: Spec, boot: BootLog, names: dict[str, str]):
        self.spec, self.boot, self.names, self.arch = spec, boot, names, spec.arch
        self.lines: list[tuple[str, tuple[Span, ...]]] = []
        self.declared: dict[str, tuple[str, tuple[Span, ...]]] = {}  # view name -> (declaration, origins)

    def log(self, line: int) -> Span:
        return Span(self.boot.path, line, 1)

    def name(self, kernel_id: str) -> str:
        if kernel_id in self.names:
            return self.names[kernel_id]
        return kernel_id if kernel_id in _NO_OBJECT else "kernel_" + re.sub(r"[^\w.\-]", ".", kernel_id)

    def write(self) -> KernelView:
        blocks = []
        for kernel_id in self.reachable():
            self.declare_kernel(kernel_id)
            if kernel_id in self.boot.dump.slots:  # a block of its own in the snapshot
                blocks.append((self.name(kernel_id), [self.slot_line(kernel_id, key, cap) for key, cap
                                                      in self.boot.dump.slots[kernel_id].items()
                                                      if not self.kernel_slot(kernel_id, key)]))
        dumped = {name for name, _ in blocks}
        for name, obj in self.spec.objects.items():
            if name in self.boot.walk.objects:
                self.declare_spec(name)
            if obj.type == "CNode" and name not in dumped and name in self.boot.walk.cnode_bits:
                blocks.append((name, self.walked_slots(name)))
        self.lines.append((f"arch {self.arch}", ()))
        self.lines.append(("objects {", ()))
        self.lines += [(f"  {name} = {decl}", spans) for name, (decl, spans) in _arrays(self.declared).items()]
        self.lines += [("}", ()), ("caps {", ())]
        for name, caps in blocks:
            if caps:
                self.lines.append((f"  {name} {{", self.spec_span(name)))
                self.lines += [(f"    {text}", spans) for text, spans in caps]
                self.lines.append(("  }", ()))
        self.lines.append(("}", ()))
        text = "\n".join(line for line, _ in self.lines) + "\n"
        origins = {number: spans for number, (_, spans) in enumerate(self.lines, start=1) if spans}
        return KernelView(text, f"{self.boot.path} (kernel view)", origins)

    def reachable(self) -> list[str]:
        """Kernel ids the threads reach through the dump's slots, in dump order (threads first)."""
        order = [o.id for o in self.boot.dump.objects.values() if o.type == "tcb"]
        seen = set(order)
        for kernel_id in order:
            for key, cap in self.boot.dump.slots.get(kernel_id, {}).items():
                target = _cap_target(key, cap)
                if target not in seen and not self.kernel_slot(kernel_id, key) and target not in _NO_OBJECT:
                    seen.add(target)
                    order.append(target)
        return order

    def kernel_slot(self, kernel_id: str, key: str) -> bool:
        dumped = self.boot.dump.objects.get(kernel_id)
        return key not in TCB_SLOTS and kernel_half(dumped.type if dumped else "", slot_number(key), self.arch)

    def spec_span(self, name: str) -> tuple[Span, ...]:
        obj = self.spec.objects.get(name)
        return (obj.span,) if obj else ()

    # -- objects ------------------------------------------------------------------------------

    def declare_spec(self, name: str) -> bool:
        """Declare a spec object the walk found, as the type the kernel made; False if unknown."""
        obj = self.spec.objects[name]
        kernel_type, _, line = self.boot.walk.objects[name]
        keyword = KEYWORD.get(obj.type)
        if kernel_type != expected_kernel_type(obj.type, self.arch):
            keyword = _WALK_KEYWORD.get(kernel_type)  # the kernel made something else: say what
        if keyword is None:
            return False  # a type the kernel's names do not cover (BOOT-OBJECTS reports it)
        bits = self.boot.walk.cnode_bits.get(name, obj.size_bits) if keyword == "cnode" else obj.size_bits
        self.declared.setdefault(name, (_declaration(keyword, bits), (self.log(line), obj.span)))
        return True

    def declare_kernel(self, kernel_id: str) -> None:
        name = self.name(kernel_id)
        if name in self.spec.objects and name in self.boot.walk.objects and self.declare_spec(name):
            return
        dumped = self.boot.dump.objects.get(kernel_id)
        keyword = dumped.type if dumped else self.type_of_id(kernel_id)
        bits = dumped.size_bits if dumped else None
        if keyword == "frame":
            size = next((b for b in dumped.bare if b in _FRAME_SIZE.values()), "4k") if dumped else "4k"
            bits = next(k for k, v in _FRAME_SIZE.items() if v == size)
        spans = (self.log(dumped.line),) if dumped else self.spec_span(name)
        self.declared.setdefault(name, (_declaration(keyword, bits), spans))

    def type_of_id(self, kernel_id: str) -> str:
        for prefix, keyword in _PREFIX:
            if kernel_id.startswith(prefix):
                return keyword
        if kernel_id.endswith("_pd"):
            return _ROOT[self.arch]
        for suffix, keyword in _SUFFIX:
            if kernel_id.endswith(suffix):
                return keyword
        raise InputError(f"cannot tell the type of the kernel object {kernel_id!r} in the capDL dump",
                         Span(self.boot.path, 1, 1))

    # -- caps ---------------------------------------------------------------------------------

    def slot_line(self, container: str, key: str, cap: DumpCap) -> tuple[str, tuple[Span, ...]]:
        target_id, flag = _cap_target(key, cap), None
        if target_id != cap.target:
            flag = "master_reply"
        elif key == "caller_slot":
            flag = "reply"
        target = self.name(target_id)
        if target_id not in _NO_OBJECT:
            self.declare_kernel(target_id)
        keyword = self.declared[target][0].split()[0] if target_id not in _NO_OBJECT else ""
        params = [flag] if flag else []
        if keyword in ("ep", "notification") and cap.rights is not None:
            params.append("".join(r for r in "RWGP" if r in cap.rights))
        elif keyword == "frame" and cap.rights is not None:
            executable = "X" in cap.rights and self.arch != "x86_64"
            params.append("".join(r for r in "RW" if r in cap.rights) + ("X" if executable else ""))
        for attr in ("badge", "guard", "guard_size"):
            if attr in cap.attrs:
                params.append(f"{attr}: {cap.attrs[attr]}")
        shown = ", ".join(p for p in params if p)
        spans = (self.log(cap.line),) + self.spec_span(self.name(container))
        return f"{key}: {target}" + (f" ({shown})" if shown else ""), spans

    def walked_slots(self, cnode: str) -> list[tuple[str, tuple[Span, ...]]]:
        """A CNode the snapshot does not reach: each cap's type from the walk, the rest from the spec."""
        out = []
        spec_caps = self.spec.objects[cnode].caps
        for (name, slot), seen in sorted(self.boot.walk.slots.items(), key=lambda item: item[0][1]):
            if name != cnode or seen.cap_type not in _WALK_KEYWORD:
                continue  # caps the kernel will not copy (reply caps): BOOT-CAPS reports them
            spans = (self.log(seen.line), self.spec.objects[cnode].span)
            wanted = spec_caps.get(slot)
            target = self.spec.objects.get(wanted.target) if wanted else None
            if target is not None and target.name in self.boot.walk.objects \
                    and seen.cap_type == expected_kernel_type(target.type, self.arch) and self.declare_spec(target.name):
                out.append((f"{slot:#x}: {_spec_cap(wanted, target.type)}", spans))
                continue
            unknown = f"unknown_{cnode}_{slot:#x}"
            self.declared.setdefault(unknown, (_declaration(_WALK_KEYWORD[seen.cap_type], None), spans))
            out.append((f"{slot:#x}: {unknown}", spans))
        return out


def _arrays(declared: dict[str, tuple[str, tuple[Span, ...]]]) -> dict[str, tuple[str, tuple[Span, ...]]]:
    """Array elements (`pt3_c[0]`) declared as their array (`pt3_c[1]`), as capDL wants. Elements up
    to the highest the kernel holds are declared; one it lacks is then an object no cap names."""
    out, sizes = {}, {}
    for name, entry in declared.items():
        element = _ELEMENT.fullmatch(name)
        if element is None:
            out[name] = entry
            continue
        base = element.group(1)
        sizes[base] = max(sizes.get(base, 0), int(element.group(2)) + 1)
        out.setdefault(base, entry)
    return {(f"{name}[{sizes[name]}]" if name in sizes else name): entry for name, entry in out.items()}


_ELEMENT = re.compile(r"(.+)\[(\d+)\]")


def _declaration(keyword: str, bits: int | None) -> str:
    if keyword == "frame":
        return f"frame ({_FRAME_SIZE.get(bits or 12, '4k')})"
    if keyword in _SIZED:
        return f"{keyword} ({bits or 0} bits)"
    return keyword


def _spec_cap(cap: SpecCap, target_type: str) -> str:
    params = []
    if cap.rights:
        letters = {"r": "R", "w": "W", "g": "X" if target_type == "Frame" else "G", "p": "P"}
        params.append("".join(letters[r] for r in "rwgp" if r in cap.rights))
    if cap.badge:
        params.append(f"badge: {cap.badge}")
    if cap.guard is not None or cap.guard_size is not None:
        params.append(f"guard: {cap.guard or 0}, guard_size: {cap.guard_size or 0}")
    return cap.target + (f" ({', '.join(params)})" if params else "")


def _cap_target(key: str, cap: DumpCap) -> str:
    """The kernel object a dumped cap is to. Non-MCS, a started thread's reply slot holds its own
    master reply cap, which the dump names `ADDR_reply`: that is the thread (`ADDR_tcb`)."""
    if key == "reply_slot" and cap.target.endswith("_reply"):
        return cap.target.removesuffix("_reply") + "_tcb"
    return cap.target
