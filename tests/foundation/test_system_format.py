"""The YAML system format: what each element loads into, defaults, and the spans it keeps."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from smosverify.errors import InputError
from smosverify.load.schema import schema
from smosverify.load.system import load_system
from smosverify.model.kernel import ObjectKind, Right
from smosverify.model.system import Role, Target

FULL = """\
system: full
arch: aarch64
policy: [policy.pol, extra.pol]
components:
  boot: {sid: root_t, role: root, caps: [{to: fs.tcb, rights: [control]}, {to: buf, rights: [read]}]}
  fs:
    sid: server_t
    role: server
    objects:
      secret: {class: file, sid: secret_t}
      readme: {class: file, sid: public_t}
  auth: {sid: policy_t, role: policy}
  alice: {sid: alice_t, role: client}
  bob: {sid: bob_t, role: client}
connections:
  - {from: alice, to: fs, rights: [send, grant_reply], badge: 2}
  - {from: bob, to: fs, rights: [send]}
  - {from: fs, to: auth, rights: [send, grant_reply], capacity: 64}
regions:
  buf: {sid: public_t, size: 8192, map: {alice: [read, write], fs: [read]}, capacity: 1024}
  small: {sid: public_t, map: {bob: [read]}}
notifications:
  irq: {sid: public_t, signal: [fs], wait: [alice, bob], capacity: 1}
