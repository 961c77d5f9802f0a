"""capDL-tool's kernel-dump dialect: a spec whose first line is `-- Dump`.

Old seL4 kernels printed their objects in this form (capDL-tool's hello-dump.cdl is one). Object
names carry addresses, `kind@0xADDR` (untypeds `untyped@0xADDR@BITS`), and capDL-tool reads such
a file differently from a written spec (CapDL/DumpParser.hs):

- the sections are `objects`, `caps` and `cdt`, each once and in that order; objects have no
  arrays, braces or paths, caps no names or copies;
- consecutive objects alike (same type and parameters) at consecutive addresses become one array
  named after the first: `frame@0x10000000`, `frame@0x10100000` -> `frame@0x10000000[0..1]`,
  and caps name the array's elements;
- an object whose address falls in an untyped is covered by the smallest such untyped declared
  before it (the range excludes the untyped's last byte, as capDL-tool's check does);
- `irqhandler@0xN` objects are mapped to IRQ N.

The result is an ordinary syntax tree, built into a spec as any other.
"""

from __future__ import annotations

from typing import NamedTuple

from smosverify.errors import InputError
from smosverify.load.capdl.syntax import CapDecl, CapEntry, IrqMapping, Module, NameRef, ObjDecl, Param, Parser

DUMP_MARK = "-- Dump"
WORD = 2**64  # capDL-tool does this arithmetic in machine words
_FIXED_SIZES = {"irq": 1, "ep": 16, "notification": 16, "asid_pool": 4096, "io_pt": 4096, "io_device": 1,
                "arm_io_device": 1}
_ARCH_SIZES = {("ia32", "tcb"): 1024, ("ia32", "pd"): 4096, ("ia32", "pt"): 4096,
               ("arm11", "tcb"): 512, ("arm11", "pd"): 16384, ("arm11", "pt"): 1024}

ObjID = tuple  # (name, index or None), ordered as capDL-tool orders its object ids


class _Raw(NamedTuple):
    name: str
    type: str
    type_at: int
    params: tuple[Param, ...]
    at: int


def is_dump(text: str) -> bool:
    return text.split("\n", 1)[0].strip() == DUMP_MARK


def parse_dump(text: str, file: str) -> Module:
    return _DumpParser(text, file).module()


def _key(ident: ObjID) -> tuple:
    return (ident[0], -1 if ident[1] is None else ident[1])


