"""Labels: binding an SDF's elements to sids, roles and objects, by name or pattern, from a file
or inline in a YAML system; every way to get them wrong is bad input with a position."""

from __future__ import annotations

from smosverify.load.microkit.system import load_microkit
from smosverify.load.system import load_system
from smosverify.model.system import Role

from .conftest import ALLOW_ALL, write

SDF = """\
<system>
    <memory_region name="buf_a" size="0x1000" />
    <memory_region name="buf_ab" size="0x1000" />
    <protection_domain name="client_a" priority="1">
        <program_image path="c.elf" />
        <map mr="buf_a" vaddr="0x1000000" />
        <map mr="buf_ab" vaddr="0x2000000" />
    </protection_domain>
    <protection_domain name="client_b" priority="1">
        <program_image path="c.elf" />
        <map mr="buf_ab" vaddr="0x2000000" perms="r" />
    </protection_domain>
    <protection_domain name="server" priority="5">
        <program_image path="s.elf" />
    </protection_domain>
    <channel>
        <end pd="client_a" id="0" pp="true" />
        <end pd="server" id="0" />
    </channel>
</system>
"""

POLICY = ALLOW_ALL + "class file { read write }\n"


def check(run_cli, files, *extra):
    return run_cli("check", files["sdf"], "--policy", files["policy"], *(["--labels", files["labels"]] if "labels" in files else []), *extra)


def test_exact_names_win_over_patterns_and_patterns_go_in_order(sdf_files):
    files = sdf_files(SDF, 'components:\n  "client_*": b_t\n  client_a: a_t\n  "*": c_t\nregions:\n  buf_ab: c_t\n', "class file { read }\n")
    system = load_microkit(files["sdf"], files["policy"], files["labels"])
    assert {n: c.sid for n, c in system.components.items()} == {"client_a": "a_t", "client_b": "b_t", "server": "c_t"}
    assert system.regions["buf_a"].sid == "a_t"  # only client_a maps it: its sid
    assert system.regions["buf_ab"].sid == "c_t"


def test_a_region_mapped_by_several_sids_needs_a_label(sdf_files, run_cli, assert_bad_input):
    files = sdf_files(SDF, "components:\n  client_a: a_t\n  client_b: b_t\n  server: c_t\n")
    assert_bad_input(check(run_cli, files), files["sdf"], 3, 5, "no sid for memory_region 'buf_ab'", "client_a (a_t), client_b (b_t)")
    system = load_microkit(files["sdf"], files["policy"], files["labels"], default_sid="c_t")
    assert system.regions["buf_ab"].sid == "c_t" and system.regions["buf_a"].sid == "a_t"


def test_a_pd_without_a_label_needs_a_default(sdf_files, run_cli, assert_bad_input):
    files = sdf_files(SDF, "components:\n  client_a: a_t\n  server: c_t\nregions:\n  buf_ab: c_t\n")
    assert_bad_input(check(run_cli, files), files["sdf"], 9, 5, "no sid for protection domain 'client_b'", "--default-sid")
    assert check(run_cli, files, "--default-sid", "b_t").exit_code == 0


def test_default_sid_in_the_labels_file(sdf_files):
    files = sdf_files(SDF, "default_sid: b_t\ncomponents:\n  client_a: a_t\n")
    system = load_microkit(files["sdf"], files["policy"], files["labels"])
    assert system.components["server"].sid == "b_t" and system.regions["buf_ab"].sid == "b_t"


def test_labels_that_bind_nothing_are_errors(sdf_files, run_cli, assert_bad_input):
    files = sdf_files(SDF, "default_sid: a_t\ncomponents:\n  clinet_a: b_t\n")
    assert_bad_input(check(run_cli, files), files["labels"], 3, 3, "'clinet_a'", "binds no protection domain")
    files = sdf_files(SDF, "default_sid: a_t\nregions:\n  \"nobuf*\": b_t\n")
    assert_bad_input(check(run_cli, files), files["labels"], 3, 3, "'nobuf*'", "memory region")


