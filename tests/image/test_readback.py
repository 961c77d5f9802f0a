"""Parsers for each part of a boot log: loader log, scheduler dump, kernel dump, walk."""

from __future__ import annotations

import pytest

from smosverify.errors import InputError
from smosverify.image.readback import (READBACK_END, clean_lines, parse_kernel_dump, parse_loader_log,
                                       parse_scheduler, parse_walk)


def test_whole_log(two_threads_log, boot_of):
    boot = boot_of(two_threads_log)
    assert boot.loader.done
    assert boot.loader.populated[("server_cnode", 3)] == "server_inner"
    assert [t.name for t in boot.threads] == ["server_tcb", "client_tcb", "idle_thread", "rootserver"]
    assert boot.dump.arch == "x86_64"
    assert boot.walk.cnode_bits == {"client_cnode": 4, "server_cnode": 4, "server_inner": 2}
    assert boot.walk.slots[("server_inner", 0)].cap_type == "notification"


def test_loader_log_copy_pass_only():
    lines = clean_lines(
        "init_cspace@main.c:1 Copying into a_cnode...\n"
        "init_cnode@main.c:2   Populating slot 3 with cap to ep...\n"
        "init_cspace@main.c:3 Moving Caps...\n"
        "init_cspace@main.c:4  Moving into a_cnode...\n"
        "init_cnode@main.c:5   Populating slot 9 with cap to other...\n"
        "create_objects@main.c:6 Creating object ep in slot 12, from untyped 23a...\n")
    log = parse_loader_log(lines)
    assert log.populated == {("a_cnode", 3): "ep"}
    assert log.created == ("ep",) and not log.done


def test_scheduler_rows():
    text = ("Dumping all tcbs!\nName\tState\tIP\t Prio \t Core\n-----\n"
            "      worker\t  inactive\t0x400000\t   100\t0\n  rootserver\trunning\t0x4014cf\t 255\t0\n")
    threads = parse_scheduler(clean_lines(text))
    assert [(t.name, t.ip, t.prio) for t in threads] == [("worker", 0x400000, 100), ("rootserver", 0x4014CF, 255)]


DUMP = """arch aarch64
objects {
0xffff_pd = pgd
frame_0xaa_0016 = frame (4k, paddr: 0x0x50000000)
0x10_tcb = tcb (addr: 0x10000, ip: 0x400000, sp: 0x20000, prio: 100, max_prio: 100, dom: 0)
0x20_cnode = cnode (4 bits)
0x30_sc = sc (period: 10 us (100 ticks), budget: 5 us (50 ticks), 8 bits)
}
caps {
0x20_cnode {
0x1: 0x40_ep (RWP, badge: 5)
0x2: 0x50_cnode (guard: 3, guard_size: 2)
}
pt_0xbb_0000 {
0x10: frame_0xaa_0016(RW)
}
0x10_tcb {
cspace: 0x20_cnode (guard: 0, guard_size: 60)
}
}
irq maps {
3: 0x3_0_irq
}
"""


def test_kernel_dump_forms():
    dump = parse_kernel_dump(clean_lines(DUMP))
    assert dump.objects["frame_0xaa_0016"].attrs["paddr"] == "0x50000000"  # x86_64 prints 0x0x
    assert dump.objects["0x20_cnode"].size_bits == 4
    assert dump.objects["0x30_sc"].size_bits == 8  # commas inside parentheses do not split
    ep = dump.slots["0x20_cnode"]["0x1"]
    assert ep.rights == frozenset("RWP") and ep.attrs["badge"] == "5"
    assert dump.slots["0x20_cnode"]["0x2"].attrs == {"guard": "3", "guard_size": "2"}
    assert dump.slots["pt_0xbb_0000"]["0x10"].rights == frozenset("RW")  # no space before '(' on AArch64
    assert dump.slots["0x10_tcb"]["cspace"].target == "0x20_cnode"
    assert dump.irq_maps == {3: "0x3_0_irq"}


@pytest.mark.parametrize("cut", [5, 12, 19])
def test_truncated_dump_is_an_error(cut):
    lines = clean_lines("\n".join(DUMP.splitlines()[:cut]))
    with pytest.raises(InputError, match="incomplete"):
        parse_kernel_dump(lines, "boot.log")


def test_unknown_dump_line_is_an_error():
    with pytest.raises(InputError) as err:
        parse_kernel_dump(clean_lines("arch x86_64\nobjects {\nthis is not capDL\n}\n"), "boot.log")
    assert err.value.span.line == 3


def test_walk_lines_and_kernel_noise():
    text = ("smosverify: walk begin objects=2\n"
            "smosverify: object buf frame paddr=0x10000000\n"
            "\x1b[0m<<seL4(CPU 0) [decodeCNodeInvocation/107 T0x1 \"rootserver\" @4014cf]: Source slot invalid>>\x1b[0m\n"
            "smosverify: cnode c bits=4\n"
            "smosverify: slot c 0x1 endpoint\n"
            "smosverify: slot c 0x2 uncopyable error=3\n"
            "smosverify: walk end\n")
    walk = parse_walk(clean_lines(text))
    assert walk.objects["buf"][:2] == ("frame", 0x10000000)
    assert walk.slots[("c", 1)].cap_type == "endpoint"
    assert walk.slots[("c", 2)].cap_type == "uncopyable"


def test_malformed_walk_line():
    with pytest.raises(InputError, match="malformed"):
        parse_walk(clean_lines("smosverify: cnode c bits=four\n"), "boot.log")


def test_truncated_log(two_threads_log, boot_of):
    cut = two_threads_log[: two_threads_log.index(READBACK_END) - 200]
    with pytest.raises(InputError, match="truncated"):
        boot_of(cut)


def test_boot_that_never_finished(two_threads_log, boot_of):
    stopped = two_threads_log[: two_threads_log.index("Initialising TCBs")]
    with pytest.raises(InputError, match="did not reach the read-back") as err:
        boot_of(stopped)
    assert "Initialising VSpaces" in str(err.value) or "loader stopped after" in str(err.value)


def test_log_without_loader(boot_of):
    with pytest.raises(InputError, match="no capDL loader output"):
        boot_of("SeaBIOS\nBooting from ROM..\n")
