"""Parsers for a boot's serial log: what the loader tried, and what the kernel really holds.

The log has four parts, each parsed on its own so a test can feed any of them:
- the capDL loader's own log (log level 1): every object it creates and slot it fills;
- the kernel's scheduler dump: thread names, in the kernel's list order;
- the kernel's capDL-format snapshot (seL4_DebugSnapshot): objects named by kernel address;
- smosverify's walk (extract/image/smosverify_readback.c): every spec object and every slot of
  every spec CNode, by spec name, each cap's type as the kernel identifies it.
Kernel diagnostics interleaved with the read-back (`<<seL4(CPU 0) ...>>`) are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smosverify.errors import InputError, Span

READBACK_BEGIN = "smosverify: readback begin"
READBACK_END = "smosverify: readback end"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")
_KERNEL_NOTE = re.compile(r"<<seL4\(CPU \d+\).*?>>")


@dataclass(frozen=True)
class Line:
    number: int
    text: str


@dataclass(frozen=True)
class LoaderLog:
    created: tuple[str, ...]
    populated: dict[tuple[str, int], str]  # (cnode, slot) -> object the loader put a cap to
    done: bool
    last: str  # the loader's last line, to say where it stopped


@dataclass(frozen=True)
class Thread:
    name: str
    state: str
    ip: int
    prio: int
    line: int


@dataclass(frozen=True)
class DumpCap:
    target: str  # the kernel's name for the object: "0xffffff801000b4a0_ep", "frame_0x..._0016", "irq_control"
    rights: frozenset[str] | None  # letters as the kernel prints them (R W G P X), None when not printed
    attrs: dict[str, str]  # badge, guard, guard_size, asid, ...
    line: int


@dataclass(frozen=True)
class DumpObject:
    id: str
    type: str  # capDL keyword: tcb cnode ep notification frame pml4 pdpt pd pt ut asid_pool irq ...
    bare: tuple[str, ...]  # attributes without a key: "4 bits", "4k", "2M"
    attrs: dict[str, str]  # keyed attributes: ip, sp, prio, paddr, ...
    line: int

    @property
    def size_bits(self) -> int | None:
        sized = next((b for b in self.bare if b.endswith(" bits")), None)
        return int(sized.split()[0]) if sized else None


@dataclass(frozen=True)
class KernelDump:
    arch: str
    objects: dict[str, DumpObject]  # in the order printed
    slots: dict[str, dict[str, DumpCap]]  # object -> slot ("0x1", "cspace", "vspace", ...) -> cap
    irq_maps: dict[int, str]


@dataclass(frozen=True)
class WalkSlot:
    cnode: str
    slot: int
    cap_type: str  # the kernel's cap type ("endpoint", "frame", ...) or "uncopyable"
    paddr: int | None
    line: int


@dataclass(frozen=True)
class Walk:
    objects: dict[str, tuple[str, int | None, int]]  # spec name -> (cap type, frame paddr, line)
    cnode_bits: dict[str, int]
    slots: dict[tuple[str, int], WalkSlot]


@dataclass(frozen=True)
class BootLog:
    path: str
    loader: LoaderLog
    threads: tuple[Thread, ...]
    dump: KernelDump
    walk: Walk


def read_boot_log(path: str | Path) -> BootLog:
    """Parse a whole serial log; a log that stops before the read-back ends is an InputError."""
    name = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError as err:
        raise InputError(f"cannot read the boot log: {err.strerror}", Span(name, 1, 1)) from err
    return parse_boot_log(text, name)


def parse_boot_log(text: str, name: str = "<boot log>") -> BootLog:
    lines = clean_lines(text)
    loader = parse_loader_log(lines)
    begin = _find(lines, READBACK_BEGIN)
    if begin is None:
        where = f"the loader stopped after: {loader.last!r}" if loader.last else "no capDL loader output at all"
        if loader.done:
            where = "the loader finished but this image has no smosverify read-back"
        raise InputError(f"the boot did not reach the read-back ({where}); truncated log or failed boot",
                         Span(name, len(lines) or 1, 1))
    threads = parse_scheduler(_section(lines, "scheduler", name))
    dump = parse_kernel_dump(_section(lines, "snapshot", name), name)
    walk = parse_walk(_section(lines, "walk", name), name)
    if _find(lines, READBACK_END) is None:
        raise InputError("the boot log ends inside the read-back (truncated)", Span(name, len(lines), 1))
    return BootLog(name, loader, threads, dump, walk)


def clean_lines(text: str) -> list[Line]:
    """Lines without terminal escapes and kernel diagnostics, numbered as in the file."""
    out = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = _KERNEL_NOTE.sub("", _ANSI.sub("", raw)).rstrip()
        if line:
            out.append(Line(number, line))
    return out


def _find(lines: list[Line], marker: str) -> int | None:
    return next((i for i, ln in enumerate(lines) if ln.text == marker), None)


def _section(lines: list[Line], part: str, name: str) -> list[Line]:
    begin = next((i for i, ln in enumerate(lines) if ln.text.startswith(f"smosverify: {part} begin")), None)
    end = _find(lines, f"smosverify: {part} end")
    if begin is None or end is None or end < begin:
        at = lines[begin].number if begin is not None else (lines[-1].number if lines else 1)
        raise InputError(f"the boot log's {part} section is missing or truncated", Span(name, at, 1))
    return lines[begin:end + 1]


_CREATING = re.compile(r"Creating object (\S+) in slot")
_COPYING = re.compile(r" Copying into (\S+)\.\.\.$")
_MOVING = re.compile(r" Moving into (\S+)\.\.\.$")
_POPULATING = re.compile(r"Populating slot (\d+) with cap to (\S+?)\.\.\.$")


def parse_loader_log(lines: list[Line]) -> LoaderLog:
    created: list[str] = []
    populated: dict[tuple[str, int], str] = {}
    cnode: str | None = None
    done = False
    last = ""
    for ln in lines:
        if ln.text.startswith("smosverify: "):
            break
        if "@" in ln.text.split(" ", 1)[0]:
            last = ln.text
        if m := _CREATING.search(ln.text):
            created.append(m.group(1))
        elif m := _COPYING.search(ln.text):
            cnode = m.group(1)
        elif _MOVING.search(ln.text):
            cnode = None  # the move pass repeats the slots of the copy pass
        elif (m := _POPULATING.search(ln.text)) and cnode is not None:
            populated[(cnode, int(m.group(1)))] = m.group(2)
        elif "CapDL Loader done" in ln.text:
            done = True
    return LoaderLog(tuple(created), populated, done, last)


def parse_scheduler(lines: list[Line]) -> tuple[Thread, ...]:
    """Rows of the kernel's `Dumping all tcbs!` table: name, state, IP, priority (tab-separated)."""
    threads = []
    for ln in lines:
        cells = [c.strip() for c in ln.text.split("\t")]
        if len(cells) < 4 or cells[0] == "Name" or not cells[3].isdigit():
            continue
        threads.append(Thread(cells[0], cells[1], int(cells[2], 16), int(cells[3]), ln.number))
    return tuple(threads)


