"""Give the kernel's objects their spec names.

The kernel's dump names objects by kernel address. Two anchors name some of them directly:
threads (the scheduler dump walks the same kernel list as the snapshot, in the same order, and
prints each thread's name) and frames (the walk reports each spec frame's physical address, the
dump each mapped frame's and, with the project's kernel patch, each unmapped frame cap's). A frame
is its physical memory: the dump names it once per mapping (`frame_<slot>_<index>`) and once per
unmapped cap (`frame_paddr_<paddr>`), and all of these get the frame's one spec name. From the
anchors, names spread along slots: when a named kernel object and its spec object both hold a cap
in the same slot, the kernel cap's target is the spec cap's target. Any other kernel object that
would get two names (or a name already given) keeps the first; the comparison then reports the
cap that disagrees.
"""

from __future__ import annotations

from collections import deque

from smosverify.image.readback import BootLog
from smosverify.image.spec import TCB_SLOTS, Spec

KERNEL_THREADS = ("rootserver", "idle_thread")
UNMAPPED_FRAME = "frame_paddr_"  # the patched dump's name for an unmapped frame cap's frame


def slot_number(key: str) -> int:
    """The dump's slot key ("0x1f", "cspace", ...) as capDL-tool's slot number."""
    return TCB_SLOTS[key] if key in TCB_SLOTS else int(key, 16)


def kernel_half(dump_type: str, slot: int, arch: str) -> bool:
    """On x86_64 every VSpace maps the kernel in the PML4's upper half; that is not the spec's."""
    return arch == "x86_64" and dump_type == "pml4" and slot >= 256


def name_kernel_objects(boot: BootLog, spec: Spec) -> dict[str, str]:
    """kernel id -> spec name, for every kernel object the anchors and the slots reach."""
    names: dict[str, str] = {}
    taken: set[str] = set()

    def bind(kernel_id: str, name: str) -> bool:
        if kernel_id in names or name in taken or name not in spec.objects:
            return False
        names[kernel_id] = name
        taken.add(name)
        return True

    dump_tcbs = [o.id for o in boot.dump.objects.values() if o.type == "tcb"]
    threads = [t.name for t in boot.threads if t.name not in KERNEL_THREADS]
    for kernel_id, name in zip(dump_tcbs, threads):
        bind(kernel_id, name)
    frame_names = {paddr: name for name, (_, paddr, _) in boot.walk.objects.items() if paddr is not None}
    for kernel_id, paddr in frame_addresses(boot).items():
        if paddr in frame_names and frame_names[paddr] in spec.objects:
            names[kernel_id] = frame_names[paddr]  # a frame may have many kernel ids: no `taken` check
            taken.add(frame_names[paddr])

    queue = deque(names)
    while queue:
        kernel_id = queue.popleft()
        spec_obj = spec.objects[names[kernel_id]]
        dump_type = boot.dump.objects[kernel_id].type if kernel_id in boot.dump.objects else ""
        for key, cap in boot.dump.slots.get(kernel_id, {}).items():
            slot = slot_number(key)
            if kernel_half(dump_type, slot, spec.arch) or slot not in spec_obj.caps:
                continue
            if bind(cap.target, spec_obj.caps[slot].target):
                queue.append(cap.target)
    return names


def frame_addresses(boot: BootLog) -> dict[str, int]:
    """kernel id -> physical address of every frame the dump shows: mapped frames (declared with
    their paddr) and unmapped frame caps (named by it)."""
    found = {obj.id: int(obj.attrs["paddr"], 16) for obj in boot.dump.objects.values()
             if obj.type == "frame" and "paddr" in obj.attrs}
    for slots in boot.dump.slots.values():
        for cap in slots.values():
            if cap.target.startswith(UNMAPPED_FRAME):
                found[cap.target] = int(cap.target.removeprefix(UNMAPPED_FRAME), 16)
    return found
