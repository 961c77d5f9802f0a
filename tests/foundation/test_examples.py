"""Every example loads; the ones whose README says its properties hold exit 0 (the others not applicable); each `fail-*`
example exits 1 and is violated in the property its README names ("... naming P2 ...")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smosverify.load.system import load_system

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ALL = sorted(p.parent for p in EXAMPLES.glob("*/system.yaml"))
# "All properties hold", or "P1–P5 and P7 hold" with the rest not applicable
HOLDING = [d for d in ALL if re.search(r"(All properties|P\d) hold\b", (d / "README.md").read_text(encoding="utf-8"))]
FAILING = [d for d in ALL if d.name.startswith("fail-")]


def readme(example: Path) -> str:
    return (example / "README.md").read_text(encoding="utf-8")


def named_properties(example: Path) -> list[str]:
    """The property ids the README names after the word "naming"."""
    match = re.search(r"naming (.*)", readme(example))
    assert match, f"{example.name}/README.md does not say which property check names"
    return re.findall(r"\bP\d\b", match.group(1))


def test_the_examples_are_there():
    names = {d.name for d in ALL}
    assert {"pink-file", "multi-server"} <= names
    assert {"fail-p1-frames", "fail-p2-grant-path", "fail-p3-connection", "fail-p4-conflict"} <= names
    assert {d.name for d in HOLDING} >= {"pink-file", "multi-server"}


@pytest.mark.parametrize("example", ALL, ids=[d.name for d in ALL])
def test_example_loads(example):
    system = load_system(example / "system.yaml")
    assert system.components and system.policy.files
    assert readme(example).strip().splitlines()[0], "each example has a README line saying what it shows"


@pytest.mark.parametrize("example", HOLDING, ids=[d.name for d in HOLDING])
def test_holding_example_exits_0(example, run_cli):
    result = run_cli("check", example / "system.yaml", "--format", "json")
    report = json.loads(result.stdout)
    violated = [p["id"] for p in report["properties"] if p["status"] not in ("holds", "not_applicable")]
    assert result.exit_code == 0 and not violated, violated
    assert report["verdict"] == "holds"


@pytest.mark.parametrize("example", FAILING, ids=[d.name for d in FAILING])
def test_failing_example_exits_1_naming_its_property(example, run_cli):
    expected = named_properties(example)
    assert expected
    assert expected[0] == example.name.split("-")[1].upper(), "the directory name says the property first named"
    result = run_cli("check", example / "system.yaml")
    assert result.exit_code == 1, result.output
    verdict = result.stdout.splitlines()[0]
    for pid in expected:
        assert pid in verdict, verdict
        assert any(line.startswith(f"{pid} ") and line.endswith(": VIOLATED") for line in result.stdout.splitlines())
    report = json.loads(run_cli("check", example / "system.yaml", "--format", "json").stdout)
    statuses = {p["id"]: p["status"] for p in report["properties"]}
    for pid in expected:
        assert statuses[pid] == "violated", (pid, statuses)
        evidence = next(p for p in report["properties"] if p["id"] == pid)["evidence"]
        assert evidence and all(ev["locations"] for ev in evidence)


def test_grant_path_example_shows_the_chain(run_cli):
    example = EXAMPLES / "fail-p2-grant-path" / "system.yaml"
    report = json.loads(run_cli("check", example, "--format", "json").stdout)
    p2 = next(p for p in report["properties"] if p["id"] == "P2")
    chains = [ev["data"]["chain"] for ev in p2["evidence"]]
    assert any(len(chain) >= 2 and "from the start" in chain[0] for chain in chains)
