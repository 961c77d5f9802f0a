"""Compare what the kernel holds after boot with what the capDL spec says it should hold.

Three checks, each a PropertyResult whose findings name the object, the slot and the cap:
- BOOT-OBJECTS: every spec object exists in the kernel with its type and size (the walk
  identifies each object the loader created; CNode sizes are probed; frame sizes come from
  the dump);
- BOOT-CAPS: every slot holds the specified cap: its type (the walk, for every spec CNode,
  nested ones included), and where the kernel's dump reaches it its target, rights, badge and
  guard (TCB slots, page tables, threads' root CNodes);
- BOOT-EXTRA: nothing extra is held: no cap in a slot the spec leaves empty, no thread the
  spec does not declare, no object reachable from a thread that the spec does not name.
The kernel's view is what counts; the loader's log only adds what it tried to the evidence.
"""

from __future__ import annotations

from smosverify.analyses.result import Evidence, PropertyResult, Report, Status
from smosverify.errors import Span
from smosverify.image.naming import KERNEL_THREADS, kernel_half, name_kernel_objects, slot_number
from smosverify.image.readback import BootLog, DumpCap
from smosverify.image.spec import Spec, SpecCap, SpecObject

# capDL-tool's object types -> the kernel's cap type names (from its bitfield header), per arch.
_KERNEL_TYPE = {"TCB": "thread", "CNode": "cnode", "Endpoint": "endpoint", "Notification": "notification",
                "Frame": "frame", "ASIDPool": "asid_pool", "Untyped": "untyped", "VCPU": "vcpu",
                "SC": "sched_context", "RTReply": "reply", "IOPorts": "io_port"}
_KERNEL_TYPE_ARCH = {
    "x86_64": {"PML4": "pml4", "PDPT": "pdpt", "PD": "page_directory", "PT": "page_table"},
    "aarch64": {"PGD": "vspace", "PUD": "page_table", "PD": "page_table", "PT": "page_table"},
}
_FRAME_SIZES = {"4k": 12, "2M": 21, "1G": 30}
_KERNEL_RIGHTS = {"R": "r", "W": "w", "G": "g", "P": "p"}  # the dump's letters for ep/ntfn caps
_RIGHTED = ("EndpointCap", "NotificationCap")


def kernel_type(spec_type: str, arch: str) -> str | None:
    return _KERNEL_TYPE.get(spec_type) or _KERNEL_TYPE_ARCH.get(arch, {}).get(spec_type)


def conform_boot(spec: Spec, boot: BootLog) -> Report:
    """The three BOOT-* results for `spec` against the kernel's view in `boot`."""
    return Report(spec.file, (spec.file, boot.path), boot_results(spec, boot, name_kernel_objects(boot, spec)))


def boot_results(spec: Spec, boot: BootLog, names: dict[str, str]) -> tuple[PropertyResult, ...]:
    """BOOT-OBJECTS, BOOT-CAPS and BOOT-EXTRA, kernel objects named by `names`."""
    check = _Check(spec, boot, names)
    return check.objects(), check.caps(), check.extra()


