"""capDL specs in JSON (rust-sel4's `Spec`, as Microkit's `--capdl-json` writes it).

The fixture microkit_aarch64.json was written by hand from the serde form of
sel4_capdl_initializer_types::Spec (externally tagged enums, newtype ids as bare numbers, ranges
as {"start", "end"}), and checked to deserialize with serde_json into those types (rust-sel4
d441a880, the types Microkit cfd5216 builds with); its twin microkit_aarch64.cdl says the same in
capDL text and capDL-tool accepts it, so the two readings must agree object by object and cap by cap.
"""

from __future__ import annotations

import copy
import functools
import json
import random
from collections import Counter

import pytest
from click.testing import CliRunner

from smosverify.analyses.capdl.conformance import conform_capdl
from smosverify.cli import main
from smosverify.emit.capdl import emit_capdl
from smosverify.errors import InputError
from smosverify.load.capdl.reader import load_capdl, parse_capdl
from smosverify.load.system import load_system
from smosverify.model.capdl import ARCH_OF_SYSTEM, CapType, DomainEntry, Domains, ObjectType

from .conftest import EXAMPLES, SPECS
from .test_capdl_language import read_or_refused

JSON_SPEC = SPECS / "json" / "microkit_aarch64.json"
TEXT_TWIN = SPECS / "json" / "microkit_aarch64.cdl"


@pytest.fixture(scope="module")
def spec():
    return load_capdl(JSON_SPEC)


def _reading(spec) -> dict:
    """What a spec says, without where it says it."""
    return {name: (obj.type, dict(obj.params), {slot: cap._replace(at=0) for slot, cap in obj.slots.items()})
            for name, obj in spec.objects.items()}


def test_json_reads_like_its_capdl_text_twin(spec):
    twin = load_capdl(TEXT_TWIN)
    assert spec.arch == twin.arch == "aarch64"
    assert _reading(spec) == _reading(twin)
    assert spec.covers == twin.covers == {"ut_0": ("tcb_client", "ep_server")}
    assert spec.irq_map == twin.irq_map == {33: "irq_33"}


def test_objects_caps_and_parameters(spec):
    """Page tables are typed by level, a frame's `executable` is capDL's X (grant letter), the
    DomainSet object is capDL's `domain` cap, not an object of its own."""
    assert [spec.objects[n].type for n in ("pgd_client", "pud_client", "pd_client", "pt_client")] == [
        ObjectType.PGD, ObjectType.PUD, ObjectType.PD, ObjectType.PT]
    assert "domain_set" not in spec.objects
    cnode = spec.objects["cnode_client"].slots
    assert (cnode[1].type, cnode[1].target, cnode[1].rights, cnode[1].badge) == (CapType.ENDPOINT, "ep_server", {"W", "G"}, 7)
    assert (cnode[4].type, cnode[4].target) == (CapType.DOMAIN, "domain")
    frame = spec.objects["pt_client"].slots[2]
    assert (frame.rights, frame.cached) == ({"R", "G"}, False)
    assert spec.objects["tcb_client"].slots[1].type is CapType.PGD
    assert spec.objects["tcb_client"].param("dom") == 1
    assert spec.objects["elf_client_0"].param("paddr") == 0x40000000


def test_domain_schedule_keeps_its_units(spec):
    assert spec.domains == Domains((DomainEntry(1, 100), DomainEntry(2, 50, "us"), DomainEntry(0, 0)), 1, 0)


def test_spans_point_at_the_entries(spec):
    assert (spec.span(spec.objects["pt_client"].at).line, spec.span(spec.objects["pt_client"].at).col) == (49, 5)
    cap = spec.objects["pt_client"].slots[2]
    assert (spec.span(cap.at).line, spec.span(cap.at).col) == (58, 13)


