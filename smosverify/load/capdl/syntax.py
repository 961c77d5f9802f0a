"""capDL text -> syntax tree, by one compiled scanning regex and a recursive-descent parser.

Hand-written rather than a lark grammar for speed: lark's LALR parser reads ~60k tokens/s here,
so a spec with 10k threads (2M tokens) took 31 s; this parser reads it in about 2 s. The grammar,
in EBNF (docs/capdl.md explains each construct):

    spec        = "arch" NAME section+ ;
    section     = "objects" "{" obj_decl* "}" | "caps" "{" (cap_name_decl | cap_decl)* "}"
                | "irq maps" "{" (irq_mapping ";"?)* "}" | "cdt" "{" cdt_decl* "}"
                | "domains" "{" dom_item* "}" ;
    name_ref    = NAME ("[" (range ("," range)*)? "]")? ;
    range       = NUMBER | NUMBER ".." NUMBER | NUMBER ".." | ".." NUMBER ;
    obj_decl    = name_ref ("/" name_ref)* "=" TYPE ("(" (obj_param ("," obj_param)*)? ")")?
                  ("{" ((obj_decl | name_ref) ","?)* "}")? ;
    obj_param   = NUMBER ("bits" | "k" | "M") | NUMBER ":" NUMBER "." NUMBER | KEY ":" value ;
    cap_name_decl = NAME "=" "(" name_ref "," slot ")" ;
    cap_decl    = name_ref "{" (cap_entry ";"?)* "}" ;
    cap_entry   = (slot ":")? (name_ref "=")? (name_ref | "<" name_ref ">")
                  ("(" cap_param ("," cap_param)* ")")? ("- child_of" slot_ref)? ;
    slot_ref    = "(" name_ref "," slot ")" | name_ref ;
    slot        = NUMBER | "cspace" | "vspace" | "reply_slot" | ... ;
    irq_mapping = (slot ":")? name_ref ;
    cdt_decl    = slot_ref "{" ((cdt_decl | slot_ref) ";"?)* "}" ;
    dom_item    = "schedule" ":" "[" dom_entry ("," dom_entry)* ","? "]"
                | "domain_set_start" ":" (NUMBER | "no_start") | "index_shift" ":" NUMBER ;
    dom_entry   = "(" NUMBER "," NUMBER ")" ;

Comments are `-- to the end of the line` and `/* nested */`. As in capDL-tool, `irq maps` is one
keyword (one space inside) and `objects` and `caps` are no names. Tree nodes keep token indices;
`Positions.span(at)` turns one into a file:line:col span when it is needed.
"""

from __future__ import annotations

import re
from itertools import accumulate, chain
from typing import NamedTuple

from smosverify.errors import InputError, Span
from smosverify.model.capdl import TCB_SLOTS, SourceMap

_NAME = r"[A-Za-z][A-Za-z0-9_@.\-]*"
_TOKEN_ALTERNATIVES = rf"{_NAME}|0[xX][0-9a-fA-F]+|0[oO][0-7]+|[0-9]+|\.\.|- child_of(?![A-Za-z0-9_@.\-])|/\*|[^\s]|\Z"


def _nested_comment(depth: int) -> str:
    """A `/* */` comment holding comments nested up to `depth` levels, as a regex."""
    inner = r"[^*/]|\*(?!/)|/(?!\*)"
    for _ in range(depth):  # possessive: `/*` only opens and `*/` only closes, so nothing to try again
        inner = rf"{inner}|/\*(?:{inner})*+\*/"
    return rf"/\*(?:{inner})*+\*/"


# Whitespace and comments, then one token. The fast scan skips comments nested up to 4 deep in
# one go; anything deeper (or unterminated) leaves a "/*" token and the careful scan takes over.
_FAST = re.compile(rf"((?:\s+|--[^\n]*|{_nested_comment(3)})*+)({_TOKEN_ALTERNATIVES})")
_TOKEN = re.compile(rf"(?:\s+|--[^\n]*)*+({_TOKEN_ALTERNATIVES})")
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_FILL_WORD = re.compile(r"(?:\s+|--[^\n]*)*+([^\s}]+|\})")
_RIGHTS = re.compile(r"[RWGXP]+")
MAX_NUMBER = 2**64 - 1  # capDL numbers are machine words
MAX_NESTING = 64  # objects declared inside objects' bodies; each level is a call of obj_decl