_OBJECT = re.compile(r"^(\S+) = (\w+)\s*(?:\((.*)\))?\s*(\{)?$")
_SLOT = re.compile(r"^(\w+): (\S+?)\s*(?:\((.*)\))?$")
_CAP = re.compile(r"^(\S+?)\s*(?:\((.*)\))?$")


def parse_kernel_dump(lines: list[Line], name: str = "<boot log>") -> KernelDump:
    """The kernel's capDL-format snapshot: `arch`, `objects {...}`, `caps {...}`, `irq maps {...}`."""
    arch = ""
    objects: dict[str, DumpObject] = {}
    slots: dict[str, dict[str, DumpCap]] = {}
    irq_maps: dict[int, str] = {}
    section: str | None = None
    block: str | None = None  # the object whose slots are being read, inside `caps`
    for ln in lines:
        text = ln.text
        if text.startswith(("smosverify: ", "Debug snapshot syscall")):
            continue
        if text.startswith("arch "):
            arch = text.split()[1]
        elif section is None and text in ("objects {", "caps {", "irq maps {"):
            section = text[:-2]
        elif text == "}":
            if block is not None:
                block = None
            elif section is not None:
                section = None
            else:
                raise InputError("unbalanced '}' in the kernel's capDL dump", Span(name, ln.number, 1))
        elif section == "objects":
            if block is not None:  # caps listed inside an untyped: its children, already objects
                continue
            m = _OBJECT.match(text)
            if not m:
                raise InputError(f"unexpected line in the kernel dump's objects: {text!r}", Span(name, ln.number, 1))
            bare, attrs = _attributes(m.group(3))
            objects[m.group(1)] = DumpObject(m.group(1), m.group(2), bare, attrs, ln.number)
            if m.group(4):
                block = m.group(1)
        elif section == "caps":
            if block is None:
                if not text.endswith(" {"):
                    raise InputError(f"expected 'NAME {{' in the kernel dump's caps: {text!r}", Span(name, ln.number, 1))
                block = text[:-2]
                slots.setdefault(block, {})
                continue
            m = _SLOT.match(text)
            if not m:
                raise InputError(f"unexpected slot line in the kernel dump: {text!r}", Span(name, ln.number, 1))
            slots[block][_slot_key(m.group(1))] = _cap(m.group(2), m.group(3), ln.number)
        elif section == "irq maps":
            index, _, irq = text.partition(": ")
            irq_maps[int(index, 0)] = irq
        else:
            raise InputError(f"unexpected line in the kernel's capDL dump: {text!r}", Span(name, ln.number, 1))
    if not arch or section is not None or block is not None:
        last = lines[-1].number if lines else 1
        raise InputError("the kernel's capDL dump is incomplete (truncated log?)", Span(name, last, 1))
    return KernelDump(arch, objects, slots, irq_maps)