def test_inspect_reads_json():
    result = CliRunner().invoke(main, ["capdl", "inspect", str(JSON_SPEC), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["arch"], summary["objects_total"], summary["caps_total"], summary["threads"]) == ("aarch64", 13, 16, 1)


# -- small specs built in the test -------------------------------------------------------------

def _spec(objects: list, **top) -> dict:
    return {"objects": objects, "irqs": [], "domain_schedule": None, "domain_set_start": None,
            "domain_idx_shift": None, "asid_slots": [], "root_objects": {"start": 0, "end": len(objects)},
            "untyped_covers": [], **top}


def _table(level: int, slots=(), root: bool = False, name: str | None = None) -> dict:
    return {"name": name, "object": {"PageTable": {"is_root": root, "level": level, "slots": [
        {"slot": s, "cap": {("PageTable" if kind == "pt" else "Frame"): dict(
            {"object": target}, **({} if kind == "pt" else {"rights": _RW, "cached": True, "executable": False}))}}
        for s, kind, target in slots]}}}


_RW = {"read": True, "write": True, "grant": False, "grant_reply": False}
_PAGE = {"name": "page", "object": {"Frame": {"size_bits": 12, "paddr": None, "init": None}}}


def _read(tmp_path, data) -> object:
    path = tmp_path / "spec.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return load_capdl(path)


def test_names_for_unnamed_and_repeated_objects(tmp_path):
    spec = _read(tmp_path, _spec([{"name": None, "object": "Endpoint"}, {"name": "n", "object": "Notification"},
                                  {"name": "n", "object": "Notification"}, {"name": "x", "object": {"IOPorts": {
                                      "start_port": 0x3F8, "end_port": 0x3FF}}}, {"name": "domain", "object": "Endpoint"}]))
    assert list(spec.objects) == ["object#0", "n#1", "n#2", "x", "domain#4"]  # `domain` names capDL's domain cap
    assert spec.objects["x"].param("ports") == (0x3F8, 0x3FF)


@pytest.mark.parametrize(("objects", "arch"), [
    ([{"name": "x", "object": {"IOPorts": {"start_port": 0, "end_port": 1}}}], "x86_64"),
    ([{"name": "s", "object": "ArmSmc"}], "aarch64"),
    ([{"name": "i", "object": {"RiscvIrq": {"slots": [], "extra": {"trigger": 0}}}}], "riscv"),
    # Sv39: 4 KiB pages in a level-2 table
    ([_table(0, [(0, "pt", 1)], root=True), _table(1, [(0, "pt", 2)]), _table(2, [(0, "frame", 3)]), _PAGE], "riscv"),
    # an AArch64 VSpace whose root is at level 1 (hypervisor with a 40-bit IPA)
    ([_table(1, [(0, "pt", 1)], root=True), _table(2, [(0, "pt", 2)]), _table(3, [(0, "frame", 3)]), _PAGE], "aarch64"),
    # four levels, and Microkit's name for an x86-64 VSpace root
    ([_table(0, [(0, "pt", 1)], root=True, name="pml4_client"), _table(1), _table(3)], "x86_64"),
])
def test_architecture_from_what_only_one_has(tmp_path, objects, arch):
    assert _read(tmp_path, _spec(objects)).arch == arch


def test_page_table_levels_follow_the_tree_when_not_given(tmp_path):
    tables = [_table(0, [(0, "pt", 1)], root=True), _table(1, [(0, "pt", 2)]), _table(2, [(0, "pt", 3)]), _table(3)]
    for table in tables[1:]:
        table["object"]["PageTable"]["level"] = None
    tables.append({"name": "i", "object": {"IrqMsi": {"slots": [], "extra": {
        "handle": 0, "pci_bus": 0, "pci_dev": 1, "pci_func": 0}}}})
    spec = _read(tmp_path, _spec(tables))
    assert [o.type for o in spec.objects.values()][:4] == [ObjectType.PML4, ObjectType.PDPT, ObjectType.PD, ObjectType.PT]


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ('{"Endpoint": {"object": 1,', '{"Endpoint": {"object": 9,', 37,
     "objects[2].object.CNode.slots[0].cap.Endpoint.object: a cap of kind Endpoint names object 9 ('ntfn_client') "
     "of kind Notification"),
    ('{"Endpoint": {"object": 1,', '{"Endpoint": {"object": 99,', 37, "expected a whole number from 0 to 13"),
    ('{"slot": 2, "cap": {"Notification"', '{"slot": 1, "cap": {"Notification"', 38,
     "slot 1 of 'cnode_client' is filled twice"),
    ('"end": 2}}]', '"end": 2}}, {"parent": 1, "children": {"start": 3, "end": 4}}]', 81,
     "'ep_server' covers objects but is of kind Endpoint"),
    ('"domain_set_start": 1', '"domain_set_start": 2', 77, "the start, entry 2, is the schedule's end marker"),
    ('"prio": 100', '"prio": 256', 17, "from 0 to 255"),
    ('"resume": true', '"resume": 1', 20, "expected true or false, found '1'"),
    ('"handler": 11}]', '"handler": 11}, {"irq": 34, "handler": 1}]', 71, "not an IRQ object"),
    ('{"name": "domain_set", "object": "DomainSet"}',
     '{"name": "domain_set", "object": "DomainSet"}, {"name": "io", "object": {"IOPorts": {"start_port": 0, '
     '"end_port": 1}}}', 2, "the spec fits no architecture (a fourth page-table level; an object of kind "
     "ArmIrq; an object of kind IOPorts)"),
])
def test_bad_json_specs_are_refused_at_their_place(tmp_path, old, new, line, message):
    text = JSON_SPEC.read_text()
    assert text.count(old) == 1
    with pytest.raises(InputError) as err:
        _read(tmp_path, text.replace(old, new))
    assert message in err.value.message
    assert err.value.span.line == line, err.value


