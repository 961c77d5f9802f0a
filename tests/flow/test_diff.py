"""`smosverify diff OLD NEW` (smosverify/analyses/policy/diff.py, smosverify/cli/diff.py): what
counts as wider, grouping, flow-policy and system changes, formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smosverify.analyses.policy.diff import diff_policies
from smosverify.load.policy import load_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = """\
class file { open read write close }
sid a_t, b_t, c_t, f_t, g_t;
attribute users = { a_t b_t };
lattice { low < high; side }
label { a_t f_t } : low;
label { b_t g_t } : high;
allow users f_t : file { open read };
budget high -> low <= 8 bits;
"""


def diff_of(tmp_path: Path, new_text: str, old_text: str = BASE):
    (tmp_path / "old.pol").write_text(old_text)
    (tmp_path / "new.pol").write_text(new_text)
    return diff_policies(load_policy([(tmp_path / "old.pol", None)]), load_policy([(tmp_path / "new.pol", None)]))


def test_identical_policies_differ_in_nothing(tmp_path):
    d = diff_of(tmp_path, BASE)
    assert not d.decisions and not d.changes and not d.wider and d.z3_wider == "unsat"


def test_a_new_allow_is_wider_and_grouped_by_object_class_and_operations(tmp_path):
    d = diff_of(tmp_path, BASE + "allow { users c_t } g_t : file { read write };\n")
    assert d.wider and d.newly_permitted == 6 and d.z3_wider == "sat" and d.z3_agrees
    (group,) = d.decisions
    assert (group.subjects, group.obj, group.cls, group.ops, group.permitted) == (("a_t", "b_t", "c_t"), "g_t", "file", ("read", "write"), True)
    assert "allow { users c_t } g_t : file { read write };" in group.because and "new.pol:9:1" in group.because


def test_a_deny_narrows_and_is_named_as_the_reason(tmp_path):
    d = diff_of(tmp_path, BASE + "deny b_t f_t : file read;\n")
    assert not d.wider and d.newly_denied == 1 and d.z3_wider == "unsat"
    assert d.decisions[0].because.startswith("denied by `deny b_t f_t : file read;`")


def test_a_removed_allow_narrows(tmp_path):
    d = diff_of(tmp_path, BASE.replace("allow users f_t : file { open read };\n", "allow a_t f_t : file open;\n"))
    assert not d.wider and d.newly_denied == 3
    assert {g.because for g in d.decisions} == {"no allow rule covers it any more"}


@pytest.mark.parametrize("edit, area, wider", [
    ("flow high -> low;\n", "flow-policy", True),
    ("trusted b_t for high -> low;\n", "trust", True),
    ("", "budget", True),  # the budget removed
    ("budget high -> low <= 4 bits;\n", "budget", False),
    ("budget high -> low <= 9 bits;\n", "budget", True),
    ("capacity endpoint 10 bits;\n", "capacity", False),
])
def test_flow_policy_changes(tmp_path, edit, area, wider):
    new = BASE.replace("budget high -> low <= 8 bits;\n", "budget high -> low <= 8 bits;\n" if area not in ("budget",) else "") + edit
    d = diff_of(tmp_path, new)
    changes = [c for c in d.changes if c.area == area]
    assert changes and changes[0].wider == wider and d.wider == wider


def test_the_lattice_order_change_is_transitive(tmp_path):
    d = diff_of(tmp_path, BASE.replace("lattice { low < high; side }", "lattice { low < high < side }"))
    added = {c.text for c in d.changes if c.area == "flow-policy"}
    assert added == {"high -> side now allowed", "low -> side now allowed"}


def test_relabelling_a_sid_changes_which_sids_may_flow_where(tmp_path):
    d = diff_of(tmp_path, BASE.replace("label { b_t g_t } : high;", "label b_t : high;\nlabel g_t : low;"))
    relabels = [c for c in d.changes if c.area == "relabel"]
    assert any(c.wider and c.text.startswith("flows g_t -> a_t, f_t now allowed") for c in relabels)
    assert any(not c.wider and "b_t -> g_t" in c.text and "no longer" in c.text for c in relabels)


def test_cli_policy_files_text_and_json(tmp_path, run_cli):
    (tmp_path / "old.pol").write_text(BASE)
    (tmp_path / "new.pol").write_text(BASE + "allow c_t f_t : file open;\n")
    result = run_cli("diff", tmp_path / "old.pol", tmp_path / "new.pol")
    assert result.exit_code == 1
    assert "Decisions newly permitted (1 request(s)):" in result.stdout and "+ c_t -> f_t : file { open }" in result.stdout
    assert "NEW is wider than OLD" in result.stdout
    data = json.loads(run_cli("diff", tmp_path / "old.pol", tmp_path / "new.pol", "--format", "json").stdout)
    assert data["wider"] is True and data["kind"] == "policy" and data["z3"] == {"wider": "sat", "agrees": True}
    assert data["decisions"] == [{"change": "permitted", "subjects": ["c_t"], "object": "f_t", "class": "file",
                                  "operations": ["open"], "because": data["decisions"][0]["because"]}]
    back = run_cli("diff", tmp_path / "new.pol", tmp_path / "old.pol")
    assert back.exit_code == 0 and "Decisions newly denied" in back.stdout


def test_cli_systems_show_flow_and_leakage_changes(run_cli):
    result = run_cli("diff", EXAMPLES / "diff" / "v1.yaml", EXAMPLES / "diff" / "v2.yaml", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["kind"] == "system"
    areas = {c["area"]: c for c in data["changes"]}
    assert areas["P5"]["wider"] and "internal reaches public at visitor" in areas["P5"]["change"]
    assert areas["P6"]["change"].startswith("max flow internal -> public: 38400 -> 46080")
    assert areas["budget"]["change"] == "budget internal -> public: 38400 -> 46080 bits (looser)"
    permitted = {(tuple(g["subjects"]), g["object"], tuple(g["operations"])) for g in data["decisions"] if g["change"] == "permitted"}
    assert permitted == {(("guest_t",), "log_file_t", ("append",)), (("guest_t",), "proc_t", ("getattr",))}


@pytest.mark.parametrize("old, new, message", [
    ("examples/diff/v1.yaml", "examples/diff/v1.pol", "cannot compare a system file with a policy file"),
    ("examples/diff/README.md", "examples/diff/v1.pol", "expected a system file (.yaml, .yml, or a Microkit SDF .system, .xml) or a policy file (.pol)"),
    ("examples/diff/v1.pol", "examples/diff/missing.pol", "no such file"),
])
def test_cli_bad_input_exits_2(run_cli, old, new, message):
    repo = EXAMPLES.parent
    result = run_cli("diff", repo / old, repo / new)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_cli_a_syntax_error_points_at_its_place(tmp_path, run_cli):
    (tmp_path / "old.pol").write_text(BASE)
    (tmp_path / "new.pol").write_text(BASE + "allow a_t : file read;\n")
    result = run_cli("diff", tmp_path / "old.pol", tmp_path / "new.pol")
    assert result.exit_code == 2 and f"{tmp_path / 'new.pol'}:9:" in result.stderr
