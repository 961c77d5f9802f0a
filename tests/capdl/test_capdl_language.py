"""The capDL language as capDL-tool reads it, construct by construct (issue 13).

Expected values follow capDL-tool's own reading (CapDL/Parser.hs, CapDL/MakeModel.hs,
CapDL/State.hs in seL4/capdl), worked out by hand from those sources before running smosverify.
Where capDL-tool's parse-capDL is at hand (tests/capdl/capdl_tool.py finds it), every inline spec
of this module is also given to it, and it must accept or refuse the spec as smosverify does.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from smosverify.errors import InputError
from smosverify.load.capdl.reader import load_capdl, parse_capdl
from smosverify.load.capdl.mapping import load_capdl_map
from smosverify.load.system import load_system
from smosverify.model.capdl import CapType, DomainEntry, Domains, ObjectType
from smosverify.model.kernel import ObjectKind
from smosverify.model.system import Target

from .capdl_tool import parse_capdl_tool, tool_accepts
from .conftest import REPO, SPECS

TOOL = parse_capdl_tool()
# Refused by smosverify, accepted by capDL-tool, which evaluates these parts only when it uses them.
STRICTER = frozenset({
    "arch aarch64 domains { index_shift: 1 index_shift: 2 }",
    "-- Dump\narch ia32 objects { e@5 = ep } caps { } cdt { }",
    "-- Dump\narch ia32 objects { u@0x0 = ut (4 bits)  e@0x1 = ep } caps { } cdt { }",
})


@pytest.fixture
def spec_of(tmp_path):
    """Read a spec given as text; parse-capDL, when at hand, must give the same verdict."""
    def read(text: str, file: str = "inline.cdl"):
        verdict = None
        if TOOL is not None and text not in STRICTER:
            (tmp_path / "inline.cdl").write_text(text)
            verdict, messages = tool_accepts(TOOL, tmp_path / "inline.cdl")
        try:
            spec = parse_capdl(text, file)
        except InputError:
            assert verdict in (None, False), f"capDL-tool accepts what smosverify refuses: {text}"
            raise
        assert verdict in (None, True), f"capDL-tool refuses what smosverify accepts: {text}\n{messages}"
        return spec
    return read

# -- untyped covers (MakeModel.getUntypedCover) -------------------------------------------------


def test_untyped_covers_braces_names_and_paths(spec_of):
    """Braces list what an untyped covers: names first, then the declarations inside, each
    nested untyped covering its own braces; `a/b/x` makes a cover b and b cover x."""
    spec = spec_of("""arch aarch64
objects {
  f[3] = frame (4k)
  pool = ut (21 bits) {
    f[0..1]
    kid = ep,
    sub = ut (16 bits) { grandkid = notification }
    f[2]
  }
  a/b/x = ep
}""")
    assert spec.covers == {"pool": ("f[0]", "f[1]", "f[2]", "kid", "sub"), "sub": ("grandkid",),
                           "a": ("b",), "b": ("x",)}
    assert spec.objects["a"].type is spec.objects["b"].type is ObjectType.UT


def test_untyped_declared_again_covers_more_and_repeats_count_once(spec_of):
    """A second `ut` declaration of the same name adds to its cover; a child named twice is kept
    once (capDL-tool warns that this is deprecated and drops the repeat)."""
    spec = spec_of("arch riscv objects { u = ut (12 bits) { e } e = ep  n = notification  u = ut { n, e } }")
    assert spec.covers == {"u": ("e", "n")}


def test_an_untyped_without_children_has_no_cover_entry(spec_of):
    """capDL-tool records no cover for an untyped with empty braces or none."""
    spec = spec_of("arch x86_64 objects { u = ut (12 bits) {} v = ut }")
    assert spec.covers == {}


def test_path_inside_braces_chains_from_the_enclosing_untyped(spec_of):
    spec = spec_of("arch x86_64 objects { top = ut { mid/leaf = tcb (addr: 0, affinity: 0) } }")
    assert spec.covers == {"top": ("mid",), "mid": ("leaf",)}


@pytest.mark.parametrize(("text", "message"), [
    ("arch x86_64 objects { e = ep  u = ut { e }  v = ut { e } }", "covered by two untypeds"),
    ("arch x86_64 objects { e = ep { n = notification } }", "only untyped objects .ut. cover"),
    ("arch x86_64 objects { e = ep  e/n = notification }", "not an untyped"),
    ("arch x86_64 objects { u = ut { ghost } }", "undefined object 'ghost'"),
])
def test_bad_covers_are_refused(spec_of, text, message):
    with pytest.raises(InputError, match=message):
        spec_of(text)


# -- constructs capDL-tool gained: SGI signals, fpu_disabled, domain schedules ----------------


def test_arm_sgi_signal_objects_and_caps(spec_of):
    """`arm_sgi_signal` takes exactly `irq` and `target`; a cap to one is an ARMSGISignalCap with
    no parameters (MakeModel.objectOf / validCapPars)."""
    spec = spec_of("arch aarch64 objects { s = arm_sgi_signal (target: 0, irq: 1)  c = cnode (2 bits) }\n"
                   "caps { c { 3: s } }")
    assert dict(spec.objects["s"].params) == {"target": 0, "irq": 1}
    assert spec.objects["c"].slots[3].type is CapType.ARM_SGI_SIGNAL
    assert spec_of("arch arm11 objects { s = arm_sgi_signal(irq: 10, target: 2) }").objects["s"].type \
        is ObjectType.ARM_SGI_SIGNAL


@pytest.mark.parametrize(("text", "message"), [
    ("arch aarch64 objects { s = arm_sgi_signal (irq: 1) }", "needs its 'target'"),
    ("arch aarch64 objects { s = arm_sgi_signal (target: 1) }", "needs its 'irq'"),
    ("arch riscv objects { s = arm_sgi_signal (irq: 1, target: 0) }", "no arm_sgi_signal objects on riscv"),
    ("arch aarch64 objects { s = arm_sgi_signal (irq: 1, target: 0)  c = cnode (2 bits) } caps { c { 0: s (RW) } }",
     "carries no rights"),
])
def test_bad_sgi_signals_are_refused(spec_of, text, message):
    with pytest.raises(InputError, match=message):
        spec_of(text)


def test_tcb_fpu_disabled(spec_of):
    spec = spec_of("arch aarch64 objects { t = tcb (addr: 0x1000, ip: 0x2000, sp: 0x3000, prio: 254, max_prio: 254, "
                   "affinity: 0, fault_ep: 2, fpu_disabled: True)  u = tcb (addr: 0, affinity: 1, fpu_disabled: False) }")
    assert spec.objects["t"].param("fpu_disabled") is True
    assert spec.objects["u"].param("fpu_disabled") is False


@pytest.mark.parametrize("params", ["fpu_disabled: True", "fpu_disabled: yes", "addr: 0, fpu_disabled: True"])
def test_fpu_disabled_alone_or_misspelt_is_refused(spec_of, params):
    """capDL-tool's getExtraInfo: the flags go with addr and affinity (or the full set)."""
    with pytest.raises(InputError):
        spec_of(f"arch x86_64 objects {{ t = tcb ({params}) }}")