class _Check:
    def __init__(self, spec: Spec, boot: BootLog, names: dict[str, str]):
        self.spec, self.boot, self.names = spec, boot, names
        # spec name -> its kernel id; a frame has one per mapping and unmapped cap: the declared one
        self.kernel_ids: dict[str, str] = {}
        for kid, name in sorted(names.items(), key=lambda item: item[0] not in boot.dump.objects):
            self.kernel_ids.setdefault(name, kid)

    def _at(self, line: int) -> Span:
        return Span(self.boot.path, line, 1)

    def objects(self) -> PropertyResult:
        found = []
        for obj in self.spec.objects.values():
            expected = kernel_type(obj.type, self.spec.arch)
            seen = self.boot.walk.objects.get(obj.name)
            if seen is None:
                if expected is not None:
                    tried = "the loader created it" if obj.name in self.boot.loader.created else "the loader did not create it"
                    found.append(Evidence("missing-object", f"{obj.name} ({obj.type}) is not in the kernel ({tried})",
                                          (obj.span,), {"object": obj.name}))
                continue
            cap_type, _, line = seen
            if expected is not None and cap_type != expected:
                found.append(Evidence("wrong-type", f"{obj.name} should be {obj.type} ({expected}); the kernel holds {_a(cap_type)}",
                                      (obj.span, self._at(line)), {"object": obj.name, "kernel_type": cap_type}))
            found.extend(self._size(obj))
        total = len(self.spec.objects)
        return _result("BOOT-OBJECTS", "Spec objects exist in the kernel", found,
                       f"all {total} spec objects exist with their type and size")

    def _size(self, obj: SpecObject) -> list[Evidence]:
        actual = None
        if obj.type == "CNode":
            actual = self.boot.walk.cnode_bits.get(obj.name)
        elif obj.type == "Frame" and self.kernel_ids.get(obj.name) in self.boot.dump.objects:
            dumped = self.boot.dump.objects[self.kernel_ids[obj.name]]
            actual = next((_FRAME_SIZES[b] for b in dumped.bare if b in _FRAME_SIZES), None)
        if actual is None or obj.size_bits is None or actual == obj.size_bits:
            return []
        return [Evidence("wrong-size", f"{obj.name} should have {obj.size_bits} size bits; the kernel's has {actual}",
                         (obj.span,), {"object": obj.name, "spec_bits": obj.size_bits, "kernel_bits": actual})]

    def caps(self) -> PropertyResult:
        found, compared = [], 0
        for obj in self.spec.objects.values():
            if obj.type == "CNode":
                for slot, cap in obj.caps.items():
                    compared += 1
                    found.extend(self._walk_slot(obj, slot, cap))
            kernel_id = self.kernel_ids.get(obj.name)
            if kernel_id is None or kernel_id not in self.boot.dump.slots:
                continue
            held = {slot_number(k): c for k, c in self.boot.dump.slots[kernel_id].items()}
            for slot, cap in obj.caps.items():
                if slot in held:
                    compared += 1
                    found.extend(self._dump_cap(obj, slot, cap, held[slot]))
                elif obj.type != "CNode":
                    found.append(Evidence("missing-cap", f"{obj.name} slot {slot} should hold {_show(cap)}; it is empty",
                                          (obj.span,), {"object": obj.name, "slot": slot}))
        return _result("BOOT-CAPS", "Every slot holds the specified cap", found,
                       f"{compared} slot comparisons agree with the spec")

    def _walk_slot(self, obj: SpecObject, slot: int, cap: SpecCap) -> list[Evidence]:
        seen = self.boot.walk.slots.get((obj.name, slot))
        expected = kernel_type(self.spec.objects[cap.target].type, self.spec.arch) if cap.target in self.spec.objects else None
        if seen is None:
            tried = self.boot.loader.populated.get((obj.name, slot))
            note = f" (the loader filled it with {tried})" if tried else ""
            return [Evidence("missing-cap", f"{obj.name} slot {slot} should hold {_show(cap)}; it is empty{note}",
                             (obj.span,), {"object": obj.name, "slot": slot})]
        if expected is not None and seen.cap_type != expected:
            return [Evidence("wrong-cap", f"{obj.name} slot {slot} should hold {_show(cap)} ({expected}); it holds {_a(seen.cap_type)} cap",
                             (obj.span, self._at(seen.line)), {"object": obj.name, "slot": slot, "kernel_type": seen.cap_type})]
        return []

    def _dump_cap(self, obj: SpecObject, slot: int, cap: SpecCap, held: DumpCap) -> list[Evidence]:
        where = (obj.span, self._at(held.line))
        data = {"object": obj.name, "slot": slot}
        target = self.names.get(held.target, held.target)
        if target != cap.target:
            return [Evidence("wrong-target", f"{obj.name} slot {slot} should hold {_show(cap)}; it holds a cap to {target}",
                             where, {**data, "kernel_target": target})]
        problems = []
        if cap.type in _RIGHTED and held.rights is not None:
            rights = frozenset(_KERNEL_RIGHTS[r] for r in held.rights if r in _KERNEL_RIGHTS)
            if rights != cap.rights:
                problems.append(f"rights {_letters(rights)} instead of {_letters(cap.rights)}")
            badge = int(held.attrs.get("badge", "0"), 0)
            if badge != cap.badge:
                problems.append(f"badge {badge} instead of {cap.badge}")
        if cap.type == "FrameCap" and held.rights is not None:
            rights = frozenset(r.lower() for r in held.rights if r in "RW")
            if rights != cap.rights & {"r", "w"}:
                problems.append(f"mapping rights {_letters(rights)} instead of {_letters(cap.rights & {'r', 'w'})}")
        if cap.type == "CNodeCap":
            guard = (int(held.attrs.get("guard", "0"), 0), int(held.attrs.get("guard_size", "0"), 0))
            if guard != (cap.guard or 0, cap.guard_size or 0):
                problems.append(f"guard {guard[0]}/{guard[1]} bits instead of {cap.guard or 0}/{cap.guard_size or 0}")
        return [Evidence("wrong-cap", f"{obj.name} slot {slot} holds {cap.target} with " + ", ".join(problems),
                         where, data)] if problems else []

    def extra(self) -> PropertyResult:
        found = []
        for (cnode, slot), seen in self.boot.walk.slots.items():
            if cnode in self.spec.objects and slot not in self.spec.objects[cnode].caps:
                found.append(Evidence("extra-cap", f"{cnode} slot {slot} holds {_a(seen.cap_type)} cap the spec does not give",
                                      (self.spec.objects[cnode].span, self._at(seen.line)), {"object": cnode, "slot": slot}))
        tcbs = {o.name for o in self.spec.objects.values() if o.type == "TCB"}
        for thread in self.boot.threads:
            if thread.name not in KERNEL_THREADS and thread.name not in tcbs:
                found.append(Evidence("extra-thread", f"the kernel runs a thread {thread.name!r} the spec does not declare",
                                      (self._at(thread.line),), {"thread": thread.name}))
        for kernel_id, slots in self.boot.dump.slots.items():
            if kernel_id not in self.names:
                continue
            dump_type = self.boot.dump.objects[kernel_id].type if kernel_id in self.boot.dump.objects else ""
            spec_obj = self.spec.objects[self.names[kernel_id]]
            for key, held in slots.items():
                slot = slot_number(key)
                if kernel_half(dump_type, slot, self.spec.arch) or slot in spec_obj.caps or spec_obj.type == "CNode":
                    continue
                if key == "reply_slot" and held.target == kernel_id.removesuffix("_tcb") + "_reply":
                    continue  # a started thread's own master reply cap: the kernel makes it (non-MCS restart)
                found.append(Evidence("extra-cap", f"{spec_obj.name} slot {key} holds a cap to "
                                      f"{self.names.get(held.target, held.target)} the spec does not give",
                                      (spec_obj.span, self._at(held.line)), {"object": spec_obj.name, "slot": slot}))
        return _result("BOOT-EXTRA", "The kernel holds nothing the spec does not give", found,
                       "no extra caps, threads or objects")


def _result(rid: str, name: str, found: list[Evidence], holds: str) -> PropertyResult:
    if found:
        return PropertyResult(rid, name, Status.VIOLATED, f"{len(found)} difference(s) from the spec", tuple(found))
    return PropertyResult(rid, name, Status.HOLDS, holds)


def _show(cap: SpecCap) -> str:
    extra = []
    if cap.rights:
        extra.append(_letters(cap.rights))
    if cap.badge:
        extra.append(f"badge {cap.badge}")
    return f"{_a(cap.type)} to {cap.target}" + (f" ({', '.join(extra)})" if extra else "")


def _letters(rights: frozenset[str]) -> str:
    return "".join(r.upper() for r in "rwgp" if r in rights) or "no rights"


def _a(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
