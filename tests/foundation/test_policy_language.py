"""The policy language: each statement kind loads into the expected model, names may be used
before they are declared, and imports resolve relative to the importing file, each file once."""

from __future__ import annotations

from pathlib import Path

import pytest

from smosverify.load.policy import load_policy
from smosverify.model.policy import RuleKind

HEADER = """\
class file { open read write close }
class socket { send recv }
sid a_t, b_t, c_t, f_t, g_t;
"""
ALL = {"a_t", "b_t", "c_t", "f_t", "g_t"}


def load(tmp_path: Path, text: str, **others: str):
    """Write policy.pol (and other files, `sub__x_pol` → sub/x.pol) and load it."""
    for name, content in others.items():
        path = tmp_path / name.replace("__", "/").replace("_pol", ".pol")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    root = tmp_path / "policy.pol"
    root.write_text(text, encoding="utf-8")
    return load_policy([(root, None)])


def only_rule(policy):
    (rule,) = policy.rules
    return rule


def test_sids_and_their_spans(tmp_path):
    policy = load(tmp_path, HEADER)
    assert set(policy.sids) == ALL
    span = policy.sids["c_t"].span
    assert (span.line, span.col) == (3, 15) and span.file.endswith("policy.pol")


def test_attribute_expands_in_rules(tmp_path):
    policy = load(tmp_path, HEADER + "attribute users = { a_t b_t };\nallow users f_t : file read;\n")
    assert policy.attributes["users"].members == {"a_t", "b_t"}
    rule = only_rule(policy)
    assert rule.kind is RuleKind.ALLOW
    assert rule.subjects == {"a_t", "b_t"} and rule.objects == {"f_t"}
    assert rule.permissions == {("file", "read")}
    assert not rule.self_target


def test_attribute_of_attributes(tmp_path):
    policy = load(tmp_path, HEADER + "attribute users = { a_t b_t };\nattribute everyone = { users c_t };\n")
    assert policy.attributes["everyone"].members == {"a_t", "b_t", "c_t"}


@pytest.mark.parametrize("subjects, expected", [
    ("*", ALL),
    ("~a_t", ALL - {"a_t"}),
    ("~~a_t", {"a_t"}),
    ("~users", ALL - {"a_t", "b_t"}),
    ("~{ a_t f_t }", {"b_t", "c_t", "g_t"}),
    ("{ users -b_t }", {"a_t"}),
    ("{ users c_t -a_t }", {"b_t", "c_t"}),
    ("{ -a_t users }", {"b_t"}),  # exclusions win wherever they are written
    ("{ a_t }", {"a_t"}),
])
def test_sid_sets(tmp_path, subjects, expected):
    policy = load(tmp_path, HEADER + f"attribute users = {{ a_t b_t }};\nallow {subjects} f_t : file read;\n")
    assert only_rule(policy).subjects == expected


def test_sets_on_the_object_side(tmp_path):
    rule = only_rule(load(tmp_path, HEADER + "allow a_t ~{ a_t b_t } : file read;\n"))
    assert rule.objects == {"c_t", "f_t", "g_t"}


def test_self(tmp_path):
    rule = only_rule(load(tmp_path, HEADER + "allow { a_t b_t } self : socket send;\n"))
    assert rule.self_target and rule.objects == frozenset()
    assert rule.covers("a_t", "a_t", "socket", "send")
    assert rule.covers("b_t", "b_t", "socket", "send")
    assert not rule.covers("a_t", "b_t", "socket", "send")
    assert not rule.covers("c_t", "c_t", "socket", "send")


def test_class_sets_and_all_operations(tmp_path):
    rule = only_rule(load(tmp_path, HEADER + "allow a_t f_t : { file socket } *;\n"))
    assert rule.permissions == {("file", op) for op in ("open", "read", "write", "close")} | {
        ("socket", "send"), ("socket", "recv")}


def test_operation_sets(tmp_path):
    rule = only_rule(load(tmp_path, HEADER + "allow a_t f_t : file { open read };\n"))
    assert rule.permissions == {("file", "open"), ("file", "read")}