"""


def load_full(tmp_path, write_system, base_policy):
    (tmp_path / "extra.pol").write_text("sid extra_t;\n", encoding="utf-8")
    return load_system(write_system(tmp_path, FULL, base_policy))


def test_components(tmp_path, write_system, base_policy):
    system = load_full(tmp_path, write_system, base_policy)
    assert system.name == "full" and system.arch == "aarch64"
    assert list(system.components) == ["boot", "fs", "auth", "alice", "bob"]
    fs = system.components["fs"]
    assert (fs.sid, fs.role) == ("server_t", Role.SERVER)
    assert [(o.name, o.cls, o.sid, o.server) for o in fs.objects] == [
        ("secret", "file", "secret_t", "fs"), ("readme", "file", "public_t", "fs")]
    assert system.components["auth"].role is Role.POLICY
    assert system.components["boot"].role is Role.ROOT
    assert [o.name for o in system.objects()] == ["secret", "readme"]
    assert [c.name for c in system.by_role(Role.CLIENT)] == ["alice", "bob"]


def test_policy_files_in_order(tmp_path, write_system, base_policy):
    system = load_full(tmp_path, write_system, base_policy)
    assert system.policy.files == (str(tmp_path / "policy.pol"), str(tmp_path / "extra.pol"))
    assert "extra_t" in system.policy.sids
    assert [s.line for s in system.policy_spans] == [3, 3]


def test_connections_and_badges(tmp_path, write_system, base_policy):
    system = load_full(tmp_path, write_system, base_policy)
    first, second, third = system.connections
    assert (first.client, first.server, first.rights, first.badge) == ("alice", "fs", {Right.SEND, Right.GRANT_REPLY}, 2)
    assert second.badge == 1  # the smallest positive badge not used on fs
    assert third.badge == 1 and third.capacity == 64  # badges are per server
    assert first.capacity is None
    assert first.name == "alice->fs"


def test_default_badges_avoid_explicit_ones(tmp_path, write_system, base_policy):
    text = """\
    system: s
    policy: policy.pol
    components:
      fs: {sid: server_t, role: server}
      a: {sid: alice_t, role: client}
      b: {sid: alice_t, role: client}
      c: {sid: bob_t, role: client}
    connections:
      - {from: a, to: fs, rights: [send]}
      - {from: b, to: fs, rights: [send], badge: 1}
      - {from: c, to: fs, rights: [send]}
    """
    system = load_system(write_system(tmp_path, text, base_policy))
    assert [c.badge for c in system.connections] == [2, 1, 3]


def test_regions_and_notifications(tmp_path, write_system, base_policy):
    system = load_full(tmp_path, write_system, base_policy)
    buf, small = system.regions["buf"], system.regions["small"]
    assert (buf.sid, buf.size, buf.capacity) == ("public_t", 8192, 1024)
    assert [(m.component, m.rights) for m in buf.maps] == [("alice", {Right.READ, Right.WRITE}), ("fs", {Right.READ})]
    assert small.size == 4096 and small.capacity is None
    irq = system.notifications["irq"]
    assert [who for who, _ in irq.signallers] == ["fs"]
    assert [who for who, _ in irq.waiters] == ["alice", "bob"]
    assert irq.capacity == 1


def test_extra_caps(tmp_path, write_system, base_policy):
    system = load_full(tmp_path, write_system, base_policy)
    tcb, buf = system.components["boot"].caps
    assert tcb.target == Target(ObjectKind.TCB, "fs") and tcb.rights == {Right.CONTROL}
    assert buf.target == Target(ObjectKind.REGION, "buf") and buf.rights == {Right.READ}
    assert str(tcb.target) == "fs.tcb" and str(buf.target) == "buf"


def test_arch_defaults_to_x86_64(small_system):
    assert load_system(small_system).arch == "x86_64"


def test_every_element_keeps_its_span(tmp_path, write_system, base_policy):
    system = load_full(tmp_path, write_system, base_policy)
    file = str(tmp_path / "system.yaml")
    where = {
        "component fs": system.components["fs"].span,
        "object readme": system.components["fs"].objects[1].span,
        "cap fs.tcb": system.components["boot"].caps[0].span,
        "connection bob->fs": system.connections[1].span,
        "region buf": system.regions["buf"].span,
        "map fs of buf": system.regions["buf"].maps[1].span,
        "notification irq": system.notifications["irq"].span,
        "waiter bob": system.notifications["irq"].waiters[1][1],
    }
    expected = {
        "component fs": (6, 3), "object readme": (11, 7), "cap fs.tcb": (5, 42), "connection bob->fs": (17, 5),
        "region buf": (20, 3), "map fs of buf": (20, 64), "notification irq": (23, 3), "waiter bob": (23, 52),
    }
    for name, span in where.items():
        assert span.file == file, name
        assert (span.line, span.col) == expected[name], name


def test_policy_elements_keep_their_spans(small_system):
    policy = load_system(small_system).policy
    last = policy.rules[-1]
    assert last.text == "allow alice_t secret_t : file *;"
    assert last.span.file.endswith("policy.pol") and last.span.line == 7


def test_published_schema_is_valid_and_accepts_the_examples(tmp_path):
    from pathlib import Path

    jsonschema.Draft202012Validator.check_schema(schema("system.schema.json"))
    validator = jsonschema.Draft202012Validator(schema("system.schema.json"))
    root = Path(__file__).resolve().parents[2] / "examples"
    files = sorted(root.glob("*/system.yaml"))
    assert files
    for file in files:
        errors = list(validator.iter_errors(yaml.safe_load(file.read_text(encoding="utf-8"))))
        assert not errors, (file, errors[0].message)
    assert not list(validator.iter_errors(yaml.safe_load(FULL)))


@pytest.mark.parametrize("value", ["!!int", "!!int ''", "!!int -", "!!int +_"])
def test_int_tag_without_digits_is_bad_input(value, tmp_path, write_system, base_policy):
    """PyYAML's int constructor indexes the digits it is given: with none it failed with an IndexError."""
    path = write_system(tmp_path, f"system: s\npolicy: policy.pol\ncomponents:\n  a: {{sid: {value}, role: client}}\n", base_policy)
    with pytest.raises(InputError, match="is not an integer") as err:
        load_system(path)
    assert (err.value.span.line, err.value.span.col) == (4, 12)


def test_int_tag_on_digits_and_letters_is_bad_input(tmp_path, write_system, base_policy):
    """A leading zero followed by more than digits is no number at all (it was a ValueError traceback)."""
    path = write_system(tmp_path, "system: s\npolicy: policy.pol\ncomponents:\n  a: {sid: !!int '010t', role: client}\n", base_policy)
    with pytest.raises(InputError, match="'010t' is not an integer"):
        load_system(path)
