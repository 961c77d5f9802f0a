"""`image conform --behaviour`: the log reader, the comparison, and mutations of the pink-file log
(data/README.md: written by hand from pink.pol in the programs' format, and a real recorded boot
that prints the same lines). Each mutation is what a faulty program would print; the expected
findings follow from pink.pol and the model (test_sel4_boot.py builds and boots them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smosverify.image.behaviour import conform_behaviour, parse_behaviour_log
from smosverify.load.any import SdfOptions, load_any
from tests.conftest import assert_bad_input, run_cli

REPO = Path(__file__).resolve().parents[2]
PINK = REPO / "examples" / "pink-file" / "system.yaml"
LOG = Path(__file__).parent / "data" / "pink-file.behaviour.log"
RECORDED = LOG.read_text()
# The policy server's line of alice's read of pink_file: gone when fs's stub skips the call.
SKIPPED_AUTH = "smos auth server=fs subject=alice_t object=secret_file_t class=file op=read tag=2.2 decision=permit\n"


def _check(text: str, system: Path = PINK) -> dict[str, list]:
    """Findings (kind, message) of each BEHAVIOUR-* result."""
    report = conform_behaviour(load_any(str(system), SdfOptions()), parse_behaviour_log(text, "boot.log"))
    return {r.id: [(e.kind, e.message) for e in r.evidence] for r in report.results}


def _edit(text: str, *changes: tuple[str, str]) -> str:
    """`text` with each (old, new) replaced; each old occurs exactly once."""
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text



def test_the_recorded_log_conforms():
    assert _check(RECORDED) == {"BEHAVIOUR-DECISIONS": [], "BEHAVIOUR-MEDIATION": [], "BEHAVIOUR-OUTCOMES": []}
    result = run_cli("image", "conform", PINK, LOG, "--behaviour", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [p["status"] for p in report["properties"]] == ["holds"] * 3


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_the_real_boot_conforms_and_prints_what_the_hand_written_log_says(arch):
    real = (Path(__file__).parent / "data" / f"pink-file.{arch}.boot.log").read_text()
    assert _check(real) == {"BEHAVIOUR-DECISIONS": [], "BEHAVIOUR-MEDIATION": [], "BEHAVIOUR-OUTCOMES": []}
    smos = [[line.rstrip("\r") for line in text.splitlines() if line.startswith("smos ")] for text in (real, RECORDED)]
    assert smos[0] == smos[1] and len(smos[0]) == 50  # 24 auth and 24 call lines, 2 done lines


def test_a_decision_table_differing_in_one_entry():
    # The table says permit for bob_t secret_file_t : file read; the server then performs the read.
    text = _edit(RECORDED, ("subject=bob_t object=secret_file_t class=file op=read tag=3.2 decision=deny",
                            "subject=bob_t object=secret_file_t class=file op=read tag=3.2 decision=permit"),
                 ("object=pink_file class=file op=read tag=3.2 decision=deny outcome=denied",
                  "object=pink_file class=file op=read tag=3.2 decision=permit outcome=ok"))
    found = _check(text)
    assert found["BEHAVIOUR-DECISIONS"] == [("decision-differs", "bob's read of pink_file at fs: the policy server "
                                             "decided permit for bob_t secret_file_t : file read; the policy denies "
                                             "it: no allow rule covers it")]
    assert found["BEHAVIOUR-MEDIATION"] == []
    assert [k for k, _ in found["BEHAVIOUR-OUTCOMES"]] == ["forbidden-succeeded"]
    assert "bob's read of pink_file at fs succeeded" in found["BEHAVIOUR-OUTCOMES"][0][1]


def test_a_table_entry_flipped_to_deny_names_the_allow_rule():
    text = _edit(RECORDED, ("subject=alice_t object=secret_file_t class=file op=open tag=2.1 decision=permit",
                            "subject=alice_t object=secret_file_t class=file op=open tag=2.1 decision=deny"),
                 ("object=pink_file class=file op=open tag=2.1 decision=permit outcome=ok",
                  "object=pink_file class=file op=open tag=2.1 decision=deny outcome=denied"))
    found = _check(text)
    (kind, message), = found["BEHAVIOUR-DECISIONS"]
    assert "alice's open of pink_file" in message and "permits it by `allow alice_t secret_file_t" in message
    assert [k for k, _ in found["BEHAVIOUR-OUTCOMES"]] == ["allowed-failed"]


def test_a_stub_that_skips_the_call():
    # fs answers alice's read of the secret file without asking auth: no auth line for tag 2.2.
    text = _edit(RECORDED, (SKIPPED_AUTH, ""))
    found = _check(text)
    assert found["BEHAVIOUR-MEDIATION"] == [("not-asked", "fs answered alice's read of pink_file (ok) without "
                                             "asking the policy server")]
    assert found["BEHAVIOUR-DECISIONS"] == [] and found["BEHAVIOUR-OUTCOMES"] == []


def test_a_stub_that_skips_the_call_and_permits():
    text = _edit(RECORDED, ("smos auth server=fs subject=bob_t object=secret_file_t class=file op=write tag=3.3 "
                            "decision=deny\n", ""),
                 ("object=pink_file class=file op=write tag=3.3 decision=deny outcome=denied",
                  "object=pink_file class=file op=write tag=3.3 decision=permit outcome=ok"))
    found = _check(text)
    assert [k for k, _ in found["BEHAVIOUR-MEDIATION"]] == ["not-asked"]
    (kind, message), = found["BEHAVIOUR-DECISIONS"]
    assert message.startswith("bob (bob_t) was told permit for write of pink_file at fs")
    assert [k for k, _ in found["BEHAVIOUR-OUTCOMES"]] == ["forbidden-succeeded"]


def test_a_client_calling_with_another_clients_badge():
    # bob holds a cap to fs with alice's badge (outside the model): fs asks about alice_t.
    text = _edit(RECORDED, ("subject=bob_t object=secret_file_t class=file op=read tag=3.2 decision=deny",
                            "subject=alice_t object=secret_file_t class=file op=read tag=3.2 decision=permit"),
                 ("object=pink_file class=file op=read tag=3.2 decision=deny outcome=denied",
                  "object=pink_file class=file op=read tag=3.2 decision=permit outcome=ok"))
    found = _check(text)
    (kind, message), = found["BEHAVIOUR-MEDIATION"]
    assert kind == "wrong-subject" and "asked about alice_t for bob's read of pink_file" in message
    assert [k for k, _ in found["BEHAVIOUR-DECISIONS"]] == ["decision-differs"]
    assert [k for k, _ in found["BEHAVIOUR-OUTCOMES"]] == ["forbidden-succeeded"]


def test_a_client_with_a_cap_outside_the_model(tmp_path):
    # carol (bob_t) has no connection in the model; a cap to fs with a badge fs does not know
    # lets her call anyway: fs cannot name her (subject ?) and the policy server denies.
    system = tmp_path / "system.yaml"
    system.write_text(PINK.read_text().replace("policy: pink.pol", f"policy: {PINK.parent / 'pink.pol'}")
                      .replace("  bob: {sid: bob_t, role: client}\n",
                               "  bob: {sid: bob_t, role: client}\n  carol: {sid: bob_t, role: client}\n"))
    text = RECORDED + ("smos auth server=fs subject=? object=public_file_t class=file op=read tag=4.1 decision=deny\n"
                       "smos call client=carol server=fs object=readme class=file op=read tag=4.1 decision=deny "
                       "outcome=denied\n")
    found = _check(text, system)
    assert [k for k, _ in found["BEHAVIOUR-OUTCOMES"]] == ["call-outside-model"]
    assert "carol called fs, which the model gives it no connection to" in found["BEHAVIOUR-OUTCOMES"][0][1]
    assert [k for k, _ in found["BEHAVIOUR-MEDIATION"]] == ["wrong-subject"]
    # pink.pol lets bob_t read the public file; carol, unknown to fs, was denied
    (kind, message), = found["BEHAVIOUR-DECISIONS"]
    assert message.startswith("carol (bob_t) was told deny for read of readme at fs; the policy permits it by "
                              "`allow clients public_file_t")


def test_a_client_that_stops_half_way():
    lines = RECORDED.splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if "tag=3.7 " in line)
    found = _check("".join(lines[:cut]))
    (kind, message), = found["BEHAVIOUR-OUTCOMES"]
    assert kind == "script-unfinished"
    assert message.startswith("bob did not run its whole script: 6 of its 12 call(s) are missing from the log "
                              "(open of readme at fs;")


def test_kernel_noise_between_lines_is_skipped():
    text = RECORDED.replace("smos done client=alice", "<<seL4(CPU 0) [note]>>smos done client=alice")
    assert _check(text)["BEHAVIOUR-OUTCOMES"] == []


@pytest.mark.parametrize("line, col, words", [
    ("smos hello client=alice", 6, ("smos auth", "smos call", "smos done", "'hello'")),
    ("smos done client=alice calls=many", 30, ("a number", "'many'")),
    ("smos done client=alice", 23, ("calls=",)),
    ("smos done client=alice calls=3 colour=red", 32, ("'colour=red'",)),
    ("smos call client=alice server=fs object=readme class=file op=read tag=2.1 decision=maybe outcome=ok",
     84, ("permit or deny", "'maybe'")),
    ("smos call client=alice server=fs object=readme class=file op=read tag=two decision=deny outcome=ok",
     71, ("CLIENT.SEQUENCE",)),
])
def test_malformed_lines_are_bad_input(tmp_path, line, col, words):
    log = tmp_path / "boot.log"
    log.write_text("booting\n" + line + "\n")
    assert_bad_input(run_cli("image", "conform", PINK, log, "--behaviour"), log, 2, col, *words)


def test_a_log_of_another_system_is_bad_input(tmp_path):
    log = tmp_path / "boot.log"
    log.write_text("smos call client=mallory server=fs object=readme class=file op=read tag=9.1 decision=deny "
                   "outcome=denied\n")
    assert_bad_input(run_cli("image", "conform", PINK, log, "--behaviour"), log, 1, 1, "'mallory'", "pink-file")
    log.write_text("smos call client=alice server=fs object=diary class=file op=read tag=2.1 decision=deny "
                   "outcome=denied\n")
    assert_bad_input(run_cli("image", "conform", PINK, log, "--behaviour"), log, 1, 1, "'diary'")


def test_a_log_without_program_lines_is_bad_input(tmp_path):
    log = tmp_path / "boot.log"
    log.write_text("Booting all finished, dropped to user space\n")
    assert_bad_input(run_cli("image", "conform", PINK, log, "--behaviour"), log, 1, 1, "--programs")


def test_violations_exit_1_and_name_the_client(tmp_path):
    log = tmp_path / "boot.log"
    log.write_text(_edit(RECORDED, (SKIPPED_AUTH, "")))
    result = run_cli("image", "conform", PINK, log, "--behaviour")
    assert result.exit_code == 1, result.output
    assert "BEHAVIOUR-MEDIATION" in result.stdout and "fs answered alice's read of pink_file" in result.stdout
    assert f"{log}:5:1" in result.stdout  # the call line, after the two lines before it and alice's first call