def test_kernel_classes_are_built_in(tmp_path):
    policy = load(tmp_path, HEADER + "allow a_t b_t : endpoint { send grant_reply };\nallow a_t b_t : memory *;\n")
    assert policy.rules[0].permissions == {("endpoint", "send"), ("endpoint", "grant_reply")}
    assert policy.rules[1].permissions == {("memory", "read"), ("memory", "write"), ("memory", "execute")}
    assert {"tcb", "cnode", "vspace", "memory", "endpoint", "notification"} <= set(policy.classes)
    assert policy.classes["cnode"].builtin and not policy.classes["file"].builtin


def test_rule_kinds_and_decisions(tmp_path):
    policy = load(tmp_path, HEADER + """\
allow { a_t b_t } f_t : file *;
deny b_t f_t : file write;
neverallow c_t f_t : file *;
""")
    assert [r.kind for r in policy.rules] == [RuleKind.ALLOW, RuleKind.DENY, RuleKind.NEVERALLOW]
    assert policy.allows("a_t", "f_t", "file", "write")
    assert policy.allows("b_t", "f_t", "file", "read")
    assert not policy.allows("b_t", "f_t", "file", "write")  # deny overrides
    assert not policy.allows("c_t", "f_t", "file", "read")  # nothing allows it
    assert not policy.allows("a_t", "g_t", "file", "read")
    assert policy.matching(RuleKind.NEVERALLOW, "c_t", "f_t", "file", "open") is policy.rules[2]


def test_rule_text_and_span(tmp_path):
    policy = load(tmp_path, HEADER + "\n# a comment\nallow a_t\n   f_t : file   read;  # trailing\n")
    rule = only_rule(policy)
    assert rule.text == "allow a_t f_t : file read;"
    assert (rule.span.line, rule.span.col, rule.span.end_line) == (6, 1, 7)


def test_lattice_chains(tmp_path):
    policy = load(tmp_path, HEADER + "lattice { low < mid < high; other }\n")
    assert set(policy.labels) == {"low", "mid", "high", "other"}
    assert [(e.lower, e.higher) for e in policy.order] == [("low", "mid"), ("mid", "high")]


def test_several_lattices_share_labels(tmp_path):
    policy = load(tmp_path, HEADER + "lattice { low < high }\nlattice { low < side; }\n")
    assert set(policy.labels) == {"low", "high", "side"}
    assert {(e.lower, e.higher) for e in policy.order} == {("low", "high"), ("low", "side")}


def test_labels(tmp_path):
    policy = load(tmp_path, HEADER + "lattice { low < high }\nattribute users = { a_t b_t };\nlabel users : low;\nlabel f_t : high;\n")
    assert {s: b.label for s, b in policy.label_of.items()} == {"a_t": "low", "b_t": "low", "f_t": "high"}
    assert policy.label_of["a_t"].span.line == 6


def test_same_label_twice_is_fine(tmp_path):
    policy = load(tmp_path, HEADER + "lattice { low }\nlabel a_t : low;\nlabel { a_t b_t } : low;\n")
    assert policy.label_of["a_t"].label == "low"


def test_flow_budget_capacity(tmp_path):
    policy = load(tmp_path, HEADER + """\
lattice { low; high }
flow low -> high;
budget high -> low <= 64 bits;
capacity endpoint 128 bits;
capacity memory 4096 bits;
""")
    (flow,) = policy.flows
    assert (flow.source, flow.sink) == ("low", "high")
    (budget,) = policy.budgets
    assert (budget.source, budget.sink, budget.bits) == ("high", "low", 64)
    assert {k: c.bits for k, c in policy.capacities.items()} == {"endpoint": 128, "memory": 4096}


def test_reads_and_writes(tmp_path):
    policy = load(tmp_path, HEADER + "reads file { read };\nwrites file { write close };\nreads socket *;\n")
    got = [(f.direction, f.cls, f.operations) for f in policy.operation_flows]
    assert got == [("reads", "file", {"read"}), ("writes", "file", {"write", "close"}), ("reads", "socket", {"send", "recv"})]