def test_domain_schedule(spec_of):
    spec = spec_of("arch arm11 objects { e = ep }\n"
                   "domains { schedule: [(0, 10), (1, 10), (0, 0), (2, 2),]\n index_shift: 1\n domain_set_start: 3 }")
    assert spec.domains == Domains(tuple(DomainEntry(d, t) for d, t in ((0, 10), (1, 10), (0, 0), (2, 2))), 3, 1)


def test_domain_defaults_and_no_start(spec_of):
    """Without a section: no schedule, start 0, shift 0; `no_start` keeps domain 0 running; the
    items of several `domains` sections count together."""
    assert spec_of("arch riscv objects { e = ep }").domains == Domains(None, 0, 0)
    spec = spec_of("arch riscv domains { domain_set_start: no_start } objects { e = ep } domains { schedule: [(0, 0)] }")
    assert spec.domains == Domains((DomainEntry(0, 0),), None, 0)
    assert spec_of("arch riscv domains { }").domains == Domains()


@pytest.mark.parametrize(("items", "message"), [
    ("schedule: [(1, 5)] domain_set_start: 1", "past the schedule's last entry"),
    ("schedule: [(1, 5), (3, 0)]", "zero duration marks the end"),
    ("schedule: [(256, 5)]", "domains are numbered 0 to 255"),
    (f"schedule: [(1, {2**56})]", "below 2^56"),
    ("schedule: [(0, 0), (1, 5)]", "points at the end marker"),
    ("schedule: [(1, 5)] schedule: [(2, 5)]", "a second `schedule`"),
    ("index_shift: 1 index_shift: 2", "a second `index_shift`"),
    ("schedule: []", "'('"),
    ("domain_set_start: none", "a schedule index or no_start"),
    ("period: 5", "schedule, domain_set_start or index_shift"),
])
def test_bad_domain_schedules_are_refused(spec_of, items, message):
    with pytest.raises(InputError, match=re.escape(message)):
        spec_of(f"arch aarch64 domains {{ {items} }}")


def test_domain_error_points_at_the_item(spec_of):
    with pytest.raises(InputError) as err:
        spec_of("arch aarch64\ndomains {\n  schedule: [(1, 5)]\n  domain_set_start: 4\n}")
    assert (err.value.span.line, err.value.span.col) == (4, 3)


# -- keywords: `irq maps` and the reserved names ------------------------------------------------


@pytest.mark.parametrize("text", [
    "arch x86_64 objects { e = ep } irq  maps { }",
    "arch x86_64 objects { e = ep } irq\nmaps { }",
    "arch x86_64 objects { objects = ep }",
    "arch x86_64 objects { e = ep  c = cnode (1 bits) } caps { caps = (c, 0) }",
])
def test_keywords_as_capdl_tool_reads_them(spec_of, text):
    """capDL-tool reads `irq maps` as one keyword and never takes `objects` or `caps` as a name."""
    with pytest.raises(InputError):
        spec_of(text)


