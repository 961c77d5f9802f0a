"""Bundles: the round trip verifies, the same inputs give the same bytes, and any tampering with
a file, the manifest or a derived result is found."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from smosverify.bundle import MANIFEST, verify_bundle, write_bundle
from smosverify.lean_runner import find_lean

REPO = Path(__file__).resolve().parents[2]
PINK = REPO / "examples" / "pink-file" / "system.yaml"
LEAK = REPO / "examples" / "parallel-leak" / "system.yaml"


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("made") / "bundle"
    write_bundle(LEAK, out)
    return out


@pytest.fixture
def bundle(made, tmp_path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(made, copy)
    return copy


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def rehash(bundle: Path, path: str) -> None:
    """Make the manifest agree with an edited file, as a careful forger would."""
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == path:
            data = (bundle / path).read_bytes()
            entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    (bundle / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def test_bundle_holds_every_part(made):
    manifest = json.loads((made / MANIFEST).read_text(encoding="utf-8"))
    paths = {f["path"] for f in manifest["files"]}
    assert "report.json" in paths and "capdl/parallel-leak.cdl" in paths
    assert manifest["lean"]["path"] in paths and "lean/SMOS.lean" in paths and "lean/lakefile.lean" in paths
    assert any(p.startswith("inputs/") and p.endswith("system.yaml") for p in paths)
    assert manifest["smt"] and all(q["path"] in paths for q in manifest["smt"])
    assert manifest["tool"]["name"] == "smosverify" and manifest["lean"]["checked_when_bundled"] is False
    assert set(files(made)) == paths | {MANIFEST}
    for f in manifest["files"]:
        assert hashlib.sha256((made / f["path"]).read_bytes()).hexdigest() == f["sha256"]


def test_round_trip_verifies(made):
    result = verify_bundle(made, lean="off")
    assert result.differences == ()


def test_same_inputs_give_identical_bytes(made, tmp_path):
    again = tmp_path / "elsewhere" / "b"
    write_bundle(LEAK, again)
    assert files(again) == files(made)


def test_report_names_files_relative_to_the_bundle(made):
    report = json.loads((made / "report.json").read_text(encoding="utf-8"))
    assert all(f.startswith("inputs/") for f in report["files"])


@pytest.mark.parametrize("path", ["inputs/examples/parallel-leak/policy.pol", "report.json", "capdl/parallel-leak.cdl"])
def test_an_edited_file_is_found(bundle, path):
    target = bundle / path
    target.write_bytes(target.read_bytes() + b"\n# edited\n")
    differences = verify_bundle(bundle, lean="off").differences
    assert differences == (f"{path}: SHA-256 differs from the manifest (the file was changed)",)


def test_an_edited_result_with_a_forged_hash_is_found_by_the_fresh_run(bundle):
    report = json.loads((bundle / "report.json").read_text(encoding="utf-8"))
    report["verdict"] = "holds"
    (bundle / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rehash(bundle, "report.json")
    differences = verify_bundle(bundle, lean="off").differences
    assert len(differences) == 1 and differences[0].startswith("report.json: differs from a fresh run")


def test_a_forged_lean_claim_is_found(bundle):
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    path = bundle / manifest["lean"]["path"]
    text = path.read_text(encoding="utf-8")
    assert "-- P7 not claimed" in text  # parallel-leak: its leak is reachable (P6, P7 violated)
    text = text.replace("-- P7 not claimed", "theorem p7_dynamic_safety : DynamicSafety system :=\n  dynamic_safety_of_check system certificate (by decide +kernel)\n-- was")
    path.write_text(text, encoding="utf-8")
    rehash(bundle, manifest["lean"]["path"])
    assert any(d.startswith(manifest["lean"]["path"]) for d in verify_bundle(bundle, lean="off").differences)


def test_a_changed_expected_smt_answer_is_found(bundle):
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    manifest["smt"][0]["expected"] = "unsat" if manifest["smt"][0]["expected"] == "sat" else "sat"
    (bundle / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    differences = verify_bundle(bundle, lean="off").differences
    assert "manifest `smt` differs from a fresh run" in differences
    assert any("Z3 answers" in d for d in differences)


def test_missing_and_unlisted_files_are_found(bundle):
    (bundle / "capdl" / "parallel-leak.cdl").unlink()
    (bundle / "extra.txt").write_text("hello", encoding="utf-8")
    differences = verify_bundle(bundle, lean="off").differences
    assert "missing file capdl/parallel-leak.cdl" in differences
    assert "extra.txt: not listed in the manifest" in differences


def test_cli_round_trip_and_tamper(run_cli, tmp_path):
    out = tmp_path / "b"
    made = run_cli("bundle", PINK, "-o", out)
    assert made.exit_code == 0 and "Lean was not run" in made.stdout
    ok = run_cli("verify-bundle", out, "--lean", "off")
    assert ok.exit_code == 0 and "bundle verified" in ok.stdout and "NOT re-checked" in ok.stdout
    policy = next(out.rglob("pink.pol"))
    policy.write_text(policy.read_text(encoding="utf-8").replace("bob_t public_file_t", "bob_t secret_file_t"), encoding="utf-8")
    bad = run_cli("verify-bundle", out)
    assert bad.exit_code == 1 and "DIFFERS: inputs/examples/pink-file/pink.pol" in bad.stdout


def test_bad_bundle_input(run_cli, tmp_path):
    not_empty = tmp_path / "full"
    not_empty.mkdir()
    (not_empty / "x").write_text("x", encoding="utf-8")
    result = run_cli("bundle", PINK, "-o", not_empty)
    assert result.exit_code == 2 and "not empty" in result.stderr
    result = run_cli("verify-bundle", tmp_path / "nothing")
    assert result.exit_code == 2 and "is not a bundle" in result.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / MANIFEST).write_text('{"format": "smosverify-bundle/1",\n "files": [}', encoding="utf-8")
    result = run_cli("verify-bundle", broken)
    assert result.exit_code == 2 and f"{broken / MANIFEST}:2:" in result.stderr


@pytest.mark.skipif(find_lean() is not None, reason="describes a machine without a Lean toolchain")
def test_verify_lean_on_without_toolchain_exits_3(run_cli, made):
    result = run_cli("verify-bundle", made, "--lean", "on")
    assert result.exit_code == 3 and "no Lean toolchain" in result.stderr


@pytest.mark.lean
def test_verify_runs_lake_on_the_bundled_instance(made, lean):  # pragma: no cover - needs Lean
    result = verify_bundle(made, lean="on")
    assert result.differences == () and result.lean is not None and not result.lean.failed


def test_a_bundle_whose_lean_run_did_not_finish_is_not_verified(run_cli, monkeypatch, tmp_path):
    """A Lean run stopped (time, memory) or dead of its own limits re-checked no theorem."""
    from smosverify.bundle import Verification
    from smosverify.cli import bundle as bundle_cli
    from smosverify.lean_runner import ProveResult, TheoremOutcome
    lean = ProveResult("PinkFile", None, (TheoremOutcome("P1", "p1_complete_mediation", "stopped", "not checked: std::bad_alloc"),))
    monkeypatch.setattr(bundle_cli, "verify_bundle", lambda directory, lean_mode: Verification((), (), lean))
    result = run_cli("verify-bundle", tmp_path)
    assert result.exit_code == 1 and "NOT verified" in result.stdout and "bundle verified" not in result.stdout