def test_dynamic_rules(tmp_path):
    policy = load(tmp_path, HEADER + """\
attribute users = { a_t b_t };
spawn c_t -> users as client;
spawn c_t -> f_t;
connect users -> ~users;
pass a_t -> b_t : { file socket };
""")
    first, second = policy.spawn_rules
    assert (first.parents, first.children, first.role) == ({"c_t"}, {"a_t", "b_t"}, "client")
    assert second.role is None and second.children == {"f_t"}
    (connect,) = policy.connect_rules
    assert connect.clients == {"a_t", "b_t"} and connect.servers == {"c_t", "f_t", "g_t"}
    assert connect.text == "connect users -> ~users;"
    (passing,) = policy.pass_rules
    assert (passing.senders, passing.receivers, passing.classes) == ({"a_t"}, {"b_t"}, {"file", "socket"})


def test_use_before_declare(tmp_path):
    policy = load(tmp_path, """\
allow users late_t : door { knock };
label late_t : high;
flow low -> high;
attribute users = { early_t late_t };
lattice { low < high }
class door { knock open }
sid early_t;
sid late_t;
""")
    rule = only_rule(policy)
    assert rule.subjects == {"early_t", "late_t"} and rule.permissions == {("door", "knock")}
    assert policy.label_of["late_t"].label == "high"


def test_imports_are_relative_to_the_importing_file(tmp_path):
    policy = load(
        tmp_path,
        'import "lib/a.pol";\nsid main_t;\nallow main_t a_t : door open;\n',
        lib__a_pol='import "b.pol";\nsid a_t;\n',
        lib__b_pol='class door { open }\n',
        b_pol="this file is not valid policy and must not be loaded\n",
    )
    assert set(policy.sids) == {"main_t", "a_t"}
    assert policy.classes["door"].span.file == str(tmp_path / "lib" / "b.pol")
    assert policy.files[0] == str(tmp_path / "policy.pol")
    assert set(policy.files) == {str(tmp_path / p) for p in ("policy.pol", "lib/a.pol", "lib/b.pol")}


def test_diamond_import_loads_the_shared_file_once(tmp_path):
    policy = load(
        tmp_path,
        'import "left.pol";\nimport "right.pol";\nallow l_t r_t : shared_c op;\n',
        left_pol='import "common/base.pol";\nsid l_t;\n',
        right_pol='import "./common/../common/base.pol";\nsid r_t;\n',
        common__base_pol="class shared_c { op }\nsid base_t;\n",
    )
    assert set(policy.sids) == {"l_t", "r_t", "base_t"}
    assert sum(f.endswith("base.pol") for f in policy.files) == 1
    assert len(policy.files) == 4


def test_policy_given_as_several_files(tmp_path):
    (tmp_path / "one.pol").write_text("sid a_t;\nclass door { open }\n", encoding="utf-8")
    (tmp_path / "two.pol").write_text("sid b_t;\nallow a_t b_t : door open;\n", encoding="utf-8")
    policy = load_policy([(tmp_path / "one.pol", None), (tmp_path / "two.pol", None)])
    assert set(policy.sids) == {"a_t", "b_t"} and len(policy.rules) == 1


def test_comments_and_empty_file(tmp_path):
    policy = load(tmp_path, "# only a comment\n\n   \n")
    assert policy.sids == {} and policy.rules == ()


def test_names_with_dots_and_dashes(tmp_path):
    policy = load(tmp_path, "sid net.driver_t, fs-server_t;\nallow net.driver_t fs-server_t : endpoint send;\n")
    assert only_rule(policy).subjects == {"net.driver_t"}


def test_policies_in_the_repository_load(tmp_path):
    """The reusable policies are importable on their own."""
    root = Path(__file__).resolve().parents[2] / "policies"
    files = sorted(root.glob("*.pol"))
    assert files
    for file in files:
        policy = load_policy([(file, None)])
        assert policy.files[0] == str(file)