# -- the kernel-dump dialect (CapDL/DumpParser.hs) ---------------------------------------------


def test_dump_arrays_covers_and_irqs():
    """Alike objects at consecutive addresses become arrays (frames 4 KiB apart, endpoints 16 bytes
    apart), caps name their elements, each object is covered by the smallest untyped declared
    before it whose range holds it (not its last byte: ep@0x100fff falls to the larger one), and
    irqhandler@0x5 is IRQ 5."""
    spec = load_capdl(SPECS / "dump_ia32.cdl")
    assert [n for n in spec.objects if n.startswith(("frame", "ep"))] == [
        "ep@0x100fff", "frame@0x101000[0]", "frame@0x101000[1]", "frame@0x104000", "ep@0x105000[0]", "ep@0x105000[1]"]
    assert spec.covers == {
        "untyped@0x100000@12": ("notification@0x100800",),
        "untyped@0x100000@16": ("cnode@0x107000", "ep@0x100fff", "ep@0x105000[0]", "ep@0x105000[1]",
                                "frame@0x101000[0]", "frame@0x101000[1]", "frame@0x104000", "tcb@0x106000",
                                "untyped@0x100000@12")}
    assert spec.objects["tcb@0x106000"].slots[4].target == "frame@0x101000[1]"
    assert (spec.objects["cnode@0x107000"].slots[1].target, spec.objects["cnode@0x107000"].slots[1].badge) == (
        "ep@0x105000[1]", 3)
    assert spec.irq_map == {5: "irqhandler@0x5"}
    assert spec.cdt == {("tcb@0x106000", 0): ("cnode@0x107000", 2)}


@pytest.mark.parametrize(("text", "message"), [
    ("-- Dump\narch ia32 caps { } objects { } cdt { }", "'objects'"),
    ("-- Dump\narch ia32 objects { } caps { }", "'cdt'"),
    ("-- Dump\narch ia32 objects { } caps { } cdt { } objects { }", "the end of the dump"),
    ("-- Dump\narch ia32 objects { e@5 = ep } caps { } cdt { }", "its address after it"),
    ("-- Dump\narch ia32 objects { u@0x0 = ut (4 bits)  e@0x1 = ep } caps { } cdt { }", "no size in its name"),
    ("-- Dump\narch ia32 objects { e = ep[2] } caps { } cdt { }", "found '['"),
])
def test_bad_dumps_are_refused(spec_of, text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        spec_of(text)


def test_mutated_dumps_read_or_fail_at_a_place():
    """Pieces of the dump fixture cut, repeated or replaced at random (fixed seed): every result is
    a spec or an InputError inside the text, never another exception."""
    rng = random.Random(13)
    base = (SPECS / "dump_ia32.cdl").read_text()
    pieces = ("@", "@0x", "@0xffffffffffffffff", "@12", "=", "ut (64 bits)", "frame (0k)", "{", "}", "[2]", "(", ")",
              "0x", "irqhandler@0x", "- child_of", "cdt {", "\n")
    outcomes = Counter()
    for _ in range(600):
        text = base
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text))
            if rng.random() < 0.5:
                text = text[:i] + rng.choice(pieces) + text[i + rng.randint(0, 8):]
            else:
                j = rng.randrange(len(text))
                text = text[:i] + text[j:j + rng.randint(1, 60)] + text[i:]
        outcomes[read_or_refused(text, "mutated.cdl")] += 1
    assert outcomes["read"] and outcomes["refused"]


def read_or_refused(text: str, file: str) -> str:
    """"read" or "refused": a spec, or an InputError placed inside the text; anything else fails."""
    try:
        parse_capdl(text, file)
        return "read"
    except InputError as err:
        assert err.span is not None and 1 <= err.span.line <= text.count("\n") + 1, err
        return "refused"


def test_mapping_files_name_untyped(tmp_path):
    """A mapping file can say which capDL `ut` stands for a system's untyped (system key `untyped:`)."""
    camkes = SPECS.parent / "systems" / "camkes_style"
    policy = (camkes / "policy.pol").read_text().replace('import "../../../../policies/', f'import "{REPO}/policies/')
    (tmp_path / "policy.pol").write_text(policy.replace("sid client_t,", "sid pool_t, client_t,"))
    (tmp_path / "system.yaml").write_text((camkes / "system.yaml").read_text()
                                         + "untyped:\n  pool: {sid: pool_t, covers: [client.tcb, event]}\n")
    (tmp_path / "map.yaml").write_text("objects:\n  ut_*: pool\n  client_tcb: client.tcb\n")
    mapping = load_capdl_map(tmp_path / "map.yaml", load_system(tmp_path / "system.yaml"))
    assert [rule.target for rule in mapping.rules] == [Target(ObjectKind.UNTYPED, "pool"), Target(ObjectKind.TCB, "client")]
    (tmp_path / "map.yaml").write_text("objects:\n  ut_*: pond\n")
    with pytest.raises(InputError, match="'pond' is no component, region or notification of camkes-style, nor an untyped"):
        load_capdl_map(tmp_path / "map.yaml", load_system(tmp_path / "system.yaml"))
