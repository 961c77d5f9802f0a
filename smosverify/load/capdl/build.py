"""capDL syntax tree -> CapDLSpec: names, arrays and ranges resolved, slots numbered, copies made.

Follows capDL-tool's reading of a spec: an unnumbered slot is the one after the previous entry of
the same block; an array of caps fills consecutive slots; `a/b/c = type` makes a and b untypeds
covering b and c; an untyped may be declared again to add to what it covers; `<name>` copies the
cap in a named slot (masked by `masked:` rights). Where capDL-tool would stop with an error, or
would silently keep one of two conflicting things (two caps named alike, two parents), this
raises an InputError at the place in the file.
"""

from __future__ import annotations

from smosverify.errors import InputError, Span
from smosverify.load.capdl.checks import check_spec, make_cap, object_params, special_cap
from smosverify.load.capdl.syntax import CapDecl, CapEntry, Module, NameRef, ObjDecl, Positions, SlotRef
from smosverify.model.capdl import (
    ARCHES,
    OBJECTS_OF_ARCH,
    SLOTTED,
    SPECIAL_CAPS,
    Cap,
    CapDLSpec,
    CapObject,
    DomainEntry,
    Domains,
    ObjectType,
)

MAX_OBJECTS = 10_000_000  # arrays and ranges beyond this are refused, not expanded
MAX_DOMAIN = 255  # seL4's domain numbers are 8 bits
DURATION_LIMIT = 2**56  # a schedule entry's duration is stored in 56 bits
_TYPES = {t.value: t for t in ObjectType}


def build_spec(module: Module) -> CapDLSpec:
    return _Builder(module).spec()


def element(name: str, index: int | None) -> str:
    """capDL's name for an object or for one element of an array: `name` or `name[i]`."""
    return name if index is None else f"{name}[{index}]"


