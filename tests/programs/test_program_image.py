"""The program image without seL4 tools: the spec the emitter writes for loaded programs (memory
filled from the ELF, the thread started there) still refines the model, and the recorded boot of
pink-file with its programs running conforms to its spec and to the model (data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smosverify.analyses.capdl.conformance import conform_capdl
from smosverify.emit.capdl import LoadedProgram, emit_capdl
from smosverify.errors import EnvironmentProblem, InputError
from smosverify.image.readback import parse_boot_log
from smosverify.image.run import parse_capdl_for_conform
from smosverify.image.spec import spec_from_xml
from smosverify.image.system_boot import conform_system_boot
from smosverify.load.any import SdfOptions, load_any
from smosverify.load.capdl.reader import parse_capdl
from tests.conftest import assert_bad_input, run_cli

REPO = Path(__file__).resolve().parents[2]
PINK = REPO / "examples" / "pink-file" / "system.yaml"
DATA = Path(__file__).parent / "data"
PROGRAM = LoadedProgram("smos_alice", 0x3FE00000, ((0, 456, 0), (4096, 8653, 4096)), 0x3FE018AD, 0x40000000,
                        (0x3FE00040, 7, 0x10000), 253)


def test_a_loaded_program_is_the_components_memory_and_starts_its_thread():
    cdl = emit_capdl(load_any(str(PINK), SdfOptions()), {"alice": PROGRAM})
    assert ("tcb_alice = tcb (addr: 0x10000, ip: 0x3fe018ad, sp: 0x40000000, prio: 253, max_prio: 253, affinity: 0, "
            "resume: True, init: [0x3fe00040, 0x7, 0x10000])") in cdl
    assert ('mem_alice = frame (2M, fill: [{0 456 CDL_FrameFill_FileData "smos_alice" 0}, '
            '{4096 8653 CDL_FrameFill_FileData "smos_alice" 4096}])') in cdl
    assert "0x1ff: mem_alice (RWX)  -- program" in cdl  # the page directory's last slot: 0x3fe00000
    assert "tcb_bob = tcb (addr: 0x10000, ip: 0x0, sp: 0x0, prio: 100, max_prio: 100, affinity: 0, resume: False)" in cdl
    report = conform_capdl(load_any(str(PINK), SdfOptions()), parse_capdl(cdl, "spec.cdl"))
    assert [r.status.value for r in report.results] == ["holds"] * 3


def test_a_program_where_the_components_pages_are_is_refused():
    with pytest.raises(InputError, match="does not fit its address space"):
        emit_capdl(load_any(str(PINK), SdfOptions()), {"alice": LoadedProgram(
            "smos_alice", 0x0, ((0, 1, 0),), 0x1, 0x200000, (), 253)})


def _recorded(log: str):
    system = load_any(str(PINK), SdfOptions())
    cdl = (DATA / "pink-file.x86_64.spec.cdl").read_text()
    spec = spec_from_xml((DATA / "pink-file.x86_64.spec.xml").read_text(), cdl, system.file)
    return conform_system_boot(system, spec, parse_boot_log(log, "boot.log"))


def test_the_recorded_program_boot_conforms_to_its_spec_and_the_model():
    report = _recorded((DATA / "pink-file.x86_64.boot.log").read_text())
    assert {r.id: r.status.value for r in report.results} == {
        "BOOT-OBJECTS": "holds", "BOOT-CAPS": "holds", "BOOT-EXTRA": "holds", "BOOT-CONFORM-MAP": "holds",
        "BOOT-CONFORM-AUTHORITY": "holds", "BOOT-CONFORM-CONNECTIONS": "holds"}


def test_a_reply_cap_to_another_thread_in_a_reply_slot_is_extra():
    # A started thread's reply slot holds its own master reply cap (seL4 makes it at restart);
    # fs's holding bob's is nothing the kernel makes: an extra cap.
    log = (DATA / "pink-file.x86_64.boot.log").read_text()
    fs, bob = "reply_slot: 0xffffff8010815c00_reply", "reply_slot: 0xffffff8010815400_reply"
    assert log.count(fs) == 1
    report = _recorded(log.replace(fs, bob))
    extra = next(r for r in report.results if r.id == "BOOT-EXTRA")
    assert [(e.kind, e.data["object"], e.data["slot"]) for e in extra.evidence] == [("extra-cap", "tcb_fs", 2)]


def test_cli_conforms_a_program_boot_against_the_spec_it_was_built_from():
    try:
        parse_capdl_for_conform(None)
    except EnvironmentProblem as err:
        pytest.skip(str(err))
    log, spec = DATA / "pink-file.x86_64.boot.log", DATA / "pink-file.x86_64.spec.cdl"
    result = run_cli("image", "conform", PINK, log, "--spec", spec, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [p["status"] for p in json.loads(result.stdout)["properties"]] == ["holds"] * 6
    # The system's own spec has no program memory: the kernel's mem_C frames are extra and unnamed.
    result = run_cli("image", "conform", PINK, log, "--format", "json")
    failed = {p["id"] for p in json.loads(result.stdout)["properties"] if p["status"] != "holds"}
    assert result.exit_code == 1 and failed == {"BOOT-EXTRA", "BOOT-CONFORM-MAP"}


def test_cli_spec_goes_with_a_system(tmp_path):
    log, spec = DATA / "pink-file.x86_64.boot.log", DATA / "pink-file.x86_64.spec.cdl"
    assert_bad_input(run_cli("image", "conform", spec, log, "--spec", spec), spec, 1, 1, "--spec", "system")
    missing = tmp_path / "spec.cdl"
    assert_bad_input(run_cli("image", "conform", PINK, log, "--spec", missing), missing, 1, 1, "no such file")
