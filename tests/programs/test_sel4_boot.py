"""The generated programs built into the capDL image, booted in QEMU and checked (marked sel4:
needs SMOSVERIFY_SEL4, the toolchain and QEMU). pink-file as generated must decide as pink.pol
says and print exactly the recorded log's lines (one client runs at a time, so the order is
fixed); each mutation is built and booted, and conform --behaviour must report it with the
findings seL4's semantics and pink.pol give, worked out below before running."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from smosverify.image.behaviour import conform_behaviour, parse_behaviour_log, read_behaviour_log
from smosverify.image.boot import boot_image
from smosverify.image.program_image import build_program_image
from smosverify.image.programs import Program, generate_programs
from smosverify.image.targets import TARGETS
from smosverify.image.workspace import ENV_VAR, find_workspace
from smosverify.load.any import SdfOptions, load_any
from smosverify.model.system import System

pytestmark = [pytest.mark.sel4,
              pytest.mark.skipif(not os.environ.get(ENV_VAR), reason=f"no seL4 workspace: set {ENV_VAR}")]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PINK = EXAMPLES / "pink-file" / "system.yaml"
RECORDED = Path(__file__).parent / "data" / "pink-file.x86_64.boot.log"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One build folder for the module: cold the first time, then only the programs change."""
    missing = [t for t, _ in TARGETS["x86_64"].build_tools if shutil.which(t) is None]
    missing += [] if shutil.which(TARGETS["x86_64"].qemu) else [TARGETS["x86_64"].qemu]
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (run .ci/install-sel4-deps)")
    return tmp_path_factory.mktemp("programs-boot")


def _pink(arch: str = "x86_64") -> System:
    return replace(load_any(str(PINK), SdfOptions()), arch=arch)


def _boot(folder: Path, system: System, programs: tuple[Program, ...], checked: System | None = None):
    """Build `system` (the kernel's caps) with `programs`, boot it, check the log against `checked`
    (the model; by default `system`): findings (kind, message) per BEHAVIOUR-* result, and the log."""
    build_program_image(system, find_workspace(None), folder, programs)
    log = folder / "boot.log"
    boot_image(folder, log, timeout=60)
    report = conform_behaviour(checked or system, read_behaviour_log(log))
    return {r.id: [(e.kind, e.message) for e in r.evidence] for r in report.results}, log.read_text()


def _edited(programs: tuple[Program, ...], component: str, old: str, new: str) -> tuple[Program, ...]:
    """`programs` with `old` replaced by `new` (exactly once) in `component`'s C."""
    out = []
    for program in programs:
        if program.component == component:
            assert program.text.count(old) == 1, old
            program = replace(program, text=program.text.replace(old, new))
        out.append(program)
    return tuple(out)


def _smos_lines(text: str) -> list[str]:
    return [line.rstrip("\r") for line in text.splitlines() if line.startswith("smos ")]


def test_pink_file_runs_as_its_policy_says(folder):
    system = _pink()
    found, log = _boot(folder, system, generate_programs(system))
    assert found == {"BEHAVIOUR-DECISIONS": [], "BEHAVIOUR-MEDIATION": [], "BEHAVIOUR-OUTCOMES": []}
    assert _smos_lines(log) == _smos_lines(RECORDED.read_text())
    assert len(parse_behaviour_log(log).calls) == 24  # 2 clients x 2 files x 6 operations


def test_a_flipped_decision_table_entry_is_caught(folder):
    # pink.pol: no allow rule covers bob_t secret_file_t : file read (and a neverallow forbids it).
    # The policy server's table says permit: it decides permit, fs performs the read, bob succeeds.
    system = _pink()
    programs = _edited(generate_programs(system), "auth", "SMOS_DENY }, /* bob_t secret_file_t : file read */",
                       "SMOS_PERMIT }, /* bob_t secret_file_t : file read */")
    found, _ = _boot(folder, system, programs)
    assert [k for k, _ in found["BEHAVIOUR-DECISIONS"]] == ["decision-differs"]
    assert "bob's read of pink_file at fs: the policy server decided permit" in found["BEHAVIOUR-DECISIONS"][0][1]
    assert found["BEHAVIOUR-MEDIATION"] == []
    assert [k for k, _ in found["BEHAVIOUR-OUTCOMES"]] == ["forbidden-succeeded"]