# Object parameters written `key: value`, by the kind of value they take.
NUMBER_PARAMS = frozenset({
    "paddr", "level", "addr", "ip", "sp", "prio", "max_prio", "affinity", "dom", "fault_ep", "domainID", "iospace",
    "period", "budget", "data", "bank", "ioapic_num", "ioapic_pin", "ioapic_level", "ioapic_polarity", "msi_handle",
    "msi_pci_bus", "msi_pci_dev", "msi_pci_fun", "target", "asid_high", "irq",
})
WORD_PARAMS = {"resume": ("True", "False"), "fpu_disabled": ("True", "False"), "trigger": ("level", "edge")}
RESERVED = frozenset({"objects", "caps"})  # capDL-tool's reserved words: never names
LIST_PARAMS = frozenset({"init", "fill", "ports"})
SIZE_UNITS = {"bits": None, "k": 2**10, "M": 2**20}
CAP_NUMBER_PARAMS = frozenset({"guard", "guard_size", "badge", "core"})
CAP_FLAGS = frozenset({"reply", "master_reply", "cached", "uncached"})


class NameRef(NamedTuple):
    name: str
    ranges: tuple | None  # None: no brackets; () : `[]` (every element); else ((lo, hi, single), ...)
    at: int


class Param(NamedTuple):
    key: str
    value: object
    at: int


class ObjDecl(NamedTuple):
    path: tuple[NameRef, ...]  # `a/b/c`: untyped a covers untyped b covers c
    type: str
    type_at: int
    params: tuple[Param, ...]
    body: tuple | None  # an untyped's covered objects: ObjDecl and NameRef items
    at: int


class SlotRef(NamedTuple):
    ref: NameRef
    slot: int | None  # None: `ref` names a cap
    at: int


class CapEntry(NamedTuple):
    slot: int | None
    cap_name: NameRef | None
    source: NameRef
    copy: bool
    params: tuple[Param, ...]
    parent: SlotRef | None
    at: int


class CapDecl(NamedTuple):
    container: NameRef
    entries: tuple[CapEntry, ...]
    at: int


class CapNameDecl(NamedTuple):
    name: str
    target: NameRef
    slot: int
    at: int


class IrqMapping(NamedTuple):
    slot: int | None
    ref: NameRef
    at: int


class CdtDecl(NamedTuple):
    parent: SlotRef
    children: tuple  # CdtDecl and SlotRef items
    at: int


class DomainItem(NamedTuple):
    key: str  # schedule, domain_set_start or index_shift
    value: object  # ((domain, duration), ...), a number, or None for `no_start`
    at: int


class Positions:
    """Token index -> offset -> source span."""

    def __init__(self, source: SourceMap, offsets: list[int]):
        self.source = source
        self.offsets = offsets

    def span(self, at: int) -> Span:
        return self.source.span(self.offsets[at])


class Module(NamedTuple):
    arch: str
    arch_at: int
    objects: tuple[ObjDecl, ...]
    caps: tuple  # CapDecl and CapNameDecl items
    irq_sections: tuple[tuple[IrqMapping, ...], ...]
    cdt: tuple[CdtDecl, ...]
    domains: tuple[DomainItem, ...]
    positions: Positions


def parse_capdl_text(text: str, file: str) -> Module:
    """The syntax tree of a capDL spec, or an InputError at the first syntax error."""
    return Parser(text, file).module()


def _tokenize(text: str, file: str) -> tuple[list[str], list[int]]:
    """Tokens and their offsets; the last token is "" at the end of the text.

    The fast scan runs in C (findall), offsets come from the running sum of the lengths of what
    it matched; the careful scan is a Python loop that follows nested comments to any depth.
    """
    pieces = list(chain.from_iterable(_FAST.findall(text)))
    tokens = pieces[1::2]
    if "/*" not in tokens:
        offsets = list(accumulate(map(len, pieces)))[0::2]
        end = tokens.index("")
        return tokens[:end + 1], offsets[:end + 1]
    tokens, offsets = [], []
    pos = 0
    while True:
        for m in _TOKEN.finditer(text, pos):
            token = m.group(1)
            if token == "/*":
                pos = _comment_end(text, m.start(1), file)
                break
            tokens.append(token)
            offsets.append(m.start(1))
            if not token:
                return tokens, offsets


def _comment_end(text: str, start: int, file: str) -> int:
    depth = 0
    for m in _COMMENT_EDGE.finditer(text, start):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    raise InputError("unterminated comment: `/*` without its `*/`", SourceMap.of(text, file).span(start))


