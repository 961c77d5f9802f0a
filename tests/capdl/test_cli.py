"""The capDL commands end to end: emit -> inspect -> conform, output formats and exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smosverify.cli import main

from .conftest import ALL_CONSTRUCTS, EXAMPLES, REPO, SPECS

CAMKES = SPECS.parent / "systems" / "camkes_style"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_emit_inspect_conform(path, tmp_path):
    spec = tmp_path / "emitted.cdl"
    emitted = run("emit", "capdl", path, "-o", spec)
    assert emitted.exit_code == 0, emitted.output
    inspected = run("capdl", "inspect", spec, "--format", "json")
    assert inspected.exit_code == 0, inspected.output
    summary = json.loads(inspected.output)
    assert summary["objects_total"] == sum(summary["objects"].values())
    assert summary["caps_total"] == sum(sum(by_rights.values()) for by_rights in summary["caps"].values())
    assert summary["objects"]["tcb"] == summary["threads"]
    conformed = run("conform", path, spec)
    assert conformed.exit_code == 0, conformed.output


def test_inspect_json_keys_and_counts():
    result = run("capdl", "inspect", ALL_CONSTRUCTS["x86_64"], "--format", "json")
    summary = json.loads(result.output)
    assert {"arch", "objects", "objects_total", "caps_total", "authority"} <= summary.keys()
    assert summary["arch"] == "x86_64" and summary["objects"]["frame"] == 7  # buf[4] counts four
    assert summary["objects_total"] == 40 and summary["caps_total"] == 68
    one = json.loads(run("capdl", "inspect", ALL_CONSTRUCTS["x86_64"], "--format", "json", "--thread", "server_tcb").output)
    edge = next(e for e in one["authority"] if e["object"] == "service")
    assert edge["rights"] == ["grant", "grant_reply", "receive", "send"] and edge["type"] == "ep"


def test_inspect_text_lists_objects_caps_and_authority():
    out = run("capdl", "inspect", ALL_CONSTRUCTS["aarch64"]).output
    assert "arch aarch64" in out and "pgd" in out and "EndpointCap" in out
    assert "  vm_tcb: class " in out
    one = run("capdl", "inspect", ALL_CONSTRUCTS["aarch64"], "--thread", "vm_tcb")
    assert one.exit_code == 0 and "vm_tcb -> fault_ep: grant, grant_reply, receive, send" in one.output


def test_inspect_of_an_unknown_thread_is_a_usage_error():
    result = run("capdl", "inspect", ALL_CONSTRUCTS["aarch64"], "--thread", "nobody")
    assert result.exit_code == 2 and "no thread (TCB) 'nobody'" in result.output


def test_conform_json_and_sarif_have_checks_shape(tmp_path):
    spec = tmp_path / "pink-file.cdl"
    assert run("emit", "capdl", REPO / "examples" / "pink-file" / "system.yaml", "-o", spec).exit_code == 0
    text = spec.read_text().replace("0x1: ep_fs (WP, badge: 1)", "0x1: ep_fs (RWP, badge: 1)")
    mutant = tmp_path / "mutant.cdl"
    mutant.write_text(text)
    as_json = run("conform", REPO / "examples" / "pink-file" / "system.yaml", mutant, "--format", "json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)
    assert report["verdict"] == "violated"
    assert [p["id"] for p in report["properties"]] == ["CONFORM-MAP", "CONFORM-AUTHORITY", "CONFORM-CONNECTIONS"]
    [finding] = report["properties"][1]["evidence"]
    assert finding["kind"] == "extra-authority" and finding["locations"][0]["file"] == str(mutant)
    written = run("conform", REPO / "examples" / "pink-file" / "system.yaml", mutant, "--format", "sarif",
                  "-o", tmp_path / "r.sarif")
    assert written.exit_code == 1 and written.stdout == ""
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["ruleId"] == "CONFORM-AUTHORITY"


def test_conform_with_a_mapping_file():
    result = run("conform", CAMKES / "system.yaml", SPECS / "camkes_style.cdl", "--map", CAMKES / "map.yaml")
    assert result.exit_code == 0, result.output
    assert "1 ignored by the mapping file" in result.output


@pytest.mark.parametrize("args", [
    ("capdl", "inspect", SPECS / "bad" / "truncated.cdl"),
    ("conform", REPO / "examples" / "pink-file" / "system.yaml", SPECS / "bad" / "undefined_object.cdl"),
    ("conform", CAMKES / "system.yaml", SPECS / "camkes_style.cdl", "--map", SPECS / "x86_64_all.cdl"),
])
def test_bad_input_exits_2_with_a_position(args):
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and (".cdl:" in result.output or ".yaml:" in result.output)


@pytest.mark.parametrize("path", sorted((SPECS / "bad").glob("*.cdl")), ids=lambda p: p.stem)
def test_every_bad_spec_exits_2_at_its_position(path):
    where = path.read_text().splitlines()[0].split()[2]  # "-- expect: LINE:COL: ..."
    result = run("capdl", "inspect", path)
    assert result.exit_code == 2 and result.output.startswith(f"error: {path}:{where} ")


def test_emit_refuses_bad_systems(tmp_path):
    bad = tmp_path / "system.yaml"
    bad.write_text("system: x\npolicy: nothere.pol\ncomponents: {}\n")
    result = run("emit", "capdl", bad, "-o", tmp_path / "out")
    assert result.exit_code == 2 and result.output.startswith(f"error: {bad}:3:13:")