_TWO_UTS = ('{"objects": [{"name": "a", "object": {"Untyped": {"size_bits": 12, "paddr": null}}}, '
            '{"name": "b", "object": {"Untyped": {"size_bits": 12, "paddr": null}}}, '
            '{"name": "e", "object": "Endpoint"}, {"name": "i", "object": {"RiscvIrq": {"slots": [], '
            '"extra": {"trigger": 0}}}}], "untyped_covers": [{"parent": 0, "children": {"start": 2, "end": 3}}, '
            '{"parent": 1, "children": {"start": 2, "end": 3}}]}')
_UNSAID = ('{"objects": [{"name": "vspace", "object": {"PageTable": {"is_root": true, "level": 0, "slots": []}}}, '
           '{"name": "leaf", "object": {"PageTable": {"is_root": false, "level": 3, "slots": []}}}]}')


@pytest.mark.parametrize(("text", "col_at", "message"), [
    (_TWO_UTS, '{"parent": 1', "'e' is covered by two untypeds, 'a' and 'b'"),
    (_UNSAID, "[{", "the spec does not say which architecture it is for (a fourth page-table level)"),
])
def test_spec_level_problems_are_refused_at_their_place(tmp_path, text, col_at, message):
    with pytest.raises(InputError) as err:
        _read(tmp_path, text)
    assert message in err.value.message
    assert (err.value.span.line, err.value.span.col) == (1, text.index(col_at) + 1), err.value


@pytest.mark.parametrize(("text", "line", "col", "message"), [
    ('{"objects": [\n  {"name": "e", "object": "Endpoint"},\n]}', 3, 1, "invalid JSON"),
    ('{"objects": [{"name": "e", "object": {"Bad": {}}}]}', 1, 38, "unknown object 'Bad'"),
    ('{"objects": [], "domain_set_start": ' + "9" * 5000 + "}", 1, 37, "thousands of digits"),
    ("[]", 1, 1, "expected a capDL spec (a JSON object), found a JSON array"),
    ('{"objects": [{"name": 3, "object": "Endpoint"}]}', 1, 23, "expected the object's name"),
])
def test_malformed_json_is_refused_at_its_place(tmp_path, text, line, col, message):
    with pytest.raises(InputError) as err:
        _read(tmp_path, text)
    assert message in err.value.message
    assert (err.value.span.line, err.value.span.col) == (line, col), err.value