def _slot_key(slot: str) -> str:
    return hex(int(slot, 16)) if slot.startswith("0x") else slot


def _cap(target: str, attrs: str | None, line: int) -> DumpCap:
    bare, keyed = _attributes(attrs)
    rights = None
    if attrs is not None:
        letters = bare[0] if bare and re.fullmatch(r"[RWXGP]+", bare[0]) else ""
        rights = frozenset(letters)
    return DumpCap(target, rights, keyed, line)


def _attributes(text: str | None) -> tuple[tuple[str, ...], dict[str, str]]:
    """Split `RW, badge: 5` into bare and keyed parts; commas inside parentheses do not split."""
    if not text:
        return (), {}
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    bare, keyed = [], {}
    for part in filter(None, parts):
        key, sep, value = part.partition(": ")
        if sep and re.fullmatch(r"\w+", key):
            keyed[key] = value.replace("0x0x", "0x")  # x86_64 prints paddr as 0x0x...
        else:
            bare.append(part)
    return tuple(bare), keyed


_WALK = re.compile(r"^smosverify: (object|cnode|slot) (.*)$")


def parse_walk(lines: list[Line], name: str = "<boot log>") -> Walk:
    """smosverify's own walk: `object NAME TYPE [paddr=...]`, `cnode NAME bits=N`, `slot CNODE 0xI TYPE`."""
    objects: dict[str, tuple[str, int | None, int]] = {}
    bits: dict[str, int] = {}
    slots: dict[tuple[str, int], WalkSlot] = {}
    for ln in lines:
        m = _WALK.match(ln.text)
        if not m:
            continue
        kind, words = m.group(1), m.group(2).split()
        try:
            if kind == "object":
                objects[words[0]] = (words[1], _paddr(words[2:]), ln.number)
            elif kind == "cnode":
                bits[words[0]] = int(words[1].removeprefix("bits="))
            else:
                cnode, slot = words[0], int(words[1], 16)
                slots[(cnode, slot)] = WalkSlot(cnode, slot, words[2], _paddr(words[3:]), ln.number)
        except (IndexError, ValueError) as err:
            raise InputError(f"malformed walk line {ln.text!r}", Span(name, ln.number, 1)) from err
    return Walk(objects, bits, slots)


def _paddr(words: list[str]) -> int | None:
    found = next((w for w in words if w.startswith("paddr=")), None)
    return int(found.removeprefix("paddr="), 16) if found else None
