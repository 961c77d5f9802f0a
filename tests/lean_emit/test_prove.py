"""`prove` and `check --lean`: Lean runs only where a toolchain is, and the output says so.

The real build is the `lean`-marked test (skipped without `lake`). The mapping from Lean's
messages to per-theorem verdicts is tested with a stand-in `lake` script that prints what Lean
prints; it proves nothing and is only used for that mapping.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from smosverify.emit.lean import lean_module
from smosverify.lean_runner import find_lake, prove
from smosverify.load.system import load_system

REPO = Path(__file__).resolve().parents[2]
PASSWORD = REPO / "examples" / "password-checker" / "system.yaml"
NO_LAKE = "no Lean toolchain: `lake` is not on PATH"

without_lean = pytest.mark.skipif(find_lake() is not None, reason="describes a machine without a Lean toolchain")


@without_lean
def test_prove_without_toolchain_exits_3_and_says_nothing_was_checked(run_cli):
    result = run_cli("prove", PASSWORD)
    assert result.exit_code == 3
    assert "Lean was NOT run" in result.stdout and "elan" in result.stdout
    assert "proved" not in result.stdout
    lines = {line.split(":")[0].strip() for line in result.stdout.splitlines()[1:]}
    assert lines == {f"P{i} {t}" for i, t in enumerate(
        ["p1_complete_mediation", "p2_tamper_proof", "p3_authority_conformance", "p4_policy_correct",
         "p5_flow_security", "p6_leakage_bounded", "p7_dynamic_safety"], 1)}


@without_lean
def test_prove_json(run_cli):
    report = json.loads(run_cli("prove", PASSWORD, "--format", "json").stdout)
    assert report["lean_ran"] is False
    statuses = {t["property"]: t["status"] for t in report["theorems"]}
    assert statuses["P4"] == statuses["P6"] == "skipped"
    assert set(statuses.values()) <= {"skipped", "not claimed"}


@without_lean
def test_check_lean_on_without_toolchain_exits_3(run_cli):
    result = run_cli("check", PASSWORD, "--lean", "on")
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.startswith("error: --lean on, but " + NO_LAKE)


@without_lean
def test_check_lean_auto_reports_the_step_as_not_run(run_cli):
    result = run_cli("check", PASSWORD, "--format", "json")
    lean = next(p for p in json.loads(result.stdout)["properties"] if p["id"] == "LEAN")
    assert lean["status"] == "skipped" and lean["message"].startswith("not run: " + NO_LAKE)
    assert result.exit_code == 0


@without_lean
def test_check_lean_off(run_cli):
    lean = next(p for p in json.loads(run_cli("check", PASSWORD, "--format", "json", "--lean", "off").stdout)["properties"]
                if p["id"] == "LEAN")
    assert lean["message"].startswith("not run (--lean off)")


def test_emit_lean_cli(run_cli, tmp_path):
    result = run_cli("emit", "lean", PASSWORD, "-o", tmp_path / "PasswordChecker.lean")
    assert result.exit_code == 0 and "Lean was not run" in result.stdout
    assert (tmp_path / "PasswordChecker.lean").exists()


def test_emit_lean_bad_input(run_cli, tmp_path):
    result = run_cli("emit", "lean", tmp_path / "missing.yaml", "-o", tmp_path / "Missing.lean")
    assert result.exit_code == 2 and "Traceback" not in result.output


def _stand_in_lake(tmp_path: Path, output: str, code: int) -> str:
    script = tmp_path / "lake"
    script.write_text(f"#!/bin/sh\ncat <<'OUT'\n{output}\nOUT\nexit {code}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "lakefile.lean").write_text("-- stand-in\n", encoding="utf-8")
    return str(script)


def test_lean_messages_map_to_theorems(tmp_path):
    module = lean_module(load_system(PASSWORD))
    line = next(i for i, text in enumerate(module.text.splitlines(), 1) if text.startswith("theorem p6_"))
    lake = _stand_in_lake(tmp_path, f"error: Instances/PasswordChecker.lean:{line + 1}:2: error: decide failed", 1)
    result = prove(module, tmp_path / "project", lake)
    outcome = {o.property: o for o in result.outcomes}
    assert outcome["P6"].status == "failed" and "decide failed" in outcome["P6"].message
    assert outcome["P4"].status == "proved"
    assert result.failed and (tmp_path / "project" / module.path).read_text(encoding="utf-8") == module.text


def test_a_clean_build_proves_every_claimed_theorem(tmp_path):
    module = lean_module(load_system(PASSWORD))
    result = prove(module, tmp_path / "project", _stand_in_lake(tmp_path, "Build completed successfully.", 0))
    assert {o.property for o in result.outcomes if o.status == "proved"} == {c.property for c in module.claims if c.claimed}


@pytest.mark.lean
@pytest.mark.skipif(shutil.which("lake") is None,
                    reason="no Lean toolchain: `lake` is not on PATH (install elan, then `smosverify prove`)")
def test_lake_proves_the_claimed_theorems():  # pragma: no cover - needs Lean
    module = lean_module(load_system(PASSWORD))
    result = prove(module)
    assert result.ran and not result.failed, result.log[-4000:]