def test_a_stub_that_skips_the_call_is_caught(folder):
    # fs performs every operation without asking: no auth line for any of the 24 calls, and the
    # 12 the policy forbids succeed (alice: write and append of both files; bob: all 6 operations
    # of pink_file, write and append of readme), each with a permit the policy does not give.
    system = _pink()
    programs = _edited(generate_programs(system), "fs", "*decision = smos_auth(subject_of(badge), object, op, client, "
                       "sequence);", "*decision = SMOS_PERMIT;")
    found, _ = _boot(folder, system, programs)
    assert [k for k, _ in found["BEHAVIOUR-MEDIATION"]] == ["not-asked"] * 24
    assert [k for k, _ in found["BEHAVIOUR-DECISIONS"]] == ["decision-differs"] * 12
    assert [k for k, _ in found["BEHAVIOUR-OUTCOMES"]] == ["forbidden-succeeded"] * 12


def test_a_client_given_a_cap_outside_the_model_is_caught(folder):
    # The model: carol (bob_t) has no connection. The kernel gives her a cap to fs with badge 9,
    # which fs's table (from the model) does not know: fs asks about the unknown subject, the policy
    # server denies all 12 calls. Her 4 calls the policy permits bob_t (open, read, getattr, close of
    # readme) are wrongly denied; every call goes over a connection the model does not give.
    checked = replace(_pink(), components={**_pink().components,
                                           "carol": replace(_pink().components["bob"], name="carol")})
    extra = replace(checked.connections[1], client="carol", badge=9)
    kernel = replace(checked, connections=checked.connections + (extra,))
    fs = next(p for p in generate_programs(checked) if p.component == "fs")
    programs = tuple(fs if p.component == "fs" else p for p in generate_programs(kernel))
    found, _ = _boot(folder, kernel, programs, checked)
    assert [k for k, _ in found["BEHAVIOUR-OUTCOMES"]] == ["call-outside-model"] * 12
    assert [k for k, _ in found["BEHAVIOUR-MEDIATION"]] == ["wrong-subject"] * 12
    assert [k for k, _ in found["BEHAVIOUR-DECISIONS"]] == ["decision-differs"] * 4


def test_multi_server_runs_as_its_policy_says(folder):
    # Four object servers, one policy server, three clients each calling several servers; the
    # servers also hold connections among themselves (not exercised). Emitted for x86_64.
    system = replace(load_any(str(EXAMPLES / "multi-server" / "system.yaml"), SdfOptions()), arch="x86_64")
    found, log = _boot(folder, system, generate_programs(system))
    assert found == {"BEHAVIOUR-DECISIONS": [], "BEHAVIOUR-MEDIATION": [], "BEHAVIOUR-OUTCOMES": []}
    assert {line.client for line in parse_behaviour_log(log).dones} == {"alice", "root_shell", "visitor"}


@pytest.mark.skipif(os.environ.get("SMOSVERIFY_TEST_AARCH64") != "1",
                    reason="AArch64 adds a second cold build (~70 s on an idle machine); set SMOSVERIFY_TEST_AARCH64=1")
def test_pink_file_runs_on_aarch64(tmp_path_factory):
    if not all(shutil.which(t) for t, _ in TARGETS["aarch64"].build_tools) or not shutil.which("qemu-system-aarch64"):
        pytest.skip("missing the AArch64 toolchain or QEMU (run .ci/install-sel4-deps)")
    system = _pink("aarch64")
    found, log = _boot(tmp_path_factory.mktemp("programs-aarch64"), system, generate_programs(system))
    assert found == {"BEHAVIOUR-DECISIONS": [], "BEHAVIOUR-MEDIATION": [], "BEHAVIOUR-OUTCOMES": []}
    assert _smos_lines(log) == _smos_lines(RECORDED.read_text())