class Parser:
    """The recursive-descent parser; capdl_dump reuses its pieces for kernel dumps."""

    def __init__(self, text: str, file: str):
        self.text = text
        self.toks, offsets = _tokenize(text, file)
        self.positions = Positions(SourceMap.of(text, file), offsets)
        self.i = 0

    # -- tokens -------------------------------------------------------------------------------

    def error(self, expected: str, at: int | None = None) -> InputError:
        at = self.i if at is None else at
        token = self.toks[at]
        found = "end of file" if not token else f"'{token}'"
        return InputError(f"expected {expected}, found {found}", self.positions.span(at))

    def expect(self, token: str) -> int:
        at = self.i
        if self.toks[at] != token:
            raise self.error(f"'{token}'")
        self.i = at + 1
        return at

    def accept(self, token: str) -> bool:
        if self.toks[self.i] == token:
            self.i += 1
            return True
        return False

    def name(self, what: str = "a name") -> str:
        token = self.toks[self.i]
        if not token[:1].isalpha() or token in RESERVED:
            raise self.error(what)
        self.i += 1
        return token

    def number(self, what: str = "a number") -> int:
        token = self.toks[self.i]
        if not token[:1].isdigit():
            raise self.error(what)
        self.i += 1
        return self.value(token, self.i - 1)

    def value(self, token: str, at: int) -> int:
        if len(token) > 24:
            raise InputError(f"number {token[:24]}... does not fit a 64-bit word", self.positions.span(at))
        head = token[:2]
        n = int(token[2:], 16) if head in ("0x", "0X") else int(token[2:], 8) if head in ("0o", "0O") else int(token)
        if n > MAX_NUMBER:
            raise InputError(f"number {token} does not fit a 64-bit word", self.positions.span(at))
        return n

    def slot(self) -> int:
        token = self.toks[self.i]
        if token in TCB_SLOTS:
            self.i += 1
            return TCB_SLOTS[token]
        return self.number("a slot (a number or a TCB slot name such as cspace)")

    def slot_label(self) -> int | None:
        """`slot:` before an entry, if there is one."""
        token = self.toks[self.i]
        if not ((token[:1].isdigit() or token in TCB_SLOTS) and self.toks[self.i + 1] == ":"):
            return None
        slot = self.slot()
        self.i += 1
        return slot

    # -- grammar ------------------------------------------------------------------------------

    def module(self) -> Module:
        if self.toks[self.i] != "arch":
            raise self.error("'arch' and the architecture (x86_64, aarch64, riscv, ia32 or arm11)")
        self.i += 1
        arch_at = self.i
        arch = self.name("an architecture name (x86_64, aarch64, riscv, ia32 or arm11)")
        objects, caps, irqs, cdt, domains = [], [], [], [], []
        sections = 0
        while True:
            token = self.toks[self.i]
            sections += 1
            if token == "objects":
                self.i += 1
                self.expect("{")
                while not self.accept("}"):
                    objects.append(self.obj_decl())
            elif token == "caps":
                self.i += 1
                self.expect("{")
                while not self.accept("}"):
                    caps.append(self.cap_decl())
            elif token == "irq" and self.toks[self.i + 1] == "maps":
                offsets = self.positions.offsets
                if self.text[offsets[self.i]:offsets[self.i + 1]] != "irq ":
                    raise self.error("`irq maps` written with one space (capDL-tool reads it as one keyword)")
                self.i += 2
                irqs.append(self.irq_section())
            elif token == "cdt":
                self.i += 1
                self.expect("{")
                while not self.accept("}"):
                    cdt.append(self.cdt_decl())
            elif token == "domains":
                self.i += 1
                self.expect("{")
                while not self.accept("}"):
                    domains.append(self.domain_item())
            elif token or sections == 1:
                raise self.error("a section: objects, caps, irq maps, cdt or domains"
                                 + (" (or the end of the file)" if sections > 1 else ""))
            else:
                break
        return Module(arch, arch_at, tuple(objects), tuple(caps), tuple(irqs), tuple(cdt), tuple(domains),
                      self.positions)

    def name_ref(self, what: str = "a name") -> NameRef:
        at = self.i
        name = self.name(what)
        if self.toks[self.i] != "[":
            return NameRef(name, None, at)
        self.i += 1
        ranges = []
        if not self.accept("]"):
            ranges.append(self.range())
            while self.accept(","):
                ranges.append(self.range())
            self.expect("]")
        return NameRef(name, tuple(ranges), at)

    def range(self) -> tuple[int | None, int | None, bool]:
        if self.accept(".."):
            return (None, self.number(), False)
        low = self.number("an index or a range (a..b, a.., ..b)")
        if not self.accept(".."):
            return (low, low, True)
        if self.toks[self.i][:1].isdigit():
            return (low, self.number(), False)
        return (low, None, False)

    def obj_decl(self, depth: int = 0) -> ObjDecl:
        at = self.i
        path = [self.name_ref("an object name")]
        while self.accept("/"):
            path.append(self.name_ref("an object name after '/'"))
        self.expect("=")
        type_at = self.i
        kind = self.name("an object type")
        params = self.obj_params()
        body = None
        if self.accept("{"):
            if depth >= MAX_NESTING:
                raise InputError(f"object declarations nested deeper than {MAX_NESTING} levels", self.positions.span(self.i - 1))
            items = []
            while not self.accept("}"):
                if not self.toks[self.i]:  # the end of the file, inside the body
                    raise self.error("'}'")
                if self.toks[self.i + 1] in ("=", "/") or (self.toks[self.i + 1] == "[" and self._declares()):
                    items.append(self.obj_decl(depth + 1))
                else:
                    items.append(self.name_ref("a declaration or the name of a covered object"))
                self.accept(",")
            body = tuple(items)
        return ObjDecl(tuple(path), kind, type_at, params, body, at)

    def obj_params(self) -> tuple[Param, ...]:
        params: list[Param] = []
        if self.accept("("):
            if not self.accept(")"):
                params.append(self.obj_param())
                while self.accept(","):
                    params.append(self.obj_param())
                self.expect(")")
        return tuple(params)

    def _declares(self) -> bool:
        """At `name[...]`: does a declaration (`=` or `/`) follow the brackets?"""
        j = self.i + 1
        while self.toks[j] not in ("]", ""):
            j += 1
        return self.toks[j + 1] in ("=", "/")

    def obj_param(self) -> Param:
        at = self.i
        token = self.toks[at]
        if token[:1].isdigit():
            n = self.number()
            if self.accept(":"):
                dev = self.number("a PCI device number")
                self.expect(".")
                return Param("pci", (n, dev, self.number("a PCI function number")), at)
            unit_at = self.i
            unit = self.name("a unit after the number: bits, k or M")
            if unit not in SIZE_UNITS:
                raise InputError(f"unknown unit '{unit}': expected bits, k or M", self.positions.span(unit_at))
            return Param("bits", n, at) if unit == "bits" else Param("size", n * SIZE_UNITS[unit], at)
        key = self.name("an object parameter")
        self.expect(":")
        if key in NUMBER_PARAMS:
            return Param(key, self.number(), at)
        if key in WORD_PARAMS:
            word_at = self.i
            word = self.name(" or ".join(WORD_PARAMS[key]))
            if word not in WORD_PARAMS[key]:
                raise self.error(" or ".join(WORD_PARAMS[key]), word_at)
            return Param(key, word, at)
        if key in LIST_PARAMS:
            return Param(key, self.list_param(key), at)
        raise InputError(f"unknown object parameter '{key}'", self.positions.span(at))

    def list_param(self, key: str) -> tuple:
        self.expect("[")
        if key == "ports":
            low = self.number("the first I/O port")
            self.expect("..")
            high = self.number("the last I/O port")
            self.expect("]")
            return (low, high)
        items: list = []
        if self.toks[self.i] != "]":
            items.append(self.fill() if key == "fill" else self.number())
            while self.accept(","):
                items.append(self.fill() if key == "fill" else self.number())
        self.expect("]")
        return tuple(items)

    def fill(self) -> tuple[str, ...]:
        """A fill item `{word word ...}`: its words are raw text up to `}`, so re-scan them."""
        at = self.expect("{")
        pos = self.positions.offsets[at] + 1
        words = []
        for m in _FILL_WORD.finditer(self.text, pos):
            if m.group(1) == "}":
                pos = m.end()
                break
            words.append(m.group(1))
        else:
            raise InputError("unterminated fill item: `{` without its `}`", self.positions.span(at))
        if not words:
            raise InputError("empty fill item: expected words inside `{ }`", self.positions.span(at))
        while self.positions.offsets[self.i] < pos:
            self.i += 1
        return tuple(words)

    def cap_decl(self):
        at = self.i
        if self.toks[at][:1].isalpha() and self.toks[at + 1] == "=":
            name = self.name()
            self.i += 1
            self.expect("(")
            target = self.name_ref("an object name")
            self.expect(",")
            slot = self.slot()
            self.expect(")")
            return CapNameDecl(name, target, slot, at)
        container = self.name_ref("the name of an object that holds caps, or a cap name declaration")
        self.expect("{")
        entries = []
        while not self.accept("}"):
            entries.append(self.cap_entry())
            self.accept(";")
        return CapDecl(container, tuple(entries), at)

    def cap_entry(self) -> CapEntry:
        at = self.i
        slot = self.slot_label()
        cap_name = None
        copy = self.accept("<")
        source = self.name_ref("a cap: an object name or <cap name>")
        if not copy and self.accept("="):
            cap_name = source
            copy = self.accept("<")
            source = self.name_ref("a cap: an object name or <cap name>")
        if copy:
            self.expect(">")
        params = self.cap_params()
        parent = self.slot_ref() if self.accept("- child_of") else None
        return CapEntry(slot, cap_name, source, copy, params, parent, at)

    def cap_params(self) -> tuple[Param, ...]:
        params: list[Param] = []
        if self.accept("("):
            params.append(self.cap_param())
            while self.accept(","):
                params.append(self.cap_param())
            self.expect(")")
        return tuple(params)

    def rights(self) -> frozenset[str]:
        """One or more words of right letters (`RW`, `R W G`); X is capDL-tool's other name for G."""
        letters = ""
        while _RIGHTS.fullmatch(self.toks[self.i]):
            letters += self.toks[self.i]
            self.i += 1
        return frozenset(letters.replace("X", "G"))

    def cap_param(self) -> Param:
        at = self.i
        token = self.toks[at]
        if _RIGHTS.fullmatch(token):
            return Param("rights", self.rights(), at)
        key = self.name("a cap parameter (rights, badge, guard, guard_size, masked, asid, mapping, ...)")
        if key in CAP_FLAGS:
            return Param(key, True, at)
        if key not in CAP_NUMBER_PARAMS and key not in ("masked", "asid", "mapping"):
            raise InputError(f"unknown cap parameter '{key}' (rights are written with the letters R W G X P; "
                             "other parameters: badge, guard, guard_size, masked, asid, mapping, cached, uncached, "
                             "reply, master_reply, core)", self.positions.span(at))
        self.expect(":")
        if key in CAP_NUMBER_PARAMS:
            return Param(key, self.number(), at)
        if key == "masked":
            if not _RIGHTS.fullmatch(self.toks[self.i]):
                raise self.error("rights letters (R W G X P)")
            return Param(key, self.rights(), at)
        self.expect("(")
        if key == "asid":
            high = self.number("the ASID pool number")
            self.expect(",")
            value: tuple = (high, self.number("the ASID within the pool"))
        else:
            table = self.name_ref("the page table the frame is mapped in")
            self.expect(",")
            value = (table, self.slot())
        self.expect(")")
        return Param(key, value, at)

    def slot_ref(self) -> SlotRef:
        at = self.i
        if self.accept("("):
            ref = self.name_ref("an object name")
            self.expect(",")
            slot = self.slot()
            self.expect(")")
            return SlotRef(ref, slot, at)
        return SlotRef(self.name_ref("a cap name or (object, slot)"), None, at)

    def irq_section(self) -> tuple[IrqMapping, ...]:
        self.expect("{")
        mappings = []
        while not self.accept("}"):
            at = self.i
            slot = self.slot_label()
            mappings.append(IrqMapping(slot, self.name_ref("an irq object"), at))
            self.accept(";")
        return tuple(mappings)

    def cdt_decl(self) -> CdtDecl:
        at = self.i
        parent = self.slot_ref()
        self.expect("{")
        children = []
        while not self.accept("}"):
            child = self.slot_ref()
            if self.toks[self.i] == "{":
                self.i = child.at
                children.append(self.cdt_decl())
            else:
                children.append(child)
            self.accept(";")
        return CdtDecl(parent, tuple(children), at)

    def domain_item(self) -> DomainItem:
        at = self.i
        key = self.toks[at]
        if key not in ("schedule", "domain_set_start", "index_shift"):
            raise self.error("schedule, domain_set_start or index_shift")
        self.i += 1
        self.expect(":")
        if key == "index_shift":
            return DomainItem(key, self.number(), at)
        if key == "domain_set_start":
            return DomainItem(key, None if self.accept("no_start") else self.number("a schedule index or no_start"), at)
        self.expect("[")
        entries = [self.domain_entry()]
        while self.accept(",") and self.toks[self.i] != "]":
            entries.append(self.domain_entry())
        self.expect("]")
        return DomainItem(key, tuple(entries), at)

    def domain_entry(self) -> tuple[int, int]:
        self.expect("(")
        domain = self.number("a domain number")
        self.expect(",")
        duration = self.number("a duration")
        self.expect(")")
        return (domain, duration)
