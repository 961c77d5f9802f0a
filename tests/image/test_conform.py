"""Conform at run time on a recorded x86_64 boot: the spec it was built from holds; edited logs and
another spec give the findings that name the object, slot and cap."""

from __future__ import annotations

from pathlib import Path

from smosverify.analyses.result import Status
from smosverify.image.conform import conform_boot
from smosverify.image.naming import name_kernel_objects
from smosverify.image.spec import spec_from_xml

DATA = Path(__file__).parent / "data"


def _findings(report):
    return {r.id: [e.message for e in r.evidence] for r in report.results}


def test_recorded_boot_conforms(two_threads_spec, two_threads_log, boot_of):
    report = conform_boot(two_threads_spec, boot_of(two_threads_log))
    assert [r.status for r in report.results] == [Status.HOLDS] * 3
    assert report.exit_code() == 0


def test_every_object_is_named(two_threads_spec, two_threads_log, boot_of):
    names = name_kernel_objects(boot_of(two_threads_log), two_threads_spec)
    assert set(names.values()) == set(two_threads_spec.objects)


def test_added_cap(two_threads_spec, two_threads_log, boot_of):
    log = two_threads_log.replace("smosverify: slot client_cnode 0x2 notification\n",
                                  "smosverify: slot client_cnode 0x2 notification\nsmosverify: slot client_cnode 0x7 thread\n")
    found = _findings(conform_boot(two_threads_spec, boot_of(log)))
    assert found["BOOT-EXTRA"] == ["client_cnode slot 7 holds a thread cap the spec does not give"]
    assert not found["BOOT-CAPS"]


def test_widened_right(two_threads_spec, two_threads_log, boot_of):
    log = two_threads_log.replace("0x1: 0xffffff801000b4a0_ep (W, badge: 5)", "0x1: 0xffffff801000b4a0_ep (WG, badge: 5)")
    report = conform_boot(two_threads_spec, boot_of(log))
    assert _findings(report)["BOOT-CAPS"] == ["client_cnode slot 1 holds server_ep with rights WG instead of W"]
    assert report.exit_code() == 1


def test_changed_badge(two_threads_spec, two_threads_log, boot_of):
    log = two_threads_log.replace("(W, badge: 5)", "(W, badge: 6)")
    assert _findings(conform_boot(two_threads_spec, boot_of(log)))["BOOT-CAPS"] == [
        "client_cnode slot 1 holds server_ep with badge 6 instead of 5"]


def test_dropped_object(two_threads_spec, two_threads_log, boot_of):
    log = two_threads_log.replace("smosverify: object note notification\n", "")
    found = _findings(conform_boot(two_threads_spec, boot_of(log)))
    assert found["BOOT-OBJECTS"] == ["note (Notification) is not in the kernel (the loader created it)"]


def test_dropped_slot_names_what_the_loader_tried(two_threads_spec, two_threads_log, boot_of):
    log = two_threads_log.replace("smosverify: slot server_inner 0x0 notification\n", "")
    found = _findings(conform_boot(two_threads_spec, boot_of(log)))
    assert found["BOOT-CAPS"] == [
        "server_inner slot 0 should hold a NotificationCap to note (R); it is empty (the loader filled it with note)"]


def test_cap_to_another_object(two_threads_spec, two_threads_log, boot_of):
    # the client's slot 2 now names the endpoint instead of the notification
    log = two_threads_log.replace("0x2: 0xffffff801000b480_notification (W)", "0x2: 0xffffff801000b4a0_ep (W)")
    found = _findings(conform_boot(two_threads_spec, boot_of(log)))
    assert "client_cnode slot 2 should hold a NotificationCap to note (W); it holds a cap to server_ep" in found["BOOT-CAPS"]


def test_extra_thread(two_threads_spec, two_threads_log, boot_of):
    row = "                              client_tcb\t       inactive\t0x400000\t                 100\t0\n"
    log = two_threads_log.replace(row, row + row.replace("client_tcb", "intruder"))
    found = _findings(conform_boot(two_threads_spec, boot_of(log)))
    assert "the kernel runs a thread 'intruder' the spec does not declare" in found["BOOT-EXTRA"]


def test_another_specs_log(two_threads_log, boot_of):
    """A spec whose client also holds the notification's wait right and a second endpoint."""
    cdl = (DATA / "two_threads.cdl").read_text()
    xml = (DATA / "two_threads.xml").read_text()
    other_xml = xml.replace('slot="2" id="note" rights="w"', 'slot="2" id="note" rights="rw"').replace(
        '<cap type="EndpointCap" slot="1" id="server_ep" rights="w" badge="5" />',
        '<cap type="EndpointCap" slot="1" id="server_ep" rights="w" badge="5" />'
        '<cap type="EndpointCap" slot="9" id="server_ep" rights="w" badge="9" />')
    spec = spec_from_xml(other_xml, cdl, "other.cdl")
    found = _findings(conform_boot(spec, boot_of(two_threads_log)))
    assert sorted(found["BOOT-CAPS"]) == [
        "client_cnode slot 2 holds note with rights W instead of RW",
        "client_cnode slot 9 should hold an EndpointCap to server_ep (W, badge 9); it is empty",
    ]


def test_wrong_cnode_size(two_threads_spec, two_threads_log, boot_of):
    log = two_threads_log.replace("smosverify: cnode server_inner bits=2", "smosverify: cnode server_inner bits=3")
    found = _findings(conform_boot(two_threads_spec, boot_of(log)))
    assert found["BOOT-OBJECTS"] == ["server_inner should have 2 size bits; the kernel's has 3"]


def test_recorded_aarch64_boot_conforms(boot_of):
    """AArch64 with the project's kernel-dump patch: 4k frames print, each page directory once."""
    cdl = DATA / "one_thread.aarch64.cdl"
    spec = spec_from_xml((DATA / "one_thread.aarch64.xml").read_text(), cdl.read_text(), str(cdl))
    boot = boot_of((DATA / "one_thread.aarch64.log").read_text())
    report = conform_boot(spec, boot)
    assert [r.status for r in report.results] == [Status.HOLDS] * 3
    assert set(name_kernel_objects(boot, spec).values()) == set(spec.objects)