class _Builder:
    def __init__(self, module: Module):
        self.module = module
        self.positions = module.positions
        self.span = module.positions.span
        self.offset = module.positions.offsets
        self.objects: dict[str, CapObject] = {}
        self.arrays: dict[str, int] = {}  # array name -> number of elements
        self.covers: dict[str, list[str]] = {}
        self.cap_names: dict[str, tuple[str, int]] = {}
        self.cap_arrays: dict[str, int] = {}
        self.cap_name_spans: dict[str, Span] = {}
        self.copies: dict[tuple[str, int], tuple[CapEntry, int]] = {}
        self.parents: dict[tuple[str, int], tuple[SlotRef, int]] = {}
        if module.arch not in ARCHES:
            raise InputError(f"unknown architecture '{module.arch}' (capDL-tool knows {', '.join(ARCHES)}; "
                             "64-bit RISC-V is 'riscv')", self.span(module.arch_at))
        self.arch = module.arch

    def spec(self) -> CapDLSpec:
        declared: list[tuple[ObjDecl, NameRef | None, list[str]]] = []
        for decl in self.module.objects:
            self.declare(decl, None, declared)
        for decl, outer, ids in declared:
            self.untyped_path(decl, outer)
        ids_of = {id(decl): ids for decl, _, ids in declared}
        for decl in self.module.objects:
            self.cover(decl, None, ids_of)
        covers = self.check_covers()
        for decl in self.module.caps:
            if isinstance(decl, CapDecl):
                self.place_caps(decl)
            else:
                self.name_cap(decl.name, decl.at, _plain_id(decl.target), decl.slot)
        self.make_copies()
        spec = CapDLSpec(
            source=self.positions.source,
            arch=self.arch,
            objects=self.objects,
            irq_map=self.irq_map(),
            cdt=self.cdt(),
            cap_names=self.cap_names,
            covers=covers,
            domains=self.domains(),
        )
        check_spec(spec)
        return spec

    # -- names --------------------------------------------------------------------------------

    def is_declared(self, name: str) -> bool:
        return name in self.objects or name in self.arrays

    def ids(self, ref: NameRef, arrays: dict[str, int] | None = None, what: str = "object") -> list[str]:
        """Every name a reference stands for (capDL-tool's refToIDs), each checked to exist."""
        arrays = self.arrays if arrays is None else arrays
        known = self.objects if arrays is self.arrays else self.cap_names
        if ref.ranges is None:
            if ref.name in known:
                return [ref.name]
            if ref.name in arrays:
                raise InputError(f"'{ref.name}' is an array of {arrays[ref.name]}: name one element, "
                                 f"{ref.name}[i], or all of them, {ref.name}[]", self.span(ref.at))
            raise InputError(f"undefined {what} '{ref.name}'", self.span(ref.at))
        if ref.name not in arrays:
            kind = "declared but not as an array" if ref.name in known else "undefined"
            raise InputError(f"{what} '{ref.name}' is {kind}, so it cannot be indexed", self.span(ref.at))
        count = arrays[ref.name]
        out: list[str] = []
        for low, high, _ in ref.ranges or ((0, None, False),):
            low = 0 if low is None else low
            high = count - 1 if high is None else high
            for index in (low, high):
                if index >= count:
                    raise InputError(f"index {index} is out of range: '{ref.name}' has {count} elements",
                                     self.span(ref.at))
            step = 1 if low <= high else -1
            out.extend(element(ref.name, i) for i in range(low, high + step, step))
        return out

    def single(self, ref: NameRef, what: str = "object") -> str:
        found = self.ids(ref, what=what)
        if len(found) != 1 or (ref.ranges is not None and not (len(ref.ranges) == 1 and ref.ranges[0][2])):
            raise InputError(f"expected one {what}, but '{ref.name}' with this range names {len(found)}",
                             self.span(ref.at))
        return found[0]

    def declared_ids(self, ref: NameRef) -> tuple[str, list[str]]:
        """A declaration's left-hand side: `name` (one object) or `name[n]` (an array of n)."""
        if ref.ranges is None:
            return ref.name, [ref.name]
        if len(ref.ranges) != 1 or not ref.ranges[0][2]:
            raise InputError(f"a declaration takes one size, `{ref.name}[n]`, not a range", self.span(ref.at))
        count = ref.ranges[0][0]
        if not 0 < count <= MAX_OBJECTS:
            raise InputError(f"an array needs between 1 and {MAX_OBJECTS} elements, not {count}", self.span(ref.at))
        return ref.name, [element(ref.name, i) for i in range(count)]

    # -- objects ------------------------------------------------------------------------------

    def declare(self, decl: ObjDecl, outer: NameRef | None, declared: list) -> None:
        kind = _TYPES.get(decl.type)
        if kind is None:
            raise InputError(f"unknown object type '{decl.type}' (capDL types: {', '.join(_TYPES)})",
                             self.span(decl.type_at))
        if kind not in OBJECTS_OF_ARCH[self.arch]:
            raise InputError(f"there are no {kind.value} objects on {self.arch}", self.span(decl.type_at))
        base = decl.path[-1]
        if decl.body is not None and kind is not ObjectType.UT:
            raise InputError(f"only untyped objects (ut) cover other objects; this is a {kind.value}",
                             self.span(decl.at))
        if kind is ObjectType.UT and self.is_declared(base.name):
            name = self.single(base)  # an untyped declared again: it covers more objects
            if self.objects[name].type is not ObjectType.UT:
                raise InputError(f"'{name}' is a {self.objects[name].type.value}, not an untyped", self.span(base.at))
            ids = [name]
        else:
            if self.is_declared(base.name):
                first = self.objects.get(base.name) or self.objects[element(base.name, 0)]
                raise InputError(f"duplicate object name '{base.name}' (first declared at "
                                 f"{self.positions.source.span(first.at)})",
                                 self.span(base.at))
            name, ids = self.declared_ids(base)
            if len(self.objects) + len(ids) > MAX_OBJECTS:
                raise InputError(f"more than {MAX_OBJECTS} objects", self.span(base.at))
            params = object_params(kind, decl.params, self.positions, base.at)
            at = self.offset[base.at]
            for obj_id in ids:
                self.objects[obj_id] = CapObject(obj_id, kind, at, params, {})
            if base.ranges is not None:
                self.arrays[name] = len(ids)
        declared.append((decl, outer, ids))
        if decl.body and len(ids) != 1:
            raise InputError("an array of untypeds cannot cover objects", self.span(decl.at))
        for item in decl.body or ():
            if isinstance(item, ObjDecl):
                self.declare(item, NameRef(ids[0], None, base.at), declared)

    def untyped_path(self, decl: ObjDecl, outer: NameRef | None) -> None:
        """The untypeds named on the way to an object (`a/b/c`, or the untyped whose braces hold
        it) exist: declared ones must be untypeds, the others are made."""
        for ref in self.chain(decl, outer):
            if ref.ranges is None and not self.is_declared(ref.name):
                self.objects[ref.name] = CapObject(ref.name, ObjectType.UT, self.offset[ref.at], (), {})
            name = self.single(ref, "untyped")
            if self.objects[name].type is not ObjectType.UT:
                raise InputError(f"'{name}' covers objects but is a {self.objects[name].type.value}, not an untyped",
                                 self.span(ref.at))

    @staticmethod
    def chain(decl: ObjDecl, outer: NameRef | None) -> list[NameRef]:
        return ([outer] if outer else []) + list(decl.path[:-1])

    def cover(self, decl: ObjDecl, outer: NameRef | None, ids_of: dict[int, list[str]]) -> None:
        """What untypeds cover, in capDL-tool's order: each declaration's chain (a covers b
        covers c), then the names in its braces, then the declarations in its braces."""
        ids = ids_of[id(decl)]
        holders = [self.single(ref) for ref in self.chain(decl, outer)]
        for parent, child in zip(holders, holders[1:] + [None]):
            self.covers.setdefault(parent, []).extend([child] if child else ids)
        items = decl.body or ()
        for item in items:
            if isinstance(item, NameRef):
                self.covers.setdefault(ids[0], []).extend(self.ids(item))
        for item in items:
            if isinstance(item, ObjDecl):
                self.cover(item, NameRef(ids[0], None, decl.path[-1].at), ids_of)

    def check_covers(self) -> dict[str, tuple[str, ...]]:
        """Each untyped's cover without repeats; no object covered by two untypeds."""
        covers = {ut: tuple(dict.fromkeys(children)) for ut, children in self.covers.items()}
        owner: dict[str, str] = {}
        for ut, children in covers.items():
            for child in children:
                if owner.setdefault(child, ut) != ut:
                    raise InputError(f"'{child}' is covered by two untypeds, '{owner[child]}' and '{ut}'",
                                     self.positions.source.span(self.objects[child].at))
        return covers

    # -- caps ---------------------------------------------------------------------------------

    def place_caps(self, decl: CapDecl) -> None:
        containers = self.ids(decl.container, what="cap container")
        unnumbered = next((e for e in decl.entries if e.slot is None), None)
        if unnumbered and any(e.copy for e in decl.entries):
            raise InputError("a block with copies of caps (<name>) must number every slot; this entry has no slot",
                             self.span(unnumbered.at))
        for container in containers:
            holder = self.objects[container]
            if holder.type not in SLOTTED:
                raise InputError(f"'{container}' is a {holder.type.value}, which holds no caps", self.span(decl.container.at))
            next_slot = 0
            for entry in decl.entries:
                slot = next_slot if entry.slot is None else entry.slot
                if entry.copy:
                    count = len(self.copy_sources(entry))
                    for k in range(count):
                        self.occupy(holder, slot + k, entry.at)
                        self.copies[container, slot + k] = (entry, k)
                    next_slot = slot + 1
                else:
                    caps = self.direct_caps(entry)
                    for k, cap in enumerate(caps):
                        self.occupy(holder, slot + k, entry.at)
                        holder.slots[slot + k] = cap
                    count = len(caps)
                    next_slot = slot + count
                if entry.cap_name is not None and container == containers[0]:  # names go with the first
                    self.name_entry(entry, container, slot, count)
                if entry.parent is not None:
                    self.parents[container, slot] = (entry.parent, entry.at)

    def copy_sources(self, entry: CapEntry) -> list[str]:
        if entry.source.ranges is None:
            return [entry.source.name]
        return self.ids(entry.source, self.cap_arrays, "cap name")

    def direct_caps(self, entry: CapEntry) -> list[Cap]:
        source = entry.source
        if source.name in SPECIAL_CAPS and source.ranges is None:
            return [special_cap(source.name, entry.params, entry.at, self.positions)]
        params = entry.params
        if params and any(p.key == "mapping" for p in params):
            params = tuple(p._replace(value=(self.single(p.value[0], "page table"), p.value[1]))
                           if p.key == "mapping" else p for p in params)
        if source.ranges is None and source.name in self.objects:
            return [make_cap(self.objects[source.name], params, entry.at, self.positions)]
        return [make_cap(self.objects[target], params, entry.at, self.positions) for target in self.ids(source)]

    def occupy(self, holder: CapObject, slot: int, at: int) -> None:
        if slot in holder.slots or (holder.name, slot) in self.copies:
            raise InputError(f"slot {slot} of '{holder.name}' is already filled", self.span(at))

    def name_entry(self, entry: CapEntry, container: str, slot: int, count: int) -> None:
        ref = entry.cap_name
        if ref.ranges is None:
            if count != 1:
                raise InputError(f"'{ref.name}' cannot name the {count} caps of an array; write {ref.name}[] = ...",
                                 self.span(ref.at))
            self.name_cap(ref.name, ref.at, container, slot)
        elif ref.ranges == ():
            for k in range(count):
                self.name_cap(element(ref.name, k), ref.at, container, slot + k)
            self.cap_arrays[ref.name] = count
        else:
            raise InputError("a cap name takes no range other than [] (one name per cap of an array)", self.span(ref.at))

    def name_cap(self, name: str, at: int, container: str, slot: int) -> None:
        if name in self.cap_names:
            raise InputError(f"duplicate cap name '{name}' (first at {self.cap_name_spans[name]})", self.span(at))
        self.cap_names[name] = (container, slot)
        self.cap_name_spans[name] = self.span(at)

    def make_copies(self) -> None:
        """Resolve each `<name>` copy, following copies of copies to the cap they start from."""
        made: dict[tuple[str, int], Cap] = {}
        for start in self.copies:
            chain: list[tuple[str, int]] = []
            location = start
            while location in self.copies and location not in made:
                if location in chain:
                    raise InputError("copies of caps refer to each other in a cycle", self.span(self.copies[start][0].at))
                chain.append(location)
                entry, k = self.copies[location]
                name = self.copy_sources(entry)[k]
                if name not in self.cap_names:
                    raise InputError(f"undefined cap name '{name}'", self.span(entry.source.at))
                location = self.cap_names[name]
            holder = self.objects.get(location[0])
            cap = made.get(location) or (holder.slots.get(location[1]) if holder else None)
            if cap is None:
                entry = self.copies[chain[-1]][0]
                what = "which is empty" if holder else "an undefined object"
                raise InputError(f"cap name '{entry.source.name}' points at slot {location[1]} of '{location[0]}', "
                                 f"{what}", self.span(entry.source.at))
            for location in reversed(chain):
                entry, k = self.copies[location]
                cap = made[location] = _masked(cap, entry, self.copy_sources(entry)[k], self.positions)
        for (container, slot), cap in made.items():
            self.objects[container].slots[slot] = cap

    # -- irq maps and the cap derivation tree -------------------------------------------------

    def irq_map(self) -> dict[int, str]:
        sections = [s for s in self.module.irq_sections if s]
        if len(sections) > 1:
            raise InputError("a second non-empty `irq maps` section; capDL has one IRQ table",
                             self.span(sections[1][0].at))
        table: dict[int, str] = {}
        next_slot = 0
        for mapping in sections[0] if sections else ():
            slot = next_slot if mapping.slot is None else mapping.slot
            irqs = self.ids(mapping.ref, what="irq object")
            for k, irq in enumerate(irqs):
                if slot + k in table:
                    raise InputError(f"irq {slot + k} is already mapped to '{table[slot + k]}'", self.span(mapping.at))
                table[slot + k] = irq
            next_slot = slot + len(irqs)
        return table

    def slot_of(self, ref: SlotRef) -> tuple[str, int]:
        if ref.slot is not None:
            return self.single(ref.ref), ref.slot
        ranges = ref.ref.ranges
        if ranges is not None and not (len(ranges) == 1 and ranges[0][2]):
            raise InputError("a cap name takes at most one index here", self.span(ref.at))
        key = element(ref.ref.name, ranges[0][0] if ranges else None)
        if key not in self.cap_names:
            raise InputError(f"undefined cap name '{key}'", self.span(ref.at))
        return self.cap_names[key]

    def cdt(self) -> dict[tuple[str, int], tuple[str, int]]:
        tree: dict[tuple[str, int], tuple[str, int]] = {}

        def link(child: SlotRef, parent: tuple[str, int]) -> None:
            location = self.slot_of(child)
            if location in tree:
                raise InputError(f"slot {location[1]} of '{location[0]}' is given two parents in the cap derivation tree",
                                 self.span(child.at))
            tree[location] = parent

        def walk(decl) -> None:
            parent = self.slot_of(decl.parent)
            for child in decl.children:
                if isinstance(child, SlotRef):
                    link(child, parent)
                else:
                    link(child.parent, parent)
                    walk(child)

        for decl in self.module.cdt:
            walk(decl)
        for (container, slot), (parent, at) in self.parents.items():
            location = self.slot_of(parent)
            if (container, slot) in tree:
                raise InputError(f"slot {slot} of '{container}' is given two parents in the cap derivation tree",
                                 self.span(at))
            tree[container, slot] = location
        return tree

    # -- the domain schedule ------------------------------------------------------------------

    def domains(self) -> Domains:
        """The `domains` sections taken together, checked as capDL-tool's checkDomains does."""
        found: dict[str, tuple] = {}
        for item in self.module.domains:
            if item.key in found:
                raise InputError(f"a second `{item.key}` (first at {self.span(found[item.key][1])}); "
                                 "capDL-tool takes at most one", self.span(item.at))
            found[item.key] = (item.value, item.at)
        start, start_at = found.get("domain_set_start", (0, None))
        domains = Domains(tuple(DomainEntry(*e) for e in found["schedule"][0]) if "schedule" in found else None, start,
                          found.get("index_shift", (0, None))[0])
        if domains.schedule is None:
            return domains
        schedule, schedule_at = found["schedule"]
        here = self.span(schedule_at if start_at is None else start_at)
        if start is not None and start >= len(schedule):
            raise InputError(f"domain_set_start {start} is past the schedule's last entry (index {len(schedule) - 1})",
                             here)
        for domain, duration in schedule:
            problem = ("a zero duration marks the end and needs domain 0" if duration == 0 and domain != 0 else
                       f"domains are numbered 0 to {MAX_DOMAIN}" if domain > MAX_DOMAIN else
                       "a duration must be below 2^56" if duration >= DURATION_LIMIT else None)
            if problem:
                raise InputError(f"schedule entry ({domain}, {duration}): {problem}", self.span(schedule_at))
        if start is not None and schedule[start] == (0, 0):
            raise InputError(f"domain_set_start {start} points at the end marker (0, 0)", here)
        return domains


def _plain_id(ref: NameRef) -> str:
    """A cap name declaration's object, unchecked until the name is used (as capDL-tool does)."""
    return element(ref.name, ref.ranges[0][0]) if ref.ranges else ref.name


def _masked(source: Cap, entry: CapEntry, name: str, positions: Positions) -> Cap:
    """A copy of `source`, its rights cut down by `masked:` when the cap has rights."""
    mask = None
    for param in entry.params:
        if param.key != "masked":
            raise InputError(f"a copy (<{name}>) takes only `masked:` rights, not '{param.key}'",
                             positions.span(param.at))
        mask = param.value if mask is None else mask & param.value
    rights = source.rights if mask is None else source.rights & mask
    return source._replace(at=positions.offsets[entry.at], rights=rights, copy_of=name)
