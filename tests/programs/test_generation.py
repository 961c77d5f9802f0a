"""`image build --programs`: the generated C, read back from the C text and checked against the
policy's decisions (worked out by hand from examples/pink-file/pink.pol) and against the slots of
the emitted capDL spec; every example's programs compile (gcc, declarations of libsel4's calls)."""

from __future__ import annotations

import re
from dataclasses import replace
import shutil
import subprocess
from pathlib import Path

import pytest

from smosverify.emit.capdl import emit_capdl
from smosverify.errors import InputError
from smosverify.image.programs import generate_programs, program_files
from smosverify.load.any import SdfOptions, load_any
from tests.conftest import assert_bad_input, run_cli, write_system

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
INCLUDE = Path(__file__).parent / "include"
PINK = EXAMPLES / "pink-file" / "system.yaml"
READ_ONLY = {"open", "read", "getattr", "close"}


def _programs(path: Path) -> dict[str, str]:
    return {p.component: p.text for p in generate_programs(load_any(str(path), SdfOptions()))}


def _strings(c: str, array: str) -> list[str]:
    body = re.search(rf"{array}\[\] = \{{(.*?)\}};", c, re.S).group(1)
    return re.findall(r'"([^"]*)"', body)


def _cnode_slots(cdl: str, component: str) -> dict[str, int]:
    """capDL slot of each cap in the component's CNode, by the cap's text (`ep_fs (R)`)."""
    body = re.search(rf"^\s*cnode_{component} \{{[^\n]*\n(.*?)^\s*\}}", cdl, re.S | re.M).group(1)
    return {m.group(2).strip(): int(m.group(1), 16) for m in re.finditer(r"(0x[0-9a-f]+): (.*?)(?:--|\n)", body)}


def test_pink_file_policy_server_table_is_the_policys_decisions():
    c = _programs(PINK)["auth"]
    sids, classes = _strings(c, "sids"), _strings(c, "classes")
    ops = {cls: _strings(c, f"ops_{i}") for i, cls in enumerate(classes)}
    rows = re.findall(r"\{ (\d+), (\d+), (\d+), (\d+), (SMOS_PERMIT|SMOS_DENY) \}", c)
    table = {(sids[int(s)], sids[int(o)], classes[int(k)], ops[classes[int(k)]][int(op)]): d == "SMOS_PERMIT"
             for s, o, k, op, d in rows}
    # Every (client sid, file sid, file op) fs's connections make possible, decided by pink.pol:
    # clients may open/read/getattr/close the public file, alice also the secret one, nobody writes.
    expected = {(subject, obj, "file", op): op in READ_ONLY and (obj == "public_file_t" or subject == "alice_t")
                for subject in ("alice_t", "bob_t") for obj in ("secret_file_t", "public_file_t")
                for op in ("open", "read", "write", "append", "getattr", "close")}
    assert table == expected
    assert re.search(r'askers\[\] = \{\s*\{ 1, "fs" \},\s*\};', c)  # fs calls auth with badge 1


def test_pink_file_programs_name_the_caps_of_the_emitted_spec():
    system = load_any(str(PINK), SdfOptions())
    cdl = emit_capdl(system)
    programs = {p.component: p for p in generate_programs(system)}
    assert {n: p.kind for n, p in programs.items()} == {
        "fs": "object_server", "auth": "policy_server", "alice": "client", "bob": "client"}
    fs = programs["fs"].text
    fs_slots = _cnode_slots(cdl, "fs")
    assert f"#define SMOS_SERVE {fs_slots['ep_fs (R)']} " in fs
    assert f"#define SMOS_POLICY {fs_slots['ep_auth (WP, badge: 1)']} " in fs
    assert f"#define SMOS_SERVE {_cnode_slots(cdl, 'auth')['ep_auth (R)']} " in programs["auth"].text
    sids = _strings(programs["auth"].text, "sids")
    callers = re.findall(r"\{ (\d+), (\d+) \}, /\* (\w+)", fs)
    assert [(int(b), sids[int(s)], who) for b, s, who in callers] == [(1, "alice_t", "alice"), (2, "bob_t", "bob")]
    for client, badge in (("alice", 1), ("bob", 2)):
        slot = _cnode_slots(cdl, client)[f"ep_fs (WP, badge: {badge})"]
        steps = re.findall(r'\{ (\d+), (\d+), (\d+), "fs", "(\w+)", "file", "(\w+)" \}', programs[client].text)
        assert len(steps) == 12  # 2 files x 6 file operations
        assert {int(s[0]) for s in steps} == {slot}
        assert {(s[3], s[4]) for s in steps} == {(f, op) for f in ("pink_file", "readme")
                                                  for op in ("open", "read", "write", "append", "getattr", "close")}


def test_generation_is_deterministic():
    system = load_any(str(EXAMPLES / "multi-server" / "system.yaml"), SdfOptions())
    assert program_files(system) == program_files(system)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "system.yaml").is_file()))
