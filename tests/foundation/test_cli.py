"""`smosverify check` and `doctor`: exit codes, the JSON and SARIF shapes, -o, and doctor's lines.

Other properties (P5-P7) are added by other modules: tests look properties up by id and never
assume how many there are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smosverify.properties import CATALOGUE

REPO = Path(__file__).resolve().parents[2]
PINK = REPO / "examples" / "pink-file" / "system.yaml"
STATUSES = {"holds", "violated", "unknown", "skipped", "not_applicable"}

# bob may also read the secret file's frames directly (P1, P3), and the policy has a dead allow (P4)
BYPASS_CAP = ("  bob: {sid: bob_t, role: client}", "  bob: {sid: bob_t, role: client, caps: [{to: fs.frames, rights: [read]}]}")
DEAD_ALLOW = "allow bob_t public_t : file write;\ndeny bob_t public_t : file write;\n"


@pytest.fixture
def violating(tmp_path, write_system, small_yaml, small_policy, monkeypatch):
    """The small system with P1, P3 and P4 violated, in tmp_path, which is also the cwd."""
    monkeypatch.chdir(tmp_path)
    return write_system(tmp_path, small_yaml.replace(*BYPASS_CAP), small_policy + DEAD_ALLOW)


def by_id(properties: list[dict]) -> dict[str, dict]:
    ids = [p["id"] for p in properties]
    assert len(ids) == len(set(ids)), ids
    return {p["id"]: p for p in properties}


def line_of(path: Path, start: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(start))


# -- exit codes --------------------------------------------------------------------------------

def test_exit_0_when_everything_holds(run_cli):
    result = run_cli("check", PINK)
    assert result.exit_code == 0, result.output
    assert "P1, P2, P3, P4, P5, P7 hold; not applicable: P6" in result.stdout and result.stderr == ""


def test_exit_1_when_a_property_is_violated(run_cli, violating):
    result = run_cli("check", violating)
    assert result.exit_code == 1
    assert result.stderr == ""
    first = result.stdout.splitlines()[0]
    assert first.startswith("small: VIOLATED (") and all(p in first for p in ("P1", "P3", "P4"))


def test_exit_2_on_bad_input(run_cli, tmp_path, write_system, small_yaml, small_policy):
    path = write_system(tmp_path, small_yaml.replace("role: client", "role: clinet", 1), small_policy)
    result = run_cli("check", path)
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.startswith(f"error: {path}:")


def test_exit_2_on_a_usage_error(run_cli):
    result = run_cli("check", PINK, "--format", "xml")
    assert result.exit_code == 2 and "'xml' is not one of" in result.stderr


def test_real_entry_point_exit_codes(run_cli_process, violating):
    """The installed console entry point, not only click's test runner."""
    assert run_cli_process("check", PINK).exit_code == 0
    assert run_cli_process("check", violating, "--format", "json").exit_code == 1
    bad = run_cli_process("check", violating.parent / "missing.yaml")
    assert bad.exit_code == 2 and "Traceback" not in bad.stderr


# -- text ------------------------------------------------------------------------------------

def test_text_report(run_cli, violating):
    out = run_cli("check", violating).stdout
    assert "P2 tamper-proofness: holds" in out
    assert "P1 complete mediation: VIOLATED" in out
    assert "bob can obtain read on fs.frames, bypassing fs" in out
    assert f"at {violating}:{line_of(violating, '  bob:')}:3" in out
    assert "1. bob holds read on fs.frames from the start" in out  # the chain, numbered


# -- JSON --------------------------------------------------------------------------------------

def test_json_shape(run_cli, violating):
    result = run_cli("check", violating, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["verdict"] == "violated"
    assert report["system"] == "small"
    assert report["files"][0] == str(violating) and report["files"][1].endswith("policy.pol")
    props = by_id(report["properties"])
    assert {"P1", "P2", "P3", "P4"} <= set(props)
    for p in report["properties"]:
        assert set(p) >= {"id", "status", "message", "evidence"}
        assert p["status"] in STATUSES and isinstance(p["message"], str)
        for ev in p["evidence"]:
            assert set(ev) >= {"kind", "message", "locations"}
            for loc in ev["locations"]:
                assert {"file", "line", "col"} <= set(loc) and loc["line"] >= 1 and loc["col"] >= 1
    assert [props[i]["status"] for i in ("P1", "P2", "P3", "P4")] == ["violated", "holds", "violated", "violated"]
    assert props["P2"]["evidence"] == []


def test_json_evidence_points_into_the_yaml_and_the_policy(run_cli, violating):
    props = by_id(json.loads(run_cli("check", violating, "--format", "json").stdout)["properties"])
    (p1,) = props["P1"]["evidence"]
    assert p1["kind"] == "backing-resource-reachable"
    assert p1["locations"][0] == {**p1["locations"][0], "file": str(violating), "line": line_of(violating, "  bob:"), "col": 3}
    assert p1["data"]["chain"] and p1["data"]["holder"] == "bob"
    (p4,) = props["P4"]["evidence"]
    policy = violating.parent / "policy.pol"
    assert p4["kind"] == "allow-deny-conflict"
    assert [(loc["file"], loc["line"]) for loc in p4["locations"]] == [
        (str(policy), line_of(policy, "allow bob_t public_t")), (str(policy), line_of(policy, "deny bob_t"))]


def test_json_when_everything_holds(run_cli):
    report = json.loads(run_cli("check", PINK, "--format", "json").stdout)
    assert report["verdict"] == "holds"
    props = by_id(report["properties"])
    assert all(props[i]["status"] == "holds" for i in ("P1", "P2", "P3", "P4"))


def test_json_is_deterministic(run_cli, violating):
    assert run_cli("check", violating, "--format", "json").stdout == run_cli("check", violating, "--format", "json").stdout


# -- SARIF -------------------------------------------------------------------------------------

def test_sarif_structure(run_cli, violating):
    result = run_cli("check", violating, "--format", "sarif")
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and {"P1", "P2", "P3", "P4"} <= set(ids)  # one rule per property
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        if rule["id"] in CATALOGUE:
            assert rule["fullDescription"]["text"] == CATALOGUE[rule["id"]].definition
    assert {a["location"]["uri"] for a in run["artifacts"]} >= {"system.yaml", "policy.pol"}
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"P1", "P3", "P4"}
    assert "P2" not in {r["ruleId"] for r in results}  # holding properties have no results
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] in ("error", "warning") and r["message"]["text"]


