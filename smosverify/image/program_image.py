"""A system's SMOS programs built into its capDL image, as CAmkES and the capDL loader do it.

Each program (smosverify.image.programs) is compiled and linked, static, with sel4runtime and
libsel4 at PROGRAM_BASE, by the image's own CMake tree; the loader's archive holds the ELF files.
The spec is then emitted with the programs (`emit_capdl(system, programs)`): each component's
memory `mem_C`, one 2 MiB frame at PROGRAM_BASE, is filled by the loader from the ELF's segments,
and its thread starts at the ELF's entry (smos_start) with its stack at the top of that frame and,
as arguments, where its ELF headers are mapped (for sel4runtime's TLS set-up) and its IPC buffer.
Programs are built first, then laid out, then the loader and the image are built with that spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

from smosverify.emit.capdl import IPC_PAGE, PAGE_BITS, PROGRAM_BITS, LoadedProgram, emit_capdl, object_name
from smosverify.errors import EnvironmentProblem
from smosverify.image.build import (BuildResult, check_toolchain, finish, ninja, open_tree, programs_cmake,
                                    write_if_changed)
from smosverify.image.capdl_tool import find_parse_capdl
from smosverify.image.programs import CLIENT, HEADER, START, TEMPLATES, Program, generate_programs, priorities
from smosverify.image.targets import TARGETS
from smosverify.image.workspace import Workspace
from smosverify.model.kernel import ObjectKind
from smosverify.model.system import System, Target

PROGRAM_BASE = 0x3FE00000  # the last 2 MiB below 1 GiB: above every IPC buffer and region the emitter maps
MIN_STACK = 64 * 1024  # what a program's memory keeps free above its ELF image, for its stack
MAX_SEGMENTS = 8  # the loader's fills per frame (CapDLLoaderFillsPerFrame in extract/image)


@dataclass(frozen=True)
class ProgramBuild:
    result: BuildResult
    spec: str  # the capDL spec the image loads
    programs: dict[str, LoadedProgram]


def stem(component: str) -> str:
    """The component's name as the emitter writes it in capDL names (`ipc_C`): its program is
    programs/STEM.c, linked as smos_STEM, the ELF's name in the loader's archive."""
    return object_name(Target(ObjectKind.FRAMES, component))[len("ipc_"):]


def build_program_image(system: System, workspace: Workspace, out: Path, programs: tuple[Program, ...] | None = None,
                        notify=lambda _: None) -> ProgramBuild:
    """Build `system`'s image with its programs (by default the generated ones; tests pass edited
    ones) loaded and started. The manifest names the clients, whose `smos done` ends a boot."""
    target = TARGETS[system.arch]
    check_toolchain(target)
    programs = generate_programs(system) if programs is None else programs
    source = out.resolve() / "programs"
    source.mkdir(parents=True, exist_ok=True)
    for name in (HEADER, START):
        write_if_changed(source / name, (TEMPLATES / name).read_text())
    for program in programs:
        write_if_changed(source / f"{stem(program.component)}.c", program.text)
    names = tuple(stem(p.component) for p in programs)
    parse_capdl = find_parse_capdl(workspace, notify)
    tree = open_tree(workspace, target, out, parse_capdl, programs_cmake(names, source, PROGRAM_BASE), notify)
    if names:
        ninja(tree.build, *(f"smos_{n}" for n in names))
    ranks = priorities(system, programs)
    loaded = {p.component: load_layout(tree.build / f"smos_{stem(p.component)}", ranks[p.component]) for p in programs}
    spec = emit_capdl(system, loaded)
    clients = [p.component for p in programs if p.kind == CLIENT]
    result = finish(tree, spec, system.file, {"clients": clients})
    return ProgramBuild(result, spec, loaded)


def load_layout(elf_path: Path, priority: int) -> LoadedProgram:
    """Where the loader puts the program linked in `elf_path`: its segments in the 2 MiB frame at
    PROGRAM_BASE, the stack at the frame's top, its headers' address and count and the IPC buffer
    as arguments."""
    top = PROGRAM_BASE + (1 << PROGRAM_BITS)
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        loads = [s.header for s in elf.iter_segments() if s.header.p_type == "PT_LOAD"]
        entry, phoff, phnum = elf.header.e_entry, elf.header.e_phoff, elf.header.e_phnum
    if not loads or min(h.p_vaddr for h in loads) < PROGRAM_BASE or \
            max(h.p_vaddr + h.p_memsz for h in loads) > top - MIN_STACK:
        raise EnvironmentProblem(f"{elf_path} does not fit its memory: linked at {PROGRAM_BASE:#x}, at most "
                                 f"{(1 << PROGRAM_BITS) - MIN_STACK} bytes with a stack of {MIN_STACK}")
    segments = tuple((h.p_vaddr - PROGRAM_BASE, h.p_filesz, h.p_offset) for h in loads if h.p_filesz)
    if len(segments) > MAX_SEGMENTS:
        raise EnvironmentProblem(f"{elf_path} has {len(segments)} segments to load; the loader fills at most "
                                 f"{MAX_SEGMENTS} per frame")
    headers = next((h.p_vaddr + phoff - h.p_offset for h in loads if h.p_offset <= phoff < h.p_offset + h.p_filesz),
                   None)
    if headers is None:
        raise EnvironmentProblem(f"{elf_path}: its program headers are in no loaded segment (sel4runtime reads "
                                 "its TLS image from them)")
    return LoadedProgram(elf_path.name, PROGRAM_BASE, segments, entry, top, (headers, phnum, IPC_PAGE << PAGE_BITS),
                         priority)
