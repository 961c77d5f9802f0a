"""The flow examples through `smosverify check --format json`: what each README says it shows."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def check(run_cli, path: Path) -> tuple[int, dict]:
    result = run_cli("check", path, "--format", "json", "--lean", "off")
    report = json.loads(result.stdout)
    return result.exit_code, {p["id"]: p for p in report["properties"]}


def test_password_checker_holds_naming_its_trust_and_cut(run_cli):
    code, props = check(run_cli, EXAMPLES / "password-checker" / "system.yaml")
    assert code == 0
    assert props["P5"]["status"] == "holds" and props["P5"]["evidence"][0]["data"]["component"] == "checker"
    assert props["P6"]["status"] == "holds" and props["P6"]["evidence"][0]["data"]["max_flow"] == 1


def test_parallel_leak_fails_only_its_budget(run_cli):
    code, props = check(run_cli, EXAMPLES / "parallel-leak" / "system.yaml")
    assert code == 1
    assert [p for p in ("P1", "P2", "P3", "P4", "P5", "P6") if props[p]["status"] == "violated"] == ["P6"]
    assert props["P6"]["evidence"][0]["data"]["max_flow"] == 2


def test_transitive_flow_is_a_three_hop_path_through_an_object_and_shared_memory(run_cli):
    code, props = check(run_cli, EXAMPLES / "transitive-flow" / "system.yaml")
    assert code == 1 and props["P5"]["status"] == "violated"
    (ev,) = props["P5"]["evidence"]
    hops = ev["data"]["path"]
    assert [h.split(":")[0] for h in hops] == ["hr_app -> fs.q3_report", "fs.q3_report -> publisher", "publisher -> web_buffer"]
    assert "[object," in hops[0] and "[memory," in hops[2]
    assert all(loc["file"].endswith((".yaml", ".pol")) for loc in ev["locations"])
    assert [p for p in ("P1", "P2", "P3", "P4") if props[p]["status"] != "holds"] == []


def test_pink_file_and_diff_v1_hold_with_p5_relying_on_trusted_servers(run_cli):
    code, props = check(run_cli, EXAMPLES / "pink-file" / "system.yaml")
    assert code == 0 and props["P5"]["status"] == "holds"
    assert [e["data"]["component"] for e in props["P5"]["evidence"]] == ["fs"]
    code, props = check(run_cli, EXAMPLES / "diff" / "v1.yaml")
    assert code == 0 and props["P6"]["status"] == "holds"
    code, props = check(run_cli, EXAMPLES / "diff" / "v2.yaml")
    assert code == 1 and props["P5"]["status"] == "violated" and props["P6"]["status"] == "holds"


def test_the_text_report_prints_each_hop(run_cli):
    result = run_cli("check", EXAMPLES / "transitive-flow" / "system.yaml", "--lean", "off")
    lines = result.stdout.splitlines()
    start = lines.index("P5 information-flow security: VIOLATED")
    assert any(line.strip().startswith("3. publisher -> web_buffer") for line in lines[start:])