def test_bad_json_through_the_cli_exits_2(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text('{"objects": [}')
    result = CliRunner().invoke(main, ["capdl", "inspect", str(path)])
    assert result.exit_code == 2 and f"{path}:1:14:" in result.output, result.output


# -- conform reads JSON: every example's emitted spec, written as JSON -------------------------

_RIGHT_KEYS = (("read", "R"), ("write", "W"), ("grant", "G"), ("grant_reply", "P"))


def _as_json(spec) -> str:
    """A capDL spec written in rust-sel4's JSON form: page tables with no level (the reader follows
    the tree from the roots the threads name); enough for the specs smosverify emits."""
    index = {name: i for i, name in enumerate(spec.objects)}
    roots = {obj.slots[1].target for obj in spec.objects.values() if obj.type is ObjectType.TCB and 1 in obj.slots}

    def rights(cap, letters=frozenset("RWGP")) -> dict:
        return {key: letter in cap.rights & letters for key, letter in _RIGHT_KEYS}

    def cap_json(cap) -> dict:
        fields = {"object": index[cap.target]}
        if cap.type in (CapType.ENDPOINT, CapType.NOTIFICATION):
            return {cap.type.value[:-3]: {**fields, "badge": cap.badge, "rights": rights(cap)}}
        if cap.type is CapType.FRAME:
            return {"Frame": {**fields, "rights": rights(cap, frozenset("RW")), "cached": cap.cached,
                              "executable": "G" in cap.rights}}
        if cap.type is CapType.CNODE:
            return {"CNode": {**fields, "guard": cap.guard, "guard_size": cap.guard_size}}
        if cap.type is CapType.TCB:
            return {"Tcb": fields}
        assert cap.type.name in ObjectType.__members__, cap.type  # page-table caps: PT, PD, PDPT, ...
        return {"PageTable": fields}

    def object_json(obj) -> dict | str:
        slots = [{"slot": slot, "cap": cap_json(cap)} for slot, cap in obj.slots.items()]
        params = dict(obj.params)
        if obj.type in (ObjectType.EP, ObjectType.NOTIFICATION):
            return "Endpoint" if obj.type is ObjectType.EP else "Notification"
        if obj.type is ObjectType.CNODE:
            return {"CNode": {"size_bits": params["bits"], "slots": slots}}
        if obj.type is ObjectType.FRAME:
            return {"Frame": {"size_bits": params["size"].bit_length() - 1, "paddr": params.get("paddr"), "init": None}}
        if obj.type is ObjectType.TCB:
            return {"Tcb": {"slots": slots, "extra": {
                "ipc_buffer_addr": params.get("addr", 0), "affinity": params.get("affinity", 0),
                "prio": params.get("prio", 0), "max_prio": params.get("max_prio", 0), "fpu_disabled": False,
                "resume": params.get("resume", True), "domain": params.get("dom"), "ip": params.get("ip", 0),
                "sp": params.get("sp", 0), "gprs": list(params.get("init", ())), "master_fault_ep": params.get("fault_ep")}}}
        assert obj.type.name in CapType.__members__, obj.type  # a page table
        return {"PageTable": {"is_root": obj.name in roots, "level": 0 if obj.name in roots else None, "slots": slots}}

    assert not spec.covers and not spec.irq_map
    return json.dumps(_spec([{"name": obj.name, "object": object_json(obj)} for obj in spec.objects.values()]))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_conform_reads_the_json_form_of_emitted_specs(path, tmp_path):
    system = load_system(path)
    text_spec = parse_capdl(emit_capdl(system), "emitted.cdl")
    json_path = tmp_path / "emitted.json"
    json_path.write_text(_as_json(text_spec))
    json_spec = load_capdl(json_path, ARCH_OF_SYSTEM[system.arch])
    assert {n: (o.type, {s: c._replace(at=0) for s, c in o.slots.items()}) for n, o in json_spec.objects.items()} == \
        {n: (o.type, {s: c._replace(at=0) for s, c in o.slots.items()}) for n, o in text_spec.objects.items()}
    statuses = [(r.id, r.status) for r in conform_capdl(system, json_spec).results]
    assert statuses == [(r.id, r.status) for r in conform_capdl(system, text_spec).results]
    result = CliRunner().invoke(main, ["conform", str(path), str(json_path)])
    assert result.exit_code == 0, result.output


# -- hostile input: a mutation loop with a fixed seed -------------------------------------------

_ODD_VALUES = (None, True, 0, 1, 12, 255, 256, -1, 2**64, 1.5, "", "x", "PageTable", "EndMarker", [], {}, [1, 2],
               {"start": 5, "end": 2}, {"Ticks": 0}, {"Frame": {"object": 0}})


def _paths(value, path=()):
    yield path
    inner = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in inner:
        yield from _paths(item, path + (key,))


def test_mutated_json_specs_read_or_fail_at_a_place(tmp_path):
    """Each field of the fixture replaced or removed at random (fixed seed): every result is a
    spec or an InputError inside the file, never another exception."""
    rng = random.Random(13)
    base = json.loads(JSON_SPEC.read_text())
    places = [p for p in _paths(base) if p]
    outcomes = Counter()
    for _ in range(600):
        data = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            *parents, last = rng.choice(places)
            try:
                holder = functools.reduce(lambda value, key: value[key], parents, data)
                if isinstance(holder, dict) and rng.random() < 0.2:
                    holder.pop(last, None)
                else:
                    holder[last] = copy.deepcopy(rng.choice(_ODD_VALUES))
            except (KeyError, IndexError, TypeError):
                pass  # an earlier mutation took this place away
        outcomes[read_or_refused(json.dumps(data, indent=1), "mutated.json")] += 1
    assert outcomes["read"] and outcomes["refused"]


def test_older_rust_sel4_forms(tmp_path):
    """Before 2026-07 a schedule entry was {id, time} (ticks; (0, 0) ends it), before 2026-03 a TCB
    had no fpu_disabled (the FPU was on)."""
    data = json.loads(JSON_SPEC.read_text())
    data["domain_schedule"] = [{"id": 1, "time": 100}, {"id": 0, "time": 0}]
    data["domain_set_start"] = 0
    del data["objects"][0]["object"]["Tcb"]["extra"]["fpu_disabled"]
    spec = _read(tmp_path, data)
    assert spec.domains == Domains((DomainEntry(1, 100), DomainEntry(0, 0)), 0, 0)
    assert spec.objects["tcb_client"].param("fpu_disabled") is False


def test_covers_name_only_objects(tmp_path):
    """The DomainSet object becomes the `domain` cap, not an object, so no cover lists it."""
    data = json.loads(JSON_SPEC.read_text())
    data["untyped_covers"].append({"parent": 12, "children": {"start": 13, "end": 14}})
    spec = _read(tmp_path, data)
    assert spec.covers == {"ut_0": ("tcb_client", "ep_server")}
    assert all(child in spec.objects for children in spec.covers.values() for child in children)


def test_inspect_takes_the_architecture_a_spec_does_not_show(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(_UNSAID)
    unsaid = CliRunner().invoke(main, ["capdl", "inspect", str(path)])
    assert unsaid.exit_code == 2 and "does not say which architecture" in unsaid.output, unsaid.output
    given = CliRunner().invoke(main, ["capdl", "inspect", str(path), "--arch", "x86_64", "--format", "json"])
    assert given.exit_code == 0, given.output
    assert json.loads(given.output)["objects"] == {"pml4": 1, "pt": 1}
    contradicted = CliRunner().invoke(main, ["capdl", "inspect", str(path), "--arch", "riscv"])
    assert contradicted.exit_code == 2 and "fits no architecture (riscv as given; a fourth page-table level)" in \
        contradicted.output, contradicted.output
