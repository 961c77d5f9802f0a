"""Shared fixtures: write a system and its policy to a temporary folder, run the CLI on it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from smosverify.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

# A policy that the small systems of the tests share: two object classes, a policy server sid
# and a handful of subject and object sids; tests append the rules they need.
BASE_POLICY = """\
class file { open read write close }
class socket { send recv }
sid policy_t, server_t, alice_t, bob_t, secret_t, public_t, root_t;
"""

# A system that holds P1-P4: one server with two objects, a policy server, two clients.
SMALL_SYSTEM = """\
system: small
policy: policy.pol
components:
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
  - {from: alice, to: fs, rights: [send, grant_reply], badge: 1}
  - {from: bob, to: fs, rights: [send, grant_reply], badge: 2}
  - {from: fs, to: auth, rights: [send, grant_reply], badge: 1}
"""

SMALL_RULES = """\
allow { alice_t bob_t } server_t : endpoint { send grant_reply };
allow server_t policy_t : endpoint { send grant_reply };
allow { alice_t bob_t } public_t : file { open read close };
allow alice_t secret_t : file *;
"""


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def write_system(tmp_path: Path, yaml_text: str, policy_text: str | None = None,
                 policy_name: str = "policy.pol") -> Path:
    """Write system.yaml (and the policy, if given) into tmp_path; return the YAML's path."""
    if policy_text is not None:
        (tmp_path / policy_name).write_text(dedent(policy_text), encoding="utf-8")
    path = tmp_path / "system.yaml"
    path.write_text(dedent(yaml_text), encoding="utf-8")
    return path


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str | Path) -> CliResult:
    """Run `smosverify ARGS` in process; any exception other than a clean exit fails the test."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def run_cli_process(*args: str | Path, timeout: float = 30) -> CliResult:
    """Run the real console entry point in a child process (for hangs and real tracebacks)."""
    done = subprocess.run(
        [sys.executable, "-c", "from smosverify.cli import main; main()", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=REPO,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


def assert_bad_input(result: CliResult, file: str | Path, line: int, col: int | None, *words: str) -> str:
    """Exit 2, nothing on stdout, one `error: FILE:LINE:COL: ...` line on stderr naming `words`
    (col None: any column)."""
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prefix = f"error: {file}:{line}:" + ("" if col is None else f"{col}: ")
    assert lines[0].startswith(prefix), f"{lines[0]!r} does not start with {prefix!r}"
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    return lines[0]


# The helpers as fixtures, so test modules in any folder use them without importing conftest.
@pytest.fixture(name="write_system")
def _write_system_fixture():
    return write_system


@pytest.fixture(name="run_cli")
def _run_cli_fixture():
    return run_cli


@pytest.fixture(name="run_cli_process")
def _run_cli_process_fixture():
    return run_cli_process


@pytest.fixture(name="assert_bad_input")
def _assert_bad_input_fixture():
    return assert_bad_input


@pytest.fixture
def base_policy() -> str:
    """BASE_POLICY: classes file and socket, sids policy_t server_t alice_t bob_t secret_t public_t root_t."""
    return BASE_POLICY


@pytest.fixture
def small_system(tmp_path: Path) -> Path:
    """SMALL_SYSTEM with its policy: fs (two files), auth, alice, bob; P1-P4 hold."""
    return write_system(tmp_path, SMALL_SYSTEM, BASE_POLICY + SMALL_RULES)


@pytest.fixture
def small_yaml() -> str:
    return SMALL_SYSTEM


@pytest.fixture
def small_policy() -> str:
    return BASE_POLICY + SMALL_RULES


@pytest.fixture(scope="session")
def lean():
    """The Lean that `lean`-marked tests run (lake, else the npm build of `smosverify lean install`).
    Without one they are skipped, except where SMOSVERIFY_REQUIRE_LEAN is set (CI sets it after
    installing Lean): there a missing Lean fails them."""
    import os

    from smosverify.lean_toolchain import find_lean

    found = find_lean()
    if found is None:
        why = "no Lean: neither lake on PATH nor `smosverify lean install` done"
        if os.environ.get("SMOSVERIFY_REQUIRE_LEAN"):
            pytest.fail(f"{why}, and SMOSVERIFY_REQUIRE_LEAN is set")
        pytest.skip(why)
    return found