def test_unknown_sids_and_keys(sdf_files, run_cli, assert_bad_input):
    files = sdf_files(SDF, "default_sid: a_t\ncomponents:\n  server: ghost_t\n")
    assert_bad_input(check(run_cli, files), files["labels"], 3, 3, "unknown sid 'ghost_t'")
    files = sdf_files(SDF, "default_sid: a_t\ncomponent:\n  server: b_t\n")
    assert_bad_input(check(run_cli, files), files["labels"], 2, 1, "unknown key 'component'")
    files = sdf_files(SDF)
    result = check(run_cli, files, "--default-sid", "ghost_t")
    assert result.exit_code == 2 and "--default-sid: unknown sid 'ghost_t'" in result.stderr


def test_roles_objects_and_notification_sids(sdf_files):
    labels = """\
default_sid: a_t
roles:
  server: policy
  client_b: root
notifications:
  "*.notification": b_t
objects:
  server:
    secrets: {class: file, sid: c_t}
"""
    files = sdf_files(SDF.replace('pp="true" />', 'pp="true" notify="true" />'), labels, "class file { read write }\n")
    system = load_microkit(files["sdf"], files["policy"], files["labels"])
    assert system.components["server"].role is Role.POLICY and system.components["client_b"].role is Role.ROOT
    assert system.components["client_a"].role is Role.CLIENT
    (obj,) = system.components["server"].objects
    assert (obj.name, obj.cls, obj.sid, obj.server) == ("secrets", "file", "c_t", "server")
    assert {n: v.sid for n, v in system.notifications.items()} == {"server.notification": "b_t", "client_a.notification": "b_t"}


def test_objects_need_a_server(sdf_files, run_cli, assert_bad_input):
    files = sdf_files(SDF, "default_sid: a_t\nobjects:\n  client_b:\n    f: {class: file, sid: c_t}\n", "class file { read }\n")
    assert_bad_input(check(run_cli, files), files["labels"], 3, 3, "only servers implement objects", "role client")
    files = sdf_files(SDF, "default_sid: a_t\nobjects:\n  server:\n    f: {class: tcb, sid: c_t}\n")
    assert_bad_input(check(run_cli, files), files["labels"], 4, 5, "unknown object class 'tcb'")


def test_a_yaml_system_can_name_an_sdf(tmp_path):
    write(tmp_path, "arch.system", SDF)
    write(tmp_path, "policy.pol", POLICY)
    write(tmp_path, "labels.yaml", "default_sid: a_t\narch: riscv64\n")
    yaml_file = write(tmp_path, "system.yaml", "system: named\npolicy: policy.pol\nsdf: arch.system\nlabels: labels.yaml\n")
    system = load_system(yaml_file)
    assert system.name == "named" and system.file == str(yaml_file) and system.arch == "riscv64"
    assert system.components["client_a"].span.file == str(tmp_path / "arch.system")
    inline = write(tmp_path, "inline.yaml", "system: inline\npolicy: policy.pol\nsdf: arch.system\nlabels:\n  default_sid: b_t\n  components: {server: c_t}\n")
    system = load_system(inline)
    assert system.components["server"].sid == "c_t" and system.components["client_b"].sid == "b_t"


def test_yaml_with_sdf_mistakes(tmp_path, run_cli, assert_bad_input):
    write(tmp_path, "arch.system", SDF)
    write(tmp_path, "policy.pol", POLICY)
    cases = [
        ("system: s\npolicy: policy.pol\nsdf: arch.system\nlabels:\n  default_sid: a_t\n  components: {servr: c_t}\n", 6, 16, ["'servr'", "binds no"]),
        ("system: s\npolicy: policy.pol\nsdf: arch.system\ncomponents: {x: {sid: a_t, role: client}}\n", 4, 1, ["'components' cannot be used with 'sdf'"]),
        ("system: s\npolicy: policy.pol\ncomponents: {x: {sid: a_t, role: client}}\nlabels: labels.yaml\n", 4, 1, ["'labels'", "goes with 'sdf'"]),
        ("system: s\npolicy: policy.pol\nsdf: missing.system\n", 3, 6, ["no such file", "missing.system"]),
        ("system: s\npolicy: policy.pol\nsdf: arch.system\nlabels: 3\n", 4, 9, ["labels", "expected"]),
        ("system: s\npolicy: policy.pol\n", 1, 1, ["'components' is a required property"]),
    ]
    for text, line, col, words in cases:
        path = write(tmp_path, "system.yaml", text)
        assert_bad_input(run_cli("check", path), path, line, col, *words)
