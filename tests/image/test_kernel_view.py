"""The kernel's view written as capDL: it parses, it has the spec's authority when the kernel holds
what the spec says, and it says what it cannot know (nested CNodes the snapshot does not reach)."""

from __future__ import annotations

from pathlib import Path

from smosverify.analyses.capdl.authority import spec_authority
from smosverify.image.kernel_view import kernel_view
from smosverify.image.naming import name_kernel_objects
from smosverify.load.capdl.reader import parse_capdl

DATA = Path(__file__).parent / "data"


def _view(spec, boot):
    view = kernel_view(spec, boot, name_kernel_objects(boot, spec))
    return view, parse_capdl(view.text, view.file)


def test_nested_cnode_from_the_walk(two_threads_spec, two_threads_log, boot_of):
    """server_inner sits in server_cnode: the snapshot does not reach it, the walk types its slot."""
    view, parsed = _view(two_threads_spec, boot_of(two_threads_log))
    assert parsed.objects["server_inner"].slots[0].target == "note"
    cdl = DATA / "two_threads.cdl"
    assert spec_authority(parsed).final == spec_authority(parse_capdl(cdl.read_text(), str(cdl))).final


def test_nested_slot_of_another_type_is_unknown(two_threads_spec, two_threads_log, boot_of):
    log = two_threads_log.replace("smosverify: slot server_inner 0x0 notification", "smosverify: slot server_inner 0x0 thread")
    view, parsed = _view(two_threads_spec, boot_of(log))
    unknown = parsed.objects["server_inner"].slots[0].target
    assert unknown == "unknown_server_inner_0x0" and parsed.objects[unknown].type.value == "tcb"
    line = next(n for n, text in enumerate(view.text.splitlines(), 1) if text.strip().startswith("0x0: unknown_"))
    assert view.origins[line][0].line == log.splitlines().index("smosverify: slot server_inner 0x0 thread") + 1


def test_execute_is_left_out_on_x86_64(recorded, boot_of):
    """x86_64 seL4 maps every user page executable; the dump says RWX, the view RW."""
    _, spec, log = recorded("pink-file")
    assert "(RWX)" in log
    _, parsed = _view(spec, boot_of(log))
    assert parsed.objects["pt3_fs[0]"].slots[0x10].rights == frozenset("RW")


def test_unnamed_kernel_objects_keep_their_kernel_name(recorded, boot_of):
    """A cap to an object the spec does not name, in a slot the spec leaves empty."""
    _, spec, log = recorded("pink-file")
    log = log.replace("0x2: 0xffffff8010016810_ep (R)\n", "0x2: 0xffffff8010016810_ep (R)\n0x3: 0xffffff80100ee000_ep (R)\n")
    _, parsed = _view(spec, boot_of(log))
    assert parsed.objects["cnode_fs"].slots[3].target == "kernel_0xffffff80100ee000_ep"
    assert parsed.objects["kernel_0xffffff80100ee000_ep"].type.value == "ep"
