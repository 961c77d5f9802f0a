"""A system as a capDL spec in capDL-tool's syntax, derived from the model's kernel picture.

Every object comes from `kernel_objects(system)` and every cap a component holds from
`initial_caps(system)`, so the spec and the verified model describe the same authority:

- per component C: `tcb_C`, its CSpace `cnode_C`, its VSpace `vspace_C` with the page tables the
  architecture needs below it (`pt1_C`, `pt2_C`, ... one level per name, the last an array), and
  its private memory, the IPC buffer frame `ipc_C`;
- `ep_S` per server S with connections, `ntfn_N` per notification, `region_R[i]` (4 KiB frames)
  per region;
- CNode slots 1, 2, ... hold the component's caps in the model's order: endpoint caps with the
  connection's rights (W send, R receive, G grant, P grant-reply) and badge, notification caps
  (W signal, R wait), caps listed by hand; region caps become mappings in the VSpace (R W X);
- with programs (`smosverify image build --programs`): a component's program is more of its private
  memory, `mem_C`, one 2 MiB frame filled from the program's ELF by the capDL loader, and its
  thread starts there (ip, sp, the loader's arguments, a priority, resume).
docs/capdl.md has the full mapping. Output is deterministic: the same system gives the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2

from smosverify.errors import InputError
from smosverify.model.authority import Cap, initial_caps, kernel_objects
from smosverify.model.capdl import ARCH_OF_SYSTEM, VSPACE_LEVELS
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import System, Target

PAGE_BITS = 12
ENTRIES = 512  # slots per page table on every 64-bit architecture
IPC_PAGE = 0x10  # the IPC buffer is mapped at 0x10000, regions on the pages after it
WORD_BITS = 64
PRIORITY = 100
MIN_CNODE_BITS = 4

_NAME_OF_KIND = {ObjectKind.TCB: "tcb", ObjectKind.CNODE: "cnode", ObjectKind.VSPACE: "vspace",
                 ObjectKind.FRAMES: "ipc", ObjectKind.ENDPOINT: "ep", ObjectKind.NOTIFICATION: "ntfn",
                 ObjectKind.REGION: "region", ObjectKind.UNTYPED: "ut"}
_LETTER = {Right.SEND: "W", Right.RECEIVE: "R", Right.GRANT: "G", Right.GRANT_REPLY: "P", Right.SIGNAL: "W",
           Right.WAIT: "R", Right.READ: "R", Right.WRITE: "W", Right.EXECUTE: "X"}
_ORDER = "RWXGP"
_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_@.\-]+")
TABLE_LEVELS = ("pt1", "pt2", "pt3")  # names of the page tables below a VSpace root, by level
PROGRAM_BITS = 21  # a program's memory: one large frame (2 MiB on x86_64 and AArch64)


@dataclass(frozen=True)
class LoadedProgram:
    """A program the capDL loader starts in a component: its memory, one 2 MiB frame mapped at `base`
    (read, write, execute), filled from `file` in the loader's archive, (offset in the frame, length,
    offset in the file) per segment; the thread starts at `entry` with `stack` as its stack pointer,
    `arguments` in its first argument registers, at `priority`."""

    file: str
    base: int
    segments: tuple[tuple[int, int, int], ...]
    entry: int
    stack: int
    arguments: tuple[int, ...]
    priority: int


def object_name(target: Target) -> str:
    """The capDL name smosverify gives a model element (a region's frames form an array of it).
    Characters capDL names cannot hold (an SDF's region names have `/`) become `.`."""
    return f"{_NAME_OF_KIND[target.kind]}_{_NOT_IN_NAMES.sub('.', target.name)}"


def emitted_names(system: System) -> dict[str, Target]:
    """Every capDL name (arrays by their name) `emit_capdl` gives, and the element it stands for."""
    names: dict[str, Target] = {}
    for target, obj in kernel_objects(system).items():
        candidates = [object_name(target)]
        if target.kind is ObjectKind.VSPACE:
            candidates += [f"{level}_{object_name(target)[len('vspace_'):]}" for level in TABLE_LEVELS]
        if target.kind is ObjectKind.FRAMES:
            candidates.append(f"mem_{object_name(target)[len('ipc_'):]}")
        for name in candidates:
            if names.setdefault(name, target) != target:
                raise InputError(f"{names[name]} and {target} would both be called {name} in capDL", obj.span)
    return names


def cnode_caps(system: System) -> dict[str, tuple[Cap, ...]]:
    """The caps each component's CNode holds, slot 1 first; region caps are mappings, not slots.
    The generated programs (smosverify/image/programs.py) name their caps by these slots."""
    held: dict[str, list[Cap]] = {name: [] for name in system.components}
    for cap in initial_caps(system):
        if cap.target.kind is not ObjectKind.REGION:
            held[cap.holder].append(cap)
    return {name: tuple(caps) for name, caps in held.items()}


def emit_capdl(system: System, programs: dict[str, LoadedProgram] | None = None) -> str:
    """The capDL text of a system; with `programs`, each of those components runs its program."""
    plan = _Plan(system, programs or {})
    return _template().render(system=system.name, source=Path(system.file).name, arch=plan.arch,
                              groups=plan.groups, containers=plan.containers, programs=bool(programs))


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("smosverify.emit", "templates"), trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                             autoescape=False)
    return env.get_template("capdl.cdl.j2")


@dataclass
class _Group:
    title: str
    objects: list[dict] = field(default_factory=list)


class _Plan:
    """The objects and cap slots of the spec, in output order."""

    def __init__(self, system: System, programs: dict[str, LoadedProgram]):
        self.system = system
        self.programs = programs
        self.arch = ARCH_OF_SYSTEM[system.arch]
        self.levels = VSPACE_LEVELS[self.arch]
        emitted_names(system)  # distinct names, or an InputError
        held = cnode_caps(system)
        mapped: dict[str, list[Cap]] = {name: [] for name in system.components}
        for cap in initial_caps(system):
            if cap.target.kind is ObjectKind.REGION:
                mapped[cap.holder].append(cap)
        self.cnode_bits = {name: max(MIN_CNODE_BITS, len(caps).bit_length()) for name, caps in held.items()}
        self.groups: list[_Group] = []
        self.containers: list[dict] = []
        for comp in system.components.values():
            self.component(comp.name, f"component {comp.name} ({comp.role.value}, {comp.sid})", held[comp.name],
                           mapped[comp.name])
        shared = [(t, o) for t, o in kernel_objects(system).items() if t.kind is ObjectKind.ENDPOINT]
        self.groups.append(_Group("endpoints, one per server with connections",
                                  [{"name": object_name(t), "decl": "ep"} for t, _ in shared]))
        self.groups.append(_Group("notifications", [{"name": object_name(Target(ObjectKind.NOTIFICATION, n)),
                                                     "decl": "notification"} for n in system.notifications]))
        self.groups.append(_Group("regions: shared memory, 4 KiB frames", [
            {"name": f"{object_name(Target(ObjectKind.REGION, r.name))}[{_pages(r.size)}]", "decl": "frame (4k)"}
            for r in system.regions.values()]))
        self.groups.append(_Group("untyped memory and the objects made from it", [
            {"name": object_name(Target(ObjectKind.UNTYPED, u.name)), "decl": self.untyped(u.covers)}
            for u in system.untyped.values()]))

    def component(self, name: str, title: str, caps: tuple[Cap, ...], mapped: list[Cap]) -> None:
        bits = self.cnode_bits[name]
        tcb, cnode, vspace, ipc = (object_name(Target(k, name)) for k in
                                   (ObjectKind.TCB, ObjectKind.CNODE, ObjectKind.VSPACE, ObjectKind.FRAMES))
        pages = [(IPC_PAGE, ipc, "RW", "IPC buffer")]
        for cap in mapped:
            region = self.system.regions[cap.target.name]
            first = pages[-1][0] + 1
            frames = object_name(cap.target)
            pages += [(first + i, f"{frames}[{i}]", _letters(cap.rights), f"{cap.cause}" if i == 0 else "")
                      for i in range(_pages(region.size))]
        leaves = pages[-1][0] // ENTRIES + 1
        if leaves > ENTRIES:
            raise InputError(f"the regions {name} maps need more than 1 GiB of address space; capDL emission "
                             "maps them below 1 GiB", self.system.components[name].span)
        tables = [vspace] + [f"{level}_{vspace[len('vspace_'):]}" for level in TABLE_LEVELS[:len(self.levels) - 1]]
        leaf = tables[-1]
        addr = IPC_PAGE << PAGE_BITS
        program = self.programs.get(name)
        memory = f"mem_{ipc[len('ipc_'):]}"
        start = f"ip: 0x0, sp: 0x0, prio: {PRIORITY}, max_prio: {PRIORITY}, affinity: 0, resume: False"
        program_objects, program_slots = [], []
        if program:
            if program.base % (1 << PROGRAM_BITS) or not leaves <= program.base >> PROGRAM_BITS < ENTRIES:
                raise InputError(f"{name}'s program at {program.base:#x} does not fit its address space: a 2 MiB-aligned "
                                 "place below 1 GiB after its IPC buffer and regions", self.system.components[name].span)
            start = (f"ip: {program.entry:#x}, sp: {program.stack:#x}, prio: {program.priority}, "
                     f"max_prio: {program.priority}, affinity: 0, resume: True, "
                     f"init: [{', '.join(f'{a:#x}' for a in program.arguments)}]")
            fills = ", ".join(f"{{{offset} {length} CDL_FrameFill_FileData \"{program.file}\" {at}}}"
                              for offset, length, at in program.segments)
            program_objects = [{"name": memory, "decl": f"frame (2M, fill: [{fills}])"}]
            program_slots = [{"slot": f"{program.base >> PROGRAM_BITS:#x}", "cap": f"{memory} (RWX)", "note": "program"}]
        group = _Group(title, [
            {"name": tcb, "decl": f"tcb (addr: {addr:#x}, {start})"},
            {"name": cnode, "decl": f"cnode ({bits} bits)"},
            *({"name": t, "decl": kind.value} for t, kind in zip(tables[:-1], self.levels)),
            {"name": f"{leaf}[{leaves}]", "decl": self.levels[-1].value},
            {"name": ipc, "decl": "frame (4k)"},
            *program_objects,
        ])
        self.groups.append(group)
        self.containers.append({"name": tcb, "note": "", "slots": [
            {"slot": "cspace", "cap": f"{cnode} (guard: 0, guard_size: {WORD_BITS - bits})", "note": ""},
            {"slot": "vspace", "cap": vspace, "note": ""},
            {"slot": "ipc_buffer_slot", "cap": f"{ipc} (RW)", "note": ""},
        ]})
        self.containers.append({"name": cnode, "note": f"{name}'s CSpace", "slots": [
            {"slot": f"{i:#x}", "cap": self.cap_text(cap), "note": cap.cause} for i, cap in enumerate(caps, start=1)]})
        for upper, lower in zip(tables[:-2], tables[1:-1]):
            self.containers.append({"name": upper, "note": "", "slots": [{"slot": "0x0", "cap": lower, "note": ""}]})
        self.containers.append({"name": tables[-2], "note": "", "slots": [
            {"slot": f"{k:#x}", "cap": f"{leaf}[{k}]", "note": ""} for k in range(leaves)] + program_slots})
        for k in range(leaves):
            self.containers.append({"name": f"{leaf}[{k}]", "note": "", "slots": [
                {"slot": f"{page % ENTRIES:#x}", "cap": f"{frame} ({rights})", "note": note}
                for page, frame, rights, note in pages if page // ENTRIES == k]})

    def untyped(self, covers: tuple[Target, ...]) -> str:
        """A `ut` large enough for what it covers (4 KiB for each object or region page, doubled),
        naming each covered object (a region by all its frames)."""
        names, pages = [], 0
        for target in covers:
            if target.kind is ObjectKind.REGION:
                names.append(f"{object_name(target)}[]")
                pages += _pages(self.system.regions[target.name].size)
            else:
                names.append(object_name(target))
                pages += 1
        return f"ut ({PAGE_BITS + pages.bit_length() + 1} bits)" + (" { " + ", ".join(names) + " }" if names else "")

    def cap_text(self, cap: Cap) -> str:
        kind, name = cap.target.kind, cap.target.name
        params = []
        if kind in (ObjectKind.ENDPOINT, ObjectKind.NOTIFICATION, ObjectKind.FRAMES) and cap.rights:
            params.append(_letters(cap.rights))
        if kind in (ObjectKind.ENDPOINT, ObjectKind.NOTIFICATION) and cap.badge:
            params.append(f"badge: {cap.badge}")
        if kind is ObjectKind.CNODE:
            params.append(f"guard: 0, guard_size: {WORD_BITS - self.cnode_bits[name]}")
        return object_name(cap.target) + (f" ({', '.join(params)})" if params else "")


def _letters(rights) -> str:
    letters = {_LETTER[r] for r in rights if r in _LETTER}
    return "".join(x for x in _ORDER if x in letters)


def _pages(size: int) -> int:
    return max(1, -(-size // (1 << PAGE_BITS)))