def test_every_examples_programs_compile(example, tmp_path):
    system = load_any(str(EXAMPLES / example / "system.yaml"), SdfOptions())
    try:
        files = program_files(system)
    except InputError as err:  # a system whose servers cannot be mediated by generated code
        pytest.skip(f"{example}: {err}")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for name in files:
        if name.endswith(".c"):
            done = subprocess.run(["gcc", "-std=c11", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                                   f"-I{INCLUDE}", f"-I{tmp_path}", str(tmp_path / name)],
                                  capture_output=True, text=True)
            assert done.returncode == 0, f"{name}:\n{done.stderr}"


def test_a_badge_two_sids_share_is_refused_at_the_connection(tmp_path):
    path = write_system(tmp_path, """\
        system: shared-badge
        policy: policy.pol
        components:
          fs: {sid: fs_t, role: server, objects: {f: {class: file, sid: f_t}}}
          auth: {sid: policy_t, role: policy}
          a: {sid: a_t, role: client}
          b: {sid: b_t, role: client}
        connections:
          - {from: a, to: fs, rights: [send, grant_reply], badge: 1}
          - {from: b, to: fs, rights: [send, grant_reply], badge: 1}
          - {from: fs, to: auth, rights: [send, grant_reply]}
        """, f"""\
        import "{REPO}/policies/smos-base.pol";
        sid fs_t, a_t, b_t, f_t;
        allow {{ a_t b_t }} fs_t : endpoint {{ send grant_reply }};
        allow fs_t policy_t : endpoint {{ send grant_reply }};
        allow a_t f_t : file read;
        """)
    result = run_cli("image", "build", path, "--programs", "-o", tmp_path / "out")
    assert_bad_input(result, path, 10, None, "badge 1", "a (a_t)", "b (b_t)")


def test_a_server_without_a_policy_connection_is_refused(tmp_path):
    path = write_system(tmp_path, """\
        system: unmediated
        policy: policy.pol
        components:
          fs: {sid: fs_t, role: server, objects: {f: {class: file, sid: f_t}}}
          a: {sid: a_t, role: client}
        connections:
          - {from: a, to: fs, rights: [send, grant_reply]}
        """, f"""\
        import "{REPO}/policies/smos-base.pol";
        sid fs_t, a_t, f_t;
        allow a_t fs_t : endpoint {{ send grant_reply }};
        """)
    result = run_cli("image", "build", path, "--programs", "-o", tmp_path / "out")
    assert_bad_input(result, path, 4, None, "fs", "no connection to a policy server")


def test_the_programs_files_are_the_header_the_start_and_one_per_component_that_runs():
    assert sorted(program_files(load_any(str(PINK), SdfOptions()))) == [
        "alice.c", "auth.c", "bob.c", "fs.c", "smos.h", "smos_start.c"]


def test_a_client_that_can_name_no_object_gets_no_program():
    pink = load_any(str(PINK), SdfOptions())
    idle = replace(pink.components["bob"], name="idle")  # bob's sid, but no connection: nothing to call
    system = replace(pink, components={**pink.components, "idle": idle})
    assert [p.component for p in generate_programs(system)] == ["fs", "auth", "alice", "bob"]


def test_cli_builds_the_programs_only_with_a_workspace_and_refuses_a_capdl_spec(tmp_path, monkeypatch):
    monkeypatch.delenv("SMOSVERIFY_SEL4", raising=False)
    result = run_cli("image", "build", PINK, "--programs", "-o", tmp_path / "out")
    assert result.exit_code == 3 and "SMOSVERIFY_SEL4" in result.stderr, result.output
    cdl = REPO / "tests" / "image" / "data" / "two_threads.cdl"
    assert_bad_input(run_cli("image", "build", cdl, "--programs", "-o", tmp_path / "x"), cdl, 1, 1, "capDL spec")


@pytest.mark.parametrize("example", ["pink-file", "multi-server"])
def test_the_table_that_runs_is_the_one_lean_checks(example, tmp_path):
    """The policy server's rows, numbers and all, are the `decisions` of the emitted Lean instance,
    which Lean's P4 checks against the policy: the proof and the running code share their data."""
    path = EXAMPLES / example / "system.yaml"
    server = next(c.name for c in load_any(str(path), SdfOptions()).components.values() if c.role.value == "policy")
    rows = re.findall(r"\{ (\d+), (\d+), (\d+), (\d+), (SMOS_PERMIT|SMOS_DENY) \}", _programs(path)[server])
    running = [((int(s), int(o), int(k), int(op)), d == "SMOS_PERMIT") for s, o, k, op, d in rows]
    run_cli("emit", "lean", path, "-o", tmp_path / "instance.lean")
    text = (tmp_path / "instance.lean").read_text(encoding="utf-8")
    body = re.search(r"decisions := \[(.*?)\]", text, re.S).group(1)
    checked = [((int(s), int(o), int(k), int(op)), d == "true")
               for s, o, k, op, d in re.findall(r"⟨⟨(\d+), (\d+), (\d+), (\d+)⟩, (true|false)⟩", body)]
    assert running and sorted(running) == sorted(checked)