def test_sarif_locations_point_into_the_yaml_and_the_policy(run_cli, violating):
    run = json.loads(run_cli("check", violating, "--format", "sarif").stdout)["runs"][0]

    def region(result):
        (loc,) = result["locations"]
        physical = loc["physicalLocation"]
        return physical["artifactLocation"]["uri"], physical["region"]["startLine"], physical["region"]["startColumn"]

    by_rule = {}
    for r in run["results"]:
        by_rule.setdefault(r["ruleId"], []).append(r)
    policy = violating.parent / "policy.pol"
    assert region(by_rule["P1"][0]) == ("system.yaml", line_of(violating, "  bob:"), 3)
    assert region(by_rule["P4"][0]) == ("policy.pol", line_of(policy, "allow bob_t public_t"), 1)
    related = by_rule["P4"][0]["relatedLocations"]
    assert related[0]["physicalLocation"]["region"]["startLine"] == line_of(policy, "deny bob_t")
    assert by_rule["P1"][0]["properties"]["kind"] == "backing-resource-reachable"
    for results in by_rule.values():
        for r in results:
            uri, line, _ = region(r)
            assert line <= len((violating.parent / uri).read_text().splitlines())


def test_sarif_uris_are_relative_to_the_working_directory(run_cli, violating, monkeypatch):
    monkeypatch.chdir(violating.parent.parent)
    run = json.loads(run_cli("check", violating, "--format", "sarif").stdout)["runs"][0]
    assert {a["location"]["uri"] for a in run["artifacts"]} >= {f"{violating.parent.name}/system.yaml"}


# -- -o FILE -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_output_file(run_cli, violating, fmt):
    expected = run_cli("check", violating, "--format", fmt).stdout
    out = violating.parent / f"report.{fmt}"
    result = run_cli("check", violating, "--format", fmt, "-o", out)
    assert result.exit_code == 1 and result.stdout == "" and result.stderr == f"wrote the report to {out}\n"
    assert out.read_text(encoding="utf-8") == expected


def test_output_file_when_holding(run_cli, tmp_path):
    out = tmp_path / "report.json"
    assert run_cli("check", PINK, "--format", "json", "--output", out).exit_code == 0
    assert json.loads(out.read_text())["verdict"] == "holds"


def test_output_into_a_missing_directory_is_bad_input(run_cli, tmp_path):
    """Found as a FileNotFoundError traceback with exit 1 (which means "violated")."""
    result = run_cli("check", PINK, "-o", tmp_path / "no" / "such" / "report.json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: cannot write the report to") and "No such file or directory" in line


def test_output_onto_a_directory_is_refused(run_cli, tmp_path):
    result = run_cli("check", PINK, "-o", tmp_path)
    assert result.exit_code == 2 and "is a directory" in result.stderr


def test_bad_input_writes_no_report(run_cli, tmp_path):
    out = tmp_path / "report.json"
    assert run_cli("check", tmp_path / "missing.yaml", "-o", out).exit_code == 2
    assert not out.exists()


# -- doctor and the group ------------------------------------------------------------------------

def test_doctor(run_cli):
    result = run_cli("doctor")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split(None, 1)[1] for line in result.stdout.splitlines() if line.strip() and not line.startswith("Lean proofs")}
    for tool in ("python", "z3", "lean", "lake"):
        assert tool in rows, result.stdout
    import platform

    import z3

    assert rows["python"].startswith(platform.python_version())
    assert rows["z3"] == z3.get_version_string()
    for tool in ("lean", "lake"):
        assert rows[tool] == "not found" or "(" in rows[tool]  # a version and its path
    from smosverify.lean_toolchain import find_lean

    lean = find_lean()
    said = next(line for line in result.stdout.splitlines() if line.startswith("Lean proofs: "))
    if lean is None:
        assert "no Lean found" in said and "smosverify lean install" in said and "elan" in said
    else:
        assert said.startswith(f"Lean proofs: {lean.short}, run as ")


def test_version_and_help(run_cli):
    from smosverify import __version__

    assert __version__ in run_cli("--version").stdout
    assert "check" in run_cli("--help").stdout and "doctor" in run_cli("--help").stdout
    assert "--format" in run_cli("check", "--help").stdout