class _DumpParser(Parser):
    def module(self) -> Module:
        self.expect("arch")
        arch_at = self.i
        arch = self.name("an architecture name (x86_64, aarch64, riscv, ia32 or arm11)")
        self.refs: dict[str, ObjID] = {}  # dump name -> object id
        self.ranges: dict[ObjID, tuple[int, int]] = {}  # untyped -> [start, end) as capDL-tool checks it
        self.covers: dict[ObjID, set[ObjID]] = {}
        self.irqs: dict[int, tuple[str, int]] = {}  # irq -> (dump name, where it is declared)
        self.declared_at: dict[ObjID, int] = {}
        objects = self.objects(arch)
        caps = self.caps()
        self.expect("cdt")
        self.expect("{")
        cdt = []
        while not self.accept("}"):
            cdt.append(self.cdt_decl())
        if self.toks[self.i]:
            raise self.error("the end of the dump (its sections are objects, caps and cdt)")
        irqs = tuple(IrqMapping(slot, self.ref(self.refs[name], at), at) for slot, (name, at) in sorted(self.irqs.items()))
        return Module(arch, arch_at, objects, caps, (irqs,), tuple(cdt), (), self.positions)

    def ref(self, ident: ObjID, at: int) -> NameRef:
        name, index = ident
        return NameRef(name, None if index is None else ((index, index, True),), at)

    # -- objects ------------------------------------------------------------------------------

    def objects(self, arch: str) -> tuple[ObjDecl, ...]:
        self.expect("objects")
        self.expect("{")
        raws = []
        while not self.accept("}"):
            at = self.i
            name = self.name("an object name")
            self.expect("=")
            type_at = self.i
            kind = self.name("an object type")
            raws.append(_Raw(name, kind, type_at, self.obj_params(), at))
        decls = []
        k = 0
        while k < len(raws):
            first = raws[k]
            count = 1
            while k + count < len(raws) and self.consecutive(arch, first, raws[k + count], count):
                count += 1
            for j in (*range(1, count), 0):  # capDL-tool places the first element last
                self.place(arch, raws[k + j], (first.name, j if count > 1 else None))
            ref = NameRef(first.name, ((count, count, True),) if count > 1 else None, first.at)
            decls.append(ObjDecl((ref,), first.type, first.type_at, first.params, None, first.at))
            k += count
        for ut in sorted(self.covers, key=_key):  # as capDL-tool adds them: untyped declarations naming their cover
            at = self.declared_at[ut]
            body = tuple(self.ref(child, self.declared_at[child]) for child in sorted(self.covers[ut], key=_key))
            decls.append(ObjDecl((self.ref(ut, at),), "ut", at, (), body, at))
        return tuple(decls)

    def consecutive(self, arch: str, first: _Raw, raw: _Raw, count: int) -> bool:
        here, there = self.address(first), self.address(raw)
        return (here is not None and there is not None and first.type == raw.type
                and _values(first.params) == _values(raw.params) and (here + count * _size(arch, first)) % WORD == there)

    def place(self, arch: str, raw: _Raw, ident: ObjID) -> None:
        """Record an object's id, its IRQ and which untyped covers it (registering an untyped's range)."""
        self.refs[raw.name] = ident
        self.declared_at[ident] = raw.at
        address = self.address(raw)
        if address is None:
            return
        if raw.name.split("@", 1)[0] == "irqhandler":
            self.irqs[address] = (raw.name, raw.at)
        holders = [ut for ut in sorted(self.ranges, key=_key) if self.ranges[ut][0] <= address < self.ranges[ut][1]]
        if raw.type == "ut":
            self.ranges[ident] = (address, (address + _size(arch, raw) - 1) % WORD)
        if holders:
            smallest = min(holders, key=lambda ut: self.untyped_bits(ut, raw))
            self.covers.setdefault(smallest, set()).add(ident)

    def address(self, raw: _Raw) -> int | None:
        if "@" not in raw.name:
            return None
        _, sep, rest = raw.name.partition("@0x")
        digits = len(rest) - len(rest.lstrip("0123456789abcdefABCDEF"))
        if not sep or not digits:
            raise InputError(f"a dump object's name with @ has its address after it (kind@0x...), not '{raw.name}'",
                             self.positions.span(raw.at))
        return int(rest[:digits], 16)

    def untyped_bits(self, ut: ObjID, raw: _Raw) -> int:
        parts = ut[0].split("@")
        if len(parts) < 3 or not parts[2].isdigit():
            raise InputError(f"untyped '{ut[0]}' has no size in its name (untyped@0xADDR@BITS), which capDL-tool "
                             "needs to choose what covers an object", self.positions.span(raw.at))
        if len(parts[2].lstrip("0")) > 2:  # no untyped has 100 bits (and Python reads at most 4300 digits)
            raise InputError(f"untyped '{ut[0]}' is named with {parts[2]} bits, more than a machine word",
                             self.positions.span(raw.at))
        return int(parts[2])

    # -- caps ---------------------------------------------------------------------------------

    def caps(self) -> tuple[CapDecl, ...]:
        self.expect("caps")
        self.expect("{")
        decls = []
        while not self.accept("}"):
            at = self.i
            container = self.lookup(self.name("an object that holds caps"), at)
            self.expect("{")
            entries = []
            while not self.accept("}"):
                entry_at = self.i
                slot = self.slot_label()
                source_at = self.i
                source = self.lookup(self.name("an object name"), source_at)
                params = self.cap_params()
                parent = self.slot_ref() if self.accept("- child_of") else None
                entries.append(CapEntry(slot, None, source, False, params, parent, entry_at))
                self.accept(";")
            decls.append(CapDecl(container, tuple(entries), at))
        return tuple(decls)

    def lookup(self, name: str, at: int) -> NameRef:
        return self.ref(self.refs.get(name, (name, None)), at)


def _values(params: tuple[Param, ...]) -> list:
    return [(p.key, p.value) for p in params]


def _size(arch: str, raw: _Raw) -> int:
    """capDL-tool's sizeOf: bytes an object spans in a dump (0 when it does not say)."""
    values = _values(raw.params)
    if raw.type == "frame":
        return values[0][1] % WORD if len(values) == 1 and values[0][0] == "size" else 0
    if raw.type in ("ut", "cnode"):
        if len(values) != 1 or values[0][0] != "bits" or values[0][1] >= 64:
            return 0  # 2^64 and beyond are 0 in a machine word
        return (2 ** values[0][1] * (16 if raw.type == "cnode" else 1)) % WORD
    return _FIXED_SIZES.get(raw.type) or _ARCH_SIZES.get((arch, raw.type), 0)
